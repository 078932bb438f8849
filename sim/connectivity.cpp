#include "connectivity.hpp"

#include <algorithm>
#include <cmath>
#include <tuple>

#include <fmt/format.h>

#include "models/error.hpp"
#include "sim/overloaded.hpp"
#include "sim/random_stream.hpp"

namespace spikerate::sim {

SparseConnectivity::SparseConnectivity(std::uint32_t n_pre, const std::vector<Pair>& pairs)
    : row_begin_(std::size_t{n_pre} + 1, 0) {
    pre_.reserve(pairs.size());
    post_.reserve(pairs.size());
    for (const Pair& p : pairs) {
        pre_.push_back(p.pre);
        post_.push_back(p.post);
        ++row_begin_[std::size_t{p.pre} + 1];
    }
    for (std::size_t i = 0; i < n_pre; ++i) row_begin_[i + 1] += row_begin_[i];
}

namespace {

bool autapse(std::uint32_t pre, std::uint32_t post, bool allowed) {
    return !allowed && pre == post;
}

// Synapse s from the counter (s, k): the presynaptic neuron from two words, the postsynaptic from
// the other two; without autapses a same-index pair is drawn again with k + 1. At most half the
// pairs are same-index (validation refuses one neuron onto one), so 64 draws fail with
// probability at most 2^-64.
void add_fixed_total_number(const connect::FixedTotalNumber& c, std::uint32_t n_pre,
                            std::uint32_t n_post, const RandomStream& stream,
                            std::vector<SparseConnectivity::Pair>& pairs) {
    pairs.reserve(c.n);
    for (std::uint32_t s = 0; s < c.n; ++s) {
        for (std::uint32_t k = 0;; ++k) {
            if (k == 64) {
                throw Error(fmt::format(
                    "fixed_total_number: synapse {} found no pair of distinct indices in 64 draws",
                    s));
            }
            const auto w = stream.bits(s, k);
            const auto pre = static_cast<std::uint32_t>(open_unit_interval(w[0], w[1]) * n_pre);
            const auto post = static_cast<std::uint32_t>(open_unit_interval(w[2], w[3]) * n_post);
            if (!autapse(pre, post, c.allow_autapses)) {
                pairs.push_back({pre, post});
                break;
            }
        }
    }
}

}  // namespace

std::vector<SparseConnectivity::Pair> connect_pairs(const ConnectionRule& rule, std::uint32_t n_pre,
                                                    std::uint32_t n_post,
                                                    const RandomStream& stream) {
    using Pair = SparseConnectivity::Pair;
    std::vector<Pair> pairs;
    std::visit(Overloaded{
                   [&](const connect::AllToAll& c) {
                       pairs.reserve(std::size_t{n_pre} * n_post);
                       for (std::uint32_t i = 0; i < n_pre; ++i) {
                           for (std::uint32_t j = 0; j < n_post; ++j) {
                               if (!autapse(i, j, c.allow_autapses)) pairs.push_back({i, j});
                           }
                       }
                   },
                   [&](const connect::OneToOne&) {
                       for (std::uint32_t i = 0; i < n_pre; ++i) pairs.push_back({i, i});
                   },
                   [&](const connect::FixedProbability& c) {
                       if (c.p <= 0.0) return;
                       // Geometric skipping along each row: the gap to the next synapse is
                       // floor(log(u) / log(1 - p)), one draw per synapse instead of per pair.
                       const double log_q = std::log1p(-c.p);
                       for (std::uint32_t i = 0; i < n_pre; ++i) {
                           std::uint64_t j = 0;
                           for (std::uint32_t draw = 0;; ++draw) {
                               if (c.p < 1.0) {
                                   // Compared as a double first: for tiny p the gap overflows
                                   // integers.
                                   const double gap =
                                       std::floor(std::log(stream.uniform(i, draw)) / log_q);
                                   if (gap >= static_cast<double>(n_post - j)) break;
                                   j += static_cast<std::uint64_t>(gap);
                               }
                               if (j >= n_post) break;
                               const auto post = static_cast<std::uint32_t>(j);
                               if (!autapse(i, post, c.allow_autapses)) pairs.push_back({i, post});
                               ++j;
                           }
                       }
                   },
                   [&](const connect::FixedInDegree& c) {
                       std::vector<std::uint32_t> chosen;
                       for (std::uint32_t j = 0; j < n_post; ++j) {
                           chosen.clear();
                           // Autapses are same-index pairs, as for the other rules.
                           const bool exclude_self = !c.allow_autapses && j < n_pre;
                           const std::uint32_t pool = n_pre - (exclude_self ? 1U : 0U);
                           // Draw from the pool [0, pool) and map around neuron j when it is
                           // excluded.
                           const auto pick = [&](std::uint32_t draw, std::uint32_t below) {
                               return static_cast<std::uint32_t>(stream.uniform(j, draw) * below);
                           };
                           const auto to_pre = [&](std::uint32_t x) {
                               return (exclude_self && x >= j) ? x + 1 : x;
                           };
                           if (c.allow_multapses) {
                               for (std::uint32_t d = 0; d < c.k; ++d)
                                   chosen.push_back(to_pre(pick(d, pool)));
                           } else {
                               // Floyd's algorithm: k distinct values of [0, pool), k draws.
                               for (std::uint32_t m = pool - c.k, d = 0; m < pool; ++m, ++d) {
                                   const std::uint32_t t = pick(d, m + 1);
                                   const bool seen = std::find(chosen.begin(), chosen.end(),
                                                               to_pre(t)) != chosen.end();
                                   chosen.push_back(to_pre(seen ? m : t));
                               }
                           }
                           for (const std::uint32_t i : chosen) pairs.push_back({i, j});
                       }
                   },
                   [&](const connect::FixedTotalNumber& c) {
                       add_fixed_total_number(c, n_pre, n_post, stream, pairs);
                   },
                   [&](const connect::FromList& c) {
                       for (std::size_t s = 0; s < c.pre.size(); ++s)
                           pairs.push_back({c.pre[s], c.post[s]});
                   },
               },
               rule);
    std::stable_sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) {
        return std::tie(a.pre, a.post) < std::tie(b.pre, b.post);
    });
    return pairs;
}

}  // namespace spikerate::sim
