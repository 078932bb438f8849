"""Small run files written by the C++ engine, made once per test session.

The program is $SPIKERATE_BUILD/spikerate (default: <repo>/build/spikerate). Each fixture runs
a shipped scenario shortened with --set, so the files have the layout real runs have:

- coba_run, cuba_run: the Vogels & Abbott networks, 500 ms (COBA with a V_m state report);
- song_run: Song, Miller & Abbott (2000), 20 s, weights every second;
- pairing_run: analysis/scenarios/stdp_pairing.toml, one pre-post pair per synapse;
- comparison_run: stdp_vs_backprop.toml with 16 neurons, 60 examples, 100 test digits (MNIST);
- masquelier_run: masquelier_2008.toml, 30 s (a 15 s stretch played twice), weights every second;
- timing_run, timing_sweep: timing_classes.toml at its defaults, and a folder of its runs at
  jitter SDs 0, 2 and 10 ms (spikerate.timing_classes.sweep);
- interrupted_run: COBA stopped by SIGINT after about a second (complete = 0, metrics written);
- killed_run: COBA killed by SIGKILL after its first flushes (complete = 0, no metrics).
"""
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = REPO / "data" / "scenarios"
PAIRING_SCENARIO = REPO / "analysis" / "scenarios" / "stdp_pairing.toml"
MNIST = REPO / "data" / "cache" / "mnist"

MASQUELIER = ["--set", "run.duration_ms=30000.0", "--set", "populations.afferents.stretch_ms=15000.0",
              "--set", "record.weights.weights.every_ms=1000.0"]
COBA_MS = 500.0
SONG_MS = 20_000.0
COMPARISON = ["--set", "training.examples=60", "--set", "training.evaluate_at=[20, 60]",
              "--set", "training.weights_every=20", "--set", "spiking.stdp.n_exc=16",
              "--set", "spiking.stdp.assignment_examples=60", "--set", "task.test_examples=100",
              "--set", "spiking.stdp.spike_windows=[0, 5, 55, 60]"]


@pytest.fixture(scope="session")
def spikerate_binary():
    binary = Path(os.environ.get("SPIKERATE_BUILD", REPO / "build")) / "spikerate"
    if not binary.exists():
        pytest.fail(f"{binary} does not exist: build first (make build), or set SPIKERATE_BUILD")
    return binary


@pytest.fixture(scope="session")
def runs_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("runs")


def run_scenario(binary, scenario, out, *overrides):
    result = subprocess.run([str(binary), "run", str(scenario), "-o", str(out), "--quiet",
                             *map(str, overrides)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{scenario} failed:\n{result.stderr}"
    assert out.is_file()
    return out


@pytest.fixture(scope="session")
def coba_run(spikerate_binary, runs_dir):
    return run_scenario(spikerate_binary, SCENARIOS / "coba.toml", runs_dir / "coba.h5",
                        "--set", f"run.duration_ms={COBA_MS}")


@pytest.fixture(scope="session")
def cuba_run(spikerate_binary, runs_dir):
    return run_scenario(spikerate_binary, SCENARIOS / "cuba.toml", runs_dir / "cuba.h5",
                        "--set", f"run.duration_ms={COBA_MS}")


@pytest.fixture(scope="session")
def song_run(spikerate_binary, runs_dir):
    return run_scenario(spikerate_binary, SCENARIOS / "stdp_song2000.toml", runs_dir / "song.h5",
                        "--set", f"run.duration_ms={SONG_MS}")


@pytest.fixture(scope="session")
def pairing_run(spikerate_binary, runs_dir):
    return run_scenario(spikerate_binary, PAIRING_SCENARIO, runs_dir / "pairing.h5")


@pytest.fixture(scope="session")
def comparison_run(spikerate_binary, runs_dir):
    missing = [p.name for p in (MNIST / "train-images-idx3-ubyte", MNIST / "t10k-images-idx3-ubyte")
               if not p.exists()]
    if missing:
        pytest.fail(f"MNIST is not in {MNIST} (missing {missing}): run `make mnist` "
                    f"(make test does)")
    return run_scenario(spikerate_binary, SCENARIOS / "stdp_vs_backprop.toml",
                        runs_dir / "comparison.h5", *COMPARISON)


def stopped_coba(binary, out, stop, after_s):
    """Starts a 10-minute COBA run, stops it with `stop` `after_s` seconds after its .partial
    file appeared (so a slow start on a loaded machine still leaves data); returns the .partial
    file and the program's exit code."""
    partial = out.with_name(out.name + ".partial")
    process = subprocess.Popen(
        [str(binary), "run", str(SCENARIOS / "coba.toml"), "-o", str(out),
         "--set", "run.duration_ms=600000", "--quiet"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60.0
    while not partial.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(after_s)
    stop(process)
    _, stderr = process.communicate(timeout=60)
    assert not out.exists() and partial.is_file(), stderr
    return partial, process.returncode


@pytest.fixture(scope="session")
def interrupted_run(spikerate_binary, runs_dir):
    partial, code = stopped_coba(spikerate_binary, runs_dir / "interrupted.h5",
                                 lambda p: p.send_signal(signal.SIGINT), 1.0)
    assert code == 130
    return partial


@pytest.fixture(scope="session")
def killed_run(spikerate_binary, runs_dir):
    # The writer flushes every 2 s of wall time: 5 s after the file appeared, it has flushed.
    partial, code = stopped_coba(spikerate_binary, runs_dir / "killed.h5",
                                 lambda p: p.kill(), 5.0)
    assert code == -signal.SIGKILL
    return partial


@pytest.fixture(scope="session")
def masquelier_run(spikerate_binary, runs_dir):
    return run_scenario(spikerate_binary, SCENARIOS / "masquelier_2008.toml",
                        runs_dir / "masquelier.h5", *MASQUELIER)


@pytest.fixture(scope="session")
def timing_run(spikerate_binary, runs_dir):
    return run_scenario(spikerate_binary, SCENARIOS / "timing_classes.toml", runs_dir / "timing.h5")


@pytest.fixture(scope="session")
def timing_sweep(spikerate_binary, runs_dir):
    from spikerate import timing_classes

    out = runs_dir / "timing_sweep"
    timing_classes.sweep([0.0, 2.0, 10.0], out, binary=spikerate_binary)
    return out
