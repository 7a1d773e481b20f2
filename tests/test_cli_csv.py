"""The command line on messy CSV files: what it does not scale comes back as it was.

Each test writes the file it needs as bytes, runs ``skscale`` through ``main``
(or, for signals, as a subprocess) and compares bytes.
"""

import gzip
import os
import re
import signal
import subprocess
import sys
import time
import types
import warnings
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from skscale import MinMaxScaler, StandardScaler, _cli
from skscale._cli import main
from skscale._csv import DEFAULT_NA_VALUES, NUMBER, parse_column, split_raw
from skscale._persistence import dump, load


def run(capsys, *args):
    """Exit status, stdout and stderr of ``skscale ARGS``."""
    status = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return status, out, err


def failed(capsys, *args):
    """The one error line of a command that must fail with exit status 2."""
    status, out, err = run(capsys, *args)
    assert (status, out) == (2, ""), err
    assert "Traceback" not in err
    (line,) = err.splitlines()
    assert line.startswith("skscale: error: ")
    return line


def leftovers(folder, before):
    return sorted(set(os.listdir(folder)) - set(before))


# -- what passes through ------------------------------------------------------------

# Raw fields of a messy file: the column "price" is scaled, every other passes
# through. Each row: (zip, id, price, flag, note).
MESSY_HEADER = '\ufeffzip,id,price,flag,"note, with comma",Größe'
MESSY_ROWS = [
    ["01234", "007", "1.10", "TRUE", '"a ""quoted"" word"', "x"],
    ["02139", "010", "2.5", "FALSE", '"two\nlines"', ""],
    ["", "  12 ", "", "true", "plain", "ü"],
    ["99999", "1e3", " 3.25 ", "", '"comma, inside"', "NA"],
    ["00000", "-0", "NA", "False", '"unneeded quotes"', "z"],
    ["10001", "0x1F", "4", "yes", "'single'", "\t"],
]


def messy_bytes(ending="\r\n", last_ending=True, extra=b""):
    lines = [MESSY_HEADER] + [",".join(row) for row in MESSY_ROWS]
    text = ending.join(lines) + (ending if last_ending else "")
    return text.encode("utf-8") + extra


@pytest.mark.parametrize("ending", ["\r\n", "\n"])
@pytest.mark.parametrize("last_ending", [True, False])
@pytest.mark.parametrize("chunksize", [1, 2, 100])
def test_csv_transform_changes_only_the_scaled_fields(
    tmp_path, capsys, ending, last_ending, chunksize
):
    data = tmp_path / "messy.csv"
    data.write_bytes(messy_bytes(ending, last_ending))
    assert run(
        capsys, "fit", data, "--scaler", "minmax", "--columns", "price",
        "-o", tmp_path / "s.json",
    )[0] == 0  # fmt: skip
    status, out, err = run(
        capsys, "transform", data, "--scaler", tmp_path / "s.json",
        "--chunksize", chunksize, "-o", tmp_path / "out.csv",
    )  # fmt: skip
    assert (status, err) == (0, ""), err
    assert out.startswith("6 rows transformed by MinMaxScaler (1 of 6 columns)")

    prices = [1.10, 2.5, np.nan, 3.25, np.nan, 4.0]
    scaled = MinMaxScaler().fit_transform(np.array(prices)[:, None])[:, 0]
    rows = [list(row) for row in MESSY_ROWS]
    for row, value in zip(rows, scaled, strict=True):
        if not np.isnan(value):
            row[2] = repr(float(value))
    lines = [MESSY_HEADER] + [",".join(row) for row in rows]
    expected = ending.join(lines) + (ending if last_ending else "")
    assert (tmp_path / "out.csv").read_bytes() == expected.encode("utf-8")


def test_the_issue_example_keeps_zeros_booleans_and_digits(tmp_path, capsys):
    data = tmp_path / "z.csv"
    data.write_bytes(b"zip,id,price,flag\n01234,007,1.5,TRUE\n02139,010,2.5,FALSE\n")
    run(capsys, "fit", data, "--scaler", "minmax", "--columns", "price", "-o",
        tmp_path / "z.json")  # fmt: skip
    run(capsys, "transform", data, "--scaler", tmp_path / "z.json", "-o",
        tmp_path / "o.csv")  # fmt: skip
    assert (tmp_path / "o.csv").read_bytes() == (
        b"zip,id,price,flag\n01234,007,0.0,TRUE\n02139,010,1.0,FALSE\n"
    )


