"""Summarise a comparison run (data/scenarios/stdp_vs_backprop.toml, diehl_cook_*.toml) from its
HDF5 output: test accuracy of every network on the shared axis of examples seen, work and
energy per example, and a figure with the learning curves and the spiking network's receptive
fields, saved next to the run file.

    /usr/bin/python3 analysis/examples/comparison_summary.py stdp_vs_backprop.h5
"""
import sys
from pathlib import Path

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def main(path: str) -> None:
    curves = {}
    work = []
    fields = None
    with h5py.File(path, "r") as f:
        if f.attrs.get("complete", 0) != 1:
            print(f"warning: {path} comes from a run that did not complete")
        pj_acc = f["metrics/energy/pj_per_accumulate_45nm"][()]
        pj_mac = f["metrics/energy/pj_per_mac_45nm"][()]
        for name, g in f["metrics"].get("spiking", {}).items():
            curves[f"{name} (STDP)"] = (g["curve/examples_seen"][:], g["curve/test_accuracy"][:])
            events = g["operations/training/synaptic_events_per_example"][()]
            work.append((name, "synaptic events", events, events * pj_acc))
            report = f[f"report/{name}_input_exc"]
            n_exc = report["mapping/node_ids"].shape[0]
            fields = report["data"][-1].reshape(n_exc, 28, 28)
        for name, g in f["metrics"].get("rate", {}).items():
            curves[f"{name} (backprop)"] = (g["curve/examples_seen"][:], g["curve/test_accuracy"][:])
            macs = (g["operations/forward_macs_per_example"][()]
                    + g["operations/backward_macs_per_example"][()])
            work.append((name, "MACs", macs, macs * pj_mac))

    points = next(iter(curves.values()))[0]
    print(f"{'examples':>9}" + "".join(f"{label:>20}" for label in curves))
    for k, seen in enumerate(points):
        print(f"{seen:>9}" + "".join(f"{100 * acc[k]:>19.2f}%" for _, acc in curves.values()))
    print("training work per example (energy: arithmetic only, memory traffic excluded)")
    for name, kind, count, pj in work:
        print(f"  {name:<10} {count:>12.0f} {kind:<16} {pj / 1e6:8.3f} uJ at 45 nm")

    fig, (ax, ax_fields) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    for label, (seen, acc) in curves.items():
        ax.plot(seen, 100 * acc, marker="o", label=label)
    ax.set_xscale("log")
    ax.set_xlabel("training examples seen")
    ax.set_ylabel("test accuracy [%]")
    ax.legend()
    if fields is not None:
        side = int(np.ceil(np.sqrt(fields.shape[0])))
        grid = np.zeros((side * 28, side * 28))
        for j, field in enumerate(fields):
            r, c = divmod(j, side)
            grid[r * 28:(r + 1) * 28, c * 28:(c + 1) * 28] = field
        ax_fields.imshow(grid, cmap="hot_r", interpolation="nearest")
        ax_fields.set_title("receptive fields (input weights) at the end")
        ax_fields.axis("off")
    figure = Path(path).with_suffix(".png")
    fig.savefig(figure, dpi=120)
    print(f"figure: {figure}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
