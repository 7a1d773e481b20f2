"""Per-feature mergeable statistics: one batch -> FeatureStats, two -> one.

This is the one statistics core of skscale. Every scaler, every ``partial_fit``,
``merge`` and the minibatch path read it; no estimator computes a mean, a variance,
a minimum or a maximum on its own.

A batch is summarised per feature by the number and the weight sum of its observed
(non-NaN, positive-weight) entries, their weighted mean, their root-mean-square
deviation from that mean (the population standard deviation, ``ddof=0``), their
minimum and their maximum. Two summaries merge with the pairwise update of Chan,
Golub & LeVeque (1979) in its delta form::

    W     = W_a + W_b
    mean  = mean_a + (mean_b - mean_a) * W_b / W
    std^2 = (W_a std_a^2 + W_b std_b^2) / W + (mean_b - mean_a)^2 W_a W_b / W^2

which never forms a raw sum of values or of squares. The deviation is kept as a
standard deviation rather than a sum of squares, and combined in a scaled
(``hypot``-like) form, so that no statistic overflows or underflows while it is
representable: the mean and the standard deviation of data of any magnitude
between the smallest subnormal and the largest float64 stay exact to rounding.

A batch is read in blocks of rows of a few MiB, so the temporaries never exceed
one block whatever the size of the input.
"""

from dataclasses import dataclass

import numpy as np
from scipy import sparse

__all__ = ["FeatureStats"]

# Rows are read in blocks of about this many bytes of float64.
_BLOCK_BYTES = 1 << 22
# Columns whose largest magnitude lies outside [2**-400, 2**400] are rescaled by a
# power of two (exactly) before their moments are taken, so that no sum and no
# square overflows or underflows.
_SAFE_EXPONENT = 400