def test_bytes_that_are_not_utf8_pass_through(tmp_path, capsys):
    data = tmp_path / "latin1.csv"
    data.write_bytes(b"name,x\ncaf\xe9,1\n\xff\xfe,3\n")
    run(capsys, "fit", data, "--scaler", "maxabs", "-o", tmp_path / "s.json")
    assert load(tmp_path / "s.json").feature_names_in_.tolist() == ["x"]
    run(capsys, "transform", data, "--scaler", tmp_path / "s.json", "-o",
        tmp_path / "o.csv")  # fmt: skip
    expected = b"name,x\ncaf\xe9,0.3333333333333333\n\xff\xfe,1.0\n"
    assert (tmp_path / "o.csv").read_bytes() == expected


def test_scaled_values_are_repr_exact(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = rng.normal(1e3, 7.0, size=(50, 2))
    frame = pd.DataFrame(X, columns=["u", "v"])
    frame.to_csv(tmp_path / "x.csv", index=False)
    X = pd.read_csv(tmp_path / "x.csv").to_numpy()
    run(capsys, "fit", tmp_path / "x.csv", "--scaler", "standard", "-o",
        tmp_path / "s.json")  # fmt: skip
    run(capsys, "transform", tmp_path / "x.csv", "--scaler", tmp_path / "s.json",
        "-o", tmp_path / "o.csv")  # fmt: skip
    expected = StandardScaler().fit(X).transform(X)
    lines = (tmp_path / "o.csv").read_text().splitlines()[1:]
    got = np.array([[float(v) for v in line.split(",")] for line in lines])
    assert np.array_equal(got, expected)


def test_blank_lines_pass_through_and_a_one_column_blank_is_missing(tmp_path, capsys):
    two = tmp_path / "two.csv"
    two.write_bytes(b"a,b\n1,x\n\n3,y\n")
    run(capsys, "fit", two, "--scaler", "minmax", "-o", tmp_path / "t.json")
    run(capsys, "transform", two, "--scaler", tmp_path / "t.json", "-o",
        tmp_path / "t.csv")  # fmt: skip
    assert (tmp_path / "t.csv").read_bytes() == b"a,b\n0.0,x\n\n1.0,y\n"
    one = tmp_path / "one.csv"
    one.write_bytes(b"a\n1\n\n3\n")
    run(capsys, "fit", one, "--scaler", "minmax", "-o", tmp_path / "o.json")
    assert load(tmp_path / "o.json").stats_.count.tolist() == [2]
    run(capsys, "transform", one, "--scaler", tmp_path / "o.json", "-o",
        tmp_path / "o.csv")  # fmt: skip
    assert (tmp_path / "o.csv").read_bytes() == b"a\n0.0\n\n1.0\n"


def test_compressed_input(tmp_path, capsys):
    data = tmp_path / "x.csv.gz"
    with gzip.open(data, "wb") as f:
        f.write(b"id,x\n001,1\n002,3\n")
    run(capsys, "fit", data, "--scaler", "minmax", "--exclude", "id", "-o",
        tmp_path / "s.json")  # fmt: skip
    status, _, err = run(capsys, "transform", data, "--scaler", tmp_path / "s.json",
                         "-o", tmp_path / "o.csv")  # fmt: skip
    assert (status, err) == (0, "")
    assert (tmp_path / "o.csv").read_bytes() == b"id,x\n001,0.0\n002,1.0\n"


def test_csv_to_parquet_keeps_text_columns_as_text(tmp_path, capsys):
    pq = pytest.importorskip("pyarrow.parquet")
    data = tmp_path / "z.csv"
    data.write_bytes(b"zip,price\n01234,1.5\n02139,\n")
    run(capsys, "fit", data, "--scaler", "minmax", "--columns", "price", "-o",
        tmp_path / "z.json")  # fmt: skip
    run(capsys, "transform", data, "--scaler", tmp_path / "z.json", "-o",
        tmp_path / "o.parquet")  # fmt: skip
    table = pq.read_table(tmp_path / "o.parquet")
    assert table.column("zip").to_pylist() == ["01234", "02139"]
    assert table.column("price").to_pylist() == [0.0, None]


# -- errors that name the line --------------------------------------------------------


@pytest.mark.parametrize(
    "content, message",
    [
        (b"a,b\n1,2,x\n3,4,y\n",
         r"r\.csv, line 2: too many fields: 3 where the header has 2"),
        (b"a,b,c\n1,2,3\n4\n",
         r"r\.csv, line 3: too few fields: 1 where the header has 3"),
        # A quoted field over two lines: the next record starts on line 4.
        (b'a,b\n"x\ny",2\n1\n', r"r\.csv, line 4: too few fields"),
        (b'a,b\n1,"open\n', r"r\.csv, line 2: unexpected end of data"),
        (b'a,b\n1,"x"y\n', r"r\.csv, line 2: '.' expected after '\"'"),
        (b"", r"r\.csv is empty: it has no header line"),
        (b"\n1\n", r"r\.csv, line 1: the header line is empty"),
        (b"a,b\n1,2\n3,x\n", r"r\.csv, line 3, column 'b': 'x' is not a number, and "
                             r"other values of the column are; pass --na-values x"),
    ],
)  # fmt: skip
def test_malformed_rows_name_their_line(tmp_path, capsys, content, message):
    data = tmp_path / "r.csv"
    data.write_bytes(content)
    line = failed(
        capsys, "fit", data, "--scaler", "standard", "-o", tmp_path / "r.json"
    )
    assert re.search(message, line), line
    assert not (tmp_path / "r.json").exists()


def test_ragged_rows_fail_transform_too_and_leave_no_output(tmp_path, capsys):
    good = tmp_path / "good.csv"
    good.write_bytes(b"a,b\n1,2\n3,4\n")
    run(capsys, "fit", good, "--scaler", "standard", "-o", tmp_path / "s.json")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"a,b\n1,2\n3,4\n5,6,7\n")
    before = os.listdir(tmp_path)
    line = failed(capsys, "transform", bad, "--scaler", tmp_path / "s.json",
                  "--chunksize", "1", "-o", tmp_path / "o.csv")  # fmt: skip
    assert "bad.csv, line 4: too many fields" in line
    assert leftovers(tmp_path, before) == []


