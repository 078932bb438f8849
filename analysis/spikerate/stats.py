"""Spike-train statistics on plain numpy arrays.

A population's spikes are two parallel 1-D arrays, ``times_ms`` (float, ms) and
``node_ids`` (integer, 0-based, in ``[0, n_nodes)``), as stored in SONATA files under
``/spikes/<population>/timestamps`` and ``/spikes/<population>/node_ids``; they need
not be sorted. ``n_nodes`` counts silent neurons too. Times are in ms, rates in Hz.

Every function that takes a population's spikes also takes the package's own
:class:`spikerate.Spikes` (``run.spikes["exc"]``) in place of ``times_ms``: node ids and
``n_nodes`` then come from it, and the window defaults to its recorded window
(``spikes.t_start_ms``, ``spikes.t_stop_ms``), e.g. ``firing_rates(run.spikes["exc"])``.

Weights are 2-D arrays ``frames x synapses`` as stored in a frame report
(``/report/<name>/data``), in the report's unit.

Binning is half-open: bin ``k`` covers ``[t_start + k*bin, t_start + (k+1)*bin)`` and
there are ``floor((t_stop - t_start) / bin)`` bins. A trailing partial bin is dropped,
so spikes in ``[t_start + n_bins*bin, t_stop)`` are not counted.
"""

import numpy as np

__all__ = ["firing_rates", "population_rate", "isi_cv", "fano_factor", "binned_counts",
           "pairwise_correlations", "mean_pairwise_correlation", "van_rossum_distance",
           "weight_histograms", "stdp_window", "receptive_fields", "neighbour_correlation"]


def _n_nodes(n_nodes):
    if isinstance(n_nodes, (int, np.integer)) and not isinstance(n_nodes, bool) and n_nodes > 0:
        return int(n_nodes)
    raise ValueError(f"n_nodes must be a positive integer, got {n_nodes!r}")


def _times(times_ms, name="times_ms"):
    times = np.asarray(times_ms, dtype=float)
    if times.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {times.shape}")
    if not np.all(np.isfinite(times)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return times


def _is_spikes(value):
    from .records import Spikes
    return isinstance(value, Spikes)


def _unpack(times_ms, node_ids=None, n_nodes=None, t_start_ms=None, t_stop_ms=None):
    """(times_ms, node_ids, n_nodes, t_start_ms, t_stop_ms) from arrays, or from a Spikes
    object in place of times_ms (node ids and size from it, the window by default its own).
    Arguments given with a Spikes object that it already defines are refused, so nothing is
    silently ignored."""
    if not _is_spikes(times_ms):
        return times_ms, node_ids, n_nodes, t_start_ms, t_stop_ms
    spikes = times_ms
    if node_ids is not None or n_nodes is not None:
        raise TypeError("give node_ids and n_nodes with arrays of spike times only: a Spikes "
                        "object brings its own")
    return (spikes.times_ms, spikes.node_ids, spikes.n_nodes,
            spikes.t_start_ms if t_start_ms is None else t_start_ms,
            spikes.t_stop_ms if t_stop_ms is None else t_stop_ms)


def _required(**arguments):
    missing = [name for name, value in arguments.items() if value is None]
    if missing:
        raise TypeError(f"missing {', '.join(missing)} (needed with arrays of spike times; a "
                        f"Spikes object brings them)")


def _spikes(times_ms, node_ids, n_nodes):
    times, ids, n = _times(times_ms), np.asarray(node_ids), _n_nodes(n_nodes)
    if ids.ndim != 1:
        raise ValueError(f"node_ids must be 1-D, got shape {ids.shape}")
    if ids.size != times.size:
        raise ValueError(f"times_ms and node_ids must have the same length, "
                         f"got {times.size} and {ids.size}")
    if ids.size == 0:
        ids = ids.astype(np.intp)
    elif not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"node_ids must be an integer array, got dtype {ids.dtype}")
    if ids.size and (ids.min() < 0 or ids.max() >= n):
        raise ValueError(f"node_ids must lie in [0, {n}), got range [{ids.min()}, {ids.max()}]")
    return times, ids.astype(np.intp), n


def _window(t_start_ms, t_stop_ms):
    t_start, t_stop = float(t_start_ms), float(t_stop_ms)
    if not (np.isfinite(t_start) and np.isfinite(t_stop)):
        raise ValueError("t_start_ms and t_stop_ms must be finite")
    if t_stop <= t_start:
        raise ValueError(f"window duration must be positive, "
                         f"got t_start_ms={t_start}, t_stop_ms={t_stop}")
    return t_start, t_stop


