#pragma once

// lif_curr: leaky integrate-and-fire neuron with exponentially decaying synaptic currents.
//
//   C_m dV_m/dt      = -(C_m / tau_m) (V_m - E_L) + I_syn_e - I_syn_i + I_e
//   dI_syn_e/dt      = -I_syn_e / tau_syn_e
//   dI_syn_i/dt      = -I_syn_i / tau_syn_i
//
// Events: an excitatory (inhibitory) input spike of weight w >= 0 [pA] makes I_syn_e (I_syn_i)
// jump by w; weights are magnitudes, the inhibitory current hyperpolarises.
// Threshold: V_m >= V_th emits a spike; V_m is set to V_reset and held there for t_ref while
// the synaptic currents keep decaying.
// Units: ms, mV, pA, pF. The subthreshold dynamics are linear, so they have an exact
// propagator (Rotter & Diesmann 1999, Biol. Cybern. 81:381); same model as NEST's
// iaf_psc_exp, with NEST's defaults.

#include <array>
#include <string_view>

#include <Eigen/Core>

#include "neuron_state.hpp"

namespace spikerate::models {

class LifCurr;

struct LifCurrParams {
    using Model = LifCurr;  // the model these parameters describe

    double C_m = 250.0;      // [pF] membrane capacitance
    double tau_m = 10.0;     // [ms] membrane time constant
    double E_L = -70.0;      // [mV] resting potential
    double V_th = -55.0;     // [mV] spike threshold
    double V_reset = -70.0;  // [mV] reset potential
    double t_ref = 2.0;      // [ms] refractory period
    double tau_syn_e = 2.0;  // [ms] excitatory synaptic current time constant
    double tau_syn_i = 2.0;  // [ms] inhibitory synaptic current time constant
    double I_e = 0.0;        // [pA] constant bias current

    // Calls v(name, field, unit, doc) for every parameter: how scenario files and output name them.
    template <class Visitor>
    void visit_fields(Visitor&& v) {
        v("C_m", C_m, "pF", "> 0");
        v("tau_m", tau_m, "ms", "> 0");
        v("E_L", E_L, "mV", "finite");
        v("V_th", V_th, "mV", "finite, above V_reset_mV");
        v("V_reset", V_reset, "mV", "finite, below V_th_mV");
        v("t_ref", t_ref, "ms", ">= 0");
        v("tau_syn_e", tau_syn_e, "ms", "> 0");
        v("tau_syn_i", tau_syn_i, "ms", "> 0");
        v("I_e", I_e, "pA", "finite");
    }
    void validate() const;  // throws ParamError naming the key and the bound it broke
};

class LifCurr {
  public:
    using Params = LifCurrParams;
    static constexpr std::string_view id = "lif_curr";
    static constexpr std::string_view summary =
        "leaky integrate-and-fire, exponential synaptic currents (NEST's iaf_psc_exp, with NEST's "
        "defaults)";

    enum Var : int { V_m, I_syn_e, I_syn_i, n_vars };
    static constexpr std::array<std::string_view, n_vars> var_names{"V_m", "I_syn_e", "I_syn_i"};
    static constexpr std::array<std::string_view, n_vars> var_units{"mV", "pA", "pA"};
    // The variable an incoming spike jumps, by receptor (excitatory, inhibitory).
    static constexpr std::array<int, 2> receptor_var{I_syn_e, I_syn_i};
    static constexpr std::string_view weight_unit = "pA";
    static constexpr std::string_view current_unit = "pA";  // of an injected current (I_e's)

    explicit LifCurr(const Params& params);  // validates

    const Params& params() const { return p_; }
    double resting_value(int var) const { return var == V_m ? p_.E_L : 0.0; }
    double refractory_period() const { return p_.t_ref; }  // [ms]
    double current_gain() const { return 1.0 / p_.C_m; }   // [1/pF]: dV_m/dt per pA
    // [mV/pA] V_m's exact change over h [ms] under a current of 1 pA held over it,
    // R (1 - e^{-h/tau_m}) (the I_e term of the propagator below).
    double current_response(double h) const;

