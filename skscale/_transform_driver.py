"""The block-wise transform driver and the output containers of ``set_output``.

Every transform runs its kernel through :func:`transform_dense` (dense arrays,
block by block on the thread pool, with the infinity check riding on the
kernel's pass) and wraps its result with :func:`wrap_like_transform_output`.
"""

import numpy as np
from scipy import sparse
from sklearn import get_config

from ._parallel import transform_blocks
from ._validation import infinite_features, raise_if_infinite


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


def transform_dense(estimator, X, original, copy, function, elementwise=True):
    """Run a block kernel over X into a new array, or in place.

    A new output is allocated only when a copy is asked for and validation did
    not already make one. In place on the caller's array, the input is checked
    for infinity before anything is written, so that a bad value leaves it
    untouched; otherwise the check rides on the kernel's own pass, once.
    """
    in_place = not copy
    out = np.empty_like(X) if copy and not fresh_array(X, original) else X
    if in_place:
        raise_if_infinite(estimator, infinite_features(X))
    found = transform_blocks(
        X, out, function, check_infinite=not in_place, elementwise=elementwise
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
