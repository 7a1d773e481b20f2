"""The command line against malformed files and arguments.

Every case must end with exit status 2, exactly one line on stderr that starts
``skscale: error:`` and says what is wrong, nothing on stdout, no traceback, and
no output file (nor temporary file) left behind.
"""

import gzip
import json
import os
import re
import zipfile

import numpy as np
import pandas as pd
import pytest

from skscale import MinMaxScaler, StandardScaler, UnitLengthNormalizer
from skscale._cli import main
from skscale._persistence import dump

GOOD = b"a,b,name\n1,2,x\n3,5,y\n4,9,z\n"


def write_files(folder):
    """name -> bytes of every input file the cases refer to as {name}."""
    frame = pd.DataFrame({"a": [1.0, 3.0, 4.0], "b": [2.0, 5.0, 9.0]})
    files = {
        "good.csv": GOOD,
        "empty.csv": b"",
        "bom.csv": b"\xef\xbb\xbf",
        "blank_header.csv": b"\n1,2\n",
        "many.csv": b"a,b\n1,2\n3,4,5\n",
        "few.csv": b"a,b,c\n1,2,3\n4,5\n",
        "open_quote.csv": b'a,b\n1,"2\n3,4\n',
        "after_quote.csv": b'a,b\n1,"2"x\n',
        "stray.csv": b"a,b\n1,2\n3,?\n4,5\n",
        "late_number.csv": b"a,b\n1,x\n2,y\n3,4\n",
        "infinite.csv": b"a,b\n1,2\n3,inf\n",
        "minus_infinite.csv": b"a,b\n1,-Infinity\n3,4\n",
        "text.csv": b"a,b\nx,y\nz,w\n",
        "header_only.csv": b"a,b\n",
        "no_name.csv": b"a,,c\n1,2,3\n",
        "repeated.csv": b"a,b,a\n1,2,3\n",
        "latin1_name.csv": b"a,\xe9t\xe9\n1,2\n3,4\n",
        "semicolons.csv": b"a;b\n1;2\n3;4\n",
        "garbage.csv": bytes(range(256)) * 3,
        "not_gzip.csv.gz": b"a,b\n1,2\n",
        "truncated.csv.gz": gzip.compress(GOOD * 100)[:40],
        "two_members.csv.zip": _zip({"x.csv": GOOD, "y.csv": GOOD}),
        "not_zip.csv.zip": b"PK not really",
        "bad.parquet": b"PAR1 not really parquet PAR1",
        "data.txt": GOOD,
        "underscore.csv": b"a\n1_000\n2\n",
        "deep.json": b"[" * 100_000,
        "not_json.json": b'{"class": "StandardScaler",',
        "empty.json": b"",
        "list.json": b"[1, 2, 3]",
        "huge_norm.json": _huge_norm(folder),
        "existing.json": b"keep",
    }
    for name, content in files.items():
        (folder / name).write_bytes(content)
    (folder / "a_folder").mkdir()
    _repeated_parquet(folder / "repeated.parquet")
    dump(MinMaxScaler().fit(frame), folder / "fitted.json")
    dump(MinMaxScaler().fit(frame[["b"]]), folder / "fitted_b.json")
    dump(StandardScaler().fit(frame.to_numpy()), folder / "unnamed.json")
    dump(StandardScaler(), folder / "unfitted.json")
    dump(StandardScaler().fit(pd.DataFrame({"zz": [1.0, 2.0]})), folder / "other.json")


