"""spikerate.load against run files written by the C++ engine (conftest.py makes them).

Expected values come from the scenario (sizes, durations, layer shapes), from arithmetic on it
(multiply-accumulates), or from reading the same datasets with plain h5py."""
import math
import warnings

import h5py
import numpy as np
import pandas as pd
import pytest

import spikerate
from conftest import COBA_MS, SONG_MS
from spikerate import IncompleteRunWarning, NotASpikerateFile, UnsupportedFormatVersion


@pytest.fixture(scope="module")
def coba(coba_run):
    with spikerate.load(coba_run) as run:
        yield run


@pytest.fixture(scope="module")
def comparison(comparison_run):
    with spikerate.load(comparison_run) as run:
        yield run


def test_root_attributes_and_scenario(coba, coba_run):
    assert coba.complete and coba.path == coba_run
    assert coba.format_version == 1 and coba.seed == 1 and coba.dt_ms == 0.1
    assert coba.scenario["run"]["duration_ms"] == COBA_MS  # the --set override, resolved
    assert coba.scenario["projections"]["inh_exc"]["weight_nS"] == 67.0
    assert coba.simulated_time_ms == COBA_MS


def test_populations_from_the_scenario(coba):
    assert coba.populations["exc"].size == 3200 and coba.populations["exc"].model == "lif_cond"
    assert coba.populations["inh"].size == 800
    assert not coba.populations["exc"].size_is_lower_bound


def test_spikes_as_frame_and_per_neuron_trains(coba, coba_run):
    spikes = coba.spikes["exc"]
    with h5py.File(coba_run) as f:
        times, ids = f["spikes/exc/timestamps"][()], f["spikes/exc/node_ids"][()]
        n_metric = f["metrics/populations/exc/spikes"][()]
    assert len(spikes) == times.size == n_metric > 0
    frame = spikes.frame
    assert list(frame.columns) == ["t_ms", "node_id"]
    assert frame.t_ms.dtype == np.float64 and frame.node_id.dtype == np.int64
    np.testing.assert_array_equal(frame.t_ms, times)
    np.testing.assert_array_equal(frame.node_id, ids)

    trains = spikes.trains
    assert len(trains) == 3200
    assert sum(t.size for t in trains) == times.size
    for k in (0, 1, 1234, 3199):
        np.testing.assert_array_equal(trains[k], np.sort(times[ids == k]))
    # Neurons on the grid stamp spikes at the end of a step, up to t = duration itself.
    assert spikes.t_start_ms == 0.0
    assert spikes.t_stop_ms == math.nextafter(COBA_MS, math.inf) > times.max()


def test_rates_agree_with_the_engine_metric(coba):
    for name in ("exc", "inh"):
        mean_rate = coba.metrics[f"populations/{name}/mean_rate"]
        assert coba.metric_units[f"populations/{name}/mean_rate"] == "Hz"
        assert coba.spikes[name].rates_hz().mean() == pytest.approx(mean_rate, rel=1e-12)
    summary = coba.population_summary().set_index("population")
    assert summary.loc["inh", "size"] == 800
    assert summary.loc["exc", "mean_rate_Hz"] == pytest.approx(
        coba.metrics["populations/exc/mean_rate"], rel=1e-12)


def test_all_populations_in_one_frame(coba):
    frame = coba.spikes_frame()
    assert len(frame) == len(coba.spikes["exc"]) + len(coba.spikes["inh"])
    assert set(frame.population) == {"exc", "inh"}
    assert frame.t_ms.is_monotonic_increasing


