"""``skscale compare``: the task, the ranks, the warnings and the chart.

Each command runs through ``main()`` in this process, except one real
subprocess, for the warnings a user sees.
"""

import os
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_diabetes, load_iris
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold, cross_val_score
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from skscale import StandardScaler
from skscale._cli import main
from skscale._compare import _ranked, chart, detect_task

from .conftest import ESTIMATOR_NAMES

ROW = re.compile(r"^\s*(\d+)\s+(\w+)\s+(-?[\d.]+) \+- ([\d.]+)\s+[\d.]+ ms$", re.M)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("compare")
    # Targets like 151.0: integer-valued floats, 214 distinct values.
    load_diabetes(as_frame=True).frame.to_csv(folder / "diabetes.csv", index=False)
    iris = load_iris(as_frame=True)
    iris.frame.assign(species=iris.target_names[iris.target]).drop(
        columns="target"
    ).to_csv(folder / "iris.csv", index=False)
    pd.DataFrame({"x": np.arange(10.0), "y": 1}).to_csv(
        folder / "constant.csv", index=False
    )
    return folder


def compare(capsys, *args):
    """Exit status, stdout and stderr of ``skscale compare ARGS``."""
    # One BLAS thread: many small fits, on a machine that may be busy.
    with threadpool_limits(1):
        status = main(["compare", *map(str, args)])
    stdout, stderr = capsys.readouterr()
    return status, stdout, stderr


def table(stdout):
    """The printed rows: scaling -> (rank, mean, std), as printed."""
    return {
        label: (int(rank), mean, std) for rank, label, mean, std in ROW.findall(stdout)
    }


def error_line(status, stdout, stderr):
    assert (status, stdout) == (2, "")
    (line,) = stderr.splitlines()
    assert line.startswith("skscale: error: ")
    return line


# -- the task ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "values, task",
    [
        ([0.5, 1.0, 2.0], "regression"),  # a non-integer value
        (list(range(21)), "regression"),  # more than 20 distinct values
        ([float(v) for v in range(21)], "regression"),
        (list(range(20)), "classification"),  # 20 distinct integers
        ([151.0, 75.0, 151.0, 141.0], "classification"),  # integer-valued floats
        ([-1, 1, 1, -1], "classification"),
        ([True, False, True], "classification"),
        (["a", "b", "a"], "classification"),
        ([f"id{i}" for i in range(30)], "classification"),  # text, however many
    ],
)
def test_detect_task(values, task):
    assert detect_task(pd.Series(values)) == task


def test_a_continuous_target_is_a_regression_scored_with_ridge(folder, capsys):
    status, stdout, stderr = compare(
        capsys, folder / "diabetes.csv", "--target", "target", "--cv", 3
    )
    assert (status, stderr) == (0, "")
    assert "target: 'target' (regression, 214 distinct values)" in stdout
    assert "model: Ridge(), 3-fold cross-validated R^2" in stdout
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    pipeline = Pipeline([("scale", StandardScaler()), ("model", Ridge())])
    cv = KFold(n_splits=3, shuffle=True, random_state=0)
    scores = cross_val_score(pipeline, X, y, cv=cv, scoring="r2")
    _, mean, std = table(stdout)["StandardScaler"]
    assert (mean, std) == (f"{scores.mean():.3f}", f"{scores.std():.3f}")
    assert float(mean) > 0.4  # an R^2, not an accuracy near 0.02


def test_decimal_columns_of_a_parquet_file_are_numbers(folder, capsys):
    # pandas reads Parquet decimals as objects: the target was taken for class
    # labels ("Supported target types are: ('binary', 'multiclass'). Got
    # 'unknown' instead") and the features for text.
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    from decimal import Decimal

    X, y = load_diabetes(return_X_y=True, as_frame=True)
    amounts = [Decimal(f"{v:.6f}") for v in X["bmi"]]
    data = pa.table(
        {
            "age": X["age"].to_numpy(),
            "bmi": pa.array(amounts, pa.decimal128(12, 6)),
            "target": pa.array([Decimal(int(v)) for v in y], pa.decimal128(5, 0)),
        }
    )
    pq.write_table(data, folder / "decimals.parquet")
    status, stdout, stderr = compare(
        capsys, folder / "decimals.parquet", "--target", "target", "--cv", 3
    )
    assert (status, stderr) == (0, "")
    assert "target: 'target' (regression, 214 distinct values)" in stdout
    assert "ignored" not in stdout
    pipeline = Pipeline([("scale", StandardScaler()), ("model", Ridge())])
    cv = KFold(n_splits=3, shuffle=True, random_state=0)
    features = pd.DataFrame({"age": X["age"], "bmi": [float(v) for v in amounts]})
    scores = cross_val_score(pipeline, features, y, cv=cv, scoring="r2")
    _, mean, std = table(stdout)["StandardScaler"]
    assert (mean, std) == (f"{scores.mean():.3f}", f"{scores.std():.3f}")


