"""Array API inputs (torch, CuPy, array-api-strict): namespace, device, moves.

With ``sklearn.set_config(array_api_dispatch=True)``, an estimator fitted on an
array of another Array API library keeps its fitted attributes and its outputs
in that library and on that array's device, as scikit-learn does. Dispatch off
(the default), or a NumPy array, takes the NumPy path unchanged.

The per-element work (a batch's reductions, the transform) runs in the
array's namespace, on its device; what it yields per feature (a few vectors of
``n_features`` values) is merged on the host in float64 by the statistics core,
so that a float32-only device loses nothing in the merges. ``array-api-compat``
(the extra ``skscale[array-api]``) is imported only here, and only when
dispatch is on and an array of another library arrives.
"""

import copy
import importlib
import re
from dataclasses import dataclass

import numpy as np
import sklearn

# The oldest scikit-learn whose array-API dispatch this path is tested with.
MIN_SKLEARN = (1, 8)


def _compat():
    try:
        import array_api_compat
    except ImportError as exc:  # pragma: no cover - the extra is installed in CI
        raise ImportError(
            "Array API inputs need the package array-api-compat: "
            'pip install "skscale[array-api]"'
        ) from exc
    # "1.9.1", "1.10.dev0", "1.9rc1": the leading major and minor numbers.
    version = tuple(map(int, re.findall(r"\d+", sklearn.__version__)[:2]))
    if version < MIN_SKLEARN:
        raise ImportError(
            "Array API inputs need scikit-learn >= "
            f"{'.'.join(map(str, MIN_SKLEARN))}, found {sklearn.__version__}; "
            "upgrade it, or turn array_api_dispatch off to convert inputs to NumPy"
        )
    return array_api_compat


def dispatch_on():
    return bool(sklearn.get_config().get("array_api_dispatch", False))


@dataclass(frozen=True)
class Space:
    """An Array API namespace (by module name, so that it pickles) and a device."""

    name: str
    device: object

    @property
    def xp(self):
        return importlib.import_module(self.name)

    def describe(self):
        library = self.name.rpartition(".")[2]
        return f"{library} on device {self.device}"

    def float_dtype(self):
        """The widest real float type of the device (float32 on MPS, say)."""
        xp = self.xp
        try:
            info = xp.__array_namespace_info__()
            kinds = info.dtypes(device=self.device, kind="real floating")
            return xp.float64 if "float64" in kinds else xp.float32
        except (AttributeError, TypeError):  # pragma: no cover - older libraries
            return xp.float64

    def asarray(self, values, dtype=None):
        """NumPy ``values`` as an array of this namespace, on this device."""
        xp = self.xp
        dtype = self.float_dtype() if dtype is None else dtype
        return xp.asarray(np.ascontiguousarray(values), dtype=dtype, device=self.device)


def space_of(X):
    """The :class:`Space` of X under dispatch, or None (the NumPy path).

    None when dispatch is off, or X is a NumPy array, a list, a sparse
    matrix, a DataFrame or a Dask collection.
    """
    if isinstance(X, np.ndarray | list) or not dispatch_on():
        return None
    module = type(X).__module__.partition(".")[0]
    if module in {"numpy", "scipy", "pandas", "polars", "dask", "builtins"}:
        return None
    compat = _compat()
    if not compat.is_array_api_obj(X) or compat.is_numpy_array(X):
        return None
    xp = compat.array_namespace(X)
    return Space(xp.__name__, compat.device(X))


def to_numpy(values):
    """A host NumPy array of an Array API array (a copy where it must be)."""
    if isinstance(values, np.ndarray):
        return values
    compat = _compat()
    if compat.is_torch_array(values):
        return values.detach().cpu().numpy()
    if compat.is_cupy_array(values):  # pragma: no cover - no GPU in CI
        return values.get()
    try:
        return np.from_dlpack(values)
    except (TypeError, RuntimeError, BufferError, AttributeError):
        return np.asarray(values)


def fit_space(estimator, X, reset):
    """The Array API space of a batch (None: NumPy), which a fit records.

    A later batch (``reset`` False) must come from the same namespace and
    device as the fit's: ValueError otherwise.
    """
    space = space_of(X)
    if reset:
        record_space(estimator, space)
    elif space != estimator._space:
        fitted = estimator._space
        check_same_space(estimator, fitted, X, "partial_fit")
        raise ValueError(
            f"{type(estimator).__name__} was fitted on arrays of "
            f"{fitted.describe() if fitted else 'numpy'}: pass partial_fit "
            "batches of the same namespace and device (turn array_api_dispatch "
            "on for them), or refit"
        )
    return space


def record_space(estimator, space):
    """Record the space a fit saw (an instance attribute only when not NumPy)."""
    if space is None:
        vars(estimator).pop("_space", None)
    else:
        estimator._space = space