def _bin_edges(t_start_ms, t_stop_ms, bin_ms):
    t_start, t_stop = _window(t_start_ms, t_stop_ms)
    bin_ms = float(bin_ms)
    if not np.isfinite(bin_ms) or bin_ms <= 0:
        raise ValueError(f"bin_ms must be a positive finite number, got {bin_ms}")
    # The tolerance keeps e.g. 0.7 ms / 0.1 ms (= 6.999999999999999) at 7 bins.
    n_bins = int(np.floor((t_stop - t_start) / bin_ms + 1e-9))
    if n_bins == 0:
        raise ValueError(f"bin_ms={bin_ms} is longer than the window "
                         f"[{t_start}, {t_stop}) ms; no whole bin fits")
    # Clamping keeps a rounded-up last edge from admitting spikes at t_stop.
    return np.minimum(t_start + bin_ms * np.arange(n_bins + 1), t_stop)


def _bin_index(times, edges):
    """Bin of each spike, and a mask of spikes that fall in a whole bin."""
    index = np.searchsorted(edges, times, side="right") - 1
    return index, (index >= 0) & (index < edges.size - 1)


def firing_rates(times_ms, node_ids=None, n_nodes=None, t_start_ms=None, t_stop_ms=None):
    """Mean firing rate of each neuron over a time window.

    Parameters
    ----------
    times_ms, node_ids : array_like, shape (n_spikes,)
        Spike times in ms and 0-based neuron of each spike; or a :class:`spikerate.Spikes`
        in place of ``times_ms`` (see the module docstring).
    n_nodes : int
        Number of neurons in the population.
    t_start_ms, t_stop_ms : float
        Window in ms; spikes in ``[t_start_ms, t_stop_ms)`` are counted.

    Returns
    -------
    ndarray of float, shape (n_nodes,)
        Spike count divided by the window duration, in Hz.
    """
    times_ms, node_ids, n_nodes, t_start_ms, t_stop_ms = _unpack(
        times_ms, node_ids, n_nodes, t_start_ms, t_stop_ms)
    _required(node_ids=node_ids, n_nodes=n_nodes, t_start_ms=t_start_ms, t_stop_ms=t_stop_ms)
    times, ids, n = _spikes(times_ms, node_ids, n_nodes)
    t_start, t_stop = _window(t_start_ms, t_stop_ms)
    inside = (times >= t_start) & (times < t_stop)
    return np.bincount(ids[inside], minlength=n) / ((t_stop - t_start) / 1000.0)


def population_rate(times_ms, t_start_ms=None, t_stop_ms=None, bin_ms=None, n_nodes=None):
    """Population-averaged instantaneous firing rate in time bins.

    Parameters
    ----------
    times_ms : array_like of float, shape (n_spikes,)
        Spike times in ms of all neurons of the population; or a :class:`spikerate.Spikes`
        (then give ``bin_ms`` by keyword: ``population_rate(spikes, bin_ms=5.0)``).
    t_start_ms, t_stop_ms, bin_ms : float
        Window and bin width in ms (half-open bins, partial last bin dropped).
    n_nodes : int
        Number of neurons the rate is averaged over.

    Returns
    -------
    bin_edges_ms : ndarray of float, shape (n_bins + 1,)
        Bin edges in ms.
    rate_hz : ndarray of float, shape (n_bins,)
        Spikes in each bin divided by ``n_nodes`` and by the bin width, in Hz.
    """
    if _is_spikes(times_ms):
        if n_nodes is not None:
            raise TypeError("give n_nodes with arrays of spike times only: a Spikes object "
                            "brings its own")
        times_ms, _, n_nodes, t_start_ms, t_stop_ms = _unpack(times_ms, None, None, t_start_ms,
                                                              t_stop_ms)
    _required(t_start_ms=t_start_ms, t_stop_ms=t_stop_ms, bin_ms=bin_ms, n_nodes=n_nodes)
    times, n = _times(times_ms), _n_nodes(n_nodes)
    edges = _bin_edges(t_start_ms, t_stop_ms, bin_ms)
    index, inside = _bin_index(times, edges)
    counts = np.bincount(index[inside], minlength=edges.size - 1)
    return edges, counts / (n * float(bin_ms) / 1000.0)


