"""Izhikevich (2007) distal reward: did the rewarded synapse win?

Reads runs of ``data/scenarios/izhikevich_2007_distal_reward.toml`` (a weight report ``chosen`` of
the rewarded synapse, one ``exc_exc`` of the other excitatory synapses), and runs that scenario
over seeds:

    python3 -m spikerate.distal_reward summary RUN.h5 [RUN.h5 ...]
    python3 -m spikerate.distal_reward sweep --seeds 1-10 --jobs 2 --out DIR

- :func:`read_run`: the chosen synapse's weight over time, the others' weights in the last frame;
- :func:`time_to_learn`: the first time from which a weight stays at or above a threshold (here
  3.5 of s_max = 4) to the end of the run (NaN when it ends below);
- :func:`pairings`: the rewarded pairings in recorded spikes of n1 and n2 (a spike of n2 less than
  the window after n1's last spike, strictly after it), counted independently of the engine's
  modulator;
- :func:`analyse` puts them together: time to learn, the chosen weight at the end, and the others'
  distribution (mean, quartiles, share above the threshold and below 0.5).
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
SCENARIO = REPO / "data" / "scenarios" / "izhikevich_2007_distal_reward.toml"

LEARNED = 3.5  # [weight unit] "at the maximum": s_max = 4 in the paper
LOW = 0.5


WINDOW_MS = 20.0
N1, N2 = 0, 1  # node ids in the population "exc" (the scenario's [modulators.dopamine])


@dataclass
class DistalRewardRun:
    times_ms: np.ndarray  # frames of the chosen synapse
    chosen: np.ndarray  # its weight in each frame
    others_ms: float  # the time of the others' last frame
    others: np.ndarray  # every other recorded synapse's weight in that frame
    n1_ms: np.ndarray  # spikes of n1 and n2 (empty when the population's spikes were not recorded)
    n2_ms: np.ndarray


@dataclass
class Result:
    path: str
    seed: int
    duration_s: float
    time_to_learn_s: float  # NaN: not learned by the end
    chosen_final: float
    others_mean: float
    others_median: float
    others_q25: float
    others_q75: float
    others_above: float  # share of the others >= LEARNED
    others_below: float  # share of the others < LOW
    chosen_rank: float  # share of the others below the chosen synapse at the end
    pairings: int  # rewarded pairings in the recorded spikes (-1: spikes not recorded)
    rate_n1_hz: float
    rate_n2_hz: float


def _frame_times(report):
    start, stop, step = (float(x) for x in report["mapping/time"][:])
    n = report["data"].shape[0]
    return start + step * np.arange(n), stop


def pairings(n1_ms, n2_ms, window_ms=WINDOW_MS):
    """Spikes of n2 that follow n1's last spike by less than window_ms (strictly after it; an n1
    spike at the same time counts as before the n2 spike, so that pair does not count)."""
    n1 = np.sort(np.asarray(n1_ms, dtype=float))
    n2 = np.asarray(n2_ms, dtype=float)
    last = np.searchsorted(n1, n2, side="right") - 1  # the last n1 spike at or before each n2
    ok = last >= 0
    gap = np.full(n2.shape, np.inf)
    gap[ok] = n2[ok] - n1[last[ok]]
    return int(np.count_nonzero((gap > 0.0) & (gap < window_ms)))


def _spikes_of(f, population, node):
    group = f.get(f"spikes/{population}")
    if group is None:
        return np.empty(0)
    ids = group["node_ids"][:]
    return group["timestamps"][:][ids == node]


def read_run(path, chosen="chosen", others="exc_exc"):
    """The weights of the chosen synapse over time and of the others in their last frame, and the
    spikes of n1 and n2 when the population's spikes were recorded."""
    with h5py.File(path, "r") as f:
        c = f["report"][chosen]
        if c["data"].shape[1] != 1:
            raise ValueError(f"{path}: report {chosen!r} holds {c['data'].shape[1]} synapses, "
                             "expected the one rewarded synapse")
        times, _ = _frame_times(c)
        o = f["report"][others]
        o_times, _ = _frame_times(o)
        return DistalRewardRun(times_ms=times, chosen=c["data"][:, 0].astype(float),
                               others_ms=float(o_times[-1]),
                               others=o["data"][-1, :].astype(float),
                               n1_ms=_spikes_of(f, "exc", N1), n2_ms=_spikes_of(f, "exc", N2))


