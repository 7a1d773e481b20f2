"""Input and parameter checks shared by every estimator; messages name the problem."""

import os
import sys
import warnings
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from sklearn.utils.validation import check_array, validate_data

from ._parallel import row_blocks
from ._stats import fused_infinity

FLOAT_DTYPES = (np.float64, np.float32, np.float16)
_NARROW = {"Float32": np.float32, "Float16": np.float16}


_POLARS_FLOATS = {"Float64", "Float32"}


def frame_columns(X):
    """The columns of a polars frame of floats as 1-D arrays, or None.

    polars keeps each column in a buffer of its own: converting the frame
    copies them all into one array (about 0.1 s for 800 MB), while each column
    converts without a copy (one with nulls is copied, the nulls as NaN). None
    for anything else, which the caller converts whole.
    """
    if not type(X).__module__.startswith("polars") or not hasattr(X, "get_columns"):
        return None
    if not X.width or not X.height:
        return None
    if not {str(dtype) for dtype in X.dtypes} <= _POLARS_FLOATS:
        return None
    return [column.to_numpy() for column in X.get_columns()]


def check_names(estimator, X, reset):
    """Set or check the feature count and names of X alone (its values unread)."""
    validate_data(estimator, X, reset=reset, skip_check_array=True)


def float_dtypes(X):
    """The ``dtype`` to validate X with: its own float dtype where it has one.

    scikit-learn keeps float32 and float16 for arrays and pandas frames but
    turns a polars frame into float64; read a polars frame's schema instead.
    """
    if type(X).__module__.startswith("polars") and hasattr(X, "dtypes"):
        kinds = {str(dtype) for dtype in X.dtypes}
        if len(kinds) == 1 and kinds <= _NARROW.keys():
            return _NARROW[kinds.pop()]
    return FLOAT_DTYPES


def validate_x(estimator, X, *, reset=None, copy=True):
    """X as a float array (or CSR/CSC matrix), through scikit-learn's validation.

    ``reset`` True or False also sets or checks the estimator's feature count
    and names (``validate_data``); None checks the values only (``check_array``).
    ``copy=False`` promises to write into X, which must then be writeable.
    What numpy would convert with a loss or a stray exception is refused with
    a ValueError first: complex columns of a DataFrame (whose imaginary part a
    cast would drop with only a warning) and integers beyond float64.
    """
    if _ready(X, copy):
        # What check_array would return as it is: skip its checks (about
        # 35 us a call, a sixth of a small fit + transform).
        if reset is not None:
            validate_data(estimator, X, reset=reset, skip_check_array=True)
        return X
    dtypes = getattr(X, "dtypes", None)
    if dtypes is not None and not isinstance(X, np.ndarray):
        dtypes = list(dtypes)
        if not dtypes:
            refuse_no_columns(X, f" by {type(estimator).__name__}")
        kinds = [getattr(dtype, "kind", None) for dtype in dtypes]
        if "c" in kinds:
            complex_columns = [
                str(name)
                for name, kind in zip(getattr(X, "columns", []), kinds, strict=False)
                if kind == "c"
            ]
            raise ValueError(
                f"Complex data not supported: column {', '.join(complex_columns)} "
                "holds complex numbers; pass their real part or magnitude"
            )
        # None: polars' dtypes, which have no kind.
        if "M" in kinds or "m" in kinds or None in kinds:
            refuse_temporal_columns(X, dtypes)
    options = dict(
        accept_sparse=("csr", "csc"),
        dtype=float_dtypes(X),
        copy=False,
        force_writeable=not copy,
        ensure_all_finite=False,
    )
    try:
        if reset is None:
            return check_array(X, **options)
        return validate_data(estimator, X, reset=reset, **options)
    except OverflowError as exc:
        raise ValueError(
            f"X holds a number too large for float64 ({exc}); scale it down first"
        ) from exc
    except (TypeError, ValueError) as exc:
        raise_named_columns(X, exc)
        raise


