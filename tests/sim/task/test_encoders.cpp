// Spike encoders. Poisson: over a window T a Poisson process of rate r gives a count with mean
// and variance r T; the bounds are 5 standard deviations (a false alarm about 6e-7 per check,
// and every input is seeded). Latency: exact times t_max (1 - x).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include <catch2/catch.hpp>

#include "models/error.hpp"
#include "sim/task/dataset.hpp"
#include "sim/task/encoders.hpp"
#include "tests/statistical_tolerance.hpp"

namespace {

namespace task = spikerate::sim::task;
using Catch::Matchers::Contains;
using spikerate::ParamError;
using spikerate::sim::SpikeTrainSourceParams;

using spikerate::testing::n_sd;

bool sorted_by_time_then_node(const SpikeTrainSourceParams& s) {
    for (std::size_t i = 1; i < s.times_ms.size(); ++i) {
        const bool before =
            s.times_ms[i - 1] < s.times_ms[i] ||
            (s.times_ms[i - 1] == s.times_ms[i] && s.node_ids[i - 1] < s.node_ids[i]);
        if (!before) return false;
    }
    return true;
}

std::vector<double> counts_per_node(const SpikeTrainSourceParams& s, std::size_t n) {
    std::vector<double> counts(n, 0.0);
    for (const std::uint32_t node : s.node_ids) counts.at(node) += 1.0;
    return counts;
}

// The spikes of one node, in time order.
std::vector<double> times_of(const SpikeTrainSourceParams& s, std::uint32_t node) {
    std::vector<double> times;
    for (std::size_t i = 0; i < s.node_ids.size(); ++i) {
        if (s.node_ids[i] == node) times.push_back(s.times_ms[i]);
    }
    return times;
}

}  // namespace

TEST_CASE("poisson encoder: the encoding is a function of (seed, example, x)", "[encoder][unit]") {
    const task::PoissonEncoderParams params{};
    const std::vector<float> x = {0.0f, 0.2f, 0.5f, 1.0f, 0.7f};
    const SpikeTrainSourceParams a = task::encode_poisson(x, params, 1, 17);
    const SpikeTrainSourceParams b = task::encode_poisson(x, params, 1, 17);
    CHECK(a.times_ms == b.times_ms);
    CHECK(a.node_ids == b.node_ids);
    CHECK(a.times_ms != task::encode_poisson(x, params, 1, 18).times_ms);
    CHECK(a.times_ms != task::encode_poisson(x, params, 2, 17).times_ms);
    CHECK(a.times_ms.size() == a.node_ids.size());

    // Input 3's train does not change when another input does.
    std::vector<float> other = x;
    other[2] = 0.9f;
    other[4] = 0.0f;
    CHECK(times_of(task::encode_poisson(other, params, 1, 17), 3) == times_of(a, 3));
}

TEST_CASE("poisson encoder: spike times, order and silent inputs", "[encoder][unit]") {
    const task::PoissonEncoderParams params{.max_rate_hz = 200.0, .duration_ms = 100.0};
    std::vector<float> x(300);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 3) / 2.0f;  // 0, .5, 1
    const SpikeTrainSourceParams s = task::encode_poisson(x, params, 3, 0);
    REQUIRE(!s.times_ms.empty());
    CHECK(sorted_by_time_then_node(s));
    CHECK(*std::min_element(s.times_ms.begin(), s.times_ms.end()) >= 0.0);
    CHECK(*std::max_element(s.times_ms.begin(), s.times_ms.end()) < params.duration_ms);
    const std::vector<double> counts = counts_per_node(s, x.size());
    for (std::size_t i = 0; i < x.size(); i += 3) {
        CHECK(counts[i] == 0.0);  // x = 0 never fires
    }
    CHECK(task::encode_poisson(std::vector<float>(10, 0.0f), params, 3, 0).times_ms.empty());
    CHECK(task::encode_poisson(std::vector<float>(10, 1.0f), {.max_rate_hz = 0.0}, 3, 0)
              .times_ms.empty());
}

