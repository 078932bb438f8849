#pragma once

// The parameters of the spike sources a scenario can name (populations without state that emit
// spikes). Each names the engine class that plays it (Params::Source, in sim/sources.hpp), its
// id and a one-line summary for the key reference, and checks itself against the population's
// size and the step.

#include <cstdint>
#include <string_view>
#include <vector>

namespace spikerate::sim {

class PoissonSource;
class SpikeTrainSource;

// Independent Poisson spike trains, every neuron at rate_hz (changeable between presentations).
struct PoissonSourceParams {
    using Source = PoissonSource;
    static constexpr std::string_view id = "poisson";
    static constexpr std::string_view summary =
        "independent Poisson spike trains (rates changeable between presentations)";

    double rate_hz = 10.0;  // [Hz] of every neuron

    template <class Visitor>
    void visit_fields(Visitor&& v) {
        v("rate", rate_hz, "Hz", ">= 0 and at most one spike per step (1 / dt)");
    }
    // rate_hz finite, >= 0 and at most one spike per step (1 / dt).
    void validate(std::uint32_t size, double dt_ms) const;
};

// Given spikes, replayed at their exact times: spike s of node node_ids[s] at times_ms[s].
struct SpikeTrainSourceParams {
    using Source = SpikeTrainSource;
    static constexpr std::string_view id = "spike_train";
    static constexpr std::string_view summary = "given spikes, replayed at their exact times";

    std::vector<double> times_ms;  // [ms]
    std::vector<std::uint32_t> node_ids;

    template <class Visitor>
    void visit_fields(Visitor&& v) {
        v("times", times_ms, "ms", "finite, >= 0; one per node id");
        v("node_ids", node_ids, "", "< size; one per time");
    }
    // As many times as node ids, every node id < size, every time finite and >= 0.
    void validate(std::uint32_t size, double dt_ms) const;
};

}  // namespace spikerate::sim
