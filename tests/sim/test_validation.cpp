// Every bad parameter is rejected early with a ParamError whose message names the parameter and
// starts with the element it is about: "population '<name>'" or "projection '<name>'".

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "models/error.hpp"
#include "sim/network.hpp"
#include "sim/sources.hpp"

namespace {

namespace sim = spikerate::sim;
namespace models = spikerate::models;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();
constexpr double infinity = std::numeric_limits<double>::infinity();

// The message of the ParamError that f() throws, or "(no ParamError)" if it returns. Any other
// exception escapes and fails the test.
template <class F>
std::string param_error_of(F&& f) {
    try {
        f();
    } catch (const spikerate::ParamError& e) {
        return e.what();
    }
    return "(no ParamError)";
}

std::string build_error(const sim::NetworkSpec& spec) {
    return param_error_of([&] { const sim::Network net(spec); });
}

// A valid network to break one field at a time: Poisson "in" (10) -> lif_curr "n" (10), and a
// lif_cond population "c" (10).
sim::NetworkSpec base_spec() {
    sim::NetworkSpec spec{.dt_ms = 0.1};
    spec.populations = {
        {.name = "in", .size = 10, .model = sim::PoissonSourceParams{.rate_hz = 10.0}},
        {.name = "n", .size = 10, .model = models::LifCurrParams{}},
        {.name = "c", .size = 10, .model = models::LifCondParams{}},
    };
    spec.projections = {{.pre = "in", .post = "n"}};
    return spec;
}

models::LifCurrParams& lif_curr_of(sim::NetworkSpec& spec) {
    return std::get<models::LifCurrParams>(spec.populations[1].model);
}
models::LifCondParams& lif_cond_of(sim::NetworkSpec& spec) {
    return std::get<models::LifCondParams>(spec.populations[2].model);
}
sim::ProjectionSpec& projection_of(sim::NetworkSpec& spec) { return spec.projections[0]; }

}  // namespace

TEST_CASE("validation: the base network builds (every other case breaks one thing)",
          "[unit][validation]") {
    CHECK(build_error(base_spec()) == "(no ParamError)");
}

// ---- neuron models ----------------------------------------------------------------------------

TEST_CASE("validation: lif_curr rejects non-positive time constants and capacitance",
          "[unit][validation]") {
    using P = models::LifCurrParams;
    const auto [key, field] = GENERATE(table<std::string, double P::*>({
        {"C_m", &P::C_m},
        {"tau_m", &P::tau_m},
        {"tau_syn_e", &P::tau_syn_e},
        {"tau_syn_i", &P::tau_syn_i},
    }));
    const double value = GENERATE(0.0, -1.0, not_a_number, infinity);
    auto spec = base_spec();
    lif_curr_of(spec).*field = value;
    CAPTURE(key, value);
    CHECK_THAT(build_error(spec), StartsWith("population 'n'") && Contains(key + " = "));
}

TEST_CASE("validation: lif_cond rejects non-positive time constants, capacitance and leak",
          "[unit][validation]") {
    using P = models::LifCondParams;
    const auto [key, field] = GENERATE(table<std::string, double P::*>({
        {"C_m", &P::C_m},
        {"g_L", &P::g_L},
        {"tau_syn_e", &P::tau_syn_e},
        {"tau_syn_i", &P::tau_syn_i},
        {"tau_theta", &P::tau_theta},
    }));
    const double value = GENERATE(0.0, -1.0, not_a_number);
    auto spec = base_spec();
    lif_cond_of(spec).*field = value;
    CAPTURE(key, value);
    CHECK_THAT(build_error(spec), StartsWith("population 'c'") && Contains(key + " = "));
}

TEST_CASE("validation: a negative refractory period is rejected", "[unit][validation]") {
    auto curr = base_spec();
    lif_curr_of(curr).t_ref = -0.5;
    CHECK_THAT(build_error(curr), StartsWith("population 'n'") && Contains("t_ref"));
    auto cond = base_spec();
    lif_cond_of(cond).t_ref = -0.5;
    CHECK_THAT(build_error(cond), StartsWith("population 'c'") && Contains("t_ref"));
}

