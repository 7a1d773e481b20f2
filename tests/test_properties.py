"""Property-based tests: hypothesis searches for data on which a property fails.

Data are drawn with varied shapes, dtypes (float16/32/64, integers), magnitudes
(1e-300 to 1e300 in float64), NaN patterns, constant and near-constant columns,
and sample weights. Tolerances follow from the data: a statistic is compared
within a few ulps of the column's largest magnitude, since that is the rounding
of the input itself.
"""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_array_equal

import skscale
from skscale import MiniBatchStandardizer, StandardScaler

from .conftest import COLUMN_SCALERS

EPS = np.finfo(np.float64).eps
# Decimal exponents of the magnitudes drawn for each dtype (staying clear of
# subnormals and of overflow in the dtype itself).
EXPONENTS = {
    np.float64: (-300, 300),
    np.float32: (-30, 30),
    np.float16: (-3, 3),
    np.int64: (0, 6),
}
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Every column scaler, and the minibatch standardizer in its running mode.
SCALERS = [getattr(skscale, name)() for name in COLUMN_SCALERS]
RUNNING = MiniBatchStandardizer(momentum=0.3, batch_size=4)


@st.composite
def columns(draw, n, dtype):
    low, high = EXPONENTS[dtype]
    magnitude = 10.0 ** draw(st.integers(low, high))
    unit = draw(arrays(np.float64, n, elements=st.floats(-1, 1, width=32)))
    kind = draw(st.sampled_from(["spread", "constant", "near-constant", "offset"]))
    if kind == "spread":
        column = unit * magnitude
    elif kind == "constant":
        column = np.full(n, draw(st.floats(-1, 1, width=32)) * magnitude)
    elif kind == "near-constant":
        column = magnitude * (1.0 + unit * 2.0**-30)
    else:
        column = magnitude * (5.0 + unit)
    if dtype is np.int64:
        return np.round(column)
    return column


@st.composite
def matrices(draw, dtypes=(np.float64, np.float32, np.float16, np.int64), min_rows=1):
    dtype = draw(st.sampled_from(dtypes))
    n = draw(st.integers(min_rows, 24))
    p = draw(st.integers(1, 4))
    X = np.column_stack([draw(columns(n, dtype)) for _ in range(p)]).astype(dtype)
    if dtype is not np.int64 and draw(st.booleans()):
        X[draw(arrays(np.bool_, X.shape))] = np.nan
    return X


# Drawn data may leave a column with no observed value: fit then warns (tested
# in test_common); these tests are about the values.
pytestmark = pytest.mark.filterwarnings("ignore:feature .* had no observed:UserWarning")


def weights(n):
    return st.one_of(
        st.none(),
        arrays(np.float64, n, elements=st.floats(0.125, 4.0, width=16)),
        arrays(np.int64, n, elements=st.integers(1, 3)),
    )


def quietly(method, *args):
    """Call ``method``, allowing only the warning for never-observed features."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "feature .* had no observed", UserWarning)
        return method(*args)


def column_magnitude(X):
    """Largest magnitude of each column, in float64 (0 where nothing is observed)."""
    with np.errstate(invalid="ignore"):
        largest = np.fmax.reduce(np.abs(X.astype(np.float64)), axis=0)
    return np.nan_to_num(largest)


def assert_stats_close(actual, expected, magnitude, ulps=64):
    """Same statistics, within rounding of the data's magnitude."""
    assert actual.n_rows == expected.n_rows
    assert_array_equal(actual.count, expected.count)
    assert_array_equal(actual.min, expected.min)
    assert_array_equal(actual.max, expected.max)
    np.testing.assert_allclose(actual.weight, expected.weight, rtol=1e-13)
    tolerance = ulps * EPS * magnitude
    for key in ("mean", "std0"):
        a, e = getattr(actual, key), getattr(expected, key)
        assert_array_equal(np.isnan(a), np.isnan(e), err_msg=key)
        close = np.abs(a - e) <= tolerance + 1e-9 * np.abs(e)
        assert close[~np.isnan(e)].all(), (key, a, e, tolerance)


@pytest.mark.parametrize("scaler", SCALERS, ids=COLUMN_SCALERS)
@SETTINGS
@given(data=st.data())
def test_partial_fit_over_any_split_equals_fit(scaler, data):
    X = data.draw(matrices())
    w = data.draw(weights(len(X)))
    cuts = sorted(data.draw(st.lists(st.integers(1, len(X)), max_size=4)))
    whole = scaler.__class__().fit(X, sample_weight=w)
    streamed = scaler.__class__()
    for start, stop in zip([0, *cuts], [*cuts, len(X)], strict=True):
        if stop > start:
            part = None if w is None else w[start:stop]
            streamed.partial_fit(X[start:stop], sample_weight=part)
    assert streamed.n_samples_seen_ == whole.n_samples_seen_ == len(X)
    assert_stats_close(streamed.stats_, whole.stats_, column_magnitude(X))


