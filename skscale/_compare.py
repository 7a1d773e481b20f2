"""``skscale compare``: cross-validate a model behind every scaler, and behind none."""

import os
import warnings

from ._cli_common import check_input, check_output, int_at_least, is_numeric, text_table
from ._persistence import _CLASSES, atomic_path

MODELS = ("logistic", "ridge", "svm", "knn")


def add_parser(commands):
    """Add the ``compare`` subcommand to the subparsers ``commands``."""
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
    compare.add_argument("--cv", type=int_at_least(2), default=5, metavar="K")
    compare.add_argument("--plot", metavar="PNG", help="save a bar chart (matplotlib)")
    compare.add_argument("--force", action="store_true", help="replace --plot's file")
    compare.set_defaults(run=run)
    return compare


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
    kind = check_input(args.data)
    frame = pd.read_csv(args.data) if kind == "csv" else pd.read_parquet(args.data)
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


def _task(y, name):
    from sklearn.utils.multiclass import type_of_target

    kind = type_of_target(y.to_numpy())
    if kind == "continuous":
        return "regression"
    if kind in ("binary", "multiclass"):
        return "classification"
    raise ValueError(f"cannot predict target {name!r}: scikit-learn reads it as {kind}")


def run(args):
    if args.plot is not None:
        check_output(args.plot, args.force)
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
    print(text_table(["rank", "scaling", metric, "fit time"], rows, left={1}))
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
