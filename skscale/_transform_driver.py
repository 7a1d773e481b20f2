"""The block-wise transform driver and the output containers of ``set_output``.

Every transform runs its kernel through :func:`transform_dense` (dense arrays,
block by block on the thread pool, with the infinity check riding on the
kernel's pass) and puts its result in the configured container with
:func:`wrap_output`, itself: scikit-learn's automatic wrapping would compute a
Dask collection into memory (see :class:`TransformerOutputMixin`).
"""

import numpy as np
from scipy import sparse
from sklearn import get_config
from sklearn.base import TransformerMixin

from . import _dask
from ._dask import is_dask_collection
from ._parallel import transform_blocks
from ._validation import infinite_features, raise_if_infinite


class TransformerOutputMixin(TransformerMixin, auto_wrap_output_keys=None):
    """scikit-learn's TransformerMixin, whose estimators wrap their own output.

    scikit-learn wraps the output of ``transform`` and ``fit_transform`` for
    ``set_output`` by converting it, which would compute a lazy Dask collection
    into memory (and drop its index). The estimators deriving from this mixin
    are not wrapped; their ``transform`` calls :func:`wrap_output`, which gives
    the same containers for in-memory data and keeps Dask collections lazy.
    ``set_output`` stays available: scikit-learn reads the keys set here.
    """

    def __init_subclass__(cls, **kwargs):
        kwargs.pop("auto_wrap_output_keys", None)
        super().__init_subclass__(auto_wrap_output_keys=None, **kwargs)
        cls._sklearn_auto_wrap_output_keys = {"transform"}

    def fit_transform(self, X, y=None, **fit_params):
        """Fit to X, then transform it.

        Parameters
        ----------
        X : {array-like, sparse matrix, dataframe} of shape (n_samples, n_features)
            The data.
        y : None
            Ignored.
        **fit_params : dict
            Passed to ``fit`` (``sample_weight``).

        Returns
        -------
        X_tr : {ndarray, sparse matrix, dataframe} of shape (n_samples, n_features)
            The transformed data, in the container ``set_output`` configures.

        Examples
        --------
        >>> from skscale import StandardScaler
        >>> StandardScaler().fit_transform([[1.0], [3.0]])
        array([[-1.],
               [ 1.]])
        """
        return self.fit(X, y, **fit_params).transform(X)


def wrap_output(estimator, out, original, *, sparse_ok=False):
    """Put what ``transform`` computed in the container ``set_output`` configures.

    As scikit-learn does for arrays and frames in memory (a sparse matrix
    refused unless ``sparse_ok``); a Dask collection stays lazy (see
    :func:`skscale._dask.wrap_output`).
    """
    container = output_container(estimator)
    if is_dask_collection(out):
        return _dask.wrap_output(estimator, out, container)
    if container == "default":
        return out
    if sparse.issparse(out) and not sparse_ok:
        raise ValueError(
            "The transformer outputs a scipy sparse matrix. Try to set the "
            "transformer output to a dense array or disable "
            f"{container.capitalize()} output with set_output(transform='default')."
        )
    return wrap_like_transform_output(
        estimator, out, original, estimator.get_feature_names_out()
    )


def output_container(estimator):
    """The container configured by ``set_output`` (or globally) for transform."""
    config = getattr(estimator, "_sklearn_output_config", {})
    return config.get("transform", get_config()["transform_output"])


def wrap_like_transform_output(estimator, data, original_input, columns):
    """Put ``data`` in the container that ``transform`` would return."""
    container = output_container(estimator)
    if container == "default" or sparse.issparse(data):
        return data
    if container == "pandas":
        import pandas as pd

        index = getattr(original_input, "index", None)
        if not isinstance(original_input, pd.DataFrame):
            index = None
        return pd.DataFrame(data, columns=list(columns), index=index, copy=False)
    if container == "polars":
        import polars as pl

        return pl.DataFrame(data, schema=list(columns), orient="row")
    raise ValueError(f"unsupported output container {container!r}")


def transform_dense(
    estimator,
    X,
    original,
    copy,
    function,
    elementwise=True,
    shows_infinity=False,
    fused=None,
    narrow=False,
):
    """Run a block kernel over X into a new array, or in place.

    X is a validated array, or the list of a polars frame's float columns
    (see :func:`skscale._validation.frame_columns`), always written into a
    new column-major array.
    A new output is allocated only when a copy is asked for and validation did
    not already make one. In place on the caller's array, the input is checked
    for infinity before anything is written, so that a bad value leaves it
    untouched; otherwise the check rides on the kernel's own pass, once, on
    the kernel's output where ``shows_infinity`` (it is infinite or NaN
    wherever the input is infinite: no clip). ``fused(in_dtypes, out_dtype)``,
    where given, returns the kernel as one compiled pass for those dtypes (a
    set: a polars frame's columns may differ), or None (see
    :func:`skscale._parallel.transform_blocks`). A ``narrow`` function
    reads and writes float32 blocks itself (no float64 scratch block).
    """
    if isinstance(X, list):
        # A polars frame's columns: read where they lie, written into the
        # columns of a column-major output (from which a frame is made
        # without a copy).
        copy = True
        out = np.empty((len(X[0]), len(X)), dtype=np.result_type(*X), order="F")
    else:
        out = np.empty_like(X) if copy and not fresh_array(X, original) else X
    in_place = not copy
    if in_place:
        raise_if_infinite(estimator, infinite_features(X))
    check = False if in_place else "output" if shows_infinity else True
    if fused is not None:
        dtypes = {column.dtype for column in X} if isinstance(X, list) else {X.dtype}
        fused = fused(dtypes, out.dtype)
    found = transform_blocks(
        X,
        out,
        function,
        check_infinite=check,
        elementwise=elementwise,
        fused=fused,
        narrow=narrow,
    )
    raise_if_infinite(estimator, found)
    return out


def fresh_array(X, original):
    """Whether validation made X a new array that no caller can see.

    Then a transform may overwrite it rather than allocate its output.
    """
    if X is original:
        return False
    if isinstance(original, list | tuple):
        return True
    return isinstance(original, np.ndarray) and not np.may_share_memory(X, original)
