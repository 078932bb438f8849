"""The pairing-frequency experiment (Sjostrom et al. 2001) with the triplet rule (Pfister &
Gerstner 2006), run through data/scenarios/triplet_pairing_frequency.toml with --set, next to
the rule's closed form.

    cd analysis && /usr/bin/python3 -m spikerate.triplet_pairing ../build/spikerate

prints, per frequency, the weight change per pairing for lags +10 ms and -10 ms: simulated, the
exact sum over the spike trains, and the paper's steady-state closed form.

Closed forms (all-to-all traces, n pairings at period T, post spike at lag L after the pre
spike's arrival). Every spike sees the exponentially decayed sum of the spikes before it:
  pre i:   dw = -o1 (A2_minus + A3_minus r2),   post j:  dw = r1 (A2_plus + A3_plus o2),
with r1 = sum over earlier pre spikes of exp(-(t - t_pre) / tau_plus) and likewise r2 (tau_x),
o1 (tau_minus), o2 (tau_y); `exact_dw` adds these up for the spike times the scenario plays.
In the steady state of regular pairings (|L| < T) the sums are geometric series, e.g. for
L > 0 at a post spike r1 = e^{-L/tau_plus} / (1 - e^{-T/tau_plus}) and
o2 = e^{-T/tau_y} / (1 - e^{-T/tau_y}): `steady_state_dw` is the change per pairing then
(the first pairings, with emptier traces, change less).
"""
import math
import pathlib
import subprocess
import sys
import tempfile

import h5py

REPO = pathlib.Path(__file__).resolve().parents[2]
SCENARIO = REPO / "data" / "scenarios" / "triplet_pairing_frequency.toml"
PAIRINGS = 60
FREQUENCIES_HZ = (0.1, 1.0, 5.0, 10.0, 20.0, 30.0, 40.0, 50.0)
LAGS_MS = (10.0, -10.0)
W0 = 2.0  # [pA] the scenario's initial weight
FIRST_MS = 100.0  # [ms] the first pairing
DT_MS = 0.1

# The minimal all-to-all visual cortex set (Pfister & Gerstner 2006, Table 4), as in the scenario.
MINIMAL = dict(tau_plus=16.8, tau_x=101.0, tau_minus=33.7, tau_y=114.0,
               A2_plus=0.0, A3_plus=6.5e-3, A2_minus=7.1e-3, A3_minus=0.0)


def pairing_times(frequency_hz, lag_ms, n=PAIRINGS):
    """Arrival times of the pre spikes at the synapse and the post spike times [ms]: pairing k
    starts at FIRST_MS + k T; the earlier spike of the pair is at its start. On the 0.1 ms grid."""
    period = 1000.0 / frequency_hz
    starts = [round(FIRST_MS + k * period, 1) for k in range(n)]
    pre = [s + max(0.0, -lag_ms) for s in starts]
    post = [s + max(0.0, lag_ms) for s in starts]
    return [round(t, 1) for t in pre], [round(t, 1) for t in post]


def exact_dw(pre, post, p=MINIMAL):
    """The summed weight change of the rule (all-to-all) for these spike times [ms]; at equal
    times the pre spike is processed first (the engine's order)."""
    events = sorted([(t, 0) for t in pre] + [(t, 1) for t in post])
    dw = 0.0
    seen_pre, seen_post = [], []
    for t, kind in events:
        def trace(times, tau):
            return sum(math.exp(-(t - s) / tau) for s in times)
        if kind == 0:
            dw -= trace(seen_post, p["tau_minus"]) * (
                p["A2_minus"] + p["A3_minus"] * trace(seen_pre, p["tau_x"]))
            seen_pre.append(t)
        else:
            dw += trace(seen_pre, p["tau_plus"]) * (
                p["A2_plus"] + p["A3_plus"] * trace(seen_post, p["tau_y"]))
            seen_post.append(t)
    return dw


def steady_state_dw(frequency_hz, lag_ms, p=MINIMAL):
    """The change per pairing once the traces are periodic (the paper's closed form)."""
    period = 1000.0 / frequency_hz
    lag = abs(lag_ms)
    assert lag < period

    def series(first, tau):  # sum_{k >= 0} exp(-(first + k T) / tau)
        return math.exp(-first / tau) / (1.0 - math.exp(-period / tau))

    if lag_ms > 0:  # pre, then post lag later
        r1 = series(lag, p["tau_plus"])
        o1 = series(period - lag, p["tau_minus"])
    else:  # post, then pre lag later
        r1 = series(period - lag, p["tau_plus"])
        o1 = series(lag, p["tau_minus"])
    r2 = series(period, p["tau_x"])  # at a pre spike, before its own increment
    o2 = series(period, p["tau_y"])  # at a post spike, likewise
    return r1 * (p["A2_plus"] + p["A3_plus"] * o2) - o1 * (p["A2_minus"] + p["A3_minus"] * r2)


def simulate(binary, frequency_hz, lag_ms, out_dir):
    """Runs the scenario for one frequency and lag; returns (final weight - W0, pre arrivals,
    post spike times) from the run file."""
    pre, post = pairing_times(frequency_hz, lag_ms)
    duration = math.ceil(max(post + pre) + 10.0)
    out = pathlib.Path(out_dir) / f"pairing_{frequency_hz}Hz_{lag_ms:+}ms.h5"
    sets = {
        "run.duration_ms": duration,
        "record.weights.pre_post.every_ms": duration,
        "populations.pre.times_ms": [round(t - DT_MS, 1) for t in pre],
        "populations.pre.node_ids": [0] * len(pre),
        "populations.drive.times_ms": [round(t - 2 * DT_MS, 1) for t in post],
        "populations.drive.node_ids": [0] * len(post),
    }
    args = [str(binary), "run", str(SCENARIO), "-o", str(out), "--force", "--quiet"]
    for key, value in sets.items():
        args += ["--set", f"{key}={value}"]
    subprocess.run(args, check=True, capture_output=True, text=True)
    with h5py.File(out, "r") as f:
        w_final = float(f["report/pre_post/data"][-1, 0])
        pre_seen = [t + DT_MS for t in f["spikes/pre/timestamps"][()]]
        post_seen = list(f["spikes/post/timestamps"][()])
    return w_final - W0, pre_seen, post_seen


def curve(binary, frequencies=FREQUENCIES_HZ, lags=LAGS_MS):
    """Rows (frequency, lag, simulated dw, exact dw, steady-state dw * PAIRINGS), changes over
    all pairings [pA]."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for f in frequencies:
            for lag in lags:
                dw, pre, post = simulate(binary, f, lag, tmp)
                rows.append((f, lag, dw, exact_dw(pre, post), PAIRINGS * steady_state_dw(f, lag)))
    return rows


def main(argv):
    if len(argv) != 2:
        sys.exit(__doc__)
    print(f"weight change per pairing [pA] ({PAIRINGS} pairings, minimal all-to-all set)")
    print(f"{'f [Hz]':>7} {'lag':>5} {'simulated':>11} {'exact sum':>11} {'steady state':>12}")
    for f, lag, sim, exact, steady in curve(argv[1]):
        print(f"{f:7.1f} {lag:+5.0f} {sim / PAIRINGS:11.6f} {exact / PAIRINGS:11.6f} "
              f"{steady / PAIRINGS:12.6f}")


if __name__ == "__main__":
    main(sys.argv)
