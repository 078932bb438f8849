#include "sim/io/scenario.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace {

using spikerate::ScenarioError;
using spikerate::sim::Distribution;
using spikerate::sim::Integration;
using spikerate::sim::PopulationSpec;
using spikerate::sim::ProjectionSpec;
using spikerate::sim::Receptor;
using spikerate::sim::Storage;
using spikerate::sim::io::load_scenario;
using spikerate::sim::io::parse_scenario;
using spikerate::sim::io::Scenario;
namespace connect = spikerate::sim::connect;
namespace models = spikerate::models;
using Catch::Matchers::Contains;

const std::filesystem::path fixtures = std::filesystem::path(__FILE__).parent_path() / "scenarios";

const PopulationSpec& population(const Scenario& s, const std::string& name) {
    for (const auto& pop : s.network.populations) {
        if (pop.name == name) return pop;
    }
    FAIL("no population " << name);
    throw;
}

const ProjectionSpec& projection(const Scenario& s, const std::string& name) {
    for (const auto& proj : s.network.projections) {
        if (proj.name == name) return proj;
    }
    FAIL("no projection " << name);
    throw;
}

void check_distribution(const Distribution& d, Distribution::Kind kind, double a, double b) {
    CHECK(d.kind == kind);
    CHECK(d.a == a);
    CHECK(d.b == b);
}

// Every value of a scenario as text, parameters through their visit_fields, so that two
// scenarios can be compared exactly (doubles are printed in their shortest exact form).
template <class Field>
std::string repr(const Field& field) {
    if constexpr (std::is_enum_v<Field>) {
        return std::to_string(static_cast<int>(field));
    } else {
        return fmt::format("{}", field);
    }
}

std::string describe(const Distribution& d) {
    return fmt::format("{}({}, {})", static_cast<int>(d.kind), d.a, d.b);
}

std::string describe(const Scenario& s) {
    std::string out = fmt::format("dt={} seed={} duration={} output={}\n", s.network.dt_ms,
                                  s.network.seed, s.run.duration_ms, s.run.output);
    const auto field = [&](std::string_view name, const auto& value, const auto& /*unit*/,
                           std::string_view /*doc*/) {
        out += fmt::format(" {}={}", name, repr(value));
    };
    for (const auto& pop : s.network.populations) {
        out += fmt::format("population {} {} size={} integration={}", pop.name,
                           spikerate::sim::model_id(pop.model), pop.size,
                           static_cast<int>(pop.integration));
        std::visit(
            [&](auto params) {
                using Params = decltype(params);
                if constexpr (std::is_same_v<Params, spikerate::sim::PoissonSourceParams>) {
                    out += fmt::format(" rate={}", params.rate_hz);
                } else if constexpr (std::is_same_v<Params,
                                                    spikerate::sim::SpikeTrainSourceParams>) {
                    out += fmt::format(" times={} ids={}", params.times_ms, params.node_ids);
                } else {
                    params.visit_fields(field);
                }
            },
            pop.model);
        for (const auto& init : pop.initial) {
            out += fmt::format(" initial {}={}", init.variable, describe(init.value));
        }
        out += "\n";
    }
    for (const auto& proj : s.network.projections) {
        out += fmt::format("projection {} {}->{} rule={} weight={} delay={} receptor={} storage={}",
                           proj.name, proj.pre, proj.post, proj.connection.index(),
                           describe(proj.weight), describe(proj.delay_ms),
                           static_cast<int>(proj.receptor), static_cast<int>(proj.storage));
        std::visit(
            [&](const auto& c) {
                using Rule = std::decay_t<decltype(c)>;
                if constexpr (std::is_same_v<Rule, connect::AllToAll>) {
                    out += fmt::format(" autapses={}", c.allow_autapses);
                } else if constexpr (std::is_same_v<Rule, connect::FixedProbability>) {
                    out += fmt::format(" p={} autapses={}", c.p, c.allow_autapses);
                } else if constexpr (std::is_same_v<Rule, connect::FixedInDegree>) {
                    out += fmt::format(" k={} autapses={} multapses={}", c.k, c.allow_autapses,
                                       c.allow_multapses);
                } else if constexpr (std::is_same_v<Rule, connect::FromList>) {
                    out += fmt::format(" pre={} post={}", c.pre, c.post);
                }
            },
            proj.connection);
        out += fmt::format(" plasticity={}", proj.plasticity.index());
        std::visit(
            [&](auto rule) {
                if constexpr (requires { rule.visit_fields(field); }) rule.visit_fields(field);
            },
            proj.plasticity);
        out += "\n";
    }
    out += fmt::format("spikes {}\n", s.record.spikes);
    for (const auto& w : s.record.weights) {
        out +=
            fmt::format("weights {} {} {} {}\n", w.name, w.projection, w.every_ms, w.post_neurons);
    }
    for (const auto& st : s.record.states) {
        out += fmt::format("state {} {} {} {} {}\n", st.name, st.population, st.variable,
                           st.every_ms, st.neurons);
    }
    return out;
}

// The message of the ScenarioError that parsing throws (any other exception fails the test).
std::string error_of(const std::string& text, const std::vector<std::string>& overrides = {},
                     const std::string& source = "bad.toml") {
    try {
        parse_scenario(text, source, overrides);
    } catch (const ScenarioError& e) {
        return e.what();
    }
    FAIL("the scenario loaded without an error:\n" << text);
    return {};
}

}  // namespace

