"""Safe persistence: estimators to and from a documented, versioned JSON schema.

A saved estimator is a plain JSON document (``docs/persistence.md`` describes it
field by field): its class name, its parameters, and, when fitted, its feature
names, the mergeable statistics of the core and the transform's parameters.
Loading reads nothing but that document: it builds one of skscale's own
estimator classes (an allow-list), never unpickles, imports or evaluates
anything, validates every field, rebuilds the fitted state with the estimator's
own code and checks it against the stored transform parameters bit for bit.
It reads a regular file or a file object, never more than a size limit, and
every malformed document is a ValueError naming the field at fault.
"""

import errno
import json
import math
import os
import re
import secrets
import stat
import sys
from contextlib import contextmanager, suppress
from numbers import Integral, Real

import numpy as np

from ._locks import lock_of
from ._registry import estimators
from ._stats import FeatureStats
from ._validation import shown
from ._version import __version__

SCHEMA_VERSION = 3

_TOP_KEYS = ("schema_version", "skscale_version", "class", "params", "fitted")
_STATS_ARRAYS = ("count", "weight", "mean", "std0", "min", "max")
# Non-finite floats, which JSON cannot write as numbers.
_SPECIAL = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_INT64_MAX = int(np.iinfo(np.int64).max)
# The largest document load reads by default: 512 MiB. The largest document dump
# writes for 2**20 features is a MiniBatchStandardizer's with running averages:
# per feature 10 floats of up to 24 characters, 2 "NaN" and 3 integers of up to
# 19 digits, at most 354 MB with every number at its widest (and about 250 MB
# with ordinary data), plus the feature names.
MAX_BYTES = 2**29


def to_dict(estimator):
    """Describe an estimator as a JSON-compatible dict of the documented schema.

    The dict holds only strings, numbers, booleans, None, lists and dicts, and
    no NaN or infinite float (those are the strings ``"NaN"``, ``"Infinity"``
    and ``"-Infinity"``), so ``json.dumps(..., allow_nan=False)`` writes it as
    standard JSON. :func:`from_dict` rebuilds the estimator from it.

    Parameters
    ----------
    estimator : skscale estimator
        Fitted or not.

    Returns
    -------
    document : dict
        ``schema_version``, ``skscale_version``, ``class``, ``params`` and
        ``fitted`` (None when not fitted); see ``docs/persistence.md``.

    Raises
    ------
    TypeError
        If ``estimator`` is not an instance of a skscale estimator class.
    ValueError
        If a parameter is not a JSON value, or if the fitted attributes do not
        follow from the statistics and the parameters (a parameter changed with
        ``set_params`` after fitting): such a document could not be loaded.

    See Also
    --------
    from_dict : Rebuild the estimator.
    dump : Write the document to a file.

    Examples
    --------
    >>> from skscale import StandardScaler
    >>> from skscale._persistence import to_dict
    >>> document = to_dict(StandardScaler().fit([[1.0], [3.0]]))
    >>> document["class"], document["params"]["with_mean"]
    ('StandardScaler', True)
    >>> document["fitted"]["attributes"]["scale_"]
    [1.0]
    """
    cls = type(estimator)
    name = cls.__name__
    classes = estimators()
    if classes.get(name) is not cls:
        raise TypeError(
            f"to_dict saves skscale estimators only ({', '.join(classes)}), "
            f"got {cls.__module__}.{cls.__qualname__}"
        )
    # Under the lock that fit and partial_fit take: a consistent snapshot even
    # while another thread trains the estimator.
    with lock_of(estimator):
        try:
            # Parameters set after the fit: the map is derived anew, or a
            # refit is asked for (a document must describe a fitted map).
            document = _describe(estimator, name, __version__)
        except ValueError as exc:
            raise ValueError(f"cannot save {estimator!r}: {exc}") from None
    # Write nothing that cannot be read back.
    try:
        from_dict(document)
    except ValueError as exc:
        raise ValueError(f"cannot save {estimator!r}: {exc}") from None
    return document


def _describe(estimator, name, version):
    return {
        "schema_version": SCHEMA_VERSION,
        "skscale_version": version,
        "class": name,
        "params": {
            key: _encode_param(value, key)
            for key, value in estimator.get_params(deep=False).items()
        },
        "fitted": (
            _encode_fitted(estimator) if hasattr(estimator, "n_features_in_") else None
        ),
    }


