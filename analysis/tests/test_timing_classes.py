"""spikerate.timing_classes: the per-network table of a timing_classes run and the jitter sweep
(two short runs of data/scenarios/timing_classes.toml)."""
import math

import pytest

import spikerate
from spikerate import timing_classes as tc

SHORT = ["task.timing_classes.train_examples=100", "task.timing_classes.test_examples=100",
         "training.examples=100", "training.evaluate_at=[100]"]


@pytest.fixture(scope="module")
def swept(spikerate_binary, tmp_path_factory):
    out = tmp_path_factory.mktemp("timing")
    return out, tc.sweep([0.0, 8.0], out, binary=spikerate_binary, sets=SHORT)


def test_sweep_has_one_row_per_network_and_jitter(swept):
    out, table = swept
    assert sorted(p.name for p in out.glob("*.h5")) == ["jitter_0.h5", "jitter_8.h5"]
    assert len(table) == 2 * 15
    assert sorted(table["jitter_ms"].unique()) == [0.0, 8.0]
    assert set(table["paradigm"]) == {"stdp", "backprop"}
    assert ((table["test_accuracy"] >= 0) & (table["test_accuracy"] <= 1)).all()


def test_inputs_and_macs_follow_the_bin_width(swept):
    _, table = swept
    rows = table[table["jitter_ms"] == 0.0].set_index("network")
    # 50 afferents x 50 ms / b inputs; counts: one bin of the whole window.
    for name, bin_ms in [("logreg_bin01", 1.0), ("logreg_bin05", 5.0), ("logreg_bin25", 25.0),
                         ("logreg_counts", 50.0)]:
        assert rows.loc[name, "bin_ms"] == bin_ms
        assert rows.loc[name, "n_inputs"] == 50 * 50 / bin_ms
        assert rows.loc[name, "operations_per_test_example"] == rows.loc[name, "n_inputs"] * 4
    assert rows.loc["mlp_bin02", "operations_per_test_example"] == 1250 * 50 + 50 * 4
    assert rows.loc["stdp", "input"] == "spike_pattern" and math.isnan(rows.loc["stdp", "bin_ms"])
    assert rows.loc["stdp", "operation"] == "synaptic events"
    # Energy grows with the inputs: the price of handing the timing to a rate network.
    logreg = rows.loc[["logreg_counts", "logreg_bin25", "logreg_bin05", "logreg_bin01"]]
    assert logreg["test_energy_pJ"].is_monotonic_increasing


def test_counts_do_not_depend_on_the_jitter(swept):
    # Jitter moves spikes within the window (reflected at its edges), so each example's counts,
    # and a count network's accuracy, are the same whatever the jitter.
    _, table = swept
    counts = table[table["input"] == "counts"].pivot(index="network", columns="jitter_ms",
                                                     values="test_accuracy")
    assert (counts[0.0] == counts[8.0]).all()
    pivot = tc.accuracy_by_jitter(table)
    assert list(pivot.columns) == [0.0, 8.0]


def test_three_readouts_of_one_layer_count_their_labels(swept):
    # stdp, stdp_linear and stdp_reward read the same STDP layer: a reward readout's labels are
    # the rewards it was given (one per example it answered), a labelling readout's the examples
    # it was fitted to; only the labelling readouts have a labelling phase.
    out, table = swept
    rows = table[table["jitter_ms"] == 0.0].set_index("network")
    assert list(rows.loc[["stdp", "stdp_linear", "stdp_reward"], "readout"]) == [
        "label_assignment", "linear", "reward"]
    assert rows.loc["stdp", "labels_used"] == rows.loc["stdp_linear", "labels_used"] == 100
    with spikerate.load(out / "jitter_0.h5") as run:
        rewards = run.metrics["spiking/stdp_reward/reward/delivered"]
        undecided = run.metrics["spiking/stdp_reward/reward/undecided"]
        curves = tc.label_curves(run)
    assert rows.loc["stdp_reward", "labels_used"] == rewards
    assert rewards + undecided == 100
    assert rows.loc["stdp_linear", "label_energy_pJ"] > 0
    assert math.isnan(rows.loc["stdp_reward", "label_energy_pJ"])
    # The same layer: the labelling readouts' training work is the same; the reward readout's
    # adds its output layer.
    assert rows.loc["stdp", "train_energy_pJ"] == rows.loc["stdp_linear", "train_energy_pJ"]
    assert rows.loc["stdp_reward", "train_energy_pJ"] > rows.loc["stdp", "train_energy_pJ"]
    reward_curve = curves[curves["network"] == "stdp_reward"]
    assert list(reward_curve["examples_seen"]) == [100]
    assert list(reward_curve["labels_used"]) == [rewards]
    assert set(curves["network"]) == set(table["network"])
    with spikerate.load(out / "jitter_0.h5") as run:
        summary = run.network_summary().set_index("network")
    assert summary.loc["stdp_reward", "labels_used"] == rewards
    assert summary.loc["logreg_counts", "labels_used"] == 100


def test_table_command_reads_run_files(swept, capsys):
    out, _ = swept
    assert tc.main(["table", str(out / "jitter_0.h5")]) == 0
    printed = capsys.readouterr().out
    assert "test accuracy [%] by jitter SD [ms]" in printed and "logreg_bin01" in printed


def test_a_run_without_the_task_is_refused(coba_run):
    with spikerate.load(coba_run) as run, pytest.raises(ValueError, match="timing_classes"):
        tc.input_table(run)