def validate(estimator, X, space, reset, check_infinite=True):
    """X of ``space`` through scikit-learn's validation, with infinity refused.

    A float array of the namespace (integers become its widest float); the
    feature count set (``reset`` True), checked (False) or neither (None).
    Infinity is looked for in one column sum (an infinity or a NaN makes it
    non-finite), then, only where that finds something, entry by entry.
    """
    from sklearn.utils.validation import check_array, validate_data

    from ._validation import raise_if_infinite

    xp = space.xp
    if xp.isdtype(X.dtype, "complex floating"):
        # A cast to a real float would drop the imaginary part with a warning.
        raise ValueError(
            f"Complex data not supported: X holds {X.dtype} numbers; pass their "
            "real part or magnitude"
        )
    options = dict(dtype=(xp.float64, xp.float32), ensure_all_finite=False)
    if reset is None:
        X = check_array(X, **options)
    else:
        X = validate_data(estimator, X, reset=reset, **options)
    finite = not check_infinite or not X.shape[0]
    if not finite and not np.isfinite(to_numpy(xp.sum(X, axis=0))).all():
        raise_if_infinite(estimator, to_numpy(xp.any(xp.isinf(X), axis=0)))
    return X


# A transform that computes in a wider float than X's runs on this many
# elements at a time: its wide temporaries stay small (and are served again by
# the allocator rather than faulted in).
CHUNK = 1 << 17


def map_rows(X, space, function, whole=True):
    """``function`` of X's rows into one new array, a chunk at a time if need be.

    ``function(rows)`` returns the rows' result, of X's dtype and shape. In
    X's own float dtype, and if ``whole``, it runs on X whole: its result is
    the output, worked in place.
    """
    xp = space.xp
    n, p = X.shape
    step = max(1, CHUNK // max(p, 1))
    if n <= step or (whole and X.dtype == space.float_dtype()):
        return function(X)
    out = xp.empty(X.shape, dtype=X.dtype, device=space.device)
    for start in range(0, n, step):
        rows = slice(start, min(start + step, n))
        out[rows, ...] = function(X[rows, ...])
    return out


def weight_to_numpy(sample_weight):
    """``sample_weight`` of any namespace or device as host values."""
    if sample_weight is None or isinstance(sample_weight, np.ndarray):
        return sample_weight
    if hasattr(sample_weight, "__array_namespace__") or hasattr(
        sample_weight, "__dlpack__"
    ):
        return to_numpy(sample_weight)
    return sample_weight


def check_same_space(estimator, fitted, X, method):
    """Refuse X of another namespace or device than the fit's, under dispatch.

    ``fitted`` is the fit's :class:`Space` (None for NumPy).
    """
    if not dispatch_on():
        return
    given = space_of(X)
    if given != fitted:
        where = fitted.describe() if fitted is not None else "numpy"
        got = given.describe() if given is not None else "numpy"
        raise ValueError(
            f"Inputs passed to {type(estimator).__name__}.{method}() must use the "
            "same namespace and the same device as those passed to fit(): "
            f"fitted on {where}, got {got}"
        )


def to_namespace(estimator, xp, device=None):
    """A copy of a fitted estimator whose attributes live in ``xp`` on ``device``.

    For a scaler loaded from a file (its attributes are NumPy arrays) or
    fitted elsewhere: the copy's fitted attributes are arrays of ``xp`` on
    ``device``, and, with ``sklearn.set_config(array_api_dispatch=True)``, its
    ``transform``, ``inverse_transform`` and ``partial_fit`` take and give
    arrays of that namespace and device. The statistics do not change.
    ``xp=numpy`` moves it back to NumPy. An estimator without fitted arrays
    (the row normalizers, an unfitted one) is copied as it is.

    Parameters
    ----------
    estimator : estimator
        A skscale estimator; it is not changed.
    xp : module
        The array library: ``torch``, ``cupy``, ``array_api_strict``,
        ``numpy``...
    device : object, default=None
        A device of ``xp`` (``"cuda"``, ``torch.device("mps")``...); None for
        its default one.

    Returns
    -------
    moved : estimator
        The copy.

    Examples
    --------
    >>> import numpy as np, sklearn, array_api_strict
    >>> from skscale import StandardScaler, to_namespace
    >>> scaler = StandardScaler().fit(np.array([[1.0], [3.0]]))
    >>> moved = to_namespace(scaler, array_api_strict)
    >>> type(moved.mean_).__module__.split(".")[0]
    'array_api_strict'
    >>> X = array_api_strict.asarray([[5.0]])
    >>> with sklearn.config_context(array_api_dispatch=True):
    ...     print(moved.transform(X))
    Array([[3.]], dtype=array_api_strict.float64)
    """
    if getattr(xp, "__name__", "").partition(".")[0] == "numpy":
        space = None
    else:
        compat = _compat()
        probe = xp.asarray([0.0], device=device)
        space = Space(compat.array_namespace(probe).__name__, compat.device(probe))
    moved = getattr(estimator, "_to_space", None)
    if moved is not None:
        return moved(space)
    # A row normalizer: nothing to move, but its later calls expect ``xp``.
    copied = copy.deepcopy(estimator)
    if hasattr(copied, "n_features_in_"):
        record_space(copied, space)
    return copied
