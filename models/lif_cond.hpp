#pragma once

// lif_cond: leaky integrate-and-fire neuron with exponentially decaying conductances, reversal
// potentials and an optional adaptive threshold (Vogels & Abbott 2005, J. Neurosci. 25:10786;
// Diehl & Cook 2015, Front. Comput. Neurosci. 9:99).
//
//   C_m dV_m/dt  = g_L (E_L - V_m) + g_e (E_e - V_m) + g_i (E_i - V_m) + I_e
//   dg_e/dt      = -g_e / tau_syn_e
//   dg_i/dt      = -g_i / tau_syn_i
//   dtheta/dt    = -theta / tau_theta          (0 while the threshold adaptation is frozen)
//
// Events: an excitatory (inhibitory) input spike of weight w >= 0 [nS] makes g_e (g_i) jump by w.
// Threshold: V_m >= V_th + theta emits a spike; V_m is set to V_reset and, for t_ref, held there
// (clamp_V_refractory = true, as NEST and Brian2's `(unless refractory)`) or left to integrate its
// input with only spiking blocked (false); theta jumps by theta_plus (not while frozen).
// theta_plus = 0 disables the adaptation; then V_reset < V_th is required, with adaptation V_reset
// may lie above V_th (theta keeps V_th + theta above it, as in Diehl & Cook).
// tau_m = C_m / g_L. Models written with conductances "in units of the leak conductance"
// (Diehl & Cook, Brian2's examples) use g_L = 1 nS and C_m = tau_m * 1 nS.
// Units: ms, mV, nS, pA, pF. The V_m equation is not linear in the state (g_e V_m), so this model
// is integrated with the generic odeint steppers.

#include <array>
#include <cmath>
#include <string_view>
#include <utility>

#include <Eigen/Core>

namespace spikerate::models {

class LifCond;

struct LifCondParams {
    using Model = LifCond;  // the model these parameters describe

    double C_m = 200.0;              // [pF] membrane capacitance
    double g_L = 10.0;               // [nS] leak conductance
    double E_L = -60.0;              // [mV] resting potential
    double V_th = -50.0;             // [mV] spike threshold (without theta)
    double V_reset = -60.0;          // [mV] reset potential
    double t_ref = 5.0;              // [ms] refractory period
    double E_e = 0.0;                // [mV] excitatory reversal potential
    double E_i = -80.0;              // [mV] inhibitory reversal potential
    double tau_syn_e = 5.0;          // [ms] excitatory conductance time constant
    double tau_syn_i = 10.0;         // [ms] inhibitory conductance time constant
    double I_e = 0.0;                // [pA] constant bias current
    double theta_plus = 0.0;         // [mV] threshold increment per spike (0: no adaptation)
    double tau_theta = 1e7;          // [ms] decay time constant of theta
    bool theta_frozen = false;       // theta neither jumps nor decays (Diehl & Cook's test phase)
    bool clamp_V_refractory = true;  // V_m held at V_reset during t_ref (false: only no spikes)

    // Calls v(name, field, unit, doc) for every parameter: how scenario files and output name them.
    template <class Visitor>
    void visit_fields(Visitor&& v) {
        v("C_m", C_m, "pF", "> 0");
        v("g_L", g_L, "nS", "> 0");
        v("E_L", E_L, "mV", "finite");
        v("V_th", V_th, "mV",
          "finite; above V_reset_mV unless theta_plus_mV > 0 (spike at V_m >= V_th + theta)");
        v("V_reset", V_reset, "mV", "finite; below V_th_mV unless theta_plus_mV > 0");
        v("t_ref", t_ref, "ms", ">= 0");
        v("E_e", E_e, "mV", "finite");
        v("E_i", E_i, "mV", "finite");
        v("tau_syn_e", tau_syn_e, "ms", "> 0");
        v("tau_syn_i", tau_syn_i, "ms", "> 0");
        v("I_e", I_e, "pA", "finite");
        v("theta_plus", theta_plus, "mV", ">= 0: threshold increment per spike (0: no adaptation)");
        v("tau_theta", tau_theta, "ms", "> 0: decay of theta");
        v("theta_frozen", theta_frozen, "", "theta neither jumps nor decays (a test phase)");
        v("clamp_V_refractory", clamp_V_refractory, "",
          "V_m held at V_reset_mV during t_ref_ms; false: it integrates its input and only spiking "
          "is blocked");
    }
    double tau_m() const { return C_m / g_L; }  // [ms]
    void validate() const;  // throws ParamError naming the key and the bound it broke
};

class LifCond {
  public:
    using Params = LifCondParams;
    static constexpr std::string_view id = "lif_cond";
    static constexpr std::string_view summary =
        "leaky integrate-and-fire, exponential conductances with reversal potentials, optional "
        "adaptive threshold (Vogels & Abbott 2005; Diehl & Cook 2015)";