TEST_CASE("scenario: a file with every feature parses into the expected specs", "[unit][scenario]") {
    const Scenario s = load_scenario(fixtures / "full.toml");
    CHECK(s.source == (fixtures / "full.toml").string());

    CHECK(s.network.dt_ms == 0.05);
    CHECK(s.network.seed == 42);
    CHECK(s.run.duration_ms == 200.0);
    CHECK(s.run.output == "full_out.h5");

    REQUIRE(s.network.populations.size() == 5);
    {
        const auto& exc = population(s, "exc");
        CHECK(exc.size == 8);
        CHECK(exc.integration == Integration::rk4);
        const auto& p = std::get<models::LifCondParams>(exc.model);
        CHECK(p.C_m == 250.0);
        CHECK(p.g_L == 12.5);
        CHECK(p.tau_syn_e == 4.0);
        CHECK(p.theta_plus == 0.05);
        CHECK(p.theta_frozen);
        const models::LifCondParams defaults;
        CHECK(p.E_L == defaults.E_L);  // not given: the model's default
        CHECK(p.tau_syn_i == defaults.tau_syn_i);
        REQUIRE(exc.initial.size() == 3);  // in the model's variable order
        CHECK(exc.initial[0].variable == "V_m");
        check_distribution(exc.initial[0].value, Distribution::Kind::normal, -65.0, 5.0);
        CHECK(exc.initial[1].variable == "g_e");
        check_distribution(exc.initial[1].value, Distribution::Kind::uniform, 0.0, 2.0);
        CHECK(exc.initial[2].variable == "theta");
        check_distribution(exc.initial[2].value, Distribution::Kind::constant, 1.5, 1.5);
    }
    {
        const auto& inh = population(s, "inh");
        CHECK(inh.size == 4);
        CHECK(inh.integration == Integration::precise);
        const auto& p = std::get<models::LifCurrParams>(inh.model);
        CHECK(p.tau_m == 15.0);
        CHECK(p.V_th == -52.0);
        CHECK(p.I_e == 100.0);
        CHECK(p.C_m == models::LifCurrParams{}.C_m);
        CHECK(inh.initial.empty());
    }
    {
        const auto& noise = population(s, "noise");
        CHECK(noise.size == 20);
        CHECK(std::get<spikerate::sim::PoissonSourceParams>(noise.model).rate_hz == 15.0);
        CHECK(noise.integration == Integration::automatic);
    }
    {
        const auto& pattern =
            std::get<spikerate::sim::SpikeTrainSourceParams>(population(s, "pattern").model);
        CHECK(pattern.times_ms == std::vector<double>{1.0, 2.5, 10.0});
        CHECK(pattern.node_ids == std::vector<std::uint32_t>{0, 2, 1});
        const auto& replay =
            std::get<spikerate::sim::SpikeTrainSourceParams>(population(s, "replay").model);
        CHECK(replay.times_ms == std::vector<double>{5.0, 7.25, 12.0});
        CHECK(replay.node_ids == std::vector<std::uint32_t>{0, 3, 1});
    }

    REQUIRE(s.network.projections.size() == 5);
    {
        const auto& proj = projection(s, "noise_to_exc");
        CHECK(proj.pre == "noise");
        CHECK(proj.post == "exc");
        const auto& c = std::get<connect::FixedProbability>(proj.connection);
        CHECK(c.p == 0.25);
        CHECK_FALSE(c.allow_autapses);
        check_distribution(proj.weight, Distribution::Kind::uniform, 0.0, 0.01);
        check_distribution(proj.delay_ms, Distribution::Kind::uniform, 0.1, 2.0);
        CHECK(proj.storage == Storage::sparse);
        CHECK(proj.receptor == Receptor::excitatory);
        const auto& stdp = std::get<models::PairStdpParams>(proj.plasticity);
        CHECK(stdp.tau_plus == 16.8);
        CHECK(stdp.tau_minus == models::PairStdpParams{}.tau_minus);
        CHECK(stdp.A_plus == 0.0001);
        CHECK(stdp.A_minus == 0.00012);
        CHECK(stdp.weighting == models::PairStdpParams::Weighting::multiplicative);
        CHECK(stdp.interaction == models::PairStdpParams::Interaction::nearest);
        CHECK(stdp.bounds.w_min == 0.0);
        CHECK(stdp.bounds.w_max == 0.01);
    }
    {
        const auto& proj = projection(s, "exc_to_inh");
        CHECK(std::get<connect::AllToAll>(proj.connection).allow_autapses);
        check_distribution(proj.weight, Distribution::Kind::constant, 30.0, 30.0);
        check_distribution(proj.delay_ms, Distribution::Kind::constant, 0.5, 0.5);
        CHECK(proj.storage == Storage::dense);
        CHECK(std::holds_alternative<spikerate::sim::NoPlasticity>(proj.plasticity));
    }
    {
        const auto& proj = projection(s, "inh_to_exc");
        const auto& c = std::get<connect::FixedInDegree>(proj.connection);
        CHECK(c.k == 2);
        CHECK(c.allow_autapses);
        CHECK_FALSE(c.allow_multapses);
        CHECK(proj.receptor == Receptor::inhibitory);
        check_distribution(proj.delay_ms, Distribution::Kind::constant, 0.05, 0.05);  // dt
        CHECK(proj.storage == Storage::automatic);
    }
    {
        const auto& proj = projection(s, "pattern_to_exc");
        const auto& c = std::get<connect::FromList>(proj.connection);
        CHECK(c.pre == std::vector<std::uint32_t>{0, 1, 2});
        CHECK(c.post == std::vector<std::uint32_t>{7, 0, 3});
        const auto& triplet = std::get<models::NearestTripletStdpParams>(proj.plasticity);
        CHECK(triplet.nu_pre == 0.0002);
        CHECK(triplet.nu_post == models::NearestTripletStdpParams{}.nu_post);
        CHECK(triplet.tau_post2 == 30.0);
        CHECK(triplet.bounds.w_max == 1.0);
    }
    CHECK(std::holds_alternative<connect::OneToOne>(projection(s, "replay_to_inh").connection));

    CHECK(s.record.spikes == std::vector<std::string>{"exc", "pattern"});
    REQUIRE(s.record.weights.size() == 1);
    CHECK(s.record.weights[0].name == "input_weights");
    CHECK(s.record.weights[0].projection == "noise_to_exc");
    CHECK(s.record.weights[0].every_ms == 50.0);
    CHECK(s.record.weights[0].post_neurons == std::vector<std::uint32_t>{0, 3});
    REQUIRE(s.record.states.size() == 2);  // by name
    CHECK(s.record.states[0].name == "i_inh");
    CHECK(s.record.states[0].population == "inh");
    CHECK(s.record.states[0].variable == "I_syn_e");
    CHECK(s.record.states[0].every_ms == 1.0);
    CHECK(s.record.states[0].neurons.empty());
    CHECK(s.record.states[1].name == "v_exc");
    CHECK(s.record.states[1].variable == "V_m");
    CHECK(s.record.states[1].every_ms == 0.5);
    CHECK(s.record.states[1].neurons == std::vector<std::uint32_t>{0, 1, 2});
}

