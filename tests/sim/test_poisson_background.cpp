// What the Potjans & Diesmann (2014) microcircuit needs of the engine, each against its
// definition: the Poisson background input of a population (PoissonBackground: the counts are
// (step, neuron / 2) draws of the inversion sampler, with Poisson statistics, and lif_curr's
// membrane responds as shot noise does), normal distributions redrawn within a range (NEST's
// nest.math.redraw) and the fixed_total_number connection rule; then the shipped scenario's
// rates against NEST's at the same scale.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <array>
#include <filesystem>

#include <catch2/catch.hpp>

#include "models/error.hpp"
#include "models/lif_curr.hpp"
#include "sim/io/scenario.hpp"
#include "sim/network.hpp"
#include "sim/random_stream.hpp"
#include "tests/statistical_tolerance.hpp"

namespace poisson_background_test {

namespace sim = spikerate::sim;
namespace models = spikerate::models;
using spikerate::testing::mean_of;
using spikerate::testing::n_sd;
using spikerate::testing::variance_of;

// P(K <= k) for K ~ Poisson(mean), in long double (the reference the sampler is held to).
long double poisson_cdf(double mean, std::uint32_t k) {
    long double term = std::exp(-static_cast<long double>(mean));
    long double cdf = term;
    for (std::uint32_t j = 1; j <= k; ++j) {
        term *= static_cast<long double>(mean) / j;
        cdf += term;
    }
    return cdf;
}

// One lif_curr population "n" with Poisson background input and a threshold it never reaches.
sim::Network background_network(std::uint32_t n, const sim::PoissonBackground& background,
                                const models::LifCurrParams& params, std::uint64_t seed = 1) {
    sim::NetworkSpec spec{.dt_ms = 0.1, .seed = seed};
    spec.populations = {{.name = "n",
                         .size = n,
                         .model = params,
                         .integration = sim::Integration::exact,
                         .poisson_background = background}};
    return sim::Network(std::move(spec));
}

models::LifCurrParams subthreshold_lif() {
    models::LifCurrParams p{};
    p.V_th = 1e4;  // [mV] never reached
    return p;
}

// The background spikes each neuron received in each of `steps` steps, [step][neuron], read
// back from I_syn_e: zero before the step, k w e^{-dt/tau_syn_e} after it (exact integration).
std::vector<std::vector<std::uint32_t>> received_counts(double rate_hz, std::uint32_t n,
                                                        std::int64_t steps,
                                                        std::uint64_t* events = nullptr) {
    const double w = 1.0;  // [pA]
    const auto p = subthreshold_lif();
    auto net = background_network(n, {.rate_hz = rate_hz, .weight = w}, p);
    sim::Population& pop = net.population("n");
    const double decay = std::exp(-0.1 / p.tau_syn_e);
    std::vector<std::vector<std::uint32_t>> out;
    for (std::int64_t step = 0; step < steps; ++step) {
        auto I = pop.variable("I_syn_e");
        std::fill(I.begin(), I.end(), 0.0);
        net.step();
        I = pop.variable("I_syn_e");
        std::vector<std::uint32_t> counts(n);
        for (std::uint32_t i = 0; i < n; ++i) {
            const double k = I[i] / (w * decay);
            REQUIRE(std::abs(k - std::round(k)) < 1e-9);
            counts[i] = static_cast<std::uint32_t>(std::lround(k));
        }
        out.push_back(std::move(counts));
    }
    if (events != nullptr) *events = pop.background_events();
    return out;
}

TEST_CASE("poisson_background: the inversion sampler returns the smallest k with u <= P(K <= k)",
          "[poisson_background][unit]") {
    const double mean = GENERATE(0.128, 0.232, 1.0, 4.5, 10.0);
    CAPTURE(mean);
    // u on a grid over (0, 1) and close to 1, where the sum's rounding matters most.
    std::vector<double> us;
    for (int j = 1; j < 2000; ++j) us.push_back(j / 2000.0);
    for (int e = 2; e <= 15; ++e) us.push_back(1.0 - std::pow(10.0, -e));
    std::size_t disagreements = 0;
    for (const double u : us) {
        const std::uint32_t k = sim::poisson_by_inversion(mean, u);
        const long double below = k == 0 ? 0.0L : poisson_cdf(mean, k - 1);
        const long double at = poisson_cdf(mean, k);
        // Exact unless u lies within the sum's rounding (1e-14) of a step of the CDF.
        const bool exact = below < u && u <= at;
        const bool at_a_step = std::abs(static_cast<long double>(u) - below) < 1e-14L ||
                               std::abs(static_cast<long double>(u) - at) < 1e-14L;
        CAPTURE(u, k, static_cast<double>(below), static_cast<double>(at));
        CHECK((exact || at_a_step));
        disagreements += exact ? 0 : 1;
    }
    CHECK(disagreements <= 1);
}

TEST_CASE(
    "poisson_background: a neuron's count in a step is the sampler's draw for its (step, "
    "neuron / 2) counter, and every spike is counted",
    "[poisson_background][unit]") {
    const double rate_hz = 2320.0;  // L6E's background at scale 0.1: 0.232 spikes per step
    std::uint64_t events = 0;
    const auto counts = received_counts(rate_hz, 40, 30, &events);
    const sim::RandomStream stream(1, "poisson_background/n");
    std::uint64_t total = 0;
    for (std::int64_t step = 0; step < 30; ++step) {
        for (std::uint32_t i = 0; i < 40; ++i) {
            const auto u = sim::paired_uniform(stream, static_cast<std::uint64_t>(step), i);
            CHECK(counts[step][i] == sim::poisson_by_inversion(rate_hz * 1e-4, u));
            total += counts[step][i];
        }
    }
    CHECK(total > 0);
    CHECK(events == total);
    // The first 7 of a population of 40 get what a population of 7 gets.
    const auto small = received_counts(rate_hz, 7, 30);
    for (std::int64_t step = 0; step < 30; ++step) {
        CHECK(std::equal(small[step].begin(), small[step].end(), counts[step].begin()));
    }
}

TEST_CASE(
    "poisson_background: counts per step have the Poisson mean, variance and probabilities "
    "within sampling error",
    "[poisson_background][unit]") {
    // m = 100,000 counts of mean mu = rate dt. The sample mean has standard error sqrt(mu / m),
    // the sample variance sqrt((mu_4 - sigma^4) / m) with mu_4 = mu + 3 mu^2, sigma^2 = mu; the
    // frequency of each k is binomial around m P(K = k).
    const double rate_hz = GENERATE(2320.0, 30000.0);  // mu = 0.232, 3
    const double mu = rate_hz * 1e-4;
    const std::uint32_t n = 2000;
    const std::int64_t steps = 50;
    const double m = static_cast<double>(n) * static_cast<double>(steps);
    std::vector<double> x, even, odd;  // odd: the neuron sharing even's counter
    std::map<std::uint32_t, double> frequency;
    for (const auto& row : received_counts(rate_hz, n, steps)) {
        for (std::uint32_t i = 0; i < n; ++i) {
            x.push_back(row[i]);
            frequency[row[i]] += 1.0;
            (i % 2 == 0 ? even : odd).push_back(row[i]);
        }
    }
    const double mean = mean_of(x), var = variance_of(x);
    CAPTURE(mu, mean, var);
    CHECK(std::abs(mean - mu) <= n_sd * std::sqrt(mu / m));
    CHECK(std::abs(var - mu) <= n_sd * std::sqrt((mu + 2.0 * mu * mu) / m));
    // The two neurons of a counter are uncorrelated: the sample correlation of m / 2 pairs has
    // standard deviation about 1 / sqrt(m / 2).
    const double me = mean_of(even), mo = mean_of(odd);
    double sxy = 0.0, sxx = 0.0, syy = 0.0;
    for (std::size_t j = 0; j < even.size(); ++j) {
        sxy += (even[j] - me) * (odd[j] - mo);
        sxx += (even[j] - me) * (even[j] - me);
        syy += (odd[j] - mo) * (odd[j] - mo);
    }
    CHECK(std::abs(sxy / std::sqrt(sxx * syy)) <= n_sd / std::sqrt(m / 2.0));
    for (std::uint32_t k = 0; k <= 6; ++k) {
        const double p =
            static_cast<double>(poisson_cdf(mu, k) - (k == 0 ? 0.0L : poisson_cdf(mu, k - 1)));
        CAPTURE(k, p, frequency[k] / m);
        CHECK(std::abs(frequency[k] - m * p) <= n_sd * std::sqrt(m * p * (1.0 - p)) + 1e-9);
    }
}

TEST_CASE(
    "poisson_background: lif_curr's V_m has the shot-noise mean and variance (Campbell's "
    "theorem on the step grid)",
    "[poisson_background][lif][integration]") {
    // A spike jumps I_syn_e by w at the start of a step; V_m's response k steps later (exact
    // integration) is v(k dt) = (w / C_m) tau_m tau_s / (tau_m - tau_s) (e^{-k dt / tau_m} -
    // e^{-k dt / tau_s}). Counts are independent Poisson(mu) per step, so after N steps from
    // rest V_m - E_L has mean mu sum_{k=1..N} v(k dt) and variance mu sum_{k=1..N} v(k dt)^2,
    // exactly. Neurons are independent: the sample over n neurons has standard errors
    // sd / sqrt(n) (mean) and sqrt((mu_4 - sigma^4) / n) (variance, mu_4 from the sample).
    auto p = subthreshold_lif();
    p.tau_m = 10.0;
    p.tau_syn_e = 0.5;
    p.C_m = 250.0;
    p.E_L = -65.0;
    const double w = 87.81, rate_hz = 8000.0, dt = 0.1, mu = rate_hz * dt * 1e-3;
    const std::uint32_t n = 4000;
    const std::int64_t steps = 1000;
    auto net = background_network(n, {.rate_hz = rate_hz, .weight = w}, p, 5);
    for (std::int64_t k = 0; k < steps; ++k) net.step();
    const auto V = net.population("n").variable("V_m");
    std::vector<double> v(V.begin(), V.end());
    for (double& x : v) x -= p.E_L;

    double s1 = 0.0, s2 = 0.0;
    const double amplitude = w / p.C_m * p.tau_m * p.tau_syn_e / (p.tau_m - p.tau_syn_e);
    for (std::int64_t k = 1; k <= steps; ++k) {
        const double t = static_cast<double>(k) * dt;
        const double psp = amplitude * (std::exp(-t / p.tau_m) - std::exp(-t / p.tau_syn_e));
        s1 += psp;
        s2 += psp * psp;
    }
    const double expected_mean = mu * s1, expected_var = mu * s2;
    const double mean = mean_of(v), var = variance_of(v);
    double mu4 = 0.0;
    for (const double x : v) mu4 += std::pow(x - mean, 4) / n;
    CAPTURE(mean, expected_mean, var, expected_var);
    CHECK(std::abs(mean - expected_mean) <= n_sd * std::sqrt(expected_var / n));
    CHECK(std::abs(var - expected_var) <= n_sd * std::sqrt((mu4 - var * var) / n));
    // The grid sum is the continuous shot noise's mean, R w rate tau_s (mean I_syn = w rate
    // tau_s), up to the Euler-Maclaurin term rate dt^2 v'(0) / 12 with v'(0) = w / C_m (the next
    // term is O(dt^4)) and the tail beyond N steps, below e^{-N dt / tau_m} of the whole.
    const double continuous = p.tau_m / p.C_m * w * rate_hz * 1e-3 * p.tau_syn_e;
    const double euler_maclaurin = rate_hz * 1e-3 * dt * dt * w / (12.0 * p.C_m);
    const double tail = continuous * std::exp(-static_cast<double>(steps) * dt / p.tau_m);
    CAPTURE(continuous, euler_maclaurin, tail);
    CHECK(std::abs(expected_mean - continuous) <= 1.5 * euler_maclaurin + tail);
}

TEST_CASE("poisson_background: bad values stop the build naming the population and key",
          "[poisson_background][validation][unit]") {
    const auto error_of = [](sim::PopulationSpec pop) -> std::string {
        sim::NetworkSpec spec{.dt_ms = 0.1};
        spec.populations = {std::move(pop)};
        try {
            const sim::Network net(spec);
        } catch (const spikerate::ParamError& e) {
            return e.what();
        }
        return "(no ParamError)";
    };
    const auto lif = [](sim::PoissonBackground bg) {
        return sim::PopulationSpec{
            .name = "n", .size = 3, .model = models::LifCurrParams{}, .poisson_background = bg};
    };
    using Catch::Matchers::Contains;
    CHECK(error_of(lif({.rate_hz = 1000.0, .weight = 10.0})) == "(no ParamError)");
    CHECK_THAT(
        error_of(lif({.rate_hz = -1.0, .weight = 10.0})),
        Contains("population 'n'") && Contains("poisson_background.rate_hz") && Contains(">= 0"));
    CHECK_THAT(error_of(lif({.rate_hz = 200000.0, .weight = 10.0})),
               Contains("poisson_background.rate_hz") && Contains("20 input spikes expected"));
    CHECK_THAT(error_of(lif({.rate_hz = 100.0, .weight = -5.0})),
               Contains("poisson_background.weight") && Contains(">= 0"));
    auto precise = lif({.rate_hz = 100.0, .weight = 5.0});
    precise.integration = sim::Integration::precise;
    CHECK_THAT(error_of(precise), Contains("poisson_background") && Contains("precise"));
    CHECK_THAT(error_of({.name = "s",
                         .size = 3,
                         .model = sim::PoissonSourceParams{.rate_hz = 1.0},
                         .poisson_background = sim::PoissonBackground{.rate_hz = 1.0}}),
               Contains("population 's'") && Contains("sources take no input"));
}

// ---- normal distributions redrawn within a range ------------------------------------------

TEST_CASE(
    "distribution: a normal redrawn within [low, high] keeps the unbounded draw where it lies "
    "inside, and has the truncated normal's mean",
    "[distribution][unit]") {
    const sim::RandomStream stream(3, "delays/test");
    const double mean = 1.5, sd = 0.75, low = 0.05, high = 2.5;
    const auto plain = sim::Distribution::normal(mean, sd);
    const auto bounded = sim::Distribution::normal_within(mean, sd, low, high);
    REQUIRE(bounded.redraws());
    REQUIRE_FALSE(plain.redraws());
    CHECK(bounded.lowest() == low);
    CHECK(bounded.highest() == high);
    const std::uint32_t m = 100000;
    std::vector<double> x;
    std::size_t redrawn = 0;
    for (std::uint32_t s = 0; s < m; ++s) {
        const double unbounded = plain.sample(stream, s, 0);
        // The counter (s, 0)'s normal (up to the contraction of the product into an FMA).
        CHECK(unbounded == Approx(mean + sd * stream.normal(s, 0)).margin(1e-14));
        const double value = bounded.sample(stream, s, 0);
        REQUIRE(value >= low);
        REQUIRE(value <= high);
        if (unbounded >= low && unbounded <= high) {
            REQUIRE(value == unbounded);
        } else {
            ++redrawn;
        }
        x.push_back(value);
    }
    // Truncated normal: alpha, beta the bounds in sd; mean + sd (phi(alpha) - phi(beta)) / Z,
    // variance sd^2 (1 + (alpha phi(alpha) - beta phi(beta)) / Z - ((phi(alpha) - phi(beta)) /
    // Z)^2), Z = Phi(beta) - Phi(alpha).
    const auto phi = [](double z) { return std::exp(-z * z / 2.0) / std::sqrt(2.0 * M_PI); };
    const double alpha = (low - mean) / sd, beta = (high - mean) / sd;
    const double Z = bounded.within_mass();
    CHECK(Z == Approx(0.5 * (std::erf(beta / std::sqrt(2.0)) - std::erf(alpha / std::sqrt(2.0))))
                   .epsilon(1e-12));
    const double d = (phi(alpha) - phi(beta)) / Z;
    const double t_mean = mean + sd * d;
    const double t_var = sd * sd * (1.0 + (alpha * phi(alpha) - beta * phi(beta)) / Z - d * d);
    CAPTURE(mean_of(x), t_mean, variance_of(x), t_var, redrawn);
    CHECK(std::abs(mean_of(x) - t_mean) <= n_sd * std::sqrt(t_var / m));
    const double outside = 1.0 - Z;
    CHECK(std::abs(static_cast<double>(redrawn) - m * outside) <=
          n_sd * std::sqrt(m * outside * (1.0 - outside)));
}

TEST_CASE("distribution: redraw ranges that cannot work are refused with the reason",
          "[distribution][validation][unit]") {
    const auto error_of = [](const sim::Distribution& d) -> std::string {
        try {
            d.validate("delay_ms", "ms");
        } catch (const spikerate::ParamError& e) {
            return e.what();
        }
        return "(no ParamError)";
    };
    using Catch::Matchers::Contains;
    const double inf = std::numeric_limits<double>::infinity();
    CHECK(error_of(sim::Distribution::normal_within(1.5, 0.75, 0.05, inf)) == "(no ParamError)");
    CHECK(error_of(sim::Distribution::normal_within(-1.0, 0.0, -inf, 0.0)) == "(no ParamError)");
    // 5 sd above the mean: 3e-7 of the mass.
    CHECK_THAT(error_of(sim::Distribution::normal_within(0.0, 1.0, 5.0, inf)),
               Contains("delay_ms") && Contains("holds") && Contains("0.05 required"));
    CHECK_THAT(error_of(sim::Distribution::normal_within(1.0, 0.0, 2.0, 3.0)),
               Contains("holds 0 of the distribution"));
    CHECK_THAT(error_of(sim::Distribution::normal_within(1.0, 1.0, 2.0, 2.0)),
               Contains("lower bound must be below the upper bound"));
    CHECK_THAT(error_of(sim::Distribution::normal_within(1.0, 1.0, std::nan(""), 2.0)),
               Contains("lower bound must be below the upper bound"));
    auto uniform = sim::Distribution::uniform(0.0, 1.0);
    uniform.within_low = 0.5;
    CHECK_THAT(error_of(uniform), Contains("only a normal distribution is redrawn"));
}

TEST_CASE("distribution: redrawn normal weights keep their sign through a network's build",
          "[distribution][projection][unit]") {
    const double inf = std::numeric_limits<double>::infinity();
    sim::NetworkSpec spec{.dt_ms = 0.1, .seed = 9};
    spec.populations = {{.name = "a", .size = 50, .model = models::LifCurrParams{}},
                        {.name = "b", .size = 50, .model = models::LifCurrParams{}}};
    spec.projections = {{.pre = "a",
                         .post = "b",
                         .connection = sim::connect::FixedTotalNumber{.n = 5000},
                         .weight = sim::Distribution::normal_within(10.0, 8.0, 0.0, inf),
                         .delay_ms = sim::Distribution::normal_within(0.75, 0.375, 0.05, inf)}};
    // Without the range, a normal weight can be negative and is refused.
    auto unbounded = spec;
    unbounded.projections[0].weight = sim::Distribution::normal(10.0, 8.0);
    CHECK_THROWS_AS(sim::Network(unbounded), spikerate::ParamError);
    const sim::Network net(spec);
    const auto& proj = net.projection("a->b");
    const auto w = proj.weights();
    CHECK(*std::min_element(w.begin(), w.end()) >= 0.0);
    const auto delays = proj.delays();
    CHECK(*std::min_element(delays.begin(), delays.end()) == 1);  // 0.05 ms rounds to one step
}

// ---- fixed_total_number ------------------------------------------------------------------------

TEST_CASE(
    "connect: fixed_total_number makes n synapses with uniform pre and post, multapses, and "
    "no autapses when excluded",
    "[projection][connect][unit]") {
    const bool autapses = GENERATE(true, false);
    CAPTURE(autapses);
    const std::uint32_t n_pre = 40, n_post = 30, n = 24000;  // 20 per pair: many multapses
    sim::NetworkSpec spec{.dt_ms = 0.1, .seed = 4};
    spec.populations = {{.name = "b", .size = n_post, .model = models::LifCurrParams{}},
                        {.name = "a", .size = n_pre, .model = models::LifCurrParams{}}};
    spec.projections = {
        {.pre = "a",
         .post = "b",
         .connection = sim::connect::FixedTotalNumber{.n = n, .allow_autapses = autapses}}};
    const sim::Network net(spec);
    const auto& proj = net.projection("a->b");
    REQUIRE(proj.n_synapses() == n);
    std::vector<double> per_pre(n_pre, 0.0), per_post(n_post, 0.0);
    std::size_t same_index = 0, multapses = 0;
    for (std::size_t s = 0; s < n; ++s) {
        per_pre[proj.pre_of(s)] += 1.0;
        per_post[proj.post_of(s)] += 1.0;
        same_index += proj.pre_of(s) == proj.post_of(s) ? 1 : 0;
        if (s > 0 && proj.pre_of(s) == proj.pre_of(s - 1) &&
            proj.post_of(s) == proj.post_of(s - 1)) {
            ++multapses;
        }
    }
    CHECK(multapses > 0);
    if (autapses) {
        CHECK(same_index > 0);
        // Each neuron's count is binomial(n, 1 / size).
        for (const double c : per_pre) {
            CHECK(std::abs(c - n / 40.0) <= n_sd * std::sqrt(n / 40.0 * (1.0 - 1.0 / 40.0)));
        }
        for (const double c : per_post) {
            CHECK(std::abs(c - n / 30.0) <= n_sd * std::sqrt(n / 30.0 * (1.0 - 1.0 / 30.0)));
        }
    } else {
        CHECK(same_index == 0);
    }
    // Counter-based: another seed, other pairs; the same seed, the same pairs.
    const sim::Network again(spec);
    bool same = true;
    for (std::size_t s = 0; s < n; ++s) {
        same = same && again.projection("a->b").pre_of(s) == proj.pre_of(s) &&
               again.projection("a->b").post_of(s) == proj.post_of(s);
    }
    CHECK(same);
}

TEST_CASE("connect: fixed_total_number without autapses from one neuron onto one is refused",
          "[projection][connect][validation][unit]") {
    sim::NetworkSpec spec{.dt_ms = 0.1};
    spec.populations = {{.name = "a", .size = 1, .model = models::LifCurrParams{}}};
    spec.projections = {
        {.pre = "a",
         .post = "a",
         .connection = sim::connect::FixedTotalNumber{.n = 3, .allow_autapses = false}}};
    try {
        const sim::Network net(spec);
        FAIL("no error");
    } catch (const spikerate::ParamError& e) {
        CHECK_THAT(std::string(e.what()), Catch::Matchers::Contains("projection 'a->a'") &&
                                              Catch::Matchers::Contains("n = 3") &&
                                              Catch::Matchers::Contains("no pair"));
    }
    spec.projections[0].connection = sim::connect::FixedTotalNumber{.n = 3};  // autapses allowed
    CHECK(sim::Network(spec).projection("a->a").n_synapses() == 3);
}

// ---- the shipped microcircuit ------------------------------------------------------------------

TEST_CASE(
    "potjans_diesmann_2014: the scale-0.1 microcircuit's rates lie near NEST's at the same "
    "scale, in the published order",
    "[poisson_background][microcircuit][integration][slow]") {
    // 500 ms, rates over 200-500 ms (after the onset transient). The reference is the NEST
    // example's own run at this scale (1 s after 500 ms); over 300 ms four seeds of this
    // scenario spread around it (L2/3E 0.41-0.52 against 0.40 spikes/s, L5E 5.9-6.8 against
    // 6.6), so the band is 30 % + 0.2 spikes/s. The order is the paper's: in every layer the
    // inhibitory population fires faster than the excitatory one, L2/3E and L6E slowest.
    const auto file = std::filesystem::path(__FILE__).parent_path() /
                      "../../data/scenarios/potjans_diesmann_2014.toml";
    const auto scenario = sim::io::load_scenario(file, {});
    sim::Network net(scenario.network);
    const std::array<std::string, 8> names{"L23E", "L23I", "L4E", "L4I",
                                           "L5E",  "L5I",  "L6E", "L6I"};
    const std::array<double, 8> nest_scale_0_1{0.402, 2.017, 3.880, 4.958,
                                               6.575, 7.726, 0.831, 6.986};
    const std::int64_t transient = 2000, steps = 5000;
    std::array<double, 8> spikes{};
    for (std::int64_t k = 0; k < steps; ++k) {
        net.step();
        if (k < transient) continue;
        for (std::size_t p = 0; p < names.size(); ++p) {
            spikes[p] += static_cast<double>(net.population(names[p]).spikes().size());
        }
    }
    std::array<double, 8> rate{};
    for (std::size_t p = 0; p < names.size(); ++p) {
        const double seconds = static_cast<double>(steps - transient) * 0.1e-3;
        rate[p] = spikes[p] / (net.population(names[p]).size() * seconds);
        CAPTURE(names[p], rate[p], nest_scale_0_1[p]);
        CHECK(std::abs(rate[p] - nest_scale_0_1[p]) <= 0.3 * nest_scale_0_1[p] + 0.2);
    }
    for (std::size_t layer = 0; layer < 4; ++layer) CHECK(rate[2 * layer] < rate[2 * layer + 1]);
    CHECK(std::max(rate[0], rate[6]) < std::min({rate[2], rate[4]}));
}

}  // namespace poisson_background_test