TEST_CASE("validation: a reset at or above threshold is rejected, naming V_reset and V_th",
          "[unit][validation]") {
    const double above = GENERATE(0.0, 1.0);  // [mV] V_reset - V_th
    auto curr = base_spec();
    lif_curr_of(curr).V_reset = lif_curr_of(curr).V_th + above;
    CHECK_THAT(build_error(curr),
               StartsWith("population 'n'") && Contains("V_reset") && Contains("V_th"));
    auto cond = base_spec();
    lif_cond_of(cond).V_reset = lif_cond_of(cond).V_th + above;
    CHECK_THAT(build_error(cond),
               StartsWith("population 'c'") && Contains("V_reset") && Contains("V_th"));
}

TEST_CASE("validation: with an adaptive threshold a reset above V_th is accepted (Diehl & Cook)",
          "[unit][validation]") {
    auto spec = base_spec();
    auto& cond = lif_cond_of(spec);
    cond.V_th = -72.0;
    cond.V_reset = -65.0;
    cond.theta_plus = 0.05;
    CHECK(build_error(spec) == "(no ParamError)");
}

TEST_CASE("validation: a population of size 0 or without a name is rejected",
          "[unit][validation]") {
    auto empty = base_spec();
    empty.populations[1].size = 0;
    CHECK_THAT(build_error(empty), StartsWith("population 'n'") && Contains("size"));
    auto unnamed = base_spec();
    unnamed.populations.push_back({.name = ""});
    CHECK_THAT(build_error(unnamed), Contains("empty name"));
}

TEST_CASE("validation: exact and precise integration are rejected for lif_cond",
          "[unit][validation]") {
    const auto integration = GENERATE(sim::Integration::exact, sim::Integration::precise);
    auto spec = base_spec();
    spec.populations[2].integration = integration;
    CHECK_THAT(build_error(spec), StartsWith("population 'c'") && Contains("integration"));
}

TEST_CASE("validation: sources take no integration method", "[unit][validation]") {
    auto spec = base_spec();
    spec.populations[0].integration = sim::Integration::rk4;
    CHECK_THAT(build_error(spec), StartsWith("population 'in'") && Contains("integration"));
}

TEST_CASE("validation: an initial value for an unknown state variable is rejected",
          "[unit][validation]") {
    auto spec = base_spec();
    // g_e is a lif_cond variable, not a lif_curr one.
    spec.populations[1].initial = {{"g_e", sim::Distribution::constant(1.0)}};
    CHECK_THAT(build_error(spec), StartsWith("population 'n'") && Contains("'g_e'"));
}

TEST_CASE("validation: an invalid initial value distribution is rejected", "[unit][validation]") {
    auto spec = base_spec();
    spec.populations[1].initial = {{"V_m", sim::Distribution::uniform(-50.0, -60.0)}};
    CHECK_THAT(build_error(spec), StartsWith("population 'n'") && Contains("V_m"));
}

TEST_CASE("validation: asking a population for an unknown variable throws naming both",
          "[unit][validation]") {
    // A run-time lookup, documented to throw spikerate::Error (ParamError's base).
    const sim::Network net(base_spec());
    for (const char* pop : {"n", "c", "in"}) {
        CAPTURE(pop);
        CHECK_THROWS_AS(net.population(pop).variable("I_syn"), spikerate::Error);
        CHECK_THROWS_WITH(
            net.population(pop).variable("I_syn"),
            StartsWith(std::string("population '") + pop + "'") && Contains("'I_syn'"));
        CHECK_THROWS_WITH(
            net.population(pop).variable_unit("I_syn"),
            StartsWith(std::string("population '") + pop + "'") && Contains("'I_syn'"));
    }
}

// ---- sources ----------------------------------------------------------------------------------

TEST_CASE("validation: spike-train node ids must be below the size", "[unit][validation]") {
    auto spec = base_spec();
    spec.populations.push_back(
        {.name = "st",
         .size = 3,
         .model = sim::SpikeTrainSourceParams{.times_ms = {1.0, 2.0}, .node_ids = {0, 3}}});
    CHECK_THAT(build_error(spec), StartsWith("population 'st'") && Contains("node_ids[1] = 3"));
}

