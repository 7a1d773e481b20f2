"""The statistics core on its own: batch statistics, merges, extremes."""

import itertools
import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import sparse

from skscale._stats import FeatureStats

from .conftest import exact_moments, exact_sum


def reference(X, w=None):
    """Weighted statistics of each column, by numpy on the observed entries."""
    out = {k: [] for k in ("count", "weight", "mean", "std0", "min", "max")}
    w = np.ones(len(X)) if w is None else w
    for column in X.T:
        keep = ~np.isnan(column) & (w > 0)
        x, v = column[keep], w[keep]
        mean = np.average(x, weights=v)
        out["count"].append(keep.sum())
        out["weight"].append(v.sum())
        out["mean"].append(mean)
        out["std0"].append(np.sqrt(np.average((x - mean) ** 2, weights=v)))
        out["min"].append(x.min())
        out["max"].append(x.max())
    return {k: np.array(v) for k, v in out.items()}


def assert_stats(stats, expected, rtol=1e-13):
    for key, value in expected.items():
        if key in ("min", "max") and not stats.extrema:
            # Not computed: NaN, or the infinity that was seen.
            assert not np.isfinite(getattr(stats, key)).any(), key
            continue
        assert_allclose(getattr(stats, key), value, rtol=rtol, atol=0, err_msg=key)


# Statistics with and without the extrema take different kernels.
extrema = pytest.mark.parametrize("extrema", [True, False], ids=["extrema", "moments"])


@extrema
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("nan", [False, True])
def test_batch_statistics_match_numpy(weighted, nan, extrema, rng):
    X = rng.normal(10.0, 3.0, size=(200, 5))
    if nan:
        X[rng.random(X.shape) < 0.3] = np.nan
    w = rng.uniform(0, 2, size=200) if weighted else None
    stats = FeatureStats.from_array(X, w, extrema=extrema)
    assert stats.extrema is extrema
    assert_stats(stats, reference(X, w))
    assert stats.n_rows == 200


@extrema
@pytest.mark.parametrize("moments", [0, 1, 2])
@pytest.mark.parametrize("rows", [200, 30_011], ids=["small-block", "large-block"])
def test_missing_values_in_every_layout(rows, moments, extrema, rng):
    # NaN everywhere, in the first row, in a whole column, and a column that is
    # constant where observed: the NaN paths of both block layouts.
    X = rng.normal(7.0, 3.0, size=(rows, 6))
    X[rng.random(X.shape) < 0.3] = np.nan
    X[0, 1] = np.nan
    X[:, 2] = np.nan
    X[:, 3] = np.where(np.isnan(X[:, 3]), np.nan, -2.5)
    stats = FeatureStats.from_array(X, moments=moments, extrema=extrema)
    observed = [0, 1, 3, 4, 5]
    expected = reference(X[:, observed])
    assert_array_equal(stats.count, np.sum(~np.isnan(X), axis=0))
    assert_array_equal(stats.weight, stats.count)
    if extrema:
        assert_array_equal(stats.min[observed], expected["min"])
        assert_array_equal(stats.max[observed], expected["max"])
    if moments >= 1:
        assert_allclose(stats.mean[observed], expected["mean"], rtol=1e-13)
        assert stats.mean[3] == -2.5
    if moments == 2:
        expected["std0"][2] = 0.0  # the constant column: numpy leaves a residue
        assert_allclose(stats.std0[observed], expected["std0"], rtol=1e-12)
        assert stats.std0[3] == 0.0
    for key in ("mean", "std0", "min", "max"):
        assert np.isnan(getattr(stats, key)[2])


@extrema
def test_blocks_are_merged_in_a_fixed_order(extrema, rng, monkeypatch):
    X = rng.normal(size=(1000, 3))
    whole = FeatureStats.from_array(X, extrema=extrema)
    monkeypatch.setattr("skscale._parallel.BLOCK_BYTES", 8 * 3 * 7)
    blocked = FeatureStats.from_array(X, extrema=extrema)
    assert_stats(blocked, reference(X))
    assert_allclose(blocked.mean, whole.mean, rtol=1e-14)


