"""Classes that differ only in spike timing: what each network was handed of an example, how
well it did and what it paid, from run files of a ``timing_classes`` task; and a sweep of the
jitter, one ``spikerate run`` per value.

    python3 -m spikerate.timing_classes sweep --jitter 0 1 2 5 10     # from analysis/
    python3 -m spikerate.timing_classes table build/timing/jitter_2.h5

    import spikerate.timing_classes as tc
    tc.input_table(spikerate.load("timing_classes.h5"))   # one row per network
    tc.label_curves(spikerate.load("timing_classes.h5"))  # accuracy against labels used

The sweep runs the scenario once per jitter SD (``--set task.timing_classes.jitter_ms=...``):
each value is another task (other examples), so each is its own run, with its own file that
holds the whole record of that run; the table gathers them. Units as in the package: ms, pJ,
accuracy as a fraction.
"""

import argparse
import math
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

from .run import load

REPO = Path(__file__).resolve().parents[2]
DEFAULT_SCENARIO = REPO / "data" / "scenarios" / "timing_classes.toml"
DEFAULT_BINARY = Path(os.environ.get("SPIKERATE_BUILD", REPO / "build")) / "spikerate"

COLUMNS = ["network", "paradigm", "input", "bin_ms", "n_inputs", "readout", "labels_used",
           "test_accuracy", "operation", "operations_per_test_example", "train_energy_pJ",
           "label_energy_pJ", "test_energy_pJ"]


def input_table(run):
    """One row per network of a timing_classes run: ``network``, ``paradigm`` (stdp /
    backprop), ``input`` (the spiking network's encoder, or the rate network's input view),
    ``bin_ms`` (the view's bin width; the window for counts; NaN for spikes), ``n_inputs``,
    ``readout`` (a spiking network's: label_assignment, linear (a logistic regression trained
    by gradient descent on its spike counts) or reward (output neurons trained by R-STDP); a
    rate network's: backprop), ``labels_used`` (at the last point: labelled examples, or the
    rewards a reward readout was given, each a label), ``test_accuracy`` (fraction, last point),
    ``operation`` and ``operations_per_test_example`` (synaptic events, or forward MACs),
    ``train_energy_pJ``, ``label_energy_pJ`` (a spiking network's labelling presentations and
    readout fit, per labelled example, at the last point; NaN where there are none) and
    ``test_energy_pJ`` (arithmetic, every counted operation priced, per example), and the task's
    ``jitter_ms``, ``deletion``, ``background_Hz`` and ``n_classes``."""
    scenario = run.scenario
    if scenario.get("task", {}).get("dataset") != "timing_classes":
        raise ValueError(f"{run.path}: the task is not timing_classes")
    task = scenario["task"].get("timing_classes", {})
    work = run.work_per_example().set_index(["network", "phase"])

    def energy(name, phase):
        key = (name, phase)
        return float(work.loc[key, "energy_arithmetic_pJ"]) if key in work.index else math.nan

    def operations(name):
        key = (name, "test")
        return float(work.loc[key, "operations_per_example"]) if key in work.index else math.nan

    def labels_used(net):
        curve = net.curve
        return int(curve["labels_used"].iloc[-1]) if "labels_used" in curve else -1

    rows = []
    for name, net in run.spiking_networks.items():
        spec = scenario["spiking"][name]
        population = spec.get("input", "input")
        label_energy = energy(name, "assignment")
        rows.append(dict(network=name, paradigm="stdp", input=spec.get("encoder", "poisson_rate"),
                         bin_ms=math.nan,
                         n_inputs=int(spec["populations"][population]["size"]),
                         readout=spec.get("readout", "label_assignment"),
                         labels_used=labels_used(net),
                         test_accuracy=float(run.metrics[f"spiking/{name}/test_accuracy"]),
                         operation="synaptic events",
                         operations_per_test_example=operations(name),
                         train_energy_pJ=energy(name, "training"),
                         label_energy_pJ=label_energy if label_energy > 0 else math.nan,
                         test_energy_pJ=energy(name, "test")))
    for name, net in run.rate_networks.items():
        spec = scenario["rate"][name]
        view = spec.get("input", "default")
        metrics = run.metrics
        n_inputs = metrics.get(f"rate/{name}/input/n_inputs")
        if n_inputs is None:  # the default view: the task's inputs (per-afferent counts)
            n_inputs = task.get("n_afferents", math.nan)
        rows.append(dict(network=name, paradigm="backprop", input=view,
                         bin_ms=float(metrics.get(f"rate/{name}/input/bin_width", math.nan)),
                         n_inputs=int(n_inputs), readout="backprop", labels_used=labels_used(net),
                         test_accuracy=float(metrics[f"rate/{name}/test_accuracy"]),
                         operation="MACs", operations_per_test_example=operations(name),
                         train_energy_pJ=energy(name, "training"), label_energy_pJ=math.nan,
                         test_energy_pJ=energy(name, "test")))
    table = pd.DataFrame(rows, columns=COLUMNS)
    for key in ("jitter_ms", "deletion", "background_Hz", "n_classes"):
        table[key] = task.get(key, math.nan)
    return table


