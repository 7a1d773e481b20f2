"""Threads and long streams: nothing is lost, nothing drifts."""

import math
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal, assert_array_less

import skscale
from skscale import MiniBatchStandardizer, StandardScaler

from .conftest import COLUMN_SCALERS, ESTIMATOR_NAMES


@pytest.mark.parametrize("name", ESTIMATOR_NAMES)
def test_transform_from_eight_threads_equals_sequential_calls(name, rng):
    est = getattr(skscale, name)().fit(rng.normal(3, 2, size=(500, 6)))
    arrays = [rng.normal(3, 2, size=(2000 + 17 * i, 6)) for i in range(8)]
    expected = [est.transform(X) for X in arrays]
    barrier = threading.Barrier(8)

    def work(i):
        barrier.wait()
        return [est.transform(arrays[i]) for _ in range(5)]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, range(8)))
    for i, outputs in enumerate(results):
        for out in outputs:
            assert_array_equal(out, expected[i])


@pytest.mark.parametrize("name", COLUMN_SCALERS)
def test_partial_fit_from_several_threads_loses_nothing(name, rng):
    batches = [rng.normal(i, 1 + i % 3, size=(50 + i, 4)) for i in range(64)]
    est = getattr(skscale, name)()
    barrier = threading.Barrier(8)

    def work(k):
        barrier.wait()
        for batch in batches[k::8]:
            est.partial_fit(batch)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(work, range(8)))
    whole = getattr(skscale, name)().fit(np.vstack(batches))
    assert est.n_samples_seen_ == whole.n_samples_seen_
    assert_array_equal(est.stats_.count, whole.stats_.count)
    assert_allclose(est.stats_.mean, whole.stats_.mean, rtol=1e-12)
    assert_allclose(est.stats_.std0, whole.stats_.std0, rtol=1e-12)
    assert_array_equal(est.stats_.min, whole.stats_.min)
    assert_array_equal(est.stats_.max, whole.stats_.max)


def test_running_statistics_count_every_batch_under_threads(rng):
    est = MiniBatchStandardizer(momentum=0.1)
    barrier = threading.Barrier(4)

    def work(_):
        barrier.wait()
        for _ in range(25):
            est.partial_fit(rng.normal(size=(8, 2)))

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(work, range(4)))
    assert est.n_batches_seen_ == 100
    assert est.n_samples_seen_ == 800


def test_a_long_stream_stays_exact(rng):
    # A million rows in 20,000 partial_fit calls of 1 to 99 rows.
    sizes = rng.integers(1, 100, size=20_000)
    X = rng.normal(loc=[1e6, -3.0, 0.0], scale=[1.0, 1e-3, 5.0], size=(sizes.sum(), 3))
    est = StandardScaler()
    for start, stop in zip(
        np.r_[0, np.cumsum(sizes)[:-1]], np.cumsum(sizes), strict=True
    ):
        est.partial_fit(X[start:stop])
    whole = StandardScaler().fit(X)
    assert est.n_samples_seen_ == len(X) == whole.n_samples_seen_
    assert isinstance(est.n_samples_seen_, int)
    # A mean is exact to rounding relative to the spread of the data (its
    # condition number is std / |mean|): column 2's mean is 1e-4 std from 0.
    std = X.std(axis=0)
    assert_array_less(
        np.abs(est.mean_ - whole.mean_), 1e-12 * np.abs(whole.mean_) + 1e-15 * std
    )
    assert_allclose(est.var_, whole.var_, rtol=1e-12)
    # Against the correctly rounded mean and numpy's two-pass variance.
    exact = np.array([math.fsum(column) / len(X) for column in X.T])
    assert_array_less(np.abs(est.mean_ - exact), 1e-12 * np.abs(exact) + 1e-15 * std)
    assert_array_less(np.abs(whole.mean_ - exact), 1e-12 * np.abs(exact) + 1e-15 * std)
    assert_allclose(est.var_, X.var(axis=0), rtol=1e-10)


_FORK_SCRIPT = """
import multiprocessing, os, sys
import numpy as np
import skscale

X = np.random.default_rng(0).normal(size=(400_000, 4))
expected = skscale.StandardScaler().fit(X)  # the parent's pool now has threads


def child_fit(_):
    est = skscale.StandardScaler().fit(X)
    return bool((est.mean_ == expected.mean_).all()), est.transform(X[:5]).tolist()


if sys.argv[1] == "fork":
    pid = os.fork()
    if pid == 0:
        same, _ = child_fit(0)
        os._exit(0 if same else 3)
    _, status = os.waitpid(pid, 0)
    sys.exit(os.waitstatus_to_exitcode(status))
else:
    with multiprocessing.get_context("fork").Pool(2) as pool:
        results = pool.map(child_fit, range(4))
    assert all(same for same, _ in results), results
    assert results[0][1] == expected.transform(X[:5]).tolist()
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.parametrize("how", ["fork", "pool"])
def test_a_forked_child_fits_and_transforms_without_hanging(how, tmp_path):
    # The 400,000 x 4 array spans several blocks, so the child needs the pool,
    # which it would wait on forever if it inherited the parent's (whose
    # threads it does not have).
    script = tmp_path / "fork_child.py"
    script.write_text(_FORK_SCRIPT)
    env = {**os.environ, "SKSCALE_NUM_THREADS": "2"}
    result = subprocess.run(
        [sys.executable, "-W", "ignore", str(script), how],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name", COLUMN_SCALERS)
def test_transform_alongside_partial_fit_uses_one_state(name, monkeypatch):
    # Many small blocks, so that a transform reading the fitted state block by
    # block would mix states. Every output row of one call must come from one
    # state that existed, before or after an update, never a mix.
    monkeypatch.setattr("skscale._parallel.BLOCK_BYTES", 1 << 14)
    rng = np.random.default_rng(1)
    est = getattr(skscale, name)().fit(rng.normal(5.0, 2.0, size=(10, 1)))
    X = np.ones((100_000, 1))
    states = [est.transform(X[:1])[0, 0]]
    stop = threading.Event()

    def train():
        while not stop.is_set():
            est.partial_fit(rng.normal(rng.uniform(-50, 50), 3.0, size=(3, 1)))
            states.append(est.transform(X[:1])[0, 0])
            time.sleep(0.0005)

    outputs = []
    with skscale.config_context(n_threads=2):
        trainer = threading.Thread(target=train)
        trainer.start()
        try:
            # At least 10 transforms, and until the updates have run alongside
            # (bounded in time: a loaded machine may starve the trainer).
            deadline = time.monotonic() + 20
            while len(outputs) < 10 or (
                len(states) <= 10 and time.monotonic() < deadline
            ):
                outputs.append(est.transform(X))
        finally:
            stop.set()
            trainer.join()
    assert len(states) > 10  # the updates did run alongside
    known = set(states)
    for out in outputs:
        assert (out == out[0, 0]).all(), "one transform mixed fitted states"
        assert out[0, 0] in known
