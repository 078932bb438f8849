#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "sim/network_spec.hpp"
#include "sim/population.hpp"
#include "sim/projection.hpp"
#include "sim/random_stream.hpp"
#include "sim/time_grid.hpp"

namespace spikerate::sim {

class StateWriter;  // sim/checkpoint.hpp
class StateReader;

// A source of neuromodulator events (ModulatorSpec): given times and pairing rewards, delivered
// to the synapses of its target projections through Projection::deliver_modulator. The network
// calls after_step once per step, after every projection propagated: it observes the step's
// spikes of the pairing's neurons, then delivers the events due at the step's end, t_{n+1} (so an
// event at t comes after every arrival and spike at t). The delay of pairing k is drawn from the
// stream "modulator/<name>" with counter (k, 0).
class Modulator {
  public:
    // `pre`, `post`: the pairing's populations (nullptr for no pairing reward).
    Modulator(const ModulatorSpec& spec, std::vector<Projection*> targets, const Population* pre,
              const Population* post, const TimeGrid& grid, std::uint64_t seed);

    const std::string& name() const { return spec_.name; }
    void after_step(std::int64_t step);

    // Events delivered and pairings rewarded so far; the times [ms] of the events delivered.
    std::uint64_t events_delivered() const { return event_times_ms_.size(); }
    std::uint64_t pairings() const { return pairings_; }
    std::span<const double> event_times_ms() const { return event_times_ms_; }

    // Checkpoints: the scheduled events, the pairing's state and the counters.
    void save_state(StateWriter& out) const;
    void load_state(StateReader& in);

  private:
    void observe_pairing(std::int64_t step);

    ModulatorSpec spec_;
    std::vector<Projection*> targets_;
    const Population* pre_;
    const Population* post_;
    TimeGrid grid_;
    RandomStream stream_;
    std::vector<std::int64_t> given_steps_;  // the steps of times_ms, ascending
    std::size_t next_given_ = 0;
    std::vector<std::int64_t> pending_;  // steps of scheduled pairing rewards, a min-heap
    double last_pre_ms_;                 // the pairing's last first spike [ms]
    std::uint64_t pairings_ = 0;
    std::vector<double> event_times_ms_;
};

}  // namespace spikerate::sim
