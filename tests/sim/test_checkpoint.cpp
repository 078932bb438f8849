// Checkpoints: a network, a trainer or a whole experiment continued from a saved state does
// what the uninterrupted one does, bit for bit; a damaged or foreign checkpoint is refused with
// an error naming it, never read as garbage.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "models/lif_curr.hpp"
#include "sim/checkpoint.hpp"
#include "sim/io/scenario.hpp"
#include "sim/network.hpp"
#include "sim/sources.hpp"
#include "sim/task/synthetic.hpp"
#include "sim/train/diehl_cook_2015.hpp"
#include "sim/train/experiment.hpp"
#include "tests/sim/memory_output.hpp"
#include "tests/sim/network_observables.hpp"

using namespace spikerate;
using testing::MemoryOutput;

namespace {

const std::filesystem::path scenario_dir =
    std::filesystem::path(__FILE__).parent_path() / "../../data/scenarios";

// Every step's spikes of every population, as (population, step, node, offset) tuples.
struct Trace {
    std::vector<std::tuple<std::size_t, std::int64_t, std::uint32_t, double>> spikes;
    void record(const sim::Network& net) {
        for (std::size_t p = 0; p < net.populations().size(); ++p) {
            for (const auto& s : net.populations()[p]->spikes()) {
                spikes.emplace_back(p, s.time.step, s.node, s.time.offset);
            }
        }
    }
};

using testing::load_state_of;
using testing::network_observables;

// Runs `spec` for first + second steps without a break, and for `first` steps, saved, loaded
// into a network built anew, then `second` more: both must agree exactly.
void check_continues_exactly(const sim::NetworkSpec& spec, std::int64_t first,
                             std::int64_t second) {
    sim::Network whole(spec);
    Trace whole_trace;
    for (std::int64_t k = 0; k < first + second; ++k) {
        whole.step();
        if (k >= first) whole_trace.record(whole);
    }

    sim::Network before(spec);
    for (std::int64_t k = 0; k < first; ++k) before.step();
    sim::Network after(spec);
    load_state_of(before, after);
    CHECK(after.steps_done() == first);
    // Compared as bools: Catch2 would print every value of a long vector that differs.
    CHECK((network_observables(after) == network_observables(before)));
    Trace resumed_trace;
    for (std::int64_t k = 0; k < second; ++k) {
        after.step();
        resumed_trace.record(after);
    }
    REQUIRE(!whole_trace.spikes.empty());
    INFO(resumed_trace.spikes.size()
         << " spikes after the break, " << whole_trace.spikes.size() << " without it");
    CHECK((resumed_trace.spikes == whole_trace.spikes));
    CHECK((network_observables(after) == network_observables(whole)));
}

sim::NetworkSpec scenario_network(const std::string& file, std::vector<std::string> overrides) {
    return sim::io::load_scenario(scenario_dir / file, overrides).network;
}

}  // namespace

TEST_CASE("checkpoint: a network continued from its saved state runs on bit for bit",
          "[checkpoint][integration][slow]") {
    SECTION("COBA: conductance-based exc/inh network, delays in flight, refractory neurons") {
        check_continues_exactly(scenario_network("coba.toml", {}), 1537, 1000);
    }
    SECTION("COBA integrated by dopri5") {
        check_continues_exactly(
            scenario_network("coba.toml", {"populations.exc.integration=\"dopri5\""}), 301, 300);
    }
    SECTION("Song 2000: Poisson input, additive pair STDP traces") {
        check_continues_exactly(scenario_network("stdp_song2000.toml", {}), 20011, 20000);
    }
    SECTION("CUBA in precise mode: off-grid spikes and inputs") {
        check_continues_exactly(scenario_network("cuba.toml", {"run.mode=\"precise\""}), 777, 1000);
    }
    SECTION("Potjans & Diesmann: Poisson background, redrawn delays up to 5 ms in flight") {
        check_continues_exactly(scenario_network("potjans_diesmann_2014.toml", {}), 503, 300);
    }
}

