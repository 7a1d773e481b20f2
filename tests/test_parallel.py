"""Blocked, threaded kernels: results do not depend on the number of threads."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import skscale
from skscale._config import available_cores

from .conftest import ESTIMATOR_NAMES


@pytest.fixture
def small_blocks(monkeypatch):
    # Many blocks on a small array, so that every thread count splits them.
    monkeypatch.setattr("skscale._parallel.BLOCK_BYTES", 8 * 7 * 300)


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
    tracemalloc.reset_peak()
    out = est.transform(X)
    transform_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert out.dtype == np.float32
    # A float64 copy would add twice the input; blocks are a few MiB at most.
    assert fit_peak < 1.0 * X.nbytes
    assert transform_peak < 2.0 * X.nbytes


def test_thread_count_defaults_to_the_cores_and_can_be_limited(monkeypatch):
    monkeypatch.delenv("SKSCALE_NUM_THREADS", raising=False)
    assert skscale.get_config()["n_threads"] == available_cores()
    with skscale.config_context(n_threads=1):
        assert skscale.get_config() == {"n_threads": 1}
    assert skscale.get_config()["n_threads"] == available_cores()
    monkeypatch.setenv("SKSCALE_NUM_THREADS", "3")
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
