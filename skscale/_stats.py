"""Per-feature mergeable statistics: one batch -> FeatureStats, two -> one.

This is the one statistics core of skscale. Every scaler, every ``partial_fit``,
``merge`` and the minibatch path read it; no estimator computes a mean, a variance,
a minimum or a maximum on its own.

A batch is summarised per feature by the number and the weight sum of its observed
(non-NaN, positive-weight) entries, their weighted mean, their root-mean-square
deviation from that mean (the population standard deviation, ``ddof=0``), their
minimum and their maximum.

The mean is pivoted: it is kept as a float64 ``mean`` (the pivot) and the
``residual`` that float64 could not hold, so that ``mean + residual`` is the
exact mean to about 2**-100 relative where the data lie far from zero
against their spread (where the residual matters; within a few eps std
elsewhere), and every moment is taken of deviations
from the pivot, at the scale of the spread rather than of the mean. Each
block's pivot is a value of its data, so that its deviations are exact where
they matter (Sterbenz); merges re-express one side's mean against the other's
pivot exactly (an error-free ``two_sum``), and the merged mean is rounded to a
new pivot with its residual, again exactly. So the statistics do not depend on
how the data were split (batches, blocks, Dask workers, merge chains), even
when ``|mean| / std`` is as large as 1e15. Two summaries merge with the
pairwise update of Chan, Golub & LeVeque (1979) in its delta form::

    W     = W_a + W_b
    delta = (mean_b - mean_a) + (residual_b - residual_a)
    mean  = mean_a + residual_a + delta * W_b / W
    std^2 = (W_a std_a^2 + W_b std_b^2) / W + delta^2 W_a W_b / W^2

which never forms a raw sum of values or of squares. The deviation is kept as a
standard deviation rather than a sum of squares, and combined in a scaled
(``hypot``-like) form, so that no statistic overflows or underflows while it is
representable: the mean and the standard deviation of data of any magnitude
between the smallest subnormal and the largest float64 stay exact to rounding.

A batch is read in fixed blocks of rows that fit in a core's cache, in parallel
threads (:mod:`skscale._parallel`); each block is summarised in a few passes over
cached data, and the summaries are combined in block order, so temporaries never
exceed a block per thread and results do not depend on the number of threads.
"""

from dataclasses import dataclass, replace

import numpy as np
from scipy import sparse

from ._parallel import (
    ROW_ELEMENTS,
    column_groups,
    column_major,
    map_blocks,
    row_blocks,
    scratch,
    tile_row,
    widening,
)

try:
    # The fused column kernels (see setup.py); without them, NumPy alone.
    from . import _kernels
except ImportError:  # pragma: no cover - built without a C compiler
    _kernels = None

__all__ = ["FeatureStats", "observed_counts", "row_deviation_moments", "two_sum"]