def test_headers_are_kept_and_chosen_columns_need_a_name_of_their_own(tmp_path, capsys):
    data = tmp_path / "h.csv"
    data.write_bytes(b"a,,a,b\n1,2,3,4\n5,6,7,8\n")
    line = failed(
        capsys, "fit", data, "--scaler", "standard", "-o", tmp_path / "1.json"
    )
    assert "h.csv, line 1: column 2 holds numbers but has no name" in line
    line = failed(capsys, "fit", data, "--scaler", "standard", "--columns", "a",
                  "-o", tmp_path / "2.json")  # fmt: skip
    assert "h.csv, line 1: the header names 'a' 2 times (columns 1, 3)" in line
    # Columns that are not chosen may have any name; the header comes back as is.
    run(capsys, "fit", data, "--scaler", "minmax", "--columns", "b", "-o",
        tmp_path / "3.json")  # fmt: skip
    run(capsys, "transform", data, "--scaler", tmp_path / "3.json", "-o",
        tmp_path / "o.csv")  # fmt: skip
    assert (tmp_path / "o.csv").read_bytes() == b"a,,a,b\n1,2,3,0.0\n5,6,7,1.0\n"


# -- the columns are chosen from the whole file ---------------------------------------


def wine_with_a_question_mark(folder):
    from sklearn.datasets import load_wine

    frame = load_wine(as_frame=True).frame
    frame = frame.astype({"proline": object})
    frame.loc[120, "proline"] = "?"
    path = folder / "wine.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("chunksize", [1, 7, 50, 121, 100_000])
def test_a_stray_token_is_an_error_for_every_chunksize(tmp_path, capsys, chunksize):
    path = wine_with_a_question_mark(tmp_path)
    line = failed(capsys, "fit", path, "--scaler", "standard", "--chunksize",
                  chunksize, "-o", tmp_path / "w.json")  # fmt: skip
    assert "wine.csv, line 122, column 'proline': '?' is not a number" in line
    assert "--na-values ?" in line and "--exclude proline" in line


