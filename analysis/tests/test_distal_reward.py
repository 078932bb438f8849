"""Izhikevich (2007) distal reward (data/scenarios/izhikevich_2007_distal_reward.toml, read by
spikerate.distal_reward): the measures on arrays, and a 60 s run whose rewarded pairings, counted
from its recorded spikes, equal those the engine's modulator counted."""
import math
import re
import subprocess

import numpy as np
import pytest

from spikerate import distal_reward as dr

SECONDS = 60


def test_time_to_learn_is_the_start_of_the_last_stretch_at_the_threshold():
    t = np.arange(6) * 1000.0
    assert dr.time_to_learn(t, [0.0, 3.6, 3.0, 3.5, 3.9, 4.0]) == 3000.0  # the dip at 2 s
    assert dr.time_to_learn(t, [3.6, 3.6, 3.7, 4.0, 4.0, 4.0]) == 0.0
    assert math.isnan(dr.time_to_learn(t, [0.0, 3.6, 4.0, 4.0, 4.0, 3.4]))  # ends below


def test_pairings_count_second_spikes_within_the_window_after_the_last_first_spike():
    n1 = [10.0, 100.0, 300.0, 500.0]
    n2 = [5.0,      # before any n1 spike
          15.0,     # 5 ms after 10: counts
          29.9,     # 19.9 ms after 10: counts
          30.0,     # 20 ms: not < window
          120.0,    # 20 ms after 100: no
          300.0,    # same time as an n1 spike: not after it
          301.0,    # 1 ms after 300: counts
          515.0]    # counts
    assert dr.pairings(n1, n2) == 4
    assert dr.pairings(n1, n2, window_ms=25.0) == 6  # 30 - 10 and 120 - 100 = 20 < 25
    assert dr.pairings([], n2) == 0


@pytest.fixture(scope="module")
def distal_run(spikerate_binary, tmp_path_factory):
    out = tmp_path_factory.mktemp("distal_reward") / "run.h5"
    result = subprocess.run(
        [str(spikerate_binary), "run", str(dr.SCENARIO), "-o", str(out),
         "--set", f"run.duration_ms={SECONDS * 1000.0}",
         "--set", "record.weights.exc_exc.every_ms=10000.0"],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    row = re.search(r"^\s*dopamine\s+(\d+)\s+(\d+)\s*$", result.stdout, re.MULTILINE)
    assert row, result.stdout
    return out, int(row.group(1)), int(row.group(2))


def test_run_file_holds_the_chosen_synapse_and_the_others(distal_run):
    path, _, _ = distal_run
    run = dr.read_run(path)
    assert run.times_ms.tolist() == [1000.0 * k for k in range(SECONDS + 1)]
    assert run.chosen[0] == 0.0  # the code's s(n1, syn) = 0
    assert np.all((run.chosen >= 0.0) & (run.chosen <= 4.0))
    assert run.others.size == 800 * 80
    assert run.others_ms == SECONDS * 1000.0
    assert np.all((run.others >= 0.0) & (run.others <= 4.0))
    assert run.others.std() > 0.0  # a minute of STDP and rewards spread them


def test_pairings_in_the_spikes_are_those_the_modulator_rewarded(distal_run):
    path, events, engine_pairings = distal_run
    result = dr.analyse(path)
    assert result.pairings == engine_pairings
    assert result.pairings > 0  # about one a minute at 1 Hz each
    assert events <= engine_pairings  # rewards come 1-3 s after their pairing
    assert 0.2 < result.rate_n1_hz < 5.0
