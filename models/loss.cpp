#include "loss.hpp"

#include <cmath>

namespace spikerate::models {

std::string_view loss_name(Loss loss) {
    for (const auto& [name, value] : loss_choices) {
        if (value == loss) return name;
    }
    return "unknown";
}

template <class Scalar>
void softmax(const DynamicMatrix<Scalar>& logits, DynamicMatrix<Scalar>& probabilities,
             Eigen::RowVectorXd& log_normaliser) {
    // After subtracting the column maximum m every exponent is <= 0 and the largest is 0, so
    // the column sum s lies in [1, K]: nothing overflows, and log s is accurate. The
    // log-normaliser m + log s is formed in double: in float, with logits near 1000 it would be
    // rounded to a multiple of 6e-5, and the loss with it.
    for (Eigen::Index j = 0; j < logits.cols(); ++j) {
        const Scalar column_max = logits.col(j).maxCoeff();
        auto p = probabilities.col(j).array();
        p = (logits.col(j).array() - column_max).exp();
        const Scalar sum = p.sum();
        p /= sum;
        log_normaliser(j) = static_cast<double>(column_max) + std::log(static_cast<double>(sum));
    }
}

template <class Scalar>
double softmax_cross_entropy(const DynamicMatrix<Scalar>& logits,
                             const Eigen::RowVectorXd& log_normaliser,
                             std::span<const std::uint32_t> labels) {
    double total = 0.0;
    for (Eigen::Index j = 0; j < logits.cols(); ++j) {
        total +=
            log_normaliser(j) - static_cast<double>(logits(labels[static_cast<std::size_t>(j)], j));
    }
    return total / static_cast<double>(logits.cols());
}

template <class Scalar>
void softmax_cross_entropy_gradient(const DynamicMatrix<Scalar>& probabilities,
                                    std::span<const std::uint32_t> labels,
                                    DynamicMatrix<Scalar>& gradient) {
    const Scalar inverse_batch = Scalar(1) / static_cast<Scalar>(probabilities.cols());
    gradient = probabilities * inverse_batch;
    for (Eigen::Index j = 0; j < gradient.cols(); ++j) {
        gradient(labels[static_cast<std::size_t>(j)], j) -= inverse_batch;
    }
}

template <class Scalar>
double mean_squared_error(const DynamicMatrix<Scalar>& outputs,
                          std::span<const std::uint32_t> labels) {
    // Written out element by element (the output layer is small): sum a^2 - 2 a_y + 1 would
    // cancel catastrophically when the outputs are close to their targets.
    double total = 0.0;
    for (Eigen::Index j = 0; j < outputs.cols(); ++j) {
        const Eigen::Index label = labels[static_cast<std::size_t>(j)];
        for (Eigen::Index k = 0; k < outputs.rows(); ++k) {
            const double error = static_cast<double>(outputs(k, j)) - (k == label ? 1.0 : 0.0);
            total += error * error;
        }
    }
    return 0.5 * total / static_cast<double>(outputs.cols());
}

template <class Scalar>
void mean_squared_error_gradient(Activation output_activation, const DynamicMatrix<Scalar>& outputs,
                                 std::span<const std::uint32_t> labels,
                                 DynamicMatrix<Scalar>& gradient) {
    const Scalar inverse_batch = Scalar(1) / static_cast<Scalar>(outputs.cols());
    gradient = outputs * inverse_batch;
    for (Eigen::Index j = 0; j < gradient.cols(); ++j) {
        gradient(labels[static_cast<std::size_t>(j)], j) -= inverse_batch;
    }
    multiply_by_derivative(output_activation, outputs, gradient);
}

template void softmax<float>(const DynamicMatrix<float>&, DynamicMatrix<float>&,
                             Eigen::RowVectorXd&);
template double softmax_cross_entropy<float>(const DynamicMatrix<float>&, const Eigen::RowVectorXd&,
                                             std::span<const std::uint32_t>);
template void softmax_cross_entropy_gradient<float>(const DynamicMatrix<float>&,
                                                    std::span<const std::uint32_t>,
                                                    DynamicMatrix<float>&);
template double mean_squared_error<float>(const DynamicMatrix<float>&,
                                          std::span<const std::uint32_t>);
template void mean_squared_error_gradient<float>(Activation, const DynamicMatrix<float>&,
                                                 std::span<const std::uint32_t>,
                                                 DynamicMatrix<float>&);
template void softmax<double>(const DynamicMatrix<double>&, DynamicMatrix<double>&,
                              Eigen::RowVectorXd&);
template double softmax_cross_entropy<double>(const DynamicMatrix<double>&,
                                              const Eigen::RowVectorXd&,
                                              std::span<const std::uint32_t>);
template void softmax_cross_entropy_gradient<double>(const DynamicMatrix<double>&,
                                                     std::span<const std::uint32_t>,
                                                     DynamicMatrix<double>&);
template double mean_squared_error<double>(const DynamicMatrix<double>&,
                                           std::span<const std::uint32_t>);
template void mean_squared_error_gradient<double>(Activation, const DynamicMatrix<double>&,
                                                  std::span<const std::uint32_t>,
                                                  DynamicMatrix<double>&);

}  // namespace spikerate::models
