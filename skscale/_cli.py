"""The ``skscale`` command: compare the scalers, fit and apply them to files in chunks.

``skscale compare`` cross-validates a model behind every skscale scaler (and
behind none); ``skscale fit`` streams a CSV or Parquet file through
``partial_fit`` and saves the scaler as JSON (:mod:`skscale._persistence`);
``skscale transform`` streams a file through a saved scaler; ``skscale inspect``
prints a saved scaler's parameters. Bad input ends the command with one line on
stderr and exit code 2; outputs appear only complete (written to a temporary
file, then renamed).
"""

import argparse
import os
import re
import signal
import sys
import warnings
from contextlib import contextmanager

import numpy as np

from ._cli_common import (
    DATA_SUFFIXES,
    about,
    check_input,
    check_output,
    describe,
    expected_errors,
    file_format,
    import_pyarrow,
    int_at_least,
    is_numeric,
    text_table,
)
from ._compare import add_parser as add_compare
from ._csv import (
    DEFAULT_NA_VALUES,
    NUMBER,
    Reader,
    has_number,
    open_output,
    parse_column,
    records,
    rewrite,
)
from ._persistence import atomic_path, dump, load, to_dict
from ._registry import estimators
from ._version import __version__

# The command line's short name of each estimator of the registry.
_SHORT_NAMES = {
    "StandardScaler": "standard",
    "MinMaxScaler": "minmax",
    "MeanNormalizationScaler": "meannorm",
    "MaxAbsScaler": "maxabs",
    "MiniBatchStandardizer": "minibatch",
    "UnitLengthNormalizer": "unitlength",
    "LayerNormalizer": "layer",
}
SCALERS = {
    _SHORT_NAMES.get(name, name.lower()): cls for name, cls in estimators().items()
}
DEFAULT_CHUNKSIZE = 100_000


def main(argv=None):
    """Run the ``skscale`` command.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments after the program name; None reads ``sys.argv``.

    Returns
    -------
    status : int
        0 on success, 2 on bad input (after one line on stderr).

    Examples
    --------
    >>> from skscale._cli import main
    >>> main(["inspect", "no-such-file.json"])
    2
    """
    parser = _parser()
    try:
        with _terminated_on_sigterm():
            args = parser.parse_args(argv)
            with warnings.catch_warnings():
                warnings.simplefilter("once")
                # Python's own default: a ResourceWarning is for a program's
                # developers (such as a file the import system had open when
                # SIGTERM arrived), not a line for the user.
                warnings.simplefilter("ignore", ResourceWarning)
                warnings.showwarning = _show_warning
                return args.run(args)
    except _UsageError as exc:
        _error(str(exc))
    except KeyboardInterrupt:
        print("skscale: interrupted", file=sys.stderr)
        return 130
    except _Terminated:
        print("skscale: terminated", file=sys.stderr)
        return 128 + signal.SIGTERM
    except RecursionError:
        _error("the input is nested too deeply")
    except expected_errors() as exc:
        _error(describe(exc))
    return 2


class _Terminated(BaseException):
    """SIGTERM, raised so that every temporary file is removed on the way out."""


@contextmanager
def _terminated_on_sigterm():
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise _Terminated

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# -- the command line -----------------------------------------------------------


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise _UsageError(f"{message} (see '{self.prog} --help')")


