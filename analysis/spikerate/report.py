"""Writes the figures of a run as PNG files and an HTML page that shows them with summary tables.

    /usr/bin/python3 -m spikerate.report build/demo/stdp_vs_backprop.h5 -o report/
    xdg-open report/index.html

What is drawn depends on what the run recorded: a raster with the population rate and the
spike statistics of the populations, every weight report's distribution over time, state
traces, the STDP window where pre- and postsynaptic spikes of a plastic projection were
recorded, the receptive fields of networks trained on MNIST, the learning curves of both
paradigms and their operations and energy per example.
"""

import argparse
import html
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; must precede pyplot's first import

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from . import figures, stats  # noqa: E402
from .run import NotASpikerateFile, UnsupportedFormatVersion, load  # noqa: E402

__all__ = ["write_report", "main"]

RASTER_WINDOW_MS = 2000.0     # populations: the raster shows at most the first 2 s
TRAINING_RASTER_MS = 5000.0   # a network trained on a task: its first 5 s recorded
STATE_WINDOW_MS = 1000.0      # state traces: the first second


def _projection_of(run, report_name):
    """(pre, post) populations of the projection a weight report records, or None: from the
    report's ``projection`` attribute and ``/projections``; in files written before them, from
    the scenario's [record.weights] and [projections]."""
    report = run.reports[report_name]
    if run.describes_itself:
        projection = run.projections.get(report.projection) if report.projection else None
        return None if projection is None else (projection.pre, projection.post)
    try:
        projection = run.scenario["record"]["weights"][report_name]["projection"]
        table = run.scenario["projections"][projection]
        return table["pre"], table["post"]
    except (KeyError, TypeError, RuntimeError):
        return None


def _scenario_table(run, report_name):
    """The scenario's [projections.<p>] table of the projection a weight report records."""
    try:
        projection = run.scenario["record"]["weights"][report_name]["projection"]
        return run.scenario["projections"][projection]
    except (KeyError, TypeError, RuntimeError):
        return {}


def _weight_reports_of_networks(run):
    """Reports written by networks trained on the task (drawn in their own figures)."""
    names = set()
    for name, net in run.rate_networks.items():
        names |= {r.name for r in net.layers} | {r.name for r in net.biases}
    for net in run.spiking_networks.values():
        names |= {r.name for r in (net.input_weights, net.theta) if r is not None}
    return names


def _is_source(run, name):
    """A population of spike sources (Poisson, spike trains): ``kind`` in the file; in files
    written before it, the model named in the scenario."""
    population = run.populations[name]
    if population.kind is not None:
        return population.kind == "source"
    return population.model in ("poisson", "spike_train")


