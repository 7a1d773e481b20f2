"""Every example in examples/ runs to the end."""

import runpy
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.py"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(path, capsys):
    runpy.run_path(str(path), run_name="__main__")
    assert capsys.readouterr().out.strip()


def test_grid_search_example_prefers_a_scaler_to_none():
    module = runpy.run_path(str(EXAMPLES[0].parent / "grid_search_scalers.py"))
    search = module["main"]()
    assert search.best_params_["scale"] != "passthrough"
