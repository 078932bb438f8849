// The synapse store (sim/synapse_layout.hpp, Projection): one weight for a static projection
// whose weights are a constant, ids mapped to stored entries only when delays reorder a row,
// delays per run, the bytes it holds against the layout's formula, and checkpoints.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "models/lif_curr.hpp"
#include "models/pair_stdp.hpp"
#include "sim/checkpoint.hpp"
#include "sim/connectivity.hpp"
#include "sim/network.hpp"
#include "sim/random_stream.hpp"
#include "sim/synapse_layout.hpp"
#include "tests/sim/network_observables.hpp"
#include "tests/sim/small_networks.hpp"

namespace {

namespace sim = spikerate::sim;
namespace models = spikerate::models;

constexpr std::size_t run_bytes = sizeof(sim::SynapseLayout::Run);

// "in" (n_pre spike-train sources) -> "out" (n_post lif_curr neurons, no spikes of their own).
sim::NetworkSpec store_spec(std::uint32_t n_pre, std::uint32_t n_post, sim::ConnectionRule rule,
                            sim::Distribution weight, sim::Distribution delay_ms) {
    sim::NetworkSpec spec{.dt_ms = 0.1, .seed = 3};
    spec.populations = {
        {.name = "in", .size = n_pre, .model = sim::SpikeTrainSourceParams{}},
        {.name = "out", .size = n_post, .model = models::LifCurrParams{}},
    };
    spec.projections = {{.pre = "in",
                         .post = "out",
                         .connection = std::move(rule),
                         .weight = weight,
                         .delay_ms = delay_ms}};
    return spec;
}

// Rows, runs' starts and targets: what every projection's layout holds.
std::size_t layout_bytes(std::size_t n_pre, std::size_t synapses, std::size_t runs) {
    return 4 * (n_pre + 1) * 2 + 4 * synapses + run_bytes * runs;
}

}  // namespace

TEST_CASE(
    "store: a static projection with a constant weight keeps one weight, and one per "
    "synapse once set_weights gives different ones",
    "[projection][store][unit]") {
    const std::uint32_t n_pre = 6, n_post = 5, n = n_pre * n_post;
    auto spec = store_spec(n_pre, n_post, sim::connect::AllToAll{},
                           sim::Distribution::constant(2.5), sim::Distribution::constant(1.0));
    spec.populations[0].model = sim::SpikeTrainSourceParams{.times_ms = {1.0}, .node_ids = {0}};
    sim::Network net(spec);
    auto& projection = net.projection("in->out");
    const std::size_t one_weight = layout_bytes(n_pre, n, n_pre);  // constant delay: a run per row
    CHECK(projection.memory_bytes() == one_weight);
    CHECK(projection.weights() == std::vector<double>(n, 2.5));

    std::vector<double> w(n);
    std::iota(w.begin(), w.end(), 1.0);  // synapse (i, j) = i * n_post + j weighs s + 1
    projection.set_weights(w);
    CHECK(projection.memory_bytes() == one_weight + 8 * n);
    CHECK(projection.weights() == w);

    // Delivered per synapse: neuron 0's spike at 1 ms gives target j the weight j + 1.
    while (net.time_ms() < 2.5) net.step();
    const auto I = net.population("out").variable("I_syn_e");
    REQUIRE(I[0] > 0.0);
    for (std::uint32_t j = 0; j < n_post; ++j) CHECK(I[j] == Approx((j + 1) * I[0]));

    projection.set_weights(std::vector<double>(n, 1.5));  // the same again: one weight
    CHECK(projection.memory_bytes() == one_weight);
    CHECK(projection.weights() == std::vector<double>(n, 1.5));

    const auto stored = projection.stored_weights();  // per synapse from now on
    CHECK(std::vector(stored.begin(), stored.end()) == std::vector<double>(n, 1.5));
    CHECK(projection.memory_bytes() == one_weight + 8 * n);
}

