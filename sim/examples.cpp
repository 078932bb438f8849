#include "examples.hpp"

namespace spikerate::sim::examples {

NetworkSpec song_miller_abbott_2000(std::uint64_t seed) {
    constexpr double g_max = song_2000_g_max;
    models::LifCondParams neuron{};
    neuron.C_m = 10.0;  // [pF] tau_m = C_m / g_L = 10 ms
    neuron.g_L = 1.0;
    neuron.E_L = -74.0;
    neuron.V_th = -54.0;
    neuron.V_reset = -60.0;
    neuron.t_ref = 0.0;
    neuron.E_e = 0.0;
    neuron.tau_syn_e = 5.0;

    models::PairStdpParams stdp{};
    stdp.tau_plus = 20.0;
    stdp.tau_minus = 20.0;
    stdp.A_plus = 0.01 * g_max;
    stdp.A_minus = 1.05 * stdp.A_plus;
    stdp.bounds = {.w_min = 0.0, .w_max = g_max};

    NetworkSpec spec{.dt_ms = 0.1, .seed = seed};
    spec.populations = {
        {.name = "input", .size = 1000, .model = PoissonSourceParams{.rate_hz = 15.0}},
        {.name = "neuron", .size = 1, .model = neuron},
    };
    spec.projections = {{
        .pre = "input",
        .post = "neuron",
        .weight = Distribution::uniform(0.0, g_max),
        .delay_ms = Distribution::constant(0.1),
        .plasticity = stdp,
    }};
    return spec;
}

}  // namespace spikerate::sim::examples
