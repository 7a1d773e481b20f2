"""What the ``skscale`` subcommands share: file checks and error messages."""

import argparse
import os
import sys
from contextlib import contextmanager

_COMPRESSED_CSV = tuple(
    ".csv" + suffix for suffix in ("", ".gz", ".bz2", ".xz", ".zip", ".zst")
)
#: The names of the data files the command reads.
DATA_SUFFIXES = (".parquet", ".pq", *_COMPRESSED_CSV)


def int_at_least(low):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < low:
            raise argparse.ArgumentTypeError(
                f"expected an integer >= {low}, got {text!r}"
            )
        return value

    return parse


def expected_errors():
    """Exceptions that mean bad input (a bug still shows its traceback)."""
    errors = [OSError, ValueError]
    pyarrow = sys.modules.get("pyarrow")
    if pyarrow is not None:
        errors.append(pyarrow.ArrowException)
    return tuple(errors)


def describe(exc):
    if isinstance(exc, OSError) and exc.strerror and exc.filename:
        return f"{exc.strerror}: {exc.filename!r}"
    return str(exc) or type(exc).__name__


def file_format(path, *, output=False):
    name = os.fspath(path).lower()
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if name.endswith(".csv" if output else _COMPRESSED_CSV):
        return "csv"
    raise ValueError(
        f"cannot tell the format of {os.fspath(path)!r} from its name: use a "
        ".csv or .parquet file"
    )


def check_input(path):
    if not os.path.exists(path):
        raise ValueError(f"no such file: {path!r}")
    if os.path.isdir(path):
        raise ValueError(f"{path!r} is a folder, not a file")
    return file_format(path)


def check_output(path, force):
    if os.path.isdir(path):
        raise ValueError(f"{path!r} is a folder; give a file name")
    if os.path.exists(path) and not force:
        raise ValueError(f"{path!r} exists; pass --force to replace it")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ValueError(f"no such folder: {folder!r}")


def import_pyarrow():
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise ValueError(
            "Parquet files need pyarrow: pip install pyarrow (or skscale[cli])"
        ) from None
    return pyarrow, pyarrow.parquet


@contextmanager
def about(path):
    """Prefix the message of a reading error with the file it is about."""
    try:
        yield
    except expected_errors() as exc:
        raise ValueError(f"{path}: {describe(exc)}") from exc


def is_numeric(dtype):
    """Whether a column of this dtype holds numbers: integers, floats, or Arrow
    decimals (a Parquet file's exact amounts), which convert to float64."""
    if getattr(dtype, "kind", "O") in "iuf":
        return True
    arrow = getattr(dtype, "pyarrow_dtype", None)
    return arrow is not None and str(arrow).startswith("decimal")


def text_table(header, rows, left):
    """A plain-text table; the columns numbered in ``left`` are left-aligned."""
    widths = [max(len(row[k]) for row in [header, *rows]) for k in range(len(header))]

    def line(cells):
        return "  ".join(
            cell.ljust(w) if k in left else cell.rjust(w)
            for k, (cell, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join(line(cells) for cells in [header, *rows])
