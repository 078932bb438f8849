"""Masquelier, Guyonneau & Thorpe (2008): did the neuron find the hidden pattern?

Reads runs of ``data/scenarios/masquelier_2008.toml`` (or any run with a ``masquelier_pattern``
source feeding a recorded neuron), and runs that scenario over many seeds:

    python3 -m spikerate.masquelier summary RUN.h5 [RUN.h5 ...]
    python3 -m spikerate.masquelier sweep --seeds 1-100 --jobs 2 --out DIR

The paper's measures, as functions on arrays (times in ms):

- :func:`latencies`: each discharge's latency from the onset of the pattern presentation it falls
  in (NaN outside every presentation);
- :func:`hit_rate`, :func:`false_alarms`: presentations with at least one discharge, and
  discharges outside every presentation, in a window (the paper's: the last 150 s);
- :func:`emergence`: when selectivity emerged: the last discharge outside a presentation, with
  the presentations and discharges before it;
- :func:`potentiated`: synapses with a weight above a threshold (0.95 here; "fully potentiated")
  and how many of them come from pattern afferents; the count above 0.5 (the paper names no
  threshold for its split into ~1 and ~0) beside it;
- :func:`analyse` puts them together for one run file, :func:`succeeded` applies the paper's
  criterion: latency < 10 ms, hit rate > 98 % and no false alarm in the last 150 s.

A presentation is [onset, onset + pattern duration). Latencies are from the source's onset: the
projection's delay (one step, 0.01 ms in the shipped scenario) is included.
"""

import argparse
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from . import seed_sweep

REPO = Path(__file__).resolve().parents[2]
SCENARIO = REPO / "data" / "scenarios" / "masquelier_2008.toml"

# The paper's figures (Masquelier, Guyonneau & Thorpe 2008, Results).
PAPER = {
    "success_rate": 0.96,
    "latency_ms": 4.0,
    "emergence_ms": 13_500.0,
    "emergence_presentations": 70,
    "emergence_discharges": 700,
    "potentiated": 383,
    "potentiated_from_pattern": 1.0,
    "hit_rate": 0.991,
}

FULL_WEIGHT = 0.95  # a synapse above this is "fully potentiated" (weights in [0, 1])
# The paper splits the final weights into "fully potentiated (weight ~ 1)" and "almost
# completely depressed (weight ~ 0)" without a threshold: the count above the middle of [0, 1]
# is reported beside the one above FULL_WEIGHT.
HALF_WEIGHT = 0.5
LAST_MS = 150_000.0  # the window of the success criterion: the last 150 s
MAX_LATENCY_MS = 10.0
MIN_HIT_RATE = 0.98


@dataclass
class Pattern:
    """Where a masquelier_pattern source pasted its pattern during a run."""

    onsets_ms: np.ndarray  # every presentation's onset over the run, sorted
    duration_ms: float
    afferents: np.ndarray  # the afferents taking part (node ids of the source)
    stretch_ms: float  # the generated stretch, repeated


@dataclass
class Result:
    """One run, as the paper measures it."""

    path: str
    seed: int
    discharges: int
    latency_ms: float  # mean over the discharges in presentations of the last window
    hit_rate: float  # in the last window
    false_alarms: int  # in the last window
    emergence_ms: float  # the last discharge outside a presentation (0: none ever)
    emergence_presentations: int  # presentations that began before it
    emergence_discharges: int  # discharges up to it, itself included
    potentiated: int  # synapses with a final weight > FULL_WEIGHT
    potentiated_from_pattern: int  # of them, from pattern afferents
    success: bool
    above_half: int = -1  # synapses with a final weight > HALF_WEIGHT


def latencies(spikes_ms, onsets_ms, duration_ms):
    """Latency [ms] of each discharge from the onset of the presentation it falls in; NaN for a
    discharge outside every presentation [onset, onset + duration)."""
    spikes = np.asarray(spikes_ms, dtype=float)
    onsets = np.asarray(onsets_ms, dtype=float)
    k = np.searchsorted(onsets, spikes, side="right") - 1
    inside = k >= 0
    lat = np.full(spikes.shape, np.nan)
    lat[inside] = spikes[inside] - onsets[k[inside]]
    lat[lat >= duration_ms] = np.nan
    return lat


