"""Checkpoint and resume (FORMAT.md, "Checkpoints"): a run killed with SIGKILL after a
checkpoint and resumed ends with the same output file, byte for byte, as the run that was never
interrupted (and, when not, the datasets that differ are named); a checkpoint that is damaged, of another run or of another version, a complete run,
and a .partial another process is writing are refused with exit code 2, leaving the files as
they were."""
import hashlib
import importlib.util
import signal
import struct
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
S = REPO / "data" / "scenarios"

# bench/same_outputs.py compares two run files: every dataset's dtype, shape and bytes and every
# attribute; the wall-clock datasets (names ending in _seconds) by dtype and shape only.
_spec = importlib.util.spec_from_file_location("same_outputs", REPO / "bench" / "same_outputs.py")
same_outputs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(same_outputs)

# Diehl & Cook shorter still than same_outputs.SHORT_DC: 80 training examples, each evaluation
# labelling from 40 and testing 80 (about 2 s; the first checkpoint comes after 0.2 s).
SHORT_DC = ["training.examples=80", "training.evaluate_at=[40,80]", "training.weights_every=40",
            "spiking.stdp.assignment_examples=40", "task.test_examples=80",
            "spiking.stdp.spike_windows=[0,5,70,80]"]

# (case, scenario, overrides): long enough to be killed after a checkpoint, short for a test.
CASES = [
    ("coba", S / "coba.toml", ["run.duration_ms=6000"]),
    ("song2000", S / "stdp_song2000.toml", ["run.duration_ms=300000"]),
    ("diehl_cook", S / "diehl_cook_100.toml", SHORT_DC),
    ("mlp", S / "mlp_mnist.toml", ["training.examples=240000"]),
]


def sets(overrides):
    args = []
    for o in overrides:
        args += ["--set", o]
    return args