TEST_CASE(
    "store: drawn delays that reorder rows: targets, delays and weights by synapse id, "
    "stored grouped by delay",
    "[projection][store][unit]") {
    // A list out of order, with a repeated pair and a neuron without synapses (in 2).
    const sim::connect::FromList list{.pre = {3, 0, 1, 0, 3, 1, 0, 4, 3, 0, 1, 4},
                                      .post = {2, 4, 0, 1, 0, 3, 1, 2, 4, 3, 2, 0}};
    const std::uint32_t n_pre = 5, n_post = 5;
    const auto delay = sim::Distribution::uniform(0.1, 0.5);  // 1..5 steps
    const auto weight = sim::Distribution::uniform(1.0, 2.0);
    const auto spec = store_spec(n_pre, n_post, list, weight, delay);
    sim::Network net(spec);
    auto& projection = net.projection("in->out");
    const std::size_t n = list.pre.size();
    REQUIRE(projection.n_synapses() == n);

    // Ids: the pairs sorted by pre, then post (stable), as connect_pairs gives them.
    const auto pairs = sim::connect_pairs(list, n_pre, n_post, sim::RandomStream(3, "connect/x"));
    const sim::RandomStream delays(3, "delays/in->out");
    const sim::RandomStream weights(3, "weights/in->out");
    std::vector<std::int32_t> expected_delay(n);
    std::vector<double> expected_weight(n);
    for (std::size_t s = 0; s < n; ++s) {
        CAPTURE(s);
        CHECK(projection.pre_of(s) == pairs[s].pre);
        CHECK(projection.post_of(s) == pairs[s].post);
        expected_delay[s] = static_cast<std::int32_t>(std::round(delay.sample(delays, s, 0) / 0.1));
        expected_weight[s] = weight.sample(weights, s, 0);
        CHECK(projection.delay_of(s) == expected_delay[s]);
    }
    CHECK(projection.delays() == expected_delay);
    CHECK(projection.weights() == expected_weight);

    // Stored: each row's synapses stably sorted by delay.
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), 0U);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return std::pair(pairs[a].pre, expected_delay[a]) <
               std::pair(pairs[b].pre, expected_delay[b]);
    });
    REQUIRE_FALSE(std::is_sorted(order.begin(), order.end()));  // the test needs a reordering
    std::vector<std::uint32_t> stored_post;
    std::vector<double> stored_weight;
    std::size_t runs = 0;
    for (std::size_t k = 0; k < n; ++k) {
        stored_post.push_back(pairs[order[k]].post);
        stored_weight.push_back(expected_weight[order[k]]);
        const bool new_run = k == 0 || pairs[order[k]].pre != pairs[order[k - 1]].pre ||
                             expected_delay[order[k]] != expected_delay[order[k - 1]];
        runs += new_run ? 1 : 0;
    }
    const auto post = projection.stored_post();
    CHECK(std::vector(post.begin(), post.end()) == stored_post);
    const auto w = projection.stored_weights();
    CHECK(std::vector(w.begin(), w.end()) == stored_weight);
    // The map of ids to entries (4 B per synapse) and the drawn weights (8 B).
    CHECK(projection.memory_bytes() == layout_bytes(n_pre, n, runs) + 4 * n + 8 * n);

    // set_weights by id lands where copy_weights reads it back.
    std::vector<double> by_id(n);
    std::iota(by_id.begin(), by_id.end(), 10.0);
    projection.set_weights(by_id);
    CHECK(projection.weights() == by_id);
}

