"""MiniBatchStandardizer: hand-checked running statistics, exactness, PyTorch."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from skscale import MiniBatchStandardizer, StandardScaler

BATCH = np.array([[1.0], [2.0], [3.0], [4.0]])


@pytest.mark.parametrize("ddof, var", [(0, 1.25), (1, 5.0 / 3.0)])
def test_momentum_one_takes_the_last_batch(ddof, var):
    est = MiniBatchStandardizer(momentum=1.0, ddof=ddof).fit(BATCH * 100)
    est.partial_fit(BATCH)
    assert_array_equal(est.mean_, [2.5])
    assert_allclose(est.var_, [var], rtol=1e-15)


def test_one_step_from_torch_buffers():
    est = MiniBatchStandardizer(momentum=0.1, bias_correction=False)
    est.partial_fit(np.ones((5, 1)))
    assert_allclose(est.mean_, [0.1], rtol=1e-15)
    # variance: 0.9 * 1 (start) + 0.1 * 0 (batch)
    assert_allclose(est.var_, [0.9], rtol=1e-15)


def test_bias_correction_starts_at_the_first_batch_then_debiases():
    m = 0.1
    est = MiniBatchStandardizer(momentum=m)
    est.partial_fit(np.array([[1.0], [3.0]]))
    assert_array_equal(est.mean_, [2.0])
    assert_array_equal(est.var_, [1.0])
    est.partial_fit(np.array([[11.0], [13.0]]))
    # Adam: raw = (1-m) m 2 + m 12, divided by 1 - (1-m)^2
    raw = (1 - m) * m * 2.0 + m * 12.0
    assert_allclose(est.mean_, [raw / (1 - (1 - m) ** 2)], rtol=1e-14)
    assert_allclose(est.var_, [1.0], rtol=1e-14)


@pytest.mark.parametrize("weighted", [False, True])
def test_exact_mode_equals_standard_scaler_over_uneven_batches(weighted, rng):
    X = rng.normal([5.0, -3.0], [2.0, 0.1], size=(103, 2))
    X[rng.random(X.shape) < 0.1] = np.nan
    w = rng.uniform(0, 2, len(X)) if weighted else None
    est = MiniBatchStandardizer(ddof=1)
    for start, stop in [(0, 1), (1, 40), (40, 41), (41, 103)]:
        est.partial_fit(
            X[start:stop], sample_weight=None if w is None else w[start:stop]
        )
    ref = StandardScaler(ddof=1).fit(X, sample_weight=w)
    assert_allclose(est.mean_, ref.mean_, rtol=1e-12)
    assert_allclose(est.var_, ref.var_, rtol=1e-12)
    assert_allclose(est.transform(X), ref.transform(X), rtol=1e-12, atol=1e-12)
    assert est.n_batches_seen_ == 4
    assert est.n_samples_seen_ == 103


def test_cumulative_is_not_the_average_of_batch_statistics():
    est = MiniBatchStandardizer()
    est.partial_fit(np.array([[0.0], [0.0]])).partial_fit(np.array([[10.0], [10.0]]))
    # pooled variance 25, where averaging batch variances would give 0
    assert_array_equal(est.var_, [25.0])


@pytest.mark.parametrize("ddof", [0, 2.5])
@pytest.mark.parametrize("nan", [False, True], ids=["dense", "with-nan"])
@pytest.mark.parametrize("momentum", [None, 0.2])
def test_fit_with_batch_size_equals_partial_fit_over_the_batches(
    momentum, nan, ddof, rng
):
    # Without NaN, exact statistics are taken in one pass over the array, and
    # the update counts from the batch sizes; the last batch has 2 rows.
    X = rng.normal(size=(50, 3))
    if nan:
        X[rng.random(X.shape) < 0.2] = np.nan
        X[16:32, 1] = np.nan
    fitted = MiniBatchStandardizer(momentum=momentum, batch_size=16, ddof=ddof)
    fitted.fit(X)
    streamed = MiniBatchStandardizer(momentum=momentum, ddof=ddof)
    for start in range(0, 50, 16):
        streamed.partial_fit(X[start : start + 16])
    assert_allclose(fitted.mean_, streamed.mean_, rtol=1e-14)
    assert_allclose(fitted.var_, streamed.var_, rtol=1e-14)
    assert fitted.n_batches_seen_ == streamed.n_batches_seen_ == 4
    assert fitted.n_samples_seen_ == streamed.n_samples_seen_ == 50
    assert_array_equal(fitted._history.n_updates, streamed._history.n_updates)
    assert_array_equal(fitted._history.n_updates[:, 0], [4, 3 if ddof else 4])


def test_fit_resets(rng):
    X = rng.normal(size=(20, 2))
    est = MiniBatchStandardizer(momentum=0.3, batch_size=5)
    first = est.fit(X).mean_.copy()
    est.partial_fit(X + 100)
    assert_array_equal(est.fit(X).mean_, first)


def test_weights_within_one_batch_equal_repeated_rows(rng):
    X = rng.normal(size=(10, 2))
    w = rng.integers(0, 4, 10)
    est = MiniBatchStandardizer(momentum=0.5).partial_fit(X[:3])
    weighted = MiniBatchStandardizer(momentum=0.5).partial_fit(X[:3])
    est.partial_fit(np.repeat(X, w, axis=0))
    weighted.partial_fit(X, sample_weight=w)
    assert_allclose(weighted.mean_, est.mean_, rtol=1e-14)
    assert_allclose(weighted.var_, est.var_, rtol=1e-14)


@pytest.mark.parametrize("momentum", [None, 0.1])
def test_infinite_batch_raises_and_changes_nothing(momentum, rng):
    est = MiniBatchStandardizer(momentum=momentum).fit(rng.normal(size=(10, 2)))
    before = {k: np.copy(v) for k, v in vars(est).items() if k.endswith("_")}
    bad = rng.normal(size=(4, 2))
    bad[2, 1] = -np.inf
    with pytest.raises(ValueError, match="column 1"):
        est.partial_fit(bad)
    for key, value in before.items():
        assert_array_equal(getattr(est, key), value, err_msg=key)
    with pytest.raises(ValueError, match="column 1"):
        MiniBatchStandardizer(momentum=momentum, batch_size=3).fit(
            np.vstack([rng.normal(size=(6, 2)), bad])
        )


@pytest.mark.parametrize("bias_correction", [True, False])
def test_single_row_batch_with_ddof_one_keeps_the_variance(bias_correction):
    est = MiniBatchStandardizer(momentum=0.5, ddof=1, bias_correction=bias_correction)
    est.partial_fit([[3.0]])
    var_before = est.var_.copy()
    assert np.isfinite(est.var_).all()
    est.partial_fit([[7.0]])
    assert_array_equal(est.var_, var_before)
    assert np.isfinite(est.transform([[1.0], [5.0]])).all()
    est.partial_fit([[1.0], [3.0]])
    assert est.var_[0] > 0


def test_a_feature_absent_from_a_batch_keeps_its_running_statistics(rng):
    est = MiniBatchStandardizer(momentum=0.3).partial_fit(rng.normal(size=(8, 2)))
    before = est.mean_.copy(), est.var_.copy()
    batch = rng.normal(size=(8, 2))
    batch[:, 1] = np.nan
    est.partial_fit(batch)
    assert est.mean_[1] == before[0][1] and est.var_[1] == before[1][1]
    assert est.mean_[0] != before[0][0]


def test_transform_uses_eps_and_changes_nothing(rng):
    X = rng.normal(size=(30, 2))
    est = MiniBatchStandardizer(momentum=0.5, eps=0.25).fit(X)
    state = est.mean_.copy(), est.var_.copy()
    out = est.transform(X)
    assert_array_equal(out, (X - est.mean_) / est.scale_)
    assert_allclose(est.scale_, np.sqrt(est.var_ + 0.25), rtol=1e-15)
    assert_array_equal(est.mean_, state[0])
    assert_array_equal(est.var_, state[1])


def test_merge_only_for_exact_statistics(rng):
    X = rng.normal(size=(30, 2))
    a = MiniBatchStandardizer().fit(X[:10])
    b = MiniBatchStandardizer().fit(X[10:])
    assert_allclose(a.merge(b).var_, MiniBatchStandardizer().fit(X).var_, rtol=1e-12)
    running = MiniBatchStandardizer(momentum=0.1).fit(X)
    with pytest.raises(ValueError, match="merge needs momentum=None"):
        running.merge(running)


def test_running_estimate_follows_a_drift_and_cumulative_does_not(rng):
    exact, running = MiniBatchStandardizer(), MiniBatchStandardizer(momentum=0.2)
    for step in range(100):
        batch = rng.normal(loc=step / 10.0, size=(32, 1))
        exact.partial_fit(batch)
        running.partial_fit(batch)
    truth = 99 / 10.0
    assert abs(running.mean_[0] - truth) < 0.5
    assert abs(exact.mean_[0] - truth) > 4


def test_grid_search_over_momentum():
    X, y = load_diabetes(return_X_y=True)
    search = GridSearchCV(
        make_pipeline(MiniBatchStandardizer(batch_size=64), Ridge()),
        {"minibatchstandardizer__momentum": [None, 0.01, 0.1, 1.0]},
        cv=3,
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert np.isfinite(search.best_score_)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"momentum": 0}, "momentum must be None or a number in \\(0, 1\\], got 0"),
        ({"momentum": 1.5}, "momentum must be None or a number"),
        ({"batch_size": 0}, "batch_size must be None or an int >= 1, got 0"),
        ({"batch_size": 2.5}, "batch_size must be None or an int"),
        ({"eps": -1e-5}, "eps must be a finite number >= 0"),
        ({"ddof": np.nan}, "ddof must be a finite number >= 0"),
        ({"bias_correction": "no"}, "bias_correction must be a bool"),
    ],
)
def test_bad_parameters_are_named(params, message):
    with pytest.raises(ValueError, match=message):
        MiniBatchStandardizer(**params).fit(BATCH)


def test_reproduces_torch_batchnorm1d():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    n_features = 6
    layer = torch.nn.BatchNorm1d(n_features, momentum=0.1, affine=False)
    est = MiniBatchStandardizer(momentum=0.1, bias_correction=False, ddof=1, eps=1e-5)
    layer.train()
    for step in range(25):
        batch = rng.normal(loc=step * 0.3, scale=1 + step % 4, size=(32, n_features))
        batch = batch.astype(np.float32)
        with torch.no_grad():
            layer(torch.from_numpy(batch))
        est.partial_fit(batch)
    assert_allclose(est.mean_, layer.running_mean.numpy(), rtol=1e-5)
    assert_allclose(est.var_, layer.running_var.numpy(), rtol=1e-5)
    layer.eval()
    test = rng.normal(size=(50, n_features)).astype(np.float32)
    with torch.no_grad():
        expected = layer(torch.from_numpy(test)).numpy()
    out = est.transform(test)
    assert out.dtype == np.float32
    assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
