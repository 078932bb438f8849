"""The spikerate program end to end: exit codes, what is (not) written, determinism, and the
benchmark networks' activity against Brian2."""
import os
import signal
import subprocess
import time

import h5py
import numpy as np
import pytest

MINIMAL = """
[run]
duration_ms = 20.0
[populations.n]
model = "lif_curr"
size = 3
I_e_pA = 400.0
"""


def files_in(directory):
    return sorted(p.name for p in directory.iterdir())


def test_version_and_help(spikerate):
    version = spikerate("--version")
    assert version.returncode == 0 and version.stdout.startswith("spikerate ")
    help_text = spikerate("--help")
    assert help_text.returncode == 0
    assert "run" in help_text.stdout and "Examples:" in help_text.stdout


def test_run_writes_a_complete_file_and_a_summary(spikerate, scenarios, tmp_path):
    out = tmp_path / "cuba.h5"
    result = spikerate("run", scenarios / "cuba.toml", "-o", out, "--set", "run.duration_ms=200")
    assert result.returncode == 0, result.stderr
    assert files_in(tmp_path) == ["cuba.h5"]
    assert "exc" in result.stdout and str(out) in result.stdout
    with h5py.File(out) as f:
        assert f.attrs["complete"] == 1
        assert f.attrs["dt_ms"] == 0.1 and f.attrs["seed"] == 1
        assert "duration_ms = 200" in f.attrs["scenario"]
        assert f["spikes/exc/timestamps"].shape[0] > 0
        assert f["metrics/simulated_time_ms"][()] == pytest.approx(200.0)


def test_an_existing_output_is_not_overwritten_without_force(spikerate, tmp_path):
    scenario = tmp_path / "s.toml"
    scenario.write_text(MINIMAL)
    out = tmp_path / "result.h5"
    out.write_bytes(b"somebody's data")
    refused = spikerate("run", scenario, "-o", out)
    assert refused.returncode == 2
    assert "exists" in refused.stderr and "--force" in refused.stderr
    assert out.read_bytes() == b"somebody's data"
    assert files_in(tmp_path) == ["result.h5", "s.toml"]

    forced = spikerate("run", scenario, "-o", out, "--force")
    assert forced.returncode == 0, forced.stderr
    with h5py.File(out) as f:
        assert f.attrs["complete"] == 1


def test_a_partial_file_left_by_a_killed_run_is_not_overwritten_without_force(spikerate, tmp_path):
    scenario = tmp_path / "s.toml"
    scenario.write_text(MINIMAL)
    partial = tmp_path / "result.h5.partial"
    partial.write_bytes(b"what a killed run left")
    refused = spikerate("run", scenario, "-o", tmp_path / "result.h5")
    assert refused.returncode == 2
    assert "partial" in refused.stderr and "--force" in refused.stderr
    assert partial.read_bytes() == b"what a killed run left"
    assert files_in(tmp_path) == ["result.h5.partial", "s.toml"]


def test_an_unwritable_output_fails_before_the_run(spikerate, tmp_path):
    scenario = tmp_path / "s.toml"
    scenario.write_text(MINIMAL.replace("20.0", "1e7"))  # would take hours if it started
    result = spikerate("run", scenario, "-o", tmp_path / "missing_dir" / "x.h5", timeout=30)
    assert result.returncode == 2
    assert "missing_dir" in result.stderr and "does not exist" in result.stderr
    assert files_in(tmp_path) == ["s.toml"]


