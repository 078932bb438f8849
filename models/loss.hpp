#pragma once

// Losses of the rate networks, for a batch of B examples (column j of every matrix is example j,
// with integer label y_j < K, the number of outputs), and their gradients with respect to the
// output layer's pre-activations z:
//
//   softmax_cross_entropy  p = softmax(z) column by column (the column maximum is subtracted
//                          before exponentiating, so no logit overflows)
//                          L = (1/B) sum_j -log p_{y_j j} = (1/B) sum_j (lse(z_j) - z_{y_j j}),
//                          lse(z_j) = log sum_k exp z_kj
//                          dL/dz = (p - onehot(y)) / B
//   mean_squared_error     a = f(z) with the output activation f, target t = onehot(y)
//                          L = (1/B) sum_j (1/2) sum_k (a_kj - t_kj)^2
//                          (summed over the outputs, averaged over the batch; the 1/2 cancels
//                          the 2 of the derivative. PyTorch's MSELoss averages over all B K
//                          elements without the 1/2: it is 2/K times this loss.)
//                          dL/dz = (a - t) f'(z) / B
//
// The cross-entropy is computed from the logits and the log-normaliser, never as log(p): it stays
// finite when p_y underflows to 0. Loss values are accumulated in double.
// Preconditions (checked by the caller, the network): labels.size() == B, every label < K.

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>

#include <Eigen/Core>

#include "activation.hpp"

namespace spikerate::models {

enum class Loss { softmax_cross_entropy, mean_squared_error };

inline constexpr std::array loss_choices{
    std::pair{"softmax_cross_entropy", Loss::softmax_cross_entropy},
    std::pair{"mean_squared_error", Loss::mean_squared_error}};

std::string_view loss_name(Loss loss);

// probabilities(:, j) = softmax(logits(:, j)); log_normaliser(j) = log sum_k exp(logits(k, j)),
// in double whatever the scalar. Resizes neither output: both must have the batch's shape.
template <class Scalar>
void softmax(const DynamicMatrix<Scalar>& logits, DynamicMatrix<Scalar>& probabilities,
             Eigen::RowVectorXd& log_normaliser);

template <class Scalar>
double softmax_cross_entropy(const DynamicMatrix<Scalar>& logits,
                             const Eigen::RowVectorXd& log_normaliser,
                             std::span<const std::uint32_t> labels);

// gradient <- (probabilities - onehot(labels)) / B; gradient must have the batch's shape.
template <class Scalar>
void softmax_cross_entropy_gradient(const DynamicMatrix<Scalar>& probabilities,
                                    std::span<const std::uint32_t> labels,
                                    DynamicMatrix<Scalar>& gradient);

template <class Scalar>
double mean_squared_error(const DynamicMatrix<Scalar>& outputs,
                          std::span<const std::uint32_t> labels);

// gradient <- (outputs - onehot(labels)) f'(z) / B, f the output activation.
template <class Scalar>
void mean_squared_error_gradient(Activation output_activation, const DynamicMatrix<Scalar>& outputs,
                                 std::span<const std::uint32_t> labels,
                                 DynamicMatrix<Scalar>& gradient);

}  // namespace spikerate::models