TEST_CASE(
    "store: the bytes of static and plastic projections follow the layout, within the "
    "estimate that refuses what cannot fit",
    "[projection][store][memory][unit]") {
    const std::uint32_t n_pre = 40, n_post = 30;
    const std::size_t n = std::size_t{n_pre} * n_post;
    SECTION("static, constant weight and delay: targets, rows and one run per neuron") {
        const auto spec =
            store_spec(n_pre, n_post, sim::connect::AllToAll{}, sim::Distribution::constant(1.0),
                       sim::Distribution::constant(0.5));
        sim::Network net(spec);
        const auto& projection = net.projection("in->out");
        CHECK(projection.memory_bytes() == layout_bytes(n_pre, n, n_pre));
        CHECK(sim::estimated_projection_bytes(spec.projections[0], static_cast<double>(n), n_pre,
                                              n_post, 0) >= projection.memory_bytes());
    }
    SECTION("static, drawn weights: 8 B more per synapse") {
        const auto spec =
            store_spec(n_pre, n_post, sim::connect::AllToAll{},
                       sim::Distribution::uniform(0.5, 1.5), sim::Distribution::constant(0.5));
        sim::Network net(spec);
        const auto& projection = net.projection("in->out");
        CHECK(projection.memory_bytes() == layout_bytes(n_pre, n, n_pre) + 8 * n);
        CHECK(sim::estimated_projection_bytes(spec.projections[0], static_cast<double>(n), n_pre,
                                              n_post, 0) >= projection.memory_bytes());
    }
    SECTION("plastic (pair_stdp): weights, traces and the index by postsynaptic neuron") {
        auto spec = store_spec(n_pre, n_post, sim::connect::AllToAll{},
                               sim::Distribution::constant(1.0), sim::Distribution::constant(0.5));
        spec.projections[0].plasticity = models::PairStdpParams{};
        sim::Network net(spec);
        const auto& projection = net.projection("in->out");
        const std::size_t synapse_state = sizeof(models::PairStdp::SynapseState);
        const std::size_t per_post = sizeof(models::PairStdp::PostState) + 8;  // + post term
        CHECK(projection.memory_bytes() == layout_bytes(n_pre, n, n_pre) +
                                               (8 + synapse_state + 4) * n + per_post * n_post +
                                               4 * (n_post + 1));
        CHECK(sim::estimated_projection_bytes(spec.projections[0], static_cast<double>(n), n_pre,
                                              n_post, synapse_state) >= projection.memory_bytes());
    }
}

TEST_CASE(
    "store: checkpoints round-trip one weight and reordered plastic synapses, in the bytes "
    "of one weight per synapse",
    "[projection][store][checkpoint][unit]") {
    SECTION("one weight: saved as the vector it stands for, loaded back as one weight") {
        const std::uint32_t n_pre = 4, n_post = 3, n = n_pre * n_post;
        const auto spec =
            store_spec(n_pre, n_post, sim::connect::AllToAll{}, sim::Distribution::constant(2.0),
                       sim::Distribution::constant(1.0));
        sim::Network saved(spec);
        sim::StateWriter one;
        saved.save_state(one);
        saved.projection("in->out").stored_weights();  // one weight per synapse, the same values
        sim::StateWriter each;
        saved.save_state(each);
        CHECK(one.bytes() == each.bytes());

        sim::Network loaded(spec);
        auto& projection = loaded.projection("in->out");
        const std::size_t one_weight_bytes = projection.memory_bytes();
        std::vector<double> other(n);
        std::iota(other.begin(), other.end(), 0.0);
        projection.set_weights(other);
        sim::StateReader in(one.bytes(), "test");
        loaded.load_state(in);
        in.expect_end();
        CHECK(projection.weights() == std::vector<double>(n, 2.0));
        CHECK(projection.memory_bytes() == one_weight_bytes);
    }
    SECTION("plastic synapses with drawn delays, spikes in flight: continued bit for bit") {
        const auto spec = spikerate::testing::small_plastic_network();
        sim::Network whole(spec);
        for (int k = 0; k < 317; ++k) whole.step();
        sim::Network resumed(spec);
        spikerate::testing::load_state_of(whole, resumed);
        for (int k = 0; k < 400; ++k) {
            whole.step();
            resumed.step();
        }
        CHECK(spikerate::testing::network_observables(resumed) ==
              spikerate::testing::network_observables(whole));
    }
}