def test_merge_is_chan_golub_leveque(rng):
    X = rng.normal(size=(50, 2))
    a, b = FeatureStats.from_array(X[:20]), FeatureStats.from_array(X[20:])
    na, nb = 20, 30
    delta = b.mean - a.mean
    m2 = na * a.std0**2 + nb * b.std0**2 + delta**2 * na * nb / (na + nb)
    merged = a.merge(b)
    assert_allclose(
        merged.mean, a.mean + delta * nb / (na + nb), rtol=1e-13, atol=1e-16
    )
    assert_allclose(merged.std0, np.sqrt(m2 / (na + nb)), rtol=1e-14)
    assert_stats(merged, reference(X))


@pytest.mark.parametrize("extrema", [True, False])
def test_merge_all_equals_merging_one_by_one(extrema, rng):
    X = rng.normal(3.0, 2.0, size=(300, 4))
    X[rng.random(X.shape) < 0.1] = np.nan
    X[:, 3] = 0.1  # constant: stays exact
    parts = [
        FeatureStats.from_array(X[a:b], extrema=extrema)
        for a, b in [(0, 7), (7, 100), (100, 101), (101, 300)]
    ]
    one_by_one = parts[0]
    for part in parts[1:]:
        one_by_one = one_by_one.merge(part)
    merged = FeatureStats.merge_all(parts)
    assert merged.extrema is extrema and merged.n_rows == 300
    assert_array_equal(merged.count, one_by_one.count)
    for key in ("weight", "mean", "std0", "min", "max"):
        assert_allclose(getattr(merged, key), getattr(one_by_one, key), rtol=1e-14)
    expected = reference(X)
    expected["std0"][3] = 0.0  # numpy's two-pass leaves a rounding residue
    assert_stats(merged, expected)
    assert_array_equal(merged.mean[3], 0.1)
    assert_array_equal(merged.std0[3], 0.0)
    assert FeatureStats.merge_all(parts[:1]) is parts[0]


def test_merge_is_associative_and_commutative(rng):
    parts = [
        FeatureStats.from_array(rng.normal(i, 1 + i, (n, 3)))
        for i, n in enumerate([5, 17, 1, 40])
    ]
    results = [
        ((p[0].merge(p[1])).merge(p[2])).merge(p[3])
        for p in itertools.permutations(parts)
    ]
    for other in results[1:]:
        for key in ("mean", "std0", "min", "max", "weight"):
            assert_allclose(getattr(other, key), getattr(results[0], key), rtol=1e-13)


def test_empty_is_the_identity_of_merge(rng):
    stats = FeatureStats.from_array(rng.normal(size=(10, 3)))
    for merged in (
        FeatureStats.empty(3).merge(stats),
        stats.merge(FeatureStats.empty(3)),
    ):
        for key in ("count", "weight", "mean", "std0", "min", "max"):
            assert_array_equal(getattr(merged, key), getattr(stats, key))


def test_all_nan_column_is_unobserved_and_merges_as_nothing(rng):
    X = rng.normal(size=(10, 2))
    batch = X.copy()
    batch[:, 1] = np.nan
    stats = FeatureStats.from_array(X[:5]).merge(FeatureStats.from_array(batch))
    alone = FeatureStats.from_array(X[:5, 1:])
    assert stats.count[1] == 5
    assert_array_equal(stats.mean[1:], alone.mean)
    assert_array_equal(stats.std0[1:], alone.std0)
    nothing = FeatureStats.from_array(batch)
    assert nothing.count[1] == 0 and np.isnan(nothing.mean[1])


@extrema
@pytest.mark.parametrize("value", [14.62, 0.1, -3e-300, 0.0, 5e-324, 1.7e308])
def test_constant_column_is_exact(value, extrema, monkeypatch):
    # Many blocks of unequal sizes: a weighted sum of equal block means is not
    # always that mean; the merge must give it exactly.
    monkeypatch.setattr("skscale._parallel.BLOCK_BYTES", 8 * 2 * 37)
    X = np.column_stack([np.full(1001, value), np.arange(1001.0)])
    stats = FeatureStats.from_array(X, extrema=extrema)
    assert_array_equal(stats.mean[:1], [value])
    assert_array_equal(stats.std0[:1], [0.0])
    merged = stats.merge(FeatureStats.from_array(X[:3], extrema=extrema))
    assert_array_equal(merged.mean[:1], [value])
    assert_array_equal(merged.std0[:1], [0.0])


