// Modulators through the engine: reward_stdp's weights against the rule played by hand at the
// engine's event times, the weight a spike delivers (brought up to its arrival), the recorded
// weight between events, pairing rewards (window, order, delay), and the scenario section with its
// errors.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "models/reward_stdp.hpp"
#include "sim/io/scenario.hpp"
#include "sim/network.hpp"
#include "tests/sim/io/scenario_test_util.hpp"

namespace {

namespace sim = spikerate::sim;
namespace models = spikerate::models;

constexpr double modulator_rig_dt = 0.1;  // [ms]

sim::PopulationSpec modulator_spike_train(std::string name, std::uint32_t size,
                                          std::vector<double> times,
                                          std::vector<std::uint32_t> node_ids) {
    return {.name = std::move(name),
            .size = size,
            .model = sim::SpikeTrainSourceParams{.times_ms = std::move(times),
                                                 .node_ids = std::move(node_ids)}};
}

// One plastic synapse pre -> post (delay 1 ms); a teacher forces post to spike 2 dt after each
// teacher spike (the rig of test_projections.cpp: a 1e5 pA synapse, t_ref 20 ms).
sim::NetworkSpec modulator_rig(std::vector<double> pre_times, std::vector<double> teacher_times,
                               sim::PlasticityParams rule, double w0) {
    models::LifCurrParams neuron{};
    neuron.t_ref = 20.0;
    const auto n_pre = static_cast<std::uint32_t>(pre_times.size());
    const auto n_teacher = static_cast<std::uint32_t>(teacher_times.size());
    sim::NetworkSpec spec{.dt_ms = modulator_rig_dt, .seed = 5};
    spec.populations = {
        modulator_spike_train("pre", 1, std::move(pre_times), std::vector<std::uint32_t>(n_pre, 0)),
        modulator_spike_train("teacher", 1, std::move(teacher_times),
                              std::vector<std::uint32_t>(n_teacher, 0)),
        {.name = "post", .size = 1, .model = neuron, .integration = sim::Integration::exact},
    };
    spec.projections = {
        {.pre = "teacher",
         .post = "post",
         .connection = sim::connect::OneToOne{},
         .weight = sim::Distribution::constant(1e5),
         .delay_ms = sim::Distribution::constant(modulator_rig_dt)},
        {.pre = "pre",
         .post = "post",
         .weight = sim::Distribution::constant(w0),
         .delay_ms = sim::Distribution::constant(1.0),
         .plasticity = std::move(rule)},
    };
    return spec;
}

}  // namespace

TEST_CASE("modulator: reward_stdp weights in the engine follow the rule at the events' times",
          "[integration][reward_stdp][modulator]") {
    models::RewardStdpParams p{};
    p.b = GENERATE(0.0, -2e-4);
    const double w0 = 50.0, m = 0.05;  // [pA], [1/ms]
    // Pre spikes at 10 and 500 ms arrive at 11 and 501; the teacher's spike at 15 makes post fire
    // at 15.2 ms; rewards at 100 and 700 ms.
    sim::NetworkSpec spec = modulator_rig({10.0, 500.0}, {15.0}, p, w0);
    spec.modulators = {
        {.name = "da", .targets = {"pre->post"}, .amount = m, .times_ms = {100.0, 700.0}}};
    sim::Network net(spec);
    net.run(1000.0);

    const models::RewardStdp rule(p);
    models::RewardStdp::SynapseState syn{};
    models::RewardStdp::PostState post{};
    double w = w0;
    const auto apply = [&](double dw) { w = rule.bounds().clip(w + dw); };
    apply(rule.on_pre(syn, post, w, 11.0));
    apply(rule.on_post(syn, post, w, 15.2));
    rule.after_post(post, 15.2);
    apply(rule.on_modulator(syn, m, w, 100.0));
    apply(rule.on_pre(syn, post, w, 501.0));
    apply(rule.on_modulator(syn, m, w, 700.0));
    REQUIRE(w - w0 > 5.0);  // the reward moved the weight by several pA

    const auto& proj = net.projection("pre->post");
    CHECK(proj.weights()[0] == Approx(w).epsilon(1e-12));  // as of its last event, 700 ms
    std::vector<double> now(1);
    proj.copy_weights_at(now, net.time_ms());
    CHECK(now[0] == Approx(rule.weight_at(syn, w, 1000.0)).epsilon(1e-12));
    CHECK(now[0] != Approx(w).epsilon(1e-6));  // it moved after 700 ms
    CHECK(net.modulators().at(0)->event_times_ms().size() == 2);
    // Updates: 2 arrivals, 1 post spike, 2 modulator events on the one synapse.
    CHECK(proj.plasticity_updates() == 5);
}