def from_dict(document):
    """Build an estimator from a document written by :func:`to_dict`.

    Only skscale's own estimator classes are built; nothing named in the
    document is imported or evaluated. Every field is validated, the fitted
    state is rebuilt from the statistics by the estimator's own code, and the
    rebuilt transform parameters must equal the stored ones bit for bit.

    Parameters
    ----------
    document : dict
        A parsed JSON document of the schema in ``docs/persistence.md``.

    Returns
    -------
    estimator : skscale estimator
        A new, complete estimator: fitted if the document is.

    Raises
    ------
    ValueError
        Naming what is wrong and the field by its JSON path (``params.ddof``,
        ``fitted.stats.mean[3]``): not an object, a missing or unknown key, an
        unknown class, a wrong type, an array of the wrong length, a NaN or
        non-positive scale, a number beyond what the field holds, a parameter
        the estimator's own checks refuse, inconsistent values, or a schema
        version newer than this skscale reads.

    See Also
    --------
    to_dict : Describe an estimator.
    load : Read a document from a file.

    Examples
    --------
    >>> from skscale import MinMaxScaler
    >>> from skscale._persistence import from_dict, to_dict
    >>> scaler = MinMaxScaler(feature_range=(-1, 1)).fit([[0.0], [4.0]])
    >>> from_dict(to_dict(scaler)).transform([[1.0]])
    array([[-0.5]])
    >>> from_dict({**to_dict(scaler), "class": "os.system"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: invalid skscale document: unknown class 'os.system'; ...
    """
    try:
        return _build(document)
    except ValueError as exc:
        raise ValueError(f"invalid skscale document: {exc}") from None


def dump(estimator, path):
    """Save an estimator to a JSON file, atomically.

    The file is written in full to a temporary file in the same folder, then
    renamed over ``path``: a reader never sees half a file, and a failure
    leaves any previous file as it was.

    Parameters
    ----------
    estimator : skscale estimator
        Fitted or not.
    path : str or os.PathLike
        The file to write (replaced if it exists).

    See Also
    --------
    load : Read the file back.
    to_dict : The document that is written.

    Examples
    --------
    >>> import os, tempfile
    >>> from skscale import StandardScaler
    >>> from skscale._persistence import dump, load
    >>> scaler = StandardScaler().fit([[1.0], [3.0]])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "scaler.json")
    ...     dump(scaler, path)
    ...     load(path).transform([[2.0], [5.0]])
    array([[0.],
           [3.]])
    """
    text = _json_text(to_dict(estimator)) + "\n"
    with atomic_path(path) as temporary, open(temporary, "w", encoding="utf-8") as f:
        f.write(text)