    // The ODE right-hand side over a whole population: x holds n_vars contiguous blocks of N
    // values, variable k in x.segment(k * N, N). Pure: no side effects, no refractory logic.
    void operator()(const Eigen::ArrayXd& x, Eigen::ArrayXd& dxdt, double t) const;

    // Threshold, reset and refractory clamp of neuron i in a population of n.
    bool above_threshold(const Eigen::ArrayXd& x, Eigen::Index /*n*/, Eigen::Index i) const {
        return V_m_at_threshold(x, i, p_.V_th);
    }
    bool any_above_threshold(const Eigen::ArrayXd& x, Eigen::Index /*n*/, Eigen::Index begin,
                             Eigen::Index count) const {
        return any_V_m_at_threshold(x, begin, count, p_.V_th);
    }
    void reset(Eigen::ArrayXd& x, Eigen::Index n, Eigen::Index i) const {
        x[V_m * n + i] = p_.V_reset;
    }
    void hold_refractory(Eigen::ArrayXd& x, Eigen::Index n, Eigen::Index i) const {
        x[V_m * n + i] = p_.V_reset;
    }

    // Exact propagation of the subthreshold dynamics over a step h [ms]:
    //   V(h) = E_L + (V - E_L) e^{-h/tau_m} + I_e R (1 - e^{-h/tau_m}) + c_e I_syn_e - c_i I_syn_i
    //   c_s  = e^{-h/tau_m} / C_m * (e^{h d_s} - 1) / d_s,  d_s = 1/tau_m - 1/tau_syn_s
    // (c_s -> h e^{-h/tau_m} / C_m when tau_syn_s = tau_m).
    struct Propagator {
        double h;           // [ms]
        double decay_m;     // e^{-h/tau_m}
        double decay_e;     // e^{-h/tau_syn_e}
        double decay_i;     // e^{-h/tau_syn_i}
        double coupling_e;  // [mV/pA]
        double coupling_i;  // [mV/pA]
        double bias;        // [mV] I_e R (1 - e^{-h/tau_m})
    };
    Propagator propagator(double h) const;
    void propagate(const Propagator& prop, Eigen::ArrayXd& x) const;  // whole population

    // One neuron's state, for precise (off-grid) spike timing: the variables in order (the
    // engine loads and stores it with models/neuron_state.hpp).
    struct Neuron {
        double V_m;      // [mV]
        double I_syn_e;  // [pA]
        double I_syn_i;  // [pA]
    };
    // Exact, subthreshold, h >= 0 [ms]: each variable is advanced by its increment,
    //   V_m + (V_m - E_L) (e^{-h/tau_m} - 1) + bias + c_e I_syn_e - c_i I_syn_i,
    //   I_syn + I_syn (e^{-h/tau_syn} - 1),
    // with e^{-h/tau} - 1 from expm1 (precise mode; the grid form above is unchanged). A variable
    // moves towards its fixed point by a fraction 1 - e^{-h/tau} ~ h/tau of its distance, and
    // the rounded e^{-h/tau} of the grid form leaves that fraction a relative error of up to
    // 1e-16 tau/h (1e-11 at h = 2^-13 ms, tau = 10 ms), the same in every step: summed over the
    // steps to a crossing it moved NEST's DC test spike by 7.6e-12 ms. From expm1 the fraction
    // keeps 1e-16, and what is left is the rounding of each step's sum (2e-14 ms there).
    // NEST's iaf_psc_exp_ps advances V_m the same way.
    Neuron propagate(const Neuron& s, double h) const;
    double threshold_distance(const Neuron& s) const { return s.V_m - p_.V_th; }  // [mV]
    bool above_threshold(const Neuron& s) const { return s.V_m >= p_.V_th; }
    void reset(Neuron& s) const { s.V_m = p_.V_reset; }
    void hold_refractory(Neuron& s) const { s.V_m = p_.V_reset; }
    // receptor 0 (excitatory) or 1 (inhibitory), weight w >= 0 [pA]
    static void receive(Neuron& s, int receptor, double w) {
        (receptor == 0 ? s.I_syn_e : s.I_syn_i) += w;
    }

  private:
    Params p_;
};

}  // namespace spikerate::models
