#pragma once

#include <concepts>

#include <Eigen/Core>

namespace spikerate::sim {

// Models with closed-form subthreshold dynamics (lif_curr): they offer the exact and precise
// integration modes.
template <class Model>
concept HasExactPropagator = requires(const Model& m, Eigen::ArrayXd& x,
                                      const typename Model::Neuron& s) {
    m.propagate(m.propagator(0.1), x);
    { m.propagate(s, 0.1) } -> std::same_as<typename Model::Neuron>;
    m.threshold_distance(s);
};

// Models with a population-wide exponential-Euler step (lif_cond).
template <class Model>
concept HasExponentialEuler = requires(const Model& m, Eigen::ArrayXd& x) {
    m.exponential_euler_step(x, 0.1);
};

// Models with fused population-wide RK4 and forward-Euler steps (lif_cond), checked against
// odeint's steppers on the model's right-hand side in the tests.
template <class Model>
concept HasFusedSteps = requires(const Model& m, Eigen::ArrayXd& x) {
    m.rk4_step(x, 0.1);
    m.euler_step(x, 0.1);
};

}  // namespace spikerate::sim