TEST_CASE("scenario: resolved_text parses back to the same scenario", "[unit][scenario]") {
    const Scenario original =
        load_scenario(fixtures / "full.toml", {"run.seed=7", "populations.exc.tau_syn_i_ms=8.5",
                                               "run.output=\"out_0.10000000000000001.h5\""});
    INFO(original.resolved_text);
    const Scenario again = parse_scenario(original.resolved_text, "elsewhere/resolved.toml");
    CHECK(describe(again) == describe(original));
    CHECK(again.resolved_text == original.resolved_text);
    CHECK(again.network.seed == 7);
    CHECK(again.run.output == "out_0.10000000000000001.h5");  // strings are left alone

    // Floats are written in their shortest exact form, not with 17 digits.
    CHECK_THAT(original.resolved_text, Contains("dt_ms = 0.05\n"));
    CHECK_THAT(original.resolved_text, Contains("tau_plus_ms = 16.8,"));
    // Spike-train files are named by absolute path, so the text loads from anywhere.
    CHECK_THAT(original.resolved_text,
               Contains(fmt::format("file = '{}'", (fixtures / "spikes.csv").string())));

    SECTION("the default output is written out, so it no longer depends on the file name") {
        const Scenario minimal =
            parse_scenario("[populations.n]\nmodel = \"lif_curr\"\nsize = 1\n", "dir/minimal.toml");
        CHECK(minimal.run.output == "minimal.h5");
        const Scenario re = parse_scenario(minimal.resolved_text, "other.toml");
        CHECK(re.run.output == "minimal.h5");
        CHECK(describe(re) == describe(minimal));
    }
}

TEST_CASE("scenario: defaults apply to everything not given", "[unit][scenario]") {
    const Scenario s = parse_scenario(R"([populations.n]
model = "lif_curr"
size = 3

[populations.input]
model = "poisson"
size = 2

[projections.in]
pre = "input"
post = "n"
weight_pA = 5.0
)",
                                      "minimal.toml");
    CHECK(s.network.dt_ms == 0.1);
    CHECK(s.network.seed == 1);
    CHECK(s.run.duration_ms == 1000.0);
    CHECK(s.run.output == "minimal.h5");
    const auto& n = population(s, "n");
    CHECK(n.integration == Integration::automatic);
    CHECK(n.initial.empty());
    CHECK(describe(s).find(fmt::format("tau_m={} ", models::LifCurrParams{}.tau_m)) !=
          std::string::npos);
    CHECK(std::get<spikerate::sim::PoissonSourceParams>(population(s, "input").model).rate_hz ==
          spikerate::sim::PoissonSourceParams{}.rate_hz);
    const auto& proj = projection(s, "in");
    CHECK(std::get<connect::AllToAll>(proj.connection).allow_autapses);
    CHECK(proj.receptor == Receptor::excitatory);
    CHECK(proj.storage == Storage::automatic);
    check_distribution(proj.delay_ms, Distribution::Kind::constant, 0.1, 0.1);  // one step
    CHECK(std::holds_alternative<spikerate::sim::NoPlasticity>(proj.plasticity));
    CHECK(s.record.spikes == std::vector<std::string>{"n"});  // neurons, not sources
    CHECK(s.record.weights.empty());
    CHECK(s.record.states.empty());
}

TEST_CASE("scenario: mode = precise integrates models with a propagator precisely", "[unit][scenario]") {
    const Scenario s = parse_scenario(R"([run]
mode = "precise"
[populations.curr]
model = "lif_curr"
size = 1
[populations.explicit]
model = "lif_curr"
size = 1
integration = "rk4"
[populations.cond]
model = "lif_cond"
size = 1
)",
                                      "precise.toml");
    CHECK(population(s, "curr").integration == Integration::precise);
    CHECK(population(s, "explicit").integration == Integration::rk4);
    CHECK(population(s, "cond").integration == Integration::automatic);
}

