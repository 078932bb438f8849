#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "sim/connectivity.hpp"
#include "sim/network_spec.hpp"
#include "sim/time_grid.hpp"

namespace spikerate::sim {

// Where a projection keeps its synapses, in the order of delivery: each presynaptic neuron's
// outgoing synapses (neurons ascending), grouped by the part of the target population their
// target lies in (when the target advances in parts on threads, sim/network.hpp), then by delay
// (stable: by synapse id within a delay), so that a spike's arriving run reads consecutive
// entries and each run lies in one part: the thread that delivers a part writes weights and
// traces no other thread writes, not even on a shared cache line inside a run. Per synapse it
// holds the target (4 B) and, only when the stored order is not the id order (delays drawn or
// parts that reorder a row), the entry of each synapse id (4 B); the delays are held once per
// run, the rows once per presynaptic neuron. Weights and plasticity state live in the
// projection, in the same order.
//
// The order onto any one target is the same with or without parts (by presynaptic neuron, then
// delay, then id), so sums per target are the same bits. The layout of one part is the "whole"
// order: checkpoints are written in it (whole_entries, whole_runs_of), so that their bytes do
// not depend on the thread count.
class SynapseLayout {
  public:
    // The outgoing synapses of one presynaptic neuron that share one delay (and one part of the
    // targets): entries [begin, end).
    struct Run {
        std::int32_t delay;  // [steps]
        std::uint32_t begin;
        std::uint32_t end;
    };

    // Lays out `rows` (synapse ids by presynaptic neuron), with the delays of `delay_ms` drawn
    // from the stream "delays/<name>", counter (synapse, 0), and rounded to the grid's steps;
    // `target_parts` are the first neuron of each part of the target population and its size
    // (empty, or {0, n_post}: one part). Throws ParamError naming the projection and the first
    // synapse whose delay is not in [min_delay_steps, 2^31) steps.
    SynapseLayout(ConnectionRows rows, const Distribution& delay_ms, const std::string& name,
                  const TimeGrid& grid, std::int32_t min_delay_steps, std::uint64_t seed,
                  std::span<const std::uint32_t> target_parts = {});

    std::size_t n_synapses() const { return post_.size(); }
    // The presynaptic neuron of a synapse id, or of a stored entry (a row holds the same ids and
    // entries).
    std::uint32_t pre_of(std::size_t synapse) const;
    std::uint32_t post_of(std::size_t synapse) const { return post_[entry_of(synapse)]; }
    std::int32_t delay_of(std::size_t synapse) const;  // [steps]
    // The stored entry of a synapse id.
    std::size_t entry_of(std::size_t synapse) const {
        return entry_.empty() ? synapse : entry_[synapse];
    }
    bool in_id_order() const { return entry_.empty(); }

    std::span<const Run> runs_of(std::uint32_t pre) const {
        return std::span<const Run>(runs_).subspan(run_begin_[pre],
                                                   run_begin_[pre + 1] - run_begin_[pre]);
    }
    std::span<const std::uint32_t> stored_post() const { return post_; }
    std::int32_t max_delay() const { return max_delay_; }  // [steps], 0 without synapses
    // Whether every run's entries are ordered by postsynaptic neuron (always, so far).
    bool runs_sorted_by_target() const { return runs_sorted_by_target_; }
    std::uint32_t parts() const { return parts_; }  // of the target population, >= 1

    // The whole order (one part, as on one thread). whole_entries: for each stored entry, its
    // entry in that order (the identity with one part). whole_runs_of: the runs of `pre` in
    // that order, delays ascending (a run of the whole order is the runs of one delay in every
    // part).
    std::vector<std::uint32_t> whole_entries() const;
    std::vector<Run> whole_runs_of(std::uint32_t pre) const;

    // The bytes its arrays hold (allocated).
    std::size_t memory_bytes() const;

  private:
    std::vector<std::uint32_t> row_begin_;  // per presynaptic neuron: its synapse ids (and entries)
    std::vector<std::uint32_t> run_begin_;  // per presynaptic neuron: its runs, n_pre + 1
    std::vector<Run> runs_;
    std::vector<std::uint32_t> post_;   // stored entry -> postsynaptic neuron
    std::vector<std::uint32_t> entry_;  // synapse id -> stored entry; empty when the same
    std::int32_t max_delay_ = 0;
    bool runs_sorted_by_target_ = true;
    std::uint32_t parts_ = 1;
};

// The memory a projection needs at its peak, while it is built [bytes], an upper estimate for
// refusing what cannot fit (sim/memory.hpp): the layout above, the weights (one when they are a
// constant of a static projection, else 8 B per synapse), the rule's state
// (`synapse_state_bytes` per synapse, 0 for static synapses, with the index by postsynaptic
// neuron) and what the construction holds at once.
// `target_parts`: the parts the target population may advance in (the thread count), each a run
// of its own per presynaptic neuron and delay.
double estimated_projection_bytes(const ProjectionSpec& spec, double synapses, std::uint32_t n_pre,
                                  std::uint32_t n_post, std::size_t synapse_state_bytes,
                                  std::uint32_t target_parts = 1);

}  // namespace spikerate::sim
