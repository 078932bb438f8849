#include "activation.hpp"

namespace spikerate::models {

std::string_view activation_name(Activation f) {
    for (const auto& [name, value] : activation_choices) {
        if (value == f) return name;
    }
    return "unknown";
}

template <class Scalar>
void apply_activation(Activation f, DynamicMatrix<Scalar>& values) {
    auto a = values.array();
    switch (f) {
        case Activation::identity:
            break;
        case Activation::sigmoid:
            // Eigen's logistic saturates cleanly: no overflow of e^-z for very negative z.
            a = a.logistic();
            break;
        case Activation::tanh:
            a = a.tanh();
            break;
        case Activation::relu:
            a = a.cwiseMax(Scalar(0));
            break;
    }
}

template <class Scalar>
void multiply_by_derivative(Activation f, const DynamicMatrix<Scalar>& outputs,
                            DynamicMatrix<Scalar>& gradient) {
    const auto a = outputs.array();
    auto g = gradient.array();
    switch (f) {
        case Activation::identity:
            break;
        case Activation::sigmoid:
            g *= a * (Scalar(1) - a);
            break;
        case Activation::tanh:
            g *= Scalar(1) - a.square();
            break;
        case Activation::relu:
            // A select, not a multiplication by (a > 0): it vectorises, and a zero stays a zero
            // even where the incoming gradient is not finite.
            g = (a > Scalar(0)).select(g, Scalar(0));
            break;
    }
}

template void apply_activation<float>(Activation, DynamicMatrix<float>&);
template void apply_activation<double>(Activation, DynamicMatrix<double>&);
template void multiply_by_derivative<float>(Activation, const DynamicMatrix<float>&,
                                            DynamicMatrix<float>&);
template void multiply_by_derivative<double>(Activation, const DynamicMatrix<double>&,
                                             DynamicMatrix<double>&);

}  // namespace spikerate::models
