"""
Every scaler on data with outliers
==================================

The scalers of skscale differ only in the center they subtract and the scale
they divide by (see :ref:`scaler-table`). On data with outliers the choice
matters: the minimum, the maximum and the standard deviation are all pulled by
a handful of extreme values, each in its own way. This example scales one
synthetic data set with every scaler, and shows the data before and after as a
scatter plot and as the histogram of each feature.
"""

# %%
# The data
# --------
#
# Two features on very different scales: an income-like feature with a long
# right tail (log-normal), and a measurement around 20 with a few gross errors
# (1% of the rows, far on either side).

import matplotlib.pyplot as plt
import numpy as np

from skscale import (
    MaxAbsScaler,
    MeanNormalizationScaler,
    MinMaxScaler,
    StandardScaler,
    UnitLengthNormalizer,
)

rng = np.random.default_rng(0)
n = 1000
income = rng.lognormal(mean=10.5, sigma=0.6, size=n)
measurement = rng.normal(loc=20.0, scale=2.0, size=n)
errors = rng.random(n) < 0.01
measurement[errors] = rng.choice([-150.0, 250.0], size=errors.sum())
X = np.column_stack([income, measurement])
inlier = ~errors
print(f"{n} rows, {errors.sum()} gross errors in the second feature")

# %%
# Scale with each scaler
# ----------------------
#
# Each scaler is fitted on all the data, outliers included, as it would be in a
# pipeline. :class:`~skscale.UnitLengthNormalizer` scales each *row* rather than
# each feature: it is there to show how different that is.

scalers = {
    "Unscaled": None,
    "StandardScaler": StandardScaler(),
    "MinMaxScaler": MinMaxScaler(),
    "MeanNormalizationScaler": MeanNormalizationScaler(),
    "MaxAbsScaler": MaxAbsScaler(),
    "UnitLengthNormalizer": UnitLengthNormalizer(),
}
scaled = {
    name: X if scaler is None else scaler.fit_transform(X)
    for name, scaler in scalers.items()
}

# %%
# Where do the inliers end up? The table gives, for each feature, the interval
# that holds the central 98% of the rows without a gross error, after scaling.
# The outliers decide it: :class:`~skscale.MinMaxScaler` squeezes the good
# measurements into a sliver of ``[0, 1]``, and the standard deviation that
# :class:`~skscale.StandardScaler` divides by is inflated by the errors.

print(f"{'scaler':<24} {'income, 1%-99%':>22} {'measurement, 1%-99%':>24}")
for name, Xt in scaled.items():
    low, high = np.percentile(Xt[inlier], [1, 99], axis=0)
    print(
        f"{name:<24} [{low[0]:9.3g}, {high[0]:9.3g}]   [{low[1]:9.3g}, {high[1]:9.3g}]"
    )

# %%
# Before and after, in pictures
# -----------------------------
#
# One row per scaler: the scatter plot of the two features, then the histogram
# of each feature (log counts, so that the few outliers show). Outliers are in
# red. The column scalers are affine maps of each feature, so the shapes do not
# change: only the axes do, and that is what to compare from row to row.

fig, axes = plt.subplots(len(scaled), 3, figsize=(10, 2.6 * len(scaled)))
for row, (name, Xt) in zip(axes, scaled.items(), strict=True):
    row[0].scatter(Xt[inlier, 0], Xt[inlier, 1], s=4, alpha=0.5, color="C0")
    row[0].scatter(Xt[errors, 0], Xt[errors, 1], s=12, color="C3", label="outliers")
    row[0].set_title(name, loc="left", fontsize=10, fontweight="bold")
    row[0].set_xlabel("income")
    row[0].set_ylabel("measurement")
    for j, feature in enumerate(["income", "measurement"]):
        row[j + 1].hist(
            [Xt[inlier, j], Xt[errors, j]],
            bins=60,
            stacked=True,
            log=True,
            color=[f"C{j + 1}", "C3"],
        )
        row[j + 1].set_xlabel(feature)
    for ax in row:
        ax.ticklabel_format(axis="x", useOffset=False)
        ax.locator_params(axis="x", nbins=5)
axes[0, 0].legend(loc="upper right", fontsize=8)
fig.tight_layout()
plt.show()

# %%
# What to read in the figure
# --------------------------
#
# - The **unscaled** features differ by four orders of magnitude: a
#   distance-based model would only see the income.
# - **StandardScaler** gives both features unit variance, but the measurement's
#   variance is dominated by the errors, so the good values sit in a narrow band
#   around 0.
# - **MinMaxScaler** maps the extremes, which are errors, onto 0 and 1: the
#   good measurements fill a small part of the interval.
# - **MeanNormalizationScaler** divides by the same range, centered on the mean:
#   the same squeeze, around 0.
# - **MaxAbsScaler** keeps the sign and zero (and sparsity) and divides by the
#   largest magnitude, here an error.
# - **UnitLengthNormalizer** puts every row on the unit circle: the income, much
#   larger, dominates every row's norm, so the second coordinate is near 0
#   except for the outliers.
#
# None of these scalers is robust to outliers: remove or clip gross errors
# first, or use a rank- or quantile-based transformer such as scikit-learn's
# ``RobustScaler`` or ``QuantileTransformer``.
