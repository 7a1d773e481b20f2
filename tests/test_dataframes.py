"""pandas and polars input and output: names, index, dtypes, missing values."""

import numpy as np
import pandas as pd
import polars as pl
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone

import skscale

from .conftest import EXACT_SCALERS, NORMALIZER, RUNNING_STANDARDIZER

COLUMN_SCALERS = [*EXACT_SCALERS, RUNNING_STANDARDIZER]
ESTIMATORS = [*COLUMN_SCALERS, NORMALIZER]


def ids(estimators):
    return [type(est).__name__ for est in estimators]


all_estimators = pytest.mark.parametrize("estimator", ESTIMATORS, ids=ids(ESTIMATORS))
column_scalers = pytest.mark.parametrize(
    "estimator", COLUMN_SCALERS, ids=ids(COLUMN_SCALERS)
)
INDEX = [10, 20, 30, 40, 50]


def values():
    """Five rows of three features on different scales, signs and offsets."""
    return np.array(
        [
            [1.0, -20.0, 0.5],
            [2.5, -35.0, 0.0],
            [4.0, -10.0, -0.25],
            [-3.0, -50.0, 1.0],
            [0.5, -15.0, 0.75],
        ]
    )


def pandas_frame(dtype=np.float64):
    return pd.DataFrame(values().astype(dtype), columns=["a", "b", "c"], index=INDEX)


def polars_frame(dtype=pl.Float64):
    return pl.DataFrame(
        {name: values()[:, j] for j, name in enumerate(["a", "b", "c"])}
    ).cast(dtype)


FRAMES = {"pandas": pandas_frame, "polars": polars_frame}
frames = pytest.mark.parametrize(
    "make_frame", FRAMES.values(), ids=[f"{k}-input" for k in FRAMES]
)


def numpy_reference(estimator, X):
    """Fit and transform a fresh clone on a float64 ndarray."""
    return clone(estimator).fit(X).transform(X)


# -- feature names -------------------------------------------------------------


@all_estimators
@frames
def test_column_names_become_feature_names_in(estimator, make_frame):
    X = make_frame()
    est = clone(estimator).fit(X)
    assert_array_equal(est.feature_names_in_, np.array(list(X.columns), dtype=object))
    assert est.feature_names_in_.dtype == object
    assert_array_equal(est.get_feature_names_out(), ["a", "b", "c"])


@all_estimators
def test_ndarray_input_sets_no_feature_names(estimator):
    est = clone(estimator).fit(values())
    assert not hasattr(est, "feature_names_in_")
    assert_array_equal(est.get_feature_names_out(), ["x0", "x1", "x2"])


# -- set_output ----------------------------------------------------------------


@all_estimators
@pytest.mark.parametrize("method", ["transform", "fit_transform"])
def test_pandas_output_keeps_index_and_columns(estimator, method):
    X = pandas_frame()
    est = clone(estimator).set_output(transform="pandas")
    out = est.fit(X).transform(X) if method == "transform" else est.fit_transform(X)
    assert isinstance(out, pd.DataFrame)
    pd.testing.assert_index_equal(out.index, pd.Index(INDEX))
    assert list(out.columns) == ["a", "b", "c"]
    assert_allclose(out.to_numpy(), numpy_reference(estimator, values()), rtol=1e-15)


@all_estimators
@pytest.mark.parametrize("method", ["transform", "fit_transform"])
@frames
def test_polars_output_is_a_polars_frame(estimator, method, make_frame):
    X = make_frame()
    est = clone(estimator).set_output(transform="polars")
    out = est.fit(X).transform(X) if method == "transform" else est.fit_transform(X)
    assert isinstance(out, pl.DataFrame)
    assert out.columns == ["a", "b", "c"]
    assert_allclose(out.to_numpy(), numpy_reference(estimator, values()), rtol=1e-15)


@all_estimators
def test_pandas_output_from_polars_input(estimator):
    est = clone(estimator).set_output(transform="pandas")
    out = est.fit_transform(polars_frame())
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == ["a", "b", "c"]
    assert_allclose(out.to_numpy(), numpy_reference(estimator, values()), rtol=1e-15)


