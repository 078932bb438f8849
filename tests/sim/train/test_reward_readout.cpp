// The reward-trained readout (readout = "reward", Mozafari et al. 2018 on the project's
// reward_stdp): the winner's decision rule, the sign of the reward (+ when the winner's class is
// the example's, - when not, none without a winner), every reward counted as a label read, the
// modulator updates counted and priced, a tiny separable task learned above chance, and the
// linear readout's MACs counted on the same footing as a rate network's.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "models/error.hpp"
#include "sim/checkpoint.hpp"
#include "sim/io/scenario.hpp"
#include "sim/task/example_stream.hpp"
#include "sim/task/task_spec.hpp"
#include "sim/train/energy.hpp"
#include "sim/train/stdp_trainer.hpp"
#include "tests/sim/memory_output.hpp"
#include "tests/statistical_tolerance.hpp"

namespace {

namespace rr_io = spikerate::sim::io;
namespace rr_task = spikerate::sim::task;
namespace rr_train = spikerate::sim::train;

// Two classes of spike patterns (no background), an input afferent per spike train, and two
// output neurons (one per class) behind a plastic reward_stdp projection whose weights the tests
// set: a relay (tau_syn 0.1 ms, 2000 nS) makes every input spike fire a driven output neuron.
const char* rr_relay_scenario = R"(
[run]
seed = 7
[task]
dataset = "timing_classes"
[task.timing_classes]
n_classes = 2
n_afferents = 6
duration_ms = 20.0
jitter_ms = 1.0
deletion = 0.0
background_Hz = 0.0
train_examples = 12
test_examples = 6
[training]
examples = 12
labels = "seen"
[spiking.r]
input = "in"
readout_population = "out"
learned_projection = ""
adaptation_variable = ""
encoder = "spike_pattern"
dt_ms = 0.1
presentation_ms = 20.0
rest_ms = 20.0
readout = "reward"
reward_projections = ["in->out"]
reward_amount_per_ms = 0.1
[spiking.r.populations.in]
model = "spike_train"
size = 6
times_ms = []
node_ids = []
[spiking.r.populations.out]
model = "lif_cond"
size = 2
integration = "exponential_euler"
tau_syn_e_ms = 0.1
t_ref_ms = 0.5
[spiking.r.projections."in->out"]
pre = "in"
post = "out"
weight_nS = 0.0
delay_ms = 0.1
plasticity = { rule = "reward_stdp", A_plus = 1.0, A_minus = 0.0, tau_c_ms = 20.0, tau_n_ms = 2.0, w_max = 1e5 }
)";

struct RelayRun {
    rr_io::Scenario scenario;
    rr_task::Task task;
    rr_task::ExampleStream stream;
    explicit RelayRun(const std::string& text)
        : scenario(rr_io::parse_scenario(text, "relay.toml")),
          task(rr_task::load_task(*scenario.task, scenario.network.seed)),
          stream(task.train.size(), scenario.network.seed, true) {}
    rr_train::StdpTrainer trainer(spikerate::testing::MemoryOutput* out = nullptr) const {
        return rr_train::StdpTrainer(scenario.spiking_networks.at(0), task.train, task.test, stream,
                                     scenario.training, scenario.network.seed, out, out);
    }
};

// The weights onto output neuron `post` (dense storage: synapse i * n_post + post) as they are
// now: reward_stdp applies a reward's change at each synapse's next event, so the stored weights
// lag; copy_weights_at integrates what is pending.
double weight_sum_onto(const rr_train::StdpTrainer& trainer, std::size_t post) {
    const auto& net = trainer.network();
    const auto& proj = net.projection("in->out");
    std::vector<double> w(proj.n_synapses());
    proj.copy_weights_at(w, net.grid().time(net.steps_done()));
    double sum = 0.0;
    for (std::size_t i = post; i < w.size(); i += 2) sum += w[i];
    return sum;
}

