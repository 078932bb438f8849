"""Reading a spikerate run file (the HDF5 layout of sim/io/FORMAT.md).

    run = spikerate.load("build/demo/stdp_vs_backprop.h5")
    run.scenario["training"]["examples"]        # the resolved scenario, as a dict
    run.spikes["stdp_exc"].frame                 # spikes as a DataFrame (t_ms, node_id)
    run.spikes["stdp_exc"].trains                # one array of spike times [ms] per neuron
    run.reports["stdp_input_exc"].frame_data(-1) # last frame of a weight report, read on demand
    run.networks["mlp"].curve                    # learning curve on the examples-seen axis
    run.metrics["metrics/energy/pj_per_mac_45nm"]

Everything large (spike times, report frames) is read only when it is first used, and the file
stays open until :meth:`Run.close` (or the end of a ``with`` block). Time is in ms, rates in Hz,
energies in pJ, as in the file.
"""

import math
import warnings
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import h5py
import numpy as np
import pandas as pd

try:
    import tomllib
except ImportError:  # Python < 3.11: the scenario stays available as text
    tomllib = None

__all__ = ["load", "Run", "Spikes", "FrameReport", "Population", "RateNetwork",
           "SpikingNetwork", "NotASpikerateFile", "UnsupportedFormatVersion",
           "IncompleteRunWarning", "FORMAT_VERSION"]

FORMAT_VERSION = 1  # the newest layout this reader knows (FORMAT.md, "format_version policy")
MNIST_SHAPE = (28, 28)


class NotASpikerateFile(ValueError):
    """The path exists but is not a spikerate run file (not HDF5, or no spikerate root attributes)."""


class UnsupportedFormatVersion(ValueError):
    """The file was written in a newer layout than this package reads."""


class IncompleteRunWarning(UserWarning):
    """The run that wrote the file did not finish; the file holds what was flushed."""


def load(path):
    """Opens a run file and returns a :class:`Run`.

    ``path`` may name the final file (``run.h5``) or the file of an unfinished run
    (``run.h5.partial``). If ``run.h5`` does not exist but ``run.h5.partial`` does (a run still
    going, killed or failed), that one is opened. An unfinished run is loaded with an
    :class:`IncompleteRunWarning`: it holds everything up to its last flush.

    Raises FileNotFoundError, :class:`NotASpikerateFile` (not HDF5, or not written by
    spikerate) or :class:`UnsupportedFormatVersion`.
    """
    return Run(path)


def _decode(value):
    return value.decode("utf-8") if isinstance(value, bytes) else value


def _flat_datasets(parent, group, value):
    """{path below parent[group]: value(dataset)} for every dataset in that group ({} without it)."""
    found = {}
    if group in parent:
        parent[group].visititems(
            lambda name, obj: found.__setitem__(name, value(obj))
            if isinstance(obj, h5py.Dataset) else None)
    return found


