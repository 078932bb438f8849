#pragma once

// A linear readout of a spiking network: multinomial logistic regression on the spike counts of
// the read-out population, fitted to labelled examples only (the readout's label budget).
//
//   features  x = counts / scale, scale = the largest count of any neuron on the labelled
//             examples (at least 1), and a constant 1 for the bias;
//   model     p(class | x) = softmax(W x), W of n_classes x (n_neurons + 1), from W = 0;
//   fit       `epochs` steps of full-batch gradient descent on the mean cross-entropy:
//             W -= learning_rate * (P - Y) X^T / m  (P: probabilities, Y: one-hot labels,
//             X: the m labelled examples' features as columns).
// No randomness: the same counts and labels give the same readout. Classification: the class
// of the largest W x (ties to the lowest class); an example is never left unclassified, except
// by a readout fitted to no example (no prediction, counted as wrong).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include <Eigen/Core>

namespace spikerate::sim::task {

struct LinearReadout {
    std::size_t n_neurons = 0;
    std::size_t n_classes = 0;
    double scale = 1.0;
    Eigen::MatrixXd weights;  // n_classes x (n_neurons + 1); empty: fitted to no example
};

// `counts`: one row of n_neurons spike counts per example (row-major), `labels` one class per
// example. Throws DataError for mismatched sizes or a label >= n_classes.
LinearReadout fit_linear_readout(std::span<const std::uint32_t> counts, std::size_t n_neurons,
                                 std::span<const std::uint32_t> labels, std::size_t n_classes,
                                 std::uint32_t epochs, double learning_rate);

std::optional<std::uint32_t> classify(std::span<const std::uint32_t> counts,
                                      const LinearReadout& readout);

}  // namespace spikerate::sim::task