@pytest.mark.parametrize("tiny", [1e-200, 1e-300, -1e-170])
def test_tiny_deviations_from_zero_are_not_lost(tiny, rng):
    # Squares of deviations this small underflow to 0: without the extrema, a
    # zero sum of squares must not be taken for a constant column.
    X = np.zeros((500, 2))
    X[rng.random(500) < 0.5, 0] = tiny
    X[:, 1] = rng.normal(size=500) * tiny
    for extrema in (True, False):
        stats = FeatureStats.from_array(X, extrema=extrema)
        shift = -int(np.frexp(abs(tiny))[1])
        expected = reference(np.ldexp(X, shift))
        assert_allclose(np.ldexp(stats.mean, shift), expected["mean"], rtol=1e-13)
        assert_allclose(np.ldexp(stats.std0, shift), expected["std0"], rtol=1e-13)
        assert (stats.std0 > 0).all()


@extrema
@pytest.mark.parametrize("exponent", [-305, -300, -200, -100, 0, 100, 200, 300, 307])
def test_extreme_magnitudes_neither_overflow_nor_underflow(exponent, extrema, rng):
    X = rng.normal(3.0, 1.0, size=(100, 2)) * 10.0**exponent
    stats = FeatureStats.from_array(X, extrema=extrema)
    # The same data brought near 1 by an exact power of two, where numpy is safe.
    shift = -int(np.frexp(np.abs(X).max())[1])
    expected = reference(np.ldexp(X, shift))
    assert_allclose(np.ldexp(stats.mean, shift), expected["mean"], rtol=1e-13)
    assert_allclose(np.ldexp(stats.std0, shift), expected["std0"], rtol=1e-13)


def test_merging_huge_means_of_opposite_sign_does_not_overflow():
    a = FeatureStats.from_array(np.full((3, 1), 1.5e308))
    b = FeatureStats.from_array(np.full((3, 1), -1.5e308))
    merged = a.merge(b)
    assert_array_equal(merged.mean, [0.0])
    assert_allclose(merged.std0, [1.5e308])


def test_weights_of_any_magnitude(rng):
    X = rng.normal(size=(30, 2))
    w = rng.uniform(1, 2, size=30)
    expected = FeatureStats.from_array(X, w)
    for factor in (1e-300, 1e300):
        stats = FeatureStats.from_array(X, w * factor)
        assert_allclose(stats.mean, expected.mean, rtol=1e-14)
        assert_allclose(stats.std0, expected.std0, rtol=1e-14)


@pytest.mark.parametrize("ddof", [0, 1, 2.5])
def test_var_with_ddof(ddof, rng):
    X = rng.normal(size=(12, 3))
    stats = FeatureStats.from_array(X)
    assert_allclose(stats.var(ddof), np.var(X, axis=0, ddof=ddof), rtol=1e-14)
    assert_allclose(stats.std(ddof), np.std(X, axis=0, ddof=ddof), rtol=1e-14)


def test_var_is_zero_when_weight_does_not_exceed_ddof():
    stats = FeatureStats.from_array(np.array([[3.0, np.nan]]))
    assert_array_equal(stats.var(1)[:1], [0.0])
    assert np.isnan(stats.var(1)[1])


@extrema
def test_infinite_values_show_in_min_and_max(extrema):
    X = np.array([[1.0, -np.inf, 3.0], [2.0, 0.0, np.inf]])
    stats = FeatureStats.from_array(X, extrema=extrema)
    assert_array_equal(stats.infinite, [False, True, True])
    finite = FeatureStats.from_array(X[:1, :1], extrema=extrema)
    merged = finite.merge(FeatureStats.from_array(X[:, 1:2], extrema=extrema))
    assert_array_equal(merged.infinite, [True])


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("weighted", [False, True])
def test_sparse_statistics_equal_dense(fmt, weighted, rng):
    S = sparse.random(80, 6, density=0.3, format=fmt, random_state=0) * 10
    S = sparse.csr_matrix(S) if fmt == "csr" else sparse.csc_matrix(S)
    S.data[::7] = np.nan
    w = rng.uniform(0, 2, size=80) if weighted else None
    dense = S.toarray()
    assert_stats(FeatureStats.from_array(S, w), reference(dense, w), rtol=1e-12)


