#pragma once

// adex_cond: the adaptive exponential integrate-and-fire neuron (Brette & Gerstner 2005,
// J. Neurophysiol. 94:3637) with exponentially decaying conductances and reversal potentials
// (NEST's aeif_cond_exp; adex is the same neuron with current inputs).
//
//   C_m dV_m/dt  = -g_L (V_m - E_L) + g_L Delta_T exp((V_m - V_T) / Delta_T)
//                  - g_e (V_m - E_e) - g_i (V_m - E_i) - w + I_e
//   tau_w dw/dt  = a (V_m - E_L) - w
//   dg_e/dt      = -g_e / tau_syn_e,   dg_i/dt = -g_i / tau_syn_i
//
// Events: an excitatory (inhibitory) input spike of weight w >= 0 [nS] makes g_e (g_i) jump by w.
// Threshold: V_m > V_peak emits a spike; V_m = V_r, w += b; V_m is held at V_r for t_ref while
// w and the conductances keep integrating (as NEST's aeif models).
// The right-hand side reads V_m as min(V_m, V_peak) in every term, as adex and NEST's aeif
// models do: the stages of an explicit step that crosses V_peak see the derivatives at V_peak,
// so nothing overflows; validate() requires (V_peak - V_T) / Delta_T <= 500 (e^500 ~ 1e217).
// Stiffness: V_m relaxes at (g_L + g_e + g_i) / C_m and the conductances at 1 / tau_syn, so
// fastest_rate() lets the engine refuse rk4 / Euler steps beyond their stability limits.
// Parameters and defaults: adex's (Brette & Gerstner's cell), and NEST's aeif_cond_exp for the
// synapses (E_e = 0 mV, E_i = -85 mV, tau_syn_e = 0.2 ms, tau_syn_i = 2 ms).
// With Delta_T -> 0 (V_T fixed, below threshold) and a = b = 0 the subthreshold dynamics are
// lif_cond's; Brian2 comparison of driven neurons: tests/data/adex_cond_brian2.toml.
// Units: ms, mV, nS, pA, pF.

#include <algorithm>
#include <array>
#include <string_view>
#include <utility>

#include <Eigen/Core>

namespace spikerate::models {

class AdexCond;

struct AdexCondParams {
    using Model = AdexCond;  // the model these parameters describe

    double C_m = 281.0;      // [pF] membrane capacitance
    double g_L = 30.0;       // [nS] leak conductance
    double E_L = -70.6;      // [mV] leak reversal potential
    double V_T = -50.4;      // [mV] threshold slope factor's centre
    double Delta_T = 2.0;    // [mV] slope factor
    double V_peak = 0.0;     // [mV] spike cut-off
    double V_r = -70.6;      // [mV] reset potential
    double t_ref = 0.0;      // [ms] refractory period (V_m held at V_r)
    double a = 4.0;          // [nS] subthreshold adaptation
    double b = 80.5;         // [pA] spike-triggered adaptation
    double tau_w = 144.0;    // [ms] adaptation time constant
    double E_e = 0.0;        // [mV] excitatory reversal potential
    double E_i = -85.0;      // [mV] inhibitory reversal potential
    double tau_syn_e = 0.2;  // [ms] excitatory conductance time constant
    double tau_syn_i = 2.0;  // [ms] inhibitory conductance time constant
    double I_e = 0.0;        // [pA] constant bias current

