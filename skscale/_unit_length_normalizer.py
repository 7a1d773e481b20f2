"""UnitLengthNormalizer: scale each sample (row) to unit norm."""

import numpy as np
from scipy import sparse

from ._affine import scale_rows
from ._array_api import map_rows
from ._parallel import map_blocks, row_blocks, scratch
from ._row_normalizer import _RowNormalizer, row_pass
from ._stats import fused_row_squares
from ._transform_driver import transform_dense
from ._validation import (
    check_bool,
    check_real,
    infinite_features,
    raise_if_infinite,
    validate_x,
)

_NAMED_NORMS = {"l1": 1.0, "l2": 2.0, "max": np.inf}


class UnitLengthNormalizer(_RowNormalizer):
    """Scale each sample (row) to unit norm.

    The transformation is ``row / ||row||_p`` with
    ``||row||_p = (sum |x_j|^p)^(1/p)``, and ``||row||_inf = max |x_j|``. NaN
    entries are left out of the norm and stay NaN; a row of zeros stays zeros.
    Norms are computed in float64 on rows rescaled by their largest magnitude,
    so they neither overflow nor underflow. A drop-in replacement for
    :class:`sklearn.preprocessing.Normalizer`.

    The normalizer is stateless: :meth:`fit` only validates its input, and
    :meth:`partial_fit` exists so that it can sit in a streaming pipeline.

    Parameters
    ----------
    norm : {"l1", "l2", "max"} or float >= 1, default="l2"
        The norm: ``"l1"`` (p=1), ``"l2"`` (p=2), ``"max"`` (p=inf), or any
        p >= 1 including ``numpy.inf``.
    copy : bool, default=True
        If False, normalize a float array (or sparse matrix) in place.

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names of a DataFrame seen during fit.

    See Also
    --------
    StandardScaler : Scale each feature (column) instead of each sample.

    Examples
    --------
    >>> from skscale import UnitLengthNormalizer
    >>> UnitLengthNormalizer().fit_transform([[3.0, 4.0], [0.0, 0.0]])
    array([[0.6, 0.8],
           [0. , 0. ]])
    >>> UnitLengthNormalizer(norm="max").fit_transform([[-5.0, 3.0]])
    array([[-1. ,  0.6]])
    >>> UnitLengthNormalizer(norm="l1").fit_transform([[1.0, float("nan"), 3.0]])
    array([[0.25,  nan, 0.75]])
    """

    def __init__(self, norm="l2", *, copy=True):
        self.norm = norm
        self.copy = copy

    def _check_params(self):
        """Raise ValueError naming an invalid parameter: the norm, then copy."""
        self._p()
        check_bool(self.copy, "copy")

    def _p(self):
        """The norm's exponent p, validated."""
        norm = self.norm
        if isinstance(norm, str) and norm in _NAMED_NORMS:
            return _NAMED_NORMS[norm]
        return check_real(
            norm,
            "norm",
            "'l1', 'l2', 'max' or a number p >= 1 (numpy.inf included)",
            lambda p: p >= 1,
        )

    def transform(self, X, copy=None):
        """Scale each row of X to unit norm.

        Parameters
        ----------
        X : {array-like, sparse matrix, dataframe} of shape (n_samples, n_features)
            The data; NaN stays NaN and is left out of the norm.
        copy : bool, default=None
            Copy X before normalizing it; None means the ``copy`` parameter.

        Returns
        -------
        X_tr : {ndarray, sparse matrix, dataframe} of shape (n_samples, n_features)
            The normalized rows, of the input's float dtype.

        Examples
        --------
        >>> from skscale import UnitLengthNormalizer
        >>> UnitLengthNormalizer(norm="l1").transform([[1.0, -3.0]])
        array([[ 0.25, -0.75]])
        """
        return self._transform(X, copy)

    def _normalize_rows(self, X, copy, check_names):
        p = self._p()
        copy = self.copy if copy is None else copy
        original = X
        X = self._dense_input(X, copy, check_names)
        if sparse.issparse(X):
            return self._divide_sparse_rows(
                X,
                copy,
                lambda X, values, rows: _sparse_row_norms(values, rows, X.shape[0], p),
            )

        def normalize(src, dst, cols):
            # float32 blocks come as they are (narrow): the norms are summed
            # and the rows divided in float64.
            scale_rows(src, dst, None, None, _row_norms(src, p))

        def redo(rows):
            # The rows the row pass leaves (NaN, infinity, squares beyond
            # range, zero rows): their norms rescaled.
            return _scaled(rows, _dense_row_norms(rows.astype(np.float64), p))

        return transform_dense(
            self,
            X,
            original,
            copy,
            normalize,
            elementwise=False,
            fused=row_pass(normalize, redo) if p == 2.0 else None,
            narrow=True,
        )

    def _normalize_namespace(self, X, space):
        # A chunk of rows at a time: the temporaries (magnitudes, terms) stay
        # the size of a chunk.
        return map_rows(
            X, space, lambda rows: self._normalize_chunk(rows, space), whole=False
        )

    def _normalize_chunk(self, X, space):
        xp, p = space.xp, self._p()
        wide = space.float_dtype()
        x = xp.astype(X, wide) if X.dtype != wide else X
        # The rescaled norms: |x| / largest |x| of the row, NaN left out.
        zero = space.asarray(0.0, dtype=wide)
        magnitude = xp.where(xp.isnan(x), zero, xp.abs(x))
        largest = xp.max(magnitude, axis=1)
        if np.isinf(p):
            norms = largest
        else:
            one = space.asarray(1.0, dtype=wide)
            safe = xp.where(largest > 0, largest, one)
            terms = magnitude / safe[:, None]
            terms = terms * terms if p == 2.0 else terms if p == 1.0 else terms**p
            norms = largest * xp.sum(terms, axis=1) ** (1.0 / p)
        norms = xp.where(norms > 0, norms, space.asarray(1.0, dtype=wide))
        out = x / norms[:, None]
        return xp.astype(out, X.dtype) if out.dtype != X.dtype else out


