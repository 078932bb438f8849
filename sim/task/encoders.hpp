#pragma once

// Turn an example's inputs x in [0, 1] into spikes for the spiking paradigm. The trains are
// sim::SpikeTrainSourceParams (one spike per entry, at times_ms[s] from node node_ids[s]), sorted
// by (time, node), with times relative to the start of the presentation. Inputs outside [0, 1]
// or not finite throw DataError naming the input.

#include <array>
#include <cstdint>
#include <span>

#include "sim/network_spec.hpp"
#include "sim/task/dataset.hpp"

namespace spikerate::sim::task {

// Rate coding: input i fires as a Poisson process of rate x_i max_rate_hz over [0, duration_ms),
// in continuous time (exponential intervals). The default 63.75 Hz for a white pixel is Diehl &
// Cook's (2015, Front. Comput. Neurosci. 9:99) pixel / 4 Hz for 350 ms presentations.
struct PoissonEncoderParams {
    double max_rate_hz = 63.75;  // [Hz] rate of an input at 1
    double duration_ms = 350.0;  // [ms] presentation length

    template <class Visitor>
    void visit_fields(Visitor&& v) {
        v("max_rate", max_rate_hz, "Hz", ">= 0: the rate of an input at 1");
        v("duration", duration_ms, "ms", "> 0: presentation length");
    }
    void validate() const;  // max_rate_hz >= 0, duration_ms > 0, both finite
};

// Latency coding, linear time to first spike: input i fires once at t_max (1 - x_i) if
// x_i > threshold, never otherwise; the strongest inputs fire first. No randomness.
struct LatencyEncoderParams {
    double t_max_ms = 50.0;  // [ms] spike time of an input just above 0
    double threshold = 0.0;  // inputs at or below it stay silent, in [0, 1)

    template <class Visitor>
    void visit_fields(Visitor&& v) {
        v("t_max", t_max_ms, "ms", "> 0: spike time of an input just above 0");
        v("threshold", threshold, "", "in [0, 1): inputs at or below it stay silent");
    }
    void validate() const;  // t_max_ms > 0, 0 <= threshold < 1
};

// Spike k of input i uses the counter (example_id, i, k) of RandomStream(seed, "encoder/poisson"):
// an example's encoding depends on nothing but (seed, example_id, x), not on other inputs or
// other examples. Validates the parameters.
SpikeTrainSourceParams encode_poisson(std::span<const float> x, const PoissonEncoderParams& params,
                                      std::uint64_t seed, std::uint64_t example_id);

SpikeTrainSourceParams encode_latency(std::span<const float> x, const LatencyEncoderParams& params);

// A temporal task's example as it is: its spike pattern (Dataset::spike_patterns) as trains,
// afferent a playing node a. Throws DataError for an example index out of range.
SpikeTrainSourceParams encode_spike_pattern(const SpikePatterns& patterns, std::size_t example);

// The rates [Hz] x_i max_rate_hz, for sim::PoissonSource::set_rates (which draws on its own grid
// instead). Throws DataError if the spans differ in size or an input is outside [0, 1].
void poisson_rates(std::span<const float> x, double max_rate_hz, std::span<double> rates_hz);

}  // namespace spikerate::sim::task