TEST_CASE("validation: spike-train times must be non-negative and match the node ids",
          "[unit][validation]") {
    auto negative = base_spec();
    negative.populations.push_back(
        {.name = "st", .size = 3, .model = sim::SpikeTrainSourceParams{{-1.0}, {0}}});
    CHECK_THAT(build_error(negative), StartsWith("population 'st'") && Contains("times_ms[0]"));
    auto mismatched = base_spec();
    mismatched.populations.push_back(
        {.name = "st", .size = 3, .model = sim::SpikeTrainSourceParams{{1.0, 2.0}, {0}}});
    CHECK_THAT(build_error(mismatched),
               StartsWith("population 'st'") && Contains("times_ms") && Contains("node_ids"));
}

TEST_CASE("validation: a Poisson rate above 1 / dt or below 0 is rejected", "[unit][validation]") {
    const double rate = GENERATE(10000.5, 1e6, -1.0, not_a_number, infinity);  // [Hz], 1/dt: 10 kHz
    auto spec = base_spec();
    std::get<sim::PoissonSourceParams>(spec.populations[0].model).rate_hz = rate;
    CAPTURE(rate);
    CHECK_THAT(build_error(spec), StartsWith("population 'in'") && Contains("rate_hz"));
}

TEST_CASE("validation: a Poisson rate of exactly 1 / dt is accepted", "[unit][validation]") {
    auto spec = base_spec();
    std::get<sim::PoissonSourceParams>(spec.populations[0].model).rate_hz = 1e3 / spec.dt_ms;
    CHECK(build_error(spec) == "(no ParamError)");
}

TEST_CASE(
    "validation: PoissonSource::set_rates rejects a wrong count or a bad rate and keeps "
    "the old rates",
    "[unit][validation]") {
    sim::Network net(base_spec());
    auto& source = net.population_as<sim::PoissonSource>("in");
    const std::vector<double> nine(9, 5.0);
    CHECK_THAT(param_error_of([&] { source.set_rates(nine); }),
               StartsWith("population 'in'") && Contains("9 rates"));

    const double bad = GENERATE(-1.0, 10000.5, not_a_number);
    std::vector<double> rates(10, 5.0);
    rates[7] = bad;
    CAPTURE(bad);
    CHECK_THAT(param_error_of([&] { source.set_rates(rates); }),
               StartsWith("population 'in'") && Contains("rate of neuron 7"));
    CHECK_THAT(param_error_of([&] { source.set_rate(bad); }), StartsWith("population 'in'"));
    for (const double r : source.rates()) CHECK(r == 10.0);
}

// ---- network-level ----------------------------------------------------------------------------

TEST_CASE("validation: dt must be a positive finite number", "[unit][validation]") {
    const double dt = GENERATE(0.0, -0.1, not_a_number, infinity);
    auto spec = base_spec();
    spec.dt_ms = dt;
    CAPTURE(dt);
    CHECK_THAT(build_error(spec), Contains("dt"));
    CHECK_THAT(param_error_of([&] { spec.validate(); }), Contains("dt"));
}

TEST_CASE("validation: a run duration that is not a whole number of steps is rejected",
          "[unit][validation]") {
    const double duration = GENERATE(1.05, 0.25, -0.1, -1.0, not_a_number);  // [ms], dt = 0.1 ms
    sim::Network net(base_spec());
    CAPTURE(duration);
    CHECK_THAT(param_error_of([&] { net.run(duration); }),
               Contains("run duration") && Contains("dt"));
    CHECK(net.steps_done() == 0);
}

TEST_CASE("validation: duplicate population and projection names are rejected",
          "[unit][validation]") {
    auto pops = base_spec();
    pops.populations.push_back({.name = "n", .size = 3});
    CHECK_THAT(build_error(pops), StartsWith("population 'n'") && Contains("twice"));
    auto projs = base_spec();
    projs.projections.push_back({.pre = "in", .post = "n"});
    CHECK_THAT(build_error(projs), StartsWith("projection 'in->n'") && Contains("twice"));
}

// ---- projections ------------------------------------------------------------------------------