@extrema
@pytest.mark.parametrize("row", [0, 123])
@pytest.mark.parametrize("outlier", [0.0, 1e3, 1e8, -1e12])
def test_outliers_do_not_cost_digits(outlier, row, extrema, rng):
    # The fast paths centre on the midrange or on a block's first row, far from
    # the mean when there is an outlier; they must then centre on the mean.
    X = rng.normal(loc=5.0, scale=1e-3, size=(20_000, 2))
    X[row, 0] = outlier
    stats = FeatureStats.from_array(X, extrema=extrema)
    for j in range(2):
        column = X[:, j]
        mean = math.fsum(column) / len(column)
        std = math.sqrt(math.fsum((column - mean) ** 2) / len(column))
        assert_allclose(stats.mean[j], mean, rtol=1e-14)
        assert_allclose(stats.std0[j], std, rtol=1e-12)


# -- pivoted statistics: exact whatever the split -----------------------------------

EPS = np.finfo(np.float64).eps


def assert_exact(stats, x, w=None):
    """var within 1e-12 relative, mean within 1 ulp + 4 eps std of the exact ones."""
    from fractions import Fraction

    mean, var = exact_moments(x, w)
    got_var = Fraction(float(stats.var()[0]))
    assert abs(got_var - var) <= Fraction(1, 10**12) * var, float(got_var / var - 1)
    got = float(stats.mean[0])
    bound = np.spacing(abs(got)) + 4 * EPS * math.sqrt(var)
    assert abs(Fraction(got) - mean) <= Fraction(bound)
    # The mean with its residual is exact to a few ulps of the spread.
    full = Fraction(got) + Fraction(float(stats.residual[0]))
    assert abs(full - mean) <= Fraction(8 * EPS * math.sqrt(var) + 1e-300)


def offset_data(offset, n, weighted, nan, seed=0):
    rng = np.random.default_rng(seed)
    x = offset + rng.normal(size=n)
    if nan:
        x[rng.random(n) < 0.1] = np.nan
    w = rng.uniform(0.1, 3.0, size=n) if weighted else None
    return x, w


@pytest.mark.parametrize("offset", [0.0, 1e9, 1e15], ids=["0", "1e9", "1e15"])
@pytest.mark.parametrize("size", [1, 2, 7, 100, 10_000])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("nan", [False, True], ids=["dense", "nan"])
def test_batches_merge_exactly_whatever_their_size(offset, size, weighted, nan):
    # On main before pivoting: 1e15 + N(0, 1) in batches of 2 gave a std 1.2%
    # off; 1e9 + N(0, 1) in batches of 100 a variance 2e-9 off.
    x, w = offset_data(offset, 2_000, weighted, nan)
    stats = None
    for start in range(0, len(x), size):
        rows = slice(start, start + size)
        batch = FeatureStats.from_array(
            x[rows, None], None if w is None else w[rows], extrema=False
        )
        stats = batch if stats is None else stats.merge(batch)
    assert_exact(stats, x, w)


