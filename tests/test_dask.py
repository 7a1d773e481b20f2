"""Dask arrays and DataFrames: same estimators, one compute, lazy transforms."""

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone

import skscale

from .conftest import ESTIMATOR_NAMES

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
from dask.callbacks import Callback  # noqa: E402


@pytest.fixture(scope="module")
def client():
    """A real cluster: two worker processes on the loopback interface.

    Every port is chosen by the system: with ``dashboard_address=None`` the
    scheduler's HTTP server still tries 8787 and warns when another Dask holds
    it (an error here). The fixture holds 8787 itself while the cluster starts,
    so that the suite proves it needs no fixed port.
    """
    with contextlib.ExitStack() as stack:
        blocker = stack.enter_context(socket.socket())
        with contextlib.suppress(OSError):  # already taken: just as good
            blocker.bind(("127.0.0.1", 8787))
            blocker.listen()
        cluster = distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            scheduler_port=0,
            dashboard_address=":0",
            silence_logs=40,
        )
    with distributed.Client(cluster) as client:
        yield client
    cluster.close()


def data(rng, n=1_000, p=4, nan=True):
    X = rng.normal(
        loc=[3.0, -1.0, 1e3, 0.0][:p], scale=[2.0, 0.1, 30.0, 1.0][:p], size=(n, p)
    )
    if nan:
        X[rng.random(X.shape) < 0.05] = np.nan
        X[:, min(3, p - 1)] = np.where(np.arange(n) < 10, X[:, min(3, p - 1)], np.nan)
    return X


def reference(name, X, **fit_params):
    return getattr(skscale, name)().fit(X, **fit_params)


FITTED = ("mean_", "var_", "scale_", "center_", "data_min_", "data_max_", "max_abs_")


def assert_same_fit(ours, ref):
    for attr in FITTED:
        if hasattr(ref, attr):
            assert_allclose(
                getattr(ours, attr), getattr(ref, attr), rtol=1e-12, err_msg=attr
            )
    assert ours.n_features_in_ == ref.n_features_in_
    if hasattr(ref, "n_samples_seen_"):
        assert ours.n_samples_seen_ == ref.n_samples_seen_


@pytest.mark.parametrize("name", ESTIMATOR_NAMES)
def test_fit_on_the_cluster_equals_numpy(name, client, rng):
    X = data(rng)
    dX = da.from_array(X, chunks=(97, 2))
    ours = getattr(skscale, name)().fit(dX)
    ref = reference(name, X)
    assert_same_fit(ours, ref)
    out = ours.transform(dX)
    assert isinstance(out, da.Array)
    assert out.chunks[0] == dX.chunks[0]
    assert_allclose(out.compute(), ref.transform(X), rtol=1e-12, atol=1e-12)
    if hasattr(ours, "inverse_transform"):
        back = ours.inverse_transform(out)
        assert isinstance(back, da.Array)
        assert_allclose(back.compute(), X, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ESTIMATOR_NAMES)
def test_dataframe_on_the_cluster_keeps_names_and_partitions(name, client, rng):
    df = pd.DataFrame(data(rng), columns=["a", "b", "c", "d"])
    ddf = dd.from_pandas(df, npartitions=5)
    ours = getattr(skscale, name)().fit(ddf)
    ref = reference(name, df)
    assert list(ours.feature_names_in_) == ["a", "b", "c", "d"]
    assert_same_fit(ours, ref)
    out = ours.transform(ddf)
    assert isinstance(out, dd.DataFrame)
    assert out.npartitions == ddf.npartitions
    assert list(out.columns) == ["a", "b", "c", "d"]
    assert_allclose(out.compute().to_numpy(), ref.transform(df), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "name", ["StandardScaler", "MinMaxScaler", "MiniBatchStandardizer"]
)
def test_weights_as_a_dask_array_aligned_with_the_rows(name, client, rng):
    X = data(rng)
    w = rng.uniform(0.0, 3.0, size=len(X))
    ours = getattr(skscale, name)().fit(
        da.from_array(X, chunks=(200, 4)), sample_weight=da.from_array(w, chunks=200)
    )
    assert_same_fit(ours, reference(name, X, sample_weight=w))


def test_partial_fit_takes_each_block_as_a_batch_in_order(client, rng):
    X = data(rng, nan=False)
    ours = skscale.MiniBatchStandardizer(momentum=0.3).partial_fit(
        da.from_array(X, chunks=(150, 4))
    )
    ref = skscale.MiniBatchStandardizer(momentum=0.3)
    for start in range(0, len(X), 150):
        ref.partial_fit(X[start : start + 150])
    assert_allclose(ours.mean_, ref.mean_, rtol=1e-13)
    assert_allclose(ours.var_, ref.var_, rtol=1e-13)
    assert ours.n_batches_seen_ == ref.n_batches_seen_ == 7


