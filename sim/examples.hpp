#pragma once

#include <cstdint>

#include "sim/network_spec.hpp"

namespace spikerate::sim::examples {

// Song, Miller & Abbott (2000) as in Brian2's STDP example (../shared/REFERENCES.md):
// 1000 Poisson inputs ("input") at 15 Hz onto one lif_cond neuron ("neuron": tau_m 10 ms,
// E_L -74 mV, V_th -54 mV, V_reset -60 mV, E_e 0 mV, tau_e 5 ms, no refractory period), with
// conductances in units of g_L (g_L = 1 nS), through additive all-to-all pair STDP
// (tau 20 ms, A_plus = 0.01 g_max, A_minus = 1.05 A_plus) in [0, g_max], initial weights
// uniform in [0, g_max), delay one step (dt = 0.1 ms). Projection "input->neuron".
inline constexpr double song_2000_g_max = 0.01;  // [nS]
NetworkSpec song_miller_abbott_2000(std::uint64_t seed);

}  // namespace spikerate::sim::examples
