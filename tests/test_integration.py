"""scikit-learn integration: pipelines, search, clone, pickle and merge."""

import math
import pickle

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_diabetes, load_iris
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, KFold, ParameterGrid
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from skscale import (
    MaxAbsScaler,
    MeanNormalizationScaler,
    MinMaxScaler,
    StandardScaler,
    UnitLengthNormalizer,
)

from .conftest import EXACT_SCALERS, NORMALIZER, RUNNING_STANDARDIZER

COLUMN_SCALERS = EXACT_SCALERS
# Running statistics have no exact merge: in every table but the merge tests.
ESTIMATORS = [*COLUMN_SCALERS, RUNNING_STANDARDIZER, NORMALIZER]


def ids(estimators):
    return [repr(est) for est in estimators]


all_estimators = pytest.mark.parametrize("estimator", ESTIMATORS, ids=ids(ESTIMATORS))
column_scalers = pytest.mark.parametrize(
    "estimator", COLUMN_SCALERS, ids=ids(COLUMN_SCALERS)
)

# Non-default parameters of every estimator, and of the code paths they take.
CONFIGURED = [
    MinMaxScaler(feature_range=(-2, 5), clip=True, copy=False),
    MeanNormalizationScaler(copy=False),
    StandardScaler(with_mean=False, with_std=True, ddof=1, copy=False),
    StandardScaler(with_std=False, ddof=1.5),
    MaxAbsScaler(clip=True, copy=False),
    UnitLengthNormalizer(norm="l1", copy=False),
    UnitLengthNormalizer(norm=np.inf),
    UnitLengthNormalizer(norm=3.5),
]
configured = pytest.mark.parametrize(
    "estimator", CONFIGURED, ids=[repr(est) for est in CONFIGURED]
)


def iris():
    return load_iris(return_X_y=True)


def diabetes():
    return load_diabetes(return_X_y=True)


# -- Pipeline ------------------------------------------------------------------


@all_estimators
def test_pipeline_with_logistic_regression(estimator):
    X, y = iris()
    pipe = Pipeline(
        [("scale", clone(estimator)), ("clf", LogisticRegression(max_iter=1000))]
    ).fit(X, y)
    # The same two steps by hand.
    Xt = clone(estimator).fit_transform(X)
    clf = LogisticRegression(max_iter=1000).fit(Xt, y)
    assert_array_equal(pipe.predict(X), clf.predict(Xt))
    assert_allclose(pipe.predict_proba(X), clf.predict_proba(Xt), rtol=1e-12)
    assert pipe.score(X, y) == clf.score(Xt, y)


@all_estimators
def test_pipeline_with_ridge(estimator):
    X, y = diabetes()
    pipe = Pipeline([("scale", clone(estimator)), ("reg", Ridge())]).fit(X, y)
    Xt = clone(estimator).fit_transform(X)
    reg = Ridge().fit(Xt, y)
    assert_allclose(pipe.predict(X), reg.predict(Xt), rtol=1e-12)
    assert_allclose(pipe.named_steps["reg"].coef_, reg.coef_, rtol=1e-12)


@all_estimators
def test_pipeline_passes_sample_weight_to_the_scaler(estimator):
    X, y = diabetes()
    w = np.random.default_rng(0).uniform(0.1, 2.0, size=len(y))
    pipe = Pipeline([("scale", clone(estimator)), ("reg", Ridge())])
    pipe.fit(X, y, scale__sample_weight=w, reg__sample_weight=w)
    Xt = clone(estimator).fit(X, sample_weight=w).transform(X)
    reg = Ridge().fit(Xt, y, sample_weight=w)
    assert_allclose(pipe.predict(X), reg.predict(Xt), rtol=1e-12)


# -- ColumnTransformer ---------------------------------------------------------


def mixed_frame():
    return pd.DataFrame(
        {
            "height": [1.62, 1.80, 1.75, 1.55, 1.90, 1.68],
            "weight": [55.0, 82.5, 70.0, 48.0, 95.0, 61.0],
            "colour": ["red", "blue", "red", "green", "blue", "red"],
        },
        index=[10, 20, 30, 40, 50, 60],
    )


