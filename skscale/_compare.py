"""``skscale compare``: cross-validate a model behind every scaler, and behind none.

The task is a classification or a regression, given by ``--task`` or detected
from the target (:func:`detect_task`); it decides the score (accuracy or R^2),
the default model and the splitter. The table ranks the scalings on the mean
score as printed, so equal printed means share a rank; the chart
(``--plot FILE``) is written in the format its file name says.
"""

import os
import warnings
from contextlib import contextmanager

import numpy as np

from ._cli_common import (
    about,
    check_input,
    check_output,
    import_pyarrow,
    int_at_least,
    is_numeric,
    text_table,
)
from ._csv import read_frame
from ._persistence import atomic_path
from ._registry import estimators

TASKS = ("classification", "regression")
MODELS = ("logistic", "ridge", "svm", "knn")
DEFAULT_MODEL = {"classification": "logistic", "regression": "ridge"}
METRICS = {"classification": "accuracy", "regression": "R^2"}
# A numeric target with more distinct values than this is a regression.
MAX_CLASSES = 20
# Writing PGF needs a LaTeX installation; the chart is for looking at.
_NOT_OFFERED = {"pgf"}


def add_parser(commands):
    """Add the ``compare`` subcommand to the subparsers ``commands``."""
    compare = commands.add_parser(
        "compare",
        help="cross-validate a model behind every scaler, and behind none",
        description="Cross-validate a model behind every skscale scaler (and "
        "behind no scaling) and print a table ranked by mean score: accuracy "
        "for a classification, R^2 for a regression. Scalings whose printed "
        "means are equal share a rank; the fit time is the mean time to fit "
        "the scaling and the model on one training fold. Without DATA, uses "
        "scikit-learn's bundled wine data.",
    )
    compare.add_argument(
        "data",
        nargs="?",
        metavar="DATA",
        help="CSV or Parquet file; its numeric columns other than the target "
        "are the features",
    )
    compare.add_argument(
        "--target", metavar="COL", help="the column to predict (required with DATA)"
    )
    compare.add_argument(
        "--task",
        choices=("auto", *TASKS),
        default="auto",
        help="auto (the default): a numeric target with a non-integer value or "
        f"more than {MAX_CLASSES} distinct values is a regression, any other "
        "target a classification",
    )
    compare.add_argument(
        "--model",
        choices=MODELS,
        help="the model behind the scalers (default: logistic for a "
        "classification, ridge for a regression; logistic is a classifier only)",
    )
    compare.add_argument(
        "--cv", type=int_at_least(2), default=5, metavar="K", help="folds (default 5)"
    )
    compare.add_argument(
        "--plot",
        metavar="FILE",
        help="also save a chart of each scaling's mean score and its standard "
        "deviation over the folds, in the format of FILE's extension "
        "(png, svg, pdf, jpg, ...; needs matplotlib)",
    )
    compare.add_argument("--force", action="store_true", help="replace --plot's file")
    compare.set_defaults(run=run)
    return compare


def detect_task(y):
    """The task a target calls for: ``"classification"`` or ``"regression"``.

    A numeric target with a non-integer value or more than 20 distinct values
    is a regression; any other (text, booleans, a few integer values) is a
    classification.

    Examples
    --------
    >>> import pandas as pd
    >>> detect_task(pd.Series([151.0, 75.0, 141.0]))
    'classification'
    >>> detect_task(pd.Series([0.5, 1.0, 2.0]))
    'regression'
    >>> detect_task(pd.Series(range(21)))
    'regression'
    >>> detect_task(pd.Series(["a", "b"]))
    'classification'
    """
    if not is_numeric(y.dtype):
        return "classification"
    if _first_non_integer(y) is not None or y.nunique() > MAX_CLASSES:
        return "regression"
    return "classification"


def _first_non_integer(y):
    values = y.to_numpy(dtype=float)
    fractional = np.flatnonzero(np.mod(values, 1) != 0)
    return float(values[fractional[0]]) if fractional.size else None


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
            f"--model {name} is a classifier and the task is a regression: use "
            f"--model {', '.join(models)}, or --task classification"
        )
    return models[name]


def make_cv(k, task):
    """The ``k``-fold splitter of ``--cv k``: shuffled once, with a fixed seed."""
    from sklearn.model_selection import KFold, StratifiedKFold

    splitter = StratifiedKFold if task == "classification" else KFold
    return splitter(n_splits=k, shuffle=True, random_state=0)