// Output neuron 0 driven by every input (strongly), neuron 1 by none.
void drive_only_neuron_0(rr_train::StdpTrainer& trainer) {
    auto& proj = trainer.network().projection("in->out");
    std::vector<double> w(proj.n_synapses(), 0.0);
    for (std::size_t i = 0; i < w.size(); i += 2) w[i] = 2000.0;
    proj.set_weights(w);
}

// Bars on a 3 x 3 grid (6 classes: a row or a column lit), rate-coded, straight into 12 output
// neurons (2 per class) behind reward_stdp, with lateral inhibition; Mozafari's balance
// (reward_window) keeps the early punishments (5 wrong classes of 6) from silencing the output.
const char* rr_bars_scenario = R"(
[run]
seed = 3
[task]
dataset = "bars"
[task.bars]
grid = 3
train_examples = 300
test_examples = 120
noise = 0.1
[training]
examples = 300
[spiking.r]
input = "in"
readout_population = "out"
learned_projection = ""
adaptation_variable = ""
encoder = "poisson_rate"
input_rate_step_Hz = 200.0
start_intensity = 1
dt_ms = 0.5
presentation_ms = 40.0
rest_ms = 20.0
readout = "reward"
reward_projections = ["in->out"]
reward_amount_per_ms = 0.5
reward_window = 20
[spiking.r.populations.in]
model = "poisson"
size = 9
[spiking.r.populations.out]
model = "lif_cond"
size = 12
integration = "exponential_euler"
[spiking.r.projections."in->out"]
pre = "in"
post = "out"
weight_nS = { uniform = [2.0, 4.0] }
delay_ms = 0.5
plasticity = { rule = "reward_stdp", A_plus = 1.0, A_minus = 0.5, tau_c_ms = 20.0, tau_n_ms = 2.0, w_max = 8.0 }
[spiking.r.projections."out->out"]
pre = "out"
post = "out"
connection = { rule = "all_to_all", allow_autapses = false }
receptor = "inhibitory"
weight_nS = 50.0
delay_ms = 0.5
)";

