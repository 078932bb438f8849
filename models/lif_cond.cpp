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
    // g_e, g_i and theta decay linearly, independently of V_m: RK4 makes each stage value the
    // start value times a constant (c2, c3, c4; c_new at the end of the step), computed here once
    // instead of per neuron. Only V_m's stages are evaluated per neuron.
    struct Stages {
        double c2, c3, c4, c_new;
    };
    const auto stages = [&](double rate) {  // dy/dt = -rate y
        const double c2 = 1.0 - half * rate;
        const double c3 = 1.0 - half * rate * c2;
        const double c4 = 1.0 - dt * rate * c3;
        return Stages{c2, c3, c4, 1.0 - sixth * rate * (1.0 + 2.0 * c2 + 2.0 * c3 + c4)};
    };
    const Stages e = stages(-minus_inv_tau_e_);
    const Stages in = stages(-minus_inv_tau_i_);
    const double theta_new = stages(theta_decay_rate_).c_new;
    const auto dV = [&](double V, double ge, double gi) { return rates(V, ge, gi, 0.0).V_m; };
    for (Eigen::Index i = 0; i < n; ++i) {  // vectorised by the compiler
        const double V = s[i], ge = s[n + i], gi = s[2 * n + i];
        const double k1 = dV(V, ge, gi);
        const double k2 = dV(V + half * k1, ge * e.c2, gi * in.c2);
        const double k3 = dV(V + half * k2, ge * e.c3, gi * in.c3);
        const double k4 = dV(V + dt * k3, ge * e.c4, gi * in.c4);
        s[i] = V + sixth * k1 + third * k2 + third * k3 + sixth * k4;
        s[n + i] = ge * e.c_new;
        s[2 * n + i] = gi * in.c_new;
        s[3 * n + i] *= theta_new;
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
