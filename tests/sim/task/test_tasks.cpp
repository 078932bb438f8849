// The example order (ExampleStream), the synthetic tasks and the task spec.
//
// Statistical checks use bounds of 5 standard deviations of the quantity checked (a false alarm
// about 6e-7 per check); every input is seeded, so a run either always passes or always fails.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "models/error.hpp"
#include "sim/task/dataset.hpp"
#include "sim/task/example_stream.hpp"
#include "sim/task/synthetic.hpp"
#include "sim/task/task_spec.hpp"
#include "tests/statistical_tolerance.hpp"

namespace {

namespace task = spikerate::sim::task;
using Catch::Matchers::Contains;
using spikerate::ParamError;

using spikerate::testing::n_sd;

// Epoch e of a stream: the indices of examples e n, ..., (e + 1) n - 1.
std::vector<std::size_t> epoch_order(task::ExampleStream& stream, std::uint64_t e) {
    std::vector<std::size_t> order(stream.size());
    for (std::size_t i = 0; i < order.size(); ++i) {
        order[i] = stream.index(e * stream.size() + i);
    }
    return order;
}

bool is_permutation_of_iota(std::vector<std::size_t> order) {
    std::sort(order.begin(), order.end());
    for (std::size_t i = 0; i < order.size(); ++i) {
        if (order[i] != i) return false;
    }
    return true;
}

bool same_data(const task::Dataset& a, const task::Dataset& b) {
    return a.name == b.name && a.inputs == b.inputs && a.labels == b.labels &&
           a.n_classes == b.n_classes && a.image_shape == b.image_shape;
}

std::set<std::uint32_t> classes_present(const task::Dataset& set) {
    return {set.labels.begin(), set.labels.end()};
}

// E[s^m] for the radius s = |x - centre| / radius of a Gaussian of sigma = radius / 2 truncated
// to the ball in n dimensions: density of s proportional to s^(n-1) exp(-2 s^2) on [0, 1]
// (Simpson's rule, 2000 intervals: error far below the statistical tolerance).
double truncated_radius_moment(int n, int m) {
    const auto integral = [n](int power) {
        const int intervals = 2000;
        const double h = 1.0 / intervals;
        double sum = 0.0;
        for (int i = 0; i <= intervals; ++i) {
            const double s = i * h;
            const double f = std::pow(s, n - 1 + power) * std::exp(-2.0 * s * s);
            sum += (i == 0 || i == intervals ? 1.0 : (i % 2 == 1 ? 4.0 : 2.0)) * f;
        }
        return sum * h / 3.0;
    };
    return integral(m) / integral(0);
}

}  // namespace

TEST_CASE("example stream: every epoch is a permutation, fresh each epoch", "[task][unit]") {
    task::ExampleStream stream(10, 1, true);
    CHECK(stream.size() == 10);
    std::vector<std::vector<std::size_t>> epochs;
    for (std::uint64_t e = 0; e < 5; ++e) {
        epochs.push_back(epoch_order(stream, e));
        CHECK(is_permutation_of_iota(epochs.back()));
    }
    for (std::size_t e = 1; e < epochs.size(); ++e) {
        CHECK(epochs[e] != epochs[e - 1]);
    }
    std::vector<std::size_t> identity(10);
    std::iota(identity.begin(), identity.end(), std::size_t{0});
    CHECK(epochs[0] != identity);
}

TEST_CASE("example stream: the order is a function of the seed", "[task][unit]") {
    task::ExampleStream a(50, 7, true);
    task::ExampleStream b(50, 7, true);
    task::ExampleStream c(50, 8, true);
    for (std::uint64_t e = 0; e < 3; ++e) {
        const auto order_a = epoch_order(a, e);
        CHECK(order_a == epoch_order(b, e));
        CHECK(order_a != epoch_order(c, e));
    }
}

TEST_CASE("example stream: shuffle = false presents the examples in order", "[task][unit]") {
    task::ExampleStream stream(7, 3, false);
    for (std::uint64_t k = 0; k < 30; ++k) {
        CHECK(stream.index(k) == k % 7);
    }
    task::ExampleStream one(1, 3, true);
    CHECK(one.index(0) == 0);
    CHECK(one.index(5) == 0);
    CHECK_THROWS_AS(task::ExampleStream(0, 1, true), ParamError);
}

