// Threads (sim/network.hpp): a network advanced on any number of threads gives the same bits as
// on one: spikes, state variables, weights, counters, recordings and a trainer's results.
#include <atomic>
#include <cstring>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include <catch2/catch.hpp>

#include "models/adex.hpp"
#include "models/adex_cond.hpp"
#include "models/izhikevich.hpp"
#include "models/lif_cond.hpp"
#include "models/lif_curr.hpp"
#include "sim/checkpoint.hpp"
#include "sim/io/scenario.hpp"
#include "sim/network.hpp"
#include "sim/task/synthetic.hpp"
#include "sim/train/diehl_cook_2015.hpp"
#include "sim/train/experiment.hpp"
#include "sim/train/stdp_trainer.hpp"
#include "sim/worker_pool.hpp"
#include "tests/sim/memory_output.hpp"
#include "tests/sim/network_observables.hpp"
#include "tests/sim/small_networks.hpp"

using namespace spikerate;
using testing::MemoryOutput;

namespace {

// A shipped scenario's network.
sim::NetworkSpec shipped_network(const std::string& file, std::vector<std::string> overrides) {
    const auto dir = std::filesystem::path(__FILE__).parent_path() / "../../data/scenarios";
    return sim::io::load_scenario(dir / file, overrides).network;
}

// Everything observable about a network after `steps` steps: every step's spikes, then the
// state variables, weights and counters.
std::vector<double> run_and_observe(sim::NetworkSpec spec, std::uint32_t threads,
                                    std::int64_t steps) {
    spec.threads = threads;
    sim::Network net(spec);
    REQUIRE(net.threads() == threads);
    std::vector<double> out;
    for (std::int64_t k = 0; k < steps; ++k) {
        net.step();
        for (std::size_t p = 0; p < net.populations().size(); ++p) {
            for (const auto& s : net.populations()[p]->spikes()) {
                out.insert(out.end(), {static_cast<double>(p), static_cast<double>(s.time.step),
                                       static_cast<double>(s.node), s.time.offset});
            }
        }
    }
    const auto state = testing::network_observables(net);
    out.insert(out.end(), state.begin(), state.end());
    return out;
}

// Bitwise: NaN == NaN and -0 != +0 would both be wrong answers here.
bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

// 300 Poisson inputs onto 301 self-driven lif_curr neurons (parts of 80, 80, 80 and 61 on 4
// threads; on 16, 12 parts of 24, one of 13 and three empty ones) through pair STDP, with static
// recurrent synapses onto the same population (both with float32 weights), and static synapses
// onto a population in precise mode (whose timed input is delivered whole, on its thread).
sim::NetworkSpec mixed_network() {
    sim::NetworkSpec spec = testing::small_plastic_network();
    spec.populations[0].size = 300;
    spec.populations[1].size = 301;
    auto precise = spec.populations[1];
    precise.name = "precise";
    precise.size = 70;
    precise.integration = sim::Integration::precise;
    spec.populations.push_back(precise);
    spec.projections[0].connection = sim::connect::FixedProbability{.p = 0.1};
    auto recurrent = spec.projections[0];
    recurrent.pre = "exc";
    recurrent.plasticity = sim::NoPlasticity{};
    recurrent.weight = sim::Distribution::uniform(0.0, 20.0);
    recurrent.weight_precision = sim::WeightPrecision::float32;
    auto onto_precise = spec.projections[0];
    onto_precise.post = "precise";
    onto_precise.plasticity = sim::NoPlasticity{};
    spec.projections.push_back(recurrent);
    spec.projections.push_back(onto_precise);
    spec.projections[0].weight_precision = sim::WeightPrecision::float32;
    return spec;
}

}  // namespace

