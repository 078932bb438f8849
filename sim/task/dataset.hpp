#pragma once

// A labelled data set as both paradigms see it: one column of inputs in [0, 1] per example and
// one class label per example; a temporal task's examples are also spike patterns, which a
// spiking network plays as they are. A Task pairs a training set with a test set.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "models/error.hpp"

namespace spikerate::sim::task {

// The examples of a temporal task as spikes: example j is the (afferent, time) pairs
// [offsets[j], offsets[j + 1]), sorted by (time, afferent), every time in [0, duration_ms).
// Empty (no examples) for a task whose examples are input vectors only.
struct SpikePatterns {
    double duration_ms = 0.0;  // [ms] the window of every example
    std::size_t n_afferents = 0;
    std::vector<std::size_t> offsets{0};  // n_examples + 1
    std::vector<std::uint32_t> afferents;
    std::vector<double> times_ms;  // [ms]

    std::size_t size() const { return offsets.size() - 1; }  // examples
    bool empty() const { return size() == 0; }
    std::span<const std::uint32_t> afferents_of(std::size_t j) const {
        return std::span(afferents).subspan(offsets[j], offsets[j + 1] - offsets[j]);
    }
    std::span<const double> times_of(std::size_t j) const {
        return std::span(times_ms).subspan(offsets[j], offsets[j + 1] - offsets[j]);
    }
    // Appends one example's spikes (sorted by the caller).
    void add(std::span<const std::uint32_t> example_afferents, std::span<const double> times);
    void keep_first(std::size_t n);  // the first n examples (all when there are fewer)
};

struct Dataset {
    std::string name;                   // e.g. "mnist/train", "bars/test"
    Eigen::MatrixXf inputs;             // n_inputs x n_examples, one column per example, in [0, 1]
    std::vector<std::uint32_t> labels;  // one per example, each < n_classes
    std::size_t n_classes = 0;
    // rows x cols when the inputs are an image stored row by row ({28, 28} for MNIST), else
    // {n_inputs, 1}; the product is n_inputs.
    std::array<std::size_t, 2> image_shape{0, 0};
    SpikePatterns spike_patterns;  // a temporal task's examples as spikes, else empty

    std::size_t size() const { return static_cast<std::size_t>(inputs.cols()); }
    std::size_t n_inputs() const { return static_cast<std::size_t>(inputs.rows()); }
    // The shape of one example's inputs, as the run file states it (attribute input_shape):
    // {rows, cols} for an image, {n_inputs} otherwise.
    std::vector<std::uint64_t> input_shape() const {
        if (image_shape[1] <= 1) return {n_inputs()};
        return {image_shape[0], image_shape[1]};
    }
    // Example j's inputs (a column, contiguous in Eigen's column-major storage).
    std::span<const float> example(std::size_t j) const {
        return {inputs.col(static_cast<Eigen::Index>(j)).data(), n_inputs()};
    }

    // Throws DataError naming the data set: at least one example, input and class; as many labels
    // as examples; image_shape multiplying to n_inputs; every input finite and in [0, 1]; every
    // label < n_classes; spike patterns, when there are any, one per example, each sorted, with
    // afferents < n_afferents and times in [0, duration_ms). The first offending example is
    // named.
    void validate() const;
};

struct Task {
    std::string name;  // "mnist", "bars", ...
    Dataset train;
    Dataset test;
};

}  // namespace spikerate::sim::task