def test_task_regression_on_integer_classes(folder, capsys):
    status, stdout, stderr = compare(
        capsys, folder / "iris.csv", "--target", "petal length (cm)", "--cv", 2,
        "--task", "regression", "--model", "knn",
    )  # fmt: skip
    assert (status, stderr) == (0, "")
    assert "KNeighborsRegressor()" in stdout and "R^2" in stdout


@pytest.mark.parametrize(
    "args, message",
    [
        # Forcing a classification on non-integer values is refused.
        (
            ["iris.csv", "--target", "petal width (cm)", "--task", "classification"],
            "--task classification needs class labels, and target 'petal width "
            r"\(cm\)' has non-integer values such as 0.2: use --task regression",
        ),
        (
            ["iris.csv", "--target", "species", "--task", "regression"],
            "--task regression needs a numeric target, and 'species' is not",
        ),
        # Asked for explicitly, logistic on a regression is an error saying why.
        (
            ["diabetes.csv", "--target", "target", "--model", "logistic"],
            r"--model logistic is a classifier, and target 'target' is a "
            r"regression \(numeric, with 214 distinct values, more than 20\): "
            "use --model ridge, svm or knn, or --task classification",
        ),
        (
            ["iris.csv", "--target", "sepal width (cm)", "--model", "logistic"],
            r"regression \(numeric, with non-integer values such as 3.5\)",
        ),
        # Known from the arguments: refused before the (absent) file is read.
        (
            ["absent.csv", "--target", "y", "--task", "regression", "--model",
             "logistic"],
            "--model logistic is a classifier and the task is a regression",
        ),
        (["constant.csv", "--target", "y"], "target 'y' has a single value"),
    ],
)  # fmt: skip
def test_a_task_that_does_not_fit_the_target_is_an_error(folder, capsys, args, message):
    args = [folder / args[0], *args[1:]]
    line = error_line(*compare(capsys, *args))
    assert re.search(message, line), line


# -- warnings ---------------------------------------------------------------------

# What scikit-learn says about diabetes' 214 values taken as classes in 3 folds.
FEW_MEMBERS = "The least populated class in y has only 1 members"
MANY_CLASSES = "The number of unique classes is greater than 50%"


def test_each_warning_is_shown_once(folder, capsys):
    # Every fit of the cross-validation warns about the many classes.
    status, stdout, stderr = compare(
        capsys, folder / "diabetes.csv", "--target", "target", "--cv", 3,
        "--task", "classification", "--model", "knn",
    )  # fmt: skip
    assert status == 0
    assert "target: 'target' (classification, 214 classes)" in stdout
    lines = stderr.splitlines()
    assert len(lines) == len(set(lines)) == 2
    assert all(line.startswith("skscale: warning: ") for line in lines)
    assert FEW_MEMBERS in lines[0] and MANY_CLASSES in lines[1]


