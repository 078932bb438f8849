// Recorders against an in-memory sink: what reaches the sink is what the network did, in the
// SONATA layouts, and never more than a bounded buffer at a time.
#include <algorithm>
#include <map>

#include <catch2/catch.hpp>

#include "sim/network.hpp"
#include "sim/recorder.hpp"
#include "tests/sim/memory_output.hpp"
#include "tests/sim/small_networks.hpp"

using namespace spikerate;
using testing::MemoryOutput;

TEST_CASE("recorder: spikes, weight and state reports reach the sink as the network produced them",
          "[recorder][integration]") {
    const std::size_t buffer = GENERATE(std::size_t{7}, std::size_t{1} << 16);
    sim::Network net(testing::small_plastic_network());
    const sim::RecordingSpec spec{
        .spikes = {"exc", "input"},
        .weights =
            {{.name = "w", .projection = "input->exc", .every_ms = 5.0, .post_neurons = {4, 1}}},
        .states = {{.name = "v", .population = "exc", .variable = "V_m", .every_ms = 0.5}},
    };
    MemoryOutput sink;
    sim::Recorder recorder(spec, net, sink, buffer);
    sim::SpikeRecorder reference(net.population("exc"));

    const auto& projection = net.projection("input->exc");
    std::vector<std::vector<float>> expected_weights{{}};
    std::vector<std::vector<float>> expected_v{{}};
    const auto v = net.population("exc").variable("V_m");
    const auto snapshot_weights = [&](std::vector<float>& out) {
        for (const std::uint32_t post : {4U, 1U}) {
            for (std::uint32_t pre = 0; pre < 20; ++pre) {
                for (std::size_t s = 0; s < projection.n_synapses(); ++s) {
                    if (projection.post_of(s) == post && projection.pre_of(s) == pre) {
                        out.push_back(static_cast<float>(projection.weights()[s]));
                    }
                }
            }
        }
    };
    snapshot_weights(expected_weights.back());
    expected_v.back().assign(v.begin(), v.end());

    net.run(100.0, [&](const sim::Network& n) {
        recorder.after_step(n);
        reference.record(n.grid());
        if (n.steps_done() % 50 == 0) snapshot_weights(expected_weights.emplace_back());
        if (n.steps_done() % 5 == 0) expected_v.emplace_back(v.begin(), v.end());
    });
    recorder.flush();

    SECTION("spikes: same times and ids, in time order") {
        CHECK(sink.spikes.at("exc").times == reference.times_ms());
        CHECK(std::equal(sink.spikes.at("exc").nodes.begin(), sink.spikes.at("exc").nodes.end(),
                         reference.node_ids().begin(), reference.node_ids().end()));
        CHECK(std::is_sorted(sink.spikes.at("input").times.begin(),
                             sink.spikes.at("input").times.end()));
        CHECK(sink.spikes.at("input").times.size() == net.population("input").spike_count());
        CHECK(reference.times_ms().size() > 10);
    }
    SECTION(
        "weights: node = post neuron, elements = its synapses by pre, frames every 5 ms from 0") {
        const auto& layout = sink.layouts.at(0);
        CHECK(layout.units == "pA");
        CHECK(layout.node_ids == std::vector<std::uint64_t>{4, 1});
        REQUIRE(layout.index_pointers.size() == 3);
        const auto& sources = layout.extra_element_mapping.at(0);
        CHECK(sources.first == "source_node_ids");
        for (std::size_t k = 0; k < 2; ++k) {
            for (auto e = layout.index_pointers[k]; e < layout.index_pointers[k + 1]; ++e) {
                CHECK(projection.post_of(layout.element_ids[e]) == layout.node_ids[k]);
                CHECK(projection.pre_of(layout.element_ids[e]) == sources.second[e]);
            }
        }
        CHECK(layout.time_start == 0.0);
        CHECK(layout.time_step == 5.0);
        std::vector<float> expected;
        for (const auto& f : expected_weights) expected.insert(expected.end(), f.begin(), f.end());
        CHECK(expected_weights.size() == 21);  // t = 0, 5, ..., 100 ms
        CHECK(sink.frames.at(0) == expected);
        CHECK(expected_weights.front() != expected_weights.back());  // plasticity did act
    }
    SECTION("state: every neuron's V_m every 0.5 ms from t = 0") {
        const auto& layout = sink.layouts.at(1);
        CHECK(layout.units == "mV");
        CHECK(layout.node_ids.size() == 6);
        CHECK(layout.index_pointers.back() == 6);
        std::vector<float> expected;
        for (const auto& f : expected_v) {
            for (const double x : f) expected.push_back(static_cast<float>(x));
        }
        CHECK(sink.frames.at(1) == expected);
    }
    SECTION("descriptions: every population and projection, and the role of every record") {
        REQUIRE(sink.populations.size() == 2);
        const auto& input = sink.populations.at(0);
        CHECK(input.name == "input");
        CHECK(input.network.empty());
        CHECK(input.index == 0);
        CHECK(input.model == "poisson");
        CHECK(input.kind == "source");
        CHECK(input.size == 20);
        CHECK(input.variables.empty());
        const auto& exc = sink.populations.at(1);
        CHECK(exc.index == 1);
        CHECK(exc.model == "lif_curr");
        CHECK(exc.kind == "neuron");
        CHECK(exc.size == 6);
        CHECK(exc.weight_unit == "pA");
        REQUIRE(exc.variables.size() == exc.variable_units.size());
        const auto v_m = std::find(exc.variables.begin(), exc.variables.end(), "V_m");
        REQUIRE(v_m != exc.variables.end());
        CHECK(exc.variable_units.at(static_cast<std::size_t>(v_m - exc.variables.begin())) == "mV");
        REQUIRE(sink.projections.size() == 1);
        const auto& p = sink.projections.at(0);
        CHECK(p.name == "input->exc");
        CHECK(p.pre == "input");
        CHECK(p.post == "exc");
        CHECK(p.synapses == projection.n_synapses());
        CHECK(p.weight_unit == "pA");
        CHECK(p.plasticity == "pair_stdp");
        CHECK(p.receptor == "excitatory");
        CHECK(sink.spike_roles.at("exc").role == "spikes");
        CHECK(sink.spike_roles.at("exc").population == "exc");
        CHECK(sink.layouts.at(0).role.role == "weights");
        CHECK(sink.layouts.at(0).role.projection == "input->exc");
        CHECK(sink.layouts.at(0).role.population == "exc");
        CHECK(sink.layouts.at(1).role.role == "state");
        CHECK(sink.layouts.at(1).role.variable == "V_m");
    }
    SECTION("bounded buffers: no single hand-over exceeds the buffer plus one step or frame") {
        const std::size_t one_frame =
            std::max<std::size_t>(sink.layouts.at(0).element_ids.size(), 6);
        CHECK(sink.largest_append <= buffer + std::max<std::size_t>(one_frame, 20));
    }
}