def label_curves(run):
    """Test accuracy against labels used, every evaluation point of every network of a run: one
    row per (network, point) with ``network``, ``paradigm``, ``readout`` (as in
    :func:`input_table`), ``examples_seen``, ``labels_used`` (a reward readout: the rewards
    delivered so far, each a label) and ``test_accuracy`` (fraction)."""
    scenario = run.scenario
    rows = []
    for paradigm, networks in (("stdp", run.spiking_networks), ("backprop", run.rate_networks)):
        for name, net in networks.items():
            curve = net.curve
            if "labels_used" not in curve:
                continue
            readout = (scenario["spiking"][name].get("readout", "label_assignment")
                       if paradigm == "stdp" else "backprop")
            for seen, point in curve.iterrows():
                rows.append(dict(network=name, paradigm=paradigm, readout=readout,
                                 examples_seen=int(seen), labels_used=int(point["labels_used"]),
                                 test_accuracy=float(point["test_accuracy"])))
    return pd.DataFrame(rows, columns=["network", "paradigm", "readout", "examples_seen",
                                       "labels_used", "test_accuracy"])


def sweep(jitters_ms, out_dir, scenario=DEFAULT_SCENARIO, binary=DEFAULT_BINARY, sets=()):
    """Runs ``scenario`` once per jitter SD [ms] into ``out_dir/jitter_<value>.h5`` (further
    ``--set`` overrides in ``sets``) and returns the rows of :func:`input_table` of every run."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tables = []
    for jitter in jitters_ms:
        out = out_dir / f"jitter_{jitter:g}.h5"
        args = [str(binary), "run", str(scenario), "-o", str(out), "--force", "--quiet",
                "--set", f"task.timing_classes.jitter_ms={float(jitter)!r}"]
        for s in sets:
            args += ["--set", s]
        done = subprocess.run(args, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
        with load(out) as run:
            tables.append(input_table(run))
    return pd.concat(tables, ignore_index=True)


def accuracy_by_jitter(table):
    """Test accuracy [%] of every network (rows: network, input, inputs) by jitter SD
    (columns)."""
    frame = table.assign(accuracy_pct=100.0 * table["test_accuracy"])
    return frame.pivot_table(index=["network", "input", "n_inputs"], columns="jitter_ms",
                             values="accuracy_pct", sort=False)


def work_by_network(table):
    """Operations and energy per example of every network, averaged over the runs (a rate
    network's do not depend on the jitter; a spiking network's follow its spikes)."""
    return table.groupby(["network", "input", "n_inputs", "operation"], sort=False)[
        ["operations_per_test_example", "train_energy_pJ", "test_energy_pJ"]].mean()


def _print_tables(table):
    with pd.option_context("display.width", 160, "display.max_rows", 200,
                           "display.float_format", "{:.2f}".format):
        print("test accuracy [%] by jitter SD [ms]:")
        print(accuracy_by_jitter(table).to_string())
        print("\noperations and energy per example (arithmetic, every counted operation priced):")
        print(work_by_network(table).to_string())


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m spikerate.timing_classes",
                                     description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    s = commands.add_parser("sweep", help="run the scenario once per jitter SD, print the tables")
    s.add_argument("--jitter", type=float, nargs="+", default=[0.0, 1.0, 2.0, 5.0, 10.0],
                   help="jitter SDs [ms] (default: 0 1 2 5 10)")
    s.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO)
    s.add_argument("--binary", type=Path, default=DEFAULT_BINARY)
    s.add_argument("--out", type=Path, default=REPO / "build" / "timing_classes",
                   help="directory of the run files (default: build/timing_classes)")
    s.add_argument("--set", dest="sets", action="append", default=[],
                   help="a further override for every run, key.path=value")
    s.add_argument("--csv", type=Path, help="also write every row to this CSV file")
    t = commands.add_parser("table", help="the tables of existing run files")
    t.add_argument("files", type=Path, nargs="+")
    t.add_argument("--csv", type=Path)
    args = parser.parse_args(argv)
    if args.command == "sweep":
        table = sweep(args.jitter, args.out, args.scenario, args.binary, args.sets)
    else:
        tables = []
        for path in args.files:
            with load(path) as run:
                tables.append(input_table(run))
        table = pd.concat(tables, ignore_index=True)
    _print_tables(table)
    if args.csv:
        table.to_csv(args.csv, index=False)
        print(f"\nrows: {args.csv}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