TEST_CASE("example stream: index(k) does not depend on the order of the calls", "[task][unit]") {
    const std::size_t n = 13;
    task::ExampleStream forward(n, 42, true);
    std::vector<std::size_t> expected(5 * n);
    for (std::uint64_t k = 0; k < expected.size(); ++k) {
        expected[k] = forward.index(k);
    }
    task::ExampleStream jumping(n, 42, true);
    // Backwards, then alternating between far-apart epochs (each call may rebuild the cache).
    for (std::uint64_t k = expected.size(); k-- > 0;) {
        CHECK(jumping.index(k) == expected[k]);
    }
    for (std::uint64_t i = 0; i < n; ++i) {
        CHECK(jumping.index(i) == expected[i]);
        CHECK(jumping.index(4 * n + i) == expected[4 * n + i]);
    }
}

TEST_CASE("example stream: Fisher-Yates draws every permutation equally often", "[task][unit]") {
    // n = 4 has 24 orders; over E epochs each count is binomial(E, 1/24).
    const std::size_t n = 4;
    const std::uint64_t epochs = 24000;
    task::ExampleStream stream(n, 5, true);
    std::map<std::vector<std::size_t>, std::uint64_t> counts;
    for (std::uint64_t e = 0; e < epochs; ++e) {
        ++counts[epoch_order(stream, e)];
    }
    REQUIRE(counts.size() == 24);
    const double p = 1.0 / 24.0;
    const double mean = epochs * p;
    const double sd = std::sqrt(epochs * p * (1.0 - p));
    for (const auto& [order, count] : counts) {
        CHECK(std::abs(static_cast<double>(count) - mean) <= n_sd * sd);
    }
}

TEST_CASE("bars: shapes, values, labels and determinism", "[task][unit]") {
    const task::BarsParams params{
        .grid = 5, .train_examples = 500, .test_examples = 200, .noise = 0.1};
    const task::Task bars = task::make_bars(params, 3);
    CHECK(bars.name == "bars");
    CHECK(bars.train.name == "bars/train");
    CHECK(bars.test.name == "bars/test");
    for (const task::Dataset* set : {&bars.train, &bars.test}) {
        CHECK(set->n_inputs() == 25);
        CHECK(set->n_classes == 10);
        CHECK(set->image_shape == std::array<std::size_t, 2>{5, 5});
        CHECK_NOTHROW(set->validate());
        CHECK(classes_present(*set).size() == 10);
    }
    CHECK(bars.train.size() == 500);
    CHECK(bars.test.size() == 200);

    CHECK(same_data(task::make_bars(params, 3).train, bars.train));
    CHECK(same_data(task::make_bars(params, 3).test, bars.test));
    CHECK(task::make_bars(params, 4).train.inputs != bars.train.inputs);
    CHECK(bars.train.inputs.leftCols(200) != bars.test.inputs);  // different counters
}

TEST_CASE("bars: the bar is at 1, the background within the noise", "[task][unit]") {
    const task::BarsParams params{
        .grid = 4, .train_examples = 80, .test_examples = 8, .noise = 0.3};
    const task::Dataset train = task::make_bars(params, 1).train;
    bool ok = true;
    for (std::size_t j = 0; j < train.size(); ++j) {
        const std::uint32_t label = train.labels[j];
        for (std::uint32_t r = 0; r < 4; ++r) {
            for (std::uint32_t c = 0; c < 4; ++c) {
                const float x = train.example(j)[r * 4 + c];
                const bool lit = label < 4 ? r == label : c == label - 4;
                ok = ok && (lit ? x == 1.0f : x >= 0.0f && x <= 0.3f);
            }
        }
    }
    CHECK(ok);
}

TEST_CASE("bars: the template overlap recovers the label for noise < 1", "[task][unit]") {
    // Own template: overlap g; another template: at most 1 + (g - 1) noise < g.
    const double noise = GENERATE(0.0, 0.1, 0.5, 0.9);
    const std::uint32_t g = 6;
    const task::Task bars = task::make_bars(
        {.grid = g, .train_examples = 240, .test_examples = 60, .noise = noise}, 11);
    Eigen::MatrixXf templates = Eigen::MatrixXf::Zero(g * g, 2 * g);  // one column per class
    for (std::uint32_t k = 0; k < g; ++k) {
        for (std::uint32_t i = 0; i < g; ++i) {
            templates(k * g + i, k) = 1.0f;      // row k
            templates(i * g + k, g + k) = 1.0f;  // column k
        }
    }
    for (const task::Dataset* set : {&bars.train, &bars.test}) {
        const Eigen::MatrixXf overlap = templates.transpose() * set->inputs;
        std::size_t correct = 0;
        for (std::size_t j = 0; j < set->size(); ++j) {
            Eigen::Index best = 0;
            overlap.col(static_cast<Eigen::Index>(j)).maxCoeff(&best);
            correct += static_cast<std::uint32_t>(best) == set->labels[j];
        }
        CHECK(correct == set->size());
    }
}

