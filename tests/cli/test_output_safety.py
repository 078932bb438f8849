"""Output safety (sim/io/partial_file.hpp, FORMAT.md "Output safety"): no run loses another's
result, no input or non-regular file is ever replaced, and a full disk is an error, not a crash."""
import os
import pathlib
import resource
import signal
import subprocess
import time

import h5py
import pytest

SCENARIO = """
[run]
duration_ms = {duration}
[populations.in]
model = "poisson"
size = 200
rate_Hz = 20.0
[populations.n]
model = "lif_cond"
size = 200
[projections.x]
pre = "in"
post = "n"
connection = {{ rule = "fixed_probability", p = 0.1 }}
weight_nS = 2.0
"""


def write_scenario(tmp_path, duration=20.0, name="s.toml"):
    path = tmp_path / name
    path.write_text(SCENARIO.format(duration=duration))
    return path


def start(spikerate, *args):
    return subprocess.Popen([str(spikerate.binary), *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_for(path, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def test_a_second_run_on_a_live_output_is_refused_with_or_without_force(spikerate, tmp_path):
    long_run = write_scenario(tmp_path, duration=1e7, name="long.toml")
    short_run = write_scenario(tmp_path, duration=10.0)
    out = tmp_path / "out.h5"
    first = start(spikerate, "run", long_run, "-o", out, "-q")
    try:
        wait_for(tmp_path / "out.h5.partial")
        for extra in ([], ["--force"]):
            second = spikerate("run", short_run, "-o", out, "-q", *extra)
            assert second.returncode == 2, second.stderr
            assert "another spikerate run is writing this output" in second.stderr
        assert first.poll() is None  # undisturbed
    finally:
        first.send_signal(signal.SIGINT)
        first.wait(timeout=60)
    assert first.returncode == 130
    with h5py.File(tmp_path / "out.h5.partial") as f:
        assert f.attrs["complete"] == 0
        assert "duration_ms = 10000000" in f.attrs["scenario"]  # the first run's own data


def test_a_stale_partial_file_is_replaced_only_with_force(spikerate, tmp_path):
    long_run = write_scenario(tmp_path, duration=1e7, name="long.toml")
    out = tmp_path / "out.h5"
    killed = start(spikerate, "run", long_run, "-o", out, "-q")
    wait_for(tmp_path / "out.h5.partial")
    killed.kill()
    killed.wait()
    short_run = write_scenario(tmp_path)
    refused = spikerate("run", short_run, "-o", out, "-q")
    assert refused.returncode == 2 and "partial output file exists" in refused.stderr
    forced = spikerate("run", short_run, "-o", out, "-q", "--force")
    assert forced.returncode == 0, forced.stderr
    assert not (tmp_path / "out.h5.partial").exists()
    with h5py.File(out) as f:
        assert f.attrs["complete"] == 1 and "duration_ms = 20.0" in f.attrs["scenario"]


def test_force_replaces_an_old_result_only_when_the_new_run_completes(spikerate, tmp_path):
    out = tmp_path / "out.h5"
    assert spikerate("run", write_scenario(tmp_path), "-o", out, "-q").returncode == 0
    old = out.read_bytes()
    run = start(spikerate, "run", write_scenario(tmp_path, 1e7, "long.toml"), "-o", out, "-q",
                "--force")
    try:
        wait_for(tmp_path / "out.h5.partial")
        time.sleep(0.3)
        assert out.read_bytes() == old  # still the old result while the new run goes on
    finally:
        run.send_signal(signal.SIGINT)
        run.wait(timeout=60)
    assert run.returncode == 130 and out.read_bytes() == old  # interrupted: old result kept


def test_inputs_and_non_regular_files_are_never_outputs(spikerate, tmp_path):
    scenario = write_scenario(tmp_path)
    text = scenario.read_text()
    spikes = tmp_path / "spikes.csv"
    spikes.write_text("node_id,time_ms\n0,1.0\n")
    with_file = tmp_path / "train.toml"
    with_file.write_text('[populations.in]\nmodel = "spike_train"\nsize = 1\nfile = "spikes.csv"\n'
                         '[populations.n]\nmodel = "lif_curr"\nsize = 1\n')
    cases = [
        (scenario, scenario, "is an input of this run"),
        (with_file, spikes, "is an input of this run"),
        (scenario, "/dev/null", "is a character device"),
        (scenario, tmp_path, "is a directory"),
    ]
    for source, out, message in cases:
        for extra in ([], ["--force"]):
            result = spikerate("run", source, "-o", out, *extra)
            assert result.returncode == 2, (out, result.stderr)
            assert message in result.stderr, result.stderr
    assert scenario.read_text() == text
    assert spikes.read_text() == "node_id,time_ms\n0,1.0\n"
    assert os.path.exists("/dev/null") and not os.path.isfile("/dev/null")
    empty = spikerate("run", scenario, "-o", "")
    assert empty.returncode == 2 and "output path is empty" in empty.stderr


def test_an_output_that_appears_during_a_run_is_not_replaced_without_force(spikerate, tmp_path):
    out = tmp_path / "out.h5"
    run = start(spikerate, "run", write_scenario(tmp_path, 100000.0), "-o", out, "-q")
    wait_for(tmp_path / "out.h5.partial")
    out.write_bytes(b"appeared meanwhile")
    run.wait(timeout=120)
    assert run.returncode == 1, run.stderr
    assert "output file appeared during the run" in run.stderr.read()
    assert out.read_bytes() == b"appeared meanwhile"
    with h5py.File(tmp_path / "out.h5.partial") as f:  # the complete run stays here
        assert f.attrs["complete"] == 1


def test_a_full_disk_is_an_error_naming_the_file_not_a_crash(spikerate, tmp_path):
    # A file-size limit makes writes fail as a full disk does (EFBIG instead of ENOSPC).
    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))

    result = subprocess.run([str(spikerate.binary), "run", str(write_scenario(tmp_path, 2000.0)),
                             "-o", str(tmp_path / "out.h5"), "-q"], capture_output=True, text=True,
                            preexec_fn=limit, timeout=300)
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert "out.h5.partial" in result.stderr and "File too large" in result.stderr
    assert not (tmp_path / "out.h5").exists()


def test_a_disk_that_fills_during_the_final_copy_leaves_the_complete_run_in_the_partial(
        spikerate, tmp_path):
    # The run's 3.7 MB .partial fits a 5 MB file system, its canonical copy (FORMAT.md, "The
    # published file is a canonical copy") does not. In a private mount namespace, so the test
    # needs the right to mount (root here); the checks run inside, as the tmpfs ends with it.
    if subprocess.run(["unshare", "--mount", "true"], capture_output=True).returncode != 0:
        pytest.skip("cannot create a mount namespace here")
    scenario = pathlib.Path(__file__).resolve().parents[2] / "data" / "scenarios" / "coba.toml"
    disk = tmp_path / "disk"
    disk.mkdir()
    script = f"""
mount -t tmpfs -o size=5m tmpfs {disk} || exit 99
{spikerate.binary} run {scenario} -o {disk}/out.h5 -q --set run.duration_ms=2000
echo "exit=$?"
ls -1 {disk}
/usr/bin/python3 -c "import h5py; print('complete=%d' % h5py.File('{disk}/out.h5.partial').attrs['complete'])"
"""
    result = subprocess.run(["unshare", "--mount", "sh", "-c", script], capture_output=True,
                            text=True, timeout=300)
    if result.returncode == 99:
        pytest.skip("cannot mount a tmpfs here")
    lines = result.stdout.split()
    assert "exit=1" in lines, result.stderr
    assert "No space left on device" in result.stderr
    assert f"(the run stays in {disk}/out.h5.partial)" in result.stderr
    assert "internal error" not in result.stderr
    assert lines[lines.index("exit=1") + 1:] == ["out.h5.partial", "complete=1"]  # no copy left


def test_a_signal_during_a_spiking_evaluation_stops_it(spikerate, tmp_path):
    # One training example, then an evaluation of 1,000 labelling and 10,000 test digits (tens of
    # seconds): the signal lands in it. Before, the evaluation ran to its end and its point was
    # written; now it stops between examples and leaves no point.
    scenario = tmp_path / "eval.toml"
    scenario.write_text("""
[task]
dataset = "mnist"
[training]
examples = 1
evaluate_at = [1]
[spiking.stdp]
architecture = "diehl_cook_2015"
n_exc = 20
assignment_examples = 1000
""")
    run = start(spikerate, "run", scenario, "-o", tmp_path / "out.h5", "-q")
    wait_for(tmp_path / "out.h5.partial")
    time.sleep(3.0)  # MNIST loaded and the one example trained: evaluating
    run.send_signal(signal.SIGTERM)
    run.wait(timeout=600)
    assert run.returncode == 130, run.stderr.read()
    with h5py.File(tmp_path / "out.h5.partial") as f:
        assert "metrics/spiking/stdp/curve/test_accuracy" not in f