# Malformed scenarios: each must stop with exit code 2, a message naming the place, and no file.
MALFORMED = {
    "syntax error": ("[run\nduration_ms = 1", [], "bad.toml:1"),
    "unknown key with suggestion": (MINIMAL + "tau_mm_ms = 3.0\n", [], "did you mean 'tau_m_ms'"),
    "unknown table": (MINIMAL + "[netwrok]\n", [], "netwrok"),
    "wrong type": (MINIMAL.replace("size = 3", 'size = "three"'), [], "populations.n.size"),
    "float for an integer": (MINIMAL.replace("size = 3", "size = 3.0"), [], "populations.n.size"),
    "zero size": (MINIMAL.replace("size = 3", "size = 0"), [], "populations.n.size"),
    "missing model": (MINIMAL.replace('model = "lif_curr"\n', ""), [], "populations.n"),
    "unknown model": (MINIMAL.replace('"lif_curr"', '"lif_curry"'), [], "lif_curry"),
    "negative time constant": (MINIMAL + "tau_m_ms = -10.0\n", [], "populations.n.tau_m_ms"),
    "reset above threshold": (MINIMAL + "V_reset_mV = -40.0\n", [], "populations.n.V_reset_mV"),
    "projection to a missing population": (
        MINIMAL + '[projections.p]\npre = "n"\npost = "ghost"\nweight_pA = 1.0\n', [], "ghost"),
    "negative delay": (
        MINIMAL + '[projections.p]\npre = "n"\npost = "n"\nweight_pA = 1.0\ndelay_ms = -0.1\n', [],
        "projections.p.delay_ms"),
    "probability above one": (
        MINIMAL + '[projections.p]\npre = "n"\npost = "n"\nweight_pA = 1.0\n'
        'connection = { rule = "fixed_probability", p = 1.5 }\n', [], "projections.p.connection"),
    "weight unit of another model": (
        MINIMAL + '[projections.p]\npre = "n"\npost = "n"\nweight_nS = 1.0\n', [], "pA"),
    "unknown plasticity rule": (
        MINIMAL + '[projections.p]\npre = "n"\npost = "n"\nweight_pA = 1.0\n'
        'plasticity = { rule = "hebb" }\n', [], "hebb"),
    "negative duration": (MINIMAL.replace("20.0", "-5.0"), [], "run.duration_ms"),
    "duration not a multiple of dt": (MINIMAL.replace("20.0", "20.05"), [], "run.duration_ms"),
    "record an unknown population": (MINIMAL + '[record]\nspikes = ["m"]\n', [], "record.spikes"),
    "record an unknown variable": (
        MINIMAL + '[record.state.v]\npopulation = "n"\nvariable = "g_e"\nevery_ms = 1.0\n', [],
        "record.state.v"),
    "no threads": (MINIMAL, ["--set", "run.threads=0"], "run.threads: 0: must be in [1, 1024]"),
    "too many threads": (MINIMAL, ["--set", "run.threads=1025"], "run.threads: 1025"),
    "bad --set path": (MINIMAL, ["--set", "populations.n.tau_mm_ms=3"], "tau_mm_ms"),
    "bad --set value": (MINIMAL, ["--set", "run.duration_ms=fast"], "run.duration_ms"),
    "poisson background onto a source": (
        MINIMAL + '[populations.src]\nmodel = "poisson"\nsize = 1\n'
        "poisson_background = { rate_hz = 8.0, weight_pA = 1.0 }\n", [],
        "populations.src.poisson_background: poisson is a source"),
    "a redrawn normal weight that can be negative": (
        MINIMAL + '[projections.p]\npre = "n"\npost = "n"\n'
        "weight_pA = { normal = [1.0, 1.0], within = [-0.5, inf] }\n", [],
        "projections.p.weight_pA"),
    "missing spike file": (
        MINIMAL + '[populations.src]\nmodel = "spike_train"\nsize = 1\nfile = "nope.csv"\n', [],
        "nope.csv"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
@pytest.mark.parametrize("command", ["run", "validate"])
def test_malformed_scenarios_exit_2_and_write_nothing(spikerate, tmp_path, case, command):
    text, extra, expected = MALFORMED[case]
    scenario = tmp_path / "bad.toml"
    scenario.write_text(text)
    result = spikerate(command, scenario, "-o", tmp_path / "out.h5", *extra, cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert expected in result.stderr, result.stderr
    assert files_in(tmp_path) == ["bad.toml"]


@pytest.mark.parametrize("name", ["coba", "cuba", "stdp_song2000", "mlp_mnist",
                                  "potjans_diesmann_2014"])
def test_shipped_scenarios_validate(spikerate, scenarios, name):
    result = spikerate("validate", scenarios / f"{name}.toml")
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout


def read_everything(path):
    """Every dataset and attribute of a file, by path."""
    content = {}
    with h5py.File(path) as f:
        content["/"] = {k: f.attrs[k] for k in f.attrs}

        def visit(name, obj):
            attrs = {k: obj.attrs[k] for k in obj.attrs}
            data = obj[()] if isinstance(obj, h5py.Dataset) else None
            content[name] = (attrs, data)

        f.visititems(visit)
    return content


def test_same_seed_gives_identical_datasets(spikerate, scenarios, tmp_path):
    runs = []
    for k in range(2):
        out = tmp_path / f"run{k}.h5"
        result = spikerate("run", scenarios / "cuba.toml", "-o", out, "--set", "run.duration_ms=300")
        assert result.returncode == 0, result.stderr
        runs.append(read_everything(out))
    assert runs[0].keys() == runs[1].keys()
    for key in runs[0]:
        a, b = runs[0][key], runs[1][key]
        if key == "/":
            assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a), key
        else:
            assert a[0].keys() == b[0].keys(), key
            assert all(np.array_equal(a[0][k], b[0][k]) for k in a[0]), key
            assert (a[1] is None and b[1] is None) or np.array_equal(a[1], b[1]), key

    other = tmp_path / "other.h5"
    assert spikerate("run", scenarios / "cuba.toml", "-o", other, "--set", "run.duration_ms=300",
                     "--set", "run.seed=2").returncode == 0
    with h5py.File(other) as f:
        assert not np.array_equal(f["spikes/exc/timestamps"][()],
                                  runs[0]["spikes/exc/timestamps"][1])


def test_threads_give_the_same_datasets(spikerate, scenarios, tmp_path):
    # Every dataset and attribute but the root's `scenario`, which records the threads asked for.
    runs = []
    for threads in (1, 3):
        out = tmp_path / f"threads{threads}.h5"
        result = spikerate("run", scenarios / "coba.toml", "-o", out, "--set",
                           "run.duration_ms=200", "--set", f"run.threads={threads}")
        assert result.returncode == 0, result.stderr
        runs.append(read_everything(out))
    assert runs[0].keys() == runs[1].keys()
    for key in runs[0]:
        a, b = runs[0][key], runs[1][key]
        if key == "/":
            assert a.keys() == b.keys()
            assert "threads = 3" in str(b["scenario"]) and "threads = 1" in str(a["scenario"])
            assert all(np.array_equal(a[k], b[k]) for k in a if k != "scenario"), key
        else:
            assert a[0].keys() == b[0].keys(), key
            assert all(np.array_equal(a[0][k], b[0][k]) for k in a[0]), key
            assert (a[1] is None and b[1] is None) or np.array_equal(a[1], b[1]), key


def test_threads_bound_to_one_cpu_are_warned_about(spikerate, scenarios, tmp_path):
    # OMP_PROC_BIND=true: OpenMP binds the first thread to one CPU, the engine's threads inherit
    # it. On a one-CPU machine the warning names the affinity instead; both say so.
    out = tmp_path / "bound.h5"
    result = subprocess.run(
        [str(spikerate.binary), "run", scenarios / "coba.toml", "-o", out, "--set",
         "run.duration_ms=20", "--set", "run.threads=2"], capture_output=True, text=True,
        env=dict(os.environ, OMP_PROC_BIND="true"), timeout=600)
    assert result.returncode == 0, result.stderr
    assert "warning: 2 threads asked for, but this process may run on 1 CPU only" in result.stderr
    unbound = spikerate("run", scenarios / "coba.toml", "-o", tmp_path / "free.h5", "--set",
                        "run.duration_ms=20", "--set", "run.threads=1")
    assert "warning" not in unbound.stderr


def test_coba_rate_matches_brian2(spikerate, scenarios, tmp_path):
    # Brian2 2.5.1 on this machine, the same network, first second, seeds 1-4: excitatory mean
    # rates 20.2, 19.1, 17.5, 19.5 Hz (mean 19.1, sd 1.1); 20-21 Hz in later seconds. spikerate
    # seeds 1-5: 16.7-19.5 Hz (its minimum delay is one step, Brian2's example uses none).
    # Bounds: Brian2's first-second mean +- 4 sd.
    out = tmp_path / "coba.h5"
    result = spikerate("run", scenarios / "coba.toml", "-o", out)
    assert result.returncode == 0, result.stderr
    with h5py.File(out) as f:
        rate = f["metrics/populations/exc/mean_rate"][()]
        n_spikes = f["spikes/exc/node_ids"].shape[0]
    assert 19.1 - 4 * 1.1 < rate < 19.1 + 4 * 1.1
    assert n_spikes == pytest.approx(rate * 3200 * 1.0)


def test_an_interrupted_run_leaves_a_readable_partial_file(spikerate, scenarios, tmp_path):
    out = tmp_path / "long.h5"
    process = subprocess.Popen(
        [str(spikerate.binary), "run", str(scenarios / "coba.toml"), "-o", str(out),
         "--set", "run.duration_ms=600000", "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(4.0)  # longer than the writer's flush interval (2 s)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr
    assert not out.exists()
    partial = tmp_path / "long.h5.partial"
    with h5py.File(partial) as f:
        assert f.attrs["complete"] == 0
        times = f["spikes/exc/timestamps"][()]
        assert times.size > 0 and np.all(np.diff(times) >= 0)
        assert f["metrics/simulated_time_ms"][()] == pytest.approx(times.max(), abs=1.0)


def test_a_killed_run_leaves_what_was_flushed(spikerate, scenarios, tmp_path):
    out = tmp_path / "killed.h5"
    process = subprocess.Popen(
        [str(spikerate.binary), "run", str(scenarios / "coba.toml"), "-o", str(out),
         "--set", "run.duration_ms=600000", "--quiet"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(5.0)  # at least two flushes (every 2 s of wall time)
    process.kill()  # SIGKILL: no handler runs, nothing is closed
    process.wait(timeout=60)
    assert not out.exists()
    with h5py.File(tmp_path / "killed.h5.partial") as f:
        assert f.attrs["complete"] == 0
        times = f["spikes/exc/timestamps"][()]
        frames = f["report/v_exc/data"]
        start, stop, step = f["report/v_exc/mapping/time"][()]
        assert times.size > 0 and np.all(np.diff(times) >= 0)
        assert frames.shape[0] > 0 and stop == pytest.approx(start + frames.shape[0] * step)


def test_a_diverging_spiking_network_keeps_what_was_recorded(spikerate, tmp_path):
    # Input spikes reach the neuron only after 50 ms, with a weight that makes V_m infinite:
    # the run stops with a numerical failure, and the input spikes of the first 50 ms are in the
    # .partial file.
    scenario = tmp_path / "diverge.toml"
    scenario.write_text("""
[run]
duration_ms = 200.0
[populations.input]
model = "poisson"
size = 10
rate_Hz = 200.0
[populations.n]
model = "lif_curr"
size = 1
[projections.input_n]
pre = "input"
post = "n"
connection = { rule = "all_to_all" }
weight_pA = 1e308
delay_ms = 50.0
[record]
spikes = ["input"]
""")
    result = spikerate("run", scenario, "-o", tmp_path / "out.h5")
    assert result.returncode == 3, result.stderr
    assert "population 'n'" in result.stderr
    assert not (tmp_path / "out.h5").exists()
    with h5py.File(tmp_path / "out.h5.partial") as f:
        assert f.attrs["complete"] == 0
        times = f["spikes/input/timestamps"][()]
        assert len(times) > 20  # about 100 expected in 50 ms
        assert times.max() < 52.0


def test_a_diverging_precise_mode_neuron_stops_with_a_numerical_failure(spikerate, tmp_path):
    # Two input spikes of 1e308 pA arrive together at 2.05 ms: I_syn_e becomes infinite while
    # the neuron is free, which once made the root finder place a spike at time NaN (and the
    # run end with exit 1 writing it). The run stops with a numerical failure naming the
    # population, the neuron, the variable and the time, before any spike of 'n'.
    scenario = tmp_path / "diverge_precise.toml"
    scenario.write_text("""
[run]
duration_ms = 10.0
mode = "precise"
[populations.input]
model = "spike_train"
size = 2
times_ms = [1.05, 1.05]
node_ids = [0, 1]
[populations.n]
model = "lif_curr"
size = 1
[projections.input_n]
pre = "input"
post = "n"
connection = { rule = "all_to_all" }
weight_pA = 1e308
delay_ms = 1.0
[record]
spikes = ["n"]
""")
    result = spikerate("run", scenario, "-o", tmp_path / "out.h5")
    assert result.returncode == 3, result.stderr
    assert "population 'n' (lif_curr): I_syn_e of neuron 0 became inf at t = 2.05" in result.stderr
    with h5py.File(tmp_path / "out.h5.partial") as f:
        assert f["spikes/n/timestamps"].shape == (0,)


def test_the_microcircuit_scenario_is_what_its_script_derives(scenarios):
    # potjans_diesmann_2014.toml is written by its script from NEST's parameters; an edit of
    # one without the other fails here.
    script = scenarios / "potjans_diesmann_2014.py"
    result = subprocess.run(["/usr/bin/python3", str(script), "--check"], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr


def test_the_microcircuit_counts_its_background_input(spikerate, scenarios, tmp_path):
    out = tmp_path / "pd.h5"
    result = spikerate("run", scenarios / "potjans_diesmann_2014.toml", "-o", out, "--set",
                       "run.duration_ms=20.0")
    assert result.returncode == 0, result.stderr
    assert "poisson background" in result.stdout
    with h5py.File(out) as f:
        events = f["metrics/populations/L4E/background_events"][()]
        # 2192 neurons x 210 inputs x 8 Hz x 20 ms = 73,651 expected; Poisson sd 271.
        assert abs(int(events) - 2192 * 210 * 8.0 * 0.02) < 5 * 271