# Column reductions of a C-contiguous block run on a view with rows this long:
# numpy reduces along the first axis row by row, and long rows keep it vectorised.
_WIDE = ROW_ELEMENTS
# Columns whose largest magnitude lies outside [2**-400, 2**400] are rescaled by a
# power of two (exactly) before their moments are taken, so that no sum and no
# square overflows or underflows.
_SAFE_EXPONENT = 400


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
        Weighted mean of the observed entries, rounded to float64: the pivot
        of the deviation moments.
    residual : ndarray of float64
        What the rounding of ``mean`` left out: ``mean + residual`` is the
        exact mean to about 2**-100 relative where the data lie far from
        zero against their spread (within a few eps std elsewhere), with
        ``|residual|`` at most half an ulp of ``mean``. Zero where the mean
        is not finite or not computed.
    std0 : ndarray of float64
        Weighted root-mean-square deviation from the mean (``ddof=0``).
    min, max : ndarray of float64
        Smallest and largest observed entry (zero-weight rows are not observed).
    moments : int
        How many moments were asked for: below 2, ``std0`` is NaN; below 1,
        ``mean`` is NaN too, whatever the path that computed them, except for a
        constant feature, whose mean is its value and std0 zero.
    extrema : bool
        Whether ``min`` and ``max`` were asked for. When not, they are NaN,
        except that a feature holding an infinite value has it there, so that
        :attr:`infinite` still says where.
    """

    n_rows: int
    count: np.ndarray
    weight: np.ndarray
    mean: np.ndarray
    std0: np.ndarray
    min: np.ndarray
    max: np.ndarray
    moments: int = 2
    extrema: bool = True
    residual: np.ndarray | None = None

    def __post_init__(self):
        # The one assignment to a field after construction: a frozen
        # dataclass's own way to fill a default from another field.
        if self.residual is None:
            object.__setattr__(self, "residual", np.zeros(self.count.shape[0]))

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
    def from_array(cls, X, sample_weight=None, *, moments=2, extrema=True):
        """Statistics of the rows of ``X``.

        Parameters
        ----------
        X : ndarray or scipy sparse matrix of shape (n_samples, n_features)
            Float data; NaN marks a missing entry. Infinite entries do not raise
            here: they show as an infinite ``min`` or ``max``, and the caller
            decides what to say.
        sample_weight : ndarray of shape (n_samples,), default=None
            Non-negative finite weights (validated by the caller).
        moments : {0, 1, 2}, default=2
            How many moments a scaler needs: 0 for count, weight, min and max
            only (``mean`` and ``std0`` may then be NaN), 1 to add the mean, 2
            for the standard deviation too. Fewer moments take fewer passes.
        extrema : bool, default=True
            Whether to compute ``min`` and ``max``. Without them the standard
            deviation takes two passes fewer (a standard scaler needs neither).
        """
        n_rows, n_features = X.shape
        if sparse.issparse(X):
            stats = _sparse_stats(X, sample_weight)
        elif n_rows == 0:
            stats = cls.empty(n_features)
        else:
            parts = [X[:, columns] for columns in column_groups(X)]
            stats = _side_by_side_stats(parts, sample_weight, moments, extrema)
        return stats._snapped(moments=moments, extrema=extrema)

    @classmethod
    def from_columns(cls, columns, sample_weight=None, *, moments=2, extrema=True):
        """Statistics of the rows of the matrix whose columns are ``columns``.

        The same as :meth:`from_array` of ``np.column_stack(columns)``, to
        rounding, without that copy: each column (a 1-D float array of
        ``n_samples`` values, such as a polars column's own buffer) is read
        where it lies, in row blocks.
        """
        parts = [np.asarray(column).reshape(-1, 1) for column in columns]
        if not parts or parts[0].shape[0] == 0:
            n_rows = parts[0].shape[0] if parts else 0
            return cls.empty(len(parts), n_rows)._snapped(
                moments=moments, extrema=extrema
            )
        stats = _side_by_side_stats(parts, sample_weight, moments, extrema)
        return stats._snapped(moments=moments, extrema=extrema)

    @classmethod
    def from_namespace(cls, X, sample_weight, space, *, moments=2, extrema=True):
        """Statistics of an Array API array, reduced in its own namespace.

        The generic form of :meth:`from_array`, for the Array API namespace and
        device of ``space`` (a :class:`skscale._array_api.Space`: torch, CuPy,
        array-api-strict; NumPy too, which the tests use to compare it with
        the fast path): X's reductions run there, in the device's widest
        float, and what they yield per feature comes back to the host as
        float64, where the batches merge. The same rules: NaN and zero-weight
        rows are not observed; deviations are taken from a pivot (each
        feature's smallest observed value, a value of the data), twice (the
        second pass around their mean), and the mean is the pivot plus their
        mean, kept as ``mean + residual``; features of extreme magnitude are
        scaled by a power of two first. ``sample_weight`` is a validated float64 NumPy
        array or None.
        """
        n, p = X.shape
        step = max(1, NAMESPACE_CHUNK // max(p, 1))
        parts = [
            _namespace_stats(
                X[start : min(start + step, n), ...],
                None if sample_weight is None else sample_weight[start : start + step],
                space,
                moments,
            )
            for start in range(0, n, step)
        ]
        if not parts:
            return cls.empty(p)._snapped(moments=moments, extrema=extrema)
        stats = parts[0] if len(parts) == 1 else cls.merge_all(parts)
        return stats._snapped(moments=moments, extrema=extrema)

    @classmethod
    def merge_all(cls, parts):
        """Statistics of the union of the samples behind each of ``parts``.

        Equal to merging them one by one, to rounding, but in one vectorised
        step (the multi-group form of :meth:`merge`), in the order given.
        """
        parts = list(parts)
        if not parts:
            raise ValueError("merge_all needs at least one FeatureStats")
        if len(parts) == 1:
            return parts[0]
        merged = _combine(parts)
        return replace(
            merged,
            moments=min(part.moments for part in parts),
            extrema=all(part.extrema for part in parts),
        )._snapped()

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
            # b's mean against a's pivot, exactly: mean_b - mean_a is the
            # unevaluated sum of a float and its rounding error.
            high, low = two_sum(b.mean, -a.mean)
            delta = high + ((low + b.residual) - a.residual)
            # Means of opposite signs near the float64 limit: the difference
            # overflows although the merged mean does not.
            big = ~np.isfinite(delta) & np.isfinite(a.mean) & np.isfinite(b.mean)
            mean, residual = two_sum(a.mean, a.residual + delta * pb)
            factor = 1.0
            if big.any():
                mean = np.where(big, a.mean * pa + b.mean * pb, mean)
                residual = np.where(big, 0.0, residual)
                delta = np.where(big, 0.5 * b.mean - 0.5 * a.mean, delta)
                factor = np.where(big, 2.0, 1.0)
            c = np.maximum(np.maximum(a.std0, b.std0), np.abs(delta))
            ratio = np.sqrt(
                pa * np.square(a.std0 / c)
                + pb * np.square(b.std0 / c)
                + pa * pb * np.square(factor * (delta / c))
            )
            # 0 where every term is 0; NaN where the moment was not computed.
            std0 = np.where(c > 0, c * ratio, c)
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
            moments=min(a.moments, b.moments),
            extrema=a.extrema and b.extrema,
            residual=np.where(
                only_a, a.residual, np.where(only_b, b.residual, residual)
            ),
        )
        return merged._snapped()

    def _snapped(self, moments=None, extrema=None):
        """A copy with constant features exact: mean equal to the value, std0 zero.

        The copy also drops what ``moments`` and ``extrema`` (by default this
        instance's) say was not computed. Rounding can put a computed mean one
        ulp away from the value of a constant feature, or just outside
        ``[min, max]``; this puts it back. Without
        extrema, the kernels and the merges already keep constant features
        exact (their deviations are exactly zero), and the extrema are masked.
        """
        moments = self.moments if moments is None else moments
        extrema = self.extrema if extrema is None else extrema
        mean, std0, residual = self.mean, self.std0, self.residual
        low, high = self.min, self.max
        if extrema:
            constant = low == high
            if moments >= 1:
                clamped = np.minimum(np.maximum(mean, low), high)
                # A mean rounded just outside [min, max] is put back at the
                # bound, and what it moved goes to the residual (exactly:
                # the two are neighbours).
                # (Compares True where the mean is NaN: the residual goes to 0.)
                if constant.any() or (clamped != mean).any():
                    with np.errstate(invalid="ignore"):
                        residual = np.where(constant, 0.0, (mean - clamped) + residual)
                mean = np.where(constant, low, clamped)
            else:
                mean = np.where(constant, low, np.nan)
            if moments >= 2:
                std0 = np.where(constant, 0.0, std0)
        else:
            low = np.where(np.isinf(low), low, np.nan)
            high = np.where(np.isinf(high), high, np.nan)
            if moments < 1:
                mean = np.full_like(mean, np.nan)
        if moments < 2:
            std0 = np.full_like(std0, np.nan)
        finite = np.isfinite(mean) & np.isfinite(residual)
        if not finite.all():
            residual = np.where(finite, residual, 0.0)
        return replace(
            self,
            mean=mean,
            std0=std0,
            min=low,
            max=high,
            residual=residual,
            moments=moments,
            extrema=extrema,
        )

    @property
    def range(self):
        """``max - min``: inf where the range itself is beyond float64."""
        with np.errstate(over="ignore"):
            return self.max - self.min

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


def two_sum(a, b):
    """``(s, e)`` with ``s = fl(a + b)`` and ``s + e == a + b`` exactly (Knuth).

    ``e`` is 0 where ``s`` is not finite.
    """
    with np.errstate(all="ignore"):
        s = a + b
        bb = s - a
        e = (a - (s - bb)) + (b - bb)
    if np.isfinite(e).all():
        return s, e
    return s, np.where(np.isfinite(s), e, 0.0)


# The generic path reduces this many elements at a time: its temporaries stay
# small (and are served again from the allocator's free lists rather than
# faulted in), and the chunks' statistics merge exactly.
NAMESPACE_CHUNK = 1 << 18


def _namespace_stats(X, sample_weight, space, moments):
    """:meth:`FeatureStats.from_namespace` of one chunk of rows."""
    xp = space.xp
    wide = space.float_dtype()
    if X.dtype != wide:
        X = xp.astype(X, wide)
    reduce = _NamespaceReductions(X, sample_weight, space)
    stats = reduce.extrema()
    if moments == 0 or (np.isinf(stats.min) | np.isinf(stats.max)).any():
        # An infinity is refused by the caller; no moments to take.
        return stats._snapped(moments=moments, extrema=True)
    seen = stats.count > 0
    exponent, extreme = _exponents(stats.min, stats.max)
    factor = np.ldexp(1.0, -exponent)
    pivot = np.where(seen, stats.min, 0.0) * factor
    if extreme:
        reduce.X = X * reduce.constant(factor)
    offset, correction, squares = reduce.moments(
        pivot, np.where(seen, stats.weight, 1.0)
    )
    mean, residual = two_sum(pivot, offset)
    mean, tail = two_sum(mean, residual + correction)
    scale = np.ldexp(1.0, exponent)
    stats = replace(
        stats,
        mean=np.where(seen, mean * scale, np.nan),
        residual=np.where(seen, tail * scale, 0.0),
        std0=np.where(seen, np.sqrt(squares) * scale, np.nan),
    )
    return stats._snapped(moments=moments, extrema=True)


class _NamespaceReductions:
    """The column reductions of one chunk of an Array API array, NaN and zero
    weights masked out, each brought to the host as a float64 NumPy vector.

    The common case, no weights and all observed, takes no mask: the plain
    minimum and maximum propagate NaN, so they say whether it is.
    """

    def __init__(self, X, sample_weight, space):
        self.X = X
        self.xp = space.xp
        self.space = space
        self.zero = self.constant(0.0)
        self.weight = None
        if sample_weight is not None:
            self.weight = self.constant(sample_weight)[:, None]
        self.observed = None

    def constant(self, value):
        return self.space.asarray(value, dtype=self.space.float_dtype())

    def column_sums(self, values):
        from ._array_api import to_numpy

        return to_numpy(self.xp.sum(values, axis=0)).astype(np.float64)

    def masked(self, values, fill):
        return (
            values
            if self.observed is None
            else self.xp.where(self.observed, values, fill)
        )

    def weighted(self, values):
        return values if self.weight is None else self.weight * values

    def extrema(self):
        """The chunk's count, weight, minimum and maximum (NaN where unobserved)."""
        from ._array_api import to_numpy

        xp, X = self.xp, self.X
        n, p = X.shape
        if self.weight is None:
            low = to_numpy(xp.min(X, axis=0)).astype(np.float64)
            high = to_numpy(xp.max(X, axis=0)).astype(np.float64)
            if np.isnan(low).any() or np.isnan(high).any():
                self.observed = ~xp.isnan(X)
        else:
            self.observed = ~xp.isnan(X) & (self.weight > 0)
        if self.observed is None:
            count = np.full(p, n, dtype=np.int64)
        else:
            count = self.column_sums(xp.astype(self.observed, xp.int64)).astype(
                np.int64
            )
            low = to_numpy(xp.min(self.masked(X, self.constant(np.inf)), axis=0))
            high = to_numpy(xp.max(self.masked(X, self.constant(-np.inf)), axis=0))
        seen = count > 0
        if self.weight is None:
            total = count.astype(np.float64)
        else:
            total = self.column_sums(self.masked(self.weight, self.zero))
        nan = np.full(p, np.nan)
        return FeatureStats(
            n,
            count,
            np.where(seen, total, 0.0),
            nan,
            nan,
            np.where(seen, low.astype(np.float64), np.nan),
            np.where(seen, high.astype(np.float64), np.nan),
        )

    def moments(self, pivot, denominator):
        """The mean deviation from ``pivot``, its correction and the variance.

        One temporary, worked in place (the deviations, then centred, then
        squared); masked entries are put back to zero after each step.
        """
        deviations = self.masked(self.X - self.constant(pivot), self.zero)
        offset = self.column_sums(self.weighted(deviations)) / denominator
        deviations -= self.constant(offset)
        centred = self.masked(deviations, self.zero)
        first = self.column_sums(self.weighted(centred))
        centred *= centred
        second = self.column_sums(self.weighted(centred))
        correction = first / denominator
        squares = np.maximum(second - first * correction, 0.0) / denominator
        return offset, correction, squares


def _exponents(low, high):
    """Per-column power-of-two exponents that bring extreme magnitudes near 1."""
    with np.errstate(invalid="ignore"):
        absmax = np.fmax(np.abs(low), np.abs(high))
    _, exponent = np.frexp(np.nan_to_num(absmax, nan=1.0))
    extreme = (absmax > 0) & (np.abs(exponent) > _SAFE_EXPONENT)
    return np.where(extreme, exponent, 0), extreme.any()


def _reduce_columns(ufunc, X, dtype=None):
    """``ufunc.reduce(X, axis=0)``, fast on C-contiguous blocks with few columns.

    The rows are viewed ``k`` at a time as one long row, reduced, and the ``k``
    partial results reduced again: a fixed order, so the result is deterministic.
    """
    n, p = X.shape
    k = _WIDE // max(p, 1) if X.flags.c_contiguous else 1
    if k <= 1 or n < 2 * k:
        return ufunc.reduce(X, axis=0, dtype=dtype)
    main = n - n % k
    partial = ufunc.reduce(X[:main].reshape(-1, k * p), axis=0, dtype=dtype)
    result = ufunc.reduce(partial.reshape(k, p), axis=0)
    if main < n:
        result = ufunc(result, ufunc.reduce(X[main:], axis=0, dtype=dtype))
    return result


def _pairwise_column_sums(X):
    """``X.sum(axis=0)`` in float64, by halves: each level adds a block's first
    half of rows to its second, so that every sum adds about ``log2(n)``
    terms in sequence (NumPy's column reductions of a C-ordered block add
    ``n / k`` in sequence: equal values then round the same way at every
    step). A pass and a half over the block, for NumPy's exact paths.
    """
    X = np.asarray(X, dtype=np.float64)
    total = np.zeros(X.shape[1])
    while X.shape[0] > 8:
        half = X.shape[0] // 2
        if X.shape[0] % 2:
            total += X[-1]
        X = X[:half] + X[half : 2 * half]
    return np.add.reduce(X, axis=0) + total


def _subtract_columns(X, vector, out):
    """``out = X - vector``, one value per column, on widened rows when it can.

    ``out`` must be C-contiguous (a scratch block). Rows beyond the last whole
    group of widened rows are done apart.
    """
    n, p = X.shape
    k = widening(n, p) if X.flags.c_contiguous else 1
    if k == 1:
        return np.subtract(X, vector, out=out)
    main = n - n % k
    shape = (-1, k * p)
    np.subtract(
        X[:main].reshape(shape), tile_row(vector, k), out=out[:main].reshape(shape)
    )
    if main < n:
        np.subtract(X[main:], vector, out=out[main:])
    return out


def _moments(X, w, observed, total=None):
    """Count, weight, mean, residual and rms deviation of a weighted block's columns.

    ``observed`` is a boolean mask of the non-NaN entries, or None when there is
    no NaN; ``total`` the weighted column sums when already known. The
    moments are those of the deviations from the first-pass mean (the pivot),
    taken again around the corrected mean where it lies far from the pivot
    (see :func:`_shifted_moments`). (Unweighted blocks take
    :func:`_shifted_moments`.)
    """
    n, p = X.shape
    if observed is None:
        count = np.full(p, n, dtype=np.int64)
        weight = np.full(p, float(w.sum()))
        total = _column_total(X, w) if total is None else total
        # The deviations go to a per-thread scratch block: no allocation.
        dev = scratch("deviations", X.shape)

        def deviations(center):
            return _subtract_columns(X, center, out=dev)

    else:
        count = observed.sum(axis=0)
        X = np.where(observed, X, 0.0)
        weight = np.einsum("i,ij->j", w, observed.astype(np.float64))
        total = _column_total(X, w)

        def deviations(center):
            dev = X - center
            dev[~observed] = 0.0
            return dev

    center = total / weight
    for attempt in range(2):
        dev = deviations(center)
        d1 = np.einsum("i,ij->j", w, dev)
        d2 = np.einsum("i,ij,ij->j", w, dev, dev)
        offset = d1 / weight
        var = (d2 - d1 * offset) / weight
        # The first-pass mean loses digits over many rows: far from the
        # corrected mean, the deviations are taken again around it.
        if attempt or not (offset * offset > _RECENTER * var).any():
            break
        center = center + offset
    mean, residual = two_sum(center, offset)
    return count, weight, mean, residual, np.sqrt(np.maximum(var, 0.0))


def _column_total(X, w):
    """Weighted column sums, in float64."""
    return np.einsum("i,ij->j", w, X, dtype=np.float64)


# Up to this many elements, a block is summarised from a column-major copy.
_SMALL_ELEMENTS = 1 << 14
_SAFE_HIGH = 2.0**_SAFE_EXPONENT
_SAFE_LOW = 2.0**-_SAFE_EXPONENT


def _plain_stats(X, moments, extrema=True):
    """Statistics of an unweighted block, in the fewest passes over cached data.

    Returns None unless the block is the common case (no NaN, no infinity, no
    extreme magnitude), which :func:`_dense_stats` then handles. The minimum and
    maximum propagate NaN here, so finding NaN costs no pass of its own.
    """
    n, p = X.shape
    if moments == 2 and not extrema:
        return _deviation_stats(X)
    count = np.full(p, n, dtype=np.int64)
    with np.errstate(all="ignore"):
        # A mean needs the values' compensated sums: the kernel takes them
        # in its one pass.
        fused = _fused_extrema(X, value_sums=moments == 1)
        if fused is False:
            return None  # a NaN or an infinity
        if fused is None:
            low = _reduce_columns(np.minimum, X).astype(np.float64)
            high = _reduce_columns(np.maximum, X).astype(np.float64)
            value_sums = None
        else:
            low, high, _, value_sums = fused
        largest = np.maximum(np.abs(low), np.abs(high))
        plain = (largest < _SAFE_HIGH) & ((largest > _SAFE_LOW) | (largest == 0))
        if not plain.all():
            return None
        nan = np.full(p, np.nan)
        if moments == 0:
            return FeatureStats(n, count, count.astype(np.float64), nan, nan, low, high)
        if moments == 1:
            if value_sums is not None:
                # The mean from the kernel's compensated sums: exact to
                # rounding, in the extrema's pass, whatever the data.
                mean, residual = value_sums
            elif (exact := _binade_mean(X, low, high)) is not None:
                mean, residual = exact
            else:
                # NumPy's path: the mean of the deviations from the block's
                # first row, then of the deviations from that mean, which are
                # small against the data (an outlying first row, or values
                # all alike, would drift as their plain sums are added).
                pivot = X[0].astype(np.float64)
                mean, residual = _shifted_moments(X, pivot, recenter=True)[:2]
            return FeatureStats(
                n,
                count,
                count.astype(np.float64),
                mean,
                nan,
                low,
                high,
                residual=residual,
            )
        center = 0.5 * low + 0.5 * high
        mean, residual, std0, _ = _shifted_moments(X, center)
    return FeatureStats(
        n, count, count.astype(np.float64), mean, std0, low, high, residual=residual
    )


# Per float dtype: the unsigned integer type of its bits (unsigned sums run
# faster than signed ones, and wrap the same), the signed type of that size,
# its mantissa bits and the mask of its exponent bits once shifted down, these
# two as scalars of the unsigned type.
_BINADES = {
    np.dtype(f): (
        u,
        s,
        u(np.finfo(f).nmant),
        u(np.iinfo(u).max >> (np.finfo(f).nmant + 1)),
    )
    for f, u, s in [
        (np.float16, np.uint16, np.int16),
        (np.float32, np.uint32, np.int32),
        (np.float64, np.uint64, np.int64),
    ]
}


def _fused_extrema(X, bit_sums=False, value_sums=False):
    """The columns' minimum and maximum (and their sums) in one pass.

    Returns ``(low, high, sums, values)`` (float64 extrema; ``sums`` the
    uint64 sums modulo 2**64 of the values' bits with ``bit_sums``, else
    None; ``values`` with ``value_sums`` the pair ``(mean, residual)`` of
    float64 vectors: each column's mean rounded to nearest (to within the
    sums' error) and the rest, so that ``mean + residual`` is the exact mean
    to within about ``n eps**2`` of the mean of the magnitudes, from sums
    compensated at every value; else None) from the compiled kernel; False
    when a column holds a NaN or an infinity; None when the kernel is absent or does not
    take X (see :func:`_kernel_takes`), for the caller's NumPy reductions,
    which give the same extrema.
    """
    if not _kernel_takes(X):
        return None
    p = X.shape[1]
    low, high, flags = (np.empty(p, dtype=X.dtype) for _ in range(3))
    sums = np.empty(p, dtype=np.uint64) if bit_sums else None
    values = (np.empty(p), np.empty(p)) if value_sums else (None, None)
    _kernels.extrema(X, low, high, flags, sums, *values)
    if flags.any():
        return False
    values = values if value_sums else None
    return low.astype(np.float64), high.astype(np.float64), sums, values


_FUSED = (np.dtype(np.float64), np.dtype(np.float32))


def _kernel_takes(X):
    """Whether the compiled reductions take X: a float64 or float32 block of
    at least one row whose rows (a C-ordered block) or columns (a
    Fortran-ordered block, a frame's column) hold contiguous values and do not
    overlap.
    """
    if _kernels is None or X.dtype not in _FUSED or not X.shape[0]:
        return False
    (n, p), (across, along), size = X.shape, X.strides, X.itemsize
    columns = across == size and (p == 1 or along >= n * size) and (n > 1 or p == 1)
    return columns or (along == size and across >= p * size)


def _fused_moments(X, center):
    """:func:`_shifted_moments` of a block in one pass, from the compiled kernel.

    The same ``(mean, residual, std0, squares)``, the squares' sums rounded
    as NumPy rounds them (not bit for bit the same) and the deviations'
    compensated: the mean is the exact mean of the deviations, to within an
    ulp of it and far less than eps std, whatever the center. None when the
    kernel is absent or does not take X, or when the block must be done
    again around its mean (its center lies far from it, and the variance
    would lose digits) or holds a NaN, an infinity or an overflow: the
    caller then takes NumPy's passes, which handle every case.
    """
    if not _kernel_takes(X):
        return None
    n, p = X.shape
    s1, s2, flags, c1, c2 = (np.empty(p) for _ in range(5))
    _kernels.moments(X, center, s1, s2, flags, c1, c2)
    if flags.any() or not np.isfinite(s2).all():
        return None
    offset, rest = s1, c1  # the mean deviation and its rest
    var = s2 / n - offset * offset
    if (offset * offset > _RECENTER * var).any():
        return None
    mean, residual = two_sum(center, offset)
    mean, residual = two_sum(mean, residual + rest)
    return mean, residual, np.sqrt(np.maximum(var, 0.0)), s2


def _binade_mean(X, low, high):
    """The mean of a block whose every column lies within one binade, from its bits.

    Within a binade (one sign, one exponent) a float is an affine function of
    its bit pattern read as an integer: ``x = c + ulp * (bits(x) - bits(c))``,
    the ulp signed as the binade. The columns' integer sums are exact (64-bit
    arithmetic wraps modulo 2**64, and the true sum of the offsets from
    ``bits(c)`` is kept below 2**63 by summing rows in groups), so the mean
    comes out as ``c`` plus an exact whole number of ulps plus a fraction of
    one: ``mean + residual`` within about 2**-53 ulp of the exact mean. One
    pass and no temporary, where the deviations from a pivot take two passes
    and a scratch block.

    NumPy's path for a mean (the compiled kernel sums the values themselves,
    see :func:`_fused_extrema`). ``low`` and ``high`` are the columns'
    extrema in float64 (finite, no NaN). Returns ``(mean, residual)``, or
    None when a column is not within one binade or lies below ``2**nmant``
    of the smallest normal number (it straddles a power of two, or holds
    zero or tiny values): the caller then takes the deviations.
    """
    n, p = X.shape
    kind = _BINADES.get(X.dtype)
    if kind is None:
        return None
    utype, stype, nmant, exponent_mask = kind
    # The pivot is the minimum (a value of the data).
    pivot_bits = low.astype(X.dtype).view(utype)
    high_bits = high.astype(X.dtype).view(utype)
    head = pivot_bits >> nmant
    if np.any((head != high_bits >> nmant) | ((head & exponent_mask) <= nmant)):
        return None
    # The ulp of each column's binade, signed as its values: the same sign
    # and an exponent nmant lower, with a zero mantissa.
    ulp = ((head - nmant) << nmant).view(X.dtype).astype(np.float64)
    # The offsets from the pivot's bits lie within (-2**nmant, 2**nmant);
    # their sum over a group of rows stays below 2**63 in magnitude. Within
    # a binade, a column's reach in ulps is the gap between its extrema's bits.
    group = n
    if n > 2 ** (62 - int(nmant)):
        reach = int(np.abs((high_bits - pivot_bits).view(stype)).max()) + 1
        group = min(n, (2**63 - 1) // reach)
    pivot_bits = pivot_bits.astype(np.uint64)
    bits = X.view(utype)

    def offsets(rows):
        # Modulo 2**64, the sum of the rows' offsets from the pivot's bits;
        # that sum is below 2**63 in magnitude, so it is read back exactly.
        total = _reduce_columns(np.add, rows, dtype=np.uint64)
        total -= pivot_bits * rows.shape[0]
        return total.view(np.int64)

    if group == n:
        quotient, remainder = np.divmod(offsets(bits), n)
    else:
        quotient = np.zeros(p, dtype=np.int64)
        remainder = np.zeros(p, dtype=np.int64)
        for start in range(0, n, group):
            q, r = np.divmod(offsets(bits[start : start + group]), n)
            quotient += q
            remainder += r
        q, remainder = np.divmod(remainder, n)
        quotient += q
    # The exact mean is pivot + ulp * (quotient + remainder / n). The whole
    # ulps land exactly on a float of the binade, between low and high, and
    # the fraction of an ulp is far smaller: Dekker's fast two-sum splits
    # their sum exactly into the rounded mean and its residual.
    whole = low + ulp * quotient
    fraction = ulp * (remainder / n)
    mean = whole + fraction
    return mean, fraction - (mean - whole)


# A block's moments are taken again around its mean when the mean lies more
# than 4 standard deviations from the pivot: beyond that, the variance as the
# mean square deviation less the squared mean deviation loses digits.
_RECENTER = 16.0


def _shifted_moments(X, center, missing=None, count=None, finite=False, recenter=False):
    """Mean and rms deviation of the columns of X from deviations from ``center``.

    Two passes over the cached block for the deviations' sum and sum of squares
    (one more with NaN: ``missing`` masks the NaN entries, whose deviations are
    set to 0, and ``count`` holds each column's observed entries). They lose
    digits only when the mean lies many standard deviations from the center;
    then the block is done again around its mean, rounded to float64 (classic
    two-pass). Returns ``(mean, residual, std0, sum of squared deviations
    from the center)``, the mean as the float64 pivot and its residual (see
    :class:`FeatureStats`), or None with ``finite`` as soon as a deviation's
    sum is not finite (a NaN, an infinity or an overflow, which the caller
    handles elsewhere). ``recenter`` takes the second pass around the mean
    whatever the first found, and sums the deviations pairwise (see
    :func:`_pairwise_column_sums`).
    """
    count = X.shape[0] if count is None else count
    dev = scratch("deviations", X.shape, order="F" if column_major(X) else "C")

    def deviations(center):
        _subtract_columns(X, center, out=dev)
        if missing is not None:
            np.copyto(dev, 0.0, where=missing)
        if recenter:
            offset = _pairwise_column_sums(dev) / count
        else:
            offset = _reduce_columns(np.add, dev) / count
        if finite and not np.isfinite(offset).all():
            return None
        squares = _reduce_columns(np.add, np.square(dev, out=dev))
        return offset, squares, squares / count - offset * offset

    first = deviations(center)
    if first is None:
        return None
    offset, squares, var = first
    # NaN (a column never observed, or a NaN or infinity that the caller will
    # send elsewhere) compares False: no second pass for it.
    if recenter or (offset * offset > _RECENTER * var).any():
        center = center + offset
        second = deviations(center)
        if second is None:
            return None
        offset, _, var = second
    mean, residual = two_sum(center, offset)
    return mean, residual, np.sqrt(np.maximum(var, 0.0)), squares


def row_deviation_moments(X, out):
    """The moments of each row of a C-ordered float64 block, from its deviations.

    Writes the deviations of each row from its first entry to ``out`` (a
    C-ordered float64 block of X's shape, which may then be reused), and
    returns ``(offset, std0, exact)``: per row, the mean deviation (the mean
    is ``X[:, 0] + offset``), the root mean square deviation from the mean,
    and whether those two are exact to rounding. They are not (the caller
    then takes :meth:`FeatureStats.from_array` of the rows) where a row holds
    a NaN, an infinity or an overflow, where its first entry lies more than
    4 standard deviations from its mean (the rule of :func:`_shifted_moments`),
    or where its squared deviations near underflow. Three passes, where the
    column kernels take four and a scratch block: the rows of a block are
    contiguous.
    """
    p = X.shape[1]
    with np.errstate(all="ignore"):
        np.subtract(X, X[:, :1], out=out)
        offset = np.add.reduce(out, axis=1) / p
        squares = np.einsum("ij,ij->i", out, out)
        var = np.maximum(squares / p - offset * offset, 0.0)
        exact = (
            np.isfinite(squares)
            & (offset * offset <= _RECENTER * var)
            & (squares > 2.0**-900)
        )
        # A zero sum of squares is a constant row only if every deviation is
        # zero (not squares that underflowed).
        zero = np.flatnonzero(squares == 0.0)
        if zero.size:
            exact[zero] = ~np.any(out[zero], axis=1)
    return offset, np.sqrt(var), exact


def fused_row_moments(X):
    """:func:`row_deviation_moments` in one pass, from the compiled kernel.

    The same ``(offset, std0, exact)`` of each row of a C-ordered float64 or
    float32 block, its sums rounded as NumPy rounds them (not bit for bit the
    same),
    without writing the deviations anywhere. None without the kernel.
    """
    if _kernels is None or not X.shape[0]:
        return None
    rows = X.T  # each row of X is a contiguous column of its transpose
    if not _kernel_takes(rows):
        return None
    n, p = X.shape
    first = np.ascontiguousarray(X[:, 0], dtype=np.float64)
    s1, s2, flags, c1, c2 = (np.empty(n) for _ in range(5))
    _kernels.moments(rows, first, s1, s2, flags, c1, c2)
    with np.errstate(all="ignore"):
        offset = s1  # each row's mean deviation (the kernel divides)
        var = np.maximum(s2 / p - offset * offset, 0.0)
        exact = (
            np.isfinite(s2)
            & (flags == 0.0)
            & (offset * offset <= _RECENTER * var)
            & (s2 > 2.0**-900)
        )
        # A zero sum of squares is a constant row only if every entry equals
        # the first (not squares that underflowed).
        zero = np.flatnonzero(s2 == 0.0)
        if zero.size:
            exact[zero] = np.all(X[zero] == X[zero, :1], axis=1)
    return offset, np.sqrt(var), exact


def fused_infinity(X):
    """Whether X holds +inf or -inf, from the compiled kernel, or None.

    The kernel compares each value's bits with infinity's (NaN is not
    infinite), block by block on the thread pool, at the speed of a read. None
    without the kernel and for an array it does not take (see
    :func:`_kernel_takes`).
    """
    if not _kernel_takes(X):
        return None
    blocks = row_blocks(*X.shape)
    return any(map_blocks(lambda rows: _kernels.infinite(X[rows]), blocks))


def fused_row_map(src, dst, layer=None):
    """A row normalizer's statistics and map in one compiled pass per block.

    Each row of ``src`` gets its statistics in float64, as
    :func:`fused_row_moments` takes them (the moments of its deviations from
    its first entry) or, with ``layer`` None, its sum of squares, and is
    written into ``dst`` divided, where they are exact: ``row / ||row||_2``
    for a norm in (1e-140, 1e140); with ``layer``, the tuple ``(with_mean,
    with_std, factor, root_eps)``, ``((row - row[0]) - offset) / scale``
    (``row / scale`` without ``with_mean``), where ``scale`` is
    ``hypot(std0 * factor, root_eps)`` (1 where that is 0, and 1 without
    ``with_std``), for moments exact to rounding (:func:`fused_row_moments`'
    rule). The second read of a row comes from cache: one pass over the block
    from memory where the statistics and the map take two. The sums are
    rounded in one order whatever the layout, so a C-ordered block and a
    column-major one give the same bits.

    Returns the mask of the rows written: every other row (a NaN, an
    infinity, an overflow, a constant row, squares near underflow) is left as
    it was, for the caller's exact path. None without the kernel, and for
    blocks it does not take: ``src`` and ``dst`` of one float64 or float32
    dtype and shape, with at least one column, both with contiguous rows or
    both with contiguous columns; or ``src`` a list of contiguous columns (a
    polars frame's rows, each column in a buffer of its own) of ``dst``'s
    dtype and length, ``dst`` column-major.
    """
    columns = isinstance(src, list)
    if columns:
        # A polars frame's columns, each in a buffer of its own, read where
        # they lie, into a column-major dst. The kernel checks each column's
        # dtype, length and contiguity as it takes its buffer (a check here
        # cost about 6 ms of a 2,000,000 x 50 transform, block after block).
        size = dst.itemsize
        if not (
            _kernels is not None
            and dst.dtype in _FUSED
            and len(src) == dst.shape[1]
            and dst.strides[0] == size
            and dst.strides[1] % size == 0
        ):
            return None
    elif (
        _kernels is None
        or src.dtype not in _FUSED
        or dst.dtype != src.dtype
        or src.shape != dst.shape
        or not src.shape[1]
        or not (
            src.shape[1] == 1
            or (src.strides[1] == src.itemsize and dst.strides[1] == src.itemsize)
            or (
                src.strides[0] == src.itemsize
                and dst.strides[0] == src.itemsize
                and src.strides[1] % src.itemsize == 0
                and dst.strides[1] % src.itemsize == 0
            )
        )
    ):
        return None
    mode, (with_mean, with_std, factor, root_eps) = (
        (0, (False, True, 1.0, 0.0)) if layer is None else (1, layer)
    )
    done = np.empty(dst.shape[0], dtype=bool)
    try:
        _kernels.rows(
            src,
            dst,
            done,
            mode,
            with_mean,
            with_std,
            float(factor),
            float(root_eps),
            _RECENTER,
            float(dst.shape[1]),
        )
    except (ValueError, BufferError):
        if not columns:
            raise
        return None  # columns of another dtype or length, or not contiguous
    return done


def fused_row_squares(X):
    """Each row's sum of squares, in float64, from the compiled kernel in one pass.

    For a float64 or float32 block whose rows or columns are contiguous:
    NaN where a row holds a NaN or an infinity, infinity where the sum
    overflows; its sums rounded as NumPy rounds them (not bit for bit the
    same). None without the kernel, for a block it does not take, and for a
    float64 block with contiguous columns, whose rows NumPy's ``einsum`` sums
    faster (about 0.24 against 0.29 ns a value; 0.56 against 0.24 for
    float32, which it casts).
    """
    if _kernels is None or not X.shape[0]:
        return None
    rows = X.T  # each row of X is a column of its transpose
    if not _kernel_takes(rows) or (
        X.dtype == np.float64 and X.strides[0] < X.strides[1]
    ):
        return None
    n = X.shape[0]
    s1, s2, flags, c1, c2 = (np.empty(n) for _ in range(5))
    _kernels.moments(rows, np.zeros(n), s1, s2, flags, c1, c2)
    s2[flags != 0.0] = np.nan  # a NaN flag: a NaN or an infinity in the row
    return s2


def _deviation_stats(X):
    """Mean and std0 of a block without its extrema: two passes fewer.

    The deviations are taken from the block's first row. Their sums tell
    everything the extrema would: a non-finite sum of squares means a NaN, an
    infinity or an overflow (the block then goes to :func:`_dense_stats`), and a
    zero one a constant column. That is exact unless squares underflow, which
    needs both the first value and the spread below ``2**-400``; such columns
    are checked value by value.
    """
    n, p = X.shape
    first = X[0].astype(np.float64)
    with np.errstate(all="ignore"):
        moments = _fused_moments(X, first)
        if moments is None:
            # NumPy's plain sums of deviations from a first row several
            # standard deviations out drift by dozens of eps std: the mean is
            # taken again from the deviations from the first pass's mean.
            moments = _shifted_moments(X, first, finite=True, recenter=True)
        if moments is None:
            return None
        mean, residual, std0, squares = moments
        if not (np.isfinite(squares).all() and np.isfinite(mean).all()):
            return None
        # A non-zero deviation from a value of magnitude >= 2**-400 is at least
        # 2**-453, whose square is normal: only these columns could hide one.
        doubtful = (np.abs(first) < _SAFE_LOW) & (squares < _SAFE_LOW * _SAFE_LOW)
        if doubtful.any():
            columns = np.flatnonzero(doubtful)
            if not (X[:, columns] == first[columns]).all():
                return None
    count = np.full(p, n, dtype=np.int64)
    nan = np.full(p, np.nan)
    return FeatureStats(
        n,
        count,
        count.astype(np.float64),
        mean,
        std0,
        nan,
        nan.copy(),
        extrema=False,
        residual=residual,
    )


def _side_by_side_stats(parts, sample_weight, moments, extrema):
    """Statistics of 2-D arrays of the same rows side by side, each in row blocks.

    The blocks of all the parts go to the threads at once; each part's are
    combined in row order, so the result does not depend on the threads.
    """
    n_rows = parts[0].shape[0]
    groups = [(part, row_blocks(n_rows, part.shape[1])) for part in parts]
    tiles = [(part, rows) for part, blocks in groups for rows in blocks]

    def summarise(tile):
        part, rows = tile
        w = None if sample_weight is None else sample_weight[rows]
        return _dense_stats(part[rows], w, moments, extrema)

    results = iter(map_blocks(summarise, tiles))
    per_part = [[next(results) for _ in blocks] for _, blocks in groups]
    if all(blocks == groups[0][1] for _, blocks in groups):
        # The parts' blocks cover the same rows (a polars frame's columns):
        # each row block's parts side by side, then one merge of the blocks
        # for every column at once, where a merge per part cost 0.1 ms each.
        blocks = zip(*per_part, strict=True)
        return _combine([_side_by_side(list(block)) for block in blocks])
    return _side_by_side([_combine(blocks) for blocks in per_part])


def _side_by_side(groups):
    """The statistics of consecutive column groups of the same rows, as one."""
    if len(groups) == 1:
        return groups[0]
    fields = ("count", "weight", "mean", "std0", "min", "max", "residual")
    joined = {
        name: np.concatenate([getattr(g, name) for g in groups]) for name in fields
    }
    return replace(groups[0], **joined)


def _dense_stats(X, w, moments=2, extrema=True):
    n_rows, p = X.shape
    if w is None and n_rows and p:
        if X.size <= _SMALL_ELEMENTS and X.flags.c_contiguous and p > 1:
            # A small block's rows are too short for numpy's loops: its columns
            # are reduced fast from a column-major copy (exact, in float64).
            columns = scratch("columns", X.shape, order="F")
            columns[...] = X
            X = columns
        plain = _plain_stats(X, moments, extrema)
        if plain is not None:
            return plain
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
        low = _reduce_columns(np.fmin, X).astype(np.float64)
        high = _reduce_columns(np.fmax, X).astype(np.float64)
    infinite = np.isinf(low) | np.isinf(high)
    if infinite.any():
        # The caller raises; return what it needs to say where.
        stats = FeatureStats.empty(p, n_rows)
        return FeatureStats(
            n_rows, stats.count, stats.weight, stats.mean, stats.std0, low, high
        )
    exponent, extreme = _exponents(low, high)
    if extreme:
        X = np.ldexp(X.astype(np.float64), -exponent)
    with np.errstate(all="ignore"):
        if w is None:
            count, mean, residual, std0 = _observed_moments(
                X, np.ldexp(low, -exponent), np.ldexp(high, -exponent), moments
            )
            weight = count.astype(np.float64)
        else:
            count, weight, mean, residual, std0 = _weighted_moments(X, w)
            weight = np.ldexp(weight, weight_exponent)
        mean = np.where(count > 0, np.ldexp(mean, exponent), np.nan)
        residual = np.where(count > 0, np.ldexp(residual, exponent), 0.0)
        std0 = np.where(count > 0, np.ldexp(std0, exponent), np.nan)
    return FeatureStats(
        n_rows, count, weight, mean, std0, low, high, residual=residual
    )._snapped()


def _weighted_moments(X, w):
    """Count, weight, mean, residual and std0 of a weighted block, NaN columns apart."""
    p = X.shape[1]
    # With no infinity and no extreme magnitude, a NaN sum means a NaN entry:
    # the NaN-free case pays no pass of its own to find NaN.
    total = _column_total(X, w)
    nan_columns = np.isnan(total)
    if not nan_columns.any():
        return _moments(X, w, None, total)
    results = (
        np.zeros(p, dtype=np.int64),
        np.zeros(p),
        np.full(p, np.nan),
        np.zeros(p),
        np.full(p, np.nan),
    )
    clean = ~nan_columns
    if clean.any():
        parts = _moments(X[:, clean], w, None, total[clean])
        for target, part in zip(results, parts, strict=True):
            target[clean] = part
    Xn = X[:, nan_columns].astype(np.float64)
    parts = _moments(Xn, w, ~np.isnan(Xn))
    for target, part in zip(results, parts, strict=True):
        target[nan_columns] = part
    return results


def _missing(X):
    """The NaN mask of a block (None without NaN) and its observed counts.

    The mask goes to a per-thread scratch block; it is counted as bytes, on
    the widened rows of the column reductions.
    """
    n, p = X.shape
    order = "F" if column_major(X) else "C"
    missing = np.isnan(X, out=scratch("missing", X.shape, np.bool_, order=order))
    if not missing.any():
        return None, np.full(p, n, dtype=np.int64)
    nans = _reduce_columns(np.add, missing.view(np.uint8), dtype=np.int32)
    return missing, n - nans.astype(np.int64)


def observed_counts(X):
    """The number of non-NaN entries in each column of a dense array."""
    n, p = X.shape

    def count(rows):
        return _missing(X[rows])[1]

    return sum(map_blocks(count, row_blocks(n, p)), np.zeros(p, dtype=np.int64))


def _observed_moments(X, low, high, moments):
    """Count, mean and std0 of an unweighted block's non-NaN entries.

    ``low`` and ``high`` are the columns' NaN-ignoring extrema. NaN entries get
    a zero deviation from the midrange, so that NaN costs one pass to find and
    one to mask, on the cached block, and no copy.
    """
    missing, count = _missing(X)
    if moments == 0:
        nan = np.full(X.shape[1], np.nan)
        return count, nan, np.zeros(X.shape[1]), nan
    center = np.where(count > 0, 0.5 * low + 0.5 * high, 0.0)
    mean, residual, std0, _ = _shifted_moments(X, center, missing, count)
    return count, mean, residual, std0


def _combine(parts):
    """Merge the summaries of consecutive blocks, all at once, in block order.

    The multi-group form of the pairwise update: every block's mean is taken
    exactly against the first block's pivot, the mean is the weighted mean of
    these deviations, and the variance the weighted mean of the block
    variances plus the weighted variance of the block means, scaled by the
    largest term so that nothing overflows.
    """
    if len(parts) == 1:
        return parts[0]
    count = np.stack([part.count for part in parts])
    weight = np.stack([part.weight for part in parts])
    means = np.stack([part.mean for part in parts])
    residuals = np.stack([part.residual for part in parts])
    stds = np.stack([part.std0 for part in parts])
    total_weight = weight.sum(axis=0)
    observed = count > 0
    with np.errstate(all="ignore"):
        share = np.where(observed, weight / total_weight, 0.0)
        # Each block's mean against the first observed block's pivot, exactly
        # to rounding of the deviation: blocks with one and the same mean
        # merge to that mean, exactly.
        first = observed.argmax(axis=0)[None]
        pivot = np.take_along_axis(means, first, axis=0)[0]
        pivot_residual = np.take_along_axis(residuals, first, axis=0)[0]
        high, low = two_sum(means, -pivot)
        delta = np.where(observed, high + ((low + residuals) - pivot_residual), 0.0)
        shift = (share * delta).sum(axis=0)
        mean, residual = two_sum(pivot, pivot_residual + shift)
        spread = np.where(observed, delta - shift, 0.0)
        stds = np.where(observed, stds, 0.0)
        if np.isinf(delta).any() or np.isinf(spread).any():
            # Means of opposite signs near the float64 limit: merge pairwise.
            merged = parts[0]
            for part in parts[1:]:
                merged = merged.merge(part)
            return merged
        c = np.fmax(stds.max(axis=0), np.abs(spread).max(axis=0))
        ratio = np.sqrt((share * (np.square(stds / c) + np.square(spread / c))).sum(0))
        std0 = np.where(c > 0, c * ratio, c)
    seen = count.sum(axis=0) > 0
    return FeatureStats(
        n_rows=sum(part.n_rows for part in parts),
        count=count.sum(axis=0),
        weight=total_weight,
        mean=np.where(seen, mean, np.nan),
        std0=np.where(seen, std0, np.nan),
        min=np.fmin.reduce(np.stack([part.min for part in parts]), axis=0),
        max=np.fmax.reduce(np.stack([part.max for part in parts]), axis=0),
        residual=np.where(seen, residual, 0.0),
    )


def _sparse_stats(X, w):
    """Statistics of a sparse matrix: explicit entries plus the implicit zeros."""
    n_rows, p = X.shape
    X, w, e = _canonical_columns(X, w)
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
        center, offset, var = _sparse_moments(
            data[observed],
            column[observed],
            entry_weight[observed],
            weight,
            total_weight - explicit_weight,
        )
        std0 = np.sqrt(np.maximum(var, 0.0))
        mean, residual = two_sum(center, offset)
        mean = np.ldexp(mean, exponent)
        residual = np.ldexp(residual, exponent)
        std0 = np.ldexp(std0, exponent)
    if w is not None:
        weight = weight * (2.0 ** float(e))
    mean = np.where(count > 0, mean, np.nan)
    residual = np.where(count > 0, residual, 0.0)
    std0 = np.where(count > 0, std0, np.nan)
    return FeatureStats(
        n_rows, count, weight, mean, std0, low, high, residual=residual
    )._snapped()


def _canonical_columns(X, w):
    """X as a canonical CSC matrix without its zero-weight rows, and the weights.

    The weights are scaled by ``2**-e`` to bring the largest near 1 (``e`` is 0
    without weights).
    """
    e = 0
    if w is not None:
        keep = w > 0
        if not keep.all():
            X, w = X[np.flatnonzero(keep)], w[keep]
        if w.shape[0]:
            _, e = np.frexp(w.max())
            w = np.ldexp(w, -e)
    X = sparse.csc_matrix(X)
    if not X.has_canonical_format:
        X = X.copy()
        X.sum_duplicates()
    return X, w, e


def _sparse_moments(data, column, entry_weight, weight, implicit_weight):
    """Pivot, mean deviation and variance of sparse columns' observed entries.

    ``data``, ``column`` and ``entry_weight`` describe the observed explicit
    entries; ``weight`` is each column's observed weight and
    ``implicit_weight`` that of its implicit zeros. The pivot is the plain
    weighted mean; the deviations (the implicit zeros' included) are taken
    again around the corrected mean where it lies far from it.
    """
    p = weight.shape[0]
    center = np.bincount(column, weights=entry_weight * data, minlength=p) / weight
    for attempt in range(2):
        dev = data - center[column]
        d1 = np.bincount(column, weights=entry_weight * dev, minlength=p) - (
            implicit_weight * center
        )
        d2 = np.bincount(column, weights=entry_weight * dev * dev, minlength=p) + (
            implicit_weight * center * center
        )
        offset = d1 / weight
        var = (d2 - d1 * offset) / weight
        if attempt or not (offset * offset > _RECENTER * var).any():
            break
        center = center + offset
    return center, offset, var


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