@column_scalers
def test_inverse_transform_with_pandas_output_keeps_index(estimator):
    X = pandas_frame()
    est = clone(estimator).set_output(transform="pandas").fit(X)
    back = est.inverse_transform(est.transform(X))
    assert isinstance(back, pd.DataFrame)
    pd.testing.assert_index_equal(back.index, X.index)
    assert list(back.columns) == list(X.columns)
    assert_allclose(back.to_numpy(), values(), rtol=1e-13, atol=1e-13)


@column_scalers
@frames
def test_inverse_transform_with_polars_output(estimator, make_frame):
    X = make_frame()
    est = clone(estimator).set_output(transform="polars").fit(X)
    back = est.inverse_transform(est.transform(X))
    assert isinstance(back, pl.DataFrame)
    assert back.columns == ["a", "b", "c"]
    assert_allclose(back.to_numpy(), values(), rtol=1e-13, atol=1e-13)


@column_scalers
def test_inverse_transform_default_output_is_an_ndarray(estimator):
    X = pandas_frame()
    est = clone(estimator).fit(X)
    back = est.inverse_transform(est.transform(X))
    assert type(back) is np.ndarray
    assert_allclose(back, values(), rtol=1e-13, atol=1e-13)


# -- column checks -------------------------------------------------------------

CHANGED_COLUMNS = {
    "reordered": ["c", "a", "b"],
    "renamed": ["a", "B", "c"],
}


@all_estimators
@pytest.mark.parametrize("columns", CHANGED_COLUMNS.values(), ids=list(CHANGED_COLUMNS))
def test_changed_columns_at_transform_raise(estimator, columns):
    est = clone(estimator).fit(pandas_frame())
    changed = pandas_frame()
    changed.columns = columns
    with pytest.raises(ValueError, match="feature names"):
        est.transform(changed)


@all_estimators
@pytest.mark.parametrize("columns", CHANGED_COLUMNS.values(), ids=list(CHANGED_COLUMNS))
def test_changed_polars_columns_at_transform_raise(estimator, columns):
    est = clone(estimator).fit(polars_frame())
    changed = polars_frame()
    changed.columns = columns
    with pytest.raises(ValueError, match="feature names"):
        est.transform(changed)


# -- nullable dtypes -----------------------------------------------------------


def nullable_frames():
    """A frame of nullable dtypes with pd.NA, and its float64 twin with np.nan."""
    nullable = pd.DataFrame(
        {
            "i": pd.array([1, None, 3, 8, -2], dtype="Int64"),
            "f": pd.array([1.5, 2.0, None, -0.5, 4.0], dtype="Float64"),
            "g": pd.array([0.25, 1.0, 2.0, None, None], dtype="Float64"),
        },
        index=INDEX,
    )
    plain = pd.DataFrame(
        {
            "i": [1.0, np.nan, 3.0, 8.0, -2.0],
            "f": [1.5, 2.0, np.nan, -0.5, 4.0],
            "g": [0.25, 1.0, 2.0, np.nan, np.nan],
        },
        index=INDEX,
    )
    return nullable, plain


@all_estimators
def test_nullable_dtypes_are_read_as_nan(estimator):
    nullable, plain = nullable_frames()
    from_nullable = clone(estimator).fit(nullable)
    from_plain = clone(estimator).fit(plain)
    for name in ("center_", "scale_", "n_samples_seen_"):
        if hasattr(from_plain, name):
            assert_allclose(getattr(from_nullable, name), getattr(from_plain, name))
    out = from_nullable.transform(nullable)
    assert out.dtype == np.float64
    assert_allclose(out, from_plain.transform(plain), rtol=1e-15)
    assert_array_equal(np.isnan(out), nullable.isna().to_numpy())


@all_estimators
def test_nullable_dtypes_with_pandas_output(estimator):
    nullable, plain = nullable_frames()
    est = clone(estimator).set_output(transform="pandas")
    out = est.fit_transform(nullable)
    assert isinstance(out, pd.DataFrame)
    pd.testing.assert_index_equal(out.index, nullable.index)
    expected = clone(estimator).fit_transform(plain.to_numpy())
    assert_allclose(out.to_numpy(dtype=np.float64, na_value=np.nan), expected)