def refuse_no_columns(X, by="", rows=None):
    """Raise scikit-learn's ValueError for a DataFrame (or Dask array) with no
    columns, on which check_array fails inside np.result_type ("at least one
    array or dtype is required"); ``by`` ends the message (" by
    StandardScaler"), ``rows`` is X's length (``len(X)`` unless given)."""
    width = len(X.columns) if hasattr(X, "columns") else X.shape[1]
    if width:
        return
    rows = len(X) if rows is None else rows
    what = "0 sample(s)" if rows == 0 else "0 feature(s)"
    raise ValueError(
        f"Found array with {what} (shape=({rows}, 0)) while a minimum of 1 is "
        f"required{by}."
    )


def refuse_temporal_columns(X, dtypes=None):
    """Raise ValueError naming a DataFrame's columns of dates, times or durations.

    NumPy and polars would convert them silently (to counts of nanoseconds, or
    microseconds); the dtypes are read (``X.dtypes`` unless given: a pandas
    frame builds that Series anew at each call), not the values.
    """
    if dtypes is None:
        dtypes = getattr(X, "dtypes", None)
    if dtypes is None or isinstance(X, np.ndarray):
        return
    dtypes = list(dtypes)
    flags = [_temporal(dtype) for dtype in dtypes]
    if not any(flags):
        return
    temporal = [
        f"{str(name)!r} ({dtype})"
        for name, dtype, flag in zip(X.columns, dtypes, flags, strict=False)
        if flag
    ]
    one = len(temporal) == 1
    raise ValueError(
        f"X has {'a date or time column' if one else 'date or time columns'}"
        f": {', '.join(temporal)}. Convert {'it' if one else 'them'} to "
        "numbers first (for example days since a date of your choosing), "
        f"or drop {'it' if one else 'them'}"
    )


def raise_named_columns(X, exc):
    """After ``exc``, a failed conversion of X to floats, raise a ValueError
    naming the DataFrame's columns that hold no numbers, if it has any.

    NumPy's message names a value ("could not convert string to float: 'x'")
    or two dtypes, not the column.
    """
    found = _non_numeric_columns(X)
    if found:
        one = len(found) == 1
        raise ValueError(
            f"X has {'a column' if one else 'columns'} of no numbers: "
            f"{', '.join(found)}. Drop or encode {'it' if one else 'them'} first "
            "(a ColumnTransformer can send such columns elsewhere)"
        ) from exc


def _temporal(dtype):
    """Whether a column's dtype (NumPy, pandas or polars) holds dates or times."""
    kind = getattr(dtype, "kind", None)
    if kind is not None:  # NumPy's and pandas' dtypes
        return kind in ("M", "m")
    is_temporal = getattr(dtype, "is_temporal", None)  # polars'
    return callable(is_temporal) and bool(is_temporal())


def _non_numeric_columns(X):
    """``'name' (dtype)`` of each column of a DataFrame that does not convert
    to float64 on its own (text, dates, categories); [] for anything else.

    Called only once a conversion has failed.
    """
    columns, dtypes = getattr(X, "columns", None), getattr(X, "dtypes", None)
    if columns is None or dtypes is None or isinstance(X, np.ndarray):
        return []
    found = []
    for j, (name, dtype) in enumerate(zip(columns, dtypes, strict=False)):
        if getattr(dtype, "kind", None) in ("b", "i", "u", "f"):
            continue
        try:
            column = X.iloc[:, j] if hasattr(X, "iloc") else X.to_series(j)
            # A polars Struct or Array column converts to several columns.
            numbers = np.asarray(column.to_numpy(), dtype=np.float64).ndim == 1
        except (TypeError, ValueError):
            numbers = False
        if not numbers:
            found.append(f"{str(name)!r} ({dtype})")
    return found


_READY_DTYPES = frozenset(np.dtype(dtype) for dtype in FLOAT_DTYPES)


def _ready(X, copy):
    """Whether X is what :func:`validate_x` returns unchanged: a NumPy array
    (not a subclass) of two dimensions, at least one row and one column, of a
    float dtype, writeable unless a copy is made."""
    return (
        type(X) is np.ndarray
        and X.ndim == 2
        and X.dtype in _READY_DTYPES
        and X.shape[0] >= 1
        and X.shape[1] >= 1
        and (copy or X.flags.writeable)
    )