TEST_CASE("validation: a projection from or onto an unknown population is rejected",
          "[unit][validation]") {
    auto unknown_pre = base_spec();
    projection_of(unknown_pre).pre = "ghost";
    CHECK_THAT(build_error(unknown_pre),
               StartsWith("projection 'ghost->n'") && Contains("pre = 'ghost'"));
    auto unknown_post = base_spec();
    projection_of(unknown_post).post = "ghost";
    CHECK_THAT(build_error(unknown_post),
               StartsWith("projection 'in->ghost'") && Contains("post = 'ghost'"));
}

TEST_CASE("validation: a source cannot be a projection's target", "[unit][validation]") {
    auto spec = base_spec();
    spec.populations.push_back(
        {.name = "st", .size = 2, .model = sim::SpikeTrainSourceParams{{1.0}, {0}}});
    const std::string target = GENERATE(as<std::string>{}, "in", "st");
    spec.projections.push_back({.pre = "n", .post = target});
    CHECK_THAT(build_error(spec),
               StartsWith("projection 'n->" + target + "'") && Contains("source"));
}

TEST_CASE("validation: delays shorter than dt are rejected, naming delay and dt",
          "[unit][validation]") {
    const auto delay =
        GENERATE(sim::Distribution::constant(0.05), sim::Distribution::constant(0.0),
                 sim::Distribution::uniform(0.05, 2.0), sim::Distribution::normal(2.0, 0.1));
    auto spec = base_spec();
    projection_of(spec).delay_ms = delay;
    CHECK_THAT(build_error(spec),
               StartsWith("projection 'in->n'") && Contains("delay") && Contains("dt"));
}

TEST_CASE("validation: a delay of exactly one step is accepted", "[unit][validation]") {
    auto spec = base_spec();
    projection_of(spec).delay_ms = sim::Distribution::uniform(0.1, 0.3);
    CHECK(build_error(spec) == "(no ParamError)");
}

TEST_CASE("validation: from neurons on the grid delay 0 is accepted, negative delays are not",
          "[unit][validation]") {
    auto spec = base_spec();
    spec.projections = {{.pre = "n", .post = "c", .delay_ms = sim::Distribution::constant(0.0)}};
    CHECK(build_error(spec) == "(no ParamError)");
    spec.projections[0].delay_ms = sim::Distribution::uniform(0.0, 0.3);
    CHECK(build_error(spec) == "(no ParamError)");
    spec.projections[0].delay_ms = sim::Distribution::uniform(-0.1, 0.3);
    CHECK_THAT(build_error(spec), StartsWith("projection 'n->c'") && Contains(">= 0"));
}

TEST_CASE("validation: from precise-mode neurons delays shorter than dt are rejected",
          "[unit][validation]") {
    auto spec = base_spec();
    spec.populations[1].integration = sim::Integration::precise;
    spec.projections = {{.pre = "n", .post = "c", .delay_ms = sim::Distribution::constant(0.0)}};
    CHECK_THAT(build_error(spec),
               StartsWith("projection 'n->c'") && Contains("precise-mode") && Contains("dt"));
}

TEST_CASE("validation: weights that can be negative are rejected", "[unit][validation]") {
    const auto weight =
        GENERATE(sim::Distribution::constant(-1.0), sim::Distribution::uniform(-1.0, 1.0),
                 sim::Distribution::normal(5.0, 0.1));
    auto spec = base_spec();
    projection_of(spec).weight = weight;
    CHECK_THAT(build_error(spec), StartsWith("projection 'in->n'") && Contains("weight"));
}

TEST_CASE("validation: initial weights outside the plasticity bounds are rejected",
          "[unit][validation]") {
    using Kind = sim::Distribution::Kind;
    const auto weight = GENERATE(
        sim::Distribution::constant(1.5), sim::Distribution{.kind = Kind::constant, .a = 1.5},
        sim::Distribution::constant(0.1), sim::Distribution::uniform(0.5, 1.5),
        sim::Distribution::uniform(0.0, 1.0));
    const bool triplet = GENERATE(false, true);
    const models::WeightBounds bounds{.w_min = 0.2, .w_max = 1.0};
    auto spec = base_spec();
    projection_of(spec).weight = weight;
    if (triplet) {
        projection_of(spec).plasticity = models::NearestTripletStdpParams{.bounds = bounds};
    } else {
        projection_of(spec).plasticity = models::PairStdpParams{.bounds = bounds};
    }
    CAPTURE(weight.a, weight.b, triplet);
    CHECK_THAT(build_error(spec),
               StartsWith("projection 'in->n'") && Contains("w_min") && Contains("w_max"));
}