@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize("batch_size", [7, 64, 5_000, None])
@pytest.mark.parametrize("kind", ["array", "dataframe"])
def test_fit_cuts_batches_of_batch_size_across_blocks(momentum, batch_size, kind, rng):
    # Partition lengths that batch_size does not divide: batches straddle them.
    X = data(rng)
    w = rng.uniform(0.0, 3.0, size=len(X))
    est = skscale.MiniBatchStandardizer(momentum=momentum, batch_size=batch_size)
    ref = clone(est).fit(X, sample_weight=None if kind == "dataframe" else w)
    chunks = (97, 3, 250, 1, 649)
    with dask.config.set(scheduler="synchronous"):
        if kind == "array":
            est.fit(
                da.from_array(X, chunks=(chunks, 4)),
                sample_weight=da.from_array(w, chunks=(chunks,)),
            )
        else:
            frame = pd.DataFrame(X, columns=list("abcd"))
            est.fit(dd.from_pandas(frame, npartitions=3))
    assert est.n_batches_seen_ == ref.n_batches_seen_
    assert_array_equal(est._history.n_updates, ref._history.n_updates)
    assert_allclose(est.mean_, ref.mean_, rtol=1e-12)
    assert_allclose(est.var_, ref.var_, rtol=1e-12)


def test_partial_fit_with_dask_batches_equals_numpy(client, rng):
    X = data(rng)
    est = skscale.StandardScaler()
    est.partial_fit(da.from_array(X[:400], chunks=(100, 4)))
    est.partial_fit(X[400:700])
    est.partial_fit(da.from_array(X[700:], chunks=(64, 4)))
    assert_same_fit(est, reference("StandardScaler", X))


class Counter(Callback):
    """Counts computes and tasks run by the local schedulers."""

    def __init__(self):
        super().__init__()
        self.computes = 0
        self.tasks = 0

    def _start(self, dsk):
        self.computes += 1

    def _posttask(self, key, result, dsk, state, id):
        self.tasks += 1


def test_fit_reads_the_data_once_and_transform_computes_nothing(rng):
    X = data(rng)
    loads = []

    def load(block):
        if block.size:  # dask also calls it once on an empty block, for metadata
            loads.append(block.shape)
        return block

    dX = da.from_array(X, chunks=(100, 4)).map_blocks(load, dtype=X.dtype)
    with dask.config.set(scheduler="sync"), Counter() as counter:
        est = skscale.StandardScaler().fit(dX)
        assert counter.computes == 1
        assert len(loads) == dX.numblocks[0]
        counter.tasks = 0
        out = est.transform(dX)
        back = est.inverse_transform(out)
        assert counter.tasks == 0 and counter.computes == 1
        assert isinstance(back, da.Array)
    assert_same_fit(est, reference("StandardScaler", X))


def test_a_lost_worker_does_not_change_the_result(client, rng):
    X = data(rng, n=4_000)

    def slow(block):
        time.sleep(0.05)
        return block

    dX = da.from_array(X, chunks=(100, 4)).map_blocks(slow, dtype=X.dtype)
    pids = client.run(os.getpid)
    victim = pids[sorted(pids)[0]]

    def kill_soon():
        time.sleep(0.3)
        os.kill(victim, signal.SIGKILL)  # the nanny starts a new worker

    killer = threading.Thread(target=kill_soon)
    killer.start()
    est = skscale.StandardScaler().fit(dX)
    killer.join()
    assert_same_fit(est, reference("StandardScaler", X))
    client.wait_for_workers(2, timeout=30)


def test_mismatched_features_raise_clear_errors(client, rng):
    df = pd.DataFrame(data(rng), columns=["a", "b", "c", "d"])
    est = skscale.StandardScaler().fit(dd.from_pandas(df, npartitions=2))
    with pytest.raises(ValueError, match="feature names should match"):
        est.transform(dd.from_pandas(df[["b", "a", "c", "d"]], npartitions=2))
    with pytest.raises(ValueError, match="X has 3 features"):
        est.transform(da.from_array(df.to_numpy()[:, :3], chunks=(100, 3)))
    with pytest.raises(ValueError, match="sample_weight"):
        skscale.StandardScaler().fit(
            da.from_array(df.to_numpy(), chunks=(100, 4)),
            sample_weight=da.from_array(np.ones(len(df)), chunks=300),
        )