TEST_CASE("scenario: --set overrides apply before validation", "[unit][scenario]") {
    const std::string text = R"([run]
duration_ms = 1000.0
[populations.exc]
model = "lif_curr"
size = 10
)";
    const Scenario s = parse_scenario(
        text, "base.toml",
        {"run.duration_ms=500", "populations.exc.size=100", "run.output=\"x.h5\"",
         "populations.exc.tau_m_ms = 12", "populations.exc.initial={V_m_mV={uniform=[-70, -60]}}",
         "populations.input={model=\"poisson\", size=4, rate_Hz=20}"});
    CHECK(s.run.duration_ms == 500.0);
    CHECK(s.run.output == "x.h5");
    const auto& exc = population(s, "exc");
    CHECK(exc.size == 100);
    CHECK(std::get<models::LifCurrParams>(exc.model).tau_m == 12.0);
    REQUIRE(exc.initial.size() == 1);
    check_distribution(exc.initial[0].value, Distribution::Kind::uniform, -70.0, -60.0);
    CHECK(population(s, "input").size == 4);
    CHECK_THAT(s.resolved_text, Contains("duration_ms = 500"));
    CHECK_THAT(s.resolved_text, Contains("size = 100"));

    SECTION("the last override of a key wins") {
        const Scenario twice = parse_scenario(text, "base.toml", {"run.seed=3", "run.seed=4"});
        CHECK(twice.network.seed == 4);
    }
    SECTION("an override is validated like file content and named in the error") {
        CHECK_THAT(error_of(text, {"populations.exc.size=0"}),
                   Contains("--set populations.exc.size=0: populations.exc.size: 0: must be >= 1"));
        CHECK_THAT(error_of(text, {"populations.exc.tau_m_ms=-20"}),
                   Contains("--set populations.exc.tau_m_ms=-20: populations.exc.tau_m_ms: -20 ms: "
                            "must be > 0"));
        CHECK_THAT(
            error_of(text, {"run.dt_ms=\"fast\""}),
            Contains("--set run.dt_ms=\"fast\": run.dt_ms: expected a number, got a string"));
    }
}

TEST_CASE("scenario: load_scenario names the file it cannot read", "[unit][scenario]") {
    try {
        load_scenario(fixtures / "no_such_scenario.toml");
        FAIL("no error");
    } catch (const ScenarioError& e) {
        CHECK_THAT(e.what(), Contains("no_such_scenario.toml: cannot open the scenario file"));
    }
}

TEST_CASE("scenario: errors are ParamErrors, so the command line maps them", "[unit][scenario]") {
    CHECK_THROWS_AS(parse_scenario("[populations.x]\nmodel = 1\n", "t.toml"),
                    spikerate::ParamError);
}

namespace {

struct Malformed {
    const char* name;
    std::string text;
    std::vector<std::string> overrides;
    std::vector<std::string> expected;  // substrings of the message
};

// The spike-train fixtures are named relative to the scenario, which "lives" in fixtures/.
std::string fixture_source() { return (fixtures / "bad.toml").string(); }

const std::vector<Malformed>& malformed_cases() {
    // One case per entry: name, scenario text (line 1 starts right after R"( ), overrides, and
    // what the message must contain.
    // clang-format off
    static const std::vector<Malformed> cases{
        {"TOML syntax error", R"([populations.exc
model = "lif_curr"
)", {}, {"bad.toml:1:", "TOML syntax error"}},

        {"duplicate table (a TOML error)", R"([populations.exc]
model = "lif_curr"
size = 1
[populations.exc]
size = 2
)", {}, {"bad.toml:4:", "TOML syntax error"}},

        {"unknown key with a suggestion", R"([populations.exc]
model = "lif_curr"
size = 10
tau_mm_ms = 20.0
)", {}, {"bad.toml:4: populations.exc.tau_mm_ms: unknown key (did you mean 'tau_m_ms'?)"}},

        {"parameter without its unit suffix", R"([populations.exc]
model = "lif_cond"
size = 10
g_L = 10.0
)", {}, {"bad.toml:4: populations.exc.g_L: unknown key (did you mean 'g_L_nS'?)"}},

        {"parameter of another model", R"([populations.exc]
model = "lif_cond"
size = 10
tau_m_ms = 10.0
)", {}, {"bad.toml:4: populations.exc.tau_m_ms: unknown key"}},

        {"unknown top-level table", R"([simulation]
dt_ms = 0.1
[populations.exc]
model = "lif_curr"
size = 1
)", {}, {"bad.toml:1: simulation: unknown key (expected one of: run, populations, projections, record, task, training, rate, spiking)"}},

        {"misspelt top-level table", R"([populations.exc]
model = "lif_curr"
size = 1
[projection.x]
pre = "exc"
)", {}, {"bad.toml:4: projection: unknown key (did you mean 'projections'?)"}},

        {"no populations", R"([run]
dt_ms = 0.1
)", {}, {"bad.toml:1: populations: missing required key"}},

        {"wrong type: string for an integer", R"([populations.exc]
model = "lif_curr"
size = "ten"
)", {}, {"bad.toml:3: populations.exc.size: expected an integer, got a string"}},

        {"wrong type: float for an integer", R"([populations.exc]
model = "lif_curr"
size = 10.0
)", {}, {"bad.toml:3: populations.exc.size: expected an integer, got a float"}},

        {"wrong type: string for a number", R"([populations.exc]
model = "lif_curr"
size = 10
tau_m_ms = "20"
)", {}, {"bad.toml:4: populations.exc.tau_m_ms: expected a number, got a string"}},

        {"wrong type: number for a boolean", R"([populations.exc]
model = "lif_cond"
size = 10
theta_frozen = 1
)", {}, {"bad.toml:4: populations.exc.theta_frozen: expected a boolean"}},

        {"missing model", R"([populations.exc]
size = 10
)", {}, {"bad.toml:1: populations.exc.model: missing required key (expected a string, one of: lif_curr, lif_cond, poisson, spike_train)"}},

        {"misspelt model key", R"([populations.exc]
modle = "lif_curr"
size = 10
)", {}, {"bad.toml:2: populations.exc.modle: unknown key (did you mean 'model'?)"}},

        {"missing size", R"(
[populations.exc]
model = "lif_curr"
)", {}, {"bad.toml:2: populations.exc.size: missing required key (expected an integer >= 1)"}},

        {"zero size", R"([populations.exc]
model = "lif_curr"
size = 0
)", {}, {"bad.toml:3: populations.exc.size: 0: must be >= 1"}},

        {"negative size", R"([populations.exc]
model = "lif_curr"
size = -3
)", {}, {"bad.toml:3: populations.exc.size: -3: must be >= 1"}},

        {"unknown model", R"([populations.exc]
model = "lif_con"
size = 10
)", {}, {"bad.toml:2: populations.exc.model: unknown model 'lif_con' (did you mean 'lif_cond'? expected one of: lif_curr, lif_cond, poisson, spike_train)"}},

        {"negative time constant", R"([populations.exc]
model = "lif_curr"
size = 10
tau_m_ms = -20.0
)", {}, {"bad.toml:4: populations.exc.tau_m_ms: -20 ms: must be > 0"}},

        {"V_reset >= V_th", R"([populations.exc]
model = "lif_curr"
size = 10
V_th_mV = -55.0
V_reset_mV = -50.0
)", {}, {"bad.toml:5: populations.exc.V_reset_mV: -50 mV must be below V_th = -55 mV"}},

        {"V_th below the default V_reset", R"([populations.exc]
model = "lif_curr"
size = 10
V_th_mV = -75.0
)", {}, {"bad.toml:1: populations.exc.V_reset_mV: -70 mV must be below V_th = -75 mV (the default value)"}},

        {"unknown integration", R"([populations.exc]
model = "lif_curr"
size = 1
integration = "rk5"
)", {}, {"bad.toml:4: populations.exc.integration: unknown integration 'rk5' (did you mean 'rk4'? expected one of: automatic, rk4, euler, exponential_euler, dopri5, exact, precise)"}},

        {"exact integration of a model without a propagator", R"([populations.exc]
model = "lif_cond"
size = 1
integration = "exact"
)", {}, {"bad.toml:4: populations.exc.integration: exact: needs a model with an exact propagator"}},

        {"unknown state variable in initial", R"([populations.exc]
model = "lif_cond"
size = 1
initial = { V_mV = -65.0 }
)", {}, {"bad.toml:4: populations.exc.initial.V_mV: unknown key (did you mean 'V_m_mV'?)"}},

        {"bad distribution table", R"([populations.exc]
model = "lif_curr"
size = 1
initial = { V_m_mV = { gauss = [-65.0, 5.0] } }
)", {}, {"bad.toml:4: populations.exc.initial.V_m_mV.gauss: unknown key (expected one of: uniform, normal)"}},

        {"distribution with one number", R"([populations.exc]
model = "lif_curr"
size = 1
initial = { V_m_mV = { uniform = [-65.0] } }
)", {}, {"bad.toml:4: populations.exc.initial.V_m_mV.uniform: expected an array of 2 numbers [low, high], got 1 elements"}},

        {"distribution with a negative sd", R"([populations.exc]
model = "lif_curr"
size = 1
initial = { V_m_mV = { normal = [-65.0, -1.0] } }
)", {}, {"bad.toml:4: populations.exc.initial.V_m_mV: normal(mean -65 mV, sd -1 mV): sd must be >= 0"}},

        {"population name with a slash", R"([populations."a/b"]
model = "lif_curr"
size = 1
)", {}, {"bad.toml:1: populations.\"a/b\": a population name must not contain '/'"}},