def load(file, *, max_bytes=MAX_BYTES):
    """Load an estimator saved by :func:`dump`.

    Parameters
    ----------
    file : str, os.PathLike or file object
        The path of a JSON file of the schema in ``docs/persistence.md``, or a
        file object open for reading, in binary or text mode (read from its
        current position; it is not closed). A path must name a regular file
        (a symbolic link to one is followed): a directory, a FIFO, a device or
        a socket is refused before it is opened, so that ``load`` never blocks
        or reads without end. Pass an open file object to read from a pipe.
    max_bytes : int or None, default=MAX_BYTES
        The largest document read, in bytes: 512 MiB, about 1.5 times the
        largest document :func:`dump` writes for 2**20 features. A larger file
        is refused before it is read; a file object is read up to
        ``max_bytes + 1`` bytes (characters in text mode), never further, and
        refused if it holds more. None reads any size.

    Returns
    -------
    estimator : skscale estimator
        A new, complete estimator: fitted if the saved one was.

    Raises
    ------
    OSError
        If the file cannot be read (FileNotFoundError if it does not exist).
    ValueError
        Naming the file (or the file object) and what is wrong: not a regular
        file, larger than ``max_bytes``, not UTF-8, not standard JSON (NaN and
        Infinity tokens, duplicate keys and numbers of more than 4300 digits
        included), nested deeper than any document, or not a valid document,
        with the field at fault (``params.ddof``, ``fitted.stats.mean[3]``):
        see :func:`from_dict`.
    TypeError
        If ``file`` is neither a path nor a file object.

    See Also
    --------
    dump : Save an estimator.
    from_dict : Build an estimator from a parsed document.

    Examples
    --------
    >>> import io, os, tempfile
    >>> from skscale import StandardScaler
    >>> from skscale._persistence import dump, load
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "scaler.json")
    ...     dump(StandardScaler().fit([[1.0], [3.0]]), path)
    ...     with open(path) as f:
    ...         load(f).mean_
    array([2.])
    >>> load(os.getcwd())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: ...: not a regular file but a directory; ...
    >>> load(io.BytesIO(b'{"class": "pickle.loads"}'))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: <BytesIO>: invalid skscale document: missing key ...
    >>> load(io.StringIO('{"a": [[[[[[[[]]]]]]]]}'), max_bytes=16)
    Traceback (most recent call last):
    ...
    ValueError: <StringIO>: more than max_bytes=16 bytes; pass load a larger \
max_bytes to read it
    """
    if max_bytes is not None and (
        isinstance(max_bytes, bool)
        or not isinstance(max_bytes, Integral)
        or max_bytes < 0
    ):
        raise ValueError(f"max_bytes must be None or an int >= 0, got {max_bytes!r}")
    if isinstance(file, str | os.PathLike):
        name = os.fsdecode(os.fspath(file))
        raw = _read_path(os.fspath(file), name, max_bytes)
    elif callable(getattr(file, "read", None)):
        name = getattr(file, "name", None)
        name = os.fsdecode(name) if isinstance(name, str | bytes) else None
        name = name or f"<{type(file).__name__}>"
        raw = _read_stream(file, name, max_bytes)
    else:
        raise TypeError(
            "load takes the path of a file (str or os.PathLike) or a file object "
            f"open for reading, got {type(file).__name__}"
            + ("; wrap bytes in io.BytesIO" if isinstance(file, bytes) else "")
        )
    document = _parse(raw, name)
    try:
        return from_dict(document)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


@contextmanager
def atomic_path(path):
    """Yield a new temporary file next to ``path``; rename it to ``path`` on success.

    Whatever the body writes to the temporary path replaces ``path`` at once
    when the body returns (after an fsync). If anything is raised, an
    exception, KeyboardInterrupt or SystemExit included, the temporary file is
    removed and ``path`` is left as it was. The temporary file is hidden and
    its name short (``.skscale-<random>.tmp``), so that ``path`` may have a
    name as long as the file system allows; a longer one is refused at once.
    """
    target = os.path.abspath(os.fspath(path))
    folder, name = os.path.split(target)
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"no such folder: {folder!r}")
    _check_name_length(folder, name, target)
    temporary = None
    try:
        while temporary is None:
            candidate = os.path.join(folder, f".skscale-{secrets.token_hex(8)}.tmp")
            with suppress(FileExistsError):
                os.close(os.open(candidate, _NEW_FILE, 0o666))
                temporary = candidate
        yield temporary
        fd = os.open(temporary, os.O_RDWR)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, target)
    except BaseException:
        if temporary is not None:
            with suppress(FileNotFoundError):
                os.remove(temporary)
        raise


_NEW_FILE = os.O_CREAT | os.O_EXCL | os.O_WRONLY


def _check_name_length(folder, name, target):
    """Refuse a file name longer than the folder's file system allows, at once."""
    try:
        limit = os.pathconf(folder, "PC_NAME_MAX")
    except (AttributeError, OSError, ValueError):  # not on this system
        return
    if limit > 0 and len(os.fsencode(name)) > limit:
        raise OSError(
            errno.ENAMETOOLONG,
            f"{os.strerror(errno.ENAMETOOLONG)}: the name has "
            f"{len(os.fsencode(name))} bytes, the file system allows {limit}",
            target,
        )


# -- reading a file ---------------------------------------------------------------

_NOT_REGULAR = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _refuse_special(mode, name):
    if stat.S_ISREG(mode):
        return
    kind = next((kind for test, kind in _NOT_REGULAR if test(mode)), "not a file")
    raise ValueError(
        f"{name}: not a regular file but {kind}; load reads a file written by "
        "dump (to read from a pipe or a device, pass load an open file object)"
    )


def _refuse_size(size, name, max_bytes):
    """Refuse ``size`` bytes (None: more than were read) beyond ``max_bytes``."""
    if max_bytes is not None and (size is None or size > max_bytes):
        held = "" if size is None else f"{size} bytes, "
        raise ValueError(
            f"{name}: {held}more than max_bytes={max_bytes} bytes; pass load a "
            "larger max_bytes to read it"
        )


