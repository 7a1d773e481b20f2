"""UnitLengthNormalizer: formula checks against hand-computed values."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skscale import UnitLengthNormalizer

ROWS = np.array([[3.0, -4.0, 0.0], [1.0, 1.0, 2.0], [0.0, 0.0, 0.0]])


@pytest.mark.parametrize(
    "norm, p",
    [("l1", 1), ("l2", 2), ("max", np.inf), (1.5, 1.5), (3, 3), (np.inf, np.inf)],
)
def test_rows_are_divided_by_their_norm(norm, p):
    out = UnitLengthNormalizer(norm=norm).fit_transform(ROWS)
    norms = np.linalg.norm(ROWS[:2], ord=p, axis=1)
    assert_allclose(out[:2], ROWS[:2] / norms[:, None], rtol=1e-15)
    assert_allclose(np.linalg.norm(out[:2], ord=p, axis=1), 1.0, rtol=1e-15)


def test_zero_rows_stay_zero_without_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = UnitLengthNormalizer().fit_transform(np.zeros((2, 3)))
    assert_array_equal(out, 0.0)


def test_max_norm_divides_by_the_largest_magnitude():
    assert_array_equal(
        UnitLengthNormalizer(norm="max").fit_transform([[-5.0, 3.0]]), [[-1.0, 0.6]]
    )


def test_nan_is_left_out_of_the_norm_and_kept():
    out = UnitLengthNormalizer().fit_transform([[3.0, np.nan, 4.0]])
    assert_allclose(out, [[0.6, np.nan, 0.8]])


def test_huge_and_tiny_rows_do_not_overflow_or_underflow():
    X = np.array([[3e300, 4e300], [3e-300, 4e-300]])
    assert_allclose(UnitLengthNormalizer().fit_transform(X), [[0.6, 0.8]] * 2)


def test_stateless_fit_learns_nothing():
    est = UnitLengthNormalizer()
    out = est.transform(ROWS)
    est.fit(ROWS * 100)
    assert_array_equal(est.transform(ROWS), out)
    assert est.partial_fit(ROWS) is est
    assert est.n_features_in_ == 3


def test_matches_scikit_learn():
    from sklearn.preprocessing import Normalizer

    rng = np.random.default_rng(4)
    data = rng.normal(size=(50, 6))
    for norm in ("l1", "l2", "max"):
        assert_allclose(
            UnitLengthNormalizer(norm=norm).fit_transform(data),
            Normalizer(norm=norm).fit_transform(data),
            rtol=1e-14,
        )


@pytest.mark.parametrize("bad", ["l3", 0.5, 0, True, None])
def test_bad_norm_is_named(bad):
    with pytest.raises(ValueError, match="norm must be 'l1', 'l2', 'max' or a number"):
        UnitLengthNormalizer(norm=bad).fit(ROWS)