def _figures(run):
    """(file stem, caption, function making the figure) for everything this run can show."""
    planned = []
    trained = {name for name in run.spikes if run._spiking_owner(name) is not None}
    neuron_pops = [s for name, s in run.spikes.items() if name not in trained
                   and not _is_source(run, name)]
    source_pops = [s for name, s in run.spikes.items() if name not in trained
                   and _is_source(run, name)]
    shown = neuron_pops + source_pops
    if shown and any(len(s) for s in shown):
        t_stop = min(shown[0].t_stop_ms, RASTER_WINDOW_MS)
        planned.append(("raster", f"Spikes of {', '.join(s.population for s in shown)} and the "
                        f"population rate, first {t_stop:g} ms.",
                        lambda: figures.raster_with_rate(shown, 0.0, t_stop)))
    for spikes in neuron_pops:
        if spikes.n_nodes >= 2 and len(spikes):
            planned.append((f"spike_statistics_{spikes.population}",
                            f"Population {spikes.population}: firing rates, ISI coefficient of "
                            f"variation and pairwise count correlations over the whole run.",
                            lambda s=spikes: figures.spike_statistics(s, title=s.population)))
    for name in sorted(run.spiking_networks):
        spikes = run.spiking_networks[name].spikes
        if spikes is not None and len(spikes):
            t0 = float(np.floor(spikes.times_ms[0]))  # the first recorded spike
            planned.append((f"raster_{name}",
                            f"Spiking network {name}: excitatory spikes of the first "
                            f"{TRAINING_RASTER_MS / 1000:g} s recorded (retries included), on the "
                            f"training clock.",
                            lambda s=spikes, t0=t0: figures.raster_with_rate(
                                s, t0, min(s.t_stop_ms, t0 + TRAINING_RASTER_MS), bin_ms=10.0)))

    network_reports = _weight_reports_of_networks(run)
    for name, report in sorted(run.reports.items()):
        if report.kind == "state" and name not in network_reports and report.n_frames:
            planned.append((f"state_{name}", f"State report {name}: the first neurons recorded.",
                            lambda r=report: figures.state_traces(
                                r, t_stop_ms=r.time[0] + STATE_WINDOW_MS
                                if r.time_units == "ms" else None)))
        if report.kind == "weights" and not name.endswith("_bias") and report.n_frames \
                and report.shape[1]:
            planned.append((f"weights_{name}",
                            f"Weight report {name}: distribution of its {report.shape[1]} "
                            f"weights in every frame, and the first and last histograms.",
                            lambda r=report: figures.weight_evolution(r)))
            pair = _projection_of(run, name)
            if pair and pair[0] in run.spikes and pair[1] in run.spikes and report.n_frames >= 2:
                planned += _stdp_window_figure(run, name, report, pair)

    # Receptive fields where the input is an image (input_shape of two dimensions).
    for name, net in run.spiking_networks.items():
        shape = net.input_shape
        if net.input_weights is not None and net.input_weights.n_frames and shape \
                and len(shape) == 2:
            labels = net.neuron_class
            classes = None if net.test_confusion is None else net.test_confusion.shape[0]
            planned.append((f"receptive_fields_{name}",
                            f"Spiking network {name}: input weights of every neuron of "
                            f"{net.learning_population.name} as a {shape[0]} x {shape[1]} "
                            f"image at the last frame"
                            + (", with the class each neuron was assigned"
                               if labels is not None and classes else "") + ".",
                            lambda n=net, l=labels, k=classes: figures.receptive_field_grid(
                                n.receptive_fields(),
                                labels=None if l is None or not k else
                                [c if c < k else "-" for c in l],
                                title=f"{n.name}: receptive fields",
                                unit=n.input_weights.units)))
    for name, net in run.rate_networks.items():
        shape = net.input_shape
        if net.layers and net.layers[0].n_frames and shape and len(shape) == 2:
            planned.append((f"receptive_fields_{name}",
                            f"Rate network {name}: the input weights of each unit of layer 1 "
                            f"as a {shape[0]} x {shape[1]} image at the last frame (red "
                            f"positive, blue negative).",
                            lambda n=net, shape=shape: figures.receptive_field_grid(
                                n.weight_matrix(1).reshape(-1, *shape),
                                title=f"{n.name}: layer 1 weights", symmetric=True)))
    if any(len(net.curve) for net in run.networks.values()):
        planned.append(("learning_curves", "Test accuracy of every network against training "
                        "examples seen, the axis both paradigms share.",
                        lambda: figures.learning_curves(run)))
    if len(run.label_curves()):
        planned.append(("accuracy_by_labels", "Test accuracy against labels used at the last "
                        "evaluation point, one point per label budget: the spiking networks "
                        "learn from every example seen and use labels only in their readout, "
                        "the rate networks train on the labelled examples only.",
                        lambda: figures.accuracy_by_labels(run)))
    if len(run.work_per_example()):
        planned.append(("operations_energy", "Operations and estimated energy per example, "
                        "every counted operation priced (synaptic events, neuron updates and "
                        "plasticity updates for spiking networks; MACs forward and backward "
                        "and parameter updates for rate networks): arithmetic only at 45 nm, "
                        "and with the memory traffic priced at SRAM or at DRAM figures.",
                        lambda: figures.operations_and_energy(run)))
    return planned


def _stdp_window_figure(run, name, report, pair):
    pre, post = run.spikes[pair[0]], run.spikes[pair[1]]
    t0, t1 = report.time[0], report.time[-1]
    pre_t, pre_id = pre.between(t0, t1)
    post_t, post_id = post.between(t0, t1)
    table = _scenario_table(run, name)
    if "delay_ms" not in table:
        return []  # the delay is not in the file (a scenario default or a distribution)
    delay = table["delay_ms"]
    if not np.isscalar(delay):
        return []  # per-synapse delays drawn from a distribution are not in the file
    pairs = stats.stdp_window(pre_t, pre_id, post_t, post_id, report.pre, report.post,
                              report.frame_data(0), report.frame_data(-1), delay)
    if len(pairs) < 3:
        return []
    return [(f"stdp_window_{name}",
             f"Weight change of the synapses of {name} that saw exactly one pre-post pair "
             f"between the first and the last frame, against the pair's lag.",
             lambda: figures.stdp_window(pairs, unit=report.units))]


