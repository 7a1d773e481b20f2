"""MiniBatchStandardizer: standardization learned from minibatches, exact or running."""

from dataclasses import replace
from numbers import Integral

import numpy as np

from . import _dask
from ._affine import Plan
from ._array_api import fit_space
from ._base import _ColumnScaler, ddof_notice
from ._dask import is_dask_collection
from ._locks import atomic_update
from ._parallel import map_blocks
from ._running import BatchHistory
from ._stats import FeatureStats, observed_counts
from ._validation import check_bool, check_real, raise_if_infinite


class MiniBatchStandardizer(_ColumnScaler):
    """Standardize features with statistics learned from minibatches.

    The transformation is ``(x - mean_) / sqrt(var_ + eps)``, where a zero
    divisor becomes 1, as in every skscale scaler. How ``mean_`` and ``var_``
    are learned from the batches given to :meth:`partial_fit` (or cut by
    :meth:`fit` from its input with ``batch_size``) depends on ``momentum``:

    - ``momentum=None``: the exact pooled mean and variance of every sample
      seen, equal to :class:`StandardScaler` fitted on all batches at once.
      This is not PyTorch's ``momentum=None``, which averages the per-batch
      statistics with equal weights and is wrong when the batch means differ
      (the spread between batches is lost) or the batches differ in size.
    - ``momentum=m`` in (0, 1]: an exponential moving average of the batch
      statistics, in PyTorch's convention where ``m`` is the weight of the
      **new** batch::

          running = (1 - m) * running + m * batch_statistic

      (Keras' ``BatchNormalization(momentum=...)`` is ``1 - m``.) The running
      mean and the running variance are each averaged directly, never through
      ``E[x^2] - E[x]^2``. The variance of each batch uses ``ddof``; a batch
      whose weight for a feature is at most ``ddof`` (one row with ``ddof=1``)
      updates that feature's mean but not its variance.

    With ``bias_correction=True`` the running statistics start empty and are
    debiased as Adam does, dividing by ``1 - (1 - m)^t`` after ``t`` updates:
    the first batch sets them to its own statistics, and no batch is pulled
    toward an arbitrary starting value. With ``bias_correction=False`` they
    start at mean 0 and variance 1, exactly like the buffers of
    ``torch.nn.BatchNorm1d``: ``MiniBatchStandardizer(momentum=0.1,
    bias_correction=False, ddof=1, eps=1e-5)`` reproduces
    ``BatchNorm1d(n, momentum=0.1, affine=False)`` fed the same batches, its
    ``running_mean``, ``running_var`` and its output in eval mode.

    NaN is ignored per feature; a feature absent from a batch keeps its running
    statistics. Concurrent ``partial_fit`` calls run one at a time (the order of
    their batches is then not defined), and a concurrent ``transform`` uses the
    state before or after an update, never a mix.

    Parameters
    ----------
    momentum : float in (0, 1] or None, default=None
        Weight of each new batch in the running averages; None for the exact
        cumulative statistics.
    bias_correction : bool, default=True
        Debias the running averages (start empty) instead of starting them at
        mean 0 and variance 1. Ignored when ``momentum=None``.
    batch_size : int or None, default=None
        :meth:`fit` resets, then feeds its input to :meth:`partial_fit` in
        consecutive batches of this many rows, emulating one epoch of minibatch
        training with memory bounded by one batch. None: one batch.
    ddof : float, default=0
        Delta degrees of freedom of the (batch) variance; PyTorch uses 1 for its
        running variance.
    eps : float, default=0.0
        Added to the variance under the square root, as in batch normalization.
    with_mean : bool, default=True
        Subtract ``mean_``.
    with_std : bool, default=True
        Divide by ``sqrt(var_ + eps)``.
    copy : bool, default=True
        If False, transform a float array in place.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,)
        Mean used by transform: exact or running.
    var_ : ndarray of shape (n_features,)
        Variance used by transform: exact or running.
    scale_ : ndarray of shape (n_features,)
        Divisor of each feature: ``sqrt(var_ + eps)``, 1 where that is 0.
    center_ : ndarray of shape (n_features,)
        Value subtracted from each feature: ``mean_``, or zeros.
    n_samples_seen_ : int
        Number of rows seen.
    n_batches_seen_ : int
        Number of batches seen.
    stats_ : FeatureStats
        The exact cumulative statistics of everything seen.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names of a DataFrame seen during fit.

    See Also
    --------
    StandardScaler : The same exact statistics from one fit.

    Examples
    --------
    >>> import numpy as np
    >>> from skscale import MiniBatchStandardizer
    >>> batches = [np.array([[1.0], [3.0]]), np.array([[11.0], [13.0]])]
    >>> exact = MiniBatchStandardizer()
    >>> running = MiniBatchStandardizer(momentum=0.5)
    >>> for batch in batches:
    ...     _ = exact.partial_fit(batch)
    ...     _ = running.partial_fit(batch)
    >>> exact.mean_, exact.var_
    (array([7.]), array([26.]))

    The running average weighs the second batch by 0.5 / (1 - 0.5^2) = 2/3,
    so the mean is 2/3 * 12 + 1/3 * 2:

    >>> running.mean_, running.var_
    (array([8.66666667]), array([1.]))
    """

    _extrema = False

    _applied_params = ("with_mean", "with_std")
    _learned_params = ("momentum", "bias_correction", "ddof", "eps")

    def __init__(
        self,
        *,
        momentum=None,
        bias_correction=True,
        batch_size=None,
        ddof=0,
        eps=0.0,
        with_mean=True,
        with_std=True,
        copy=True,
    ):
        self.momentum = momentum
        self.bias_correction = bias_correction
        self.batch_size = batch_size
        self.ddof = ddof
        self.eps = eps
        self.with_mean = with_mean
        self.with_std = with_std
        self.copy = copy

    def _check_params(self):
        super()._check_params()
        for name in ("bias_correction", "with_mean", "with_std"):
            check_bool(getattr(self, name), name)
        if self.momentum is not None:
            check_real(
                self.momentum,
                "momentum",
                "None or a number in (0, 1]",
                lambda v: 0 < v <= 1,
            )
        size = self.batch_size
        if size is not None:
            check_real(
                size,
                "batch_size",
                "None or an int >= 1",
                lambda v: isinstance(size, Integral) and v >= 1,
            )
        for name in ("ddof", "eps"):
            check_real(
                getattr(self, name),
                name,
                "a finite number >= 0",
                lambda v: 0 <= v < np.inf,
            )

    def fit(self, X, y=None, sample_weight=None):
        """Forget everything, then learn from X in batches of ``batch_size`` rows.

        Parameters
        ----------
        X : {array-like, dataframe} of shape (n_samples, n_features)
            The data. NaN marks a missing value and is ignored.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the rows.

        Returns
        -------
        self : object
            The fitted standardizer.

        Examples
        --------
        >>> from skscale import MiniBatchStandardizer
        >>> est = MiniBatchStandardizer(momentum=1.0, batch_size=2)
        >>> est.fit([[0.0], [2.0], [10.0], [12.0]]).mean_, est.n_batches_seen_
        (array([11.]), 2)
        """
        with atomic_update(self):
            self._check_params()
            self._fit(X, sample_weight)
        self._warn_unobserved()
        return self

    def _fit(self, X, sample_weight):
        space = fit_space(self, X, reset=True)
        if is_dask_collection(X):
            # As on NumPy: batches of batch_size rows in row order, a batch
            # straddling partitions merged from its pieces; None, one batch.
            size = self.batch_size
            stats, names, n_features = _dask.statistics(
                X,
                sample_weight,
                self._moments,
                self._extrema,
                in_order=False,
                batch_size=size,
            )
            _dask.check_features(self, names, n_features, reset=True)
            batches = [stats] if size is None else stats
            if not batches or sum(b.n_rows for b in batches) == 0:
                raise ValueError(
                    f"Found array with 0 sample(s) (shape=(0, {n_features})) while "
                    "a minimum of 1 is required by MiniBatchStandardizer."
                )
            self._fold(batches, reset=True)
            return
        X, weight = self._validate_fit_input(X, sample_weight, reset=True)
        step = X.shape[0] if self.batch_size is None else self.batch_size
        starts = range(0, X.shape[0], step)
        n = X.shape[0]
        batches = [slice(start, min(start + step, n)) for start in starts]
        if self.momentum is None and weight is None and space is None:
            # Exact statistics do not depend on the batches: take them in
            # one pass over the array's fixed blocks. The update counts need
            # only each batch's observed entries: its size without NaN.
            stats = self._batch_stats(X, None)
            if (stats.count == len(X)).all():
                sizes = np.diff([*starts, len(X)])
                counts = np.repeat(sizes[:, None], stats.n_features, axis=1)
            else:
                counts = np.stack(
                    map_blocks(lambda rows: observed_counts(X[rows]), batches)
                )
            moves = self._moves(counts, counts).sum(axis=1)
            self._fold_exact(stats, moves, len(batches), reset=True)
        else:

            def summarise(rows):
                batch_weight = None if weight is None else weight[rows]
                return self._batch_stats(X[rows, ...], batch_weight)

            # The batches' statistics are independent: compute them in
            # parallel (each in its own fixed blocks), then fold in order.
            self._fold(map_blocks(summarise, batches), reset=True)

    @property
    def _in_order(self):
        # Running averages depend on the order of the batches: on a Dask
        # collection, each block is a batch, folded in row order.
        return self.momentum is not None

    def _moves(self, count, weight):
        """Which statistics a batch moves: ``[mean, variance]`` per feature.

        Features absent from a batch keep their statistics; with too little
        weight for ddof, only the mean moves.
        """
        return np.stack([count > 0, weight > self.ddof])

    def _update(self, batch, reset):
        """Fold the statistics of one batch into the fitted state."""
        self._fold([batch], reset)

    def _fold(self, batches, reset):
        """Fold the statistics of consecutive batches into the fitted state.

        The exact statistics of all the batches are merged at once, and the
        fitted attributes set once, however many batches there are.
        """
        for batch in batches:
            raise_if_infinite(self, batch.infinite)
        moves = [self._moves(batch.count, batch.weight) for batch in batches]
        exact = FeatureStats.merge_all(batches)
        if self.momentum is None:
            self._fold_exact(exact, np.sum(moves, axis=0), len(batches), reset)
            return
        start = BatchHistory.start(exact.n_features, True, self.bias_correction)
        history = (start if reset else self._history).folded(
            batches, moves, self.momentum, self.bias_correction, self.ddof
        )
        self._set_running(exact if reset else self.stats_.merge(exact), history)

    def _fold_exact(self, stats, moves, n_batches, reset):
        """Fold the exact statistics of ``n_batches`` batches (momentum=None).

        ``moves`` counts, per feature, the batches that moved the mean and the
        variance.
        """
        history = BatchHistory.start(stats.n_features) if reset else self._history
        super()._update(stats, reset)
        self._set_history(history.counted(moves, n_batches))

    def _set_history(self, history):
        self._history = history
        self.n_batches_seen_ = history.n_batches

    def _state_fields(self):
        fields = {
            "n_batches_seen": "batches",
            "n_mean_updates": "updates",
            "n_var_updates": "updates",
        }
        if self.momentum is not None:
            fields.update(mean="floats", std="floats")
        return {"minibatch": fields}

    def _state_sections(self):
        history = self._history
        section = {
            "n_batches_seen": history.n_batches,
            "n_mean_updates": history.n_updates[0],
            "n_var_updates": history.n_updates[1],
        }
        if self.momentum is not None:
            section.update(mean=history.mean, std=history.std)
        return {"minibatch": section}

    def _set_state(self, stats, sections):
        section = sections["minibatch"]
        n_mean, n_var = section["n_mean_updates"], section["n_var_updates"]
        _require(
            (n_mean > 0) == (stats.count > 0),
            "minibatch.n_mean_updates",
            n_mean,
            "must be > 0 exactly where stats.count is",
        )
        _require(
            n_var <= n_mean,
            "minibatch.n_var_updates",
            n_var,
            "must be <= n_mean_updates",
        )
        history = BatchHistory(np.stack([n_mean, n_var]), section["n_batches_seen"])
        if self.momentum is None:
            self._set_fitted(stats)
            self._set_history(history)
        else:
            mean, std = section["mean"], section["std"]
            _require(
                (n_mean == 0) | np.isfinite(mean),
                "minibatch.mean",
                mean,
                "must be finite where n_mean_updates > 0",
            )
            _require(
                np.isfinite(std) & (std >= 0),
                "minibatch.std",
                std,
                "must be finite and >= 0",
            )
            self._set_running(stats, replace(history, mean=mean, std=std))

    def _set_running(self, stats, history):
        """Store running statistics (and the exact ones beside them)."""
        self.stats_ = stats
        self.n_samples_seen_ = stats.n_rows
        self._set_history(history)
        self.mean_ = history.mean
        with np.errstate(over="ignore"):
            self.var_ = np.square(history.std)
        self._derive_map()

    def _statistics(self, stats):
        return {
            "mean_": stats.mean,
            "var_": stats.var(self.ddof),
        }

    def _plan(self):
        # From the host's state (the public mean_ may live on a device).
        if self.momentum is None:
            mean, std = self.stats_.mean, self.stats_.std(self.ddof)
        else:
            mean, std = self._history.mean, self._history.std
        p = mean.shape[0]
        center = mean if self.with_mean else np.zeros(p)
        # sqrt(var_ + eps), from the standard deviation so that it stays finite
        # where var_ itself is beyond float64.
        scale = np.hypot(std, np.sqrt(self.eps)) if self.with_std else np.ones(p)
        # The exact mean's residual; a running mean is an average of rounded
        # batch means, with none.
        exact = self.momentum is None and self.with_mean
        return Plan(center, scale, self.stats_.residual if exact else None)

    def merge(self, other):
        """Combine two exact standardizers fitted on different data.

        Only for ``momentum=None``: running averages depend on the order of the
        batches, so two of them have no exact combination.

        Parameters
        ----------
        other : MiniBatchStandardizer
            Fitted with the same parameters on the same features.

        Returns
        -------
        merged : MiniBatchStandardizer
            A new standardizer equal to one fitted on both data sets.

        Examples
        --------
        >>> from skscale import MiniBatchStandardizer
        >>> a = MiniBatchStandardizer().fit([[0.0], [2.0]])
        >>> a.merge(MiniBatchStandardizer().fit([[4.0]])).mean_
        array([2.])
        """
        if self.momentum is not None:
            raise ValueError(
                f"merge needs momentum=None (exact statistics), got momentum="
                f"{self.momentum!r}: running averages depend on the order of the "
                "batches and cannot be merged exactly"
            )
        merged = super().merge(other)
        if not (hasattr(self, "stats_") and hasattr(other, "stats_")):
            return merged  # one was unfitted: the other, unchanged
        merged._set_history(self._history.merged(other._history))
        return merged

    def _more_notices(self, observed):
        exact = self.momentum is None and self.ddof > 0
        return ddof_notice(self, observed) if exact else []

    _sparse_advice = "Pass X.toarray() if it fits in memory."

    def _centers(self):
        return True


def _require(ok, field, values, rule):
    """Raise ValueError naming the first feature where ``ok`` fails, and its value."""
    if not np.all(ok):
        i = int(np.flatnonzero(~np.asarray(ok))[0])
        integers = np.issubdtype(np.asarray(values).dtype, np.integer)
        value = int(values[i]) if integers else float(values[i])
        raise ValueError(f"{field}[{i}] {rule}, got {value!r}")