TEST_CASE("synthetic: the training set does not depend on the test set's size", "[task][unit]") {
    const task::Task a = task::make_bars({.train_examples = 50, .test_examples = 10}, 9);
    const task::Task b = task::make_bars({.train_examples = 50, .test_examples = 40}, 9);
    CHECK(same_data(a.train, b.train));
    CHECK(b.test.inputs.leftCols(10) == a.test.inputs);  // a shorter set is a prefix
    const task::Task c = task::make_bars({.train_examples = 20, .test_examples = 10}, 9);
    CHECK(c.train.inputs == a.train.inputs.leftCols(20));

    const task::Task g1 = task::make_gaussian_clusters({.test_examples = 10}, 9);
    const task::Task g2 = task::make_gaussian_clusters({.test_examples = 30}, 9);
    CHECK(same_data(g1.train, g2.train));
    const task::Task x1 = task::make_xor({.test_examples = 10}, 9);
    const task::Task x2 = task::make_xor({.test_examples = 30}, 9);
    CHECK(same_data(x1.train, x2.train));
}

TEST_CASE("gaussian clusters: disjoint balls, every example inside its own", "[task][unit]") {
    const task::GaussianClustersParams params =
        GENERATE(task::GaussianClustersParams{},
                 task::GaussianClustersParams{.n_classes = 10,
                                              .n_inputs = 50,
                                              .train_examples = 500,
                                              .test_examples = 100,
                                              .radius = 0.2,
                                              .margin = 0.1},
                 task::GaussianClustersParams{.n_classes = 4,
                                              .n_inputs = 1,
                                              .train_examples = 100,
                                              .test_examples = 100,
                                              .radius = 0.05,
                                              .margin = 0.05});
    const std::uint64_t seed = 21;
    const Eigen::MatrixXd centres = task::gaussian_cluster_centres(params, seed);
    const task::Task clusters = task::make_gaussian_clusters(params, seed);
    REQUIRE(centres.rows() == params.n_inputs);
    REQUIRE(centres.cols() == params.n_classes);
    CHECK(centres.minCoeff() >= params.radius);
    CHECK(centres.maxCoeff() <= 1.0 - params.radius);
    for (Eigen::Index a = 0; a < centres.cols(); ++a) {
        for (Eigen::Index b = 0; b < a; ++b) {
            CHECK((centres.col(a) - centres.col(b)).norm() > 2 * params.radius + params.margin);
        }
    }
    // Inputs are floats: a coordinate is rounded by at most 2^-24, a distance by sqrt(n) 2^-24.
    const double rounding = std::sqrt(static_cast<double>(params.n_inputs)) * 0x1.0p-24;
    for (const task::Dataset* set : {&clusters.train, &clusters.test}) {
        CHECK_NOTHROW(set->validate());
        CHECK(set->n_inputs() == params.n_inputs);
        CHECK(set->image_shape == std::array<std::size_t, 2>{params.n_inputs, 1});
        CHECK(classes_present(*set).size() == params.n_classes);
        std::size_t inside = 0;
        std::size_t nearest_correct = 0;
        for (std::size_t j = 0; j < set->size(); ++j) {
            const Eigen::VectorXd x = set->inputs.col(static_cast<Eigen::Index>(j)).cast<double>();
            Eigen::Index nearest = 0;
            (centres.colwise() - x).colwise().squaredNorm().minCoeff(&nearest);
            nearest_correct += static_cast<std::uint32_t>(nearest) == set->labels[j];
            inside += (x - centres.col(set->labels[j])).norm() <= params.radius + rounding;
        }
        CHECK(inside == set->size());
        CHECK(nearest_correct == set->size());  // linearly separable: 100 %
    }
    CHECK(same_data(task::make_gaussian_clusters(params, seed).train, clusters.train));
    CHECK(task::make_gaussian_clusters(params, seed + 1).train.inputs != clusters.train.inputs);
}

