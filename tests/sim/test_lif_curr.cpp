// lif_curr as the engine integrates it: closed-form subthreshold trajectories and PSPs, first
// spike times (also in precise mode, with off-grid input), the refractory clamp and the
// interspike interval, with tolerances derived from dt and each method's order (the conventions
// are in lif_testing.hpp); and the exact propagator against RK4 in a Poisson-driven network.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include <catch2/catch.hpp>

#include "models/lif_curr.hpp"
#include "sim/network.hpp"
#include "sim/network_spec.hpp"
#include "sim/recorder.hpp"
#include "tests/sim/lif_testing.hpp"

namespace sim = spikerate::sim;
using sim::Integration;
using spikerate::models::LifCurrParams;
using spikerate::testing::add_input;
using spikerate::testing::bisect;
using spikerate::testing::crossing_time;
using spikerate::testing::decay_error;
using spikerate::testing::dopri5_defect;
using spikerate::testing::on_grid;
using spikerate::testing::Recording;
using spikerate::testing::relax;
using spikerate::testing::rk4_defect;
using spikerate::testing::rounding;
using spikerate::testing::simulate;
using spikerate::testing::single_neuron_spec;

namespace {

// lif_curr's response, from rest, to a current jump w decaying with tau_s, s after the jump.
double psp(double w, double C_m, double tau_m, double tau_s, double s) {
    if (s < 0.0) return 0.0;
    if (tau_s == tau_m) return w / C_m * s * std::exp(-s / tau_m);
    return w / C_m * tau_m * tau_s / (tau_s - tau_m) *
           (std::exp(-s / tau_s) - std::exp(-s / tau_m));
}

// Error bound for RK4 on lif_curr's linear subthreshold dynamics, propagated step by step.
// With y = (V_m - V_inf, I_syn_e, I_syn_i), V_inf = E_L + R I_e, the dynamics are y' = A y, and
// input spikes add the same jumps to I_syn in both the exact and the RK4 solution, so the error
// e = y - y_rk4 obeys exactly
//   e_{n+1} = P4(hA) e_n + E y_n,   E = e^{hA} - P4(hA) = sum_{k>=5} (hA)^k / k!,
// with y_n the exact state at the start of step n. With a = 1/tau_m, b = 1/tau_syn,
// lambda = max(a, b) and S_k = sum_{j<k} a^j b^{k-1-j} <= k lambda^{k-1}, the coupling entry is
// |(A^k)_VI| = S_k / C_m (also for a = b), and entrywise
//   P4(hA)_VV = P4(-ha) in (0, 1),  P4(hA)_II = P4(-hb) in (0, 1),
//   |P4(hA)_VI| <= (h / C_m) sum_{k=1..4} (h lambda)^{k-1} / (k-1)! <= (h / C_m) e^{h lambda},
//   |E_VV| <= (ha)^5 / 120,  |E_II| <= (hb)^5 / 120  (scalar decays, lif_testing.hpp),
//   |E_VI| <= (h / C_m) (h^4 S_5 / 120 + (h lambda)^5 e^{h lambda} / 120)
// (the tail: sum_{k>=6} (h lambda)^{k-1} / (k-1)! <= (h lambda)^5 / 120 e^{h lambda}).
class LifCurrRk4ErrorBound {
  public:
    LifCurrRk4ErrorBound(const LifCurrParams& p, double h)
        : keep_V_(p4(h / p.tau_m)),
          defect_VV_(rk4_defect(h / p.tau_m)),
          exc_(synapse(p, h, p.tau_syn_e)),
          inh_(synapse(p, h, p.tau_syn_i)) {}

    // One step from the exact state (V_m - V_inf, I_syn_e, I_syn_i) at its start.
    void step(double V_dev, double I_e, double I_i) {
        e_V_ = keep_V_ * e_V_ + exc_.to_V * exc_.e + inh_.to_V * inh_.e +
               defect_VV_ * std::abs(V_dev) + exc_.defect_VI * std::abs(I_e) +
               inh_.defect_VI * std::abs(I_i);
        exc_.e = exc_.keep * exc_.e + exc_.defect_II * std::abs(I_e);
        inh_.e = inh_.keep * inh_.e + inh_.defect_II * std::abs(I_i);
    }
    double V_m() const { return e_V_; }  // [mV] bound on |V_m - V_m,rk4|