TEST_CASE("recorder: a learner's network is described under its prefixed names",
          "[recorder][unit]") {
    const sim::Network net(testing::small_plastic_network());
    MemoryOutput sink;
    sim::describe_network(net, "stdp", sink);
    REQUIRE(sink.populations.size() == 2);
    CHECK(sink.populations.at(1).name == "stdp_exc");
    CHECK(sink.populations.at(1).local_name == "exc");
    CHECK(sink.populations.at(1).network == "stdp");
    REQUIRE(sink.projections.size() == 1);
    CHECK(sink.projections.at(0).name == "stdp_input->exc");
    CHECK(sink.projections.at(0).pre == "stdp_input");
    CHECK(sink.projections.at(0).post == "stdp_exc");
    CHECK(sim::described_name("", "exc") == "exc");
}

TEST_CASE("recorder: a recording spec naming unknown things is rejected", "[recorder][unit]") {
    sim::Network net(testing::small_plastic_network());
    MemoryOutput sink;
    CHECK_THROWS_WITH(sim::Recorder(sim::RecordingSpec{.spikes = {"nope"}}, net, sink),
                      Catch::Contains("record.spikes") && Catch::Contains("nope"));
    CHECK_THROWS_WITH(
        sim::Recorder(
            sim::RecordingSpec{.states = {{.name = "v", .population = "exc", .variable = "g_e"}}},
            net, sink),
        Catch::Contains("record.state.v") && Catch::Contains("V_m"));
    CHECK_THROWS_WITH(
        sim::Recorder(
            sim::RecordingSpec{
                .weights = {{.name = "w", .projection = "input->exc", .every_ms = 0.25}}},
            net, sink),
        Catch::Contains("record.weights.w") && Catch::Contains("multiple of dt"));
    CHECK_THROWS_WITH(
        sim::Recorder(
            sim::RecordingSpec{
                .states = {{.name = "v", .population = "exc", .variable = "V_m", .neurons = {6}}}},
            net, sink),
        Catch::Contains("record.state.v") && Catch::Contains("out of range"));
}

TEST_CASE("recorder: precise-mode spikes reach the sink sorted by time", "[recorder][unit]") {
    models::LifCurrParams neuron{};
    neuron.I_e = 600.0;  // [pA] every neuron fires regularly
    sim::NetworkSpec spec{.dt_ms = 1.0, .seed = 5};
    spec.populations = {{.name = "n",
                         .size = 50,
                         .model = neuron,
                         .integration = sim::Integration::precise,
                         .initial = {{"V_m", sim::Distribution::uniform(-70.0, -56.0)}}}};
    sim::Network net(spec);
    MemoryOutput sink;
    sim::Recorder recorder(sim::RecordingSpec{.spikes = {"n"}}, net, sink);
    sim::SpikeRecorder raw(net.population("n"));  // emission order: by neuron within a step
    net.run(50.0, [&](const sim::Network& n) {
        recorder.after_step(n);
        raw.record(n.grid());
    });
    recorder.flush();

    const auto& times = sink.spikes.at("n").times;
    REQUIRE_FALSE(
        std::is_sorted(raw.times_ms().begin(), raw.times_ms().end()));  // the case at hand
    CHECK(std::is_sorted(times.begin(), times.end()));
    auto expected = raw.times_ms();
    std::sort(expected.begin(), expected.end());
    CHECK(times == expected);
}
