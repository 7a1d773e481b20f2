"""The base of the per-sample (row) normalizers: stateless, block-wise, lazy on Dask.

A row normalizer learns nothing: ``fit`` and ``partial_fit`` validate their
input and record the feature count and names, as scikit-learn's ``Normalizer``
does, and ``transform`` works row by row, so that the output of a row never
depends on the other rows. Subclasses provide ``_check_params`` and
``_normalize_rows(X, copy, check_names)``.
"""

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin

from . import _dask
from ._array_api import (
    check_same_space,
    fit_space,
    space_of,
    validate,
    weight_to_numpy,
)
from ._dask import is_dask_collection
from ._locks import atomic_update
from ._parallel import finite_sum, gathered
from ._stats import fused_row_map
from ._transform_driver import TransformerOutputMixin, wrap_output
from ._validation import (
    canonical_sparse,
    check_sample_weight,
    frame_columns,
    infinite_features,
    raise_if_infinite,
    sparse_rows,
    validate_x,
)
from ._validation import check_names as check_feature_names


class _RowNormalizer(OneToOneFeatureMixin, TransformerOutputMixin, BaseEstimator):
    """Base class of the row normalizers. Not public."""

    # Stateless: a saved document holds the feature count and names only.
    _saves_statistics = False
    # The Array API space (namespace, device) of the fit, on an instance only
    # when it is not NumPy.
    _space = None

    def _check_params(self):
        """Raise ValueError naming any invalid parameter."""
        raise NotImplementedError

    def _normalize_rows(self, X, copy, check_names):
        """Normalize the rows of an in-memory X (validated here)."""
        raise NotImplementedError

    def _normalize_namespace(self, X, space):
        """Normalize the rows of a validated Array API array, on its device."""
        raise NotImplementedError

    def _refuse_sparse(self, X):
        """Raise ValueError if this normalizer cannot take X because it is sparse."""

    def fit(self, X, y=None, sample_weight=None):
        """Validate X and the parameters; a row normalizer learns nothing.

        Parameters
        ----------
        X : {array-like, sparse matrix, dataframe} of shape (n_samples, n_features)
            The data.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Validated and ignored: a row's normalization does not depend on
            its weight.

        Returns
        -------
        self : object
            The normalizer.

        Examples
        --------
        >>> from skscale import LayerNormalizer
        >>> LayerNormalizer().fit([[3.0, 4.0]]).n_features_in_
        2
        """
        return self._validate(X, sample_weight, reset=True)

    def partial_fit(self, X, y=None, sample_weight=None):
        """Validate one batch; a row normalizer learns nothing.

        Parameters
        ----------
        X : {array-like, sparse matrix, dataframe} of shape (n_samples, n_features)
            The batch.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Validated and ignored.

        Returns
        -------
        self : object
            The normalizer.

        Examples
        --------
        >>> from skscale import UnitLengthNormalizer
        >>> UnitLengthNormalizer().partial_fit([[3.0, 4.0]]).transform([[6.0, 8.0]])
        array([[0.6, 0.8]])
        """
        return self._validate(
            X, sample_weight, reset=not hasattr(self, "n_features_in_")
        )

    def _validate(self, X, sample_weight, reset):
        with atomic_update(self):
            self._check_params()
            space = fit_space(self, X, reset)
            if is_dask_collection(X):
                # Nothing to learn: check the shape and names, compute nothing.
                _dask.check_input(self, X, reset)
                return self
            if space is not None:
                X = validate(self, X, space, reset)
                check_sample_weight(weight_to_numpy(sample_weight), X.shape[0])
                return self
            self._refuse_sparse(X)
            X = validate_x(self, X, reset=reset)
            raise_if_infinite(self, infinite_features(X))
            check_sample_weight(sample_weight, X.shape[0])
        return self

    def _transform(self, X, copy):
        """Normalize the rows of X, lazily for Dask, in the configured container."""
        if is_dask_collection(X):
            self._check_params()
            out = _dask.transform(self, X, _normalize_block)
        elif (space := space_of(X)) is not None or self._space is not None:
            self._check_params()
            if hasattr(self, "n_features_in_"):
                check_same_space(self, self._space, X, "transform")
            if space is None:  # dispatch off: to NumPy, as before
                out = self._normalize_rows(X, copy, check_names=True)
            else:
                reset = False if hasattr(self, "n_features_in_") else None
                X = validate(self, X, space, reset)
                out = self._normalize_namespace(X, space)
        else:
            out = self._normalize_rows(X, copy, check_names=True)
        return wrap_output(self, out, X)

    def _dense_input(self, X, copy, check_names):
        """X validated, or a polars frame of floats as its columns, unconverted.

        The columns are read where they lie (see
        :func:`skscale._parallel.transform_blocks`), as the column scalers read
        them.
        """
        columns = frame_columns(X)
        if columns is None:
            return validate_x(self, X, reset=False if check_names else None, copy=copy)
        if check_names:
            check_feature_names(self, X, reset=False)
        return columns

    def _divide_sparse_rows(self, X, copy, divisors):
        """Divide each row of a validated sparse X by its divisor.

        ``divisors(X, values, rows)`` gives one per row, from X in canonical
        form, its stored values in float64 and the row of each, before
        anything is divided.
        """
        raise_if_infinite(self, infinite_features(X))
        X = canonical_sparse(X, copy)
        rows = sparse_rows(X)
        values = X.data.astype(np.float64)
        values /= divisors(X, values, rows)[rows]
        X.data[...] = values
        return X

    # -- state, for persistence: nothing but the feature count and names -------

    def _state_fields(self):
        return {}

    def _get_state(self):
        return {}

    def _set_state(self, stats, sections):
        pass

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.allow_nan = True
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32", "float16"]
        tags.array_api_support = True
        return tags


def row_pass(function, redo, layer=None):
    """The compiled row pass as :func:`skscale._transform_driver.transform_dense`'s
    ``fused`` kernel.

    Each block (or a polars frame's columns' parts, read where they lie) goes
    through :func:`skscale._stats.fused_row_map` (``layer(p)`` its map for rows
    of p values, or None for the l2 norm); the rows it leaves
    get ``redo(rows)``, and a block it does not take gets the normalizer's
    NumPy ``function(src, dst, cols)``. The call returns whether every value
    read was finite, so that the infinity check rides on the pass. None (no
    fused kernel) for outputs other than float64 and float32.
    """

    def fused(src, dst, cols):
        row_map = None if layer is None else layer(dst.shape[1])
        done = fused_row_map(src, dst, row_map)
        if done is None and isinstance(src, list):
            # Columns of mixed dtypes: gathered in the output's dtype first.
            src = gathered(src, dst.dtype)
            done = fused_row_map(src, dst, row_map)
        if done is None:
            finite = finite_sum(src)
            function(src, dst, cols)
            return finite
        if done.all():
            return True
        left = np.flatnonzero(~done)
        if isinstance(src, list):
            rows = np.stack([column[left] for column in src], axis=1)
        else:
            rows = src[left]
        dst[left] = redo(rows)
        return not np.isinf(rows).any()

    return lambda dtypes, out_dtype: (
        fused if out_dtype in (np.float64, np.float32) else None
    )


def _normalize_block(estimator, block):
    return estimator._normalize_rows(block, True, check_names=False)
