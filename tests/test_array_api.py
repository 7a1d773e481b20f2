"""Array API inputs: torch and array-api-strict arrays in, the same namespace out.

The column scalers and MiniBatchStandardizer, with
``sklearn.set_config(array_api_dispatch=True)``: scikit-learn's own array-API
checks with values and sample weights, the generic statistics against the
NumPy fast path, namespace and device errors, persistence, and torch's
BatchNorm1d with the tensors never leaving torch.
"""

import inspect
import json
import subprocess
import sys

import numpy as np
import pytest
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.utils._array_api import yield_namespace_device_dtype_combinations
from sklearn.utils.estimator_checks import check_array_api_input

import skscale
from skscale import _array_api
from skscale._array_api import Space, to_numpy
from skscale._stats import FeatureStats

array_api_strict = pytest.importorskip("array_api_strict")
pytest.importorskip("array_api_compat")
if tuple(int(v) for v in sklearn.__version__.split(".")[:2]) < _array_api.MIN_SKLEARN:
    pytest.skip("Array API inputs need a newer scikit-learn", allow_module_level=True)

# Every estimator with Array API support: the column scalers (exact
# statistics) and MiniBatchStandardizer's running averages.
ARRAY_API_ESTIMATORS = [
    skscale.StandardScaler(),
    skscale.StandardScaler(with_mean=False, ddof=1),
    skscale.MinMaxScaler(feature_range=(-1, 2), clip=True),
    skscale.MaxAbsScaler(),
    skscale.MeanNormalizationScaler(),
    skscale.MiniBatchStandardizer(),
    skscale.MiniBatchStandardizer(momentum=0.1, batch_size=7),
]
IDS = [repr(est) for est in ARRAY_API_ESTIMATORS]
ROW_NORMALIZERS = [
    skscale.UnitLengthNormalizer(),
    skscale.UnitLengthNormalizer(norm="l1"),
    skscale.UnitLengthNormalizer(norm="max"),
    skscale.UnitLengthNormalizer(norm=3),
    skscale.LayerNormalizer(),
    skscale.LayerNormalizer(with_mean=False, ddof=1, eps=1e-3),
]
ALL = ARRAY_API_ESTIMATORS + ROW_NORMALIZERS
STRICT = "array_api_strict"


@pytest.fixture
def dispatch():
    with sklearn.config_context(array_api_dispatch=True):
        yield


def strict_array(values, device="CPU_DEVICE"):
    return array_api_strict.asarray(
        np.asarray(values), device=array_api_strict.Device(device)
    )


@pytest.mark.parametrize("est", ALL, ids=[repr(est) for est in ALL])
@pytest.mark.parametrize(
    "namespace, device, dtype",
    list(yield_namespace_device_dtype_combinations()),
    ids=lambda value: str(value),
)
def test_sklearn_array_api_check_with_values_and_weights(est, namespace, device, dtype):
    # scikit-learn's check skips (SkipTest) a library or a device this
    # machine lacks: CuPy, CUDA, MPS.
    # scikit-learn 1.9 renamed the check's ``device`` to ``device_name``.
    parameters = inspect.signature(check_array_api_input).parameters
    where = "device_name" if "device_name" in parameters else "device"
    check_array_api_input(
        type(est).__name__,
        est,
        array_namespace=namespace,
        dtype_name=dtype,
        check_values=True,
        check_sample_weight=True,
        **{where: device},
    )


@pytest.mark.parametrize("offset", [0.0, 1e9, 1e15])
@pytest.mark.parametrize("weighted", [False, True])
def test_generic_statistics_equal_the_numpy_fast_path(offset, weighted):
    # The same rules written over any namespace (here array-api-strict)
    # agree with the threaded NumPy kernels to 1e-12, far from zero too,
    # with NaN, zero weights, a constant and an unobserved feature.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5_000, 5)) + offset
    X[rng.random(X.shape) < 0.05] = np.nan
    X[:, 3] = offset + 1.0
    X[:, 4] = np.nan
    weight = rng.random(len(X)) if weighted else None
    if weighted:
        weight[:50] = 0.0
    fast = FeatureStats.from_array(X, weight)
    space = Space(STRICT, array_api_strict.Device("CPU_DEVICE"))
    generic = FeatureStats.from_namespace(strict_array(X), weight, space)
    assert_array_equal(generic.count, fast.count)
    assert_allclose(generic.weight, fast.weight, rtol=1e-14)
    assert_array_equal(generic.min, fast.min)
    assert_array_equal(generic.max, fast.max)
    assert_allclose(generic.var(), fast.var(), rtol=1e-12)
    # Both means within the core's promise, 1 ulp + 4 eps std, of each other.
    std = fast.std()[:4]
    tolerance = np.spacing(np.abs(fast.mean[:4])) + 4 * np.finfo(float).eps * std
    assert (np.abs(generic.mean - fast.mean)[:4] <= tolerance).all()
    exact = (generic.mean + generic.residual)[:4]
    assert (np.abs(exact - (fast.mean + fast.residual)[:4]) <= tolerance).all()
    assert generic.std0[3] == 0.0 and generic.mean[3] == offset + 1.0
    assert np.isnan(generic.mean[4]) and generic.count[4] == 0


