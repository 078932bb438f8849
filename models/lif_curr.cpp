#include "lif_curr.hpp"

#include <cmath>

#include "param_check.hpp"

namespace spikerate::models {

void LifCurrParams::validate() const {
    require_positive("C_m", C_m, "pF");
    require_positive("tau_m", tau_m, "ms");
    require_positive("tau_syn_e", tau_syn_e, "ms");
    require_positive("tau_syn_i", tau_syn_i, "ms");
    require_non_negative("t_ref", t_ref, "ms");
    require_finite("E_L", E_L, "mV");
    require_finite("I_e", I_e, "pA");
    require_less("V_reset", V_reset, "V_th", V_th, "mV");
}

LifCurr::LifCurr(const Params& params) : p_(params) { p_.validate(); }

void LifCurr::operator()(const Eigen::ArrayXd& x, Eigen::ArrayXd& dxdt, double /*t*/) const {
    const Eigen::Index n = x.size() / n_vars;
    const auto V = x.segment(V_m * n, n);
    const auto Ie = x.segment(I_syn_e * n, n);
    const auto Ii = x.segment(I_syn_i * n, n);
    dxdt.resize(x.size());
    // Reciprocals, not divisions: a vector division costs as much as a dozen multiplications.
    dxdt.segment(V_m * n, n) =
        (p_.E_L - V) * (1.0 / p_.tau_m) + (Ie - Ii + p_.I_e) * (1.0 / p_.C_m);
    dxdt.segment(I_syn_e * n, n) = Ie * (-1.0 / p_.tau_syn_e);
    dxdt.segment(I_syn_i * n, n) = Ii * (-1.0 / p_.tau_syn_i);
}

namespace {
// Coupling of a decaying synaptic current into V over h, stable as tau_syn -> tau_m.
double current_coupling(double h, double tau_m, double tau_syn, double C_m) {
    const double d = 1.0 / tau_m - 1.0 / tau_syn;  // [1/ms]
    const double expm1_over_d = (d == 0.0) ? h : std::expm1(h * d) / d;
    return std::exp(-h / tau_m) * expm1_over_d / C_m;
}
}  // namespace

LifCurr::Propagator LifCurr::propagator(double h) const {
    const double R = p_.tau_m / p_.C_m;  // [mV/pA] = [GOhm]
    return Propagator{
        .h = h,
        .decay_m = std::exp(-h / p_.tau_m),
        .decay_e = std::exp(-h / p_.tau_syn_e),
        .decay_i = std::exp(-h / p_.tau_syn_i),
        .coupling_e = current_coupling(h, p_.tau_m, p_.tau_syn_e, p_.C_m),
        .coupling_i = current_coupling(h, p_.tau_m, p_.tau_syn_i, p_.C_m),
        .bias = -std::expm1(-h / p_.tau_m) * p_.I_e * R,
    };
}

void LifCurr::propagate(const Propagator& prop, Eigen::ArrayXd& x) const {
    const Eigen::Index n = x.size() / n_vars;
    auto V = x.segment(V_m * n, n);
    auto Ie = x.segment(I_syn_e * n, n);
    auto Ii = x.segment(I_syn_i * n, n);
    // V first: it reads the currents at the start of the step.
    V = p_.E_L + (V - p_.E_L) * prop.decay_m + prop.bias + prop.coupling_e * Ie -
        prop.coupling_i * Ii;
    Ie *= prop.decay_e;
    Ii *= prop.decay_i;
}

double LifCurr::current_response(double h) const {
    return -std::expm1(-h / p_.tau_m) * (p_.tau_m / p_.C_m);
}

LifCurr::Neuron LifCurr::propagate(const Neuron& s, double h) const {
    const double R = p_.tau_m / p_.C_m;  // [mV/pA]
    const double expm1_m = std::expm1(-h / p_.tau_m);
    const double bias = -expm1_m * p_.I_e * R;  // [mV]
    const double coupling_e = current_coupling(h, p_.tau_m, p_.tau_syn_e, p_.C_m);
    const double coupling_i = current_coupling(h, p_.tau_m, p_.tau_syn_i, p_.C_m);
    return Neuron{
        .V_m = s.V_m + ((s.V_m - p_.E_L) * expm1_m + bias + coupling_e * s.I_syn_e -
                        coupling_i * s.I_syn_i),
        .I_syn_e = s.I_syn_e + s.I_syn_e * std::expm1(-h / p_.tau_syn_e),
        .I_syn_i = s.I_syn_i + s.I_syn_i * std::expm1(-h / p_.tau_syn_i),
    };
}

}  // namespace spikerate::models