def row_norms(X, norm="l2"):
    """The norms of the rows of X that :class:`UnitLengthNormalizer` divides by.

    NaN is left out; a zero norm (a zero row, or one with nothing observed) is
    returned as 1, as scikit-learn's ``normalize(..., return_norm=True)`` does.
    """
    estimator = UnitLengthNormalizer(norm=norm)
    estimator._check_params()
    p = estimator._p()
    X = validate_x(estimator, X, copy=False)
    raise_if_infinite(estimator, infinite_features(X))
    if sparse.issparse(X):
        X = X.tocsr()
        rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
        return _sparse_row_norms(X.data, rows, X.shape[0], p)
    parts = map_blocks(lambda rows: _row_norms(X[rows], p), row_blocks(*X.shape))
    return np.concatenate([np.empty(0), *parts])


def _scaled(rows, divisors):
    """``rows / divisors`` per row, in float64, in the rows' dtype."""
    out = np.empty_like(rows)
    scale_rows(rows, out, None, None, divisors)
    return out


def _finish(largest, scaled_sum, p):
    """Norms from the largest magnitude and the sum of (|x| / largest)^p."""
    norms = largest if np.isinf(p) else largest * scaled_sum ** (1.0 / p)
    # Zero rows (and rows with nothing observed) are left as they are.
    return np.where(norms > 0, norms, 1.0)


def _row_norms(X, p):
    """Norms of the rows of a block, zero norms replaced by 1.

    The fast path (one pass for l2, l1 and max) serves the rows whose norm it
    gets safely; rows with NaN, or with magnitudes where squares overflow or
    underflow, are recomputed by the rescaled path.
    """
    if p not in (1.0, 2.0, np.inf):
        return _dense_row_norms(X.astype(np.float64), p)
    with np.errstate(all="ignore"):
        if p == 2.0:
            squares = fused_row_squares(X)
            if squares is None:
                squares = np.einsum("ij,ij->i", X, X, dtype=np.float64)
            norms = np.sqrt(squares)
            suspect = ~(norms > 1e-140) | (norms > 1e140)
        else:
            magnitude = np.abs(X, out=scratch("magnitude", X.shape, X.dtype))
            if p == 1.0:
                norms = np.add.reduce(magnitude, axis=1, dtype=np.float64)
            else:
                norms = np.maximum.reduce(magnitude, axis=1).astype(np.float64)
            suspect = ~np.isfinite(norms) | (norms == 0)
    if suspect.any():
        norms[suspect] = _dense_row_norms(X[suspect].astype(np.float64), p)
    return norms


def _dense_row_norms(X, p):
    magnitude = np.abs(X)
    largest = np.fmax.reduce(magnitude, axis=1)
    if np.isinf(p):
        return _finish(largest, None, p)
    safe = np.where(largest > 0, largest, 1.0)
    magnitude /= safe[:, np.newaxis]
    if p == 2.0:
        terms = np.square(magnitude, out=magnitude)
    elif p == 1.0:
        terms = magnitude
    else:
        terms = np.power(magnitude, p, out=magnitude)
    return _finish(largest, np.nansum(terms, axis=1), p)


def _sparse_row_norms(values, rows, n_rows, p):
    magnitude = np.abs(values)
    largest = np.zeros(n_rows)
    np.fmax.at(largest, rows, magnitude)
    if np.isinf(p):
        return _finish(largest, None, p)
    observed = ~np.isnan(magnitude)
    safe = np.where(largest > 0, largest, 1.0)
    terms = (magnitude[observed] / safe[rows[observed]]) ** p
    return _finish(largest, np.bincount(rows[observed], terms, minlength=n_rows), p)