def start(spikerate, *args):
    return subprocess.Popen([str(spikerate.binary), *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_for(path, process, timeout=120.0):
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, f"the run ended before {path} appeared"
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.01)


def killed_after_checkpoint(spikerate, scenario, overrides, out, every="0.2"):
    """Starts a run with checkpoints and kills it with SIGKILL once its first one exists."""
    run = start(spikerate, "run", scenario, "-o", out, "-q", "--checkpoint-every", every,
                *sets(overrides))
    wait_for(Path(f"{out}.checkpoint"), run)
    time.sleep(0.1)  # into the next stretch: the .partial holds more than the checkpoint
    assert run.poll() is None, "the run completed before it could be killed: lengthen it"
    run.send_signal(signal.SIGKILL)
    run.wait()
    partial = Path(f"{out}.partial")
    assert partial.exists() and not out.exists()
    return partial


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("case,scenario,overrides", CASES, ids=[c[0] for c in CASES])
def test_killed_and_resumed_equals_the_uninterrupted_run(spikerate, tmp_path, case, scenario,
                                                         overrides):
    whole = tmp_path / "whole.h5"
    done = spikerate("run", scenario, "-o", whole, "-q", *sets(overrides))
    assert done.returncode == 0, done.stderr

    out = tmp_path / "resumed.h5"
    partial = killed_after_checkpoint(spikerate, scenario, overrides, out)
    resumed = spikerate("resume", partial)
    assert resumed.returncode == 0, resumed.stderr
    assert "spikerate resume:" in resumed.stdout
    assert out.exists() and not partial.exists()
    assert not Path(f"{out}.checkpoint").exists()  # complete: nothing left to resume

    a, b = same_outputs.contents(whole), same_outputs.contents(out)
    differing = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
    assert not differing, f"{case}: {differing[:8]}"
    assert len(a) > 20
    assert whole.read_bytes() == out.read_bytes(), f"{case}: same contents, different bytes"


def test_a_run_with_checkpoints_equals_one_without(spikerate, tmp_path):
    scenario, overrides = S / "coba.toml", ["run.duration_ms=2000"]
    plain, checkpointed = tmp_path / "plain.h5", tmp_path / "checkpointed.h5"
    assert spikerate("run", scenario, "-o", plain, "-q", *sets(overrides)).returncode == 0
    done = spikerate("run", scenario, "-o", checkpointed, "-q", "--checkpoint-every", "0.01",
                     *sets(overrides))
    assert done.returncode == 0, done.stderr
    assert not Path(f"{checkpointed}.checkpoint").exists()
    assert plain.read_bytes() == checkpointed.read_bytes()


def test_resumed_twice_after_two_kills(spikerate, tmp_path):
    scenario, overrides = S / "coba.toml", ["run.duration_ms=8000"]
    whole = tmp_path / "whole.h5"
    assert spikerate("run", scenario, "-o", whole, "-q", *sets(overrides)).returncode == 0
    out = tmp_path / "out.h5"
    partial = killed_after_checkpoint(spikerate, scenario, overrides, out)
    first_checkpoint = digest(Path(f"{out}.checkpoint"))
    resume = start(spikerate, "resume", partial, "-q")
    deadline = time.monotonic() + 60
    while digest(Path(f"{out}.checkpoint")) == first_checkpoint:  # a newer checkpoint
        assert resume.poll() is None, resume.stderr.read()
        assert time.monotonic() < deadline
        time.sleep(0.01)
    resume.send_signal(signal.SIGKILL)
    resume.wait()
    done = spikerate("resume", partial, "-q")
    assert done.returncode == 0, done.stderr
    assert same_outputs.contents(whole) == same_outputs.contents(out)
    assert whole.read_bytes() == out.read_bytes()


@pytest.fixture
def stopped_coba(spikerate, tmp_path):
    """A COBA run killed after its first checkpoint: (output, partial, checkpoint)."""
    out = tmp_path / "coba.h5"
    partial = killed_after_checkpoint(spikerate, S / "coba.toml", ["run.duration_ms=6000"], out)
    return out, partial, Path(f"{out}.checkpoint")


def refused(spikerate, args, fragment, files):
    before = {f: digest(f) for f in files}
    done = spikerate(*args)
    assert done.returncode == 2, done.stderr
    assert fragment in done.stderr, done.stderr
    assert "internal error" not in done.stderr
    for f, d in before.items():
        assert digest(f) == d, f"{f} was changed"
    return done


def test_a_truncated_checkpoint_is_refused(spikerate, stopped_coba):
    out, partial, checkpoint = stopped_coba
    data = checkpoint.read_bytes()
    for cut in (len(data) - 1, len(data) // 2, 20, 3, 0):
        checkpoint.write_bytes(data[:cut])
        refused(spikerate, ["resume", partial], str(checkpoint), [partial, checkpoint])


def test_a_corrupt_checkpoint_is_refused(spikerate, stopped_coba):
    out, partial, checkpoint = stopped_coba
    data = bytearray(checkpoint.read_bytes())
    data[len(data) // 3] ^= 0x01
    checkpoint.write_bytes(bytes(data))
    refused(spikerate, ["resume", partial], "checksum does not match", [partial, checkpoint])


def rewrite_header(checkpoint, version=None, scenario=None, state=None):
    """Re-encodes a checkpoint with another version, scenario text or state (a function of the
    old state) and a valid checksum (sim/checkpoint.cpp: magic, body length, FNV-1a of the body;
    strings length-prefixed)."""
    data = checkpoint.read_bytes()
    magic, body = data[:8], data[24:]
    fields, at = [], 0
    for kind in ("s", "s", "s", "u", "s", "s"):  # version, machine, scenario, seed, output, state
        if kind == "u":
            fields.append(body[at:at + 8])
            at += 8
        else:
            (n,) = struct.unpack_from("<Q", body, at)
            fields.append(body[at + 8:at + 8 + n])
            at += 8 + n
    if version is not None:
        fields[0] = version.encode()
    if scenario is not None:
        fields[2] = scenario.encode()
    if state is not None:
        fields[5] = state(fields[5])
    new_body = b""
    for i, f in enumerate(fields):
        new_body += f if i == 3 else struct.pack("<Q", len(f)) + f
    h = 0xCBF29CE484222325
    for byte in new_body:
        h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    checkpoint.write_bytes(magic + struct.pack("<QQ", len(new_body), h) + new_body)


def test_a_checkpoint_altered_inside_with_a_valid_checksum_is_refused_not_a_crash(
        spikerate, stopped_coba):
    """The state's structure (section tags, lengths, counts) is checked as it is read: a change
    there is refused with exit code 2 (a change in a value, e.g. a weight, cannot be told)."""
    out, partial, checkpoint = stopped_coba
    original = checkpoint.read_bytes()

    def flip(at):
        return lambda state: state[:at] + bytes([state[at] ^ 0x5A]) + state[at + 1:]

    def grow_length(at):  # a length prefix made huge
        return lambda state: state[:at] + struct.pack("<Q", 2**62) + state[at + 8:]

    # Offsets in the state: the tag "spikerate run" (length at 0, text at 8), the scenario path's
    # length (21) and text.
    for change in (flip(3), flip(10), grow_length(0), grow_length(21), flip(25)):
        checkpoint.write_bytes(original)
        rewrite_header(checkpoint, state=change)
        refused(spikerate, ["resume", partial], "checkpoint", [partial])

    def flip_experiment_tag(state):
        at = state.find(struct.pack("<Q", 10) + b"experiment")  # the section tag, length first
        assert at > 0
        return flip(at + 8 + 2)(state)

    checkpoint.write_bytes(original)
    rewrite_header(checkpoint, state=flip_experiment_tag)
    refused(spikerate, ["resume", partial], "expected section 'experiment'", [partial])


def test_a_checkpoint_of_another_version_is_refused(spikerate, stopped_coba):
    out, partial, checkpoint = stopped_coba
    rewrite_header(checkpoint, version="0.0.0-elsewhere")
    refused(spikerate, ["resume", partial], "written by spikerate 0.0.0-elsewhere",
            [partial, checkpoint])


def test_a_checkpoint_of_another_scenario_is_refused(spikerate, stopped_coba, tmp_path):
    out, partial, checkpoint = stopped_coba
    # The checkpoint of a CUBA run, put beside the COBA run's .partial.
    other = tmp_path / "cuba.h5"
    killed_after_checkpoint(spikerate, S / "cuba.toml", ["run.duration_ms=6000"], other)
    checkpoint.write_bytes(Path(f"{other}.checkpoint").read_bytes())
    refused(spikerate, ["resume", partial], "belongs to another run", [partial, checkpoint])


def test_a_checkpoint_of_another_seed_is_refused(spikerate, stopped_coba, tmp_path):
    out, partial, checkpoint = stopped_coba
    other = tmp_path / "seed2.h5"
    killed_after_checkpoint(spikerate, S / "coba.toml", ["run.duration_ms=6000", "run.seed=2"],
                            other)
    checkpoint.write_bytes(Path(f"{other}.checkpoint").read_bytes())
    refused(spikerate, ["resume", partial], "belongs to another run", [partial, checkpoint])


def test_a_complete_run_is_not_resumed(spikerate, tmp_path):
    out = tmp_path / "done.h5"
    done = spikerate("run", S / "coba.toml", "-o", out, "-q", "--checkpoint-every", "0.05",
                     "--set", "run.duration_ms=500")
    assert done.returncode == 0, done.stderr
    refused(spikerate, ["resume", out], "the run is complete", [out])
    refused(spikerate, ["resume", f"{out}.partial"], "the run is complete", [out])


def test_resume_without_a_checkpoint_is_refused(spikerate, stopped_coba):
    out, partial, checkpoint = stopped_coba
    checkpoint.unlink()
    refused(spikerate, ["resume", partial], "no checkpoint", [partial])


def test_resume_of_a_partial_another_process_writes_is_refused(spikerate, tmp_path):
    out = tmp_path / "live.h5"
    run = start(spikerate, "run", S / "coba.toml", "-o", out, "-q", "--checkpoint-every", "0.1",
                "--set", "run.duration_ms=1e7")
    try:
        wait_for(Path(f"{out}.checkpoint"), run)
        run.send_signal(signal.SIGSTOP)  # holds its lock, writes nothing while we look
        refused(spikerate, ["resume", f"{out}.partial"], "another spikerate run is writing",
                [Path(f"{out}.partial"), Path(f"{out}.checkpoint")])
    finally:
        run.send_signal(signal.SIGKILL)
        run.wait()


def test_force_starts_anew_over_a_stopped_run(spikerate, stopped_coba):
    out, partial, checkpoint = stopped_coba
    done = spikerate("run", S / "coba.toml", "-o", out, "-q", "--checkpoint-every", "1",
                     "--set", "run.duration_ms=6000", "--force")
    assert done.returncode == 0, done.stderr  # --force: starts anew
    assert out.exists() and not checkpoint.exists()


def test_a_left_checkpoint_refuses_a_new_run(spikerate, stopped_coba, tmp_path):
    out, partial, checkpoint = stopped_coba
    partial.unlink()  # only the checkpoint is left
    refused(spikerate, ["run", S / "coba.toml", "-o", out, "-q", "--checkpoint-every", "1"],
            "a checkpoint of an earlier run exists", [checkpoint])


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "1e400", "", " 5", "5x", "5 min",
                                   "0examples", "1.5examples", "-3examples", "examples", "min"])
def test_checkpoint_interval_must_be_positive(spikerate, tmp_path, value):
    out = tmp_path / "x.h5"
    done = spikerate("run", S / "coba.toml", "-o", out, "-q", "--checkpoint-every", value)
    assert done.returncode == 2, done.stderr
    assert "--checkpoint-every" in done.stderr and "expected a wall time" in done.stderr
    assert not out.exists() and not Path(f"{out}.partial").exists()


def test_an_interval_in_examples_needs_a_learner(spikerate, tmp_path):
    out = tmp_path / "x.h5"
    done = spikerate("run", S / "coba.toml", "-o", out, "-q", "--checkpoint-every", "100examples")
    assert done.returncode == 2 and "trains no learner" in done.stderr, done.stderr
    assert not out.exists() and not Path(f"{out}.partial").exists()


def test_checkpoints_every_n_examples_resume_byte_for_byte(spikerate, tmp_path):
    # A deterministic interval: a checkpoint once every 12,000 examples trained (the MLP and the
    # logistic regression each train, in turn, up to each evaluation point).
    scenario, overrides = S / "mlp_mnist.toml", ["training.examples=120000"]
    whole = tmp_path / "whole.h5"
    assert spikerate("run", scenario, "-o", whole, "-q", *sets(overrides)).returncode == 0
    out = tmp_path / "out.h5"
    partial = killed_after_checkpoint(spikerate, scenario, overrides, out, every="12000examples")
    done = spikerate("resume", partial, "-q")
    assert done.returncode == 0, done.stderr
    assert whole.read_bytes() == out.read_bytes()
