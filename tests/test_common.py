"""Properties shared by every estimator, table-driven over the registry."""

import copy
import itertools
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.utils.estimator_checks import parametrize_with_checks

import skscale
from skscale import (
    LayerNormalizer,
    MaxAbsScaler,
    MiniBatchStandardizer,
    MinMaxScaler,
    StandardScaler,
    UnitLengthNormalizer,
)

from .conftest import COLUMN_SCALERS, ESTIMATOR_NAMES, NON_ESTIMATORS, all_estimators

# Every public estimator with its defaults, plus the parameter settings that take
# other code paths.
CHECKED = [
    *all_estimators().values(),
    StandardScaler(with_mean=False),
    StandardScaler(with_std=False, ddof=1),
    MinMaxScaler(feature_range=(-3, 2), clip=True),
    MaxAbsScaler(clip=True),
    UnitLengthNormalizer(norm="l1"),
    UnitLengthNormalizer(norm="max"),
    UnitLengthNormalizer(norm=3.5),
    LayerNormalizer(eps=1e-5, ddof=1),
    LayerNormalizer(with_mean=False),
    LayerNormalizer(with_std=False),
    MiniBatchStandardizer(momentum=0.1, batch_size=7),
    MiniBatchStandardizer(momentum=1.0, bias_correction=False, ddof=1, eps=1e-5),
]


def expected_failed_checks(estimator):
    # Deliberate differences from scikit-learn, documented in the README and
    # the policies of the user guide.
    expected = {
        "check_all_zero_sample_weights_error": (
            "fit accepts all-zero weights, as partial_fit does: the features "
            "stay unobserved, as if all NaN"
        )
    }
    running = isinstance(estimator, MiniBatchStandardizer) and (
        estimator.momentum is not None and estimator.batch_size is not None
    )
    if running:
        expected["check_sample_weight_equivalence_on_dense_data"] = (
            "running averages weigh batches, not samples: repeating a row "
            "moves the batch boundaries, so integer weights cannot equal "
            "repeated rows (they do within one batch, tested separately)"
        )
    return expected


