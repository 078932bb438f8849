import numpy as np
import pytest

from spikerate import stats

# Any RuntimeWarning (e.g. division by zero) leaking out of stats is a test failure.
pytestmark = pytest.mark.filterwarnings("error")

RATE_HZ = 20.0
DURATION_MS = 100_000.0
N_POISSON = 5


def poisson_population(seed=12345, rate_hz=RATE_HZ, n_nodes=N_POISSON, duration_ms=DURATION_MS):
    """Homogeneous Poisson trains: Poisson count, then uniform times; shuffled like real output."""
    rng = np.random.default_rng(seed)
    counts = rng.poisson(rate_hz * duration_ms / 1000.0, size=n_nodes)
    times = rng.uniform(0.0, duration_ms, size=counts.sum())
    ids = np.repeat(np.arange(n_nodes), counts)
    order = rng.permutation(times.size)
    return times[order], ids[order]


def test_firing_rates_hand_made():
    times = [1.0, 5.0, 9.99, 10.0, 3.0, -0.5, 7.0]
    ids = [0, 0, 0, 0, 2, 1, 1]
    # Window [0, 10) ms = 0.01 s: node 0 has 3 spikes (10.0 excluded), node 1 one (-0.5
    # excluded), node 2 one, node 3 none.
    rates = stats.firing_rates(times, ids, 4, 0.0, 10.0)
    np.testing.assert_allclose(rates, [300.0, 100.0, 100.0, 0.0])
    # SONATA files may store node_ids as uint64 and sizes come as numpy integers.
    rates = stats.firing_rates(times, np.array(ids, np.uint64), np.int64(4), 0.0, 10.0)
    np.testing.assert_allclose(rates, [300.0, 100.0, 100.0, 0.0])


def test_firing_rates_empty_input():
    np.testing.assert_array_equal(stats.firing_rates([], [], 3, 0.0, 1.0), [0.0, 0.0, 0.0])


def test_population_rate_hand_made():
    times = [1.0, 2.0, 15.0, 29.9, 31.0, 30.0 + 4.9, -1.0, 35.0]
    # Window [0, 35) with 10 ms bins: three whole bins, [30, 35) is a dropped partial bin.
    edges, rate = stats.population_rate(times, 0.0, 35.0, 10.0, n_nodes=2)
    np.testing.assert_allclose(edges, [0.0, 10.0, 20.0, 30.0])
    # Counts [2, 1, 1] over 2 neurons and 0.01 s bins.
    np.testing.assert_allclose(rate, [100.0, 50.0, 50.0])


def test_population_rate_mean_matches_firing_rates():
    times, ids = poisson_population()
    _, rate = stats.population_rate(times, 0.0, DURATION_MS, 50.0, N_POISSON)
    mean_of_rates = stats.firing_rates(times, ids, N_POISSON, 0.0, DURATION_MS).mean()
    assert rate.mean() == pytest.approx(mean_of_rates, rel=1e-12)


def test_binned_counts_half_open_bins():
    times = [0.0, 4.999, 5.0, 9.0, 10.0, 12.0, 3.0]
    ids = [0, 0, 0, 1, 1, 1, 1]
    # [0, 12) in 5 ms bins: two whole bins; 10.0 and 12.0 fall in the dropped partial bin.
    counts = stats.binned_counts(times, ids, 3, 0.0, 12.0, 5.0)
    np.testing.assert_array_equal(counts, [[2, 1], [1, 1], [0, 0]])


@pytest.mark.parametrize("t_stop_ms, n_bins", [(1000.0, 10_000), (0.7, 7), (0.3, 3)])
def test_binned_counts_bin_count_robust_to_rounding(t_stop_ms, n_bins):
    # 0.7 / 0.1 evaluates to 6.999999999999999 in floating point; it must still give 7 bins,
    # and a spike exactly at t_stop stays outside the half-open window.
    times = np.append(np.arange(n_bins) * 0.1 + 0.05, t_stop_ms)
    counts = stats.binned_counts(times, np.zeros(times.size, int), 1, 0.0, t_stop_ms, 0.1)
    assert counts.shape == (1, n_bins)
    assert np.all(counts == 1)


