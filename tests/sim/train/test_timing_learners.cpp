// Both paradigms on classes that differ only in spike timing (task/timing_classes.hpp): the
// spiking learner plays an example's spikes as they are (encoder = "spike_pattern"), rate
// learners are handed counts or time bins (input = "counts" / "bins"), and the shipped
// data/scenarios/timing_classes.toml learns with spikes and bins while counts stay at chance.

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "models/error.hpp"
#include "sim/io/scenario.hpp"
#include "sim/task/synthetic.hpp"
#include "sim/task/task_spec.hpp"
#include "sim/train/experiment.hpp"
#include "tests/sim/memory_output.hpp"
#include "tests/statistical_tolerance.hpp"

namespace {

namespace tl_io = spikerate::sim::io;
namespace tl_task = spikerate::sim::task;
namespace tl_train = spikerate::sim::train;

const std::filesystem::path timing_scenario =
    std::filesystem::path(__FILE__).parent_path().parent_path().parent_path().parent_path() /
    "data" / "scenarios" / "timing_classes.toml";

// A relay: input afferent i drives readout neuron i through one strong, brief synapse (gone
// within the refractory period), so every input spike makes one readout spike right after it. One
// spike per afferent at most (no background), so the readout's counts are the pattern's counts per
// afferent.
const char* relay_scenario = R"(
[run]
seed = 4
[task]
dataset = "timing_classes"
[task.timing_classes]
n_classes = 2
n_afferents = 10
duration_ms = 30.0
jitter_ms = 1.0
deletion = 0.3
background_Hz = 0.0
train_examples = 6
test_examples = 4
[training]
examples = 6
[spiking.relay]
input = "in"
readout_population = "out"
learned_projection = ""
adaptation_variable = ""
encoder = "spike_pattern"
dt_ms = 0.1
presentation_ms = 30.0
rest_ms = 10.0
spike_windows = [0, 1]
[spiking.relay.populations.in]
model = "spike_train"
size = 10
times_ms = []
node_ids = []
[spiking.relay.populations.out]
model = "lif_cond"
size = 10
tau_syn_e_ms = 0.1
t_ref_ms = 2.0
[spiking.relay.projections.relay]
pre = "in"
post = "out"
connection = "one_to_one"
weight_nS = 2000.0
delay_ms = 0.1
)";

}  // namespace

TEST_CASE("spike_pattern encoder: the spiking learner plays an example's spikes as they are",
          "[spiking][integration]") {
    const tl_io::Scenario scenario = tl_io::parse_scenario(relay_scenario, "relay.toml");
    const auto& spec = scenario.spiking_networks.at(0);
    const std::uint64_t seed = scenario.network.seed;
    const tl_task::Task task = tl_task::load_task(*scenario.task, seed);
    const tl_task::ExampleStream stream(task.train.size(), seed, true);
    spikerate::testing::MemoryOutput out;
    tl_train::StdpTrainer trainer(spec, task.train, task.test, stream, scenario.training, seed,
                                  &out, &out);
    trainer.train_until(1);
    // The first training example: every readout spike follows its afferent's spike by the
    // delay and at most two steps of integration.
    const auto& patterns = task.train.spike_patterns;
    const std::size_t first = tl_task::ExampleStream(task.train.size(), seed, true).index(0);
    const auto times = patterns.times_of(first);
    const auto afferents = patterns.afferents_of(first);
    const auto& recorded = out.spikes.at("relay_out");
    REQUIRE(recorded.times.size() == times.size());
    REQUIRE(times.size() > 3);
    for (std::size_t s = 0; s < times.size(); ++s) {
        INFO("spike " << s);
        CHECK(recorded.nodes[s] == afferents[s]);
        CHECK(recorded.times[s] >= times[s] + 0.1 - 1e-9);
        CHECK(recorded.times[s] <= times[s] + 0.1 + 0.2 + 1e-9);
    }
    // Every test example: the readout's counts are the pattern's counts per afferent.
    tl_train::SpikingWork work;
    const auto counts = trainer.frozen_responses(task.test, task.test.size(), "test", work);
    const Eigen::MatrixXf expected = tl_task::binned_counts(task.test.spike_patterns, 1);
    for (std::size_t j = 0; j < task.test.size(); ++j) {
        for (std::size_t i = 0; i < 10; ++i) {
            CHECK(counts[j * 10 + i] == static_cast<std::uint32_t>(expected(i, j)));
        }
    }

    // Refused: a task without spike patterns, a presentation shorter than the patterns.
    const tl_task::Task clusters = tl_task::make_gaussian_clusters(
        {.n_classes = 2, .n_inputs = 10, .train_examples = 2, .test_examples = 2}, 1);
    try {
        tl_train::StdpTrainer::check_fits(spec, clusters.train);
        FAIL("a task without spike patterns was accepted");
    } catch (const spikerate::ParamError& e) {
        CHECK(e.key() == "encoder");
    }
    auto short_spec = spec;
    short_spec.presentation_ms = 20.0;
    try {
        tl_train::StdpTrainer::check_fits(short_spec, task.train);
        FAIL("a presentation shorter than the patterns was accepted");
    } catch (const spikerate::ParamError& e) {
        CHECK(e.key() == "presentation_ms");
    }
}

