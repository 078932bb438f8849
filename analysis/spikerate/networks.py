"""The networks a comparison run trained (``/metrics/rate/<name>``, ``/metrics/spiking/<name>``)
and the populations of a run, as :mod:`spikerate.run` gives them (``run.networks``,
``run.populations``); re-exported there."""

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from .records import _decode, _flat_datasets, _scalar


@dataclass(frozen=True)
class Population:
    """A population of the run, as ``/populations/<name>`` describes it: its name (the key of
    ``run.populations`` and of ``run.spikes``), size and model, the learner whose network it is
    (``network``, ``""`` for the scenario's network), its name there (``local_name``), its
    position there (``index``), ``kind`` (``"neuron"`` or ``"source"``), the unit of the
    weights onto it and the unit of each state variable (``variable_units``).

    For files written before the descriptions, only the scenario's ``[populations]`` (size,
    model) and other recorded spike groups (size from the largest node id, with
    ``size_is_lower_bound``) are known; the rest is None."""
    name: str
    size: int
    model: str = None
    size_is_lower_bound: bool = False
    network: str = None
    local_name: str = None
    index: int = None
    kind: str = None
    weight_unit: str = None
    variable_units: dict = None


@dataclass(frozen=True)
class Projection:
    """A projection of the run, as ``/projections/<name>`` describes it: ``pre`` and ``post``
    (keys of ``run.populations``), ``synapses``, ``weight_unit``, ``plasticity`` (the rule's
    id, ``"none"`` for static synapses), ``receptor`` (``"excitatory"`` or ``"inhibitory"``),
    ``network`` and ``local_name`` as for :class:`Population`."""
    name: str
    pre: str
    post: str
    synapses: int
    weight_unit: str
    plasticity: str
    receptor: str = None
    network: str = ""
    local_name: str = None


class _Network:
    """What rate and spiking networks trained on a task share: a learning curve, operation
    counts, a confusion matrix, under ``/metrics/<paradigm>/<name>``."""

    paradigm = ""

    def __init__(self, run, group, name):
        self._run = run
        self._group = group
        self.name = name

    def _value(self, path, default=None):
        return _scalar(self._group[path][()]) if path in self._group else default

    @property
    def curve(self):
        """The learning curve: one row per evaluation point, indexed by examples seen; columns
        as stored (test_accuracy as a fraction, losses, spike counts...)."""
        g = self._group["curve"]
        columns = {name: g[name][()] for name in sorted(g) if name != "examples_seen"}
        seen = g["examples_seen"][()].astype(np.int64)
        n = min([seen.size, *(c.size for c in columns.values())])  # a run may stop between appends
        return pd.DataFrame({k: v[:n] for k, v in columns.items()},
                            index=pd.Index(seen[:n], name="examples_seen"))

    @property
    def label_curve(self):
        """The label-budget curves (scenarios with ``label_budgets``): one row per (evaluation
        point, budget) with columns examples_seen, label_budget (0 = every label seen),
        labels_used and the accuracies (fractions); empty without budgets."""
        if "label_curve" not in self._group:
            return pd.DataFrame(columns=["examples_seen", "label_budget", "labels_used",
                                         "test_accuracy"])
        g = self._group["label_curve"]
        columns = {name: g[name][()] for name in sorted(g)}
        n = min(c.size for c in columns.values())  # a run may stop between appends
        frame = pd.DataFrame({k: v[:n] for k, v in columns.items()})
        for name in ("examples_seen", "label_budget", "labels_used"):
            frame[name] = frame[name].astype(np.int64)
        first = ["examples_seen", "label_budget", "labels_used"]
        return frame[first + [c for c in frame.columns if c not in first]]

    @property
    def examples_seen(self):
        return self._value("examples_seen")

    @property
    def test_accuracy(self):
        """Fraction of the test set classified right at the last point (None before any)."""
        return self._value("test_accuracy")

    @property
    def test_confusion(self):
        """[true class, predicted class] counts at the last point, or None."""
        return self._group["test_confusion"][()] if "test_confusion" in self._group else None

    @property
    def operations(self):
        """Every count under ``operations/`` as a flat dict (path below it -> value)."""
        return _flat_datasets(self._group, "operations", lambda obj: _scalar(obj[()]))

    @property
    def energy(self):
        """Every figure under ``energy/`` as a flat dict (path below it -> value): the costs of
        each operation class (``costs/<class>/...``) and, per phase, the operations per example
        of each class and the totals (layout: sim/io/FORMAT.md, "Energy"). {} for files
        written before the energy model."""
        return _flat_datasets(self._group, "energy", lambda obj: _scalar(obj[()]))

    def energy_sources(self):
        """{path below ``energy/``: the ``source`` attribute} of every cost and total."""
        return _flat_datasets(self._group, "energy",
                              lambda obj: _decode(obj.attrs.get("source", "")))

    def energy_by_operation(self):
        """One row per phase and operation class: ``phase``, ``operation`` (the class),
        ``count_per_example``, the unit costs [pJ] ``arithmetic_pJ``, ``sram_traffic_pJ``,
        ``dram_traffic_pJ``, the class's energy per example [pJ] ``energy_arithmetic_pJ``,
        ``energy_with_sram_pJ``, ``energy_with_dram_pJ``, and ``source`` (where its operations
        were counted)."""
        energy, sources = self.energy, self.energy_sources()
        rows = []
        for path, count in energy.items():
            phase, _, leaf = path.partition("/")
            if (phase == "costs" or not leaf.endswith("_per_example")
                    or leaf.endswith("pj_per_example")):
                continue
            op = leaf[:-len("_per_example")]
            cost = {k: energy.get(f"costs/{op}/{k}", np.nan)
                    for k in ("arithmetic_pj", "sram_traffic_pj", "dram_traffic_pj")}
            rows.append(dict(
                phase=phase, operation=op, count_per_example=count,
                arithmetic_pJ=cost["arithmetic_pj"], sram_traffic_pJ=cost["sram_traffic_pj"],
                dram_traffic_pJ=cost["dram_traffic_pj"],
                energy_arithmetic_pJ=count * cost["arithmetic_pj"],
                energy_with_sram_pJ=count * (cost["arithmetic_pj"] + cost["sram_traffic_pj"]),
                energy_with_dram_pJ=count * (cost["arithmetic_pj"] + cost["dram_traffic_pj"]),
                source=sources.get(f"costs/{op}/adds", "")))
        return pd.DataFrame(rows, columns=[
            "phase", "operation", "count_per_example", "arithmetic_pJ", "sram_traffic_pJ",
            "dram_traffic_pJ", "energy_arithmetic_pJ", "energy_with_sram_pJ",
            "energy_with_dram_pJ", "source"])

    def energy_per_example(self, phase):
        """The totals of ``phase`` [pJ per example]: ``arithmetic``, ``with_sram``,
        ``with_dram`` and ``loihi`` (NaN where not written)."""
        energy = self.energy
        return {kind: energy.get(f"{phase}/{kind}_pj_per_example", np.nan)
                for kind in ("arithmetic", "with_sram", "with_dram", "loihi")}