@pytest.mark.parametrize("est", ARRAY_API_ESTIMATORS, ids=IDS)
def test_strict_arrays_stay_on_their_device(est, dispatch):
    rng = np.random.default_rng(1)
    X = strict_array(rng.normal(loc=1e9, size=(40, 3)), device="device1")
    fitted = sklearn.clone(est).fit(X[:20, ...]).partial_fit(X[20:, ...])
    out = fitted.transform(X)
    back = fitted.inverse_transform(out)
    for value in (out, back, fitted.scale_, fitted.center_):
        assert type(value).__module__.startswith("array_api_strict")
        assert value.device == array_api_strict.Device("device1")
    reference = sklearn.clone(est).fit(to_numpy(X)[:20]).partial_fit(to_numpy(X)[20:])
    assert_allclose(to_numpy(out), reference.transform(to_numpy(X)), atol=1e-12)
    if getattr(est, "clip", False):
        return
    assert_allclose(to_numpy(back), to_numpy(X), rtol=1e-15)


def test_dispatch_off_converts_to_numpy_as_before():
    torch = pytest.importorskip("torch")
    X = torch.randn(30, 3, dtype=torch.float64)
    est = skscale.StandardScaler().fit(X)
    assert isinstance(est.mean_, np.ndarray)
    assert isinstance(est.transform(X), np.ndarray)


def test_float32_tensors_stay_float32_and_statistics_are_float64(dispatch):
    torch = pytest.importorskip("torch")
    X = torch.randn(200, 4, dtype=torch.float32) * 3 + 1e4
    est = skscale.StandardScaler().fit(X)
    assert est.transform(X).dtype == torch.float32
    assert est.inverse_transform(est.transform(X)).dtype == torch.float32
    assert est.mean_.dtype == torch.float64
    # Accumulated in float64: the same statistics as NumPy's float64 path.
    reference = skscale.StandardScaler().fit(X.numpy().astype(np.float64))
    assert_allclose(est.var_.numpy(), reference.var_, rtol=1e-12)


def test_other_namespace_or_device_is_refused(dispatch):
    X = strict_array(np.ones((4, 2)), device="device1")
    est = skscale.StandardScaler().fit(X)
    message = "StandardScaler.transform\\(\\) must use the same namespace"
    with pytest.raises(ValueError, match=message):
        est.transform(np.ones((4, 2)))
    with pytest.raises(ValueError, match="same namespace"):
        est.transform(strict_array(np.ones((4, 2))))
    before = to_numpy(est.mean_).copy()
    with pytest.raises(ValueError, match="partial_fit\\(\\) must use the same"):
        est.partial_fit(np.ones((4, 2)))
    assert_array_equal(to_numpy(est.mean_), before)
    other = skscale.StandardScaler().fit(np.ones((4, 2)))
    with pytest.raises(ValueError, match="different namespaces or devices"):
        est.merge(other)
    merged = est.merge(est)
    assert merged.n_samples_seen_ == 8
    assert merged.mean_.device == array_api_strict.Device("device1")


