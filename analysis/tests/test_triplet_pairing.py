"""The pairing-frequency experiment (data/scenarios/triplet_pairing_frequency.toml, swept by
spikerate.triplet_pairing) against the triplet rule's closed forms."""
import numpy as np
import pytest

from spikerate import triplet_pairing as tp


@pytest.fixture(scope="module")
def pairing_curve(spikerate_binary, tmp_path_factory):
    out = tmp_path_factory.mktemp("triplet_pairing")
    rows = []
    for f in tp.FREQUENCIES_HZ:
        for lag in tp.LAGS_MS:
            dw, pre, post = tp.simulate(spikerate_binary, f, lag, out)
            rows.append((f, lag, dw, pre, post))
    return rows


def test_the_runs_play_the_nominal_pairings(pairing_curve):
    for f, lag, _, pre, post in pairing_curve:
        nominal_pre, nominal_post = tp.pairing_times(f, lag)
        assert np.allclose(pre, nominal_pre, rtol=0, atol=1e-9)
        assert np.allclose(post, nominal_post, rtol=0, atol=1e-9)


def test_simulated_weight_change_is_the_exact_sum(pairing_curve):
    # The run file stores weights as float32: the only difference allowed is that rounding, one
    # float32 spacing at the final weight.
    for f, lag, dw, pre, post in pairing_curve:
        w_final = np.float32(tp.W0 + dw)
        assert abs(dw - tp.exact_dw(pre, post)) <= np.spacing(w_final), (f, lag)


def test_sjostrom_shape(pairing_curve):
    per_pairing = {(f, lag): dw / tp.PAIRINGS for f, lag, dw, _, _ in pairing_curve}
    # post-pre (-10 ms): depression at low frequency, potentiation at 50 Hz
    for f in (0.1, 1.0, 5.0, 10.0, 20.0):
        assert per_pairing[(f, -10.0)] < 0.0
    assert per_pairing[(50.0, -10.0)] > 0.0
    # pre-post (+10 ms): none at 0.1 Hz (A2_plus = 0), then potentiation growing with frequency
    assert abs(per_pairing[(0.1, 10.0)]) < 1e-6
    plus = [per_pairing[(f, 10.0)] for f in tp.FREQUENCIES_HZ]
    assert all(b > a for a, b in zip(plus[1:], plus[2:]))


def test_exact_sum_reaches_the_steady_state_closed_form():
    # The last of many pairings changes the weight by the geometric-series closed form: the two
    # formulas are independent (one sums trains, the other series). After 150 pairings the
    # traces' distance to periodic is below 0.84^150 ~ 1e-11 (tau_y at 50 Hz, the slowest).
    for f in (1.0, 20.0, 50.0):
        for lag in tp.LAGS_MS:
            pre, post = tp.pairing_times(f, lag, n=150)
            pre1, post1 = tp.pairing_times(f, lag, n=149)
            last = tp.exact_dw(pre, post) - tp.exact_dw(pre1, post1)
            assert last == pytest.approx(tp.steady_state_dw(f, lag), rel=1e-8, abs=1e-15)
