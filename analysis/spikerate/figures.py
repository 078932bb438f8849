"""Figures of a run, with matplotlib, in one style meant for papers and slides.

Every function returns a ``matplotlib.figure.Figure`` (in a notebook it shows itself; elsewhere
``save(fig, "name.png")``). Sizes are in inches for a two-column page (full width 7 in), fonts
8-9 pt, colours from the Okabe-Ito palette (distinguishable with colour-blindness), spiking
networks in warm colours and rate networks in cool ones.

    import spikerate, spikerate.figures as sf
    run = spikerate.load("build/demo/stdp_vs_backprop.h5")
    sf.learning_curves(run)
    sf.operations_and_energy(run)
    sf.receptive_field_grid(run.spiking_networks["stdp"].receptive_fields())
"""


import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

from . import stats
from .records import _renamed

__all__ = ["style", "save", "raster_with_rate", "state_traces", "spike_statistics",
           "weight_evolution", "receptive_field_grid", "learning_curves",
           "accuracy_by_labels", "operations_and_energy", "stdp_window", "PALETTE"]

# Okabe & Ito (2008), "Color Universal Design".
PALETTE = {"black": "#000000", "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73",
           "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00",
           "purple": "#CC79A7", "grey": "#999999"}
_SPIKING = [PALETTE["vermillion"], PALETTE["orange"], PALETTE["purple"], PALETTE["yellow"]]
_RATE = [PALETTE["blue"], PALETTE["green"], PALETTE["sky"], PALETTE["black"]]
_POPULATIONS = [PALETTE["blue"], PALETTE["vermillion"], PALETTE["green"], PALETTE["orange"],
                PALETTE["purple"], PALETTE["sky"]]

STYLE = {
    "figure.dpi": 110, "savefig.dpi": 200, "savefig.bbox": "tight",
    "font.size": 8.5, "axes.titlesize": 9, "axes.labelsize": 8.5, "legend.fontsize": 7.5,
    "xtick.labelsize": 7.5, "ytick.labelsize": 7.5, "axes.linewidth": 0.7,
    "axes.spines.top": False, "axes.spines.right": False, "xtick.major.width": 0.7,
    "ytick.major.width": 0.7, "lines.linewidth": 1.4, "lines.markersize": 4,
    "legend.frameon": False, "axes.titleweight": "bold", "image.interpolation": "nearest",
    "axes.prop_cycle": mpl.cycler(color=_POPULATIONS),
}


def style():
    """A context manager with this module's matplotlib settings (every function uses it)."""
    return mpl.rc_context(STYLE)


def save(fig, path, dpi=200):
    """Saves a figure (PNG, PDF or SVG by the suffix) at ``dpi`` with tight bounds; returns
    the path."""
    with style():
        fig.savefig(path, dpi=dpi, bbox_inches="tight")
    return path


def _time_axis(t_ms):
    """(values, label): seconds when the span exceeds 10 s, else ms."""
    t_ms = np.asarray(t_ms, dtype=float)
    if t_ms.size and np.nanmax(t_ms) - np.nanmin(t_ms) > 10_000.0:
        return t_ms / 1000.0, "time [s]"
    return t_ms, "time [ms]"


def _as_list(spikes):
    return list(spikes) if isinstance(spikes, (list, tuple)) else [spikes]


