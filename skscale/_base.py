"""The column-scaler base: fit, partial_fit, transform, inverse_transform, merge.

A column scaler is the affine map ``x -> (x - center_) / scale_`` of each feature.
Subclasses only say which statistics of the core (:mod:`skscale._stats`) they
show (``_statistics``) and how those become a :class:`~skscale._affine.Plan`
(``_plan``: center, scale, and an output interval or a clip); the fitted map is
built from the plan by :func:`skscale._affine.fitted_map`, where a zero scale
becomes 1, in this one place. A fit runs ``_partial_fit -> _update ->
_set_fitted -> _derive_map``.
"""

import copy as copy_module
from dataclasses import replace

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, clone
from sklearn.utils.validation import check_is_fitted

from . import _dask
from ._affine import fitted_map
from ._array_api import (
    check_same_space,
    fit_space,
    record_space,
    space_of,
    to_numpy,
    validate,
    weight_to_numpy,
)
from ._dask import is_dask_collection
from ._locks import atomic_update, lock_of
from ._stats import FeatureStats
from ._transform_driver import TransformerOutputMixin, transform_dense, wrap_output
from ._validation import (
    canonical_sparse,
    check_bool,
    check_names,
    check_sample_weight,
    feature_list,
    frame_columns,
    infinite_features,
    raise_if_infinite,
    sparse_columns,
    validate_x,
    warn_outside,
)


