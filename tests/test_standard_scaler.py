"""StandardScaler: formula checks against hand-computed values."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skscale import StandardScaler

X = np.array([[1.0, 10.0], [2.0, 10.0], [3.0, 10.0], [6.0, 10.0]])


def test_hand_computed_statistics_and_output():
    est = StandardScaler().fit(X)
    # mean 3, squared deviations 4 + 1 + 0 + 9 = 14, population variance 3.5
    assert_array_equal(est.mean_, [3.0, 10.0])
    assert_allclose(est.var_, [3.5, 0.0], rtol=1e-15)
    assert_allclose(est.scale_, [np.sqrt(3.5), 1.0], rtol=1e-15)
    assert_allclose(
        est.transform(X)[:, 0], np.array([-2.0, -1.0, 0.0, 3.0]) / np.sqrt(3.5)
    )
    assert_array_equal(est.transform(X)[:, 1], 0.0)


def test_ddof_one_gives_the_sample_variance():
    est = StandardScaler(ddof=1).fit(X)
    assert_allclose(est.var_, [14.0 / 3.0, 0.0], rtol=1e-15)


def test_ddof_larger_than_the_sample_gives_zero_variance_and_finite_output():
    # On main this was silent: now fit says so, naming the feature.
    with pytest.warns(UserWarning, match=r"column 0 has a total weight of at most"):
        est = StandardScaler(ddof=1).fit([[4.0]])
    assert_array_equal(est.var_, [0.0])
    assert_array_equal(est.transform([[5.0]]), [[1.0]])
    with pytest.warns(UserWarning, match=r"ddof=5"):
        StandardScaler(ddof=5).fit([[1.0], [3.0]])


def test_weighted_statistics():
    est = StandardScaler().fit([[0.0], [4.0]], sample_weight=[3.0, 1.0])
    # mean (0*3 + 4)/4 = 1; variance (3*1 + 9)/4 = 3
    assert_array_equal(est.mean_, [1.0])
    assert_allclose(est.var_, [3.0], rtol=1e-15)


@pytest.mark.parametrize(
    "params, center, scale",
    [
        ({"with_mean": False}, [0.0, 0.0], [np.sqrt(3.5), 1.0]),
        ({"with_std": False}, [3.0, 10.0], [1.0, 1.0]),
    ],
)
def test_with_mean_and_with_std(params, center, scale):
    est = StandardScaler(**params).fit(X)
    assert_allclose(est.center_, center)
    assert_allclose(est.scale_, scale)
    assert_allclose(est.transform(X), (X - np.array(center)) / np.array(scale))


def test_matches_scikit_learn():
    from sklearn.preprocessing import StandardScaler as Reference

    rng = np.random.default_rng(1)
    data = rng.normal(4, 2, size=(300, 5))
    ours, theirs = StandardScaler().fit(data), Reference().fit(data)
    for name in ("mean_", "var_", "scale_"):
        assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=1e-12)
    assert_allclose(
        ours.transform(data), theirs.transform(data), rtol=1e-12, atol=1e-14
    )


@pytest.mark.parametrize(
    "params, message",
    [
        ({"ddof": -1}, "ddof must be a number >= 0, got -1"),
        ({"ddof": "1"}, "ddof must be a number >= 0, got '1'"),
        ({"ddof": np.inf}, "ddof must be finite"),
        ({"with_mean": "yes"}, "with_mean must be a bool, got 'yes'"),
        ({"with_std": None}, "with_std must be a bool, got None"),
        ({"copy": 1}, "copy must be a bool, got 1"),
    ],
)
def test_bad_parameters_are_named(params, message):
    with pytest.raises(ValueError, match=message):
        StandardScaler(**params).fit(X)
