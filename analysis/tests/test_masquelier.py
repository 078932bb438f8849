"""spikerate.masquelier: the paper's measures on hand-made spike times, and on short runs of the
shipped scenario (the pattern's annotations as the source writes them, the sweep command)."""
import math

import h5py
import numpy as np
import pytest

from spikerate import masquelier as mq

ONSETS = np.array([100.0, 300.0, 500.0, 700.0])  # [ms] presentations of 50 ms


def test_latencies_are_from_the_onset_and_nan_outside_presentations():
    spikes = [50.0, 104.5, 149.9, 150.0, 320.0, 800.0]
    lat = mq.latencies(spikes, ONSETS, 50.0)
    assert lat[1] == pytest.approx(4.5)
    assert lat[2] == pytest.approx(49.9)
    assert lat[4] == pytest.approx(20.0)
    assert np.isnan(lat[[0, 3, 5]]).all()  # before the first, at the end (excluded), after


def test_hit_rate_counts_presentations_with_a_discharge_in_a_window():
    spikes = [105.0, 110.0, 520.0, 760.0]  # two in the first presentation, none in the second
    assert mq.hit_rate(spikes, ONSETS, 50.0) == pytest.approx(0.5)
    assert mq.hit_rate(spikes, ONSETS, 50.0, start_ms=400.0) == pytest.approx(0.5)
    assert mq.hit_rate(spikes, ONSETS, 50.0, start_ms=450.0, stop_ms=600.0) == 1.0
    assert math.isnan(mq.hit_rate(spikes, ONSETS, 50.0, start_ms=900.0))


def test_false_alarms_and_emergence():
    spikes = [20.0, 105.0, 250.0, 310.0, 505.0, 710.0]
    assert mq.false_alarms(spikes, ONSETS, 50.0) == 2
    assert mq.false_alarms(spikes, ONSETS, 50.0, start_ms=260.0) == 0
    # Selectivity from the last discharge outside: 250 ms, after the presentation at 100 ms,
    # the third discharge.
    assert mq.emergence(spikes, ONSETS, 50.0) == (250.0, 1, 3)
    assert mq.emergence([105.0, 310.0], ONSETS, 50.0) == (0.0, 0, 0)


def test_potentiated_counts_strong_synapses_and_those_from_the_pattern():
    weights = np.array([1.0, 0.96, 0.95, 0.2, 1.0])
    sources = np.array([0, 1, 2, 3, 4])
    assert mq.potentiated(weights, sources, afferents=[0, 1, 2]) == (3, 2)
    assert mq.potentiated(weights, sources, afferents=[3], threshold=0.1) == (5, 1)


def test_analyse_counts_a_presentation_that_ends_with_the_run(tmp_path):
    # A run of 400 ms judged on all of it: presentations at 100, 250 and 350 ms (the last ends
    # exactly at the end of the run), discharges in the first and the last.
    path = tmp_path / "run.h5"
    with h5py.File(path, "w") as f:
        f.attrs["seed"] = 1
        g = f.create_group("populations/afferents")
        g.attrs["model"] = "masquelier_pattern"
        g["pattern_onsets"] = np.array([100.0, 250.0, 350.0])
        g["stretch_duration"] = np.array([400.0])
        g["pattern_duration"] = np.array([50.0])
        g["pattern_afferents"] = np.arange(3, dtype=np.uint64)
        f.create_group("populations/neuron").attrs["model"] = "srm_masquelier"
        p = f.create_group("projections/afferents_neuron")
        p.attrs["pre"] = "afferents"
        p.attrs["post"] = "neuron"
        f["metrics/simulated_time_ms"] = 400.0
        f["spikes/neuron/timestamps"] = np.array([104.0, 354.0])
        f.create_group("report")
    r = mq.analyse(path, last_ms=400.0)
    assert r.hit_rate == pytest.approx(2 / 3)
    assert r.false_alarms == 0 and r.latency_ms == pytest.approx(4.0)
    assert r.potentiated == -1 and r.above_half == -1  # no weight report