        {"poisson rate above one spike per step", R"([populations.in]
model = "poisson"
size = 1
rate_Hz = 20000.0
)", {}, {"bad.toml:4: populations.in.rate_Hz: 20000 Hz exceeds one spike per step"}},

        {"spike-train node id out of range", R"([populations.in]
model = "spike_train"
size = 3
times_ms = [1.0, 2.0]
node_ids = [0,
            5]
)", {}, {"bad.toml:6: populations.in.node_ids[1]: 5: out of range for size 3"}},

        {"spike-train times without node ids", R"([populations.in]
model = "spike_train"
size = 3
times_ms = [1.0, 2.0]
)", {}, {"bad.toml:1: populations.in.node_ids: missing required key"}},

        {"spike-train file missing", R"([populations.in]
model = "spike_train"
size = 3
file = "missing.csv"
)", {}, {"bad.toml:4: populations.in.file: cannot open '", "missing.csv': no such file"}},

        {"spike-train file node id out of range", R"([populations.in]
model = "spike_train"
size = 4
file = "out_of_range.csv"
)", {}, {"bad.toml:4: populations.in.file: ", "out_of_range.csv:3: node_id 9: out of range for size 4"}},

        {"spike-train file with a wrong header", R"([populations.in]
model = "spike_train"
size = 4
file = "bad_header.csv"
)", {}, {"bad.toml:4: populations.in.file: ", "bad_header.csv:1: expected the header 'node_id,time_ms', got 'neuron,time'"}},

        {"spike-train file with a malformed row", R"([populations.in]
model = "spike_train"
size = 4
file = "bad_row.csv"
)", {}, {"bad.toml:4: populations.in.file: ", "bad_row.csv:3: time_ms 'abc': expected a number"}},

        {"spike-train file and inline spikes", R"([populations.in]
model = "spike_train"
size = 4
file = "spikes.csv"
times_ms = [1.0]
node_ids = [0]
)", {}, {"bad.toml:4: populations.in.file: give either file or times_ms and node_ids, not both"}},

        {"projection to a missing population", R"([populations.exc]
model = "lif_curr"
size = 1
[populations.inh]
model = "lif_curr"
size = 1
[projections.x]
pre = "exc"
post = "inhh"
weight_pA = 1.0
)", {}, {"bad.toml:9: projections.x.post: unknown population 'inhh' (did you mean 'inh'? expected one of: exc, inh)"}},

        {"projection onto a source", R"([populations.exc]
model = "lif_curr"
size = 1
[populations.in]
model = "poisson"
size = 1
[projections.x]
pre = "exc"
post = "in"
weight_pA = 1.0
)", {}, {"bad.toml:9: projections.x.post: 'in' is a poisson source, which takes no input"}},