def binned_counts(times_ms, node_ids=None, n_nodes=None, t_start_ms=None, t_stop_ms=None,
                  bin_ms=None):
    """Spike counts of each neuron in consecutive time bins.

    Spikes are given as in :func:`firing_rates` (arrays, or a :class:`spikerate.Spikes`, then
    ``bin_ms`` by keyword); window and bin width are in ms. Bins
    are half-open and only whole bins are kept: the trailing partial bin and its spikes
    are dropped (see the module docstring).

    Returns
    -------
    ndarray of int, shape (n_nodes, n_bins)
        Spike counts.
    """
    times_ms, node_ids, n_nodes, t_start_ms, t_stop_ms = _unpack(
        times_ms, node_ids, n_nodes, t_start_ms, t_stop_ms)
    _required(node_ids=node_ids, n_nodes=n_nodes, t_start_ms=t_start_ms, t_stop_ms=t_stop_ms,
              bin_ms=bin_ms)
    times, ids, n = _spikes(times_ms, node_ids, n_nodes)
    edges = _bin_edges(t_start_ms, t_stop_ms, bin_ms)
    n_bins = edges.size - 1
    index, inside = _bin_index(times, edges)
    flat = np.bincount(ids[inside] * n_bins + index[inside], minlength=n * n_bins)
    return flat.reshape(n, n_bins)


def isi_cv(times_ms, node_ids=None, n_nodes=None):
    """Coefficient of variation of each neuron's inter-spike intervals (ISIs).

    CV = std(ISI) / mean(ISI) with the population standard deviation (``ddof=0``, as in
    Elephant), over all spikes given as in :func:`firing_rates` (arrays or a
    :class:`spikerate.Spikes`; no window). Each
    neuron's spikes are sorted in time first.

    Returns
    -------
    ndarray of float, shape (n_nodes,)
        Dimensionless CV; NaN for neurons with fewer than 3 spikes (fewer than 2 ISIs)
        or whose ISIs are all zero.
    """
    times_ms, node_ids, n_nodes, _, _ = _unpack(times_ms, node_ids, n_nodes)
    _required(node_ids=node_ids, n_nodes=n_nodes)
    times, ids, n = _spikes(times_ms, node_ids, n_nodes)
    order = np.lexsort((times, ids))
    times, ids = times[order], ids[order]
    same_neuron = ids[1:] == ids[:-1]
    isi, owner = np.diff(times)[same_neuron], ids[1:][same_neuron]
    n_isi = np.bincount(owner, minlength=n)
    mean = np.bincount(owner, weights=isi, minlength=n) / np.maximum(n_isi, 1)
    # Deviations from the per-neuron mean avoid the cancellation of E[x^2] - E[x]^2.
    sq_dev = np.bincount(owner, weights=(isi - mean[owner]) ** 2, minlength=n)
    valid = (n_isi >= 2) & (mean > 0)
    cv = np.full(n, np.nan)
    cv[valid] = np.sqrt(sq_dev[valid] / n_isi[valid]) / mean[valid]
    return cv


def fano_factor(times_ms, node_ids=None, n_nodes=None, t_start_ms=None, t_stop_ms=None,
                bin_ms=None):
    """Fano factor of each neuron's spike counts in time bins.

    FF = var(counts) / mean(counts) over the bins of :func:`binned_counts` (same
    arguments, times and bin width in ms; a :class:`spikerate.Spikes` too, with ``bin_ms`` by
    keyword), with the population variance (``ddof=0``).
    A Poisson process has FF = 1.

    Returns
    -------
    ndarray of float, shape (n_nodes,)
        Dimensionless FF; NaN for neurons with no spike in any whole bin.
    """
    counts = binned_counts(times_ms, node_ids, n_nodes, t_start_ms, t_stop_ms, bin_ms)
    mean, var = counts.mean(axis=1), counts.var(axis=1)
    fano, active = np.full(mean.shape, np.nan), mean > 0
    fano[active] = var[active] / mean[active]
    return fano


