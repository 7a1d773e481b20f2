"""CSV files as text: what the command line does not scale comes back as it was.

The ``skscale`` command reads CSV files with Python's :mod:`csv` module, not
pandas, so that it sees each field as the text in the file: a column that is
not scaled, the header line, quoting, line endings, a byte-order mark and even
bytes that are not UTF-8 pass through byte for byte; only the fields of the
scaled columns are rewritten (as ``repr``-exact floats). Every record keeps the
number of the line it starts on, so that an error can name it as an editor
shows it.

The rules, in one place:

- the first record is the header; every other record must have as many fields
  (a blank line is skipped, and passed through, unless the file has one column,
  where it is a missing value);
- a token is a number when it matches :data:`NUMBER` (decimal, with an optional
  exponent, or ``inf`` / ``nan``); a token of ``na_values`` is a missing value;
- a column is numeric when it holds at least one number and every other token
  is missing; with a number and some other token it is an error naming the first
  such line; with no number at all it is text.
"""

import bz2
import csv
import gzip
import io
import itertools
import lzma
import os
import re
import zipfile
import zlib
from dataclasses import dataclass, field

import numpy as np

# pandas' default missing-value tokens (``pandas.read_csv``'s ``na_values``).
DEFAULT_NA_VALUES = frozenset(
    [
        "",
        "#N/A",
        "#N/A N/A",
        "#NA",
        "-1.#IND",
        "-1.#QNAN",
        "-NaN",
        "-nan",
        "1.#IND",
        "1.#QNAN",
        "<NA>",
        "N/A",
        "NA",
        "NULL",
        "NaN",
        "None",
        "n/a",
        "nan",
        "null",
    ]
)

#: What a number looks like: ASCII decimal with an optional sign, fraction and
#: exponent, or ``inf``, ``infinity``, ``nan`` in any case; spaces and tabs
#: around it are allowed. (Python's ``float`` also takes ``1_000`` and other
#: scripts' digits; a CSV file does not mean those as numbers.)
NUMBER = re.compile(
    r"[ \t]*[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity|nan)[ \t]*",
    re.IGNORECASE | re.ASCII,
)

_ENCODING = "utf-8"
# Bytes that are not UTF-8 are carried through as lone surrogates, and written
# back as the same bytes.
_ERRORS = "surrogateescape"


def open_text(path):
    """Open a (possibly compressed) CSV file for reading as text, lines untranslated."""
    try:
        return _open_text(path)
    except zipfile.BadZipFile as exc:
        raise ValueError(f"{os.fspath(path)}: {exc}") from None


def _open_text(path):
    name = os.fspath(path).lower()
    openers = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
    suffix = os.path.splitext(name)[1]
    if suffix in openers:
        binary = openers[suffix](path, "rb")
    elif name.endswith(".zst"):
        binary = _zstd_open(path)
    elif name.endswith(".zip"):
        binary = _zip_member(path)
    else:
        return open(path, encoding=_ENCODING, errors=_ERRORS, newline="")
    return io.TextIOWrapper(binary, encoding=_ENCODING, errors=_ERRORS, newline="")


def open_output(path):
    """Open a CSV output for writing: the same encoding, lines untranslated."""
    return open(path, "w", encoding=_ENCODING, errors=_ERRORS, newline="")


def _zstd_open(path):
    try:
        import zstandard
    except ImportError:
        raise ValueError(
            f"{os.fspath(path)}: .zst files need the zstandard package: "
            "pip install zstandard"
        ) from None
    return zstandard.open(path, "rb")


def _zip_member(path):
    archive = zipfile.ZipFile(path)
    names = [info.filename for info in archive.infolist() if not info.is_dir()]
    if len(names) != 1:
        archive.close()
        raise ValueError(
            f"{os.fspath(path)}: a .zip file must hold exactly one CSV file, "
            f"this one holds {len(names)}"
        )
    return archive.open(names[0])


# What reading a damaged or compressed file can raise besides csv.Error.
_READ_ERRORS = (OSError, EOFError, UnicodeError, zlib.error, lzma.LZMAError)


def _message(exc):
    text = str(exc) or type(exc).__name__
    if isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror
    return text


class _Lines:
    """The lines of a text file, numbered, keeping the text of the current record."""

    def __init__(self, file):
        self._file = file
        self.number = 0
        self.taken = []
        self.pending = []

    def __iter__(self):
        return self

    def __next__(self):
        line = self.pending.pop() if self.pending else next(self._file)
        self.number += 1
        self.taken.append(line)
        return line

    def block(self, n):
        """The next ``n`` lines at most, read in one go (not numbered yet)."""
        lines = self.pending[::-1]
        self.pending = []
        if len(lines) < n:
            lines += itertools.islice(self._file, n - len(lines))
        return lines