def _scalar(value):
    """numpy scalars to Python numbers, arrays unchanged."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, np.generic):
        return value.item()
    return value


class Spikes:
    """The spikes of one population: ``/spikes/<population>/{timestamps, node_ids}``.

    Attributes
    ----------
    population : str
    n_nodes : int
        Neurons in the population, silent ones included (see :class:`Population`).
    t_start_ms, t_stop_ms : float
        The recorded window [ms], half-open as in :mod:`spikerate.stats`: from 0 to just
        above the simulated time, so that spikes stamped at the end of the last step (neurons
        on the grid stamp t_n+1) count. For a spiking network trained on a task the end is its
        last spike (the file does not say where its clock stopped); for a killed run, the
        latest time recorded.
    """

    def __init__(self, group, population, n_nodes, t_stop_ms):
        self._group = group
        self.population = population
        self.n_nodes = int(n_nodes)
        self.t_start_ms = 0.0
        self.t_stop_ms = float(t_stop_ms)

    def __len__(self):
        return self._group["timestamps"].shape[0]

    def __repr__(self):
        return (f"<Spikes {self.population!r}: {len(self)} spikes of {self.n_nodes} neurons "
                f"in [{self.t_start_ms:g}, {self.t_stop_ms:g}) ms>")

    @cached_property
    def times_ms(self):
        """Spike times [ms], float64, sorted (ties by node id); read on first use."""
        return self._group["timestamps"][()]

    @cached_property
    def node_ids(self):
        """0-based neuron of each spike, as int64 (stored as uint64); read on first use."""
        return self._group["node_ids"][()].astype(np.int64)

    @property
    def frame(self):
        """The spikes as a DataFrame with columns ``t_ms`` (float64) and ``node_id`` (int64)."""
        return pd.DataFrame({"t_ms": self.times_ms, "node_id": self.node_ids})

    @cached_property
    def trains(self):
        """One sorted array of spike times [ms] per neuron: ``trains[k]`` is neuron k's train."""
        order = np.argsort(self.node_ids, kind="stable")  # keeps each train in time order
        counts = np.bincount(self.node_ids, minlength=self.n_nodes)
        return np.split(self.times_ms[order], np.cumsum(counts)[:-1])

    def rates_hz(self):
        """Mean firing rate of every neuron over [t_start_ms, t_stop_ms) [Hz]."""
        from . import stats
        return stats.firing_rates(self.times_ms, self.node_ids, self.n_nodes,
                                  self.t_start_ms, self.t_stop_ms)

    def between(self, t_start_ms, t_stop_ms):
        """(times_ms, node_ids) of the spikes in [t_start_ms, t_stop_ms)."""
        lo, hi = np.searchsorted(self.times_ms, [t_start_ms, t_stop_ms], side="left")
        return self.times_ms[lo:hi], self.node_ids[lo:hi]

    def to_neo(self, units="ms"):
        """The trains as a list of ``neo.SpikeTrain`` (needs python3-neo); see neo_conversion."""
        from .neo_conversion import to_neo_spiketrains
        return to_neo_spiketrains(self, units=units)