def canonical_sparse(X, copy):
    """X (CSR or CSC) without duplicate entries, copied if asked or needed.

    scipy reads duplicate stored entries of one cell as their sum; summing
    them first makes every per-entry kernel agree with that.
    """
    if copy:
        X = X.copy()
    if not X.has_canonical_format:
        if not copy:
            X = X.copy()
        X.sum_duplicates()
    return X


_INTERNAL = tuple(
    os.path.dirname(module.__file__) + os.sep
    for module in (sys.modules[__name__.rpartition(".")[0]], sys.modules["sklearn"])
)


def warn_outside(message, category=UserWarning):
    """Warn, pointing at the first caller outside skscale and scikit-learn.

    A fixed ``stacklevel`` points into whichever of our or scikit-learn's
    functions happened to call (``fit_transform``, the ``set_output`` wrapper):
    this points at the user's line, however the call got here.
    """
    frame, level = sys._getframe(0), 1
    while frame is not None and frame.f_code.co_filename.startswith(_INTERNAL):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


def check_bool(value, name):
    if not isinstance(value, bool | np.bool_):
        raise ValueError(f"{name} must be a bool, got {shown(value)}")


# Integers numpy computes with: a larger Python int becomes an object array,
# on which a ufunc fails with a TypeError deep inside a fit.
_INT64_LIMIT = 2**63


def check_real(value, name, rule, accept):
    """``value`` as a float, or a ValueError naming the parameter and the value.

    ``value`` must be a real number (not a bool) for which ``accept(float(value))``
    is true; an integer must also fit in 64 bits. The message reads
    ``{name} must be {rule}, got {value}``.

    Examples
    --------
    >>> from skscale._validation import check_real
    >>> check_real(1, "ddof", "a number >= 0", lambda v: v >= 0)
    1.0
    >>> check_real(10**400, "ddof", "a number >= 0", lambda v: v >= 0)
    Traceback (most recent call last):
    ...
    ValueError: ddof must be a number >= 0, got an integer of 401 digits: \
integers must fit in 64 bits
    """
    number = real_number(value)
    if number is not None and accept(number):
        return number
    note = ": integers must fit in 64 bits" if wide_integer(value) else ""
    raise ValueError(f"{name} must be {rule}, got {shown(value)}{note}")


def real_number(value):
    """``value`` as a float if it is a real number numpy computes with, else None.

    Bools are not numbers here, nor are integers beyond 64 bits.
    """
    if (
        not isinstance(value, Real)
        or isinstance(value, bool | np.bool_)
        or wide_integer(value)
    ):
        return None
    try:
        return float(value)
    except OverflowError:  # a Fraction beyond the float64 range
        return None


def wide_integer(value):
    """Whether ``value`` is an integer beyond 64 bits."""
    return (
        isinstance(value, Integral)
        and not isinstance(value, bool)
        and not -_INT64_LIMIT <= value < _INT64_LIMIT
    )


def shown(value):
    """``repr(value)``, but an integer of more than 30 digits by its digit count.

    Such an integer is unreadable in a message, and Python refuses to print
    one of more than 4300 digits. A tuple or list shows its items so.

    Examples
    --------
    >>> from skscale._validation import shown
    >>> shown(2.5), shown(-(10**40)), shown((0, 10**50))
    ('2.5', 'an integer of 41 digits', '(0, an integer of 51 digits)')
    """
    if isinstance(value, tuple | list) and any(map(_long_integer, value)):
        items = ", ".join(_shown_item(item) for item in value)
        return f"({items})" if isinstance(value, tuple) else f"[{items}]"
    return _shown_item(value)


def _long_integer(value):
    return (
        isinstance(value, Integral)
        and not isinstance(value, bool)
        and abs(int(value)) >= 10**30
    )