TEST_CASE("modulator: a spike delivers the reward_stdp weight brought up to its arrival",
          "[integration][reward_stdp][modulator]") {
    // V_m of post is linear in the weights it receives: five ms after the second arrival (501 ms)
    // it equals that of a static synapse carrying the weight the rule reaches at 501 ms, and not
    // that of the weight left by the last event (the reward at 100 ms).
    models::RewardStdpParams p{};
    const double w0 = 50.0, m = 0.05;
    sim::NetworkSpec plastic = modulator_rig({10.0, 500.0}, {15.0}, p, w0);
    plastic.modulators = {
        {.name = "da", .targets = {"pre->post"}, .amount = m, .times_ms = {100.0}}};
    const models::RewardStdp rule(p);
    models::RewardStdp::SynapseState syn{};
    models::RewardStdp::PostState post{};
    double w = w0;
    w = rule.bounds().clip(w + rule.on_pre(syn, post, w, 11.0));
    w = rule.bounds().clip(w + rule.on_post(syn, post, w, 15.2));
    rule.after_post(post, 15.2);
    w = rule.bounds().clip(w + rule.on_modulator(syn, m, w, 100.0));
    const double stale = w;
    const double updated = rule.weight_at(syn, w, 501.0);
    REQUIRE(updated - stale > 1.0);

    const auto v_at_505 = [](sim::NetworkSpec spec) {
        sim::Network net(std::move(spec));
        net.run(505.0);
        return net.population("post").variable("V_m")[0];
    };
    const auto with_static = [&](double weight) {
        sim::NetworkSpec spec = modulator_rig({10.0, 500.0}, {15.0}, sim::NoPlasticity{}, weight);
        return v_at_505(spec);
    };
    const double E_L = models::LifCurrParams{}.E_L;
    const double v_plastic = v_at_505(plastic) - E_L;
    // The first arrival (11 ms) carried w0 instead: its effect decayed by e^{-494/10}.
    CHECK(v_plastic == Approx(with_static(updated) - E_L).epsilon(1e-9));
    CHECK(v_plastic != Approx(with_static(stale) - E_L).epsilon(1e-3));
}

TEST_CASE("modulator: a pairing reward follows the second spike within the window",
          "[integration][modulator]") {
    // n1 = node 0 of "a", n2 = node 0 of "b". Pairs: 10 -> 15 (rewarded), 200 -> 220 (20 ms:
    // not < window), 300 -> 300 (same time: not after), 300 -> node 1 at 305 (another neuron),
    // node 1 of a at 400 -> 405 (another first neuron; node 0's last spike is 105 ms before).
    sim::NetworkSpec spec{.dt_ms = modulator_rig_dt, .seed = 7};
    spec.populations = {
        modulator_spike_train("a", 2, {10.0, 200.0, 300.0, 400.0}, {0, 0, 0, 1}),
        modulator_spike_train("b", 2, {15.0, 220.0, 300.0, 305.0, 405.0}, {0, 0, 0, 1, 0}),
        {.name = "n", .size = 1, .model = models::LifCurrParams{}},
    };
    spec.projections = {{.pre = "a",
                         .post = "n",
                         .weight = sim::Distribution::constant(1.0),
                         .plasticity = models::RewardStdpParams{}}};
    const double delay = GENERATE(0.0, 100.0);
    spec.modulators = {{.name = "reward",
                        .targets = {"a->n"},
                        .pre = "a",
                        .pre_node = 0,
                        .post = "b",
                        .post_node = 0,
                        .window_ms = 20.0,
                        .delay_min_ms = delay,
                        .delay_max_ms = delay}};
    sim::Network net(spec);
    net.run(600.0);
    const auto& mod = *net.modulators().at(0);
    CHECK(mod.pairings() == 1);
    REQUIRE(mod.event_times_ms().size() == 1);
    // A source's spike at 15 ms is stamped at the start of its step, known at its end (15.1 ms):
    // the earliest an event can act.
    CHECK(mod.event_times_ms()[0] == Approx(std::max(15.0 + delay, 15.1)).margin(1e-9));
}

TEST_CASE("modulator: pairing delays are uniform in [delay_min, delay_max] and seeded",
          "[integration][modulator]") {
    sim::NetworkSpec spec{.dt_ms = 1.0, .seed = 3};
    std::vector<double> a_times, b_times;
    for (int k = 0; k < 40; ++k) {
        a_times.push_back(100.0 * k + 10.0);
        b_times.push_back(100.0 * k + 15.0);
    }
    spec.populations = {
        modulator_spike_train("a", 1, a_times, std::vector<std::uint32_t>(a_times.size(), 0)),
        modulator_spike_train("b", 1, b_times, std::vector<std::uint32_t>(b_times.size(), 0)),
        {.name = "n", .size = 1, .model = models::LifCurrParams{}},
    };
    spec.projections = {{.pre = "a",
                         .post = "n",
                         .weight = sim::Distribution::constant(1.0),
                         .plasticity = models::RewardStdpParams{}}};
    spec.modulators = {{.name = "reward",
                        .targets = {"a->n"},
                        .pre = "a",
                        .post = "b",
                        .delay_min_ms = 1000.0,
                        .delay_max_ms = 3000.0}};
    const auto events = [](const sim::NetworkSpec& s) {
        sim::Network net(s);
        net.run(8000.0);
        const auto t = net.modulators().at(0)->event_times_ms();
        return std::vector<double>(t.begin(), t.end());
    };
    const std::vector<double> first = events(spec);
    // Pairings at 15 + 100 k ms; every event lies 1000-3000 ms after one of them, and all 40
    // pairings (the last at 3915 ms) have been rewarded by 8000 ms.
    REQUIRE(first.size() == 40);
    double spread_low = 1e9, spread_high = 0.0;
    for (std::size_t i = 0; i < first.size(); ++i) {
        CHECK(first[i] >= 1015.0);
        CHECK(first[i] <= 3915.0 + 3000.0);
        if (i > 0) CHECK(first[i] >= first[i - 1]);
    }
    // The delays, matched in order of the pairings, are not all alike: sorted events differ from
    // the pairings shifted by a constant.
    for (std::size_t i = 0; i < first.size(); ++i) {
        spread_low = std::min(spread_low, first[i] - (15.0 + 100.0 * static_cast<double>(i)));
        spread_high = std::max(spread_high, first[i] - (15.0 + 100.0 * static_cast<double>(i)));
    }
    CHECK(spread_high - spread_low > 500.0);
    CHECK(events(spec) == first);  // the same seed, the same events
    spec.seed = 4;
    CHECK(events(spec) != first);
}

