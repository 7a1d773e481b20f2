"""Shared fixtures and the registry of every public estimator."""

from fractions import Fraction

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


def exact_sum(values):
    """The exact sum of finite floats, as a Fraction, at NumPy's speed.

    Each float64 is an integer of at most 53 bits times a power of two
    (``np.frexp``). The integers are split into halves of 26 bits, whose
    sums over the values of one exponent fit in int64 for up to 2**37
    values; the few per-exponent sums are then joined in Python's integers.
    A sum of ``map(Fraction, ...)`` gives the same, 30 times slower.
    """
    x = np.asarray(values, dtype=np.float64).ravel()
    assert np.isfinite(x).all()
    if not x.size:
        return Fraction(0)
    fraction, exponent = np.frexp(x)
    mantissa = np.ldexp(fraction, 53).astype(np.int64)  # x = mantissa * 2**(e - 53)
    high = mantissa >> 26
    low = mantissa - (high << 26)
    order = np.argsort(exponent, kind="stable")
    exponents, starts = np.unique(exponent[order], return_index=True)
    highs = np.add.reduceat(high[order], starts)
    lows = np.add.reduceat(low[order], starts)
    base = int(exponents[0]) - 53
    total = sum(
        ((int(h) << 26) + int(lo)) << (int(e) - 53 - base)
        for h, lo, e in zip(highs, lows, exponents, strict=True)
    )
    return Fraction(total) * Fraction(2) ** base


def exact_moments(x, w=None):
    """Exact weighted mean and variance of the observed entries (Fractions).

    Every float is an integer over a power of two: on a common denominator the
    sums are exact Python integers, much faster than summing Fractions.
    """
    w = np.ones(len(x)) if w is None else w
    keep = ~np.isnan(x) & (w > 0)
    xs = [v.as_integer_ratio() for v in x[keep].tolist()]
    ws = [v.as_integer_ratio() for v in w[keep].tolist()]
    dx = max(d for _, d in xs)
    dw = max(d for _, d in ws)
    xi = [n * (dx // d) for n, d in xs]
    wi = [n * (dw // d) for n, d in ws]
    total = sum(wi)
    first = sum(a * b for a, b in zip(wi, xi, strict=True))
    second = sum(a * b * b for a, b in zip(wi, xi, strict=True))
    mean = Fraction(first, total * dx)
    var = Fraction(second * total - first * first, total * total * dx * dx)
    return mean, var