TEST_CASE("store: connect_rows gives connect_pairs' synapses, in its order, for every rule",
          "[projection][store][connect][unit]") {
    const sim::RandomStream stream(9, "connect/rows");
    const std::uint32_t n_pre = 23, n_post = 17;
    const std::vector<sim::ConnectionRule> rules{
        sim::connect::AllToAll{.allow_autapses = false},
        sim::connect::OneToOne{},
        sim::connect::FixedProbability{.p = 0.3, .allow_autapses = false},
        sim::connect::FixedInDegree{.k = 6},  // multapses likely: 6 of 23, 17 times
        sim::connect::FixedInDegree{.k = 9, .allow_autapses = false, .allow_multapses = false},
        sim::connect::FromList{.pre = {5, 1, 5, 0, 22}, .post = {3, 2, 3, 16, 0}},
        sim::connect::FixedTotalNumber{.n = 300},  // repeated pairs likely: 300 of 391
        sim::connect::FixedTotalNumber{.n = 120, .allow_autapses = false},
    };
    for (std::size_t r = 0; r < rules.size(); ++r) {
        CAPTURE(r);
        const std::uint32_t n_target = r == 1 ? n_pre : n_post;  // one_to_one: equal sizes
        const auto pairs = sim::connect_pairs(rules[r], n_pre, n_target, stream);
        const auto rows = sim::connect_rows(rules[r], n_pre, n_target, stream);
        REQUIRE(rows.row_begin.size() == n_pre + 1);
        REQUIRE(rows.post.size() == pairs.size());
        CHECK(rows.row_begin.front() == 0);
        CHECK(rows.row_begin.back() == pairs.size());
        for (std::uint32_t i = 0; i < n_pre; ++i) {
            for (std::uint32_t s = rows.row_begin[i]; s < rows.row_begin[i + 1]; ++s) {
                CAPTURE(i, s);
                CHECK(pairs[s].pre == i);
                CHECK(pairs[s].post == rows.post[s]);
            }
        }
    }
}

TEST_CASE(
    "store: grouped by the parts of the targets, each run lies in one part, the order onto each "
    "target is the whole layout's, and the whole order is recovered",
    "[projection][store][threads][unit]") {
    const sim::RandomStream stream(5, "connect/parts");
    const std::uint32_t n_pre = 31, n_post = 40;
    const sim::TimeGrid grid(0.1);
    const auto drawn = sim::Distribution::uniform(0.1, 0.6);  // 1..6 steps: rows reorder
    const auto constant = sim::Distribution::constant(0.3);
    struct Case {
        const char* name;
        sim::ConnectionRule rule;
        sim::Distribution delay;
        std::vector<std::uint32_t> parts;
    };
    const std::vector<Case> cases{
        {"fixed_probability, drawn delays, 3 parts",
         sim::connect::FixedProbability{.p = 0.4},
         drawn,
         {0, 16, 32, 40}},
        {"fixed_probability, constant delay, 2 parts",
         sim::connect::FixedProbability{.p = 0.4},
         constant,
         {0, 24, 40}},
        {"fixed_in_degree with multapses, drawn delays, an empty part",
         sim::connect::FixedInDegree{.k = 12},
         drawn,
         {0, 8, 8, 40}},
        {"a list out of order, drawn delays, 4 parts",
         sim::connect::FromList{.pre = {3, 0, 1, 0, 3, 1, 0, 30, 3, 0, 1, 30, 3},
                                .post = {39, 4, 0, 17, 0, 33, 1, 2, 24, 3, 20, 0, 39}},
         drawn,
         {0, 8, 16, 32, 40}},
    };
    for (const auto& c : cases) {
        CAPTURE(c.name);
        const auto rows = [&] { return sim::connect_rows(c.rule, n_pre, n_post, stream); };
        const sim::SynapseLayout whole(rows(), c.delay, "p", grid, 1, 7);
        const sim::SynapseLayout in_parts(rows(), c.delay, "p", grid, 1, 7, c.parts);
        REQUIRE(whole.parts() == 1);
        REQUIRE(in_parts.parts() == c.parts.size() - 1);
        const std::size_t n = whole.n_synapses();
        REQUIRE(in_parts.n_synapses() == n);
        const auto part_of = [&](std::uint32_t target) {
            return std::upper_bound(c.parts.begin() + 1, c.parts.end() - 1, target) -
                   (c.parts.begin() + 1);
        };
        std::size_t runs_in_parts = 0;
        std::size_t runs_whole = 0;
        for (std::uint32_t i = 0; i < n_pre; ++i) {
            CAPTURE(i);
            runs_whole += whole.runs_of(i).size();
            // Runs in (part, delay) order, each in one part, sorted by target.
            const auto runs = in_parts.runs_of(i);
            runs_in_parts += runs.size();
            for (std::size_t r = 0; r < runs.size(); ++r) {
                const auto post =
                    in_parts.stored_post().subspan(runs[r].begin, runs[r].end - runs[r].begin);
                REQUIRE_FALSE(post.empty());
                CHECK(part_of(post.front()) == part_of(post.back()));
                CHECK(std::is_sorted(post.begin(), post.end()));
                if (r > 0) {
                    CHECK(runs[r].begin == runs[r - 1].end);
                    const auto before = std::pair(
                        part_of(in_parts.stored_post()[runs[r - 1].begin]), runs[r - 1].delay);
                    CHECK(before < std::pair(part_of(post.front()), runs[r].delay));
                }
            }
            // The whole order's runs: those of the one-part layout.
            const auto expected = whole.runs_of(i);
            const auto got = in_parts.whole_runs_of(i);
            REQUIRE(got.size() == expected.size());
            for (std::size_t r = 0; r < got.size(); ++r) {
                CHECK(got[r].delay == expected[r].delay);
                CHECK(got[r].begin == expected[r].begin);
                CHECK(got[r].end == expected[r].end);
            }
        }
        CHECK(runs_in_parts > runs_whole);  // the parts split runs
        // By synapse id: the same synapse, delay and presynaptic neuron; whole_entries maps each
        // stored entry to the one-part layout's entry of the same id.
        const auto to_whole = in_parts.whole_entries();
        std::vector<std::vector<std::size_t>> onto_whole(n_post), onto_parts(n_post);
        for (std::size_t s = 0; s < n; ++s) {
            CAPTURE(s);
            CHECK(in_parts.post_of(s) == whole.post_of(s));
            CHECK(in_parts.pre_of(s) == whole.pre_of(s));
            CHECK(in_parts.delay_of(s) == whole.delay_of(s));
            CHECK(to_whole[in_parts.entry_of(s)] == whole.entry_of(s));
        }
        // Onto each target, the synapses in the same order (sums per target: the same bits).
        for (std::size_t k = 0; k < n; ++k) {
            onto_whole[whole.stored_post()[k]].push_back(k);
            onto_parts[in_parts.stored_post()[k]].push_back(to_whole[k]);
        }
        CHECK(onto_parts == onto_whole);
    }
}

