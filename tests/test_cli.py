"""The ``skscale`` command on tiny files, as a subprocess and through main().

Starting Python with scikit-learn takes over a second, so a chosen set of
commands (each subcommand, success and failure) runs as real subprocesses, all at
once, in a module fixture; the other cases call ``main()`` in this process, which
is the same code path without the start-up. Each test reads its command's result.
"""

import os
import re
import subprocess
import sys
import types
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from matplotlib.image import imread
from numpy.testing import assert_allclose
from sklearn.datasets import load_iris, load_wine
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import Pipeline

from skscale import (
    MaxAbsScaler,
    MiniBatchStandardizer,
    MinMaxScaler,
    StandardScaler,
)
from skscale._cli import main
from skscale._compare import make_cv, make_model
from skscale._persistence import dump, load

from .conftest import ESTIMATOR_NAMES
from .test_persistence import assert_identical

# Commands that succeed: name -> arguments ({dir} is the folder of the files).
GOOD = {
    # Two folds: test_compare.py ranks the scalers on the wine data in five.
    "compare": ["compare", "--cv", "2", "--plot", "{dir}/wine.png"],
    "compare csv": [
        "compare", "{dir}/iris.csv", "--target", "species", "--model", "knn",
        "--cv", "3",
    ],
    "fit csv": [
        "fit", "{dir}/data.csv", "--scaler", "standard", "--columns", "c, a",
        "--chunksize", "4", "-o", "{dir}/fit_csv.json",
    ],
    "fit parquet": [
        "fit", "{dir}/data.parquet", "--scaler", "minibatch", "--columns", "a,b",
        "--chunksize", "5", "-o", "{dir}/fit_parquet.json",
    ],
    "fit numeric columns": [
        "fit", "{dir}/data.csv", "--scaler", "maxabs", "--chunksize", "7",
        "-o", "{dir}/fit_numeric.json",
    ],
    "transform csv": [
        "transform", "{dir}/data.csv", "--scaler", "{dir}/minmax.json",
        "--chunksize", "4", "-o", "{dir}/out.csv",
    ],
    "transform parquet": [
        "transform", "{dir}/data.parquet", "--scaler", "{dir}/minmax.json",
        "--chunksize", "5", "-o", "{dir}/out.parquet",
    ],
    "fit with --force": [
        "fit", "{dir}/data.csv", "--scaler", "minmax", "--columns", "b",
        "-o", "{dir}/forced.json", "--force",
    ],
    "inspect": ["inspect", "{dir}/minmax.json"],
}  # fmt: skip

