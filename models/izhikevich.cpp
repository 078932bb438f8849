#include "izhikevich.hpp"

#include <cmath>
#include <type_traits>

#include "param_check.hpp"

namespace spikerate::models {

void IzhikevichParams::validate() const {
    require_positive("a", a, "per_ms");
    require_finite("b", b, "per_ms");
    require_finite("d", d, "mV_per_ms");
    require_less("c", c, "V_peak", V_peak, "mV");
    require_positive("tau_syn_e", tau_syn_e, "ms");
    require_positive("tau_syn_i", tau_syn_i, "ms");
    require_finite("I_e", I_e, "mV_per_ms");
}

Izhikevich::Izhikevich(const Params& params) : p_(params) { p_.validate(); }

double Izhikevich::resting_value(int var) const {
    // The lower root of 0.04 v^2 + (5 - b) v + 140 = 0, or c without a real root.
    const double discriminant = (5.0 - p_.b) * (5.0 - p_.b) - 4.0 * 0.04 * 140.0;
    const double v_rest =
        discriminant >= 0.0 ? (-(5.0 - p_.b) - std::sqrt(discriminant)) / (2.0 * 0.04) : p_.c;
    switch (var) {
        case V_m:
            return v_rest;
        case u:
            return p_.b * v_rest;
        default:
            return 0.0;
    }
}

void Izhikevich::operator()(const Eigen::ArrayXd& x, Eigen::ArrayXd& dxdt, double /*t*/) const {
    const Eigen::Index n = x.size() / n_vars;
    const auto V = x.segment(V_m * n, n);
    const auto U = x.segment(u * n, n);
    const auto Ie = x.segment(I_syn_e * n, n);
    const auto Ii = x.segment(I_syn_i * n, n);
    dxdt.resize(x.size());
    dxdt.segment(V_m * n, n) = 0.04 * V.square() + 5.0 * V + 140.0 - U + (Ie - Ii + p_.I_e);
    dxdt.segment(u * n, n) = p_.a * (p_.b * V - U);
    dxdt.segment(I_syn_e * n, n) = Ie * (-1.0 / p_.tau_syn_e);
    dxdt.segment(I_syn_i * n, n) = Ii * (-1.0 / p_.tau_syn_i);
}

namespace {

struct NoCurrent {
    double operator[](Eigen::Index /*i*/) const { return 0.0; }
};

}  // namespace

template <class Current>
void Izhikevich::half_steps(Eigen::ArrayXd& x, double dt, const Current& current) const {
    const Eigen::Index n = x.size() / n_vars;
    auto V = x.segment(V_m * n, n);
    auto U = x.segment(u * n, n);
    auto Ie = x.segment(I_syn_e * n, n);
    auto Ii = x.segment(I_syn_i * n, n);
    const double h = 0.5 * dt;
    for (Eigen::Index i = 0; i < n; ++i) {
        double input = Ie[i] - Ii[i] + p_.I_e;
        if constexpr (!std::is_same_v<Current, NoCurrent>) input += current[i];
        double vi = V[i];
        vi += h * (0.04 * vi * vi + 5.0 * vi + 140.0 - U[i] + input);
        vi += h * (0.04 * vi * vi + 5.0 * vi + 140.0 - U[i] + input);
        V[i] = vi;
        U[i] += dt * p_.a * (p_.b * vi - U[i]);
    }
    Ie *= std::exp(-dt / p_.tau_syn_e);
    Ii *= std::exp(-dt / p_.tau_syn_i);
}

void Izhikevich::izhikevich_half_steps(Eigen::ArrayXd& x, double dt) const {
    half_steps(x, dt, NoCurrent{});
}

void Izhikevich::izhikevich_half_steps(Eigen::ArrayXd& x, double dt,
                                       const Eigen::ArrayXd& current) const {
    half_steps(x, dt, current);
}

}  // namespace spikerate::models
