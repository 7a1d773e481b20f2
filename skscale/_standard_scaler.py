"""StandardScaler: center each feature on its mean, divide by its standard deviation."""

import numpy as np

from ._affine import Plan
from ._base import _ColumnScaler, ddof_notice
from ._validation import check_bool, check_real


class StandardScaler(_ColumnScaler):
    """Standardize each feature: remove the mean and divide by the standard deviation.

    The transformation is ``(x - mean) / scale_`` with
    ``scale_ = sqrt(var_)`` and ``var_ = sum w (x - mean)^2 / (sum w - ddof)``,
    where ``mean`` is the exact mean: ``mean_`` (rounded to float64) plus
    ``stats_.residual``. Where half an ulp of ``mean_`` is negligible against
    ``scale_`` (``|mean| / std`` below about 8, most data), the output is
    ``(x - mean_) / scale_`` bit for bit; elsewhere the residual is subtracted
    too, ``((x - mean_) - stats_.residual) / scale_``, so that the output stays
    within a few ulps of the exact one, even at ``|mean| / std = 1e15`` (where
    ``(x - mean_) / scale_`` is off by up to ``ulp(mean_) / (2 * scale_)``).
    ``docs/persistence.md`` gives the rule to reproduce it bit for bit.

    Statistics come from skscale's exact mergeable core: NaN is ignored per
    feature, any sequence of :meth:`partial_fit` calls equals one :meth:`fit`, and
    two scalers fitted on separate data combine with :meth:`merge`. A constant
    feature (all observed values equal) gets ``scale_ = 1`` and ``mean_`` equal
    to the value, so it transforms to exactly 0. A drop-in replacement for
    :class:`sklearn.preprocessing.StandardScaler`.

    Parameters
    ----------
    with_mean : bool, default=True
        Subtract the mean. Must be False for sparse input, which centering
        would make dense.
    with_std : bool, default=True
        Divide by the standard deviation.
    ddof : float, default=0
        Delta degrees of freedom of the variance: 0 for the population
        variance (scikit-learn's), 1 for the sample variance. Where the weight
        seen is at most ``ddof`` the variance is 0.
    copy : bool, default=True
        If False, transform a float array in place.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,)
        Weighted mean of each feature (NaN for a feature never observed).
    var_ : ndarray of shape (n_features,)
        Weighted variance of each feature with ``ddof``.
    scale_ : ndarray of shape (n_features,)
        Divisor of each feature: ``sqrt(var_)``, 1 for a constant feature, all
        ones when ``with_std=False``.
    center_ : ndarray of shape (n_features,)
        Value subtracted from each feature: ``mean_``, or zeros when
        ``with_mean=False``.
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
    MiniBatchStandardizer : Standardize with running (batch-norm) statistics.
    MeanNormalizationScaler : Divide by the range instead of the deviation.

    Examples
    --------
    >>> from skscale import StandardScaler
    >>> scaler = StandardScaler().fit([[0.0, 1.0], [2.0, 1.0], [4.0, 1.0]])
    >>> scaler.mean_, scaler.var_
    (array([2., 1.]), array([2.66666667, 0.        ]))
    >>> scaler.transform([[2.0, 1.0], [6.0, 3.0]])
    array([[0.        , 0.        ],
           [2.44948974, 2.        ]])
    >>> StandardScaler(ddof=1).fit([[0.0], [2.0], [4.0]]).var_
    array([4.])
    """

    _extrema = False

    _applied_params = ("with_mean", "with_std")
    _learned_params = ("ddof",)

    def __init__(self, *, with_mean=True, with_std=True, ddof=0, copy=True):
        self.with_mean = with_mean
        self.with_std = with_std
        self.ddof = ddof
        self.copy = copy

    def _check_params(self):
        super()._check_params()
        check_bool(self.with_mean, "with_mean")
        check_bool(self.with_std, "with_std")
        ddof = check_real(self.ddof, "ddof", "a number >= 0", lambda v: v >= 0)
        if not np.isfinite(ddof):
            raise ValueError(f"ddof must be finite, got {self.ddof!r}")

    def _statistics(self, stats):
        return {"mean_": stats.mean, "var_": stats.var(self.ddof)}

    def _plan(self):
        stats = self.stats_
        ones = np.ones(stats.n_features)
        center = stats.mean if self.with_mean else ones * 0.0
        scale = stats.std(self.ddof) if self.with_std else ones
        return Plan(center, scale, stats.residual if self.with_mean else None)

    def _more_notices(self, observed):
        return ddof_notice(self, observed) if self.ddof > 0 else []

    def _centers(self):
        return bool(self.with_mean)

    _sparse_advice = (
        "Use StandardScaler(with_mean=False) to scale sparse data without "
        "centering it, or pass X.toarray() if it fits in memory."
    )