TEST_CASE("checkpoint: spikes a spike-train source was given to play continue after a resume",
          "[checkpoint][unit]") {
    // A learner's presentations play each example's spikes into its input (play()); a
    // checkpoint taken during one must carry them.
    models::LifCurrParams neuron{};
    sim::NetworkSpec spec{.dt_ms = 0.1, .seed = 5};
    spec.populations = {
        {.name = "input", .size = 4, .model = sim::SpikeTrainSourceParams{}},
        {.name = "exc", .size = 2, .model = neuron},
    };
    spec.projections = {{.pre = "input",
                         .post = "exc",
                         .connection = sim::connect::AllToAll{},
                         .weight = sim::Distribution::constant(2000.0)}};
    const sim::SpikeTrainSourceParams example{.times_ms = {1.0, 2.5, 4.0, 4.0, 9.05, 30.0},
                                              .node_ids = {0, 1, 2, 3, 1, 0}};
    const auto spikes_after = [&](sim::Network& net) {
        std::vector<std::pair<std::int64_t, std::uint32_t>> out;
        for (int k = 0; k < 400; ++k) {
            net.step();
            for (const auto& p : {"input", "exc"}) {
                for (const auto& s : net.population(p).spikes())
                    out.emplace_back(s.time.step, s.node);
            }
        }
        return out;
    };
    sim::Network whole(spec);
    for (int k = 0; k < 100; ++k) whole.step();
    whole.population_as<sim::SpikeTrainSource>("input").play(example, 100);
    for (int k = 0; k < 60; ++k) whole.step();  // two of the six played
    sim::Network resumed(spec);
    load_state_of(whole, resumed);
    const auto expected = spikes_after(whole);
    // The played spikes at 19.05 ms (node 1) and 40 ms (node 0) come after the checkpoint.
    REQUIRE(std::count(expected.begin(), expected.end(),
                       std::pair<std::int64_t, std::uint32_t>{190, 1}) == 1);
    REQUIRE(std::count(expected.begin(), expected.end(),
                       std::pair<std::int64_t, std::uint32_t>{400, 0}) == 1);
    CHECK((spikes_after(resumed) == expected));
}

TEST_CASE("checkpoint: a network refuses the state of another network",
          "[checkpoint][integration]") {
    const auto coba = scenario_network("coba.toml", {});
    sim::Network net(coba);
    for (int k = 0; k < 10; ++k) net.step();
    sim::StateWriter out;
    net.save_state(out);

    SECTION("another size") {
        sim::Network other(scenario_network("coba.toml", {"populations.exc.size=3000"}));
        sim::StateReader in(out.bytes(), "ckpt");
        CHECK_THROWS_AS(other.load_state(in), DataError);
    }
    SECTION("another network altogether") {
        sim::Network other(scenario_network("stdp_song2000.toml", {}));
        sim::StateReader in(out.bytes(), "ckpt");
        CHECK_THROWS_WITH(other.load_state(in),
                          Catch::Contains("ckpt") && Catch::Contains("checkpoint unusable"));
    }
    SECTION("cut short anywhere") {
        for (const std::size_t keep :
             {std::size_t{0}, std::size_t{7}, out.bytes().size() / 2, out.bytes().size() - 1}) {
            sim::Network other(coba);
            sim::StateReader in(std::string_view(out.bytes()).substr(0, keep), "ckpt");
            CHECK_THROWS_AS(other.load_state(in), DataError);
        }
    }
}

namespace {

const sim::task::Task& small_bars() {
    static const sim::task::Task task =
        sim::task::make_bars({.grid = 4, .train_examples = 100, .test_examples = 40}, 9);
    return task;
}

sim::train::TrainingSchedule budget_schedule() {
    return {.examples = 250,
            .evaluate_at = {30, 100},
            .weights_every = 70,
            .labels = sim::train::LabelProtocol::seen,
            .label_budgets = {10, 0}};
}

}  // namespace

