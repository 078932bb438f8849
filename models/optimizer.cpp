#include "optimizer.hpp"

#include <cmath>
#include <string_view>

#include <fmt/format.h>

#include "error.hpp"
#include "param_check.hpp"

namespace spikerate::models {

namespace {

void require_unit_interval(std::string_view key, double value) {
    require_finite(key, value, "");
    if (!(value >= 0.0 && value < 1.0)) {
        throw ParamError::value(std::string(key), fmt::format("{}: must be in [0, 1)", value));
    }
}

}  // namespace

void OptimizerParams::validate() const {
    require_positive("learning_rate", learning_rate, "");
    require_unit_interval("momentum", momentum);
    require_unit_interval("beta1", beta1);
    require_unit_interval("beta2", beta2);
    require_positive("epsilon", epsilon, "");
}

template <class Scalar>
BasicOptimizer<Scalar>::BasicOptimizer(const OptimizerParams& params,
                                       const BasicRateNetwork<Scalar>& network)
    : params_(params) {
    params_.validate();
    const bool has_first = params_.kind != OptimizerKind::sgd;
    const bool has_second = params_.kind == OptimizerKind::adam;
    for (std::size_t l = 0; l < network.n_layers(); ++l) {
        for (const Eigen::Index size : {network.weights(l).size(), network.biases(l).size()}) {
            State& state = states_.emplace_back();
            state.size = size;
            if (has_first) state.first = Array::Zero(size);
            if (has_second) state.second = Array::Zero(size);
        }
    }
}

template <class Scalar>
void BasicOptimizer<Scalar>::set_learning_rate(double learning_rate) {
    require_non_negative("learning_rate", learning_rate, "");
    params_.learning_rate = learning_rate;
}

template <class Scalar>
void BasicOptimizer<Scalar>::step(BasicRateNetwork<Scalar>& network) {
    bool same_shape = 2 * network.n_layers() == states_.size();
    for (std::size_t l = 0; same_shape && l < network.n_layers(); ++l) {
        same_shape = network.weights(l).size() == states_[2 * l].size &&
                     network.biases(l).size() == states_[2 * l + 1].size;
    }
    if (!same_shape) {
        throw Error("optimizer: stepped with a network of another shape than it was built for");
    }
    ++steps_taken_;
    for (std::size_t l = 0; l < network.n_layers(); ++l) {
        update(network.weights(l).data(), network.weight_gradient(l).data(), states_[2 * l]);
        update(network.biases(l).data(), network.bias_gradient(l).data(), states_[2 * l + 1]);
    }
}

template <class Scalar>
void BasicOptimizer<Scalar>::update(Scalar* parameter, const Scalar* gradient, State& state) const {
    const Eigen::Index size = state.size;
    Eigen::Map<Array> w(parameter, size);
    const Eigen::Map<const Array> g(gradient, size);
    const auto lr = static_cast<Scalar>(params_.learning_rate);
    switch (params_.kind) {
        case OptimizerKind::sgd:
            w -= lr * g;
            break;
        case OptimizerKind::momentum: {
            // One fused pass over w, v and g (it vectorises): two array expressions would
            // stream v through the cache twice, which costs a measurable share of a small
            // network's training step.
            const auto mu = static_cast<Scalar>(params_.momentum);
            Scalar* v = state.first.data();
            for (Eigen::Index i = 0; i < size; ++i) {
                v[i] = mu * v[i] + gradient[i];
                parameter[i] -= lr * v[i];
            }
            break;
        }
        case OptimizerKind::adam: {
            // The bias corrections in double, as PyTorch computes them in Python floats.
            const auto t = static_cast<double>(steps_taken_);
            const double correction1 = 1.0 - std::pow(params_.beta1, t);
            const double correction2 = 1.0 - std::pow(params_.beta2, t);
            const auto beta1 = static_cast<Scalar>(params_.beta1);
            const auto beta2 = static_cast<Scalar>(params_.beta2);
            const auto step_size = static_cast<Scalar>(params_.learning_rate / correction1);
            const auto sqrt_correction2 = static_cast<Scalar>(std::sqrt(correction2));
            const auto epsilon = static_cast<Scalar>(params_.epsilon);
            Array& m = state.first;
            Array& s = state.second;
            m = beta1 * m + (Scalar(1) - beta1) * g;
            s = beta2 * s + (Scalar(1) - beta2) * g.square();
            w -= step_size * m / (s.sqrt() / sqrt_correction2 + epsilon);
            break;
        }
    }
}

template <class Scalar>
std::vector<std::span<Scalar>> BasicOptimizer<Scalar>::state_arrays() {
    std::vector<std::span<Scalar>> arrays;
    for (State& state : states_) {
        arrays.emplace_back(state.first.data(), static_cast<std::size_t>(state.first.size()));
        arrays.emplace_back(state.second.data(), static_cast<std::size_t>(state.second.size()));
    }
    return arrays;
}

template class BasicOptimizer<float>;
template class BasicOptimizer<double>;

}  // namespace spikerate::models
