"""MinMaxScaler: map each feature's observed range onto a given interval."""

import numpy as np

from ._affine import Plan
from ._base import _ColumnScaler
from ._validation import check_bool, real_number, shown, wide_integer


class MinMaxScaler(_ColumnScaler):
    """Map each feature's range ``[data_min_, data_max_]`` onto ``feature_range``.

    The transformation is::

        x_scaled = (x - data_min_) / data_range_ * (max - min) + min

    with ``(min, max) = feature_range``, computed in float64 whatever the input
    dtype, so the minimum of each feature maps exactly to ``min`` and no
    intermediate overflows in half precision. A constant feature maps to ``min``.
    ``scale_`` and ``min_`` are scikit-learn's multiplier
    ``(max - min) / data_range_`` and offset ``min - data_min_ * scale_``:
    ``X * scale_ + min_`` is the same map, up to rounding. A drop-in replacement
    for :class:`sklearn.preprocessing.MinMaxScaler`.

    Parameters
    ----------
    feature_range : tuple (min, max), default=(0, 1)
        The interval the observed range is mapped onto; ``min < max``.
    clip : bool, default=False
        Clip transformed values of unseen data to ``feature_range``.
    copy : bool, default=True
        If False, transform a float array in place.

    Attributes
    ----------
    data_min_ : ndarray of shape (n_features,)
        Smallest observed value of each feature.
    data_max_ : ndarray of shape (n_features,)
        Largest observed value of each feature.
    data_range_ : ndarray of shape (n_features,)
        ``data_max_ - data_min_``.
    scale_ : ndarray of shape (n_features,)
        Multiplier of each feature (scikit-learn's meaning).
    min_ : ndarray of shape (n_features,)
        Offset of each feature (scikit-learn's meaning).
    center_ : ndarray of shape (n_features,)
        Value subtracted before scaling: ``data_min_``.
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
    MaxAbsScaler : Scale by the largest magnitude, keeping zeros and sparsity.
    MeanNormalizationScaler : Center on the mean, divide by the range.

    Examples
    --------
    >>> from skscale import MinMaxScaler
    >>> X = [[-1.0, 2.0], [-0.5, 6.0], [0.0, 10.0], [1.0, 18.0]]
    >>> scaler = MinMaxScaler().fit(X)
    >>> scaler.data_min_, scaler.data_max_
    (array([-1.,  2.]), array([ 1., 18.]))
    >>> scaler.transform([[2.0, 2.0]])
    array([[1.5, 0. ]])
    >>> MinMaxScaler(feature_range=(-1, 1), clip=True).fit([[0.0], [4.0]]).transform(
    ...     [[1.0], [8.0]]
    ... )
    array([[-0.5],
           [ 1. ]])
    """

    _moments = 0

    _applied_params = ("clip",)
    _learned_params = ("feature_range",)

    def __init__(self, feature_range=(0, 1), *, clip=False, copy=True):
        self.feature_range = feature_range
        self.clip = clip
        self.copy = copy

    _scale_multiplies = True

    def _check_params(self):
        super()._check_params()
        check_bool(self.clip, "clip")
        bounds = self.feature_range
        pair = isinstance(bounds, tuple | list) and len(bounds) == 2
        low, high = (real_number(b) for b in bounds) if pair else (None, None)
        if low is None or high is None or not -np.inf < low < high < np.inf:
            wide = pair and any(map(wide_integer, bounds))
            raise ValueError(
                "feature_range must be a tuple (min, max) of finite numbers with "
                f"min < max, got {shown(bounds)}"
                + ("; integers must fit in 64 bits" if wide else "")
            )

    def _statistics(self, stats):
        return {
            "data_min_": stats.min,
            "data_max_": stats.max,
            "data_range_": stats.range,
        }

    def _plan(self):
        bounds = tuple(float(b) for b in self.feature_range)
        return Plan(
            self.stats_.min,
            self.stats_.range,
            onto=bounds,
            clip=bounds if self.clip else None,
        )

    def _set_attributes(self, center, scale):
        # scale_ and min_ are scikit-learn's multiplier and offset; the map
        # divides by the range instead, so that a range too small for its
        # reciprocal (subnormal) still works.
        low, high = (float(b) for b in self.feature_range)
        self.center_ = center
        with np.errstate(all="ignore"):
            if np.isfinite(high - low):
                self.scale_ = (high - low) / scale
            else:  # a feature range beyond float64: in half units
                self.scale_ = (0.5 * high - 0.5 * low) / scale * 2.0
            self.min_ = low - center * self.scale_

    _sparse_advice = (
        "Use MaxAbsScaler to scale sparse data without centering it, or pass "
        "X.toarray() if it fits in memory."
    )