TEST_CASE("checkpoint: a gradient trainer continued from its saved state trains on bit for bit",
          "[checkpoint][integration]") {
    const auto& task = small_bars();
    sim::train::RateNetworkSpec spec{.name = "mlp", .batch_size = 16, .learning_rate_decay = 0.9};
    spec.network.hidden = {6};
    spec.optimizer.kind = GENERATE(models::OptimizerKind::adam, models::OptimizerKind::momentum);
    const auto schedule = budget_schedule();
    const sim::task::ExampleStream stream(task.train.size(), 9, true);
    const auto make = [&](MemoryOutput* out) {
        return std::make_unique<sim::train::GradientTrainer>(spec, task.train, task.test, stream,
                                                             schedule, 9, out, out);
    };
    MemoryOutput whole_out;
    auto whole = make(&whole_out);
    whole->train_until(30);
    whole->evaluate_and_record();
    whole->train_until(163);  // mid-epoch, between batches
    sim::StateWriter out;
    whole->save_state(out);

    // With an output (weight frames split batches, as in the whole run).
    MemoryOutput resumed_out;
    auto resumed = make(&resumed_out);
    sim::StateReader in(out.bytes(), "test");
    resumed->load_state(in);
    in.expect_end();
    CHECK(resumed->examples_seen() == 163);
    for (auto* t : {whole.get(), resumed.get()}) {
        t->train_until(250);
        t->evaluate_and_record();
    }
    for (std::size_t l = 0; l < whole->network().n_layers(); ++l) {
        CHECK((resumed->network().weights(l) == whole->network().weights(l)));
        CHECK((resumed->network().biases(l) == whole->network().biases(l)));
    }
    CHECK(resumed->last_evaluation()->loss == whole->last_evaluation()->loss);
    CHECK((resumed->last_evaluation()->confusion.counts() ==
           whole->last_evaluation()->confusion.counts()));
    REQUIRE(whole->last_budget_points().size() == 2);
    for (std::size_t b = 0; b < 2; ++b) {
        CHECK(resumed->last_budget_points()[b].loss == whole->last_budget_points()[b].loss);
    }
    CHECK(resumed->parameter_updates() == whole->parameter_updates());
}

TEST_CASE("checkpoint: an STDP trainer continued from its saved state trains on bit for bit",
          "[checkpoint][integration][slow]") {
    const auto& task = small_bars();
    sim::train::DiehlCook2015Params params;
    params.n_exc = 8;
    sim::train::SpikingNetworkSpec section;
    section.name = "dc";
    const auto spec = sim::train::diehl_cook_2015_learner(
        params, static_cast<std::uint32_t>(task.train.n_inputs()), 3, section);
    const sim::train::TrainingSchedule schedule{.examples = 12, .evaluate_at = {4}};
    const sim::task::ExampleStream stream(task.train.size(), 3, true);
    const auto make = [&] {
        return std::make_unique<sim::train::StdpTrainer>(spec, task.train, task.test, stream,
                                                         schedule, 3, nullptr, nullptr);
    };
    auto whole = make();
    whole->train_until(4);
    REQUIRE(whole->evaluate_and_record() != nullptr);
    whole->train_until(7);
    sim::StateWriter out;
    whole->save_state(out);
    auto resumed = make();
    sim::StateReader in(out.bytes(), "test");
    resumed->load_state(in);
    in.expect_end();
    REQUIRE(resumed->last_evaluation() != nullptr);
    CHECK(resumed->last_evaluation()->accuracy == whole->last_evaluation()->accuracy);
    for (auto* t : {whole.get(), resumed.get()}) {
        t->train_until(12);
        REQUIRE(t->evaluate_and_record() != nullptr);
    }
    CHECK((network_observables(resumed->network()) == network_observables(whole->network())));
    CHECK(resumed->training_work().presentations == whole->training_work().presentations);
    CHECK(resumed->training_work().synaptic_events == whole->training_work().synaptic_events);
    CHECK(resumed->last_evaluation()->accuracy == whole->last_evaluation()->accuracy);
    CHECK((resumed->last_evaluation()->confusion.counts() ==
           whole->last_evaluation()->confusion.counts()));
}