def raster_with_rate(spikes, t_start_ms=None, t_stop_ms=None, bin_ms=5.0, max_neurons=400,
                     title=None):
    """Spike raster with the population rate below it, on one time axis.

    Parameters
    ----------
    spikes : Spikes or list of Spikes
        One or more populations (stacked from the bottom up, e.g. ``[exc, inh]``).
    t_start_ms, t_stop_ms : float, optional
        Window [ms]; defaults to the first population's recorded window.
    bin_ms : float
        Bin of the population rate [ms].
    max_neurons : int
        At most this many neurons per population are drawn (node ids below it); the rate
        counts every neuron of the population.
    """
    populations = _as_list(spikes)
    t0 = populations[0].t_start_ms if t_start_ms is None else float(t_start_ms)
    t1 = populations[0].t_stop_ms if t_stop_ms is None else float(t_stop_ms)
    with style():
        fig, (ax_raster, ax_rate) = plt.subplots(
            2, 1, figsize=(7.0, 4.2), sharex=True, gridspec_kw={"height_ratios": [3, 1]},
            constrained_layout=True)
        offset = 0
        ticks, labels = [], []
        for k, pop in enumerate(populations):
            colour = _POPULATIONS[k % len(_POPULATIONS)]
            times, ids = pop.between(t0, t1)
            shown = min(pop.n_nodes, max_neurons)
            keep = ids < shown
            x, xlabel = _time_axis(times[keep])
            few = shown < 60  # few neurons: ticks as tall as a row, else dots
            ax_raster.scatter(x, ids[keep] + offset, s=np.clip((150.0 / shown) ** 2, 4, 60)
                              if few else 1.2, marker="|" if few else ".",
                              linewidths=0.8 if few else 0.6, color=colour, rasterized=True)
            ticks.append(offset + shown / 2)
            labels.append(pop.population if shown == pop.n_nodes
                          else f"{pop.population}\n({shown} of {pop.n_nodes})")
            offset += shown
            edges, rate = stats.population_rate(times, t0, t1, bin_ms, pop.n_nodes)
            centres, _ = _time_axis(0.5 * (edges[:-1] + edges[1:]))
            ax_rate.plot(centres, rate, color=colour, lw=1.0, label=pop.population)
        _, xlabel = _time_axis(np.array([t0, t1]))
        ax_raster.set_yticks(ticks, labels)
        ax_raster.set_ylim(-0.5, offset - 0.5)
        ax_raster.set_ylabel("neuron")
        ax_rate.set_ylabel(f"rate [Hz]\n({bin_ms:g} ms bins)")
        ax_rate.set_xlabel(xlabel)
        ax_rate.set_xlim(*_time_axis(np.array([t0, t1]))[0])
        ax_rate.set_ylim(bottom=0)
        if len(populations) > 1:
            ax_rate.legend(loc="upper right", ncol=len(populations))
        if title:
            ax_raster.set_title(title)
    return fig


def state_traces(report, nodes=None, max_nodes=5, t_start_ms=None, t_stop_ms=None, title=None,
                 t_start=None, t_stop=None):
    """Recorded state variable (e.g. membrane potential) of a few neurons over time, one panel
    each, from a state report; frames in [t_start_ms, t_stop_ms) when given (for a report
    whose axis is examples seen, the window is in examples). ``t_start`` and ``t_stop`` are the
    old names of the window (deprecated)."""
    t_start_ms = _renamed("t_start", "t_start_ms", t_start, t_start_ms, "state_traces")
    t_stop_ms = _renamed("t_stop", "t_stop_ms", t_stop, t_stop_ms, "state_traces")
    time, xlabel = _time_axis(report.time) if report.time_units == "ms" else (
        report.time, f"time [{report.time_units}]")
    nodes = list(report.node_ids[:max_nodes]) if nodes is None else list(nodes)
    window = np.ones(report.n_frames, bool)
    if t_start_ms is not None:
        window &= report.time >= t_start_ms
    if t_stop_ms is not None:
        window &= report.time < t_stop_ms
    rows = np.flatnonzero(window)
    with style():
        fig, axes = plt.subplots(len(nodes), 1, figsize=(7.0, 0.9 + 0.8 * len(nodes)),
                                 sharex=True, squeeze=False, constrained_layout=True)
        block = report.data[rows[0]:rows[-1] + 1] if rows.size else np.empty((0, 0))
        for ax, node in zip(axes[:, 0], nodes):
            column = report.columns_of(node).start
            ax.plot(time[rows], block[:, column], color=PALETTE["blue"], lw=0.8)
            ax.set_ylabel(f"#{node}\n[{report.units}]")
        axes[-1, 0].set_xlabel(xlabel)
        axes[0, 0].set_title(title or f"{report.name}")
    return fig