def _parser():
    parser = _Parser(
        prog="skscale",
        description="Compare feature scalers, and fit and apply them to CSV or "
        "Parquet files in bounded memory.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    commands = parser.add_subparsers(
        title="commands", dest="command", required=True, metavar="COMMAND"
    )

    add_compare(commands)

    fit = commands.add_parser(
        "fit",
        help="fit a scaler on a CSV or Parquet file, chunk by chunk",
        description="Stream DATA in chunks through partial_fit and save the "
        "scaler as JSON. Without --columns, every numeric column of the whole "
        "file is scaled (a column whose values are all numbers or missing).",
    )
    fit.add_argument("data", metavar="DATA", help="CSV or Parquet file")
    fit.add_argument("--scaler", choices=SCALERS, required=True)
    choice = fit.add_mutually_exclusive_group()
    choice.add_argument("--columns", metavar="A,B,...", help="the columns to scale")
    choice.add_argument(
        "--exclude",
        metavar="A,B,...",
        help="scale every numeric column but these",
    )
    fit.add_argument(
        "--param",
        action="append",
        type=_param,
        default=[],
        metavar="NAME=VALUE",
        help="set a parameter of the scaler (repeatable), e.g. "
        "feature_range=-1,1 or momentum=0.1",
    )
    _add_reading(fit)
    fit.add_argument("-o", "--output", required=True, metavar="SCALER.json")
    fit.add_argument("--force", action="store_true", help="replace the output")
    fit.set_defaults(run=_fit)

    transform = commands.add_parser(
        "transform",
        help="apply a saved scaler to a CSV or Parquet file, chunk by chunk",
        description="Stream DATA in chunks through a saved scaler. The columns "
        "the scaler was fitted on are scaled in their place; every other "
        "column, and the header, pass through unchanged (for CSV, byte for byte).",
    )
    transform.add_argument("data", metavar="DATA", help="CSV or Parquet file")
    transform.add_argument("--scaler", required=True, metavar="SCALER.json")
    _add_reading(transform)
    transform.add_argument(
        "-o", "--output", required=True, metavar="OUT.csv|OUT.parquet"
    )
    transform.add_argument("--force", action="store_true", help="replace the output")
    transform.set_defaults(run=_transform)

    inspect = commands.add_parser(
        "inspect",
        help="print a saved scaler's parameters",
        description="Print a saved scaler's parameters and fitted values.",
    )
    inspect.add_argument("scaler", metavar="SCALER.json")
    inspect.set_defaults(run=_inspect)
    return parser


def _add_reading(parser):
    parser.add_argument(
        "--chunksize",
        type=int_at_least(1),
        default=DEFAULT_CHUNKSIZE,
        metavar="N",
        help=f"rows per chunk (default {DEFAULT_CHUNKSIZE}); the result does "
        "not depend on it",
    )
    parser.add_argument(
        "--sep",
        type=_separator,
        default=",",
        metavar="CHAR",
        help="the CSV field separator (default ','; 'tab' or '\\t' for a tab)",
    )
    parser.add_argument(
        "--na-values",
        action="append",
        default=[],
        metavar="A,B,...",
        help="more tokens that mark a missing value (repeatable), besides the "
        "empty field and pandas' defaults (NA, NaN, null, N/A, ...)",
    )
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show a progress bar on stderr (default: when stderr is a "
        "terminal; needs tqdm)",
    )


def _separator(text):
    if text in ("tab", "\\t"):
        return "\t"
    if len(text) != 1 or text in ('"', "\r", "\n"):
        raise argparse.ArgumentTypeError(
            f"expected one character other than a quote or a line break, got {text!r}"
        )
    return text


def _param(text):
    name, equals, value = text.partition("=")
    name = name.strip()
    if not equals or not name.isidentifier():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name, _value(value.strip())


def _value(text):
    """A parameter's value from its text: bool, None, int, float, tuple or str."""
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "none":
        return None
    if "," in text:
        return tuple(_value(part.strip()) for part in text.split(","))
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    if NUMBER.fullmatch(text):
        return float(text)
    return text


# -- errors and warnings --------------------------------------------------------


def _error(message):
    print(f"skscale: error: {' '.join(message.split())}", file=sys.stderr)


def _show_warning(message, category, filename, lineno, file=None, line=None):
    print(f"skscale: warning: {' '.join(str(message).split())}", file=sys.stderr)


# -- files ----------------------------------------------------------------------


def _na_values(args):
    extra = {token.strip() for text in args.na_values for token in text.split(",")}
    return DEFAULT_NA_VALUES | extra


def _name_list(text, option):
    names = [name.strip() for name in text.split(",")]
    if not all(names):
        raise ValueError(f"{option} has an empty name: {text!r}")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"{option} names {', '.join(repeated)} more than once")
    return names


def _positions(names, wanted, path, whose, scaled=True):
    """The position of each wanted column in the header ``names``, or an error
    (also for the name of a column to scale that is not text)."""
    missing = [name for name in wanted if name not in names]
    if missing:
        raise ValueError(
            f"{path} has no column {', '.join(map(repr, missing))}{whose}; its "
            f"columns are {', '.join(names)}"
        )
    positions = []
    for name in wanted:
        found = [j for j, other in enumerate(names) if other == name]
        if len(found) > 1:
            raise ValueError(
                f"{_header(path)} names {name!r} {len(found)} times "
                f"(columns {', '.join(str(j + 1) for j in found)}); give each "
                "column to scale a name of its own"
            )
        if scaled and not _is_text(name):
            raw = name.encode("utf-8", "surrogateescape")
            raise ValueError(
                f"{path}, line 1: the name of column {found[0] + 1}, {raw!r}, is "
                "not UTF-8 text; save the file as UTF-8, or choose the other "
                "columns with --columns"
            )
        positions.append(found[0])
    return positions


