"""The public estimators, read from ``skscale.__all__``: the one list of them.

Persistence (which classes a document may name), the command line, the tests
and the documentation all read :func:`estimators`, so that a new estimator is
added in one place: exported from ``skscale/__init__.py``.
"""


def estimators():
    """The public estimator classes of skscale, by class name, in name order.

    Examples
    --------
    >>> from skscale._registry import estimators
    >>> list(estimators())  # doctest: +NORMALIZE_WHITESPACE
    ['LayerNormalizer', 'MaxAbsScaler', 'MeanNormalizationScaler', 'MinMaxScaler',
     'MiniBatchStandardizer', 'StandardScaler', 'UnitLengthNormalizer']
    """
    from sklearn.base import BaseEstimator

    import skscale

    public = {name: getattr(skscale, name) for name in sorted(skscale.__all__)}
    return {
        name: value
        for name, value in public.items()
        if isinstance(value, type) and issubclass(value, BaseEstimator)
    }
