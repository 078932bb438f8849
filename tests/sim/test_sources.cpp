// Spike sources: the Poisson source's statistics and rate changes, replay of explicit spike
// trains, and bit-identical determinism of a whole network for a given seed.
//
// The Poisson source is a Bernoulli process on the grid: in each step a neuron spikes with
// probability p = r dt. Counts are therefore binomial (mean K p, variance K p (1 - p) over K
// steps), inter-spike intervals geometric (mean dt / p = 1 / r, CV sqrt(1 - p)); the bounds
// below are 5 standard errors of these distributions (a false alarm ~ 6e-7 per check).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include <catch2/catch.hpp>

#include "sim/network.hpp"
#include "sim/recorder.hpp"
#include "sim/sources.hpp"
#include "tests/statistical_tolerance.hpp"

namespace {

namespace sim = spikerate::sim;
namespace models = spikerate::models;

using spikerate::testing::n_sd;

sim::NetworkSpec poisson_spec(std::uint32_t size, double rate_hz, double dt_ms = 0.1,
                              std::uint64_t seed = 1) {
    sim::NetworkSpec spec{.dt_ms = dt_ms, .seed = seed};
    spec.populations = {
        {.name = "in", .size = size, .model = sim::PoissonSourceParams{.rate_hz = rate_hz}}};
    return spec;
}

// Spike times of every neuron of one population [ms], recorded over `duration_ms`.
std::vector<std::vector<double>> trains(sim::Network& net, const std::string& pop,
                                        double duration_ms) {
    sim::SpikeRecorder recorder(net.population(pop));
    net.run(duration_ms, [&](const sim::Network& n) { recorder.record(n.grid()); });
    std::vector<std::vector<double>> out(net.population(pop).size());
    for (std::size_t s = 0; s < recorder.node_ids().size(); ++s) {
        out[recorder.node_ids()[s]].push_back(recorder.times_ms()[s]);
    }
    return out;
}

// |count - K p| within n_sd binomial standard deviations, K Bernoulli trials of probability p.
bool binomial_count_ok(double count, double trials, double p) {
    return std::abs(count - trials * p) <= n_sd * std::sqrt(trials * p * (1.0 - p));
}

using spikerate::testing::mean_of;
using spikerate::testing::variance_of;

// Everything a run of a network produced: spikes of every population and final weights.
struct RunOutput {
    std::vector<std::vector<double>> times;  // per population
    std::vector<std::vector<std::uint32_t>> nodes;
    std::vector<std::vector<double>> weights;  // per projection
    bool operator==(const RunOutput&) const = default;
};

// Poisson input -> lif_cond excitatory layer (rk4) <-> lif_cond inhibitory layer (dopri5), with
// random connectivity, weights, delays and initial values, and triplet STDP on the input.
sim::NetworkSpec lif_cond_network(std::uint64_t seed) {
    models::LifCondParams neuron{};  // Vogels & Abbott: tau_m 20 ms, E_L -60 mV, V_th -50 mV
    sim::NetworkSpec spec{.dt_ms = 0.1, .seed = seed};
    spec.populations = {
        {.name = "input", .size = 200, .model = sim::PoissonSourceParams{.rate_hz = 15.0}},
        {.name = "exc",
         .size = 60,
         .model = neuron,
         .integration = sim::Integration::rk4,
         .initial = {{"V_m", sim::Distribution::uniform(-60.0, -50.0)}}},
        {.name = "inh",
         .size = 15,
         .model = neuron,
         .integration = sim::Integration::dopri5,
         .initial = {{"V_m", sim::Distribution::normal(-55.0, 2.0)}}},
    };
    // 200 inputs x p 0.1 x 15 Hz x mean 2.5 nS x tau_syn_e 5 ms: g_e ~ 3.75 nS on g_L = 10 nS,
    // V_inf ~ -44 mV above threshold: the excitatory layer fires.
    spec.projections = {
        {.pre = "input",
         .post = "exc",
         .connection = sim::connect::FixedProbability{.p = 0.1},
         .weight = sim::Distribution::uniform(1.0, 4.0),
         .delay_ms = sim::Distribution::uniform(0.1, 3.0),
         .plasticity = models::NearestTripletStdpParams{.bounds = {.w_min = 0.0, .w_max = 5.0}}},
        {.pre = "exc",
         .post = "inh",
         .connection = sim::connect::FixedInDegree{.k = 10},
         .weight = sim::Distribution::uniform(1.0, 3.0),
         .delay_ms = sim::Distribution::constant(1.0)},
        {.pre = "inh",
         .post = "exc",
         .connection = sim::connect::AllToAll{},
         .weight = sim::Distribution::uniform(0.5, 2.0),
         .delay_ms = sim::Distribution::uniform(0.5, 2.0),
         .receptor = sim::Receptor::inhibitory},
    };
    return spec;
}

RunOutput run_network(const sim::NetworkSpec& spec, double duration_ms) {
    sim::Network net(spec);
    std::vector<sim::SpikeRecorder> recorders;
    for (const auto& pop : net.populations()) recorders.emplace_back(*pop);
    net.run(duration_ms, [&](const sim::Network& n) {
        for (auto& r : recorders) r.record(n.grid());
    });
    RunOutput out;
    for (const auto& r : recorders) {
        out.times.push_back(r.times_ms());
        out.nodes.push_back(r.node_ids());
    }
    for (const auto& proj : net.projections()) {
        out.weights.push_back(proj->weights());
    }
    return out;
}

}  // namespace