def _separator_hint(names):
    """A hint when the header reads as one column holding another separator."""
    if len(names) == 1:
        for sep, spelled in ((";", ";"), ("\t", "tab"), ("|", "|")):
            if sep in names[0]:
                return (
                    f" (its header is one column, {names[0]!r}: if {spelled!r} "
                    f"separates the fields, pass --sep {spelled!r})"
                )
    return ""


def _header(path):
    """Where a file names its columns: a CSV file's first line, or a Parquet
    file's schema."""
    if file_format(path) == "parquet":
        return f"{path}: the schema"
    return f"{path}, line 1: the header"


def _is_text(name):
    """Whether a header name is text: bytes that are not UTF-8 are read as lone
    surrogates, which neither the scaler's JSON nor a DataFrame's index takes."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _named_once(names, chosen, path, strict=True):
    """Whether the chosen columns have names of their own (else, if strict, why not)."""
    for j in chosen:
        if names[j] == "":
            if not strict:
                return False
            raise ValueError(
                f"{path}, line 1: column {j + 1} holds numbers but has no name; "
                "name it in the header, or choose the columns with --columns"
            )
        if not strict and not _is_text(names[j]):
            return False
    if not strict:
        chosen_names = [names[j] for j in chosen]
        return len(set(chosen_names)) == len(chosen_names)
    _positions(names, [names[j] for j in chosen], path, "")
    return True


@contextmanager
def _progress(total, label, wanted):
    """Yield a function that advances a progress bar on stderr, if there is one.

    The bar is shown when ``wanted`` (``--progress``), or, when it is None, when
    stderr is a terminal and tqdm is installed.
    """
    bar = None
    if wanted or (wanted is None and sys.stderr.isatty()):
        try:
            from tqdm import tqdm
        except ImportError:
            if wanted:
                raise ValueError(
                    "--progress needs tqdm: pip install tqdm (or skscale[cli])"
                ) from None
        else:
            bar = tqdm(
                total=total,
                desc=label,
                unit="rows",
                unit_scale=True,
                leave=False,
                file=sys.stderr,
            )
    try:
        yield (lambda n: None) if bar is None else bar.update
    finally:
        if bar is not None:
            bar.close()


# -- CSV files, as text -----------------------------------------------------------


def _columns(rows, width):
    """The columns of a list of records, as tuples of tokens."""
    return list(zip(*rows, strict=True)) if rows else [()] * width


def _classified(args, scaler, candidates, na):
    """Fit on the candidate columns whose tokens, over the whole file, are numbers.

    A column with a number and some other token is an error naming the first
    line of such a token; a column with no number is text, and passes through.
    One pass decides the columns and fits on those that look numeric in the
    first chunk; only if the file then tells otherwise (a column empty at first
    turns out text) is it read again to fit a fresh scaler on the right ones.
    Returns the fitted scaler, the positions of its columns and the number of
    rows.
    """
    numbers = dict.fromkeys(candidates, False)
    other = dict.fromkeys(candidates)
    guess = None  # the columns fitted in this pass, or False once wrong
    seen = 0
    with (
        Reader(args.data, args.sep) as reader,
        _progress(None, "fit", args.progress) as advance,
    ):
        names = reader.names
        for chunk in reader.chunks(args.chunksize):
            lines, rows = records(chunk)
            if not rows:
                continue
            columns = _columns(rows, len(names))
            parsed = {}
            for j in candidates:
                tokens = columns[j]
                if other[j] is not None and not has_number(tokens):
                    continue  # text so far, and still no number
                parsed[j] = column = parse_column(tokens, na)
                if column.other is not None and other[j] is None:
                    i, token = column.other
                    other[j] = (lines[i], token)
                numbers[j] = numbers[j] or column.numbers > 0
                if numbers[j] and other[j] is not None:
                    _mixed(reader, names[j], *other[j])
            if guess is None:
                guess = [j for j in candidates if other[j] is None]
                if not guess or not _named_once(names, guess, args.data, False):
                    guess = False
            if guess and all(other[j] is None for j in guess):
                features = _frame(reader, lines, rows, parsed, guess)
                with about(reader.where(chunk.lines[0])):
                    scaler.partial_fit(features)
            else:
                guess = False
            seen += len(rows)
            advance(len(rows))
    positions = [j for j in candidates if numbers[j]]
    if not positions:
        raise ValueError(
            f"{args.data} has no numeric column to scale{_separator_hint(names)}"
        )
    _named_once(names, positions, args.data)
    if guess != positions:
        from sklearn.base import clone

        scaler = clone(scaler)
        seen = _fit_columns(args, scaler, positions, na, ("", ""))
    return scaler, positions, seen


def _mixed(reader, name, line, token):
    raise ValueError(
        f"{reader.where(line)}, column {name!r}: {token!r} is not a number, and "
        f"other values of the column are; pass --na-values "
        f"{token.strip() or repr(token)} if it marks a missing value, or leave "
        f"the column out with --exclude {name} (or --columns)"
    )


def _frame(reader, lines, rows, parsed, positions):
    """The parsed columns at ``positions`` as a float DataFrame."""
    import pandas as pd

    data = {}
    for j in positions:
        values = parsed[j].values
        infinite = np.isinf(values)
        if infinite.any():
            i = int(np.argmax(infinite))
            raise ValueError(
                f"{reader.where(lines[i])}, column {reader.names[j]!r}: "
                f"{rows[i][j]!r} is infinite; only finite numbers can be scaled"
            )
        data[reader.names[j]] = values
    return pd.DataFrame(data, copy=False)


def _csv_features(reader, chunk, positions, na, hint):
    """The scaled columns of a chunk as a float DataFrame, and where each is NaN."""
    lines, rows = records(chunk)
    columns = _columns(rows, len(reader.names))
    parsed = {}
    for j in positions:
        parsed[j] = column = parse_column(columns[j], na)
        if column.other is not None:
            i, token = column.other
            # A column of text gets the advice for text, one of numbers the
            # advice for a stray token.
            advice = hint[column.numbers > 0].format(token.strip() or repr(token))
            raise ValueError(
                f"{reader.where(lines[i])}, column {reader.names[j]!r}: {token!r} "
                f"is not a number; {advice}"
            )
    frame = _frame(reader, lines, rows, parsed, positions)
    return frame, [np.isnan(parsed[j].values) for j in positions]


def _fit_columns(args, scaler, positions, na, hint):
    """partial_fit the scaler on the columns at ``positions``; the rows seen."""
    seen = 0
    with (
        Reader(args.data, args.sep) as reader,
        _progress(None, "fit", args.progress) as advance,
    ):
        for chunk in reader.chunks(args.chunksize):
            features, _ = _csv_features(reader, chunk, positions, na, hint)
            if len(features):
                with about(reader.where(chunk.lines[0])):
                    scaler.partial_fit(features)
            seen += len(features)
            advance(len(features))
    return seen


def _fit_csv(args, scaler):
    na = _na_values(args)
    with Reader(args.data, args.sep) as reader:
        names = reader.names
    if args.columns is not None:
        positions = _positions(
            names, _name_list(args.columns, "--columns"), args.data, ""
        )
        hint = (
            "leave the column out of --columns",
            "pass --na-values {} if it marks a missing value, or leave the "
            "column out of --columns",
        )
        seen = _fit_columns(args, scaler, positions, na, hint)
        return scaler, [names[j] for j in positions], seen
    else:
        excluded = []
        if args.exclude is not None:
            excluded = _name_list(args.exclude, "--exclude")
            _positions(names, excluded, args.data, " (named by --exclude)", False)
        candidates = [j for j, name in enumerate(names) if name not in excluded]
        scaler, positions, seen = _classified(args, scaler, candidates, na)
    return scaler, [names[j] for j in positions], seen


def _transform_csv(args, scaler, names, out_kind):
    na = _na_values(args)
    hint = (
        "the scaler was fitted on this column, which holds text here",
        "the scaler was fitted on this column: fix the value, or pass "
        "--na-values {} if it marks a missing value",
    )
    seen = 0
    with Reader(args.data, args.sep) as reader:
        whose = f", which the scaler in {args.scaler} was fitted on"
        positions = _positions(reader.names, names, args.data, whose)
        with (
            atomic_path(args.output) as temporary,
            _csv_sink(out_kind, temporary, reader, positions) as write,
            _progress(None, "transform", args.progress) as advance,
        ):
            for chunk in reader.chunks(args.chunksize):
                features, nan = _csv_features(reader, chunk, positions, na, hint)
                scaled = np.empty((0, len(positions)))
                if len(features):
                    with about(reader.where(chunk.lines[0])):
                        scaled = scaler.transform(features)
                write(chunk, np.asarray(scaled, dtype=np.float64), nan)
                seen += len(features)
                advance(len(features))
            if seen == 0:
                raise ValueError(f"{args.data} has no rows to transform")
        width = len(reader.names)
    return seen, width


@contextmanager
def _csv_sink(kind, path, reader, positions):
    """Yield a function that writes a transformed chunk of a CSV file.

    To CSV, each record is its raw text with the scaled fields replaced (a
    missing value keeps its token); to Parquet, the scaled columns are float64
    (null where missing) and the others strings, as read.
    """
    if kind == "csv":
        with open_output(path) as out:
            out.write(reader.header)

            def write(chunk, scaled, nan):
                texts = [
                    [None if missing else repr(value) for value, missing in pair]
                    for pair in (
                        zip(column, nan_of, strict=True)
                        for column, nan_of in zip(scaled.T.tolist(), nan, strict=True)
                    )
                ]
                k = 0
                lines = []
                for row, raw in zip(chunk.rows, chunk.raw, strict=True):
                    if row is None:
                        lines.append(raw)
                        continue
                    replace = {}
                    for t, j in enumerate(positions):
                        if texts[t][k] is not None:
                            replace[j] = texts[t][k]
                    lines.append(rewrite(raw, reader.sep, replace))
                    k += 1
                out.write("".join(lines))

            yield write
        return
    repeated = sorted({name for name in reader.names if reader.names.count(name) > 1})
    if repeated:
        raise ValueError(
            f"{reader.where(1)}: the header repeats {', '.join(map(repr, repeated))}, "
            "and a Parquet file cannot hold two columns of one name; write CSV "
            "(-o OUT.csv), which keeps the header as it is"
        )
    pa, pq = import_pyarrow()
    state = {}

    def write(chunk, scaled, nan):
        _, rows = records(chunk)
        arrays = []
        for j in range(len(reader.names)):
            if j in positions:
                t = positions.index(j)
                arrays.append(pa.array(scaled[:, t], mask=nan[t]))
            else:
                arrays.append(pa.array([row[j] for row in rows], type=pa.string()))
        table = pa.Table.from_arrays(arrays, names=reader.names)
        if "writer" not in state:
            state["writer"] = pq.ParquetWriter(path, table.schema)
        state["writer"].write_table(table)

    try:
        yield write
    finally:
        if "writer" in state:
            state["writer"].close()


# -- Parquet files ----------------------------------------------------------------


def _parquet_schema(path):
    with about(path):
        return import_pyarrow()[1].ParquetFile(path).schema_arrow


def _parquet_chunks(path, chunksize, columns=None):
    """The number of rows and an iterator over the file's chunks as DataFrames.

    The columns get Arrow dtypes, so that integers with nulls stay integers when
    passed through.
    """
    import pandas as pd

    with about(path):
        parquet = import_pyarrow()[1].ParquetFile(path)
    batches = parquet.iter_batches(batch_size=chunksize, columns=columns)
    return parquet.metadata.num_rows, _named(
        path, (batch.to_pandas(types_mapper=pd.ArrowDtype) for batch in batches)
    )


def _named(path, chunks):
    """The chunks of ``path``; an error while reading one names the file."""
    while True:
        with about(path):
            chunk = next(chunks, None)
        if chunk is None:
            return
        yield chunk


def _parquet_features(chunk, columns, where):
    """The chosen columns of a chunk as a float DataFrame, NaN where missing."""
    import pandas as pd

    data = {}
    for name in columns:
        column = chunk[name]
        if not is_numeric(column.dtype):
            raise ValueError(
                f"{where}: column {name!r} is not numeric ({column.dtype})"
            )
        dtype = getattr(column.dtype, "numpy_dtype", column.dtype)
        if np.dtype(dtype).kind != "f":
            dtype = np.float64
        data[name] = column.to_numpy(dtype=dtype, na_value=np.nan)
    return pd.DataFrame(data, copy=False)


def _rows(path, start, stop):
    return f"{path}, rows {start + 1}-{stop}"


def _fit_parquet(args, scaler):
    import pandas as pd

    schema = _parquet_schema(args.data)
    names = list(schema.names)
    if args.columns is not None:
        columns = _name_list(args.columns, "--columns")
        _positions(names, columns, args.data, "")
    else:
        excluded = []
        if args.exclude is not None:
            excluded = _name_list(args.exclude, "--exclude")
            _positions(names, excluded, args.data, " (named by --exclude)", False)
        columns = [
            field.name
            for field in schema
            if field.name not in excluded and is_numeric(pd.ArrowDtype(field.type))
        ]
        if not columns:
            raise ValueError(f"{args.data} has no numeric column to scale")
    _positions(names, columns, args.data, "")
    total, chunks = _parquet_chunks(args.data, args.chunksize, columns)
    seen = 0
    with _progress(total, "fit", args.progress) as advance:
        for chunk, where, features in _parquet_batches(args.data, chunks, columns):
            with about(where):
                scaler.partial_fit(features)
            seen += len(chunk)
            advance(len(chunk))
    return columns, seen


def _parquet_batches(path, chunks, columns):
    """Each non-empty chunk, the rows it holds (for errors) and its features."""
    seen = 0
    for chunk in chunks:
        if len(chunk) == 0:
            continue
        where = _rows(path, seen, seen + len(chunk))
        yield chunk, where, _parquet_features(chunk, columns, where)
        seen += len(chunk)


def _scaled(original, values):
    """A transformed column, keeping the original's missing-value kind."""
    import pandas as pd

    if isinstance(original.dtype, pd.ArrowDtype):
        pa = import_pyarrow()[0]
        # Arrow tells null (missing) from NaN (a float value): keep nulls null.
        mask = original.isna().to_numpy(dtype=bool)
        return pd.arrays.ArrowExtensionArray(pa.array(values, mask=mask))
    return values