def test_bad_input_is_named_and_changes_nothing(dispatch):
    X = strict_array(np.arange(12.0).reshape(4, 3))
    est = skscale.StandardScaler().fit(X)
    bad = np.arange(12.0).reshape(4, 3)
    bad[2, 1] = np.inf
    with pytest.raises(ValueError, match="column 1"):
        est.transform(strict_array(bad))
    before = to_numpy(est.mean_).copy()
    with pytest.raises(ValueError, match="column 1"):
        est.partial_fit(strict_array(bad))
    assert_array_equal(to_numpy(est.mean_), before)
    assert est.n_samples_seen_ == 4
    with pytest.raises(ValueError, match="3 features"):
        est.transform(strict_array(np.ones((2, 2))))
    complex_X = strict_array(np.ones((4, 3)) + 1j)
    with pytest.raises(ValueError, match="Complex data not supported"):
        est.partial_fit(complex_X)
    with pytest.raises(ValueError, match="Complex data not supported"):
        est.transform(complex_X)
    assert est.n_samples_seen_ == 4


def test_saved_document_is_the_numpy_one(dispatch, tmp_path):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(50, 3))
    est = skscale.MinMaxScaler().fit(strict_array(X))
    document = skscale.to_dict(est)
    json.dumps(document)  # plain JSON: Python floats
    assert document == skscale.to_dict(skscale.MinMaxScaler().fit(X))
    skscale.dump(est, tmp_path / "scaler.json")
    loaded = skscale.load(tmp_path / "scaler.json")
    assert isinstance(loaded.scale_, np.ndarray)
    assert_array_equal(loaded.scale_, to_numpy(est.scale_))


def test_old_scikit_learn_is_named(dispatch, monkeypatch):
    monkeypatch.setattr(_array_api, "MIN_SKLEARN", (99, 0))
    with pytest.raises(ImportError, match=r"scikit-learn >= 99\.0"):
        skscale.StandardScaler().fit(strict_array(np.ones((3, 2))))


def test_minibatch_standardizer_is_batchnorm1d_in_torch(dispatch):
    # The running statistics of torch's BatchNorm1d, with every batch, output
    # and fitted attribute a torch tensor.
    torch = pytest.importorskip("torch")
    generator = torch.Generator().manual_seed(7)
    n_features = 6
    layer = torch.nn.BatchNorm1d(n_features, momentum=0.1, affine=False)
    est = skscale.MiniBatchStandardizer(
        momentum=0.1, bias_correction=False, ddof=1, eps=1e-5
    )
    layer.train()
    for step in range(25):
        batch = torch.randn(32, n_features, generator=generator) * (1 + step % 4)
        batch = batch + step * 0.3
        with torch.no_grad():
            layer(batch)
        est.partial_fit(batch)
    assert isinstance(est.mean_, torch.Tensor)
    torch.testing.assert_close(
        est.mean_, layer.running_mean.double(), rtol=1e-5, atol=1e-6
    )
    torch.testing.assert_close(est.var_, layer.running_var.double(), rtol=1e-5, atol=0)
    layer.eval()
    test = torch.randn(50, n_features, generator=generator)
    with torch.no_grad():
        expected = layer(test)
    out = est.transform(test)
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float32
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)


