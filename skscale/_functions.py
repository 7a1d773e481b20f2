"""Function forms of the estimators: ``scale``, ``minmax_scale``, ``normalize``, ...

Each is a thin call of its estimator's ``fit_transform``, with scikit-learn's
signature where scikit-learn has the function (``sklearn.preprocessing.scale``,
``minmax_scale``, ``maxabs_scale``, ``normalize``), so that swapping the import
is enough. ``axis`` picks the direction: a column scaler on ``axis=1`` runs on
the transpose, scaling each sample across its features. The result is always
an ndarray (or a sparse matrix), whatever ``set_output`` says, as scikit-learn's
functions return.
"""

import numpy as np
from scipy import sparse

from ._layer_normalizer import LayerNormalizer
from ._max_abs_scaler import MaxAbsScaler
from ._mean_normalization_scaler import MeanNormalizationScaler
from ._min_max_scaler import MinMaxScaler
from ._standard_scaler import StandardScaler
from ._unit_length_normalizer import UnitLengthNormalizer, row_norms

__all__ = [
    "layer_normalize",
    "maxabs_scale",
    "mean_normalize",
    "minmax_scale",
    "normalize",
    "scale",
]


def _check_axis(axis):
    if isinstance(axis, bool) or axis not in (0, 1):
        raise ValueError(f"axis must be 0 or 1, got {axis!r}")
    return int(axis)


def _as_array(X, axis):
    """X as an array or sparse matrix where it must be one.

    A DataFrame on ``axis=0`` goes to the estimator as it is, so that an
    error names its columns; otherwise lists, Series and frames become arrays
    (to be reshaped or transposed).
    """
    if sparse.issparse(X) or isinstance(X, np.ndarray):
        return X
    if axis == 0 and getattr(X, "ndim", None) == 2 and hasattr(X, "columns"):
        return X
    if hasattr(X, "__array__") or isinstance(X, (list, tuple)):
        return np.asarray(X)
    return X


def _along(estimator, X, axis, *, allow_1d=True):
    """``estimator.fit_transform`` of X along ``axis`` (0: columns, 1: rows).

    A 1-D X is one feature (``axis=0``), as in scikit-learn's functions.
    """
    axis = _check_axis(axis)
    estimator.set_output(transform="default")
    X = _as_array(X, axis)
    one_d = getattr(X, "ndim", 2) == 1
    if one_d:
        if not allow_1d:
            raise ValueError(
                "Expected a 2-D array, got a 1-D array; reshape it with "
                "X.reshape(-1, 1) for one feature or X.reshape(1, -1) for one sample"
            )
        if axis == 1:
            raise ValueError("axis=1 needs a 2-D array; a 1-D array is one feature")
        X = X.reshape(-1, 1)
    # The transpose of a CSR matrix is a CSC one: no copy either way.
    out = estimator.fit_transform(X.T).T if axis == 1 else estimator.fit_transform(X)
    return out.ravel() if one_d else out


def scale(X, *, axis=0, with_mean=True, with_std=True, copy=True):
    """Standardize X along an axis: ``(x - mean) / std``.

    The function form of :class:`~skscale.StandardScaler`, with the signature of
    :func:`sklearn.preprocessing.scale`. With ``axis=0`` each feature
    (column) is standardized, with ``axis=1`` each sample (row): then it
    equals :class:`~skscale.LayerNormalizer` (``eps=0``, ``ddof=0``).

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features) or (n_samples,)
        The data. NaN is left out of the statistics and stays NaN. Sparse
        input needs ``with_mean=False`` and ``axis=0``.
    axis : {0, 1}, default=0
        0 standardizes each feature, 1 each sample.
    with_mean : bool, default=True
        Center before scaling.
    with_std : bool, default=True
        Divide by the standard deviation (population, ``ddof=0``).
    copy : bool, default=True
        If False, standardize a float array in place where possible.

    Returns
    -------
    X_tr : {ndarray, sparse matrix} of the shape of X
        The standardized data.

    See Also
    --------
    skscale.StandardScaler : The estimator, for pipelines and new data.
    skscale.layer_normalize : Each sample standardized, with ``eps`` and ``ddof``.

    Examples
    --------
    >>> from skscale import scale
    >>> scale([[1.0, 10.0], [3.0, 30.0]])
    array([[-1., -1.],
           [ 1.,  1.]])
    >>> scale([[1.0, 2.0, 3.0]], axis=1)
    array([[-1.22474487,  0.        ,  1.22474487]])
    """
    if sparse.issparse(X) and _check_axis(axis) != 0:
        raise ValueError(f"Can only scale a sparse matrix on axis=0, got axis={axis}")
    estimator = StandardScaler(with_mean=with_mean, with_std=with_std, copy=copy)
    return _along(estimator, X, axis)


