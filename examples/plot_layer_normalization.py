"""
Standardizing each sample: layer normalization and SNV
======================================================

:class:`~skscale.LayerNormalizer` standardizes each *sample* (row) across its
features, ``(x - mean(row)) / sqrt(var(row) + eps)``: it is layer normalization
as deep learning uses it, and the Standard Normal Variate (SNV) transform of
chemometrics. A column scaler such as :class:`~skscale.StandardScaler`
standardizes each *feature* across the samples instead. This example shows, on
synthetic near-infrared spectra, when removing each sample's level and scale
helps a model (they are drift of the instrument), and when it hurts (they are
the quantity to predict); then what it does to tabular features in unrelated
units. The formulas are in :doc:`/user_guide/scalers`.
"""

# %%
# Spectra under a drifting light
# ------------------------------
#
# 300 spectra at 300 wavelengths between 1000 and 2500 nm. Each is a flat
# baseline plus four absorption bands: three broad ones whose heights vary from
# sample to sample (the rest of the sample's composition, of no interest here),
# and a narrow one at 1940 nm whose height, between 0.2 and 0.6, is the target.
# The target is a property of the *shape* of the spectrum.
#
# Each measurement then drifts, as when the light source, the path length or
# the detector change from one sample to the next: the whole spectrum is
# multiplied by a gain between 0.5 and 2 and shifted by an offset between -0.5
# and 0.5, and noise of standard deviation 0.01 is added.

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_wine
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import make_pipeline

from skscale import LayerNormalizer, StandardScaler, UnitLengthNormalizer

rng = np.random.default_rng(0)
n_samples = 300
wavelengths = np.linspace(1000.0, 2500.0, 300)
PEAK = 1940.0


def band(center, width):
    """A Gaussian absorption band of height 1."""
    return np.exp(-0.5 * ((wavelengths - center) / width) ** 2)


def spectral_shapes(n):
    """n drift-free spectra, and the height of the band at 1940 nm in each."""
    heights = rng.uniform(0.6, 1.0, size=(n, 3))
    peak = rng.uniform(0.2, 0.6, size=n)
    shapes = (
        0.2
        + heights[:, [0]] * band(1200.0, 80.0)
        + heights[:, [1]] * band(1700.0, 120.0)
        + heights[:, [2]] * band(2200.0, 100.0)
        + peak[:, np.newaxis] * band(PEAK, 25.0)
    )
    return shapes, peak


shapes, peak = spectral_shapes(n_samples)
gain = rng.uniform(0.5, 2.0, size=(n_samples, 1))
offset = rng.uniform(-0.5, 0.5, size=(n_samples, 1))
X = gain * shapes + offset + rng.normal(0.0, 0.01, size=shapes.shape)
y = peak

ratio = X.var(axis=0).sum() / shapes.var(axis=0).sum()
print(f"{X.shape[0]} spectra, {X.shape[1]} wavelengths")
print(
    f"variance of the drifting spectra / variance of the drift-free ones: {ratio:.0f}"
)

# %%
# Two axes of normalization
# -------------------------
#
# The same spectra, raw and after three normalizations, coloured by the target.
# :class:`~skscale.StandardScaler` standardizes each wavelength (column) across
# the samples; :class:`~skscale.UnitLengthNormalizer` divides each spectrum
# (row) by its Euclidean norm; :class:`~skscale.LayerNormalizer` subtracts each
# spectrum's mean and divides by its standard deviation. The bottom row zooms on
# the target's band (the grey strip of the top row).

normalizations = {
    "Raw spectra": None,
    "StandardScaler\n(each wavelength)": StandardScaler(),
    "UnitLengthNormalizer\n(each spectrum, unit norm)": UnitLengthNormalizer(),
    "LayerNormalizer\n(each spectrum, SNV)": LayerNormalizer(),
}
shown = np.arange(40)
colors = plt.cm.viridis((y[shown] - 0.2) / 0.4)
zoom = (wavelengths > 1860.0) & (wavelengths < 2020.0)
fig, axes = plt.subplots(
    2, 4, figsize=(13, 6), height_ratios=[3, 2], layout="constrained"
)
for column, (title, normalizer) in zip(axes.T, normalizations.items(), strict=True):
    Xt = X if normalizer is None else normalizer.fit_transform(X)
    for i, color in zip(shown, colors, strict=True):
        column[0].plot(wavelengths, Xt[i], color=color, lw=0.8)
        column[1].plot(wavelengths[zoom], Xt[i, zoom], color=color, lw=0.8)
    column[0].axvspan(1860.0, 2020.0, color="0.9", zorder=0)
    column[0].set_title(title, fontsize=10)
    column[1].set_xlabel("wavelength (nm)")