def _ending(text):
    if text.endswith("\r\n"):
        return "\r\n"
    if text.endswith(("\n", "\r")):
        return text[-1]
    return ""


@dataclass
class Chunk:
    """Records of a CSV file: their first line numbers, fields and raw text."""

    lines: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    raw: list = field(default_factory=list)

    def __len__(self):
        return len(self.rows)


class Reader:
    """Read a CSV file record by record; use as a context manager.

    Parameters
    ----------
    path : str or path-like
        A CSV file, possibly compressed (``.gz``, ``.bz2``, ``.xz``, ``.zip``,
        ``.zst``).
    sep : str, default=","
        The one-character field separator.

    Attributes
    ----------
    names : list of str
        The header's fields (a leading byte-order mark removed).
    header : str
        The header record exactly as in the file, line ending included.
    """

    def __init__(self, path, sep=","):
        self.path = os.fspath(path)
        self.sep = sep
        self._file = None

    def __enter__(self):
        self._file = open_text(self.path)
        try:
            self._lines = _Lines(self._file)
            self._reader = csv.reader(
                self._lines, delimiter=self.sep, quotechar='"', strict=True
            )
            header = self._next()
            if header is None:
                raise ValueError(f"{self.path} is empty: it has no header line")
            names, self.header = header[1], header[2]
            if names and names[0].startswith("\ufeff"):
                names[0] = names[0][1:]
            if names in ([], [""]):
                raise ValueError(f"{self.path}, line 1: the header line is empty")
            self.names = names
        except BaseException:
            self._file.close()
            raise
        return self

    def __exit__(self, *exc):
        self._file.close()

    def where(self, line):
        return f"{self.path}, line {line}"

    def _next(self):
        """The next record: (first line, fields, raw text), or None at the end."""
        start = self._lines.number + 1
        try:
            fields = next(self._reader, None)
        except (csv.Error, *_READ_ERRORS) as exc:
            raise ValueError(f"{self.where(start)}: {_message(exc)}") from None
        raw = "".join(self._lines.taken)
        self._lines.taken.clear()
        if fields is None:
            return None
        return start, fields, raw

    def chunks(self, chunksize):
        """Yield :class:`Chunk` objects of up to ``chunksize`` records.

        Blank lines are kept in ``raw`` with ``None`` as their fields (a
        missing value in a file of one column). A block of lines without a
        quote is split at the separator directly: each line is one record, as
        the :mod:`csv` module would read it; a block with a quote goes through
        the :mod:`csv` module.
        """
        while True:
            try:
                block = self._lines.block(chunksize)
            except _READ_ERRORS as exc:
                line = self._lines.number + 1
                raise ValueError(f"{self.where(line)}: {_message(exc)}") from None
            if not block:
                return
            if '"' in "".join(block):
                self._lines.pending = block[::-1]
                chunk = self._parsed(chunksize)
            else:
                chunk = self._split(block)
            if chunk.rows:
                yield chunk

    def _split(self, block):
        first = self._lines.number + 1
        self._lines.number += len(block)
        sep = self.sep
        rows = [line.rstrip("\r\n").split(sep) for line in block]
        width = len(self.names)
        ragged = [i for i, row in enumerate(rows) if len(row) != width]
        for i in ragged:
            if rows[i] == [""]:
                rows[i] = None  # a blank line
            else:
                self._ragged(first + i, rows[i])
        return Chunk(list(range(first, first + len(block))), rows, block)

    def _ragged(self, line, fields):
        width = len(self.names)
        many = "many" if len(fields) > width else "few"
        raise ValueError(
            f"{self.where(line)}: too {many} fields: {len(fields)} where "
            f"the header has {width}"
        )

    def _parsed(self, chunksize):
        width = len(self.names)
        chunk = Chunk()
        count = 0
        while count < chunksize:
            record = self._next()
            if record is None:
                break
            line, fields, raw = record
            if not fields:
                if width != 1:
                    chunk.lines.append(line)
                    chunk.rows.append(None)
                    chunk.raw.append(raw)
                    continue
                fields = [""]
            elif len(fields) != width:
                self._ragged(line, fields)
            chunk.lines.append(line)
            chunk.rows.append(fields)
            chunk.raw.append(raw)
            count += 1
        return chunk


def records(chunk):
    """The line numbers and fields of a chunk's records (blank lines left out)."""
    if all(row is not None for row in chunk.rows):
        return chunk.lines, chunk.rows
    keep = [i for i, row in enumerate(chunk.rows) if row is not None]
    return [chunk.lines[i] for i in keep], [chunk.rows[i] for i in keep]


