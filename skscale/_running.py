"""What MiniBatchStandardizer learns from the order of its batches.

Batch normalization keeps, per feature, running (exponential moving) averages
of the batch means and standard deviations; :class:`BatchHistory` holds them,
with the count of batches that moved each statistic, and folds new batches in.
With exact statistics (``momentum=None``) only the counts are kept: the
statistics are those of the core (:class:`skscale._stats.FeatureStats`).
"""

from dataclasses import dataclass, replace

import numpy as np


@dataclass(frozen=True)
class BatchHistory:
    """Batch counts and, for running statistics, the running averages.

    Attributes
    ----------
    n_updates : ndarray of shape (2, n_features), int64
        Per feature, how many batches moved the mean (row 0) and the variance
        (row 1): a batch where a feature is missing moves neither, one with too
        little weight for ``ddof`` only the mean.
    n_batches : int
        How many batches were folded in.
    mean, std : ndarray of shape (n_features,) or None
        The running averages of the batch means and standard deviations; None
        with exact statistics.
    """

    n_updates: np.ndarray
    n_batches: int = 0
    mean: np.ndarray | None = None
    std: np.ndarray | None = None

    @classmethod
    def start(cls, n_features, running=False, bias_correction=True):
        """No batch yet. Debiased running averages start empty (a variance of 0
        until a batch gives one); PyTorch's buffers start at mean 0, variance 1.
        """
        counts = np.zeros((2, n_features), dtype=np.int64)
        if not running:
            return cls(counts)
        if bias_correction:
            return cls(counts, 0, np.full(n_features, np.nan), np.zeros(n_features))
        return cls(counts, 0, np.zeros(n_features), np.ones(n_features))

    def counted(self, moves, n_batches):
        """The counts after ``n_batches`` more batches that made ``moves``."""
        return replace(
            self, n_updates=self.n_updates + moves, n_batches=self.n_batches + n_batches
        )

    def merged(self, other):
        """The counts of two exact histories together (running ones do not merge)."""
        return self.counted(other.n_updates, other.n_batches)

    def folded(self, batches, moves, momentum, bias_correction, ddof):
        """The running averages after ``batches`` (FeatureStats), in order.

        ``moves[k]`` says which statistics batch ``k`` moves (see ``n_updates``).
        With ``bias_correction``, batch ``t`` of a feature is weighted by
        ``m / (1 - (1 - m)^t)`` (Adam's debiasing, which is 1 for the first).
        """
        mean, std, n_updates = self.mean, self.std, self.n_updates
        m = float(momentum)
        for batch, move in zip(batches, moves, strict=True):
            n_updates = n_updates + move
            if bias_correction:
                with np.errstate(divide="ignore", invalid="ignore"):
                    alpha = m / -np.expm1(n_updates * np.log1p(-m)) if m < 1 else 1.0
            else:
                alpha = np.full(n_updates.shape, m)
            alpha = np.where(move, alpha, 0.0)
            with np.errstate(invalid="ignore"):
                mean = np.where(move[0], _blend(mean, batch.mean, alpha[0]), mean)
                std = np.where(move[1], _blend_std(std, batch.std(ddof), alpha[1]), std)
        return BatchHistory(n_updates, self.n_batches + len(batches), mean, std)


def _blend_std(running, batch, alpha):
    """Standard deviation of the variance ``(1 - alpha) running^2 + alpha batch^2``.

    Averaging the variances without squaring them, so that nothing overflows.
    """
    return np.where(
        alpha == 1.0,
        batch,
        np.hypot(np.sqrt(1.0 - alpha) * running, np.sqrt(alpha) * batch),
    )


def _blend(running, batch, alpha):
    """``(1 - alpha) * running + alpha * batch``, exact when alpha is 1.

    A convex combination: it cannot overflow where both operands are finite.
    """
    return np.where(alpha == 1.0, batch, (1.0 - alpha) * running + alpha * batch)