axes[0, 0].set_ylabel("absorbance")
axes[1, 0].set_ylabel("the target's band")
fig.colorbar(
    plt.cm.ScalarMappable(norm=plt.Normalize(0.2, 0.6), cmap="viridis"),
    ax=axes,
    label="height of the 1940 nm band (target)",
    fraction=0.02,
    pad=0.01,
)
plt.show()

# %%
# On the raw spectra the drift is all one sees: the colours, the target, are
# mixed. Standardizing each wavelength changes the units of each column, not
# which spectra lie high or low, since the drift moves every wavelength of a
# spectrum together. Dividing each spectrum by its norm removes the gain but
# not the offset, which changes the norm as well. Subtracting each spectrum's
# mean removes the offset, and dividing by its standard deviation then removes
# the gain: what is left is the shape, and the spectra line up in the order of
# their band at 1940 nm. Up to the noise, the standardized drifting spectra are
# the standardized drift-free ones (each standardized row has a standard
# deviation of 1):

layer = LayerNormalizer()
gap = layer.fit_transform(X) - layer.fit_transform(shapes)
rms = np.sqrt(np.mean(gap**2))
print(f"root mean square of LayerNormalizer(drifting) - (drift-free): {rms:.3f}")

# %%
# When it helps: the target is in the shape
# -----------------------------------------
#
# Each scaler goes in a pipeline in front of a model, and the pipeline is
# scored by 5-fold cross-validation (R², 1 is perfect, 0 is no better than
# predicting the mean). Two models: a ridge regression,
# :class:`~sklearn.linear_model.RidgeCV`, which picks its penalty by
# leave-one-out cross-validation within each training fold, so that no scaler
# is judged with a penalty suited to another's units; and a
# 5-nearest-neighbours regressor, which compares whole spectra by their
# distances. ``"passthrough"`` is no scaling.

scalers = {
    "no scaling": "passthrough",
    "StandardScaler": StandardScaler(),
    "UnitLengthNormalizer": UnitLengthNormalizer(),
    "LayerNormalizer": LayerNormalizer(),
}
models = {
    "RidgeCV": RidgeCV(alphas=np.logspace(-6, 6, 13)),
    "KNeighborsRegressor": KNeighborsRegressor(),
}
cv = KFold(5, shuffle=True, random_state=0)


def cross_validate_all(X, y):
    """The R² of each fold, for every scaler in front of every model."""
    scores = {}
    print(f"{'R² (5-fold)':<22}" + "".join(f"{name:>22}" for name in models))
    for scaler_name, scaler in scalers.items():
        scores[scaler_name] = {
            model_name: cross_val_score(make_pipeline(scaler, model), X, y, cv=cv)
            for model_name, model in models.items()
        }
        print(
            f"{scaler_name:<22}"
            + "".join(
                f"{fold.mean():>15.3f} ± {fold.std():.3f}"
                for fold in scores[scaler_name].values()
            )
        )
    return scores


def plot_scores(scores, title):
    """One group of bars per scaler, one bar per model: mean R² and its std."""
    _, ax = plt.subplots(figsize=(8, 3.8), layout="constrained")
    x = np.arange(len(scores))
    width = 0.38
    for k, model_name in enumerate(models):
        folds = [scores[scaler_name][model_name] for scaler_name in scores]
        ax.bar(
            x + (k - 0.5) * width,
            [fold.mean() for fold in folds],
            width,
            yerr=[fold.std() for fold in folds],
            label=model_name,
            color=f"C{k}",
        )
    ax.axhline(0.0, color="black", lw=0.8)
    ax.set_xticks(x, list(scores))
    ax.set_ylabel("cross-validated R²")
    ax.set_ylim(top=1.2)
    ax.set_title(title)
    ax.legend(loc="upper center", ncols=len(models), fontsize=9)
    plt.show()


scores_drift = cross_validate_all(X, y)
plot_scores(scores_drift, "Target in the shape, under drift: the band's height")