# Commands that must fail: name -> (arguments, what the one error line says).
BAD = {
    "missing data file": (
        ["fit", "{dir}/absent.csv", "--scaler", "standard", "-o", "{dir}/1.json"],
        "no such file: '.*absent.csv'",
    ),
    "missing scaler file": (
        ["transform", "{dir}/data.csv", "--scaler", "{dir}/absent.json",
         "-o", "{dir}/2.csv"],
        "no such scaler file",
    ),
    "non-numeric column": (
        ["fit", "{dir}/data.csv", "--scaler", "standard", "--columns", "a,name",
         "-o", "{dir}/3.json"],
        "data.csv, line 3, column 'name': 'r1' is not a number; leave the column",
    ),
    "absent column": (
        ["fit", "{dir}/data.csv", "--scaler", "minmax", "--columns", "a,zzz",
         "-o", "{dir}/4.json"],
        "data.csv has no column 'zzz'; its columns are id, name, a, b, c, label",
    ),
    "repeated column": (
        ["fit", "{dir}/data.csv", "--scaler", "minmax", "--columns", "a,b,a",
         "-o", "{dir}/5.json"],
        "--columns names a more than once",
    ),
    "CSV that does not parse": (
        ["fit", "{dir}/bad.csv", "--scaler", "standard", "-o", "{dir}/6.json"],
        "bad.csv, line 3: too many fields: 3 where the header has 2",
    ),
    "Parquet that does not parse": (
        ["transform", "{dir}/bad.parquet", "--scaler", "{dir}/minmax.json",
         "-o", "{dir}/7.parquet"],
        "bad.parquet: ",
    ),
    "scaler file failing validation": (
        ["transform", "{dir}/data.csv", "--scaler", "{dir}/zero_scale.json",
         "-o", "{dir}/8.csv"],
        r"zero_scale.json: invalid skscale document: .*scale_\[1\] must be > 0",
    ),
    "scaler file not JSON": (["inspect", "{dir}/not_json.json"], "not valid JSON"),
    "scaler fitted without names": (
        ["transform", "{dir}/data.csv", "--scaler", "{dir}/unnamed.json",
         "-o", "{dir}/9.csv"],
        "fitted on an array, without column names",
    ),
    "scaler not fitted": (
        ["transform", "{dir}/data.csv", "--scaler", "{dir}/unfitted.json",
         "-o", "{dir}/10.csv"],
        "unfitted.json: the scaler is not fitted",
    ),
    "scaler's columns absent": (
        ["transform", "{dir}/iris.csv", "--scaler", "{dir}/minmax.json",
         "-o", "{dir}/11.csv"],
        "iris.csv has no column 'b', 'a', which the scaler",
    ),
    "output exists": (
        ["fit", "{dir}/data.csv", "--scaler", "standard", "-o", "{dir}/existing.json"],
        "existing.json' exists; pass --force to replace it",
    ),
    "failure part-way": (
        ["transform", "{dir}/late.csv", "--scaler", "{dir}/late.json",
         "--chunksize", "4", "-o", "{dir}/12.csv"],
        "late.csv, line 22, column 'a': 'oops' is not a number; the scaler was",
    ),
    "infinity in the data": (
        ["fit", "{dir}/infinite.csv", "--scaler", "standard", "--chunksize", "2",
         "-o", "{dir}/13.json"],
        "infinite.csv, line 5, column 'x': 'inf' is infinite",
    ),
    "unknown output format": (
        ["transform", "{dir}/data.csv", "--scaler", "{dir}/minmax.json",
         "-o", "{dir}/14.txt"],
        "cannot tell the format of '.*14.txt'",
    ),
    "unknown scaler name": (
        ["fit", "{dir}/data.csv", "--scaler", "robust", "-o", "{dir}/15.json"],
        "argument --scaler: invalid choice: 'robust'",
    ),
    "zero chunksize": (
        ["fit", "{dir}/data.csv", "--scaler", "standard", "--chunksize", "0",
         "-o", "{dir}/16.json"],
        "argument --chunksize: expected an integer >= 1, got '0'",
    ),
    "no command": ([], "arguments are required: COMMAND"),
    "compare without target": (
        ["compare", "{dir}/iris.csv", "--plot", "{dir}/17.png"],
        "DATA needs --target COL",
    ),
    "target without data": (["compare", "--target", "x"], "give DATA too"),
    "logistic on a continuous target": (
        ["compare", "{dir}/iris.csv", "--target", "petal width (cm)",
         "--model", "logistic"],
        "--model logistic is a classifier, and target 'petal width .cm.' is a "
        "regression",
    ),
    "compare with missing values": (
        ["compare", "{dir}/data.csv", "--target", "label"],
        "column 'a' has 7 missing values",
    ),
}  # fmt: skip

# The commands run as real subprocesses; the others run through main().
IN_SUBPROCESS = {
    "compare",
    "fit csv",
    "transform parquet",
    "inspect",
    "missing data file",
    "CSV that does not parse",
    "failure part-way",
}


def data_frame():
    rng = np.random.default_rng(0)
    n = 23
    return pd.DataFrame(
        {
            "id": np.arange(n),
            "name": [f"r{i}" if i % 5 else None for i in range(n)],
            "a": np.where(rng.random(n) < 0.2, np.nan, rng.normal(3.0, 2.0, n)),
            "b": rng.integers(-5, 50, n),
            "c": rng.normal(1e4, 300.0, n),
            "label": rng.choice(["x", "y"], n),
        }
    )