TEST_CASE("gaussian clusters: the distance from the centre is a truncated Gaussian's",
          "[task][unit]") {
    // s = |x - c| / radius has density ~ s^(n-1) exp(-2 s^2) on [0, 1] (sigma = radius / 2).
    // The mean of s^2 over N examples is checked against its expectation within 5 standard
    // errors; a uniform ball (density ~ s^(n-1)) or an untruncated Gaussian would fail.
    const int n = GENERATE(2, 20);
    const task::GaussianClustersParams params{.n_classes = 2,
                                              .n_inputs = static_cast<std::uint32_t>(n),
                                              .train_examples = 20000,
                                              .test_examples = 1,
                                              .radius = 0.2,
                                              .margin = 0.05};
    const Eigen::MatrixXd centres = task::gaussian_cluster_centres(params, 4);
    const task::Dataset train = task::make_gaussian_clusters(params, 4).train;
    double sum = 0.0;
    for (std::size_t j = 0; j < train.size(); ++j) {
        const Eigen::VectorXd x = train.inputs.col(static_cast<Eigen::Index>(j)).cast<double>();
        sum += (x - centres.col(train.labels[j])).squaredNorm() / (params.radius * params.radius);
    }
    const double mean = sum / static_cast<double>(train.size());
    const double expected = truncated_radius_moment(n, 2);
    const double sd = std::sqrt(truncated_radius_moment(n, 4) - expected * expected);
    CHECK(std::abs(mean - expected) <= n_sd * sd / std::sqrt(static_cast<double>(train.size())));
    if (n == 2) {  // the closed form (1 - 3 e^-2) / (2 (1 - e^-2)) for n = 2
        CHECK(expected == Approx((1 - 3 * std::exp(-2.0)) / (2 * (1 - std::exp(-2.0)))));
    }
}

TEST_CASE("gaussian clusters: an impossible packing is an error, not a hang", "[task][unit]") {
    CHECK_THROWS_AS(
        task::gaussian_cluster_centres({.n_classes = 20, .n_inputs = 1, .radius = 0.1}, 1),
        ParamError);
    CHECK_THROWS_WITH(
        task::make_gaussian_clusters({.n_classes = 2, .n_inputs = 1, .radius = 0.3}, 1),
        Contains("cannot fit"));
    CHECK_THROWS_WITH(
        task::make_gaussian_clusters({.n_classes = 20, .n_inputs = 1, .radius = 0.1}, 1),
        Contains("no place for the centre of class"));
    CHECK_THROWS_WITH(task::make_gaussian_clusters({.radius = 0.5}, 1), Contains("radius = 0.5"));
}

TEST_CASE("xor: corners, labels by parity, jitter within the noise", "[task][unit]") {
    const task::XorParams params{.train_examples = 200, .test_examples = 100, .noise = 0.2};
    const task::Task xor_task = task::make_xor(params, 5);
    CHECK(xor_task.name == "xor");
    for (const task::Dataset* set : {&xor_task.train, &xor_task.test}) {
        CHECK_NOTHROW(set->validate());
        CHECK(set->n_inputs() == 2);
        CHECK(set->n_classes == 2);
        CHECK(classes_present(*set).size() == 2);
        std::size_t ok = 0;
        std::set<std::pair<int, int>> corners;
        for (std::size_t j = 0; j < set->size(); ++j) {
            const float x0 = set->example(j)[0];
            const float x1 = set->example(j)[1];
            const int c0 = x0 > 0.5f;
            const int c1 = x1 > 0.5f;
            corners.insert({c0, c1});
            const bool near =
                std::abs(x0 - c0) <= 0.2f + 1e-6f && std::abs(x1 - c1) <= 0.2f + 1e-6f;
            ok += near && set->labels[j] == static_cast<std::uint32_t>(c0 != c1);
        }
        CHECK(ok == set->size());
        CHECK(corners.size() == 4);
    }
    CHECK(same_data(task::make_xor(params, 5).train, xor_task.train));
    CHECK(task::make_xor(params, 6).train.inputs != xor_task.train.inputs);
}

TEST_CASE("synthetic params: validate names the key and the bound", "[task][unit]") {
    CHECK_THROWS_WITH(task::BarsParams{.grid = 1}.validate(), Contains("grid = 1: must be >= 2"));
    CHECK_THROWS_WITH(task::BarsParams{.noise = 1.5}.validate(), Contains("noise = 1.5"));
    CHECK_THROWS_WITH(task::BarsParams{.train_examples = 0}.validate(),
                      Contains("train_examples = 0"));
    CHECK_THROWS_WITH(task::GaussianClustersParams{.n_classes = 1}.validate(),
                      Contains("n_classes = 1"));
    CHECK_THROWS_WITH(task::GaussianClustersParams{.radius = 0.0}.validate(),
                      Contains("radius = 0"));
    CHECK_THROWS_WITH(task::XorParams{.noise = 0.5}.validate(), Contains("noise = 0.5"));
    CHECK_NOTHROW(task::BarsParams{}.validate());
    CHECK_NOTHROW(task::GaussianClustersParams{}.validate());
    CHECK_NOTHROW(task::XorParams{}.validate());
}