def minmax_scale(X, feature_range=(0, 1), *, axis=0, copy=True):
    """Scale X along an axis onto ``feature_range``: ``(x - min) / (max - min)``.

    The function form of :class:`~skscale.MinMaxScaler`, with the signature of
    :func:`sklearn.preprocessing.minmax_scale`: each feature (``axis=0``) or
    each sample (``axis=1``) is mapped linearly so that its minimum goes to
    ``feature_range[0]`` and its maximum to ``feature_range[1]``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or (n_samples,)
        The data. NaN is left out of the statistics and stays NaN.
    feature_range : tuple (min, max), default=(0, 1)
        The range of the output.
    axis : {0, 1}, default=0
        0 scales each feature, 1 each sample.
    copy : bool, default=True
        If False, scale a float array in place where possible.

    Returns
    -------
    X_tr : ndarray of the shape of X
        The scaled data.

    See Also
    --------
    skscale.MinMaxScaler : The estimator, for pipelines and new data.

    Examples
    --------
    >>> from skscale import minmax_scale
    >>> minmax_scale([[1.0], [3.0], [5.0]]).ravel()
    array([0. , 0.5, 1. ])
    >>> minmax_scale([[0.0, 5.0, 10.0]], feature_range=(-1, 1), axis=1)
    array([[-1.,  0.,  1.]])
    """
    estimator = MinMaxScaler(feature_range=feature_range, copy=copy)
    return _along(estimator, X, axis)


def maxabs_scale(X, *, axis=0, copy=True):
    """Scale X along an axis by its maximum absolute value: ``x / max |x|``.

    The function form of :class:`~skscale.MaxAbsScaler`, with the signature of
    :func:`sklearn.preprocessing.maxabs_scale`. Sparse input stays sparse.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features) or (n_samples,)
        The data. NaN is left out of the statistics and stays NaN.
    axis : {0, 1}, default=0
        0 scales each feature, 1 each sample.
    copy : bool, default=True
        If False, scale a float array in place where possible.

    Returns
    -------
    X_tr : {ndarray, sparse matrix} of the shape of X
        The scaled data, in [-1, 1].

    See Also
    --------
    skscale.MaxAbsScaler : The estimator, for pipelines and new data.

    Examples
    --------
    >>> from skscale import maxabs_scale
    >>> maxabs_scale([[-4.0, 1.0], [2.0, -2.0]])
    array([[-1. ,  0.5],
           [ 0.5, -1. ]])
    """
    return _along(MaxAbsScaler(copy=copy), X, axis)


def mean_normalize(X, *, axis=0, copy=True):
    """Mean-normalize X along an axis: ``(x - mean) / (max - min)``.

    The function form of :class:`~skscale.MeanNormalizationScaler` (scikit-learn has
    no such function): each feature (``axis=0``) or each sample (``axis=1``)
    is centred on its mean and divided by its range.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or (n_samples,)
        The data. NaN is left out of the statistics and stays NaN.
    axis : {0, 1}, default=0
        0 scales each feature, 1 each sample.
    copy : bool, default=True
        If False, scale a float array in place where possible.

    Returns
    -------
    X_tr : ndarray of the shape of X
        The scaled data, within [-1, 1], of mean 0.

    See Also
    --------
    skscale.MeanNormalizationScaler : The estimator, for pipelines and new data.

    Examples
    --------
    >>> from skscale import mean_normalize
    >>> mean_normalize([[1.0], [2.0], [6.0]]).ravel()
    array([-0.4, -0.2,  0.6])
    """
    return _along(MeanNormalizationScaler(copy=copy), X, axis)


