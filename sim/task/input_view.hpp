#pragma once

// What a rate network is handed of a temporal task's examples (Dataset::spike_patterns): the
// spike count of every afferent over the window (the rate view), or the counts in time bins of
// width b (the timing handed over at the price of n_afferents x T / b inputs). A view is a Task
// of its own with the same labels and order, so any rate learner trains on it unchanged and its
// multiply-accumulates grow with the inputs.
//
//   bins:   input (a, k) = spikes of afferent a in [k b, (k + 1) b), k < T / b, stored row by
//           row (image shape {n_afferents, T / b}: weights plot as afferent x time);
//   counts: the same with one bin of width T (image shape {n_afferents, 1});
//   scale:  every input is divided by the largest value of its view over the training set
//           (at least 1), so inputs lie in [0, 1]; a test value above it is clipped to 1.

#include <array>
#include <cstddef>
#include <string>
#include <utility>

#include <Eigen/Core>

#include "sim/task/dataset.hpp"

namespace spikerate::sim::task {

enum class InputViewKind { task_inputs, counts, bins };
inline constexpr std::array input_view_choices{
    std::pair{"default", InputViewKind::task_inputs},
    std::pair{"counts", InputViewKind::counts},
    std::pair{"bins", InputViewKind::bins},
};

struct InputView {
    InputViewKind kind = InputViewKind::task_inputs;
    double bin_ms = 0.0;  // [ms] bins only: the width b, dividing the task's window

    // "default", "counts", "bins 5 ms".
    std::string label() const;
    // ParamError naming input_bin_ms: > 0 and finite with bins, 0 (not given) otherwise.
    void validate() const;
};

// The bins of a view over a window of duration_ms: 1 for counts, T / b for bins. Throws
// ParamError naming input_bin_ms unless b divides T (to 1e-9 relative).
std::size_t view_bins(const InputView& view, double duration_ms);

// The inputs a view of `set` has: set.n_inputs() for the default view, n_afferents x bins for
// the others. Throws ParamError naming `input` when the set has no spike patterns (the view
// needs a temporal task), or input_bin_ms as view_bins.
std::size_t view_inputs(const Dataset& set, const InputView& view);

// Spikes per afferent and bin, unscaled: (n_afferents n_bins) x examples, row a n_bins + k.
Eigen::MatrixXf binned_counts(const SpikePatterns& patterns, std::size_t n_bins);

// A task's training and test sets seen through the view (task named after the view's label,
// sets "<set> (<label>)"); the default view copies them. The spike patterns are not copied.
// Throws as view_inputs.
Task apply_view(const Dataset& train, const Dataset& test, const InputView& view);

// Sets the inputs of both sets of a temporal task to the counts view (what make_timing_classes
// and a shortened set hold).
void set_count_inputs(Task& task);

}  // namespace spikerate::sim::task
