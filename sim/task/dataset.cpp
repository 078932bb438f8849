#include "sim/task/dataset.hpp"

#include <cmath>

#include <fmt/format.h>

namespace spikerate::sim::task {

void Dataset::validate() const {
    const std::string where = fmt::format("data set '{}'", name);
    if (size() == 0) {
        throw DataError(fmt::format("{}: has no examples, expected at least one", where));
    }
    if (n_inputs() == 0) {
        throw DataError(fmt::format("{}: examples have no inputs, expected at least one", where));
    }
    if (n_classes == 0) {
        throw DataError(fmt::format("{}: n_classes = 0, expected at least one class", where));
    }
    if (labels.size() != size()) {
        throw DataError(fmt::format("{}: has {} labels for {} examples, expected one per example",
                                    where, labels.size(), size()));
    }
    if (image_shape[0] * image_shape[1] != n_inputs()) {
        throw DataError(fmt::format("{}: image shape {} x {} has {} pixels, expected {} (n_inputs)",
                                    where, image_shape[0], image_shape[1],
                                    image_shape[0] * image_shape[1], n_inputs()));
    }
    for (std::size_t j = 0; j < size(); ++j) {
        if (labels[j] >= n_classes) {
            throw DataError(fmt::format("{}: example {} has label {}, expected < {} (n_classes)",
                                        where, j, labels[j], n_classes));
        }
        const std::span<const float> x = example(j);
        for (std::size_t i = 0; i < x.size(); ++i) {
            if (!std::isfinite(x[i]) || x[i] < 0.0f || x[i] > 1.0f) {
                throw DataError(fmt::format(
                    "{}: example {} input {} = {}, expected a value in [0, 1]", where, j, i, x[i]));
            }
        }
    }
}

}  // namespace spikerate::sim::task
