"""A run's recordings as Neo objects, for Elephant and the other tools built on Neo.

Needs python3-neo (Debian), which `.ci/install-deps` installs; everything else in this package
works without it, and the functions here raise ImportError naming the package when it is
missing.

    block = spikerate.load("coba.h5").to_neo()          # neo.Block with one neo.Segment
    segment = block.segments[0]
    segment.spiketrains[0].annotations["population"]     # one SpikeTrain per neuron
    segment.analogsignals[0].array_annotations["node_id"]  # a state report, frames x nodes
    trains = spikerate.load("coba.h5").spikes["exc"].to_neo()   # one population's trains
"""

import numpy as np

__all__ = ["neo_available", "to_neo_spiketrains", "to_neo_analogsignal", "to_neo_block"]


def neo_available():
    """True if the ``neo`` package can be imported."""
    try:
        import neo  # noqa: F401
    except ImportError:
        return False
    return True


def _neo():
    try:
        import neo
        import quantities as pq
    except ImportError as error:
        raise ImportError("converting to neo needs python3-neo (apt-get install python3-neo)"
                          ) from error
    return neo, pq


def _time_unit(units):
    factor = {"ms": 1.0, "s": 1e-3}.get(units)
    if factor is None:
        raise ValueError(f"units must be 'ms' or 's', got {units!r}")
    return factor


def _quantity(pq, units):
    """The quantities unit of a report's ``units`` string ("" is dimensionless)."""
    if not units:
        return pq.dimensionless
    try:
        return pq.Quantity(1.0, units).units
    except (LookupError, ValueError) as error:
        raise ValueError(f"unit {units!r} is unknown to quantities") from error


def to_neo_spiketrains(spikes, units="ms"):
    """One ``neo.SpikeTrain`` per neuron of a population, silent neurons included.

    Parameters
    ----------
    spikes : spikerate.run.Spikes
        A population's spikes (``run.spikes[name]``).
    units : str
        Time unit of the trains (``"ms"`` or ``"s"``); times are converted from ms.

    Returns
    -------
    list of neo.SpikeTrain
        ``trains[k]`` holds neuron k's spikes, with ``t_start``/``t_stop`` the recorded window
        and annotations ``population``, ``node_id``, and ``network`` and ``role`` where the file
        states them.
    """
    neo, pq = _neo()
    factor = _time_unit(units)
    unit = getattr(pq, units)
    described = {k: v for k, v in (("network", spikes.network), ("role", spikes.role))
                 if v is not None}
    return [neo.SpikeTrain(train * factor * unit, t_start=spikes.t_start_ms * factor * unit,
                           t_stop=spikes.t_stop_ms * factor * unit,
                           name=f"{spikes.population}[{k}]", population=spikes.population,
                           node_id=k, **described)
            for k, train in enumerate(spikes.trains)]


def to_neo_analogsignal(report, units="ms"):
    """A state report on a time axis in ms as one ``neo.AnalogSignal``: one row per frame, one
    channel per node, in the report's unit (``"mV"``, ...), sampled every frame step from the
    first frame's time; ``array_annotations["node_id"]`` gives each channel's neuron, the
    annotations ``report``, and ``population``, ``variable``, ``network``, ``role`` where the
    file states them. ValueError for a weight report or one whose axis is not time (a trained
    network's, in examples seen)."""
    neo, pq = _neo()
    factor = _time_unit(units)
    if report.kind != "state":
        raise ValueError(f"report {report.name!r} holds weights: only state reports (one value "
                         f"per node) become AnalogSignals")
    if report.time_units != "ms":
        raise ValueError(f"report {report.name!r} has a time axis in {report.time_units}, "
                         f"not ms: it is not a signal in time")
    unit = getattr(pq, units)
    start = float(report.time[0]) if report.n_frames else float(report._time_triplet[0])
    described = {k: v for k, v in (("population", report.population_name),
                                   ("variable", report.variable), ("network", report.network),
                                   ("role", report.role)) if v is not None}
    return neo.AnalogSignal(np.asarray(report.data[()], dtype=np.float32),
                            units=_quantity(pq, report.units),
                            sampling_period=report.step * factor * unit,
                            t_start=start * factor * unit, name=report.name,
                            array_annotations={"node_id": report.node_ids.copy()},
                            report=report.name, **described)


def to_neo_block(run, units="ms"):
    """A run as a ``neo.Block`` holding one ``neo.Segment``: the SpikeTrains of every spike
    group (:func:`to_neo_spiketrains`, in ``run.spikes`` order) and an AnalogSignal for every
    state report whose axis is time in ms (:func:`to_neo_analogsignal`). Weight reports and
    reports on an axis of examples seen (networks trained on a task) are left out: they are not
    signals in time. The block is annotated with the file, seed and ``complete``."""
    neo, _ = _neo()
    block = neo.Block(name=str(run.path), file=str(run.path), seed=run.seed,
                      complete=run.complete)
    segment = neo.Segment(name="run")
    for spikes in run.spikes.values():
        for train in to_neo_spiketrains(spikes, units):
            segment.spiketrains.append(train)
    for report in run.reports.values():
        if report.kind == "state" and report.time_units == "ms":
            segment.analogsignals.append(to_neo_analogsignal(report, units))
    block.segments.append(segment)
    segment.block = block
    return block