def make_files(folder):
    frame = data_frame()
    frame.to_csv(folder / "data.csv", index=False)
    frame.to_parquet(folder / "data.parquet", index=False)
    iris = load_iris(as_frame=True)
    iris.frame.assign(species=iris.target_names[iris.target]).drop(
        columns="target"
    ).to_csv(folder / "iris.csv", index=False)
    (folder / "bad.csv").write_text("a,b\n1,2\n3,4,5\n")
    (folder / "bad.parquet").write_bytes(b"PAR1 not really parquet PAR1")
    (folder / "not_json.json").write_text('{"class": "StandardScaler",')
    (folder / "existing.json").write_text("keep\n")
    (folder / "forced.json").write_text("replace me\n")
    # Fitted on columns in another order than the file's: b before a.
    dump(
        MinMaxScaler(feature_range=(-1, 1)).fit(frame[["b", "a"]]),
        folder / "minmax.json",
    )
    dump(StandardScaler().fit(frame[["a", "c"]].to_numpy()), folder / "unnamed.json")
    dump(StandardScaler(), folder / "unfitted.json")
    (folder / "infinite.csv").write_text("x\n1\n2\n3\ninf\n")
    zero = (folder / "minmax.json").read_text()
    zero = re.sub(r'"scale_": \[([^,]+), [^\]]+\]', r'"scale_": [\1, 0.0]', zero)
    (folder / "zero_scale.json").write_text(zero)
    # Column a turns to text at row 21: the fifth chunk of 4 rows fails.
    late = pd.DataFrame({"a": np.arange(30.0), "b": np.ones(30)})
    dump(StandardScaler().fit(late), folder / "late.json")
    late = late.astype({"a": object})
    late.loc[20, "a"] = "oops"
    late.to_csv(folder / "late.csv", index=False)


def expand(args, folder):
    return [a.replace("{dir}", str(folder)) for a in args]


def run(args, folder):
    env = {**os.environ, "SKSCALE_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "skscale._cli", *expand(args, folder)],
        capture_output=True,
        text=True,
        cwd=folder,
        env=env,
        timeout=300,
    )


@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    """The folder of the files, and the subprocesses' results by name."""
    folder = tmp_path_factory.mktemp("cli")
    make_files(folder)
    commands = {**GOOD, **{name: args for name, (args, _) in BAD.items()}}
    chosen = {name: commands[name] for name in IN_SUBPROCESS}
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        done = pool.map(lambda args: run(args, folder), chosen.values())
        results = dict(zip(chosen, done, strict=True))
    return folder, results


def result_of(name, cli, capsys):
    """Exit status, stdout and stderr of a command, from its subprocess or main()."""
    folder, results = cli
    if name in results:
        return results[name].returncode, results[name].stdout, results[name].stderr
    args = GOOD[name] if name in GOOD else BAD[name][0]
    status = main(expand(args, folder))
    stdout, stderr = capsys.readouterr()
    return status, stdout, stderr


@pytest.fixture
def succeeded(cli, capsys):
    """Run a command that must succeed silently on stderr: folder and stdout."""

    def succeeded(name):
        status, stdout, stderr = result_of(name, cli, capsys)
        assert (status, stderr) == (0, "")
        return cli[0], stdout

    return succeeded


def chunked_fit(estimator, frame, chunksize):
    for start in range(0, len(frame), chunksize):
        estimator.partial_fit(frame.iloc[start : start + chunksize])
    return estimator


def table_rows(stdout):
    """The ranked rows of compare's table: scaling -> (mean, std) as printed."""
    rows = re.findall(r"^\s*\d+\s+(\w+)\s+([\d.]+) \+- ([\d.]+)", stdout, re.M)
    return {name: (mean, std) for name, mean, std in rows}


# -- compare ----------------------------------------------------------------------


def test_compare_ranks_every_scaler_on_the_bundled_data(succeeded):
    _, stdout = succeeded("compare")
    rows = table_rows(stdout)
    assert set(rows) == {"none", *ESTIMATOR_NAMES}
    X, y = load_wine(return_X_y=True, as_frame=True)
    pipeline = Pipeline(
        [
            ("scale", StandardScaler()),
            ("model", make_model("logistic", "classification")),
        ]
    )
    scores = cross_val_score(pipeline, X, y, cv=make_cv(2, "classification"))
    assert rows["StandardScaler"] == (f"{scores.mean():.3f}", f"{scores.std():.3f}")
    means = [float(mean) for mean, _ in rows.values()]
    assert means == sorted(means, reverse=True)


