#pragma once

// What the LIF model tests (test_lif_curr.cpp, test_lif_cond.cpp) share: one neuron run through
// the engine and recorded after every step, the closed forms of a relaxation, and the error
// bounds their tolerances are derived from.
//
// Conventions used by the bounds (ms, mV, pA, pF, nS):
//  * h = dt, z = h / tau for a decay time constant tau.
//  * RK4 is affine-equivariant, so on a linear system y' = A y (y = state minus its fixed point)
//    one step multiplies y by P4(hA) = sum_{k<=4} (hA)^k / k! instead of e^{hA}. For a scalar
//    decay the defect e^{-z} - P4(-z) is an alternating series with decreasing terms (z < 1), so
//    |e^{-z} - P4(-z)| <= z^5 / 120. Since 0 < P4(-z) < 1 the error of a step is damped later:
//    the global error is at most the sum of the per-step defects, each damped by the steps after
//    it (decay_error, LifCurrRk4ErrorBound in test_lif_curr.cpp).
//  * dopri5 advances the 5th-order solution, whose stability polynomial is
//    sum_{k<=5} z^k / k! + z^6 / 600 (from the Dormand-Prince tableau), so for a scalar decay
//    |e^{-z} - R(-z)| <= z^6 (1/600 - 1/720) + z^7 / 5040 <= z^6 / 1800. When the controller
//    splits dt into sub-steps h_j the defects add to sum (h_j/tau)^6 / 1800 <= z^6 / 1800.
//  * Rounding: a step rounds V_m (|V_m| < 100 mV) a handful of times, each by at most half an
//    ulp <= eps * 100 mV / 2; we allow 8 eps * 100 mV per step, added up linearly.

#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/network.hpp"
#include "sim/network_spec.hpp"
#include "sim/recorder.hpp"

namespace spikerate::testing {

inline constexpr double eps = std::numeric_limits<double>::epsilon();

// [mV] rounding allowance for `steps` steps of one run (see the comment at the top).
inline double rounding(double steps) { return 8.0 * eps * 100.0 * steps; }

inline double rk4_defect(double z) { return std::pow(z, 5) / 120.0; }
inline double dopri5_defect(double z) { return std::pow(z, 6) / 1800.0; }

// [mV] bound on the error after n steps of a method whose one-step factor for a scalar decay
// is off by at most `defect` from e^{-z}, starting `amplitude` away from the fixed point: the
// errors obey e_{k+1} <= q e_k + defect |y_k| with the method's factor q <= e^{-z} + 2 defect
// (2: dopri5's factor is a product over sub-steps) and the exact |y_k| = amplitude e^{-kz}
// <= amplitude q^k, so e_n <= n defect amplitude q^{n-1}.
inline double decay_error(double n, double z, double defect, double amplitude) {
    return n * defect * amplitude * std::pow(std::exp(-z) + 2.0 * defect, n - 1.0);
}

// One neuron, population "n".
inline sim::NetworkSpec single_neuron_spec(double dt, sim::PopulationModel model,
                                           sim::Integration integration,
                                           std::vector<sim::InitialValue> initial = {}) {
    return sim::NetworkSpec{
        .dt_ms = dt,
        .populations = {sim::PopulationSpec{.name = "n",
                                            .size = 1,
                                            .model = std::move(model),
                                            .integration = integration,
                                            .initial = std::move(initial)}},
    };
}

// Adds a one-node spike-train source "in" whose spikes at times_ms reach "n" after delay_ms.
inline void add_input(sim::NetworkSpec& spec, const std::vector<double>& times_ms, double weight,
                      double delay_ms, sim::Receptor receptor = sim::Receptor::excitatory) {
    spec.populations.push_back(sim::PopulationSpec{
        .name = "in",
        .size = 1,
        .model = sim::SpikeTrainSourceParams{
            .times_ms = times_ms, .node_ids = std::vector<std::uint32_t>(times_ms.size(), 0)}});
    spec.projections.push_back(
        sim::ProjectionSpec{.pre = "in",
                            .post = "n",
                            .connection = sim::connect::OneToOne{},
                            .weight = sim::Distribution::constant(weight),
                            .delay_ms = sim::Distribution::constant(delay_ms),
                            .receptor = receptor});
}

// Neuron 0 of "n", recorded after every step.
struct Recording {
    std::vector<double> t;       // [ms] the time reached by the step
    std::vector<double> V_m;     // [mV]
    std::vector<double> extra;   // the variable asked for, if any
    std::vector<double> spikes;  // [ms]
};

inline Recording simulate(const sim::NetworkSpec& spec, double duration_ms,
                          std::string_view extra = {}) {
    sim::Network net(spec);
    sim::SpikeRecorder recorder(net.population("n"));
    Recording out;
    net.run(duration_ms, [&](const sim::Network& n) {
        recorder.record(n.grid());
        const sim::Population& pop = n.population("n");
        out.t.push_back(n.time_ms());
        out.V_m.push_back(pop.variable("V_m")[0]);
        if (!extra.empty()) out.extra.push_back(pop.variable(extra)[0]);
    });
    out.spikes = recorder.times_of(0);
    return out;
}

// Relaxation from V0 towards V_inf with time constant tau, after time t.
inline double relax(double V0, double V_inf, double tau, double t) {
    return V_inf + (V0 - V_inf) * std::exp(-t / tau);
}
// Time for that relaxation (V0 < V_th < V_inf) to reach V_th.
inline double crossing_time(double V0, double V_inf, double V_th, double tau) {
    return tau * std::log((V_inf - V0) / (V_inf - V_th));
}

// A root of f in [lo, hi] by plain bisection, given f(lo) < 0 <= f(hi); returns the end where
// f >= 0, to the resolution of doubles.
template <class F>
double bisect(F f, double lo, double hi) {
    for (int k = 0; k < 200; ++k) {
        const double mid = 0.5 * (lo + hi);
        if (mid <= lo || mid >= hi) break;
        (f(mid) < 0.0 ? lo : hi) = mid;
    }
    return hi;
}

inline bool on_grid(double t, double dt) { return std::abs(t / dt - std::round(t / dt)) < 1e-9; }

}  // namespace spikerate::testing
