"""A population's current noise from the command line: bad values stop the run before anything is
written (exit 2, file:line:key), and a run with noise is the same run after run."""
import h5py
import numpy as np

from conftest import h5_contents

# 50 izhikevich neurons for 200 ms driven by daspnet.m's input alone: 13 (rand - 0.5) mV/ms.
NOISY = """
[run]
dt_ms = 1.0
duration_ms = 200.0
seed = 3
[populations.exc]
model = "izhikevich"
size = 50
integration = "izhikevich_half_steps"
current_noise_mV_per_ms = { uniform = [-6.5, 6.5] }
[record]
spikes = ["exc"]
[record.state.v]
population = "exc"
variable = "V_m"
every_ms = 1.0
"""


def write(tmp_path, text, name="noise.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_bad_current_noise_stops_before_writing(spikerate, tmp_path):
    key = "current_noise_mV_per_ms = { uniform = [-6.5, 6.5] }"
    cases = [
        ("current_noise_mV_per_ms = { uniform = [6.5, -6.5] }",
         "noise.toml:10: populations.exc.current_noise_mV_per_ms:"),
        ("current_noise_mV_per_ms = { normal = [0.0, -2.0] }", "sd must be >= 0"),
        ("current_noise_mV_per_ms = { uniform = [nan, 6.5] }", "finite"),
        ("current_noise_pA = { uniform = [-6.5, 6.5] }",
         "izhikevich takes its current in mV_per_ms"),
    ]
    for line, expected in cases:
        out = tmp_path / "never.h5"
        result = spikerate("run", write(tmp_path, NOISY.replace(key, line)), "-o", out)
        assert result.returncode == 2, (line, result.stderr)
        assert expected in result.stderr, (line, result.stderr)
        assert not out.exists()


def test_a_noisy_run_repeats_exactly_and_the_noise_drives_the_neurons(spikerate, tmp_path):
    paths = [tmp_path / "first" / "run.h5", tmp_path / "second" / "run.h5"]
    for path in paths:  # the same name: the file records its own
        path.parent.mkdir()
        result = spikerate("run", write(tmp_path, NOISY), "-o", path)
        assert result.returncode == 0, result.stderr
    assert h5_contents(paths[0]) == h5_contents(paths[1])
    with h5py.File(paths[0]) as f:
        v = f["report/v/data"][()]  # [frames, neurons]
    # Without input every neuron would sit at rest (-70 mV): the noise moves each one, and
    # differently from its neighbours.
    assert np.all(v[1:].std(axis=0) > 0.1)
    assert len({tuple(np.round(v[1:5, i], 9)) for i in range(v.shape[1])}) == v.shape[1]