        {"delay < dt from a source", R"([run]
dt_ms = 0.1
[populations.in]
model = "poisson"
size = 2
rate_Hz = 5.0
[populations.exc]
model = "lif_curr"
size = 2
[projections.x]
pre = "in"
post = "exc"
weight_pA = 1.0
delay_ms = 0.05
)", {}, {"bad.toml:14: projections.x.delay_ms: delay_ms can be 0.05 ms, shorter than dt = 0.1 ms"}},

        {"negative delay", R"([populations.exc]
model = "lif_curr"
size = 2
[projections.x]
pre = "exc"
post = "exc"
weight_pA = 1.0
delay_ms = -1.0
)", {}, {"bad.toml:8: projections.x.delay_ms: delay_ms can be -1 ms: delays must be >= 0"}},

        {"p > 1", R"([populations.exc]
model = "lif_curr"
size = 2
[projections.x]
pre = "exc"
post = "exc"
weight_pA = 1.0
[projections.x.connection]
rule = "fixed_probability"
p = 1.5
)", {}, {"bad.toml:10: projections.x.connection.p: 1.5: must be in [0, 1]"}},

        {"connection rule without its required parameter", R"([populations.exc]
model = "lif_curr"
size = 2
[projections.x]
pre = "exc"
post = "exc"
connection = "fixed_probability"
weight_pA = 1.0
)", {}, {"bad.toml:7: projections.x.connection: fixed_probability needs p"}},