def test_numpy_work_imports_no_array_api_library():
    # array-api-compat is imported only when dispatch is on and an array of
    # another library arrives; dispatch on with NumPy arrays needs none.
    code = (
        "import sys, numpy, sklearn, skscale\n"
        "X = numpy.ones((4, 2))\n"
        "skscale.StandardScaler().fit(X).transform(X)\n"
        "with sklearn.config_context(array_api_dispatch=True):\n"
        "    skscale.MinMaxScaler().fit(X).transform(X)\n"
        "assert 'array_api_compat' not in sys.modules, 'array_api_compat imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("est", ARRAY_API_ESTIMATORS, ids=IDS)
def test_a_loaded_scaler_moves_to_a_device_and_back(est, dispatch, tmp_path):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    X = rng.normal(loc=5.0, size=(60, 3))
    fitted = sklearn.clone(est).fit(X)
    skscale.dump(fitted, tmp_path / "scaler.json")
    loaded = skscale.load(tmp_path / "scaler.json")
    moved = skscale.to_namespace(loaded, torch, "cpu")
    assert isinstance(loaded.scale_, np.ndarray)  # the original is unchanged
    assert isinstance(moved.scale_, torch.Tensor)
    out = moved.transform(torch.from_numpy(X))
    assert isinstance(out, torch.Tensor)
    assert_array_equal(out.numpy(), fitted.transform(X))
    # Training goes on on the device, as on the host.
    moved.partial_fit(torch.from_numpy(X[:10]))
    fitted.partial_fit(X[:10])
    assert_allclose(to_numpy(moved.scale_), fitted.scale_, rtol=1e-14)
    back = skscale.to_namespace(moved, np)
    assert isinstance(back.scale_, np.ndarray)
    on_device = moved.transform(torch.from_numpy(X))
    assert_array_equal(back.transform(X), to_numpy(on_device))


def test_to_namespace_copies_what_holds_no_arrays():
    normalizer = skscale.UnitLengthNormalizer().fit(np.ones((2, 2)))
    moved = skscale.to_namespace(normalizer, array_api_strict)
    assert moved is not normalizer and moved.n_features_in_ == 2
    # Its later calls expect the new namespace, as a moved scaler's do.
    with sklearn.config_context(array_api_dispatch=True):
        out = moved.transform(strict_array(np.array([[3.0, 4.0]])))
        assert_allclose(to_numpy(out), [[0.6, 0.8]])
        with pytest.raises(ValueError, match="same namespace"):
            moved.transform(np.ones((1, 2)))
        back = skscale.to_namespace(moved, np)
        assert isinstance(back.transform(np.ones((1, 2))), np.ndarray)
    unfitted = skscale.to_namespace(skscale.StandardScaler(), array_api_strict)
    assert not hasattr(unfitted, "mean_")


@pytest.mark.parametrize("est", ROW_NORMALIZERS, ids=repr)
def test_row_normalizers_work_on_the_device(est, dispatch):
    rng = np.random.default_rng(4)
    X = rng.normal(loc=1e6, size=(30, 5))
    X[3, 2] = np.nan
    X[4] = 0.0
    fitted = sklearn.clone(est).fit(strict_array(X, device="device1"))
    out = fitted.transform(strict_array(X, device="device1"))
    assert out.device == array_api_strict.Device("device1")
    expected = sklearn.clone(est).fit(X).transform(X)
    assert_allclose(to_numpy(out), expected, rtol=1e-12, atol=1e-12)
    # Unfitted (a row normalizer needs no fit), any device is taken.
    out = sklearn.clone(est).transform(strict_array(X))
    assert_allclose(to_numpy(out), expected, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="transform\\(\\) must use the same"):
        fitted.transform(X)
    bad = X.copy()
    bad[1, 4] = -np.inf
    with pytest.raises(ValueError, match="column 4"):
        fitted.transform(strict_array(bad, device="device1"))


@pytest.mark.parametrize("est", ALL, ids=[repr(est) for est in ALL])
def test_a_refit_on_numpy_forgets_the_device(est, dispatch):
    X = np.arange(12.0).reshape(4, 3)
    est = sklearn.clone(est).fit(strict_array(X, device="device1"))
    est.fit(X)
    assert "_space" not in vars(est)
    assert isinstance(est.transform(X), np.ndarray)
    for value in vars(est).values():
        assert not type(value).__module__.startswith("array_api_strict")


@pytest.mark.parametrize("est", ALL, ids=[repr(est) for est in ALL])
def test_partial_fit_on_numpy_after_a_device_fit_is_refused(est):
    X = np.arange(12.0).reshape(4, 3)
    with sklearn.config_context(array_api_dispatch=True):
        fitted = sklearn.clone(est).fit(strict_array(X))
    # Dispatch off, a NumPy batch cannot join statistics kept for a device.
    with pytest.raises(ValueError, match="fitted on arrays of array_api_strict"):
        fitted.partial_fit(X)


@pytest.mark.parametrize("offset", [1e9, 1e15])
def test_device_batches_against_exact_arithmetic(offset, dispatch):
    # partial_fit in batches of 7 on the device, far from zero, against the
    # exact rational statistics of the stored values.
    from fractions import Fraction

    x = offset + np.random.default_rng(6).normal(size=(700, 1))
    est = skscale.StandardScaler()
    for start in range(0, len(x), 7):
        est.partial_fit(strict_array(x[start : start + 7]))
    values = [Fraction(float(v)) for v in x[:, 0]]
    mean = sum(values) / len(values)
    var = sum((v - mean) ** 2 for v in values) / len(values)
    assert abs(float((Fraction(float(to_numpy(est.var_)[0])) - var) / var)) < 1e-12
    std = float(var) ** 0.5
    error = abs(Fraction(float(to_numpy(est.mean_)[0])) - mean)
    mean_ = float(to_numpy(est.mean_)[0])
    assert float(error) <= np.spacing(abs(mean_)) + 4 * np.finfo(float).eps * std
