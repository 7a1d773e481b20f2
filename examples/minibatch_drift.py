"""Running versus cumulative statistics on a stream whose mean drifts.

A stream of minibatches has a mean that stays at 0, ramps up to 5, then drops
back to 2. ``MiniBatchStandardizer(momentum=None)`` (the exact cumulative mean)
remembers everything and lags further and further behind; with ``momentum=0.1``
the running mean, as in batch normalization, follows the drift within a few
batches. The plot is saved as ``minibatch_drift.png`` in the current directory.

Run it with ``python examples/minibatch_drift.py``.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

from skscale import MiniBatchStandardizer


def true_mean(step):
    if step < 50:
        return 0.0
    if step < 150:
        return (step - 50) / 20.0
    return 2.0


def main(path="minibatch_drift.png"):
    rng = np.random.default_rng(0)
    cumulative = MiniBatchStandardizer()
    running = MiniBatchStandardizer(momentum=0.1)
    steps = np.arange(250)
    truth, exact, ema = [], [], []
    for step in steps:
        batch = rng.normal(loc=true_mean(step), scale=1.0, size=(64, 1))
        cumulative.partial_fit(batch)
        running.partial_fit(batch)
        truth.append(true_mean(step))
        exact.append(cumulative.mean_[0])
        ema.append(running.mean_[0])

    fig, ax = plt.subplots(figsize=(8, 4))
    ax.plot(steps, truth, color="black", lw=2, label="true mean")
    ax.plot(steps, exact, label="cumulative (momentum=None)")
    ax.plot(steps, ema, label="running (momentum=0.1)")
    ax.set_xlabel("minibatch")
    ax.set_ylabel("estimated mean")
    ax.set_title("MiniBatchStandardizer on a drifting stream")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)

    error_exact = np.abs(np.array(exact) - truth)[-50:].mean()
    error_running = np.abs(np.array(ema) - truth)[-50:].mean()
    print("mean error over the last 50 batches:")
    print(f"  cumulative {error_exact:.3f}, running {error_running:.3f}")
    print(f"plot saved to {path}")
    return error_exact, error_running


if __name__ == "__main__":
    main()
