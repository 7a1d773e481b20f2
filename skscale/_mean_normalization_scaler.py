"""MeanNormalizationScaler: center each feature on its mean and divide by its range."""

from ._affine import Plan
from ._base import _ColumnScaler


class MeanNormalizationScaler(_ColumnScaler):
    """Center each feature on its mean and divide by its range.

    The transformation is ``(x - mean_) / (data_max_ - data_min_)``, so every
    feature of the training data lies in an interval of length 1 that contains
    0. A constant feature gets ``scale_ = 1`` and transforms to exactly 0.
    scikit-learn has no such estimator; the attribute names follow its
    StandardScaler and MinMaxScaler.

    Parameters
    ----------
    copy : bool, default=True
        If False, transform a float array in place.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,)
        Weighted mean of each feature.
    data_min_ : ndarray of shape (n_features,)
        Smallest observed value of each feature.
    data_max_ : ndarray of shape (n_features,)
        Largest observed value of each feature.
    data_range_ : ndarray of shape (n_features,)
        ``data_max_ - data_min_``.
    center_ : ndarray of shape (n_features,)
        Value subtracted from each feature: ``mean_``.
    scale_ : ndarray of shape (n_features,)
        Divisor of each feature: ``data_range_``, 1 for a constant feature.
    n_samples_seen_ : int
        Number of rows seen by fit and partial_fit.
    stats_ : FeatureStats
        The mergeable statistics behind every attribute.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names of a DataFrame seen during fit.

    See Also
    --------
    StandardScaler : Divide by the standard deviation instead of the range.
    MinMaxScaler : Map the range onto a fixed interval.

    Examples
    --------
    >>> from skscale import MeanNormalizationScaler
    >>> MeanNormalizationScaler().fit_transform([[0.0], [5.0], [10.0]])
    array([[-0.5],
           [ 0. ],
           [ 0.5]])
    """

    _moments = 1

    def __init__(self, *, copy=True):
        self.copy = copy

    def _statistics(self, stats):
        return {
            "mean_": stats.mean,
            "data_min_": stats.min,
            "data_max_": stats.max,
            "data_range_": stats.range,
        }

    def _plan(self):
        stats = self.stats_
        return Plan(stats.mean, stats.range, stats.residual)

    _sparse_advice = (
        "Use MaxAbsScaler to scale sparse data without centering it, or pass "
        "X.toarray() if it fits in memory."
    )