def _repeated_parquet(path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(
        pa.Table.from_arrays([pa.array([1.0, 2.0])] * 2, names=["a", "a"]), path
    )


def _zip(members):
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _huge_norm(folder):
    dump(UnitLengthNormalizer().fit(np.ones((2, 2))), folder / "norm.json")
    document = json.loads((folder / "norm.json").read_text())
    document["params"]["norm"] = 10**400
    return json.dumps(document).encode()


FIT = ["fit", "--scaler", "standard", "-o", "{out}.json"]

# name -> (arguments, a regular expression the error line must match). {out}
# is an output name of the case's own; each case's output must not appear.
CASES = {
    # -- CSV files that do not parse ----------------------------------------
    "empty file": (["fit", "{empty.csv}", "--scaler", "standard", "-o", "{out}.json"],
                   r"empty\.csv is empty: it has no header line"),
    "only a BOM": (["fit", "{bom.csv}", "--scaler", "standard", "-o", "{out}.json"],
                   r"bom\.csv, line 1: the header line is empty"),
    "blank header": (["fit", "{blank_header.csv}", "--scaler", "minmax", "-o",
                      "{out}.json"], r"line 1: the header line is empty"),
    "too many fields": (["fit", "{many.csv}", "--scaler", "standard", "-o",
                         "{out}.json"], r"many\.csv, line 3: too many fields"),
    "too few fields": (["fit", "{few.csv}", "--scaler", "standard", "-o",
                        "{out}.json"], r"few\.csv, line 3: too few fields"),
    "unterminated quote": (["fit", "{open_quote.csv}", "--scaler", "standard", "-o",
                            "{out}.json"], r"open_quote\.csv, line 2: "),
    "text after a quote": (["fit", "{after_quote.csv}", "--scaler", "standard",
                            "-o", "{out}.json"], r"after_quote\.csv, line 2: "),
    "stray token": (["fit", "{stray.csv}", "--scaler", "standard", "-o",
                     "{out}.json"], r"stray\.csv, line 3, column 'b': '\?' is not a "
                                    r"number"),
    "number after text": (["fit", "{late_number.csv}", "--scaler", "standard", "-o",
                           "{out}.json"], r"line 2, column 'b': 'x' is not a number"),
    "infinity": (["fit", "{infinite.csv}", "--scaler", "standard", "-o",
                  "{out}.json"], r"infinite\.csv, line 3, column 'b': 'inf' is "
                                 r"infinite"),
    "minus infinity with --columns": (
        ["fit", "{minus_infinite.csv}", "--scaler", "minmax", "--columns", "b",
         "-o", "{out}.json"], r"line 2, column 'b': '-Infinity' is infinite"),
    "no numeric column": (["fit", "{text.csv}", "--scaler", "standard", "-o",
                           "{out}.json"], r"text\.csv has no numeric column"),
    "another separator": (
        ["fit", "{semicolons.csv}", "--scaler", "standard", "-o", "{out}.json"],
        r"semicolons\.csv has no numeric column to scale \(its header is one "
        r"column, 'a;b': if ';' separates the fields, pass --sep ';'\)"),
    "no rows": (["fit", "{header_only.csv}", "--scaler", "standard", "-o",
                 "{out}.json"], r"has no numeric column|has no rows"),
    "numbers without a name": (["fit", "{no_name.csv}", "--scaler", "standard",
                                "-o", "{out}.json"],
                               r"line 1: column 2 holds numbers but has no name"),
    # Read as lone surrogates, the name fitted nothing: pandas' string index
    # (pyarrow) raised "'utf-8' codec can't encode character '\\udce9'".
    "numbers named in another encoding": (
        ["fit", "{latin1_name.csv}", "--scaler", "standard", "-o", "{out}.json"],
        r"latin1_name\.csv, line 1: the name of column 2, b'\\xe9t\\xe9', is not "
        r"UTF-8 text; save the file as UTF-8"),
    # A Parquet file has no line 1: its schema names the columns.
    "repeated name in a Parquet file": (
        ["fit", "{repeated.parquet}", "--scaler", "standard", "-o", "{out}.json"],
        r"repeated\.parquet: the schema names 'a' 2 times \(columns 1, 2\)"),
    "repeated name chosen": (["fit", "{repeated.csv}", "--scaler", "standard",
                              "--columns", "a", "-o", "{out}.json"],
                             r"line 1: the header names 'a' 2 times"),
    "binary garbage": (["fit", "{garbage.csv}", "--scaler", "standard", "-o",
                        "{out}.json"], r"garbage\.csv, line \d+: "),
    "not gzip": (["fit", "{not_gzip.csv.gz}", "--scaler", "standard", "-o",
                  "{out}.json"], r"not_gzip\.csv\.gz, line 1: Not a gzipped file"),
    "truncated gzip": (["fit", "{truncated.csv.gz}", "--scaler", "standard", "-o",
                        "{out}.json"], r"truncated\.csv\.gz, line \d+: "),
    "zip of two files": (["fit", "{two_members.csv.zip}", "--scaler", "standard",
                          "-o", "{out}.json"], r"must hold exactly one CSV file"),
    "not a zip": (["fit", "{not_zip.csv.zip}", "--scaler", "standard", "-o",
                   "{out}.json"], r"not_zip\.csv\.zip: File is not a zip file"),
    "not Parquet": (["fit", "{bad.parquet}", "--scaler", "standard", "-o",
                     "{out}.json"], r"bad\.parquet: "),
    "unknown data format": (["fit", "{data.txt}", "--scaler", "standard", "-o",
                             "{out}.json"], r"cannot tell the format"),
    "underscore in a number": (["fit", "{underscore.csv}", "--scaler", "standard",
                                "--columns", "a", "-o", "{out}.json"],
                               r"line 2, column 'a': '1_000' is not a number"),
    # -- paths ------------------------------------------------------------------
    "missing data file": (["fit", "{absent.csv}", "--scaler", "standard", "-o",
                           "{out}.json"], r"no such file: '.*absent\.csv'"),
    "data is a folder": (["fit", "{a_folder}", "--scaler", "standard", "-o",
                          "{out}.json"], r"a_folder' is a folder"),
    "output folder missing": (["fit", "{good.csv}", "--scaler", "standard", "-o",
                               "{nowhere}/x.json"], r"no such folder"),
    "output exists": (["fit", "{good.csv}", "--scaler", "standard", "-o",
                       "{existing.json}"], r"exists; pass --force"),
    "output is a folder": (["fit", "{good.csv}", "--scaler", "standard", "-o",
                            "{a_folder}", "--force"], r"a_folder' is a folder|"
                                                      r"data file's extension"),
    "fit output is data": (["fit", "{good.csv}", "--scaler", "standard", "-o",
                            "{out}.parquet", "--force"],
                           r"has a data file's extension"),
    "fit output is the input": (["fit", "{good.csv}", "--scaler", "standard",
                                 "-o", "{good.csv}", "--force"],
                                r"has a data file's extension"),
    # -- arguments --------------------------------------------------------------
    "no command": ([], r"arguments are required: COMMAND"),
    "unknown command": (["scale"], r"invalid choice: 'scale'"),
    "unknown option": (["fit", "{good.csv}", "--scaler", "standard", "--fast",
                        "-o", "{out}.json"], r"unrecognized arguments: --fast"),
    "unknown scaler": (["fit", "{good.csv}", "--scaler", "robust", "-o",
                        "{out}.json"], r"--scaler: invalid choice: 'robust'"),
    "chunksize zero": ([*FIT[:3], "--chunksize", "0", "{good.csv}", *FIT[3:]],
                       r"--chunksize: expected an integer >= 1, got '0'"),
    "chunksize text": ([*FIT[:3], "--chunksize", "many", "{good.csv}", *FIT[3:]],
                       r"--chunksize: expected an integer >= 1, got 'many'"),
    "separator of two characters": ([*FIT, "{good.csv}", "--sep", ";;"],
                                    r"--sep: expected one character"),
    "separator a quote": ([*FIT, "{good.csv}", "--sep", '"'],
                          r"--sep: expected one character"),
    "columns and exclude": ([*FIT, "{good.csv}", "--columns", "a", "--exclude",
                             "b"], r"not allowed with argument"),
    "absent column": ([*FIT, "{good.csv}", "--columns", "a,zz"],
                      r"good\.csv has no column 'zz'"),
    "column named twice": ([*FIT, "{good.csv}", "--columns", "a,b,a"],
                           r"--columns names a more than once"),
    "empty column name": ([*FIT, "{good.csv}", "--columns", "a,,b"],
                          r"--columns has an empty name"),
    "text column chosen": ([*FIT, "{good.csv}", "--columns", "a,name"],
                           r"line 2, column 'name': 'x' is not a number"),
    "absent excluded column": ([*FIT, "{good.csv}", "--exclude", "zz"],
                               r"no column 'zz' \(named by --exclude\)"),
    "param without value": ([*FIT, "{good.csv}", "--param", "ddof"],
                            r"--param: expected NAME=VALUE"),
    "unknown param": ([*FIT, "{good.csv}", "--param", "gamma=1"],
                      r"--param gamma: StandardScaler has no such parameter"),
    "invalid param": ([*FIT, "{good.csv}", "--param", "ddof=-1"],
                      r"--param: .*ddof"),
    "param given twice": ([*FIT, "{good.csv}", "--param", "ddof=1", "--param",
                           "ddof=0"], r"--param ddof is given more than once"),
    "bad feature_range": (["fit", "{good.csv}", "--scaler", "minmax", "--param",
                           "feature_range=2,1", "-o", "{out}.json"],
                          r"--param: feature_range must be"),
    # -- saved scalers ------------------------------------------------------------
    "scaler file missing": (["transform", "{good.csv}", "--scaler", "{absent.json}",
                             "-o", "{out}.csv"], r"no such scaler file"),
    "scaler nested too deeply": (["transform", "{good.csv}", "--scaler",
                                  "{deep.json}", "-o", "{out}.csv"],
                                 r"deep\.json|nested too deeply"),
    "scaler not JSON": (["inspect", "{not_json.json}"], r"not valid JSON"),
    "scaler empty": (["inspect", "{empty.json}"], r"empty\.json"),
    "scaler a list": (["inspect", "{list.json}"], r"must be a JSON object"),
    "huge integer norm": (["inspect", "{huge_norm.json}"], r"norm"),
    "scaler is a folder": (["inspect", "{a_folder}"], r"not a regular file"),
    "scaler not fitted": (["transform", "{good.csv}", "--scaler", "{unfitted.json}",
                           "-o", "{out}.csv"], r"the scaler is not fitted"),
    "scaler without names": (["transform", "{good.csv}", "--scaler",
                              "{unnamed.json}", "-o", "{out}.csv"],
                             r"fitted on an array, without column names"),
    "scaler's columns absent": (["transform", "{good.csv}", "--scaler",
                                 "{other.json}", "-o", "{out}.csv"],
                                r"good\.csv has no column 'zz', which the scaler"),
    "transform stray token": (["transform", "{stray.csv}", "--scaler",
                               "{fitted.json}", "-o", "{out}.csv"],
                              r"stray\.csv, line 3, column 'b': '\?' is not a "
                              r"number; the scaler was fitted"),
    "transform ragged row": (["transform", "{many.csv}", "--scaler",
                              "{fitted.json}", "-o", "{out}.csv"],
                             r"many\.csv, line 3: too many fields"),
    "Parquet output of repeated names": (["transform", "{repeated.csv}", "--scaler",
                                          "{fitted_b.json}", "-o", "{out}.parquet"],
                                         r"a Parquet file cannot hold two columns"),
    "transform output format": (["transform", "{good.csv}", "--scaler",
                                 "{fitted.json}", "-o", "{out}.txt"],
                                r"cannot tell the format"),
    # -- compare ----------------------------------------------------------------
    "compare without target": (["compare", "{good.csv}"], r"DATA needs --target"),
    "compare absent target": (["compare", "{good.csv}", "--target", "zz"],
                              r"has no column 'zz'"),
    "compare ragged file": (["compare", "{many.csv}", "--target", "a"],
                            r"many\.csv, line 3: too many fields"),
    "compare one fold": (["compare", "--cv", "1"], r"--cv: expected an integer"),
    "compare plot format": (["compare", "--plot", "{out}.xyz"],
                            r"cannot write a chart"),
}  # fmt: skip


def expand(args, folder, case):
    out = folder / f"out_{abs(hash(case))}"
    expanded = []
    for arg in args:
        arg = arg.replace("{out}", str(out)).replace("{nowhere}", str(folder / "no"))
        expanded.append(re.sub(r"\{([^}]+)\}", lambda m: str(folder / m[1]), arg))
    return expanded


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("malformed")
    write_files(folder)
    return folder


def test_there_are_at_least_forty_cases():
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", CASES)
def test_malformed_input_is_one_line_and_exit_2(case, folder, capsys):
    args, message = CASES[case]
    before = sorted(os.listdir(folder))
    existing = (folder / "existing.json").read_bytes()
    status = main(expand(args, folder, case))
    out, err = capsys.readouterr()
    assert (status, out) == (2, ""), err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("skscale: error: ")
    assert re.search(message, lines[0]), lines[0]
    assert sorted(os.listdir(folder)) == before
    assert (folder / "existing.json").read_bytes() == existing
    assert (folder / "good.csv").read_bytes() == GOOD