def pairwise_correlations(counts):
    """Pearson correlation coefficients between the binned counts of all neuron pairs.

    Parameters
    ----------
    counts : array_like, shape (n_nodes, n_bins)
        Binned spike counts, e.g. from :func:`binned_counts`; ``n_bins >= 2``.

    Returns
    -------
    ndarray of float, shape (n_nodes, n_nodes)
        Symmetric, ones on the diagonal. Rows and columns of neurons whose counts do
        not vary (e.g. silent neurons) are NaN, without a division-by-zero warning.
    """
    counts = np.asarray(counts, dtype=float)
    if counts.ndim != 2 or counts.shape[1] < 2:
        raise ValueError(f"counts must be 2-D (n_nodes, n_bins >= 2), got shape {counts.shape}")
    if not np.all(np.isfinite(counts)):
        raise ValueError("counts contains NaN or infinite values")
    centred = counts - counts.mean(axis=1, keepdims=True)
    cov = centred @ centred.T
    std = np.sqrt(np.diag(cov))
    varies = std > 0
    both = np.ix_(varies, varies)
    block = cov[both] / np.outer(std[varies], std[varies])
    np.fill_diagonal(block, 1.0)
    corr = np.full(cov.shape, np.nan)
    corr[both] = np.clip(block, -1.0, 1.0)
    return corr


def mean_pairwise_correlation(corr):
    """Mean of the correlation coefficients of distinct pairs (above the diagonal) that are
    defined, from a matrix of :func:`pairwise_correlations`; NaN if no pair is defined."""
    corr = np.asarray(corr, dtype=float)
    if corr.ndim != 2 or corr.shape[0] != corr.shape[1]:
        raise ValueError(f"corr must be a square matrix, got shape {corr.shape}")
    upper = corr[np.triu_indices(corr.shape[0], k=1)]
    upper = upper[np.isfinite(upper)]
    return float(upper.mean()) if upper.size else float("nan")


def _causal_trace(times, tau_ms):
    """sum_{j <= k} exp(-(t_k - t_j)/tau) at each spike t_k of a sorted train, in O(n)."""
    trace, decay = np.ones(times.size), np.exp(-np.diff(times) / tau_ms)
    for k in range(1, times.size):
        trace[k] += trace[k - 1] * decay[k - 1]
    return trace


def _kernel_sum_before(sources, source_trace, targets, tau_ms, side):
    """sum_t sum_{s before t} exp(-(t - s)/tau); before is s <= t for side="right"."""
    last = np.searchsorted(sources, targets, side=side) - 1
    found = last >= 0
    lag = targets[found] - sources[last[found]]
    return float(np.sum(source_trace[last[found]] * np.exp(-lag / tau_ms)))


def van_rossum_distance(times_a_ms, times_b_ms, tau_ms):
    """Exact van Rossum (2001) distance between two spike trains.

    With ``f`` and ``g`` the trains convolved with the causal kernel ``exp(-t/tau) H(t)``,

        D^2 = (1/tau) * integral (f(t) - g(t))^2 dt
            = (1/2) [sum_ij e^{-|a_i-a_j|/tau} + sum_ij e^{-|b_i-b_j|/tau}
                     - 2 sum_ij e^{-|a_i-b_j|/tau}],

    so D is dimensionless, one extra spike gives D = sqrt(1/2), and single spikes
    shifted by ``dt`` give D^2 = 1 - exp(-dt/tau). The sums are evaluated exactly (no
    time grid) in O(n + m) with the recursive trace of Houghton & Kreuz (2012).

    Parameters
    ----------
    times_a_ms, times_b_ms : array_like of float
        Spike times in ms of one neuron each, sorted in non-decreasing order.
    tau_ms : float
        Kernel time constant in ms, > 0.

    Returns
    -------
    float
        Distance D >= 0.
    """
    tau_ms = float(tau_ms)
    if not np.isfinite(tau_ms) or tau_ms <= 0:
        raise ValueError(f"tau_ms must be a positive finite number, got {tau_ms}")
    a, b = _times(times_a_ms, "times_a_ms"), _times(times_b_ms, "times_b_ms")
    for name, train in (("times_a_ms", a), ("times_b_ms", b)):
        if np.any(np.diff(train) < 0):
            raise ValueError(f"{name} must be sorted in non-decreasing order")
    trace_a, trace_b = _causal_trace(a, tau_ms), _causal_trace(b, tau_ms)
    # Within a train each unordered pair appears twice in sum_ij, the diagonal once.
    within_a = a.size + 2.0 * np.sum(trace_a - 1.0)
    within_b = b.size + 2.0 * np.sum(trace_b - 1.0)
    # Cross pairs split by which spike comes first; ties go to the first term only.
    cross = (_kernel_sum_before(b, trace_b, a, tau_ms, "right")
             + _kernel_sum_before(a, trace_a, b, tau_ms, "left"))
    squared = 0.5 * (within_a + within_b - 2.0 * cross)
    # Rounding can push an exact zero (identical trains) slightly negative.
    return float(np.sqrt(max(squared, 0.0)))