TEST_CASE("worker pool: every task runs once per call, errors reach the caller",
          "[threads][unit]") {
    const std::uint32_t n = GENERATE(1u, 2u, 3u, 16u);
    sim::WorkerPool pool(n);
    CHECK(pool.threads() == n);
    std::vector<int> calls(40, 0);
    for (int k = 0; k < 1000; ++k) {
        pool.run(static_cast<std::uint32_t>(1 + k % 40), [&](std::uint32_t i) { ++calls[i]; });
    }
    int total = 0;
    for (std::uint32_t i = 0; i < 40; ++i) {
        total += calls[i];
        CHECK(calls[i] == 25 * (40 - static_cast<int>(i)));  // task i runs in batches > i
    }
    CHECK(total == 20500);

    const auto fail = [&](std::uint32_t i) {
        if (i % 3 == 2) throw std::runtime_error("task " + std::to_string(i));
    };
    CHECK_THROWS_WITH(pool.run(9, fail), "task 2");     // the lowest of 2, 5 and 8
    pool.run(1, [&](std::uint32_t i) { ++calls[i]; });  // still usable
    CHECK(calls[0] == 1001);
    CHECK_THROWS_AS(sim::WorkerPool(0), ParamError);

    // Home threads: every task still runs exactly once, whichever thread its home is (all on one
    // thread, homes beyond the pool's threads, every task elsewhere), and the homes must match
    // the tasks.
    for (const std::uint32_t pattern : {0u, 1u, 2u}) {
        INFO("home pattern " << pattern);
        std::vector<std::uint32_t> home(40);
        for (std::uint32_t i = 0; i < 40; ++i)
            home[i] = pattern == 0 ? 0 : pattern == 1 ? 7 * i + 5 : 39 - i;
        std::vector<std::atomic<int>> runs(40);
        for (int k = 0; k < 200; ++k) {
            const auto count = static_cast<std::uint32_t>(1 + k % 40);
            pool.run(
                count, [&](std::uint32_t i) { ++runs[i]; },
                std::span<const std::uint32_t>(home).first(count));
        }
        for (std::uint32_t i = 0; i < 40; ++i) CHECK(runs[i] == 5 * (40 - static_cast<int>(i)));
    }
    const std::vector<std::uint32_t> too_few(3, 0);
    CHECK_THROWS_AS(pool.run(
                        4, [](std::uint32_t) {}, too_few),
                    Error);
}

TEST_CASE("threads: a network gives the same bits on 1, 2, 3, 4 and 16 threads",
          "[threads][integration]") {
    // Plastic and static projections onto parts, a precise population.
    const auto spec = mixed_network();
    const auto one = run_and_observe(spec, 1, 1000);
    for (const std::uint32_t threads : {2u, 3u, 4u, 16u}) {
        INFO(threads << " threads");
        CHECK(same_bits(run_and_observe(spec, threads, 1000), one));
    }
}

TEST_CASE("threads: every neuron model and fixed-step integration gives the same bits in parts",
          "[threads][integration][slow]") {
    // 150 neurons (parts of 56, 56 and 38 on 3 threads: starts 64-byte aligned, not 128) driven by
    // 200 Poisson inputs through random weights, with a constant input near threshold: spikes,
    // resets and refractory periods in every part.
    using I = sim::Integration;
    models::LifCurrParams lif_curr{};
    lif_curr.I_e = 350.0;
    models::IzhikevichParams izhikevich{};
    izhikevich.I_e = 5.0;
    models::AdexParams adex{};
    adex.I_e = 400.0;
    models::AdexCondParams adex_cond{};
    adex_cond.I_e = 400.0;
    // With current noise: drawn per (step, neuron), so by parts as whole.
    const auto noise = sim::Distribution::uniform(-6.5, 6.5);
    struct Case {
        std::string name;
        sim::PopulationModel model;
        I integration;
        double weight;
        std::optional<sim::Distribution> current_noise = std::nullopt;
        std::optional<sim::PoissonBackground> background = std::nullopt;
    };
    const std::vector<Case> cases = {
        {"lif_curr exact, noise", lif_curr, I::exact, 100.0, sim::Distribution::normal(0.0, 50.0)},
        {"lif_curr exact, Poisson background", lif_curr, I::exact, 100.0, std::nullopt,
         sim::PoissonBackground{.rate_hz = 2000.0, .weight = 150.0}},
        {"lif_cond rk4, Poisson background (inhibitory)", models::LifCondParams{}, I::rk4, 1.0,
         std::nullopt,
         sim::PoissonBackground{
             .rate_hz = 500.0, .weight = 0.5, .receptor = sim::Receptor::inhibitory}},
        {"lif_cond rk4, noise", models::LifCondParams{}, I::rk4, 1.0,
         sim::Distribution::normal(0.0, 50.0)},
        {"izhikevich half steps, noise", izhikevich, I::izhikevich_half_steps, 2.0, noise},
        {"lif_curr exact", lif_curr, I::exact, 100.0},
        {"lif_curr rk4", lif_curr, I::rk4, 100.0},
        {"lif_cond rk4", models::LifCondParams{}, I::rk4, 1.0},
        {"lif_cond euler", models::LifCondParams{}, I::euler, 1.0},
        {"lif_cond exponential_euler", models::LifCondParams{}, I::exponential_euler, 1.0},
        {"izhikevich rk4", izhikevich, I::rk4, 2.0},
        {"izhikevich half steps", izhikevich, I::izhikevich_half_steps, 2.0},
        {"adex rk4", adex, I::rk4, 100.0},
        {"adex_cond rk4", adex_cond, I::rk4, 1.0},
        {"adex_cond rk4, noise", adex_cond, I::rk4, 1.0, sim::Distribution::normal(0.0, 50.0)},
    };
    for (const auto& [name, model, integration, weight, current_noise, background] : cases) {
        INFO(name);
        sim::NetworkSpec spec{.dt_ms = 0.1, .seed = 17};
        spec.populations = {
            {.name = "input", .size = 200, .model = sim::PoissonSourceParams{.rate_hz = 20.0}},
            {.name = "n",
             .size = 150,
             .model = model,
             .integration = integration,
             .current_noise = current_noise,
             .poisson_background = background},
        };
        spec.projections = {{.pre = "input",
                             .post = "n",
                             .connection = sim::connect::FixedProbability{.p = 0.2},
                             .weight = sim::Distribution::uniform(0.0, weight)}};
        const auto one = run_and_observe(spec, 1, 2000);
        REQUIRE(one.size() > 2000);  // spikes happened
        CHECK(same_bits(run_and_observe(spec, 3, 2000), one));
    }
}

