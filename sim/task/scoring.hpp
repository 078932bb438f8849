#pragma once

// Scoring shared by both paradigms: the predicted class of an output vector and a confusion
// matrix of (true class, predicted class) counts.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace spikerate::sim::task {

// The index of the largest score; ties go to the lowest class, so an all-silent spiking output
// (every count 0) predicts class 0. Throws DataError for no scores, NumericalError for a NaN.
std::uint32_t predicted_class(std::span<const float> scores);

class ConfusionMatrix {
  public:
    explicit ConfusionMatrix(std::size_t n_classes);  // throws ParamError for 0 classes

    // Throws DataError naming the class that is >= n_classes.
    void add(std::uint32_t true_class, std::uint32_t predicted);
    // Adds another matrix's counts (e.g. from another batch); throws ParamError if the numbers of
    // classes differ.
    void merge(const ConfusionMatrix& other);

    std::uint64_t count(std::uint32_t true_class, std::uint32_t predicted) const;
    std::uint64_t total() const { return total_; }
    std::size_t n_classes() const { return n_classes_; }
    // Row-major: counts()[true_class * n_classes() + predicted].
    const std::vector<std::uint64_t>& counts() const { return counts_; }

    // The fraction on the diagonal; NaN when nothing was added (no evidence either way).
    double accuracy() const;
    // Per true class, the fraction of its examples predicted as that class; NaN for a class that
    // was never added.
    std::vector<double> per_class_recall() const;

  private:
    void check_class(const char* which, std::uint32_t c) const;

    std::size_t n_classes_;
    std::vector<std::uint64_t> counts_;
    std::uint64_t total_ = 0;
};

}  // namespace spikerate::sim::task