def weight_histograms(weights, bin_edges):
    """Histogram of the weights in every frame of a weight report.

    Parameters
    ----------
    weights : array_like, shape (frames, synapses) or (synapses,)
        Weights in the report's unit (e.g. nS), as in ``/report/<name>/data``.
    bin_edges : array_like of float, shape (n_bins + 1,)
        Increasing edges in the same unit. As in ``numpy.histogram``, bins are half-open
        except the last, which includes its right edge (so ``w_max`` counts); weights outside
        ``[bin_edges[0], bin_edges[-1]]`` are not counted.

    Returns
    -------
    ndarray of int, shape (frames, n_bins)
        Synapses per bin in each frame (one row for a 1-D input).
    """
    w = np.asarray(weights, dtype=float)
    if w.ndim == 1:
        w = w[np.newaxis, :]
    if w.ndim != 2:
        raise ValueError(f"weights must be 1-D or 2-D (frames, synapses), got shape {w.shape}")
    edges = np.asarray(bin_edges, dtype=float)
    if edges.ndim != 1 or edges.size < 2 or not np.all(np.diff(edges) > 0):
        raise ValueError("bin_edges must be a 1-D increasing array of at least 2 edges")
    n_bins = edges.size - 1
    index = np.searchsorted(edges, w, side="right") - 1
    index[w == edges[-1]] = n_bins - 1  # the last bin is closed
    inside = (index >= 0) & (index < n_bins)
    frame = np.broadcast_to(np.arange(w.shape[0])[:, np.newaxis], w.shape)
    flat = np.bincount(frame[inside] * n_bins + index[inside], minlength=w.shape[0] * n_bins)
    return flat.reshape(w.shape[0], n_bins)


def stdp_window(pre_times_ms, pre_node_ids, post_times_ms, post_node_ids, synapse_pre,
                synapse_post, weights_before, weights_after, delay_ms=0.0):
    """The STDP window measured from recorded spike pairs: weight change against lag.

    Give the spikes fired between two frames of a weight report and the weights of those
    frames. A synapse whose presynaptic neuron fired exactly once and whose postsynaptic neuron
    fired exactly once in that interval saw one pair, so its weight change is the window at
    that pair's lag. Synapses with any other number of spikes are left out (their change
    mixes pairs, or is zero).

    Parameters
    ----------
    pre_times_ms, pre_node_ids : array_like, shape (n_pre_spikes,)
        Presynaptic spikes [ms] and their neurons.
    post_times_ms, post_node_ids : array_like, shape (n_post_spikes,)
        Postsynaptic spikes [ms] and their neurons.
    synapse_pre, synapse_post : array_like of int, shape (synapses,)
        Source and target neuron of each synapse (a weight report's ``pre`` and ``post``).
    weights_before, weights_after : array_like of float, shape (synapses,)
        Weights at the two frames, in the report's unit.
    delay_ms : float or array_like of float, shape (synapses,)
        Synaptic delay [ms]: a presynaptic spike at t reaches the synapse at t + delay, and the
        rule sees that arrival time.

    Returns
    -------
    pandas.DataFrame
        One row per synapse with one pair, sorted by lag: ``synapse`` (index into the
        arrays), ``pre``, ``post``, ``lag_ms`` = t_post - (t_pre + delay) (positive:
        pre before post), ``dw`` = after - before (report unit).
    """
    import pandas as pd

    pre_t, pre_id = _times(pre_times_ms, "pre_times_ms"), np.asarray(pre_node_ids, dtype=np.int64)
    post_t, post_id = (_times(post_times_ms, "post_times_ms"),
                       np.asarray(post_node_ids, dtype=np.int64))
    if pre_t.size != pre_id.size or post_t.size != post_id.size:
        raise ValueError("spike times and node ids must have the same length")
    syn_pre = np.asarray(synapse_pre, dtype=np.int64)
    syn_post = np.asarray(synapse_post, dtype=np.int64)
    before = np.asarray(weights_before, dtype=float)
    after = np.asarray(weights_after, dtype=float)
    n_syn = syn_pre.size
    if not (syn_post.size == before.size == after.size == n_syn):
        raise ValueError(f"synapse_pre, synapse_post, weights_before and weights_after must "
                         f"have one value per synapse, got sizes {syn_pre.size}, "
                         f"{syn_post.size}, {before.size}, {after.size}")
    delay = np.broadcast_to(np.asarray(delay_ms, dtype=float), (n_syn,))

    def single_spike_time(times, ids, wanted):
        """Time of the one spike of each wanted neuron, NaN where it fired 0 or > 1 times."""
        n = int(max(ids.max(initial=-1), wanted.max(initial=-1))) + 1
        count = np.bincount(ids, minlength=n)
        last = np.full(n, np.nan)
        last[ids] = times
        return np.where(count[wanted] == 1, last[wanted], np.nan)

    t_pre = single_spike_time(pre_t, pre_id, syn_pre)
    t_post = single_spike_time(post_t, post_id, syn_post)
    paired = np.flatnonzero(np.isfinite(t_pre) & np.isfinite(t_post))
    result = pd.DataFrame({
        "synapse": paired, "pre": syn_pre[paired], "post": syn_post[paired],
        "lag_ms": t_post[paired] - (t_pre[paired] + delay[paired]),
        "dw": after[paired] - before[paired]})
    return result.sort_values("lag_ms", kind="stable", ignore_index=True)


