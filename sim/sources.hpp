#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "sim/population.hpp"
#include "sim/random_stream.hpp"
#include "sim/source_params.hpp"
#include "sim/time_grid.hpp"

namespace spikerate::sim {

// Independent Poisson spike trains: in each step neuron i spikes with probability
// p_i = rate_i * dt, as Brian2's PoissonGroup. Instead of one draw per neuron and step, the
// number of silent steps before the next spike is drawn, geometric with parameter p_i
// (floor(log u / log(1 - p_i)), the same distribution), so the cost is one draw per spike;
// the neurons wait in a heap ordered by (next spike step, neuron), so a step costs only its spikes.
// Draws come from the stream "poisson/<name>" with counter (step of the draw, i): a neuron's
// spikes do not depend on the other neurons. Spikes are stamped at the start of their step.
class PoissonSource final : public Population {
  public:
    PoissonSource(std::string name, std::uint32_t size, const PoissonSourceParams& params,
                  const TimeGrid& grid, std::uint64_t seed);

    std::string_view model_id() const override { return PoissonSourceParams::id; }
    void advance(std::int64_t step) override;

    // New rates [Hz], one per neuron, e.g. between presentations; they apply from the next step
    // advanced (the process is memoryless, so the waiting times are redrawn). Throws ParamError
    // for a wrong count or a rate outside [0, 1 / dt].
    void set_rates(std::span<const double> rates_hz);
    void set_rate(double rate_hz);  // the same rate for every neuron
    // Draws from now on come from the stream "poisson/<name>/<key>" with counters counted from
    // the next step (waiting times are redrawn): a presentation keyed by its example gets the
    // same input spikes, relative to its start, whenever and in whichever network it is shown.
    void restart_stream(std::string_view key);
    std::span<const double> rates() const { return rates_hz_; }
    // Checkpoints: the base state, the stream in use, rates, the heap of next spikes.
    void save_state(StateWriter& out) const override;
    void load_state(StateReader& in) override;

  private:
    struct Pending {  // a neuron's next spike (written as bytes to checkpoints: padding explicit)
        std::int64_t step;
        std::uint32_t node;
        std::uint32_t unused = 0;
        // std::push_heap keeps the largest on top: "larger" here is the later (step, node).
        bool operator<(const Pending& other) const {
            return step != other.step ? step > other.step : node > other.node;
        }
    };
    std::int64_t draw_next_spike(std::uint32_t i, std::int64_t from_step) const;
    void redraw_all();  // every neuron's next spike from next_step_ on

    TimeGrid grid_;
    std::uint64_t seed_;
    RandomStream stream_;
    std::vector<double> rates_hz_;
    std::vector<double> log_silence_;  // log(1 - rate * dt): log-probability of a silent step
    std::vector<Pending> pending_;     // heap of the neurons that will spike (rate > 0)
    std::int64_t next_step_ = 0;       // the step the next advance() simulates
    std::int64_t stream_origin_ = 0;   // the step whose draws use counter 0
};

// Explicit spike times per neuron, replayed as given (exact times: a spike at t with delay d
// reaches its target at exactly t + d).
class SpikeTrainSource final : public Population {
  public:
    // `seed` is unused (the spikes are given); every source is built with the same arguments.
    SpikeTrainSource(std::string name, std::uint32_t size, const SpikeTrainSourceParams& params,
                     const TimeGrid& grid, std::uint64_t seed);

    std::string_view model_id() const override { return SpikeTrainSourceParams::id; }
    void advance(std::int64_t step) override;
    void save_state(StateWriter& out) const override;  // the base state and the position
    void load_state(StateReader& in) override;

    // Replaces the spikes not played yet by `spikes`, their times counted from the start of step
    // `from_step` (>= the next step advanced), e.g. one presentation's input. Throws ParamError
    // for a node id out of range or a time that is negative or not finite.
    void play(const SpikeTrainSourceParams& spikes, std::int64_t from_step);

  private:
    void schedule(const SpikeTrainSourceParams& spikes, double offset_ms);

    TimeGrid grid_;
    std::vector<Spike> schedule_;  // sorted by (time, node)
    std::size_t next_ = 0;
};

}  // namespace spikerate::sim
