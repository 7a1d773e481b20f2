"""Bad input, table-driven over every estimator: a clear error, no warning, no change.

Every method that takes X (and ``fit``/``partial_fit`` with a bad ``sample_weight``)
must refuse bad input with a ValueError or TypeError whose message says what is
wrong, emit no warning, and leave an estimator exactly as it was: its attributes
and its output on good data. The last part lets hypothesis draw random garbage.
"""

import copy
import re
import traceback
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from typing import NamedTuple

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays
from scipy import sparse

import skscale

from .conftest import ESTIMATOR_NAMES

# The good data every fitted estimator learns from, as an array and as a frame.
GOOD = np.array([[0.0, 1.0], [2.0, 5.0], [4.0, 3.0]])
GOOD_FRAME = pd.DataFrame(GOOD, columns=["a", "b"])
REFERENCE = {"array": GOOD, "frame": GOOD_FRAME}

# Exceptions that may never come out, even as a subclass of ValueError (numpy's
# AxisError is both a ValueError and an IndexError).
NEVER = (IndexError, KeyError, AttributeError, ZeroDivisionError, ArithmeticError)


def make(name):
    return getattr(skscale, name)()


def accepts_sparse(estimator):
    return estimator.__sklearn_tags__().input_tags.sparse


# -- the table of bad X --------------------------------------------------------


class Bad(NamedTuple):
    """One bad input: its factory and the regex a helpful message must match.

    ``fitted_on`` is the data the estimator of the fitted methods learns from:
    a frame with the bad frame's column names, so that no call warns about
    feature names. ``only_fitted`` inputs are bad only against a fitted
    estimator (a feature count or names that differ from fit's); ``names``
    inputs are about column names, which inverse_transform does not check by
    design. ``applies`` picks the estimators the input is bad for.
    """

    make: Callable[[], object]
    match: str
    fitted_on: str = "array"
    only_fitted: bool = False
    names: bool = False
    applies: Callable[[object], bool] = lambda estimator: True


def beside_a(column, library=pd):
    """A two-row frame: a column "a" of floats, then ``column`` as "b"."""
    return library.DataFrame({"a": [1.0, 2.0], "b": column})


STRING = r"could not convert string to float: .*'{}'"
TWO_D = r"Expected 2D array, got {} array instead.*reshape"
NO_NUMBERS = r"column of no numbers: '{}' \("
DATES = r"date or time column: '{}' \("
INFINITY = r"\+inf or -inf in feature {}.*not infinity"

