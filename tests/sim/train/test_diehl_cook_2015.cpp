// The Diehl & Cook network's size rule (sim/train/diehl_cook_2015.hpp): theta's decay scales
// with the layer's size so that its equilibrium stays the reference size's, and the reference
// size gets exactly the released code's parameters.
#include <variant>

#include <catch2/catch.hpp>

#include "models/error.hpp"
#include "models/lif_cond.hpp"
#include "sim/train/diehl_cook_2015.hpp"

namespace train = spikerate::sim::train;
namespace models = spikerate::models;

namespace {

double exc_tau_theta_built(const train::DiehlCook2015Params& params, bool learning) {
    const auto spec = train::diehl_cook_2015_network(params, 16, 1, learning);
    for (const auto& population : spec.populations) {
        if (population.name == train::dc_exc) {
            return std::get<models::LifCondParams>(population.model).tau_theta;
        }
    }
    FAIL("no excitatory population");
    return 0.0;
}

}  // namespace

TEST_CASE("diehl & cook size rule: theta's decay scales with n_exc / reference_n_exc",
          "[unit][diehl_cook]") {
    train::DiehlCook2015Params params;
    REQUIRE(params.size_rule == train::DiehlCook2015Params::SizeRule::constant_theta_equilibrium);
    REQUIRE(params.reference_n_exc == 400);
    REQUIRE(params.exc.tau_theta == 1e7);

    params.n_exc = 400;  // the released code's configuration, bit for bit
    CHECK(params.tau_theta_used() == 1e7);
    CHECK(exc_tau_theta_built(params, true) == 1e7);

    params.n_exc = 100;
    CHECK(params.tau_theta_used() == 2.5e6);
    CHECK(exc_tau_theta_built(params, true) == 2.5e6);
    CHECK(exc_tau_theta_built(params, false) == 2.5e6);  // the frozen copy has the same

    params.n_exc = 1600;
    CHECK(params.tau_theta_used() == 4e7);

    params.n_exc = 100;
    params.reference_n_exc = 100;  // the parameters given are for this size: used as they are
    CHECK(params.tau_theta_used() == 1e7);

    params.reference_n_exc = 400;
    params.size_rule = train::DiehlCook2015Params::SizeRule::none;
    CHECK(params.tau_theta_used() == 1e7);
    CHECK(exc_tau_theta_built(params, true) == 1e7);
}

TEST_CASE("diehl & cook size rule: a reference size of 0 is refused by name",
          "[unit][diehl_cook]") {
    train::DiehlCook2015Params params;
    params.reference_n_exc = 0;
    try {
        params.validate();
        FAIL("validate accepted reference_n_exc = 0");
    } catch (const spikerate::ParamError& e) {
        CHECK(e.key() == "reference_n_exc");
    }
}
