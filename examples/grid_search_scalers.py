"""Grid-search the skscale scalers inside a scikit-learn pipeline.

The wine data set (bundled with scikit-learn, no download) has features on very
different scales, so a distance- or gradient-based model depends on how they are
scaled. This example cross-validates a logistic regression behind every skscale
scaler, and behind no scaler at all, and prints the ranking.

Run it with ``python examples/grid_search_scalers.py``.
"""

import warnings

from sklearn.datasets import load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline

from skscale import (
    MaxAbsScaler,
    MeanNormalizationScaler,
    MinMaxScaler,
    StandardScaler,
    UnitLengthNormalizer,
)


def main():
    X, y = load_wine(return_X_y=True, as_frame=True)
    pipeline = Pipeline(
        [("scale", StandardScaler()), ("model", LogisticRegression(max_iter=200))]
    )
    grid = {
        "scale": [
            "passthrough",
            StandardScaler(),
            StandardScaler(ddof=1),
            MinMaxScaler(),
            MinMaxScaler(feature_range=(-1, 1)),
            MeanNormalizationScaler(),
            MaxAbsScaler(),
            UnitLengthNormalizer(),
        ]
    }
    search = GridSearchCV(
        pipeline, grid, cv=StratifiedKFold(5, shuffle=True, random_state=0)
    )
    with warnings.catch_warnings():
        # The unscaled baseline does not converge in 200 iterations: that is
        # the point of scaling.
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, y)

    results = search.cv_results_
    order = results["rank_test_score"].argsort()
    print(f"{'scaler':<42} {'accuracy':>8} {'std':>6}")
    for i in order:
        print(
            f"{results['param_scale'][i]!s:<42} "
            f"{results['mean_test_score'][i]:>8.3f} "
            f"{results['std_test_score'][i]:>6.3f}"
        )
    print(f"\nbest: {search.best_params_['scale']}  ({search.best_score_:.3f})")
    return search


if __name__ == "__main__":
    main()