TEST_CASE("poisson: the pooled spike count matches rate x duration within 5 standard errors",
          "[poisson][integration]") {
    const double rate = GENERATE(2.0, 20.0, 150.0);  // [Hz]
    const std::uint32_t n = 100;
    const double dt = 0.1, duration = 10000.0;  // [ms]
    sim::Network net(poisson_spec(n, rate, dt));
    net.run(duration);
    const double p = rate * dt * 1e-3;
    const double trials = n * duration / dt;
    CAPTURE(rate, net.population("in").spike_count(), trials * p);
    CHECK(binomial_count_ok(static_cast<double>(net.population("in").spike_count()), trials, p));
}

TEST_CASE(
    "poisson: the Fano factor of counts in 100 ms windows is 1 - r dt within its sampling error",
    "[poisson][integration]") {
    // Counts in a window of W steps are Binomial(W, p): Fano factor 1 - p (0.998 here, Poisson's
    // 1 in the limit). The sample variance over mean of m windows has sd ~ sqrt(2 / (m - 1)) for
    // Poisson counts (delta method: Var(s^2) = 2 lambda^2 / (m - 1) + lambda / m, the lambda / m
    // terms cancel against the mean's fluctuation). Averaged over n independent neurons the sd
    // is sqrt(2 / (m - 1) / n).
    const std::uint32_t n = 100;
    const double rate = 20.0, dt = 0.1, window = 100.0, duration = 10000.0;
    const auto m = static_cast<std::size_t>(duration / window);
    sim::Network net(poisson_spec(n, rate, dt, 2));
    const auto spikes = trains(net, "in", duration);

    double fano_sum = 0.0;
    for (const auto& train : spikes) {
        std::vector<double> counts(m, 0.0);
        for (const double t : train) counts[static_cast<std::size_t>(t / window)] += 1.0;
        fano_sum += variance_of(counts) / mean_of(counts);
    }
    const double fano = fano_sum / n;
    const double p = rate * dt * 1e-3;
    CAPTURE(fano);
    CHECK(std::abs(fano - (1.0 - p)) <= n_sd * std::sqrt(2.0 / static_cast<double>(m - 1) / n));
}

TEST_CASE(
    "poisson: inter-spike intervals have mean 1 / r and CV sqrt(1 - r dt) within sampling error",
    "[poisson][integration]") {
    // ISIs (in steps) are geometric with mean 1 / p and sd sqrt(1 - p) / p: the sample mean of n
    // ISIs has standard error sd / sqrt(n). For (near-)exponential intervals the sample CV has
    // sd ~ CV / sqrt(n) (delta method on log(s / mean) with mu_3 = 2 sigma^3, mu_4 = 9 sigma^4).
    const std::uint32_t n_neurons = 100;
    const double rate = 20.0, dt = 0.1, duration = 10000.0;
    sim::Network net(poisson_spec(n_neurons, rate, dt, 3));
    std::vector<double> isi;
    for (const auto& train : trains(net, "in", duration)) {
        for (std::size_t k = 1; k < train.size(); ++k) isi.push_back(train[k] - train[k - 1]);
    }
    const double n = static_cast<double>(isi.size());
    const double p = rate * dt * 1e-3;
    const double expected_mean = dt / p;  // [ms] = 1 / r
    const double expected_cv = std::sqrt(1.0 - p);
    const double mean = mean_of(isi);
    const double cv = std::sqrt(variance_of(isi)) / mean;
    CAPTURE(n, mean, cv);
    CHECK(std::abs(mean - expected_mean) <= n_sd * expected_mean * expected_cv / std::sqrt(n));
    CHECK(std::abs(cv - expected_cv) <= n_sd * expected_cv / std::sqrt(n));
}