TEST_CASE(
    "store: float32 weights are the drawn weights rounded once, 4 bytes per synapse, delivered "
    "and checkpointed as the doubles they stand for",
    "[projection][store][unit]") {
    const std::uint32_t n_pre = 30, n_post = 20;
    const auto weight = sim::Distribution::uniform(1.0, 2.0);
    const auto delay = sim::Distribution::constant(0.1);
    auto spec64 =
        store_spec(n_pre, n_post, sim::connect::FixedProbability{.p = 0.5}, weight, delay);
    // Every input neuron fires at 1 ms: each target receives the sum of its weights.
    std::vector<double> times(n_pre, 1.0);
    std::vector<std::uint32_t> ids(n_pre);
    std::iota(ids.begin(), ids.end(), 0U);
    spec64.populations[0].model = sim::SpikeTrainSourceParams{.times_ms = times, .node_ids = ids};
    auto spec32 = spec64;
    spec32.projections[0].weight_precision = sim::WeightPrecision::float32;
    sim::Network net64(spec64);
    sim::Network net32(spec32);
    auto& p64 = net64.projection("in->out");
    auto& p32 = net32.projection("in->out");
    const std::size_t n = p64.n_synapses();
    REQUIRE(n > 200);
    REQUIRE(p32.n_synapses() == n);

    // The same draws, each rounded to the nearest float32, and some of them not representable.
    const auto w64 = p64.weights();
    const auto w32 = p32.weights();
    std::size_t rounded = 0;
    for (std::size_t s = 0; s < n; ++s) {
        CAPTURE(s);
        CHECK(w32[s] == static_cast<double>(static_cast<float>(w64[s])));
        rounded += w32[s] != w64[s] ? 1 : 0;
    }
    CHECK(rounded > n / 2);
    CHECK(p64.memory_bytes() - p32.memory_bytes() == 4 * n);

    // Delivered: the same input as a float64 projection holding the same values (each target's
    // double sum of its weights, in the same order).
    p64.set_weights(w32);
    while (net32.time_ms() < 1.25) {
        net32.step();
        net64.step();
    }
    const auto I32 = net32.population("out").variable("I_syn_e");
    const auto I64 = net64.population("out").variable("I_syn_e");
    for (std::uint32_t j = 0; j < n_post; ++j) {
        CAPTURE(j);
        CHECK(I32[j] > 0.0);
        CHECK(I32[j] == I64[j]);
    }

    // set_weights rounds; stored_weights is for float64 ones only; a constant is rounded too.
    std::vector<double> by_id(n, 0.1);
    by_id[0] = 0.3;
    p32.set_weights(by_id);
    CHECK(p32.weights()[0] == static_cast<double>(0.3F));
    CHECK(p32.weights()[1] == static_cast<double>(0.1F));
    CHECK_THROWS_WITH(p32.stored_weights(), Catch::Contains("holds float32 weights"));
    p32.set_weights(std::vector<double>(n, 0.1));  // all the same: one weight, float32 too
    CHECK(p32.weights() == std::vector<double>(n, static_cast<double>(0.1F)));

    // Checkpoints: the doubles the weights stand for, the layout of a float64 projection's; a
    // float32 network continues bit for bit from its own.
    p32.set_weights(w32);
    sim::StateWriter saved32, saved64;
    net32.save_state(saved32);
    net64.save_state(saved64);
    CHECK(saved32.bytes() == saved64.bytes());
    sim::Network resumed(spec32);
    spikerate::testing::load_state_of(net32, resumed);
    CHECK(resumed.projection("in->out").weights() == w32);
    for (int k = 0; k < 30; ++k) {
        net32.step();
        resumed.step();
    }
    CHECK(spikerate::testing::network_observables(resumed) ==
          spikerate::testing::network_observables(net32));
}

