"""
Out-of-core fitting from chunks
===============================

When the data does not fit in memory, read it in chunks: ``partial_fit`` folds
each chunk into the scaler's statistics, and the result equals one ``fit`` on
all the data, to rounding, however the data is cut. Chunks can also be fitted
apart (in other processes, on other machines) and the scalers combined with
``merge``. This example writes a CSV file of 100,000 rows, fits a scaler on it
chunk by chunk, then trains a linear model out of core on the scaled chunks.
"""

# %%
# A file too big for memory (pretend)
# -----------------------------------
#
# Five features with very different offsets and spreads, one of them a
# measurement near 100 million with a spread of 0.5: a naive one-pass variance
# (the mean of squares minus the square of the mean) loses every digit there.
# The file goes to a temporary folder, removed at the end.

import tempfile
from functools import reduce
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.linear_model import SGDClassifier

from skscale import StandardScaler

rng = np.random.default_rng(0)
n_rows = 100_000
means = np.array([0.0, 1e3, -50.0, 1e8, 1e-3])
stds = np.array([1.0, 200.0, 5.0, 0.5, 1e-4])
columns = ["a", "b", "c", "d", "e"]
Z = rng.normal(size=(n_rows, 5))
data = pd.DataFrame(means + stds * Z, columns=columns)
data["label"] = Z @ [1.0, -2.0, 0.5, 1.5, -1.0] + rng.normal(0, 0.5, n_rows) > 0

folder = tempfile.TemporaryDirectory()
train_path = Path(folder.name) / "train.csv"
test_path = Path(folder.name) / "test.csv"
data.iloc[:80_000].to_csv(train_path, index=False)
data.iloc[80_000:].to_csv(test_path, index=False)
del data, Z  # from here on, only chunks are in memory
print(f"train.csv: {train_path.stat().st_size / 1e6:.1f} MB")

# %%
# Fit chunk by chunk
# ------------------
#
# ``pandas.read_csv(..., chunksize=...)`` yields DataFrames of 8,000 rows;
# ``partial_fit`` reads each one, and remembers the column names.

chunksize = 8_000
scaler = StandardScaler()
for chunk in pd.read_csv(train_path, chunksize=chunksize):
    scaler.partial_fit(chunk[columns])
print(f"{scaler.n_samples_seen_} rows seen")
print("mean_ =", scaler.mean_.round(3))
print("scale_ =", scaler.scale_.round(4))

# %%
# The same statistics as one fit on everything (which here still fits in
# memory, for the comparison), and far closer to it than the one-pass formula:

everything = pd.read_csv(train_path)[columns]
full = StandardScaler().fit(everything)
x = everything.to_numpy()
naive_var = (x * x).mean(axis=0) - x.mean(axis=0) ** 2
exact_var = x.var(axis=0)  # numpy's two-pass variance, in memory
print("relative difference from numpy's two-pass variance:")
print(f"  partial_fit: {np.abs(scaler.var_ / exact_var - 1).max():.1e}")
print(f"  fit:         {np.abs(full.var_ / exact_var - 1).max():.1e}")
print("  one-pass E[x^2] - E[x]^2:", np.abs(naive_var / exact_var - 1).round(2))
del everything, x

# %%
# Fit apart, then merge
# ---------------------
#
# Chunks fitted by different workers give scalers that ``merge`` combines, in
# any order and grouping: the merge is the same pairwise update that
# ``partial_fit`` uses.

chunks = list(pd.read_csv(train_path, chunksize=chunksize))
workers = [StandardScaler().fit(chunk[columns]) for chunk in chunks]
merged = reduce(StandardScaler.merge, workers)
print("merged == streamed:", np.allclose(merged.var_, scaler.var_, rtol=1e-12))
del chunks

# %%
# Train a model out of core
# -------------------------
#
# A second pass over the file trains a linear model with
# :meth:`~sklearn.linear_model.SGDClassifier.partial_fit` on the scaled chunks.
# The same model on the unscaled chunks, where one feature is a million times
# larger than another, is shown for comparison; both are scored on the test
# file after each chunk.

test = pd.read_csv(test_path)
X_test, y_test = test[columns], test["label"]
scaled_model = SGDClassifier(random_state=0)
raw_model = SGDClassifier(random_state=0)
scores = {"scaled": [], "unscaled": []}
for chunk in pd.read_csv(train_path, chunksize=chunksize):
    X, y = chunk[columns], chunk["label"]
    scaled_model.partial_fit(scaler.transform(X), y, classes=[False, True])
    raw_model.partial_fit(X.to_numpy(), y, classes=[False, True])
    scores["scaled"].append(scaled_model.score(scaler.transform(X_test), y_test))
    scores["unscaled"].append(raw_model.score(X_test.to_numpy(), y_test))
print(f"test accuracy after one pass: scaled {scores['scaled'][-1]:.3f}, ", end="")
print(f"unscaled {scores['unscaled'][-1]:.3f}")

fig, ax = plt.subplots(figsize=(7, 3.5))
seen = chunksize * np.arange(1, len(scores["scaled"]) + 1)
for name, values in scores.items():
    ax.plot(seen, values, marker="o", label=f"SGDClassifier, {name} features")
ax.set_xlabel("training rows seen (one chunk at a time)")
ax.set_ylabel("test accuracy")
ax.set_ylim(0.4, 1.0)
ax.legend()
ax.set_title("Out-of-core training on chunks scaled by partial_fit")
fig.tight_layout()
plt.show()

# %%
# The temporary folder and the files in it go away.

folder.cleanup()
