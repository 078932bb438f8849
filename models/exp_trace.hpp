#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <utility>

#include <Eigen/Core>

namespace spikerate::models {

// exp(x) for x <= 0, with x below -746 answered as 0 without calling libm: exp underflows to
// exactly 0 below about -745.13 anyway, but glibc reaches that result through its slow
// underflow path (raising the flag, setting errno). A trace whose last spike is more than
// 746 time constants old (15 s for 20 ms) is the common case in a large, sparsely firing layer.
inline double decay_factor(double x) { return x < -746.0 ? 0.0 : std::exp(x); }

// decay_factor(-(t - t_last(k)) / tau) for k in [0, out.size()), vectorised (Eigen's exp, within
// an ulp or so of std::exp): for rules that evaluate one trace of every postsynaptic neuron at
// one time.
template <class LastSpike>  // double(std::size_t k): the time of trace k's last spike [ms]
void decay_factors(LastSpike&& t_last, double t, double tau, std::span<double> out) {
    for (std::size_t k = 0; k < out.size(); ++k) out[k] = -(t - t_last(k)) / tau;
    Eigen::Map<Eigen::ArrayXd> x(out.data(), static_cast<Eigen::Index>(out.size()));
    x = (x < -746.0).select(0.0, x.exp());
}

// A spike trace that decays exponentially between events, evaluated exactly at event times,
// never stepped:  x(t) = x(t_last) exp(-(t - t_last) / tau).
struct ExpTrace {
    double value = 0.0;                                        // x(t_last)
    double t_last = -std::numeric_limits<double>::infinity();  // [ms] time of the last update

    double at(double t, double tau) const { return value * decay_factor(-(t - t_last) / tau); }
    // All-to-all interaction: every spike adds one.
    void add_one(double t, double tau) {
        value = at(t, tau) + 1.0;
        t_last = t;
    }
    // Nearest-spike interaction: every spike resets the trace to one.
    void set_one(double t) {
        value = 1.0;
        t_last = t;
    }
};

// How a spike changes its own trace: all-to-all interaction adds one (every earlier spike keeps
// counting), nearest-spike resets it to one (only the last counts).
enum class TraceInteraction { all_to_all, nearest };
inline constexpr std::array trace_interaction_choices{
    std::pair{"all_to_all", TraceInteraction::all_to_all},
    std::pair{"nearest", TraceInteraction::nearest},
};
inline void bump(ExpTrace& trace, double t, double tau, TraceInteraction interaction) {
    if (interaction == TraceInteraction::all_to_all) {
        trace.add_one(t, tau);
    } else {
        trace.set_one(t);
    }
}

// A nearest-spike trace: 1 at its last spike, decaying from there; 0 before any spike. Half
// the memory of an ExpTrace (the value after a spike is always 1) and the same values:
// exp(-(t - t_last) / tau), which is exactly 0 for t_last = -infinity.
struct NearestTrace {
    double t_last = -std::numeric_limits<double>::infinity();  // [ms]

    double at(double t, double tau) const { return decay_factor(-(t - t_last) / tau); }
    void set_one(double t) { t_last = t; }
};

}  // namespace spikerate::models