        {"unknown connection rule", R"([populations.exc]
model = "lif_curr"
size = 2
[projections.x]
pre = "exc"
post = "exc"
connection = { rule = "all_to_one" }
weight_pA = 1.0
)", {}, {"bad.toml:7: projections.x.connection.rule: unknown connection rule 'all_to_one' (did you mean 'all_to_all'?"}},

        {"from_list index out of range", R"([populations.exc]
model = "lif_curr"
size = 4
[projections.x]
pre = "exc"
post = "exc"
connection = { rule = "from_list", pre = [0, 1], post = [2, 9] }
weight_pA = 1.0
)", {}, {"bad.toml:7: projections.x.connection.post[1]: post index 9 of synapse 1 is out of range for 'exc' (size 4)"}},

        {"wrong weight unit", R"([populations.exc]
model = "lif_cond"
size = 2
[projections.x]
pre = "exc"
post = "exc"
weight_pA = 1.0
)", {}, {"bad.toml:7: projections.x.weight_pA: 'exc' is a lif_cond population, which takes weights in nS (expected weight_nS)"}},

        {"two weight keys", R"([populations.exc]
model = "lif_cond"
size = 2
[projections.x]
pre = "exc"
post = "exc"
weight_nS = 1.0
weight_pA = 1.0
)", {}, {"bad.toml:8: projections.x.weight_pA: a second weight key besides 'weight_nS'"}},

        {"missing weight", R"([populations.exc]
model = "lif_cond"
size = 2
[projections.x]
pre = "exc"
post = "exc"
)", {}, {"bad.toml:4: projections.x.weight_nS: missing required key (expected the weight in nS"}},

        {"weight with a lower bound above the upper", R"([populations.exc]
model = "lif_cond"
size = 2
[projections.x]
pre = "exc"
post = "exc"
weight_nS = { uniform = [2.0, 1.0] }
)", {}, {"bad.toml:7: projections.x.weight_nS: uniform(2 nS, 1 nS): the lower bound must be below the upper bound"}},

        {"normally distributed weight (can be negative)", R"([populations.exc]
model = "lif_cond"
size = 2
[projections.x]
pre = "exc"
post = "exc"
weight_nS = { normal = [2.0, 0.5] }
)", {}, {"bad.toml:7: projections.x.weight_nS: weight can be negative"}},

        {"unknown receptor", R"([populations.exc]
model = "lif_curr"
size = 2
[projections.x]
pre = "exc"
post = "exc"
weight_pA = 1.0
receptor = "excitory"
)", {}, {"bad.toml:8: projections.x.receptor: unknown receptor 'excitory' (did you mean 'excitatory'? expected one of: excitatory, inhibitory)"}},

        {"dense storage of a sparse rule", R"([populations.exc]
model = "lif_curr"
size = 2
[projections.x]
pre = "exc"
post = "exc"
weight_pA = 1.0
connection = { rule = "fixed_probability", p = 0.5 }
storage = "dense"
)", {}, {"bad.toml:9: projections.x.storage: dense needs a complete all-to-all connection"}},

        {"unknown plasticity rule", R"([populations.exc]
model = "lif_curr"
size = 2
[projections.x]
pre = "exc"
post = "exc"
weight_pA = 0.5
plasticity = { rule = "pair_sdtp" }
)", {}, {"bad.toml:8: projections.x.plasticity.rule: unknown plasticity rule 'pair_sdtp' (did you mean 'pair_stdp'? expected one of: pair_stdp, nearest_triplet_stdp)"}},

        {"bad plasticity parameter", R"([populations.exc]
model = "lif_curr"
size = 2
[projections.x]
pre = "exc"
post = "exc"
weight_pA = 0.5
plasticity = { rule = "pair_stdp", tau_plus_ms = 0.0 }
)", {}, {"bad.toml:8: projections.x.plasticity.tau_plus_ms: 0 ms: must be > 0"}},

        {"unknown plasticity enumeration value", R"([populations.exc]
model = "lif_curr"
size = 2
[projections.x]
pre = "exc"
post = "exc"
weight_pA = 0.5
plasticity = { rule = "pair_stdp", weighting = "additiv" }
)", {}, {"bad.toml:8: projections.x.plasticity.weighting: unknown weighting 'additiv' (did you mean 'additive'? expected one of: additive, multiplicative)"}},

        {"unknown plasticity parameter", R"([populations.exc]
model = "lif_curr"
size = 2
[projections.x]
pre = "exc"
post = "exc"
weight_pA = 0.5
plasticity = { rule = "nearest_triplet_stdp", tau_plus_ms = 10.0 }
)", {}, {"bad.toml:8: projections.x.plasticity.tau_plus_ms: unknown key"}},

        {"initial weights outside the plasticity bounds", R"([populations.exc]
model = "lif_curr"
size = 2
[projections.x]
pre = "exc"
post = "exc"
weight_pA = 5.0
plasticity = "pair_stdp"
)", {}, {"bad.toml:7: projections.x.weight_pA: initial weights can leave the plasticity bounds [w_min, w_max] = [0, 1]"}},

        {"plasticity in precise mode", R"([run]
mode = "precise"
[populations.n]
model = "lif_curr"
size = 2
[projections.x]
pre = "n"
post = "n"
weight_pA = 0.5
plasticity = "pair_stdp"
)", {}, {"bad.toml:10: projections.x.plasticity: plasticity onto 'n' in precise mode is not supported"}},

        {"unknown mode", R"([run]
mode = "precice"
[populations.n]
model = "lif_curr"
size = 1
)", {}, {"bad.toml:2: run.mode: unknown mode 'precice' (did you mean 'precise'? expected one of: grid, precise)"}},

        {"negative seed", R"([run]
seed = -1
[populations.n]
model = "lif_curr"
size = 1
)", {}, {"bad.toml:2: run.seed: -1: must be >= 0"}},

        {"duration not a whole number of steps", R"([run]
dt_ms = 0.1
duration_ms = 100.05
[populations.n]
model = "lif_curr"
size = 1
)", {}, {"bad.toml:3: run.duration_ms: 100.05 ms: must be a non-negative multiple of dt = 0.1 ms"}},

        {"record of an unknown population", R"([populations.exc]
model = "lif_curr"
size = 1
[populations.inh]
model = "lif_curr"
size = 1
[record]
spikes = ["exc",
          "inhh"]
)", {}, {"bad.toml:9: record.spikes[1]: unknown population 'inhh' (did you mean 'inh'?"}},

        {"record.state of an unknown variable", R"([populations.exc]
model = "lif_curr"
size = 1
[record.state.v]
population = "exc"
variable = "V"
)", {}, {"bad.toml:6: record.state.v.variable: unknown state variable of lif_curr 'V' (did you mean 'V_m'? expected one of: V_m, I_syn_e, I_syn_i)"}},

        {"record.weights of an unknown projection", R"([populations.exc]
model = "lif_curr"
size = 1
[record.weights.w]
projection = "exc->exc"
)", {}, {"bad.toml:5: record.weights.w.projection: unknown projection 'exc->exc'"}},

        {"every_ms not a multiple of dt", R"([run]
dt_ms = 0.1
[populations.exc]
model = "lif_curr"
size = 1
[record.state.v]
population = "exc"
variable = "V_m"
every_ms = 0.25
)", {}, {"bad.toml:9: record.state.v.every_ms: 0.25 ms: must be a non-negative multiple of dt = 0.1 ms"}},

        {"recorded neuron out of range", R"([populations.exc]
model = "lif_curr"
size = 2
[record.state.v]
population = "exc"
variable = "V_m"
neurons = [0, 2]
)", {}, {"bad.toml:7: record.state.v.neurons[1]: neurons contains 2, out of range for 'exc' (size 2)"}},

        {"duplicate report name", R"([populations.exc]
model = "lif_curr"
size = 2
[projections.x]
pre = "exc"
post = "exc"
weight_pA = 1.0
[record.weights.r]
projection = "x"
[record.state.r]
population = "exc"
variable = "V_m"
)", {}, {"bad.toml:10: record.state.r: report names must be unique"}},

        {"--set of an unknown key", R"([populations.exc]
model = "lif_curr"
size = 1
)", {"populations.exc.tau_mm_ms=3"}, {"--set populations.exc.tau_mm_ms=3: populations.exc.tau_mm_ms: unknown key (did you mean 'tau_m_ms'?)"}},

        {"--set of a value that is not TOML", R"([populations.exc]
model = "lif_curr"
size = 1
)", {"run.output=x.h5"}, {"--set run.output=x.h5: the value 'x.h5' is not a TOML value", "strings need quotes"}},

        {"rate networks without a task", R"([rate.mlp]
hidden = [10]
)", {}, {"bad.toml:1: rate: rate networks need a [task] section"}},

        {"unknown dataset with a suggestion", R"([task]
dataset = "minst"
[rate.mlp]
)", {}, {"bad.toml:2: task.dataset: unknown", "did you mean 'mnist'?"}},

        {"parameters of another dataset", R"([task]
dataset = "mnist"
[task.bars]
grid = 4
[rate.mlp]
)", {}, {"bad.toml:3: task.bars: parameters of 'bars' given, but dataset = \"mnist\""}},

        {"synthetic dataset parameter out of range", R"([task]
dataset = "bars"
[task.bars]
grid = 1
[rate.mlp]
)", {}, {"bad.toml:4: task.bars.grid:"}},

        {"data_dir for a generated dataset", R"([task]
dataset = "xor"
data_dir = "somewhere"
[rate.mlp]
)", {}, {"bad.toml:3: task.data_dir: only the mnist dataset is read from files"}},

        {"unknown rate-network key with a suggestion", R"([task]
dataset = "xor"
[rate.mlp]
hiden = [10]
)", {}, {"bad.toml:4: rate.mlp.hiden: unknown key (did you mean 'hidden'?)"}},

        {"hidden layer of size zero", R"([task]
dataset = "xor"
[rate.mlp]
hidden = [10, 0]
)", {}, {"bad.toml:4: rate.mlp.hidden[1]:"}},

        {"unknown activation", R"([task]
dataset = "xor"
[rate.mlp]
activation = "softplus"
)", {}, {"bad.toml:4: rate.mlp.activation: unknown", "relu"}},

        {"negative learning rate", R"([task]
dataset = "xor"
[rate.mlp]
learning_rate = -0.1
)", {}, {"bad.toml:4: rate.mlp.learning_rate:"}},

        {"batch size zero", R"([task]
dataset = "xor"
[rate.mlp]
batch_size = 0
)", {}, {"bad.toml:4: rate.mlp.batch_size:", "must be >= 1"}},

        {"evaluation points out of order", R"([task]
dataset = "xor"
[training]
examples = 1000
evaluate_at = [100, 50]
[rate.mlp]
)", {}, {"bad.toml:5: training.evaluate_at[1]:", "must be greater than the point before it"}},

        {"an evaluation point beyond the training", R"([task]
dataset = "xor"
[training]
examples = 1000
evaluate_at = [2000]
[rate.mlp]
)", {}, {"bad.toml:5: training.evaluate_at[0]:", "beyond examples = 1000"}},

        {"a float where examples are counted", R"([task]
dataset = "xor"
[training]
examples = 1e4
[rate.mlp]
)", {}, {"bad.toml:4: training.examples: expected an integer, got a float"}},

        {"projections without populations", R"([task]
dataset = "xor"
[rate.mlp]
[projections.a]
pre = "x"
post = "y"
)", {}, {"projections need [populations.<name>] tables"}},

        {"--set without a value", R"([populations.exc]
model = "lif_curr"
size = 1
)", {"run.seed"}, {"--set run.seed: expected key.path=value"}},

        {"--set with a malformed key path", R"([populations.exc]
model = "lif_curr"
size = 1
)", {"run..seed=2"}, {"--set run..seed=2: 'run..seed' is not a key path"}},

        {"--set with more than one value", R"([populations.exc]
model = "lif_curr"
size = 1
)", {"run.seed=1\nrun.dt_ms=2"}, {"--set run.seed=1\nrun.dt_ms=2: the value '1\nrun.dt_ms=2' is not a single TOML value"}},

        {"--set below a value that is not a table", R"([populations.exc]
model = "lif_curr"
size = 1
)", {"populations.exc.size.x=2"}, {"--set populations.exc.size.x=2: populations.exc.size is an integer, not a table"}},
    };
    // clang-format on
    return cases;
}

}  // namespace

