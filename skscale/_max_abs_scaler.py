"""MaxAbsScaler: divide each feature by its largest absolute value."""

import numpy as np

from ._affine import Plan
from ._base import _ColumnScaler
from ._validation import check_bool


class MaxAbsScaler(_ColumnScaler):
    """Divide each feature by its largest absolute value.

    The transformation is ``x / max_abs_``: training data land in ``[-1, 1]``,
    zeros stay zeros and sparse input stays sparse with the same pattern. A
    feature that is all zeros gets ``scale_ = 1``. A drop-in replacement for
    :class:`sklearn.preprocessing.MaxAbsScaler`.

    Parameters
    ----------
    clip : bool, default=False
        Clip transformed values of unseen data onto ``[-1, 1]``.
    copy : bool, default=True
        If False, transform a float array (or sparse matrix) in place.

    Attributes
    ----------
    max_abs_ : ndarray of shape (n_features,)
        Largest absolute observed value of each feature.
    scale_ : ndarray of shape (n_features,)
        Divisor of each feature: ``max_abs_``, 1 where it is 0.
    center_ : ndarray of shape (n_features,)
        Zeros: this scaler does not center.
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
    MinMaxScaler : Map the range onto a fixed interval.

    Examples
    --------
    >>> from skscale import MaxAbsScaler
    >>> scaler = MaxAbsScaler().fit([[1.0, -4.0], [-2.0, 2.0], [0.0, 0.0]])
    >>> scaler.max_abs_
    array([2., 4.])
    >>> scaler.transform([[1.0, 8.0]])
    array([[0.5, 2. ]])
    >>> MaxAbsScaler(clip=True).fit([[1.0, -4.0], [-2.0, 2.0]]).transform([[1.0, 8.0]])
    array([[0.5, 1. ]])
    """

    _moments = 0

    _applied_params = ("clip",)

    def __init__(self, *, clip=False, copy=True):
        self.clip = clip
        self.copy = copy

    def _check_params(self):
        super()._check_params()
        check_bool(self.clip, "clip")

    def _statistics(self, stats):
        return {"max_abs_": np.fmax(np.abs(stats.min), np.abs(stats.max))}

    def _plan(self):
        max_abs = self._statistics(self.stats_)["max_abs_"]
        zeros = np.zeros(max_abs.shape[0])
        return Plan(zeros, max_abs, clip=(-1.0, 1.0) if self.clip else None)

    def _centers(self):
        return False
