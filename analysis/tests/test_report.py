"""python3 -m spikerate.report on run files written by the engine: the PNGs and the HTML page."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

ANALYSIS = Path(__file__).resolve().parents[1]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def report(run_file, out_dir):
    return subprocess.run([sys.executable, "-m", "spikerate.report", str(run_file), "-o",
                           str(out_dir)], cwd=ANALYSIS, capture_output=True, text=True,
                          timeout=300)


def check_page(out_dir, expected_pngs):
    page = (out_dir / "index.html").read_text(encoding="utf-8")
    shown = re.findall(r'<img src="([^"]+)"', page)
    assert sorted(shown) == sorted(f"{stem}.png" for stem in expected_pngs)
    for name in shown:
        data = (out_dir / name).read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 5000, name
    return page


def test_report_of_a_comparison_run(comparison_run, tmp_path):
    result = report(comparison_run, tmp_path / "report")
    assert result.returncode == 0, result.stderr
    expected = ["raster_stdp", "weights_stdp_input_exc", "weights_mlp_layer1",
                "weights_mlp_layer2", "weights_logreg_layer1", "receptive_fields_stdp",
                "receptive_fields_mlp", "receptive_fields_logreg", "learning_curves",
                "accuracy_by_labels", "operations_energy"]
    page = check_page(tmp_path / "report", expected)
    assert result.stdout.splitlines()[-1] == str(tmp_path / "report" / "index.html")
    # The summary tables: every network with its architecture, the curve, the work.
    for text in ("<h2>Networks</h2>", "784-100-10", "784-10", "784-16+16 (exc+inh)",
                 "Work per example", "multiply-accumulates", "synaptic events",
                 "Test accuracy (fraction) by examples seen",
                 "Test accuracy (fraction) by labels used", "[pJ]"):
        assert text in page
    assert "Incomplete run" not in page
    assert "[%]" not in page and "[uJ]" not in page  # one accuracy and one energy unit


def test_report_of_a_network_of_populations(coba_run, tmp_path):
    result = report(coba_run, tmp_path / "report")
    assert result.returncode == 0, result.stderr
    page = check_page(tmp_path / "report", ["raster", "spike_statistics_exc",
                                            "spike_statistics_inh", "state_v_exc"])
    assert "<h2>Populations</h2>" in page and "3200" in page


def test_report_draws_the_stdp_window_from_recorded_pairs(pairing_run, tmp_path):
    result = report(pairing_run, tmp_path / "report")
    assert result.returncode == 0, result.stderr
    check_page(tmp_path / "report", ["raster", "weights_pre_post", "stdp_window_pre_post"])


def test_report_of_an_incomplete_run_says_so(interrupted_run, tmp_path):
    result = report(interrupted_run, tmp_path / "report")
    assert result.returncode == 0, result.stderr
    assert "IncompleteRunWarning" in result.stderr
    page = (tmp_path / "report" / "index.html").read_text(encoding="utf-8")
    assert "Incomplete run" in page


def test_report_refuses_a_file_that_is_not_a_run(tmp_path):
    bogus = tmp_path / "bogus.h5"
    bogus.write_text("hello")
    result = report(bogus, tmp_path / "report")
    assert result.returncode == 2
    assert "not an HDF5 file" in result.stderr
    assert not (tmp_path / "report" / "index.html").exists()
