"""LayerNormalizer: each row standardized across its features, exactly."""

import math
import warnings
from fractions import Fraction

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import sparse

from skscale import LayerNormalizer, StandardScaler
from skscale._cli import main
from skscale._persistence import dump, load


def numpy_formula(X, eps=0.0, ddof=0, with_mean=True, with_std=True):
    """The formula, row by row, with NaN left out."""
    mean = np.nanmean(X, axis=1, keepdims=True)
    count = np.sum(~np.isnan(X), axis=1, keepdims=True)
    squares = np.nansum((X - mean) ** 2, axis=1, keepdims=True)
    with np.errstate(all="ignore"):
        var = np.where(count > ddof, squares / (count - ddof), 0.0)
    scale = np.sqrt(var + eps) if with_std else np.ones_like(var)
    scale = np.where(scale == 0, 1.0, scale)
    return ((X - mean) if with_mean else X) / scale


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"eps": 1e-5},
        {"ddof": 1},
        {"with_mean": False},
        {"with_std": False},
        {"eps": 0.3, "ddof": 1, "with_mean": False},
    ],
)
def test_equals_the_formula(params, rng):
    X = rng.normal(3.0, 2.0, size=(200, 17))
    X[rng.random(X.shape) < 0.1] = np.nan
    out = LayerNormalizer(**params).fit_transform(X)
    assert_allclose(out, numpy_formula(X, **params), rtol=1e-12, atol=1e-12)


def test_rows_do_not_depend_on_each_other(rng):
    X = rng.normal(size=(50, 6))
    whole = LayerNormalizer().fit_transform(X)
    for i in (0, 17, 49):
        assert_array_equal(LayerNormalizer().fit_transform(X[i : i + 1])[0], whole[i])


@pytest.mark.parametrize("offset", [1e6, 1e9, 1e12])
def test_exact_for_a_large_offset(offset, rng):
    X = offset + rng.normal(size=(4, 9))
    out = LayerNormalizer().fit_transform(X)
    for row, got in zip(X, out, strict=True):
        exact = [Fraction(v) for v in row]
        mean = sum(exact) / len(exact)
        std = math.sqrt(sum((v - mean) ** 2 for v in exact) / len(exact))
        expected = np.array([float(v - mean) / std for v in exact])
        assert np.max(np.abs(got - expected)) <= 1e-9
    # The NumPy one-liner loses digits there.
    if offset >= 1e12:
        naive = (X - X.mean(1, keepdims=True)) / X.std(1, keepdims=True)
        assert np.max(np.abs(naive - out)) > 1e-7


