#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "sim/modulator.hpp"
#include "sim/network_spec.hpp"
#include "sim/population.hpp"
#include "sim/projection.hpp"
#include "sim/time_grid.hpp"
#include "sim/worker_pool.hpp"

namespace spikerate::sim {

// A built spiking network: owns its populations and projections and advances them together.
//
//   sim::Network net(spec);             // validates the spec, then builds
//   net.run(1000.0);                    // [ms]
//   net.population("exc").spike_count();
class Network {
  public:
    explicit Network(NetworkSpec spec);
    Network(Network&&) noexcept = default;
    Network& operator=(Network&&) noexcept = default;

    // One step, from t_n to t_{n+1}:
    //   1. advance    every population applies the input that arrived for this step,
    //                 integrates to t_{n+1} and emits spikes (sources stamp them at t_n, neuron
    //                 models at t_{n+1} or, in precise mode, at the exact crossing time);
    //   2. propagate  every projection queues its source's new spikes for t_spike + delay, then
    //                 hands its target the spikes arriving in the next step (on_pre at the exact
    //                 arrival time) and runs on_post for the target's new spikes; at equal times
    //                 an arrival is processed before a postsynaptic spike, as in Brian2.
    //   3. modulate   every modulator observes the step's spikes and delivers its events due at
    //                 t_{n+1} to its projections' synapses (after every arrival and spike there).
    // A spike stamped t with delay d (>= one step) therefore acts at exactly t + d, and after a
    // step every event up to t_{n+1} has been processed.
    //
    // With spec.threads = T > 1 a pool of T threads (the caller and T - 1 workers, living as
    // long as the network) shares out the two heavy phases as tasks, each claimed by whichever
    // thread is free (sim/worker_pool.hpp):
    //   1. advance    every neuron population of more than 64 neurons in T parts of whole
    //                 8-neuron blocks, one task each; sources and the other populations whole;
    //   -  (caller)   the parts' spikes joined in neuron order, the projections' new spikes
    //                 queued and their work counted (Projection::prepare);
    //   2. propagate  for each population advanced in parts, one task per part delivers every
    //                 projection onto it (in their order) to the part's neurons, with the
    //                 plasticity of their synapses (a projection's synapses are stored grouped
    //                 by the parts of its target, sim/synapse_layout.hpp, so that a task writes
    //                 no cache line of another's); the projections onto other populations (or
    //                 onto one with a projection that cannot deliver by range) in one task per
    //                 target population;
    //   3. (caller)   the modulators, as above.
    // Every value is computed by the same operations in the same order as with one thread
    // (per neuron, per synapse, per target sum), whichever thread runs a task, and random
    // numbers come from counter-based streams keyed by neuron and step: the results are the
    // same bits for any T. No weight is written by two tasks, so the weight path has no atomics.
    void step();
    std::uint32_t threads() const { return spec_.threads; }
    // Advances by duration_ms (a whole number of steps), calling after_step after each step.
    void run(double duration_ms, const std::function<void(const Network&)>& after_step = {});

    // Checkpoints (sim/checkpoint.hpp): the step count and every population's and projection's
    // state. A network built from the same spec loads what another saved and continues as that
    // one would have, bit for bit; another spec throws DataError.
    void save_state(StateWriter& out) const;
    void load_state(StateReader& in);

    std::int64_t steps_done() const { return step_; }
    double time_ms() const { return grid_.time(step_); }
    const TimeGrid& grid() const { return grid_; }
    const NetworkSpec& spec() const { return spec_; }

    // Lookup by name; throws Error naming the missing element.
    Population& population(std::string_view name);
    const Population& population(std::string_view name) const;
    Projection& projection(std::string_view name);
    const Projection& projection(std::string_view name) const;
    // The population as its concrete type (e.g. PoissonSource to change rates); throws Error if
    // it is another kind.
    template <class T>
    T& population_as(std::string_view name) {
        auto* p = dynamic_cast<T*>(&population(name));
        if (p == nullptr) throw_wrong_kind(name);
        return *p;
    }

    const std::vector<std::unique_ptr<Population>>& populations() const { return populations_; }
    const std::vector<std::unique_ptr<Projection>>& projections() const { return projections_; }
    const std::vector<std::unique_ptr<Modulator>>& modulators() const { return modulators_; }

  private:
    [[noreturn]] void throw_wrong_kind(std::string_view name) const;

    NetworkSpec spec_;
    TimeGrid grid_;
    std::vector<std::unique_ptr<Population>> populations_;
    std::vector<std::unique_ptr<Projection>> projections_;
    std::vector<std::unique_ptr<Modulator>> modulators_;
    std::int64_t step_ = 0;

    // Threads (spec_.threads > 1): the parts of the populations (part_bounds_[p]: the first
    // neuron of each part and the size; empty for a population advanced whole), the pool and the
    // tasks of the two parallel phases.
    void plan_parts();
    void plan_threads();
    std::size_t index_of(const Population& population) const;  // in populations_
    std::vector<std::vector<std::uint32_t>> part_bounds_;
    void step_on_threads();
    struct AdvanceTask {
        std::size_t population;
        std::uint32_t part;  // 0 for a population advanced whole
    };
    struct DeliverTask {  // the projections deliveries_[first, last) onto targets [begin, end)
        std::uint32_t first;
        std::uint32_t last;
        std::uint32_t target_begin;
        std::uint32_t target_end;
    };
    std::unique_ptr<WorkerPool> pool_;
    std::vector<AdvanceTask> advance_tasks_;
    std::vector<DeliverTask> deliver_tasks_;
    // Each task's home thread (WorkerPool): part c of a population on thread c, in both phases,
    // so that the part's state, input and synapses stay in one core's cache; the populations
    // advanced whole spread over the threads, their deliveries on the same thread.
    std::vector<std::uint32_t> advance_home_;
    std::vector<std::uint32_t> deliver_home_;
    std::vector<std::size_t> deliveries_;  // projection indices, grouped by target population
};

}  // namespace spikerate::sim