def spike_statistics(spikes, bin_ms=5.0, max_correlated=200, title=None):
    """Three histograms over the neurons of one population: firing rate [Hz], ISI CV, and the
    pairwise correlation of spike counts in ``bin_ms`` bins (among the first
    ``max_correlated`` neurons). Neurons without a defined value are left out and counted in
    the titles."""
    rates = spikes.rates_hz()
    cv = stats.isi_cv(spikes.times_ms, spikes.node_ids, spikes.n_nodes)
    n_corr = min(spikes.n_nodes, max_correlated)
    keep = spikes.node_ids < n_corr
    counts = stats.binned_counts(spikes.times_ms[keep], spikes.node_ids[keep], n_corr,
                                 spikes.t_start_ms, spikes.t_stop_ms, bin_ms)
    if counts.shape[1] >= 2:
        corr = stats.pairwise_correlations(counts)
        pairs = corr[np.triu_indices(n_corr, k=1)]
    else:
        pairs = np.array([])
    pairs = pairs[np.isfinite(pairs)]
    with style():
        fig, axes = plt.subplots(1, 3, figsize=(7.0, 2.3), constrained_layout=True)
        axes[0].hist(rates, bins=30, color=PALETTE["blue"])
        axes[0].set_xlabel("firing rate [Hz]")
        axes[0].set_ylabel("neurons")
        axes[0].set_title(f"mean {rates.mean():.2f} Hz")
        finite_cv = cv[np.isfinite(cv)]
        axes[1].hist(finite_cv, bins=30, color=PALETTE["green"])
        axes[1].axvline(1.0, color=PALETTE["grey"], ls="--", lw=0.8)
        axes[1].set_xlabel("ISI CV (Poisson = 1)")
        axes[1].set_title(f"mean {np.mean(finite_cv):.2f} ({finite_cv.size} neurons)"
                          if finite_cv.size else "no neuron with 3 spikes")
        axes[2].hist(pairs, bins=40, color=PALETTE["vermillion"])
        axes[2].axvline(0.0, color=PALETTE["grey"], ls="--", lw=0.8)
        axes[2].set_xlabel(f"count correlation ({bin_ms:g} ms bins)")
        axes[2].set_title(f"mean {np.mean(pairs):.3f} ({pairs.size} pairs)"
                          if pairs.size else "no pair defined")
        if title:
            fig.suptitle(title, fontsize=9, fontweight="bold")
    return fig


def _read_frames(report, max_values):
    """Rows to read (every frame, or an even thinning keeping the first and last) and data."""
    frames, elements = report.shape
    if frames * max(elements, 1) <= max_values:
        rows = np.arange(frames)
    else:
        n = max(2, max_values // max(elements, 1))
        rows = np.unique(np.linspace(0, frames - 1, n).round().astype(int))
    return rows, np.stack([report.data[int(r)] for r in rows]) if rows.size else np.empty((0, 0))


def weight_evolution(report, bins=30, scale=1.0, value_label=None, max_values=20_000_000,
                     log_colour=None, title=None):
    """How the distribution of a weight report changes: a heat map of the weight histogram of
    every frame (colour = fraction of synapses, logarithmic), and the first and last
    histograms side by side.

    Parameters
    ----------
    report : FrameReport
        Weights (or any per-element values) over frames.
    bins : int or array_like
        Number of bins over the range of the values read, or the edges (after ``scale``).
    scale : float
        Multiplies the values first, e.g. ``1 / g_max`` to show weights as fractions of g_max.
    value_label : str
        Axis label of the values; default ``"weight [<units>]"``.
    max_values : int
        At most this many values are read: beyond it the frames are thinned evenly (the first
        and the last are always kept).
    log_colour : bool, optional
        Logarithmic colour scale; default when one bin holds more than half of the synapses
        in some frame (a peaked distribution would otherwise hide the rest).
    """
    rows, values = _read_frames(report, max_values)
    values = values.astype(float) * scale
    if np.isscalar(bins):
        low, high = np.nanmin(values), np.nanmax(values)
        if high <= low:
            high = low + 1.0
        edges = np.linspace(low, high, int(bins) + 1)
    else:
        edges = np.asarray(bins, dtype=float)
    counts = stats.weight_histograms(values, edges)
    fractions = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    time = report.time[rows]
    if report.time_units == "ms":
        time, time_label = _time_axis(time)
    else:
        time_label = f"training {report.time_units} seen"
    label = value_label or (f"weight [{report.units}]" if report.units else "weight")
    with style():
        fig, (ax_map, ax_hist) = plt.subplots(
            1, 2, figsize=(7.0, 2.8), gridspec_kw={"width_ratios": [1.6, 1]},
            constrained_layout=True)
        if time.size > 1:
            step = np.diff(time)
            t_edges = np.concatenate([time[:1] - step[0] / 2, time[:-1] + step / 2,
                                      time[-1:] + step[-1] / 2])
        else:
            t_edges = np.array([time[0] - 0.5, time[0] + 0.5])
        positive = fractions[fractions > 0]
        if log_colour is None:
            log_colour = bool(positive.size) and positive.max() > 0.5
        norm = mpl.colors.LogNorm(vmin=max(positive.min(), 1e-4), vmax=positive.max()) \
            if log_colour and positive.size else None
        mesh = ax_map.pcolormesh(t_edges, edges, np.where(fractions > 0, fractions, np.nan).T,
                                 cmap="viridis", norm=norm, shading="flat", rasterized=True)
        fig.colorbar(mesh, ax=ax_map, label="fraction of synapses", pad=0.01)
        ax_map.set_xlabel(time_label)
        ax_map.set_ylabel(label)
        ax_map.set_title(title or f"{report.name}: weight distribution over time")
        for row, colour, name in ((0, PALETTE["grey"], "first"), (-1, PALETTE["vermillion"], "last")):
            ax_hist.stairs(fractions[row], edges, color=colour, lw=1.4,
                           label=f"{name} frame ({report.time[rows[row]]:g} {report.time_units})")
        ax_hist.set_xlabel(label)
        ax_hist.set_ylabel("fraction of synapses")
        ax_hist.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2))
    return fig