def test_poisson_rate_within_five_standard_errors():
    times, ids = poisson_population()
    rates = stats.firing_rates(times, ids, N_POISSON, 0.0, DURATION_MS)
    # Count ~ Poisson(rate*T), so the rate estimate has standard error sqrt(rate/T).
    standard_error = np.sqrt(RATE_HZ / (DURATION_MS / 1000.0))
    assert np.all(np.abs(rates - RATE_HZ) < 5 * standard_error)


def test_poisson_cv_near_one():
    times, ids = poisson_population()
    cv = stats.isi_cv(times, ids, N_POISSON)
    n_intervals = np.bincount(ids, minlength=N_POISSON) - 1
    # Delta method for exponential ISIs (moments 1, 1, 2, 9 in units of the mean):
    # var(CV_hat) ~ [sigma^4/mu^4 + (mu4 - sigma^4)/(4 sigma^2 mu^2) - mu3/mu^3] / n = 1/n.
    standard_error = 1.0 / np.sqrt(n_intervals)
    assert np.all(np.abs(cv - 1.0) < 5 * standard_error)


def test_poisson_fano_near_one():
    bin_ms = 100.0
    times, ids = poisson_population()
    fano = stats.fano_factor(times, ids, N_POISSON, 0.0, DURATION_MS, bin_ms)
    n_bins = DURATION_MS / bin_ms
    # Delta method for Poisson counts (var = mu3 = lambda, mu4 = lambda + 3 lambda^2):
    # var(FF_hat) ~ 2 / n_bins, independent of lambda.
    standard_error = np.sqrt(2.0 / n_bins)
    assert np.all(np.abs(fano - 1.0) < 5 * standard_error)


def test_regular_train_has_zero_cv_and_fano():
    period_ms = 25.0
    times = np.arange(0.0, 10_000.0, period_ms) + 3.0
    ids = np.zeros(times.size, dtype=int)
    assert stats.isi_cv(times, ids, 1)[0] == pytest.approx(0.0, abs=1e-12)
    fano = stats.fano_factor(times, ids, 1, 0.0, 10_000.0, 4 * period_ms)
    assert fano[0] == pytest.approx(0.0, abs=1e-12)


def test_isi_cv_hand_made_and_nan_for_short_trains():
    # Node 0 intervals 1 and 3 (given unsorted): mean 2, std 1, CV 0.5.
    times = [4.0, 0.0, 1.0, 7.0, 8.0, 3.0]
    ids = [0, 0, 0, 1, 1, 2]
    cv = stats.isi_cv(times, ids, 4)
    assert cv[0] == pytest.approx(0.5)
    assert np.all(np.isnan(cv[1:]))


def test_isi_cv_nan_for_coincident_spikes():
    assert np.isnan(stats.isi_cv([2.0, 2.0, 2.0], [0, 0, 0], 1)[0])


def test_fano_hand_made_and_nan_for_silent():
    # Node 0 counts [2, 0, 1, 1]: mean 1, variance 0.5.
    times = [0.5, 1.5, 5.0, 7.0]
    ids = [0, 0, 0, 0]
    fano = stats.fano_factor(times, ids, 2, 0.0, 8.0, 2.0)
    assert fano[0] == pytest.approx(0.5)
    assert np.isnan(fano[1])


def test_correlations_identical_and_sign_flipped():
    rng = np.random.default_rng(7)
    base = rng.poisson(3.0, size=200).astype(float)
    counts = np.vstack([base, base, -base, 2.0 * base + 5.0])
    corr = stats.pairwise_correlations(counts)
    np.testing.assert_allclose(corr, [[1, 1, -1, 1], [1, 1, -1, 1], [-1, -1, 1, -1], [1, 1, -1, 1]])


