#include "lif_cond.hpp"

#include <cmath>

#include "param_check.hpp"

namespace spikerate::models {

void LifCondParams::validate() const {
    require_positive("C_m", C_m, "pF");
    require_positive("g_L", g_L, "nS");
    require_positive("tau_syn_e", tau_syn_e, "ms");
    require_positive("tau_syn_i", tau_syn_i, "ms");
    require_positive("tau_theta", tau_theta, "ms");
    require_non_negative("t_ref", t_ref, "ms");
    require_non_negative("theta_plus", theta_plus, "mV");
    require_finite("E_L", E_L, "mV");
    require_finite("E_e", E_e, "mV");
    require_finite("E_i", E_i, "mV");
    require_finite("I_e", I_e, "pA");
    // With an adaptive threshold the spike threshold is V_th + theta, and theta can start above
    // 0 (Diehl & Cook: V_th = -72 mV, theta from 20 mV, V_reset = -65 mV); a reset above it
    // only makes the neuron fire again after t_ref, each spike raising theta.
    if (theta_plus == 0.0) require_less("V_reset", V_reset, "V_th", V_th, "mV");
}

LifCond::LifCond(const Params& params)
    : p_(params),
      theta_decay_rate_(params.theta_frozen ? 0.0 : 1.0 / params.tau_theta),
      inv_C_m_(1.0 / params.C_m),
      minus_inv_tau_e_(-1.0 / params.tau_syn_e),
      minus_inv_tau_i_(-1.0 / params.tau_syn_i) {
    p_.validate();
}

void LifCond::operator()(const Eigen::ArrayXd& x, Eigen::ArrayXd& dxdt, double /*t*/) const {
    const Eigen::Index n = x.size() / n_vars;
    dxdt.resize(x.size());
    const double* const s = x.data();
    double* const d = dxdt.data();
    for (Eigen::Index i = 0; i < n; ++i) {  // vectorised by the compiler
        const Rates r = rates(s[i], s[n + i], s[2 * n + i], s[3 * n + i]);
        d[i] = r.V_m;
        d[n + i] = r.g_e;
        d[2 * n + i] = r.g_i;
        d[3 * n + i] = r.theta;
    }
}

void LifCond::rk4_step(Eigen::ArrayXd& x, double dt) const {
    const Eigen::Index n = x.size() / n_vars;
    double* const s = x.data();
    const double half = 0.5 * dt;
    const double sixth = dt / 6.0;
    const double third = dt / 3.0;
    for (Eigen::Index i = 0; i < n; ++i) {  // vectorised by the compiler
        const double V = s[i], ge = s[n + i], gi = s[2 * n + i], th = s[3 * n + i];
        const Rates k1 = rates(V, ge, gi, th);
        const Rates k2 = rates(V + half * k1.V_m, ge + half * k1.g_e, gi + half * k1.g_i,
                               th + half * k1.theta);
        const Rates k3 = rates(V + half * k2.V_m, ge + half * k2.g_e, gi + half * k2.g_i,
                               th + half * k2.theta);
        const Rates k4 =
            rates(V + dt * k3.V_m, ge + dt * k3.g_e, gi + dt * k3.g_i, th + dt * k3.theta);
        s[i] = V + sixth * k1.V_m + third * k2.V_m + third * k3.V_m + sixth * k4.V_m;
        s[n + i] = ge + sixth * k1.g_e + third * k2.g_e + third * k3.g_e + sixth * k4.g_e;
        s[2 * n + i] = gi + sixth * k1.g_i + third * k2.g_i + third * k3.g_i + sixth * k4.g_i;
        s[3 * n + i] =
            th + sixth * k1.theta + third * k2.theta + third * k3.theta + sixth * k4.theta;
    }
}

void LifCond::euler_step(Eigen::ArrayXd& x, double dt) const {
    const Eigen::Index n = x.size() / n_vars;
    double* const s = x.data();
    for (Eigen::Index i = 0; i < n; ++i) {  // vectorised by the compiler
        const Rates r = rates(s[i], s[n + i], s[2 * n + i], s[3 * n + i]);
        s[i] += dt * r.V_m;
        s[n + i] += dt * r.g_e;
        s[2 * n + i] += dt * r.g_i;
        s[3 * n + i] += dt * r.theta;
    }
}

void LifCond::exponential_euler_step(Eigen::ArrayXd& x, double dt) const {
    const Eigen::Index n = x.size() / n_vars;
    auto V = x.segment(V_m * n, n);
    auto ge = x.segment(g_e * n, n);
    auto gi = x.segment(g_i * n, n);
    const double decay_e = std::exp(-dt / p_.tau_syn_e);
    const double decay_i = std::exp(-dt / p_.tau_syn_i);
    const double mean_e = p_.tau_syn_e / dt * (1.0 - decay_e);  // step average / start value
    const double mean_i = p_.tau_syn_i / dt * (1.0 - decay_i);
    // One fused, vectorised pass (lazy expressions, no temporaries).
    const auto g_total = p_.g_L + ge * mean_e + gi * mean_i;
    const auto V_inf =
        (p_.g_L * p_.E_L + ge * (mean_e * p_.E_e) + gi * (mean_i * p_.E_i) + p_.I_e) / g_total;
    V = V_inf + (V - V_inf) * (-(dt / p_.C_m) * g_total).exp();
    ge *= decay_e;
    gi *= decay_i;
    x.segment(theta * n, n) *= std::exp(-dt * theta_decay_rate_);
}

}  // namespace spikerate::models
