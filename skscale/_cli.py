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
import sys
import warnings
from contextlib import contextmanager

import numpy as np

from ._base import _ColumnScaler
from ._cli_common import (
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
from ._max_abs_scaler import MaxAbsScaler
from ._mean_normalization_scaler import MeanNormalizationScaler
from ._min_max_scaler import MinMaxScaler
from ._minibatch_standardizer import MiniBatchStandardizer
from ._persistence import _public_arrays, atomic_path, dump, load
from ._standard_scaler import StandardScaler

SCALERS = {
    "standard": StandardScaler,
    "minmax": MinMaxScaler,
    "meannorm": MeanNormalizationScaler,
    "maxabs": MaxAbsScaler,
    "minibatch": MiniBatchStandardizer,
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
        args = parser.parse_args(argv)
        with warnings.catch_warnings():
            warnings.simplefilter("once")
            warnings.showwarning = _show_warning
            return args.run(args)
    except _UsageError as exc:
        _error(str(exc))
    except KeyboardInterrupt:
        print("skscale: interrupted", file=sys.stderr)
        return 130
    except expected_errors() as exc:
        _error(describe(exc))
    return 2


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
    commands = parser.add_subparsers(
        title="commands", dest="command", required=True, metavar="COMMAND"
    )

    add_compare(commands)

    fit = commands.add_parser(
        "fit",
        help="fit a scaler on a CSV or Parquet file, chunk by chunk",
        description="Stream DATA in chunks through partial_fit and save the scaler "
        "as JSON. Without --columns, every numeric column is scaled.",
    )
    fit.add_argument("data", metavar="DATA", help="CSV or Parquet file")
    fit.add_argument("--scaler", choices=SCALERS, required=True)
    fit.add_argument("--columns", metavar="A,B,...", help="the columns to scale")
    _add_chunksize(fit)
    fit.add_argument("-o", "--output", required=True, metavar="SCALER.json")
    fit.add_argument("--force", action="store_true", help="replace the output")
    fit.set_defaults(run=_fit)

    transform = commands.add_parser(
        "transform",
        help="apply a saved scaler to a CSV or Parquet file, chunk by chunk",
        description="Stream DATA in chunks through a saved scaler. Columns the "
        "scaler was not fitted on pass through unchanged, in their place.",
    )
    transform.add_argument("data", metavar="DATA", help="CSV or Parquet file")
    transform.add_argument("--scaler", required=True, metavar="SCALER.json")
    _add_chunksize(transform)
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


def _add_chunksize(parser):
    parser.add_argument(
        "--chunksize",
        type=int_at_least(1),
        default=DEFAULT_CHUNKSIZE,
        metavar="N",
        help=f"rows per chunk (default {DEFAULT_CHUNKSIZE})",
    )


# -- errors and warnings --------------------------------------------------------


def _error(message):
    print(f"skscale: error: {' '.join(message.split())}", file=sys.stderr)


def _show_warning(message, category, filename, lineno, file=None, line=None):
    print(f"skscale: warning: {' '.join(str(message).split())}", file=sys.stderr)


# -- files ----------------------------------------------------------------------


def _columns_of(path, kind):
    """The column names of a file, read from its header or schema only."""
    import pandas as pd

    with about(path):
        if kind == "csv":
            names = list(pd.read_csv(path, nrows=0).columns)
        else:
            names = list(import_pyarrow()[1].ParquetFile(path).schema_arrow.names)
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"{path}: repeated column names: {', '.join(repeated)}")
    return names


def _read_chunks(path, kind, chunksize, columns=None):
    """The number of rows (None if unknown) and an iterator over DataFrame chunks.

    CSV columns get pandas' nullable dtypes and Parquet columns Arrow dtypes, so
    that integer columns with missing values stay integers when passed through.
    """
    import pandas as pd

    if kind == "csv":

        def chunks():
            with pd.read_csv(
                path,
                chunksize=chunksize,
                usecols=columns,
                dtype_backend="numpy_nullable",
            ) as reader:
                yield from reader

        return None, _named(path, chunks())
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


def _features(chunk, columns, where):
    """The chosen columns of a chunk as a float DataFrame, NaN where missing."""
    import pandas as pd

    data = {}
    for name in columns:
        column = chunk[name]
        if not is_numeric(column.dtype):
            raise ValueError(
                f"{where}: column {name!r} is not numeric ({column.dtype}); "
                "choose the numeric columns to scale with --columns"
            )
        dtype = getattr(column.dtype, "numpy_dtype", column.dtype)
        if np.dtype(dtype).kind != "f":
            dtype = np.float64
        data[name] = column.to_numpy(dtype=dtype, na_value=np.nan)
    return pd.DataFrame(data, copy=False)


def _rows(path, start, stop):
    return f"{path}, rows {start + 1}-{stop}"


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
def _writer(kind, path):
    """Yield a function that appends a DataFrame chunk to a CSV or Parquet file."""
    if kind == "csv":
        with open(path, "w", newline="", encoding="utf-8") as f:
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


@contextmanager
def _progress(total, label):
    """Yield a function that advances a progress bar on stderr, if there is one.

    The bar is shown only when stderr is a terminal and tqdm is installed.
    """
    bar = None
    if sys.stderr.isatty():
        try:
            from tqdm import tqdm
        except ImportError:
            pass
        else:
            bar = tqdm(
                total=total, desc=label, unit="rows", unit_scale=True, leave=False
            )
    try:
        yield (lambda n: None) if bar is None else bar.update
    finally:
        if bar is not None:
            bar.close()


def _column_list(text, header, path):
    columns = [name.strip() for name in text.split(",")]
    if not all(columns):
        raise ValueError(f"--columns has an empty name: {text!r}")
    repeated = sorted({name for name in columns if columns.count(name) > 1})
    if repeated:
        raise ValueError(f"--columns names {', '.join(repeated)} more than once")
    missing = [name for name in columns if name not in header]
    if missing:
        raise ValueError(
            f"{path} has no column {', '.join(map(repr, missing))}; its columns "
            f"are {', '.join(header)}"
        )
    return columns


# -- skscale fit ----------------------------------------------------------------


def _fit(args):
    check_output(args.output, args.force)
    kind = check_input(args.data)
    header = _columns_of(args.data, kind)
    columns = None
    if args.columns is not None:
        columns = _column_list(args.columns, header, args.data)
    scaler = SCALERS[args.scaler]()
    total, chunks = _read_chunks(args.data, kind, args.chunksize, columns)
    seen = 0
    with _progress(total, "fit") as advance:
        for chunk in chunks:
            if len(chunk) == 0:
                continue
            if columns is None:
                # Every column numeric in the first chunk.
                columns = [c for c in chunk.columns if is_numeric(chunk[c].dtype)]
                if not columns:
                    raise ValueError(f"{args.data} has no numeric column to scale")
            where = _rows(args.data, seen, seen + len(chunk))
            features = _features(chunk, columns, where)
            with about(where):
                scaler.partial_fit(features)
            seen += len(chunk)
            advance(len(chunk))
    if seen == 0:
        raise ValueError(f"{args.data} has no rows to fit on")
    dump(scaler, args.output)
    print(
        f"{type(scaler).__name__} fitted on {seen} rows of {len(columns)} columns "
        f"({', '.join(columns)}), saved to {args.output}"
    )
    return 0


# -- skscale transform ----------------------------------------------------------


def _load_scaler(path):
    if not os.path.isfile(path):
        raise ValueError(f"no such scaler file: {path!r}")
    return load(path)


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
    header = _columns_of(args.data, kind)
    missing = [name for name in names if name not in header]
    if missing:
        raise ValueError(
            f"{args.data} has no column {', '.join(map(repr, missing))}, which "
            f"the scaler in {args.scaler} was fitted on"
        )
    total, chunks = _read_chunks(args.data, kind, args.chunksize)
    seen = 0
    with (
        atomic_path(args.output) as temporary,
        _writer(out_kind, temporary) as write,
        _progress(total, "transform") as advance,
    ):
        for chunk in chunks:
            if len(chunk) == 0:
                continue
            where = _rows(args.data, seen, seen + len(chunk))
            features = _features(chunk, names, where)
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
    print(
        f"{seen} rows transformed by {type(scaler).__name__} "
        f"({len(names)} of {len(header)} columns), saved to {args.output}"
    )
    return 0


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
    if not isinstance(scaler, _ColumnScaler):
        print(f"stateless; fitted on {n} features: {', '.join(names)}")
        return 0
    batches = getattr(scaler, "n_batches_seen_", None)
    batches = "" if batches is None else f" in {batches} batches"
    print(f"fitted on {scaler.n_samples_seen_} rows{batches}, {n} features")
    arrays = {"count": scaler.stats_.count, **_public_arrays(scaler)}
    header = ["feature", *arrays]
    rows = [
        [name, *(_cell(values[j]) for values in arrays.values())]
        for j, name in enumerate(names)
    ]
    print(text_table(header, rows, left={0}))
    return 0


def _cell(value):
    if isinstance(value, np.integer):
        return str(int(value))
    return repr(float(value))


if __name__ == "__main__":
    raise SystemExit(main())