def scalings():
    """What ``compare`` tries: no scaling, then every public skscale estimator."""
    return ["passthrough", *(cls() for cls in estimators().values())]


def plot_formats():
    """The ``--plot`` file extensions: matplotlib's writers, by extension."""
    from matplotlib.figure import Figure

    formats = Figure().canvas.get_supported_filetypes()
    return {ext: name for ext, name in formats.items() if ext not in _NOT_OFFERED}


def _plot_format(path):
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ValueError("--plot needs matplotlib: pip install matplotlib") from None
    extension = os.path.splitext(path)[1][1:].lower()
    formats = plot_formats()
    if extension not in formats:
        got = f"'.{extension}'" if extension else "no extension"
        raise ValueError(
            f"--plot {path!r}: cannot write a chart with {got}; use one of "
            f"{', '.join('.' + ext for ext in sorted(formats))}"
        )
    return extension


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
    kind = check_input(args.data)
    if kind == "csv":
        frame = read_frame(args.data)
    else:
        pa, pq = import_pyarrow()
        with about(args.data):
            frame = pd.read_parquet(args.data)
            schema = pq.read_schema(args.data)
        # Decimal columns (exact amounts) arrive as objects: make them numbers.
        for field in schema:
            if pa.types.is_decimal(field.type) and field.name in frame.columns:
                frame[field.name] = frame[field.name].astype(np.float64)
    if args.target not in frame.columns:
        raise ValueError(
            f"{args.data} has no column {args.target!r}; its columns are "
            f"{', '.join(map(str, frame.columns))}"
        )
    y = frame[args.target]
    features = [c for c in frame.columns if c != args.target]
    ignored = [str(c) for c in features if not is_numeric(frame[c].dtype)]
    features = [c for c in features if is_numeric(frame[c].dtype)]
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


def _task(requested, y, name):
    """The task for target ``y``: ``requested``, checked, or detected."""
    if y.nunique() < 2:
        raise ValueError(f"target {name!r} has a single value: nothing to predict")
    if requested == "auto":
        return detect_task(y)
    if requested == "regression" and not is_numeric(y.dtype):
        raise ValueError(
            f"--task regression needs a numeric target, and {name!r} is not "
            f"(dtype {y.dtype}): use --task classification"
        )
    if requested == "classification" and is_numeric(y.dtype):
        value = _first_non_integer(y)
        if value is not None:
            raise ValueError(
                f"--task classification needs class labels, and target {name!r} "
                f"has non-integer values such as {value!r}: use --task regression"
            )
    return requested


def _why_regression(y):
    value = _first_non_integer(y)
    if value is not None:
        return f"numeric, with non-integer values such as {value!r}"
    return f"numeric, with {y.nunique()} distinct values, more than {MAX_CLASSES}"


def _task_detail(task, y):
    if task == "classification":
        return f"classification, {y.nunique()} classes"
    return f"regression, {y.nunique()} distinct values"


def _print_ranking(cv_results, metric, cv, header):
    """Print ``header`` and the scalings' ranked table; return labels and scores."""
    labels, scores, ranks, times = _ranked(cv_results)
    rows = [
        [str(rank), label, f"{mean} +- {std}", f"{1000 * time:.1f} ms"]
        for label, (mean, std), rank, time in zip(
            labels, scores, ranks, times, strict=True
        )
    ]
    print("\n".join(header))
    print()
    print(text_table(["rank", "scaling", metric, "fit time"], rows, left={1}))
    print()
    print(
        f"{metric}: mean +- standard deviation over the {cv} test folds; "
        "equal means share a rank."
    )
    print("fit time: mean time to fit the scaling and the model on one training fold.")
    return labels, scores