def test_state_report_is_read_lazily_with_its_time_axis(coba, coba_run):
    report = coba.reports["v_exc"]
    assert isinstance(report.data, h5py.Dataset)  # nothing read until sliced
    assert report.kind == "state" and report.pre is None and report.units == "mV"
    frames = int(round(COBA_MS / 0.1)) + 1  # every 0.1 ms from t = 0 to the end inclusive
    assert report.shape == (frames, 5)
    np.testing.assert_allclose(report.time, 0.1 * np.arange(frames), atol=1e-9)
    assert report.time_units == "ms"
    np.testing.assert_array_equal(report.node_ids, [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(report.post, [0, 1, 2, 3, 4])
    traces = report.node_traces()
    assert list(traces.columns) == [0, 1, 2, 3, 4] and len(traces) == frames
    with h5py.File(coba_run) as f:
        np.testing.assert_array_equal(report.frame_data(-1), f["report/v_exc/data"][-1])
        np.testing.assert_array_equal(traces[3].to_numpy(), f["report/v_exc/data"][:, 3])


def test_weight_report_maps_elements_to_pre_and_post(song_run):
    with spikerate.load(song_run) as run:
        report = run.reports["weights"]
        assert report.kind == "weights" and report.units == "nS"
        frames = int(SONG_MS / 1000.0) + 1
        assert report.shape == (frames, 1000)
        np.testing.assert_allclose(report.time, 1000.0 * np.arange(frames))
        assert report.step == 1000.0
        np.testing.assert_array_equal(report.post, np.zeros(1000))
        np.testing.assert_array_equal(np.sort(report.pre), np.arange(1000))
        assert report.columns_of(0) == slice(0, 1000)
        mapping = report.mapping
        assert list(mapping.columns) == ["post", "element_id", "pre"]
        # Additive STDP clips to [w_min, w_max] = [0, 0.01] nS (the scenario).
        w = report.data[()]
        assert w.min() >= 0.0 and w.max() <= np.float32(0.01)
        with pytest.raises(KeyError, match="no node 1"):
            report.columns_of(1)
        with pytest.raises(ValueError, match="holds weights"):
            report.node_traces()
        assert run.populations["input"].model == "poisson"
        assert "input" not in run.spikes  # the scenario records the neuron's spikes only


def test_comparison_networks_curves_and_shared_axis(comparison):
    assert set(comparison.networks) == {"stdp", "mlp", "logreg"}
    assert comparison.networks["stdp"].paradigm == "stdp"
    assert comparison.networks["mlp"].paradigm == "backprop"
    curves = comparison.learning_curves()
    assert list(curves.index) == [20, 60]
    assert list(curves.columns) == ["stdp", "logreg", "mlp"]
    for name, net in comparison.networks.items():
        assert net.examples_seen == 60
        assert curves.loc[60, name] == pytest.approx(net.test_accuracy)  # fractions
        assert net.test_confusion.shape == (10, 10)
        assert net.test_confusion.sum() <= 100  # 100 test digits (unclassified ones left out)
    stdp_curve = comparison.networks["stdp"].curve
    assert {"test_accuracy", "test_unclassified", "assigned_neurons"} <= set(stdp_curve.columns)


def test_multiply_accumulates_and_energy_per_example(comparison):
    work = comparison.work_per_example().set_index(["network", "phase"])
    # The spiking readout's labelling presentations have a row of their own; the rate networks
    # have none (their labels are used in training).
    phases = set(work.index)
    assert ("stdp", "assignment") in phases and ("mlp", "assignment") not in phases
    assert work.loc[("stdp", "assignment"), "operations_per_example"] == \
        comparison.networks["stdp"].operations["assignment/synaptic_events_per_example"]
    # 784-100-10: forward 784*100 + 100*10 MACs; backward the weight gradients of both layers
    # plus the input gradient of layer 2 (100*10).
    forward = 784 * 100 + 100 * 10
    assert work.loc[("mlp", "test"), "operations_per_example"] == forward
    assert work.loc[("mlp", "training"), "operations_per_example"] == forward + forward + 100 * 10
    assert work.loc[("logreg", "training"), "operations_per_example"] == 2 * 784 * 10
    pj_per_mac = comparison.energy_constants_pj()["pj_per_mac_45nm"]
    assert pj_per_mac == 4.6
    # Every counted operation priced: the totals are count x cost summed over the classes,
    # recomputed here from the counts and the Horowitz figures.
    mlp = comparison.networks["mlp"].energy
    updates = mlp["training/weight_update_per_example"]
    update_pj = mlp["costs/weight_update/arithmetic_pj"]
    assert update_pj == pytest.approx(2 * 0.9 + 2 * 3.7)  # momentum: v = mu v + g, w -= lr v
    assert work.loc[("mlp", "training"), "energy_arithmetic_pJ"] == pytest.approx(
        (2 * forward + 1000) * pj_per_mac + updates * update_pj)
    # MACs read 8 bytes; a momentum update reads 12 and writes 12 bytes.
    assert work.loc[("mlp", "test"), "energy_with_sram_pJ"] == pytest.approx(
        forward * (4.6 + 2 * 5.0))
    assert work.loc[("mlp", "test"), "energy_with_dram_pJ"] == pytest.approx(
        forward * (4.6 + 2 * 640.0))
    assert work.loc[("mlp", "training"), "energy_with_sram_pJ"] == pytest.approx(
        (2 * forward + 1000) * (4.6 + 10.0) + updates * (update_pj + 6 * 5.0))
    assert math.isnan(work.loc[("mlp", "training"), "energy_loihi_pJ"])
    ops = comparison.networks["stdp"].operations
    events = ops["training/synaptic_events"] / ops["training/examples"]
    assert work.loc[("stdp", "training"), "operations_per_example"] == pytest.approx(events)
    stdp = comparison.networks["stdp"].energy
    neuron_pj = 9 * 0.9 + 9 * 3.7 + 18.4 + 36.8  # lif_cond, exponential Euler
    assert stdp["costs/neuron_update/arithmetic_pj"] == pytest.approx(neuron_pj)
    post = ops["training/plasticity_post_updates"] / ops["training/examples"]
    pre = ops["training/plasticity_updates_per_example"] - post
    terms = ops["training/post_term_evaluations"] / ops["training/examples"]
    expected = (events * 0.9 + ops["training/neuron_updates_per_example"] * neuron_pj
                + pre * stdp["costs/plasticity_pre/arithmetic_pj"]
                + post * stdp["costs/plasticity_post/arithmetic_pj"]
                + terms * stdp["costs/plasticity_post_term/arithmetic_pj"])
    assert work.loc[("stdp", "training"), "energy_arithmetic_pJ"] == pytest.approx(expected)
    assert expected > events * 0.9  # no longer the synaptic events alone
    # Learning has no Loihi figure; inference does (synaptic ops and neuron updates).
    assert math.isnan(work.loc[("stdp", "training"), "energy_loihi_pJ"])
    test_events = ops["test/synaptic_events_per_example"]
    assert work.loc[("stdp", "test"), "energy_loihi_pJ"] == pytest.approx(
        test_events * 23.6 + ops["test/neuron_updates_per_example"] * 52.0)
    # The conventional synaptic-events-only figure stays in the file under its old name.
    assert ops["training/energy_per_example_45nm"] == pytest.approx(events * 0.9)
    summary = comparison.network_summary().set_index("network")
    assert summary.loc["mlp", "architecture"] == "784-100-10"
    assert summary.loc["logreg", "architecture"] == "784-10"
    # One energy unit (pJ) and accuracy as a fraction, everywhere.
    assert summary.loc["mlp", "training_energy_arithmetic_pJ"] == pytest.approx(
        work.loc[("mlp", "training"), "energy_arithmetic_pJ"])
    assert summary.loc["mlp", "test_accuracy"] == pytest.approx(
        comparison.networks["mlp"].test_accuracy)
    assert not [c for c in summary.columns if c.endswith(("_uJ", "_pct"))]


def test_energy_by_operation_sums_to_the_totals_and_names_its_sources(comparison):
    work = comparison.work_per_example().set_index(["network", "phase"])
    for name, net in comparison.networks.items():
        table = net.energy_by_operation()
        assert len(table)
        for phase, rows in table.groupby("phase"):  # the spiking labelling (assignment) too
            for kind in ("arithmetic", "with_sram", "with_dram"):
                assert rows[f"energy_{kind}_pJ"].sum() == pytest.approx(
                    work.loc[(name, phase), f"energy_{kind}_pJ"]), (name, phase, kind)
        assert (table.arithmetic_pJ > 0).all() and (table.sram_traffic_pJ > 0).all()
        assert all(table.source.str.len() > 0)
        sources = net.energy_sources()
        assert "Horowitz" in sources[f"costs/{table.operation.iloc[0]}/arithmetic_pj"]
        assert "640 pJ" in sources[f"costs/{table.operation.iloc[0]}/dram_traffic_pj"]
    assert set(comparison.networks["stdp"].energy_by_operation().operation) == {
        "synaptic_event", "neuron_update", "plasticity_pre", "plasticity_post",
        "plasticity_post_term"}
    assert set(comparison.networks["mlp"].energy_by_operation().operation) == {
        "mac_forward", "mac_backward", "weight_update"}


def test_receptive_fields_and_weight_matrices(comparison, comparison_run):
    stdp = comparison.spiking_networks["stdp"]
    assert stdp.n_exc == 16 and comparison.populations["stdp_exc"].size == 16
    fields = stdp.receptive_fields()
    assert fields.shape == (16, 28, 28)
    with h5py.File(comparison_run) as f:
        last = f["report/stdp_input_exc/data"][-1]
        layer1 = f["report/mlp_layer1/data"][-1]
    # FORMAT.md: node k owns its 784 input weights in pixel order.
    np.testing.assert_array_equal(fields[5].ravel(), last[5 * 784:6 * 784])
    assert stdp.input_weights.time_units == "examples"
    np.testing.assert_array_equal(stdp.input_weights.time, [0, 20, 40, 60])
    assert stdp.theta.shape == (4, 16) and stdp.theta.units == "mV"
    assert stdp.neuron_class.shape == (16,) and stdp.neuron_class.max() <= 10

    mlp = comparison.rate_networks["mlp"]
    assert [layer.name for layer in mlp.layers] == ["mlp_layer1", "mlp_layer2"]
    matrix = mlp.weight_matrix(1)
    assert matrix.shape == (100, 784)
    # element_ids = node * n_in + source, in node order: row j is elements j*784 ... j*784+783.
    np.testing.assert_array_equal(matrix[7], layer1[7 * 784:8 * 784])
    assert mlp.weight_matrix(2, frame=0).shape == (10, 100)


def test_spikes_of_a_network_trained_on_a_task(comparison):
    spikes = comparison.spiking_networks["stdp"].spikes
    assert spikes.n_nodes == 16 and len(spikes) > 0
    assert spikes.node_ids.max() < 16
    assert spikes.t_stop_ms > spikes.times_ms.max()


def test_an_interrupted_run_loads_with_a_warning(interrupted_run):
    with pytest.warns(IncompleteRunWarning, match="did not finish.*ms simulated"):
        run = spikerate.load(interrupted_run)
    with run:
        assert not run.complete
        spikes = run.spikes["exc"]
        assert len(spikes) > 0 and np.all(np.diff(spikes.times_ms) >= 0)
        # SIGINT writes the metrics: the simulated time is where the run stopped.
        assert run.simulated_time_ms == pytest.approx(spikes.times_ms.max(), abs=1.0)
        report = run.reports["v_exc"]
        np.testing.assert_allclose(report.time, 0.1 * np.arange(report.n_frames), atol=1e-6)
    # Asking for the final name finds the .partial file the run left.
    final_name = interrupted_run.with_name(interrupted_run.name[:-len(".partial")])
    with pytest.warns(IncompleteRunWarning):
        with spikerate.load(final_name) as run:
            assert run.path == interrupted_run


def test_a_killed_run_loads_what_was_flushed(killed_run):
    with pytest.warns(IncompleteRunWarning):
        run = spikerate.load(killed_run)
    with run:
        assert "simulated_time_ms" not in run.metrics  # killed before the metrics
        times = run.spikes["exc"].times_ms
        assert times.size > 0 and np.all(np.diff(times) >= 0)
        frames = run.reports["v_exc"]
        assert frames.n_frames > 0
        # Without the metric, the run lasted at least until the latest spike or frame.
        assert run.simulated_time_ms == max(times.max(), frames.time[-1])
        assert run.populations["exc"].size == 3200


def test_files_that_are_not_runs_are_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such run file"):
        spikerate.load(tmp_path / "absent.h5")
    text = tmp_path / "notes.h5"
    text.write_text("not HDF5")
    with pytest.raises(NotASpikerateFile, match="not an HDF5 file"):
        spikerate.load(text)
    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as f:
        f["x"] = [1, 2, 3]
    with pytest.raises(NotASpikerateFile, match="no spikerate_version or format_version"):
        spikerate.load(foreign)


def test_a_newer_format_is_refused_by_name(coba_run, tmp_path):
    newer = tmp_path / "newer.h5"
    newer.write_bytes(coba_run.read_bytes())
    with h5py.File(newer, "a") as f:
        f.attrs["format_version"] = np.int32(spikerate.FORMAT_VERSION + 1)
    with pytest.raises(UnsupportedFormatVersion, match="format_version 2 is newer"):
        spikerate.load(newer)


def test_a_complete_run_loads_without_warnings(coba_run):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        spikerate.load(coba_run).close()


def test_neo_spiketrains(coba):
    neo = pytest.importorskip("neo")
    trains = coba.spikes["inh"].to_neo()
    assert len(trains) == 800
    assert all(isinstance(t, neo.SpikeTrain) for t in trains)
    assert trains[0].units == neo.SpikeTrain([1.0], t_stop=2.0, units="ms").units
    assert float(trains[0].t_stop.magnitude) == coba.spikes["inh"].t_stop_ms
    np.testing.assert_array_equal(trains[17].magnitude, coba.spikes["inh"].trains[17])
    assert trains[17].annotations == {"population": "inh", "node_id": 17, "network": "",
                                      "role": "spikes"}
    in_seconds = coba.spikes["inh"].to_neo(units="s")
    np.testing.assert_allclose(in_seconds[17].magnitude, trains[17].magnitude / 1000.0)


def test_metrics_as_flat_dict(comparison):
    assert comparison.metrics["energy/pj_per_synaptic_op_loihi"] == 23.6
    assert comparison.metric_units["energy/pj_per_synaptic_op_loihi"] == "pJ"
    assert isinstance(comparison.metrics["rate/mlp/curve/test_accuracy"], np.ndarray)
    assert isinstance(comparison.metrics["rate/mlp/examples_seen"], int)
    assert isinstance(comparison.spikes_frame(), pd.DataFrame)


def test_stdp_window_of_the_engine_matches_the_closed_form(pairing_run):
    with spikerate.load(pairing_run) as run:
        projection = run.scenario["projections"]["pre_post"]
        rule = projection["plasticity"]
        report = run.reports["pre_post"]
        pre, post = run.spikes["pre"], run.spikes["post"]
        assert len(post) == 1 and len(pre) == 40  # one pair per synapse
        pairs = spikerate.stats.stdp_window(
            pre.times_ms, pre.node_ids, post.times_ms, post.node_ids, report.pre, report.post,
            report.frame_data(0), report.frame_data(-1), projection["delay_ms"])
        largest = report.data[()].max()
    assert len(pairs) == 40
    assert (pairs.lag_ms < 0).sum() == (pairs.lag_ms > 0).sum() == 20
    lag = pairs.lag_ms.to_numpy()
    exact = np.where(lag > 0, rule["A_plus"] * np.exp(-lag / rule["tau_plus_ms"]),
                     -rule["A_minus"] * np.exp(lag / rule["tau_minus_ms"]))
    # Both frames are stored as float32: each weight is off by at most half the float32
    # spacing at its magnitude, so a difference by at most one spacing.
    spacing = float(np.spacing(np.float32(largest)))
    np.testing.assert_allclose(pairs.dw, exact, rtol=0, atol=spacing)


def test_the_file_describes_the_scenario_network(coba):
    """Populations and projections come from /populations and /projections, with units."""
    assert coba.describes_itself
    exc = coba.populations["exc"]
    assert (exc.size, exc.model, exc.kind, exc.network, exc.local_name) == (
        3200, "lif_cond", "neuron", "", "exc")
    assert exc.weight_unit == "nS" and exc.variable_units["V_m"] == "mV"
    assert coba.populations["inh"].index == exc.index + 1
    projection = coba.projections["exc_inh"]
    assert (projection.pre, projection.post, projection.weight_unit) == ("exc", "inh", "nS")
    assert projection.plasticity == "none" and projection.synapses > 0
    assert projection.receptor == "excitatory"
    assert coba.projections["inh_exc"].receptor == "inhibitory"
    assert projection.synapses == coba.metrics["projections/exc_inh/synapses"]
    assert coba.spikes["exc"].role == "spikes" and coba.spikes["exc"].network == ""
    v = coba.reports["v_exc"]
    assert (v.role, v.population_name, v.variable) == ("state", "exc", "V_m")
    assert v.units == coba.populations[v.population_name].variable_units[v.variable]


def test_a_learner_is_found_by_its_roles_not_its_names(comparison):
    stdp = comparison.spiking_networks["stdp"]
    assert stdp.input_weights.role == "input_weights" and stdp.input_weights.network == "stdp"
    assert stdp.input_shape == (28, 28)
    # built in the order of their names (a TOML table's), as a scenario's own network
    assert [p.local_name for p in stdp.populations.values()] == ["exc", "inh", "input"]
    assert stdp.input_population.size == 784 and stdp.input_population.kind == "source"
    assert stdp.learning_population.name == "stdp_exc"
    assert stdp.architecture == "784-16+16 (exc+inh)"
    projection = comparison.projections[stdp.input_weights.projection]
    assert projection.plasticity == "nearest_triplet_stdp" and projection.network == "stdp"
    assert stdp.theta.role == "adaptive_threshold" and stdp.theta.variable == "theta"
    assert stdp.spikes.role == "readout_spikes"
    mlp = comparison.rate_networks["mlp"]
    assert [r.layer for r in mlp.layers] == [1, 2]
    assert mlp.layers[0].input_shape == (28, 28) and mlp.layers[1].input_shape == (100,)
    assert [r.role for r in mlp.biases] == ["layer_biases"] * 2


def test_renamed_reports_are_still_found_by_their_roles(comparison_run, tmp_path):
    """Nothing is found by name: renaming a learner's reports and spike group changes nothing."""
    renamed = tmp_path / "renamed.h5"
    renamed.write_bytes(comparison_run.read_bytes())
    with h5py.File(renamed, "a") as f:
        f.move("report/stdp_input_exc", "report/fields")
        f.move("report/mlp_layer1", "report/first")
        f.move("spikes/stdp_exc", "spikes/trained")
    with spikerate.load(renamed) as run:
        stdp = run.spiking_networks["stdp"]
        assert stdp.input_weights.name == "fields"
        assert stdp.receptive_fields().shape == (16, 28, 28)
        assert stdp.spikes.population == "trained" and stdp.spikes.n_nodes == 16
        assert [r.name for r in run.rate_networks["mlp"].layers] == ["first", "mlp_layer2"]
        assert run.rate_networks["mlp"].architecture == "784-100-10"


def test_a_file_written_before_the_descriptions_still_loads(comparison_run, tmp_path):
    """Older files: no /populations, no roles. Curves, metrics and the reports named as format 1
    named them still load; what only the descriptions say is None or needs an argument."""
    old = tmp_path / "old.h5"
    old.write_bytes(comparison_run.read_bytes())
    with h5py.File(old, "a") as f:
        del f["populations"], f["projections"]
        for group in [*f["report"].values(), *f["spikes"].values()]:
            for name in [n for n in group.attrs if n != "sorting"]:
                del group.attrs[name]
    with spikerate.load(old) as run:
        assert not run.describes_itself
        assert run.projections == {}
        stdp = run.spiking_networks["stdp"]
        assert stdp.input_weights.name == "stdp_input_exc" and stdp.n_exc == 16
        assert stdp.architecture is None and stdp.populations == {}
        with pytest.raises(ValueError, match="no input_shape attribute"):
            stdp.receptive_fields()
        assert stdp.receptive_fields(shape=(28, 28)).shape == (16, 28, 28)
        assert stdp.spikes.n_nodes == 16
        assert run.rate_networks["mlp"].architecture is None
        assert [r.name for r in run.rate_networks["mlp"].layers] == ["mlp_layer1", "mlp_layer2"]
        assert len(run.learning_curves()) == 2


def test_run_to_neo_block(coba):
    neo = pytest.importorskip("neo")
    block = coba.to_neo()
    assert isinstance(block, neo.Block) and len(block.segments) == 1
    segment = block.segments[0]
    assert len(segment.spiketrains) == sum(s.n_nodes for s in coba.spikes.values())
    assert all(isinstance(t, neo.SpikeTrain) for t in segment.spiketrains)
    inh = [t for t in segment.spiketrains if t.annotations["population"] == "inh"]
    np.testing.assert_array_equal(inh[17].magnitude, coba.spikes["inh"].trains[17])
    [signal] = segment.analogsignals
    report = coba.reports["v_exc"]
    assert isinstance(signal, neo.AnalogSignal)
    assert signal.shape == report.shape
    assert str(signal.units.dimensionality) == "mV"
    assert float(signal.sampling_period.rescale("ms").magnitude) == pytest.approx(report.step)
    np.testing.assert_array_equal(signal.array_annotations["node_id"], report.node_ids)
    np.testing.assert_array_equal(signal.magnitude[:, 2], report.data[:, 2])
    assert signal.annotations["variable"] == "V_m"


def test_trained_networks_state_is_not_a_signal_in_time(comparison):
    pytest.importorskip("neo")
    block = comparison.to_neo()
    assert not block.segments[0].analogsignals  # theta's axis counts examples, not ms
    from spikerate.neo_conversion import to_neo_analogsignal
    with pytest.raises(ValueError, match="time axis in examples"):
        to_neo_analogsignal(comparison.spiking_networks["stdp"].theta)
