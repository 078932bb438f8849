#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "sim/network_spec.hpp"

namespace spikerate::sim {

class RandomStream;

// Which synapses a projection has, and their ids: the synapses sorted by presynaptic neuron, then
// postsynaptic neuron (stable: a list's repeated pairs keep their order), are synapses 0, 1, ...
// (A projection stores them in an order of its own, for delivery, and maps the ids to it.)

struct SynapsePair {
    std::uint32_t pre;
    std::uint32_t post;
};

// The (pre, post) pairs a rule creates, sorted by pre then post. Random rules draw from
// `stream` with counters keyed by neuron, so the result depends only on seed and names.
std::vector<SynapsePair> connect_pairs(const ConnectionRule& rule, std::uint32_t n_pre,
                                       std::uint32_t n_post, const RandomStream& stream);

// The same synapses as rows by presynaptic neuron: the synapses of neuron i are the ids
// [row_begin[i], row_begin[i + 1]), and post[s] is the target of synapse s. all_to_all,
// one_to_one and fixed_probability fill the rows as they draw; fixed_in_degree,
// fixed_total_number and from_list count the rows first, then draw (or read) again into them,
// and the last two sort each row by target: no pairs are held. Throws ParamError when there are
// more than 2^32 - 1 synapses.
struct ConnectionRows {
    std::vector<std::uint32_t> row_begin;  // n_pre + 1
    std::vector<std::uint32_t> post;       // per synapse
};
ConnectionRows connect_rows(const ConnectionRule& rule, std::uint32_t n_pre, std::uint32_t n_post,
                            const RandomStream& stream);

}  // namespace spikerate::sim
