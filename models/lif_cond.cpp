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
    : p_(params), theta_decay_rate_(params.theta_frozen ? 0.0 : 1.0 / params.tau_theta) {
    p_.validate();
}

void LifCond::operator()(const Eigen::ArrayXd& x, Eigen::ArrayXd& dxdt, double /*t*/) const {
    const Eigen::Index n = x.size() / n_vars;
    const auto V = x.segment(V_m * n, n);
    const auto ge = x.segment(g_e * n, n);
    const auto gi = x.segment(g_i * n, n);
    dxdt.resize(x.size());
    // Reciprocals, not divisions: a vector division costs as much as a dozen multiplications.
    dxdt.segment(V_m * n, n) =
        (p_.g_L * (p_.E_L - V) + ge * (p_.E_e - V) + gi * (p_.E_i - V) + p_.I_e) * (1.0 / p_.C_m);
    dxdt.segment(g_e * n, n) = ge * (-1.0 / p_.tau_syn_e);
    dxdt.segment(g_i * n, n) = gi * (-1.0 / p_.tau_syn_i);
    dxdt.segment(theta * n, n) = -theta_decay_rate_ * x.segment(theta * n, n);
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