def test_correlations_match_numpy_and_nan_for_silent():
    rng = np.random.default_rng(8)
    counts = rng.poisson(2.0, size=(4, 300))
    counts[2] = 0
    corr = stats.pairwise_correlations(counts)
    live = [0, 1, 3]
    np.testing.assert_allclose(corr[np.ix_(live, live)], np.corrcoef(counts[live]), atol=1e-12)
    assert np.all(np.isnan(corr[2])) and np.all(np.isnan(corr[:, 2]))
    assert np.all(np.abs(corr[np.ix_(live, live)]) <= 1.0)


def test_van_rossum_identical_trains_zero():
    train = np.cumsum(np.random.default_rng(3).exponential(10.0, size=50))
    assert stats.van_rossum_distance(train, train, 5.0) == pytest.approx(0.0, abs=1e-6)
    assert stats.van_rossum_distance([], [], 5.0) == 0.0


def test_van_rossum_one_extra_spike():
    assert stats.van_rossum_distance([10.0], [], 3.0) == pytest.approx(np.sqrt(0.5))
    # An extra spike far after the shared ones adds 1/2 to D^2 whatever tau is.
    shared = [1.0, 4.0, 9.0]
    d = stats.van_rossum_distance(shared + [1000.0], shared, 2.0)
    assert d == pytest.approx(np.sqrt(0.5), rel=1e-12)


def test_van_rossum_two_spikes_far_apart_and_shifted():
    tau = 4.0
    assert stats.van_rossum_distance([0.0], [1000.0], tau) == pytest.approx(1.0)
    for shift in (0.1, 1.0, 4.0, 10.0):
        expected = np.sqrt(1.0 - np.exp(-shift / tau))
        assert stats.van_rossum_distance([0.0], [shift], tau) == pytest.approx(expected)
        assert stats.van_rossum_distance([shift], [0.0], tau) == pytest.approx(expected)


def brute_force_van_rossum_squared(a, b, tau, dt):
    """Left Riemann sum of (1/tau) * integral (f - g)^2 on a grid, and its error bound."""
    end = max(a.max(), b.max()) + 30 * tau
    t = np.arange(min(a.min(), b.min()) - dt, end, dt)
    diff = np.zeros(t.size)
    for spike in a:
        diff += np.where(t >= spike, np.exp(-(t - spike) / tau), 0.0)
    for spike in b:
        diff -= np.where(t >= spike, np.exp(-(t - spike) / tau), 0.0)
    integrand = diff**2
    # The left sum errs by at most dt * (total variation) per unit of integral. Between
    # spikes (f - g)^2 = C^2 exp(-2t/tau) is monotone, so the grid variation misses only
    # decay inside the cells holding a jump; doubling it covers that. The tail after
    # `end` is integrand(end) * tau/2 exactly.
    variation = np.sum(np.abs(np.diff(integrand)))
    tail = integrand[-1] * tau / 2
    return dt * integrand.sum() / tau, (2 * dt * variation + tail) / tau


def test_van_rossum_matches_numerical_integration():
    rng = np.random.default_rng(2024)
    tau, dt = 5.0, 1e-3
    a = np.sort(rng.uniform(0.0, 60.0, size=8))
    b = np.sort(np.concatenate([a[:5] + rng.normal(0.0, 2.0, size=5), [20.0, 41.3]]))
    numeric, tolerance = brute_force_van_rossum_squared(a, b, tau, dt)
    exact = stats.van_rossum_distance(a, b, tau) ** 2
    # The bound must be tight enough to catch a wrong constant (e.g. a factor of 2).
    assert tolerance < 0.01 * exact
    assert abs(exact - numeric) < tolerance


def test_van_rossum_ties_between_trains():
    # Coincident spikes across and within trains must be counted once per pair.
    numeric, tolerance = brute_force_van_rossum_squared(
        np.array([1.0, 5.0, 5.0]), np.array([5.0, 8.0]), 3.0, 1e-3
    )
    exact = stats.van_rossum_distance([1.0, 5.0, 5.0], [5.0, 8.0], 3.0) ** 2
    assert abs(exact - numeric) < tolerance


