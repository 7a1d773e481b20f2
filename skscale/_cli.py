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
from ._max_abs_scaler import MaxAbsScaler
from ._mean_normalization_scaler import MeanNormalizationScaler
from ._min_max_scaler import MinMaxScaler
from ._minibatch_standardizer import MiniBatchStandardizer
from ._persistence import _CLASSES, _public_arrays, atomic_path, dump, load
from ._standard_scaler import StandardScaler

SCALERS = {
    "standard": StandardScaler,
    "minmax": MinMaxScaler,
    "meannorm": MeanNormalizationScaler,
    "maxabs": MaxAbsScaler,
    "minibatch": MiniBatchStandardizer,
}
MODELS = ("logistic", "ridge", "svm", "knn")
DEFAULT_CHUNKSIZE = 100_000
_COMPRESSED_CSV = tuple(
    ".csv" + suffix for suffix in ("", ".gz", ".bz2", ".xz", ".zip", ".zst")
)


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
    except _expected_errors() as exc:
        _error(_describe(exc))
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

    compare = commands.add_parser(
        "compare",
        help="cross-validate a model behind every scaler, and behind none",
        description="Cross-validated grid search over every skscale scaler (and "
        "no scaling) in a pipeline with a model; prints a ranked table. Without "
        "DATA, uses scikit-learn's bundled wine data.",
    )
    compare.add_argument("data", nargs="?", metavar="DATA", help="CSV or Parquet file")
    compare.add_argument("--target", metavar="COL", help="the column to predict")
    compare.add_argument("--model", choices=MODELS, default="logistic")
    compare.add_argument("--cv", type=_int_at_least(2), default=5, metavar="K")
    compare.add_argument("--plot", metavar="PNG", help="save a bar chart (matplotlib)")
    compare.add_argument("--force", action="store_true", help="replace --plot's file")
    compare.set_defaults(run=_compare)

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
        type=_int_at_least(1),
        default=DEFAULT_CHUNKSIZE,
        metavar="N",
        help=f"rows per chunk (default {DEFAULT_CHUNKSIZE})",
    )


def _int_at_least(low):
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


# -- errors and warnings --------------------------------------------------------


def _expected_errors():
    """Exceptions that mean bad input (a bug still shows its traceback)."""
    errors = [OSError, ValueError]
    pyarrow = sys.modules.get("pyarrow")
    if pyarrow is not None:
        errors.append(pyarrow.ArrowException)
    return tuple(errors)


def _describe(exc):
    if isinstance(exc, OSError) and exc.strerror and exc.filename:
        return f"{exc.strerror}: {exc.filename!r}"
    return str(exc) or type(exc).__name__


def _error(message):
    print(f"skscale: error: {' '.join(message.split())}", file=sys.stderr)


def _show_warning(message, category, filename, lineno, file=None, line=None):
    print(f"skscale: warning: {' '.join(str(message).split())}", file=sys.stderr)


# -- files ----------------------------------------------------------------------


def _format(path, *, output=False):
    name = os.fspath(path).lower()
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if name.endswith(".csv" if output else _COMPRESSED_CSV):
        return "csv"
    raise ValueError(
        f"cannot tell the format of {os.fspath(path)!r} from its name: use a "
        ".csv or .parquet file"
    )


def _check_input(path):
    if not os.path.exists(path):
        raise ValueError(f"no such file: {path!r}")
    if os.path.isdir(path):
        raise ValueError(f"{path!r} is a folder, not a file")
    return _format(path)


def _check_output(path, force):
    if os.path.isdir(path):
        raise ValueError(f"{path!r} is a folder; give a file name")
    if os.path.exists(path) and not force:
        raise ValueError(f"{path!r} exists; pass --force to replace it")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ValueError(f"no such folder: {folder!r}")


def _pyarrow():
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise ValueError(
            "Parquet files need pyarrow: pip install pyarrow (or skscale[cli])"
        ) from None
    return pyarrow, pyarrow.parquet


