#pragma once

// perfect_if (test-only, not shipped): a perfect (non-leaky) integrate-and-fire neuron with delta
// synapses. It exists to show that a neuron model is one file pair plus one catalog line
// (tests/catalog_extension/sim/catalog_extension.hpp) and to test that path.
//
//   C_m dV_m/dt = I_e - C_m V_i / tau_i
//   dV_i/dt     = -V_i / tau_i
//
// Events: an excitatory input of weight w >= 0 [mV] makes V_m jump by w; an inhibitory one makes
// V_i jump by w, which then pulls V_m down by w in all, exponentially with tau_i.
// Threshold: V_m >= V_th emits a spike; V_m is set to V_reset and held there for t_ref.
// Closed form without input, from V_m = V_reset at t = 0: V_m(t) = V_reset + I_e t / C_m, so the
// first spike comes at t* = C_m (V_th - V_reset) / I_e.
// Units: ms, mV, pA, pF (pA / pF = mV / ms).

#include <array>
#include <string_view>

#include <Eigen/Core>

namespace spikerate::models {

class PerfectIf;

struct PerfectIfParams {
    using Model = PerfectIf;

    double C_m = 100.0;    // [pF]
    double I_e = 0.0;      // [pA] constant drive
    double V_th = 10.0;    // [mV]
    double V_reset = 0.0;  // [mV]
    double t_ref = 2.0;    // [ms]
    double tau_i = 5.0;    // [ms] of the inhibitory drive

    template <class Visitor>
    void visit_fields(Visitor&& v) {
        v("C_m", C_m, "pF", "> 0");
        v("I_e", I_e, "pA", "finite");
        v("V_th", V_th, "mV", "> V_reset_mV");
        v("V_reset", V_reset, "mV", "< V_th_mV");
        v("t_ref", t_ref, "ms", ">= 0");
        v("tau_i", tau_i, "ms", "> 0");
    }
    void validate() const;
};

class PerfectIf {
  public:
    using Params = PerfectIfParams;
    static constexpr std::string_view id = "perfect_if";
    static constexpr std::string_view summary =
        "test-only: perfect integrate-and-fire with delta synapses";

    enum Var : int { V_m, V_i, n_vars };
    static constexpr std::array<std::string_view, n_vars> var_names{"V_m", "V_i"};
    static constexpr std::array<std::string_view, n_vars> var_units{"mV", "mV"};
    static constexpr std::array<int, 2> receptor_var{V_m, V_i};
    static constexpr std::string_view weight_unit = "mV";

    explicit PerfectIf(const Params& params);  // validates

    double resting_value(int var) const { return var == V_m ? p_.V_reset : 0.0; }
    double refractory_period() const { return p_.t_ref; }

    void operator()(const Eigen::ArrayXd& x, Eigen::ArrayXd& dxdt, double t) const;

    bool above_threshold(const Eigen::ArrayXd& x, Eigen::Index n, Eigen::Index i) const {
        return x[V_m * n + i] >= p_.V_th;
    }
    bool any_above_threshold(const Eigen::ArrayXd& x, Eigen::Index /*n*/, Eigen::Index begin,
                             Eigen::Index count) const {
        return x.segment(begin, count).maxCoeff() >= p_.V_th;
    }
    void reset(Eigen::ArrayXd& x, Eigen::Index n, Eigen::Index i) const {
        x[V_m * n + i] = p_.V_reset;
    }
    void hold_refractory(Eigen::ArrayXd& x, Eigen::Index n, Eigen::Index i) const {
        x[V_m * n + i] = p_.V_reset;
    }

  private:
    Params p_;
};

}  // namespace spikerate::models
