"""
Different scalers for different columns of a DataFrame
======================================================

A :class:`~sklearn.compose.ColumnTransformer` applies a different transformer
to each group of columns of a pandas DataFrame. skscale's scalers keep the
column names (``get_feature_names_out``), return DataFrames with
``set_output(transform="pandas")``, and let missing values (NaN) through, so
they fit in such a preprocessing step without surprises.
"""

# %%
# A table of customers
# --------------------
#
# Numeric columns on unrelated scales, one of them with missing values, and a
# categorical column. The target says whether the customer bought something.

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from skscale import MaxAbsScaler, MinMaxScaler, StandardScaler

rng = np.random.default_rng(0)
n = 600
customers = pd.DataFrame(
    {
        "age": rng.normal(45, 12, n).round(),
        "income": rng.lognormal(10.8, 0.5, n).round(-2),
        "balance": rng.normal(0, 3000, n).round(2),
        "visits": rng.poisson(6, n).astype(float),
        "city": rng.choice(["Lyon", "Oslo", "Porto"], n),
    }
)
customers.loc[rng.random(n) < 0.08, "visits"] = np.nan  # not recorded
signal = (
    (customers["age"] - 45) / 12
    + np.log(customers["income"] / 50_000)
    + customers["visits"].fillna(6) / 3
    - 2
)
bought = (signal + rng.normal(0, 0.7, n) > 0).astype(int)
print(f"{customers['visits'].isna().sum()} missing visit counts")
customers.head()

# %%
# One scaler per group of columns
# -------------------------------
#
# Age and visits are standardized; the income, always positive with a long
# tail, is mapped onto ``[0, 1]``; the account balance, of either sign, is
# divided by its largest magnitude so that its sign and its zero are kept. The
# city is one-hot encoded. ``set_output(transform="pandas")`` makes the whole
# step return a DataFrame with named columns.

preprocess = ColumnTransformer(
    [
        ("standard", StandardScaler(), ["age", "visits"]),
        ("minmax", MinMaxScaler(), ["income"]),
        ("maxabs", MaxAbsScaler(), ["balance"]),
        ("city", OneHotEncoder(sparse_output=False), ["city"]),
    ]
).set_output(transform="pandas")
scaled = preprocess.fit_transform(customers)
print(f"{scaled.shape[1]} columns out: {list(scaled.columns)}")
scaled.head().round(3)

# %%
# The missing visit counts are still missing: the scalers ignore NaN when they
# fit and pass it through when they transform. The fitted scalers are there to
# read, with the names and statistics of their columns.

standard = preprocess.named_transformers_["standard"]
print("missing after scaling:", scaled["standard__visits"].isna().sum())
print("standardized columns:", list(standard.feature_names_in_))
print("their means:", standard.mean_.round(2), " their std:", standard.scale_.round(2))

# %%
# Before and after
# ----------------
#
# The numeric columns as box plots, in their own units and after scaling. In
# their own units, the income and the balance dwarf the age and the visits.

numeric = ["age", "income", "balance", "visits"]
after = ["standard__age", "minmax__income", "maxabs__balance", "standard__visits"]
fig, (ax_before, ax_after) = plt.subplots(1, 2, figsize=(10, 4))
ax_before.boxplot([customers[c].dropna() for c in numeric])
ax_before.set_xticks(range(1, len(numeric) + 1), numeric)
ax_before.set_title("before, in their own units")
ax_after.boxplot([scaled[c].dropna() for c in after])
ax_after.set_xticks(range(1, len(after) + 1), after)
ax_after.set_title("after the ColumnTransformer")
ax_after.tick_params(axis="x", labelrotation=20)
fig.tight_layout()
plt.show()

# %%
# In a model
# ----------
#
# A linear model cannot take NaN: impute after scaling. A missing visit count
# becomes 0 after standardization, which is the mean visit count. The whole
# pipeline is cross-validated as one estimator, so the scalers are fitted on
# the training folds only.

model = make_pipeline(
    preprocess,
    SimpleImputer(strategy="constant", fill_value=0.0),
    LogisticRegression(),
)
scores = cross_val_score(model, customers, bought, cv=5)
print(f"accuracy {scores.mean():.3f} +/- {scores.std():.3f}")
