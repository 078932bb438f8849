"""Summarise a run of data/scenarios/stdp_song2000.toml from its HDF5 output.

Prints the output rate and the weight distribution every 10 s of simulated time, and saves a
figure of the weight histogram at the start and at the end next to the run file.

    /usr/bin/python3 analysis/examples/song2000_summary.py stdp_song2000.h5
"""
import sys
from pathlib import Path

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def main(path: str) -> None:
    with h5py.File(path, "r") as f:
        if f.attrs.get("complete", 0) != 1:
            print(f"warning: {path} comes from a run that did not complete")
        g_max = 0.01  # [nS] w_max of the scenario
        report = f["report/weights"]
        weights = report["data"][:] / g_max  # frames x synapses, in units of g_max
        t0, _, step = report["mapping/time"][:]
        frame_times_s = (t0 + step * np.arange(weights.shape[0])) / 1e3
        spike_times_s = f["spikes/neuron/timestamps"][:] / 1e3

    every = max(1, int(round(10.0 / (step / 1e3))))  # frames per 10 s
    print(f"{'t [s]':>7} {'rate [Hz]':>10} {'mean w/g_max':>13} {'w < 0.1 g_max':>14} {'w > 0.9 g_max':>14}")
    for k in range(0, weights.shape[0], every):
        t = frame_times_s[k]
        in_window = (spike_times_s >= t - 10.0) & (spike_times_s < t)
        rate = in_window.sum() / 10.0 if k > 0 else float("nan")
        w = weights[k]
        print(f"{t:7.0f} {rate:10.1f} {w.mean():13.3f} {100 * (w < 0.1).mean():13.1f}% "
              f"{100 * (w > 0.9).mean():13.1f}%")

    fig, ax = plt.subplots(figsize=(5, 3.2), constrained_layout=True)
    bins = np.linspace(0, 1, 21)
    ax.hist(weights[0], bins=bins, alpha=0.6, label=f"t = {frame_times_s[0]:.0f} s")
    ax.hist(weights[-1], bins=bins, alpha=0.6, label=f"t = {frame_times_s[-1]:.0f} s")
    ax.set_xlabel("weight / $g_{max}$")
    ax.set_ylabel("synapses")
    ax.set_title("Additive STDP pushes weights to the bounds")
    ax.legend()
    figure = Path(path).with_suffix(".png")
    fig.savefig(figure, dpi=120)
    print(f"figure: {figure}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
