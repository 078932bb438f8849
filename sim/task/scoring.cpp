#include "sim/task/scoring.hpp"

#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "models/error.hpp"
#include "sim/task/dataset.hpp"

namespace spikerate::sim::task {

std::uint32_t predicted_class(std::span<const float> scores) {
    if (scores.empty()) {
        throw DataError("predicted_class: no scores, expected one per class");
    }
    std::size_t best = 0;
    for (std::size_t c = 0; c < scores.size(); ++c) {
        if (std::isnan(scores[c])) {
            throw NumericalError(fmt::format("predicted_class: the score of class {} is NaN", c));
        }
        if (scores[c] > scores[best]) {  // strictly greater: a tie keeps the lower class
            best = c;
        }
    }
    return static_cast<std::uint32_t>(best);
}

ConfusionMatrix::ConfusionMatrix(std::size_t n_classes)
    : n_classes_(n_classes), counts_(n_classes * n_classes, 0) {
    if (n_classes == 0) {
        throw ParamError("ConfusionMatrix: n_classes = 0, expected at least one class");
    }
}

void ConfusionMatrix::check_class(const char* which, std::uint32_t c) const {
    if (c >= n_classes_) {
        throw DataError(fmt::format("ConfusionMatrix: {} class {} is out of range, expected < {}",
                                    which, c, n_classes_));
    }
}

void ConfusionMatrix::add(std::uint32_t true_class, std::uint32_t predicted) {
    check_class("true", true_class);
    check_class("predicted", predicted);
    ++counts_[true_class * n_classes_ + predicted];
    ++total_;
}

void ConfusionMatrix::merge(const ConfusionMatrix& other) {
    if (other.n_classes_ != n_classes_) {
        throw ParamError(
            fmt::format("ConfusionMatrix::merge: {} classes into {}, expected the same number",
                        other.n_classes_, n_classes_));
    }
    for (std::size_t i = 0; i < counts_.size(); ++i) {
        counts_[i] += other.counts_[i];
    }
    total_ += other.total_;
}

std::uint64_t ConfusionMatrix::count(std::uint32_t true_class, std::uint32_t predicted) const {
    check_class("true", true_class);
    check_class("predicted", predicted);
    return counts_[true_class * n_classes_ + predicted];
}

double ConfusionMatrix::accuracy() const {
    if (total_ == 0) {
        return std::numeric_limits<double>::quiet_NaN();
    }
    std::uint64_t correct = 0;
    for (std::size_t c = 0; c < n_classes_; ++c) {
        correct += counts_[c * n_classes_ + c];
    }
    return static_cast<double>(correct) / static_cast<double>(total_);
}

std::vector<double> ConfusionMatrix::per_class_recall() const {
    std::vector<double> recall(n_classes_);
    for (std::size_t t = 0; t < n_classes_; ++t) {
        std::uint64_t row = 0;
        for (std::size_t p = 0; p < n_classes_; ++p) {
            row += counts_[t * n_classes_ + p];
        }
        recall[t] =
            row == 0 ? std::numeric_limits<double>::quiet_NaN()
                     : static_cast<double>(counts_[t * n_classes_ + t]) / static_cast<double>(row);
    }
    return recall;
}

}  // namespace spikerate::sim::task