BAD_X = {
    # Strings and objects.
    "object_strings": Bad(
        lambda: np.array([["a", 1.0], ["b", 2.0]], dtype=object), STRING.format("a")
    ),
    "str_array": Bad(lambda: np.array([["a", "b"], ["c", "d"]]), STRING.format("a")),
    "bytes_array": Bad(lambda: np.array([[b"a", b"b"]]), STRING.format("a")),
    "string_scalar": Bad(lambda: "abc", STRING.format("abc")),
    "string_in_list": Bad(lambda: [[1.0, "x"], [2.0, 3.0]], STRING.format("x")),
    # Complex numbers.
    "complex_array": Bad(lambda: np.array([[1 + 2j, 3.0], [0.0, 1.0]]), "complex"),
    "complex_list": Bad(lambda: [[1 + 2j, 3.0], [0.0, 1.0]], "complex"),
    "complex_frame": Bad(
        lambda: pd.DataFrame({"a": [0.0, 1.0], "b": [0j, 1 + 1j]}), "complex", "frame"
    ),
    "complex_and_bool_frame": Bad(
        lambda: pd.DataFrame({"a": [False, True], "b": [0j, 1 + 1j]}),
        "complex",
        "frame",
    ),
    # Empty.
    "zero_rows": Bad(lambda: np.empty((0, 2)), r"0 sample\(s\).*minimum of 1"),
    "zero_rows_list": Bad(lambda: [], r"0 sample\(s\)|got 1D array"),
    "zero_rows_frame": Bad(
        lambda: GOOD_FRAME.iloc[:0], r"0 sample\(s\).*minimum of 1", "frame"
    ),
    "zero_columns": Bad(lambda: np.empty((3, 0)), r"0 feature\(s\).*minimum of 1"),
    # scikit-learn's check_array fails on it in np.result_type ("at least one
    # array or dtype is required").
    "zero_columns_frame": Bad(
        lambda: pd.DataFrame(index=range(3)),
        r"0 feature\(s\) \(shape=\(3, 0\)\).*minimum of 1",
        "frame",
    ),
    "empty_frame": Bad(
        lambda: pd.DataFrame(),
        r"0 sample\(s\) \(shape=\(0, 0\)\).*minimum of 1",
        "frame",
    ),
    # Dimensions.
    "one_d": Bad(lambda: np.array([1.0, 2.0]), TWO_D.format("1D")),
    "one_d_list": Bad(lambda: [1.0, 2.0], TWO_D.format("1D")),
    "scalar": Bad(lambda: 3.0, TWO_D.format("scalar")),
    "three_d": Bad(lambda: np.ones((2, 2, 2)), r"dim 3.*dim <= 2"),
    "three_d_list": Bad(lambda: [[[1.0, 2.0]], [[3.0, 4.0]]], r"dim 3.*dim <= 2"),
    "ragged": Bad(lambda: [[1.0, 2.0], [3.0]], r"inhomogeneous shape"),
    # Data frames.
    # A frame's column of no numbers is named (NumPy's message names a value).
    "mixed_dtype_frame": Bad(
        lambda: pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]}),
        NO_NUMBERS.format("b"),
        "frame",
    ),
    "categorical_frame": Bad(
        lambda: pd.DataFrame({"a": [1.0, 2.0], "b": pd.Categorical(["x", "y"])}),
        NO_NUMBERS.format("b") + r"category",
        "frame",
    ),
    "mixed_dtype_polars": Bad(
        lambda: pl.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]}),
        NO_NUMBERS.format("b") + r"String",
        "frame",
    ),
    # Nested columns convert to several columns each ("setting an array
    # element with a sequence").
    "struct_polars": Bad(
        lambda: beside_a([{"x": 1.0}, {"x": 2.0}], pl),
        NO_NUMBERS.format("b") + r"Struct",
        "frame",
    ),
    "array_polars": Bad(
        lambda: beside_a(
            pl.Series([[1.0, 2.0]] * 2, dtype=pl.Array(pl.Float64, 2)), pl
        ),
        NO_NUMBERS.format("b") + r"Array",
        "frame",
    ),
    "period_frame": Bad(
        lambda: beside_a(pd.period_range("2020", periods=2, freq="D")),
        NO_NUMBERS.format("b"),
        "frame",
    ),
    # Dates and durations, which NumPy and polars would turn into counts of
    # nanoseconds or microseconds without a word.
    "datetime_frame": Bad(
        lambda: beside_a(pd.to_datetime(["2020-01-01", "2020-01-02"])),
        DATES.format("b") + r"datetime64",
        "frame",
    ),
    "duration_frame": Bad(
        lambda: beside_a(pd.to_timedelta([1, 2], "h")),
        DATES.format("b") + r"timedelta64",
        "frame",
    ),
    "datetime_polars": Bad(
        lambda: beside_a(pd.to_datetime(["2020-01-01", "2020-01-02"]), pl),
        DATES.format("b") + r"Datetime",
        "frame",
    ),
    "date_polars": Bad(
        lambda: beside_a(
            pl.date_range(pl.date(2020, 1, 1), pl.date(2020, 1, 2), eager=True), pl
        ),
        DATES.format("b") + r"Date",
        "frame",
    ),
    "duplicated_columns": Bad(
        lambda: pd.DataFrame([[1.0, 2.0], [3.0, 4.0]], columns=["a", "a"]),
        r"unique column names.*'a' 2 times",
        "frame",
    ),
    "mixed_type_column_names": Bad(
        lambda: pd.DataFrame([[1.0, 2.0], [3.0, 4.0]], columns=["a", 1]),
        r"feature names are only supported if all input features have string names",
        names=True,
    ),
    # Infinity: the message names the column.
    "plus_inf": Bad(
        lambda: np.array([[1.0, np.inf], [2.0, 3.0]]), INFINITY.format("column 1")
    ),
    "minus_inf": Bad(
        lambda: np.array([[1.0, 2.0], [-np.inf, 3.0]]), INFINITY.format("column 0")
    ),
    "inf_float32": Bad(
        lambda: np.array([[np.inf, 1.0], [2.0, -np.inf]], dtype=np.float32),
        INFINITY.format("column 0, column 1"),
    ),
    "inf_float16": Bad(
        lambda: np.array([[1.0, 2.0], [3.0, np.inf]], dtype=np.float16),
        INFINITY.format("column 1"),
    ),
    "inf_with_nan": Bad(
        lambda: [[np.nan, np.inf], [2.0, np.nan]], INFINITY.format("column 1")
    ),
    "inf_frame": Bad(
        lambda: pd.DataFrame({"a": [1.0, 2.0], "b": [np.inf, 1.0]}),
        INFINITY.format(r"'b' \(column 1\)"),
        "frame",
    ),
    "inf_sparse": Bad(
        lambda: sparse.csr_matrix(np.array([[0.0, np.inf], [1.0, 0.0]])),
        INFINITY.format("column 1"),
        applies=accepts_sparse,
    ),
    # Sparse input for the scalers that center.
    "sparse_when_centering": Bad(
        lambda: sparse.csr_matrix(np.eye(2)),
        r"cannot take sparse input.*(toarray|with_mean=False|MaxAbsScaler)",
        applies=lambda estimator: not accepts_sparse(estimator),
    ),
    # Not the number of features (or the names) seen in fit.
    "more_features": Bad(
        lambda: np.ones((2, 3)),
        r"X has 3 features, but \w+ is expecting 2 features",
        only_fitted=True,
    ),
    "fewer_features": Bad(
        lambda: np.ones((2, 1)),
        r"X has 1 features, but \w+ is expecting 2 features",
        only_fitted=True,
    ),
    "more_features_frame": Bad(
        lambda: pd.DataFrame({"a": [1.0], "b": [1.0], "c": [1.0]}),
        r"unseen at fit time:\s*- c|X has 3 features, but \w+ is expecting 2",
        "frame",
        only_fitted=True,
    ),
    "renamed_columns": Bad(
        lambda: pd.DataFrame({"a": [1.0, 2.0], "c": [0.0, 1.0]}),
        r"feature names should match.*unseen at fit time:\s*- c",
        "frame",
        only_fitted=True,
        names=True,
    ),
    # A number beyond float64.
    "int_beyond_float64": Bad(
        lambda: [[10**400, 1.0], [1.0, 2.0]], r"too large|overflow|out of range"
    ),
}

