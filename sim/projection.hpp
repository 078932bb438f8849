#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "models/weight_bounds.hpp"
#include "sim/network_spec.hpp"
#include "sim/population.hpp"
#include "sim/time_grid.hpp"

namespace spikerate::sim {

class StateWriter;  // sim/checkpoint.hpp
class StateReader;

// Synapses from one population onto another, with per-synapse weights and integer delays.
// A spike emitted at t reaches its synapse at exactly t + delay: there the weight goes to the
// target's receptor and, for plastic projections, the rule's on_pre runs; a spike of the target
// runs on_post on every synapse onto it. Weights stay within the rule's bounds, clipped in one
// place after every update.
class Projection {
  public:
    Projection(std::string name, Population& pre, Population& post, Receptor receptor)
        : name_(std::move(name)), pre_(pre), post_(post), receptor_(receptor) {}
    virtual ~Projection() = default;
    Projection(const Projection&) = delete;
    Projection& operator=(const Projection&) = delete;

    const std::string& name() const { return name_; }
    const Population& pre() const { return pre_; }
    const Population& post() const { return post_; }
    Receptor receptor() const { return receptor_; }
    virtual std::string_view plasticity_id() const = 0;  // "none", "pair_stdp", ...
    virtual bool is_dense() const = 0;

    virtual std::size_t n_synapses() const = 0;
    virtual std::uint32_t pre_of(std::size_t synapse) const = 0;
    virtual std::uint32_t post_of(std::size_t synapse) const = 0;
    virtual std::int32_t delay_of(std::size_t synapse) const = 0;  // [steps]
    std::vector<std::int32_t> delays() const;                      // [steps] a copy, by synapse id

    // The bytes the synapse store holds (sim/synapse_layout.hpp: targets, runs, rows, the map of
    // ids when the stored order is not theirs; the weights, one per synapse or one for all; the
    // rule's state and index by postsynaptic neuron), without the spikes in flight.
    virtual std::size_t memory_bytes() const = 0;

    // Weights by synapse id: copied out, or set from outside the plasticity rule (the caller
    // keeps them within the rule's bounds). A static projection whose weights are all the same
    // (bit for bit) keeps one weight; set_weights with different values gives it one per synapse.
    virtual void copy_weights(std::span<double> by_synapse_id) const = 0;
    virtual void set_weights(std::span<const double> by_synapse_id) = 0;
    std::vector<double> weights() const;  // a copy, by synapse id
    // The weights as they are at t [ms] (not before the last step propagated): for rules whose
    // weights move between events (models/concepts.hpp, HasWeightDrift) w brought up to t
    // without changing the projection; for the others copy_weights.
    virtual void copy_weights_at(std::span<double> by_synapse_id, double t) const = 0;

    // The weights in the order the projection stores them (by presynaptic neuron, then delay:
    // the order of delivery), with the postsynaptic neuron of each entry: for changes that
    // treat every synapse onto a neuron alike, such as Diehl & Cook's normalisation. Entries
    // of one presynaptic neuron are consecutive, and presynaptic neurons come in ascending order.
    // A static projection that kept one weight gets one per synapse from the first call on.
    // float64 weights only (a float32 projection throws Error: copy_weights gives any).
    virtual std::span<double> stored_weights() = 0;
    virtual std::span<const std::uint32_t> stored_post() const = 0;
    // Diehl & Cook's normalisation (models/weight_normalisation.hpp) of the weights onto each
    // postsynaptic neuron, in stored order: on the weights themselves (float64), or on their
    // doubles, each result stored as its nearest float32 within the rule's bounds (float32).
    // Returns the neurons the normaliser could not bring to the target.
    virtual std::size_t normalise_incoming(double target, const models::WeightBounds& bounds) = 0;

    // After the populations advanced over step n (to t_{n+1}): queues the source's new spikes
    // for t_spike + delay, then processes, in time order, what happens from t_{n+1} on: hands
    // the target every spike arriving in step n+1 (arrival [t_{n+1}, t_{n+2})), running on_pre
    // at the arrival time, and runs on_post for the target's spikes at t_{n+1}. At equal times
    // the arrival comes first (on_post sees it, its on_pre does not see the post spike), as in
    // Brian2.
    void propagate(std::int64_t step) {
        prepare(step);
        deliver(step, 0, post_.size());
        finish(step);
    }
    // propagate in parts, for threads (sim/network.hpp): prepare (one thread) queues the new
    // spikes, orders the arrivals and counts the work; deliver (targets [target_begin,
    // target_end), on any threads at once for disjoint ranges when delivers_by_target_range())
    // hands over the arrivals and runs the plasticity of those targets' synapses; finish (one
    // thread) empties the step's arrivals. Any split of the targets gives the same bits.
    virtual void prepare(std::int64_t step) = 0;
    virtual void deliver(std::int64_t step, std::uint32_t target_begin,
                         std::uint32_t target_end) = 0;
    virtual void finish(std::int64_t step) = 0;
    virtual bool delivers_by_target_range() const = 0;

    // The third factor (models/concepts.hpp, HasModulator): a neuromodulator of amplitude
    // `value` reaches every synapse at t [ms], not before the last step propagated; each weight
    // changes by the rule's on_modulator and is clipped to the rule's bounds (one plasticity
    // update per synapse, also counted apart as a modulator update). Throws Error when the
    // projection's rule takes no modulator.
    virtual bool takes_modulator() const = 0;
    virtual void deliver_modulator(double value, double t) = 0;

    // Work done: spikes delivered to a synapse, and weight updates by the plasticity rule (all
    // of them; those by a postsynaptic spike, on_post, and by a modulator event, also counted
    // apart), and the rule's post
    // terms evaluated for on_pre (one per postsynaptic neuron and step with arrivals on the
    // grid, one per event off the grid).
    // Checkpoints (sim/checkpoint.hpp): weights, plastic traces, the spikes in flight and the
    // counters. load_state expects a projection built from the same description (the same
    // synapses and delays); a mismatch throws DataError.
    virtual void save_state(StateWriter& out) const = 0;
    virtual void load_state(StateReader& in) = 0;

    std::uint64_t synaptic_events() const { return synaptic_events_; }
    std::uint64_t plasticity_updates() const { return plasticity_updates_; }
    std::uint64_t plasticity_post_updates() const { return plasticity_post_updates_; }
    std::uint64_t post_term_evaluations() const { return post_term_evaluations_; }
    std::uint64_t plasticity_modulator_updates() const { return plasticity_modulator_updates_; }

  protected:
    std::string name_;
    Population& pre_;
    Population& post_;
    Receptor receptor_;
    std::uint64_t synaptic_events_ = 0;
    std::uint64_t plasticity_updates_ = 0;
    std::uint64_t plasticity_post_updates_ = 0;
    std::uint64_t post_term_evaluations_ = 0;
    std::uint64_t plasticity_modulator_updates_ = 0;
};

// Builds the projection a validated spec describes. Weights are drawn from the stream
// "weights/<name>" and delays from "delays/<name>", counter (synapse, 0); connections from
// "connect/<name>". `target_parts`: the bounds of the parts `post` advances in on threads (empty:
// whole), for which the synapses are grouped (sim/synapse_layout.hpp); the results do not
// depend on them.
std::unique_ptr<Projection> make_projection(const ProjectionSpec& spec, Population& pre,
                                            Population& post, const TimeGrid& grid,
                                            std::uint64_t seed,
                                            std::span<const std::uint32_t> target_parts = {});

}  // namespace spikerate::sim