def _columns_of(path, kind):
    """The column names of a file, read from its header or schema only."""
    import pandas as pd

    with _about(path):
        if kind == "csv":
            names = list(pd.read_csv(path, nrows=0).columns)
        else:
            names = list(_pyarrow()[1].ParquetFile(path).schema_arrow.names)
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
    with _about(path):
        parquet = _pyarrow()[1].ParquetFile(path)
    batches = parquet.iter_batches(batch_size=chunksize, columns=columns)
    return parquet.metadata.num_rows, _named(
        path, (batch.to_pandas(types_mapper=pd.ArrowDtype) for batch in batches)
    )


@contextmanager
def _about(path):
    """Prefix the message of a reading error with the file it is about."""
    try:
        yield
    except _expected_errors() as exc:
        raise ValueError(f"{path}: {_describe(exc)}") from exc


def _named(path, chunks):
    """The chunks of ``path``; an error while reading one names the file."""
    while True:
        with _about(path):
            chunk = next(chunks, None)
        if chunk is None:
            return
        yield chunk


def _is_numeric(dtype):
    return getattr(dtype, "kind", "O") in "iuf"


def _features(chunk, columns, where):
    """The chosen columns of a chunk as a float DataFrame, NaN where missing."""
    import pandas as pd

    data = {}
    for name in columns:
        column = chunk[name]
        if not _is_numeric(column.dtype):
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
        pa = _pyarrow()[0]
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
    pa, pq = _pyarrow()
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
    _check_output(args.output, args.force)
    kind = _check_input(args.data)
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
                columns = [c for c in chunk.columns if _is_numeric(chunk[c].dtype)]
                if not columns:
                    raise ValueError(f"{args.data} has no numeric column to scale")
            where = _rows(args.data, seen, seen + len(chunk))
            features = _features(chunk, columns, where)
            with _about(where):
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
    out_kind = _format(args.output, output=True)
    _check_output(args.output, args.force)
    kind = _check_input(args.data)
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
            with _about(where):
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
    print(_table(header, rows, left={0}))
    return 0


def _cell(value):
    if isinstance(value, np.integer):
        return str(int(value))
    return repr(float(value))


