// The connection rules as a network builds them: synapse counts and their (pre, post) order,
// autapses and multapses, the statistics of the random rules, and the seeds.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "models/lif_curr.hpp"
#include "sim/network.hpp"

namespace {

namespace sim = spikerate::sim;
namespace models = spikerate::models;
using Pair = std::pair<std::uint32_t, std::uint32_t>;

std::vector<Pair> pairs_of(const sim::Projection& projection) {
    std::vector<Pair> pairs;
    for (std::size_t s = 0; s < projection.n_synapses(); ++s) {
        pairs.emplace_back(projection.pre_of(s), projection.post_of(s));
    }
    return pairs;
}

bool strictly_increasing(const std::vector<Pair>& pairs) {
    return std::adjacent_find(pairs.begin(), pairs.end(), std::greater_equal<>()) == pairs.end();
}

// "a" (n_pre Poisson sources) -> "b" (n_post lif_curr neurons), or "b" -> "b" when `recurrent`.
sim::NetworkSpec connection_spec(std::uint32_t n_pre, std::uint32_t n_post,
                                 sim::ConnectionRule rule, std::uint64_t seed = 1,
                                 bool recurrent = false) {
    sim::NetworkSpec spec{.seed = seed};
    spec.populations = {
        {.name = "a", .size = n_pre, .model = sim::PoissonSourceParams{.rate_hz = 0.0}},
        {.name = "b", .size = n_post, .model = models::LifCurrParams{}},
    };
    spec.projections = {{.pre = recurrent ? "b" : "a",
                         .post = "b",
                         .connection = std::move(rule),
                         .weight = sim::Distribution::uniform(0.5, 2.0),
                         .delay_ms = sim::Distribution::uniform(0.1, 5.0)}};
    return spec;
}

std::vector<std::uint32_t> in_degrees(const sim::Projection& projection) {
    std::vector<std::uint32_t> degree(projection.post().size(), 0);
    for (std::size_t s = 0; s < projection.n_synapses(); ++s) ++degree[projection.post_of(s)];
    return degree;
}

}  // namespace

TEST_CASE("connect: all_to_all creates n_pre x n_post synapses, dense, ordered by (pre, post)",
          "[projection][connect][unit]") {
    const auto storage = GENERATE(sim::Storage::automatic, sim::Storage::sparse);
    auto spec = connection_spec(7, 5, sim::connect::AllToAll{});
    spec.projections[0].storage = storage;
    sim::Network net(spec);
    const auto& projection = net.projection("a->b");
    CHECK(projection.is_dense() == (storage == sim::Storage::automatic));

    std::vector<Pair> expected;
    for (std::uint32_t i = 0; i < 7; ++i) {
        for (std::uint32_t j = 0; j < 5; ++j) expected.emplace_back(i, j);
    }
    CHECK(pairs_of(projection) == expected);
    CHECK(projection.weights().size() == 35);
    CHECK(projection.delays().size() == 35);
}

TEST_CASE("connect: all_to_all without autapses creates n (n - 1) synapses and no i -> i",
          "[projection][connect][unit]") {
    const std::uint32_t n = 12;
    sim::Network net(
        connection_spec(n, n, sim::connect::AllToAll{.allow_autapses = false}, 1, true));
    const auto pairs = pairs_of(net.projection("b->b"));
    CHECK(pairs.size() == n * (n - 1));
    CHECK(strictly_increasing(pairs));  // ordered and without duplicates
    CHECK(std::none_of(pairs.begin(), pairs.end(),
                       [](const Pair& p) { return p.first == p.second; }));
}

TEST_CASE("connect: one_to_one connects neuron i to neuron i only", "[projection][connect][unit]") {
    sim::Network net(connection_spec(9, 9, sim::connect::OneToOne{}));
    const auto pairs = pairs_of(net.projection("a->b"));
    REQUIRE(pairs.size() == 9);
    for (std::uint32_t i = 0; i < 9; ++i) CHECK(pairs[i] == Pair(i, i));
}

