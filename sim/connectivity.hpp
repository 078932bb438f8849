#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "sim/network_spec.hpp"

namespace spikerate::sim {

// Which synapses a projection has, and their ids: the outgoing synapses of a presynaptic neuron
// have consecutive ids, ascending by postsynaptic neuron. (A projection stores its synapses in an
// order of its own, for delivery, and maps the ids to it.)

// All-to-all as an n_pre x n_post matrix: synapse pre * n_post + post.
class DenseConnectivity {
  public:
    DenseConnectivity(std::uint32_t n_pre, std::uint32_t n_post) : n_pre_(n_pre), n_post_(n_post) {}

    std::size_t n_synapses() const { return std::size_t{n_pre_} * n_post_; }
    std::uint32_t pre_of(std::size_t s) const { return static_cast<std::uint32_t>(s / n_post_); }
    std::uint32_t post_of(std::size_t s) const { return static_cast<std::uint32_t>(s % n_post_); }

    template <class F>  // f(synapse, post)
    void for_each_outgoing(std::uint32_t pre, F&& f) const {
        const std::size_t base = std::size_t{pre} * n_post_;
        for (std::uint32_t j = 0; j < n_post_; ++j) f(base + j, j);
    }

  private:
    std::uint32_t n_pre_;
    std::uint32_t n_post_;
};

// Compressed sparse rows by presynaptic neuron.
class SparseConnectivity {
  public:
    struct Pair {
        std::uint32_t pre;
        std::uint32_t post;
    };
    // pairs must be sorted by pre; synapse s is pairs[s].
    SparseConnectivity(std::uint32_t n_pre, const std::vector<Pair>& pairs);

    std::size_t n_synapses() const { return post_.size(); }
    std::uint32_t pre_of(std::size_t s) const { return pre_[s]; }
    std::uint32_t post_of(std::size_t s) const { return post_[s]; }

    template <class F>
    void for_each_outgoing(std::uint32_t pre, F&& f) const {
        for (std::size_t s = row_begin_[pre]; s < row_begin_[pre + 1]; ++s) f(s, post_[s]);
    }

  private:
    std::vector<std::size_t> row_begin_;  // n_pre + 1
    std::vector<std::uint32_t> pre_;      // per synapse
    std::vector<std::uint32_t> post_;     // per synapse
};

class RandomStream;

// The (pre, post) pairs a rule creates, sorted by pre then post. Random rules draw from
// `stream` with counters keyed by neuron, so the result depends only on seed and names.
std::vector<SparseConnectivity::Pair> connect_pairs(const ConnectionRule& rule, std::uint32_t n_pre,
                                                    std::uint32_t n_post,
                                                    const RandomStream& stream);

}  // namespace spikerate::sim
