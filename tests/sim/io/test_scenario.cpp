#include "sim/io/scenario.hpp"
#include "tests/sim/io/scenario_test_util.hpp"

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

using scenario_test::error_of;
using scenario_test::fixtures;

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

}  // namespace

TEST_CASE("scenario: a file with every feature parses into the expected specs",
          "[unit][scenario]") {
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

TEST_CASE("scenario: mode = precise integrates models with a propagator precisely",
          "[unit][scenario]") {
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
