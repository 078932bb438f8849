// A population's current noise (PopulationSpec::current_noise): the current each neuron receives
// in a step is the one its counter (step, neuron) draws from the stream "current_noise/<name>",
// whatever the population's size; the draws have the distribution's mean and variance and are
// uncorrelated across neurons, steps and populations; and one step of a neuron under it matches
// the closed form of its integration scheme with that current held over the step.
//
// The current a lif_curr neuron received is read back from one forward-Euler step from rest:
// with V_m = E_L and no synaptic current, V_m(dt) = E_L + dt I / C_m, so I = (V_m - E_L) C_m / dt,
// up to the rounding of V_m (half an ulp of |E_L| = 70 mV, 7e-15 mV, i.e. 2e-10 pA at
// C_m / dt = 2,500 pF/ms). The currents used (|I| <= 100 pA) move V_m by at most 0.04 mV from
// -70 mV, far below threshold.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "models/izhikevich.hpp"
#include "models/lif_cond.hpp"
#include "models/lif_curr.hpp"
#include "sim/network.hpp"
#include "sim/random_stream.hpp"
#include "sim/time_grid.hpp"
#include "tests/sim/lif_testing.hpp"
#include "tests/statistical_tolerance.hpp"

namespace current_noise_test {

namespace sim = spikerate::sim;
namespace models = spikerate::models;
using spikerate::testing::eps;
using spikerate::testing::n_sd;

constexpr double lif_dt = 0.1;  // [ms]

// A network of one population of n neurons with current noise. Built by the library, never
// instantiated here: this file is compiled without optimisation, and an engine template
// instantiated in it could be the copy the linker keeps for the whole suite.
sim::Network one_population(const std::string& name, std::uint32_t n, sim::PopulationModel model,
                            sim::Integration integration, double dt, std::uint64_t seed,
                            const sim::Distribution& noise) {
    sim::NetworkSpec spec{.dt_ms = dt, .seed = seed};
    spec.populations = {{.name = name,
                         .size = n,
                         .model = std::move(model),
                         .integration = integration,
                         .current_noise = noise}};
    return sim::Network(std::move(spec));
}

// The currents [pA] that `n` lif_curr neurons received in each of `steps` steps, [step][neuron].
std::vector<std::vector<double>> received_currents(const sim::Distribution& noise, std::uint32_t n,
                                                   std::int64_t steps,
                                                   const std::string& name = "n",
                                                   std::uint64_t seed = 1) {
    const models::LifCurrParams p{};
    auto net = one_population(name, n, p, sim::Integration::euler, lif_dt, seed, noise);
    sim::Population& pop = net.population(name);
    std::vector<std::vector<double>> out;
    for (std::int64_t step = 0; step < steps; ++step) {
        auto V = pop.variable("V_m");
        std::fill(V.begin(), V.end(), p.E_L);
        net.step();
        REQUIRE(pop.spikes().empty());
        V = pop.variable("V_m");
        std::vector<double> currents(n);
        for (std::uint32_t i = 0; i < n; ++i) currents[i] = (V[i] - p.E_L) * p.C_m / lif_dt;
        out.push_back(std::move(currents));
    }
    return out;
}

std::vector<double> flatten(const std::vector<std::vector<double>>& rows) {
    std::vector<double> out;
    for (const auto& r : rows) out.insert(out.end(), r.begin(), r.end());
    return out;
}

using spikerate::testing::mean_of;
using spikerate::testing::variance_of;

// Pearson's correlation of the pairs (x[k], y[k]).
double correlation(const std::vector<double>& x, const std::vector<double>& y) {
    const double mx = mean_of(x), my = mean_of(y);
    double sxy = 0.0, sxx = 0.0, syy = 0.0;
    for (std::size_t k = 0; k < x.size(); ++k) {
        sxy += (x[k] - mx) * (y[k] - my);
        sxx += (x[k] - mx) * (x[k] - mx);
        syy += (y[k] - my) * (y[k] - my);
    }
    return sxy / std::sqrt(sxx * syy);
}

// [pA] what the read-back can be off by: the rounding of V_m, 2 ulp of 70 mV, times C_m / dt.
double read_back_tolerance() {
    const models::LifCurrParams p{};
    return 2.0 * eps * std::abs(p.E_L) * p.C_m / lif_dt;
}

TEST_CASE(
    "current_noise: a neuron's current in a step is its (step, neuron) draw, whatever the "
    "population's size",
    "[current_noise][unit]") {
    const auto noise = sim::Distribution::uniform(-100.0, 60.0);
    const auto currents = received_currents(noise, 50, 4);
    const sim::RandomStream stream(1, "current_noise/n");
    for (std::int64_t step = 0; step < 4; ++step) {
        for (std::uint32_t i = 0; i < 50; ++i) {
            const double expected =
                -100.0 + 160.0 * stream.uniform(static_cast<std::uint64_t>(step), i);
            CHECK(std::abs(currents[step][i] - expected) <= read_back_tolerance());
        }
    }
    // The first 7 of a population of 50 get what a population of 7 gets, and a second run the
    // same, bit for bit.
    const auto small = received_currents(noise, 7, 4);
    const auto again = received_currents(noise, 50, 4);
    for (std::int64_t step = 0; step < 4; ++step) {
        for (std::uint32_t i = 0; i < 7; ++i) CHECK(small[step][i] == currents[step][i]);
        CHECK(again[step] == currents[step]);
    }
    // Another seed or another population name: other draws.
    const auto other_seed = flatten(received_currents(noise, 50, 4, "n", 2));
    const auto other_name = flatten(received_currents(noise, 50, 4, "m", 1));
    const auto all = flatten(currents);
    std::size_t same_seed_equal = 0, same_name_equal = 0;
    for (std::size_t k = 0; k < all.size(); ++k) {
        same_seed_equal += other_name[k] == all[k] ? 1 : 0;
        same_name_equal += other_seed[k] == all[k] ? 1 : 0;
    }
    CHECK(same_seed_equal == 0);
    CHECK(same_name_equal == 0);
}

TEST_CASE(
    "current_noise: uniform and normal draws have the distribution's mean and variance "
    "within sampling error",
    "[current_noise][unit]") {
    // m = 20,000 draws. The sample mean has standard error sigma / sqrt(m); the sample variance
    // sqrt((mu_4 - sigma^4) / m), with mu_4 = w^4 / 80 and sigma^2 = w^2 / 12 for a uniform of
    // width w, and mu_4 = 3 sigma^4 for a normal.
    const std::uint32_t n = 1000;
    const std::int64_t steps = 20;
    const double m = static_cast<double>(n) * static_cast<double>(steps);
    SECTION("uniform on [low, high]") {
        const double low = -65.0, high = 35.0, w = high - low;
        const auto x = flatten(received_currents(sim::Distribution::uniform(low, high), n, steps));
        const double sigma2 = w * w / 12.0;
        const double mu4 = std::pow(w, 4) / 80.0;
        const double mean = mean_of(x), var = variance_of(x);
        CAPTURE(mean, var);
        CHECK(std::abs(mean - (low + high) / 2.0) <= n_sd * std::sqrt(sigma2 / m));
        CHECK(std::abs(var - sigma2) <= n_sd * std::sqrt((mu4 - sigma2 * sigma2) / m));
        const auto [lo, hi] = std::minmax_element(x.begin(), x.end());
        CHECK(*lo >= low - read_back_tolerance());
        CHECK(*hi <= high + read_back_tolerance());
    }
    SECTION("normal with mean and sd") {
        const double mu = 12.0, sd = 30.0;
        const auto x = flatten(received_currents(sim::Distribution::normal(mu, sd), n, steps));
        const double mean = mean_of(x), var = variance_of(x);
        // The fraction within one sd of the mean: binomial with p = erf(1 / sqrt(2)).
        const double p = std::erf(1.0 / std::sqrt(2.0));
        const double within = static_cast<double>(
            std::count_if(x.begin(), x.end(), [&](double v) { return std::abs(v - mu) <= sd; }));
        CAPTURE(mean, var, within / m);
        CHECK(std::abs(mean - mu) <= n_sd * sd / std::sqrt(m));
        CHECK(std::abs(var - sd * sd) <= n_sd * std::sqrt(2.0 * std::pow(sd, 4) / m));
        CHECK(std::abs(within - m * p) <= n_sd * std::sqrt(m * p * (1.0 - p)));
    }
}

TEST_CASE("current_noise: draws are uncorrelated across neurons, steps and populations",
          "[current_noise][unit]") {
    // For independent pairs the sample correlation of m pairs has standard deviation about
    // 1 / sqrt(m).
    const std::uint32_t n = 500;
    const std::int64_t steps = 21;
    const auto noise = sim::Distribution::uniform(-6.5, 6.5);
    const auto a = received_currents(noise, n, steps, "exc");
    const auto b = received_currents(noise, n, steps, "inh");
    std::vector<double> x, next_neuron, next_step, diagonal, other_population;
    for (std::int64_t s = 0; s + 1 < steps; ++s) {
        for (std::uint32_t i = 0; i + 1 < n; ++i) {
            x.push_back(a[s][i]);
            next_neuron.push_back(a[s][i + 1]);
            next_step.push_back(a[s + 1][i]);
            diagonal.push_back(a[s + 1][i + 1]);
            other_population.push_back(b[s][i]);
        }
    }
    const double bound = n_sd / std::sqrt(static_cast<double>(x.size()));
    CAPTURE(x.size(), bound);
    CHECK(std::abs(correlation(x, next_neuron)) <= bound);
    CHECK(std::abs(correlation(x, next_step)) <= bound);
    CHECK(std::abs(correlation(x, diagonal)) <= bound);
    CHECK(std::abs(correlation(x, other_population)) <= bound);
}

TEST_CASE(
    "current_noise: one izhikevich_half_steps step adds the current to I in both "
    "half-steps, as daspnet.m",
    "[current_noise][izhikevich][unit]") {
    // daspnet.m, per 1 ms: v += 0.5 (0.04 v^2 + 5 v + 140 - u + I) twice, then u += a (b v - u),
    // with I = 13 (rand - 0.5) (+ the synaptic input, none here). Each half-step sums terms of at
    // most 0.5 (0.04 v^2 + 5 |v| + 140 + |u| + |I|) < 256 mV for the states below; a handful of
    // roundings of that size per half-step (and contractions into fused multiply-adds, which
    // the optimised engine may use and this test not): 16 ulp of 256 mV per half-step.
    const double dt = 1.0;
    const models::IzhikevichParams p{};  // regular spiking
    const std::vector<double> v0{-70.0, -62.0, -55.0, -50.0};
    auto net = one_population("exc", static_cast<std::uint32_t>(v0.size()), p,
                              sim::Integration::izhikevich_half_steps, dt, 7,
                              sim::Distribution::uniform(-6.5, 6.5));
    sim::Population& pop = net.population("exc");
    const sim::RandomStream stream(7, "current_noise/exc");
    const double tolerance = 2.0 * 16.0 * eps * 256.0;
    for (std::int64_t step = 0; step < 3; ++step) {
        auto V = pop.variable("V_m");
        auto U = pop.variable("u");
        std::copy(v0.begin(), v0.end(), V.begin());
        for (std::size_t i = 0; i < v0.size(); ++i) U[i] = p.b * v0[i];
        net.step();
        REQUIRE(pop.spikes().empty());
        V = pop.variable("V_m");
        U = pop.variable("u");
        for (std::uint32_t i = 0; i < v0.size(); ++i) {
            const double I = 13.0 * (stream.uniform(static_cast<std::uint64_t>(step), i) - 0.5);
            const double u = p.b * v0[i];
            double v = v0[i];
            v = v + 0.5 * ((0.04 * v + 5.0) * v + 140.0 - u + I);
            v = v + 0.5 * ((0.04 * v + 5.0) * v + 140.0 - u + I);
            const double u1 = u + p.a * (p.b * v - u);
            CAPTURE(step, i, I);
            CHECK(std::abs(V[i] - v) <= tolerance);
            CHECK(std::abs(U[i] - u1) <= tolerance);
        }
    }
}

TEST_CASE(
    "current_noise: one lif step under the held current matches the closed form of its "
    "integration",
    "[current_noise][lif][unit]") {
    const double dt = 0.1;
    const auto noise = sim::Distribution::normal(50.0, 200.0);
    const sim::RandomStream stream(3, "current_noise/n");
    const std::uint32_t n = 16;
    const double V0 = -65.0;
    SECTION("lif_curr, exact: V_m = E_L + (V0 - E_L) e^{-dt/tau_m} + I R (1 - e^{-dt/tau_m})") {
        const models::LifCurrParams p{};
        auto net = one_population("n", n, p, sim::Integration::exact, dt, 3, noise);
        sim::Population& pop = net.population("n");
        auto V = pop.variable("V_m");
        std::fill(V.begin(), V.end(), V0);
        net.step();
        V = pop.variable("V_m");
        const double decay = std::exp(-dt / p.tau_m);
        for (std::uint32_t i = 0; i < n; ++i) {
            const double I = 50.0 + 200.0 * stream.normal(0, i);
            const double expected =
                p.E_L + (V0 - p.E_L) * decay + I * p.tau_m / p.C_m * (1.0 - decay);
            CAPTURE(i, I);
            CHECK(std::abs(V[i] - expected) <= spikerate::testing::rounding(1.0));
        }
    }
    SECTION("lif_curr, dopri5: the exact solution within dopri5's defect") {
        // Without synaptic currents dV_m/dt = -(V_m - V_inf) / tau_m, V_inf = E_L + I R: one
        // dopri5 step (or its sub-steps) leaves at most z^6 / 1800 of the distance (lif_testing).
        const models::LifCurrParams p{};
        auto net = one_population("n", n, p, sim::Integration::dopri5, dt, 3, noise);
        sim::Population& pop = net.population("n");
        auto V = pop.variable("V_m");
        std::fill(V.begin(), V.end(), V0);
        net.step();
        V = pop.variable("V_m");
        const double z = dt / p.tau_m;
        for (std::uint32_t i = 0; i < n; ++i) {
            const double I = 50.0 + 200.0 * stream.normal(0, i);
            const double V_inf = p.E_L + I * p.tau_m / p.C_m;
            const double expected = V_inf + (V0 - V_inf) * std::exp(-z);
            CAPTURE(i, I);
            CHECK(std::abs(V[i] - expected) <= std::pow(z, 6) / 1800.0 * std::abs(V0 - V_inf) +
                                                   spikerate::testing::rounding(1.0));
        }
    }
    SECTION("lif_cond, rk4 (odeint's, not the fused step): V_m = V_inf + (V0 - V_inf) P4(-z)") {
        // Without conductances dV_m/dt = (g_L (E_L - V_m) + I) / C_m, linear: one RK4 step
        // multiplies the distance to V_inf = E_L + I / g_L by P4(-z), z = dt g_L / C_m.
        const models::LifCondParams p{};
        auto net = one_population("n", n, p, sim::Integration::rk4, dt, 3, noise);
        sim::Population& pop = net.population("n");
        auto V = pop.variable("V_m");
        std::fill(V.begin(), V.end(), V0);
        net.step();
        V = pop.variable("V_m");
        const double z = dt * p.g_L / p.C_m;
        const double p4 = 1.0 - z + z * z / 2.0 - z * z * z / 6.0 + z * z * z * z / 24.0;
        for (std::uint32_t i = 0; i < n; ++i) {
            const double I = 50.0 + 200.0 * stream.normal(0, i);
            const double V_inf = p.E_L + I / p.g_L;
            CAPTURE(i, I);
            CHECK(std::abs(V[i] - (V_inf + (V0 - V_inf) * p4)) <=
                  spikerate::testing::rounding(1.0));
        }
    }
}

}  // namespace current_noise_test
