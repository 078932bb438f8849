#include "adex_cond.hpp"

#include "adex.hpp"
#include "param_check.hpp"

namespace spikerate::models {

void AdexCondParams::validate() const {
    // The membrane, adaptation and synaptic time constants are adex's, checked by adex's rules
    // (the same keys and messages).
    const AdexParams membrane{.C_m = C_m,
                              .g_L = g_L,
                              .E_L = E_L,
                              .V_T = V_T,
                              .Delta_T = Delta_T,
                              .V_peak = V_peak,
                              .V_r = V_r,
                              .t_ref = t_ref,
                              .a = a,
                              .b = b,
                              .tau_w = tau_w,
                              .tau_syn_e = tau_syn_e,
                              .tau_syn_i = tau_syn_i,
                              .I_e = I_e};
    membrane.validate();
    require_finite("E_e", E_e, "mV");
    require_finite("E_i", E_i, "mV");
}

AdexCond::AdexCond(const Params& params)
    : p_(params), max_synaptic_rate_(std::max(1.0 / params.tau_syn_e, 1.0 / params.tau_syn_i)) {
    p_.validate();
}

void AdexCond::operator()(const Eigen::ArrayXd& x, Eigen::ArrayXd& dxdt, double /*t*/) const {
    const Eigen::Index n = x.size() / n_vars;
    const auto V = x.segment(V_m * n, n).min(p_.V_peak);
    const auto W = x.segment(w * n, n);
    const auto ge = x.segment(g_e * n, n);
    const auto gi = x.segment(g_i * n, n);
    dxdt.resize(x.size());
    dxdt.segment(V_m * n, n) =
        (p_.g_L * (p_.E_L - V) + p_.g_L * p_.Delta_T * ((V - p_.V_T) / p_.Delta_T).exp() +
         ge * (p_.E_e - V) + gi * (p_.E_i - V) - W + p_.I_e) /
        p_.C_m;
    dxdt.segment(w * n, n) = (p_.a * (V - p_.E_L) - W) / p_.tau_w;
    dxdt.segment(g_e * n, n) = ge * (-1.0 / p_.tau_syn_e);
    dxdt.segment(g_i * n, n) = gi * (-1.0 / p_.tau_syn_i);
}

}  // namespace spikerate::models
