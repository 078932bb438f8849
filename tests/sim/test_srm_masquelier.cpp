// srm_masquelier against the paper's kernels (models/srm_masquelier.hpp): the EPSP of one input,
// the after-potential of a spike, the flush of earlier EPSPs, the refractory period, and the
// ODE right-hand side (odeint's rk4) against the exact propagator.
//
// Tolerances: the exact propagator multiplies by the same exponentials the closed forms use, so
// the grid values differ from them by rounding only: a few ulp of the largest value involved
// (|V_m| <= 2 V_th = 1000 au) per step; 1e-9 au over the few thousand steps here is far above
// that and far below any modelling error (a wrong K, K1, K2 or tau moves V_m by percents).

#include <algorithm>
#include <cmath>
#include <vector>

#include <catch2/catch.hpp>

#include "models/error.hpp"
#include "models/srm_masquelier.hpp"
#include "sim/network.hpp"

namespace {

namespace sim = spikerate::sim;
namespace models = spikerate::models;
using models::SrmMasquelier;
using models::SrmMasquelierParams;

constexpr double srm_tol_au = 1e-9;

// The paper's kernels, written from its equations.
double srm_eps(const SrmMasquelierParams& p, double s) {
    if (s < 0.0) return 0.0;
    const double s_peak = p.tau_m * p.tau_s / (p.tau_m - p.tau_s) * std::log(p.tau_m / p.tau_s);
    const double K = 1.0 / (std::exp(-s_peak / p.tau_m) - std::exp(-s_peak / p.tau_s));
    return K * (std::exp(-s / p.tau_m) - std::exp(-s / p.tau_s));
}
double srm_eta(const SrmMasquelierParams& p, double s) {
    return p.V_th * (p.K1 * std::exp(-s / p.tau_m) -
                     p.K2 * (std::exp(-s / p.tau_m) - std::exp(-s / p.tau_s)));
}

struct SrmTrace {
    std::vector<double> t;  // [ms] the end of each step
    std::vector<double> V;  // [au] V_m there
    std::vector<double> spikes;
};

// One neuron driven by given input spikes (weights by spike), the source's one-step delay
// included: an input listed at t arrives at t + dt. Records V_m after every step.
SrmTrace srm_drive(const SrmMasquelierParams& p, const std::vector<double>& times,
                   const std::vector<double>& weights, double dt, double duration,
                   sim::Integration integration = sim::Integration::automatic) {
    sim::NetworkSpec spec{.dt_ms = dt, .seed = 1};
    spec.populations.push_back({.name = "n", .size = 1, .model = p, .integration = integration});
    for (std::size_t k = 0; k < times.size(); ++k) {
        const std::string name = "in" + std::to_string(k);
        spec.populations.push_back(
            {.name = name,
             .size = 1,
             .model = sim::SpikeTrainSourceParams{.times_ms = {times[k]}, .node_ids = {0}}});
        spec.projections.push_back({.pre = name,
                                    .post = "n",
                                    .weight = sim::Distribution::constant(weights[k]),
                                    .delay_ms = sim::Distribution::constant(dt)});
    }
    sim::Network net(spec);
    SrmTrace out;
    net.run(duration, [&](const sim::Network& n) {
        out.t.push_back(n.time_ms());
        out.V.push_back(n.population("n").variable("V_m")[0]);
        for (const auto& s : n.population("n").spikes())
            out.spikes.push_back(n.grid().time(s.time));
    });
    return out;
}

}  // namespace

TEST_CASE("srm_masquelier: K makes the EPSP kernel peak at exactly 1", "[srm_masquelier][unit]") {
    SrmMasquelierParams p{};
    p.tau_m = GENERATE(10.0, 20.0);
    p.tau_s = GENERATE(2.5, 5.0);
    const double s_peak = p.tau_m * p.tau_s / (p.tau_m - p.tau_s) * std::log(p.tau_m / p.tau_s);
    CHECK(srm_eps(p, s_peak) == Approx(1.0).epsilon(1e-14));
    CHECK(srm_eps(p, s_peak * 0.99) < 1.0);
    CHECK(srm_eps(p, s_peak * 1.01) < 1.0);
    CHECK(SrmMasquelier(p).epsp_scale() *
              (std::exp(-s_peak / p.tau_m) - std::exp(-s_peak / p.tau_s)) ==
          Approx(1.0).epsilon(1e-14));
}

TEST_CASE("srm_masquelier: one input of weight w gives w times the EPSP kernel",
          "[srm_masquelier][unit]") {
    const SrmMasquelierParams p{};  // the paper's: tau_m 10 ms, tau_s 2.5 ms, T 500
    const double dt = GENERATE(0.1, 0.01);
    const double w = GENERATE(1.0, 0.475);
    const double t_in = 2.0;  // [ms]; arrives at t_in + dt
    const SrmTrace tr = srm_drive(p, {t_in}, {w}, dt, 80.0);
    REQUIRE(tr.spikes.empty());
    double peak = 0.0;
    for (std::size_t k = 0; k < tr.t.size(); ++k) {
        CAPTURE(dt, w, tr.t[k]);
        REQUIRE(tr.V[k] == Approx(w * srm_eps(p, tr.t[k] - (t_in + dt))).margin(srm_tol_au));
        peak = std::max(peak, tr.V[k]);
    }
    // On the grid the peak is at most w and within the kernel's curvature of it.
    CHECK(peak <= w);
    CHECK(peak > w * 0.99);
}

