#pragma once

// What neuron models share about a population's state x (variable k of neuron i at
// x[k * n + i], V_m first): one neuron's state as an aggregate of the model's variables in order
// (precise mode), and the threshold test on V_m.

#include <array>
#include <bit>
#include <type_traits>

#include <Eigen/Core>

namespace spikerate::models {

// Neuron: a struct of Model::n_vars doubles in the order of the model's variables.
template <class Neuron, int n_vars>
Neuron load_neuron(const Eigen::ArrayXd& x, Eigen::Index n, Eigen::Index i) {
    static_assert(sizeof(Neuron) == n_vars * sizeof(double) &&
                  std::is_trivially_copyable_v<Neuron>);
    std::array<double, n_vars> values;
    for (int k = 0; k < n_vars; ++k) values[k] = x[k * n + i];
    return std::bit_cast<Neuron>(values);
}
template <class Neuron, int n_vars>
void store_neuron(const Neuron& s, Eigen::ArrayXd& x, Eigen::Index n, Eigen::Index i) {
    const auto values = std::bit_cast<std::array<double, n_vars>>(s);
    for (int k = 0; k < n_vars; ++k) x[k * n + i] = values[k];
}

// V_m of neuron i at or above V_th; of some neuron in [begin, begin + count), vectorised.
inline bool V_m_at_threshold(const Eigen::ArrayXd& x, Eigen::Index i, double V_th) {
    return x[i] >= V_th;
}
inline bool any_V_m_at_threshold(const Eigen::ArrayXd& x, Eigen::Index begin, Eigen::Index count,
                                 double V_th) {
    return x.segment(begin, count).maxCoeff() >= V_th;
}

}  // namespace spikerate::models