TEST_CASE("poisson encoder: counts have mean and variance x max_rate duration", "[encoder][unit]") {
    const float x_value = GENERATE(0.1f, 0.4f, 1.0f);
    const task::PoissonEncoderParams params{};  // 63.75 Hz, 350 ms
    const std::size_t n = 4000;
    const std::vector<float> x(n, x_value);
    const SpikeTrainSourceParams s = task::encode_poisson(x, params, 11, 5);
    const std::vector<double> counts = counts_per_node(s, n);

    const double lambda = x_value * params.max_rate_hz * params.duration_ms * 1e-3;
    double sum = 0.0;
    for (const double c : counts) sum += c;
    const double mean = sum / n;
    // The total is Poisson(n lambda): sd sqrt(n lambda).
    CHECK(std::abs(sum - n * lambda) <= n_sd * std::sqrt(n * lambda));
    // The sample variance of a Poisson count: mean lambda, variance about (lambda + 2 lambda^2) / n
    // (from the fourth central moment lambda (1 + 3 lambda)). A regular train would have ~0.
    double squares = 0.0;
    for (const double c : counts) squares += (c - mean) * (c - mean);
    const double variance = squares / (n - 1);
    CHECK(std::abs(variance - lambda) <= n_sd * std::sqrt((lambda + 2 * lambda * lambda) / n));

    SECTION("the same mean across examples of the same x") {
        double total = 0.0;
        const std::size_t examples = 200;
        for (std::uint64_t id = 0; id < examples; ++id) {
            total += static_cast<double>(
                task::encode_poisson(std::span(x).first(10), params, 11, id).times_ms.size());
        }
        const double expected = examples * 10 * lambda;
        CHECK(std::abs(total - expected) <= n_sd * std::sqrt(expected));
    }
}

TEST_CASE("poisson encoder: rates for PoissonSource and invalid inputs", "[encoder][unit]") {
    const std::vector<float> x = {0.0f, 0.5f, 1.0f};
    std::vector<double> rates(3);
    task::poisson_rates(x, 63.75, rates);
    CHECK(rates == std::vector<double>{0.0, 31.875, 63.75});
    std::vector<double> too_few(2);
    CHECK_THROWS_WITH(task::poisson_rates(x, 63.75, too_few), Contains("3 inputs but 2 rates"));

    const std::vector<float> bad = {0.5f, 1.25f};
    CHECK_THROWS_AS(task::encode_poisson(bad, {}, 1, 0), spikerate::DataError);
    CHECK_THROWS_WITH(task::encode_poisson(bad, {}, 1, 0), Contains("input 1 = 1.25"));
    CHECK_THROWS_WITH(task::encode_latency(std::vector<float>{-0.5f}, {}),
                      Contains("input 0 = -0.5"));
    CHECK_THROWS_AS(task::encode_poisson(x, {.duration_ms = 0.0}, 1, 0), ParamError);
    CHECK_THROWS_AS(task::encode_poisson(x, {.max_rate_hz = -1.0}, 1, 0), ParamError);
}

TEST_CASE("latency encoder: one spike at t_max (1 - x) per input above threshold",
          "[encoder][unit]") {
    const std::vector<float> x = {1.0f, 0.5f, 0.0f, 0.25f, 0.5f, 0.75f};
    SECTION("threshold 0: only x = 0 is silent") {
        const SpikeTrainSourceParams s = task::encode_latency(x, {.t_max_ms = 50.0});
        // Times 50 (1 - x) in (time, node) order: the two inputs at 0.5 tie at 25 ms.
        CHECK(s.times_ms == std::vector<double>{0.0, 12.5, 25.0, 25.0, 37.5});
        CHECK(s.node_ids == std::vector<std::uint32_t>{0, 5, 1, 4, 3});
        CHECK(sorted_by_time_then_node(s));
    }
    SECTION("inputs at or below the threshold are silent") {
        const SpikeTrainSourceParams s =
            task::encode_latency(x, {.t_max_ms = 20.0, .threshold = 0.5});
        CHECK(s.times_ms == std::vector<double>{0.0, 5.0});
        CHECK(s.node_ids == std::vector<std::uint32_t>{0, 5});
    }
    SECTION("exact times for arbitrary inputs") {
        std::vector<float> y(100);
        for (std::size_t i = 0; i < y.size(); ++i)
            y[i] = static_cast<float>((i * 37) % 101) / 100.0f;
        const task::LatencyEncoderParams params{.t_max_ms = 80.0, .threshold = 0.1};
        const SpikeTrainSourceParams s = task::encode_latency(y, params);
        CHECK(sorted_by_time_then_node(s));
        std::size_t above = 0;
        for (const float v : y) above += static_cast<double>(v) > params.threshold;
        REQUIRE(s.times_ms.size() == above);
        for (std::size_t k = 0; k < s.times_ms.size(); ++k) {
            const double xv = y[s.node_ids[k]];
            CHECK(s.times_ms[k] == 80.0 * (1.0 - xv));
        }
    }
    CHECK_THROWS_AS(task::encode_latency(x, {.threshold = 1.0}), ParamError);
    CHECK_THROWS_AS(task::encode_latency(x, {.t_max_ms = 0.0}), ParamError);
}
