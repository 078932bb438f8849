"""Reading a spikerate run file (the HDF5 layout of sim/io/FORMAT.md).

    run = spikerate.load("build/demo/stdp_vs_backprop.h5")
    run.scenario["training"]["examples"]        # the resolved scenario, as a dict
    run.spikes["stdp_exc"].frame                 # spikes as a DataFrame (t_ms, node_id)
    run.spikes["stdp_exc"].trains                # one array of spike times [ms] per neuron
    run.reports["stdp_input_exc"].frame_data(-1) # last frame of a weight report, read on demand
    run.networks["mlp"].curve                    # learning curve on the examples-seen axis
    run.metrics["metrics/energy/pj_per_mac_45nm"]

Everything large (spike times, report frames) is read only when it is first used, and the file
stays open until :meth:`Run.close` (or the end of a ``with`` block).

Units, everywhere in the package as in the file: time in ms (arguments named ``*_ms``, e.g.
``t_start_ms``), rates in Hz, energies in pJ (columns named ``*_pJ``), accuracies as fractions
of the test set in [0, 1] (never %; format them with ``f"{a:.1%}"``).

What the package shows it reads from the file: populations, projections and the role of every
report and spike group (sim/io/FORMAT.md, "What the file describes"). Files written before
those descriptions (``run.describes_itself`` False) still load: spikes, reports, metrics and
curves as before, the scenario's ``[populations]``, a learner's reports by the names format 1
gave them; what only the descriptions say (a learner's populations and architecture, the input
shape of receptive fields) is None there, or needs an explicit argument.
"""

import math
import warnings
from functools import cached_property
from pathlib import Path

import h5py
import numpy as np
import pandas as pd

from .networks import Population, Projection, RateNetwork, SpikingNetwork
from .records import FrameReport, Spikes, _decode, _flat_datasets, _scalar

try:
    import tomllib
except ImportError:  # Python < 3.11: the scenario stays available as text
    tomllib = None

__all__ = ["load", "Run", "Spikes", "FrameReport", "Population", "Projection", "RateNetwork",
           "SpikingNetwork", "NotASpikerateFile", "UnsupportedFormatVersion",
           "IncompleteRunWarning", "FORMAT_VERSION"]