def test_constant_rows_become_zeros_and_nan_stays_nan():
    X = np.array(
        [
            [5.0, 5.0, 5.0],
            [np.nan, np.nan, np.nan],
            [1.0, np.nan, 3.0],
            [7.0, np.nan, np.nan],
        ]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = LayerNormalizer().fit_transform(X)
    assert_array_equal(out[0], [0.0, 0.0, 0.0])
    assert np.isnan(out[1]).all()
    assert_allclose(out[2], [-1.0, np.nan, 1.0])
    assert_array_equal(out[3], [0.0, np.nan, np.nan])
    # With eps > 0, the usual formula: a constant row is still zeros.
    assert_array_equal(LayerNormalizer(eps=1.0).fit_transform(X[:1]), [[0, 0, 0]])
    # A row with at most ddof entries is centred, not divided.
    assert_array_equal(
        LayerNormalizer(ddof=1).fit_transform(X[3:]), [[0, np.nan, np.nan]]
    )


def test_infinity_is_refused(rng):
    X = rng.normal(size=(3, 4))
    X[1, 2] = np.inf
    with pytest.raises(ValueError, match="inf"):
        LayerNormalizer().fit_transform(X)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_narrow_floats_stay_narrow(dtype, rng):
    X = rng.normal(10.0, 3.0, size=(40, 8)).astype(dtype)
    out = LayerNormalizer().fit_transform(X)
    assert out.dtype == dtype
    expected = numpy_formula(X.astype(np.float64)).astype(dtype)
    assert_allclose(out, expected, rtol=0, atol=float(np.finfo(dtype).eps) * 8)


@pytest.mark.parametrize("format", ["csr", "csc"])
def test_sparse_without_centering_equals_dense(format, rng):
    X = sparse.random(30, 12, density=0.3, format=format, random_state=0)
    out = LayerNormalizer(with_mean=False, eps=0.1, ddof=1).fit_transform(X)
    assert sparse.issparse(out)
    expected = numpy_formula(X.toarray(), eps=0.1, ddof=1, with_mean=False)
    assert_allclose(out.toarray(), expected, rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match=r"cannot take sparse input.*with_mean=False"):
        LayerNormalizer().fit(X)


def test_axis_one_of_scale_is_the_transpose_of_standard_scaler(rng):
    X = rng.normal(size=(20, 7))
    by_rows = LayerNormalizer().fit_transform(X)
    by_columns = StandardScaler().fit_transform(X.T).T
    assert_allclose(by_rows, by_columns, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("dtype, tolerance", [("float32", 1e-6), ("float64", 1e-12)])
def test_equals_torch_layer_norm(dtype, tolerance, rng):
    torch = pytest.importorskip("torch")
    X = rng.normal(2.0, 3.0, size=(64, 10)).astype(dtype)
    ours = LayerNormalizer(eps=1e-5).fit_transform(X)
    theirs = torch.nn.functional.layer_norm(torch.from_numpy(X), (10,), eps=1e-5)
    assert_allclose(ours, theirs.numpy(), rtol=tolerance, atol=tolerance)


def test_dask_is_lazy_and_equal(rng):
    da = pytest.importorskip("dask.array")
    import dask

    X = rng.normal(size=(90, 5))
    X[3, 1] = np.nan
    with dask.config.set(scheduler="sync"):
        est = LayerNormalizer(eps=1e-3).fit(da.from_array(X, chunks=(25, 5)))
        out = est.transform(da.from_array(X, chunks=(25, 5)))
        assert isinstance(out, da.Array)
        assert_allclose(out.compute(), LayerNormalizer(eps=1e-3).fit_transform(X))


def test_saved_and_loaded(tmp_path):
    est = LayerNormalizer(eps=1e-5, ddof=1, with_mean=False).fit([[1.0, 2.0, 4.0]])
    dump(est, tmp_path / "layer.json")
    loaded = load(tmp_path / "layer.json")
    assert loaded.get_params() == est.get_params()
    assert loaded.n_features_in_ == 3
    assert_array_equal(
        loaded.transform([[2.0, 4.0, 8.0]]), est.transform([[2.0, 4.0, 8.0]])
    )


def test_command_line_fit_and_transform(tmp_path, capsys):
    data = tmp_path / "spectra.csv"
    data.write_text("id,w1,w2,w3\nA,1,2,3\nB,10,10,10\n")
    assert main(["fit", str(data), "--scaler", "layer", "--exclude", "id",
                 "--param", "eps=0", "-o", str(tmp_path / "l.json")]) == 0  # fmt: skip
    assert main(["transform", str(data), "--scaler", str(tmp_path / "l.json"),
                 "-o", str(tmp_path / "o.csv")]) == 0  # fmt: skip
    capsys.readouterr()
    lines = (tmp_path / "o.csv").read_text().splitlines()
    assert lines[0] == "id,w1,w2,w3"
    assert lines[1].startswith("A,-1.224744871391589,0.0,1.224744871391589")
    assert lines[2] == "B,0.0,0.0,0.0"


@pytest.mark.parametrize(
    "params, message",
    [
        ({"eps": -1.0}, "eps must be"),
        ({"eps": float("nan")}, "eps must be"),
        ({"ddof": "1"}, "ddof must be"),
        ({"ddof": 10**400}, "ddof must be"),
        ({"with_mean": "yes"}, "with_mean must be"),
    ],
)
def test_bad_parameters_are_named(params, message):
    with pytest.raises(ValueError, match=message):
        LayerNormalizer(**params).fit([[1.0, 2.0]])


def test_in_place_and_mixed_rows_equal_the_copy(rng):
    # Rows the fast path takes, and rows it hands back to the core: NaN, a
    # first entry far from the mean, tiny deviations, a huge offset.
    X = rng.normal(size=(40, 9))
    X[3, 4] = np.nan
    X[5] = [100.0, *rng.normal(size=8)]
    X[7] = 1e-200 * rng.normal(size=9)
    X[9] = 1e15 + rng.normal(size=9)
    expected = LayerNormalizer().fit_transform(X)
    for i in (3, 5, 20):
        assert_allclose(expected[i], numpy_formula(X[i : i + 1])[0], rtol=1e-9)
    # Standardizing does not depend on the unit: row 7 as if in units of 1e-200.
    assert_allclose(expected[7], numpy_formula(X[7:8] * 1e200)[0], rtol=1e-9)
    exact = [Fraction(v) for v in X[9]]
    mean = sum(exact) / len(exact)
    std = math.sqrt(sum((v - mean) ** 2 for v in exact) / len(exact))
    assert_allclose(expected[9], [float(v - mean) / std for v in exact], atol=1e-9)
    inplace = X.copy()
    out = LayerNormalizer(copy=False).fit(inplace).transform(inplace)
    assert out is inplace
    assert_allclose(out, expected, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("ddof", [3, 4, 7.5])
def test_ddof_at_or_beyond_the_row_length_centres_only(ddof, rng):
    X = rng.normal(size=(5, 3))
    X[1, 0] = np.nan
    out = LayerNormalizer(ddof=ddof).fit_transform(X)
    assert_allclose(out, X - np.nanmean(X, axis=1, keepdims=True), atol=1e-15)
