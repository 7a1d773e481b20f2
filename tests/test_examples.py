"""Every example in examples/ runs to the end and shows what it says it shows."""

import runpy
from pathlib import Path

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