def read_frame(path, sep=",", na_values=DEFAULT_NA_VALUES):
    """A whole CSV file as a DataFrame: numeric columns float64, the others text.

    The columns follow the module's rules; missing values are NaN in a numeric
    column and None in a text one. A column with a number and some other token
    is an error naming the line, as is a name the header repeats.
    """
    import pandas as pd

    with Reader(path, sep) as reader:
        names = reader.names
        tokens = [[] for _ in names]
        lines = []
        for chunk in reader.chunks(1 << 16):
            numbers, rows = records(chunk)
            lines += numbers
            for j, column in enumerate(zip(*rows, strict=True)):
                tokens[j] += column
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(
            f"{reader.where(1)}: the header repeats {', '.join(map(repr, repeated))}"
        )
    data = {}
    for j, name in enumerate(names):
        column = parse_column(tokens[j], na_values)
        if column.numbers and column.other is not None:
            i, token = column.other
            raise ValueError(
                f"{reader.where(lines[i])}, column {name!r}: {token!r} is not a "
                "number, and other values of the column are"
            )
        if column.numbers:
            data[name] = column.values
        else:
            text = [
                None if m else t for t, m in zip(tokens[j], column.missing, strict=True)
            ]
            data[name] = pd.Series(text, dtype=object)
    return pd.DataFrame(data)


@dataclass
class Column:
    """The numbers of one column of a chunk."""

    values: np.ndarray
    missing: np.ndarray
    numbers: int
    # (record index, token) of the first token neither a number nor missing
    other: tuple | None


def parse_column(tokens, na_values):
    """Read a column's tokens as float64: NaN where missing; see :class:`Column`."""
    n = len(tokens)
    values = _bulk(tokens)
    if values is not None:
        # Every token a number: NaN only from the "nan" tokens, which are missing
        # values by default, or numbers that read as NaN.
        missing = np.isnan(values)
        if not missing.any() or _nan_missing(tokens, missing, na_values):
            return Column(values, missing, int(n - missing.sum()), None)
    missing = np.array([t in na_values for t in tokens], dtype=bool).reshape(n)
    if missing.any():
        clean = ["nan" if m else t for t, m in zip(tokens, missing, strict=True)]
        values = _bulk(clean)
        if values is not None:
            return Column(values, missing, int(n - missing.sum()), None)
    values = np.full(n, np.nan)
    other = None
    numbers = 0
    for i, token in enumerate(tokens):
        if missing[i]:
            continue
        if NUMBER.fullmatch(token):
            values[i] = float(token)
            numbers += 1
        elif other is None:
            other = (i, token)
    return Column(values, missing, numbers, other)


def _bulk(tokens):
    """The tokens as float64 if every one is a number (by :data:`NUMBER`), or None."""
    try:
        values = np.array(tokens, dtype=np.float64).reshape(len(tokens))
    except ValueError:
        return None
    # numpy reads what Python's float reads: refuse what NUMBER refuses.
    text = "".join(tokens)
    if not text.isascii() or any(char in text for char in _REFUSED):
        return None
    return values


# What float() reads in a number and NUMBER does not: underscores and spaces
# other than " " and "\t".
_REFUSED = "_\n\r\x0b\x0c"


def _nan_missing(tokens, missing, na_values):
    """Whether every token read as NaN is a missing-value token."""
    return all(tokens[i] in na_values for i in np.flatnonzero(missing))


def has_number(tokens):
    """Whether any token may be a number: a quick test over the joined tokens.

    False means certainly none; True, perhaps (the caller then reads the
    tokens one by one).
    """
    joined = "\x00".join(tokens)
    if joined.count("\x00") != len(tokens) - 1:
        return True
    return _NUMBER_IN.search(joined) is not None


_NUMBER_IN = re.compile(
    r"(?:^|\x00)[ \t]*[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
    r"|inf|infinity|nan)[ \t]*(?=\x00|$)",
    re.IGNORECASE | re.ASCII,
)


def split_raw(body, sep):
    """The raw text of each field of a record (its line ending removed).

    Quoted fields keep their quotes, so that joining the result with ``sep``
    gives ``body`` back.
    """
    if '"' not in body:
        return body.split(sep)
    fields = []
    start = 0
    quoted = False
    for k, char in enumerate(body):
        if char == '"':
            quoted = not quoted
        elif char == sep and not quoted:
            fields.append(body[start:k])
            start = k + 1
    fields.append(body[start:])
    return fields


def rewrite(raw, sep, replacements):
    """A record's raw text with the fields at some positions replaced.

    ``replacements`` maps a field's position to its new text.
    """
    ending = _ending(raw)
    body = raw[: len(raw) - len(ending)]
    fields = split_raw(body, sep)
    for j, text in replacements.items():
        fields[j] = text
    return sep.join(fields) + ending


def number_text(value):
    """A float as the shortest text that reads back as the same float."""
    return repr(float(value))