def _window(values, start_ms, stop_ms):
    values = np.asarray(values, dtype=float)
    return (values >= start_ms) & (values < stop_ms)


def hit_rate(spikes_ms, onsets_ms, duration_ms, start_ms=-math.inf, stop_ms=math.inf):
    """Fraction of the presentations that begin in [start, stop) with at least one discharge in
    them; NaN without presentations."""
    onsets = np.asarray(onsets_ms, dtype=float)
    onsets = onsets[_window(onsets, start_ms, stop_ms)]
    if onsets.size == 0:
        return math.nan
    spikes = np.sort(np.asarray(spikes_ms, dtype=float))
    first = np.searchsorted(spikes, onsets, side="left")
    end = np.searchsorted(spikes, onsets + duration_ms, side="left")
    return float(np.mean(end > first))


def false_alarms(spikes_ms, onsets_ms, duration_ms, start_ms=-math.inf, stop_ms=math.inf):
    """Discharges in [start, stop) outside every presentation."""
    spikes = np.asarray(spikes_ms, dtype=float)
    outside = np.isnan(latencies(spikes, onsets_ms, duration_ms))
    return int(np.sum(outside & _window(spikes, start_ms, stop_ms)))


def emergence(spikes_ms, onsets_ms, duration_ms):
    """(time [ms], presentations, discharges): the last discharge outside a presentation, the
    presentations that began before it and the discharges up to it (itself included); from then
    on the neuron fires only in presentations. (0, 0, 0) if it never fired outside one."""
    spikes = np.sort(np.asarray(spikes_ms, dtype=float))
    outside = np.flatnonzero(np.isnan(latencies(spikes, onsets_ms, duration_ms)))
    if outside.size == 0:
        return 0.0, 0, 0
    last = int(outside[-1])
    t = float(spikes[last])
    presentations = int(np.searchsorted(np.asarray(onsets_ms, dtype=float), t, side="left"))
    return t, presentations, last + 1


def potentiated(weights, sources, afferents, threshold=FULL_WEIGHT):
    """(count, from pattern afferents): synapses whose weight exceeds `threshold`; `sources` is
    each weight's presynaptic node id."""
    strong = np.asarray(weights) > threshold
    from_pattern = np.isin(np.asarray(sources)[strong], np.asarray(afferents))
    return int(np.sum(strong)), int(np.sum(from_pattern))


def succeeded(latency_ms, hit, alarms):
    """The paper's criterion on the last 150 s."""
    return bool(latency_ms < MAX_LATENCY_MS and hit > MIN_HIT_RATE and alarms == 0)


