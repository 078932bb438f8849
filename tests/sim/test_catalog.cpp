// The catalog (sim/catalog.hpp): what a model or rule must provide, the ids derived from it, the
// third-factor hook, and, in a build with the test catalog extension
// (-DSPIKERATE_CATALOG_EXTENSION=tests/catalog_extension, as `make test-sanitize` builds), a
// neuron model and a plasticity rule added as one file pair and one catalog line each.

#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <catch2/catch.hpp>

#include "models/concepts.hpp"
#include "sim/catalog.hpp"
#include "sim/io/key_reference.hpp"
#include "sim/io/scenario.hpp"
#include "sim/network.hpp"
#include "sim/recorder.hpp"

namespace {

namespace sim = spikerate::sim;
namespace models = spikerate::models;

// A model that forgot its threshold: the concept says no, and names the missing requirement.
struct NoThreshold : models::LifCurr {
    using Params = models::LifCurrParams;
    void above_threshold() = delete;
};
// A rule without a modulator, and one with a modulator of the wrong signature.
struct BadModulator : models::PairStdp {
    int on_modulator(int) const { return 0; }
};

}  // namespace

TEST_CASE("catalog: the concepts accept the catalog's entries and name what a model lacks",
          "[unit][catalog]") {
    STATIC_REQUIRE(models::NeuronModel<models::LifCurr>);
    STATIC_REQUIRE(models::NeuronModel<models::LifCond>);
    STATIC_REQUIRE(models::PlasticityRule<models::PairStdp>);
    STATIC_REQUIRE(models::PlasticityRule<models::NearestTripletStdp>);
    STATIC_REQUIRE(sim::SourceParams<sim::PoissonSourceParams>);
    STATIC_REQUIRE(sim::SourceParams<sim::SpikeTrainSourceParams>);
    // NoThreshold's Params names LifCurr as its model, not NoThreshold; and it has no threshold.
    STATIC_REQUIRE_FALSE(models::neuron_requirement::names_its_params<NoThreshold>);
    STATIC_REQUIRE_FALSE(models::neuron_requirement::has_threshold<NoThreshold>);
    STATIC_REQUIRE_FALSE(models::NeuronModel<NoThreshold>);
    STATIC_REQUIRE_FALSE(models::NeuronModel<models::PairStdp>);
    STATIC_REQUIRE_FALSE(models::PlasticityRule<models::LifCond>);
    // Optional capabilities.
    STATIC_REQUIRE(models::HasExactPropagator<models::LifCurr>);
    STATIC_REQUIRE_FALSE(models::HasExactPropagator<models::LifCond>);
    STATIC_REQUIRE(models::HasVectorisedPostTerms<models::PairStdp>);
    STATIC_REQUIRE_FALSE(models::HasModulator<models::PairStdp>);
    STATIC_REQUIRE_FALSE(models::HasModulator<BadModulator>);
}

template <class Variant>
std::vector<std::string> ids_of() {
    std::vector<std::string> ids;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (ids.emplace_back(sim::id_of<std::variant_alternative_t<I, Variant>>()), ...);
    }
    (std::make_index_sequence<std::variant_size_v<Variant>>{});
    return ids;
}

TEST_CASE("catalog: ids come from the entries, neuron models first", "[unit][catalog]") {
    std::vector<std::string> models{"lif_curr",   "lif_cond",    "srm_masquelier",
                                    "izhikevich", "adex",        "adex_cond",
                                    "poisson",    "spike_train", "masquelier_pattern"};
    std::vector<std::string> rules{"none", "pair_stdp", "nearest_triplet_stdp", "triplet_stdp",
                                   "reward_stdp"};
#ifdef SPIKERATE_CATALOG_EXTENSION
    models.insert(models.begin() + 6, "perfect_if");  // after the shipped neuron models
    rules.emplace_back("modulated_tag");
#endif
    CHECK(ids_of<sim::PopulationModel>() == models);
    CHECK(ids_of<sim::PlasticityParams>() == rules);
    CHECK(sim::model_id(models::LifCondParams{}) == "lif_cond");
    CHECK(sim::model_id(sim::SpikeTrainSourceParams{}) == "spike_train");
    CHECK(sim::plasticity_id(models::PairStdpParams{}) == "pair_stdp");
}