# Each method: whether it runs on a fitted estimator, and the method it calls.
X_METHODS = {
    "fit": (False, "fit"),
    "partial_fit": (False, "partial_fit"),
    "refit": (True, "fit"),
    "partial_fit_fitted": (True, "partial_fit"),
    "transform": (True, "transform"),
    "inverse_transform": (True, "inverse_transform"),
}
RESETS = {"fit", "partial_fit", "refit"}


def x_cases():
    for name in ESTIMATOR_NAMES:
        estimator = make(name)
        for method, (_, attribute) in X_METHODS.items():
            if not hasattr(estimator, attribute):
                continue
            for case, bad in BAD_X.items():
                if not bad.applies(estimator):
                    continue
                if bad.only_fitted and method in RESETS:
                    continue
                if bad.names and method == "inverse_transform":
                    continue
                yield pytest.param(name, method, case, id=f"{name}-{method}-{case}")


# -- the table of bad sample weights, for n_samples = 3 -------------------------

BAD_WEIGHTS = {
    "too_short": (lambda: np.ones(2), r"sample_weight has 2 entries but X has 3 rows"),
    "too_long": (lambda: [1.0] * 4, r"sample_weight has 4 entries but X has 3 rows"),
    "empty": (lambda: [], r"sample_weight has 0 entries but X has 3 rows"),
    "two_d": (lambda: np.ones((3, 1)), r"sample_weight must be 1-D.*\(3, 1\)"),
    "strings": (lambda: ["a", "b", "c"], r"sample_weight must be an array of numbers"),
    "string_scalar": (lambda: "abc", r"sample_weight must be an array of numbers"),
    "dict": (lambda: {"a": 1.0}, r"sample_weight must be an array of numbers"),
    "negative": (lambda: [1.0, -1.0, 1.0], r"sample_weight contains negative"),
    "negative_scalar": (lambda: -2.0, r"sample_weight contains negative"),
    "nan": (lambda: [1.0, np.nan, 1.0], r"sample_weight contains NaN"),
    "nan_scalar": (lambda: np.nan, r"sample_weight contains NaN"),
    "none_entry": (
        lambda: np.array([1.0, None, 1.0], dtype=object),
        r"sample_weight contains NaN",
    ),
    "plus_inf": (lambda: [1.0, np.inf, 1.0], r"sample_weight contains .*infinite"),
    "minus_inf": (lambda: [-np.inf, 1.0, 1.0], r"sample_weight contains .*infinite"),
    "complex_list": (lambda: [1 + 1j] * 3, r"sample_weight must be .*numbers"),
    "complex_array": (lambda: np.full(3, 1 + 1j), r"sample_weight.*complex"),
}

