"""Global configuration: the number of threads the kernels may use."""

import os
import warnings
from contextlib import contextmanager
from contextvars import ContextVar
from numbers import Integral

_n_threads = ContextVar("skscale_n_threads", default=None)


def available_cores():
    """Cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _openmp_threads():
    """scikit-learn's own thread count, or None where it cannot say.

    It honours ``OMP_NUM_THREADS`` (which joblib sets in its worker processes),
    threadpoolctl's limits on OpenMP, and the cores available. It is a private
    scikit-learn helper: any failure falls back to reading ``OMP_NUM_THREADS``.
    """
    try:
        from sklearn.utils._openmp_helpers import (
            _openmp_effective_n_threads,
            _openmp_parallelism_enabled,
        )

        if _openmp_parallelism_enabled():
            return int(_openmp_effective_n_threads())
    except Exception:  # a private API: it must never break a fit
        pass
    first = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    return int(first) if first.isdigit() and int(first) > 0 else None


def _default_n_threads():
    """The available cores, within the limits OpenMP code is held to."""
    cores = available_cores()
    limit = _openmp_threads()
    return cores if limit is None else max(1, min(cores, limit))


def _check_n_threads(n_threads):
    if n_threads is not None and (
        isinstance(n_threads, bool)
        or not isinstance(n_threads, Integral)
        or n_threads < 1
    ):
        raise ValueError(f"n_threads must be None or an int >= 1, got {n_threads!r}")


def get_config():
    """Return skscale's current configuration.

    Returns
    -------
    config : dict
        ``{"n_threads": n}``: the number of threads the fit and transform kernels
        use on large arrays. It is the value set with :func:`set_config` or
        :func:`config_context`, else the ``SKSCALE_NUM_THREADS`` environment
        variable, else the number of cores available to the process, within
        the limits scikit-learn's own parallel code is held to: threadpoolctl's
        ``threadpool_limits`` on OpenMP and ``OMP_NUM_THREADS`` (which joblib
        sets in its workers, so that a parallel grid search does not run two
        threads per core).

    Examples
    --------
    >>> import skscale
    >>> with skscale.config_context(n_threads=1):
    ...     skscale.get_config()
    {'n_threads': 1}
    """
    n_threads = _n_threads.get()
    if n_threads is None:
        n_threads = _from_environment()
    return {"n_threads": n_threads or _default_n_threads()}


_warned_values = set()


def _from_environment():
    """``SKSCALE_NUM_THREADS`` as an int >= 1, or None (unset or invalid).

    An invalid value is ignored with a warning naming it, once per value.
    """
    raw = os.environ.get("SKSCALE_NUM_THREADS")
    if raw is None or not raw.strip():
        return None
    value = raw.strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    if raw not in _warned_values:
        _warned_values.add(raw)
        warnings.warn(
            f"SKSCALE_NUM_THREADS={raw!r} is not an int >= 1; it is ignored and "
            "skscale uses the default thread count",
            RuntimeWarning,
            stacklevel=3,
        )
    return None


def set_config(n_threads=None):
    """Set the number of threads of the kernels, for this thread and its context.

    Results do not depend on it: every array is cut into the same blocks of rows
    whatever the thread count, and the blocks are combined in a fixed order, so
    the output is bit for bit the same with 1 thread or 64.

    Parameters
    ----------
    n_threads : int or None, default=None
        Threads to use; None restores the default (``SKSCALE_NUM_THREADS``, or
        the available cores within threadpoolctl's and ``OMP_NUM_THREADS``'s
        limits: see :func:`get_config`).

    Examples
    --------
    >>> import skscale
    >>> skscale.set_config(n_threads=1)
    >>> skscale.get_config()
    {'n_threads': 1}
    >>> skscale.set_config(n_threads=None)
    """
    _check_n_threads(n_threads)
    _n_threads.set(n_threads)


@contextmanager
def config_context(*, n_threads=None):
    """Context manager that sets the number of threads within its block.

    Parameters
    ----------
    n_threads : int or None, default=None
        Threads to use inside the block; None means the default.

    Yields
    ------
    None
        The block runs with the setting; the previous one is restored after.

    Examples
    --------
    >>> import numpy as np
    >>> import skscale
    >>> with skscale.config_context(n_threads=1):
    ...     skscale.StandardScaler().fit(np.ones((4, 2))).mean_
    array([1., 1.])
    """
    _check_n_threads(n_threads)
    token = _n_threads.set(n_threads)
    try:
        yield
    finally:
        _n_threads.reset(token)
