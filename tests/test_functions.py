"""The function forms: scikit-learn's signatures and results, estimator calls."""

import inspect
import warnings

import numpy as np
import pytest
import sklearn
import sklearn.preprocessing as skp
from numpy.testing import assert_allclose, assert_array_equal
from scipy import sparse

import skscale

# skscale function -> (scikit-learn's function, the estimator it calls)
SKLEARN_FUNCTIONS = {
    "scale": skp.scale,
    "minmax_scale": skp.minmax_scale,
    "maxabs_scale": skp.maxabs_scale,
    "normalize": skp.normalize,
}
FUNCTIONS = [*SKLEARN_FUNCTIONS, "mean_normalize", "layer_normalize"]


def data(rng, n=30, p=5):
    return rng.normal(loc=[0.0, 3.0, -20.0, 1e4, 0.5][:p], size=(n, p))


@pytest.mark.parametrize("name", SKLEARN_FUNCTIONS)
def test_signature_is_scikit_learns(name):
    ours = inspect.signature(getattr(skscale, name))
    theirs = inspect.signature(SKLEARN_FUNCTIONS[name])
    assert list(ours.parameters) == list(theirs.parameters)
    for param in theirs.parameters.values():
        mine = ours.parameters[param.name]
        assert (mine.kind, mine.default) == (param.kind, param.default), param.name


CASES = [
    ("scale", {}),
    ("scale", {"axis": 1}),
    ("scale", {"with_mean": False}),
    ("scale", {"with_std": False, "axis": 1}),
    ("minmax_scale", {}),
    ("minmax_scale", {"feature_range": (-3, 2), "axis": 1}),
    ("maxabs_scale", {}),
    ("maxabs_scale", {"axis": 1}),
    ("normalize", {}),
    ("normalize", {"norm": "l1", "axis": 0}),
    ("normalize", {"norm": "max"}),
]


@pytest.mark.parametrize("name, kwargs", CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_results_equal_scikit_learns(name, kwargs, dtype, rng):
    # scikit-learn computes float32 in float32 (and loses digits on the column
    # far from zero); skscale in float64: compare with its float64 result.
    X = data(rng).astype(dtype)
    ours = getattr(skscale, name)(X, **kwargs)
    assert type(ours) is np.ndarray and ours.dtype == dtype
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # its float32 centring
        assert SKLEARN_FUNCTIONS[name](X, **kwargs).dtype == dtype
    theirs = SKLEARN_FUNCTIONS[name](X.astype(np.float64), **kwargs)
    rtol = 1e-12 if dtype == np.float64 else 2e-7
    assert_allclose(ours, theirs, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("name", ["scale", "minmax_scale", "maxabs_scale"])
def test_one_dimensional_input_is_one_feature(name, rng):
    x = rng.normal(5.0, 2.0, size=20)
    out = getattr(skscale, name)(x)
    assert out.shape == x.shape
    assert_allclose(out, SKLEARN_FUNCTIONS[name](x), rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match="axis=1 needs a 2-D array"):
        getattr(skscale, name)(x, axis=1)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("scale", {"with_mean": False}),
        ("maxabs_scale", {}),
        ("maxabs_scale", {"axis": 1}),
        ("normalize", {}),
        ("normalize", {"norm": "l1", "axis": 0}),
    ],
)
def test_sparse_input_stays_sparse(name, kwargs, fmt, rng):
    X = sparse.random(40, 6, density=0.3, format=fmt, random_state=0) * 10 - 0
    ours = getattr(skscale, name)(X, **kwargs)
    theirs = SKLEARN_FUNCTIONS[name](X, **kwargs)
    assert sparse.issparse(ours)
    assert_allclose(ours.toarray(), theirs.toarray(), rtol=1e-12)


def test_sparse_scale_refuses_centring_and_rows(rng):
    X = sparse.random(10, 3, density=0.5, format="csr", random_state=0)
    with pytest.raises(ValueError, match="with_mean=False"):
        skscale.scale(X)
    with pytest.raises(ValueError, match="axis=0"):
        skscale.scale(X, with_mean=False, axis=1)


def test_scale_on_rows_is_layer_normalization(rng):
    X = data(rng, n=50, p=5).T.copy()  # rows far from zero and near it
    X[3, 1] = np.nan
    X[4] = 7.0  # a constant row
    expected = skscale.LayerNormalizer().fit_transform(X)
    assert_allclose(skscale.scale(X, axis=1), expected, rtol=1e-14, atol=1e-15)
    assert_array_equal(skscale.layer_normalize(X), expected)
    assert_array_equal(skscale.scale(X, axis=1)[4], 0.0)