TEST_CASE("srm_masquelier: a spike flushes the EPSPs and starts the after-potential eta",
          "[srm_masquelier][unit]") {
    const SrmMasquelierParams p{};
    const double dt = 0.1;
    const double t_big = 1.0, w_big = 600.0;  // crosses T = 500 on its rise
    const double t_small = 20.0, w_small = 3.0;
    const SrmTrace tr = srm_drive(p, {t_big, t_small}, {w_big, w_small}, dt, 100.0);
    REQUIRE(tr.spikes.size() == 1);
    const double t_spike = tr.spikes[0];
    // The spike: the first grid time at which w_big eps reaches T.
    double expected_spike = t_big + dt;
    while (w_big * srm_eps(p, expected_spike - (t_big + dt)) < p.V_th) expected_spike += dt;
    CHECK(t_spike == Approx(expected_spike).margin(1e-9));
    for (std::size_t k = 0; k < tr.t.size(); ++k) {
        if (tr.t[k] < t_spike) continue;
        // The big input's EPSP is gone; the small one, after the spike, adds up.
        const double expected =
            srm_eta(p, tr.t[k] - t_spike) + w_small * srm_eps(p, tr.t[k] - (t_small + dt));
        CAPTURE(tr.t[k]);
        REQUIRE(tr.V[k] == Approx(expected).margin(srm_tol_au));
    }
}

TEST_CASE("srm_masquelier: no spike within t_ref, even above threshold, and one at its end",
          "[srm_masquelier][unit]") {
    SrmMasquelierParams p{};
    const double dt = 0.1;
    // Right after a spike V_m = K1 T = 2 T; a huge input during the refractory period keeps it
    // above T, so the neuron fires again as soon as t_ref is over: in grid modes at the first
    // grid time after t_s + t_ref (the engine's convention, as for lif_curr's clamp).
    const SrmTrace tr = srm_drive(p, {1.0, 4.0}, {600.0, 5000.0}, dt, 12.0);
    REQUIRE(tr.spikes.size() >= 2);
    CHECK(tr.spikes[0] < 4.0);
    CHECK(tr.spikes[0] + p.t_ref > 4.0 + dt);  // the big input arrives in the refractory period
    CHECK(tr.spikes[1] - tr.spikes[0] == Approx(p.t_ref + dt).margin(1e-9));
}

TEST_CASE("srm_masquelier: odeint rk4 on the right-hand side agrees with the exact propagator",
          "[srm_masquelier][unit]") {
    const SrmMasquelierParams p{};
    const double dt = 0.05;
    const std::vector<double> times{1.0, 3.0, 30.0}, weights{300.0, 400.0, 2.0};
    const SrmTrace exact = srm_drive(p, times, weights, dt, 60.0, sim::Integration::exact);
    const SrmTrace rk4 = srm_drive(p, times, weights, dt, 60.0, sim::Integration::rk4);
    REQUIRE(exact.spikes == rk4.spikes);
    REQUIRE(exact.spikes.size() == 1);
    // One RK4 step of y' = A y is P4(hA) y instead of e^{hA} y: off by at most
    // ||hA||^5 / 120 e^{||hA||} ||y|| (the tail of the exponential series); A's largest column sum
    // is c + 1/tau_s, c = K (1/tau_s - 1/tau_m). The errors add up over the steps at most
    // linearly (the dynamics decay), with ||y|| <= 2 T + K1 T + |J| <= 4000 au here.
    const double K = SrmMasquelier(p).epsp_scale();
    const double a = dt * (K * (1.0 / p.tau_s - 1.0 / p.tau_m) + 1.0 / p.tau_s);
    const double bound =
        static_cast<double>(exact.t.size()) * std::pow(a, 5) / 120.0 * std::exp(a) * 4000.0;
    double worst = 0.0;
    for (std::size_t k = 0; k < exact.t.size(); ++k) {
        worst = std::max(worst, std::abs(exact.V[k] - rk4.V[k]));
    }
    CHECK(worst <= bound);
    CHECK(worst > 0.0);  // two different methods
}

TEST_CASE("srm_masquelier: precise mode fires at the closed-form crossing of an off-grid input",
          "[srm_masquelier][unit]") {
    const SrmMasquelierParams p{};
    const double dt = 0.1;
    const double t_in = 1.03, w = 600.0;  // arrives at 1.13 ms, off the grid
    const SrmTrace tr = srm_drive(p, {t_in}, {w}, dt, 20.0, sim::Integration::precise);
    REQUIRE(tr.spikes.size() == 1);
    // w eps(s) = T on the rise: bisection on the closed form.
    const double s_peak = p.tau_m * p.tau_s / (p.tau_m - p.tau_s) * std::log(p.tau_m / p.tau_s);
    double low = 0.0, high = s_peak;
    for (int i = 0; i < 200; ++i) {
        const double mid = 0.5 * (low + high);
        (w * srm_eps(p, mid) < p.V_th ? low : high) = mid;
    }
    CHECK(tr.spikes[0] == Approx(t_in + dt + high).margin(1e-9));
}

TEST_CASE("srm_masquelier: parameters are validated", "[srm_masquelier][unit]") {
    SrmMasquelierParams p{};
    p.tau_s = 10.0;  // not below tau_m
    CHECK_THROWS_AS(SrmMasquelier(p), spikerate::ParamError);
    try {
        SrmMasquelier{p};
    } catch (const spikerate::ParamError& e) {
        CHECK(e.key() == "tau_s");
    }
    p = SrmMasquelierParams{};
    p.V_th = -1.0;
    CHECK_THROWS_WITH(SrmMasquelier(p), Catch::Matchers::Contains("V_th"));
    p = SrmMasquelierParams{};
    p.K2 = -4.0;
    CHECK_THROWS_WITH(SrmMasquelier(p), Catch::Matchers::Contains("K2"));
}
