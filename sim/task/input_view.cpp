#include "sim/task/input_view.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "models/error.hpp"
#include "models/param_check.hpp"

namespace spikerate::sim::task {

std::string InputView::label() const {
    const auto choice = std::find_if(input_view_choices.begin(), input_view_choices.end(),
                                     [&](const auto& c) { return c.second == kind; });
    if (kind == InputViewKind::bins) return fmt::format("{} {} ms", choice->first, bin_ms);
    return choice->first;
}

void InputView::validate() const {
    if (kind == InputViewKind::bins) {
        models::require_positive("input_bin_ms", bin_ms, "ms");
    } else if (bin_ms != 0.0) {
        throw ParamError::value("input_bin_ms",
                                fmt::format("{} ms: a bin width needs input = \"bins\"", bin_ms));
    }
}

std::size_t view_bins(const InputView& view, double duration_ms) {
    view.validate();
    if (view.kind != InputViewKind::bins) return 1;
    const double bins = duration_ms / view.bin_ms;
    const double whole = std::round(bins);
    if (whole < 1.0 || std::abs(bins - whole) > 1e-9 * bins) {
        throw ParamError::value(
            "input_bin_ms", fmt::format("{} ms: must divide the task's window of {} ms into whole "
                                        "bins",
                                        view.bin_ms, duration_ms));
    }
    return static_cast<std::size_t>(whole);
}

std::size_t view_inputs(const Dataset& set, const InputView& view) {
    view.validate();
    if (view.kind == InputViewKind::task_inputs) return set.n_inputs();
    const SpikePatterns& p = set.spike_patterns;
    if (p.empty()) {
        throw ParamError::value(
            "input", fmt::format("\"{}\": {} has no spike patterns (a temporal task such as "
                                 "timing_classes); use input = \"default\"",
                                 view.kind == InputViewKind::counts ? "counts" : "bins", set.name));
    }
    return p.n_afferents * view_bins(view, p.duration_ms);
}

Eigen::MatrixXf binned_counts(const SpikePatterns& patterns, std::size_t n_bins) {
    const auto rows = static_cast<Eigen::Index>(patterns.n_afferents * n_bins);
    Eigen::MatrixXf counts =
        Eigen::MatrixXf::Zero(rows, static_cast<Eigen::Index>(patterns.size()));
    const double width = patterns.duration_ms / static_cast<double>(n_bins);
    for (std::size_t j = 0; j < patterns.size(); ++j) {
        const auto afferents = patterns.afferents_of(j);
        const auto times = patterns.times_of(j);
        for (std::size_t s = 0; s < times.size(); ++s) {
            const auto bin =
                std::min(n_bins - 1, static_cast<std::size_t>(std::floor(times[s] / width)));
            counts(static_cast<Eigen::Index>(afferents[s] * n_bins + bin),
                   static_cast<Eigen::Index>(j)) += 1.0f;
        }
    }
    return counts;
}

namespace {

// `set` seen through the view whose unscaled inputs are `counts`.
Dataset view_of(const Dataset& set, const std::string& label, std::size_t n_bins,
                const Eigen::MatrixXf& counts, float scale) {
    Dataset out;
    out.name = fmt::format("{} ({})", set.name, label);
    out.inputs = (counts / scale).cwiseMin(1.0f);
    out.labels = set.labels;
    out.n_classes = set.n_classes;
    out.image_shape = {set.spike_patterns.n_afferents, n_bins};
    return out;
}

}  // namespace

Task apply_view(const Dataset& train, const Dataset& test, const InputView& view) {
    (void)view_inputs(train, view);
    (void)view_inputs(test, view);
    const std::string label = view.label();
    if (view.kind == InputViewKind::task_inputs)
        return Task{.name = label, .train = train, .test = test};
    const std::size_t n_bins = view_bins(view, train.spike_patterns.duration_ms);
    const Eigen::MatrixXf counts = binned_counts(train.spike_patterns, n_bins);
    const float scale = std::max(1.0f, counts.size() > 0 ? counts.maxCoeff() : 0.0f);
    return Task{
        .name = label,
        .train = view_of(train, label, n_bins, counts, scale),
        .test = view_of(test, label, n_bins, binned_counts(test.spike_patterns, n_bins), scale)};
}

void set_count_inputs(Task& task) {
    Task counts = apply_view(task.train, task.test, InputView{.kind = InputViewKind::counts});
    task.train.inputs = std::move(counts.train.inputs);
    task.test.inputs = std::move(counts.test.inputs);
    task.train.image_shape = counts.train.image_shape;
    task.test.image_shape = counts.test.image_shape;
}

}  // namespace spikerate::sim::task