class RateNetwork(_Network):
    """A network trained by backpropagation: ``/metrics/rate/<name>`` and its weight reports
    ``/report/<name>_layer<k>`` (and ``_bias``), with a time axis in examples seen."""

    paradigm = "backprop"

    def __repr__(self):
        return f"<RateNetwork {self.name!r} {self.architecture}>"

    def _reports(self, role):
        """This network's reports of ``role``, by layer."""
        found = [r for r in self._run.reports.values() if r.network == self.name and r.role == role]
        return sorted(found, key=lambda r: r.layer)

    @cached_property
    def layers(self):
        """Weight reports of layers 1, 2, ... (layer 1 takes the input), found by their role
        ``layer_weights``; in files written before roles, by the names format 1 gave them
        (``<name>_layer<k>``)."""
        if self._run.describes_itself:
            return self._reports("layer_weights")
        found, k = [], 1
        while f"{self.name}_layer{k}" in self._run.reports:
            found.append(self._run.reports[f"{self.name}_layer{k}"])
            k += 1
        return found

    @cached_property
    def biases(self):
        """Bias reports of layers 1, 2, ... (role ``layer_biases``)."""
        if self._run.describes_itself:
            return self._reports("layer_biases")
        return [self._run.reports[f"{layer.name}_bias"] for layer in self.layers
                if f"{layer.name}_bias" in self._run.reports]

    @property
    def input_shape(self):
        """Shape of one input as the file states it (``(28, 28)`` for MNIST), or None."""
        return self.layers[0].input_shape if self.layers else None

    @property
    def architecture(self):
        """Layer sizes as ``"784-100-10"`` (the input's size from ``input_shape``, the layers'
        from their weight reports), or None without weight reports or, in files written before
        roles, without an input shape."""
        if not self.layers or self.input_shape is None:
            return None
        sizes = [int(np.prod(self.input_shape))] + [layer.node_ids.size for layer in self.layers]
        return "-".join(map(str, sizes))

    def weight_matrix(self, layer=1, frame=-1):
        """Weights of layer ``layer`` (1-based) at a frame as an [n_out, n_in] array."""
        report = self.layers[layer - 1]
        n_in = int(np.prod(report.input_shape)) if report.input_shape else int(report.pre.max()) + 1
        matrix = np.zeros((report.node_ids.max() + 1, n_in), dtype=np.float32)
        matrix[report.post, report.pre] = report.frame_data(frame)
        return matrix

    @property
    def training_ops_per_example(self):
        """Multiply-accumulates per training example (forward + backward)."""
        ops = self.operations
        return ops.get("forward_macs_per_example", 0) + ops.get("backward_macs_per_example", 0)

    @property
    def test_ops_per_example(self):
        return self.operations.get("forward_macs_per_example")