TEST_CASE("connect: fixed_probability draws a binomial number of distinct synapses",
          "[projection][connect][unit]") {
    // The count is Binomial(n_pairs, p): accept 5 standard deviations sqrt(n p (1 - p)).
    // Each half of the postsynaptic range is Binomial(n_pairs / 2, p) on its own, which
    // catches a skipping scheme biased along the row.
    const double p = 0.1;
    const std::uint32_t n_pre = 200, n_post = 300;
    sim::Network net(connection_spec(n_pre, n_post, sim::connect::FixedProbability{.p = p}));
    const auto pairs = pairs_of(net.projection("a->b"));

    const double n_pairs = double{n_pre} * n_post;
    CHECK(std::abs(pairs.size() - n_pairs * p) <= 5.0 * std::sqrt(n_pairs * p * (1 - p)));
    const auto lower = std::count_if(pairs.begin(), pairs.end(),
                                     [&](const Pair& q) { return q.second < n_post / 2; });
    CHECK(std::abs(lower - n_pairs / 2 * p) <= 5.0 * std::sqrt(n_pairs / 2 * p * (1 - p)));
    CHECK(strictly_increasing(pairs));
}

TEST_CASE(
    "connect: fixed_probability gives every postsynaptic neuron a Binomial(n_pre, p) "
    "in-degree",
    "[projection][connect][unit]") {
    // Short rows (10 posts) make the ends of the geometric skipping matter: a scheme that never
    // reaches the first or last post shows here. Binomial(2000, 0.3): mean 600, sd 20.5.
    const double p = 0.3;
    const std::uint32_t n_pre = 2000, n_post = 10;
    sim::Network net(connection_spec(n_pre, n_post, sim::connect::FixedProbability{.p = p}));
    const auto degree = in_degrees(net.projection("a->b"));
    for (std::uint32_t j = 0; j < n_post; ++j) {
        CAPTURE(j, degree[j]);
        CHECK(std::abs(degree[j] - n_pre * p) <= 5.0 * std::sqrt(n_pre * p * (1 - p)));
    }
}

TEST_CASE("connect: fixed_probability without autapses has no i -> i and n (n - 1) trials",
          "[projection][connect][unit]") {
    const double p = 0.2;
    const std::uint32_t n = 150;
    sim::Network net(connection_spec(
        n, n, sim::connect::FixedProbability{.p = p, .allow_autapses = false}, 1, true));
    const auto pairs = pairs_of(net.projection("b->b"));
    const double trials = double{n} * (n - 1);
    CHECK(std::abs(pairs.size() - trials * p) <= 5.0 * std::sqrt(trials * p * (1 - p)));
    CHECK(std::none_of(pairs.begin(), pairs.end(),
                       [](const Pair& q) { return q.first == q.second; }));
    CHECK(strictly_increasing(pairs));
}

TEST_CASE("connect: fixed_probability with p = 0 connects nothing, with p = 1 everything",
          "[projection][connect][unit]") {
    sim::Network none(connection_spec(20, 30, sim::connect::FixedProbability{.p = 0.0}));
    CHECK(none.projection("a->b").n_synapses() == 0);
    sim::Network all(connection_spec(20, 30, sim::connect::FixedProbability{.p = 1.0}));
    CHECK(all.projection("a->b").n_synapses() == 600);
    CHECK(strictly_increasing(pairs_of(all.projection("a->b"))));
}

TEST_CASE("connect: fixed_in_degree gives every postsynaptic neuron exactly k inputs",
          "[projection][connect][unit]") {
    const bool multapses = GENERATE(true, false);
    const std::uint32_t k = 15;
    sim::Network net(
        connection_spec(40, 30, sim::connect::FixedInDegree{.k = k, .allow_multapses = multapses}));
    const auto& projection = net.projection("a->b");
    const auto degree = in_degrees(projection);
    CHECK(std::all_of(degree.begin(), degree.end(), [&](std::uint32_t d) { return d == k; }));
    auto pairs = pairs_of(projection);
    CHECK(std::is_sorted(pairs.begin(), pairs.end()));
    if (!multapses) CHECK(strictly_increasing(pairs));
}

TEST_CASE("connect: fixed_in_degree without autapses never connects i to i, even with k = n - 1",
          "[projection][connect][unit]") {
    const std::uint32_t n = 20;
    const bool multapses = GENERATE(true, false);
    const std::uint32_t k = multapses ? 50 : n - 1;
    sim::Network net(connection_spec(
        n, n,
        sim::connect::FixedInDegree{.k = k, .allow_autapses = false, .allow_multapses = multapses},
        1, true));
    const auto& projection = net.projection("b->b");
    const auto pairs = pairs_of(projection);
    CHECK(pairs.size() == n * k);
    CHECK(std::none_of(pairs.begin(), pairs.end(),
                       [](const Pair& q) { return q.first == q.second; }));
    if (!multapses) {  // k = n - 1 distinct inputs: all the others
        CHECK(strictly_increasing(pairs));
    }
}

