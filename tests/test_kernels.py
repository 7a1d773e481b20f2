"""The compiled kernels (skscale._kernels) against the pure-NumPy path."""

import os
import subprocess
import sys

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone

from skscale import _stats

from .conftest import EXACT_SCALERS, RUNNING_STANDARDIZER

kernels = pytest.importorskip("skscale._kernels")


def test_the_kernels_are_built_in_ci():
    # The install builds them (setup.py); CI must not pass on the NumPy path
    # alone because a compiler went missing.
    if os.environ.get("CI") == "true":
        assert _stats._kernels is kernels


def blocks():
    rng = np.random.default_rng(0)
    wide = rng.normal(1e5, 3.0, size=(400, 9))
    special = rng.normal(size=(50, 6))
    special[:, 0] = [0.0, -0.0] * 25
    special[:, 1] = -0.0
    special[:, 2] = 5e-324 * np.arange(50)  # subnormals
    special[:, 3] = 3e38 * np.sign(special[:, 3])  # near float32's largest
    special[:, 4] = -7.0
    return {
        "one value": np.array([[3.5]]),
        "one row": rng.normal(size=(1, 5)),
        "one column": rng.normal(size=(37, 1)),
        "block": rng.normal(100.0, 1.0, size=(10_485, 50)),
        "negative binade": rng.normal(-300.0, 2.0, size=(999, 4)),
        "strided rows": wide[:, :5],
        "special values": special,
    }


BLOCKS = blocks()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", list(BLOCKS))
def test_fused_extrema_equal_numpy_reductions(name, dtype):
    X = BLOCKS[name].astype(dtype)
    fused = _stats._fused_extrema(X, bit_sums=True)
    assert fused is not None
    low, high, sums = fused
    assert low.dtype == high.dtype == np.float64
    assert_array_equal(low, X.min(axis=0))
    assert_array_equal(high, X.max(axis=0))
    bits = X.view(np.uint64 if dtype == np.float64 else np.uint32)
    assert_array_equal(sums, np.add.reduce(bits, axis=0, dtype=np.uint64))
    assert _stats._fused_extrema(X)[2] is None


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("row", [0, 17, 99])
def test_fused_extrema_flag_nan_and_infinity_anywhere(value, row, dtype):
    X = np.random.default_rng(1).normal(size=(100, 6)).astype(dtype)
    X[row, 4] = value
    assert _stats._fused_extrema(X) is False


def test_fused_extrema_decline_what_the_kernel_does_not_take():
    X = np.random.default_rng(2).normal(size=(100, 6))
    assert _stats._fused_extrema(np.asfortranarray(X)) is None
    assert _stats._fused_extrema(X[:, ::2]) is None
    assert _stats._fused_extrema(X.astype(np.float16)) is None
    assert _stats._fused_extrema(X[:0]) is None


def test_the_kernels_refuse_bad_arguments():
    X = np.ones((4, 3))
    with pytest.raises(ValueError, match="2-D float64 or float32"):
        kernels.moments(X[:, None], *[np.empty(3) for _ in range(6)])
    with pytest.raises(ValueError, match="wrong size"):
        kernels.moments(X, *[np.empty(2) for _ in range(6)])
    out = [np.empty(3) for _ in range(3)]
    with pytest.raises(ValueError, match="2-D float64 or float32"):
        kernels.extrema(np.ones((4, 3), dtype=np.int64), *out, None)
    with pytest.raises(ValueError, match="wrong size"):
        kernels.extrema(X, np.empty(2), *out[1:], None)
    with pytest.raises(ValueError, match="wrong size"):
        kernels.extrema(X, *out, np.empty(3, dtype=np.uint32))


def data():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(30_000, 7)) * [1.0, 1e-3, 5.0, 1.0, 1.0, 2.0, 1.0]
    X += [0.0, 100.0, 1e5, -3e9, 1e15, 7.0, -0.5]
    nan = X.copy()
    nan[rng.random(X.shape) < 0.01] = np.nan
    return {"far and near": X, "with NaN": nan}