def test_the_fit_does_not_depend_on_the_chunksize(tmp_path, capsys):
    path = wine_with_a_question_mark(tmp_path)
    fitted = []
    for chunksize in (1, 7, 50, 121, 100_000):
        out = tmp_path / f"w{chunksize}.json"
        status, _, err = run(capsys, "fit", path, "--scaler", "standard",
                             "--na-values", "?", "--chunksize", chunksize,
                             "-o", out)  # fmt: skip
        assert (status, err) == (0, "")
        fitted.append(load(out))
    first = fitted[0]
    assert "proline" in first.feature_names_in_
    assert first.stats_.count[list(first.feature_names_in_).index("proline")] == 177
    for other in fitted[1:]:
        assert list(other.feature_names_in_) == list(first.feature_names_in_)
        assert_allclose(other.mean_, first.mean_, rtol=1e-14)
        assert_allclose(other.var_, first.var_, rtol=1e-12)
    status, _, _ = run(capsys, "fit", path, "--scaler", "standard", "--exclude",
                       "proline", "-o", tmp_path / "x.json")  # fmt: skip
    assert status == 0
    assert "proline" not in load(tmp_path / "x.json").feature_names_in_


def test_a_column_of_text_passes_through_and_a_late_number_is_an_error(
    tmp_path, capsys
):
    data = tmp_path / "t.csv"
    rows = [f"{i},name{i}" for i in range(30)]
    data.write_text("x,label\n" + "\n".join(rows) + "\n")
    status, out, _ = run(capsys, "fit", data, "--scaler", "standard", "--chunksize",
                         "4", "-o", tmp_path / "1.json")  # fmt: skip
    assert status == 0 and "1 column (x)" in out
    rows[25] = "25,42"
    data.write_text("x,label\n" + "\n".join(rows) + "\n")
    line = failed(capsys, "fit", data, "--scaler", "standard", "--chunksize", "4",
                  "-o", tmp_path / "2.json")  # fmt: skip
    assert "t.csv, line 2, column 'label': 'name0' is not a number" in line


def test_a_column_empty_at_first_then_text_is_left_out(tmp_path, capsys):
    data = tmp_path / "e.csv"
    rows = [f"{i},," for i in range(10)] + ["10,,late text", "11,,"]
    data.write_text("x,empty,note\n" + "\n".join(rows) + "\n")
    for chunksize in ("3", "100"):
        status, out, err = run(capsys, "fit", data, "--scaler", "standard",
                               "--chunksize", chunksize, "-o", tmp_path / "e.json",
                               "--force")  # fmt: skip
        assert (status, err) == (0, "")
        assert "12 rows of 1 column (x)" in out
        scaler = load(tmp_path / "e.json")
        assert scaler.feature_names_in_.tolist() == ["x"]
        assert_allclose(scaler.mean_, [5.5])


# -- options ------------------------------------------------------------------------


def test_sep_na_values_and_exclude(tmp_path, capsys):
    data = tmp_path / "s.csv"
    data.write_bytes(b"a;b;c\n1;-;x\n3;4;y\n5;6;z\n")
    status, out, err = run(capsys, "fit", data, "--scaler", "minmax", "--sep", ";",
                           "--na-values", "-", "-o", tmp_path / "s.json")  # fmt: skip
    assert (status, err) == (0, ""), err
    assert "2 columns (a, b)" in out
    run(capsys, "transform", data, "--scaler", tmp_path / "s.json", "--sep", ";",
        "--na-values", "-", "-o", tmp_path / "o.csv")  # fmt: skip
    assert (tmp_path / "o.csv").read_bytes() == (
        b"a;b;c\n0.0;-;x\n0.5;0.0;y\n1.0;1.0;z\n"
    )
    tab = tmp_path / "t.csv"
    tab.write_bytes(b"a\tb\n1\t2\n3\t4\n")
    status, out, _ = run(capsys, "fit", tab, "--scaler", "maxabs", "--sep", "tab",
                         "--exclude", "a", "-o", tmp_path / "t.json")  # fmt: skip
    assert status == 0 and "1 column (b)" in out
    line = failed(capsys, "fit", tab, "--scaler", "maxabs", "--exclude", "zz",
                  "-o", tmp_path / "u.json")  # fmt: skip
    assert "has no column 'zz' (named by --exclude)" in line