    template <class Visitor>
    void visit_fields(Visitor&& v) {
        v("C_m", C_m, "pF", "> 0");
        v("g_L", g_L, "nS", "> 0");
        v("E_L", E_L, "mV", "finite");
        v("V_T", V_T, "mV", "finite, below V_peak_mV");
        v("Delta_T", Delta_T, "mV", "> 0, at least (V_peak_mV - V_T_mV) / 500");
        v("V_peak", V_peak, "mV", "finite: a spike when V_m exceeds it");
        v("V_r", V_r, "mV", "finite, below V_peak_mV: reset potential");
        v("t_ref", t_ref, "ms", ">= 0: V_m held at V_r_mV");
        v("a", a, "nS", "finite: subthreshold adaptation");
        v("b", b, "pA", "finite: spike-triggered adaptation");
        v("tau_w", tau_w, "ms", "> 0");
        v("E_e", E_e, "mV", "finite: excitatory reversal potential");
        v("E_i", E_i, "mV", "finite: inhibitory reversal potential");
        v("tau_syn_e", tau_syn_e, "ms", "> 0");
        v("tau_syn_i", tau_syn_i, "ms", "> 0");
        v("I_e", I_e, "pA", "finite");
    }
    void validate() const;  // throws ParamError naming the key and the bound it broke
};

class AdexCond {
  public:
    using Params = AdexCondParams;
    static constexpr std::string_view id = "adex_cond";
    static constexpr std::string_view summary =
        "adaptive exponential integrate-and-fire, exponential conductances with reversal "
        "potentials (Brette & Gerstner 2005; NEST's aeif_cond_exp)";

    enum Var : int { V_m, w, g_e, g_i, n_vars };
    static constexpr std::array<std::string_view, n_vars> var_names{"V_m", "w", "g_e", "g_i"};
    static constexpr std::array<std::string_view, n_vars> var_units{"mV", "pA", "nS", "nS"};
    static constexpr std::array<int, 2> receptor_var{g_e, g_i};
    static constexpr std::string_view weight_unit = "nS";
    static constexpr std::string_view current_unit = "pA";  // of an injected current (I_e's)

    explicit AdexCond(const Params& params);  // validates

    const Params& params() const { return p_; }
    double resting_value(int var) const { return var == V_m ? p_.E_L : 0.0; }
    double refractory_period() const { return p_.t_ref; }  // [ms]
    double current_gain() const { return 1.0 / p_.C_m; }   // [1/pF]: dV_m/dt per pA

    // The ODE right-hand side over a whole population (variable k in x.segment(k * N, N)),
    // V_m read as min(V_m, V_peak).
    void operator()(const Eigen::ArrayXd& x, Eigen::ArrayXd& dxdt, double t) const;

    // The fastest rate of the population's decaying dynamics [1/ms] and the neuron with it:
    // V_m's (g_L + g_e + g_i) / C_m, or a conductance's 1 / tau_syn if that is faster (then
    // neuron 0). Explicit steppers of dt are unstable above dt * rate = 2 (Euler) or 2.785 (RK4).
    // (The exponential term is a growth, not a decay: it limits accuracy near V_T, not stability.)
    std::pair<double, Eigen::Index> fastest_rate(const Eigen::ArrayXd& x) const {
        const Eigen::Index n = x.size() / n_vars;
        Eigen::Index i = 0;
        const double g = (x.segment(g_e * n, n) + x.segment(g_i * n, n)).maxCoeff(&i);
        const double membrane = (p_.g_L + g) / p_.C_m;
        return membrane >= max_synaptic_rate_ ? std::pair{membrane, i}
                                              : std::pair{max_synaptic_rate_, Eigen::Index{0}};
    }

    bool above_threshold(const Eigen::ArrayXd& x, Eigen::Index /*n*/, Eigen::Index i) const {
        return x[i] > p_.V_peak;  // V_m is variable 0
    }
    bool any_above_threshold(const Eigen::ArrayXd& x, Eigen::Index /*n*/, Eigen::Index begin,
                             Eigen::Index count) const {
        return x.segment(begin, count).maxCoeff() > p_.V_peak;
    }
    void reset(Eigen::ArrayXd& x, Eigen::Index n, Eigen::Index i) const {
        x[V_m * n + i] = p_.V_r;
        x[w * n + i] += p_.b;
    }
    void hold_refractory(Eigen::ArrayXd& x, Eigen::Index n, Eigen::Index i) const {
        x[V_m * n + i] = p_.V_r;
    }

  private:
    Params p_;
    double max_synaptic_rate_;  // [1/ms] max(1 / tau_syn_e, 1 / tau_syn_i)
};

}  // namespace spikerate::models