def _read_path(path, name, max_bytes):
    """The bytes of a regular file, checked before it is opened."""
    info = os.stat(path)  # through symbolic links
    _refuse_special(info.st_mode, name)
    _refuse_size(info.st_size, name, max_bytes)
    # Non-blocking: should the path become a FIFO after the check, opening it
    # does not wait for a writer; it is then refused by the second check.
    flags = os.O_RDONLY
    for flag in ("O_NONBLOCK", "O_NOCTTY", "O_BINARY"):
        flags |= getattr(os, flag, 0)
    with open(os.open(path, flags), "rb") as f:
        info = os.fstat(f.fileno())
        _refuse_special(info.st_mode, name)
        _refuse_size(info.st_size, name, max_bytes)
        return _read_stream(f, name, max_bytes)


def _read_stream(f, name, max_bytes):
    """What a file object holds, read up to ``max_bytes + 1`` bytes or characters."""
    chunks, size = [], 0
    while max_bytes is None or size <= max_bytes:
        chunk = f.read(-1 if max_bytes is None else max_bytes + 1 - size)
        if chunk is None:
            raise ValueError(f"{name}: a non-blocking file object with no data ready")
        if isinstance(chunk, bytearray | memoryview):
            chunk = bytes(chunk)
        if not isinstance(chunk, bytes | str):
            raise TypeError(
                f"{name}: read() returned {type(chunk).__name__}, not bytes or str"
            )
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if max_bytes is not None and size > max_bytes:
        _refuse_size(None, name, max_bytes)
    raw = (b"" if not chunks or isinstance(chunks[0], bytes) else "").join(chunks)
    if isinstance(raw, str) and max_bytes is not None and not raw.isascii():
        # A character is one to four bytes in UTF-8: the limit counts bytes.
        _refuse_size(len(raw.encode("utf-8", "surrogatepass")), name, max_bytes)
    return raw


def _parse(raw, name):
    """The JSON value of a document's bytes or text; a ValueError naming the file."""
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(
                f"{name}: not a UTF-8 text file ({exc.reason} at byte {exc.start})"
            ) from None
    else:
        text = raw
    deep = _too_deep(text)
    if deep is not None:
        raise ValueError(f"{name}: not a skscale document: {deep}")
    try:
        return json.loads(
            text, parse_constant=_refuse_constant, object_pairs_hook=_unique_keys
        )
    except RecursionError:  # called from deep down a stack already
        raise ValueError(
            f"{name}: not a skscale document: arrays and objects nested too deeply"
        ) from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{name}: not valid JSON: {exc}") from None
    except _DocumentError as exc:
        raise ValueError(f"{name}: not valid JSON: {exc}") from None
    except ValueError as exc:  # an integer of more than 4300 digits
        raise ValueError(f"{name}: not valid JSON: {_long_number(text, exc)}") from None


# A document nests 4 levels (fitted.stats.count); any JSON text nested deeper
# than this is refused before it is parsed, whatever the recursion limit.
_MAX_DEPTH = 64
# A JSON string, its escapes included.
_STRING = r'"[^"\\]*(?:\\.[^"\\]*)*"'
_BRACKETS = re.compile(rf"{_STRING}|([\[{{])|[\]}}]")


def _too_deep(text):
    """How ``text`` nests deeper than ``_MAX_DEPTH`` levels, or None if it does not."""
    if text.count("[") + text.count("{") <= _MAX_DEPTH:  # the usual case, at once
        return None
    depth = 0
    for match in _BRACKETS.finditer(text):
        if match.group(1):
            depth += 1
            if depth > _MAX_DEPTH:
                return (
                    f"arrays and objects nested more than {_MAX_DEPTH} levels deep "
                    f"at {_position(text, match.start())} (a document nests 4)"
                )
        elif match.group() in "]}":
            depth = max(depth - 1, 0)
    return None


def _long_number(text, exc):
    """Where the integer too long for Python's int() is, or the parser's message."""
    limit = getattr(sys, "get_int_max_str_digits", lambda: 4300)() or 4300
    for match in re.finditer(rf"{_STRING}|(-?[0-9]{{{limit + 1},}})", text):
        if match.group(1):
            return (
                f"an integer of {len(match.group(1).lstrip('-'))} digits at "
                f"{_position(text, match.start(1))}; at most {limit} are read"
            )
    return str(exc)