def _shown_item(value):
    if not _long_integer(value):
        return repr(value)
    try:
        digits = len(str(abs(int(value))))
    except ValueError:  # beyond sys.get_int_max_str_digits()
        digits = f"more than {sys.get_int_max_str_digits()}"
    return f"an integer of {digits} digits"


def check_sample_weight(sample_weight, n_samples):
    """Validated float64 weights of shape (n_samples,), or None.

    All-zero weights are valid, in ``fit`` as in any ``partial_fit``: the rows
    are not observed, as if they were NaN. (scikit-learn refuses them, and
    ``check_estimator`` asks for that; see the policies in the user guide.)
    """
    if sample_weight is None:
        return None
    if isinstance(sample_weight, Real) and not isinstance(sample_weight, bool):
        sample_weight = np.full(n_samples, float(sample_weight))
    try:
        weight = np.asarray(sample_weight)
        if weight.dtype.kind == "c":
            raise ValueError("sample_weight must be real numbers, got complex ones")
        weight = weight.astype(np.float64)
    except (TypeError, ValueError, OverflowError) as exc:
        if "complex" in str(exc):
            raise
        raise ValueError(
            f"sample_weight must be an array of numbers, got {type(sample_weight)}"
        ) from exc
    if weight.ndim != 1:
        raise ValueError(
            f"sample_weight must be 1-D of shape (n_samples,), got shape {weight.shape}"
        )
    if weight.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight has {weight.shape[0]} entries but X has {n_samples} rows; "
            "they must match"
        )
    if not np.isfinite(weight).all():
        raise ValueError("sample_weight contains NaN or infinite values")
    if (weight < 0).any():
        raise ValueError("sample_weight contains negative values")
    with np.errstate(over="ignore"):
        if not np.isfinite(weight.sum()):
            raise ValueError(
                "sample_weight sums beyond the float64 range; divide the weights "
                "by a constant (only their ratios matter)"
            )
    return weight


def feature_label(estimator, index):
    """How a message names feature ``index``: by its column name when it has one."""
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None:
        return f"{names[index]!r} (column {index})"
    return f"column {index}"


def feature_list(estimator, mask):
    labels = [feature_label(estimator, j) for j in np.flatnonzero(mask)]
    if len(labels) > 5:
        labels = [*labels[:5], f"and {len(labels) - 5} more"]
    return ", ".join(labels)


def raise_if_infinite(estimator, mask, argument="X"):
    if mask.any():
        raise ValueError(
            f"{argument} contains +inf or -inf in feature "
            f"{feature_list(estimator, mask)}; skscale accepts NaN for missing "
            "values but not infinity. Replace infinite values (for example with "
            "np.nan) before fitting or transforming."
        )


def infinite_features(X):
    """Boolean mask of the columns of X holding an infinite value.

    A float64 or float32 array is first read by the compiled kernel, block by
    block on the thread pool, at the speed of a read (its bits compared with
    infinity's: NaN passes); elsewhere, one sum of the values is finite
    unless one is infinite or NaN (or the sum overflows). Only then are the
    columns looked at one by one.
    """
    data = X.data if sparse.issparse(X) else X
    found = fused_infinity(data) if data.ndim == 2 else None
    if found is False:
        return np.zeros(X.shape[1], dtype=bool)
    with np.errstate(all="ignore"):
        if found is None and (data.size == 0 or np.isfinite(np.sum(data))):
            return np.zeros(X.shape[1], dtype=bool)
    if sparse.issparse(X):
        columns = sparse_columns(X)
        return np.bincount(columns[np.isinf(X.data)], minlength=X.shape[1]) > 0
    found = np.zeros(X.shape[1], dtype=bool)
    for rows in row_blocks(*X.shape):
        found |= np.isinf(X[rows]).any(axis=0)
    return found


def sparse_rows(X):
    """Row index of every stored entry of a CSR or CSC matrix."""
    if X.format == "csc":
        return X.indices
    return np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))


def sparse_columns(X):
    """Column index of every stored entry of a CSR or CSC matrix."""
    if X.format == "csr":
        return X.indices
    return np.repeat(np.arange(X.shape[1]), np.diff(X.indptr))