def run(args):
    if args.plot is not None:
        extension = _plot_format(args.plot)
        check_output(args.plot, args.force)
    if args.task == "regression" and args.model == "logistic":
        make_model(args.model, args.task)  # the error, before reading the data
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline

    X, y, source = _compare_data(args)
    target = y.name if args.target is None else args.target
    task = _task(args.task, y, target)
    if args.task == "auto" and task == "regression" and args.model == "logistic":
        raise ValueError(
            f"--model logistic is a classifier, and target {target!r} is a "
            f"regression ({_why_regression(y)}): use --model ridge, svm or knn, "
            "or --task classification"
        )
    model = make_model(args.model or DEFAULT_MODEL[task], task)
    search = GridSearchCV(
        Pipeline([("scale", "passthrough"), ("model", model)]),
        {"scale": scalings()},
        scoring="accuracy" if task == "classification" else "r2",
        cv=make_cv(args.cv, task),
        refit=False,
        error_score="raise",
    )
    with _each_warning_once():
        # Without scaling, the solvers may not converge: that is the point.
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, y)

    metric = METRICS[task]
    labels, scores = _print_ranking(
        search.cv_results_,
        metric,
        args.cv,
        [
            f"data: {source}, {len(X)} rows, {X.shape[1]} features",
            f"target: {target!r} ({_task_detail(task, y)})",
            f"model: {model!r}, {args.cv}-fold cross-validated {metric}",
        ],
    )
    if args.plot is not None:
        name = "wine data" if args.data is None else os.path.basename(args.data)
        figure = chart(
            labels,
            [float(mean) for mean, _ in scores],
            [float(std) for _, std in scores],
            title=f"{type(model).__name__} on {name}",
            xlabel=f"{args.cv}-fold cross-validated {metric} (mean +- std over folds)",
        )
        _save(figure, args.plot, extension)
        print(f"\nchart saved to {args.plot}")
    return 0


@contextmanager
def _each_warning_once():
    """Record the warnings of a block, then show each (category, text) once.

    The ``"once"`` filter is not enough around a cross-validation: scikit-learn
    runs each fit inside its own ``catch_warnings``, and every change of the
    filters clears Python's record of what was already shown, so a warning
    raised by each fit came out once per fit. If the block raises, its error
    is the one line to show, and the warnings are dropped.
    """
    with warnings.catch_warnings(record=True) as log:
        yield
    shown = set()
    for record in log:
        key = (record.category, str(record.message))
        if key not in shown:
            shown.add(key)
            warnings.showwarning(
                record.message, record.category, record.filename, record.lineno
            )


def _printed(value):
    text = f"{value:.3f}"
    return "0.000" if text == "-0.000" else text


def _ranked(results):
    """Labels, printed (mean, std), ranks and fit times, best first.

    The rank is the competition rank of the printed mean: scalings whose
    means print the same share a rank, and the next rank skips (1, 1, 3).
    """
    printed = [
        (_printed(mean), _printed(std))
        for mean, std in zip(
            results["mean_test_score"], results["std_test_score"], strict=True
        )
    ]
    labels = [_label(params["scale"]) for params in results["params"]]
    means = results["mean_test_score"]
    order = sorted(
        range(len(labels)),
        key=lambda i: (-float(printed[i][0]), -means[i], labels[i]),
    )
    ranks = []
    for position, i in enumerate(order):
        tied = ranks and printed[i][0] == printed[order[position - 1]][0]
        ranks.append(ranks[-1] if tied else position + 1)
    return (
        [labels[i] for i in order],
        [printed[i] for i in order],
        ranks,
        [float(results["mean_fit_time"][i]) for i in order],
    )


def _label(scaling):
    return "none" if scaling == "passthrough" else type(scaling).__name__


def chart(labels, means, stds, *, title, xlabel):
    """A dot chart of mean scores with their standard deviations, best at the top.

    The score axis is zoomed to the data (each mean +- std, with a margin), not
    drawn from zero, so that close scores stay apart; dots, not bars, since a
    bar's length from an axis that does not start at zero means nothing.
    """
    from matplotlib.figure import Figure

    means, stds = np.asarray(means, dtype=float), np.asarray(stds, dtype=float)
    figure = Figure(figsize=(7, 1.2 + 0.4 * len(labels)), layout="constrained")
    axes = figure.add_subplot()
    positions = np.arange(len(labels))[::-1]
    axes.errorbar(means, positions, xerr=stds, fmt="o", capsize=3, color="C0")
    axes.set_yticks(positions, labels)
    low, high = float(np.min(means - stds)), float(np.max(means + stds))
    margin = 0.05 * (high - low) or 0.01 * max(abs(high), 1.0)
    axes.set_xlim(low - margin, high + margin)
    axes.set_ylim(-0.5, len(labels) - 0.5)
    axes.grid(axis="x", alpha=0.3)
    axes.set_xlabel(xlabel)
    axes.set_title(title)
    return figure


def _save(figure, path, extension):
    with atomic_path(path) as temporary:
        try:
            figure.savefig(temporary, format=extension, dpi=100)
        except Exception as exc:  # a writer's own failure, e.g. Pillow's
            raise ValueError(f"cannot write the chart to {path!r}: {exc}") from exc
