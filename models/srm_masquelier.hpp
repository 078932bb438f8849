#pragma once

// srm_masquelier: the spike response model of Masquelier, Guyonneau & Thorpe (2008, PLoS ONE
// 3:e1377), a leaky integrate-and-fire neuron written with kernels, here as linear ODEs.
//
// The paper: with t_i the neuron's last spike and t_j the input spikes of weight w_j,
//   u(t)   = eta(t - t_i) + sum_{j: t_j > t_i} w_j eps(t - t_j)     (inputs before t_i are
//            ignored: "postsynaptic spike events cause all the EPSPs to be flushed")
//   eps(s) = K (e^{-s/tau_m} - e^{-s/tau_s}),  K = 1 / max_s (e^{-s/tau_m} - e^{-s/tau_s})
//   eta(s) = T (K1 e^{-s/tau_m} - K2 (e^{-s/tau_m} - e^{-s/tau_s}))   (the spike's positive
//            pulse and the negative after-potential that follows it)
// A spike when u >= T, then a refractory period t_ref during which it cannot fire (the inputs
// keep adding up: "not allowed to fire (but does integrate the EPSPs)", the authors' code of the
// time, STDPContinuous.c of Masquelier et al. 2009; a later version of it drops them).
//
// The same as ODEs (the state variables of the model):
//   dV_m/dt = -V_m / tau_m + c (J_e - J_i),  c = K (1/tau_s - 1/tau_m)      [au/ms]
//   dJ_e/dt = -J_e / tau_s,  dJ_i/dt = -J_i / tau_s
// An input spike of weight w >= 0 makes J_e (inhibitory: J_i) jump by w. From a jump J at
// s = 0 (V_m = 0) the solution is V_m(s) = K J (e^{-s/tau_m} - e^{-s/tau_s}) = J eps(s), since
// c tau_m tau_s / (tau_m - tau_s) = K. A spike resets
//   V_m = T K1,  J_e = -T K2 / K,  J_i = 0,
// whose solution is exactly eta: T K1 e^{-s/tau_m} - T K2 (e^{-s/tau_m} - e^{-s/tau_s}); the
// old J_e, J_i and V_m are dropped, which is the flush. u = V_m at all times.
// Exact propagation over h (the grid mode `exact`, and `precise`):
//   V_m(h) = V_m e^{-h/tau_m} + K (J_e - J_i) (e^{-h/tau_m} - e^{-h/tau_s}),
//   J(h)   = J e^{-h/tau_s}.
// Differences from the paper: the kernels are not cut at 7 tau_m = 70 ms. An EPSP's tail beyond
// is K e^{-7} = 0.2 % of its peak; with the paper's input (64 Hz per afferent) the tails of the
// inputs older than 70 ms and younger than the last spike add up to ~0.4 au once ~300 synapses
// are potentiated, none while the neuron fires every 16 ms; eta(70 ms) = -0.9 au. Both stay
// below 0.2 % of T = 500. The inhibitory receptor (J_i, the EPSP shape with the opposite sign)
// is an addition.
// Units: ms; V_m, J and the weights in the paper's arbitrary units ("au": T = 500, weights in
// [0, 1], an EPSP of weight 1 peaks at 1 au); K, K1, K2 are numbers. Requires tau_s < tau_m.

#include <array>
#include <string_view>

#include <Eigen/Core>

#include "neuron_state.hpp"

namespace spikerate::models {

class SrmMasquelier;

struct SrmMasquelierParams {
    using Model = SrmMasquelier;  // the model these parameters describe

    double tau_m = 10.0;  // [ms] membrane time constant
    double tau_s = 2.5;   // [ms] synaptic time constant (the EPSP's rise), < tau_m
    double V_th = 500.0;  // [au] threshold T
    double K1 = 2.0;      // the spike's positive pulse: V_m = K1 T after a spike
    double K2 = 4.0;      // the negative after-potential
    double t_ref = 1.0;   // [ms] refractory period