TEST_CASE("modulator: a scenario's [modulators] section builds the network's modulator",
          "[integration][modulator][scenario]") {
    const auto scenario = spikerate::sim::io::parse_scenario(R"([run]
dt_ms = 1.0
duration_ms = 10.0

[populations.a]
model = "poisson"
size = 2
rate_Hz = 10.0

[populations.n]
model = "izhikevich"
size = 2

[projections.plastic]
pre = "a"
post = "n"
weight_mV_per_ms = 1.0
plasticity = { rule = "reward_stdp", tau_c_ms = 995.0, b_per_ms = -0.0002, w_max = 4.0 }

[modulators.dopamine]
targets = ["plastic"]
amount = 0.05
times_ms = [5.0, 1e300]
pre = "n"
pre_node = 0
post = "n"
post_node = 1
window_ms = 20.0
)",
                                                             "good.toml", {});
    const auto& mods = scenario.network.modulators;
    REQUIRE(mods.size() == 1);
    CHECK(mods[0].name == "dopamine");
    CHECK(mods[0].targets == std::vector<std::string>{"plastic"});
    CHECK(mods[0].amount == 0.05);
    CHECK(mods[0].times_ms == std::vector<double>{5.0, 1e300});  // the second: never
    CHECK(mods[0].post_node == 1);
    sim::Network net(scenario.network);
    net.run(10.0);
    CHECK(net.modulators().at(0)->event_times_ms().size() == 1);
}

TEST_CASE("modulator: scenario errors name the file, line and key",
          "[integration][modulator][scenario]") {
    const std::string head = R"([run]
dt_ms = 1.0

[populations.a]
model = "poisson"
size = 2

[populations.n]
model = "izhikevich"
size = 2

[projections.plastic]
pre = "a"
post = "n"
weight_mV_per_ms = 1.0
plasticity = "reward_stdp"

[projections.stdp]
pre = "a"
post = "n"
weight_mV_per_ms = 1.0
plasticity = "pair_stdp"

[modulators.da]
)";  // [modulators.da] is line 24
    using Catch::Matchers::Contains;
    using scenario_test::error_of;
    CHECK_THAT(error_of(head + "targets = [\"plastic\", \"nope\"]\n"),
               Contains("bad.toml:25:") && Contains("modulators.da.targets[1]") &&
                   Contains("'nope' is not a projection"));
    CHECK_THAT(error_of(head + "targets = [\"stdp\"]\n"),
               Contains("bad.toml:25:") && Contains("modulators.da.targets[0]") &&
                   Contains("takes no modulator"));
    CHECK_THAT(
        error_of(head + "targets = [\"plastic\"]\npre = \"n\"\npre_node = 2\npost = \"n\"\n"),
        Contains("bad.toml:27:") && Contains("modulators.da.pre_node") &&
            Contains("must be < the size of 'n' (2)"));
    CHECK_THAT(error_of(head + "targets = [\"plastic\"]\ndelay_max_ms = 10.0\npre = \"n\"\n"
                               "post = \"n\"\n"),
               Contains("bad.toml:26:") && Contains("modulators.da.delay_max_ms") &&
                   Contains(">= delay_min_ms"));
    CHECK_THAT(error_of(head + "targets = [\"plastic\"]\ntimes_ms = [3.0, 0.0]\n"),
               Contains("bad.toml:26:") && Contains("modulators.da.times_ms[1]"));
    CHECK_THAT(error_of(head + "targets = [\"plastic\"]\namount_per_ms = 1.0\n"),
               Contains("bad.toml:26:") && Contains("modulators.da.amount_per_ms") &&
                   Contains("unknown key") && Contains("amount"));
    CHECK_THAT(error_of(head + "amount = 1.0\n"), Contains("bad.toml:24:") &&
                                                      Contains("modulators.da.targets") &&
                                                      Contains("missing required key"));
}