# The methods that take sample_weight.
WEIGHT_METHODS = {
    method: X_METHODS[method]
    for method in ("fit", "partial_fit", "refit", "partial_fit_fitted")
}


def weight_cases():
    for name in ESTIMATOR_NAMES:
        for method in WEIGHT_METHODS:
            for case in BAD_WEIGHTS:
                yield pytest.param(name, method, case, id=f"{name}-{method}-{case}")


# -- helpers ---------------------------------------------------------------------


def assert_same_value(new, old, where):
    if isinstance(old, np.ndarray):
        assert isinstance(new, np.ndarray), where
        assert new.dtype == old.dtype, where
        np.testing.assert_array_equal(new, old, err_msg=where, strict=True)
    else:
        assert type(new) is type(old), where
        assert new == old, where


def assert_state_unchanged(estimator, before):
    """Every attribute of ``estimator`` equals the deep copy ``before``."""
    after = vars(estimator)
    assert after.keys() == before.keys()
    for key, old in before.items():
        if key in ("stats_", "_map", "_history"):
            assert type(after[key]) is type(old)
            fields = vars(after[key])
            assert fields.keys() == vars(old).keys()
            for field, value in vars(old).items():
                assert_same_value(fields[field], value, f"stats_.{field}")
        else:
            assert_same_value(after[key], old, key)


def outputs(estimator, X):
    """What the estimator makes of good data, to compare before and after."""
    results = [estimator.transform(X)]
    if hasattr(estimator, "inverse_transform"):
        results.append(estimator.inverse_transform(X))
    return results


@contextmanager
def strictly():
    """Make warnings errors; fail briefly on anything but ValueError or TypeError.

    Briefly: pytest would format the whole traceback through numpy and pandas,
    which costs far more than the call itself.
    """
    unexpected = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            yield
    except (ValueError, TypeError):
        raise
    except Exception as exc:
        unexpected = exc
    if unexpected is not None:
        trace = "".join(traceback.format_exception(unexpected))
        message = f"expected ValueError or TypeError, no warning; got:\n{trace}"
        raise pytest.fail.Exception(message, pytrace=False) from None


def assert_refused(call, match=None):
    """``call()`` raises ValueError or TypeError with a helpful message, no warning."""
    with pytest.raises((ValueError, TypeError)) as info, strictly():
        call()
    assert not isinstance(info.value, NEVER), repr(info.value)
    message = str(info.value)
    assert message.strip(), f"empty message from {type(info.value).__name__}"
    if match is not None:
        assert re.search(match, message, re.IGNORECASE | re.DOTALL), message
    return info.value