def test_param_sets_typed_and_validated_parameters(tmp_path, capsys):
    data = tmp_path / "p.csv"
    data.write_bytes(b"a,b\n1,2\n3,5\n")
    status, _, err = run(capsys, "fit", data, "--scaler", "minmax", "--param",
                         "feature_range=-1,1", "--param", "clip=true", "-o",
                         tmp_path / "m.json")  # fmt: skip
    assert (status, err) == (0, "")
    scaler = load(tmp_path / "m.json")
    assert scaler.feature_range == (-1, 1) and scaler.clip is True
    run(capsys, "fit", data, "--scaler", "minibatch", "--param", "momentum=0.1",
        "-o", tmp_path / "b.json")  # fmt: skip
    assert load(tmp_path / "b.json").momentum == 0.1
    run(capsys, "fit", data, "--scaler", "unitlength", "--param", "norm=l1",
        "-o", tmp_path / "u.json")  # fmt: skip
    assert load(tmp_path / "u.json").norm == "l1"
    run(capsys, "transform", data, "--scaler", tmp_path / "u.json", "-o",
        tmp_path / "u.csv")  # fmt: skip
    assert (tmp_path / "u.csv").read_bytes() == (
        b"a,b\n0.3333333333333333,0.6666666666666666\n0.375,0.625\n"
    )
    bad = {
        "bogus=1": "--param bogus: MinMaxScaler has no such parameter",
        "feature_range=1,1": "--param: feature_range must be",
        "clip=maybe": "--param: clip must be",
        "feature_range": "argument --param: expected NAME=VALUE",
    }
    for param, message in bad.items():
        line = failed(capsys, "fit", data, "--scaler", "minmax", "--param", param,
                      "-o", tmp_path / "x.json")  # fmt: skip
        assert message in line, line


def test_fit_refuses_to_overwrite_data(tmp_path, capsys):
    data = tmp_path / "d.csv"
    data.write_bytes(b"a\n1\n2\n")
    for output in ("d.csv", "d.parquet", "other.csv.gz", "x.pq"):
        line = failed(capsys, "fit", data, "--scaler", "standard", "-o",
                      tmp_path / output, "--force")  # fmt: skip
        assert "has a data file's extension" in line
    os.link(data, tmp_path / "same.json")
    line = failed(capsys, "fit", data, "--scaler", "standard", "-o",
                  tmp_path / "same.json", "--force")  # fmt: skip
    assert "is the data file" in line
    assert data.read_bytes() == b"a\n1\n2\n"


def test_version(capsys):
    import skscale

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out == f"skscale {skscale.__version__}\n"


class FakeTqdm:
    calls: ClassVar[list] = []

    def __init__(self, **options):
        self.file = options["file"]
        FakeTqdm.calls.append(options["desc"])

    def update(self, n):
        print(f"progress {n}", file=self.file)

    def close(self):
        pass


@pytest.fixture
def fake_tqdm(monkeypatch):
    module = types.ModuleType("tqdm")
    module.tqdm = FakeTqdm
    FakeTqdm.calls = []
    monkeypatch.setitem(sys.modules, "tqdm", module)
    return FakeTqdm


@pytest.mark.parametrize("flag, tty, shown", [
    ("--progress", False, True),
    ("--no-progress", True, False),
    (None, True, True),
    (None, False, False),
])  # fmt: skip
def test_progress_goes_to_stderr_only(tmp_path, capsys, monkeypatch, fake_tqdm,
                                      flag, tty, shown):  # fmt: skip
    monkeypatch.setattr(sys.stderr, "isatty", lambda: tty)
    data = tmp_path / "d.csv"
    data.write_bytes(b"a,b\n1,2\n3,4\n5,6\n")
    flags = [] if flag is None else [flag]
    status, out, err = run(capsys, "fit", data, "--scaler", "standard",
                           "--chunksize", "2", *flags,
                           "-o", tmp_path / "s.json")  # fmt: skip
    assert status == 0
    assert out.startswith("StandardScaler fitted on 3 rows") and out.count("\n") == 1
    assert ("progress 2" in err) == shown
    assert fake_tqdm.calls == (["fit"] if shown else [])