@all_estimators
def test_column_transformer_with_pandas_output(estimator):
    X = mixed_frame()
    ct = ColumnTransformer(
        [
            ("num", clone(estimator), ["height", "weight"]),
            ("cat", OneHotEncoder(sparse_output=False), ["colour"]),
        ]
    ).set_output(transform="pandas")
    out = ct.fit_transform(X)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == [
        "num__height",
        "num__weight",
        "cat__colour_blue",
        "cat__colour_green",
        "cat__colour_red",
    ]
    pd.testing.assert_index_equal(out.index, X.index)
    numeric = X[["height", "weight"]].to_numpy()
    assert_allclose(
        out[["num__height", "num__weight"]].to_numpy(),
        clone(estimator).fit_transform(numeric),
        rtol=1e-15,
    )
    assert_array_equal(out["cat__colour_red"].to_numpy(), X["colour"] == "red")
    fitted = ct.named_transformers_["num"]
    assert_array_equal(fitted.feature_names_in_, ["height", "weight"])
    assert_array_equal(ct.get_feature_names_out(), out.columns)
    # transform on new rows gives what fit_transform gave on the same rows.
    assert_allclose(ct.transform(X.iloc[2:4]).to_numpy(), out.iloc[2:4].to_numpy())


# -- GridSearchCV --------------------------------------------------------------


def scaler_grid():
    return [
        MinMaxScaler(),
        MeanNormalizationScaler(),
        StandardScaler(),
        MaxAbsScaler(),
        UnitLengthNormalizer(),
        "passthrough",
    ]


def test_grid_search_over_the_scaler_step():
    X, y = iris()
    grid = scaler_grid()
    pipe = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())])
    pipe.set_params(clf__max_iter=2000)
    search = GridSearchCV(
        pipe, {"scale": grid}, cv=KFold(3, shuffle=True, random_state=0)
    )
    # One BLAS thread: unscaled, a fit is hundreds of tiny solver steps, which
    # waiting BLAS threads on a busy machine slow down many times over.
    with threadpool_limits(1):
        search.fit(X, y)
    assert len(search.cv_results_["params"]) == len(grid)
    assert [p["scale"] for p in search.cv_results_["params"]] == grid
    assert any(search.best_params_["scale"] is candidate for candidate in grid)
    scores = search.cv_results_["mean_test_score"]
    assert np.isfinite(scores).all()
    assert search.best_score_ == scores.max()
    best_step = search.best_estimator_.named_steps["scale"]
    if search.best_params_["scale"] == "passthrough":
        assert best_step == "passthrough"
    else:
        assert type(best_step) is type(search.best_params_["scale"])
        assert best_step is not search.best_params_["scale"]
    # The refitted best pipeline scores like the same pipeline fitted by hand.
    with threadpool_limits(1):
        by_hand = clone(pipe).set_params(scale=search.best_params_["scale"])
        by_hand.fit(X, y)
    assert search.best_estimator_.score(X, y) == by_hand.score(X, y)
    assert math.isfinite(search.score(X, y))


PARAM_GRIDS = {
    "MinMaxScaler": (
        MinMaxScaler(),
        {"feature_range": [(0, 1), (-1, 1), (0, 10)], "clip": [False, True]},
    ),
    "MeanNormalizationScaler": (MeanNormalizationScaler(), {"copy": [True, False]}),
    "StandardScaler": (
        StandardScaler(),
        {"with_mean": [True, False], "with_std": [True, False], "ddof": [0, 1]},
    ),
    "MaxAbsScaler": (MaxAbsScaler(), {"clip": [False, True]}),
    "UnitLengthNormalizer": (
        UnitLengthNormalizer(),
        {"norm": ["l1", "l2", "max", 3, np.inf]},
    ),
}


@pytest.mark.parametrize("estimator, grid", PARAM_GRIDS.values(), ids=list(PARAM_GRIDS))
def test_grid_search_over_scaler_parameters(estimator, grid):
    X, y = diabetes()
    pipe = Pipeline([("scale", clone(estimator)), ("reg", Ridge(alpha=0.1))])
    param_grid = {f"scale__{k}": v for k, v in grid.items()}
    search = GridSearchCV(pipe, param_grid, cv=3).fit(X, y)
    candidates = list(ParameterGrid(param_grid))
    assert len(search.cv_results_["params"]) == math.prod(map(len, grid.values()))
    assert search.cv_results_["params"] == candidates
    assert search.best_params_ in candidates
    scores = search.cv_results_["mean_test_score"]
    assert np.isfinite(scores).all()
    assert search.best_score_ == scores.max()
    best = search.best_estimator_.named_steps["scale"].get_params()
    for key, value in search.best_params_.items():
        assert best[key.removeprefix("scale__")] == value
    by_hand = clone(pipe).set_params(**search.best_params_).fit(X, y)
    assert_allclose(search.predict(X), by_hand.predict(X), rtol=1e-12)
    assert math.isfinite(search.score(X, y))


# -- clone and pickle ----------------------------------------------------------