TEST_CASE("poisson: set_rate between presentations changes the rate, and rate 0 silences",
          "[poisson][integration]") {
    const std::uint32_t n = 100;
    const double dt = 0.1, presentation = 2000.0;  // [ms]
    sim::Network net(poisson_spec(n, 10.0, dt, 4));
    auto& source = net.population_as<sim::PoissonSource>("in");
    const double trials = n * presentation / dt;
    std::uint64_t before = 0;
    for (const double rate : {10.0, 40.0, 0.0, 5.0}) {
        if (rate != 10.0) source.set_rate(rate);
        net.run(presentation);
        const auto count = static_cast<double>(source.spike_count() - before);
        before = source.spike_count();
        CAPTURE(rate, count);
        if (rate == 0.0) {
            CHECK(count == 0.0);
        } else {
            CHECK(binomial_count_ok(count, trials, rate * dt * 1e-3));
        }
    }
}

TEST_CASE("poisson: set_rates gives every neuron its own rate", "[poisson][integration]") {
    const std::vector<double> group_rates{0.0, 5.0, 20.0, 80.0};  // [Hz], neuron i: i % 4
    const std::uint32_t n = 200;
    const double dt = 0.1, duration = 5000.0;
    sim::Network net(poisson_spec(n, 10.0, dt, 5));
    std::vector<double> rates(n);
    for (std::uint32_t i = 0; i < n; ++i) rates[i] = group_rates[i % 4];
    net.population_as<sim::PoissonSource>("in").set_rates(rates);
    CHECK(std::vector(net.population_as<sim::PoissonSource>("in").rates().begin(),
                      net.population_as<sim::PoissonSource>("in").rates().end()) == rates);

    const auto spikes = trains(net, "in", duration);
    for (std::size_t g = 0; g < group_rates.size(); ++g) {
        double count = 0.0;
        for (std::uint32_t i = g; i < n; i += 4) count += static_cast<double>(spikes[i].size());
        const double trials = (n / 4.0) * duration / dt;
        CAPTURE(group_rates[g], count);
        if (group_rates[g] == 0.0) {
            CHECK(count == 0.0);
        } else {
            CHECK(binomial_count_ok(count, trials, group_rates[g] * dt * 1e-3));
        }
    }
}

TEST_CASE("poisson: a rate of 1 / dt spikes in every step", "[poisson][unit]") {
    // p = r dt = 1: the rate bound [0, 1/dt] includes 1/dt. dt values for which
    // (1e3 / dt) * dt * 1e-3 rounds above 1 are included on purpose.
    const double dt = GENERATE(0.1, 0.073, 0.105, 0.5);  // [ms]
    const double max_rate = 1e3 / dt;                    // [Hz]
    const bool via_spec = GENERATE(true, false);
    CAPTURE(dt, via_spec);
    sim::Network net(poisson_spec(3, via_spec ? max_rate : 0.0, dt));
    if (!via_spec) net.population_as<sim::PoissonSource>("in").set_rate(max_rate);
    for (int k = 0; k < 50; ++k) {
        net.step();
        CHECK(net.population("in").spikes().size() == 3);
    }
}

TEST_CASE("poisson: spikes are stamped at the start of their step", "[poisson][unit]") {
    const double dt = 0.1;
    sim::Network net(poisson_spec(20, 200.0, dt, 6));
    sim::SpikeRecorder recorder(net.population("in"));
    std::vector<std::int64_t> step_of_spike;
    net.run(200.0, [&](const sim::Network& n) {
        recorder.record(n.grid());
        step_of_spike.resize(recorder.times_ms().size(), n.steps_done() - 1);
    });
    REQUIRE_FALSE(recorder.times_ms().empty());
    for (std::size_t s = 0; s < step_of_spike.size(); ++s) {
        CHECK(recorder.times_ms()[s] == net.grid().time(step_of_spike[s]));
    }
}