def test_progress_without_tqdm_is_an_error(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    data = tmp_path / "d.csv"
    data.write_bytes(b"a\n1\n")
    line = failed(capsys, "fit", data, "--scaler", "standard", "--progress", "-o",
                  tmp_path / "s.json")  # fmt: skip
    assert "--progress needs tqdm" in line


# -- signals --------------------------------------------------------------------------


def test_resource_warnings_are_not_shown_to_the_user(tmp_path, capsys, monkeypatch):
    # As Python's default filters do: a ResourceWarning (a file the import
    # system had open when SIGTERM arrived, say) is no line for the user;
    # other warnings are, once each.
    def warns(args):
        for _ in range(2):
            warnings.warn("unclosed file <x>", ResourceWarning, stacklevel=2)
            warnings.warn("a warning for the user", UserWarning, stacklevel=2)
        return 0

    monkeypatch.setattr(_cli, "_inspect", warns)
    status, out, err = run(capsys, "inspect", tmp_path / "s.json")
    assert (status, out) == (0, "")
    assert err.splitlines() == ["skscale: warning: a warning for the user"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigterm_during_transform_removes_the_temporary_file(tmp_path):
    rows = 400_000
    data = tmp_path / "big.csv"
    values = np.arange(rows, dtype=np.float64)
    pd.DataFrame({"id": values.astype(int), "x": values}).to_csv(data, index=False)
    dump(StandardScaler().fit(pd.DataFrame({"x": values})), tmp_path / "s.json")
    before = os.listdir(tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "skscale._cli", "transform", str(data), "--scaler",
         str(tmp_path / "s.json"), "--chunksize", "50", "-o", str(tmp_path / "o.csv")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not leftovers(tmp_path, before) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert leftovers(tmp_path, before), "no temporary file appeared"
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM
    assert err.strip() == "skscale: terminated"
    assert leftovers(tmp_path, before) == []


# -- the tokenizer ----------------------------------------------------------------


def test_number_grammar():
    numbers = ["1", "-1", "+1.5", ".5", "5.", "1e5", "1E-5", " 2 ", "inf", "-Infinity",
               "nan", "007"]  # fmt: skip
    others = [
        "",
        "1_000",
        "0x1F",
        "1d5",
        "TRUE",
        "\u0661",
        "1,5",
        "e5",
        "--1",
        "1e",
        ".",
    ]
    assert all(NUMBER.fullmatch(t) for t in numbers)
    assert not any(NUMBER.fullmatch(t) for t in others)
    column = parse_column(["1", "", "1_000", "x", "2"], DEFAULT_NA_VALUES)
    assert column.numbers == 2 and column.other == (2, "1_000")
    assert column.missing.tolist() == [False, True, False, False, False]


def test_split_raw_keeps_quotes():
    body = 'a,"b,c",,"d ""e"", f",g'
    fields = split_raw(body, ",")
    assert fields == ["a", '"b,c"', "", '"d ""e"", f"', "g"]
    assert ",".join(fields) == body


def test_transform_over_its_own_input_reads_it_whole_first(tmp_path, capsys):
    # The reader holds the file while the output is written beside it, then
    # renamed over it: nothing is read from the half-written output.
    data = tmp_path / "d.csv"
    rows = "".join(f"{i:03d},{i}\n" for i in range(300))
    data.write_text("id,x\n" + rows)
    run(capsys, "fit", data, "--scaler", "minmax", "--columns", "x", "-o",
        tmp_path / "s.json")  # fmt: skip
    status, _, err = run(capsys, "transform", data, "--scaler", tmp_path / "s.json",
                         "--chunksize", "7", "-o", data, "--force")  # fmt: skip
    assert (status, err) == (0, "")
    lines = data.read_text().splitlines()
    assert len(lines) == 301 and lines[1] == "000,0.0" and lines[-1] == "299,1.0"
    assert sorted(os.listdir(tmp_path)) == ["d.csv", "s.json"]