@pytest.mark.parametrize("name", ESTIMATOR_NAMES)
@pytest.mark.parametrize("kind", ["array", "dataframe"])
def test_no_columns_is_refused_at_fit_like_numpy(name, kind):
    # A frame without columns failed inside scikit-learn's check_array ("at
    # least one array or dtype is required"); the row normalizers fitted an
    # array without columns and handed back an empty lazy transform.
    if kind == "array":
        X, shape = da.from_array(np.empty((6, 0)), chunks=3), r"\(6, 0\)"
    else:
        X = dd.from_pandas(pd.DataFrame(index=range(6)), npartitions=2)
        shape = r"\(nan, 0\)"
    estimator = getattr(skscale, name)()
    with pytest.raises(ValueError, match=rf"0 feature\(s\) \(shape={shape}\).*minimum"):
        estimator.fit(X)
    assert not hasattr(estimator, "n_features_in_")


def test_infinity_in_a_block_raises_and_changes_nothing(client, rng):
    X = data(rng, nan=False)
    est = skscale.StandardScaler().fit(X)
    before = est.mean_.copy()
    X[500, 2] = np.inf
    with pytest.raises(ValueError, match="column 2"):
        est.partial_fit(da.from_array(X, chunks=(100, 4)))
    assert_allclose(est.mean_, before, rtol=0)


def test_too_old_dask_gives_a_clear_error(monkeypatch, rng):
    monkeypatch.setattr(dask, "__version__", "2023.6.0")
    with pytest.raises(ImportError, match=r"skscale needs dask >= 2024\.1"):
        skscale.StandardScaler().fit(da.from_array(data(rng), chunks=(100, 4)))


def test_skscale_does_not_import_dask():
    code = "import skscale, sys; assert 'dask' not in sys.modules, 'dask imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_dask_blocks_merge_exactly_at_a_large_offset(client):
    # On main, 14 blocks of a column with |mean| / std = 1e9 gave a variance
    # 8e-10 off the NumPy fit's.
    from fractions import Fraction

    x = 1e9 + np.random.default_rng(5).normal(size=(14_000, 1))
    ours = skscale.StandardScaler().fit(da.from_array(x, chunks=(1_000, 1)))
    values = [Fraction(float(v)) for v in x[:, 0]]
    mean = sum(values) / len(values)
    var = sum((v - mean) ** 2 for v in values) / len(values)
    assert abs(Fraction(float(ours.var_[0])) - var) <= var / 10**12
    assert abs(Fraction(float(ours.mean_[0])) - mean) <= Fraction(
        float(np.spacing(1e9))
    )
    assert_allclose(ours.var_, skscale.StandardScaler().fit(x).var_, rtol=1e-14)


# -- DataFrames as users have them: the pandas path's rules, column type by type ----

_BASE = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0, 6.0], "b": [4.0, 3.0, 2.0, 5.0, 1.0]})
FRAMES = {
    "Int64 with NA": lambda: _BASE.astype({"a": "Int64"}).assign(
        a=lambda d: d.a.where(d.index != 1, pd.NA)
    ),
    "Float64 with NA": lambda: _BASE.astype("Float64").assign(
        b=lambda d: d.b.where(d.index != 2, pd.NA)
    ),
    "float32": lambda: _BASE.astype("float32"),
    "float64[pyarrow]": lambda: _BASE.astype("float64[pyarrow]"),
    "int64[pyarrow]": lambda: _BASE.astype({"a": "int64[pyarrow]"}),
    "bool": lambda: _BASE.assign(a=[True, False, True, True, False]),
    "numeric category": lambda: _BASE.assign(
        a=pd.Categorical([1.0, 2.0, 1.0, 3.0, 2.0])
    ),
    "string": lambda: _BASE.assign(a=["x", "y", "z", "w", "v"]),
    "datetime": lambda: _BASE.assign(a=pd.date_range("2026-01-01", periods=5)),
    "duration": lambda: _BASE.assign(a=pd.to_timedelta([1, 2, 3, 4, 5], "h")),
    "integer names": lambda: pd.DataFrame(_BASE.to_numpy()),
    "mixed names": lambda: _BASE.rename(columns={"a": 0}),
}


def _gist(message):
    """An error message without its last quoted value and its dtypes in brackets."""
    return re.sub(r" \([^()]*\)", "", re.sub(r"'[^']*'$", "", message))