@all_estimators
def test_polars_nulls_are_read_as_nan(estimator):
    _, plain = nullable_frames()
    X = pl.from_pandas(plain, nan_to_null=True)
    assert X.null_count().sum_horizontal().item() == 4
    out = clone(estimator).fit(X).transform(X)
    assert_allclose(out, clone(estimator).fit_transform(plain.to_numpy()))


# -- dtypes --------------------------------------------------------------------


@all_estimators
def test_float32_pandas_columns_stay_float32(estimator):
    X = pandas_frame(np.float32)
    out = clone(estimator).fit(X).transform(X)
    assert out.dtype == np.float32
    reference = numpy_reference(estimator, values())
    assert_allclose(out, reference, rtol=1e-6, atol=1e-6)


@all_estimators
def test_float32_pandas_frame_gives_float32_pandas_output(estimator):
    X = pandas_frame(np.float32)
    out = clone(estimator).set_output(transform="pandas").fit_transform(X)
    assert isinstance(out, pd.DataFrame)
    assert (out.dtypes == np.float32).all()
    reference = numpy_reference(estimator, values())
    assert_allclose(out.to_numpy(), reference, rtol=1e-6, atol=1e-6)


@column_scalers
def test_float32_pandas_inverse_transform_stays_float32(estimator):
    X = pandas_frame(np.float32)
    est = clone(estimator).set_output(transform="pandas").fit(X)
    back = est.inverse_transform(est.transform(X))
    assert (back.dtypes == np.float32).all()
    assert_allclose(back.to_numpy(), values(), rtol=1e-6, atol=1e-5)


@all_estimators
def test_float32_polars_columns_stay_float32(estimator):
    X = polars_frame(pl.Float32)
    out = clone(estimator).fit(X).transform(X)
    polars_out = clone(estimator).set_output(transform="polars").fit_transform(X)
    assert out.dtype == np.float32
    assert polars_out.dtypes == [pl.Float32] * 3


# -- infinite and unobserved columns -------------------------------------------


def with_infinite_b(make_frame, value):
    X = values()
    X[2, 1] = value
    return (
        pd.DataFrame(X, columns=["a", "b", "c"], index=INDEX)
        if make_frame is pandas_frame
        else pl.DataFrame({name: X[:, j] for j, name in enumerate(["a", "b", "c"])})
    )


@all_estimators
@frames
@pytest.mark.parametrize("value", [np.inf, -np.inf], ids=["+inf", "-inf"])
def test_infinite_value_raises_naming_the_column(estimator, make_frame, value):
    bad = with_infinite_b(make_frame, value)
    with pytest.raises(ValueError, match="'b'") as fit_error:
        clone(estimator).fit(bad)
    assert "'a'" not in str(fit_error.value)
    est = clone(estimator).fit(make_frame())
    with pytest.raises(ValueError, match="'b'"):
        est.transform(bad)


def frame_with_empty_b(make_frame):
    X = values()
    X[:, 1] = np.nan
    if make_frame is pandas_frame:
        return pd.DataFrame(X, columns=["a", "b", "c"], index=INDEX)
    return pl.DataFrame({name: X[:, j] for j, name in enumerate(["a", "b", "c"])})


@column_scalers
@frames
def test_unobserved_column_warns_by_name_and_gives_nan(estimator, make_frame):
    X = frame_with_empty_b(make_frame)
    with pytest.warns(UserWarning, match="'b'"):
        est = clone(estimator).fit(X)
    out = est.transform(X)
    assert np.isnan(out[:, 1]).all()
    observed = values()[:, [0, 2]]
    assert_allclose(out[:, [0, 2]], numpy_reference(estimator, observed))


@column_scalers
def test_unobserved_column_warns_with_pandas_output(estimator):
    X = frame_with_empty_b(pandas_frame)
    est = clone(estimator).set_output(transform="pandas")
    with pytest.warns(UserWarning, match="'b'"):
        out = est.fit_transform(X)
    assert out["b"].isna().all()
    pd.testing.assert_index_equal(out.index, X.index)