TEST_CASE("spike_train: replays the given times exactly, off the grid too", "[spike_train][unit]") {
    const double dt = 0.1;
    // Unsorted on purpose; node 2 fires twice in one step.
    const std::vector<double> times{5.55, 0.37, 1.0, 0.0, 2.5, 0.3, 0.37, 3.0001, 0.399};
    const std::vector<std::uint32_t> ids{1, 0, 3, 2, 0, 1, 2, 3, 2};
    sim::NetworkSpec spec{.dt_ms = dt};
    spec.populations = {{.name = "src",
                         .size = 4,
                         .model = sim::SpikeTrainSourceParams{.times_ms = times, .node_ids = ids}}};
    sim::Network net(spec);
    sim::SpikeRecorder recorder(net.population("src"));
    std::vector<std::int64_t> emitted_in;
    net.run(10.0, [&](const sim::Network& n) {
        recorder.record(n.grid());
        emitted_in.resize(recorder.times_ms().size(), n.steps_done() - 1);
    });

    // Expected: the given spikes in (time, node) order, each emitted in the step holding it.
    std::vector<std::size_t> order(times.size());
    for (std::size_t s = 0; s < order.size(); ++s) order[s] = s;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return std::tie(times[a], ids[a]) < std::tie(times[b], ids[b]);
    });
    REQUIRE(recorder.times_ms().size() == times.size());
    for (std::size_t k = 0; k < order.size(); ++k) {
        const double t = times[order[k]];
        const std::int64_t step = std::llround(std::floor(t / dt + 1e-9));
        const bool on_grid = std::abs(t / dt - std::round(t / dt)) <= 1e-9;
        CAPTURE(t, ids[order[k]]);
        CHECK(recorder.node_ids()[k] == ids[order[k]]);
        CHECK(emitted_in[k] == step);
        if (on_grid) {
            // On-grid times are the grid point step * dt, which may differ from the given
            // decimal by rounding (3 * 0.1 = 0.30000000000000004); TimeGrid snaps within 1e-9 dt.
            CHECK(recorder.times_ms()[k] == Approx(t).margin(1e-9 * dt));
            CHECK(recorder.times_ms()[k] == net.grid().time(step));
        } else {
            CHECK(recorder.times_ms()[k] == t);  // bit-exact
        }
    }
}

TEST_CASE("determinism: the same seed gives bit-identical spike trains and weights",
          "[determinism][integration]") {
    const auto spec = lif_cond_network(17);
    const RunOutput first = run_network(spec, 100.0);
    const RunOutput second = run_network(spec, 100.0);
    // Not vacuous: every population spiked.
    for (const auto& times : first.times) CHECK_FALSE(times.empty());
    CHECK(first.times == second.times);
    CHECK(first.nodes == second.nodes);
    CHECK(first.weights == second.weights);
}

TEST_CASE("determinism: a different seed gives different spike trains",
          "[determinism][integration]") {
    const RunOutput a = run_network(lif_cond_network(17), 100.0);
    const RunOutput b = run_network(lif_cond_network(18), 100.0);
    for (std::size_t pop = 0; pop < a.times.size(); ++pop) {
        CAPTURE(pop);
        CHECK((a.times[pop] != b.times[pop] || a.nodes[pop] != b.nodes[pop]));
    }
    CHECK(a.weights != b.weights);
}

TEST_CASE("determinism: running in one call or in pieces gives the same spikes",
          "[determinism][integration]") {
    const auto spec = lif_cond_network(23);
    const RunOutput whole = run_network(spec, 50.0);
    REQUIRE_FALSE(whole.times[1].empty());
    sim::Network net(spec);
    std::vector<sim::SpikeRecorder> recorders;
    for (const auto& pop : net.populations()) recorders.emplace_back(*pop);
    for (int k = 0; k < 10; ++k) {
        net.run(5.0, [&](const sim::Network& n) {
            for (auto& r : recorders) r.record(n.grid());
        });
    }
    for (std::size_t pop = 0; pop < recorders.size(); ++pop) {
        CHECK(recorders[pop].times_ms() == whole.times[pop]);
        CHECK(recorders[pop].node_ids() == whole.nodes[pop]);
    }
}
