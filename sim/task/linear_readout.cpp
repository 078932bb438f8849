#include "sim/task/linear_readout.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "models/error.hpp"

namespace spikerate::sim::task {

LinearReadout fit_linear_readout(std::span<const std::uint32_t> counts, std::size_t n_neurons,
                                 std::span<const std::uint32_t> labels, std::size_t n_classes,
                                 std::uint32_t epochs, double learning_rate) {
    if (n_neurons == 0 || counts.size() != labels.size() * n_neurons) {
        throw DataError(fmt::format("linear readout: {} counts for {} examples of {} neurons",
                                    counts.size(), labels.size(), n_neurons));
    }
    LinearReadout readout{.n_neurons = n_neurons, .n_classes = n_classes};
    const auto m = static_cast<Eigen::Index>(labels.size());
    if (m == 0) return readout;
    for (std::size_t e = 0; e < labels.size(); ++e) {
        if (labels[e] >= n_classes) {
            throw DataError(fmt::format("linear readout: label {} of example {} is not below {}",
                                        labels[e], e, n_classes));
        }
    }
    const std::uint32_t largest = *std::max_element(counts.begin(), counts.end());
    readout.scale = std::max<std::uint32_t>(largest, 1);
    const auto n = static_cast<Eigen::Index>(n_neurons);
    const auto c = static_cast<Eigen::Index>(n_classes);
    Eigen::MatrixXd x(n + 1, m);  // features of example e in column e, then the bias input
    for (Eigen::Index e = 0; e < m; ++e) {
        for (Eigen::Index j = 0; j < n; ++j) {
            x(j, e) =
                static_cast<double>(counts[static_cast<std::size_t>(e * n + j)]) / readout.scale;
        }
        x(n, e) = 1.0;
    }
    Eigen::MatrixXd y = Eigen::MatrixXd::Zero(c, m);
    for (Eigen::Index e = 0; e < m; ++e) y(labels[static_cast<std::size_t>(e)], e) = 1.0;
    readout.weights = Eigen::MatrixXd::Zero(c, n + 1);
    Eigen::MatrixXd p(c, m);
    for (std::uint32_t epoch = 0; epoch < epochs; ++epoch) {
        p.noalias() = readout.weights * x;
        for (Eigen::Index e = 0; e < m; ++e) {
            const double top = p.col(e).maxCoeff();
            p.col(e) = (p.col(e).array() - top).exp();
            p.col(e) /= p.col(e).sum();
        }
        readout.weights.noalias() -=
            (learning_rate / static_cast<double>(m)) * (p - y) * x.transpose();
    }
    return readout;
}

std::optional<std::uint32_t> classify(std::span<const std::uint32_t> counts,
                                      const LinearReadout& readout) {
    if (readout.weights.size() == 0) return std::nullopt;
    const auto n = static_cast<Eigen::Index>(readout.n_neurons);
    Eigen::VectorXd x(n + 1);
    for (Eigen::Index j = 0; j < n; ++j) {
        x(j) = static_cast<double>(counts[static_cast<std::size_t>(j)]) / readout.scale;
    }
    x(n) = 1.0;
    const Eigen::VectorXd scores = readout.weights * x;
    Eigen::Index best = 0;
    for (Eigen::Index k = 1; k < scores.size(); ++k) {
        if (scores(k) > scores(best)) best = k;
    }
    return static_cast<std::uint32_t>(best);
}

}  // namespace spikerate::sim::task
