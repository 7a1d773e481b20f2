"""LayerNormalizer: standardize each sample (row) across its features."""

import numpy as np
from scipy import sparse

from ._affine import residual_matters, scale_rows
from ._array_api import map_rows
from ._parallel import scratch
from ._row_normalizer import _RowNormalizer, row_pass
from ._stats import FeatureStats, fused_row_moments, row_deviation_moments
from ._transform_driver import transform_dense
from ._validation import (
    check_bool,
    check_real,
)


class LayerNormalizer(_RowNormalizer):
    """Standardize each sample (row) across its features: layer normalization, SNV.

    The transformation of a row ``x`` of ``p`` features is::

        (x - mean(x)) / sqrt(var(x) + eps)
        var(x) = sum_j (x_j - mean(x))^2 / (p - ddof)

    over the row's observed (non-NaN) entries. It is layer normalization as
    deep learning uses it (``torch.nn.LayerNorm`` without its affine weights,
    Keras ``LayerNormalization``) and the Standard Normal Variate (SNV) of
    chemometrics. A constant row becomes zeros (centred, not divided by zero)
    when ``eps`` is 0. NaN entries are left out of the row's statistics and
    stay NaN; a row with nothing observed stays NaN, without a warning.

    The row statistics come from the same statistics core as the column
    scalers (a pivot and the moments of the deviations from it, with the mean's
    residual), so that a row far from zero is standardized as exactly as one
    near it. Every row is computed in float64; float32 and float16 input stay
    in their dtype.

    The normalizer is stateless, like :class:`UnitLengthNormalizer`:
    :meth:`fit` only validates its input, and :meth:`partial_fit` exists so
    that it can sit in a streaming pipeline. scikit-learn has only the function
    ``sklearn.preprocessing.scale(X, axis=1)`` for it.

    Parameters
    ----------
    eps : float >= 0, default=0.0
        Added to the variance inside the square root, as torch and Keras do.
    ddof : float >= 0, default=0
        Delta degrees of freedom of the row variance; a row with at most
        ``ddof`` observed entries is divided by ``sqrt(eps)`` (by 1 when
        ``eps`` is 0).
    with_mean : bool, default=True
        Subtract the row mean. With False, each row is divided by its standard
        deviation (about its mean) without being centred, as
        ``StandardScaler(with_mean=False)`` does per column: this is not
        RMSNorm, which divides by the root mean square.
    with_std : bool, default=True
        Divide by ``sqrt(var + eps)``.
    copy : bool, default=True
        If False, normalize a float array in place.

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names of a DataFrame seen during fit.

    See Also
    --------
    UnitLengthNormalizer : Scale each row to unit norm instead.
    StandardScaler : Standardize each feature (column) instead of each row.

    Notes
    -----
    Equivalent settings elsewhere: ``torch.nn.functional.layer_norm(x,
    (p,), eps=1e-5)`` is ``LayerNormalizer(eps=1e-5)``; Keras'
    ``LayerNormalization(epsilon=1e-3)`` (without its scale and center) is
    ``LayerNormalizer(eps=1e-3)``. SNV (prospectr's ``standardNormalVariate``,
    mdatools' ``prep.snv``) divides by the sample standard deviation,
    ``ddof=1``; chemotools' ``StandardNormalVariate`` uses ``numpy.std``'s
    default, ``ddof=0``.

    Sparse input is accepted only with ``with_mean=False`` (centring would
    make it dense).

    Examples
    --------
    >>> from skscale import LayerNormalizer
    >>> LayerNormalizer().fit_transform([[1.0, 2.0, 3.0], [5.0, 5.0, 5.0]])
    array([[-1.22474487,  0.        ,  1.22474487],
           [ 0.        ,  0.        ,  0.        ]])
    >>> LayerNormalizer(ddof=1).fit_transform([[1.0, float("nan"), 3.0]])
    array([[-0.70710678,         nan,  0.70710678]])
    """

    def __init__(self, *, eps=0.0, ddof=0, with_mean=True, with_std=True, copy=True):
        self.eps = eps
        self.ddof = ddof
        self.with_mean = with_mean
        self.with_std = with_std
        self.copy = copy

    def _check_params(self):
        """Raise ValueError naming an invalid parameter."""
        for name in ("with_mean", "with_std", "copy"):
            check_bool(getattr(self, name), name)
        for name in ("eps", "ddof"):
            check_real(
                getattr(self, name),
                name,
                "a finite number >= 0",
                lambda value: 0 <= value < np.inf,
            )

    def transform(self, X, copy=None):
        """Standardize each row of X across its features.

        Parameters
        ----------
        X : {array-like, sparse matrix, dataframe} of shape (n_samples, n_features)
            The data; NaN stays NaN and is left out of the row statistics.
            Sparse input needs ``with_mean=False``.
        copy : bool, default=None
            Copy X before normalizing it; None means the ``copy`` parameter.

        Returns
        -------
        X_tr : {ndarray, sparse matrix, dataframe} of shape (n_samples, n_features)
            The standardized rows, of the input's float dtype.

        Examples
        --------
        >>> from skscale import LayerNormalizer
        >>> LayerNormalizer(with_mean=False).transform([[1.0, 3.0]])
        array([[1., 3.]])
        """
        return self._transform(X, copy)

    def _normalize_rows(self, X, copy, check_names):
        self._check_params()
        copy = self.copy if copy is None else copy
        original = X
        self._refuse_sparse(X)
        X = self._dense_input(X, copy, check_names)
        if sparse.issparse(X):
            # The rows of X are the columns of its transpose, implicit zeros
            # included: the statistics core's sparse path.
            return self._divide_sparse_rows(
                X,
                copy,
                lambda X, values, rows: self._divisors(
                    FeatureStats.from_array(X.T, moments=2, extrema=False).std(
                        self.ddof
                    )
                ),
            )

        def standardize(src, dst, cols):
            # float32 blocks come as they are (narrow): the row moments'
            # kernel writes float64 and float32 outputs itself; else float64
            # blocks are computed in the output itself, float32 ones in a
            # float64 copy, cast once.
            wide = dst.dtype == np.float64
            if src.shape[1] and self._deviation_rows(src, dst):
                return
            center, residual, scale = self._row_map(src)
            rows = dst if wide else scratch("layer_rows", src.shape)
            with np.errstate(all="ignore"):
                np.subtract(src, center[:, np.newaxis], out=rows)
                # The mean's residual, only where an ulp of the mean matters
                # against the scale (a row far from zero).
                needed = residual_matters(residual, scale)
                if needed.any():
                    rows -= np.where(needed, residual, 0.0)[:, np.newaxis]
                rows /= scale[:, np.newaxis]
            if not wide:
                dst[...] = rows

        return transform_dense(
            self,
            X,
            original,
            copy,
            standardize,
            elementwise=False,
            fused=row_pass(standardize, self._redo_rows, self._layer_map),
            narrow=True,
        )

    def _normalize_namespace(self, X, space):
        # A chunk of rows at a time, each chunk's row statistics from the
        # core's generic path on its transpose (in one part: the chunk is
        # smaller than the core's): a few values per row come to the host,
        # the rows stay on the device.
        return map_rows(
            X, space, lambda rows: self._standardize_rows(rows, space), whole=False
        )

    def _standardize_rows(self, X, space):
        xp = space.xp
        wide = space.float_dtype()
        x = xp.astype(X, wide) if X.dtype != wide else X
        stats = FeatureStats.from_namespace(x.T, None, space, extrema=False)
        n = x.shape[0]
        if self.with_mean:
            center, residual = stats.mean, stats.residual
        else:
            center, residual = np.zeros(n), np.zeros(n)
        scale = self._divisors(stats.std(self.ddof))
        out = x - space.asarray(center, dtype=wide)[:, None]
        # The mean's residual, only where an ulp of the mean matters against
        # the scale (a row far from zero), as on NumPy.
        needed = residual_matters(residual, scale)
        if needed.any():
            out -= space.asarray(np.where(needed, residual, 0.0), dtype=wide)[:, None]
        out /= space.asarray(scale, dtype=wide)[:, None]
        return xp.astype(out, X.dtype) if out.dtype != X.dtype else out

    def _refuse_sparse(self, X):
        if sparse.issparse(X) and self.with_mean:
            raise ValueError(
                f"{self!r} cannot take sparse input: centering would make it "
                "dense. Use LayerNormalizer(with_mean=False) to scale sparse rows "
                "without centering them, or pass X.toarray() if it fits in memory."
            )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Centring would make sparse data dense.
        tags.input_tags.sparse = not self.with_mean
        return tags

    def _deviation_rows(self, src, dst):
        """Standardize the rows of ``src`` into ``dst`` from their deviations.

        The moments of each row's deviations from its first entry come from
        :func:`skscale._stats.fused_row_moments` (one pass, the compiled
        kernel, which then writes ``dst`` in a second, float64 or float32) or
        else, for a float64 ``dst``, :func:`skscale._stats.row_deviation_moments`
        (which leaves the deviations in a C-ordered block, then taken to the
        output: five passes); the rows where they are not exact to rounding are
        done again from the statistics of the core (:meth:`_row_map`). Returns
        False when no row was done.
        """
        # Row sums in one order whatever the layout: the same bits for a
        # Fortran-ordered block as for a C-ordered one.
        rows = src
        if not src.flags.c_contiguous:
            rows = _copy_into(scratch("layer_copy", src.shape), src)
        # Rows redone from the input must be read before it is overwritten.
        shares = rows is src and np.may_share_memory(src, dst)
        fused = fused_row_moments(rows)
        kept = None
        if fused is None and dst.dtype != np.float64:
            # Deviations are written in float64: not into a narrower output.
            return False
        if fused is not None:
            # The map writes each value after reading it: into dst even where
            # dst is src, the rows to redo kept apart first.
            out = dst
            offset, std0, exact = fused
            if shares and exact.any() and not exact.all():
                kept = rows[~exact]  # a copy
        else:
            # The deviations go to a C-ordered block of their own when the
            # output is the input or is not C-ordered.
            own = np.may_share_memory(src, dst) or not dst.flags.c_contiguous
            out = scratch("layer_rows", src.shape) if own else dst
            offset, std0, exact = row_deviation_moments(rows, out)
        if not exact.any():
            return False
        factor = self._layer_map(src.shape[1])[2]
        with np.errstate(all="ignore"):
            scale = self._divisors(std0 * factor)
            if fused is not None:
                # (x - first) - offset, then / scale: the steps below, in one
                # pass, from the input in its own layout.
                center = None
                if self.with_mean:
                    center = np.array(rows[:, 0], dtype=np.float64)
                scale_rows(src, out, center, offset, scale)
            elif self.with_mean:
                out -= offset[:, np.newaxis]
                out /= scale[:, np.newaxis]
            else:
                np.divide(rows, scale[:, np.newaxis], out=out)
        if not exact.all():
            redo = np.flatnonzero(~exact)
            out[redo] = self._redo_rows(rows[redo] if kept is None else kept)
        if out is not dst:
            dst[...] = out
        return True

    def _redo_rows(self, rows):
        """Rows whose deviations' moments are not exact (NaN, infinity,
        overflow, a constant row, a mean far out), standardized from the
        statistics core, in float64."""
        center, residual, scale = self._row_map(rows)
        with np.errstate(all="ignore"):
            done = (rows - center[:, np.newaxis]) - residual[:, np.newaxis]
            return done / scale[:, np.newaxis]

    def _layer_map(self, p):
        """The map of :func:`skscale._stats.fused_row_map` for rows of p values:
        ``(with_mean, with_std, factor, root_eps)``, the population standard
        deviation times ``factor`` being the row's (with ``ddof``)."""
        ddof = float(self.ddof)
        # At most ddof entries: too few to estimate a variance (0).
        factor = np.sqrt(p / (p - ddof)) if p > ddof else 0.0
        return self.with_mean, self.with_std, factor, np.sqrt(float(self.eps))

    def _row_map(self, block):
        """Per row of a block: the center, the mean's residual and the divisor."""
        # The statistics core summarises columns: the rows of the block are the
        # columns of its transpose.
        stats = FeatureStats.from_array(block.T, moments=2, extrema=False)
        n = block.shape[0]
        if self.with_mean:
            center, residual = stats.mean, stats.residual
        else:
            center, residual = np.zeros(n), np.zeros(n)
        return center, residual, self._divisors(stats.std(self.ddof))

    def _divisors(self, std):
        if not self.with_std:
            return np.ones(std.shape[0])
        with np.errstate(invalid="ignore"):
            scale = np.hypot(std, np.sqrt(float(self.eps)))
        # A constant row (and one with at most ddof entries) is centred only.
        return np.where(scale == 0.0, 1.0, scale)


def _copy_into(buffer, values):
    buffer[...] = values
    return buffer