# %%
# :class:`~skscale.LayerNormalizer` gives the best score with both models. The
# nearest neighbours gain the most. On the raw spectra, and after
# :class:`~skscale.StandardScaler`, the neighbours of a spectrum are those with
# a similar gain and offset (the drifting spectra have 39 times the variance of
# the drift-free ones), not those with a similar band, and R² stays near 0.2.
# The unit norm takes the gain out, and R² goes to 0.51, about halfway; the
# standardized rows reach 0.85.
#
# The ridge regression is less hurt by the drift, but a linear model cannot
# divide the gain out: on a spectrum ``gain * shape + offset``, the part of its
# prediction that comes from the shape is multiplied by the gain. Removing the
# gain and the offset first raises R² from 0.84 to 0.92. Dividing by the norm,
# which the offset changes too, does not help the ridge: R² is 0.79, slightly
# worse than without scaling.
#
# :class:`~skscale.LayerNormalizer` learns nothing from the training data
# (``fit`` only validates), so in a pipeline it cannot leak anything from one
# fold to another: each spectrum is normalized with its own statistics only.
#
# When it hurts: the target is in the level
# -----------------------------------------
#
# Now the instrument is stable (no gain, no offset), and the target is the
# concentration of the sample. By the Beer-Lambert law, a sample twice as
# concentrated absorbs twice as much at every wavelength: each spectrum is the
# concentration, between 0.5 and 2 (the range of the gain above), times a shape
# drawn as before, plus the same noise. The scale of each row, nuisance above,
# is now the signal.

shapes, _ = spectral_shapes(n_samples)
concentration = rng.uniform(0.5, 2.0, size=n_samples)
X_conc = concentration[:, np.newaxis] * shapes
X_conc += rng.normal(0.0, 0.01, size=shapes.shape)

scores_concentration = cross_validate_all(X_conc, concentration)
plot_scores(scores_concentration, "Target in the level: the concentration")

# %%
# Without scaling or with :class:`~skscale.StandardScaler`, both models predict
# the concentration almost perfectly: R² is 1.000 for the ridge, 0.97 and 0.99
# for the nearest neighbours. Both row normalizers divide each spectrum by a
# statistic proportional to the concentration (its norm, its standard
# deviation), so what is left is the shape, and the noise, which say nothing
# about it: R² falls below 0 with both models, worse than predicting the mean
# concentration for every sample.
#
# It is the same transformation, on spectra of the same kind of shapes, as in
# the first problem. The data alone do not say whether the level and the scale
# of a sample are nuisance or signal: how the data were measured does. When
# both happen at once (a drifting gain, and a target that multiplies the whole
# spectrum), no row normalization can tell them apart.
#
# Tabular features in unrelated units
# -----------------------------------
#
# The mean and the standard deviation of a row only mean something when its
# features are measurements of the same kind, in the same unit, such as the
# absorbances of a spectrum or the activations of a layer of a network. The
# wine data (bundled with scikit-learn) has 13 chemical measurements in
# unrelated units, and the three largest are:

wine, cultivar = load_wine(return_X_y=True, as_frame=True)
print(wine.agg(["min", "max"]).T.sort_values("max").tail(3))

# %%
# The proline goes ten times higher than any other feature (1680, against 162
# for the magnesium), so the standard deviation of each row is, in effect, the
# proline. The nearest neighbours then classify the wines into their three
# cultivars, with each scaler:

row_std = wine.std(axis=1, ddof=0)
print(
    "correlation of the rows' standard deviation with the proline: "
    f"{np.corrcoef(row_std, wine['proline'])[0, 1]:.5f}"
)
print("\nwine cultivar, 5-nearest-neighbours, accuracy (5-fold):")
wine_cv = StratifiedKFold(5, shuffle=True, random_state=0)
scores_wine = {}
for scaler_name, scaler in scalers.items():
    pipeline = make_pipeline(scaler, KNeighborsClassifier())
    scores_wine[scaler_name] = cross_val_score(pipeline, wine, cultivar, cv=wine_cv)
    folds = scores_wine[scaler_name]
    print(f"  {scaler_name:<22} {folds.mean():.3f} ± {folds.std():.3f}")

# %%
# Any of the scalers helps the nearest neighbours, whose distances without
# scaling are mostly differences of proline: accuracy rises from 0.66 to 0.79
# with the unit norm and 0.82 with the standardized rows. But
# :class:`~skscale.LayerNormalizer` divides every feature by what is, in effect,
# the proline, and stays well behind :class:`~skscale.StandardScaler` (0.96),
# which puts each feature in units of its own spread across the wines. For
# tabular data, scale the columns; keep :class:`~skscale.LayerNormalizer` for
# rows whose features share a unit and whose level and scale vary for reasons
# that have nothing to do with the target.
