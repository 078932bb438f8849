"""The notebooks in analysis/notebooks run top to bottom headless (`jupyter nbconvert
--execute`) on the small runs of conftest.py, and every figure and conclusion appears."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"

# notebook -> (environment variable -> run fixture, figures it draws on those runs)
CASES = {
    "stdp_vs_backprop": ({"SPIKERATE_COMPARISON_RUN": "comparison_run"}, 10),
    "network_dynamics": ({"SPIKERATE_COBA_RUN": "coba_run", "SPIKERATE_CUBA_RUN": "cuba_run"}, 7),
    "stdp_learning": ({"SPIKERATE_SONG_RUN": "song_run", "SPIKERATE_PAIRING_RUN": "pairing_run"}, 3),
    "timing": ({"SPIKERATE_MASQUELIER_RUN": "masquelier_run", "SPIKERATE_TIMING_RUN": "timing_run",
                "SPIKERATE_TIMING_SWEEP": "timing_sweep"}, 5),
}


def outputs(notebook):
    for cell in notebook["cells"]:
        yield from cell.get("outputs", [])


@pytest.mark.parametrize("name", sorted(CASES))
def test_notebook_runs_headless_and_draws_every_figure(name, request, tmp_path):
    # Not a skip: the suite promises the notebooks run, so a missing nbconvert is a failure.
    try:
        import nbconvert  # noqa: F401
    except ImportError:
        pytest.fail("needs jupyter-nbconvert and python3-ipykernel (.ci/install-deps installs them)")
    variables, figures = CASES[name]
    env = dict(os.environ, PYDEVD_DISABLE_FILE_VALIDATION="1")
    env.pop("PYTHONPATH", None)  # the notebook must find the package on its own
    for variable, fixture in variables.items():
        env[variable] = str(request.getfixturevalue(fixture))
    result = subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
         "--ExecutePreprocessor.timeout=300", "--output-dir", str(tmp_path),
         str(NOTEBOOKS / f"{name}.ipynb")],
        env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    executed = json.loads((tmp_path / f"{name}.ipynb").read_text(encoding="utf-8"))
    produced = list(outputs(executed))
    assert not [o for o in produced if o.get("output_type") == "error"]
    images = [o for o in produced if "image/png" in o.get("data", {})]
    assert len(images) == figures
    conclusions = ["".join(o["data"]["text/markdown"]) for o in produced
                   if "text/markdown" in o.get("data", {})]
    assert conclusions and all(text.startswith("- ") for text in conclusions)


def test_notebooks_are_stored_without_outputs():
    """Results belong to runs, not to the repository: the notebooks are committed clean."""
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
        assert all(not c["outputs"] and c["execution_count"] is None for c in code), path.name
        assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == sorted(CASES)
