"""pytest set-up for the whole repository (doctests in skscale/ and README.md too)."""

import os

# scikit-learn's array-API check runs only when SciPy was imported with array-API
# support on; set it before anything imports SciPy so that check runs, not skips.
os.environ.setdefault("SCIPY_ARRAY_API", "1")
