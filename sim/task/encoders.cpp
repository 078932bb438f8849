#include "sim/task/encoders.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include <fmt/format.h>

#include "models/error.hpp"
#include "models/param_check.hpp"
#include "sim/random_stream.hpp"
#include "sim/task/dataset.hpp"

namespace spikerate::sim::task {

namespace {

void require_unit_inputs(const char* encoder, std::span<const float> x) {
    for (std::size_t i = 0; i < x.size(); ++i) {
        if (!std::isfinite(x[i]) || x[i] < 0.0f || x[i] > 1.0f) {
            throw DataError(
                fmt::format("{}: input {} = {}, expected a value in [0, 1]", encoder, i, x[i]));
        }
    }
}

// Orders spikes collected input by input by (time, node).
SpikeTrainSourceParams sorted(const std::vector<double>& times,
                              const std::vector<std::uint32_t>& nodes) {
    std::vector<std::size_t> order(times.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return times[a] != times[b] ? times[a] < times[b] : nodes[a] < nodes[b];
    });
    SpikeTrainSourceParams trains;
    trains.times_ms.reserve(order.size());
    trains.node_ids.reserve(order.size());
    for (const std::size_t s : order) {
        trains.times_ms.push_back(times[s]);
        trains.node_ids.push_back(nodes[s]);
    }
    return trains;
}

}  // namespace

void PoissonEncoderParams::validate() const {
    models::require_non_negative("max_rate", max_rate_hz, "Hz");
    models::require_positive("duration", duration_ms, "ms");
}

void LatencyEncoderParams::validate() const {
    models::require_positive("t_max", t_max_ms, "ms");
    models::require_non_negative("threshold", threshold, "");
    if (!(threshold < 1.0)) {
        throw ParamError::value(
            "threshold",
            fmt::format("{}: must be < 1 (inputs lie in [0, 1]; no input would ever fire)",
                        threshold));
    }
}

SpikeTrainSourceParams encode_poisson(std::span<const float> x, const PoissonEncoderParams& params,
                                      std::uint64_t seed, std::uint64_t example_id) {
    params.validate();
    require_unit_inputs("encode_poisson", x);
    const RandomStream stream(seed, "encoder/poisson");
    std::vector<double> times;
    std::vector<std::uint32_t> nodes;
    for (std::size_t i = 0; i < x.size(); ++i) {
        const double rate_per_ms = static_cast<double>(x[i]) * params.max_rate_hz * 1e-3;
        if (rate_per_ms <= 0.0) {
            continue;
        }
        const auto node = static_cast<std::uint32_t>(i);
        double t = 0.0;
        for (std::uint32_t k = 0;; ++k) {
            t -= std::log(stream.uniform(example_id, node, k)) / rate_per_ms;  // u in (0, 1)
            if (t >= params.duration_ms) {
                break;
            }
            times.push_back(t);
            nodes.push_back(node);
        }
    }
    return sorted(times, nodes);
}

SpikeTrainSourceParams encode_latency(std::span<const float> x,
                                      const LatencyEncoderParams& params) {
    params.validate();
    require_unit_inputs("encode_latency", x);
    std::vector<double> times;
    std::vector<std::uint32_t> nodes;
    for (std::size_t i = 0; i < x.size(); ++i) {
        if (static_cast<double>(x[i]) > params.threshold) {
            times.push_back(params.t_max_ms * (1.0 - static_cast<double>(x[i])));
            nodes.push_back(static_cast<std::uint32_t>(i));
        }
    }
    return sorted(times, nodes);
}

SpikeTrainSourceParams encode_spike_pattern(const SpikePatterns& patterns, std::size_t example) {
    if (example >= patterns.size()) {
        throw DataError(
            fmt::format("encode_spike_pattern: example {}, expected one of the {} "
                        "spike patterns",
                        example, patterns.size()));
    }
    const auto times = patterns.times_of(example);
    const auto afferents = patterns.afferents_of(example);
    return SpikeTrainSourceParams{.times_ms = {times.begin(), times.end()},
                                  .node_ids = {afferents.begin(), afferents.end()}};
}

void poisson_rates(std::span<const float> x, double max_rate_hz, std::span<double> rates_hz) {
    models::require_non_negative("max_rate", max_rate_hz, "Hz");
    if (x.size() != rates_hz.size()) {
        throw DataError(fmt::format("poisson_rates: {} inputs but {} rates, expected as many",
                                    x.size(), rates_hz.size()));
    }
    require_unit_inputs("poisson_rates", x);
    for (std::size_t i = 0; i < x.size(); ++i) {
        rates_hz[i] = static_cast<double>(x[i]) * max_rate_hz;
    }
}

}  // namespace spikerate::sim::task