def block_rows(n_features):
    """Number of rows in one block of a row-blocked pass over the data."""
    return max(1, _BLOCK_BYTES // (8 * max(1, n_features)))


@dataclass(frozen=True, eq=False)
class FeatureStats:
    """Mergeable per-feature statistics of the samples seen so far.

    Every array has shape ``(n_features,)``. A feature with no observed entry has
    ``count == 0``, ``weight == 0`` and NaN for every other statistic; merging
    with it changes nothing.

    Attributes
    ----------
    n_rows : int
        Number of rows seen, whatever their weights or missing values.
    count : ndarray of int64
        Number of observed entries: not NaN and with a positive weight.
    weight : ndarray of float64
        Sum of the weights of the observed entries (equal to ``count`` without
        sample weights).
    mean : ndarray of float64
        Weighted mean of the observed entries.
    std0 : ndarray of float64
        Weighted root-mean-square deviation from the mean (``ddof=0``).
    min, max : ndarray of float64
        Smallest and largest observed entry (zero-weight rows are not observed).
    """

    n_rows: int
    count: np.ndarray
    weight: np.ndarray
    mean: np.ndarray
    std0: np.ndarray
    min: np.ndarray
    max: np.ndarray

    @property
    def n_features(self):
        return self.count.shape[0]

    @classmethod
    def empty(cls, n_features, n_rows=0):
        """Statistics of no observation at all."""
        nan = np.full(n_features, np.nan)
        return cls(
            n_rows=int(n_rows),
            count=np.zeros(n_features, dtype=np.int64),
            weight=np.zeros(n_features),
            mean=nan,
            std0=nan.copy(),
            min=nan.copy(),
            max=nan.copy(),
        )

    @classmethod
    def from_array(cls, X, sample_weight=None):
        """Statistics of the rows of ``X``.

        Parameters
        ----------
        X : ndarray or scipy sparse matrix of shape (n_samples, n_features)
            Float data; NaN marks a missing entry. Infinite entries do not raise
            here: they show as an infinite ``min`` or ``max``, and the caller
            decides what to say.
        sample_weight : ndarray of shape (n_samples,), default=None
            Non-negative finite weights (validated by the caller).
        """
        if sparse.issparse(X):
            return _sparse_stats(X, sample_weight)
        n_rows, n_features = X.shape
        step = block_rows(n_features)
        stats = None
        for start in range(0, max(n_rows, 1), step):
            stop = min(start + step, n_rows)
            w = None if sample_weight is None else sample_weight[start:stop]
            block = _dense_stats(X[start:stop], w)
            stats = block if stats is None else stats.merge(block)
        return stats

    def merge(self, other):
        """Statistics of the union of the samples behind ``self`` and ``other``."""
        if other.n_features != self.n_features:
            raise ValueError(
                f"cannot merge statistics of {self.n_features} and "
                f"{other.n_features} features"
            )
        a, b = self, other
        weight = a.weight + b.weight
        with np.errstate(all="ignore"):
            pa = a.weight / weight
            pb = b.weight / weight
            delta = b.mean - a.mean
            # Means of opposite signs near the float64 limit: the difference
            # overflows although the merged mean does not.
            big = ~np.isfinite(delta) & np.isfinite(a.mean) & np.isfinite(b.mean)
            mean = a.mean + delta * pb
            factor = 1.0
            if big.any():
                mean = np.where(big, a.mean * pa + b.mean * pb, mean)
                delta = np.where(big, 0.5 * b.mean - 0.5 * a.mean, delta)
                factor = np.where(big, 2.0, 1.0)
            c = np.fmax(np.fmax(a.std0, b.std0), np.abs(delta))
            ratio = np.sqrt(
                pa * np.square(a.std0 / c)
                + pb * np.square(b.std0 / c)
                + pa * pb * np.square(factor * (delta / c))
            )
            std0 = np.where(c > 0, c * ratio, 0.0)
        only_a = b.count == 0
        only_b = a.count == 0
        merged = FeatureStats(
            n_rows=a.n_rows + b.n_rows,
            count=a.count + b.count,
            weight=weight,
            mean=np.where(only_a, a.mean, np.where(only_b, b.mean, mean)),
            std0=np.where(only_a, a.std0, np.where(only_b, b.std0, std0)),
            min=np.fmin(a.min, b.min),
            max=np.fmax(a.max, b.max),
        )
        return merged._snapped()

    def _snapped(self):
        """Make constant features exact: mean equal to the value, std0 zero.

        Rounding can put a computed mean one ulp away from the value of a constant
        feature, or just outside ``[min, max]``; this puts it back.
        """
        constant = self.min == self.max
        with np.errstate(invalid="ignore"):
            mean = np.clip(self.mean, self.min, self.max)
        object.__setattr__(self, "mean", np.where(constant, self.min, mean))
        object.__setattr__(self, "std0", np.where(constant, 0.0, self.std0))
        return self

    @property
    def infinite(self):
        """Boolean mask of the features where an infinite value was seen."""
        return np.isinf(self.min) | np.isinf(self.max)

    def var(self, ddof=0):
        """Weighted variance ``sum w (x - mean)^2 / (W - ddof)``.

        Zero where ``W <= ddof`` (too few samples to estimate it), NaN where the
        feature was never observed.
        """
        with np.errstate(over="ignore"):
            # inf where the variance is beyond float64 (std above ~1.3e154).
            return np.square(self.std(ddof))

    def std(self, ddof=0):
        """Square root of :meth:`var`, computed without forming the variance."""
        if ddof == 0:
            return self.std0
        with np.errstate(all="ignore"):
            correction = np.sqrt(self.weight / (self.weight - ddof))
            std = self.std0 * correction
        return np.where(self.weight > ddof, std, np.where(self.count > 0, 0.0, np.nan))


def _exponents(low, high):
    """Per-column power-of-two exponents that bring extreme magnitudes near 1."""
    with np.errstate(invalid="ignore"):
        absmax = np.fmax(np.abs(low), np.abs(high))
    _, exponent = np.frexp(np.nan_to_num(absmax, nan=1.0))
    extreme = (absmax > 0) & (np.abs(exponent) > _SAFE_EXPONENT)
    return np.where(extreme, exponent, 0), extreme.any()


def _moments(X, w, observed):
    """Count, weight, mean and rms deviation of each column of a float64 block.

    ``observed`` is a boolean mask of the non-NaN entries, or None when there is
    no NaN. The deviation is a corrected two-pass estimate.
    """
    n, p = X.shape
    if observed is None:
        count = np.full(p, n, dtype=np.int64)
        weight = np.full(p, float(n) if w is None else float(w.sum()))
        total = X.sum(axis=0) if w is None else np.einsum("i,ij->j", w, X)
    else:
        count = observed.sum(axis=0)
        X = np.where(observed, X, 0.0)
        if w is None:
            weight = count.astype(np.float64)
            total = X.sum(axis=0)
        else:
            weight = np.einsum("i,ij->j", w, observed.astype(np.float64))
            total = np.einsum("i,ij->j", w, X)
    mean = total / weight
    dev = X - mean
    if observed is not None:
        dev[~observed] = 0.0
    if w is None:
        d1 = dev.sum(axis=0)
        d2 = np.einsum("ij,ij->j", dev, dev)
    else:
        d1 = np.einsum("i,ij->j", w, dev)
        d2 = np.einsum("i,ij,ij->j", w, dev, dev)
    # The deviations' own sum corrects the first-pass mean (whose naive column
    # sum loses digits over many rows) and the second moment alike.
    correction = d1 / weight
    var = (d2 - d1 * correction) / weight
    return count, weight, mean + correction, np.sqrt(np.maximum(var, 0.0))


def _dense_stats(X, w):
    n_rows, p = X.shape
    if w is not None:
        keep = w > 0
        if not keep.all():
            X, w = X[keep], w[keep]
        if w.shape[0]:
            # Weights only matter relative to each other: bring them near 1 by
            # an exact power of two so that w * x cannot overflow.
            _, e = np.frexp(w.max())
            w = np.ldexp(w, -e)
            weight_exponent = e
    if X.shape[0] == 0 or p == 0:
        return FeatureStats.empty(p, n_rows)
    with np.errstate(all="ignore"):
        low = np.fmin.reduce(X, axis=0).astype(np.float64)
        high = np.fmax.reduce(X, axis=0).astype(np.float64)
    infinite = np.isinf(low) | np.isinf(high)
    if infinite.any():
        # The caller raises; return what it needs to say where.
        stats = FeatureStats.empty(p, n_rows)
        return FeatureStats(
            n_rows, stats.count, stats.weight, stats.mean, stats.std0, low, high
        )
    exponent, extreme = _exponents(low, high)
    X = X.astype(np.float64, copy=False)
    if extreme:
        X = np.ldexp(X, -exponent)
    nan_columns = np.isnan(low) | np.isnan(X.sum(axis=0))
    with np.errstate(all="ignore"):
        if not nan_columns.any():
            count, weight, mean, std0 = _moments(X, w, None)
        else:
            count, weight, mean, std0 = (
                np.zeros(p, dtype=np.int64),
                np.zeros(p),
                np.full(p, np.nan),
                np.full(p, np.nan),
            )
            clean = ~nan_columns
            if clean.any():
                parts = _moments(X[:, clean], w, None)
                for target, part in zip(
                    (count, weight, mean, std0), parts, strict=True
                ):
                    target[clean] = part
            Xn = X[:, nan_columns]
            parts = _moments(Xn, w, ~np.isnan(Xn))
            for target, part in zip((count, weight, mean, std0), parts, strict=True):
                target[nan_columns] = part
        mean = np.ldexp(mean, exponent)
        std0 = np.ldexp(std0, exponent)
    if w is not None:
        weight = np.ldexp(weight, weight_exponent)
    mean = np.where(count > 0, mean, np.nan)
    std0 = np.where(count > 0, std0, np.nan)
    return FeatureStats(n_rows, count, weight, mean, std0, low, high)._snapped()


def _sparse_stats(X, w):
    """Statistics of a sparse matrix: explicit entries plus the implicit zeros."""
    n_rows, p = X.shape
    if w is not None:
        keep = w > 0
        if not keep.all():
            X, w = X[np.flatnonzero(keep)], w[keep]
        if w.shape[0]:
            _, e = np.frexp(w.max())
            w = np.ldexp(w, -e)
    X = sparse.csc_matrix(X)
    n = X.shape[0]
    if n == 0:
        return FeatureStats.empty(p, n_rows)
    data = X.data.astype(np.float64)
    rows = X.indices
    nnz = np.diff(X.indptr)
    column = np.repeat(np.arange(p), nnz)
    row_weight = np.ones(n) if w is None else w
    entry_weight = row_weight[rows]
    total_weight = row_weight.sum()

    with np.errstate(all="ignore"):
        low, high = _segment_extrema(data, X.indptr)
        implicit = nnz < n
        low = np.where(implicit, np.fmin(low, 0.0), low)
        high = np.where(implicit, np.fmax(high, 0.0), high)
        if (np.isinf(low) | np.isinf(high)).any():
            stats = FeatureStats.empty(p, n_rows)
            return FeatureStats(
                n_rows, stats.count, stats.weight, stats.mean, stats.std0, low, high
            )
        exponent, extreme = _exponents(low, high)
        if extreme:
            data = np.ldexp(data, -exponent[column])
        missing = np.isnan(data)
        observed = ~missing
        count = n - np.bincount(column[missing], minlength=p)
        explicit_weight = np.bincount(column, weights=entry_weight, minlength=p)
        missing_weight = np.bincount(
            column[missing], weights=entry_weight[missing], minlength=p
        )
        weight = total_weight - missing_weight
        implicit_weight = total_weight - explicit_weight
        ew, ec, ed = entry_weight[observed], column[observed], data[observed]
        mean = np.bincount(ec, weights=ew * ed, minlength=p) / weight
        dev = ed - mean[ec]
        d1 = np.bincount(ec, weights=ew * dev, minlength=p) - implicit_weight * mean
        d2 = np.bincount(ec, weights=ew * dev * dev, minlength=p) + (
            implicit_weight * mean * mean
        )
        correction = d1 / weight
        var = (d2 - d1 * correction) / weight
        std0 = np.sqrt(np.maximum(var, 0.0))
        mean = np.ldexp(mean + correction, exponent)
        std0 = np.ldexp(std0, exponent)
    if w is not None:
        weight = weight * (2.0 ** float(e))
    mean = np.where(count > 0, mean, np.nan)
    std0 = np.where(count > 0, std0, np.nan)
    return FeatureStats(n_rows, count, weight, mean, std0, low, high)._snapped()


def _segment_extrema(data, indptr):
    """NaN-ignoring min and max of each CSC column's explicit entries."""
    p = indptr.shape[0] - 1
    low = np.full(p, np.nan)
    high = np.full(p, np.nan)
    nonempty = np.flatnonzero(np.diff(indptr) > 0)
    if nonempty.size:
        starts = indptr[:-1][nonempty]
        low[nonempty] = np.fmin.reduceat(data, starts)
        high[nonempty] = np.fmax.reduceat(data, starts)
    return low, high