def _position(text, index):
    """``line L column C`` of a character, both from 1, as JSON errors say it."""
    line = text.count("\n", 0, index) + 1
    return f"line {line} column {index - text.rfind(chr(10), 0, index)}"


# -- writing --------------------------------------------------------------------


def _json_text(value, depth=0):
    """Standard JSON, one key per line and each array on one line."""
    if isinstance(value, dict) and value:
        pad = "  " * (depth + 1)
        items = ",\n".join(
            f"{pad}{json.dumps(key)}: {_json_text(item, depth + 1)}"
            for key, item in value.items()
        )
        return "{\n" + items + "\n" + "  " * depth + "}"
    return json.dumps(value, allow_nan=False, ensure_ascii=False)


def _encode_float(value):
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def _encode_floats(values):
    values = np.asarray(values, dtype=np.float64)
    if np.isfinite(values).all():
        return values.tolist()
    encoded = values.astype(object)
    encoded[np.isnan(values)] = "NaN"
    encoded[values == np.inf] = "Infinity"
    encoded[values == -np.inf] = "-Infinity"
    return encoded.tolist()


def _encode_ints(values):
    return [int(v) for v in np.asarray(values).tolist()]


# How each kind of an estimator's own state field (see _state_fields) is written.
_ENCODERS = {"batches": int, "updates": _encode_ints, "floats": _encode_floats}


def _encode_param(value, name):
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real):
        return _encode_float(value)
    if isinstance(value, tuple | list):
        return [_encode_param(v, name) for v in value]
    raise ValueError(
        f"parameter {name}={value!r} cannot be saved: only None, bools, numbers, "
        "strings and lists of them can"
    )


def _encode_fitted(estimator):
    names = getattr(estimator, "feature_names_in_", None)
    fitted = {
        "n_features_in": int(estimator.n_features_in_),
        "feature_names_in": None if names is None else [str(n) for n in names],
    }
    state = estimator._get_state()
    if "stats" in state:
        stats = state["stats"]
        fitted["attributes"] = {
            key: _encode_floats(value) for key, value in state["attributes"].items()
        }
        fitted["stats"] = {
            "n_rows": int(stats.n_rows),
            "moments": int(stats.moments),
            "extrema": bool(stats.extrema),
            "count": _encode_ints(stats.count),
            **{key: _encode_floats(getattr(stats, key)) for key in _STATS_ARRAYS[1:]},
            "residual": _encode_floats(stats.residual),
        }
    for section, fields in estimator._state_fields().items():
        fitted[section] = {
            field: _ENCODERS[kind](state[section][field])
            for field, kind in fields.items()
        }
    return fitted


# -- reading --------------------------------------------------------------------


class _DocumentError(ValueError):
    """Raised by the JSON parser's hooks."""


def _refuse_constant(token):
    raise _DocumentError(
        f"{token} is not standard JSON; a non-finite number is written as the "
        'string "NaN", "Infinity" or "-Infinity"'
    )


def _unique_keys(pairs):
    document = {}
    for key, value in pairs:
        if key in document:
            raise _DocumentError(f"duplicate key {key!r}")
        document[key] = value
    return document


def _json_type(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, Integral | Real):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _object(value, where, keys):
    """``value`` as a dict with exactly ``keys``."""
    if not isinstance(value, dict):
        raise ValueError(f"{where} must be a JSON object, got {_json_type(value)}")
    inside = f" in {where}" if where != "the document" else ""
    for key in value:
        if key not in keys:
            raise ValueError(
                f"unknown key {key!r}{inside}; expected the keys {', '.join(keys)}"
            )
    for key in keys:
        if key not in value:
            raise ValueError(f"missing key {key!r}{inside}")
    return value


def _integer(value, where, low=0, high=_INT64_MAX):
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f"{where} must be an integer, got {_json_type(value)}")
    if not low <= value <= high:
        if high != _INT64_MAX:
            bounds = f"between {low} and {high}"
        else:
            bounds = f">= {low}" if value < low else "below 2**63"
        raise ValueError(f"{where} must be an integer {bounds}, got {shown(value)}")
    return int(value)