@configured
def test_clone_keeps_params_and_is_unfitted(estimator):
    fitted = clone(estimator).fit(iris()[0])
    cloned = clone(fitted)
    assert type(cloned) is type(estimator)
    assert cloned is not fitted
    assert cloned.get_params() == estimator.get_params()
    assert not hasattr(cloned, "n_features_in_")
    if hasattr(cloned, "inverse_transform"):
        with pytest.raises(NotFittedError):
            check_is_fitted(cloned)
        with pytest.raises(NotFittedError):
            cloned.transform(iris()[0])


@configured
def test_pickle_round_trip_of_a_fitted_estimator(estimator):
    X = iris()[0]
    fitted = clone(estimator).fit(X)
    restored = pickle.loads(pickle.dumps(fitted))
    assert restored.get_params() == fitted.get_params()
    new = X[::7] * 1.5
    assert_array_equal(restored.transform(new.copy()), fitted.transform(new.copy()))
    if hasattr(fitted, "inverse_transform"):
        assert_array_equal(
            restored.inverse_transform(new.copy()), fitted.inverse_transform(new.copy())
        )


@all_estimators
def test_pickle_round_trip_keeps_feature_names_and_pandas_output(estimator):
    X = mixed_frame()[["height", "weight"]]
    fitted = clone(estimator).set_output(transform="pandas").fit(X)
    restored = pickle.loads(pickle.dumps(fitted))
    assert_array_equal(restored.feature_names_in_, ["height", "weight"])
    pd.testing.assert_frame_equal(restored.transform(X), fitted.transform(X))


@configured
def test_pickle_of_an_unfitted_estimator_keeps_params(estimator):
    restored = pickle.loads(pickle.dumps(estimator))
    assert restored.get_params() == estimator.get_params()
    X = iris()[0]
    assert_array_equal(
        restored.fit(X).transform(X.copy()), clone(estimator).fit(X).transform(X.copy())
    )


# -- merge ---------------------------------------------------------------------

MERGEABLE = [
    *COLUMN_SCALERS,
    MinMaxScaler(feature_range=(-3, 2), clip=True),
    StandardScaler(ddof=1),
    StandardScaler(with_mean=False, with_std=False),
    MaxAbsScaler(clip=True),
]
mergeable = pytest.mark.parametrize(
    "estimator", MERGEABLE, ids=[repr(est) for est in MERGEABLE]
)
FITTED_ATTRIBUTES = [
    "center_",
    "scale_",
    "mean_",
    "var_",
    "data_min_",
    "data_max_",
    "data_range_",
    "min_",
    "max_abs_",
]


def merge_data(n=80):
    rng = np.random.default_rng(7)
    X = rng.normal(
        loc=[3.0, -200.0, 0.5, 1e4], scale=[1.0, 50.0, 0.1, 3e2], size=(n, 4)
    )
    X[rng.random(X.shape) < 0.15] = np.nan
    return X


@mergeable
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("split", [1, 23, 40, 79])
@pytest.mark.filterwarnings("ignore:feature .* had no observed:UserWarning")
@pytest.mark.filterwarnings("ignore:feature .* at most ddof:UserWarning")
def test_merge_equals_fit_on_the_concatenation(estimator, weighted, split):
    X = merge_data()
    w = np.random.default_rng(8).uniform(0.1, 3.0, size=len(X)) if weighted else None
    first, second = X[:split], X[split:]
    w1, w2 = (None, None) if w is None else (w[:split], w[split:])
    a = clone(estimator).fit(first, sample_weight=w1)
    b = clone(estimator).fit(second, sample_weight=w2)
    merged = a.merge(b)
    whole = clone(estimator).fit(np.vstack([first, second]), sample_weight=w)
    assert type(merged) is type(estimator)
    assert merged.get_params() == estimator.get_params()
    assert merged.n_features_in_ == whole.n_features_in_
    assert merged.n_samples_seen_ == whole.n_samples_seen_
    for name in FITTED_ATTRIBUTES:
        if hasattr(whole, name):
            assert_allclose(
                getattr(merged, name),
                getattr(whole, name),
                rtol=1e-12,
                atol=1e-300,
                err_msg=name,
            )
    assert_allclose(merged.transform(X), whole.transform(X), rtol=1e-12, atol=1e-12)
    assert_allclose(
        merged.inverse_transform(whole.transform(X)), X, rtol=1e-12, atol=1e-12
    )


@mergeable
def test_merge_leaves_its_operands_unchanged(estimator):
    X = merge_data()
    a = clone(estimator).fit(X[:30])
    b = clone(estimator).fit(X[30:])
    merged = a.merge(b)
    assert merged is not a
    assert merged is not b
    assert_allclose(a.transform(X), clone(estimator).fit(X[:30]).transform(X))
    assert_allclose(b.transform(X), clone(estimator).fit(X[30:]).transform(X))
    assert a.n_samples_seen_ == 30
    assert b.n_samples_seen_ == 50


