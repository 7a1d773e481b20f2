"""Blocked, threaded kernels: results do not depend on the number of threads."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import skscale
from skscale._config import available_cores

from .conftest import ESTIMATOR_NAMES


@pytest.fixture(params=[300, 5000], ids=["small-blocks", "large-blocks"])
def small_blocks(request, monkeypatch):
    # Many blocks on a small array, so that every thread count splits them:
    # blocks of at most 16,384 values (summarised from a column-major copy),
    # and larger ones (summarised in place, on widened rows).
    monkeypatch.setattr("skscale._parallel.BLOCK_BYTES", 8 * 7 * request.param)


@pytest.mark.parametrize("name", ESTIMATOR_NAMES)
@pytest.mark.parametrize("nan", [False, True], ids=["dense", "with-nan"])
def test_results_are_bit_identical_whatever_the_thread_count(
    name, nan, small_blocks, rng
):
    X = rng.normal(loc=1e3, scale=3.0, size=(20_011, 7))
    if nan:
        X[rng.random(X.shape) < 0.05] = np.nan
    results = []
    for n_threads in (1, 2, 3, 5):
        with skscale.config_context(n_threads=n_threads):
            est = getattr(skscale, name)().fit(X)
            results.append((est, est.transform(X)))
    reference, reference_out = results[0]
    for est, out in results[1:]:
        assert_array_equal(out, reference_out)
        if hasattr(est, "stats_"):
            for key in ("count", "weight", "mean", "std0", "min", "max"):
                assert_array_equal(
                    getattr(est.stats_, key), getattr(reference.stats_, key), key
                )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_rows", [100, 4 * 1168 + 37, 3 * 18_724 + 5])
def test_transform_is_the_formula_bit_for_bit(n_rows, dtype, rng):
    # Widened rows, the rows past the last whole group, and unwidened small
    # arrays all give (x - center_) / scale_, computed in float64.
    X = rng.normal(loc=3.0, scale=2.0, size=(n_rows, 7)).astype(dtype)
    est = skscale.StandardScaler().fit(X)
    expected = ((X.astype(np.float64) - est.center_) / est.scale_).astype(dtype)
    assert_array_equal(est.transform(X), expected)
    copy = X.copy()
    est.transform(copy, copy=False)
    assert_array_equal(copy, expected)


def test_many_blocks_equal_one_block(rng, monkeypatch):
    X = rng.normal(loc=50.0, scale=2.0, size=(5_000, 3))
    one = skscale.StandardScaler().fit(X)
    monkeypatch.setattr("skscale._parallel.BLOCK_BYTES", 8 * 3 * 64)
    many = skscale.StandardScaler().fit(X)
    np.testing.assert_allclose(many.mean_, one.mean_, rtol=1e-14)
    np.testing.assert_allclose(many.var_, one.var_, rtol=1e-12)


def test_float32_input_is_never_copied_to_float64(rng):
    import tracemalloc

    X = rng.normal(size=(200_000, 20)).astype(np.float32)
    est = skscale.StandardScaler().fit(X[:1000])
    tracemalloc.start()
    est.fit(X)
    fit_peak = tracemalloc.get_traced_memory()[1]
    # What the fit keeps (per-thread scratch blocks) is not the transform's.
    kept = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    out = est.transform(X)
    transform_peak = tracemalloc.get_traced_memory()[1] - kept
    tracemalloc.stop()
    assert out.dtype == np.float32
    # A float64 copy would add twice the input; blocks are a few MiB at most.
    assert fit_peak < 1.0 * X.nbytes
    assert transform_peak < 2.0 * X.nbytes


def test_thread_count_defaults_to_the_cores_and_can_be_limited(monkeypatch):
    monkeypatch.delenv("SKSCALE_NUM_THREADS", raising=False)
    monkeypatch.setattr("skscale._config._openmp_threads", lambda: None)
    assert skscale.get_config()["n_threads"] == available_cores()
    with skscale.config_context(n_threads=1):
        assert skscale.get_config() == {"n_threads": 1}
    assert skscale.get_config()["n_threads"] == available_cores()
    monkeypatch.setenv("SKSCALE_NUM_THREADS", "3")
    assert skscale.get_config()["n_threads"] == 3


def test_thread_count_honours_threadpoolctl_and_omp_limits(monkeypatch):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from sklearn.utils._openmp_helpers import _openmp_parallelism_enabled

    monkeypatch.delenv("SKSCALE_NUM_THREADS", raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    if _openmp_parallelism_enabled():  # scikit-learn built with OpenMP
        with threadpoolctl.threadpool_limits(limits=1, user_api="openmp"):
            assert skscale.get_config()["n_threads"] == 1
            # An explicit setting wins.
            with skscale.config_context(n_threads=2):
                assert skscale.get_config()["n_threads"] == 2
    # Where scikit-learn cannot say, OMP_NUM_THREADS (as joblib sets it in its
    # workers) still limits the default.
    monkeypatch.setattr(
        "sklearn.utils._openmp_helpers._openmp_parallelism_enabled", lambda: False
    )
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert skscale.get_config()["n_threads"] == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "not a number")
    assert skscale.get_config()["n_threads"] == available_cores()
    monkeypatch.setenv("SKSCALE_NUM_THREADS", "3")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert skscale.get_config()["n_threads"] == 3


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_bad_thread_count_is_named(bad):
    with pytest.raises(ValueError, match="n_threads must be None or an int >= 1"):
        skscale.set_config(n_threads=bad)
    with (
        pytest.raises(ValueError, match="n_threads"),
        skscale.config_context(n_threads=bad),
    ):
        pass


@pytest.mark.parametrize("value", ["abc", "0", "-3", "2.5"])
def test_an_invalid_thread_count_in_the_environment_warns_once(value, monkeypatch):
    # On main an invalid SKSCALE_NUM_THREADS was silently ignored.
    from skscale import _config

    monkeypatch.setenv("SKSCALE_NUM_THREADS", value)
    monkeypatch.setattr(_config, "_warned_values", set())
    with pytest.warns(RuntimeWarning, match=rf"SKSCALE_NUM_THREADS='{value}'"):
        default = skscale.get_config()["n_threads"]
    assert default >= 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert skscale.get_config()["n_threads"] == default
