// Diehl & Cook's readout on constructed spike counts: assignment by the highest average count,
// classification by the highest mean count of a class's neurons, and the edge cases.
#include <catch2/catch.hpp>

#include "sim/task/dataset.hpp"
#include "sim/task/label_assignment.hpp"

using namespace spikerate::sim::task;
using Catch::Matchers::Contains;

namespace {
constexpr std::int32_t none = NeuronAssignments::unassigned;
}

TEST_CASE("label assignment: each neuron takes the class it fires most for on average",
          "[assignment][unit]") {
    // 4 neurons, 3 classes, 5 examples (rows). Class 1 has two examples: averages matter, not
    // sums (neuron 0 sums 6 for class 1 but averages 3, below its 4 for class 0).
    const std::vector<std::uint32_t> counts{
        4, 0, 1, 0,  // class 0
        3, 5, 0, 0,  // class 1
        3, 3, 0, 0,  // class 1
        0, 1, 2, 0,  // class 2
        0, 0, 2, 0,  // class 2
    };
    const std::vector<std::uint32_t> labels{0, 1, 1, 2, 2};
    const NeuronAssignments a = assign_labels(counts, 4, labels, 3);
    // Neuron 2: average 1 for class 0 and 2 for class 2. Neuron 3 never fired: unassigned.
    CHECK(a.class_of_neuron == std::vector<std::int32_t>{0, 1, 2, none});
    CHECK(a.neurons_of(0) == 1);
    CHECK(a.neurons_of(1) == 1);
    CHECK(a.neurons_of(2) == 1);
}

TEST_CASE("label assignment: ties go to the lower class, classes without examples get nobody",
          "[assignment][unit]") {
    // Classes 0, 1, 3 have examples; class 2 has none.
    const std::vector<std::uint32_t> counts{
        2, 0,  // class 3
        2, 1,  // class 1
        0, 1,  // class 0
    };
    const std::vector<std::uint32_t> labels{3, 1, 0};
    const NeuronAssignments a = assign_labels(counts, 2, labels, 4);
    // Neuron 0: 2 for classes 1 and 3 -> 1. Neuron 1: 1 for classes 0 and 1 -> 0.
    CHECK(a.class_of_neuron == std::vector<std::int32_t>{1, 0});
    CHECK(a.neurons_of(2) == 0);
    CHECK(a.neurons_of(3) == 0);
}

TEST_CASE("classification: the class whose assigned neurons fire most on average",
          "[assignment][unit]") {
    const NeuronAssignments a{.n_classes = 4, .class_of_neuron = {0, 0, 1, 1, 1, none, 3}};
    // Class 0 mean (6 + 0) / 2 = 3, class 1 mean (2 + 2 + 2) / 3 = 2, class 3 mean 1: class 0,
    // although class 1's neurons fire more in total. The unassigned neuron's 50 counts nothing.
    CHECK(classify(std::vector<std::uint32_t>{6, 0, 2, 2, 2, 50, 1}, a) == 0u);
    CHECK(classify(std::vector<std::uint32_t>{1, 1, 2, 2, 2, 0, 1}, a) == 1u);
    // Ties between class means go to the lower class: class 0 mean 2 = class 1 mean 2.
    CHECK(classify(std::vector<std::uint32_t>{4, 0, 2, 2, 2, 0, 0}, a) == 0u);
    CHECK(classify(std::vector<std::uint32_t>{0, 0, 0, 0, 0, 0, 4}, a) == 3u);
    // No assigned neuron fired: no prediction (class 2, with no neurons, is never predicted).
    CHECK_FALSE(classify(std::vector<std::uint32_t>{0, 0, 0, 0, 0, 9, 0}, a).has_value());
}

TEST_CASE("classification: assignments from one set classify another", "[assignment][unit]") {
    // Neurons 0-1 prefer class 0, 2-3 class 1; test examples follow the same preferences.
    const std::vector<std::uint32_t> train{
        5, 4, 0, 1,  // class 0
        0, 1, 6, 3,  // class 1
    };
    const NeuronAssignments a = assign_labels(train, 4, std::vector<std::uint32_t>{0, 1}, 2);
    REQUIRE(a.class_of_neuron == std::vector<std::int32_t>{0, 0, 1, 1});
    CHECK(classify(std::vector<std::uint32_t>{3, 2, 0, 1}, a) == 0u);
    CHECK(classify(std::vector<std::uint32_t>{0, 1, 2, 2}, a) == 1u);
}

TEST_CASE("label assignment: inconsistent input is refused", "[assignment][unit]") {
    const std::vector<std::uint32_t> counts{1, 2, 3, 4};
    CHECK_THROWS_WITH(assign_labels(counts, 3, std::vector<std::uint32_t>{0}, 2),
                      Contains("4 spike counts for 1 examples x 3 neurons"));
    CHECK_THROWS_WITH(assign_labels(counts, 2, std::vector<std::uint32_t>{0, 5}, 2),
                      Contains("example 1 has label 5, expected < 2"));
    CHECK_THROWS_AS(assign_labels(counts, 0, std::vector<std::uint32_t>{}, 2),
                    spikerate::DataError);
    const NeuronAssignments a{.n_classes = 2, .class_of_neuron = {0, 1}};
    CHECK_THROWS_WITH(classify(std::vector<std::uint32_t>{1, 2, 3}, a),
                      Contains("3 spike counts for 2 neurons"));
}
