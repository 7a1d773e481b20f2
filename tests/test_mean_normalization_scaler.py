"""MeanNormalizationScaler: formula checks against hand-computed values."""

import numpy as np
from numpy.testing import assert_array_equal

from skscale import MeanNormalizationScaler


def test_hand_computed_attributes_and_output():
    X = np.array([[0.0, 1.0], [2.0, 1.0], [10.0, 1.0]])
    est = MeanNormalizationScaler().fit(X)
    # mean 4, range 10
    assert_array_equal(est.mean_, [4.0, 1.0])
    assert_array_equal(est.data_range_, [10.0, 0.0])
    assert_array_equal(est.scale_, [10.0, 1.0])
    assert_array_equal(est.transform(X), [[-0.4, 0.0], [-0.2, 0.0], [0.6, 0.0]])


def test_weights_move_the_mean_not_the_range():
    X = np.array([[0.0], [10.0]])
    est = MeanNormalizationScaler().fit(X, sample_weight=[3.0, 1.0])
    assert_array_equal(est.mean_, [2.5])
    assert_array_equal(est.transform(X), [[-0.25], [0.75]])
