"""Every example in examples/ runs to the end and shows what it says it shows.

Each example runs once, as a script; the tests of what it shows read the
variables it leaves behind. (The documentation build runs the gallery's
``plot_*.py`` examples again.)
"""

import contextlib
import io
import runpy
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

EXAMPLES_DIR = Path(__file__).parent.parent / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("*.py"))


@pytest.fixture(scope="module")
def run_example(tmp_path_factory):
    """Run an example as ``__main__`` once: its globals and what it printed."""
    done = {}

    def run(name):
        if name not in done:
            folder = tmp_path_factory.mktemp(Path(name).stem)
            printed = io.StringIO()
            # One BLAS thread: many small fits, on a machine that may be busy.
            with (
                pytest.MonkeyPatch.context() as monkeypatch,
                contextlib.redirect_stdout(printed),
                threadpool_limits(1),
            ):
                monkeypatch.chdir(folder)
                module = runpy.run_path(str(EXAMPLES_DIR / name), run_name="__main__")
            done[name] = module, printed.getvalue()
        return done[name]

    return run


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(path, run_example):
    _, printed = run_example(path.name)
    assert printed.strip()


def test_grid_search_example_prefers_a_scaler_to_none(run_example):
    module, _ = run_example("plot_grid_search.py")
    assert module["search"].best_params_["scale"] != "passthrough"


def test_drift_example_running_estimate_follows_the_drift(run_example):
    module, _ = run_example("plot_minibatch_drift.py")
    truth = module["truth"]
    error = {
        name: np.abs(np.array(means) - truth)[-50:].mean()
        for name, means in module["means"].items()
    }
    assert error["running, momentum=0.1"] < error["cumulative (momentum=None)"] / 3


def test_dask_example_writes_standardized_data(tmp_path):
    pytest.importorskip("dask.dataframe")
    module = runpy.run_path(str(EXAMPLES_DIR / "dask_parquet.py"))
    scaler, scaled = module["main"](str(tmp_path))
    assert list(scaled.columns) == list(scaler.feature_names_in_)
    np.testing.assert_allclose(scaled.mean().to_numpy(), 0.0, atol=1e-12)
    np.testing.assert_allclose(scaled.std(ddof=0).to_numpy(), 1.0, rtol=1e-12)
    assert (tmp_path / "scaled").is_dir()


def test_docs_hold_no_control_characters():
    # A script that wrote LaTeX without a raw string once turned \frac, \bar,
    # \varepsilon and \text into a form feed, a backspace, a vertical tab and
    # a tab: the page rendered "rac{x_j - ar{x}}".
    root = Path(__file__).resolve().parents[1]
    files = [root / "README.md", *root.glob("docs/*.md")]
    files += [*root.glob("docs/user_guide/*.md"), *root.glob("skscale/*.py")]
    files += [*root.glob("examples/*.py")]
    for path in files:
        text = path.read_text(encoding="utf-8")
        bad = [c for c in "\x08\x0b\x0c" if c in text]
        assert not bad, f"{path.relative_to(root)} holds control characters {bad}"
        if path.suffix == ".md":
            assert "\t" not in text, f"{path.relative_to(root)} holds a tab"


def test_layer_normalization_example_helps_under_drift_hurts_on_level(run_example):
    module, _ = run_example("plot_layer_normalization.py")
    drift, level = module["scores_drift"], module["scores_concentration"]
    for model in module["models"]:
        # Target in the shape, per-sample gain and offset as nuisance: the
        # standardized rows win, with either model.
        layer = drift["LayerNormalizer"][model].mean()
        others = [drift[s][model].mean() for s in drift if s != "LayerNormalizer"]
        assert layer > max(others) + 0.05
        # Target in the level: standardizing the rows removes it.
        kept = min(level[s][model].mean() for s in ("no scaling", "StandardScaler"))
        assert level["LayerNormalizer"][model].mean() < 0.0 < 0.9 < kept
    wine = module["scores_wine"]
    assert wine["LayerNormalizer"].mean() < wine["StandardScaler"].mean() - 0.1


def test_torch_example_equals_batchnorm1d_in_torch(run_example):
    pytest.importorskip("torch")
    module, _ = run_example("plot_torch_batch_statistics.py")
    assert type(module["running"].mean_).__name__ == "Tensor"
    assert max(module["gaps"]) < 1e-5
    assert float(module["var_gap"]) < 1e-5
    assert float((module["scaled"] - module["expected"]).abs().max()) < 1e-4