def _float(value, where):
    if isinstance(value, str):
        if value in _SPECIAL:
            return _SPECIAL[value]
        raise ValueError(
            f'{where} must be a number, "NaN", "Infinity" or "-Infinity", '
            f"got the string {value!r}"
        )
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f"{where} must be a number, got {_json_type(value)}")
    try:
        number = float(value)
    except OverflowError:  # an integer of 400 digits
        number = math.inf
    if not math.isfinite(number):
        shown_value = shown(value) if isinstance(value, Integral) else repr(number)
        raise ValueError(
            f"{where} is a non-finite number or one beyond the float64 range, got "
            f'{shown_value}; write a non-finite number as the string "NaN", '
            '"Infinity" or "-Infinity"'
        )
    return number


def _list(value, where, n):
    if not isinstance(value, list):
        raise ValueError(f"{where} must be an array, got {_json_type(value)}")
    if len(value) != n:
        raise ValueError(
            f"{where} has {len(value)} entries, expected {n} (n_features_in)"
        )
    return value


def _array(value, where, n, element):
    return [element(v, f"{where}[{i}]") for i, v in enumerate(_list(value, where, n))]


# The arrays of a document are read at numpy's speed when every entry is valid
# (a document of 2**20 features loads in seconds); the first invalid entry, if
# any, is then found one entry at a time, for the message naming it.


def _floats(value, where, n):
    kinds = set(map(type, _list(value, where, n)))
    if kinds <= {float, int, str}:
        try:
            array, spelled = _fast_floats(value, str in kinds)
        except (KeyError, OverflowError):  # another string, a huge integer
            pass
        else:
            # Only the strings may be non-finite.
            if (np.isfinite(array) | spelled).all():
                return array
    return np.array(_array(value, where, n, _float), dtype=np.float64)


def _fast_floats(value, strings):
    if not strings:
        return np.array(value, dtype=np.float64), False
    spelled = np.array([type(v) is str for v in value])
    numbers = [_SPECIAL[v] if type(v) is str else v for v in value]
    return np.array(numbers, dtype=np.float64), spelled


def _counts(value, where, n, high=_INT64_MAX):
    if set(map(type, _list(value, where, n))) <= {int}:
        try:
            array = np.array(value, dtype=np.int64)
        except OverflowError:
            array = None
        if array is not None and ((array >= 0) & (array <= high)).all():
            return array
    return np.array(
        _array(value, where, n, lambda v, w: _integer(v, w, 0, high)), dtype=np.int64
    )


def _first(mask):
    return int(np.flatnonzero(mask)[0])


def _require(ok, where, values, rule):
    """Raise naming the first entry of ``values`` where ``ok`` is False."""
    if not np.all(ok):
        i = _first(~np.asarray(ok))
        value = values[i]
        shown = int(value) if isinstance(value, Integral) else _encode_float(value)
        raise ValueError(f"{where}[{i}] {rule}, got {shown!r}")


def _decode_param(value, where):
    if isinstance(value, list):  # a tuple of scalars, such as feature_range
        return tuple(
            _decode_scalar(v, f"{where}[{i}]", "a number or a string")
            for i, v in enumerate(value)
        )
    return _decode_scalar(value, where, "a number, a string or an array of them")


def _decode_scalar(value, where, expected):
    if isinstance(value, str):
        return _SPECIAL.get(value, value)
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real):
        return _float(value, where)
    raise ValueError(
        f"{where} must be null, a boolean, {expected}, got {_json_type(value)}"
    )


def _build(document):
    if not isinstance(document, dict):
        raise ValueError(
            f"the document must be a JSON object, got {_json_type(document)}"
        )
    if "schema_version" in document:
        # Checked first: a newer schema may have other keys.
        version = _integer(document["schema_version"], "schema_version", low=1)
        if version > SCHEMA_VERSION:
            raise ValueError(
                f"schema_version {version} is newer than this skscale reads "
                f"({SCHEMA_VERSION}); upgrade skscale to load this file"
            )
    _object(document, "the document", _TOP_KEYS)
    if not isinstance(document["skscale_version"], str):
        raise ValueError(
            "skscale_version must be a string, got "
            f"{_json_type(document['skscale_version'])}"
        )
    name = document["class"]
    if not isinstance(name, str):
        raise ValueError(f"class must be a string, got {_json_type(name)}")
    classes = estimators()
    if name not in classes:
        raise ValueError(
            f"unknown class {name!r}; skscale loads only {', '.join(classes)}"
        )
    cls = classes[name]
    keys = tuple(cls().get_params(deep=False))
    params = _object(document["params"], "params", keys)
    estimator = cls(
        **{key: _decode_param(params[key], f"params.{key}") for key in keys}
    )
    try:
        estimator._check_params()
    except (TypeError, ValueError) as exc:
        # The estimator's message starts with the parameter's name.
        name = next((key for key in keys if str(exc).startswith(f"{key} ")), None)
        where = "params: " if name is None else "params."
        raise ValueError(f"{where}{exc}") from None
    if document["fitted"] is None:
        return estimator
    _restore_fitted(estimator, document["fitted"], document["schema_version"])
    return estimator