def receptive_field_grid(fields, ncols=None, title=None, labels=None, max_fields=400,
                         symmetric=None, unit=""):
    """Images of receptive fields (input weights as images) in a grid.

    Parameters
    ----------
    fields : array_like, shape (n, rows, cols)
        E.g. ``SpikingNetwork.receptive_fields()`` or the rows of an MLP's first layer
        reshaped to 28 x 28. NaN pixels (no synapse) are blank.
    ncols : int, optional
        Grid columns; default ceil(sqrt(n)).
    labels : sequence, optional
        A short label per field (e.g. each neuron's assigned class), drawn in its corner.
    symmetric : bool, optional
        Colour scale symmetric around 0 with a diverging map (for signed weights). Default:
        when any weight is negative. Otherwise one common scale from 0 to the largest weight.
    unit : str
        Unit of the weights, for the colour bar.
    """
    fields = np.asarray(fields, dtype=float)[:max_fields]
    n, h, w = fields.shape
    ncols = int(np.ceil(np.sqrt(n))) if ncols is None else int(ncols)
    nrows = int(np.ceil(n / ncols))
    mosaic = np.full((nrows * (h + 1) - 1, ncols * (w + 1) - 1), np.nan)
    for k in range(n):
        r, c = divmod(k, ncols)
        mosaic[r * (h + 1):r * (h + 1) + h, c * (w + 1):c * (w + 1) + w] = fields[k]
    if symmetric is None:
        symmetric = bool(np.nanmin(fields) < 0)
    with style():
        side = min(7.0, 0.45 * ncols + 0.8)
        fig, ax = plt.subplots(figsize=(side + 0.6, side * nrows / ncols + 0.4),
                               constrained_layout=True)
        if symmetric:
            bound = np.nanmax(np.abs(fields))
            image = ax.imshow(mosaic, cmap="RdBu_r", vmin=-bound, vmax=bound)
        else:
            image = ax.imshow(mosaic, cmap="hot_r", vmin=0.0, vmax=np.nanmax(fields))
        if labels is not None:
            for k, label in enumerate(list(labels)[:n]):
                r, c = divmod(k, ncols)
                ax.text(c * (w + 1) + 0.5, r * (h + 1) + 0.5, str(label), fontsize=6,
                        color="black", va="top", ha="left",
                        bbox=dict(boxstyle="square,pad=0.1", fc="white", ec="none", alpha=0.8))
        ax.set_axis_off()
        fig.colorbar(image, ax=ax, shrink=0.6, label=f"weight [{unit}]" if unit else "weight")
        if title:
            ax.set_title(title)
    return fig


def _network_colours(run):
    colours, spiking, rate = {}, iter(_SPIKING * 4), iter(_RATE * 4)
    for name, net in run.networks.items():
        colours[name] = next(spiking) if net.paradigm == "stdp" else next(rate)
    return colours


def _accuracy_line(ax, net, name, x, accuracy, colour):
    """One network's accuracy curve (fractions): STDP networks dashed with circles, backprop
    ones solid with squares, labelled with the paradigm and the architecture (when the file
    states it)."""
    stdp = net.paradigm == "stdp"
    described = f", {net.architecture}" if net.architecture else ""
    ax.plot(x, accuracy, ls="--" if stdp else "-", marker="o" if stdp else "s",
            color=colour, label=f"{name} ({'STDP' if stdp else 'backprop'}{described})")