    template <class Visitor>
    void visit_fields(Visitor&& v) {
        v("tau_m", tau_m, "ms", "> tau_s_ms: membrane time constant");
        v("tau_s", tau_s, "ms", "> 0, < tau_m_ms: synaptic time constant (the EPSP's rise)");
        v("V_th", V_th, "au", "> 0: threshold T, in the paper's arbitrary units");
        v("K1", K1, "", ">= 0: V_m = K1 V_th right after a spike");
        v("K2", K2, "", ">= 0: size of the negative after-potential");
        v("t_ref", t_ref, "ms", ">= 0");
    }
    void validate() const;  // throws ParamError naming the key and the bound it broke

    // K: 1 / the maximum of e^{-s/tau_m} - e^{-s/tau_s}, reached at
    // s* = tau_m tau_s / (tau_m - tau_s) ln(tau_m / tau_s) (2.1165 for 10 ms and 2.5 ms).
    double epsp_scale() const;
};

class SrmMasquelier {
  public:
    using Params = SrmMasquelierParams;
    static constexpr std::string_view id = "srm_masquelier";
    static constexpr std::string_view summary =
        "spike response model of Masquelier, Guyonneau & Thorpe 2008 (EPSP and after-potential "
        "kernels as linear ODEs, EPSPs flushed at a spike)";

    enum Var : int { V_m, J_e, J_i, n_vars };
    static constexpr std::array<std::string_view, n_vars> var_names{"V_m", "J_e", "J_i"};
    static constexpr std::array<std::string_view, n_vars> var_units{"au", "au", "au"};
    static constexpr std::array<int, 2> receptor_var{J_e, J_i};
    static constexpr std::string_view weight_unit = "au";

    explicit SrmMasquelier(const Params& params);  // validates

    const Params& params() const { return p_; }
    double epsp_scale() const { return K_; }  // K
    double resting_value(int /*var*/) const { return 0.0; }
    double refractory_period() const { return p_.t_ref; }  // [ms]

    void operator()(const Eigen::ArrayXd& x, Eigen::ArrayXd& dxdt, double t) const;

    bool above_threshold(const Eigen::ArrayXd& x, Eigen::Index /*n*/, Eigen::Index i) const {
        return V_m_at_threshold(x, i, p_.V_th);
    }
    bool any_above_threshold(const Eigen::ArrayXd& x, Eigen::Index /*n*/, Eigen::Index begin,
                             Eigen::Index count) const {
        return any_V_m_at_threshold(x, begin, count, p_.V_th);
    }
    void reset(Eigen::ArrayXd& x, Eigen::Index n, Eigen::Index i) const {
        x[V_m * n + i] = p_.K1 * p_.V_th;
        x[J_e * n + i] = reset_J_e_;
        x[J_i * n + i] = 0.0;
    }
    // Refractory: no clamp, the potential evolves (it only may not cross).
    void hold_refractory(Eigen::ArrayXd& /*x*/, Eigen::Index /*n*/, Eigen::Index /*i*/) const {}

    struct Propagator {
        double decay_m;   // e^{-h/tau_m}
        double decay_s;   // e^{-h/tau_s}
        double coupling;  // K (e^{-h/tau_m} - e^{-h/tau_s})
    };
    Propagator propagator(double h) const;
    void propagate(const Propagator& prop, Eigen::ArrayXd& x) const;  // whole population

    // One neuron, for precise (off-grid) spike timing: the variables in order (the engine loads
    // and stores it with models/neuron_state.hpp).
    struct Neuron {
        double V_m;  // [au]
        double J_e;  // [au]
        double J_i;  // [au]
    };
    Neuron propagate(const Neuron& s, double h) const;
    double threshold_distance(const Neuron& s) const { return s.V_m - p_.V_th; }  // [au]
    bool above_threshold(const Neuron& s) const { return s.V_m >= p_.V_th; }
    void reset(Neuron& s) const { s = Neuron{p_.K1 * p_.V_th, reset_J_e_, 0.0}; }
    void hold_refractory(Neuron& /*s*/) const {}
    static void receive(Neuron& s, int receptor, double w) { (receptor == 0 ? s.J_e : s.J_i) += w; }

  private:
    Params p_;
    double K_;          // epsp_scale()
    double reset_J_e_;  // -V_th K2 / K
};

}  // namespace spikerate::models