def _restore_fitted(estimator, fitted, version):
    statistics = estimator._saves_statistics
    sections = estimator._state_fields()
    keys = ["n_features_in", "feature_names_in"]
    if statistics:
        keys += ["attributes", "stats"]
    keys += list(sections)
    _object(fitted, "fitted", keys)
    n = _integer(fitted["n_features_in"], "fitted.n_features_in", low=1)
    names = fitted["feature_names_in"]
    if names is not None:
        where = "fitted.feature_names_in"
        if not set(map(type, _list(names, where, n))) <= {str}:
            names = _array(names, where, n, _feature_name)
    estimator.n_features_in_ = n
    if names is not None:
        estimator.feature_names_in_ = np.asarray(names, dtype=object)
    if not statistics:
        return
    stats = _read_stats(fitted["stats"], n, type(estimator)._moments, version)
    values = {
        section: _read_section(fitted[section], f"fitted.{section}", fields, n)
        for section, fields in sections.items()
    }
    try:
        estimator._set_state(stats, values)
    except ValueError as exc:
        raise ValueError(f"fitted.{exc}") from None
    _compare_attributes(estimator, fitted["attributes"], stats)


def _read_section(value, where, fields, n):
    """The fields of an estimator's own section, read by kind (see _state_fields)."""
    value = _object(value, where, tuple(fields))
    read = {}
    for field, kind in fields.items():
        at = f"{where}.{field}"
        if kind == "batches":
            read[field] = _integer(value[field], at, low=1)
        elif kind == "updates":
            read[field] = _counts(value[field], at, n, read["n_batches_seen"])
        else:
            read[field] = _floats(value[field], at, n)
    return read


def _feature_name(value, where):
    if not isinstance(value, str):
        raise ValueError(f"{where} must be a string, got {_json_type(value)}")
    return value


def _read_stats(value, n, moments_needed, version):
    where = "fitted.stats"
    # Version 1 had no "extrema": its statistics always held min and max.
    # Versions 1 and 2 had no "residual": their means were rounded to float64.
    keys = ("n_rows", "moments", *(("extrema",) if version >= 2 else ()))
    arrays = (*_STATS_ARRAYS, *(("residual",) if version >= 3 else ()))
    value = _object(value, where, (*keys, *arrays))
    n_rows, moments, extrema = _read_kind(value, where, moments_needed)
    count = _counts(value["count"], f"{where}.count", n, high=n_rows)
    weight, mean, std0, low, high = (
        _floats(value[key], f"{where}.{key}", n) for key in _STATS_ARRAYS[1:]
    )
    seen = count > 0
    _require(
        np.where(seen, weight > 0, weight == 0),
        f"{where}.weight",
        weight,
        "must be > 0 where count > 0 and 0 where count is 0",
    )
    for key, array in (("mean", mean), ("std0", std0), ("min", low), ("max", high)):
        _require(
            seen | np.isnan(array),
            f"{where}.{key}",
            array,
            'must be "NaN" where count is 0',
        )
    _require(~seen | np.isfinite(weight), f"{where}.weight", weight, "must be finite")
    constant = _check_extrema(where, seen, low, high, extrema)
    _check_moments(where, seen, mean, std0, (low, high), moments, extrema, constant)
    residual = np.zeros(n)
    if version >= 3:
        residual = _read_residual(value["residual"], f"{where}.residual", seen, mean)
    return FeatureStats(
        n_rows=n_rows,
        count=count,
        weight=weight,
        mean=mean,
        std0=std0,
        min=low,
        max=high,
        moments=moments,
        extrema=extrema,
        residual=residual,
    )


