// predicted_class and ConfusionMatrix on constructed predictions whose counts are known.

#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "models/error.hpp"
#include "sim/task/dataset.hpp"
#include "sim/task/scoring.hpp"

namespace {

namespace task = spikerate::sim::task;
using Catch::Matchers::Contains;

std::uint32_t predict(std::vector<float> scores) { return task::predicted_class(scores); }

}  // namespace

TEST_CASE("predicted_class: argmax, ties to the lowest class", "[scoring][unit]") {
    CHECK(predict({0.1f, 0.7f, 0.2f}) == 1);
    CHECK(predict({3.0f}) == 0);
    CHECK(predict({-2.0f, -1.0f, -3.0f}) == 1);
    CHECK(predict({0.5f, 0.9f, 0.9f}) == 1);
    CHECK(predict({0.0f, 0.0f, 0.0f, 0.0f}) == 0);  // a silent spiking output
    CHECK(predict({0.0f, 4.0f, 2.0f, 4.0f}) == 1);
    const float inf = std::numeric_limits<float>::infinity();
    CHECK(predict({-inf, -inf, 1.0f}) == 2);
    CHECK(predict({1.0f, inf, inf}) == 1);
    CHECK_THROWS_AS(predict({}), spikerate::DataError);
    CHECK_THROWS_AS(predict({0.1f, std::nanf(""), 0.2f}), spikerate::NumericalError);
    CHECK_THROWS_WITH(predict({0.1f, std::nanf(""), 0.2f}), Contains("class 1 is NaN"));
}

TEST_CASE("confusion matrix: counts, accuracy and per-class recall", "[scoring][unit]") {
    // (true, predicted): class 0 three right, one as 1; class 1 two right; class 2 one as 0, one
    // right.
    const std::vector<std::pair<std::uint32_t, std::uint32_t>> pairs = {
        {0, 0}, {0, 0}, {0, 1}, {0, 0}, {1, 1}, {2, 0}, {1, 1}, {2, 2}};
    task::ConfusionMatrix m(3);
    CHECK(m.n_classes() == 3);
    CHECK(m.total() == 0);
    CHECK(std::isnan(m.accuracy()));
    for (const auto& [t, p] : pairs) m.add(t, p);

    CHECK(m.total() == 8);
    CHECK(m.count(0, 0) == 3);
    CHECK(m.count(0, 1) == 1);
    CHECK(m.count(1, 1) == 2);
    CHECK(m.count(2, 0) == 1);
    CHECK(m.count(2, 2) == 1);
    CHECK(m.count(1, 0) == 0);
    CHECK(m.counts() == std::vector<std::uint64_t>{3, 1, 0, 0, 2, 0, 1, 0, 1});
    CHECK(m.accuracy() == 6.0 / 8.0);
    CHECK(m.per_class_recall() == std::vector<double>{3.0 / 4.0, 1.0, 1.0 / 2.0});

    task::ConfusionMatrix twice = m;
    twice.merge(m);
    CHECK(twice.total() == 16);
    CHECK(twice.count(0, 0) == 6);
    CHECK(twice.accuracy() == m.accuracy());
    CHECK_THROWS_AS(twice.merge(task::ConfusionMatrix(4)), spikerate::ParamError);
}

TEST_CASE("confusion matrix: a class never seen has NaN recall", "[scoring][unit]") {
    task::ConfusionMatrix m(4);
    m.add(0, 0);
    m.add(1, 3);
    const std::vector<double> recall = m.per_class_recall();
    CHECK(recall[0] == 1.0);
    CHECK(recall[1] == 0.0);
    CHECK(std::isnan(recall[2]));
    CHECK(std::isnan(recall[3]));
    CHECK(m.accuracy() == 0.5);
}

TEST_CASE("confusion matrix: out-of-range classes are rejected", "[scoring][unit]") {
    task::ConfusionMatrix m(3);
    CHECK_THROWS_AS(m.add(3, 0), spikerate::DataError);
    CHECK_THROWS_WITH(m.add(3, 0), Contains("true class 3") && Contains("expected < 3"));
    CHECK_THROWS_WITH(m.add(0, 7), Contains("predicted class 7"));
    CHECK_THROWS_AS(m.count(0, 3), spikerate::DataError);
    CHECK(m.total() == 0);  // a rejected add counts nothing
    CHECK_THROWS_AS(task::ConfusionMatrix(0), spikerate::ParamError);
}

TEST_CASE("scoring: outputs -> predictions -> accuracy", "[scoring][unit]") {
    // Four examples of 3 classes, one output column each; the third is wrong (tie 0/2 -> 0).
    const std::vector<std::vector<float>> outputs = {
        {0.9f, 0.05f, 0.05f}, {0.1f, 0.8f, 0.1f}, {0.4f, 0.2f, 0.4f}, {0.0f, 0.1f, 0.9f}};
    const std::vector<std::uint32_t> labels = {0, 1, 2, 2};
    task::ConfusionMatrix m(3);
    for (std::size_t j = 0; j < outputs.size(); ++j) {
        m.add(labels[j], task::predicted_class(outputs[j]));
    }
    CHECK(m.count(2, 0) == 1);
    CHECK(m.accuracy() == 0.75);
    CHECK(m.per_class_recall() == std::vector<double>{1.0, 1.0, 0.5});
}