@pytest.mark.parametrize("offset", [1e9, 1e15], ids=["1e9", "1e15"])
@pytest.mark.parametrize("order", ["forward", "reverse", "shuffled", "tree"])
def test_merge_chains_are_exact_in_any_order(offset, order):
    x, w = offset_data(offset, 3_000, True, True, seed=1)
    pieces = [
        FeatureStats.from_array(x[rows, None], w[rows])
        for rows in np.array_split(np.arange(len(x)), 37)
    ]
    if order == "reverse":
        pieces = pieces[::-1]
    elif order == "shuffled":
        pieces = [pieces[i] for i in np.random.default_rng(2).permutation(37)]
    if order == "tree":
        level = pieces
        while len(level) > 1:
            pairs = zip(level[::2], level[1::2], strict=False)
            level = [a.merge(b) for a, b in pairs] + level[len(level) // 2 * 2 :]
        merged = level[0]
    else:
        merged = pieces[0]
        for piece in pieces[1:]:
            merged = merged.merge(piece)
    assert_exact(merged, x, w)
    assert_exact(FeatureStats.merge_all(pieces), x, w)


@pytest.mark.parametrize("extrema", [True, False], ids=["extrema", "moments"])
def test_one_fit_over_many_blocks_is_exact(extrema):
    # On main: 600,000 sevens and one 7 + 2**-50 gave a std 5.8e-6 off (the
    # block means were rounded before the merge), while 100,000 rows were exact.
    x = np.full(600_001, 7.0)
    x[-1] = 7 + 2.0**-50
    stats = FeatureStats.from_array(x[:, None], extrema=extrema)
    assert_exact(stats, x)
    y = 1e9 + np.random.default_rng(3).normal(size=1_200_000)
    assert_exact(FeatureStats.from_array(y[:, None], extrema=extrema), y)


@pytest.mark.parametrize("offset", [0.0, 3.0, 1e9], ids=["0", "3", "1e9"])
def test_the_mean_alone_is_exact_over_many_blocks(offset):
    # moments=1 (MeanNormalizationScaler): plain column sums near zero, the
    # pivoted pass far from it; both within an ulp + 4 eps std of the exact mean.
    from fractions import Fraction

    x = offset + np.random.default_rng(4).normal(size=700_000)
    stats = FeatureStats.from_array(x[:, None], moments=1)
    exact, _ = exact_moments(x)
    got = float(stats.mean[0])
    bound = np.spacing(abs(got)) + 4 * EPS * float(np.std(x))
    assert abs(Fraction(got) - exact) <= Fraction(bound)


def _hostile_mean_columns(n):
    # Equal values and one outlier first (the first row is a poor pivot, and
    # plain sums of equal values round the same way at every step), values
    # that alternate, and the outlier last, across a block boundary.
    x = np.full(n, 2.0 / 3.0)
    x[0] = -1.0
    alternating = np.where(np.arange(n) % 2, 0.1, -0.3)
    last = np.full(n, 1.1)
    last[-1] = -3.0
    return np.column_stack([x, alternating, last])


@pytest.mark.parametrize("n", [262_145, 1_000_003])
@pytest.mark.parametrize("kernels", [True, False], ids=["kernels", "numpy"])
@pytest.mark.parametrize("order", ["C", "F"])
def test_the_mean_alone_is_exact_on_hostile_columns(order, kernels, n, monkeypatch):
    # On main: 70 ulps off for 2/3 with -1 first, on both paths; NumPy's
    # row-wise column sums of the alternating column, 3 ulps off.
    from fractions import Fraction

    from skscale import _stats

    if not kernels:
        monkeypatch.setattr(_stats, "_kernels", None)
    X = np.asarray(_hostile_mean_columns(n), order=order)
    stats = FeatureStats.from_array(X, moments=1)
    for j in range(X.shape[1]):
        exact = exact_sum(X[:, j]) / n
        got = Fraction(float(stats.mean[j])) + Fraction(float(stats.residual[j]))
        bound = np.spacing(abs(float(exact))) + 4 * EPS * float(np.std(X[:, j]))
        assert abs(got - exact) <= Fraction(bound)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
@pytest.mark.parametrize(
    "low, high",
    [
        (100.0, 110.0),  # one binade, a small part of it
        (1.0, 2.0),  # the whole binade [1, 2): offsets up to 2**nmant
        (-30_000.0, -17_000.0),  # negative values: bits grow with the magnitude
        (60.0, 70.0),  # straddles 64: the deviations from a pivot instead
    ],
)
@pytest.mark.parametrize("rows", [1, 3, 5_000, 120_001])
def test_the_mean_from_the_bits_is_exact(dtype, low, high, rows, monkeypatch):
    # Far from zero, MeanNormalizationScaler's block mean comes from the
    # integer sums of the values' bits: mean + residual is the exact mean to a
    # small fraction of an ulp of the dtype, whatever the number of rows (the
    # groups that keep the wrapped sums readable start above 1,024 rows for
    # float64), and a column that straddles a power of two falls back. The
    # NumPy path; with the compiled kernels, blocks too long for one group take
    # the fused deviations instead (tests/test_kernels.py).
    from fractions import Fraction

    from skscale import _stats

    monkeypatch.setattr(_stats, "_kernels", None)
    rng = np.random.default_rng(rows)
    top = np.nextafter(dtype(high), dtype(low)) if high == 2.0 else dtype(high)
    X = rng.uniform(low, high, size=(rows, 2)).astype(dtype)
    X[0, 0] = dtype(low)
    X[-1, 0] = top  # the whole range: the largest offsets
    X[:, 1] = top  # a constant column
    stats = FeatureStats.from_array(X, moments=1)
    assert_array_equal(stats.mean[1], np.float64(top))
    ulp = Fraction(float(np.spacing(np.abs(X[:, 0]).max())))
    exact = exact_sum(X[:, 0]) / rows
    full = Fraction(float(stats.mean[0])) + Fraction(float(stats.residual[0]))
    straddles = low < 64 < high
    std = float(np.std(X[:, 0].astype(np.float64)))
    assert abs(full - exact) <= (
        Fraction(8 * EPS * std) if straddles else ulp * Fraction(1, 2**40)
    )
    assert abs(Fraction(float(stats.mean[0])) - exact) <= Fraction(
        float(np.spacing(abs(stats.mean[0])))
    )


@pytest.mark.parametrize(
    "moments, extrema", [(0, True), (1, True), (2, True), (2, False)]
)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("nan", [False, True], ids=["dense", "nan"])
def test_fortran_order_is_read_in_column_tiles(moments, extrema, weighted, nan):
    # A Fortran-ordered array (a DataFrame's values) is read in tiles of a few
    # columns and tall row blocks; on main its row blocks took the strided
    # path (StandardScaler.fit 2.4x slower than on the same C-ordered data).
    # The statistics equal the C-ordered ones to rounding, and do not depend
    # on the number of threads.
    from skscale import config_context

    rng = np.random.default_rng(5)
    X = rng.normal(loc=np.arange(19) * 10.0, scale=1.0, size=(70_001, 19))
    if nan:
        X[rng.random(X.shape) < 0.01] = np.nan
    w = rng.uniform(0.5, 2.0, size=len(X)) if weighted else None
    XF = np.asfortranarray(X)
    kwargs = dict(moments=moments, extrema=extrema)
    c = FeatureStats.from_array(X, w, **kwargs)
    f = FeatureStats.from_array(XF, w, **kwargs)
    assert_array_equal(f.count, c.count)
    assert_allclose(f.weight, c.weight, rtol=1e-14)
    assert_array_equal(f.min, c.min)
    assert_array_equal(f.max, c.max)
    assert_allclose(f.mean, c.mean, rtol=1e-15, atol=1e-15, equal_nan=True)
    assert_allclose(f.std0, c.std0, rtol=1e-13, atol=0, equal_nan=True)
    with config_context(n_threads=1):
        one = FeatureStats.from_array(XF, w, **kwargs)
    for name in ("mean", "std0", "residual", "weight"):
        assert_array_equal(getattr(one, name), getattr(f, name))


@pytest.mark.parametrize("weighted", [False, True])
def test_columns_side_by_side_match_the_whole_block(weighted, rng):
    # A polars frame's columns are summarised where they lie, each in row
    # blocks (several here: 600,000 rows), the blocks then merged for every
    # column at once: the statistics of the whole block, with NaN, a column
    # far from zero and extreme magnitudes.
    n = 600_000
    X = rng.normal(size=(n, 4)) * [1.0, 1e300, 1e-300, 3.0]
    X[:, 0] += 1e8
    X[rng.random(n) < 0.1, 1] = np.nan
    X[: n // 2, 3] = np.nan
    w = rng.uniform(0, 2, size=n) if weighted else None
    stats = FeatureStats.from_columns([X[:, j].copy() for j in range(4)], w)
    whole = FeatureStats.from_array(X, w)
    for key in ("count", "min", "max"):
        assert_array_equal(getattr(stats, key), getattr(whole, key), err_msg=key)
    assert_allclose(stats.weight, whole.weight, rtol=1e-14)
    # Both within the core's tolerance of the exact mean, 1 ulp + 4 eps std.
    eps = np.finfo(np.float64).eps
    gap = np.abs((stats.mean - whole.mean) + (stats.residual - whole.residual))
    assert np.all(gap <= 2 * (np.spacing(np.abs(whole.mean)) + 4 * eps * whole.std0))
    assert_allclose(stats.std0, whole.std0, rtol=1e-13)
    assert stats.n_rows == n