@parametrize_with_checks(CHECKED, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_registry_covers_all_public_names():
    checked = {type(est).__name__ for est in CHECKED}
    assert checked | NON_ESTIMATORS == set(skscale.__all__)
    assert checked == set(ESTIMATOR_NAMES)
    assert skscale.__all__ == sorted(skscale.__all__)


def make(name, **params):
    return getattr(skscale, name)(**params)


def fitted_state(estimator):
    """Every fitted attribute, deep-copied, with the core's statistics unpacked."""
    state = {}
    for key, value in vars(estimator).items():
        if key == "stats_":
            state.update({f"stats.{k}": v for k, v in vars(value).items()})
        elif key.endswith("_") and not key.startswith("_"):
            state[key] = copy.deepcopy(value)
    return state


def assert_same_state(actual, expected, rtol=1e-12, atol=1e-14, skip=()):
    assert actual.keys() == expected.keys()
    for key in expected:
        if key in skip:
            continue
        a, e = actual[key], expected[key]
        if isinstance(e, np.ndarray) and e.dtype.kind == "f":
            assert_allclose(a, e, rtol=rtol, atol=atol, err_msg=key)
        else:
            assert_array_equal(a, e, err_msg=key)


def data(rng, n=60, p=4, nan=False):
    X = rng.normal(
        loc=[3.0, -20.0, 0.5, 1e4][:p], scale=[1.0, 5.0, 0.1, 300.0][:p], size=(n, p)
    )
    if nan:
        X[rng.random(X.shape) < 0.2] = np.nan
    return X


SPLITS = {
    "one batch": [60],
    "halves": [30, 30],
    "uneven": [1, 7, 20, 2, 30],
    "rows of one": [1] * 60,
}


@pytest.mark.parametrize("name", COLUMN_SCALERS)
@pytest.mark.parametrize("split", SPLITS.values(), ids=SPLITS.keys())
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("nan", [False, True], ids=["dense", "with-nan"])
def test_partial_fit_over_any_split_equals_fit(name, split, weighted, nan, rng):
    X = data(rng, nan=nan)
    w = rng.uniform(0.0, 3.0, size=X.shape[0]) if weighted else None
    whole = make(name).fit(X, sample_weight=w)
    streamed = make(name)
    bounds = np.cumsum([0, *split])
    for start, stop in itertools.pairwise(bounds):
        streamed.partial_fit(
            X[start:stop], sample_weight=None if w is None else w[start:stop]
        )
    # Only the number of batches may differ.
    skip = {"n_batches_seen_"}
    assert_same_state(fitted_state(streamed), fitted_state(whole), skip=skip)
    assert_allclose(streamed.transform(X), whole.transform(X), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", COLUMN_SCALERS)
def test_integer_weights_equal_repeated_rows(name, rng):
    X = data(rng, nan=True)
    w = rng.integers(0, 4, size=X.shape[0])
    weighted = make(name).fit(X, sample_weight=w)
    repeated = make(name).fit(np.repeat(X, w, axis=0))
    # Rows and observed entries are counted as given; the weights are what repeat.
    skip = {"n_samples_seen_", "stats.n_rows", "stats.count"}
    assert_same_state(fitted_state(weighted), fitted_state(repeated), skip=skip)


@pytest.mark.parametrize("name", COLUMN_SCALERS)
def test_zero_weight_rows_do_not_move_statistics(name, rng):
    X = data(rng)
    outliers = np.full((3, X.shape[1]), 1e9)
    with_outliers = make(name).fit(
        np.vstack([X, outliers]), sample_weight=np.r_[np.ones(len(X)), np.zeros(3)]
    )
    without = make(name).fit(X)
    skip = {"n_samples_seen_", "stats.n_rows"}
    assert_same_state(fitted_state(with_outliers), fitted_state(without), skip=skip)


BAD_WEIGHTS = {
    "negative": (np.r_[-1.0, np.ones(4)], "negative"),
    "nan": (np.r_[np.nan, np.ones(4)], "NaN"),
    "inf": (np.r_[np.inf, np.ones(4)], "infinite"),
    "wrong length": (np.ones(3), "3 entries"),
    "2-D": (np.ones((5, 1)), "1-D"),
}


@pytest.mark.parametrize("name", ESTIMATOR_NAMES)
@pytest.mark.parametrize(
    "weights, message", BAD_WEIGHTS.values(), ids=BAD_WEIGHTS.keys()
)
def test_bad_weights_raise_and_change_nothing(name, weights, message, rng):
    est = make(name).fit(data(rng, n=5))
    before = fitted_state(est)
    with pytest.raises(ValueError, match=message):
        est.partial_fit(data(rng, n=5), sample_weight=weights)
    assert_same_state(fitted_state(est), before, rtol=0, atol=0)
    with pytest.raises(ValueError, match=message):
        make(name).fit(data(rng, n=5), sample_weight=weights)


PLAIN_ARRAYS = {
    "C float64": lambda X: X,
    "Fortran float32": lambda X: np.asfortranarray(X, dtype=np.float32),
    "strided float16": lambda X: np.repeat(X, 2, axis=1)[:, ::2].astype(np.float16),
}


@pytest.mark.parametrize("name", ESTIMATOR_NAMES)
@pytest.mark.parametrize("kind", PLAIN_ARRAYS, ids=list(PLAIN_ARRAYS))
def test_plain_arrays_skip_conversion_but_not_the_feature_checks(name, kind, rng):
    # A 2-D float ndarray goes through unconverted (validation's fast path),
    # yet its feature count and the fitted feature names are still checked.
    pd = pytest.importorskip("pandas")
    X = PLAIN_ARRAYS[kind](data(rng, n=20))
    est = make(name).fit(X)
    out = est.transform(X)
    assert out.dtype == X.dtype and out.shape == X.shape
    with pytest.raises(ValueError, match=r"X has 3 features, but .* expecting 4"):
        est.transform(X[:, :3])
    frozen = np.array(X)
    frozen.flags.writeable = False
    assert_array_equal(est.transform(frozen, copy=False), out)
    assert_array_equal(frozen, X)  # copied, not written
    est.fit(pd.DataFrame(X, columns=list("abcd")))
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        est.transform(X)


@pytest.mark.parametrize("name", ESTIMATOR_NAMES)
@pytest.mark.parametrize("value", [np.inf, -np.inf])
def test_infinity_raises_naming_the_column(name, value, rng):
    X = data(rng, n=8)
    bad = X.copy()
    bad[3, 2] = value
    with pytest.raises(ValueError, match="column 2"):
        make(name).fit(bad)
    est = make(name).fit(X)
    before = fitted_state(est)
    with pytest.raises(ValueError, match="column 2"):
        est.partial_fit(bad)
    assert_same_state(fitted_state(est), before, rtol=0, atol=0)
    with pytest.raises(ValueError, match="column 2"):
        est.transform(bad)


_CLIPPING = [skscale.MinMaxScaler(clip=True), skscale.MaxAbsScaler(clip=True)]


@pytest.mark.parametrize(
    "est, inverse",
    [
        (est, inverse)
        for est in [getattr(skscale, name)() for name in ESTIMATOR_NAMES] + _CLIPPING
        for inverse in (False, True)
        if not inverse or hasattr(est, "inverse_transform")
    ],
    ids=str,
)
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_infinity_in_a_later_block_is_found_both_ways(est, inverse, order, dtype):
    # Over several blocks, whether the check sums the input block or the
    # output block the map wrote (where the map keeps infinity visible: not
    # under a clip, which maps it onto the interval): the column is named,
    # also when another column of the same block holds a NaN, and an
    # overflow of finite values is not taken for an infinity.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300_000, 7)).astype(dtype)
    est.fit(X[:1000])
    method = est.inverse_transform if inverse else est.transform
    bad = np.array(X, order=order)
    bad[250_001, 4] = np.inf
    bad[250_002, 1] = np.nan
    with pytest.raises(ValueError, match="column 4"):
        method(bad)
    big = np.array(X, order=order)
    big[250_001, 4] = np.finfo(dtype).max
    out = method(big)
    assert np.isnan(out).sum() == 0


@pytest.mark.parametrize("name", ESTIMATOR_NAMES)
def test_wrong_number_of_features_changes_nothing(name, rng):
    est = make(name).fit(data(rng, p=4))
    before = fitted_state(est)
    with pytest.raises(ValueError, match="features"):
        est.partial_fit(data(rng, p=3))
    assert_same_state(fitted_state(est), before, rtol=0, atol=0)
    with pytest.raises(ValueError, match="features"):
        est.transform(data(rng, p=3))


@pytest.mark.parametrize("name", COLUMN_SCALERS)
def test_nan_is_ignored_per_feature_and_passed_through(name, rng):
    X = data(rng, nan=True)
    est = make(name).fit(X)
    for j in range(X.shape[1]):
        column = X[:, j]
        alone = make(name).fit(column[~np.isnan(column)].reshape(-1, 1))
        assert_allclose(
            est.transform(X)[:, j][~np.isnan(column)],
            alone.transform(column[~np.isnan(column)].reshape(-1, 1)).ravel(),
            rtol=1e-12,
        )
    assert_array_equal(np.isnan(est.transform(X)), np.isnan(X))


@pytest.mark.parametrize("name", COLUMN_SCALERS)
def test_all_nan_batch_leaves_that_column_as_it_was(name, rng):
    X = data(rng)
    est = make(name).fit(X)
    before = fitted_state(est)
    batch = data(rng, n=5)
    batch[:, 1] = np.nan
    est.partial_fit(batch)
    after = fitted_state(est)
    for key, value in before.items():
        if isinstance(value, np.ndarray) and value.shape == (X.shape[1],):
            assert_array_equal(after[key][1], value[1], err_msg=key)
    assert np.isfinite(est.transform(X)).all()


@pytest.mark.parametrize("name", COLUMN_SCALERS)
def test_unobserved_column_warns_by_index_and_gives_nan(name, rng):
    X = data(rng)
    X[:, 3] = np.nan
    # At fit, once, pointing at the caller's line (not into skscale or
    # scikit-learn); transform then says nothing more.
    with pytest.warns(UserWarning, match="column 3") as record:
        est = make(name).fit(X)
    assert len(record) == 1
    assert record[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = est.transform(X)
    assert np.isnan(out[:, 3]).all()
    assert np.isfinite(out[:, :3]).all()
    # fit_transform and set_output's wrapper point at the caller too.
    with pytest.warns(UserWarning, match="column 3") as record:
        make(name).set_output(transform="pandas").fit_transform(X)
    assert [w.filename for w in record] == [__file__]


@pytest.mark.parametrize("name", COLUMN_SCALERS)
def test_unobserved_column_after_partial_fit_warns_at_transform(name, rng):
    # A stream may observe a feature later: partial_fit does not warn, and
    # transform does, from the caller's line, while the feature is unobserved.
    X = data(rng)
    X[:, 3] = np.nan
    est = make(name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est.partial_fit(X[:30]).partial_fit(X[30:])
    with pytest.warns(UserWarning, match="column 3") as record:
        est.transform(X)
    assert [w.filename for w in record] == [__file__]


@pytest.mark.parametrize(
    "name, expected",
    [
        ("StandardScaler", 0.0),
        ("MeanNormalizationScaler", 0.0),
        ("MinMaxScaler", 0.0),
        ("MaxAbsScaler", 1.0),
    ],
)
def test_constant_feature(name, expected):
    X = np.full((1000, 1), 14.62)
    est = make(name).fit(X)
    assert_array_equal(est.transform(X), np.full((1000, 1), expected))
    if name != "MinMaxScaler":
        assert_array_equal(est.scale_, [1.0 if expected == 0 else 14.62])
    if name in ("StandardScaler", "MeanNormalizationScaler"):
        assert_array_equal(est.center_, [14.62])


def test_constant_feature_min_max_lands_on_the_lower_bound():
    est = MinMaxScaler(feature_range=(-7.5, 3.0)).fit(np.full((1000, 1), 14.62))
    assert_array_equal(est.transform([[14.62]]), [[-7.5]])


@pytest.mark.parametrize("name", ESTIMATOR_NAMES)
@pytest.mark.parametrize("exponent", [-15, -9, -3, 3, 9, 15])
def test_output_does_not_depend_on_the_unit(name, exponent, rng):
    X = data(rng, nan=True)
    reference = make(name).fit_transform(X)
    scaled = make(name).fit_transform(X * 10.0**exponent)
    assert_allclose(scaled, reference, rtol=1e-7, atol=1e-7)


@pytest.mark.parametrize("name", COLUMN_SCALERS)
def test_no_overflow_near_the_float64_limit(name):
    est = make(name)
    for _ in range(5):
        est.partial_fit(np.full((10, 1), 1e307))
    assert np.isfinite(est.transform(np.full((2, 1), 1e307))).all()


def test_standard_scaler_mean_of_huge_values_is_exact():
    est = StandardScaler()
    for _ in range(5):
        est.partial_fit(np.full((10, 1), 1e307))
    assert_array_equal(est.mean_, [1e307])
    assert_array_equal(est.var_, [0.0])


@pytest.mark.parametrize("name", COLUMN_SCALERS)
def test_fitted_statistics_are_float64_and_variance_nonnegative(name, rng):
    X = data(rng, nan=True) * 1e-200
    est = make(name).fit(X)
    # The moments a scaler does not need are not computed (NaN).
    needed = {1: "stats.mean", 2: "stats.std0"}
    skipped = {key for order, key in needed.items() if est.stats_.moments < order}
    # Nor the extrema, where the scaler needs only the moments.
    if not est.stats_.extrema:
        skipped |= {"stats.min", "stats.max"}
    for key, value in fitted_state(est).items():
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            assert value.dtype == np.float64, key
            assert key in skipped or np.isfinite(value).all(), key
    assert est.stats_.moments < 2 or (est.stats_.std0 >= 0).all()


@pytest.mark.parametrize("name", ESTIMATOR_NAMES)
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_float_dtype_is_preserved(name, dtype, rng):
    X = data(rng, nan=True)[:, :3].astype(dtype)
    est = make(name).fit(X)
    out = est.transform(X)
    assert out.dtype == dtype
    reference = make(name).fit(X.astype(np.float64)).transform(X.astype(np.float64))
    assert_allclose(out, reference.astype(dtype), rtol=np.finfo(dtype).eps * 4)
    if hasattr(est, "inverse_transform"):
        assert est.inverse_transform(out).dtype == dtype


@pytest.mark.parametrize("name", ESTIMATOR_NAMES)
@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.bool_])
def test_integers_and_bools_give_float64(name, dtype, rng):
    X = rng.integers(0, 3, size=(20, 3)).astype(dtype)
    out = make(name).fit_transform(X)
    assert out.dtype == np.float64
    assert_allclose(out, make(name).fit_transform(X.astype(np.float64)))


def test_half_precision_range_is_computed_in_float64():
    X = np.arange(11, dtype=np.float16).reshape(-1, 1)
    out = MinMaxScaler(feature_range=(-60000, 60000)).fit_transform(X)
    assert out.dtype == np.float16
    assert_array_equal(out.ravel(), np.arange(-60000, 60001, 12000, dtype=np.float16))


def test_standard_scaler_transform_is_the_published_formula_bit_for_bit(rng):
    # docs/persistence.md: y = ((x - center_) - c) / scale_, c the residual of
    # the mean where it exceeds 2**-50 scale_ (the fourth column, whose mean
    # is 33 standard deviations from 0), else 0.
    X = data(rng, n=500, nan=True)
    est = StandardScaler().fit(X)
    residual = est.stats_.residual
    c = np.where(np.abs(residual) > 2.0**-50 * est.scale_, residual, 0.0)
    assert c[3] != 0 and not c[:3].any()
    assert_array_equal(est.transform(X), ((X - est.center_) - c) / est.scale_)
    assert_array_equal(est.inverse_transform(X), (X * est.scale_ + c) + est.center_)


# Views whose strides NumPy reports one way and exports another: an axis of
# length 1 (a single row of a Fortran-ordered array, as
# ``df.to_numpy()[:1]`` gives) is exported as if C-contiguous.
VIEWS = {
    "row of F": lambda X: np.asfortranarray(X)[1:2],
    "strided row of F": lambda X: np.asfortranarray(X)[1:2, ::2],
    "row of C": lambda X: X[1:2],
    "column of C": lambda X: X[:, 1:2],
    "single value": lambda X: X[2:3, 3:4],
    "reversed rows": lambda X: X[::-1],
    "reversed columns of F": lambda X: np.asfortranarray(X)[:, ::-1],
    "every other row": lambda X: X[::2],
    "every other row and column": lambda X: X[::2, ::2],
    "every other row and column of F": lambda X: np.asfortranarray(X)[::2, ::2],
    "transpose": lambda X: np.ascontiguousarray(X[:4]).T,
}


@pytest.mark.parametrize("name", ESTIMATOR_NAMES)
@pytest.mark.parametrize("view", VIEWS.values(), ids=VIEWS.keys())
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_any_view_transforms_as_its_contiguous_copy(name, view, dtype, rng):
    # A crash found by a hostile check: the row normalizers' kernel took a
    # single row of a Fortran-ordered array for a block it cannot read.
    X = data(rng, n=12).astype(dtype)
    before = X.copy()
    V = view(X)
    fit_on = rng.normal(size=(8, V.shape[1])).astype(dtype)
    expected = make(name).fit(fit_on).transform(np.ascontiguousarray(V))
    for copy_ in (True, False):
        # copy=False: on the same view of an array of its own.
        work = V if copy_ else view(X.copy())
        out = make(name, copy=copy_).fit(fit_on).transform(work)
        assert out.dtype == dtype
        assert_array_equal(out, expected)
    assert_array_equal(X, before)  # copy=True wrote nothing into X


@pytest.mark.parametrize("name", ESTIMATOR_NAMES)
@pytest.mark.parametrize("order", ["C", "F"])
def test_copy_false_transforms_in_place(name, order, rng):
    X = np.asarray(data(rng), order=order)
    expected = make(name).fit(X).transform(X)
    est = make(name, copy=False).fit(X)
    out = est.transform(X)
    assert out is X or np.shares_memory(out, X)
    assert_array_equal(X, expected)


@pytest.mark.parametrize(
    "name, inverse",
    [(name, False) for name in ESTIMATOR_NAMES]
    + [(name, True) for name in COLUMN_SCALERS],
)
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_in_place_call_that_raises_leaves_x_untouched(name, inverse, order, dtype):
    # The infinity sits in a late block (blocks before it would be written
    # first): X is checked whole before anything is written.
    X = np.random.default_rng(0).normal(size=(300_000, 7)).astype(dtype)
    est = make(name, copy=False).fit(X[:1000])
    X = np.asarray(X, order=order)
    X[250_001, 4] = -np.inf
    X[3, 1] = np.nan
    before = X.copy()
    with pytest.raises(ValueError, match="column 4"):
        (est.inverse_transform if inverse else est.transform)(X)
    assert_array_equal(X, before)


@pytest.mark.parametrize("name", ESTIMATOR_NAMES)
def test_copy_true_leaves_input_alone(name, rng):
    X = data(rng)
    original = X.copy()
    make(name).fit(X).transform(X)
    assert_array_equal(X, original)


@pytest.mark.parametrize("name", COLUMN_SCALERS)
@pytest.mark.parametrize("nan", [False, True], ids=["dense", "with-nan"])
def test_inverse_transform_round_trip(name, nan, rng):
    X = data(rng, nan=nan)
    est = make(name).fit(X)
    assert_allclose(est.inverse_transform(est.transform(X)), X, rtol=1e-12)


@pytest.mark.parametrize("name", COLUMN_SCALERS)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_merge_equals_fit_on_both(name, weighted, rng):
    X = data(rng, n=90, nan=True)
    w = rng.uniform(0.5, 2.0, size=len(X)) if weighted else None
    parts = [(0, 25), (25, 90)]
    a, b = (
        make(name).fit(X[i:j], sample_weight=None if w is None else w[i:j])
        for i, j in parts
    )
    merged = a.merge(b)
    whole = make(name).fit(X, sample_weight=w)
    skip = {"n_batches_seen_"}
    assert_same_state(fitted_state(merged), fitted_state(whole), skip=skip)
    # The merge returns a new estimator and leaves its operands as they were.
    assert merged is not a and a.n_samples_seen_ == 25


@pytest.mark.parametrize("name", ESTIMATOR_NAMES)
def test_no_numpy_warning_on_awkward_data(name):
    X = np.array(
        [[0.0, np.nan, 1e-310, 5.0], [0.0, np.nan, -1e-310, 5.0], [0.0, 1.0, 0.0, 5.0]]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        make(name).fit(X).transform(np.zeros((2, 4)))


# -- parameters set after a fit ----------------------------------------------------

APPLIED_CHANGES = [
    ("StandardScaler", {}, {"with_mean": False}),
    ("StandardScaler", {}, {"with_std": False}),
    ("StandardScaler", {}, {"with_mean": False, "with_std": False}),
    ("MinMaxScaler", {"feature_range": (-1, 2)}, {"clip": True}),
    ("MaxAbsScaler", {}, {"clip": True}),
    ("MiniBatchStandardizer", {}, {"with_mean": False}),
    ("MiniBatchStandardizer", {"momentum": 0.3, "batch_size": 7}, {"with_std": False}),
]


@pytest.mark.parametrize(
    "name, params, change",
    APPLIED_CHANGES,
    ids=[f"{c[0]}-{c[2]}" for c in APPLIED_CHANGES],
)
def test_applied_params_set_after_fit_take_effect_at_transform(
    name, params, change, rng
):
    # As in scikit-learn: the next transform uses them, and the attributes that
    # describe the map follow; the result is the fit with the new parameters.
    X = data(rng)
    new = 3 * data(rng)
    changed = make(name, **params).fit(X)
    changed.transform(new)
    changed.set_params(**change)
    refitted = make(name, **params, **change).fit(X)
    assert_array_equal(changed.transform(new), refitted.transform(new))
    assert_array_equal(changed.inverse_transform(new), refitted.inverse_transform(new))
    for key in ("center_", "scale_", "min_"):
        if hasattr(refitted, key):
            assert_array_equal(getattr(changed, key), getattr(refitted, key), key)


LEARNED_CHANGES = [
    ("StandardScaler", {}, {"ddof": 1}),
    ("MinMaxScaler", {}, {"feature_range": (-1, 1)}),
    ("MiniBatchStandardizer", {}, {"ddof": 1}),
    ("MiniBatchStandardizer", {}, {"eps": 0.5}),
    ("MiniBatchStandardizer", {}, {"momentum": 0.5}),
    ("MiniBatchStandardizer", {"momentum": 0.5}, {"bias_correction": False}),
]


@pytest.mark.parametrize(
    "name, params, change",
    LEARNED_CHANGES,
    ids=[f"{c[0]}-{c[2]}" for c in LEARNED_CHANGES],
)
def test_learned_params_set_after_fit_ask_for_a_refit(name, params, change, rng):
    X = data(rng)
    est = make(name, **params).fit(X).set_params(**change)
    before = {key: copy.deepcopy(value) for key, value in vars(est).items()}
    (param,) = change
    for method in (est.transform, est.inverse_transform):
        with pytest.raises(ValueError, match=rf"{param} from .* Refit \(call fit\)"):
            method(X)
    assert vars(est).keys() == before.keys()
    # Setting it back, or refitting, is all it takes.
    est.set_params(**{param: make(name, **params).get_params()[param]})
    assert_array_equal(est.transform(X), make(name, **params).fit(X).transform(X))
    est.set_params(**change).fit(X)
    assert_array_equal(
        est.transform(X), make(name, **params, **change).fit(X).transform(X)
    )


def test_an_invalid_applied_param_set_after_fit_is_refused_cleanly(rng):
    X = data(rng)
    est = StandardScaler().fit(X)
    expected = est.transform(X)
    est.set_params(with_mean="no")
    with pytest.raises(ValueError, match="with_mean must be a bool, got 'no'"):
        est.transform(X)
    est.set_params(with_mean=True)
    assert_array_equal(est.transform(X), expected)


# -- exact whatever the split, and exact transforms where the mean is large --------

MEAN_CENTERED = ["StandardScaler", "MeanNormalizationScaler", "MiniBatchStandardizer"]


@pytest.mark.parametrize("name", MEAN_CENTERED)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_transform_is_exact_where_the_mean_is_large(name, seed):
    # 1e15 + N(0, 1), 3,000 rows in batches of 7: on main, the std was 3.5%
    # off and the output off by up to 0.034 (scikit-learn's by 0.052), both
    # from the rounding of mean_.
    from fractions import Fraction

    rng = np.random.default_rng(seed)
    X = 1e15 + rng.normal(size=(3_000, 1))
    est = make(name)
    for start in range(0, len(X), 7):
        est.partial_fit(X[start : start + 7])
    values = [Fraction(float(v)) for v in X[:, 0]]
    mean = sum(values) / len(values)
    if hasattr(est, "var_"):
        var = sum((v - mean) ** 2 for v in values) / len(values)
        assert abs(Fraction(float(est.var_[0])) - var) <= var / 10**12
    out = est.transform(X)[:, 0]
    scale = Fraction(float(est.scale_[0]))
    expected = np.array([float((v - mean) / scale) for v in values])
    eps = np.finfo(np.float64).eps
    assert (np.abs(out - expected) <= 8 * eps * (1 + np.abs(out))).all()
    # and back: inverse_transform recovers the data to an ulp of 1e15.
    assert_allclose(est.inverse_transform(out[:, None]), X, rtol=2 * eps, atol=0)


@pytest.mark.parametrize("name", MEAN_CENTERED)
@pytest.mark.parametrize("offset", [3.0, 30.0, 100.0, 3e3, 1e5])
def test_transform_is_exact_where_the_residual_is_left_out(name, offset):
    # The residual is subtracted only where it exceeds 2**-50 of the scale;
    # around that threshold the output stays within 8 eps (1 + |out|) of
    # exact arithmetic, whether the residual was subtracted or not.
    from fractions import Fraction

    X = offset + np.random.default_rng(int(offset)).normal(size=(2_000, 1))
    est = make(name).fit(X)
    values = [Fraction(float(v)) for v in X[:, 0]]
    mean = sum(values) / len(values)
    scale = Fraction(float(est.scale_[0]))
    out = est.transform(X)[:, 0]
    expected = np.array([float((v - mean) / scale) for v in values])
    eps = np.finfo(np.float64).eps
    assert (np.abs(out - expected) <= 8 * eps * (1 + np.abs(out))).all()


@pytest.mark.parametrize("name", MEAN_CENTERED)
def test_ordinary_data_pay_no_residual_pass(name, rng):
    # |mean| / std near 1: (x - mean_) / scale_ is exact to rounding as it is.
    est = make(name).fit(rng.normal(1.0, 1.0, size=(1_000, 3)))
    assert est._map.residual is None


# -- no overflow where the answer is finite -----------------------------------------

NEAR_THE_LIMIT = np.array([[1.7e308], [-1.79e308], [1.6e308], [0.0], [-1e308]])


@pytest.mark.parametrize("name", COLUMN_SCALERS)
def test_no_overflow_where_the_answer_is_finite(name):
    # On main: StandardScaler gave -inf for -1.79e308 (x - mean overflowed;
    # the exact output is -1.41), and so did MeanNormalization and the
    # MiniBatchStandardizer.
    X = NEAR_THE_LIMIT
    est = make(name).fit(X)
    out = est.transform(X)
    assert np.isfinite(out).all()
    # The same map, in units of 2**-4, where nothing overflows.
    k = 2.0**-4
    if hasattr(est, "data_max_"):  # divided by the range, beyond float64 here
        expected = (X * k - est.center_ * k) / (est.data_max_ * k - est.data_min_ * k)
    else:
        expected = (X * k - est.center_ * k) / (est.scale_ * k)
    assert_allclose(out, expected, rtol=1e-14, atol=1e-300)
    back = est.inverse_transform(out)
    assert np.isfinite(back).all()
    assert_allclose(back, X, rtol=1e-14)


def test_min_max_far_from_the_data_does_not_overflow():
    # On main -inf; scikit-learn gives the exact -20.
    est = MinMaxScaler().fit([[1e308], [1.1e308]])
    out = est.transform([[-1e308]])
    assert_allclose(out, [[-20.0]], rtol=1e-14)
    assert_allclose(est.inverse_transform(out), [[-1e308]], rtol=1e-14)


def test_a_feature_range_wider_than_float64_maps_exactly():
    # On main accepted, then [nan, inf, inf]: the width 2e308 overflowed.
    est = MinMaxScaler(feature_range=(-1e308, 1e308)).fit([[0.0], [1.0], [2.0]])
    out = est.transform([[0.0], [1.0], [2.0], [2.4]])
    assert_allclose(out.ravel(), [-1e308, 0.0, 1e308, 1.4e308], rtol=1e-15)
    assert_allclose(est.inverse_transform(out).ravel(), [0.0, 1.0, 2.0, 2.4])
    assert_array_equal(
        est.set_params(clip=True).transform([[5.0], [-3.0]]).ravel(), [1e308, -1e308]
    )


@pytest.mark.parametrize("name", COLUMN_SCALERS)
def test_a_first_partial_fit_batch_of_zero_weights_is_like_nan(name, rng):
    # On main refused, while a later such batch was accepted. Its rows are
    # unobserved; transform warns while nothing is observed, and the next
    # batch gives exactly what it alone gives.
    X = data(rng)
    est = make(name).partial_fit(X[:10], sample_weight=np.zeros(10))
    assert est.n_samples_seen_ == 10
    assert_array_equal(est.stats_.count, 0)
    with pytest.warns(UserWarning, match="had no observed"):
        assert np.isnan(est.transform(X)).all()
    est.partial_fit(X[10:])
    alone = make(name).fit(X[10:])
    assert_allclose(est.transform(X), alone.transform(X), rtol=1e-13)


@pytest.mark.parametrize("name", COLUMN_SCALERS)
def test_fit_with_all_zero_weights_is_like_all_nan(name, rng):
    # On main fit refused them while a first partial_fit batch of them was
    # accepted. Now fit agrees: the features are unobserved, the fitted state
    # is the one an all-NaN X gives, the warning comes at fit, and a later
    # partial_fit learns as if alone.
    X = data(rng)
    with pytest.warns(UserWarning, match="had no observed"):
        est = make(name).fit(X, sample_weight=np.zeros(len(X)))
    with pytest.warns(UserWarning, match="had no observed"):
        nan = make(name).fit(np.full_like(X, np.nan))
    assert est.n_samples_seen_ == len(X)
    assert_array_equal(est.stats_.count, 0)
    for attr in ("center_", "scale_"):
        assert_array_equal(getattr(est, attr), getattr(nan, attr))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(est.transform(X)).all()
    est.partial_fit(X)
    assert_allclose(est.transform(X), make(name).fit(X).transform(X), rtol=1e-13)


@pytest.mark.parametrize("name", ["UnitLengthNormalizer", "LayerNormalizer"])
def test_row_normalizers_accept_all_zero_weights(name, rng):
    X = data(rng)
    est = make(name).fit(X, sample_weight=np.zeros(len(X)))
    assert_array_equal(est.transform(X), make(name).fit(X).transform(X))


@pytest.mark.parametrize("name", ESTIMATOR_NAMES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fortran_order_transforms_bit_for_bit_like_c_order(name, dtype, rng):
    # A Fortran-ordered array (a DataFrame's values) is transformed in tiles
    # of a few columns by the column scalers; the output is the same, bit for
    # bit, and keeps the input's layout. An infinity is still found and named.
    X = rng.normal(loc=np.arange(19) * 100.0, size=(30_001, 19)).astype(dtype)
    X[rng.random(X.shape) < 0.01] = np.nan
    XF = np.asfortranarray(X)
    est = make(name).fit(X)
    out = est.transform(XF)
    assert out.flags.f_contiguous
    if name in COLUMN_SCALERS:
        assert_array_equal(out, est.transform(X))
    else:
        # A row's norm or moments are summed in another order along a
        # Fortran-ordered row: equal to rounding.
        eps = np.finfo(dtype).eps
        assert_allclose(out, est.transform(X), rtol=4 * eps, atol=4 * eps)
    if hasattr(est, "inverse_transform"):
        assert_array_equal(
            est.inverse_transform(out), est.inverse_transform(out.copy(order="C"))
        )
    XF[12_345, 13] = np.inf
    with pytest.raises(ValueError, match="column 13"):
        est.transform(XF)


@pytest.mark.parametrize(
    "name", [name for name in COLUMN_SCALERS if name != "MeanNormalizationScaler"]
)
def test_a_map_derived_anew_does_not_repeat_the_notice_fit_gave(name, rng):
    # (MeanNormalizationScaler has no parameter that only applies its
    # statistics: nothing there derives its map anew.)
    # On main, a parameter that only applies the statistics (with_mean, clip),
    # changed after a fit that had warned about an unobserved feature, made
    # every later transform warn again.
    X = data(rng)
    X[:, 1] = np.nan
    with pytest.warns(UserWarning, match="had no observed"):
        est = make(name).fit(X)
    applied = {
        "StandardScaler": {"with_mean": False},
        "MiniBatchStandardizer": {"with_mean": False},
        "MinMaxScaler": {"clip": True},
        "MaxAbsScaler": {"clip": True},
    }[name]
    est.set_params(**applied)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = est.transform(X.copy())
        est.transform(X.copy())
    assert np.isnan(out[:, 1]).all()
