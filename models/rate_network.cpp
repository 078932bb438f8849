#include "rate_network.hpp"

#include <cmath>

#include <fmt/format.h>

#include "error.hpp"
#include "param_check.hpp"

namespace spikerate::models {

void RateNetworkParams::validate() const {
    if (n_inputs < 1) {
        throw ParamError::value("n_inputs",
                                fmt::format("{}: the network needs at least 1 input", n_inputs));
    }
    if (n_outputs < 1) {
        throw ParamError::value("n_outputs",
                                fmt::format("{}: the network needs at least 1 output", n_outputs));
    }
    if (loss == Loss::softmax_cross_entropy && n_outputs < 2) {
        throw ParamError::value(
            "n_outputs",
            fmt::format("{}: softmax_cross_entropy needs at least 2 outputs (classes)", n_outputs));
    }
    for (std::size_t i = 0; i < hidden.size(); ++i) {
        if (hidden[i] < 1) {
            throw ParamError::value_at(
                "hidden", i,
                fmt::format("{}: every hidden layer needs at least 1 unit", hidden[i]));
        }
    }
    require_non_negative("l2", l2, "");
    if (loss == Loss::softmax_cross_entropy && output_activation != Activation::identity) {
        throw ParamError::value(
            "output_activation",
            fmt::format(
                "{}: must be identity with loss = softmax_cross_entropy, whose "
                "output is the softmax (other output activations go with mean_squared_error)",
                activation_name(output_activation)));
    }
}

template <class Scalar>
BasicRateNetwork<Scalar>::BasicRateNetwork(const RateNetworkParams& params) : params_(params) {
    params_.validate();
    std::vector<Eigen::Index> sizes;
    sizes.push_back(static_cast<Eigen::Index>(params_.n_inputs));
    for (const std::uint32_t n : params_.hidden) sizes.push_back(static_cast<Eigen::Index>(n));
    sizes.push_back(static_cast<Eigen::Index>(params_.n_outputs));

    layers_.resize(sizes.size() - 1);
    for (std::size_t l = 0; l < layers_.size(); ++l) {
        Layer& layer = layers_[l];
        const Eigen::Index n_in = sizes[l];
        const Eigen::Index n_out = sizes[l + 1];
        layer.weights = Matrix::Zero(n_out, n_in);
        layer.biases = Vector::Zero(n_out);
        layer.weight_gradient = Matrix::Zero(n_out, n_in);
        layer.bias_gradient = Vector::Zero(n_out);
        layer.activation = l + 1 < layers_.size() ? params_.activation : params_.output_activation;
    }
}

template <class Scalar>
void BasicRateNetwork<Scalar>::initialise(const std::function<double()>& uniform01) {
    const std::size_t n_hidden_layers = layers_.size() - 1;
    for (std::size_t l = 0; l < layers_.size(); ++l) {
        Layer& layer = layers_[l];
        const auto fan_in = static_cast<double>(layer.weights.cols());
        const auto fan_out = static_cast<double>(layer.weights.rows());
        bool he = params_.init == WeightInit::he;
        if (params_.init == WeightInit::automatic) {
            he = l < n_hidden_layers && params_.activation == Activation::relu;
        }
        const double bound = he ? std::sqrt(6.0 / fan_in) : std::sqrt(6.0 / (fan_in + fan_out));
        for (Eigen::Index i = 0; i < layer.weights.rows(); ++i) {
            for (Eigen::Index j = 0; j < layer.weights.cols(); ++j) {
                layer.weights(i, j) = static_cast<Scalar>(bound * (2.0 * uniform01() - 1.0));
            }
        }
        layer.biases.setZero();
    }
}

template <class Scalar>
void BasicRateNetwork<Scalar>::resize_batch(Eigen::Index batch_size) {
    if (batch_size == batch_size_) return;
    for (Layer& layer : layers_) {
        layer.outputs.resize(layer.weights.rows(), batch_size);
        layer.delta.resize(layer.weights.rows(), batch_size);
    }
    if (params_.loss == Loss::softmax_cross_entropy) {
        logits_.resize(static_cast<Eigen::Index>(params_.n_outputs), batch_size);
        log_normaliser_.resize(batch_size);
    }
    batch_size_ = batch_size;
}

template <class Scalar>
auto BasicRateNetwork<Scalar>::forward(const Eigen::Ref<const Matrix>& inputs) -> const Matrix& {
    if (inputs.rows() != static_cast<Eigen::Index>(params_.n_inputs) || inputs.cols() < 1) {
        throw Error(
            fmt::format("rate network forward: the inputs are {} x {}, expected {} x B "
                        "(one column per example, B >= 1)",
                        inputs.rows(), inputs.cols(), params_.n_inputs));
    }
    resize_batch(inputs.cols());
    inputs_ = inputs;

    const bool softmax_output = params_.loss == Loss::softmax_cross_entropy;
    const Matrix* previous = &inputs_;
    for (std::size_t l = 0; l < layers_.size(); ++l) {
        Layer& layer = layers_[l];
        const bool is_output = l + 1 == layers_.size();
        Matrix& z = is_output && softmax_output ? logits_ : layer.outputs;
        z.noalias() = layer.weights * *previous;
        z.colwise() += layer.biases;
        if (is_output && softmax_output) {
            softmax(z, layer.outputs, log_normaliser_);
        } else {
            apply_activation(layer.activation, z);
        }
        previous = &layer.outputs;
    }
    return layers_.back().outputs;
}

template <class Scalar>
void BasicRateNetwork<Scalar>::check_labels(std::span<const std::uint32_t> labels) const {
    if (batch_size_ == 0) {
        throw Error("rate network: backward() or loss() called before forward()");
    }
    if (labels.size() != static_cast<std::size_t>(batch_size_)) {
        throw Error(fmt::format("rate network: {} labels for a batch of {} examples", labels.size(),
                                batch_size_));
    }
    for (std::size_t j = 0; j < labels.size(); ++j) {
        if (labels[j] >= params_.n_outputs) {
            throw Error(
                fmt::format("rate network: label {} of example {} is not below the "
                            "number of outputs, {}",
                            labels[j], j, params_.n_outputs));
        }
    }
}

template <class Scalar>
double BasicRateNetwork<Scalar>::l2_penalty() const {
    if (params_.l2 == 0.0) return 0.0;
    double sum_of_squares = 0.0;
    for (const Layer& layer : layers_) {
        sum_of_squares += static_cast<double>(layer.weights.squaredNorm());
    }
    return 0.5 * params_.l2 * sum_of_squares;
}

template <class Scalar>
double BasicRateNetwork<Scalar>::loss(std::span<const std::uint32_t> labels) const {
    check_labels(labels);
    const double data_loss = params_.loss == Loss::softmax_cross_entropy
                                 ? softmax_cross_entropy(logits_, log_normaliser_, labels)
                                 : mean_squared_error(layers_.back().outputs, labels);
    return data_loss + l2_penalty();
}

template <class Scalar>
double BasicRateNetwork<Scalar>::backward(std::span<const std::uint32_t> labels) {
    const double total_loss = loss(labels);

    Layer& output = layers_.back();
    if (params_.loss == Loss::softmax_cross_entropy) {
        softmax_cross_entropy_gradient(output.outputs, labels, output.delta);
    } else {
        mean_squared_error_gradient(params_.output_activation, output.outputs, labels,
                                    output.delta);
    }

    const auto l2 = static_cast<Scalar>(params_.l2);
    for (std::size_t l = layers_.size(); l-- > 0;) {
        Layer& layer = layers_[l];
        const Matrix& previous = l == 0 ? inputs_ : layers_[l - 1].outputs;
        if (params_.l2 == 0.0) {
            layer.weight_gradient.noalias() = layer.delta * previous.transpose();
        } else {
            // The penalty's gradient first, then the product accumulated onto it: one pass.
            layer.weight_gradient = l2 * layer.weights;
            layer.weight_gradient.noalias() += layer.delta * previous.transpose();
        }
        layer.bias_gradient = layer.delta.rowwise().sum();
        if (l > 0) {
            Layer& below = layers_[l - 1];
            below.delta.noalias() = layer.weights.transpose() * layer.delta;
            multiply_by_derivative(below.activation, below.outputs, below.delta);
        }
    }
    return total_loss;
}

template <class Scalar>
std::uint64_t BasicRateNetwork<Scalar>::forward_macs_per_example() const {
    std::uint64_t macs = 0;
    for (const Layer& layer : layers_) macs += static_cast<std::uint64_t>(layer.weights.size());
    return macs;
}

template <class Scalar>
std::uint64_t BasicRateNetwork<Scalar>::backward_macs_per_example() const {
    std::uint64_t macs = forward_macs_per_example();
    for (std::size_t l = 1; l < layers_.size(); ++l) {
        macs += static_cast<std::uint64_t>(layers_[l].weights.size());
    }
    return macs;
}

template class BasicRateNetwork<float>;
template class BasicRateNetwork<double>;

}  // namespace spikerate::models
