#include "srm_masquelier.hpp"

#include <cmath>

#include "param_check.hpp"

namespace spikerate::models {

void SrmMasquelierParams::validate() const {
    require_positive("tau_s", tau_s, "ms");
    require_less("tau_s", tau_s, "tau_m", tau_m, "ms");
    require_positive("V_th", V_th, "au");
    require_non_negative("K1", K1, "");
    require_non_negative("K2", K2, "");
    require_non_negative("t_ref", t_ref, "ms");
}

double SrmMasquelierParams::epsp_scale() const {
    const double s_peak = tau_m * tau_s / (tau_m - tau_s) * std::log(tau_m / tau_s);  // [ms]
    return 1.0 / (std::exp(-s_peak / tau_m) - std::exp(-s_peak / tau_s));
}

namespace {
const SrmMasquelierParams& validated(const SrmMasquelierParams& params) {
    params.validate();
    return params;
}
}  // namespace

SrmMasquelier::SrmMasquelier(const Params& params)
    : p_(validated(params)), K_(p_.epsp_scale()), reset_J_e_(-p_.V_th * p_.K2 / K_) {}

void SrmMasquelier::operator()(const Eigen::ArrayXd& x, Eigen::ArrayXd& dxdt, double /*t*/) const {
    const Eigen::Index n = x.size() / n_vars;
    const double c = K_ * (1.0 / p_.tau_s - 1.0 / p_.tau_m);  // [1/ms]
    dxdt.resize(x.size());
    dxdt.segment(V_m * n, n) = x.segment(V_m * n, n) * (-1.0 / p_.tau_m) +
                               c * (x.segment(J_e * n, n) - x.segment(J_i * n, n));
    dxdt.segment(J_e * n, n) = x.segment(J_e * n, n) * (-1.0 / p_.tau_s);
    dxdt.segment(J_i * n, n) = x.segment(J_i * n, n) * (-1.0 / p_.tau_s);
}

SrmMasquelier::Propagator SrmMasquelier::propagator(double h) const {
    const double decay_m = std::exp(-h / p_.tau_m);
    const double decay_s = std::exp(-h / p_.tau_s);
    return Propagator{.decay_m = decay_m, .decay_s = decay_s, .coupling = K_ * (decay_m - decay_s)};
}

void SrmMasquelier::propagate(const Propagator& prop, Eigen::ArrayXd& x) const {
    const Eigen::Index n = x.size() / n_vars;
    auto V = x.segment(V_m * n, n);
    auto Je = x.segment(J_e * n, n);
    auto Ji = x.segment(J_i * n, n);
    V = V * prop.decay_m + prop.coupling * (Je - Ji);  // reads J at the start of the step
    Je *= prop.decay_s;
    Ji *= prop.decay_s;
}

SrmMasquelier::Neuron SrmMasquelier::propagate(const Neuron& s, double h) const {
    const Propagator prop = propagator(h);
    return Neuron{.V_m = s.V_m * prop.decay_m + prop.coupling * (s.J_e - s.J_i),
                  .J_e = s.J_e * prop.decay_s,
                  .J_i = s.J_i * prop.decay_s};
}

}  // namespace spikerate::models
