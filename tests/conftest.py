"""Shared fixtures and the registry of every public estimator."""

import numpy as np
import pytest

import skscale


def all_estimators():
    """One default instance of every public estimator, by name."""
    return {name: getattr(skscale, name)() for name in skscale.__all__}


COLUMN_SCALERS = [
    name
    for name, est in all_estimators().items()
    if hasattr(est, "inverse_transform") and hasattr(est, "merge")
]


@pytest.fixture
def rng():
    return np.random.default_rng(0)