TEST_CASE("validation: pair_stdp rejects non-positive time constants and negative amplitudes",
          "[unit][validation]") {
    using P = models::PairStdpParams;
    const auto [key, field, value] = GENERATE(table<std::string, double P::*, double>({
        {"tau_plus", &P::tau_plus, 0.0},
        {"tau_plus", &P::tau_plus, -20.0},
        {"tau_minus", &P::tau_minus, 0.0},
        {"tau_minus", &P::tau_minus, -20.0},
        {"A_plus", &P::A_plus, -0.01},
        {"A_minus", &P::A_minus, -0.01},
        {"A_plus", &P::A_plus, not_a_number},
    }));
    P p{};
    p.*field = value;
    CAPTURE(key, value);
    CHECK_THAT(param_error_of([&] { const models::PairStdp rule(p); }), Contains(key + " = "));
    auto spec = base_spec();
    projection_of(spec).weight = sim::Distribution::constant(0.5);
    projection_of(spec).plasticity = p;
    CHECK_THAT(build_error(spec), StartsWith("projection 'in->n'") && Contains(key + " = "));
}

TEST_CASE("validation: nearest_triplet_stdp rejects non-positive time constants and negative rates",
          "[unit][validation]") {
    using P = models::NearestTripletStdpParams;
    const auto [key, field, value] = GENERATE(table<std::string, double P::*, double>({
        {"tau_pre", &P::tau_pre, 0.0},
        {"tau_post1", &P::tau_post1, -1.0},
        {"tau_post2", &P::tau_post2, 0.0},
        {"nu_pre", &P::nu_pre, -1e-4},
        {"nu_post", &P::nu_post, -1e-2},
    }));
    P p{};
    p.*field = value;
    CAPTURE(key, value);
    CHECK_THAT(param_error_of([&] { const models::NearestTripletStdp rule(p); }),
               Contains(key + " = "));
    auto spec = base_spec();
    projection_of(spec).weight = sim::Distribution::constant(0.5);
    projection_of(spec).plasticity = p;
    CHECK_THAT(build_error(spec), StartsWith("projection 'in->n'") && Contains(key + " = "));
}

TEST_CASE("validation: weight bounds need 0 <= w_min < w_max", "[unit][validation]") {
    const auto bounds = GENERATE(models::WeightBounds{.w_min = -0.1, .w_max = 1.0},
                                 models::WeightBounds{.w_min = 1.0, .w_max = 1.0},
                                 models::WeightBounds{.w_min = 2.0, .w_max = 1.0});
    CAPTURE(bounds.w_min, bounds.w_max);
    CHECK_THAT(param_error_of([&] { bounds.validate(); }), Contains("w_min"));
    auto spec = base_spec();
    projection_of(spec).weight = sim::Distribution::constant(1.0);
    projection_of(spec).plasticity = models::PairStdpParams{.bounds = bounds};
    CHECK_THAT(build_error(spec), StartsWith("projection 'in->n'") && Contains("w_min"));
}

TEST_CASE("validation: plasticity onto a precise-mode target is rejected", "[unit][validation]") {
    auto spec = base_spec();
    spec.populations[1].integration = sim::Integration::precise;
    projection_of(spec).weight = sim::Distribution::constant(0.5);
    projection_of(spec).plasticity = models::PairStdpParams{};
    CHECK_THAT(build_error(spec), StartsWith("projection 'in->n'") && Contains("precise"));
}

TEST_CASE("validation: one_to_one needs equal sizes", "[unit][validation]") {
    auto spec = base_spec();
    spec.populations.push_back({.name = "small", .size = 7});
    spec.projections = {{.pre = "in", .post = "small", .connection = sim::connect::OneToOne{}}};
    CHECK_THAT(build_error(spec), StartsWith("projection 'in->small'") && Contains("one_to_one") &&
                                      Contains("10") && Contains("7"));
}