GOOD_T, GOOD_I = [1.0, 2.0], [0, 1]


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: stats.firing_rates([[1.0]], [[0]], 1, 0, 10), "times_ms must be 1-D"),
        (lambda: stats.firing_rates([1.0], [[0]], 1, 0, 10), "node_ids must be 1-D"),
        (lambda: stats.firing_rates([1.0, 2.0], [0], 1, 0, 10), "same length"),
        (lambda: stats.firing_rates([np.nan], [0], 1, 0, 10), "NaN or infinite"),
        (lambda: stats.firing_rates([1.0], [0.0], 1, 0, 10), "integer array"),
        (lambda: stats.firing_rates(GOOD_T, [0, 2], 2, 0, 10), r"in \[0, 2\)"),
        (lambda: stats.firing_rates(GOOD_T, [-1, 0], 2, 0, 10), r"in \[0, 2\)"),
        (lambda: stats.firing_rates(GOOD_T, GOOD_I, 0, 0, 10), "positive integer"),
        (lambda: stats.firing_rates(GOOD_T, GOOD_I, 2.5, 0, 10), "positive integer"),
        (lambda: stats.firing_rates(GOOD_T, GOOD_I, True, 0, 10), "positive integer"),
        (lambda: stats.firing_rates(GOOD_T, GOOD_I, 2, 10, 0), "duration must be positive"),
        (lambda: stats.firing_rates(GOOD_T, GOOD_I, 2, 5, 5), "duration must be positive"),
        (lambda: stats.firing_rates(GOOD_T, GOOD_I, 2, 0, np.inf), "must be finite"),
        (lambda: stats.population_rate(GOOD_T, 0, 10, 0, 2), "bin_ms must be a positive"),
        (lambda: stats.population_rate(GOOD_T, 0, 10, -1, 2), "bin_ms must be a positive"),
        (lambda: stats.population_rate(GOOD_T, 0, 10, 20, 2), "no whole bin"),
        (lambda: stats.population_rate(GOOD_T, 0, 10, 1, -3), "positive integer"),
        (lambda: stats.binned_counts(GOOD_T, GOOD_I, 2, 0, 10, np.nan), "bin_ms must be"),
        (lambda: stats.fano_factor(GOOD_T, GOOD_I, 2, 10, 0, 1), "duration must be"),
        (lambda: stats.isi_cv(GOOD_T, [0, 5], 2), r"in \[0, 2\)"),
        (lambda: stats.pairwise_correlations([1.0, 2.0]), "must be 2-D"),
        (lambda: stats.pairwise_correlations([[1.0], [2.0]]), r"n_bins >= 2\), got shape \(2, 1\)"),
        (lambda: stats.pairwise_correlations([[1.0, np.inf]]), "NaN or infinite"),
        (lambda: stats.van_rossum_distance([1.0], [2.0], 0.0), "tau_ms must be"),
        (lambda: stats.van_rossum_distance([1.0], [2.0], -1.0), "tau_ms must be"),
        (lambda: stats.van_rossum_distance([2.0, 1.0], [2.0], 1.0), "times_a_ms must be sorted"),
        (lambda: stats.van_rossum_distance([1.0], [3.0, 2.0], 1.0), "times_b_ms must be sorted"),
        (lambda: stats.van_rossum_distance([[1.0]], [2.0], 1.0), "times_a_ms must be 1-D"),
        (lambda: stats.van_rossum_distance([1.0], [np.nan], 1.0), "NaN or infinite"),
    ],
)
def test_invalid_input_raises(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_mean_pairwise_correlation_skips_diagonal_and_undefined_pairs():
    nan = np.nan
    corr = [[1.0, 0.5, nan, -0.1], [0.5, 1.0, nan, 0.3], [nan, nan, nan, nan],
            [-0.1, 0.3, nan, 1.0]]
    # Defined pairs above the diagonal: 0.5, -0.1, 0.3.
    assert stats.mean_pairwise_correlation(corr) == pytest.approx(0.7 / 3)
    assert np.isnan(stats.mean_pairwise_correlation([[1.0, nan], [nan, 1.0]]))


def test_weight_histograms_hand_made():
    weights = [[0.0, 0.25, 0.5, 1.0],
               [0.1, 0.1, 0.9, 1.5]]
    # Bins [0, 0.5) and [0.5, 1.0]: the last bin holds its right edge, 1.5 is outside.
    counts = stats.weight_histograms(weights, [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(counts, [[2, 2], [2, 1]])
    np.testing.assert_array_equal(stats.weight_histograms([-1.0, 0.2], [0.0, 0.5, 1.0]), [[1, 0]])


def test_stdp_window_keeps_synapses_with_exactly_one_pair():
    # Four synapses onto post neurons 0 and 1. Post 0 fires once at 30 ms, post 1 twice.
    pre_t, pre_id = [10.0, 45.0, 5.0, 6.0, 20.0], [0, 1, 2, 2, 3]
    post_t, post_id = [30.0, 12.0, 40.0], [0, 1, 1]
    synapse_pre, synapse_post = [0, 1, 2, 3], [0, 0, 0, 1]
    before, after = [1.0, 1.0, 1.0, 1.0], [1.5, 0.75, 1.25, 2.0]
    pairs = stats.stdp_window(pre_t, pre_id, post_t, post_id, synapse_pre, synapse_post,
                              before, after, delay_ms=1.0)
    # Synapse 2: its pre neuron fired twice; synapse 3: its post neuron fired twice. Left:
    # synapse 1 with lag 30 - (45 + 1) = -16 ms, synapse 0 with lag 30 - (10 + 1) = 19 ms.
    assert list(pairs.synapse) == [1, 0]
    np.testing.assert_allclose(pairs.lag_ms, [-16.0, 19.0])
    np.testing.assert_allclose(pairs.dw, [-0.25, 0.5])
    assert list(pairs.pre) == [1, 0] and list(pairs.post) == [0, 0]
    per_synapse = stats.stdp_window(pre_t, pre_id, post_t, post_id, synapse_pre, synapse_post,
                                    before, after, delay_ms=[0.0, 2.0, 0.0, 0.0])
    np.testing.assert_allclose(per_synapse.lag_ms, [-17.0, 20.0])


def test_stdp_window_rejects_mismatched_synapse_arrays():
    with pytest.raises(ValueError, match="one value per synapse"):
        stats.stdp_window([1.0], [0], [2.0], [0], [0, 1], [0], [1.0], [1.0])


def test_receptive_fields_place_each_weight_at_its_source_pixel():
    # Node 0 has synapses from pixels 3, 0, 1 (in that element order); node 1 only from 2.
    weights = [0.3, 0.0, 0.1, 0.2]
    fields = stats.receptive_fields(weights, [0, 3, 4], [3, 0, 1, 2], shape=(2, 2))
    np.testing.assert_array_equal(fields[0], [[0.0, 0.1], [np.nan, 0.3]])
    np.testing.assert_array_equal(fields[1], [[np.nan, np.nan], [0.2, np.nan]])


def test_neighbour_correlation_hand_made():
    stripes = [[[0.0, 1.0, 0.0, 1.0]] * 2]        # every neighbour pair (0, 1) or (1, 0): -1
    ramp = [[[0.0, 1.0, 2.0], [1.0, 2.0, 3.0]]]    # left (0, 1, 1, 2), right (1, 2, 2, 3): +1
    flat = [[[2.0, 2.0], [2.0, 2.0]]]              # no variation: undefined
    assert stats.neighbour_correlation(stripes)[0] == pytest.approx(-1.0)
    assert stats.neighbour_correlation(ramp)[0] == pytest.approx(1.0)
    assert np.isnan(stats.neighbour_correlation(flat)[0])
    # Pairs (1, 2), (3, 5), (4, 4): deviations from the means 8/3 and 11/3 are
    # (-5/3, 1/3, 4/3) and (-5/3, 4/3, 1/3): covariance 33/9, both variances 42/9.
    hand = [[[1.0, 2.0], [3.0, 5.0], [4.0, 4.0]]]
    assert stats.neighbour_correlation(hand)[0] == pytest.approx(33.0 / 42.0)
    # NaN pixels drop their pairs: (1, 2), (3, 5), (5, 9), (4, 4) remain; deviations from 13/4
    # and 5 are (-9/4, -1/4, 7/4, 3/4) and (-3, 0, 4, -1): 13 / sqrt(35/4 * 26).
    with_hole = [[[1.0, 2.0, np.nan], [3.0, 5.0, 9.0], [4.0, 4.0, np.nan]]]
    assert stats.neighbour_correlation(with_hole)[0] == pytest.approx(13.0 / np.sqrt(35 / 4 * 26))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: stats.neighbour_correlation([[1.0, 2.0]]), "3-D"),
        (lambda: stats.weight_histograms([[[1.0]]], [0, 1]), "1-D or 2-D"),
        (lambda: stats.weight_histograms([1.0], [1.0, 0.0]), "increasing"),
        (lambda: stats.receptive_fields([1.0, 2.0], [0, 2], [0, 4], (2, 2)), r"in \[0, 4\)"),
        (lambda: stats.receptive_fields([1.0, 2.0], [0, 2], [1, 1], (2, 2)), "same source"),
        (lambda: stats.receptive_fields([1.0], [0, 2], [1], (2, 2)), "index_pointers"),
        (lambda: stats.mean_pairwise_correlation([1.0, 2.0]), "square"),
    ],
)
def test_invalid_weight_input_raises(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_statistics_take_the_packages_own_spikes(coba_run):
    """A Spikes object stands for (times, node ids, n_nodes) and, by default, its window."""
    import spikerate
    with spikerate.load(coba_run) as run:
        s = run.spikes["exc"]
        arrays = (s.times_ms, s.node_ids, s.n_nodes)
        window = (s.t_start_ms, s.t_stop_ms)
        np.testing.assert_array_equal(stats.firing_rates(s), stats.firing_rates(*arrays, *window))
        np.testing.assert_array_equal(stats.firing_rates(s, t_start_ms=100.0),
                                      stats.firing_rates(*arrays, 100.0, s.t_stop_ms))
        np.testing.assert_array_equal(stats.isi_cv(s), stats.isi_cv(*arrays))
        np.testing.assert_array_equal(stats.binned_counts(s, bin_ms=10.0),
                                      stats.binned_counts(*arrays, *window, 10.0))
        np.testing.assert_array_equal(stats.fano_factor(s, bin_ms=50.0),
                                      stats.fano_factor(*arrays, *window, 50.0))
        edges, rate = stats.population_rate(s, bin_ms=5.0)
        edges_a, rate_a = stats.population_rate(s.times_ms, *window, 5.0, s.n_nodes)
        np.testing.assert_array_equal(rate, rate_a)
        with pytest.raises(TypeError, match="brings its own"):
            stats.firing_rates(s, s.node_ids)
        with pytest.raises(TypeError, match="missing n_nodes"):
            stats.firing_rates(s.times_ms, s.node_ids, t_start_ms=0.0, t_stop_ms=1.0)


def test_state_traces_old_window_names_warn(coba_run):
    import matplotlib
    matplotlib.use("Agg")
    import spikerate
    from spikerate import figures
    with spikerate.load(coba_run) as run:
        report = run.reports["v_exc"]
        with pytest.warns(DeprecationWarning, match="t_stop= is deprecated, use t_stop_ms="):
            old = figures.state_traces(report, t_stop=5.0)
        new = figures.state_traces(report, t_stop_ms=5.0)
        assert [len(l.get_xdata()) for l in old.axes[0].get_lines()] == \
               [len(l.get_xdata()) for l in new.axes[0].get_lines()] == [50]
        with pytest.raises(TypeError, match="not also"):
            figures.state_traces(report, t_stop=5.0, t_stop_ms=5.0)
