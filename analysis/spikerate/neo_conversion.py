"""Spike trains as ``neo.SpikeTrain`` objects, for Elephant and the other tools built on Neo.

Needs python3-neo (Debian), which `.ci/install-deps` installs; everything else in this package
works without it.

    trains = spikerate.load("coba.h5").spikes["exc"].to_neo()
    trains[0].t_stop, trains[0].annotations["node_id"]
"""

__all__ = ["neo_available", "to_neo_spiketrains"]


def neo_available():
    """True if the ``neo`` package can be imported."""
    try:
        import neo  # noqa: F401
    except ImportError:
        return False
    return True


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
        and annotations ``population`` and ``node_id``.
    """
    try:
        import neo
        import quantities as pq
    except ImportError as error:
        raise ImportError("converting to neo needs python3-neo (apt-get install python3-neo)"
                          ) from error
    factor = {"ms": 1.0, "s": 1e-3}.get(units)
    if factor is None:
        raise ValueError(f"units must be 'ms' or 's', got {units!r}")
    unit = getattr(pq, units)
    return [neo.SpikeTrain(train * factor * unit, t_start=spikes.t_start_ms * factor * unit,
                           t_stop=spikes.t_stop_ms * factor * unit,
                           name=f"{spikes.population}[{k}]", population=spikes.population,
                           node_id=k)
            for k, train in enumerate(spikes.trains)]
