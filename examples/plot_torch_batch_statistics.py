"""
Batch statistics of a torch DataLoader, in torch
================================================

:class:`~skscale.MiniBatchStandardizer` learns a mean and a variance from
minibatches. Under scikit-learn's array API dispatch it takes torch tensors as
they come out of a :class:`torch.utils.data.DataLoader`, keeps its fitted
attributes as tensors on the batches' device and returns tensors: nothing goes
through NumPy (see :doc:`/user_guide/array_api`).

This example follows the batches of one epoch two ways at once. With a
``momentum`` it keeps the running averages of batch normalization, and equals
:class:`torch.nn.BatchNorm1d`'s ``running_mean`` and ``running_var`` at every
step. With ``momentum=None`` it keeps the exact statistics of everything seen,
which after the epoch are those of the whole data set.
"""

# %%
# A data set and its loader
# -------------------------
#
# 8,192 samples of 4 features on very different scales (a price in the
# thousands, a rate near 0.01, ...), shuffled into batches of 128. The
# array-API dispatch needs SciPy's array-API mode, set before SciPy is imported.

import os

os.environ.setdefault("SCIPY_ARRAY_API", "1")

import matplotlib.pyplot as plt
import sklearn
import torch
from torch.utils.data import DataLoader, TensorDataset

from skscale import MiniBatchStandardizer

generator = torch.Generator().manual_seed(0)
loc = torch.tensor([2500.0, 0.01, -3.0, 40.0])
spread = torch.tensor([300.0, 0.002, 1.0, 15.0])
features = loc + spread * torch.randn(8192, 4, generator=generator)
loader = DataLoader(
    TensorDataset(features),
    batch_size=128,
    shuffle=True,
    generator=torch.Generator().manual_seed(1),
)

# %%
# One epoch, three learners
# -------------------------
#
# BatchNorm1d in training mode updates its running statistics with each batch
# (``momentum=0.1``, the unbiased batch variance, ``eps=1e-5`` added to the
# variance when it divides); the running standardizer is set the same way
# (``ddof=1``, ``eps=1e-5`` and no bias correction of the first steps).

sklearn.set_config(array_api_dispatch=True)

layer = torch.nn.BatchNorm1d(4, momentum=0.1, affine=False).train()
running = MiniBatchStandardizer(momentum=0.1, bias_correction=False, ddof=1, eps=1e-5)
exact = MiniBatchStandardizer()

gaps, running_means, exact_means = [], [], []
for (batch,) in loader:
    with torch.no_grad():
        layer(batch)
    running.partial_fit(batch)
    exact.partial_fit(batch)
    # The fitted attributes are float64 tensors; BatchNorm1d's are float32.
    gap = (running.mean_ - layer.running_mean).abs() / spread
    gaps.append(float(gap.max()))
    running_means.append(float(running.mean_[0]))
    exact_means.append(float(exact.mean_[0]))

print(f"{len(gaps)} batches; mean_ and var_ are {type(running.mean_).__name__}s")
print(f"largest gap to BatchNorm1d's running mean: {max(gaps):.1e} standard deviations")
var_gap = ((running.var_ - layer.running_var).abs() / layer.running_var).max()
print(f"relative gap to its running variance: {float(var_gap):.1e}")
whole = features.double()
print("exact mean after the epoch minus the data set's:")
print(" ", (exact.mean_ - whole.mean(dim=0)).tolist())

# %%
# The running mean of the first feature follows the batches it saw last; the
# exact one converges on the data set's mean.

fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(running_means, label="running (momentum=0.1) = BatchNorm1d")
ax.plot(exact_means, label="exact (momentum=None)")
ax.axhline(float(whole[:, 0].mean()), color="k", lw=0.8, ls="--", label="data set")
ax.set_xlabel("batch")
ax.set_ylabel("mean of feature 0")
ax.legend()
fig.tight_layout()

# %%
# Standardizing tensors
# ---------------------
#
# ``transform`` gives a float32 tensor, as the batches are. In evaluation mode
# BatchNorm1d applies its running statistics the same way.

layer.eval()
with torch.no_grad():
    expected = layer(features)
scaled = running.transform(features)
difference = float((scaled - expected).abs().max())
print(f"{type(scaled).__name__} of {scaled.dtype}; largest difference {difference:.1e}")

sklearn.set_config(array_api_dispatch=False)