namespace {

// An output as the run file holds it: what a checkpoint cut back to looks like.
bool same_output(const MemoryOutput& a, const MemoryOutput& b) {
    bool same = a.series == b.series && a.frames == b.frames && a.matrices == b.matrices;
    for (const auto& [name, spikes] : a.spikes) {
        same = same && b.spikes.count(name) == 1 && b.spikes.at(name).times == spikes.times &&
               b.spikes.at(name).nodes == spikes.nodes;
    }
    for (const auto& [path, value] : a.scalars) {
        if (path.ends_with("_seconds")) continue;
        same = same && b.scalars.count(path) == 1 && b.scalars.at(path) == value;
    }
    return same && a.spikes.size() == b.spikes.size() && a.scalars.size() == b.scalars.size();
}

std::vector<std::string> report_names(const MemoryOutput& out) {
    std::vector<std::string> names;
    for (const auto& layout : out.layouts) names.push_back(layout.name);
    return names;
}

// Runs the experiment whole, keeping the output as it was at its k-th checkpoint and the state
// then; resumes a new experiment from them; both outputs must end the same.
void check_resume(const sim::train::ExperimentSpec& spec, std::uint64_t k) {
    sim::train::ExperimentObserver never_stop;
    MemoryOutput whole_out;
    MemoryOutput at_checkpoint;
    std::string state;
    std::uint64_t taken = 0;
    sim::train::Experiment whole(spec);
    whole.run({.reports = whole_out,
               .metrics = whole_out,
               .checkpoint =
                   [&](const std::string& s) {
                       if (++taken == k) {
                           state = s;
                           at_checkpoint = whole_out;
                       }
                   },
               .checkpoint_interval_s = 0.0},
              never_stop);
    INFO("checkpoint " << k << " of " << taken);
    REQUIRE(taken >= k);
    REQUIRE(!state.empty());

    sim::train::Experiment resumed(spec);
    MemoryOutput resumed_out = at_checkpoint;
    resumed.restore(state, "test", report_names(at_checkpoint));
    CHECK(resumed_out.series == at_checkpoint.series);  // restoring writes nothing
    CHECK(resumed_out.frames == at_checkpoint.frames);
    const auto outcome = resumed.run({.reports = resumed_out, .metrics = resumed_out}, never_stop);
    CHECK(outcome == sim::train::Outcome::completed);
    CHECK(resumed.points() == whole.points());
    CHECK(resumed.accuracy() == whole.accuracy());
    CHECK(resumed.budget_accuracy() == whole.budget_accuracy());
    CHECK(same_output(resumed_out, whole_out));
    // No report or spike group was added twice.
    CHECK(resumed_out.layouts.size() == whole_out.layouts.size());
}

}  // namespace

TEST_CASE("checkpoint: an experiment resumed from a checkpoint ends as the uninterrupted one",
          "[checkpoint][integration]") {
    SECTION("a free-running network with spike, weight and state recording") {
        sim::train::ExperimentSpec spec{
            .network = scenario_network("stdp_song2000.toml", {}),
            .duration_ms = 1000.0,
            .record = {
                .spikes = {"neuron", "input"},
                .weights = {{.name = "w", .projection = "input_neuron", .every_ms = 50.0}},
                .states = {
                    {.name = "v", .population = "neuron", .variable = "V_m", .every_ms = 1.0}}}};
        // Checkpoints at steps 1024, 2048, ... of 10000.
        const std::uint64_t k = GENERATE(1, 5, 9);
        check_resume(spec, k);
    }
    SECTION("rate networks with label budgets, mid-schedule") {
        sim::train::RateNetworkSpec mlp{.name = "mlp", .batch_size = 16};
        mlp.network.hidden = {6};
        sim::train::RateNetworkSpec logreg{.name = "logreg", .batch_size = 10};
        logreg.network.hidden = {};
        const sim::train::ExperimentSpec spec{
            .task = &small_bars(), .rate = {mlp, logreg}, .schedule = budget_schedule(), .seed = 9};
        // Before every batch: mlp's first, mlp's at point 100, logreg's last ones.
        const std::uint64_t k = GENERATE(1, 4, 20, 40);
        check_resume(spec, k);
    }
}

TEST_CASE("checkpoint: an experiment refuses the state of another experiment",
          "[checkpoint][integration]") {
    sim::train::RateNetworkSpec mlp{.name = "mlp", .batch_size = 16};
    mlp.network.hidden = {6};
    sim::train::ExperimentSpec spec{
        .task = &small_bars(), .rate = {mlp}, .schedule = budget_schedule(), .seed = 9};
    std::string state;
    MemoryOutput out;
    sim::train::ExperimentObserver never_stop;
    sim::train::Experiment(spec).run({.reports = out,
                                      .metrics = out,
                                      .checkpoint = [&](const std::string& s) { state = s; },
                                      .checkpoint_interval_s = 0.0},
                                     never_stop);
    REQUIRE(!state.empty());
    auto other = spec;
    other.rate[0].network.hidden = {7};
    sim::train::Experiment experiment(other);
    CHECK_THROWS_AS(experiment.restore(state, "ckpt", report_names(out)), DataError);
}