class _ColumnScaler(OneToOneFeatureMixin, TransformerOutputMixin, BaseEstimator):
    """Base class of the per-feature affine scalers. Not public."""

    # -- what subclasses provide ------------------------------------------------

    # How many moments the statistics need (see FeatureStats.from_array): the
    # scalers built on the range alone skip the passes of the mean and variance.
    _moments = 2
    # Whether they need each feature's minimum and maximum: the scalers built on
    # the moments alone skip those two passes.
    _extrema = True

    # Whether ``scale_`` multiplies (MinMaxScaler, as in scikit-learn) rather
    # than divides; a saved document's ``scale_`` is checked accordingly.
    _scale_multiplies = False
    # A saved document holds the statistics and the public arrays (see _get_state).
    _saves_statistics = True

    def _check_params(self):
        """Raise ValueError naming any invalid parameter."""
        check_bool(self.copy, "copy")

    def _statistics(self, stats):
        """The fitted attributes of ``stats`` (``mean_``, ``data_min_``...) by name."""
        raise NotImplementedError

    def _plan(self):
        """The :class:`~skscale._affine.Plan` of the fitted map: center, scale...

        Read from ``stats_`` and the attributes :meth:`_statistics` set (a
        fit sets them first, then builds the map from this; a parameter that
        only applies the map, changed after the fit, builds it again). A
        scaler that centers on the mean gives ``stats_.residual`` too, so
        that the map subtracts the exact mean where its rounding matters.
        """
        raise NotImplementedError

    def _centers(self):
        """Whether the transform subtracts a center (then sparse input is refused)."""
        return True

    # What the error refusing sparse input advises.
    _sparse_advice = "pass a dense array (X.toarray()) if it fits in memory"
    # Whether a Dask collection's blocks are folded one by one, in row order
    # (running averages depend on the order), rather than merged at once.
    _in_order = False
    # The Array API space (namespace, device) of the fit: set on an instance
    # only when it is not NumPy (see skscale._array_api.record_space).
    _space = None

    # Parameters that only select how the fitted statistics are applied: set
    # after a fit, they take effect at the next transform (as in scikit-learn),
    # and the attributes that describe the map are derived anew.
    _applied_params = ()
    # Parameters that change what a fit learns: set after a fit, they make
    # transform, inverse_transform and to_dict ask for a refit.
    _learned_params = ()

    def _set_attributes(self, center, scale):
        """Set the public attributes that describe the map (``center_``, ``scale_``)."""
        self.center_ = center
        self.scale_ = scale

    # -- fitting ----------------------------------------------------------------

    def fit(self, X, y=None, sample_weight=None):
        """Compute the statistics of X, forgetting anything seen before.

        Parameters
        ----------
        X : {array-like, sparse matrix, dataframe} of shape (n_samples, n_features)
            The data. NaN marks a missing value and is ignored.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the rows; an integer weight k counts the row
            k times.

        Returns
        -------
        self : object
            The fitted scaler.

        Examples
        --------
        >>> from skscale import MinMaxScaler
        >>> MinMaxScaler().fit([[1.0], [3.0]]).data_range_
        array([2.])
        """
        with atomic_update(self):
            self._check_params()
            self._partial_fit(X, sample_weight, reset=True)
        self._warn_unobserved()
        return self

    def partial_fit(self, X, y=None, sample_weight=None):
        """Update the statistics with one more batch of rows.

        Any sequence of ``partial_fit`` calls gives the statistics that one
        ``fit`` on all the batches together gives, to rounding, whatever the
        batch sizes (the statistics are pivoted: see the user guide). A call
        that raises changes nothing. Calls from several threads run one at a
        time, so no update is lost.

        Parameters
        ----------
        X : {array-like, sparse matrix, dataframe} of shape (n_samples, n_features)
            The batch. NaN marks a missing value and is ignored.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the rows.

        Returns
        -------
        self : object
            The updated scaler.

        Examples
        --------
        >>> from skscale import StandardScaler
        >>> scaler = StandardScaler()
        >>> scaler.partial_fit([[0.0], [2.0]]).partial_fit([[4.0]]).mean_
        array([2.])
        """
        with atomic_update(self):
            self._check_params()
            return self._partial_fit(
                X, sample_weight, reset=not hasattr(self, "stats_")
            )

    def _partial_fit(self, X, sample_weight, reset):
        space = fit_space(self, X, reset)
        if is_dask_collection(X):
            return self._partial_fit_dask(X, sample_weight, reset)
        columns = frame_columns(X)
        if space is not None:
            X, weight = self._validate_fit_input(X, sample_weight, reset)
            batch = self._batch_stats(X, weight)
        elif columns is not None:
            # A polars frame of floats: its columns are read where they lie.
            check_names(self, X, reset)
            weight = check_sample_weight(sample_weight, len(columns[0]))
            batch = FeatureStats.from_columns(
                columns, weight, moments=self._moments, extrema=self._extrema
            )
        else:
            X, weight = self._validate_fit_input(X, sample_weight, reset)
            batch = self._batch_stats(X, weight)
        self._update(batch, reset)
        return self

    def _partial_fit_dask(self, X, sample_weight, reset):
        in_order = self._in_order
        stats, names, n_features = _dask.statistics(
            X, sample_weight, self._moments, self._extrema, in_order=in_order
        )
        _dask.check_features(self, names, n_features, reset)
        for k, batch in enumerate(stats if in_order else [stats]):
            self._update(batch, reset=reset and k == 0)
        return self

    def _validate_fit_input(self, X, sample_weight, reset):
        self._refuse_sparse(X)
        space = self._space
        if space is None:
            X = validate_x(self, X, reset=reset)
            return X, check_sample_weight(sample_weight, X.shape[0])
        # An infinity shows in the statistics' minimum or maximum.
        X = validate(self, X, space, reset, check_infinite=False)
        weight = check_sample_weight(weight_to_numpy(sample_weight), X.shape[0])
        return X, weight

    def _batch_stats(self, X, weight):
        """The statistics this scaler needs of one validated batch."""
        options = dict(moments=self._moments, extrema=self._extrema)
        space = self._space
        if space is not None:
            return FeatureStats.from_namespace(X, weight, space, **options)
        return FeatureStats.from_array(X, weight, **options)

    def _update(self, batch, reset):
        """Fold the statistics of one batch into the fitted state."""
        raise_if_infinite(self, batch.infinite)
        self._set_fitted(batch if reset else self.stats_.merge(batch))

    def _set_fitted(self, stats):
        self.stats_ = stats
        self.n_samples_seen_ = stats.n_rows
        for name, value in self._statistics(stats).items():
            setattr(self, name, value)
        self._derive_map()

    def _derive_map(self):
        """Build the fitted map from :meth:`_plan` and swap it in, last, in one step.

        The attributes that describe it (``center_``, ``scale_``) are set
        first: see :mod:`skscale._affine`.
        """
        notice = self._notice(self.stats_.count > 0)
        space = self._space
        center, scale, fitted = fitted_map(
            self._plan(),
            self.stats_,
            notice=notice,
            params=self._map_params(),
            space=space,
        )
        self._set_attributes(center, scale)
        if space is not None:
            # The fitted attributes live where the data did.
            for name, value in self._public_arrays(host=False).items():
                setattr(self, name, space.asarray(value))
        self._map = fitted

    def _map_params(self):
        return tuple(
            getattr(self, name) for name in self._applied_params + self._learned_params
        )

    # -- state, for persistence --------------------------------------------------

    def _state_fields(self):
        """The sections of fitted state this class saves besides its statistics.

        A dict ``{section: {field: kind}}``, the kinds read by
        :mod:`skscale._persistence`: ``"batches"`` (an integer >= 1), ``"updates"``
        (per-feature counts up to the section's ``n_batches_seen``) and
        ``"floats"`` (per-feature float64).
        """
        return {}

    def _get_state(self):
        """The fitted state a document holds: statistics, public arrays, sections.

        Taken under the lock of fit and partial_fit, so that it is one state even
        while another thread trains the estimator; raises ValueError (asking for
        a refit) if parameters set after the fit changed what was learned.
        """
        with lock_of(self):
            self._fitted_map()
            return {
                "stats": self.stats_,
                "attributes": self._public_arrays(),
                **self._state_sections(),
            }

    def _state_sections(self):
        """The values of :meth:`_state_fields`, by section and field."""
        return {}

    def _set_state(self, stats, sections):
        """Become the fitted estimator of ``stats`` and the saved ``sections``.

        Raises ValueError naming a field (``section.field``) whose value
        contradicts the others.
        """
        self._set_fitted(stats)

    def _public_arrays(self, host=True):
        """The per-feature arrays a user reads (``mean_``, ``scale_``, ...), by name.

        As NumPy arrays (those of an Array API fit copied to the host), or,
        with ``host=False``, only those that are NumPy arrays.
        """
        space = self._space if host else None
        return {
            key: value if isinstance(value, np.ndarray) else to_numpy(value)
            for key, value in vars(self).items()
            if key.endswith("_")
            and not key.startswith("_")
            and key != "feature_names_in_"
            and (
                isinstance(value, np.ndarray)
                or (space is not None and hasattr(value, "shape"))
            )
        }

    def _to_space(self, space):
        """A copy fitted on the same statistics, its arrays in ``space``.

        See :func:`skscale.to_namespace`; ``space`` None is NumPy.
        """
        moved = copy_module.deepcopy(self)
        if not hasattr(self, "stats_"):
            return moved
        with lock_of(self):
            arrays = self._public_arrays()
            fitted = self._map
        record_space(moved, space)
        for name, value in arrays.items():
            setattr(moved, name, value if space is None else space.asarray(value))
        moved._map = replace(fitted, space=space)
        return moved

    def _fitted_map(self):
        """The fitted map, derived anew if a parameter that applies it changed.

        Raises a ValueError asking for a refit if a parameter that changes what
        was learned changed since the fit: never a map that no fit produced.
        """
        fitted = self._map
        now = self._map_params()
        if _same_params(now, fitted.params):
            return fitted
        names = self._applied_params + self._learned_params
        changed = [
            (name, old, new)
            for name, old, new in zip(names, fitted.params, now, strict=True)
            if not _same_param(old, new)
        ]
        learned = [item for item in changed if item[0] in self._learned_params]
        if learned:
            detail = ", ".join(
                f"{n} from {old!r} to {new!r}" for n, old, new in learned
            )
            raise ValueError(
                f"{type(self).__name__} was fitted with other parameters: "
                f"set_params changed {detail} after fit, which changes what fit "
                "learns. Refit (call fit) before transforming, or set them back."
            )
        with atomic_update(self):
            self._check_params()
            self._derive_map()
            if fitted.given is not None and self._map.notice == fitted.given:
                self._map = replace(self._map, notice=None, given=fitted.given)
            return self._map

    def merge(self, other):
        """Combine two scalers fitted on different data into a new one.

        The result equals a scaler fitted on both data sets (to rounding), so
        data can be fitted in pieces (in parallel, on several machines) and
        merged.

        Parameters
        ----------
        other : same class as self
            A scaler with the same parameters, fitted on the same features. An
            unfitted one holds no statistics: merging it is the identity.

        Returns
        -------
        merged : same class as self
            A new fitted scaler; ``self`` and ``other`` are unchanged.

        Examples
        --------
        >>> from skscale import StandardScaler
        >>> a = StandardScaler().fit([[0.0], [2.0]])
        >>> b = StandardScaler().fit([[4.0]])
        >>> a.merge(b).mean_, a.merge(b).n_samples_seen_
        (array([2.]), 3)
        """
        name = type(self).__name__
        if type(other) is not type(self):
            raise ValueError(
                f"cannot merge a {name} with a {type(other).__name__}: "
                "both must be of the same class"
            )
        mine, theirs = self.get_params(deep=False), other.get_params(deep=False)
        differ = [k for k in mine if not _same_param(mine[k], theirs[k])]
        if differ:
            detail = ", ".join(f"{k}={mine[k]!r} vs {theirs[k]!r}" for k in differ)
            raise ValueError(
                f"cannot merge {name}s with different parameters: {detail}"
            )
        # An unfitted scaler holds no statistics: merging it changes nothing.
        if not hasattr(other, "stats_"):
            return (
                copy_module.deepcopy(self) if hasattr(self, "stats_") else clone(self)
            )
        if not hasattr(self, "stats_"):
            return copy_module.deepcopy(other)
        mine, theirs = self._space, other._space
        if mine != theirs:
            raise ValueError(
                f"cannot merge {name}s fitted on arrays of different namespaces or "
                f"devices: {mine.describe() if mine else 'numpy'} vs "
                f"{theirs.describe() if theirs else 'numpy'}"
            )
        if other.n_features_in_ != self.n_features_in_:
            raise ValueError(
                f"cannot merge {name}s fitted on different numbers of features: "
                f"{self.n_features_in_} vs {other.n_features_in_}"
            )
        names = getattr(self, "feature_names_in_", None)
        other_names = getattr(other, "feature_names_in_", None)
        if (names is None) != (other_names is None) or (
            names is not None and not np.array_equal(names, other_names)
        ):
            raise ValueError(
                f"cannot merge {name}s fitted on different feature names: "
                f"{_names(names)} vs {_names(other_names)}"
            )
        merged = clone(self)
        record_space(merged, mine)
        merged.n_features_in_ = self.n_features_in_
        if names is not None:
            merged.feature_names_in_ = names.copy()
        merged._set_fitted(self.stats_.merge(other.stats_))
        return merged

    # -- transforming -----------------------------------------------------------

    def transform(self, X, copy=None):
        """Scale each feature of X.

        Safe from any number of threads, also while another thread calls
        ``partial_fit``: each call reads the fitted map once, so it uses the
        state before or after an update, never a mix.

        Parameters
        ----------
        X : {array-like, sparse matrix, dataframe} of shape (n_samples, n_features)
            The data; NaN stays NaN.
        copy : bool, default=None
            Copy X before scaling it; None means the ``copy`` parameter.

        Returns
        -------
        X_tr : {ndarray, sparse matrix, dataframe} of shape (n_samples, n_features)
            The scaled data, of the input's float dtype (float64 for integers).

        Examples
        --------
        >>> from skscale import MaxAbsScaler
        >>> MaxAbsScaler().fit([[-4.0], [2.0]]).transform([[1.0]])
        array([[0.25]])
        """
        check_is_fitted(self)
        return wrap_output(self, self._apply(X, copy, inverse=False), X)

    def inverse_transform(self, X, copy=None):
        """Undo :meth:`transform`.

        With ``set_output(transform="pandas")`` (or ``"polars"``) the result is a
        DataFrame with the input feature names, like the output of transform.

        Parameters
        ----------
        X : {array-like, sparse matrix, dataframe} of shape (n_samples, n_features)
            Scaled data.
        copy : bool, default=None
            Copy X before unscaling it; None means the ``copy`` parameter.

        Returns
        -------
        X_original : {ndarray, sparse matrix, dataframe} of shape \
(n_samples, n_features)
            The data in the original units.

        Examples
        --------
        >>> from skscale import StandardScaler
        >>> scaler = StandardScaler().fit([[1.0], [3.0]])
        >>> scaler.inverse_transform([[1.0]])
        array([[3.]])
        """
        check_is_fitted(self)
        return wrap_output(self, self._apply(X, copy, inverse=True), X, sparse_ok=True)

    def _apply(self, X, copy, inverse, check_names=True):
        if is_dask_collection(X):
            # The blocks are transformed later, maybe on other threads: give
            # them this moment's fitted map, whatever a later fit does.
            self._fitted_map()
            frozen = copy_module.copy(self)
            return _dask.transform(
                frozen, X, _backward_block if inverse else _forward_block
            )
        # Read once: the whole call uses one fitted map.
        fitted = self._fitted_map()
        if fitted.notice is not None:
            warn_outside(fitted.notice)
        method = "inverse_transform" if inverse else "transform"
        check_same_space(self, fitted.space, X, method)
        if fitted.space is not None and space_of(X) is not None:
            X = validate(self, X, fitted.space, reset=False)
            return fitted.apply_namespace(X, inverse=inverse)
        copy = self.copy if copy is None else copy
        original = X
        columns = frame_columns(X)
        if columns is not None:
            self._check_frame(X, len(columns), inverse or not check_names)
            X = columns
        else:
            X = self._validate_for_transform(X, copy, inverse or not check_names)
        if sparse.issparse(X):
            raise_if_infinite(self, infinite_features(X))
            X = canonical_sparse(X, copy)
            values = X.data.astype(np.float64)
            if inverse:
                fitted.backward_values(values, sparse_columns(X))
            else:
                fitted.forward_values(values, sparse_columns(X))
            X.data[...] = values
            return X
        function = fitted.backward if inverse else fitted.forward
        # Infinity stays infinite (or NaN) through the map, unless clipped.
        shows = inverse or fitted.clip is None
        return transform_dense(
            self,
            X,
            original,
            copy,
            function,
            shows_infinity=shows,
            fused=lambda src, dst: fitted.fused(src, dst, inverse),
        )

    def _validate_for_transform(self, X, copy, reset_names):
        self._refuse_sparse(X)
        if reset_names:
            # Scaled data need not carry the input's column names.
            X = validate_x(self, X, copy=copy)
            self._check_n_features(X.shape[1])
        else:
            X = validate_x(self, X, reset=False, copy=copy)
        return X

    def _check_frame(self, X, n_features, reset_names):
        """Check a frame's feature count (and names, unless ``reset_names``)."""
        if reset_names:
            self._check_n_features(n_features)
        else:
            check_names(self, X, reset=False)

    def _check_n_features(self, n_features):
        if n_features != self.n_features_in_:
            raise ValueError(
                f"X has {n_features} features, but {type(self).__name__} is "
                f"expecting {self.n_features_in_} features as input."
            )

    def _notice(self, observed):
        """What fit warns about (or transform, after partial_fit), or None."""
        notes = []
        if not observed.all():
            notes.append(
                f"feature {feature_list(self, ~observed)} had no observed "
                "(non-NaN, positive-weight) value during fit; it transforms to NaN"
            )
        notes.extend(self._more_notices(observed))
        return "; ".join(notes) or None

    def _more_notices(self, observed):
        """Subclass warnings about the fitted statistics, as a list of strings."""
        return []

    def _warn_unobserved(self):
        """Give the map's notice now (at fit) rather than at every transform."""
        if self._map.notice is None:
            return
        with atomic_update(self):
            notice = self._map.notice
            if notice is not None:
                self._map = replace(self._map, notice=None, given=notice)
        if notice is not None:
            warn_outside(notice)

    def _refuse_sparse(self, X):
        if sparse.issparse(X) and self._centers():
            raise ValueError(
                f"{self!r} cannot take sparse input: centering would make it dense. "
                f"{self._sparse_advice}"
            )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.sparse = not self._centers()
        tags.transformer_tags.preserves_dtype = ["float64", "float32", "float16"]
        tags.array_api_support = True
        return tags


def ddof_notice(estimator, observed):
    """The warning for features whose weight is at most ``ddof``: variance 0.

    As a list (empty where there is none), for ``_more_notices``.
    """
    few = observed & (estimator.stats_.weight <= estimator.ddof)
    if not few.any() or not estimator.with_std:
        return []
    return [
        f"feature {feature_list(estimator, few)} has a total weight of at most "
        f"ddof={estimator.ddof!r} (too few samples to estimate a variance): its "
        "variance is 0 and it is centred but not scaled"
    ]


def _forward_block(estimator, block):
    return estimator._apply(block, True, inverse=False, check_names=False)


def _backward_block(estimator, block):
    return estimator._apply(block, True, inverse=True, check_names=False)


def _same_params(a, b):
    """Whether two tuples of parameter values are equal (fast when they are)."""
    try:
        if a == b:
            return True
    except (TypeError, ValueError):
        pass
    return len(a) == len(b) and all(map(_same_param, a, b))


def _same_param(a, b):
    try:
        return bool(np.all(np.asarray(a) == np.asarray(b))) and np.shape(a) == np.shape(
            b
        )
    except (TypeError, ValueError):
        return a is b


def _names(names):
    return "none (array input)" if names is None else list(names)
