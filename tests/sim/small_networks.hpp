#pragma once

// Networks shared by several tests.

#include "models/lif_curr.hpp"
#include "models/pair_stdp.hpp"
#include "sim/network_spec.hpp"

namespace spikerate::testing {

// 20 Poisson inputs at 40 Hz onto 6 lif_curr neurons that fire on their own (I_e = 300 pA), so
// post spikes drive the plastic (pair STDP) input projection; dt 0.1 ms, seed 11.
inline sim::NetworkSpec small_plastic_network() {
    models::LifCurrParams neuron{};
    neuron.I_e = 300.0;  // [pA]
    models::PairStdpParams stdp{};
    stdp.A_plus = 5.0;
    stdp.A_minus = 5.5;
    stdp.bounds = {.w_min = 0.0, .w_max = 200.0};
    sim::NetworkSpec spec{.dt_ms = 0.1, .seed = 11};
    spec.populations = {
        {.name = "input", .size = 20, .model = sim::PoissonSourceParams{.rate_hz = 40.0}},
        {.name = "exc", .size = 6, .model = neuron},
    };
    spec.projections = {{
        .pre = "input",
        .post = "exc",
        .connection = sim::connect::FixedProbability{.p = 0.5},
        .weight = sim::Distribution::uniform(50.0, 150.0),
        .delay_ms = sim::Distribution::uniform(0.5, 2.0),
        .plasticity = stdp,
    }};
    return spec;
}

}  // namespace spikerate::testing