def mixed_polars_frame(X, narrow, nulls, above):
    """A polars frame of X's columns f0, f1, ...: column ``narrow`` cast to
    Float32, column ``nulls`` null where it exceeds ``above`` (NaN stays NaN).
    """
    names = [f"f{j}" for j in range(X.shape[1])]
    frame = pl.DataFrame(X, schema=names, nan_to_null=False)
    column = pl.col(f"f{nulls}")
    return frame.with_columns(
        pl.col(f"f{narrow}").cast(pl.Float32),
        pl.when(column > above).then(None).otherwise(column).alias(f"f{nulls}"),
    )


def refuse_whole_conversion(monkeypatch):
    """Make converting any polars frame into one array fail the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("the frame was converted whole")

    monkeypatch.setattr(pl.DataFrame, "to_numpy", refuse)
    monkeypatch.setattr(pl.DataFrame, "__array__", refuse)


def polars_output_values(out, frame):
    """The values of a polars output, checked to carry the frame's columns."""
    assert isinstance(out, pl.DataFrame)
    assert out.columns == frame.columns
    return np.column_stack([c.to_numpy() for c in out.get_columns()])


@pytest.mark.parametrize("estimator", [*EXACT_SCALERS, RUNNING_STANDARDIZER], ids=repr)
def test_a_polars_frame_of_floats_is_fitted_column_by_column(estimator, monkeypatch):
    # polars keeps each column in its own buffer; on main, fit converted the
    # whole frame into one array (a copy of it all). Now the column scalers'
    # fit and partial_fit read the columns where they lie: the frame is never
    # converted, and the
    # statistics equal those of the array, nulls and Float32 columns included.
    rng = np.random.default_rng(0)
    X = rng.normal(loc=np.arange(10) * 100.0, size=(20_000, 10))
    X[rng.random(X.shape) < 0.01] = np.nan
    frame = mixed_polars_frame(X, narrow=3, nulls=5, above=500.0)
    array = frame.to_numpy()  # f3 widened, the nulls as NaN
    weight = rng.uniform(0.5, 2.0, size=len(X))
    expected = clone(estimator).fit(array, sample_weight=weight)
    refuse_whole_conversion(monkeypatch)
    est = clone(estimator)
    if "momentum" in est.get_params():
        # MiniBatchStandardizer.fit splits X into batches of rows (it converts
        # the frame); its partial_fit reads the columns like the other scalers.
        est.partial_fit(frame, sample_weight=weight)
        expected = clone(estimator).partial_fit(array, sample_weight=weight)
    else:
        est.fit(frame, sample_weight=weight)
    assert list(est.feature_names_in_) == frame.columns
    assert_array_equal(est.stats_.count, expected.stats_.count)
    for name in ("mean", "std0", "min", "max"):
        assert_allclose(
            getattr(est.stats_, name),
            getattr(expected.stats_, name),
            rtol=1e-13,
            atol=1e-12,
            equal_nan=True,
        )
    # A frame with other names is refused before anything changes.
    before = est.stats_
    with pytest.raises(ValueError, match="feature names"):
        est.partial_fit(frame.rename({"f0": "other"}))
    assert est.stats_ is before
    # An infinity is named by its column.
    bad = frame.with_columns(pl.lit(float("inf")).alias("f7"))
    with pytest.raises(ValueError, match="'f7'"):
        clone(estimator).partial_fit(bad)


TRANSFORM_SCALERS = [
    *EXACT_SCALERS,
    RUNNING_STANDARDIZER,
    *[
        clone(est).set_params(clip=True)
        for est in EXACT_SCALERS
        if "clip" in est.get_params()
    ],
]


