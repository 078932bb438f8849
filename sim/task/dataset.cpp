#include "sim/task/dataset.hpp"

#include <cmath>

#include <fmt/format.h>

namespace spikerate::sim::task {

void SpikePatterns::add(std::span<const std::uint32_t> example_afferents,
                        std::span<const double> times) {
    if (example_afferents.size() != times.size()) {
        throw DataError(fmt::format("spike pattern: {} afferents for {} times, expected as many",
                                    example_afferents.size(), times.size()));
    }
    afferents.insert(afferents.end(), example_afferents.begin(), example_afferents.end());
    times_ms.insert(times_ms.end(), times.begin(), times.end());
    offsets.push_back(afferents.size());
}

void SpikePatterns::keep_first(std::size_t n) {
    if (n >= size()) return;
    offsets.resize(n + 1);
    afferents.resize(offsets.back());
    times_ms.resize(offsets.back());
}

namespace {

void validate_patterns(const SpikePatterns& p, std::size_t n_examples, const std::string& where) {
    if (p.size() != n_examples) {
        throw DataError(
            fmt::format("{}: has {} spike patterns for {} examples, expected one per "
                        "example",
                        where, p.size(), n_examples));
    }
    if (!(p.duration_ms > 0.0) || !std::isfinite(p.duration_ms) || p.n_afferents == 0) {
        throw DataError(
            fmt::format("{}: spike patterns of {} ms over {} afferents, expected a "
                        "finite duration > 0 and at least one afferent",
                        where, p.duration_ms, p.n_afferents));
    }
    for (std::size_t j = 0; j < p.size(); ++j) {
        const auto afferents = p.afferents_of(j);
        const auto times = p.times_of(j);
        for (std::size_t s = 0; s < times.size(); ++s) {
            if (afferents[s] >= p.n_afferents || !(times[s] >= 0.0) ||
                !(times[s] < p.duration_ms)) {
                throw DataError(fmt::format(
                    "{}: example {} spike {} (afferent {}, {} ms), expected an afferent < {} and "
                    "a time in [0, {}) ms",
                    where, j, s, afferents[s], times[s], p.n_afferents, p.duration_ms));
            }
            if (s > 0 && (times[s] < times[s - 1] ||
                          (times[s] == times[s - 1] && afferents[s] <= afferents[s - 1]))) {
                throw DataError(fmt::format(
                    "{}: example {} spike {} is out of order, expected spikes sorted by (time, "
                    "afferent) without repeats",
                    where, j, s));
            }
        }
    }
}

}  // namespace

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
    if (!spike_patterns.empty()) validate_patterns(spike_patterns, size(), where);
}

}  // namespace spikerate::sim::task
