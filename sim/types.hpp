#pragma once

// The engine's vocabulary types: when a spike happens, which neuron emitted it, and which
// synaptic variable of the target it acts on.

#include <cstdint>

namespace spikerate::sim {

// A point in simulated time as a step of the dt grid plus an offset inside that step:
// t = step * dt + offset with 0 <= offset < dt. Grid-mode spikes have offset 0; precise-mode
// spikes keep their exact off-grid time. Integer steps keep delays exact however long the run.
struct SpikeTime {
    std::int64_t step = 0;
    double offset = 0.0;  // [ms]
};

struct Spike {
    std::uint32_t node;  // 0-based index within the emitting population
    // Explicit padding, zero: checkpoints write spikes as bytes, which must not depend on
    // what the memory held before.
    std::uint32_t unused = 0;
    SpikeTime time;
};

// Which synaptic variable of the target an incoming spike acts on.
enum class Receptor : std::uint8_t { excitatory = 0, inhibitory = 1 };
inline constexpr int n_receptors = 2;

}  // namespace spikerate::sim