@column_scalers
def test_merge_is_associative_over_three_parts(estimator):
    X = merge_data()
    a, b, c = (clone(estimator).fit(part) for part in (X[:10], X[10:45], X[45:]))
    left = a.merge(b).merge(c)
    right = a.merge(b.merge(c))
    whole = clone(estimator).fit(X)
    assert_allclose(left.transform(X), whole.transform(X), rtol=1e-12, atol=1e-12)
    assert_allclose(right.transform(X), whole.transform(X), rtol=1e-12, atol=1e-12)


@column_scalers
def test_merge_of_dataframes_keeps_feature_names(estimator):
    X = pd.DataFrame(merge_data(), columns=["p", "q", "r", "s"])
    merged = clone(estimator).fit(X.iloc[:30]).merge(clone(estimator).fit(X.iloc[30:]))
    assert_array_equal(merged.feature_names_in_, ["p", "q", "r", "s"])
    whole = clone(estimator).fit(X)
    assert_allclose(merged.transform(X), whole.transform(X), rtol=1e-12, atol=1e-12)


@column_scalers
def test_merged_scaler_keeps_learning_with_partial_fit(estimator):
    X = merge_data()
    merged = clone(estimator).fit(X[:30]).merge(clone(estimator).fit(X[30:60]))
    merged.partial_fit(X[60:])
    whole = clone(estimator).fit(X)
    assert_allclose(merged.transform(X), whole.transform(X), rtol=1e-12, atol=1e-12)


MERGE_ERRORS = {
    "different classes": (
        StandardScaler(),
        MeanNormalizationScaler(),
        {},
        r"StandardScaler.*MeanNormalizationScaler.*same class",
    ),
    "subclass": (
        MinMaxScaler(),
        type("MyMinMax", (MinMaxScaler,), {})(),
        {},
        "same class",
    ),
    "different feature_range": (
        MinMaxScaler(),
        MinMaxScaler(feature_range=(-1, 1)),
        {},
        r"different parameters.*feature_range",
    ),
    "different with_mean": (
        StandardScaler(),
        StandardScaler(with_mean=False),
        {},
        r"different parameters.*with_mean",
    ),
    "different ddof": (
        StandardScaler(),
        StandardScaler(ddof=1),
        {},
        r"different parameters.*ddof",
    ),
    "different clip": (
        MaxAbsScaler(),
        MaxAbsScaler(clip=True),
        {},
        r"different parameters.*clip",
    ),
    "different number of features": (
        MaxAbsScaler(),
        MaxAbsScaler(),
        {"columns": 3},
        r"numbers of features.*4 vs 3",
    ),
    "different feature names": (
        StandardScaler(),
        StandardScaler(),
        {"names": ["p", "q", "r", "z"]},
        r"feature names.*'s'.*'z'",
    ),
    "names and no names": (
        MeanNormalizationScaler(),
        MeanNormalizationScaler(),
        {"names": None},
        "feature names",
    ),
}


@pytest.mark.parametrize(
    "first, second, change, message", MERGE_ERRORS.values(), ids=list(MERGE_ERRORS)
)
def test_merge_mismatch_raises_saying_which(first, second, change, message):
    X = merge_data()
    frame = pd.DataFrame(X, columns=["p", "q", "r", "s"])
    other = frame.iloc[40:]
    if "columns" in change:
        other = other.iloc[:, : change["columns"]]
    if "names" in change:
        other = (
            other.to_numpy()
            if change["names"] is None
            else other.set_axis(change["names"], axis=1)
        )
    a = clone(first).fit(frame.iloc[:40])
    b = clone(second).fit(other)
    with pytest.raises(ValueError, match=message):
        a.merge(b)


@column_scalers
def test_merging_an_unfitted_scaler_is_the_identity(estimator):
    # An unfitted scaler holds no statistics (on main: NotFittedError).
    X = merge_data()
    fitted = clone(estimator).fit(X)
    expected = fitted.transform(X)
    for merged in (fitted.merge(clone(estimator)), clone(estimator).merge(fitted)):
        assert merged is not fitted
        assert_array_equal(merged.transform(X), expected)
        assert merged.n_samples_seen_ == fitted.n_samples_seen_
    neither = clone(estimator).merge(clone(estimator))
    assert not hasattr(neither, "n_features_in_")
    with pytest.raises(NotFittedError):
        neither.transform(X)