class FrameReport:
    """A SONATA frame report, ``/report/<name>``: recorded weights or state variables.

    Frame ``f`` (row ``f`` of :attr:`data`) was taken at ``time[f]`` (in :attr:`time_units`,
    ``"ms"``, or ``"examples"`` for networks trained on a task). Column ``e`` belongs to the
    node ``post[e]`` (the postsynaptic neuron for weights, the neuron for state variables) and,
    for weights, comes from the source node ``pre[e]``.
    """

    def __init__(self, group, name):
        self._group = group
        self.name = name

    def __repr__(self):
        frames, elements = self.shape
        return (f"<FrameReport {self.name!r} ({self.kind}): {frames} frames x {elements} elements "
                f"[{self.units}], time in {self.time_units}>")

    @property
    def data(self):
        """The frames x elements float32 dataset, read lazily: slice it (``data[-1]``,
        ``data[:, :10]``) to read only that part, ``data[()]`` to read all."""
        return self._group["data"]

    @property
    def shape(self):
        return self.data.shape

    @property
    def n_frames(self):
        return self.data.shape[0]

    @cached_property
    def units(self):
        """Unit of the values (e.g. ``"nS"``, ``"mV"``; ``""`` for rate-network weights)."""
        return _decode(self.data.attrs.get("units", ""))

    def frame_data(self, frame):
        """One frame (a negative index counts from the end) as a float32 array [elements]."""
        return self.data[int(frame) if frame >= 0 else self.n_frames + int(frame)]

    @cached_property
    def _time_triplet(self):
        return self._group["mapping/time"][()]

    @property
    def time_units(self):
        return _decode(self._group["mapping/time"].attrs.get("units", "ms"))

    @property
    def time(self):
        """Time of every frame, ``start + f * step``, in :attr:`time_units` (re-read on each
        call, so a report of a run still writing grows)."""
        start, _, step = self._group["mapping/time"][()]
        return start + step * np.arange(self.n_frames)

    @property
    def step(self):
        """Time between frames, in :attr:`time_units`."""
        return float(self._time_triplet[2])

    @cached_property
    def node_ids(self):
        return self._group["mapping/node_ids"][()].astype(np.int64)

    @cached_property
    def index_pointers(self):
        return self._group["mapping/index_pointers"][()].astype(np.int64)

    @cached_property
    def element_ids(self):
        return self._group["mapping/element_ids"][()].astype(np.int64)

    @cached_property
    def post(self):
        """The node owning each element (column): the postsynaptic neuron for weights."""
        return np.repeat(self.node_ids, np.diff(self.index_pointers))

    @cached_property
    def pre(self):
        """The presynaptic (source) node of each element, or None for state reports."""
        if "source_node_ids" not in self._group["mapping"]:
            return None
        return self._group["mapping/source_node_ids"][()].astype(np.int64)

    @property
    def kind(self):
        """``"weights"`` (a mapping with ``source_node_ids``) or ``"state"``."""
        return "state" if self.pre is None else "weights"

    @property
    def mapping(self):
        """One row per element: ``post`` node, ``pre`` node (weights only), ``element_id``."""
        columns = {"post": self.post, "element_id": self.element_ids}
        if self.pre is not None:
            columns["pre"] = self.pre
        return pd.DataFrame(columns)

    def columns_of(self, node):
        """The slice of columns that belongs to ``node`` (a node id, not an index)."""
        found = np.flatnonzero(self.node_ids == node)
        if found.size == 0:
            raise KeyError(f"report {self.name!r} has no node {node}")
        k = int(found[0])
        return slice(int(self.index_pointers[k]), int(self.index_pointers[k + 1]))

    def node_traces(self):
        """A state report as a DataFrame: one column per node, indexed by frame time."""
        if self.kind != "state":
            raise ValueError(f"report {self.name!r} holds weights, not one value per node")
        return pd.DataFrame(self.data[()], columns=self.node_ids,
                            index=pd.Index(self.time, name=f"t [{self.time_units}]"))

    def receptive_fields(self, frame=-1, shape=MNIST_SHAPE):
        """Weights of one frame arranged as images, one per node: array [nodes, *shape];
        see :func:`spikerate.stats.receptive_fields`."""
        from . import stats
        if self.pre is None:
            raise ValueError(f"report {self.name!r} is a state report: it has no sources")
        return stats.receptive_fields(self.frame_data(frame), self.index_pointers, self.pre,
                                      shape)