def test_compare_plot_is_a_png_chart(succeeded):
    folder, stdout = succeeded("compare")
    image = imread(folder / "wine.png")
    assert image.ndim == 3 and min(image.shape[:2]) > 100
    assert "wine.png" in stdout


def test_compare_reads_a_csv_with_a_target(succeeded):
    folder, stdout = succeeded("compare csv")
    frame = pd.read_csv(folder / "iris.csv")
    X, y = frame.drop(columns="species"), frame["species"]
    scores = cross_val_score(
        make_model("knn", "classification"), X, y, cv=make_cv(3, "classification")
    )
    assert table_rows(stdout)["none"] == (f"{scores.mean():.3f}", f"{scores.std():.3f}")
    assert "'species' (classification, 3 classes)" in stdout


# -- fit --------------------------------------------------------------------------


# name in GOOD -> (reader, file, scaler class, --columns, --chunksize)
FITS = {
    "fit csv": (pd.read_csv, "data.csv", StandardScaler, ["c", "a"], 4),
    "fit parquet": (
        pd.read_parquet,
        "data.parquet",
        MiniBatchStandardizer,
        ["a", "b"],
        5,
    ),
}


@pytest.mark.parametrize("name", FITS)
def test_fit_in_chunks_equals_fitting_in_memory(name, succeeded):
    reader, source, cls, columns, chunksize = FITS[name]
    folder, _ = succeeded(name)
    saved = load(output_of(GOOD[name], folder))
    frame = reader(folder / source)[columns]
    assert_identical(saved, chunked_fit(cls(), frame, chunksize))
    whole = cls().fit(frame)
    assert_allclose(saved.mean_, whole.mean_, rtol=1e-13)
    assert_allclose(saved.var_, whole.var_, rtol=1e-12)


def test_fit_without_columns_scales_every_numeric_column(succeeded):
    folder, stdout = succeeded("fit numeric columns")
    frame = pd.read_csv(folder / "data.csv")
    numeric = list(frame.select_dtypes("number").columns)
    saved = load(folder / "fit_numeric.json")
    assert list(saved.feature_names_in_) == numeric
    assert_identical(saved, chunked_fit(MaxAbsScaler(), frame[numeric], 7))
    assert f"({', '.join(numeric)})" in stdout


def test_force_replaces_an_existing_output(succeeded):
    folder, _ = succeeded("fit with --force")
    frame = pd.read_csv(folder / "data.csv")
    assert_identical(load(folder / "forced.json"), MinMaxScaler().fit(frame[["b"]]))


def test_progress_bar_on_a_terminal_when_tqdm_is_installed(cli, monkeypatch, capsys):
    calls = []

    class FakeTqdm:
        def __init__(self, **options):
            calls.append(("start", options["total"]))

        def update(self, n):
            calls.append(("update", n))

        def close(self):
            calls.append(("close", None))

    tqdm = types.ModuleType("tqdm")
    tqdm.tqdm = FakeTqdm
    monkeypatch.setitem(sys.modules, "tqdm", tqdm)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    folder, _ = cli
    args = ["fit", str(folder / "data.parquet"), "--scaler", "maxabs"]
    assert main([*args, "--chunksize", "10", "-o", str(folder / "bar.json")]) == 0
    rows = len(pd.read_parquet(folder / "data.parquet"))
    assert calls == [
        ("start", rows),
        ("update", 10),
        ("update", 10),
        ("update", rows - 20),
        ("close", None),
    ]


# -- transform --------------------------------------------------------------------


def test_transform_csv_scales_in_place_and_passes_the_rest_through(succeeded):
    folder, _ = succeeded("transform csv")
    expected = pd.read_csv(folder / "data.csv")
    scaler = load(folder / "minmax.json")
    scaled = scaler.transform(expected[["b", "a"]])
    expected["b"], expected["a"] = scaled[:, 0], scaled[:, 1]
    pd.testing.assert_frame_equal(
        pd.read_csv(folder / "out.csv"), expected, check_exact=True
    )


