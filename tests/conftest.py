"""Shared fixtures and the registry of every public estimator."""

import numpy as np
import pytest

import skscale
from skscale._registry import estimators

# Public names that are not estimators: configuration and persistence functions,
# and the function forms of the estimators.
NON_ESTIMATORS = {
    "config_context",
    "dump",
    "from_dict",
    "get_config",
    "layer_normalize",
    "load",
    "maxabs_scale",
    "mean_normalize",
    "minmax_scale",
    "normalize",
    "scale",
    "set_config",
    "to_dict",
    "to_namespace",
}
# The package's one registry of estimators (read from skscale.__all__).
ESTIMATOR_NAMES = list(estimators())


def all_estimators():
    """One default instance of every public estimator, by name."""
    return {name: getattr(skscale, name)() for name in ESTIMATOR_NAMES}


COLUMN_SCALERS = [
    name
    for name, est in all_estimators().items()
    if hasattr(est, "inverse_transform") and hasattr(est, "merge")
]
# Instances for tables of estimators: every column scaler with its defaults
# (exact statistics, so all of them merge), and the running-statistics mode.
EXACT_SCALERS = [getattr(skscale, name)() for name in COLUMN_SCALERS]
RUNNING_STANDARDIZER = skscale.MiniBatchStandardizer(momentum=0.2, batch_size=2)
NORMALIZER = skscale.UnitLengthNormalizer()


@pytest.fixture
def rng():
    return np.random.default_rng(0)