TEST_CASE(
    "store: float32 plastic weights: each update computed in double and stored as the nearest "
    "float32 within the rule's bounds",
    "[projection][store][unit]") {
    // pair STDP with w_max = 150.3, which float32 rounds up (to 150.300003...): weights that
    // reach the bound must stay at or below it.
    auto spec64 = spikerate::testing::small_plastic_network();
    auto& stdp = std::get<models::PairStdpParams>(spec64.projections[0].plasticity);
    stdp.A_plus = 40.0;
    stdp.bounds.w_max = 150.3;
    spec64.projections[0].weight = sim::Distribution::uniform(50.0, 150.0);
    REQUIRE(static_cast<double>(static_cast<float>(150.3)) > 150.3);
    auto spec32 = spec64;
    spec32.projections[0].weight_precision = sim::WeightPrecision::float32;
    sim::Network net64(spec64);
    sim::Network net32(spec32);
    const auto initial = net32.projection("input->exc").weights();
    for (int k = 0; k < 2000; ++k) {
        net64.step();
        net32.step();
    }
    const auto w64 = net64.projection("input->exc").weights();
    const auto w32 = net32.projection("input->exc").weights();
    const double top = static_cast<double>(std::nextafter(static_cast<float>(150.3), 0.0F));
    std::size_t at_top = 0, changed = 0;
    for (std::size_t s = 0; s < w32.size(); ++s) {
        CAPTURE(s, w32[s], w64[s]);
        CHECK(static_cast<double>(static_cast<float>(w32[s])) == w32[s]);
        CHECK((w32[s] >= 0.0 && w32[s] <= 150.3));
        at_top += w32[s] == top ? 1 : 0;
        changed += w32[s] != initial[s] ? 1 : 0;
        // The same learning: rounding moves a weight by at most half a float32 step (2^-24
        // relative) per update.
        CHECK(w32[s] == Approx(w64[s]).epsilon(1e-5));
    }
    CHECK(at_top > 0);
    CHECK(changed > w32.size() / 2);
    CHECK(net32.projection("input->exc").memory_bytes() + 4 * w32.size() ==
          net64.projection("input->exc").memory_bytes());
}