def test_transform_parquet_scales_in_place_and_keeps_types_and_nulls(succeeded):
    folder, _ = succeeded("transform parquet")
    source, out = (
        pq.read_table(folder / "data.parquet"),
        pq.read_table(folder / "out.parquet"),
    )
    assert out.column_names == source.column_names
    for name in ("id", "name", "c", "label"):
        assert out.column(name).equals(source.column(name)), name
    assert out.column("a").null_count == source.column("a").null_count > 0
    frame = source.to_pandas()
    scaled = load(folder / "minmax.json").transform(frame[["b", "a"]])
    for j, name in enumerate(["b", "a"]):
        np.testing.assert_array_equal(
            out.column(name).to_numpy(zero_copy_only=False), scaled[:, j]
        )


def test_parquet_decimal_columns_are_scaled_as_numbers(tmp_path):
    # Arrow decimals (exact amounts) passed through unscaled, and --columns
    # refused them as "not numeric (decimal128(10, 2)[pyarrow])".
    from decimal import Decimal

    import pyarrow as pa

    amounts = [Decimal("1.50"), None, Decimal("-2.25"), Decimal("10.00")]
    data = pa.table(
        {
            "a": [1.0, 2.0, 4.0, 8.0],
            "d": pa.array(amounts, pa.decimal128(10, 2)),
            "name": ["w", "x", "y", "z"],
        }
    )
    pq.write_table(data, tmp_path / "money.parquet")
    fitted, out = tmp_path / "money.json", tmp_path / "out.parquet"
    assert main(["fit", str(tmp_path / "money.parquet"), "--scaler", "minmax",
                 "-o", str(fitted)]) == 0  # fmt: skip
    scaler = load(fitted)
    assert list(scaler.feature_names_in_) == ["a", "d"]
    assert main(["transform", str(tmp_path / "money.parquet"), "--scaler",
                 str(fitted), "-o", str(out)]) == 0  # fmt: skip
    result = pq.read_table(out)
    assert result.column_names == ["a", "d", "name"]
    assert result.column("d").type == pa.float64()
    assert result.column("d").null_count == 1
    values = np.array([float(v) if v is not None else np.nan for v in amounts])
    expected = MinMaxScaler().fit(values[:, None]).transform(values[:, None])[:, 0]
    np.testing.assert_array_equal(
        result.column("d").to_numpy(zero_copy_only=False), expected
    )


# -- inspect ----------------------------------------------------------------------


def test_inspect_prints_each_feature_with_its_parameters(succeeded):
    folder, stdout = succeeded("inspect")
    scaler = load(folder / "minmax.json")
    lines = stdout.splitlines()
    assert lines[0] == repr(scaler)
    for j, name in enumerate(scaler.feature_names_in_):
        (line,) = [line for line in lines if line.split()[0] == name]
        for attribute in ("data_min_", "data_max_", "scale_", "min_"):
            assert repr(float(getattr(scaler, attribute)[j])) in line.split()


# -- bad input --------------------------------------------------------------------


def output_of(args, folder):
    for flag in ("-o", "--plot"):
        if flag in args:
            return folder / os.path.basename(args[args.index(flag) + 1])
    return None


@pytest.mark.parametrize("name", BAD)
def test_bad_input_is_one_line_and_exit_code_2(name, cli, capsys):
    folder, _ = cli
    args, message = BAD[name]
    status, stdout, stderr = result_of(name, cli, capsys)
    assert (status, stdout) == (2, "")
    assert "Traceback" not in stderr
    (line,) = stderr.splitlines()
    assert line.startswith("skscale: error: ")
    assert re.search(message, line), line
    output = output_of(args, folder)
    if output is not None and output.name == "existing.json":
        assert output.read_text() == "keep\n"
    elif output is not None:
        assert not output.exists()


def test_no_temporary_file_is_left_behind(cli):
    folder, _ = cli
    assert [p.name for p in folder.iterdir() if p.name.endswith(".tmp")] == []