def time_to_learn(times_ms, weights, threshold=LEARNED):
    """The first time from which every later weight is >= threshold; NaN if the last is below."""
    weights = np.asarray(weights, dtype=float)
    below = np.flatnonzero(weights < threshold)
    if below.size == 0:
        return float(times_ms[0])
    last_below = below[-1]
    if last_below == weights.size - 1:
        return math.nan
    return float(times_ms[last_below + 1])


def _seed_of(path):
    try:
        with h5py.File(path, "r") as f:
            return int(f.attrs["seed"])
    except (KeyError, OSError):
        return -1


def analyse(path, threshold=LEARNED):
    run = read_run(path)
    o = run.others
    return Result(
        path=str(path), seed=_seed_of(path), duration_s=float(run.times_ms[-1]) / 1e3,
        time_to_learn_s=time_to_learn(run.times_ms, run.chosen, threshold) / 1e3,
        chosen_final=float(run.chosen[-1]), others_mean=float(o.mean()),
        others_median=float(np.median(o)), others_q25=float(np.percentile(o, 25)),
        others_q75=float(np.percentile(o, 75)), others_above=float((o >= threshold).mean()),
        others_below=float((o < LOW).mean()), chosen_rank=float((o < run.chosen[-1]).mean()),
        pairings=pairings(run.n1_ms, run.n2_ms) if run.n1_ms.size or run.n2_ms.size else -1,
        rate_n1_hz=run.n1_ms.size / (run.times_ms[-1] / 1e3),
        rate_n2_hz=run.n2_ms.size / (run.times_ms[-1] / 1e3))


def _row(r):
    learned = ("not learned" if math.isnan(r.time_to_learn_s)
               else f"learned at {r.time_to_learn_s:7.0f} s")
    return (f"  seed {r.seed:>4}: {learned}, chosen {r.chosen_final:.3f} after {r.duration_s:.0f} s;"
            f" others mean {r.others_mean:.3f}, quartiles {r.others_q25:.3f} / "
            f"{r.others_median:.3f} / {r.others_q75:.3f}, >= {LEARNED}: {r.others_above * 100:.2f} %,"
            f" < {LOW}: {r.others_below * 100:.1f} %, chosen above {r.chosen_rank * 100:.2f} %;"
            f" {r.pairings} rewarded pairings, n1 {r.rate_n1_hz:.2f} Hz, n2 {r.rate_n2_hz:.2f} Hz")


def format_table(results, seconds_per_run=None):
    learned = [r.time_to_learn_s for r in results if not math.isnan(r.time_to_learn_s)]
    lines = [f"  runs: {len(results)}, learned: {len(learned)}"]
    if learned:
        lines.append(f"  time to learn [s]: median {np.median(learned):.0f}, "
                     f"range {min(learned):.0f}-{max(learned):.0f}")
    lines.append("  others >= {}: mean {:.2f} % of synapses; others' mean weight {:.3f}".format(
        LEARNED, 100 * np.mean([r.others_above for r in results]),
        np.mean([r.others_mean for r in results])))
    if seconds_per_run is not None:
        lines.append(f"  wall time per run: {seconds_per_run:.1f} s")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m spikerate.distal_reward",
                                     description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    summary = sub.add_parser("summary", help="time to learn and weights of run files")
    summary.add_argument("runs", nargs="+", type=Path)
    sw = sub.add_parser("sweep", help="run the scenario over seeds and summarise")
    seed_sweep.add_sweep_arguments(sw, SCENARIO, seeds="1-10", jobs=1)
    args = parser.parse_args(argv)

    if args.command == "summary":
        results = [analyse(p) for p in args.runs]
    else:
        seeds = seed_sweep.seeds_of(args, parser)
        results, wall = seed_sweep.sweep(seeds, args.out, analyse, args.scenario, args.jobs,
                                         args.binary, args.overrides, args.force)
        print(format_table(results, wall))
        for r in results:
            print(_row(r))
        return 0
    for r in results:
        print(_row(r))
    if len(results) > 1:
        print(format_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
