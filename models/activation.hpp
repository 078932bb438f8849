#pragma once

// Elementwise activation functions of the rate networks. Each derivative is written through the
// activation's output a = f(z), so that the backward pass needs only the stored outputs:
//   identity  f(z) = z                  f'(z) = 1
//   sigmoid   f(z) = 1 / (1 + e^-z)     f'(z) = a (1 - a)
//   tanh      f(z) = tanh z             f'(z) = 1 - a^2
//   relu      f(z) = max(z, 0)          f'(z) = 1 if a > 0, else 0 (0 at the kink, as PyTorch)
// Both functions switch on the activation once and then run one vectorised array expression
// over the whole matrix; they are instantiated for float and double.

#include <array>
#include <string_view>
#include <utility>

#include <Eigen/Core>

namespace spikerate::models {

enum class Activation { identity, sigmoid, tanh, relu };

// The names scenario files use (v(name, field, choices) in the parameters' visit_fields).
inline constexpr std::array activation_choices{
    std::pair{"identity", Activation::identity}, std::pair{"sigmoid", Activation::sigmoid},
    std::pair{"tanh", Activation::tanh}, std::pair{"relu", Activation::relu}};

std::string_view activation_name(Activation f);

template <class Scalar>
using DynamicMatrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;

// values <- f(values).
template <class Scalar>
void apply_activation(Activation f, DynamicMatrix<Scalar>& values);

// gradient <- gradient * f'(z), elementwise, with f'(z) taken from outputs = f(z): turns
// dL/da into dL/dz.
template <class Scalar>
void multiply_by_derivative(Activation f, const DynamicMatrix<Scalar>& outputs,
                            DynamicMatrix<Scalar>& gradient);

}  // namespace spikerate::models