class SpikingNetwork(_Network):
    """A spiking network trained on the task (``[spiking.<name>]``): ``/metrics/spiking/<name>``,
    and the reports and spike groups whose ``network`` attribute names it: its input weights
    (role ``input_weights``), adaptive thresholds (``adaptive_threshold``) and its readout
    population's spikes (``readout_spikes``); its populations under ``/populations``. Files written before
    the roles are read by the names format 1 gave them (``<name>_input_exc``, ``<name>_theta``,
    ``<name>_exc``), without populations."""

    paradigm = "stdp"

    def __repr__(self):
        return f"<SpikingNetwork {self.name!r} {self.architecture}>"

    def _record(self, records, role, old_name):
        if self._run.describes_itself:
            return next((r for r in records.values()
                         if r.network == self.name and r.role == role), None)
        return records.get(old_name)

    @property
    def input_weights(self):
        """The input weights (role ``input_weights``): node = neuron of the population they
        project onto, elements = its inputs; None if not recorded."""
        return self._record(self._run.reports, "input_weights", f"{self.name}_input_exc")

    @property
    def theta(self):
        """Adaptive threshold theta per neuron, per frame (role ``adaptive_threshold``), in the
        report's units (mV); None if not recorded."""
        return self._record(self._run.reports, "adaptive_threshold", f"{self.name}_theta")

    @property
    def spikes(self):
        """The readout population's spikes in the recorded windows (role ``readout_spikes``),
        or None."""
        return self._record(self._run.spikes, "readout_spikes", f"{self.name}_exc")

    @property
    def populations(self):
        """This network's populations (:class:`Population`) in the order it built them; {} for
        files written before the descriptions."""
        found = [p for p in self._run.populations.values() if p.network == self.name]
        return {p.name: p for p in sorted(found, key=lambda p: p.index)}

    @property
    def input_population(self):
        """The population the input weights come from (:class:`Population`), or None."""
        report = self.input_weights
        if report is None or report.projection is None:
            return None
        return self._run.populations[self._run.projections[report.projection].pre]

    @property
    def learning_population(self):
        """The population the input weights project onto (the neurons that learn features and
        are labelled; :class:`Population`), or None."""
        report = self.input_weights
        if report is None or report.population_name is None:
            return None
        return self._run.populations[report.population_name]

    @property
    def n_exc(self):
        """Neurons of the learning population (the size the file states; in files written
        before the descriptions, the nodes of the recorded input weights or thresholds, or the
        length of ``neuron_class``); None if the file holds none of these."""
        population = self.learning_population
        if population is not None:
            return population.size
        for report in (self.theta, self.input_weights):
            if report is not None:
                return int(report.node_ids.size)
        if "neuron_class" in self._group:
            return int(self._group["neuron_class"].shape[-1])
        return None

    @property
    def input_shape(self):
        """Shape of one input as the file states it (``(28, 28)`` for MNIST), or None."""
        report = self.input_weights
        return None if report is None else report.input_shape

    @property
    def architecture(self):
        """``"784-100+100 (exc+inh)"``: the input population's size, then the sizes of the
        network's neuron populations in the order it built them, with their names; None when
        the file does not describe them."""
        source = self.input_population
        neurons = [p for p in self.populations.values() if p.kind == "neuron"]
        if source is None or not neurons:
            return None
        return (f"{source.size}-" + "+".join(str(p.size) for p in neurons)
                + f" ({'+'.join(p.local_name for p in neurons)})")

    @property
    def neuron_class(self):
        """Label of each excitatory neuron at the last point (``classes`` = unassigned)."""
        if "neuron_class" not in self._group:
            return None
        return self._group["neuron_class"][()].reshape(-1).astype(np.int64)

    def receptive_fields(self, frame=-1, shape=None):
        """Input weights of each neuron of the learning population as an image of the input's
        shape (``input_shape``, e.g. 28 x 28): array [n_exc, *shape]. Files written before
        ``input_shape`` need ``shape``."""
        if self.input_weights is None:
            raise ValueError(f"spiking network {self.name!r}: its input weights were not "
                             f"recorded (record_weights = false)")
        return self.input_weights.receptive_fields(frame, shape)

    @property
    def operations_by_phase(self):
        """Counts per phase (rows training, assignment, test) as a DataFrame."""
        rows = {}
        for path, value in self.operations.items():
            phase, _, name = path.partition("/")
            rows.setdefault(phase, {})[name] = value
        return pd.DataFrame.from_dict(rows, orient="index")

    @property
    def training_ops_per_example(self):
        """Synaptic events per training example."""
        return self.operations.get("training/synaptic_events_per_example")

    @property
    def test_ops_per_example(self):
        return self.operations.get("test/synaptic_events_per_example")