def check_refused_and_unchanged(name, fitted, fitted_on, call, match):
    """``call(estimator)`` is refused and leaves the estimator as it was."""
    estimator = make(name)
    good = None
    if fitted:
        estimator.fit(REFERENCE[fitted_on])
        good = outputs(estimator, REFERENCE[fitted_on])
    before = copy.deepcopy(vars(estimator))
    assert_refused(lambda: call(estimator), match)
    assert_state_unchanged(estimator, before)
    if fitted:
        for new, old in zip(
            outputs(estimator, REFERENCE[fitted_on]), good, strict=True
        ):
            np.testing.assert_array_equal(new, old, strict=True)


# -- the table-driven tests --------------------------------------------------------


@pytest.mark.parametrize(("name", "method", "case"), list(x_cases()))
def test_bad_x_is_refused_and_changes_nothing(name, method, case):
    bad = BAD_X[case]
    fitted, attribute = X_METHODS[method]
    check_refused_and_unchanged(
        name,
        fitted,
        bad.fitted_on,
        lambda estimator: getattr(estimator, attribute)(bad.make()),
        bad.match,
    )


@pytest.mark.parametrize(("name", "method", "case"), list(weight_cases()))
def test_bad_sample_weight_is_refused_and_changes_nothing(name, method, case):
    make_weight, match = BAD_WEIGHTS[case]
    fitted, attribute = WEIGHT_METHODS[method]
    check_refused_and_unchanged(
        name,
        fitted,
        "array",
        lambda estimator: getattr(estimator, attribute)(
            GOOD, sample_weight=make_weight()
        ),
        match,
    )


@pytest.mark.parametrize("name", ESTIMATOR_NAMES)
def test_sample_weights_summing_beyond_float64_fit_or_refuse_quietly(name):
    """Finite weights whose sum overflows: learn from them or say so, never warn."""
    estimator = make(name)
    weight = np.full(3, 1e308)
    try:
        with strictly():
            estimator.fit(GOOD, sample_weight=weight)
    except (ValueError, TypeError) as exc:
        assert re.search("sample_weight", str(exc)), str(exc)
        return
    expected = make(name).fit(GOOD)
    for new, old in zip(outputs(estimator, GOOD), outputs(expected, GOOD), strict=True):
        np.testing.assert_allclose(new, old)


# -- hypothesis: random garbage ------------------------------------------------------

FUZZ = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

SCALARS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(),
    st.booleans(),
    st.none(),
    st.text(max_size=3),
    st.complex_numbers(),
)
NESTED = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4), max_leaves=16)
DTYPES = [
    np.float64,
    np.float32,
    np.float16,
    np.int64,
    np.uint8,
    np.bool_,
    np.complex128,
    np.dtype("U3"),
    np.dtype("S3"),
    np.dtype(object),
]


@st.composite
def garbage_arrays(draw):
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    shape = draw(array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    elements = SCALARS if dtype.kind == "O" else None
    return draw(arrays(dtype, shape, elements=elements))


@st.composite
def infinite_arrays(draw):
    """A 2-D float array with +-inf at random places (at least one), maybe NaN."""
    shape = draw(array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=8))
    X = draw(arrays(np.float64, shape, elements=st.floats(-1e6, 1e6)))
    cells = draw(arrays(np.bool_, shape))
    X[cells] = draw(st.sampled_from([np.inf, -np.inf, np.nan]))
    row = draw(st.integers(0, shape[0] - 1))
    column = draw(st.integers(0, shape[1] - 1))
    X[row, column] = draw(st.sampled_from([np.inf, -np.inf]))
    return X


@st.composite
def garbage_frames(draw):
    """A DataFrame of random columns, names possibly repeated or not strings."""
    n_rows = draw(st.integers(0, 4))
    names = draw(st.lists(st.sampled_from(["a", "b", "c", 0]), max_size=3))
    columns = [draw(st.lists(SCALARS, min_size=n_rows, max_size=n_rows)) for _ in names]
    frame = pd.DataFrame(dict(enumerate(columns)), index=range(n_rows))
    frame.columns = names
    return frame


NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-1e3, 1e3),
    st.integers(-(10**6), 10**6),
    st.booleans(),
    st.none(),
)


@st.composite
def tables(draw):
    """Rectangular lists of rows: plausible data, NaN and None, maybe a string."""
    n_rows = draw(st.integers(0, 4))
    n_columns = draw(st.sampled_from([0, 1, 2, 2, 2, 3]))
    cells = draw(st.sampled_from([NUMBERS, NUMBERS | st.text(max_size=2)]))
    row = st.lists(cells, min_size=n_columns, max_size=n_columns)
    return draw(st.lists(row, min_size=n_rows, max_size=n_rows))


GARBAGE = st.one_of(NESTED, tables(), garbage_arrays(), infinite_arrays())
WEIGHT_GARBAGE = st.one_of(
    st.none(),
    st.floats(),
    st.lists(SCALARS, max_size=5),
    st.lists(st.lists(st.floats(0, 10), max_size=2), max_size=4),
    arrays(st.sampled_from([np.float64, np.int64, np.complex128]), st.integers(0, 5)),
)


def fit_or_refuse(call, estimator):
    """``call()`` succeeds or raises ValueError/TypeError; either way, no warning.

    Returns whether it succeeded; when it did not, the estimator is unchanged.
    """
    before = copy.deepcopy(vars(estimator))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            # The one warning a fit may give on data it accepts.
            warnings.filterwarnings("ignore", "feature .* had no observed", UserWarning)
            call()
    except (ValueError, TypeError) as exc:
        assert not isinstance(exc, NEVER), repr(exc)
        assert str(exc).strip(), f"empty message from {type(exc).__name__}"
        assert_state_unchanged(estimator, before)
        return False
    return True


@pytest.mark.parametrize("name", ESTIMATOR_NAMES)
@FUZZ
@given(
    X=st.one_of(GARBAGE, garbage_frames()),
    sample_weight=st.none() | WEIGHT_GARBAGE,
)
def test_fit_on_garbage_fits_or_raises_a_clear_error(name, X, sample_weight):
    estimator = make(name)
    fit_or_refuse(lambda: estimator.fit(X, sample_weight=sample_weight), estimator)


@pytest.mark.parametrize("name", ESTIMATOR_NAMES)
@FUZZ
@given(X=GARBAGE)
def test_fitted_estimator_on_garbage_updates_or_changes_nothing(name, X):
    estimator = make(name).fit(GOOD)
    methods = ["transform", "inverse_transform", "partial_fit"]
    for method in [m for m in methods if hasattr(estimator, m)]:
        good = outputs(estimator, GOOD)
        if not fit_or_refuse(lambda m=method: getattr(estimator, m)(X), estimator):
            for new, old in zip(outputs(estimator, GOOD), good, strict=True):
                np.testing.assert_array_equal(new, old, strict=True)


@pytest.mark.parametrize("name", ESTIMATOR_NAMES)
@FUZZ
@given(X=infinite_arrays())
def test_infinity_anywhere_is_refused_naming_its_columns(name, X):
    infinite = np.flatnonzero(np.isinf(X).any(axis=0))
    # Fitted on the finite values only: no feature is left unobserved (which
    # transform would rightly warn about).
    fitted = make(name).fit(np.where(np.isfinite(X), X, 1.0))
    calls = [(make(name), "fit"), (fitted, "partial_fit"), (fitted, "transform")]
    if hasattr(fitted, "inverse_transform"):
        calls.append((fitted, "inverse_transform"))
    for estimator, method in calls:
        before = copy.deepcopy(vars(estimator))
        exc = assert_refused(
            lambda e=estimator, m=method: getattr(e, m)(X), r"\+inf or -inf in feature"
        )
        named = [int(j) for j in re.findall(r"column (\d+)", str(exc))]
        assert named == infinite[:5].tolist(), (method, str(exc))
        if infinite.size > 5:
            assert f"and {infinite.size - 5} more" in str(exc), str(exc)
        assert_state_unchanged(estimator, before)