def _accuracy_axes(ax, networks, ticks, xlabel, title):
    """What the accuracy curves share: chance dotted (from the networks' confusion matrices), a
    log x axis when ``ticks`` span a decade or more, the ticks themselves labelled when there are
    few (at most 8), accuracy as a fraction from 0 to 1."""
    classes = next((net.test_confusion.shape[0] for net in networks
                    if net.test_confusion is not None), None)
    if classes:
        ax.axhline(1.0 / classes, color=PALETTE["grey"], ls=":", lw=0.8,
                   label=f"chance ({1.0 / classes:.3g})")
    if ticks and min(ticks) > 0 and max(ticks) / min(ticks) >= 10:
        ax.set_xscale("log")
    if 0 < len(ticks) <= 8:
        ax.set_xticks(ticks, [f"{t:,}" for t in ticks])
        ax.xaxis.set_minor_locator(mpl.ticker.NullLocator())
    ax.set_xlabel(xlabel)
    ax.set_ylabel("test accuracy (fraction correct)")
    ax.set_ylim(0, 1)
    ax.grid(True, which="major", lw=0.4, alpha=0.5)
    ax.legend(loc="best")
    if title:
        ax.set_title(title)


def learning_curves(run, title="Test accuracy by training examples seen"):
    """Test accuracy of every network of a run against training examples seen (the axis both
    paradigms share): STDP networks dashed in warm colours, backprop networks solid in cool
    ones, chance level dotted."""
    colours = _network_colours(run)
    with style():
        fig, ax = plt.subplots(figsize=(4.6, 3.2), constrained_layout=True)
        drawn = []
        for name, net in run.networks.items():
            curve = net.curve
            if not len(curve):
                continue
            _accuracy_line(ax, net, name, curve.index, curve["test_accuracy"], colours[name])
            drawn.append(net)
        points = sorted({int(x) for net in run.networks.values() for x in net.curve.index})
        _accuracy_axes(ax, drawn, points, "training examples seen", title)
    return fig


def accuracy_by_labels(run, examples_seen=None,
                       title="Test accuracy by labels used (label budgets)"):
    """Test accuracy of every network against the labels it used, at one evaluation point of
    the label-budget curves (``examples_seen``; default the last one): one point per budget,
    budgets that used the same labels drawn once. STDP networks (features from every example
    seen, labels only in the readout) dashed in warm colours, backprop networks (trained on the
    labelled examples only) solid in cool ones; chance dotted. Raises ValueError when the run
    has no label budgets."""
    curves = run.label_curves()
    if not len(curves):
        raise ValueError("the run has no label-budget curves (scenario key "
                         "training.label_budgets, with training.labels = \"seen\")")
    points = curves.index.get_level_values("examples_seen")
    point = int(points.max()) if examples_seen is None else int(examples_seen)
    if point not in set(points):
        raise ValueError(f"no evaluation point at {point} examples seen; there are "
                         f"{sorted(set(int(p) for p in points))}")
    at = curves[points == point].droplevel(["examples_seen", "label_budget"])
    at = at[~at.index.duplicated()].sort_index()
    colours = _network_colours(run)
    with style():
        fig, ax = plt.subplots(figsize=(4.6, 3.2), constrained_layout=True)
        for name in at.columns:
            _accuracy_line(ax, run.networks[name], name, at.index, at[name], colours[name])
        _accuracy_axes(ax, [run.networks[name] for name in at.columns],
                       [int(u) for u in at.index],
                       f"labels used (after {point:,} training examples seen)", title)
    return fig


def _compact(value):
    """12345 -> '12.3k', 0.0379 -> '0.0379': short labels for bars."""
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.3g}"


