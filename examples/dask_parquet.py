"""Fit a scaler on a Dask DataFrame read from Parquet, and write the scaled data.

The example writes a folder of Parquet files (one per month of synthetic sensor
readings), reads it back as a Dask DataFrame, fits a StandardScaler on all of
it (each partition summarised in one task, the summaries merged in a tree, one
pass over the data), and writes the scaled data to another Parquet folder. It
runs on Dask's local threads; with a ``distributed.Client`` it runs unchanged on
a cluster.

Run it with ``python examples/dask_parquet.py [FOLDER]`` (default: a temporary
folder).
"""

import sys
import tempfile
from pathlib import Path

import dask.dataframe as dd
import numpy as np
import pandas as pd

from skscale import StandardScaler


def write_months(folder, n_months=6, rows=20_000, seed=0):
    """One Parquet file per month of readings from three sensors."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for month in range(n_months):
        frame = pd.DataFrame(
            {
                "temperature": rng.normal(15 + month, 4, rows),
                "pressure": rng.normal(1013, 8, rows),
                "humidity": rng.uniform(20, 90, rows),
            }
        )
        frame.loc[rng.random(rows) < 0.01, "humidity"] = np.nan  # sensor dropouts
        frame.to_parquet(folder / f"month-{month:02d}.parquet")


def main(folder=None):
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(folder or scratch)
        write_months(root / "raw")
        readings = dd.read_parquet(root / "raw")
        print(f"{readings.npartitions} partitions, columns {list(readings.columns)}")

        scaler = StandardScaler().fit(readings)
        for name, mean, std in zip(
            scaler.feature_names_in_, scaler.mean_, scaler.scale_, strict=True
        ):
            print(f"  {name:<12} mean {mean:9.3f}  std {std:7.3f}")

        scaled = scaler.transform(readings)  # lazy: nothing computed yet
        scaled.to_parquet(root / "scaled")
        check = dd.read_parquet(root / "scaled").compute()
        print(
            f"wrote {len(check)} scaled rows; column means "
            f"{np.round(check.mean().to_numpy(), 12).tolist()}"
        )
        return scaler, check


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