TEST_CASE("scenario: malformed scenarios fail with file, line, key path and expectation",
          "[unit][scenario]") {
    const auto& cases = malformed_cases();
    CHECK(cases.size() >= 20);
    for (const auto& c : cases) {
        DYNAMIC_SECTION(c.name) {
            const std::string message = error_of(c.text, c.overrides, fixture_source());
            INFO(message);
            for (const auto& part : c.expected) CHECK_THAT(message, Contains(part));
        }
    }
}

TEST_CASE("scenario: [task], [training] and [rate.<name>] sections", "[unit][scenario]") {
    const Scenario s = parse_scenario(R"(
[run]
seed = 4
[task]
dataset = "gaussian_clusters"
shuffle = false
[task.gaussian_clusters]
n_classes = 5
radius = 0.05
[training]
examples = 3000
evaluate_at = [100, 1000]
weights_every = 500
[rate.mlp]
hidden = [32, 16]
activation = "tanh"
loss = "mean_squared_error"
output_activation = "sigmoid"
optimizer = "adam"
learning_rate = 0.001
batch_size = 8
threads = 2
l2 = 1e-4
[rate.logreg]
hidden = []
record_weights = false
)",
                                      "rate.toml");
    CHECK(s.network.populations.empty());  // no spiking network needed
    REQUIRE(s.task);
    CHECK(s.task->dataset == spikerate::sim::task::DatasetKind::gaussian_clusters);
    CHECK_FALSE(s.task->shuffle);
    CHECK(s.task->gaussian_clusters.n_classes == 5);
    CHECK(s.task->gaussian_clusters.radius == 0.05);
    CHECK(s.training.examples == 3000);
    CHECK(s.training.evaluate_at == std::vector<std::uint64_t>{100, 1000});
    CHECK(s.training.weights_every == 500);
    REQUIRE(s.rate_networks.size() == 2);
    const auto& logreg = s.rate_networks[0];  // by name
    CHECK(logreg.name == "logreg");
    CHECK(logreg.network.hidden.empty());
    CHECK_FALSE(logreg.record_weights);
    const auto& mlp = s.rate_networks[1];
    CHECK(mlp.network.hidden == std::vector<std::uint32_t>{32, 16});
    CHECK(mlp.network.activation == models::Activation::tanh);
    CHECK(mlp.network.loss == models::Loss::mean_squared_error);
    CHECK(mlp.network.output_activation == models::Activation::sigmoid);
    CHECK(mlp.network.l2 == 1e-4);
    CHECK(mlp.optimizer.kind == models::OptimizerKind::adam);
    CHECK(mlp.optimizer.learning_rate == 0.001);
    CHECK(mlp.batch_size == 8);
    CHECK(mlp.threads == 2);

    // The resolved text names the data directory absolutely, so it reads back from anywhere.
    const Scenario mnist = parse_scenario(R"(
[task]
dataset = "mnist"
data_dir = "../cache/mnist"
train_examples = 1000
[rate.mlp]
)",
                                          (fixtures / "mnist.toml").string());
    CHECK(mnist.task->data_dir == fixtures / "../cache/mnist");
    CHECK(mnist.task->train_examples == 1000);
    const Scenario again = parse_scenario(mnist.resolved_text, "/elsewhere/resolved.toml");
    CHECK(again.task->data_dir ==
          std::filesystem::absolute(fixtures / "../cache/mnist").lexically_normal());
}
