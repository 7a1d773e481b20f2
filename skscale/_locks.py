"""Per-estimator locks: fit, partial_fit and saving one at a time, all or nothing."""

import os
import threading
import weakref
from contextlib import contextmanager

# One lock per estimator instance, kept outside the instance so that it is never
# pickled, cloned or compared.
_LOCKS = weakref.WeakKeyDictionary()
_LOCKS_LOCK = threading.Lock()


def _fresh_locks_in_child():
    """A forked child gets new locks: the parent's threads that held some are gone."""
    global _LOCKS, _LOCKS_LOCK
    _LOCKS = weakref.WeakKeyDictionary()
    _LOCKS_LOCK = threading.Lock()


os.register_at_fork(after_in_child=_fresh_locks_in_child)


def lock_of(estimator):
    """The reentrant lock that fit, partial_fit and saving take on ``estimator``."""
    with _LOCKS_LOCK:
        lock = _LOCKS.get(estimator)
        if lock is None:
            lock = _LOCKS[estimator] = threading.RLock()
        return lock


@contextmanager
def atomic_update(estimator):
    """Update ``estimator`` one thread at a time, and all or nothing.

    Concurrent ``fit``/``partial_fit`` calls on one instance run one after the
    other, so no update is lost. If the block raises, every attribute is
    restored: fitted arrays are always replaced, never written in place, so a
    shallow copy of the instance dictionary is a complete snapshot.
    """
    with lock_of(estimator):
        state = dict(vars(estimator))
        try:
            yield
        except BaseException:
            vars(estimator).clear()
            vars(estimator).update(state)
            raise
