"""Every example in examples/ runs to the end and shows what it says it shows."""

import runpy
from pathlib import Path

import numpy as np
import pytest

EXAMPLES_DIR = Path(__file__).parent.parent / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("*.py"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(path, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(path), run_name="__main__")
    assert capsys.readouterr().out.strip()


def test_grid_search_example_prefers_a_scaler_to_none():
    module = runpy.run_path(str(EXAMPLES_DIR / "grid_search_scalers.py"))
    search = module["main"]()
    assert search.best_params_["scale"] != "passthrough"


def test_drift_example_running_estimate_follows_the_drift(tmp_path):
    module = runpy.run_path(str(EXAMPLES_DIR / "minibatch_drift.py"))
    path = tmp_path / "drift.png"
    error_cumulative, error_running = module["main"](str(path))
    assert error_running < error_cumulative / 3
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_dask_example_writes_standardized_data(tmp_path):
    pytest.importorskip("dask.dataframe")
    module = runpy.run_path(str(EXAMPLES_DIR / "dask_parquet.py"))
    scaler, scaled = module["main"](str(tmp_path))
    assert list(scaled.columns) == list(scaler.feature_names_in_)
    np.testing.assert_allclose(scaled.mean().to_numpy(), 0.0, atol=1e-12)
    np.testing.assert_allclose(scaled.std(ddof=0).to_numpy(), 1.0, rtol=1e-12)
    assert (tmp_path / "scaled").is_dir()
