#include "sim/task/task_spec.hpp"

#include <fmt/format.h>

#include "models/error.hpp"
#include "sim/task/input_view.hpp"
#include "sim/task/mnist.hpp"

namespace spikerate::sim::task {

namespace {

void require_limit(const char* key, std::uint32_t limit, const char* dataset,
                   std::uint32_t available) {
    if (limit > available) {
        throw ParamError::value(std::string(key),
                                fmt::format("{}: must be <= {}.{} = {} (0 = all of them)", limit,
                                            dataset, key, available));
    }
}

Task build_task(const TaskSpec& spec, std::uint64_t seed);

// A generated set's parameters, and the limits within the examples they generate.
template <class Params>
void validate_generated(const TaskSpec& spec, const Params& params, const char* dataset) {
    params.validate();
    require_limit("train_examples", spec.train_examples, dataset, params.train_examples);
    require_limit("test_examples", spec.test_examples, dataset, params.test_examples);
}

// The first `limit` examples of a set (0 = all).
void keep_first(Dataset& set, std::uint32_t limit) {
    if (limit == 0 || limit >= set.size()) {
        return;
    }
    set.inputs.conservativeResize(Eigen::NoChange, limit);
    set.labels.resize(limit);
    set.spike_patterns.keep_first(limit);
}

}  // namespace

const char* dataset_name(DatasetKind kind) {
    for (const auto& [name, k] : dataset_kinds) {
        if (k == kind) {
            return name;
        }
    }
    return "unknown";
}

std::uint32_t TaskSpec::n_inputs() const {
    switch (dataset) {
        case DatasetKind::mnist:
            return 28 * 28;  // a data_dir holding other shapes is refused when the learner is built
        case DatasetKind::bars:
            return bars.grid * bars.grid;
        case DatasetKind::gaussian_clusters:
            return gaussian_clusters.n_inputs;
        case DatasetKind::xor_task:
            return 2;
        case DatasetKind::timing_classes:
            return timing_classes.n_afferents;
    }
    return 0;
}

void TaskSpec::validate() const {
    switch (dataset) {
        case DatasetKind::mnist:
            break;  // the counts are known only once the files are read (load_mnist checks)
        case DatasetKind::bars:
            validate_generated(*this, bars, "bars");
            break;
        case DatasetKind::gaussian_clusters:
            validate_generated(*this, gaussian_clusters, "gaussian_clusters");
            break;
        case DatasetKind::xor_task:
            validate_generated(*this, xor_task, "xor");
            break;
        case DatasetKind::timing_classes:
            validate_generated(*this, timing_classes, "timing_classes");
            break;
    }
}

Task load_task(const TaskSpec& spec, std::uint64_t seed) {
    try {
        return build_task(spec, seed);
    } catch (const ParamError& e) {
        throw e.in("task", "", "[task]");
    }
}

namespace {

Task build_task(const TaskSpec& spec, std::uint64_t seed) {
    spec.validate();
    Task task;
    switch (spec.dataset) {
        case DatasetKind::mnist:
            task = load_mnist(spec.data_dir.empty() ? default_mnist_directory() : spec.data_dir,
                              spec.train_examples, spec.test_examples);
            break;
        case DatasetKind::bars:
            task = make_bars(spec.bars, seed);
            break;
        case DatasetKind::gaussian_clusters:
            task = make_gaussian_clusters(spec.gaussian_clusters, seed);
            break;
        case DatasetKind::xor_task:
            task = make_xor(spec.xor_task, seed);
            break;
        case DatasetKind::timing_classes:
            task = make_timing_classes(spec.timing_classes, seed);
            break;
    }
    // Synthetic sets are prefix-stable (example j does not depend on the count), so keeping the
    // first n equals generating n; the count inputs of a temporal task are scaled again by the
    // largest count of the training examples kept.
    keep_first(task.train, spec.train_examples);
    keep_first(task.test, spec.test_examples);
    if (!task.train.spike_patterns.empty() && (spec.train_examples > 0 || spec.test_examples > 0)) {
        set_count_inputs(task);
    }
    task.train.validate();
    task.test.validate();
    return task;
}

}  // namespace

}  // namespace spikerate::sim::task