def test_each_warning_is_shown_once_in_a_real_process(folder):
    env = {**os.environ, "SKSCALE_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    args = ["diabetes.csv", "--target", "target", "--task", "classification"]
    done = subprocess.run(
        [sys.executable, "-m", "skscale._cli", "compare", *args,
         "--model", "knn", "--cv", "3"],
        capture_output=True, text=True, cwd=folder, env=env, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == len(set(lines)) == 2
    assert FEW_MEMBERS in done.stderr and MANY_CLASSES in done.stderr


# -- the table --------------------------------------------------------------------


def competition_ranks(means):
    """1 + the number of printed means above each: ties share, then skip."""
    return [1 + sum(float(other) > float(mean) for other in means) for mean in means]


def test_ranks_agree_with_the_printed_means(capsys):
    status, stdout, stderr = compare(capsys)  # wine, 5 folds
    assert (status, stderr) == (0, "")
    rows = table(stdout)
    assert len(rows) == 1 + len(ESTIMATOR_NAMES)  # and "none"
    ranks = [rank for rank, _, _ in rows.values()]
    means = [mean for _, mean, _ in rows.values()]
    assert ranks == competition_ranks(means)
    assert means == sorted(means, key=float, reverse=True)
    # The case of the issue: both print 0.983 +- 0.014, so both rank first.
    assert rows["StandardScaler"] == rows["MeanNormalizationScaler"]
    assert rows["StandardScaler"][0] == 1
    assert (
        "fit time: mean time to fit the scaling and the model on one training fold"
        in stdout
    )


def test_ranked_ties_on_the_printed_mean():
    results = {
        "params": [{"scale": "passthrough"}, {"scale": StandardScaler()}] * 2,
        # Printed 0.983, 0.983, 0.000 (not -0.000) and 0.983.
        "mean_test_score": np.array([0.9834, 0.9831, -0.0001, 0.9826]),
        "std_test_score": np.array([0.01, 0.02, 0.03, 0.0]),
        "mean_fit_time": np.array([0.1, 0.2, 0.3, 0.4]),
    }
    labels, scores, ranks, times = _ranked(results)
    assert labels == ["none", "StandardScaler", "StandardScaler", "none"]
    assert scores == [
        ("0.983", "0.010"),
        ("0.983", "0.020"),
        ("0.983", "0.000"),
        ("0.000", "0.030"),
    ]
    assert ranks == [1, 1, 1, 4]
    assert times == [0.1, 0.2, 0.4, 0.3]


# -- the chart --------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, magic",
    [
        ("chart.jpg", b"\xff\xd8"),
        ("chart.JPEG", b"\xff\xd8"),
        ("chart.svg", b"<?xml"),
        ("chart.pdf", b"%PDF"),
        ("chart.png", b"\x89PNG\r\n\x1a\n"),
    ],
)
def test_plot_writes_the_format_its_name_says(folder, capsys, name, magic):
    path = folder / name
    status, stdout, stderr = compare(
        capsys, folder / "iris.csv", "--target", "species", "--model", "knn",
        "--cv", 2, "--plot", path,
    )  # fmt: skip
    assert (status, stderr) == (0, "")
    assert path.read_bytes().startswith(magic)
    if name.endswith(".svg"):
        assert b"<svg" in path.read_bytes()[:1000]
    assert f"chart saved to {path}" in stdout
    assert [p.name for p in folder.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize("name", ["chart.txt", "chart", "chart.pgf"])
def test_plot_format_matplotlib_cannot_write_fails_before_computing(
    tmp_path, capsys, monkeypatch, name
):
    def never(*args, **kwargs):
        raise AssertionError("computed before checking --plot")

    monkeypatch.setattr("sklearn.model_selection.GridSearchCV.fit", never)
    monkeypatch.setattr("skscale._compare._compare_data", never)
    line = error_line(*compare(capsys, "--plot", tmp_path / name))
    assert "cannot write a chart with" in line
    offered = line.split("; use one of ")[1].split(", ")
    assert {".jpg", ".pdf", ".png", ".svg"} <= set(offered)
    assert ".pgf" not in offered
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "means, stds",
    [
        ([0.983, 0.966, 0.949, 0.64], [0.014, 0.011, 0.011, 0.049]),
        ([0.49, 0.489, 0.42], [0.091, 0.087, 0.051]),
        ([-0.3, -0.2], [0.1, 0.05]),  # R^2 below zero
    ],
)
def test_chart_zooms_its_axis_to_the_scores(means, stds):
    figure = chart(
        ["a", "b", "c", "d"][: len(means)], means, stds, title="t", xlabel="x"
    )
    (axes,) = figure.axes
    low, high = axes.get_xlim()
    lowest = min(m - s for m, s in zip(means, stds, strict=True))
    highest = max(m + s for m, s in zip(means, stds, strict=True))
    assert low <= lowest < highest <= high
    # The margins are small, and the axis does not reach back to zero.
    assert high - low <= 1.2 * (highest - lowest)
    assert not low <= 0 <= high


def test_chart_of_equal_scores_has_a_range():
    (axes,) = chart(["a", "b"], [0.9, 0.9], [0.0, 0.0], title="t", xlabel="x").axes
    low, high = axes.get_xlim()
    assert low < 0.9 < high
