"""Shared fixtures and the registry of every public estimator."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator

import skscale

# Public names that are not estimators: the configuration functions.
CONFIG_FUNCTIONS = {"config_context", "get_config", "set_config"}
ESTIMATOR_NAMES = [
    name
    for name in skscale.__all__
    if isinstance(getattr(skscale, name), type)
    and issubclass(getattr(skscale, name), BaseEstimator)
]


def all_estimators():
    """One default instance of every public estimator, by name."""
    return {name: getattr(skscale, name)() for name in ESTIMATOR_NAMES}


COLUMN_SCALERS = [
    name
    for name, est in all_estimators().items()
    if hasattr(est, "inverse_transform") and hasattr(est, "merge")
]


@pytest.fixture
def rng():
    return np.random.default_rng(0)