@pytest.mark.parametrize("kwargs", [{}, {"eps": 1e-5, "ddof": 1}, {"with_mean": False}])
def test_layer_normalize_calls_its_estimator(kwargs, rng):
    X = data(rng)
    assert_array_equal(
        skscale.layer_normalize(X, **kwargs),
        skscale.LayerNormalizer(**kwargs).fit_transform(X),
    )


@pytest.mark.parametrize("axis", [0, 1])
def test_mean_normalize_calls_its_estimator(axis, rng):
    X = data(rng)
    scaler = skscale.MeanNormalizationScaler()
    expected = scaler.fit_transform(X.T).T if axis else scaler.fit_transform(X)
    out = skscale.mean_normalize(X, axis=axis)
    assert_array_equal(out, expected)
    assert_allclose(out.mean(axis=axis), 0.0, atol=1e-12)


@pytest.mark.parametrize("norm", ["l1", "l2", "max", 3.0])
@pytest.mark.parametrize("axis", [0, 1])
def test_normalize_returns_the_norms(norm, axis, rng):
    X = data(rng)
    X[2] = 0.0  # a zero row: norm 1, as scikit-learn returns it
    X[:, 1] = 0.0  # a zero column
    out, norms = skscale.normalize(X, norm=norm, axis=axis, return_norm=True)
    assert_array_equal(out, skscale.normalize(X, norm=norm, axis=axis))
    if norm != 3.0:
        theirs, their_norms = skp.normalize(X, norm=norm, axis=axis, return_norm=True)
        assert_allclose(norms, their_norms, rtol=1e-13)
        assert_allclose(out, theirs, rtol=1e-12)
    vectors = X if axis == 1 else X.T
    assert norms.shape == (vectors.shape[0],)
    assert_allclose(out if axis == 1 else out.T, vectors / norms[:, None], rtol=1e-13)


def test_normalize_returns_sparse_norms_where_scikit_learn_cannot(rng):
    X = sparse.random(20, 5, density=0.4, format="csr", random_state=1)
    out, norms = skscale.normalize(X, return_norm=True)
    assert_allclose(norms, skp.normalize(X.toarray(), return_norm=True)[1], rtol=1e-13)
    assert sparse.issparse(out)


@pytest.mark.parametrize(
    "name", ["scale", "minmax_scale", "maxabs_scale", "mean_normalize"]
)
@pytest.mark.parametrize("axis", [0, 1])
def test_copy_false_scales_in_place(name, axis, rng):
    X = data(rng)
    expected = getattr(skscale, name)(X, axis=axis)
    out = getattr(skscale, name)(X, axis=axis, copy=False)
    assert_allclose(out, expected, rtol=1e-14)
    assert np.shares_memory(out, X)
    assert_allclose(X, expected, rtol=1e-14)


def test_copy_true_leaves_the_input_alone(rng):
    X = data(rng)
    before = X.copy()
    for name in FUNCTIONS:
        getattr(skscale, name)(X)
    assert_array_equal(X, before)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_output_is_an_array_whatever_set_output_says(name, rng):
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame(data(rng), columns=list("abcde"))
    with sklearn.config_context(transform_output="pandas"):
        out = getattr(skscale, name)(X)
    assert isinstance(out, np.ndarray)


@pytest.mark.parametrize("name", [f for f in FUNCTIONS if f != "layer_normalize"])
@pytest.mark.parametrize("axis", [2, -1, True, "0"])
def test_a_bad_axis_is_named(name, axis, rng):
    with pytest.raises(ValueError, match="axis must be 0 or 1"):
        getattr(skscale, name)(data(rng), axis=axis)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_bad_input_gets_the_estimators_clear_error(name):
    with pytest.raises(ValueError, match="inf"):
        getattr(skscale, name)([[1.0, np.inf], [2.0, 3.0]])


@pytest.mark.parametrize("name", [f for f in FUNCTIONS if f != "normalize"])
def test_an_error_names_the_dataframe_column(name, rng):
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame(data(rng), columns=list("abcde"))
    X.loc[3, "c"] = np.inf
    with pytest.raises(ValueError, match="feature 'c'"):
        getattr(skscale, name)(X)
