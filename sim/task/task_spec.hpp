#pragma once

// What a scenario's [task] section describes: which data set, how much of it, and the order of
// the training examples. load_task turns it into the Task both paradigms learn.

#include <array>
#include <cstdint>
#include <filesystem>
#include <utility>

#include "sim/task/dataset.hpp"
#include "sim/task/synthetic.hpp"
#include "sim/task/timing_classes.hpp"

namespace spikerate::sim::task {

enum class DatasetKind { mnist, bars, gaussian_clusters, xor_task, timing_classes };

// The scenario's names of the data sets ("xor" for DatasetKind::xor_task).
inline constexpr std::array dataset_kinds{
    std::pair{"mnist", DatasetKind::mnist},
    std::pair{"bars", DatasetKind::bars},
    std::pair{"gaussian_clusters", DatasetKind::gaussian_clusters},
    std::pair{"xor", DatasetKind::xor_task},
    std::pair{"timing_classes", DatasetKind::timing_classes},
};
const char* dataset_name(DatasetKind kind);

struct TaskSpec {
    DatasetKind dataset = DatasetKind::mnist;
    // mnist: the directory of the IDX files; empty = default_mnist_directory().
    std::filesystem::path data_dir;
    // The first n examples of each set, 0 = all of them (mnist: 60,000 and 10,000; a synthetic
    // set: its params' train_examples / test_examples). More than the set holds is an error.
    std::uint32_t train_examples = 0;
    std::uint32_t test_examples = 0;
    bool shuffle = true;  // example order: a fresh permutation each epoch (see ExampleStream)
    BarsParams bars;
    GaussianClustersParams gaussian_clusters;
    XorParams xor_task;
    TimingClassesParams timing_classes;

    // The scalar fields; data_dir (a path) and the per-dataset parameter structs (each with its
    // own visit_fields) are read by the scenario loader separately.
    template <class Visitor>
    void visit_fields(Visitor&& v) {
        v("dataset", dataset, dataset_kinds,
          "generated sets take their parameters from [task.<dataset>]");
        v("train_examples", train_examples, "",
          "0 = all: the first n training examples (at most what the set holds)");
        v("test_examples", test_examples, "", "0 = all: the first n test examples");
        v("shuffle", shuffle, "", "false: the training set in its stored order, every epoch");
    }
    // Checks the parameters of the selected synthetic data set (the others are unused) and, for
    // a synthetic set, that the limits do not exceed the counts generated. Throws ParamError.
    void validate() const;
    // The inputs of an example (mnist: 784; bars: grid^2; timing_classes: n_afferents, its
    // count per afferent; ...), known without loading the set.
    std::uint32_t n_inputs() const;
};

// Builds (synthetic, from seed) or loads (mnist; seed unused) the task, applies the limits, and
// validates both sets (Dataset::validate). Throws DataError, or ParamError naming the element
// ("task") and the key (e.g. train_examples above what the MNIST files hold), which the scenario
// loader's locate() turns into file:line:key.
Task load_task(const TaskSpec& spec, std::uint64_t seed);

}  // namespace spikerate::sim::task
