"""MinMaxScaler: formula checks against hand-computed values."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skscale import MinMaxScaler

X = np.array([[-1.0, 2.0], [-0.5, 6.0], [0.0, 10.0], [1.0, 18.0]])


def test_hand_computed_attributes_and_output():
    est = MinMaxScaler().fit(X)
    assert_array_equal(est.data_min_, [-1.0, 2.0])
    assert_array_equal(est.data_max_, [1.0, 18.0])
    assert_array_equal(est.data_range_, [2.0, 16.0])
    assert_array_equal(est.scale_, [0.5, 1.0 / 16.0])
    assert_array_equal(est.min_, [0.5, -0.125])
    assert_array_equal(
        est.transform(X), [[0.0, 0.0], [0.25, 0.25], [0.5, 0.5], [1.0, 1.0]]
    )


def test_feature_range_and_scikit_learn_attributes():
    est = MinMaxScaler(feature_range=(-2, 4)).fit(X)
    assert_array_equal(est.transform(X)[[0, -1]], [[-2.0, -2.0], [4.0, 4.0]])
    # scikit-learn's published formula X * scale_ + min_ gives the same map.
    assert_allclose(X * est.scale_ + est.min_, est.transform(X), rtol=1e-15)


def test_clip_keeps_unseen_data_in_range():
    est = MinMaxScaler(feature_range=(0, 1), clip=True).fit(X)
    assert_array_equal(est.transform([[-5.0, 100.0]]), [[0.0, 1.0]])
    assert_array_equal(
        MinMaxScaler().fit(X).transform([[-5.0, 100.0]]), [[-2.0, 6.125]]
    )


def test_subnormal_range_is_scaled_not_lost():
    Z = np.array([[0.0], [1e-310], [2e-310]])
    assert_allclose(MinMaxScaler().fit_transform(Z).ravel(), [0.0, 0.5, 1.0])


def test_matches_scikit_learn():
    from sklearn.preprocessing import MinMaxScaler as Reference

    rng = np.random.default_rng(2)
    data = rng.normal(4, 2, size=(300, 5))
    ours = MinMaxScaler((-1, 3)).fit(data)
    theirs = Reference(feature_range=(-1, 3)).fit(data)
    for name in ("data_min_", "data_max_", "data_range_", "scale_", "min_"):
        assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=1e-14)
    assert_allclose(ours.transform(data), theirs.transform(data), atol=1e-14)


@pytest.mark.parametrize("bad", [(1, 0), (0, 0), (0,), "01", (0, np.inf), (0, None)])
def test_bad_feature_range_is_named(bad):
    with pytest.raises(ValueError, match="feature_range must be a tuple"):
        MinMaxScaler(feature_range=bad).fit(X)


def test_bad_clip_is_named():
    with pytest.raises(ValueError, match="clip must be a bool, got 'no'"):
        MinMaxScaler(clip="no").fit(X)


@pytest.mark.parametrize("feature_range", [(0, 1), (-1, 3)])
def test_range_beyond_float64_is_scaled_in_half_units(feature_range):
    # max - min = 2e308 is not a float64; the scaler works in halves instead.
    X = np.array([[-1e308], [0.0], [1e308]])
    est = MinMaxScaler(feature_range=feature_range).fit(X)
    low, high = feature_range
    assert_allclose(est.transform(X).ravel(), [low, (low + high) / 2, high])
    assert_allclose(est.inverse_transform(est.transform(X)), X, rtol=1e-15)