def test_the_success_criterion_is_the_papers():
    assert mq.succeeded(4.0, 0.99, 0)
    assert not mq.succeeded(10.0, 0.99, 0)  # latency must be below 10 ms
    assert not mq.succeeded(4.0, 0.98, 0)  # hit rate above 98 %
    assert not mq.succeeded(4.0, 0.99, 1)  # no false alarm
    assert not mq.succeeded(math.nan, 0.0, 0)  # a neuron that stopped firing


def test_parse_seeds():
    assert mq.parse_seeds("1-4") == [1, 2, 3, 4]
    assert mq.parse_seeds("3,7-8") == [3, 7, 8]
    with pytest.raises(ValueError):
        mq.parse_seeds("5-2")


def test_aggregate_over_successful_runs():
    def result(seed, success, latency, strong, from_pattern):
        return mq.Result(path="", seed=seed, discharges=10, latency_ms=latency, hit_rate=1.0,
                         false_alarms=0 if success else 3, emergence_ms=1000.0 * seed,
                         emergence_presentations=seed, emergence_discharges=10 * seed,
                         potentiated=strong, potentiated_from_pattern=from_pattern,
                         success=success)

    agg = mq.aggregate([result(1, True, 4.0, 300, 300), result(2, True, 6.0, 100, 50),
                        result(3, False, 40.0, 9, 0)])
    assert agg["success_rate"] == pytest.approx(2 / 3)
    assert agg["latency_ms"] == pytest.approx(5.0)
    assert agg["latency_ms_sd"] == pytest.approx(1.0)
    assert agg["emergence_ms"] == pytest.approx(1500.0)
    assert agg["potentiated_from_pattern_fraction"] == pytest.approx(350 / 400)
    assert "success rate" in mq.format_table(agg, 3.0)
    assert "bimodal split" in mq.format_table(agg, 3.0)


SHORT = ["run.duration_ms=3000.0", "populations.afferents.stretch_ms=1000.0",
         "populations.afferents.size=200", "populations.afferents.pattern_afferents=100",
         "record.weights.weights.every_ms=1000.0"]


def test_a_short_run_carries_the_pattern_and_is_analysed(spikerate_binary, tmp_path):
    path, _ = mq.run_seed(3, tmp_path, binary=spikerate_binary, overrides=SHORT)
    with h5py.File(path, "r") as f:
        g = f["populations/afferents"]
        within = g["pattern_onsets"][:]
        assert g["pattern_onsets"].attrs["units"] == "ms"
        assert g["stretch_duration"][0] == 1000.0
        assert g["pattern_duration"][0] == 50.0
        assert list(g["pattern_afferents"][:]) == list(range(100))
        # A quarter of the 20 sections, never two in a row, never the first.
        sections = within / 50.0
        assert len(within) == 5
        assert np.all(np.diff(sections) >= 2) and sections[0] >= 1
        pattern = mq.read_pattern(f, "afferents", 3000.0)
    assert np.array_equal(pattern.onsets_ms,
                          np.concatenate([within, within + 1000.0, within + 2000.0]))
    r = mq.analyse(path, last_ms=1000.0)
    assert r.seed == 3
    with h5py.File(path, "r") as f:
        assert r.discharges == f["spikes/neuron/timestamps"].shape[0]


def test_sweep_command_runs_seeds_and_prints_the_table(spikerate_binary, tmp_path, capsys,
                                                       monkeypatch):
    monkeypatch.setenv("SPIKERATE_BUILD", str(spikerate_binary.parent))
    argv = ["sweep", "--seeds", "1-2", "--jobs", "2", "--out", str(tmp_path)]
    for o in SHORT:
        argv += ["--set", o]
    assert mq.main(argv) == 0
    out = capsys.readouterr().out
    assert "success rate" in out and "96%" in out
    lines = (tmp_path / "summary.csv").read_text().splitlines()
    assert len(lines) == 3 and lines[0].startswith("path,seed,")
    # A second sweep keeps the complete runs.
    assert mq.main(argv) == 0