@pytest.mark.parametrize("estimator", TRANSFORM_SCALERS, ids=repr)
@pytest.mark.parametrize("output", ["default", "pandas", "polars"])
def test_a_polars_frame_of_floats_is_transformed_column_by_column(
    estimator, output, monkeypatch
):
    # transform and inverse_transform read a polars frame's columns where they
    # lie (the frame is never converted whole) and give, in every container,
    # the values the same data give as an array, bit for bit: Float32 and
    # Float64 columns mixed, nulls as NaN, data far from zero.
    rng = np.random.default_rng(1)
    X = rng.normal(loc=np.arange(6) * 1e6, size=(50_000, 6))
    X[rng.random(X.shape) < 0.01] = np.nan
    frame = mixed_polars_frame(X, narrow=2, nulls=4, above=4e6)
    # The same values as a pandas frame (converted whole): f2 widened, the
    # nulls as NaN.
    same = pd.DataFrame(frame.to_numpy(), columns=frame.columns)
    est = clone(estimator).fit(frame.head(5_000))
    expected = est.transform(same)
    expected_back = est.inverse_transform(same)
    est.set_output(transform=output)
    refuse_whole_conversion(monkeypatch)
    for method, reference in (
        ("transform", expected),
        ("inverse_transform", expected_back),
    ):
        out = getattr(est, method)(frame)
        if output == "polars":
            out = polars_output_values(out, frame)
        elif output == "pandas":
            assert isinstance(out, pd.DataFrame)
            assert list(out.columns) == frame.columns
            out = out.to_numpy()
        assert out.dtype == np.float64
        assert_array_equal(out, reference)


@pytest.mark.parametrize("estimator", COLUMN_SCALERS, ids=repr)
def test_polars_float32_transform_stays_float32_and_refuses_bad_frames(estimator):
    rng = np.random.default_rng(2)
    X = rng.normal(3.0, 2.0, size=(1_000, 4)).astype(np.float32)
    frame = pl.DataFrame(X, schema=list("abcd"))
    named = clone(estimator).fit(frame)
    out = named.transform(frame)
    assert out.dtype == np.float32
    assert_array_equal(out, named.transform(pd.DataFrame(X, columns=list("abcd"))))
    polars_out = named.set_output(transform="polars").transform(frame)
    assert polars_out.dtypes == [pl.Float32] * 4
    named.set_output(transform="default")
    # Names, the feature count and infinity are checked as for any input.
    with pytest.raises(ValueError, match="feature names"):
        named.transform(frame.rename({"a": "z"}))
    with pytest.raises(ValueError, match="missing"):
        named.transform(frame.select("a", "b"))
    with pytest.raises(ValueError, match=r"X has 2 features, but .* expecting 4"):
        named.inverse_transform(frame.select("a", "b"))
    with pytest.raises(ValueError, match="'c'"):
        named.transform(frame.with_columns(pl.lit(float("inf")).alias("c")))
    # inverse_transform takes data under other names, as for pandas.
    assert_array_equal(
        named.inverse_transform(frame.rename({"a": "z"})),
        named.inverse_transform(pd.DataFrame(X, columns=list("zbcd"))),
    )


ROW_NORMALIZERS = [
    skscale.UnitLengthNormalizer(),
    skscale.UnitLengthNormalizer(norm="l1"),
    skscale.UnitLengthNormalizer(norm="max"),
    skscale.LayerNormalizer(),
    skscale.LayerNormalizer(with_mean=False, eps=1e-3),
]


@pytest.mark.parametrize("estimator", ROW_NORMALIZERS, ids=repr)
@pytest.mark.parametrize("output", ["default", "polars"])
def test_row_normalizers_read_a_polars_frame_a_block_of_rows_at_a_time(
    estimator, output, monkeypatch
):
    # The rows of a polars frame of floats are gathered a block at a time
    # from its columns (the frame is never converted whole), and normalize to
    # the values the same data give as a Fortran-ordered array, bit for bit:
    # Float32 and Float64 columns mixed, nulls as NaN, rows far from zero.
    rng = np.random.default_rng(3)
    X = rng.normal(loc=1e4, size=(30_000, 7))
    X[rng.random(X.shape) < 0.01] = np.nan
    frame = mixed_polars_frame(X, narrow=1, nulls=6, above=1e4)
    same = pd.DataFrame(frame.to_numpy(), columns=frame.columns)
    est = clone(estimator).fit(frame)
    expected = est.transform(same)
    est.set_output(transform=output)
    refuse_whole_conversion(monkeypatch)
    out = est.transform(frame)
    if output == "polars":
        out = polars_output_values(out, frame)
    assert out.dtype == np.float64
    assert_array_equal(out, expected)
    with pytest.raises(ValueError, match="feature names"):
        est.transform(frame.rename({"f0": "other"}))
    with pytest.raises(ValueError, match="'f3'"):
        est.transform(frame.with_columns(pl.lit(float("inf")).alias("f3")))
