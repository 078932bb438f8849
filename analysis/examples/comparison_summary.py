"""Summarise a comparison run (data/scenarios/stdp_vs_backprop.toml, diehl_cook_*.toml) from its
HDF5 output: test accuracy of every network on the shared axis of examples seen (and against
labels used, with label budgets: a second figure <run>_labels.png), work and
energy per example, and a figure with the learning curves and the spiking network's receptive
fields, saved next to the run file. The full set of figures: python3 -m spikerate.report.

    /usr/bin/python3 analysis/examples/comparison_summary.py stdp_vs_backprop.h5
"""
import sys
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the spikerate package beside
import spikerate  # noqa: E402
from spikerate import figures  # noqa: E402


def main(path: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", spikerate.IncompleteRunWarning)
        run = spikerate.load(path)
    if not run.complete:
        print(f"warning: {path} comes from a run that did not complete")
    curves = run.learning_curves()
    labels = {name: f"{name} ({'STDP' if net.paradigm == 'stdp' else 'backprop'})"
              for name, net in run.networks.items()}
    print(f"{'examples':>9}" + "".join(f"{labels[name]:>20}" for name in curves.columns))
    for seen, row in curves.iterrows():
        print(f"{seen:>9}" + "".join(f"{acc:>20.2%}" for acc in row))  # fractions
    by_labels = run.label_curves()
    if len(by_labels):
        print("test accuracy by labels used (label budget; 0 = every label seen): the spiking "
              "networks learn from every example seen, the rate networks from the labelled ones")
        print(f"{'examples':>9}{'budget':>8}{'labels':>8}"
              + "".join(f"{labels[name]:>20}" for name in by_labels.columns))
        for (seen, budget, used), row in by_labels.sort_index(level=[1, 0]).iterrows():
            print(f"{seen:>9}{budget:>8}{used:>8}" + "".join(f"{acc:>20.2%}" for acc in row))
    print("training work per example (energy [pJ]: arithmetic only; with memory traffic at "
          "SRAM and at DRAM prices)")
    work = run.work_per_example()
    for _, row in work[work.phase == "training"].iterrows():
        kind = "synaptic events" if row.paradigm == "stdp" else "MACs"
        print(f"  {row.network:<10} {row.operations_per_example:>12.0f} {kind:<16} "
              f"{row.energy_arithmetic_pJ:12.4g} {row.energy_with_sram_pJ:12.4g} "
              f"{row.energy_with_dram_pJ:12.4g}")

    with figures.style():
        fig, (ax, ax_fields) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
        for name in curves.columns:
            stdp = run.networks[name].paradigm == "stdp"
            ax.plot(curves.index, curves[name], marker="o" if stdp else "s",
                    ls="--" if stdp else "-", label=labels[name])
        ax.set_xscale("log")
        ax.set_xlabel("training examples seen")
        ax.set_ylabel("test accuracy (fraction correct)")
        ax.set_ylim(0, 1)
        ax.legend()
        if run.spiking_networks:
            fields = next(iter(run.spiking_networks.values())).receptive_fields()
            n, h, w = fields.shape  # the input's shape, as the file states it
            side = int(np.ceil(np.sqrt(n)))
            grid = np.full((side * side, h, w), np.nan)
            grid[:n] = fields
            mosaic = grid.reshape(side, side, h, w).transpose(0, 2, 1, 3).reshape(side * h, -1)
            ax_fields.imshow(mosaic, cmap="hot_r", interpolation="nearest")
            ax_fields.set_title("receptive fields (input weights) at the end")
            ax_fields.axis("off")
    figure = Path(path).with_suffix(".png")
    fig.savefig(figure, dpi=120)
    print(f"figure: {figure}")
    if len(by_labels):
        figure = Path(path).with_name(Path(path).stem + "_labels.png")
        figures.save(figures.accuracy_by_labels(run), figure)
        print(f"figure: {figure}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