def operations_and_energy(run, title=None):
    """Work per example of every network, side by side: operations per example (synaptic
    events for STDP networks, multiply-accumulates for backprop ones; training and test), and
    the energy per training and per test example [pJ] with every counted operation priced, as
    the run wrote it: arithmetic only (solid), with memory traffic at SRAM prices (hatched) and
    at DRAM prices (outlined)."""
    work = run.work_per_example()
    colours = _network_colours(run)
    names = list(dict.fromkeys(work.network))
    x = np.arange(len(names))
    width = 0.27
    with style():
        fig, (ax_ops, ax_train, ax_test) = plt.subplots(1, 3, figsize=(10.0, 3.0),
                                                        constrained_layout=True)

        def bars(ax, offset, values, network_names, **kwargs):
            drawn = ax.bar(x[[names.index(n) for n in network_names]] + offset, values, width,
                           **kwargs)
            for bar, value in zip(drawn, values):
                if np.isfinite(value):
                    ax.annotate(_compact(value), (bar.get_x() + bar.get_width() / 2, value),
                                ha="center", va="bottom", fontsize=6, xytext=(0, 1),
                                textcoords="offset points")

        for offset, phase, hatch in ((-width / 2, "training", None), (width / 2, "test", "///")):
            rows = work[work.phase == phase]
            colour = [colours[n] for n in rows.network]
            style_kw = dict(color=colour, hatch=hatch, edgecolor="white" if hatch else None, lw=0)
            bars(ax_ops, offset, rows.operations_per_example.to_numpy(float), rows.network,
                 **style_kw)
        for ax, phase in ((ax_train, "training"), (ax_test, "test")):
            rows = work[work.phase == phase]
            colour = [colours[n] for n in rows.network]
            bars(ax, -width, rows.energy_arithmetic_pJ.to_numpy(float), rows.network,
                 color=colour, lw=0)
            bars(ax, 0.0, rows.energy_with_sram_pJ.to_numpy(float), rows.network,
                 color=colour, hatch="///", edgecolor="white", lw=0)
            bars(ax, width, rows.energy_with_dram_pJ.to_numpy(float), rows.network,
                 fill=False, edgecolor=colour, lw=1.0)
            ax.set_ylabel(f"energy per {phase} example [pJ]")
            ax.set_title(f"Energy per {phase} example")
        operation = {n: ("synaptic events" if run.networks[n].paradigm == "stdp" else "MACs")
                     for n in names}
        for ax in (ax_ops, ax_train, ax_test):
            ax.set_xticks(x, [f"{n}\n({operation[n]})" if ax is ax_ops else n for n in names])
            ax.set_yscale("log")
            ax.margins(y=0.3)
        handles = [mpl.patches.Patch(color=PALETTE["grey"], label="training / arithmetic"),
                   mpl.patches.Patch(facecolor=PALETTE["grey"], hatch="///", edgecolor="white",
                                     label="test / + memory at SRAM"),
                   mpl.patches.Patch(fill=False, edgecolor=PALETTE["grey"],
                                     label="+ memory at DRAM")]
        fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0),
                   ncol=len(handles))
        ax_ops.set_ylabel("operations per example")
        ax_ops.set_title("Operations per example")
        if title:
            fig.suptitle(title, fontsize=9, fontweight="bold")
    return fig


def stdp_window(pairs, closed_form=None, unit="", title="STDP window from recorded pairs"):
    """Weight change against pair lag (t_post - t_pre_arrival), from
    :func:`spikerate.stats.stdp_window`, with the rule's closed form ``closed_form(lag_ms)``
    drawn as a line when given."""
    with style():
        fig, ax = plt.subplots(figsize=(4.2, 3.0), constrained_layout=True)
        if closed_form is not None and len(pairs):
            lo, hi = pairs.lag_ms.min(), pairs.lag_ms.max()
            for side in (np.linspace(lo, -1e-9, 200), np.linspace(1e-9, hi, 200)):
                side = side[(side >= lo) & (side <= hi)]
                if side.size:
                    ax.plot(side, closed_form(side), color=PALETTE["grey"], lw=1.2,
                            label="closed form" if side[0] < 0 or lo > 0 else None)
        ax.scatter(pairs.lag_ms, pairs.dw, s=14, color=PALETTE["vermillion"], zorder=3,
                   label="measured (one pair per synapse)")
        ax.axhline(0, color=PALETTE["black"], lw=0.5)
        ax.axvline(0, color=PALETTE["black"], lw=0.5)
        ax.set_xlabel("lag t_post - t_pre [ms]")
        ax.set_ylabel(f"weight change{f' [{unit}]' if unit else ''}")
        ax.ticklabel_format(axis="y", style="sci", scilimits=(-3, 3))
        ax.legend(loc="upper left")
        if title:
            ax.set_title(title)
    return fig
