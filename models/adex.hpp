#pragma once

// adex: the adaptive exponential integrate-and-fire neuron (Brette & Gerstner 2005,
// J. Neurophysiol. 94:3637), with exponentially decaying synaptic currents.
//
//   C_m dV_m/dt  = -g_L (V_m - E_L) + g_L Delta_T exp((V_m - V_T) / Delta_T) - w + I
//   tau_w dw/dt  = a (V_m - E_L) - w
//   dI_syn_e/dt  = -I_syn_e / tau_syn_e,   dI_syn_i/dt = -I_syn_i / tau_syn_i
//   I = I_e + I_syn_e - I_syn_i
//
// Events: an excitatory (inhibitory) input spike of weight w >= 0 [pA] makes I_syn_e (I_syn_i)
// jump by w. Current input only: adex_cond is this neuron with conductance inputs (weights in
// nS, reversal potentials), as lif_cond is to lif_curr.
// Threshold: V_m > V_peak emits a spike; V_m = V_r, w += b; V_m is held at V_r for t_ref while
// w keeps integrating (as NEST's aeif models).
// The exponential: the right-hand side reads V_m as min(V_m, V_peak), as NEST's aeif models do.
// Below V_peak that is the model itself; the stages of an explicit step that crosses V_peak
// (where V_m runs away towards infinity within the step) see the derivatives at V_peak instead,
// so nothing overflows and w is not driven by stage values of 10^100 mV. validate() requires
// (V_peak - V_T) / Delta_T <= 500, so the exponential at V_peak is finite (e^500 ~ 1e217).
// Defaults: Brette & Gerstner's cell (NEST's aeif defaults, V_peak = 0 mV as NEST).
// Firing patterns (Naud et al. 2008, Biol. Cybern. 99:335, Table 1; the parameter sets of
// Brian2's example): tests/data/adex_brian2.json.
// Rheobase (saddle-node case, a / g_L < tau_m / tau_w): the fixed points solve
//   I = (g_L + a)(V - E_L) - g_L Delta_T exp((V - V_T) / Delta_T)
// and merge at V = V_T + Delta_T ln(1 + a / g_L), where
//   I_rh = (g_L + a) (V_T - E_L - Delta_T + Delta_T ln(1 + a / g_L)).
// Units: ms, mV, nS, pA, pF.

#include <algorithm>
#include <array>
#include <string_view>

#include <Eigen/Core>

namespace spikerate::models {

class Adex;

struct AdexParams {
    using Model = Adex;  // the model these parameters describe

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
    double tau_syn_e = 0.2;  // [ms] excitatory synaptic current time constant
    double tau_syn_i = 0.2;  // [ms] inhibitory synaptic current time constant
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
        v("tau_syn_e", tau_syn_e, "ms", "> 0");
        v("tau_syn_i", tau_syn_i, "ms", "> 0");
        v("I_e", I_e, "pA", "finite");
    }
    void validate() const;  // throws ParamError naming the key and the bound it broke
};

class Adex {
  public:
    using Params = AdexParams;
    static constexpr std::string_view id = "adex";
    static constexpr std::string_view summary =
        "adaptive exponential integrate-and-fire, exponential synaptic currents (Brette & "
        "Gerstner 2005)";

    enum Var : int { V_m, w, I_syn_e, I_syn_i, n_vars };
    static constexpr std::array<std::string_view, n_vars> var_names{"V_m", "w", "I_syn_e",
                                                                    "I_syn_i"};
    static constexpr std::array<std::string_view, n_vars> var_units{"mV", "pA", "pA", "pA"};
    static constexpr std::array<int, 2> receptor_var{I_syn_e, I_syn_i};
    static constexpr std::string_view weight_unit = "pA";
    static constexpr std::string_view current_unit = "pA";  // of an injected current (I_e's)

    explicit Adex(const Params& params);  // validates

    const Params& params() const { return p_; }
    double resting_value(int var) const { return var == V_m ? p_.E_L : 0.0; }
    double refractory_period() const { return p_.t_ref; }  // [ms]
    double current_gain() const { return 1.0 / p_.C_m; }   // [1/pF]: dV_m/dt per pA

    // The ODE right-hand side over a whole population (variable k in x.segment(k * N, N)),
    // V_m read as min(V_m, V_peak).
    void operator()(const Eigen::ArrayXd& x, Eigen::ArrayXd& dxdt, double t) const;

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
};

}  // namespace spikerate::models