@dataclass(frozen=True)
class Population:
    """A population of the run: its name, size and model (``None`` when the file does not say;
    ``size_is_lower_bound`` when the size is only known from the spikes' largest node id)."""
    name: str
    size: int
    model: str = None
    size_is_lower_bound: bool = False


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

    @cached_property
    def layers(self):
        """Weight reports of layers 1, 2, ... (layer 1 takes the input)."""
        found, k = [], 1
        while f"{self.name}_layer{k}" in self._run.reports:
            found.append(self._run.reports[f"{self.name}_layer{k}"])
            k += 1
        return found

    @cached_property
    def biases(self):
        return [self._run.reports[f"{layer.name}_bias"] for layer in self.layers
                if f"{layer.name}_bias" in self._run.reports]

    @property
    def architecture(self):
        """Layer sizes as ``"784-100-10"`` (from the weight reports), or None without them."""
        if not self.layers:
            return None
        sizes = [int(self.layers[0].pre.max()) + 1] + [layer.node_ids.size for layer in self.layers]
        return "-".join(map(str, sizes))

    def weight_matrix(self, layer=1, frame=-1):
        """Weights of layer ``layer`` (1-based) at a frame as an [n_out, n_in] array."""
        report = self.layers[layer - 1]
        n_in = int(report.pre.max()) + 1
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
    """A spiking network trained on the task with STDP (Diehl & Cook 2015):
    ``/metrics/spiking/<name>``, the input weights ``/report/<name>_input_exc``, the adaptive
    thresholds ``/report/<name>_theta`` and the excitatory spikes ``/spikes/<name>_exc``."""

    paradigm = "stdp"

    def __repr__(self):
        return f"<SpikingNetwork {self.name!r} {self.n_exc} excitatory neurons>"

    @property
    def input_weights(self):
        return self._run.reports.get(f"{self.name}_input_exc")

    @property
    def theta(self):
        """Adaptive threshold theta [mV] per excitatory neuron, per frame."""
        return self._run.reports.get(f"{self.name}_theta")

    @property
    def spikes(self):
        return self._run.spikes.get(f"{self.name}_exc")

    @property
    def n_exc(self):
        return self._run._spiking_n_exc(self.name)

    @property
    def architecture(self):
        return f"784-{self.n_exc}+{self.n_exc} (exc+inh)"

    @property
    def neuron_class(self):
        """Label of each excitatory neuron at the last point (``classes`` = unassigned)."""
        if "neuron_class" not in self._group:
            return None
        return self._group["neuron_class"][()].reshape(-1).astype(np.int64)

    def receptive_fields(self, frame=-1):
        """Input weights of each excitatory neuron as a 28 x 28 image: [n_exc, 28, 28]."""
        return self.input_weights.receptive_fields(frame)

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


