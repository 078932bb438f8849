#include "adex.hpp"

#include <fmt/format.h>

#include "error.hpp"
#include "param_check.hpp"

namespace spikerate::models {

void AdexParams::validate() const {
    require_positive("C_m", C_m, "pF");
    require_positive("g_L", g_L, "nS");
    require_finite("E_L", E_L, "mV");
    require_positive("Delta_T", Delta_T, "mV");
    require_less("V_T", V_T, "V_peak", V_peak, "mV");
    require_less("V_r", V_r, "V_peak", V_peak, "mV");
    if ((V_peak - V_T) / Delta_T > 500.0) {
        throw ParamError::value(
            "Delta_T", fmt::format("{} mV: must be at least (V_peak - V_T) / 500 = {} mV, or "
                                   "exp((V_peak - V_T) / Delta_T) overflows",
                                   Delta_T, (V_peak - V_T) / 500.0));
    }
    require_non_negative("t_ref", t_ref, "ms");
    require_finite("a", a, "nS");
    require_finite("b", b, "pA");
    require_positive("tau_w", tau_w, "ms");
    require_positive("tau_syn_e", tau_syn_e, "ms");
    require_positive("tau_syn_i", tau_syn_i, "ms");
    require_finite("I_e", I_e, "pA");
}

Adex::Adex(const Params& params) : p_(params) { p_.validate(); }

void Adex::operator()(const Eigen::ArrayXd& x, Eigen::ArrayXd& dxdt, double /*t*/) const {
    const Eigen::Index n = x.size() / n_vars;
    const auto V = x.segment(V_m * n, n).min(p_.V_peak);
    const auto W = x.segment(w * n, n);
    const auto Ie = x.segment(I_syn_e * n, n);
    const auto Ii = x.segment(I_syn_i * n, n);
    dxdt.resize(x.size());
    dxdt.segment(V_m * n, n) =
        (p_.g_L * (p_.E_L - V) + p_.g_L * p_.Delta_T * ((V - p_.V_T) / p_.Delta_T).exp() - W +
         (Ie - Ii + p_.I_e)) /
        p_.C_m;
    dxdt.segment(w * n, n) = (p_.a * (V - p_.E_L) - W) / p_.tau_w;
    dxdt.segment(I_syn_e * n, n) = Ie * (-1.0 / p_.tau_syn_e);
    dxdt.segment(I_syn_i * n, n) = Ii * (-1.0 / p_.tau_syn_i);
}

}  // namespace spikerate::models