def _decode(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def read_pattern(f, source, duration_ms):
    """The pattern of the masquelier_pattern population `source` of an open run file, its
    onsets tiled over `duration_ms` of simulated time."""
    g = f["populations"][source]
    stretch = float(g["stretch_duration"][0])
    within = np.asarray(g["pattern_onsets"][:], dtype=float)
    repeats = int(math.ceil(duration_ms / stretch)) if stretch > 0 else 1
    onsets = np.concatenate([within + r * stretch for r in range(max(repeats, 1))])
    return Pattern(onsets_ms=onsets[onsets < duration_ms],
                   duration_ms=float(g["pattern_duration"][0]),
                   afferents=np.asarray(g["pattern_afferents"][:], dtype=np.int64),
                   stretch_ms=stretch)


def _find_setup(f):
    """(source, projection, target): the masquelier_pattern population, its first projection and
    that projection's target."""
    sources = [name for name, g in f["populations"].items()
               if _decode(g.attrs["model"]) == "masquelier_pattern"]
    if not sources:
        raise ValueError(f"{f.filename}: no masquelier_pattern population")
    for name, g in f["projections"].items():
        if _decode(g.attrs["pre"]) in sources:
            return _decode(g.attrs["pre"]), name, _decode(g.attrs["post"])
    raise ValueError(f"{f.filename}: no projection from {sources[0]}")


def _read_discharges(f, path):
    """(source, projection, target, simulated duration [ms], pattern, the target's discharge
    times [ms]) of an open run file."""
    source, projection, target = _find_setup(f)
    duration = float(f["metrics/simulated_time_ms"][()])
    pattern = read_pattern(f, source, duration)
    if target not in f["spikes"]:
        raise ValueError(f"{path}: the spikes of '{target}' were not recorded")
    spikes = np.asarray(f["spikes"][target]["timestamps"][:], dtype=float)
    return source, projection, target, duration, pattern, spikes


def read_run(path):
    """(pattern, discharge times [ms], simulated duration [ms]) of a run file: where the
    masquelier_pattern source pasted its pattern, and when the neuron it feeds fired."""
    with h5py.File(path, "r") as f:
        _, _, _, duration, pattern, spikes = _read_discharges(f, path)
    return pattern, spikes, duration


def analyse(path, last_ms=LAST_MS, threshold=FULL_WEIGHT):
    """The paper's measures for one run file (:class:`Result`)."""
    with h5py.File(path, "r") as f:
        source, projection, target, duration, pattern, spikes = _read_discharges(f, path)
        reports = [r for r in f["report"].values()
                   if _decode(r.attrs.get("projection", "")) == projection]
        if reports:
            weights = reports[0]["data"][-1]
            sources = reports[0]["mapping/source_node_ids"][:]
            strong, from_pattern = potentiated(weights, sources, pattern.afferents, threshold)
            above_half, _ = potentiated(weights, sources, pattern.afferents, HALF_WEIGHT)
        else:
            strong, from_pattern, above_half = -1, -1, -1
        seed = int(f.attrs["seed"])
    start = duration - last_ms
    lat = latencies(spikes, pattern.onsets_ms, pattern.duration_ms)
    in_window = _window(spikes, start, duration) & ~np.isnan(lat)
    latency = float(np.mean(lat[in_window])) if np.any(in_window) else math.nan
    # Every presentation that begins in the window and ends by the end of the run (the last may
    # end exactly there).
    hit = hit_rate(spikes, pattern.onsets_ms, pattern.duration_ms, start,
                   np.nextafter(duration - pattern.duration_ms, math.inf))
    alarms = false_alarms(spikes, pattern.onsets_ms, pattern.duration_ms, start, duration)
    t_emerge, presentations, discharges = emergence(spikes, pattern.onsets_ms,
                                                    pattern.duration_ms)
    return Result(path=str(path), seed=seed, discharges=int(spikes.size), latency_ms=latency,
                  hit_rate=hit, false_alarms=alarms, emergence_ms=t_emerge,
                  emergence_presentations=presentations, emergence_discharges=discharges,
                  potentiated=strong, potentiated_from_pattern=from_pattern,
                  success=succeeded(latency, hit, alarms), above_half=above_half)


def aggregate(results):
    """Over runs: the success rate, and over the successful runs the means (and SDs) of the
    final latency, the emergence (time, presentations, discharges) and the potentiated
    synapses."""
    ok = [r for r in results if r.success]

    def stat(key):
        values = np.array([getattr(r, key) for r in ok], dtype=float)
        if values.size == 0:
            return math.nan, math.nan
        return float(np.mean(values)), float(np.std(values))

    out = {"runs": len(results), "successes": len(ok),
           "success_rate": len(ok) / len(results) if results else math.nan}
    for key in ("latency_ms", "hit_rate", "emergence_ms", "emergence_presentations",
                "emergence_discharges", "potentiated", "potentiated_from_pattern", "above_half"):
        out[key], out[key + "_sd"] = stat(key)
    strong = sum(r.potentiated for r in ok)
    out["potentiated_from_pattern_fraction"] = (
        sum(r.potentiated_from_pattern for r in ok) / strong if strong > 0 else math.nan)
    return out


def format_table(agg, seconds_per_run=None):
    """The aggregate beside the paper's figures, as text."""
    def pm(key, fmt="{:.1f}", scale=1.0):
        return (fmt + " +- " + fmt).format(agg[key] * scale, agg[key + "_sd"] * scale)

    lines = [
        f"Masquelier et al. 2008 over {agg['runs']} runs "
        f"(means +- SD over the {agg['successes']} successful ones)",
        f"  {'measure':<44} {'spikerate':>22} {'paper':>10}",
        f"  {'success rate':<44} {agg['success_rate'] * 100:>21.1f}% {'96%':>10}",
        f"  {'latency after convergence [ms]':<44} {pm('latency_ms', '{:.2f}'):>22} {'~4':>10}",
        f"  {'hit rate, last 150 s [%]':<44} {pm('hit_rate', '{:.1f}', 100):>22} {'99.1':>10}",
        f"  {'selectivity emerges at [s]':<44} {pm('emergence_ms', '{:.1f}', 1e-3):>22} "
        f"{'13.5':>10}",
        f"  {'  ... after presentations':<44} {pm('emergence_presentations', '{:.0f}'):>22} "
        f"{'~70':>10}",
        f"  {'  ... after discharges':<44} {pm('emergence_discharges', '{:.0f}'):>22} "
        f"{'~700':>10}",
        f"  {f'synapses with w > {FULL_WEIGHT}':<44} {pm('potentiated', '{:.0f}'):>22} "
        f"{'383':>10}",
        f"  {'  ... from pattern afferents [%]':<44} "
        f"{agg['potentiated_from_pattern_fraction'] * 100:>22.1f} {'100':>10}",
        f"  {f'synapses with w > {HALF_WEIGHT} (bimodal split)':<44} "
        f"{pm('above_half', '{:.0f}'):>22} {'383':>10}",
    ]
    if seconds_per_run is not None:
        lines.append(f"  wall time per run: {seconds_per_run:.1f} s")
    return "\n".join(lines)


# The sweep machinery is shared with the other reproductions (spikerate.seed_sweep).
parse_seeds = seed_sweep.parse_seeds


def run_seed(seed, out_dir, scenario=SCENARIO, binary=None, overrides=(), force=False):
    """seed_sweep.run_seed with this reproduction's scenario by default."""
    return seed_sweep.run_seed(seed, out_dir, scenario, binary, overrides, force)


def sweep(seeds, out_dir, jobs=2, scenario=SCENARIO, binary=None, overrides=(), force=False,
          log=sys.stderr):
    """Runs every seed (`jobs` at a time), analyses each run, writes out_dir/summary.csv and
    returns (results, mean wall seconds per run run now, or None)."""
    return seed_sweep.sweep(seeds, out_dir, analyse, scenario, jobs, binary, overrides, force,
                            log)


def _row(r):
    return (f"  seed {r.seed:>4}: {'success' if r.success else 'FAILURE':<8} "
            f"latency {r.latency_ms:6.2f} ms, hit rate {r.hit_rate * 100:5.1f} %, "
            f"false alarms {r.false_alarms:3d}, emergence {r.emergence_ms / 1e3:6.1f} s "
            f"({r.emergence_presentations} presentations, {r.emergence_discharges} discharges), "
            f"w > {FULL_WEIGHT}: {r.potentiated} ({r.potentiated_from_pattern} from the pattern), "
            f"w > {HALF_WEIGHT}: {r.above_half}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m spikerate.masquelier",
                                     description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    summary = sub.add_parser("summary", help="the paper's measures of run files")
    summary.add_argument("runs", nargs="+", type=Path)
    sw = sub.add_parser("sweep", help="run the scenario over seeds and aggregate")
    seed_sweep.add_sweep_arguments(sw, SCENARIO, seeds="1-100", jobs=2)
    sw.add_argument("--each", action="store_true", help="print every run's line")
    args = parser.parse_args(argv)

    if args.command == "summary":
        results = [analyse(p) for p in args.runs]
        for r in results:
            print(_row(r))
        if len(results) > 1:
            print(format_table(aggregate(results)))
        return 0
    seeds = seed_sweep.seeds_of(args, parser)
    results, wall = sweep(seeds, args.out, args.jobs, args.scenario, args.binary,
                          args.overrides, args.force)
    if args.each:
        for r in results:
            print(_row(r))
    failures = [r.seed for r in results if not r.success]
    print(format_table(aggregate(results), wall))
    print(f"  failed seeds: {failures if failures else 'none'}")
    print(f"  runs and summary.csv in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
