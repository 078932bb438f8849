#pragma once

// izhikevich: the simple model of Izhikevich (2003, IEEE Trans. Neural Netw. 14:1569), with
// exponentially decaying synaptic currents.
//
//   dv/dt       = 0.04 v^2 + 5 v + 140 - u + I,     I = I_e + I_syn_e - I_syn_i   (v: V_m)
//   du/dt       = a (b v - u)
//   dI_syn_e/dt = -I_syn_e / tau_syn_e
//   dI_syn_i/dt = -I_syn_i / tau_syn_i
//
// The constants 0.04 [1/(mV ms)], 5 [1/ms] and 140 [mV/ms] are the paper's, for v in mV and t
// in ms. u and I are in mV/ms (the paper's units with C = 1, as Brian2 writes them): the key
// suffix is `mV_per_ms`; a and b are in 1/ms (`per_ms`).
// Events: an excitatory (inhibitory) input spike of weight w >= 0 [mV/ms] makes I_syn_e (I_syn_i)
// jump by w, so it moves v by about w tau_syn (the paper's code adds w to I for one 1 ms step:
// the same charge for tau_syn = 1 ms, the default).
// Threshold: v >= V_peak (30 mV) emits a spike; v = c, u += d. No refractory period.
// Rest: the lower fixed point of the input-free dynamics, the root of
// 0.04 v^2 + (5 - b) v + 140 = 0 (-70 mV for b = 0.2), with u = b v; c where there is none.
// With a constant input I the fixed points solve 0.04 v^2 + (5 - b) v + 140 + I = 0: they vanish
// at the rheobase I_rh = (5 - b)^2 / 0.16 - 140 (4 mV/ms for b = 0.2).
// Patterns (a, b, c, d): regular spiking (0.02, 0.2, -65, 8), fast spiking (0.1, 0.2, -65, 2),
// intrinsically bursting (0.02, 0.2, -55, 4), chattering (0.02, 0.2, -50, 2).
// Integration: odeint's rk4 / euler / dopri5 on the right-hand side, or izhikevich_half_steps,
// the scheme of the paper's code: per step dt, v takes two Euler half-steps of dt / 2 with u and
// I fixed, then u one Euler step of dt with the new v; the synaptic currents decay exactly.

#include <array>
#include <string_view>

#include <Eigen/Core>

namespace spikerate::models {

class Izhikevich;

struct IzhikevichParams {
    using Model = Izhikevich;  // the model these parameters describe

    double a = 0.02;         // [1/ms] recovery rate
    double b = 0.2;          // [1/ms] sensitivity of u to v
    double c = -65.0;        // [mV] reset of v
    double d = 8.0;          // [mV/ms] jump of u per spike
    double V_peak = 30.0;    // [mV] spike cut-off
    double tau_syn_e = 1.0;  // [ms] excitatory synaptic current time constant
    double tau_syn_i = 1.0;  // [ms] inhibitory synaptic current time constant
    double I_e = 0.0;        // [mV/ms] constant input

    template <class Visitor>
    void visit_fields(Visitor&& v) {
        v("a", a, "per_ms", "> 0: recovery rate of u");
        v("b", b, "per_ms", "finite: sensitivity of u to V_m");
        v("c", c, "mV", "finite, below V_peak_mV: reset of V_m");
        v("d", d, "mV_per_ms", "finite: jump of u per spike");
        v("V_peak", V_peak, "mV", "finite: a spike when V_m reaches it (the paper's 30 mV)");
        v("tau_syn_e", tau_syn_e, "ms", "> 0");
        v("tau_syn_i", tau_syn_i, "ms", "> 0");
        v("I_e", I_e, "mV_per_ms", "finite: constant input current (C = 1)");
    }
    void validate() const;  // throws ParamError naming the key and the bound it broke
};

class Izhikevich {
  public:
    using Params = IzhikevichParams;
    static constexpr std::string_view id = "izhikevich";
    static constexpr std::string_view summary =
        "Izhikevich's (2003) simple model, exponential synaptic currents; rk4, euler, dopri5 or "
        "the paper's two Euler half-steps";

    enum Var : int { V_m, u, I_syn_e, I_syn_i, n_vars };  // V_m: the paper's v
    static constexpr std::array<std::string_view, n_vars> var_names{"V_m", "u", "I_syn_e",
                                                                    "I_syn_i"};
    static constexpr std::array<std::string_view, n_vars> var_units{"mV", "mV_per_ms", "mV_per_ms",
                                                                    "mV_per_ms"};
    static constexpr std::array<int, 2> receptor_var{I_syn_e, I_syn_i};
    static constexpr std::string_view weight_unit = "mV_per_ms";
    static constexpr std::string_view current_unit = "mV_per_ms";  // of an injected current

    explicit Izhikevich(const Params& params);  // validates

    const Params& params() const { return p_; }
    double resting_value(int var) const;
    double refractory_period() const { return 0.0; }  // [ms]
    double current_gain() const { return 1.0; }       // C = 1: a current is dv/dt in mV/ms

    // The ODE right-hand side over a whole population (variable k in x.segment(k * N, N)).
    void operator()(const Eigen::ArrayXd& x, Eigen::ArrayXd& dxdt, double t) const;

    // The paper's step (see the header comment) over a whole population; `current` [mV/ms],
    // one per neuron, is held over the step and added to I in both half-steps, as the code's
    // I = 13 (rand - 0.5) (a population's current_noise).
    void izhikevich_half_steps(Eigen::ArrayXd& x, double dt) const;
    void izhikevich_half_steps(Eigen::ArrayXd& x, double dt, const Eigen::ArrayXd& current) const;

    bool above_threshold(const Eigen::ArrayXd& x, Eigen::Index /*n*/, Eigen::Index i) const {
        return x[i] >= p_.V_peak;  // V_m is variable 0
    }
    bool any_above_threshold(const Eigen::ArrayXd& x, Eigen::Index /*n*/, Eigen::Index begin,
                             Eigen::Index count) const {
        return x.segment(begin, count).maxCoeff() >= p_.V_peak;
    }
    void reset(Eigen::ArrayXd& x, Eigen::Index n, Eigen::Index i) const {
        x[V_m * n + i] = p_.c;
        x[u * n + i] += p_.d;
    }
    void hold_refractory(Eigen::ArrayXd& /*x*/, Eigen::Index /*n*/, Eigen::Index /*i*/) const {}

  private:
    template <class Current>
    void half_steps(Eigen::ArrayXd& x, double dt, const Current& current) const;

    Params p_;
};

}  // namespace spikerate::models
