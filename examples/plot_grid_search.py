"""
Grid-search the scaler in a pipeline
====================================

Which scaler suits a model is a hyper-parameter like any other: put the scaler
in a :class:`~sklearn.pipeline.Pipeline` and let
:class:`~sklearn.model_selection.GridSearchCV` try each one, and no scaling at
all, by cross-validation. The wine data (bundled with scikit-learn, no
download) has features on very different scales, so both a logistic regression
and a nearest-neighbours classifier depend on the choice.
"""

# %%
# The pipeline and the grid
# -------------------------
#
# The step named ``"scale"`` is a parameter of the pipeline: the grid replaces
# it by every skscale scaler, by a few of their variants, and by
# ``"passthrough"`` (no scaling). The ``"model"`` step is searched too.

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline

from skscale import (
    MaxAbsScaler,
    MeanNormalizationScaler,
    MinMaxScaler,
    StandardScaler,
    UnitLengthNormalizer,
)

X, y = load_wine(return_X_y=True, as_frame=True)
print(f"{X.shape[0]} wines, {X.shape[1]} features; feature ranges:")
print(X.agg(["min", "max"]).T.round(2).head(6))

pipeline = Pipeline([("scale", "passthrough"), ("model", LogisticRegression())])
grid = {
    "scale": [
        "passthrough",
        StandardScaler(),
        MinMaxScaler(),
        MinMaxScaler(feature_range=(-1, 1)),
        MeanNormalizationScaler(),
        MaxAbsScaler(),
        UnitLengthNormalizer(),
    ],
    "model": [LogisticRegression(max_iter=200), KNeighborsClassifier()],
}
search = GridSearchCV(
    pipeline, grid, cv=StratifiedKFold(5, shuffle=True, random_state=0)
)
with warnings.catch_warnings():
    # Unscaled, the logistic regression does not converge in 200 iterations:
    # that is the point of scaling.
    warnings.simplefilter("ignore", ConvergenceWarning)
    search.fit(X, y)
print(f"\nbest: {search.best_params_}  accuracy {search.best_score_:.3f}")

# %%
# The cross-validated scores
# --------------------------
#
# One bar per scaler and model: the mean accuracy over the five folds, with
# their standard deviation.

results = search.cv_results_


def label(scaler):
    return "no scaling" if scaler == "passthrough" else repr(scaler)


scaler_labels = [label(s) for s in grid["scale"]]
models = [type(m).__name__ for m in grid["model"]]
fig, ax = plt.subplots(figsize=(9, 5), layout="constrained")
height = 0.38
positions = np.arange(len(scaler_labels))
for k, model in enumerate(models):
    rows = [
        i
        for i, params in enumerate(results["params"])
        if type(params["model"]).__name__ == model
    ]
    by_scaler = {label(results["params"][i]["scale"]): i for i in rows}
    order = [by_scaler[name] for name in scaler_labels]
    ax.barh(
        positions + (k - 0.5) * height,
        results["mean_test_score"][order],
        height,
        xerr=results["std_test_score"][order],
        capsize=3,
        label=model,
    )
ax.set_yticks(positions, scaler_labels)
ax.invert_yaxis()
ax.set_xlim(0.5, 1.0)
ax.set_xlabel("5-fold cross-validated accuracy (mean and std)")
ax.set_title("Wine: the scaler as a hyper-parameter")
ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
plt.show()

# %%
# Without scaling, the nearest neighbours lose most: their distances see almost
# only the proline feature (300 to 1700, while most others stay below 30).
# The logistic regression suffers less, but converges slowly. Every column
# scaler brings the features to comparable ranges. The
# :class:`~skscale.UnitLengthNormalizer` does not: it scales each *sample*, so
# the proline still dominates every row's norm and the other features are
# squeezed towards 0; it is the wrong tool for this data, and the search says
# so.
#
# The search is an ordinary scikit-learn object: ``search.best_estimator_`` is
# the refitted pipeline, and its scaler has the usual fitted attributes.

best_scaler = search.best_estimator_.named_steps["scale"]
print(type(best_scaler).__name__, "fitted on", best_scaler.n_samples_seen_, "rows")