TEST_CASE(
    "timing_classes.toml: the STDP network and binned rate networks learn the classes, counts "
    "stay at chance",
    "[experiment][integration][slow]") {
    const tl_io::Scenario scenario = tl_io::load_scenario(timing_scenario);
    const std::uint64_t seed = scenario.network.seed;
    const tl_task::Task task = tl_task::load_task(*scenario.task, seed);
    tl_train::Experiment experiment({.task = &task,
                                     .shuffle = scenario.task->shuffle,
                                     .spiking = scenario.spiking_networks,
                                     .rate = scenario.rate_networks,
                                     .schedule = scenario.training,
                                     .seed = seed});
    spikerate::testing::MemoryOutput out;
    tl_train::ExperimentObserver observer;
    REQUIRE(experiment.run({.reports = out, .metrics = out}, observer) ==
            tl_train::Outcome::completed);

    const double chance = 1.0 / static_cast<double>(task.train.n_classes);
    const double n_test = static_cast<double>(task.test.size());
    const double sd = std::sqrt(chance * (1.0 - chance) / n_test);  // binomial, at chance
    const auto accuracy = [&](const std::string& path) { return out.scalars.at(path); };
    for (const char* counts :
         {"rate/logreg_counts/test_accuracy", "rate/mlp_counts/test_accuracy"}) {
        INFO(counts << " = " << accuracy(counts));
        CHECK(std::abs(accuracy(counts) - chance) < spikerate::testing::n_sd * sd);
    }
    for (const char* learns : {"spiking/stdp/test_accuracy", "spiking/stdp_linear/test_accuracy",
                               "spiking/stdp_reward/test_accuracy", "rate/mlp_bin05/test_accuracy",
                               "rate/logreg_bin05/test_accuracy"}) {
        INFO(learns << " = " << accuracy(learns));
        CHECK(accuracy(learns) > chance + spikerate::testing::n_sd * sd);
    }
    // stdp, stdp_linear and stdp_reward share their STDP layer (same names, seed and stream;
    // nothing feeds back into it): the same training work for the first two, more for the third
    // (its output layer). The reward readout's labels are its rewards.
    for (const char* op : {"synaptic_events", "neuron_updates", "plasticity_updates"}) {
        const std::string leaf = std::string("/operations/training/") + op;
        CHECK(out.scalars.at("spiking/stdp" + leaf) ==
              out.scalars.at("spiking/stdp_linear" + leaf));
        CHECK(out.scalars.at("spiking/stdp_reward" + leaf) > out.scalars.at("spiking/stdp" + leaf));
    }
    CHECK(out.scalars.at("spiking/stdp_reward/reward/delivered") +
              out.scalars.at("spiking/stdp_reward/reward/undecided") ==
          static_cast<double>(task.train.size()));
    // Each rate network's work follows its input: 50 afferents x 50 ms / bin inputs.
    CHECK(out.scalars.at("rate/mlp_bin01/input/n_inputs") == 2500);
    CHECK(out.scalars.at("rate/mlp_bin01/input/bin_width") == 1.0);
    CHECK(out.scalars.at("rate/mlp_counts/input/bin_width") == 50.0);
    CHECK(out.scalars.at("rate/mlp_bin05/operations/forward_macs_per_example") ==
          500 * 50 + 50 * 4);
    CHECK(out.scalars.at("rate/logreg_bin02/operations/forward_macs_per_example") == 1250 * 4);
}

TEST_CASE("input views that do not fit the task are errors at the scenario's key",
          "[scenario][unit]") {
    const auto error_at = [](const std::string& text) {
        const tl_io::Scenario scenario = tl_io::parse_scenario(text, "views.toml");
        const tl_task::Task task = tl_task::load_task(*scenario.task, 1);
        try {
            tl_train::check_fits(scenario.rate_networks.at(0), task.train);
        } catch (const spikerate::ParamError& e) {
            return std::string(tl_io::locate(scenario, e).what());
        }
        return std::string("(no error)");
    };
    CHECK_THAT(error_at(R"([task]
dataset = "timing_classes"
[rate.mlp]
input = "bins"
input_bin_ms = 3.0
)"),
               Catch::Matchers::Contains("views.toml:5: rate.mlp.input_bin_ms") &&
                   Catch::Matchers::Contains("must divide the task's window of 50 ms"));
    CHECK_THAT(error_at(R"([task]
dataset = "xor"
[rate.mlp]
input = "counts"
)"),
               Catch::Matchers::Contains("views.toml:4: rate.mlp.input") &&
                   Catch::Matchers::Contains("no spike patterns"));
}