def _outcome(estimator, X):
    """What fit + transform give (values, dtype, feature names), or the error."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            est = clone(estimator).fit(X)
            out = est.transform(X)
            out = np.asarray(out.compute() if hasattr(out, "compute") else out)
    except (TypeError, ValueError) as exc:
        return type(exc), str(exc)
    names = getattr(est, "feature_names_in_", None)
    return out, out.dtype, None if names is None else list(names)


@pytest.mark.parametrize("name", ESTIMATOR_NAMES)
@pytest.mark.parametrize("frame", FRAMES)
def test_dask_frames_behave_like_pandas_column_type_by_type(name, frame):
    df = FRAMES[frame]()
    estimator = getattr(skscale, name)()
    expected = _outcome(estimator, df)
    with dask.config.set(scheduler="synchronous"):
        got = _outcome(estimator, dd.from_pandas(df, npartitions=2))
    if isinstance(expected[0], type):
        # The same error; which partition meets the bad value first may differ,
        # and so may a column's dtype (dask reads text as pyarrow strings).
        assert got[0] is expected[0]
        assert _gist(got[1]) == _gist(expected[1])
        return
    assert_allclose(got[0], expected[0], rtol=1e-12, equal_nan=True)
    assert got[1:] == expected[1:]


def test_dask_names_warn_like_pandas():
    with dask.config.set(scheduler="synchronous"):
        fitted = skscale.StandardScaler().fit(dd.from_pandas(_BASE, npartitions=2))
        unnamed = dd.from_pandas(pd.DataFrame(_BASE.to_numpy()), npartitions=2)
        with pytest.warns(UserWarning, match="does not have valid feature names"):
            fitted.transform(unnamed)
        plain = skscale.StandardScaler().fit(_BASE.to_numpy())
        with pytest.warns(UserWarning, match="fitted without feature names"):
            plain.transform(dd.from_pandas(_BASE, npartitions=2))


# -- set_output with Dask: the output stays Dask and lazy ------------------------


def _indexed_frame(rng):
    frame = pd.DataFrame(data(rng, n=60), columns=list("abcd"))
    frame.index = np.arange(100, 160)
    return frame


@pytest.mark.parametrize("name", ESTIMATOR_NAMES)
def test_set_output_pandas_gives_a_lazy_dask_frame_with_the_index(name, rng):
    frame = _indexed_frame(rng)
    ddf = dd.from_pandas(frame, npartitions=3)
    with dask.config.set(scheduler="sync"):
        est = getattr(skscale, name)().set_output(transform="pandas").fit(ddf)
        expected = clone(est).fit(frame).transform(frame)
        with Counter() as counter:
            out = est.transform(ddf)
        assert counter.computes == 0
        assert isinstance(out, dd.DataFrame)
        assert out.divisions == ddf.divisions
        assert list(out.columns) == list(est.get_feature_names_out())
        pd.testing.assert_frame_equal(out.compute(), expected, rtol=1e-12)
        if hasattr(est, "inverse_transform"):
            back = est.inverse_transform(out)
            assert isinstance(back, dd.DataFrame)
            assert_allclose(back.compute().to_numpy(), frame.to_numpy(), rtol=1e-9)
        # A Dask array gets named pandas partitions.
        arr = da.from_array(frame.to_numpy(), chunks=(25, 4))
        named = clone(est).fit(arr).transform(arr)
        assert isinstance(named, dd.DataFrame)
        assert list(named.columns) == ["x0", "x1", "x2", "x3"]


@pytest.mark.parametrize("container", ["polars"])
def test_a_container_dask_cannot_hold_is_refused(container, rng):
    pytest.importorskip(container)
    ddf = dd.from_pandas(_indexed_frame(rng), npartitions=2)
    est = skscale.StandardScaler().set_output(transform=container)
    with dask.config.set(scheduler="sync"):
        est.fit(ddf)
        with pytest.raises(ValueError, match="cannot hold a Dask collection"):
            est.transform(ddf)
        with pytest.raises(ValueError, match="cannot hold a Dask collection"):
            est.inverse_transform(ddf)


def test_set_output_default_keeps_the_kind_of_the_input(rng):
    frame = _indexed_frame(rng)
    with dask.config.set(scheduler="sync"):
        ddf = dd.from_pandas(frame, npartitions=2)
        assert isinstance(skscale.StandardScaler().fit_transform(ddf), dd.DataFrame)
        arr = da.from_array(frame.to_numpy(), chunks=(20, 4))
        assert isinstance(skscale.StandardScaler().fit_transform(arr), da.Array)