// `text` with its first `from` replaced by `to`.
std::string rr_replaced(std::string text, const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("reward readout: the winner is the first neuron to fire, or the one that fired most",
          "[reward_readout][unit]") {
    using rr_train::RewardDecision;
    const std::vector<std::uint32_t> counts{0, 3, 1, 3};
    const std::vector<std::int64_t> first{-1, 40, 12, 25};
    CHECK(rr_train::reward_winner(counts, first, RewardDecision::first_spike) == 2u);
    CHECK(rr_train::reward_winner(counts, first, RewardDecision::most_spikes) == 3u);
    // Ties: first_spike by the most spikes, most_spikes by the earliest spike, then the lowest.
    const std::vector<std::uint32_t> tied{2, 1, 2, 2};
    const std::vector<std::int64_t> same{5, 5, 9, 5};
    CHECK(rr_train::reward_winner(tied, same, RewardDecision::first_spike) == 0u);
    CHECK(rr_train::reward_winner(tied, same, RewardDecision::most_spikes) == 0u);
    const std::vector<std::int64_t> later{7, 5, 6, 6};
    CHECK(rr_train::reward_winner(tied, later, RewardDecision::most_spikes) == 2u);
    // Silence: no winner, no decision.
    const std::vector<std::uint32_t> none(4, 0);
    const std::vector<std::int64_t> never(4, -1);
    CHECK_FALSE(rr_train::reward_winner(none, never, RewardDecision::first_spike).has_value());
    // 3 classes x 2 neurons: neuron j stands for class j / 2.
    std::vector<std::uint32_t> classes;
    for (std::size_t j = 0; j < 6; ++j) classes.push_back(rr_train::reward_class_of(j, 6, 3));
    CHECK(classes == std::vector<std::uint32_t>{0, 0, 1, 1, 2, 2});
}

TEST_CASE(
    "reward readout: +reward when the winner's class is right, -reward when wrong, each a "
    "label read",
    "[reward_readout][integration]") {
    RelayRun run(rr_relay_scenario);
    auto trainer = run.trainer();
    drive_only_neuron_0(trainer);  // neuron 0 (class 0) wins every example
    std::vector<std::size_t> read;
    trainer.label_reader().set_observer([&](std::size_t index) { read.push_back(index); });
    std::uint64_t class_0 = 0;
    for (std::uint64_t k = 0; k < run.task.train.size(); ++k) {
        const std::size_t index = run.stream.index(k);
        const bool right = run.task.train.labels[index] == 0;
        class_0 += right ? 1 : 0;
        const double w0 = weight_sum_onto(trainer, 0);
        const double w1 = weight_sum_onto(trainer, 1);
        trainer.train_until(k + 1);
        INFO("example " << k << " of class " << run.task.train.labels[index]);
        // Neuron 0's synapses were eligible (pre before post): the reward moves them its way.
        if (right) {
            CHECK(weight_sum_onto(trainer, 0) > w0);
        } else {
            CHECK(weight_sum_onto(trainer, 0) < w0);
        }
        CHECK(weight_sum_onto(trainer, 1) == w1);  // silent neuron: no eligibility
        // The label of the example just seen, once, through the reward.
        REQUIRE(read.size() == k + 1);
        CHECK(read.back() == index);
    }
    REQUIRE(class_0 > 0);
    REQUIRE(class_0 < run.task.train.size());  // both signs seen
    const auto& rewards = trainer.rewards();
    CHECK(rewards.delivered == run.task.train.size());
    CHECK(rewards.positive == class_0);
    CHECK(rewards.undecided == 0);
    // Every reward reached every synapse: counted apart as modulator updates, and priced.
    const auto& work = trainer.training_work();
    const std::uint64_t synapses = trainer.network().projection("in->out").n_synapses();
    REQUIRE(work.projection_modulator_updates.size() == 1);
    CHECK(work.projection_modulator_updates[0] == synapses * rewards.delivered);
    const auto lines = rr_train::energy_lines(trainer.spec(), work);
    const auto modulator = std::find_if(lines.begin(), lines.end(), [](const auto& line) {
        return line.cost.id == "plasticity_modulator";
    });
    REQUIRE(modulator != lines.end());
    CHECK(modulator->count_per_example == Approx(static_cast<double>(synapses * rewards.delivered) /
                                                 static_cast<double>(run.task.train.size())));
    // The test: neuron 0 wins every example, no labelling phase, the rewards are the labels.
    const auto* point = trainer.evaluate_and_record();
    REQUIRE(point != nullptr);
    CHECK(point->labels_used == rewards.delivered);
    CHECK(point->assignment_work.examples == 0);
    CHECK(point->unclassified == 0);
    const auto test_0 = std::count(run.task.test.labels.begin(), run.task.test.labels.end(), 0u);
    CHECK(point->accuracy ==
          Approx(static_cast<double>(test_0) / static_cast<double>(run.task.test.size())));
}

TEST_CASE("reward readout: no output spike, no decision, no reward and no label read",
          "[reward_readout][integration]") {
    RelayRun run(rr_relay_scenario);
    auto trainer = run.trainer();  // every weight 0: the output stays silent
    std::size_t read = 0;
    trainer.label_reader().set_observer([&](std::size_t) { ++read; });
    trainer.train_until(run.task.train.size());
    CHECK(read == 0);
    CHECK(trainer.rewards().delivered == 0);
    CHECK(trainer.rewards().undecided == run.task.train.size());
    CHECK(trainer.training_work().projection_modulator_updates.at(0) == 0);
    const auto* point = trainer.evaluate_and_record();
    REQUIRE(point != nullptr);
    CHECK(point->labels_used == 0);
    CHECK(point->unclassified == run.task.test.size());
    CHECK(point->accuracy == 0.0);
}

TEST_CASE(
    "reward readout: Mozafari's balance scales the reward by the misses and the punishment "
    "by the hits",
    "[reward_readout][integration]") {
    // With a window, the first decision's reward is halved (h = 0.5 before any decision); after
    // it a lone right decision (h = 1) earns nothing, a lone wrong one (h = 0) costs nothing.
    RelayRun run(rr_replaced(rr_relay_scenario, "reward_amount_per_ms = 0.1",
                             "reward_amount_per_ms = 0.1\nreward_window = 1"));
    auto trainer = run.trainer();
    drive_only_neuron_0(trainer);
    trainer.train_until(1);
    const double first = weight_sum_onto(trainer, 0);
    CHECK(first != 2000.0 * 6);  // h = 0.5: moved
    bool previous_right = run.task.train.labels[run.stream.index(0)] == 0;
    bool unmoved_seen = false;
    for (std::uint64_t k = 1; k < run.task.train.size(); ++k) {
        const bool right = run.task.train.labels[run.stream.index(k)] == 0;
        const double before = weight_sum_onto(trainer, 0);
        trainer.train_until(k + 1);
        // Window of one: h is the last decision (1 right, 0 wrong). Right after right, or wrong
        // after wrong: the event's value is 0 and the weights stay.
        if (right == previous_right) {
            // (up to what the previous reward's concentration, e^-10 of it after the rest,
            // does with this example's eligibility: about 1e-4 nS; a reward moves about 1 nS)
            CHECK(weight_sum_onto(trainer, 0) == Approx(before).margin(1e-2));
            unmoved_seen = true;
        } else {
            CHECK(std::abs(weight_sum_onto(trainer, 0) - before) > 0.1);
        }
        previous_right = right;
    }
    CHECK(unmoved_seen);
    CHECK(trainer.rewards().delivered == run.task.train.size());  // a zero reward is still a label
}

TEST_CASE(
    "reward readout: a checkpoint carries the rewards, the balance and the pending "
    "reward over, bit for bit",
    "[reward_readout][checkpoint][integration]") {
    // (A spike_train input cannot resume after it played an example: the poisson bars.)
    RelayRun run(rr_replaced(rr_bars_scenario, "examples = 300", "examples = 40"));
    auto whole = run.trainer();
    whole.train_until(20);
    spikerate::sim::StateWriter out;
    whole.save_state(out);
    auto resumed = run.trainer();
    spikerate::sim::StateReader in(out.bytes(), "test");
    resumed.load_state(in);
    whole.train_until(40);
    resumed.train_until(40);
    REQUIRE(whole.rewards().delivered > 20);
    CHECK(resumed.rewards().delivered == whole.rewards().delivered);
    CHECK(resumed.rewards().positive == whole.rewards().positive);
    CHECK(resumed.rewards().recent == whole.rewards().recent);
    CHECK(resumed.network().projection("in->out").weights() ==
          whole.network().projection("in->out").weights());
    CHECK(resumed.rewards().recent.size() == 20);
    CHECK(resumed.training_work().projection_modulator_updates ==
          whole.training_work().projection_modulator_updates);
}

TEST_CASE("reward readout: a tiny separable task is learnt above chance from rewards alone",
          "[reward_readout][integration]") {
    // rr_bars_scenario: 6 classes, chance is 1/6.
    RelayRun run(rr_bars_scenario);
    auto trainer = run.trainer();
    trainer.train_until(run.task.train.size());
    const auto* point = trainer.evaluate_and_record();
    REQUIRE(point != nullptr);
    // Above chance by spikerate::testing::n_sd standard errors of a chance-level score over the
    // test examples (a network that learnt nothing passes about once in 1.7 million seeds).
    const double chance = 1.0 / 6.0;
    const double n = static_cast<double>(run.task.test.size());
    const double threshold =
        chance + spikerate::testing::n_sd * std::sqrt(chance * (1 - chance) / n);
    INFO("accuracy " << point->accuracy << ", threshold " << threshold);
    CHECK(point->accuracy > threshold);
    CHECK(point->labels_used == trainer.rewards().delivered);
    CHECK(trainer.rewards().delivered + trainer.rewards().undecided == run.task.train.size());
}

TEST_CASE(
    "linear readout: its fit and its test count MACs and parameter updates as a rate "
    "network's",
    "[reward_readout][integration]") {
    const std::string text =
        rr_replaced(rr_replaced(rr_relay_scenario, "readout = \"reward\"",
                                "readout = \"linear\"\nlinear_epochs = 7"),
                    "reward_projections = [\"in->out\"]\nreward_amount_per_ms = 0.1",
                    "assignment_examples = 0");
    RelayRun run(text);
    auto trainer = run.trainer();
    drive_only_neuron_0(trainer);
    trainer.train_until(5);
    const auto* point = trainer.evaluate_and_record();
    REQUIRE(point != nullptr);
    REQUIRE(point->labels_used == 5);
    const std::uint64_t params = 2 * (2 + 1);  // classes x (neurons + bias)
    CHECK(point->assignment_work.readout_macs_forward == 7 * 5 * params);
    CHECK(point->assignment_work.readout_macs_backward == 7 * 5 * params);
    CHECK(point->assignment_work.readout_weight_updates == 7 * params);
    CHECK(point->test_work.readout_macs_forward == run.task.test.size() * params);
    const auto lines = rr_train::energy_lines(trainer.spec(), point->assignment_work);
    const auto mac = std::find_if(lines.begin(), lines.end(),
                                  [](const auto& line) { return line.cost.id == "mac_forward"; });
    REQUIRE(mac != lines.end());
    CHECK(mac->count_per_example == Approx(7.0 * params));  // per labelled example
}

TEST_CASE("energy: reward_stdp's and triplet_stdp's updates are priced from their code",
          "[reward_readout][energy][unit]") {
    using rr_train::OpCounts;
    // reward_stdp: the catch-up of c and n (advance) is 8 adds, 8 multiplies, 2 divisions and 2
    // exps; each update adds its own part (energy.cpp).
    CHECK(rr_train::plasticity_pre_cost("reward_stdp").ops ==
          OpCounts{.adds = 14, .multiplies = 9, .divisions = 3, .exps = 3});
    CHECK(rr_train::plasticity_post_cost("reward_stdp").ops ==
          OpCounts{.adds = 13, .multiplies = 10, .divisions = 3, .exps = 3});
    CHECK(rr_train::plasticity_post_term_cost("reward_stdp").ops ==
          OpCounts{.adds = 1, .multiplies = 2, .divisions = 1, .exps = 1});
    const auto modulator = rr_train::plasticity_modulator_cost("reward_stdp");
    CHECK(modulator.id == "plasticity_modulator");
    CHECK(modulator.ops == OpCounts{.adds = 12, .multiplies = 8, .divisions = 2, .exps = 2});
    CHECK(modulator.bytes_read == 16);  // w, c, n, t
    CHECK(modulator.bytes_written == 16);
    CHECK(modulator.arithmetic_pj() == Approx(12 * 0.9 + 8 * 3.7 + 2 * 18.4 + 2 * 36.8));
    CHECK(rr_train::plasticity_pre_cost("triplet_stdp").ops ==
          OpCounts{.adds = 9, .multiplies = 5, .divisions = 3, .exps = 3});
    CHECK(rr_train::plasticity_post_cost("triplet_stdp").ops ==
          OpCounts{.adds = 6, .multiplies = 4, .divisions = 2, .exps = 2});
    CHECK(rr_train::plasticity_post_term_cost("triplet_stdp").ops ==
          OpCounts{.adds = 1, .multiplies = 1, .divisions = 1, .exps = 1});
    for (const auto* rule : {"reward_stdp", "triplet_stdp", "nearest_triplet_stdp"}) {
        for (const auto& cost :
             {rr_train::plasticity_pre_cost(rule), rr_train::plasticity_post_cost(rule),
              rr_train::plasticity_post_term_cost(rule)}) {
            CHECK_FALSE(cost.counted_from.empty());
            CHECK(cost.bytes_read + cost.bytes_written > 0);
        }
    }
    CHECK_THROWS_AS(rr_train::plasticity_pre_cost("pair_stdp"), spikerate::Error);
    CHECK_THROWS_AS(rr_train::plasticity_modulator_cost("triplet_stdp"), spikerate::Error);
}