    enum Var : int { V_m, g_e, g_i, theta, n_vars };
    static constexpr std::array<std::string_view, n_vars> var_names{"V_m", "g_e", "g_i", "theta"};
    static constexpr std::array<std::string_view, n_vars> var_units{"mV", "nS", "nS", "mV"};
    static constexpr std::array<int, 2> receptor_var{g_e, g_i};
    static constexpr std::string_view weight_unit = "nS";
    static constexpr std::string_view current_unit = "pA";  // of an injected current (I_e's)

    explicit LifCond(const Params& params);  // validates

    const Params& params() const { return p_; }
    double resting_value(int var) const { return var == V_m ? p_.E_L : 0.0; }
    double refractory_period() const { return p_.t_ref; }  // [ms]
    double current_gain() const { return 1.0 / p_.C_m; }   // [1/pF]: dV_m/dt per pA

    // The ODE right-hand side of one neuron: the time derivatives of (V_m, g_e, g_i, theta).
    struct Rates {
        double V_m, g_e, g_i, theta;
    };
    Rates rates(double V, double ge, double gi, double th) const {
        return {(p_.g_L * (p_.E_L - V) + ge * (p_.E_e - V) + gi * (p_.E_i - V) + p_.I_e) * inv_C_m_,
                ge * minus_inv_tau_e_, gi * minus_inv_tau_i_, -theta_decay_rate_ * th};
    }

    // The ODE right-hand side over a whole population: x holds n_vars contiguous blocks of N
    // values, variable k in x.segment(k * N, N). Pure: no side effects, no refractory logic.
    void operator()(const Eigen::ArrayXd& x, Eigen::ArrayXd& dxdt, double t) const;

    // One classical Runge-Kutta (forward Euler) step of dt [ms] over a whole population, with
    // the stages of each neuron kept in registers: odeint's runge_kutta4 (euler) on operator(),
    // equal to rounding, in one pass over the state instead of eight (two). A test checks them
    // against odeint.
    void rk4_step(Eigen::ArrayXd& x, double dt) const;
    void euler_step(Eigen::ArrayXd& x, double dt) const;

    // One exponential-Euler step of dt [ms] over a whole population (x as in operator()): the
    // conductances and theta decay exactly, and V_m relaxes exactly towards its equilibrium
    // under the conductances' averages over the step (so each input spike delivers exactly its
    // charge):
    //   gbar_e = g_e tau_syn_e / dt (1 - e^{-dt/tau_syn_e})       (gbar_i likewise)
    //   g_tot  = g_L + gbar_e + gbar_i,   V_inf = (g_L E_L + gbar_e E_e + gbar_i E_i + I_e) / g_tot
    //   V_m   <- V_inf + (V_m - V_inf) e^{-dt g_tot / C_m}
    // Unlike forward Euler it is stable for any conductance: V_m stays between the reversal
    // potentials (forward Euler at dt = 0.5 ms overshoots E_i once g_e + g_i > 2 C_m / dt - g_L).
    void exponential_euler_step(Eigen::ArrayXd& x, double dt) const;

    // The fastest rate of V_m's dynamics in the population, (g_L + g_e + g_i) / C_m [1/ms], and
    // the neuron with it: explicit steppers of dt are unstable above dt * rate = 2 (Euler) or
    // 2.785 (RK4), where V_m becomes finite garbage.
    std::pair<double, Eigen::Index> fastest_rate(const Eigen::ArrayXd& x) const {
        const Eigen::Index n = x.size() / n_vars;
        Eigen::Index i = 0;
        const double g = (x.segment(g_e * n, n) + x.segment(g_i * n, n)).maxCoeff(&i);
        return {(p_.g_L + g) * inv_C_m_, i};
    }

    bool above_threshold(const Eigen::ArrayXd& x, Eigen::Index n, Eigen::Index i) const {
        return x[V_m * n + i] >= p_.V_th + x[theta * n + i];
    }
    // Whether some neuron of [begin, begin + count) may be above threshold, vectorised; never
    // false when one is (the margin covers the rounding of V_m - theta against V_th + theta).
    bool any_above_threshold(const Eigen::ArrayXd& x, Eigen::Index n, Eigen::Index begin,
                             Eigen::Index count) const {
        return (x.segment(V_m * n + begin, count) - x.segment(theta * n + begin, count))
                   .maxCoeff() >= p_.V_th - 1e-9 * (1.0 + std::abs(p_.V_th));
    }
    void reset(Eigen::ArrayXd& x, Eigen::Index n, Eigen::Index i) const {
        x[V_m * n + i] = p_.V_reset;
        if (!p_.theta_frozen) x[theta * n + i] += p_.theta_plus;
    }
    void hold_refractory(Eigen::ArrayXd& x, Eigen::Index n, Eigen::Index i) const {
        if (p_.clamp_V_refractory) x[V_m * n + i] = p_.V_reset;
    }

  private:
    Params p_;
    double theta_decay_rate_;  // [1/ms] 1/tau_theta, or 0 while frozen
    // Reciprocals, not divisions: a vector division costs as much as a dozen multiplications.
    double inv_C_m_;          // [1/pF]
    double minus_inv_tau_e_;  // [1/ms]
    double minus_inv_tau_i_;  // [1/ms]
};

}  // namespace spikerate::models
