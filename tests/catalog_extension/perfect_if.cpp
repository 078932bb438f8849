#include "tests/catalog_extension/perfect_if.hpp"

#include "models/param_check.hpp"

namespace spikerate::models {

void PerfectIfParams::validate() const {
    require_positive("C_m", C_m, "pF");
    require_finite("I_e", I_e, "pA");
    require_finite("V_th", V_th, "mV");
    require_less("V_reset", V_reset, "V_th", V_th, "mV");
    require_non_negative("t_ref", t_ref, "ms");
    require_positive("tau_i", tau_i, "ms");
}

PerfectIf::PerfectIf(const Params& params) : p_(params) { p_.validate(); }

void PerfectIf::operator()(const Eigen::ArrayXd& x, Eigen::ArrayXd& dxdt, double /*t*/) const {
    const Eigen::Index n = x.size() / n_vars;
    const auto inhibition = x.segment(V_i * n, n);  // [mV]
    dxdt.segment(V_m * n, n) = p_.I_e / p_.C_m - inhibition / p_.tau_i;
    dxdt.segment(V_i * n, n) = -inhibition / p_.tau_i;
}

}  // namespace spikerate::models
