"""What a run file holds, read lazily: spike groups (:class:`Spikes`) and frame reports
(:class:`FrameReport`), and the helpers that turn HDF5 values into Python ones. :mod:`spikerate.run`
builds them; they are re-exported there."""

import warnings
from functools import cached_property

import h5py
import numpy as np
import pandas as pd


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


def _renamed(old, new, old_value, new_value, where):
    """The value of a time argument renamed from ``old`` to ``new`` (``new`` wins; the old name
    still works, with a DeprecationWarning)."""
    if old_value is None:
        return new_value
    if new_value is not None:
        raise TypeError(f"{where}: give {new}= only, not also {old}=")
    warnings.warn(f"{where}: {old}= is deprecated, use {new}=", DeprecationWarning, stacklevel=3)
    return old_value


class _Described:
    """The role attributes of a spike group or frame report (sim/io/FORMAT.md, "Roles of spike
    groups and reports"): None where the file does not say (attributes not written, or a file
    written before them)."""

    def _attr(self, name):
        value = self._group.attrs.get(name)
        return None if value is None else _decode(_scalar(value))

    @property
    def network(self):
        """The learner that wrote it (``"stdp"``, ``"mlp"``), ``""`` for the scenario's
        network, None if the file does not say."""
        return self._attr("network")

    @property
    def role(self):
        """What it holds: ``"spikes"``, ``"weights"``, ``"state"``, ``"input_weights"``,
        ``"adaptive_threshold"``, ``"readout_spikes"``, ``"layer_weights"``,
        ``"layer_biases"``; None if the file does not say."""
        return self._attr("role")

    @property
    def population_name(self):
        """The population of its nodes (a key of ``run.populations``), or None."""
        return self._attr("population")

    @property
    def projection(self):
        """Weight reports of a projection: its name (a key of ``run.projections``), or None."""
        return self._attr("projection")

    @property
    def variable(self):
        """State reports: the state variable, or None."""
        return self._attr("variable")

    @property
    def input_shape(self):
        """Weights from a task's input: the shape of one input as a tuple (``(28, 28)``), or
        None."""
        value = self._group.attrs.get("input_shape")
        return None if value is None else tuple(int(n) for n in np.atleast_1d(value))

    @property
    def layer(self):
        """Rate-network reports: the layer (1 = after the input), or None."""
        value = self._group.attrs.get("layer")
        return None if value is None else int(value)


def _scalar(value):
    """numpy scalars to Python numbers, arrays unchanged."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, np.generic):
        return value.item()
    return value


class Spikes(_Described):
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
    network, role
        What the file says of the group (:class:`_Described`), None for files without it.
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


class FrameReport(_Described):
    """A SONATA frame report, ``/report/<name>``: recorded weights or state variables.

    Frame ``f`` (row ``f`` of :attr:`data`) was taken at ``time[f]`` (in :attr:`time_units`,
    ``"ms"``, or ``"examples"`` for networks trained on a task). Column ``e`` belongs to the
    node ``post[e]`` (the postsynaptic neuron for weights, the neuron for state variables) and,
    for weights, comes from the source node ``pre[e]``. :attr:`role`, :attr:`network`,
    :attr:`input_shape`, ... say what it holds (None for files written before they existed).
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

    def receptive_fields(self, frame=-1, shape=None):
        """Weights of one frame arranged as images, one per node: array [nodes, *shape];
        see :func:`spikerate.stats.receptive_fields`. ``shape`` defaults to the report's
        :attr:`input_shape` (e.g. (28, 28) for MNIST); ValueError if the file gives none (a
        report that is not of input weights, or a file written before the attribute: pass
        ``shape`` then)."""
        from . import stats
        if self.pre is None:
            raise ValueError(f"report {self.name!r} is a state report: it has no sources")
        if shape is None:
            shape = self.input_shape
            if shape is None:
                raise ValueError(f"report {self.name!r} has no input_shape attribute (not input "
                                 f"weights, or written before spikerate wrote it): pass shape=")
            if len(shape) == 1:
                shape = (1, shape[0])
        return stats.receptive_fields(self.frame_data(frame), self.index_pointers, self.pre,
                                      shape)