def _read_kind(value, where, moments_needed):
    """The statistics' ``n_rows``, ``moments`` and ``extrema``, checked."""
    n_rows = _integer(value["n_rows"], f"{where}.n_rows")
    moments = _integer(value["moments"], f"{where}.moments", low=0, high=2)
    if moments < moments_needed:
        raise ValueError(
            f"{where}.moments must be at least {moments_needed} for this class, "
            f"got {moments}"
        )
    extrema = value.get("extrema", True)
    if not isinstance(extrema, bool):
        raise ValueError(
            f"{where}.extrema must be true or false, got {_json_type(extrema)}"
        )
    if not extrema and moments < 2:
        raise ValueError(f"{where}.extrema may be false only when moments is 2")
    return n_rows, moments, extrema


def _read_residual(value, where, seen, mean):
    """The means' residuals: within two ulps of a finite mean, 0 elsewhere."""
    residual = _floats(value, where, mean.shape[0])
    with np.errstate(invalid="ignore"):
        small = np.abs(residual) <= 2 * np.spacing(np.abs(mean))
    _require(
        np.where(seen & np.isfinite(mean), small, residual == 0),
        where,
        residual,
        "must be within two ulps of mean where mean is finite, and 0 elsewhere",
    )
    return residual


def _check_extrema(where, seen, low, high, extrema):
    """Check the stored minimum and maximum; return where the feature is constant."""
    if not extrema:
        for key, array in (("min", low), ("max", high)):
            _require(
                np.isnan(array),
                f"{where}.{key}",
                array,
                'must be "NaN" when extrema is false',
            )
        return np.zeros(len(low), dtype=bool)
    for key, array in (("min", low), ("max", high)):
        _require(~seen | np.isfinite(array), f"{where}.{key}", array, "must be finite")
    _require(~seen | (low <= high), f"{where}.max", high, "must be >= min")
    return low == high


def _check_moments(where, seen, mean, std0, extrema_values, moments, extrema, constant):
    """Check the stored mean and std0 against the moments the statistics hold."""
    low, high = extrema_values
    if moments >= 1:
        _require(~seen | np.isfinite(mean), f"{where}.mean", mean, "must be finite")
        if extrema:
            _require(
                ~seen | ((low <= mean) & (mean <= high)),
                f"{where}.mean",
                mean,
                "must lie between min and max",
            )
    else:
        # Not computed; the core still sets a constant feature's mean to its value.
        _require(
            np.isnan(mean) | ((low == high) & (mean == low)),
            f"{where}.mean",
            mean,
            'must be "NaN" when moments is 0 (or min, for a constant feature)',
        )
    if moments >= 2:
        _require(
            ~seen | (np.isfinite(std0) & (std0 >= 0)),
            f"{where}.std0",
            std0,
            "must be finite and >= 0",
        )
        _require(
            ~constant | (std0 == 0),
            f"{where}.std0",
            std0,
            "must be 0 for a constant feature (min == max)",
        )
    else:
        _require(
            np.isnan(std0), f"{where}.std0", std0, 'must be "NaN" when moments < 2'
        )


def _compare_attributes(estimator, value, stats):
    """Check the stored transform parameters against the rebuilt ones, bit for bit."""
    where = "fitted.attributes"
    rebuilt = estimator._public_arrays()
    _object(value, where, tuple(rebuilt))
    n = stats.n_features
    stored = {key: _floats(value[key], f"{where}.{key}", n) for key in rebuilt}
    seen = stats.count > 0
    scale = stored["scale_"]
    # MinMaxScaler's scale_ is a multiplier (feature range / data range): it
    # overflows to inf for a subnormal data range, and transform divides by the
    # data range instead. Every other scale_ is the divisor itself.
    if estimator._scale_multiplies:
        ok, rule = (scale > 0) & ~np.isnan(scale), "must be > 0"
    else:
        ok, rule = (scale > 0) & np.isfinite(scale), "must be finite and > 0"
    _require(~seen | ok, f"{where}.scale_", scale, f"{rule} for an observed feature")
    for key, array in rebuilt.items():
        array = np.asarray(array, dtype=np.float64)
        same = (array.view(np.uint64) == stored[key].view(np.uint64)) | (
            np.isnan(array) & np.isnan(stored[key])
        )
        if not same.all():
            i = _first(~same)
            raise ValueError(
                f"inconsistent {where}.{key}[{i}]: stored "
                f"{_encode_float(stored[key][i])!r}, but the statistics and "
                f"parameters give {_encode_float(array[i])!r}"
            )