// The shipped networks (several seconds under the sanitizers, which the mixed network covers).
TEST_CASE("threads: COBA, CUBA and Song 2000 give the same bits on 1, 2 and 3 threads",
          "[threads][integration][slow]") {
    SECTION("COBA: 4,000 lif_cond neurons, RK4") {
        const auto spec = shipped_network("coba.toml", {});
        const auto one = run_and_observe(spec, 1, 1000);
        for (const std::uint32_t threads : {2u, 3u}) {
            INFO(threads << " threads");
            CHECK(same_bits(run_and_observe(spec, threads, 1000), one));
        }
    }
    SECTION("CUBA, exact integration, an odd size (3,199 exc neurons: no multiple of 4)") {
        const auto spec = shipped_network("cuba.toml", {"populations.exc.size=3199"});
        const auto one = run_and_observe(spec, 1, 1000);
        CHECK(same_bits(run_and_observe(spec, 3, 1000), one));
    }
    SECTION("Song 2000: 1,000 plastic inputs onto one neuron") {
        const auto spec = shipped_network("stdp_song2000.toml", {});
        const auto one = run_and_observe(spec, 1, 5000);
        for (const std::uint32_t threads : {2u, 3u}) {
            INFO(threads << " threads");
            CHECK(same_bits(run_and_observe(spec, threads, 5000), one));
        }
    }
}

TEST_CASE("threads: state written between steps and checkpoints cross thread counts",
          "[threads][integration]") {
    const auto spec = mixed_network();
    // 300 steps, V_m of every third neuron set through variable(), 300 more steps, then a
    // checkpoint loaded into a network of another thread count and 300 more steps.
    const auto run = [&](std::uint32_t threads_before, std::uint32_t threads_after) {
        auto with = [&](std::uint32_t threads) {
            auto s = spec;
            s.threads = threads;
            return s;
        };
        sim::Network net(with(threads_before));
        for (int k = 0; k < 300; ++k) net.step();
        const auto v = net.population("exc").variable("V_m");
        for (std::size_t i = 0; i < v.size(); i += 3) v[i] = -50.5;
        for (int k = 0; k < 300; ++k) net.step();
        sim::StateWriter out;
        net.save_state(out);
        sim::Network after(with(threads_after));
        sim::StateReader in(out.bytes(), "test");
        after.load_state(in);
        std::vector<double> trace;
        for (int k = 0; k < 300; ++k) {
            after.step();
            for (const auto& s : after.population("exc").spikes()) trace.push_back(s.node);
        }
        const auto state = after.population("exc").variable("V_m");
        trace.insert(trace.end(), state.begin(), state.end());
        const auto w = after.projection("input->exc").weights();
        trace.insert(trace.end(), w.begin(), w.end());
        return std::pair{trace, out.bytes()};
    };
    const auto [one, one_checkpoint] = run(1, 1);
    REQUIRE(one.size() > 301 * 2);
    for (const auto& [before, after] : {std::pair{3u, 1u}, std::pair{1u, 2u}, std::pair{2u, 4u}}) {
        INFO(before << " threads, then " << after);
        const auto [other, other_checkpoint] = run(before, after);
        CHECK(same_bits(other, one));
        // The same bytes whatever the thread count (padding included: it is explicit, zero).
        std::size_t at = 0;
        while (at < one_checkpoint.size() && one_checkpoint[at] == other_checkpoint[at]) ++at;
        INFO("checkpoints of " << one_checkpoint.size() << " and " << other_checkpoint.size()
                               << " bytes, first difference at byte " << at);
        CHECK((other_checkpoint == one_checkpoint));
    }
}