TEST_CASE("dataset: validate names the data set and the first offending example", "[task][unit]") {
    task::Dataset set{.name = "tiny", .n_classes = 3, .image_shape = {2, 1}};
    set.inputs.resize(2, 3);
    set.inputs << 0.0f, 0.5f, 1.0f,  //
        0.25f, 1.0f, 0.0f;
    set.labels = {0, 2, 1};
    REQUIRE_NOTHROW(set.validate());

    task::Dataset bad = set;
    bad.inputs(1, 1) = 1.5f;
    CHECK_THROWS_AS(bad.validate(), spikerate::DataError);
    CHECK_THROWS_WITH(bad.validate(), Contains("'tiny'") && Contains("example 1 input 1 = 1.5"));
    bad = set;
    bad.inputs(0, 2) = std::nanf("");
    CHECK_THROWS_WITH(bad.validate(), Contains("example 2 input 0 = nan"));
    bad = set;
    bad.labels[2] = 3;
    CHECK_THROWS_WITH(bad.validate(), Contains("example 2 has label 3, expected < 3"));
    bad = set;
    bad.labels.pop_back();
    CHECK_THROWS_WITH(bad.validate(), Contains("2 labels for 3 examples"));
    bad = set;
    bad.image_shape = {3, 1};
    CHECK_THROWS_WITH(bad.validate(), Contains("image shape 3 x 1"));
    bad = set;
    bad.inputs.resize(2, 0);
    bad.labels.clear();
    CHECK_THROWS_WITH(bad.validate(), Contains("no examples"));
}

TEST_CASE("task spec: load_task builds the selected data set and applies the limits",
          "[task][unit]") {
    task::TaskSpec spec{.dataset = task::DatasetKind::bars};
    spec.bars.train_examples = 100;
    spec.bars.test_examples = 40;
    const task::Task full = task::load_task(spec, 2);
    CHECK(same_data(full.train, task::make_bars(spec.bars, 2).train));

    spec.train_examples = 30;
    spec.test_examples = 40;
    const task::Task limited = task::load_task(spec, 2);
    CHECK(limited.train.size() == 30);
    CHECK(limited.test.size() == 40);
    CHECK(limited.train.inputs == full.train.inputs.leftCols(30));
    CHECK(limited.train.labels ==
          std::vector<std::uint32_t>(full.train.labels.begin(), full.train.labels.begin() + 30));

    spec.train_examples = 101;
    CHECK_THROWS_WITH(task::load_task(spec, 2),
                      Contains("train_examples = 101: must be <= bars.train_examples = 100"));

    CHECK(task::load_task({.dataset = task::DatasetKind::gaussian_clusters}, 2).name ==
          "gaussian_clusters");
    CHECK(task::load_task({.dataset = task::DatasetKind::xor_task}, 2).name == "xor");

    // Only the selected data set's parameters are checked.
    task::TaskSpec unused{.dataset = task::DatasetKind::xor_task};
    unused.bars.grid = 0;
    CHECK_NOTHROW(unused.validate());
    unused.dataset = task::DatasetKind::bars;
    CHECK_THROWS_AS(unused.validate(), ParamError);
}

TEST_CASE("task spec: scenario names and keys", "[task][unit]") {
    CHECK(std::string(task::dataset_name(task::DatasetKind::mnist)) == "mnist");
    CHECK(std::string(task::dataset_name(task::DatasetKind::gaussian_clusters)) ==
          "gaussian_clusters");
    CHECK(std::string(task::dataset_name(task::DatasetKind::xor_task)) == "xor");
    std::vector<std::string> keys;
    task::TaskSpec spec;
    spec.visit_fields([&](std::string_view name, auto& /*field*/, const auto& /*extra*/,
                          std::string_view /*doc*/) { keys.emplace_back(name); });
    CHECK(keys ==
          std::vector<std::string>{"dataset", "train_examples", "test_examples", "shuffle"});
}