def receptive_fields(weights, index_pointers, source_node_ids, shape=(28, 28)):
    """Each node's incoming weights laid out as an image (e.g. an MNIST digit, 28 x 28).

    Parameters
    ----------
    weights : array_like, shape (elements,)
        One frame of a weight report (report unit).
    index_pointers : array_like of int, shape (nodes + 1,)
        Node k owns elements ``index_pointers[k]:index_pointers[k + 1]`` (report mapping).
    source_node_ids : array_like of int, shape (elements,)
        Source of each element: the input pixel, row-major in the image.
    shape : tuple of int
        Image shape; sources must lie in ``[0, prod(shape))``.

    Returns
    -------
    ndarray of float, shape (nodes, *shape)
        ``fields[k][r, c]`` is the weight from pixel ``r * shape[1] + c`` onto node k, NaN
        where node k has no synapse from that pixel.
    """
    w = np.asarray(weights, dtype=float)
    pointers = np.asarray(index_pointers, dtype=np.int64)
    sources = np.asarray(source_node_ids, dtype=np.int64)
    n_pixels = int(np.prod(shape))
    if w.ndim != 1 or w.size != sources.size:
        raise ValueError(f"weights must be one frame with one value per element "
                         f"({sources.size}), got shape {w.shape}")
    if pointers.ndim != 1 or pointers.size < 1 or pointers[0] != 0 or pointers[-1] != w.size \
            or np.any(np.diff(pointers) < 0):
        raise ValueError("index_pointers must rise from 0 to the number of elements")
    if sources.size and (sources.min() < 0 or sources.max() >= n_pixels):
        raise ValueError(f"source_node_ids must lie in [0, {n_pixels}) for shape {shape}, "
                         f"got range [{sources.min()}, {sources.max()}]")
    n_nodes = pointers.size - 1
    node = np.repeat(np.arange(n_nodes), np.diff(pointers))
    cell = node * n_pixels + sources
    if np.unique(cell).size != cell.size:
        raise ValueError("a node has two synapses from the same source; no single image")
    fields = np.full(n_nodes * n_pixels, np.nan)
    fields[cell] = w
    return fields.reshape(n_nodes, *shape)


def neighbour_correlation(images):
    """Pearson correlation between horizontally adjacent pixels of each image.

    A measure of spatial structure in receptive fields: independent random weights give about
    0, a smooth pattern such as a digit's strokes a clearly positive value, a checkerboard -1.

    Parameters
    ----------
    images : array_like, shape (n, rows, cols)
        E.g. from :func:`receptive_fields`; cols >= 2. NaN pixels (no synapse) drop the pairs
        they are part of.

    Returns
    -------
    ndarray of float, shape (n,)
        Dimensionless, in [-1, 1]; NaN for an image whose pairs do not vary.
    """
    images = np.asarray(images, dtype=float)
    if images.ndim != 3 or images.shape[2] < 2:
        raise ValueError(f"images must be 3-D (n, rows, cols >= 2), got shape {images.shape}")
    left = images[:, :, :-1].reshape(images.shape[0], -1)
    right = images[:, :, 1:].reshape(images.shape[0], -1)
    result = np.full(images.shape[0], np.nan)
    for k in range(images.shape[0]):
        valid = np.isfinite(left[k]) & np.isfinite(right[k])
        a, b = left[k][valid], right[k][valid]
        a, b = a - a.mean(), b - b.mean()
        norm = np.sqrt(np.sum(a * a) * np.sum(b * b))
        if norm > 0:
            result[k] = np.sum(a * b) / norm
    return result