TEST_CASE("threads: a recorded experiment writes the same output on 1, 2 and 3 threads",
          "[threads][integration]") {
    const auto run = [](std::uint32_t threads) {
        sim::train::ExperimentSpec spec{
            .network = shipped_network("coba.toml", {}),
            .duration_ms = 100.0,
            .record = {
                .spikes = {"exc", "inh"},
                .states = {
                    {.name = "v", .population = "exc", .variable = "V_m", .every_ms = 1.0}}}};
        spec.network->threads = threads;
        MemoryOutput out;
        sim::train::ExperimentObserver never_stop;
        sim::train::Experiment(spec).run({.reports = out, .metrics = out}, never_stop);
        return out;
    };
    const MemoryOutput one = run(1);
    REQUIRE(!one.spikes.at("exc").times.empty());
    for (const std::uint32_t threads : {2u, 3u}) {
        INFO(threads << " threads");
        const MemoryOutput other = run(threads);
        CHECK(other.frames == one.frames);
        CHECK(other.series == one.series);
        for (const auto& [name, spikes] : one.spikes) {
            CHECK(other.spikes.at(name).times == spikes.times);
            CHECK(other.spikes.at(name).nodes == spikes.nodes);
        }
        for (const auto& [path, value] : one.scalars) {
            if (path.ends_with("_seconds")) continue;
            CHECK(other.scalars.at(path) == value);
        }
    }
}

TEST_CASE("threads: a short Diehl & Cook training gives the same bits on 1, 2 and 3 threads",
          "[threads][integration][slow]") {
    static const sim::task::Task task =
        sim::task::make_bars({.grid = 4, .train_examples = 12, .test_examples = 10}, 9);
    sim::train::DiehlCook2015Params params;
    params.n_exc = 100;  // parts of 56 and 44 neurons, 40 and 40 and 20
    sim::train::SpikingNetworkSpec section;
    section.name = "dc";
    const sim::train::TrainingSchedule schedule{.examples = 6, .evaluate_at = {6}};
    const sim::task::ExampleStream stream(task.train.size(), 3, true);
    const auto train = [&](std::uint32_t threads) {
        section.threads = threads;
        const auto spec = sim::train::diehl_cook_2015_learner(
            params, static_cast<std::uint32_t>(task.train.n_inputs()), 3, section);
        auto trainer = std::make_unique<sim::train::StdpTrainer>(
            spec, task.train, task.test, stream, schedule, 3, nullptr, nullptr);
        trainer->train_until(6);
        REQUIRE(trainer->evaluate_and_record() != nullptr);
        return trainer;
    };
    const auto one = train(1);
    for (const std::uint32_t threads : {2u, 3u}) {
        INFO(threads << " threads");
        const auto other = train(threads);
        CHECK(other->network().threads() == threads);
        for (const auto& proj : one->network().projections()) {
            CHECK(same_bits(other->network().projection(proj->name()).weights(), proj->weights()));
        }
        for (const auto& pop : one->network().populations()) {
            for (const auto& name : pop->variable_names()) {
                const auto a = pop->variable(name);
                const auto b = other->network().population(pop->name()).variable(name);
                CHECK(same_bits({a.begin(), a.end()}, {b.begin(), b.end()}));
            }
        }
        CHECK(other->training_work().synaptic_events == one->training_work().synaptic_events);
        CHECK(other->training_work().plasticity_updates == one->training_work().plasticity_updates);
        CHECK(other->last_evaluation()->accuracy == one->last_evaluation()->accuracy);
        CHECK((other->last_evaluation()->confusion.counts() ==
               one->last_evaluation()->confusion.counts()));
    }
}

TEST_CASE("threads: a thread count outside [1, 1024] is refused by name", "[threads][unit]") {
    auto spec = testing::small_plastic_network();
    spec.threads = 0;
    CHECK_THROWS_WITH(sim::Network(spec), Catch::Contains("threads = 0"));
    spec.threads = 1025;
    CHECK_THROWS_WITH(sim::Network(spec), Catch::Contains("threads = 1025"));
}