FORMAT_VERSION = 1  # the newest layout this reader knows (FORMAT.md, "format_version policy")


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
    describes_itself : bool
        True if the file describes its populations and the roles of its records (it has
        ``/populations``); False for files written before.
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
        self.describes_itself = "populations" in self._file

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
        """Name of the spiking learner that recorded this spike group, or None (the scenario's
        network): the group's ``network`` attribute; in files written before it, the name
        format 1 gave a learner's group (``<learner>_exc``)."""
        group = self._spike_groups[population]
        if self.describes_itself:
            owner = _decode(group.attrs.get("network", ""))
            return owner or None
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

    @cached_property
    def populations(self):
        """Populations by name (:class:`Population`), as ``/populations`` describes them: those
        of the scenario's network and of every spiking learner's (``stdp_exc``). For files
        written before the descriptions: the scenario's ``[populations]`` tables (size, model)
        and any other population with recorded spikes (size from its largest node id, a lower
        bound)."""
        if self.describes_itself:
            found = {}
            for name, g in self._file["populations"].items():
                a = g.attrs
                variables = [_decode(v) for v in a["variables"]]
                units = [_decode(u) for u in a["variable_units"]]
                found[name] = Population(
                    name, int(a["size"]), _decode(a["model"]), network=_decode(a["network"]),
                    local_name=_decode(a["local_name"]), index=int(a["index"]),
                    kind=_decode(a["kind"]), weight_unit=_decode(a["weight_unit"]),
                    variable_units=dict(zip(variables, units)))
            return found
        found = {}
        try:
            tables = self.scenario.get("populations", {})
        except RuntimeError:
            tables = {}
        for name, table in tables.items():
            found[name] = Population(name, int(table["size"]), table.get("model"))
        for name, group in self._spike_groups.items():
            if name not in found:
                ids = group["node_ids"]
                size = int(ids[()].max()) + 1 if ids.shape[0] else 1
                found[name] = Population(name, size, None, size_is_lower_bound=True)
        return found

    @cached_property
    def projections(self):
        """Projections by name (:class:`Projection`), as ``/projections`` describes them; {}
        for files written before the descriptions."""
        if not self.describes_itself:
            return {}
        found = {}
        for name, g in self._file["projections"].items():
            a = g.attrs
            found[name] = Projection(
                name, _decode(a["pre"]), _decode(a["post"]), int(a["synapses"]),
                _decode(a["weight_unit"]), _decode(a["plasticity"]),
                receptor=_decode(a["receptor"]), network=_decode(a["network"]), local_name=_decode(a["local_name"]))
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
            population = self.populations[_decode(group.attrs.get("population", name))]
            found[name] = Spikes(group, name, population.size,
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

        Columns: ``network``, ``paradigm`` (stdp / backprop), ``phase`` (training / test, and
        for spiking networks assignment: the presentations that label their neurons at the last
        evaluation, a cost the rate networks' labels do not add),
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
            for phase in ("training", "test", "assignment"):
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
        """Test accuracy (fraction of the test set) of every network (columns) by examples seen
        (index)."""
        curves = {name: net.curve["test_accuracy"] for name, net in self.networks.items()
                  if "curve" in net._group}
        if not curves:
            return pd.DataFrame(index=pd.Index([], name="examples_seen"))
        return pd.DataFrame(curves).rename_axis("examples_seen")

    def label_curves(self):
        """Test accuracy (fraction) of every network with label budgets (columns) by evaluation point,
        budget and labels used (a MultiIndex: examples_seen, label_budget, labels_used); every
        network of a run uses the same labels at the same (point, budget). Empty without
        budgets."""
        curves = {}
        for name, net in self.networks.items():
            frame = net.label_curve
            if len(frame):
                curves[name] = frame.set_index(
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
        accuracy (fractions), the labels the last point used (a reward-trained readout: the
        rewards delivered, each a label; -1 for files without the curve), training operations and
        energy per example [pJ] (arithmetic only, and with memory traffic at SRAM and at DRAM
        prices)."""
        work = self.work_per_example()
        rows = []
        for name, net in self.networks.items():
            curve = net.curve if "curve" in net._group else pd.DataFrame()
            training = work[(work.network == name) & (work.phase == "training")]
            rows.append(dict(
                network=name, paradigm=net.paradigm, architecture=net.architecture,
                examples_seen=net.examples_seen,
                test_accuracy=curve["test_accuracy"].iloc[-1] if len(curve) else np.nan,
                best_test_accuracy=curve["test_accuracy"].max() if len(curve) else np.nan,
                labels_used=int(curve["labels_used"].iloc[-1])
                if len(curve) and "labels_used" in curve else -1,
                training_operation=training.operation.iloc[0] if len(training) else None,
                training_ops_per_example=training.operations_per_example.iloc[0]
                if len(training) else np.nan,
                **{f"training_energy_{kind}_pJ":
                   training[f"energy_{kind}_pJ"].iloc[0] if len(training) else np.nan
                   for kind in ("arithmetic", "with_sram", "with_dram")}))
        return pd.DataFrame(rows, columns=[
            "network", "paradigm", "architecture", "examples_seen", "test_accuracy",
            "best_test_accuracy", "labels_used", "training_operation", "training_ops_per_example",
            "training_energy_arithmetic_pJ", "training_energy_with_sram_pJ",
            "training_energy_with_dram_pJ"])

    def to_neo(self):
        """The run's recordings as a ``neo.Block`` (python3-neo) with one ``neo.Segment``:
        every recorded spike group as ``neo.SpikeTrain`` objects, one per neuron, and every
        state report on a time axis in ms as one ``neo.AnalogSignal`` (frames x nodes). See
        :func:`spikerate.neo_conversion.to_neo_block`."""
        from .neo_conversion import to_neo_block
        return to_neo_block(self)
