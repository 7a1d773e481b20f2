"""
Running versus cumulative statistics under drift
================================================

:class:`~skscale.MiniBatchStandardizer` learns a mean and a variance from
minibatches in one of two ways. With ``momentum=None`` it keeps the exact
statistics of everything seen, as :class:`~skscale.StandardScaler` fitted on all
the batches at once would. With a ``momentum`` it keeps exponential moving
averages, as batch normalization does, and so forgets the past. This example
feeds both a stream whose mean drifts, then looks at how the running averages
start (see :ref:`minibatch` for the formulas).
"""

# %%
# A drifting stream
# -----------------
#
# 300 minibatches of 64 rows. The mean of the single feature stays at 0, ramps
# up to 5 between batches 50 and 150, then drops to -1 at batch 200; its standard
# deviation is 1 throughout.

import matplotlib.pyplot as plt
import numpy as np

from skscale import MiniBatchStandardizer


def true_mean(step):
    if step < 50:
        return 0.0
    if step < 150:
        return (step - 50) / 20.0
    if step < 200:
        return 5.0
    return -1.0


rng = np.random.default_rng(0)
steps = np.arange(300)
batches = [rng.normal(true_mean(s), 1.0, size=(64, 1)) for s in steps]

estimators = {
    "cumulative (momentum=None)": MiniBatchStandardizer(),
    "running, momentum=0.1": MiniBatchStandardizer(momentum=0.1),
    "running, momentum=0.01": MiniBatchStandardizer(momentum=0.01),
}
means = {name: [] for name in estimators}
stds = {name: [] for name in estimators}
for batch in batches:
    for name, estimator in estimators.items():
        estimator.partial_fit(batch)
        means[name].append(estimator.mean_[0])
        stds[name].append(estimator.scale_[0])

truth = np.array([true_mean(s) for s in steps])
print("mean absolute error of the mean over the last 50 batches:")
for name in estimators:
    error = np.abs(np.array(means[name]) - truth)[-50:].mean()
    print(f"  {name:<28} {error:.3f}")

# %%
# The cumulative mean remembers everything, so it lags further and further
# behind; its standard deviation grows too, because it measures the spread of
# the whole history, not of the current batches. The running averages follow
# the drift within about ``1 / momentum`` batches: 0.1 follows quickly and
# noisily, 0.01 slowly and smoothly.

fig, (ax_mean, ax_std) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
ax_mean.plot(steps, truth, color="black", lw=2, label="true mean")
ax_std.axhline(1.0, color="black", lw=2, label="true std")
for name in estimators:
    ax_mean.plot(steps, means[name], label=name)
    ax_std.plot(steps, stds[name], label=name)
ax_mean.set_ylabel("mean_")
ax_std.set_ylabel("scale_ = sqrt(var_ + eps)")
ax_std.set_xlabel("minibatch")
ax_mean.legend(fontsize=8)
ax_mean.set_title("MiniBatchStandardizer on a drifting stream")
fig.tight_layout()
plt.show()

# %%
# How the running averages start
# ------------------------------
#
# ``torch.nn.BatchNorm1d`` starts its running mean at 0 and its running variance
# at 1, and moves them by ``momentum`` each batch: until about ``1 / momentum``
# batches have been seen, the estimates are pulled towards that arbitrary start.
# ``bias_correction=False`` reproduces this exactly. The default,
# ``bias_correction=True``, debiases the averages as Adam does, so the first
# batch sets them to its own statistics and later batches move them as usual.
# On a stream of mean 5 and standard deviation 3:

stream = [rng.normal(5.0, 3.0, size=(32, 1)) for _ in range(60)]
starts = {
    "bias_correction=True (default)": MiniBatchStandardizer(momentum=0.05),
    "bias_correction=False (PyTorch)": MiniBatchStandardizer(
        momentum=0.05, bias_correction=False, ddof=1, eps=1e-5
    ),
}
start_means = {name: [] for name in starts}
start_stds = {name: [] for name in starts}
for batch in stream:
    for name, estimator in starts.items():
        estimator.partial_fit(batch)
        start_means[name].append(estimator.mean_[0])
        start_stds[name].append(np.sqrt(estimator.var_[0]))

fig, (ax_mean, ax_std) = plt.subplots(1, 2, figsize=(9, 3.5))
for name in starts:
    ax_mean.plot(start_means[name], label=name)
    ax_std.plot(start_stds[name], label=name)
ax_mean.axhline(5.0, color="black", lw=1)
ax_std.axhline(3.0, color="black", lw=1)
ax_mean.set_title("running mean (true: 5)")
ax_std.set_title("running std (true: 3)")
for ax in (ax_mean, ax_std):
    ax.set_xlabel("minibatch")
ax_mean.legend(fontsize=8)
fig.tight_layout()
plt.show()

for name in starts:
    print(f"after 10 batches, {name}: mean {start_means[name][9]:.2f}")

# %%
# After 10 batches the PyTorch-style estimate of the mean has covered only
# ``1 - 0.95 ** 10``, about 40%, of the way from 0 to 5, while the debiased one
# is already a proper average of the batches seen. Use
# ``bias_correction=False`` to reproduce a trained network's ``BatchNorm1d``
# buffers, and the default otherwise.
