"""skscale against dask-ml on the same Dask cluster and the same data.

Fits StandardScaler and MinMaxScaler from both libraries on a Dask array drawn
with ``dask.array.random`` (default 20,000,000 x 20 float64, 3.2 GB, regenerated
identically by every compute) on a ``distributed.LocalCluster``, and reports the
median fit time, the ratio dask-ml / skscale, and the largest relative error of
each library's fitted mean, variance, minimum and maximum against an exact
reference (sums in extended precision, two passes).

With ``--parquet FOLDER`` it also writes the data to Parquet there and times
the frames users get from ``dd.read_parquet(FOLDER, dtype_backend="pyarrow")``
(``float64[pyarrow]`` columns): skscale fits them as they are; dask-ml 2025.1.0
fails on ``float64[pyarrow]``, so it fits a float64 copy
(``ddf.astype("float64")``, converted in the same tasks), which is what its
users have to do.

Run it with ``python benchmarks/bench_dask.py [--rows N] [--columns P]
[--chunk-rows R] [--workers W] [--repeats K] [--parquet FOLDER] [--json PATH]``;
it needs ``pip install -e ".[dask,bench]"``. It is not a test.
"""

import argparse
import json
import platform
import time

import dask
import dask.array as da
import numpy as np
from distributed import Client, LocalCluster

import skscale


def make_data(rows, columns, chunk_rows, seed=0):
    rng = da.random.default_rng(seed)
    loc = np.linspace(-1e3, 1e6, columns)
    scale = np.geomspace(1e-3, 1e3, columns)
    return rng.normal(size=(rows, columns), chunks=(chunk_rows, columns)) * scale + loc


def exact_reference(X):
    """Mean and variance with extended-precision sums, minimum and maximum."""
    wide = X.astype(np.longdouble)
    n = X.shape[0]
    mean = wide.sum(axis=0) / n
    (mean,) = dask.compute(mean)
    var, low, high = dask.compute(
        ((wide - mean) ** 2).sum(axis=0) / n, X.min(0), X.max(0)
    )
    return {"mean": mean, "var": var, "min": low, "max": high}


def relative_error(value, exact):
    value = np.asarray(value, dtype=np.longdouble)
    return float(np.max(np.abs(value - exact) / np.maximum(np.abs(exact), 1e-300)))


def timed(function, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--columns", type=int, default=20)
    parser.add_argument("--chunk-rows", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--parquet", metavar="FOLDER", help="also time Parquet")
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args(argv)

    import dask_ml
    import dask_ml.preprocessing as dml

    cluster = LocalCluster(
        n_workers=args.workers,
        threads_per_worker=1,
        host="127.0.0.1",
        scheduler_port=0,
        dashboard_address=":0",
        silence_logs=40,
    )
    rows = []
    with Client(cluster):
        X = make_data(args.rows, args.columns, args.chunk_rows)
        exact = exact_reference(X)
        pairs = [
            ("StandardScaler", skscale.StandardScaler, dml.StandardScaler),
            ("MinMaxScaler", skscale.MinMaxScaler, dml.MinMaxScaler),
        ]
        inputs = [("array", X, X)]
        if args.parquet:
            import dask.dataframe as dd

            names = [f"c{j}" for j in range(args.columns)]
            dd.from_dask_array(X, columns=names).to_parquet(args.parquet)
            frame = dd.read_parquet(args.parquet, dtype_backend="pyarrow")
            inputs.append(("parquet", frame, frame.astype("float64")))
        cases = [(kind, *pair) for kind, *_ in inputs for pair in pairs]
        data = {kind: (mine, copy) for kind, mine, copy in inputs}
        for kind, name, ours, theirs in cases:
            mine, copy = data[kind]
            ours_time, ours_fit = timed(lambda c=ours, X=mine: c().fit(X), args.repeats)
            theirs_time, theirs_fit = timed(
                lambda c=theirs, X=copy: c().fit(X), args.repeats
            )
            row = {
                "input": kind,
                "estimator": name,
                "skscale_s": ours_time,
                "dask_ml_s": theirs_time,
                "speedup": theirs_time / ours_time,
            }
            for attr, key in [
                ("mean_", "mean"),
                ("var_", "var"),
                ("data_min_", "min"),
                ("data_max_", "max"),
            ]:
                if hasattr(ours_fit, attr):
                    row[f"skscale_err_{key}"] = relative_error(
                        getattr(ours_fit, attr), exact[key]
                    )
                    row[f"dask_ml_err_{key}"] = relative_error(
                        np.asarray(getattr(theirs_fit, attr)), exact[key]
                    )
            rows.append(row)
    cluster.close()

    machine = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "dask": dask.__version__,
        "dask_ml": dask_ml.__version__,
        "skscale": skscale.__version__,
        "workers": args.workers,
        "data": (
            f"{args.rows:,} x {args.columns} float64, "
            f"chunks of {args.chunk_rows:,} rows"
        ),
    }
    print("machine:", ", ".join(f"{k}={v}" for k, v in machine.items()))
    header = (
        f"{'input':<8} {'estimator':<16} {'skscale s':>10} {'dask-ml s':>10} "
        f"{'speedup':>8}"
    )
    print(f"{header}  relative errors (skscale / dask-ml)")
    for row in rows:
        errors = "  ".join(
            f"{key}: {row[f'skscale_err_{key}']:.1e} / {row[f'dask_ml_err_{key}']:.1e}"
            for key in ("mean", "var", "min", "max")
            if f"skscale_err_{key}" in row
        )
        print(
            f"{row['input']:<8} {row['estimator']:<16} {row['skscale_s']:>10.3f} "
            f"{row['dask_ml_s']:>10.3f} {row['speedup']:>7.2f}x  {errors}"
        )
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"machine": machine, "rows": rows}, handle, indent=2)


if __name__ == "__main__":
    main()
