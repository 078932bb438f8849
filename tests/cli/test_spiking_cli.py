"""Spiking networks trained on a task from the command line (Diehl & Cook 2015 with STDP,
side by side with a rate network): the run, its HDF5 output, the table, and scenario errors."""
from pathlib import Path

import h5py
import numpy as np
import pytest

from test_rate_cli import need_mnist

# A tiny comparison: 10 excitatory neurons and an MLP on the first 60 MNIST training digits,
# tested on 50 test digits after 20 and 40 examples.
TINY = """
[run]
seed = 5
[task]
dataset = "mnist"
train_examples = 60
test_examples = 50
[training]
examples = 40
evaluate_at = [20, 40]
weights_every = 20
[spiking.stdp]
architecture = "diehl_cook_2015"
n_exc = 10
assignment_examples = 30
spike_windows = [0, 2]
size_rule = "none"  # theta as in the released code: the weight-sum checks below assume it
[spiking.stdp.stdp]
nu_post = 0.02
[rate.mlp]
hidden = [20]
"""


def write(tmp_path, text, name="tiny.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_comparison_run_writes_both_paradigms_on_one_axis(spikerate, tmp_path):
    need_mnist()
    out = tmp_path / "tiny.h5"
    result = spikerate("run", write(tmp_path, TINY), "-o", out)
    assert result.returncode == 0, result.stderr
    # The table: both paradigms, accuracy by examples seen, work and energy per example.
    assert "test accuracy [%] by examples seen" in result.stdout
    assert "work per example" in result.stdout
    for column in ("arithmetic", "+ SRAM", "+ DRAM"):
        assert column in result.stdout
    for word in ("stdp", "mlp", "syn. events"):
        assert word in result.stdout
    # Every phase that costs work has its row: the spiking readout's labelling presentations
    # too, priced like its test presentations, as the file has them.
    work = result.stdout.split("work per example")[1]
    rows = {tuple(line.split()[:2]): line.split() for line in work.splitlines()
            if line.split()[:1] in (["stdp"], ["mlp"])}
    assert set(rows) == {("stdp", "train"), ("stdp", "test"), ("stdp", "label"),
                         ("mlp", "train"), ("mlp", "test")}
    assert rows[("stdp", "label")][4] == "0"  # plast. upd.: none while labelling
    with h5py.File(out) as f:
        assert f.attrs["complete"] == 1
        spiking = f["metrics/spiking/stdp"]
        rate = f["metrics/rate/mlp"]
        assert list(spiking["curve/examples_seen"][()]) == [20, 40]
        assert list(rate["curve/examples_seen"][()]) == [20, 40]
        accuracy = spiking["curve/test_accuracy"][()]
        assert accuracy.shape == (2,) and np.all((accuracy >= 0) & (accuracy <= 1))
        assert spiking["test_accuracy"][()] == accuracy[-1]
        assert spiking["examples_seen"][()] == 40
        assert spiking["operations/training/examples"][()] == 40
        assert spiking["operations/training/presentations"][()] >= 40
        assert spiking["operations/test/examples"][()] == 50
        assert spiking["operations/assignment/examples"][()] == 30
        assert spiking["operations/test/plasticity_updates"][()] == 0
        assert spiking["operations/training/plasticity_updates"][()] > 0
        events = spiking["operations/training/synaptic_events_per_example"][()]
        assert events > 0
        assert spiking["operations/training/energy_per_example_45nm"][()] == \
            events * f["metrics/energy/pj_per_accumulate_45nm"][()]
        assert f["metrics/energy/pj_per_mac_45nm"][()] == 4.6
        assert f["metrics/energy/pj_per_synaptic_op_loihi"][()] == 23.6
        assert rate["operations/energy_per_test_example_45nm"][()] == 4.6 * (784 * 20 + 20 * 10)
        # Every counted operation priced, each cost with its source, both totals.
        for net, classes in ((spiking, ("synaptic_event", "neuron_update", "plasticity_pre",
                                        "plasticity_post", "plasticity_post_term")),
                             (rate, ("mac_forward", "mac_backward", "weight_update"))):
            energy = net["energy"]
            for c in classes:
                assert energy[f"costs/{c}/arithmetic_pj"][()] > 0
                assert energy[f"costs/{c}/arithmetic_pj"].attrs["source"]
                assert energy[f"costs/{c}/dram_traffic_pj"].attrs["units"] == "pJ"
            total = energy["training/arithmetic_pj_per_example"][()]
            assert total == pytest.approx(sum(
                energy[f"training/{c}_per_example"][()] * energy[f"costs/{c}/arithmetic_pj"][()]
                for c in classes))
            assert energy["training/with_dram_pj_per_example"][()] > \
                energy["training/with_sram_pj_per_example"][()] > total
        assert f["metrics/energy/pj_sram_32bit"][()] == 5.0
        assert f["metrics/energy/pj_dram_32bit"][()] == 640.0
        assert "Horowitz" in f["metrics/energy/pj_fp32_add"].attrs["source"]
        assert spiking["test_confusion"].shape == (10, 10)
        assert spiking["neuron_class"].shape == (1, 10)
        # Receptive fields: initial + every 20 examples; node-major, 784 inputs per neuron.
        fields = f["report/stdp_input_exc"]
        assert fields["data"].shape == (3, 10 * 784)
        assert list(fields["mapping/time"][()]) == [0.0, 60.0, 20.0]  # start, stop (exclusive), step
        assert fields["mapping/time"].attrs["units"] == "examples"
        w = fields["data"][()].reshape(3, 10, 784)
        assert np.all((w >= 0) & (w <= 1))
        # Before the first example the fields are the initial weights (uniform 0.003-0.303).
        assert w[0].min() >= 0.003 and w[0].max() <= 0.303
        # Normalised to 78 before every example, plus what STDP changed during the last one.
        assert np.allclose(w[1].sum(axis=1), 78, rtol=0.15)
        assert list(fields["mapping/source_node_ids"][:3]) == [0, 1, 2]
        assert f["report/stdp_theta"]["data"].shape == (3, 10)
        spikes = f["spikes/stdp_exc"]
        assert spikes["timestamps"].shape[0] > 0
        assert spikes["timestamps"][()].max() < 2 * 20 * 500.0  # two examples, retries at most 20 each


def test_the_same_seed_gives_the_same_numbers(spikerate, tmp_path):
    need_mnist()
    curves = []
    for k in range(2):
        out = tmp_path / f"run{k}.h5"
        result = spikerate("run", write(tmp_path, TINY), "-o", out,
                           "--set", f"spiking.stdp.threads={k + 1}")
        assert result.returncode == 0, result.stderr
        with h5py.File(out) as f:
            curves.append((f["metrics/spiking/stdp/curve/test_accuracy"][()],
                           f["metrics/spiking/stdp/operations/test/synaptic_events"][()],
                           f["report/stdp_input_exc/data"][()]))
    assert np.array_equal(curves[0][0], curves[1][0])
    assert curves[0][1] == curves[1][1]
    assert np.array_equal(curves[0][2], curves[1][2])


def test_spiking_scenario_errors_name_the_key(spikerate, tmp_path):
    cases = [
        (TINY.replace('architecture = "diehl_cook_2015"', 'architecture = "diehl_cook"'),
         "spiking.stdp.architecture: unknown architecture 'diehl_cook' (did you mean "
         "'diehl_cook_2015'?"),
        (TINY.replace('architecture = "diehl_cook_2015"\n', ""),
         "spiking.stdp: describe the network ([spiking.stdp.populations.<name>]"),
        (TINY.replace("n_exc = 10", "n_exc = 0"), "tiny.toml:14: spiking.stdp.n_exc: 0: must be >= 1"),
        (TINY.replace("n_exc = 10", "n_ex = 10"), "spiking.stdp.n_ex: unknown key (did you mean 'n_exc'?"),
        (TINY.replace("nu_post = 0.02", "nu_postt = 0.02"),
         "spiking.stdp.stdp.nu_postt: unknown key (did you mean 'nu_post'?"),
        (TINY.replace("spike_windows = [0, 2]", "spike_windows = [0, 2, 5]"),
         "spike_windows has 3 values"),
        (TINY.replace('[task]\ndataset = "mnist"\ntrain_examples = 60\ntest_examples = 50\n', "")
         .replace("[training]\nexamples = 40\nevaluate_at = [20, 40]\nweights_every = 20\n", "")
         .replace("[rate.mlp]\nhidden = [20]\n", ""),
         "spiking networks need a [task] section"),
    ]
    for text, expected in cases:
        out = tmp_path / "never.h5"
        result = spikerate("run", write(tmp_path, text), "-o", out)
        assert result.returncode == 2, (expected, result.stderr)
        assert expected in result.stderr, (expected, result.stderr)
        assert not out.exists()


def test_label_budgets_print_and_write_accuracy_by_labels_used(spikerate, tmp_path):
    need_mnist()
    out = tmp_path / "budgets.h5"
    text = TINY.replace("weights_every = 20\n", 'weights_every = 20\nlabels = "seen"\n'
                        "label_budgets = [5, 30, 0]\n")
    result = spikerate("run", write(tmp_path, text), "-o", out)
    assert result.returncode == 0, result.stderr
    assert "test accuracy [%] by labels used" in result.stdout
    table = result.stdout.split("test accuracy [%] by labels used")[1].split("work per example")[0]
    rows = [line.split() for line in table.splitlines()[2:] if line.strip()]
    # (examples, budget, labels used, stdp, mlp): budgets in order, points within a budget.
    assert [row[:3] for row in rows] == [["20", "5", "5"], ["40", "5", "5"], ["20", "30", "20"],
                                         ["40", "30", "30"], ["20", "0", "20"], ["40", "0", "40"]]
    assert all(len(row) == 5 for row in rows)
    with h5py.File(out) as f:
        for group in ("metrics/spiking/stdp", "metrics/rate/mlp"):
            curve = f[group]["label_curve"]
            assert list(curve["examples_seen"][()]) == [20, 20, 20, 40, 40, 40]
            assert list(curve["label_budget"][()]) == [5, 30, 0] * 2
            assert list(curve["labels_used"][()]) == [5, 20, 20, 5, 30, 40]
            assert curve["test_accuracy"].attrs["units"] == "1"
        # The main curves: every label seen (assignment_examples = 30 caps the spiking one).
        assert list(f["metrics/rate/mlp/curve/labels_used"][()]) == [20, 40]
        assert list(f["metrics/spiking/stdp/curve/labels_used"][()]) == [20, 30]


def test_label_budgets_need_the_fair_protocol(spikerate, tmp_path):
    text = TINY.replace("weights_every = 20\n", "weights_every = 20\nlabel_budgets = [5]\n")
    result = spikerate("run", write(tmp_path, text), "-o", tmp_path / "x.h5")
    assert result.returncode == 2
    assert "tiny.toml:12: training.label_budgets" in result.stderr
    assert 'labels = "seen"' in result.stderr
    assert not (tmp_path / "x.h5").exists()


def test_the_preset_with_latency_coding_plays_one_spike_per_pixel(spikerate, tmp_path):
    # encoder = "latency" on the Diehl & Cook preset: the input becomes a spike_train population
    # and every pixel above latency_threshold fires exactly once per presentation. Counted from
    # the learned projection's presynaptic plasticity updates (one per input spike and
    # excitatory neuron), on the first 20 training digits in stored order, against the pixels.
    need_mnist()
    from test_rate_cli import MNIST
    scenario = write(tmp_path, """
[run]
seed = 3
[task]
dataset = "mnist"
shuffle = false
test_examples = 20
[training]
examples = 20
evaluate_at = [20]
weights_every = 0
[spiking.latency]
architecture = "diehl_cook_2015"
n_exc = 10
assignment_examples = 20
encoder = "latency"
latency_threshold = 0.25
min_spikes = 0
""")
    resolved = spikerate("validate", scenario, "--resolved")
    assert resolved.returncode == 0, resolved.stderr
    assert "encoder = 'latency'" in resolved.stdout
    input_section = resolved.stdout.split("[spiking.latency.populations.input]")[1]
    assert input_section.split("[")[0].count("model = 'spike_train'") == 1
    out = tmp_path / "latency.h5"
    done = spikerate("run", scenario, "-o", out, "-q")
    assert done.returncode == 0, done.stderr
    with open(MNIST / "train-images-idx3-ubyte", "rb") as f:
        f.seek(16)
        pixels = np.frombuffer(f.read(20 * 784), dtype=np.uint8).reshape(20, 784)
    above = int((pixels / 255.0 > 0.25).sum())
    with h5py.File(out) as f:
        ops = f["metrics/spiking/latency/operations/training"]
        assert ops["presentations"][()] == 20  # min_spikes = 0: no retries
        pre_updates = int(ops["plasticity_updates"][()]) - int(ops["plasticity_post_updates"][()])
    assert pre_updates == 10 * above


# A reward-trained readout on bars (20 examples, one evaluation): output neurons behind
# reward_stdp, rewarded +1 / -1 after every training example.
REWARD = (Path(__file__).resolve().parents[1] / "data" / "reward_readout_bars.toml").read_text()


def test_a_reward_readout_counts_its_rewards_as_labels_and_prices_them(spikerate, tmp_path):
    out = tmp_path / "reward.h5"
    result = spikerate("run", write(tmp_path, REWARD, "reward.toml"), "-o", out)
    assert result.returncode == 0, result.stderr
    with h5py.File(out) as f:
        g = f["metrics/spiking/s"]
        delivered = int(g["reward/delivered"][()])
        assert delivered + int(g["reward/undecided"][()]) == 20
        assert int(g["reward/positive"][()]) + int(g["reward/negative"][()]) == delivered
        assert list(g["curve/labels_used"][()]) == [delivered]
        # Every reward reaches the 250 synapses: counted apart and priced.
        energy = g["energy"]
        assert energy["training/plasticity_modulator_per_example"][()] == 250 * delivered / 20
        assert energy["costs/plasticity_modulator/arithmetic_pj"][()] > 0
        # No labelling phase: nothing presented to label the readout.
        assert energy["assignment/synaptic_event_per_example"][()] == 0
    # The work table: no labelling row, and the training row's plasticity updates include the
    # modulator's.
    rows = [line.split() for line in result.stdout.splitlines() if line.strip().startswith("s ")]
    assert [row[1] for row in rows if len(row) > 2 and row[1] in ("train", "test", "label")] == [
        "train", "test"]
