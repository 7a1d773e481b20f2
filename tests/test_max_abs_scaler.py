"""MaxAbsScaler: formula checks against hand-computed values."""

import numpy as np
from numpy.testing import assert_allclose, assert_array_equal

from skscale import MaxAbsScaler


def test_hand_computed_attributes_and_output():
    X = np.array([[1.0, -4.0, 0.0], [-2.0, 2.0, 0.0]])
    est = MaxAbsScaler().fit(X)
    assert_array_equal(est.max_abs_, [2.0, 4.0, 0.0])
    assert_array_equal(est.scale_, [2.0, 4.0, 1.0])
    assert_array_equal(est.transform(X), [[0.5, -1.0, 0.0], [-1.0, 0.5, 0.0]])


def test_clip_onto_minus_one_one():
    est = MaxAbsScaler(clip=True).fit([[1.0], [-2.0]])
    assert_array_equal(est.transform([[-6.0], [1.0], [3.0]]), [[-1.0], [0.5], [1.0]])


def test_matches_scikit_learn():
    from sklearn.preprocessing import MaxAbsScaler as Reference

    rng = np.random.default_rng(3)
    data = rng.normal(0, 2, size=(100, 4))
    ours, theirs = MaxAbsScaler().fit(data), Reference().fit(data)
    assert_array_equal(ours.max_abs_, theirs.max_abs_)
    assert_allclose(ours.transform(data), theirs.transform(data), rtol=1e-15)