  private:
    struct Synapse {
        double keep;       // P4(hA)_II
        double to_V;       // [mV/pA] bound on |P4(hA)_VI|
        double defect_II;  // bound on |E_II|
        double defect_VI;  // [mV/pA] bound on |E_VI|
        double e = 0.0;    // [pA] bound on the I_syn error
    };
    static double p4(double z) {
        return 1.0 - z + z * z / 2.0 - z * z * z / 6.0 + z * z * z * z / 24.0;
    }
    static Synapse synapse(const LifCurrParams& p, double h, double tau_s) {
        const double a = 1.0 / p.tau_m;
        const double b = 1.0 / tau_s;
        const double lambda = std::max(a, b);
        double S5 = 0.0;
        for (int j = 0; j < 5; ++j) S5 += std::pow(a, j) * std::pow(b, 4 - j);
        const double growth = std::exp(h * lambda);
        return Synapse{
            .keep = p4(h * b),
            .to_V = h / p.C_m * growth,
            .defect_II = rk4_defect(h * b),
            .defect_VI = h / p.C_m *
                         (std::pow(h, 4) * S5 / 120.0 + std::pow(h * lambda, 5) * growth / 120.0),
        };
    }

    double keep_V_;
    double defect_VV_;
    Synapse exc_;
    Synapse inh_;
    double e_V_ = 0.0;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// 1. lif_curr, constant current below rheobase: V(t) = E_L + R I_e (1 - e^{-t/tau_m}).

TEST_CASE("lif_curr: subthreshold response to a constant current matches the closed form",
          "[lif][lif_curr][subthreshold][unit]") {
    const double dt = GENERATE(0.1, 0.05, 0.01);
    const Integration mode = GENERATE(Integration::exact, Integration::rk4, Integration::dopri5);
    INFO("dt = " << dt << " ms, integration = " << sim::integration_name(mode));
    const LifCurrParams p{.I_e = 300.0};  // R I_e = 12 mV < V_th - E_L = 15 mV
    const double R = p.tau_m / p.C_m;
    const double V_inf = p.E_L + R * p.I_e;
    const double z = dt / p.tau_m;

    const Recording rec = simulate(single_neuron_spec(dt, p, mode), 50.0);
    REQUIRE(rec.spikes.empty());
    double worst = 0.0;
    for (std::size_t k = 0; k < rec.t.size(); ++k) {
        const double steps = static_cast<double>(k + 1);
        const double expected = relax(p.E_L, V_inf, p.tau_m, rec.t[k]);
        // exact: rounding only; rk4 / dopri5: the per-step defects, damped (decay_error).
        double bound = rounding(steps);
        if (mode == Integration::rk4) bound += decay_error(steps, z, rk4_defect(z), R * p.I_e);
        if (mode == Integration::dopri5) {
            bound += decay_error(steps, z, dopri5_defect(z), R * p.I_e);
        }
        INFO("t = " << rec.t[k] << " ms, bound = " << bound << " mV");
        REQUIRE(std::abs(rec.V_m[k] - expected) <= bound);
        worst = std::max(worst, std::abs(rec.V_m[k] - expected));
    }
    if (mode == Integration::exact) CHECK(worst <= 1e-9);
    if (mode == Integration::dopri5) CHECK(worst <= 1e-6);
}

TEST_CASE("lif_curr: dopri5 sub-steps a coarse dt to meet its tolerance",
          "[lif][lif_curr][subthreshold][unit]") {
    // dt = 5 ms (z = 0.5): one unsplit dopri5 step would be off by |e^{-z} - R(-z)| R I_e
    // = 5.8e-6 * 12 mV = 7e-5 mV per step. odeint accepts a sub-step z_j only if its error
    // estimate |R(-z_j) - R^(-z_j)| |V - V_inf| (R^: the embedded 4th-order polynomial, from the
    // tableau R - R^ = -97/120000 z^5 + 13/40000 z^6 - 1/24000 z^7, at least 8.1e-4 z^5 for
    // z <= 2) is at most tol = 1e-9 (1 + |V| + h |V'|) <= 1e-9 (1 + 70 + 5 * 1.2) < 7.7e-8 mV.
    // Its true error, <= z_j^6 / 1800 |V - V_inf|, is then <= z_j tol / (1800 * 8.1e-4)
    // <= 0.69 z_j tol: summed over the sub-steps of the 10 steps (sum z_j = 50 ms / tau_m = 5),
    // at most 3.5 tol = 2.7e-7 mV, whatever the sub-step sizes.
    const double dt = 5.0;
    const LifCurrParams p{.I_e = 300.0};
    const double V_inf = p.E_L + p.tau_m / p.C_m * p.I_e;
    const Recording rec = simulate(single_neuron_spec(dt, p, Integration::dopri5), 50.0);
    REQUIRE(rec.t.size() == 10);
    for (std::size_t k = 0; k < rec.t.size(); ++k) {
        INFO("t = " << rec.t[k] << " ms");
        CHECK(std::abs(rec.V_m[k] - relax(p.E_L, V_inf, p.tau_m, rec.t[k])) <=
              2.7e-7 + rounding(static_cast<double>(k + 1)));
    }
}

TEST_CASE("lif_curr: rk4 takes exactly one classical RK4 step per dt",
          "[lif][lif_curr][subthreshold][unit]") {
    // For the linear decay the RK4 solution is V_inf + (E_L - V_inf) P4(-z)^n exactly (up to
    // rounding): a different number of sub-steps or another method would miss it by far more
    // than rounding (the defect per step, z^5/120 R I_e ~ 1e-10 mV at dt = 0.1 ms, times n).
    const double dt = GENERATE(0.1, 0.5);
    const LifCurrParams p{.I_e = 300.0};
    const double V_inf = p.E_L + p.tau_m / p.C_m * p.I_e;
    const double z = dt / p.tau_m;
    const double P4 = 1.0 - z + z * z / 2.0 - z * z * z / 6.0 + z * z * z * z / 24.0;
    const Recording rec = simulate(single_neuron_spec(dt, p, Integration::rk4), 50.0);
    for (std::size_t k = 0; k < rec.t.size(); ++k) {
        const double n = static_cast<double>(k + 1);
        const double rk4 = V_inf + (p.E_L - V_inf) * std::pow(P4, n);
        const double exact = relax(p.E_L, V_inf, p.tau_m, rec.t[k]);
        INFO("t = " << rec.t[k] << " ms");
        REQUIRE(std::abs(rec.V_m[k] - rk4) <= rounding(n));
        if (dt == 0.5 && k > 0) REQUIRE(std::abs(rec.V_m[k] - exact) > 10.0 * rounding(n));
    }
}

// ---------------------------------------------------------------------------------------------
// 2. lif_curr, one input spike: the postsynaptic potential.

TEST_CASE("lif_curr: the response to one input spike matches the closed-form PSP",
          "[lif][lif_curr][psp][unit]") {
    const double dt = GENERATE(0.1, 0.05, 0.01);
    const double tau_s = GENERATE(2.0, 10.0);  // 10 ms = tau_m: the limit w t / C_m e^{-t/tau}
    INFO("dt = " << dt << " ms, tau_syn = " << tau_s << " ms");
    const LifCurrParams p{.tau_syn_e = tau_s, .tau_syn_i = tau_s};
    const double w = 1000.0;       // [pA] peak PSP 5.4 mV (tau_s = 2) / 14.7 mV (tau_s = 10)
    const double t_arrival = 2.0;  // spike at 1 ms, delay 1 ms
    const double duration = 40.0;

    auto spec_with = [&](Integration mode, sim::Receptor receptor) {
        sim::NetworkSpec spec = single_neuron_spec(dt, p, mode);
        add_input(spec, {1.0}, w, 1.0, receptor);
        return spec;
    };
    const Recording exact =
        simulate(spec_with(Integration::exact, sim::Receptor::excitatory), duration);
    REQUIRE(exact.spikes.empty());

    SECTION("exact integration follows the closed form to rounding") {
        for (std::size_t k = 0; k < exact.t.size(); ++k) {
            const double t = exact.t[k];
            INFO("t = " << t << " ms");
            if (t < t_arrival - 1e-9) {
                REQUIRE(exact.V_m[k] == p.E_L);
            } else {
                const double expected = p.E_L + psp(w, p.C_m, p.tau_m, tau_s, t - t_arrival);
                REQUIRE(std::abs(exact.V_m[k] - expected) <= rounding(static_cast<double>(k + 1)));
            }
        }
    }

    SECTION("rk4 agrees with exact integration within RK4's error budget") {
        // The input jumps I_syn_e at t_arrival, a grid point, in both; LifCurrRk4ErrorBound
        // driven by the closed-form state at the start of every step.
        const Recording rk4 =
            simulate(spec_with(Integration::rk4, sim::Receptor::excitatory), duration);
        LifCurrRk4ErrorBound bound(p, dt);
        for (std::size_t k = 0; k < rk4.t.size(); ++k) {
            const double s = std::max(0.0, rk4.t[k] - dt - t_arrival);  // at the step's start
            const double I = rk4.t[k] - dt > t_arrival - 1e-9 ? w * std::exp(-s / tau_s) : 0.0;
            bound.step(psp(w, p.C_m, p.tau_m, tau_s, s), I, 0.0);
            const double allowed = bound.V_m() + 2.0 * rounding(static_cast<double>(k + 1));
            INFO("t = " << rk4.t[k] << " ms, allowed = " << allowed << " mV");
            REQUIRE(std::abs(rk4.V_m[k] - exact.V_m[k]) <= allowed);
        }
    }

    SECTION("an inhibitory input hyperpolarises by the same amount") {
        for (const Integration mode : {Integration::exact, Integration::rk4}) {
            INFO("integration = " << sim::integration_name(mode));
            const Recording exc = simulate(spec_with(mode, sim::Receptor::excitatory), duration);
            const Recording inh = simulate(spec_with(mode, sim::Receptor::inhibitory), duration);
            double lowest = 0.0;
            for (std::size_t k = 0; k < inh.t.size(); ++k) {
                INFO("t = " << inh.t[k] << " ms");
                REQUIRE(std::abs((inh.V_m[k] - p.E_L) + (exc.V_m[k] - p.E_L)) <=
                        2.0 * rounding(static_cast<double>(k + 1)));
                lowest = std::min(lowest, inh.V_m[k] - p.E_L);
            }
            CHECK(lowest < -1.0);
        }
    }
}

TEST_CASE("lif_curr: the PSP is computed stably when tau_syn is within 1e-12 of tau_m",
          "[lif][lif_curr][psp][unit]") {
    // With tau_s = tau_m (1 + 1e-12), d = 1/tau_m - 1/tau_s ~ 1e-13 / ms: the difference form of
    // the PSP, tau_m tau_s / (tau_s - tau_m) (e^{-s/tau_s} - e^{-s/tau_m}), would lose ~1e-4 of
    // its value to cancellation, and a propagator coupling (e^{hd} - 1) / d written without
    // expm1 up to eps / (hd) ~ 1e-2. The true PSP differs from the tau_s = tau_m limit by
    // (w/C_m) e^{-s/tau_m} ((e^{s d} - 1)/d - s) <= (w/C_m) e^{-s/tau_m} s^2 |d| / 2 e^{s |d|},
    // ~1e-11 mV here; we allow that plus rounding.
    const double dt = GENERATE(0.1, 0.05, 0.01);
    const double tau_s = 10.0 * (1.0 + 1e-12);
    const LifCurrParams p{.tau_syn_e = tau_s};
    REQUIRE(tau_s != p.tau_m);
    const double w = 1000.0;
    const double d = 1.0 / p.tau_m - 1.0 / tau_s;
    sim::NetworkSpec spec = single_neuron_spec(dt, p, Integration::exact);
    add_input(spec, {1.0}, w, 1.0);
    const Recording rec = simulate(spec, 40.0);
    for (std::size_t k = 0; k < rec.t.size(); ++k) {
        const double s = std::max(0.0, rec.t[k] - 2.0);
        const double limit = p.E_L + psp(w, p.C_m, p.tau_m, p.tau_m, s);
        const double bound = w / p.C_m * std::exp(-s / p.tau_m) * s * s * std::abs(d) / 2.0 *
                                 std::exp(s * std::abs(d)) +
                             rounding(static_cast<double>(k + 1));
        INFO("t = " << rec.t[k] << " ms");
        REQUIRE(std::abs(rec.V_m[k] - limit) <= bound);
    }
}

// ---------------------------------------------------------------------------------------------
// 3. lif_curr, first spike under a suprathreshold current:
//    t* = tau_m ln(R I / (R I - (V_th - E_L))).

TEST_CASE("lif_curr: first spike under constant current matches the closed form",
          "[lif][lif_curr][first_spike][unit]") {
    const double dt = GENERATE(0.1, 0.05, 0.01, 0.25);
    const Integration mode = GENERATE(Integration::exact, Integration::rk4, Integration::precise);
    INFO("dt = " << dt << " ms, integration = " << sim::integration_name(mode));
    const LifCurrParams p{.I_e = 500.0};  // R I = 20 mV
    const double R = p.tau_m / p.C_m;
    const double V_inf = p.E_L + R * p.I_e;
    const double t_star = crossing_time(p.E_L, V_inf, p.V_th, p.tau_m);  // 13.86 ms

    const Recording rec = simulate(single_neuron_spec(dt, p, mode), 20.0);
    REQUIRE(!rec.spikes.empty());
    const double t_spike = rec.spikes.front();
    if (mode == Integration::precise) {
        // Root finding to ~1e-15 ms on the exact propagator; the state carries ~n rounding
        // errors, rounding(n) <= 3e-10 mV, which shift the crossing by that / V'(t*) with
        // V'(t*) = (V_inf - V_th) / tau_m = 0.5 mV/ms: < 1e-9 ms.
        CHECK(std::abs(t_spike - t_star) <= 1e-9);
    } else {
        // Stamped at the end of the step in which V crosses: t* <= t_spike < t* + dt, widened by
        // delta = (V error) / V'(t*) for the case that V sits within its error of V_th at a
        // grid point.
        const double steps = std::ceil(t_star / dt) + 1.0;
        double V_error = rounding(steps);
        if (mode == Integration::rk4) {
            V_error += decay_error(steps, dt / p.tau_m, rk4_defect(dt / p.tau_m), R * p.I_e);
        }
        const double delta = V_error / ((V_inf - p.V_th) / p.tau_m);
        CHECK(on_grid(t_spike, dt));
        CHECK(t_spike >= t_star - delta);
        CHECK(t_spike < t_star + dt + delta);
    }
}

TEST_CASE("lif_curr: precise mode places a crossing that falls on a grid point",
          "[lif][lif_curr][first_spike][precise][unit]") {
    // I_e chosen so that t* = 10 ms exactly: R I = (V_th - E_L) e / (e - 1). Whether the step
    // ending at 10 ms sees V_m a rounding error above or below V_th, the spike must be at 10 ms.
    const double dt = GENERATE(0.1, 0.05, 0.01);
    LifCurrParams p;
    const double e = std::exp(1.0);
    p.I_e = (p.V_th - p.E_L) * e / (e - 1.0) * p.C_m / p.tau_m;
    sim::Network net(single_neuron_spec(dt, p, Integration::precise));
    std::vector<sim::SpikeTime> spikes;
    net.run(12.0, [&](const sim::Network& n) {
        for (const sim::Spike& spike : n.population("n").spikes()) spikes.push_back(spike.time);
    });
    REQUIRE(spikes.size() == 1);
    CHECK(std::abs(net.grid().time(spikes.front()) - 10.0) <= 1e-9);
    // In canonical form: an offset of dt is the start of the next step.
    CHECK(spikes.front().offset >= 0.0);
    CHECK(spikes.front().offset < dt);
}

// ---------------------------------------------------------------------------------------------
// 4. Precise mode with an input between grid points.

TEST_CASE("lif_curr: precise mode applies an off-grid input at its exact time",
          "[lif][lif_curr][precise][unit]") {
    // Bias R I_e = 10 mV; one spike at 1.2345 ms (off the grid for both dt), delay 1 ms: arrival
    // at t_a = 2.2345 ms. The crossing of V_th by
    //   V(t) = E_L + R I_e (1 - e^{-t/tau_m}) + PSP(t - t_a)
    // is found here by bisection on [t_a, t_a + s_peak], where both terms increase.
    const LifCurrParams p{.I_e = 250.0};
    const double w = 3000.0;
    const double t_in = 1.2345;
    const double delay = 1.0;
    const double t_a = t_in + delay;
    const double R = p.tau_m / p.C_m;
    const auto V = [&](double t) {
        return p.E_L + R * p.I_e * (1.0 - std::exp(-t / p.tau_m)) +
               psp(w, p.C_m, p.tau_m, p.tau_syn_e, t - t_a);
    };
    const double s_peak =
        p.tau_m * p.tau_syn_e / (p.tau_m - p.tau_syn_e) * std::log(p.tau_m / p.tau_syn_e);
    const auto distance = [&](double t) { return V(t) - p.V_th; };
    REQUIRE(distance(t_a) < 0.0);
    REQUIRE(distance(t_a + s_peak) > 0.0);
    const double t_star = bisect(distance, t_a, t_a + s_peak);
    const double slope = (distance(t_star + 1e-6) - distance(t_star)) / 1e-6;  // [mV/ms]
    REQUIRE(slope > 1.0);

    // Error budget as for the first spike: root finding ~1e-15 ms, state rounding over <= 600
    // steps, rounding(600) = 1.1e-10 mV, divided by the slope of V at t* (> 1 mV/ms).
    std::vector<double> first_spike;
    for (const double dt : {0.1, 0.01}) {
        INFO("dt = " << dt << " ms");
        sim::NetworkSpec spec = single_neuron_spec(dt, p, Integration::precise);
        add_input(spec, {t_in}, w, delay);
        const Recording rec = simulate(spec, 6.0);
        REQUIRE(rec.spikes.size() == 1);
        CHECK(std::abs(rec.spikes.front() - t_star) <= 1e-9);
        first_spike.push_back(rec.spikes.front());
    }
    CHECK(std::abs(first_spike[0] - first_spike[1]) <= 1e-9);
}

// ---------------------------------------------------------------------------------------------
// 5. Refractory clamp and the interspike interval
//    ISI = t_ref + tau_m ln((R I - (V_reset - E_L)) / (R I - (V_th - E_L))).

TEST_CASE("lif_curr: refractory clamp and interspike interval under constant current",
          "[lif][lif_curr][refractory][unit]") {
    const double dt = GENERATE(0.1, 0.05, 0.01);
    const Integration mode = GENERATE(Integration::exact, Integration::rk4, Integration::precise);
    INFO("dt = " << dt << " ms, integration = " << sim::integration_name(mode));
    const LifCurrParams p{.V_reset = -65.0, .t_ref = 2.0, .I_e = 500.0};  // R I = 20 mV
    const double R = p.tau_m / p.C_m;
    const double V_inf = p.E_L + R * p.I_e;
    const double rise = crossing_time(p.V_reset, V_inf, p.V_th, p.tau_m);  // 10.99 ms
    const double isi = p.t_ref + rise;

    const Recording rec = simulate(single_neuron_spec(dt, p, mode), 80.0);
    REQUIRE(rec.spikes.size() == 6);
    // V error bound over `steps` steps starting at distance `span` from V_inf, as a time
    // uncertainty at threshold (see the first-spike test).
    const auto delta = [&](double steps, double span) {
        double V_error = rounding(steps);
        if (mode == Integration::rk4) {
            V_error += decay_error(steps, dt / p.tau_m, rk4_defect(dt / p.tau_m), span);
        }
        return V_error / ((V_inf - p.V_th) / p.tau_m) + 1e-12;  // + rounding of the times
    };
    const double t1_star = crossing_time(p.E_L, V_inf, p.V_th, p.tau_m);
    if (mode == Integration::precise) {
        CHECK(std::abs(rec.spikes.front() - t1_star) <= 1e-9);
    } else {
        const double d1 = delta(std::ceil(t1_star / dt) + 1.0, V_inf - p.E_L);
        CHECK(rec.spikes.front() >= t1_star - d1);
        CHECK(rec.spikes.front() < t1_star + dt + d1);
    }

    for (std::size_t s = 1; s < rec.spikes.size(); ++s) {
        const double interval = rec.spikes[s] - rec.spikes[s - 1];
        INFO("interval " << s << " = " << interval << " ms, expected " << isi << " ms");
        if (mode == Integration::precise) {
            // Each interval starts from exactly V_reset at t_s + t_ref; its crossing carries
            // the rounding of <= rise / dt steps, rounding(1100) = 2e-10 mV, / 0.5 mV/ms.
            CHECK(std::abs(interval - isi) <= 1e-9);
        } else {
            // t_ref is a whole number of steps, so V_m is released from V_reset at the grid point
            // t_s + t_ref; the crossing t_ref + rise later is stamped at the end of its step:
            // isi <= interval < isi + dt, widened by the V error over the rise divided by
            // V' at threshold, (V_inf - V_th) / tau_m.
            const double d = delta(std::ceil(rise / dt) + 1.0, V_inf - p.V_reset);
            CHECK(interval >= isi - d);
            CHECK(interval < isi + dt + d);
        }
    }

    // The clamp: V_m == V_reset exactly at every grid time from the spike to the end of the
    // refractory period, both included in grid modes (the spike is at a grid time and t_ref a
    // whole number of steps); in precise mode, where the spike is off the grid, at the grid
    // times strictly inside (t_s, t_s + t_ref). At the first grid time after it V_m is free
    // and rising.
    const bool precise = mode == Integration::precise;
    for (const double t_s : rec.spikes) {
        const double end = t_s + p.t_ref;
        bool released = false;
        for (std::size_t k = 0; k < rec.t.size() && !released; ++k) {
            const double t = rec.t[k];
            INFO("spike at " << t_s << " ms, t = " << t << " ms");
            if (precise ? t <= t_s + 1e-9 : t < t_s - 1e-9) continue;
            if (precise ? t < end - 1e-9 : t <= end + 1e-9) {
                REQUIRE(rec.V_m[k] == p.V_reset);
            } else {
                CHECK(rec.V_m[k] > p.V_reset);
                released = true;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 6. Exact propagator vs odeint RK4 in a network with Poisson input.

namespace {

struct PoissonDriven {
    double I_e;  // [pA]
    double w_e;  // [pA]
    double w_i;  // [pA]
};

sim::NetworkSpec poisson_driven_spec(double dt, Integration mode, const PoissonDriven& c) {
    const LifCurrParams p{.I_e = c.I_e};
    return sim::NetworkSpec{
        .dt_ms = dt,
        .seed = 20240611,
        .populations =
            {
                sim::PopulationSpec{.name = "n", .size = 40, .model = p, .integration = mode},
                sim::PopulationSpec{
                    .name = "poisson", .size = 200, .model = sim::PoissonSourceParams{20.0}},
            },
        .projections =
            {
                sim::ProjectionSpec{.name = "exc",
                                    .pre = "poisson",
                                    .post = "n",
                                    .connection = sim::connect::FixedInDegree{.k = 40},
                                    .weight = sim::Distribution::uniform(0.5 * c.w_e, 1.5 * c.w_e),
                                    .delay_ms = sim::Distribution::constant(1.0)},
                sim::ProjectionSpec{.name = "inh",
                                    .pre = "poisson",
                                    .post = "n",
                                    .connection = sim::connect::AllToAll{},
                                    .weight = sim::Distribution::uniform(0.5 * c.w_i, 1.5 * c.w_i),
                                    .delay_ms = sim::Distribution::constant(1.5),
                                    .receptor = sim::Receptor::inhibitory},
            },
    };
}

}  // namespace

TEST_CASE("lif_curr: exact and rk4 agree in a Poisson-driven network",
          "[lif][lif_curr][exact_vs_rk4][integration]") {
    SECTION("subthreshold: V_m traces within RK4's error budget") {
        // Both modes apply the input jumps at the same step starts, so they differ only by
        // RK4's defect between jumps: per neuron LifCurrRk4ErrorBound, driven by the exact
        // run's state at each step start (V_m is unchanged by the jumps; I_syn at the start is
        // I_syn at the end / e^{-h/tau_syn}, exactly so in exact mode). Plus rounding of both
        // runs.
        const double dt = GENERATE(0.1, 0.05);
        INFO("dt = " << dt << " ms");
        const PoissonDriven c{.I_e = 100.0, .w_e = 20.0, .w_i = 3.0};
        sim::Network exact(poisson_driven_spec(dt, Integration::exact, c));
        sim::Network rk4(poisson_driven_spec(dt, Integration::rk4, c));
        const LifCurrParams p{.I_e = c.I_e};
        const double V_inf = p.E_L + p.tau_m / p.C_m * p.I_e;
        const double decay_e = std::exp(-dt / p.tau_syn_e);
        const double decay_i = std::exp(-dt / p.tau_syn_i);

        const std::size_t n = 40;
        std::vector<double> V_prev(n, p.E_L);
        std::vector<LifCurrRk4ErrorBound> bound(n, LifCurrRk4ErrorBound(p, dt));
        double worst = 0.0;
        double largest_swing = 0.0;
        const std::int64_t steps = std::llround(200.0 / dt);
        for (std::int64_t k = 1; k <= steps; ++k) {
            exact.step();
            rk4.step();
            const auto V_exact = exact.population("n").variable("V_m");
            const auto I_e = exact.population("n").variable("I_syn_e");
            const auto I_i = exact.population("n").variable("I_syn_i");
            const auto V_rk4 = rk4.population("n").variable("V_m");
            for (std::size_t i = 0; i < n; ++i) {
                bound[i].step(V_prev[i] - V_inf, I_e[i] / decay_e, I_i[i] / decay_i);
                const double diff = std::abs(V_rk4[i] - V_exact[i]);
                const double allowed = bound[i].V_m() + 2.0 * rounding(static_cast<double>(k));
                if (diff > allowed) {
                    INFO("neuron " << i << ", t = " << exact.time_ms() << " ms");
                    REQUIRE(diff <= allowed);
                }
                worst = std::max(worst, diff);
                largest_swing = std::max(largest_swing, std::abs(V_exact[i] - V_inf));
                V_prev[i] = V_exact[i];
            }
        }
        REQUIRE(exact.population("n").spike_count() == 0);
        REQUIRE(rk4.population("n").spike_count() == 0);
        CHECK(largest_swing > 1.0);  // the input does move V_m
        CHECK(worst > 0.0);          // the methods are not secretly the same
    }

    SECTION("spiking: the same spike trains, up to rare near-threshold coincidences") {
        // Between the methods V_m differs by <~1e-6 mV (the budget above, with these inputs);
        // a spike moves by one step only if V_m ends a step that close to V_th, while V_m
        // moves >= ~0.01 mV per step near threshold: a chance of <= ~1e-4 per spike, <= ~0.1
        // expected discrepancies among the ~800 spikes. A neuron whose train differs once
        // diverges afterwards (its resets are at other times), but only that neuron: the
        // network is feed-forward. Asserted: the trains of at least 38 of the 40 neurons are
        // identical (same times, compared exactly: both lie on the grid), the total spike
        // counts differ by at most 2, and the firing is moderate (5-50 Hz on average).
        const double dt = 0.1;
        const PoissonDriven c{.I_e = 300.0, .w_e = 60.0, .w_i = 3.0};
        sim::Network exact(poisson_driven_spec(dt, Integration::exact, c));
        sim::Network rk4(poisson_driven_spec(dt, Integration::rk4, c));
        sim::SpikeRecorder rec_exact(exact.population("n"));
        sim::SpikeRecorder rec_rk4(rk4.population("n"));
        const double duration = 1000.0;
        exact.run(duration, [&](const sim::Network& net) { rec_exact.record(net.grid()); });
        rk4.run(duration, [&](const sim::Network& net) { rec_rk4.record(net.grid()); });

        const double rate_hz =
            static_cast<double>(rec_exact.times_ms().size()) / 40.0 / (duration * 1e-3);
        INFO("mean rate " << rate_hz << " Hz");
        CHECK(rate_hz > 5.0);
        CHECK(rate_hz < 50.0);
        std::uint32_t identical = 0;
        for (std::uint32_t i = 0; i < 40; ++i) {
            if (rec_exact.times_of(i) == rec_rk4.times_of(i)) ++identical;
        }
        CHECK(identical >= 38);
        const auto n_exact = static_cast<std::int64_t>(rec_exact.times_ms().size());
        const auto n_rk4 = static_cast<std::int64_t>(rec_rk4.times_ms().size());
        CHECK(std::abs(n_exact - n_rk4) <= 2);
    }
}