TEST_CASE("validation: fixed_probability needs p in [0, 1]", "[unit][validation]") {
    const double p = GENERATE(-0.1, 1.5, not_a_number);
    auto spec = base_spec();
    projection_of(spec).connection = sim::connect::FixedProbability{.p = p};
    CAPTURE(p);
    CHECK_THAT(build_error(spec), StartsWith("projection 'in->n'") && Contains("p = "));
}

TEST_CASE("validation: fixed_in_degree without multapses needs k <= the available pres",
          "[unit][validation]") {
    auto too_many = base_spec();  // 10 pres
    projection_of(too_many).connection =
        sim::connect::FixedInDegree{.k = 11, .allow_multapses = false};
    CHECK_THAT(build_error(too_many), StartsWith("projection 'in->n'") && Contains("k = 11"));

    // Onto itself without autapses only n - 1 = 9 are available.
    auto self = base_spec();
    self.projections = {{.pre = "n",
                         .post = "n",
                         .connection = sim::connect::FixedInDegree{
                             .k = 10, .allow_autapses = false, .allow_multapses = false}}};
    CHECK_THAT(build_error(self), StartsWith("projection 'n->n'") && Contains("k = 10"));

    auto with_multapses = base_spec();
    projection_of(with_multapses).connection = sim::connect::FixedInDegree{.k = 11};
    CHECK(build_error(with_multapses) == "(no ParamError)");
}

TEST_CASE("validation: from_list indices must be in range and the lists of equal length",
          "[unit][validation]") {
    const auto [list, expected] = GENERATE(table<sim::connect::FromList, std::string>({
        {{.pre = {0, 10}, .post = {1, 2}}, "pre index 10"},
        {{.pre = {0, 1}, .post = {1, 10}}, "post index 10"},
        {{.pre = {0, 1}, .post = {1}}, "from_list"},
    }));
    auto spec = base_spec();
    projection_of(spec).connection = list;
    CHECK_THAT(build_error(spec), StartsWith("projection 'in->n'") && Contains(expected));
}

TEST_CASE("validation: dense storage needs a complete all-to-all connection",
          "[unit][validation]") {
    auto spec = base_spec();
    projection_of(spec).connection = sim::connect::FixedProbability{.p = 0.5};
    projection_of(spec).storage = sim::Storage::dense;
    CHECK_THAT(build_error(spec), StartsWith("projection 'in->n'") && Contains("dense"));
}

TEST_CASE("validation: a ParamError names its key, index and element as data",
          "[unit][validation]") {
    // The scenario loader points at a key's line from these fields, never from the message.
    auto spec = base_spec();
    lif_curr_of(spec).tau_m = -20.0;
    try {
        const sim::Network net(spec);
        FAIL("no ParamError");
    } catch (const spikerate::ParamError& e) {
        CHECK(e.key() == "tau_m");
        CHECK_FALSE(e.index().has_value());
        CHECK(e.detail() == "-20 ms: must be > 0");
        CHECK(e.element_kind() == "population");
        CHECK(e.element_name() == "n");
        CHECK(e.local_message() == "tau_m = -20 ms: must be > 0");
        CHECK(std::string(e.what()) == "population 'n' (lif_curr): tau_m = -20 ms: must be > 0");
    }
    spec = base_spec();
    spec.projections[0].connection = sim::connect::FromList{.pre = {0, 1}, .post = {2, 10}};
    try {
        const sim::Network net(spec);
        FAIL("no ParamError");
    } catch (const spikerate::ParamError& e) {
        CHECK(e.key() == "connection.post");
        CHECK(e.index() == 1);
        CHECK(e.element_kind() == "projection");
        CHECK(e.element_name() == "in->n");
    }
    const auto nested =
        spikerate::ParamError::value_at("hidden", 2, "0: needs a unit").within("mlp");
    CHECK(nested.key() == "mlp.hidden");
    CHECK(nested.index() == 2);
    CHECK(nested.detail() == "0: needs a unit");
    CHECK(std::string(nested.what()) == "mlp.hidden[2] = 0: needs a unit");
}