TEST_CASE("catalog: a projection whose rule has no on_modulator refuses a modulator",
          "[unit][catalog]") {
    sim::NetworkSpec spec{.dt_ms = 0.1};
    spec.populations = {
        {.name = "in", .size = 2, .model = sim::PoissonSourceParams{.rate_hz = 0.0}},
        {.name = "n", .size = 1, .model = models::LifCurrParams{}},
    };
    spec.projections = {
        {.name = "static", .pre = "in", .post = "n", .weight = sim::Distribution::constant(1.0)},
        {.name = "stdp",
         .pre = "in",
         .post = "n",
         .weight = sim::Distribution::constant(0.5),
         .plasticity = models::PairStdpParams{}},
    };
    sim::Network net(spec);
    for (const char* name : {"static", "stdp"}) {
        auto& proj = net.projection(name);
        CHECK_FALSE(proj.takes_modulator());
        CHECK_THROWS_WITH(proj.deliver_modulator(1.0, 0.0),
                          Catch::Contains(std::string("projection '") + name) &&
                              Catch::Contains("takes no modulator"));
    }
}

#ifdef SPIKERATE_CATALOG_EXTENSION

TEST_CASE("catalog extension: a test-only model runs, and its first spike is the closed form's",
          "[integration][catalog]") {
    // dV/dt = I_e / C_m = 2 mV/ms, exact in binary at dt = 1/8 ms: V_th - V_reset = 10 mV is
    // reached at t* = C_m (V_th - V_reset) / I_e = 5 ms; then held for t_ref = 2 ms, so the
    // next spike comes t_ref + t* = 7 ms later.
    sim::NetworkSpec spec{.dt_ms = 0.125};
    spec.populations = {
        {.name = "n",
         .size = 3,
         .model =
             models::PerfectIfParams{
                 .C_m = 128.0, .I_e = 256.0, .V_th = 10.0, .V_reset = 0.0, .t_ref = 2.0},
         .integration = sim::Integration::rk4}};
    sim::Network net(spec);
    sim::SpikeRecorder spikes(net.population("n"));
    net.run(13.0, [&](const sim::Network& n) { spikes.record(n.grid()); });
    CHECK(net.population("n").model_id() == "perfect_if");
    CHECK(spikes.times_of(0) == std::vector<double>{5.0, 12.0});
    CHECK(spikes.times_of(2) == std::vector<double>{5.0, 12.0});
}

TEST_CASE(
    "catalog extension: a test-only three-factor rule moves tagged weights when a "
    "modulator arrives",
    "[integration][catalog]") {
    sim::NetworkSpec spec{.dt_ms = 0.1};
    spec.populations = {
        {.name = "in",
         .size = 2,
         .model = sim::SpikeTrainSourceParams{.times_ms = {1.0}, .node_ids = {0}}},
        {.name = "n", .size = 1, .model = models::PerfectIfParams{}},
    };
    spec.projections = {{.name = "tagged",
                         .pre = "in",
                         .post = "n",
                         .weight = sim::Distribution::constant(0.2),
                         .delay_ms = sim::Distribution::constant(1.0),
                         .plasticity = models::ModulatedTagParams{.gain = 0.5}}};
    sim::Network net(spec);
    auto& proj = net.projection("tagged");
    REQUIRE(proj.takes_modulator());
    net.run(5.0);  // node 0's spike arrives at 2 ms and tags its synapse
    proj.deliver_modulator(1.0, net.time_ms());
    CHECK(proj.weights() == std::vector<double>{0.7, 0.2});  // gain x 1 on the tagged synapse
    proj.deliver_modulator(1.0, net.time_ms());              // tags were cleared: nothing moves
    CHECK(proj.weights() == std::vector<double>{0.7, 0.2});
    CHECK(proj.plasticity_updates() == 1 + 2 + 2);  // the arrival, then every synapse twice
}

TEST_CASE(
    "catalog extension: scenarios name the test-only entries and the key reference lists "
    "them",
    "[integration][catalog]") {
    const auto scenario = sim::io::parse_scenario(R"([populations.in]
model = "poisson"
size = 4
rate_Hz = 50.0

[populations.n]
model = "perfect_if"
size = 2
I_e_pA = 10.0

[projections.x]
pre = "in"
post = "n"
weight_mV = 0.5
plasticity = { rule = "modulated_tag", gain = 0.25 }
)",
                                                  "extension.toml");
    const auto& pop = scenario.network.populations.at(1);
    CHECK(std::get<models::PerfectIfParams>(pop.model).I_e == 10.0);
    CHECK(
        std::get<models::ModulatedTagParams>(scenario.network.projections.at(0).plasticity).gain ==
        0.25);
    const std::string keys = sim::io::key_reference_text();
    CHECK_THAT(keys, Catch::Contains("model = \"perfect_if\"") &&
                         Catch::Contains("plasticity = { rule = \"modulated_tag\" }") &&
                         Catch::Contains("tau_i_ms"));
    CHECK_THROWS_WITH(sim::io::parse_scenario("[populations.n]\nmodel = \"perfect_if\"\nsize = "
                                              "1\nV_th_mV = -1.0\n",
                                              "bad.toml"),
                      Catch::Contains("bad.toml:1: populations.n.V_reset_mV: 0 mV must be below "
                                      "V_th = -1 mV (the default value)"));
}

#endif