TEST_CASE("checkpoint files: written atomically, read back, damage and foreign files refused",
          "[checkpoint][integration]") {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("spikerate_checkpoint_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto path = dir / "run.h5.checkpoint";
    const sim::CheckpointHeader header{.spikerate_version = "1.2.3",
                                       .machine = sim::machine_description(),
                                       .scenario = "[run]\nseed = 1\n",
                                       .seed = 1,
                                       .output = "run.h5"};
    std::string state(100000, '\0');
    for (std::size_t i = 0; i < state.size(); ++i) state[i] = static_cast<char>(i * 31 % 251);
    sim::write_checkpoint(path, header, state);
    // Nothing left beside it: the temporary file was renamed.
    CHECK(std::distance(std::filesystem::directory_iterator(dir),
                        std::filesystem::directory_iterator()) == 1);
    // A file of the user's named like a temporary one is never touched.
    std::ofstream(dir / "run.h5.checkpoint.tmp") << "mine";
    const auto read = sim::read_checkpoint(path);
    CHECK(read.header.spikerate_version == "1.2.3");
    CHECK(read.header.scenario == header.scenario);
    CHECK(read.header.output == "run.h5");
    CHECK(read.state == state);

    // A second checkpoint replaces the first whole.
    sim::write_checkpoint(path, header, "short");
    CHECK(sim::read_checkpoint(path).state == "short");
    sim::write_checkpoint(path, header, state);

    std::string bytes;
    {
        std::ifstream in(path, std::ios::binary);
        bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    const auto write_bytes = [&](const std::string& b) {
        std::ofstream(path, std::ios::binary | std::ios::trunc) << b;
    };
    SECTION("truncated") {
        write_bytes(bytes.substr(0, bytes.size() - 1000));
        CHECK_THROWS_WITH(sim::read_checkpoint(path),
                          Catch::Contains(path.string()) && Catch::Contains("truncated"));
    }
    SECTION("one byte changed") {
        bytes[bytes.size() / 2] ^= 0x10;
        write_bytes(bytes);
        CHECK_THROWS_WITH(sim::read_checkpoint(path), Catch::Contains("checksum"));
    }
    SECTION("not a checkpoint") {
        write_bytes("[run]\nseed = 1\n");
        CHECK_THROWS_WITH(sim::read_checkpoint(path),
                          Catch::Contains("not a spikerate checkpoint"));
    }
    SECTION("missing, or a directory") {
        CHECK_THROWS_AS(sim::read_checkpoint(dir / "none"), DataError);
        CHECK_THROWS_AS(sim::read_checkpoint(dir), DataError);
    }
    SECTION("a directory that cannot be written: IoError, the old checkpoint intact") {
        CHECK_THROWS_AS(sim::write_checkpoint(dir / "no" / "such" / "ckpt", header, state),
                        IoError);
        CHECK(sim::read_checkpoint(path).state == state);
    }
    {
        std::ifstream mine(dir / "run.h5.checkpoint.tmp");
        std::string text;
        mine >> text;
        CHECK(text == "mine");
    }
    std::filesystem::remove_all(dir);
}

TEST_CASE("checkpoint: a modulator's pending rewards and pairing state survive a checkpoint",
          "[checkpoint][integration][modulator][slow]") {
    // The distal reward network with a 2 s pairing window: most spikes of n2 pair, each
    // rewarded 1-3 s later, so rewards are pending at the break.
    const auto spec = scenario_network("izhikevich_2007_distal_reward.toml",
                                       {"modulators.dopamine.window_ms=2000.0"});
    constexpr std::int64_t first = 6000, second = 6000;  // steps of 1 ms
    check_continues_exactly(spec, first, second);

    sim::Network whole(spec);
    for (std::int64_t k = 0; k < first + second; ++k) whole.step();
    sim::Network before(spec);
    for (std::int64_t k = 0; k < first; ++k) before.step();
    const auto& pending = *before.modulators().at(0);
    REQUIRE(pending.pairings() > pending.events_delivered());  // rewards pending at the break
    sim::StateWriter out;
    before.save_state(out);
    sim::Network after(spec);
    sim::StateReader in(out.bytes(), "test");
    after.load_state(in);
    for (std::int64_t k = 0; k < second; ++k) after.step();
    const auto resumed = after.modulators().at(0)->event_times_ms();
    const auto expected = whole.modulators().at(0)->event_times_ms();
    CHECK(std::vector<double>(resumed.begin(), resumed.end()) ==
          std::vector<double>(expected.begin(), expected.end()));
    CHECK(expected.size() > pending.events_delivered());
}
