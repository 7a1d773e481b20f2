"""skscale against scikit-learn on torch CPU tensors, array API dispatch on.

Times ``StandardScaler().fit(X).transform(X)`` of both libraries on the same
torch tensor (default 2,000,000 x 50, float64 and float32) with
``sklearn.set_config(array_api_dispatch=True)``, median of ``--repeats`` calls
after a warm-up, the two libraries alternating; prints the times and the
ratio scikit-learn / skscale (above 1: skscale faster), and the largest
difference between the two outputs.

Run it with ``python benchmarks/bench_array_api.py [--rows N] [--columns P]
[--repeats K] [--threads T]``; it needs torch (``pip install torch==2.13.0``)
and ``pip install -e ".[array-api]"``. It is not a test.
"""

import argparse
import os
import time
from functools import partial

os.environ.setdefault("SCIPY_ARRAY_API", "1")

import numpy as np
import sklearn
import sklearn.preprocessing
import torch

import skscale


def fit_transform(cls, X):
    return cls().fit(X).transform(X)


def median_seconds(calls, repeats):
    """Median seconds of each call, the calls alternating, after a warm-up."""
    for call in calls.values():
        call()
    times = {name: [] for name in calls}
    for _ in range(repeats):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - start)
    return {name: float(np.median(values)) for name, values in times.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--columns", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None, help="torch threads")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(
        f"torch {torch.__version__} ({torch.get_num_threads()} threads), "
        f"scikit-learn {sklearn.__version__}, skscale {skscale.__version__}; "
        f"{args.rows:,} x {args.columns}, median of {args.repeats}"
    )
    generator = torch.Generator().manual_seed(0)
    shape = (args.rows, args.columns)
    base = torch.randn(*shape, generator=generator, dtype=torch.float64)
    header = ("dtype", "skscale s", "sklearn s", "ratio", "max diff")
    print("{:8} {:>10} {:>10} {:>7} {:>9}".format(*header))
    with sklearn.config_context(array_api_dispatch=True):
        for dtype in (torch.float64, torch.float32):
            X = (base * 3 + 10).to(dtype)
            calls = {
                "skscale": partial(fit_transform, skscale.StandardScaler, X),
                "sklearn": partial(
                    fit_transform, sklearn.preprocessing.StandardScaler, X
                ),
            }
            seconds = median_seconds(calls, args.repeats)
            ours, theirs = (call() for call in calls.values())
            assert isinstance(ours, torch.Tensor) and ours.dtype == dtype
            diff = float((ours.double() - theirs.double()).abs().max())
            ratio = seconds["sklearn"] / seconds["skscale"]
            print(
                f"{str(dtype).split('.')[1]:8} {seconds['skscale']:10.3f} "
                f"{seconds['sklearn']:10.3f} {ratio:7.2f} {diff:9.1e}"
            )


if __name__ == "__main__":
    main()