TEST_CASE("connect: fixed_in_degree draws presynaptic neurons uniformly",
          "[projection][connect][unit]") {
    // Each of 2000 posts picks k = 10 of 50 pres. Without multapses each pre is among a post's
    // picks with probability k / n_pre = 0.2, independently across posts: its out-degree is
    // Binomial(2000, 0.2), sd 17.9. With multapses it is Binomial(2000 k, 1 / n_pre), sd 19.8.
    // Accept 5 sd for each of the 50 out-degrees.
    const bool multapses = GENERATE(true, false);
    const std::uint32_t n_pre = 50, n_post = 2000, k = 10;
    sim::Network net(connection_spec(
        n_pre, n_post, sim::connect::FixedInDegree{.k = k, .allow_multapses = multapses}));
    const auto& projection = net.projection("a->b");
    std::vector<double> out_degree(n_pre, 0.0);
    for (std::size_t s = 0; s < projection.n_synapses(); ++s) ++out_degree[projection.pre_of(s)];

    const double mean = double{n_post} * k / n_pre;
    const double sd = multapses ? std::sqrt(double{n_post} * k / n_pre * (1.0 - 1.0 / n_pre))
                                : std::sqrt(n_post * 0.2 * 0.8);
    for (std::uint32_t i = 0; i < n_pre; ++i) {
        CAPTURE(i, multapses);
        CHECK(std::abs(out_degree[i] - mean) <= 5.0 * sd);
    }
}

TEST_CASE("connect: from_list reproduces the list with synapse ids ordered by (pre, post)",
          "[projection][connect][unit]") {
    const sim::connect::FromList list{.pre = {3, 0, 2, 0, 3}, .post = {1, 4, 0, 2, 0}};
    sim::Network net(connection_spec(4, 5, list));
    const std::vector<Pair> expected{{0, 2}, {0, 4}, {2, 0}, {3, 0}, {3, 1}};
    CHECK(pairs_of(net.projection("a->b")) == expected);
}

TEST_CASE(
    "connect: the same seed gives the same synapses, weights and delays, a different seed does not",
    "[projection][connect][unit]") {
    const sim::connect::FixedProbability rule{.p = 0.2};
    sim::Network a(connection_spec(40, 50, rule, 21));
    sim::Network b(connection_spec(40, 50, rule, 21));
    sim::Network c(connection_spec(40, 50, rule, 22));
    const auto& pa = a.projection("a->b");
    const auto& pb = b.projection("a->b");
    const auto& pc = c.projection("a->b");
    const auto vec = [](auto span) { return std::vector(span.begin(), span.end()); };

    CHECK(pairs_of(pa) == pairs_of(pb));
    CHECK(vec(pa.weights()) == vec(pb.weights()));
    CHECK(pa.delays() == pb.delays());
    CHECK(pairs_of(pa) != pairs_of(pc));
    CHECK(vec(pa.weights()) != vec(pc.weights()));
}

TEST_CASE("connect: a projection's synapses do not depend on the order of the spec's elements",
          "[projection][connect][unit]") {
    // Streams are keyed by seed and projection name, so building order must not matter.
    sim::NetworkSpec spec{.seed = 4};
    spec.populations = {{.name = "in", .size = 30, .model = sim::PoissonSourceParams{}},
                        {.name = "x", .size = 20, .model = models::LifCurrParams{}},
                        {.name = "y", .size = 25, .model = models::LifCurrParams{}}};
    spec.projections = {
        {.pre = "in",
         .post = "x",
         .connection = sim::connect::FixedProbability{.p = 0.3},
         .weight = sim::Distribution::uniform(0.0, 1.0),
         .delay_ms = sim::Distribution::uniform(0.1, 4.0)},
        {.pre = "x",
         .post = "y",
         .connection = sim::connect::FixedInDegree{.k = 5},
         .weight = sim::Distribution::uniform(0.0, 1.0),
         .delay_ms = sim::Distribution::uniform(0.1, 4.0)},
    };
    sim::NetworkSpec swapped = spec;
    std::reverse(swapped.projections.begin(), swapped.projections.end());
    std::reverse(swapped.populations.begin(), swapped.populations.end());
    sim::Network a(spec);
    sim::Network b(swapped);
    const auto vec = [](auto span) { return std::vector(span.begin(), span.end()); };
    for (const char* name : {"in->x", "x->y"}) {
        CAPTURE(name);
        CHECK(pairs_of(a.projection(name)) == pairs_of(b.projection(name)));
        CHECK(vec(a.projection(name).weights()) == vec(b.projection(name).weights()));
        CHECK(a.projection(name).delays() == b.projection(name).delays());
    }
}