class Run:
    """An opened run file. Use :func:`load` to make one; a ``with`` block closes it.

    Attributes
    ----------
    path : Path
        The file opened (``.partial`` for an unfinished run).
    complete : bool
        True if the run finished (root attribute ``complete`` = 1).
    scenario_text : str
        The resolved scenario (the scenario file with the ``--set`` overrides applied).
    scenario : dict
        The same parsed as TOML (tables as dicts); keys left at their defaults are absent.
    seed, dt_ms, spikerate_version, format_version
        Root attributes.
    """

    def __init__(self, path):
        path = Path(path)
        if not path.exists():
            partial = path.with_name(path.name + ".partial")
            if partial.exists():
                path = partial
            else:
                raise FileNotFoundError(f"{path}: no such run file (and no {partial.name})")
        self.path = path
        try:
            self._file = h5py.File(path, "r")
        except OSError as error:
            raise NotASpikerateFile(f"{path}: not an HDF5 file, so not a spikerate run file "
                                    f"({error})") from None
        try:
            self._read_root()
        except Exception:
            self._file.close()
            raise
        if not self.complete:
            warnings.warn(self._incomplete_message(), IncompleteRunWarning, stacklevel=3)

    def _read_root(self):
        attrs = self._file.attrs
        missing = [name for name in ("spikerate_version", "format_version") if name not in attrs]
        if missing:
            raise NotASpikerateFile(
                f"{self.path}: not a spikerate run file: the root has no {' or '.join(missing)} "
                f"attribute (an HDF5 file written by something else?)")
        self.format_version = int(attrs["format_version"])
        if self.format_version > FORMAT_VERSION:
            raise UnsupportedFormatVersion(
                f"{self.path}: format_version {self.format_version} is newer than this "
                f"package reads ({FORMAT_VERSION}); update analysis/ to the spikerate that "
                f"wrote the file")
        self.spikerate_version = _decode(attrs["spikerate_version"])
        self.seed = _scalar(attrs.get("seed"))
        self.dt_ms = _scalar(attrs.get("dt_ms"))
        self.scenario_text = _decode(attrs.get("scenario", ""))
        self.complete = bool(attrs.get("complete", 1)) and not self.path.name.endswith(".partial")

    def _incomplete_message(self):
        reached = []
        if "metrics/simulated_time_ms" in self._file:
            reached.append(f"{self._file['metrics/simulated_time_ms'][()]:g} ms simulated")
        for name, network in self.networks.items():
            curve = network.curve
            if len(curve):
                reached.append(f"{name}: {curve.index[-1]} examples evaluated")
        return (f"{self.path} comes from a run that did not finish (still running, killed or "
                f"failed): it holds what was written up to its last flush"
                + (f" ({'; '.join(reached)})" if reached else ""))

    def close(self):
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        state = "complete" if self.complete else "INCOMPLETE"
        return (f"<Run {str(self.path)!r} ({state}, seed {self.seed}): "
                f"spikes {sorted(self.spikes)}, reports {sorted(self.reports)}, "
                f"networks {sorted(self.networks)}>")

    @property
    def file(self):
        """The open h5py.File, for anything this class does not cover."""
        return self._file

    @cached_property
    def scenario(self):
        if tomllib is None:
            raise RuntimeError("parsing the scenario needs Python 3.11 (tomllib); "
                               "use run.scenario_text")
        return tomllib.loads(self.scenario_text)

    @cached_property
    def metrics(self):
        """Every dataset under ``/metrics``, by path below it (``"populations/exc/mean_rate"``):
        scalars as Python numbers, series and matrices as numpy arrays."""
        return _flat_datasets(self._file, "metrics", lambda obj: _scalar(obj[()]))

    @cached_property
    def metric_units(self):
        """Unit of every metric, by the same paths as :attr:`metrics` (``""`` dimensionless)."""
        return _flat_datasets(self._file, "metrics",
                              lambda obj: _decode(obj.attrs.get("units", "")))

    @property
    def simulated_time_ms(self):
        """Time simulated by the network of populations [ms]; for a killed run (no metrics yet)
        the latest spike or frame time recorded, a lower bound. None if nothing says."""
        if "simulated_time_ms" in self.metrics:
            return float(self.metrics["simulated_time_ms"])
        latest = [group["timestamps"][-1] for name, group in self._spike_groups.items()
                  if group["timestamps"].shape[0] and not self._spiking_owner(name)]
        latest += [r.time[-1] for r in self.reports.values()
                   if r.time_units == "ms" and r.n_frames]
        return float(max(latest)) if latest else None

    @cached_property
    def _spike_groups(self):
        return dict(self._file["spikes"].items()) if "spikes" in self._file else {}

    def _spiking_owner(self, population):
        """Name of the spiking network whose excitatory population this is, or None."""
        for name in self._spiking_names:
            if population == f"{name}_exc":
                return name
        return None

    @cached_property
    def _spiking_names(self):
        group = self._file.get("metrics/spiking")
        names = set(group) if group is not None else set()
        try:
            names |= set(self.scenario.get("spiking", {}))
        except (RuntimeError, ValueError):
            pass
        return sorted(names)

    def _spiking_n_exc(self, name):
        for report in (f"{name}_theta", f"{name}_input_exc"):
            if report in self.reports:
                return int(self.reports[report].node_ids.size)
        path = f"metrics/spiking/{name}/neuron_class"
        if path in self._file:
            return int(self._file[path].shape[-1])
        return int(self.scenario.get("spiking", {}).get(name, {}).get("n_exc", 100))

    @cached_property
    def populations(self):
        """Populations by name (:class:`Population`): those of the scenario's
        ``[populations]``, each spiking network's ``<name>_exc`` and ``<name>_inh``, and any
        other population with recorded spikes."""
        found = {}
        try:
            tables = self.scenario.get("populations", {})
        except RuntimeError:
            tables = {}
        for name, table in tables.items():
            found[name] = Population(name, int(table["size"]), table.get("model"))
        for name in self._spiking_names:
            n_exc = self._spiking_n_exc(name)
            found[f"{name}_exc"] = Population(f"{name}_exc", n_exc, "lif_cond")
            found[f"{name}_inh"] = Population(f"{name}_inh", n_exc, "lif_cond")
        for name, group in self._spike_groups.items():
            if name not in found:
                ids = group["node_ids"]
                size = int(ids[()].max()) + 1 if ids.shape[0] else 1
                found[name] = Population(name, size, None, size_is_lower_bound=True)
        return found

    @cached_property
    def spikes(self):
        """Recorded spikes by population (:class:`Spikes`), read lazily."""
        found = {}
        for name, group in self._spike_groups.items():
            owner = self._spiking_owner(name)
            if owner is None and self.simulated_time_ms is not None:
                end = self.simulated_time_ms
            else:  # the training clock: the file does not say where it stopped
                end = group["timestamps"][-1] if group["timestamps"].shape[0] else 0.0
            found[name] = Spikes(group, name, self.populations[name].size,
                                 math.nextafter(float(end), math.inf))
        return found

    def spikes_frame(self):
        """The spikes of every population in one DataFrame (t_ms, node_id, population)."""
        frames = [s.frame.assign(population=name) for name, s in self.spikes.items()]
        if not frames:
            return pd.DataFrame({"t_ms": [], "node_id": [], "population": []})
        return pd.concat(frames, ignore_index=True).sort_values("t_ms", kind="stable")

    @cached_property
    def reports(self):
        """Frame reports by name (:class:`FrameReport`): weights and state variables."""
        if "report" not in self._file:
            return {}
        return {name: FrameReport(group, name) for name, group in self._file["report"].items()}

    @cached_property
    def rate_networks(self):
        group = self._file.get("metrics/rate")
        return {} if group is None else {n: RateNetwork(self, group[n], n) for n in group}

    @cached_property
    def spiking_networks(self):
        group = self._file.get("metrics/spiking")
        return {} if group is None else {n: SpikingNetwork(self, group[n], n) for n in group}

    @property
    def networks(self):
        """Every network trained on the task: spiking ones first, then rate networks."""
        return {**self.spiking_networks, **self.rate_networks}

    def energy_constants_pj(self):
        """The per-operation energies used in the file [pJ] (``/metrics/energy``)."""
        return {path.split("/", 1)[1]: value for path, value in self.metrics.items()
                if path.startswith("energy/")}

    def work_per_example(self):
        """Operations and energy per example of every network, one row per network and phase.

        Columns: ``network``, ``paradigm`` (stdp / backprop), ``phase`` (training / test),
        ``operation`` (the main count: synaptic events for spiking networks, multiply-accumulates
        for rate networks), ``operations_per_example``, and the energy per example with every
        counted operation priced (sim/train/energy.hpp): ``energy_arithmetic_pJ`` (arithmetic
        only), ``energy_with_sram_pJ`` and ``energy_with_dram_pJ`` (plus the memory traffic at
        SRAM or DRAM prices), ``energy_loihi_pJ`` (spiking inference only, else NaN). The
        energies are the ones the run wrote (:meth:`energy_by_operation` of a network has the
        classes they sum); NaN for files written before the energy model.
        """
        rows = []

        def energy(net, phase):
            e = net.energy_per_example(phase)
            return dict(energy_arithmetic_pJ=e["arithmetic"], energy_with_sram_pJ=e["with_sram"],
                        energy_with_dram_pJ=e["with_dram"], energy_loihi_pJ=e["loihi"])

        for name, net in self.spiking_networks.items():
            ops = net.operations
            for phase in ("training", "test"):
                if f"{phase}/synaptic_events_per_example" not in ops:
                    continue
                rows.append(dict(
                    network=name, paradigm="stdp", phase=phase, operation="synaptic events",
                    operations_per_example=ops[f"{phase}/synaptic_events_per_example"],
                    **energy(net, phase)))
        for name, net in self.rate_networks.items():
            ops = net.operations
            if "forward_macs_per_example" not in ops:
                continue
            for phase, count in (("training", net.training_ops_per_example),
                                 ("test", net.test_ops_per_example)):
                rows.append(dict(network=name, paradigm="backprop", phase=phase,
                                 operation="multiply-accumulates", operations_per_example=count,
                                 **energy(net, phase)))
        columns = ["network", "paradigm", "phase", "operation", "operations_per_example",
                   "energy_arithmetic_pJ", "energy_with_sram_pJ", "energy_with_dram_pJ",
                   "energy_loihi_pJ"]
        return pd.DataFrame(rows, columns=columns)

    def learning_curves(self):
        """Test accuracy [%] of every network (columns) by examples seen (index)."""
        curves = {name: 100.0 * net.curve["test_accuracy"] for name, net in self.networks.items()
                  if "curve" in net._group}
        if not curves:
            return pd.DataFrame(index=pd.Index([], name="examples_seen"))
        return pd.DataFrame(curves).rename_axis("examples_seen")

    def label_curves(self):
        """Test accuracy [%] of every network with label budgets (columns) by evaluation point,
        budget and labels used (a MultiIndex: examples_seen, label_budget, labels_used); every
        network of a run uses the same labels at the same (point, budget). Empty without
        budgets."""
        curves = {}
        for name, net in self.networks.items():
            frame = net.label_curve
            if len(frame):
                curves[name] = 100.0 * frame.set_index(
                    ["examples_seen", "label_budget", "labels_used"])["test_accuracy"]
        if not curves:
            return pd.DataFrame(index=pd.MultiIndex.from_arrays(
                [[], [], []], names=["examples_seen", "label_budget", "labels_used"]))
        return pd.DataFrame(curves)

    def population_summary(self):
        """One row per population with recorded spikes: size, spikes, mean rate [Hz],
        recorded window [ms]."""
        rows = []
        for name, spikes in self.spikes.items():
            population = self.populations[name]
            duration_s = (spikes.t_stop_ms - spikes.t_start_ms) / 1000.0
            rows.append(dict(population=name, model=population.model, size=population.size,
                             spikes=len(spikes),
                             mean_rate_Hz=len(spikes) / (population.size * duration_s)
                             if duration_s > 0 else np.nan,
                             t_stop_ms=spikes.t_stop_ms))
        return pd.DataFrame(rows, columns=["population", "model", "size", "spikes",
                                           "mean_rate_Hz", "t_stop_ms"])

    def network_summary(self):
        """One row per trained network: paradigm, layers, examples seen, last and best test
        accuracy [%], training operations and energy per example [uJ] (arithmetic only, and
        with memory traffic at SRAM and at DRAM prices)."""
        work = self.work_per_example()
        rows = []
        for name, net in self.networks.items():
            curve = net.curve if "curve" in net._group else pd.DataFrame()
            training = work[(work.network == name) & (work.phase == "training")]
            rows.append(dict(
                network=name, paradigm=net.paradigm, architecture=net.architecture,
                examples_seen=net.examples_seen,
                test_accuracy_pct=100.0 * curve["test_accuracy"].iloc[-1] if len(curve) else np.nan,
                best_test_accuracy_pct=100.0 * curve["test_accuracy"].max() if len(curve) else np.nan,
                training_operation=training.operation.iloc[0] if len(training) else None,
                training_ops_per_example=training.operations_per_example.iloc[0]
                if len(training) else np.nan,
                **{f"training_energy_{kind}_uJ":
                   training[f"energy_{kind}_pJ"].iloc[0] / 1e6 if len(training) else np.nan
                   for kind in ("arithmetic", "with_sram", "with_dram")}))
        return pd.DataFrame(rows, columns=[
            "network", "paradigm", "architecture", "examples_seen", "test_accuracy_pct",
            "best_test_accuracy_pct", "training_operation", "training_ops_per_example",
            "training_energy_arithmetic_uJ", "training_energy_with_sram_uJ",
            "training_energy_with_dram_uJ"])