@pytest.mark.parametrize("scaler", SCALERS, ids=COLUMN_SCALERS)
@SETTINGS
@given(data=st.data())
def test_merge_is_associative_commutative_and_equals_the_concatenation(scaler, data):
    X = data.draw(matrices(min_rows=3))
    i, j = sorted(
        data.draw(st.lists(st.integers(1, len(X) - 1), min_size=2, max_size=2))
    )
    if i == j:
        j = i + 1 if i + 1 < len(X) else i
    parts = [X[:i], X[i:j], X[j:]]
    parts = [part for part in parts if len(part)]
    fitted = [scaler.__class__().fit(part) for part in parts]
    whole = scaler.__class__().fit(X)
    magnitude = column_magnitude(X)
    left = fitted[0]
    for other in fitted[1:]:
        left = left.merge(other)
    right = fitted[-1]
    for other in reversed(fitted[:-1]):
        right = other.merge(right)
    swapped = fitted[-1]
    for other in fitted[:-1]:
        swapped = swapped.merge(other)
    for merged in (left, right, swapped):
        assert_stats_close(merged.stats_, whole.stats_, magnitude)


@pytest.mark.parametrize(
    "scaler",
    [*SCALERS, RUNNING],
    ids=[*COLUMN_SCALERS, "MiniBatchStandardizer-running"],
)
@SETTINGS
@given(X=matrices())
def test_inverse_transform_recovers_the_data(scaler, X):
    est = scaler.__class__(**scaler.get_params()).fit(X)
    observed = est.stats_.count > 0
    out = quietly(est.transform, X)
    back = quietly(est.inverse_transform, out)
    assert_array_equal(np.isnan(back), np.isnan(X.astype(np.float64)))
    dtype = out.dtype
    # Rounding of the output in its own dtype, carried back to the data's units.
    tolerance = (
        64
        * np.finfo(dtype).eps
        * np.maximum(
            column_magnitude(X), np.abs(np.nan_to_num(est.stats_.std0)) * len(X)
        )
    )
    error = np.abs(back.astype(np.float64) - X.astype(np.float64))
    assert (np.nan_to_num(error)[:, observed] <= tolerance[observed]).all()


@SETTINGS
@given(
    X=matrices(dtypes=(np.float64,)),
    shift=st.floats(-10, 10),
    factor=st.floats(1e-3, 1e3),
)
def test_standard_scaler_ignores_the_origin_and_unit(X, shift, factor):
    magnitude = column_magnitude(X)
    if (magnitude > 1e250).any():
        X = X * 1e-60  # leave room for the factor
        magnitude = column_magnitude(X)
    c = shift * magnitude
    Y = X * factor + c
    # Below the normal range, X * factor is not an affine image of X at
    # float64's relative precision (it can even round to 0): not this test's.
    tiny = np.finfo(np.float64).tiny
    nonzero = X[X != 0]
    assume(not (np.abs(nonzero) < tiny).any())
    assume(not (np.abs(nonzero * factor) < tiny).any())
    out = quietly(StandardScaler().fit_transform, X)
    moved = quietly(StandardScaler().fit_transform, Y)
    std = StandardScaler().fit(Y).scale_
    # Rounding of Y itself, in standardized units.
    tolerance = 64 * EPS * (factor * magnitude + np.abs(c)) / std + 1e-9
    assert_array_equal(np.isnan(out), np.isnan(moved))
    error = np.nan_to_num(np.abs(out - moved))
    observed = ~np.isnan(std)
    assert (error[:, observed] <= tolerance[observed]).all(), (error.max(), tolerance)


@pytest.mark.parametrize("scaler", SCALERS, ids=COLUMN_SCALERS)
@SETTINGS
@given(data=st.data())
def test_row_order_does_not_change_any_statistic(scaler, data):
    X = data.draw(matrices())
    order = data.draw(st.permutations(range(len(X))))
    a = scaler.__class__().fit(X)
    b = scaler.__class__().fit(X[list(order)])
    assert_stats_close(b.stats_, a.stats_, column_magnitude(X))


@pytest.mark.parametrize(
    "scaler",
    [*SCALERS, RUNNING],
    ids=[*COLUMN_SCALERS, "MiniBatchStandardizer-running"],
)
@SETTINGS
@given(data=st.data())
def test_statistics_and_output_are_finite_when_the_data_are(scaler, data):
    X = data.draw(matrices())
    w = data.draw(weights(len(X)))
    est = scaler.__class__(**scaler.get_params()).fit(X, sample_weight=w)
    observed = est.stats_.count > 0
    computed = ["min", "max", "mean", "std0"][: 2 + est.stats_.moments]
    if not est.stats_.extrema:
        computed = computed[2:]
    for key in computed:
        assert np.isfinite(getattr(est.stats_, key)[observed]).all(), key
    if est.stats_.moments == 2:
        assert (est.stats_.std0[observed] >= 0).all()
    if hasattr(est, "var_"):
        assert (est.var_[observed] >= 0).all()
        representable = observed & (est.stats_.std0 < 1e150)
        assert np.isfinite(est.var_[representable]).all()
    out = quietly(est.transform, X)
    finite_input = ~np.isnan(X.astype(np.float64))
    assert np.isfinite(out[finite_input & observed]).all()