def _table(frame, float_format="{:.4g}"):
    return frame.to_html(index=False, na_rep="", border=0, classes="table",
                         float_format=lambda v: float_format.format(v))


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }}
table.table {{ border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }}
.table th, .table td {{ padding: 0.25em 0.7em; border-bottom: 1px solid #ddd; text-align: right; }}
.warning {{ background: #fff3cd; border: 1px solid #e0c060; padding: 0.7em; }}
figure {{ margin: 1.5em 0; }} figure img {{ max-width: 100%; }}
figcaption {{ font-size: 0.9em; color: #444; }}
pre {{ background: #f6f6f6; padding: 0.7em; font-size: 0.8em; max-height: 20em; overflow: auto; }}
</style></head><body>
<h1>{title}</h1>
{body}
</body></html>
"""


def write_report(run_path, out_dir):
    """Writes ``index.html`` and one PNG per figure into ``out_dir`` (created if needed).

    Returns the list of files written (the HTML page last). An incomplete run is reported
    with a warning banner; a file that is not a spikerate run raises as :func:`load` does.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    run = load(run_path)  # warns (IncompleteRunWarning) for an unfinished run
    with run:
        sections, written = [], []
        if not run.complete:
            sections.append(f'<p class="warning">Incomplete run: '
                            f'{html.escape(run._incomplete_message())}</p>')
        simulated = run.simulated_time_ms
        facts = pd.DataFrame({
            "file": [str(run.path)], "complete": [run.complete], "seed": [run.seed],
            "spikerate": [run.spikerate_version], "format": [run.format_version],
            "dt [ms]": [run.dt_ms],
            "simulated [ms]": [simulated if simulated is not None else np.nan]})
        sections.append("<h2>Run</h2>" + _table(facts))
        networks = run.network_summary()
        if len(networks):
            sections.append("<h2>Networks</h2>" + _table(networks.rename(columns={
                "test_accuracy": "test accuracy (fraction)", "best_test_accuracy": "best",
                "examples_seen": "examples", "labels_used": "labels (or rewards) used",
                "training_ops_per_example": "ops / example",
                "training_operation": "operation",
                "training_energy_arithmetic_pJ": "energy / example [pJ], arithmetic",
                "training_energy_with_sram_pJ": "+ memory (SRAM) [pJ]",
                "training_energy_with_dram_pJ": "+ memory (DRAM) [pJ]"})))
            curves = run.learning_curves()
            if len(curves):
                sections.append("<h3>Test accuracy (fraction) by examples seen</h3>"
                                + _table(curves.reset_index(), "{:.4f}"))
            by_labels = run.label_curves()
            if len(by_labels):
                sections.append("<h3>Test accuracy (fraction) by labels used</h3>"
                                + _table(by_labels.reset_index(), "{:.4f}"))
            work = run.work_per_example()
            if len(work):
                sections.append("<h3>Work per example</h3>" + _table(work))
        populations = run.population_summary()
        if len(populations):
            sections.append("<h2>Populations</h2>" + _table(populations))
        metrics = pd.DataFrame({"metric": list(run.metrics),
                                "value": [v if np.isscalar(v) else f"array {np.shape(v)}"
                                          for v in run.metrics.values()],
                                "units": [run.metric_units[m] for m in run.metrics]})
        sections.append("<h2>Figures</h2>")
        for stem, caption, make in _figures(run):
            fig = make()
            path = out_dir / f"{stem}.png"
            figures.save(fig, path)
            plt.close(fig)
            written.append(path)
            sections.append(f'<figure><img src="{html.escape(path.name)}" alt="{stem}">'
                            f"<figcaption>{html.escape(caption)}</figcaption></figure>")
        if len(metrics):
            sections.append("<h2>All metrics</h2>" + _table(metrics))
        sections.append("<h2>Scenario (resolved)</h2><pre>"
                        + html.escape(run.scenario_text) + "</pre>")
        page = out_dir / "index.html"
        page.write_text(PAGE.format(title=html.escape(f"spikerate run: {run.path.name}"),
                                    body="\n".join(sections)), encoding="utf-8")
        written.append(page)
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python3 -m spikerate.report",
        description="Write the figures of a spikerate run (PNG) and an HTML page showing them "
                    "with summary tables.")
    parser.add_argument("run", help="the run file (.h5, or .h5.partial of an unfinished run)")
    parser.add_argument("-o", "--output", default="report",
                        help="directory for index.html and the PNGs (default: report)")
    args = parser.parse_args(argv)
    try:
        written = write_report(args.run, args.output)
    except (FileNotFoundError, NotASpikerateFile, UnsupportedFormatVersion) as error:
        print(f"spikerate.report: {error}", file=sys.stderr)
        return 2
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
