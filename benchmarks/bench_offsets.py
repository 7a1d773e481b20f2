"""Fit and transform times of the column scalers on data far from zero.

The pivoted statistics (``stats_.residual``) cost nothing on data near zero;
on data whose mean lies far from zero against its spread they may take one
more pass (MeanNormalizationScaler's fit) or subtract the residual in
transform. This times each column scaler on 1,000,000 x 50 float64 drawn from
N(offset, 1) for offsets 0, 100 and 1e5 (median of 5 calls after a warm-up),
and fit + transform on 1,000 x 10. Compare two checkouts by running it with
each on the path:

    python benchmarks/bench_offsets.py                       # the installed skscale
    python benchmarks/bench_offsets.py --path ../old-checkout --json old.json

Times depend on what else runs on the machine: run it on an idle one, twice.
"""

import argparse
import json
import sys
import time
from functools import partial

import numpy as np

SCALERS = ["StandardScaler", "MeanNormalizationScaler", "MinMaxScaler", "MaxAbsScaler"]


def median_time(call, repeats=5):
    call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", help="import skscale from this checkout")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--json", help="write the times (seconds) to this file")
    args = parser.parse_args()
    if args.path:
        sys.path.insert(0, args.path)
    import skscale

    rng = np.random.default_rng(0)
    results = {}
    for offset in (0.0, 100.0, 1e5):
        X = rng.normal(offset, 1.0, size=(args.rows, 50))
        for name in SCALERS:
            est = getattr(skscale, name)().fit(X)
            label = f"N({offset:g}, 1) {name}"
            results[f"{label}.fit"] = median_time(partial(est.fit, X))
            results[f"{label}.transform"] = median_time(partial(est.transform, X))
        del X
    small = rng.normal(size=(1_000, 10))
    est = skscale.StandardScaler()

    def small_calls():
        for _ in range(200):
            est.fit(small).transform(small)

    key = "1,000 x 10 StandardScaler fit + transform"
    results[key] = median_time(small_calls) / 200
    print(f"skscale from {skscale.__file__}")
    for key, seconds in results.items():
        print(f"{key:50s} {seconds * 1e3:9.3f} ms")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