def normalize(X, norm="l2", *, axis=1, copy=True, return_norm=False):
    """Scale each sample (or feature) to unit norm.

    The function form of :class:`~skscale.UnitLengthNormalizer`, with the signature of
    :func:`sklearn.preprocessing.normalize`: ``axis=1`` (the default)
    normalizes each sample, ``axis=0`` each feature. A zero vector stays zero.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The data. NaN is left out of the norm and stays NaN.
    norm : {"l1", "l2", "max"} or float >= 1, default="l2"
        The norm (see :class:`~skscale.UnitLengthNormalizer`).
    axis : {0, 1}, default=1
        1 normalizes each sample, 0 each feature.
    copy : bool, default=True
        If False, normalize a float array (or sparse matrix) in place where
        possible.
    return_norm : bool, default=False
        Also return the norms, with 1 for a zero vector as scikit-learn
        returns them (unlike scikit-learn, also for sparse input).

    Returns
    -------
    X_tr : {ndarray, sparse matrix} of shape (n_samples, n_features)
        The normalized data.
    norms : ndarray of shape (n_samples,) or (n_features,)
        The norms along ``axis``; only with ``return_norm=True``.

    See Also
    --------
    skscale.UnitLengthNormalizer : The estimator, for pipelines.

    Examples
    --------
    >>> from skscale import normalize
    >>> normalize([[3.0, 4.0], [0.0, 0.0]])
    array([[0.6, 0.8],
           [0. , 0. ]])
    >>> X_tr, norms = normalize([[3.0, 4.0]], norm="l1", return_norm=True)
    >>> norms
    array([7.])
    """
    axis = _check_axis(axis)
    estimator = UnitLengthNormalizer(norm=norm, copy=copy)
    X = _as_array(X, 1 - axis)
    if return_norm:
        # Before the call, which may normalize X in place.
        norms = row_norms(X if axis == 1 else X.T, norm)
    # The estimator normalizes rows: axis=0 normalizes those of the transpose.
    out = _along(estimator, X, 1 - axis, allow_1d=False)
    return (out, norms) if return_norm else out


def layer_normalize(X, *, eps=0.0, ddof=0, with_mean=True, with_std=True, copy=True):
    """Standardize each sample across its features (layer normalization, SNV).

    The function form of :class:`~skscale.LayerNormalizer`:
    ``(x - mean(row)) / sqrt(var(row) + eps)``, row by row.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The data. NaN is left out of a row's statistics and stays NaN.
    eps : float >= 0, default=0.0
        Added to each row's variance inside the square root.
    ddof : float >= 0, default=0
        Delta degrees of freedom of the row variance.
    with_mean : bool, default=True
        Center each row on its mean.
    with_std : bool, default=True
        Divide each row by ``sqrt(var + eps)``.
    copy : bool, default=True
        If False, normalize a float array in place where possible.

    Returns
    -------
    X_tr : {ndarray, sparse matrix} of shape (n_samples, n_features)
        The normalized data.

    See Also
    --------
    skscale.LayerNormalizer : The estimator, for pipelines.
    skscale.scale : ``scale(X, axis=1)`` is ``layer_normalize(X)``.

    Examples
    --------
    >>> from skscale import layer_normalize
    >>> layer_normalize([[1.0, 2.0, 3.0], [10.0, 10.0, 10.0]])
    array([[-1.22474487,  0.        ,  1.22474487],
           [ 0.        ,  0.        ,  0.        ]])
    """
    estimator = LayerNormalizer(
        eps=eps, ddof=ddof, with_mean=with_mean, with_std=with_std, copy=copy
    )
    return _along(estimator, X, 0, allow_1d=False)
