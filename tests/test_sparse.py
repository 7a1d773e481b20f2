"""Sparse input: the scalers that do not center keep the type, format and pattern."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import sparse
from sklearn.base import clone

from skscale import (
    MaxAbsScaler,
    MeanNormalizationScaler,
    MinMaxScaler,
    StandardScaler,
    UnitLengthNormalizer,
)

SPARSE_TYPES = [
    sparse.csr_matrix,
    sparse.csc_matrix,
    sparse.csr_array,
    sparse.csc_array,
]
sparse_types = pytest.mark.parametrize(
    "sparse_type", SPARSE_TYPES, ids=[t.__name__ for t in SPARSE_TYPES]
)

SPARSE_SCALERS = {
    "StandardScaler(with_mean=False)": StandardScaler(with_mean=False),
    "StandardScaler(with_mean=False, ddof=1)": StandardScaler(with_mean=False, ddof=1),
    "StandardScaler(with_mean=False, with_std=False)": StandardScaler(
        with_mean=False, with_std=False
    ),
    "MaxAbsScaler": MaxAbsScaler(),
    "MaxAbsScaler(clip=True)": MaxAbsScaler(clip=True),
}
NORMALIZERS = {
    f"UnitLengthNormalizer(norm={norm!r})": UnitLengthNormalizer(norm=norm)
    for norm in ["l1", "l2", "max", 3, np.inf]
}
SPARSE_ESTIMATORS = {**SPARSE_SCALERS, **NORMALIZERS}
sparse_estimators = pytest.mark.parametrize(
    "estimator", SPARSE_ESTIMATORS.values(), ids=list(SPARSE_ESTIMATORS)
)
sparse_scalers = pytest.mark.parametrize(
    "estimator", SPARSE_SCALERS.values(), ids=list(SPARSE_SCALERS)
)
# Each scaler that centers, with the alternative its error message must suggest.
CENTERING = {
    "MinMaxScaler": (MinMaxScaler(), "MaxAbsScaler"),
    "MeanNormalizationScaler": (MeanNormalizationScaler(), "MaxAbsScaler"),
    "StandardScaler": (StandardScaler(), "with_mean=False"),
    "StandardScaler(with_std=False)": (
        StandardScaler(with_std=False),
        "with_mean=False",
    ),
}
centering = pytest.mark.parametrize(
    "estimator, advice", CENTERING.values(), ids=list(CENTERING)
)
weightings = pytest.mark.parametrize(
    "weighted", [False, True], ids=["unweighted", "weighted"]
)


def sparse_data(seed=0, n=30, p=6, nan=True):
    """A CSR matrix with an all-zero column, a full row of entries and NaNs.

    Some NaN and some explicit zeros are stored, so the pattern is not the set
    of non-zero values.
    """
    rng = np.random.default_rng(seed)
    X = sparse.random(n, p, density=0.35, format="csr", random_state=rng)
    X.data = rng.normal(0.0, 5.0, size=X.nnz)
    X = X.tolil()
    X[:, p - 1] = 0.0  # a column with no stored entry
    X[0, : p - 1] = rng.normal(size=p - 1)  # a full row
    X = X.tocsr()
    X.data[1] = 0.0  # an explicit zero
    if nan:
        X.data[[3, 7, 12]] = np.nan
    X.sort_indices()
    return X


def weights(n=30, seed=1):
    w = np.random.default_rng(seed).uniform(0.2, 3.0, size=n)
    w[4] = 0.0
    return w


def assert_same_pattern(out, X):
    assert type(out) is type(X)
    assert out.format == X.format
    assert out.shape == X.shape
    assert_array_equal(out.indices, X.indices)
    assert_array_equal(out.indptr, X.indptr)


# -- transform -----------------------------------------------------------------


@sparse_estimators
@sparse_types
@weightings
@pytest.mark.parametrize("nan", [False, True], ids=["finite", "with-nan"])
def test_transform_keeps_pattern_and_matches_dense(
    estimator, sparse_type, weighted, nan
):
    X = sparse_type(sparse_data(nan=nan))
    w = weights() if weighted else None
    est = clone(estimator).fit(X, sample_weight=w)
    out = est.transform(X)
    assert_same_pattern(out, X)
    dense = clone(estimator).fit(X.toarray(), sample_weight=w).transform(X.toarray())
    assert_allclose(out.toarray(), dense, rtol=1e-13, atol=1e-15)


@sparse_estimators
@sparse_types
def test_transform_of_new_data_matches_dense(estimator, sparse_type):
    X = sparse_type(sparse_data(seed=0))
    new = sparse_type(3.0 * sparse_data(seed=5))
    out = clone(estimator).fit(X).transform(new)
    assert_same_pattern(out, new)
    dense = clone(estimator).fit(X.toarray()).transform(new.toarray())
    assert_allclose(out.toarray(), dense, rtol=1e-13, atol=1e-15)


@sparse_estimators
@sparse_types
def test_fit_transform_keeps_pattern_and_matches_dense(estimator, sparse_type):
    X = sparse_type(sparse_data())
    out = clone(estimator).fit_transform(X)
    assert_same_pattern(out, X)
    dense = clone(estimator).fit_transform(X.toarray())
    assert_allclose(out.toarray(), dense, rtol=1e-13, atol=1e-15)


@sparse_estimators
@sparse_types
def test_float32_sparse_stays_float32(estimator, sparse_type):
    X = sparse_type(sparse_data()).astype(np.float32)
    out = clone(estimator).fit(X).transform(X)
    assert out.dtype == np.float32
    assert_same_pattern(out, X)
    dense = X.toarray().astype(np.float64)
    expected = clone(estimator).fit(dense).transform(dense)
    assert_allclose(out.toarray(), expected, rtol=1e-5, atol=1e-6)


@sparse_estimators
@sparse_types
def test_integer_sparse_gives_float64(estimator, sparse_type):
    X = sparse_type(np.array([[0, 2, 0], [-3, 0, 1], [0, 0, 4]]))
    out = clone(estimator).fit(X).transform(X)
    assert out.dtype == np.float64
    assert_same_pattern(out, X)
    expected = clone(estimator).fit_transform(X.toarray().astype(np.float64))
    assert_allclose(out.toarray(), expected, rtol=1e-15)


# Every estimator but the identity map (which sums duplicates correctly).
DUPLICATE_CASES = {
    k: v
    for k, v in SPARSE_ESTIMATORS.items()
    if k != "StandardScaler(with_mean=False, with_std=False)"
}


@pytest.mark.parametrize(
    "estimator", DUPLICATE_CASES.values(), ids=list(DUPLICATE_CASES)
)
@sparse_types
def test_duplicate_entries_are_summed_like_scipy(estimator, sparse_type):
    # Row 0 stores (0, 0) twice, 2 + 2 = 4; row 1 stores (1, 0) as 1 - 1 = 0.
    X = sparse.csr_matrix(
        (
            np.array([2.0, 2.0, 3.0, 1.0, -1.0, 2.0]),
            np.array([0, 0, 1, 0, 0, 1]),
            np.array([0, 3, 6]),
        ),
        shape=(2, 2),
    )
    assert not X.has_canonical_format
    X = sparse_type(X)
    out = clone(estimator).fit(X).transform(X)
    dense = clone(estimator).fit_transform(X.toarray())
    assert_allclose(out.toarray(), dense, rtol=1e-13)


# -- fitted statistics ---------------------------------------------------------

STATISTICS = {
    "StandardScaler(with_mean=False)": (
        StandardScaler(with_mean=False),
        ["mean_", "var_", "scale_", "center_"],
    ),
    "StandardScaler(with_mean=False, ddof=1)": (
        StandardScaler(with_mean=False, ddof=1),
        ["mean_", "var_", "scale_", "center_"],
    ),
    "MaxAbsScaler": (MaxAbsScaler(), ["max_abs_", "scale_", "center_"]),
}


@pytest.mark.parametrize(
    "estimator, attributes", STATISTICS.values(), ids=list(STATISTICS)
)
@sparse_types
@weightings
@pytest.mark.parametrize("nan", [False, True], ids=["finite", "with-nan"])
def test_fitted_statistics_equal_dense(
    estimator, attributes, sparse_type, weighted, nan
):
    X = sparse_type(sparse_data(nan=nan))
    w = weights() if weighted else None
    from_sparse = clone(estimator).fit(X, sample_weight=w)
    from_dense = clone(estimator).fit(X.toarray(), sample_weight=w)
    for name in attributes:
        assert_allclose(
            getattr(from_sparse, name),
            getattr(from_dense, name),
            rtol=1e-13,
            atol=1e-15,
            err_msg=name,
        )
    assert from_sparse.n_samples_seen_ == from_dense.n_samples_seen_
    assert_array_equal(from_sparse.stats_.count, from_dense.stats_.count)
    assert_allclose(from_sparse.stats_.weight, from_dense.stats_.weight, rtol=1e-15)


@pytest.mark.parametrize(
    "estimator, attributes", STATISTICS.values(), ids=list(STATISTICS)
)
@sparse_types
def test_partial_fit_on_sparse_batches_equals_dense_fit(
    estimator, attributes, sparse_type
):
    X = sparse_data()
    streamed = clone(estimator)
    for start, stop in [(0, 7), (7, 8), (8, 30)]:
        streamed.partial_fit(sparse_type(X[start:stop]))
    whole = clone(estimator).fit(X.toarray())
    for name in attributes:
        assert_allclose(
            getattr(streamed, name),
            getattr(whole, name),
            rtol=1e-13,
            atol=1e-15,
            err_msg=name,
        )


# -- copy ------------------------------------------------------------------------


@sparse_estimators
@sparse_types
@pytest.mark.parametrize("how", ["parameter", "argument"])
def test_copy_false_modifies_sparse_data_in_place(estimator, sparse_type, how):
    X = sparse_type(sparse_data())
    expected = clone(estimator).fit(X).transform(X).toarray()
    if how == "parameter":
        est = clone(estimator).set_params(copy=False).fit(X)
        out = est.transform(X)
    else:
        est = clone(estimator).fit(X)
        out = est.transform(X, copy=False)
    assert np.shares_memory(out.data, X.data)
    assert_allclose(X.toarray(), expected, rtol=1e-15)


@sparse_estimators
@sparse_types
def test_copy_true_leaves_sparse_input_alone(estimator, sparse_type):
    X = sparse_type(sparse_data())
    original = X.toarray()
    clone(estimator).fit(X).transform(X)
    assert_array_equal(X.toarray(), original)


@sparse_scalers
@sparse_types
def test_inverse_transform_copy_false_in_place(estimator, sparse_type):
    X = sparse_type(sparse_data())
    est = clone(estimator).fit(X)
    scaled = est.transform(X)
    back = est.inverse_transform(scaled, copy=False)
    assert np.shares_memory(back.data, scaled.data)
    assert_allclose(scaled.toarray(), X.toarray(), rtol=1e-13, atol=1e-15)


# -- inverse_transform ---------------------------------------------------------


@sparse_scalers
@sparse_types
@weightings
def test_inverse_transform_round_trip(estimator, sparse_type, weighted):
    X = sparse_type(sparse_data())
    w = weights() if weighted else None
    est = clone(estimator).fit(X, sample_weight=w)
    back = est.inverse_transform(est.transform(X))
    assert_same_pattern(back, X)
    assert_allclose(back.toarray(), X.toarray(), rtol=1e-13, atol=1e-15)


@sparse_scalers
@sparse_types
def test_inverse_transform_matches_dense(estimator, sparse_type):
    X = sparse_type(sparse_data())
    scaled = sparse_type(sparse_data(seed=3))
    out = clone(estimator).fit(X).inverse_transform(scaled)
    assert_same_pattern(out, scaled)
    dense = clone(estimator).fit(X.toarray()).inverse_transform(scaled.toarray())
    assert_allclose(out.toarray(), dense, rtol=1e-13, atol=1e-15)


# -- scalers that center refuse sparse input -----------------------------------


@centering
@sparse_types
@pytest.mark.parametrize("method", ["fit", "partial_fit", "fit_transform"])
def test_centering_scalers_refuse_sparse_fit(estimator, advice, sparse_type, method):
    X = sparse_type(sparse_data(nan=False))
    est = clone(estimator)
    with pytest.raises(ValueError, match="sparse") as error:
        getattr(est, method)(X)
    assert advice in str(error.value)
    assert "toarray()" in str(error.value)
    assert not hasattr(est, "n_features_in_")


@centering
@sparse_types
@pytest.mark.parametrize("method", ["transform", "inverse_transform"])
def test_centering_scalers_refuse_sparse_transform(
    estimator, advice, sparse_type, method
):
    X = sparse_data(nan=False)
    est = clone(estimator).fit(X.toarray())
    with pytest.raises(ValueError, match="sparse") as error:
        getattr(est, method)(sparse_type(X))
    assert advice in str(error.value)
    assert "toarray()" in str(error.value)