DATA = data()
SCALERS = [*EXACT_SCALERS, RUNNING_STANDARDIZER]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", list(DATA))
@pytest.mark.parametrize("estimator", SCALERS, ids=repr)
def test_fits_agree_with_and_without_the_kernels(estimator, name, dtype, monkeypatch):
    # The extrema (and the exact means of MeanNormalizationScaler) are the
    # same; the moments' sums are rounded differently, within the core's
    # tolerances: the variance within 1e-12 relative, the mean within an ulp
    # plus 4 eps std.
    X = DATA[name].astype(dtype)
    with_kernels = clone(estimator).fit(X)
    monkeypatch.setattr(_stats, "_kernels", None)
    without = clone(estimator).fit(X)
    fast, slow = with_kernels.stats_, without.stats_
    for field in ("count", "weight", "min", "max"):
        assert_array_equal(getattr(fast, field), getattr(slow, field))
    if fast.moments == 1:
        assert_array_equal(fast.mean, slow.mean)
        assert_array_equal(fast.residual, slow.residual)
    if fast.moments == 2:
        assert_allclose(fast.std0, slow.std0, rtol=1e-12)
        eps = np.finfo(np.float64).eps
        gap = np.abs((fast.mean - slow.mean) + (fast.residual - slow.residual))
        assert np.all(gap <= np.spacing(np.abs(slow.mean)) + 4 * eps * slow.std0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", ["block", "negative binade", "strided rows"])
def test_fused_moments_agree_with_numpy_passes(name, dtype):
    X = BLOCKS[name].astype(dtype)
    first = X[0].astype(np.float64)
    fused = _stats._fused_moments(X, first)
    numpy = _stats._shifted_moments(X, first, finite=True)
    mean, residual, std0, squares = fused
    assert_allclose(std0, numpy[2], rtol=1e-13)
    assert_allclose(squares, numpy[3], rtol=1e-13)
    eps = np.finfo(np.float64).eps
    gap = np.abs((mean - numpy[0]) + (residual - numpy[1]))
    assert np.all(gap <= np.spacing(np.abs(mean)) + 4 * eps * std0)


@pytest.mark.parametrize("value", [np.nan, np.inf, 1e308])
def test_fused_moments_leave_nan_infinity_overflow_and_far_pivots_to_numpy(value):
    X = np.random.default_rng(5).normal(size=(300, 4))
    X[150, 2] = value
    assert _stats._fused_moments(X, X[0].copy()) is None
    # A pivot many standard deviations from the mean: the numpy path takes
    # the block again around its mean.
    Y = np.random.default_rng(6).normal(size=(300, 4))
    assert _stats._fused_moments(Y, Y[0] + 100.0) is None


def test_skscale_runs_without_the_compiled_module():
    # As on a machine where it could not be built: the NumPy path.
    code = (
        "import sys; sys.modules['skscale._kernels'] = None\n"
        "import numpy as np, skscale\n"
        "from skscale import _stats\n"
        "assert _stats._kernels is None\n"
        "X = np.arange(12.0).reshape(4, 3)\n"
        "print(skscale.MinMaxScaler().fit(X).data_range_.tolist())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[9.0, 9.0, 9.0]"


def exact_mean_and_var(column):
    from fractions import Fraction

    values = [Fraction(float(v)) for v in column]
    mean = sum(values) / len(values)
    return mean, sum((v - mean) ** 2 for v in values) / len(values)


@pytest.mark.parametrize("offset", [0.0, 1e9, 1e15, -3e12])
@pytest.mark.parametrize("scaler", ["StandardScaler", "MeanNormalizationScaler"])
def test_kernel_fits_are_exact_against_rational_arithmetic(offset, scaler):
    # Blocks large enough for the kernels (small blocks take NumPy's path),
    # against exact arithmetic of the stored values.
    import skscale

    rng = np.random.default_rng(7)
    X = offset + rng.normal(size=(20_000, 3)) * [1.0, 1e-3, 50.0]
    est = getattr(skscale, scaler)().fit(X)
    eps = np.finfo(np.float64).eps
    for j in range(3):
        mean, var = exact_mean_and_var(X[:, j])
        std = float(var) ** 0.5
        assert abs(float(mean - type(mean)(float(est.mean_[j])))) <= (
            np.spacing(abs(est.mean_[j])) + 4 * eps * std
        )
        if scaler == "StandardScaler":
            assert abs(est.var_[j] - float(var)) <= 1e-12 * float(var)


def test_one_outlying_ulp_among_many_equal_values_is_seen():
    # The case: 600,000 values of 7.0 and one of 7 + 2**-50.
    import skscale

    X = np.full((600_001, 1), 7.0)
    X[123_456, 0] = 7.0 + 2.0**-50
    X = np.repeat(X, 2, axis=1)
    exact_var = (2.0**-50) ** 2 * 600_000 / 600_001**2
    est = skscale.StandardScaler().fit(X)
    assert_allclose(est.var_, exact_var, rtol=1e-12)