def _table(header, rows, left):
    """A plain-text table; the columns numbered in ``left`` are left-aligned."""
    widths = [max(len(row[k]) for row in [header, *rows]) for k in range(len(header))]

    def line(cells):
        return "  ".join(
            cell.ljust(w) if k in left else cell.rjust(w)
            for k, (cell, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join(line(cells) for cells in [header, *rows])


# -- skscale compare ------------------------------------------------------------


def make_model(name, task):
    """The model ``--model name`` stands for, for a classification or regression."""
    from sklearn.linear_model import LogisticRegression, Ridge, RidgeClassifier
    from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
    from sklearn.svm import SVC, SVR

    models = {
        "classification": {
            "logistic": LogisticRegression(),
            "ridge": RidgeClassifier(),
            "svm": SVC(),
            "knn": KNeighborsClassifier(),
        },
        "regression": {"ridge": Ridge(), "svm": SVR(), "knn": KNeighborsRegressor()},
    }[task]
    if name not in models:
        raise ValueError(
            f"--model {name} needs a categorical target, and this one is "
            f"continuous: use {', '.join(models)}"
        )
    return models[name]


def make_cv(k, task):
    """The ``k``-fold splitter of ``--cv k``: shuffled once, with a fixed seed."""
    from sklearn.model_selection import KFold, StratifiedKFold

    splitter = StratifiedKFold if task == "classification" else KFold
    return splitter(n_splits=k, shuffle=True, random_state=0)


def scalings():
    """What ``compare`` tries: no scaling, then every skscale estimator."""
    return ["passthrough", *(cls() for _, cls in sorted(_CLASSES.items()))]


def _compare_data(args):
    import pandas as pd

    if args.data is None:
        if args.target is not None:
            raise ValueError("--target names a column of DATA; give DATA too")
        from sklearn.datasets import load_wine

        X, y = load_wine(return_X_y=True, as_frame=True)
        return X, y, "scikit-learn's wine data"
    if args.target is None:
        raise ValueError("DATA needs --target COL, the column to predict")
    kind = _check_input(args.data)
    frame = pd.read_csv(args.data) if kind == "csv" else pd.read_parquet(args.data)
    if args.target not in frame.columns:
        raise ValueError(
            f"{args.data} has no column {args.target!r}; its columns are "
            f"{', '.join(map(str, frame.columns))}"
        )
    y = frame[args.target]
    features = [c for c in frame.columns if c != args.target]
    ignored = [str(c) for c in features if not _is_numeric(frame[c].dtype)]
    features = [c for c in features if _is_numeric(frame[c].dtype)]
    if not features:
        raise ValueError(f"{args.data} has no numeric column besides the target")
    if ignored:
        source = f"{args.data} (non-numeric columns ignored: {', '.join(ignored)})"
    else:
        source = args.data
    X = frame[features]
    for name, column in [(args.target, y), *X.items()]:
        missing = int(column.isna().sum())
        if missing:
            raise ValueError(
                f"{args.data}: column {name!r} has {missing} missing values; "
                "compare needs complete rows (the models do not take NaN)"
            )
    return X, y, source


def _task(y, name):
    from sklearn.utils.multiclass import type_of_target

    kind = type_of_target(y.to_numpy())
    if kind == "continuous":
        return "regression"
    if kind in ("binary", "multiclass"):
        return "classification"
    raise ValueError(f"cannot predict target {name!r}: scikit-learn reads it as {kind}")


def _compare(args):
    if args.plot is not None:
        _check_output(args.plot, args.force)
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise ValueError(
                "--plot needs matplotlib: pip install matplotlib"
            ) from None
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline

    X, y, source = _compare_data(args)
    target = y.name if args.target is None else args.target
    task = _task(y, target)
    model = make_model(args.model, task)
    search = GridSearchCV(
        Pipeline([("scale", "passthrough"), ("model", model)]),
        {"scale": scalings()},
        cv=make_cv(args.cv, task),
        refit=False,
        error_score="raise",
    )
    with warnings.catch_warnings():
        # Without scaling, the solvers may not converge: that is the point.
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, y)

    metric = "accuracy" if task == "classification" else "R^2"
    results = search.cv_results_
    order = sorted(
        range(len(results["params"])),
        key=lambda i: (results["rank_test_score"][i], -results["mean_test_score"][i]),
    )
    labels = [_label(results["params"][i]["scale"]) for i in order]
    means = [float(results["mean_test_score"][i]) for i in order]
    stds = [float(results["std_test_score"][i]) for i in order]
    rows = [
        [
            str(results["rank_test_score"][i]),
            label,
            f"{mean:.3f} +- {std:.3f}",
            f"{1000 * results['mean_fit_time'][i]:.1f} ms",
        ]
        for i, label, mean, std in zip(order, labels, means, stds, strict=True)
    ]
    classes = f", {y.nunique()} classes" if task == "classification" else ""
    print(f"data: {source}, {len(X)} rows, {X.shape[1]} features")
    print(f"target: {target!r} ({task}{classes})")
    print(f"model: {model!r}, {args.cv}-fold cross-validated {metric}")
    print()
    print(_table(["rank", "scaling", metric, "fit time"], rows, left={1}))
    if args.plot is not None:
        name = "wine data" if args.data is None else os.path.basename(args.data)
        title = f"{type(model).__name__} on {name}"
        _plot(args.plot, labels, means, stds, title, f"{args.cv}-fold CV {metric}")
        print(f"\nchart saved to {args.plot}")
    return 0


def _label(scaling):
    return "none" if scaling == "passthrough" else type(scaling).__name__


def _plot(path, labels, means, stds, title, xlabel):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 1.2 + 0.4 * len(labels)), layout="constrained")
    axes = figure.add_subplot()
    # Best at the top.
    axes.barh(labels[::-1], means[::-1], xerr=stds[::-1], capsize=3, color="C0")
    axes.set_xlabel(f"{xlabel} (mean and std over folds)")
    axes.set_title(title)
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png", dpi=100)


if __name__ == "__main__":
    raise SystemExit(main())