@contextmanager
def _frame_writer(kind, path):
    """Yield a function that appends a DataFrame chunk to a CSV or Parquet file."""
    if kind == "csv":
        with open_output(path) as f:
            header = [True]

            def write(frame):
                frame.to_csv(f, header=header[0], index=False)
                header[0] = False

            yield write
        return
    pa, pq = import_pyarrow()
    state = {}

    def write(frame):
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if "writer" not in state:
            state["writer"] = pq.ParquetWriter(path, table.schema)
        schema = state["writer"].schema
        if not table.schema.equals(schema, check_metadata=False):
            table = _cast(table, schema, pa)
        state["writer"].write_table(table)

    try:
        yield write
    finally:
        if "writer" in state:
            state["writer"].close()


def _cast(table, schema, pa):
    """Cast a chunk to the schema of the first one, or say which column differs."""
    try:
        return table.cast(schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        changed = [
            f"{field.name!r} is {field.type} here but {schema.field(field.name).type} "
            "in the first chunk"
            for field in table.schema
            if field.type != schema.field(field.name).type
        ]
        raise ValueError(
            f"cannot write one Parquet schema: column {'; '.join(changed)}; give "
            "a larger --chunksize (or write CSV)"
        ) from None


def _transform_parquet(args, scaler, names, out_kind):
    header = list(_parquet_schema(args.data).names)
    whose = f", which the scaler in {args.scaler} was fitted on"
    _positions(header, names, args.data, whose)
    total, chunks = _parquet_chunks(args.data, args.chunksize)
    seen = 0
    with (
        atomic_path(args.output) as temporary,
        _frame_writer(out_kind, temporary) as write,
        _progress(total, "transform", args.progress) as advance,
    ):
        for chunk, where, features in _parquet_batches(args.data, chunks, names):
            with about(where):
                scaled = scaler.transform(features)
            out = chunk.copy(deep=False)
            for j, name in enumerate(names):
                out[name] = _scaled(chunk[name], scaled[:, j])
            write(out)
            seen += len(chunk)
            advance(len(chunk))
        if seen == 0:
            raise ValueError(f"{args.data} has no rows to transform")
    return seen, len(header)


# -- skscale fit ----------------------------------------------------------------


def _check_fit_output(args):
    name = os.path.basename(args.output).lower()
    if name.endswith(DATA_SUFFIXES):
        raise ValueError(
            f"-o {args.output!r} has a data file's extension; the scaler is saved "
            "as JSON: give a name such as scaler.json"
        )
    both = os.path.exists(args.output) and os.path.exists(args.data)
    if both and os.path.samefile(args.output, args.data):
        raise ValueError(
            f"-o {args.output!r} is the data file; give another name, such "
            "as scaler.json"
        )
    check_output(args.output, args.force)


def _make_scaler(args):
    cls = SCALERS[args.scaler]
    scaler = cls()
    valid = scaler.get_params()
    params = {}
    for name, value in args.param:
        if name not in valid:
            raise ValueError(
                f"--param {name}: {cls.__name__} has no such parameter; its "
                f"parameters are {', '.join(sorted(valid))}"
            )
        if name in params:
            raise ValueError(f"--param {name} is given more than once")
        params[name] = value
    scaler.set_params(**params)
    try:
        scaler._check_params()
    except (TypeError, ValueError) as exc:
        raise ValueError(f"--param: {exc}") from None
    return scaler


def _fit(args):
    _check_fit_output(args)
    kind = check_input(args.data)
    scaler = _make_scaler(args)
    if kind == "csv":
        scaler, columns, seen = _fit_csv(args, scaler)
    else:
        columns, seen = _fit_parquet(args, scaler)
    if seen == 0:
        raise ValueError(f"{args.data} has no rows to fit on")
    dump(scaler, args.output)
    print(
        f"{type(scaler).__name__} fitted on {_count(seen, 'row')} of "
        f"{_count(len(columns), 'column')} ({', '.join(columns)}), saved to "
        f"{args.output}"
    )
    return 0


# -- skscale transform ----------------------------------------------------------


def _load_scaler(path):
    if not os.path.lexists(path):
        raise ValueError(f"no such scaler file: {path!r}")
    return load(path)  # refuses what is not a regular file, saying what it is


def _transform(args):
    out_kind = file_format(args.output, output=True)
    check_output(args.output, args.force)
    kind = check_input(args.data)
    scaler = _load_scaler(args.scaler)
    if not hasattr(scaler, "n_features_in_"):
        raise ValueError(f"{args.scaler}: the scaler is not fitted")
    names = getattr(scaler, "feature_names_in_", None)
    if names is None:
        raise ValueError(
            f"{args.scaler}: the scaler was fitted on an array, without column "
            "names; fit it on named columns (skscale fit, or a DataFrame)"
        )
    names = [str(name) for name in names]
    if kind == "csv":
        seen, width = _transform_csv(args, scaler, names, out_kind)
    else:
        seen, width = _transform_parquet(args, scaler, names, out_kind)
    print(
        f"{_count(seen, 'row')} transformed by {type(scaler).__name__} "
        f"({len(names)} of {_count(width, 'column')}), saved to {args.output}"
    )
    return 0


def _count(n, noun):
    """``1 row``, ``2 rows``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


# -- skscale inspect ------------------------------------------------------------


def _inspect(args):
    scaler = _load_scaler(args.scaler)
    print(repr(scaler))
    if not hasattr(scaler, "n_features_in_"):
        print("not fitted")
        return 0
    n = scaler.n_features_in_
    names = getattr(scaler, "feature_names_in_", None)
    names = [f"x{j}" for j in range(n)] if names is None else [str(s) for s in names]
    fitted = to_dict(scaler)["fitted"]
    if "stats" not in fitted:
        print(f"stateless; fitted on {n} features: {', '.join(names)}")
        return 0
    batches = getattr(scaler, "n_batches_seen_", None)
    batches = "" if batches is None else f" in {batches} batches"
    print(f"fitted on {scaler.n_samples_seen_} rows{batches}, {n} features")
    arrays = {"count": fitted["stats"]["count"], **fitted["attributes"]}
    header = ["feature", *arrays]
    rows = [
        [name, *(_cell(values[j]) for values in arrays.values())]
        for j, name in enumerate(names)
    ]
    print(text_table(header, rows, left={0}))
    return 0


def _cell(value):
    if isinstance(value, int):
        return str(value)
    return repr(float(value))


if __name__ == "__main__":
    raise SystemExit(main())
