#include "connectivity.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <tuple>

#include <fmt/format.h>

#include "models/error.hpp"
#include "sim/overloaded.hpp"
#include "sim/random_stream.hpp"

namespace spikerate::sim {

namespace {

bool autapse(std::uint32_t pre, std::uint32_t post, bool allowed) {
    return !allowed && pre == post;
}

// Synapse s from the counter (s, k): the presynaptic neuron from two words, the postsynaptic from
// the other two; without autapses a same-index pair is drawn again with k + 1. At most half the
// pairs are same-index (validation refuses one neuron onto one), so 64 draws fail with
// probability at most 2^-64. emit(pre, post) in the order of s.
template <class Emit>
void fixed_total_number_synapses(const connect::FixedTotalNumber& c, std::uint32_t n_pre,
                                 std::uint32_t n_post, const RandomStream& stream, Emit&& emit) {
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
                emit(pre, post);
                break;
            }
        }
    }
}

// fixed_probability's synapses, row by row: emit(pre, post) with pre ascending, then post.
// Geometric skipping along each row: the gap to the next synapse is floor(log(u) / log(1 - p)),
// one draw per synapse instead of per pair.
template <class Emit>
void fixed_probability_synapses(const connect::FixedProbability& c, std::uint32_t n_pre,
                                std::uint32_t n_post, const RandomStream& stream, Emit&& emit) {
    if (c.p <= 0.0) return;
    const double log_q = std::log1p(-c.p);
    for (std::uint32_t i = 0; i < n_pre; ++i) {
        std::uint64_t j = 0;
        for (std::uint32_t draw = 0;; ++draw) {
            if (c.p < 1.0) {
                // Compared as a double first: for tiny p the gap overflows integers.
                const double gap = std::floor(std::log(stream.uniform(i, draw)) / log_q);
                if (gap >= static_cast<double>(n_post - j)) break;
                j += static_cast<std::uint64_t>(gap);
            }
            if (j >= n_post) break;
            const auto post = static_cast<std::uint32_t>(j);
            if (!autapse(i, post, c.allow_autapses)) emit(i, post);
            ++j;
        }
    }
}

// fixed_in_degree's synapses, by postsynaptic neuron: emit(pre, post) with post ascending, the
// presynaptic neurons of one post in the order drawn.
template <class Emit>
void fixed_in_degree_synapses(const connect::FixedInDegree& c, std::uint32_t n_pre,
                              std::uint32_t n_post, const RandomStream& stream, Emit&& emit) {
    std::vector<std::uint32_t> chosen;
    for (std::uint32_t j = 0; j < n_post; ++j) {
        chosen.clear();
        // Autapses are same-index pairs, as for the other rules.
        const bool exclude_self = !c.allow_autapses && j < n_pre;
        const std::uint32_t pool = n_pre - (exclude_self ? 1U : 0U);
        // Draw from the pool [0, pool) and map around neuron j when it is excluded.
        const auto pick = [&](std::uint32_t draw, std::uint32_t below) {
            return static_cast<std::uint32_t>(stream.uniform(j, draw) * below);
        };
        const auto to_pre = [&](std::uint32_t x) { return (exclude_self && x >= j) ? x + 1 : x; };
        if (c.allow_multapses) {
            for (std::uint32_t d = 0; d < c.k; ++d) chosen.push_back(to_pre(pick(d, pool)));
        } else {
            // Floyd's algorithm: k distinct values of [0, pool), k draws.
            for (std::uint32_t m = pool - c.k, d = 0; m < pool; ++m, ++d) {
                const std::uint32_t t = pick(d, m + 1);
                const bool seen =
                    std::find(chosen.begin(), chosen.end(), to_pre(t)) != chosen.end();
                chosen.push_back(to_pre(seen ? m : t));
            }
        }
        for (const std::uint32_t i : chosen) emit(i, j);
    }
}

}  // namespace

std::vector<SynapsePair> connect_pairs(const ConnectionRule& rule, std::uint32_t n_pre,
                                       std::uint32_t n_post, const RandomStream& stream) {
    using Pair = SynapsePair;
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
                       fixed_probability_synapses(c, n_pre, n_post, stream,
                                                  [&](std::uint32_t i, std::uint32_t j) {
                                                      pairs.push_back({i, j});
                                                  });
                   },
                   [&](const connect::FixedInDegree& c) {
                       fixed_in_degree_synapses(c, n_pre, n_post, stream,
                                                [&](std::uint32_t i, std::uint32_t j) {
                                                    pairs.push_back({i, j});
                                                });
                   },
                   [&](const connect::FixedTotalNumber& c) {
                       pairs.reserve(c.n);
                       fixed_total_number_synapses(c, n_pre, n_post, stream,
                                                   [&](std::uint32_t i, std::uint32_t j) {
                                                       pairs.push_back({i, j});
                                                   });
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

ConnectionRows connect_rows(const ConnectionRule& rule, std::uint32_t n_pre, std::uint32_t n_post,
                            const RandomStream& stream) {
    ConnectionRows rows;
    rows.row_begin.assign(std::size_t{n_pre} + 1, 0);
    constexpr std::uint64_t max_synapses = std::numeric_limits<std::uint32_t>::max();
    const auto too_many = [](std::uint64_t synapses) {
        return ParamError(fmt::format(
            "{} synapses or more, more than the 2^32 - 1 a projection holds", synapses));
    };
    // emit(i, j) for the synapses in id order; close() ends the rows after the last.
    std::uint32_t pre = 0;
    const auto emit = [&](std::uint32_t i, std::uint32_t j) {
        if (rows.post.size() == max_synapses) throw too_many(max_synapses + 1);
        for (; pre < i; ++pre)
            rows.row_begin[pre + 1] = static_cast<std::uint32_t>(rows.post.size());
        rows.post.push_back(j);
    };
    const auto close = [&] {
        for (; pre < n_pre; ++pre)
            rows.row_begin[pre + 1] = static_cast<std::uint32_t>(rows.post.size());
    };
    const auto reserve = [&](double expected) {
        rows.post.reserve(
            static_cast<std::size_t>(std::min(expected, static_cast<double>(max_synapses))));
    };
    // Rules whose synapses do not come by presynaptic neuron: draw(to_rows) calls to_rows(i, j)
    // for every synapse, the same ones each time (counter-based streams, or a list). Counted per
    // presynaptic neuron first, then drawn again into the rows in that order: no pairs held.
    const auto fill_rows = [&](const auto& draw) {
        std::uint64_t total = 0;
        draw([&](std::uint32_t i, std::uint32_t) {
            ++rows.row_begin[i + 1];
            ++total;
        });
        if (total > max_synapses) throw too_many(total);
        std::partial_sum(rows.row_begin.begin(), rows.row_begin.end(), rows.row_begin.begin());
        rows.post.resize(total);
        std::vector<std::uint32_t> fill(rows.row_begin.begin(), rows.row_begin.end() - 1);
        draw([&](std::uint32_t i, std::uint32_t j) { rows.post[fill[i]++] = j; });
    };
    // connect_pairs' order within each row: by postsynaptic neuron (equal pairs are alike).
    const auto sort_rows = [&] {
        for (std::uint32_t i = 0; i < n_pre; ++i) {
            std::sort(rows.post.begin() + rows.row_begin[i],
                      rows.post.begin() + rows.row_begin[i + 1]);
        }
    };
    std::visit(Overloaded{
                   [&](const connect::AllToAll& c) {
                       const std::uint64_t all = std::uint64_t{n_pre} * n_post;
                       if (all > max_synapses) throw too_many(all);
                       reserve(static_cast<double>(all));
                       for (std::uint32_t i = 0; i < n_pre; ++i) {
                           for (std::uint32_t j = 0; j < n_post; ++j) {
                               if (!autapse(i, j, c.allow_autapses)) emit(i, j);
                           }
                       }
                       close();
                   },
                   [&](const connect::OneToOne&) {
                       reserve(n_pre);
                       for (std::uint32_t i = 0; i < n_pre; ++i) emit(i, i);
                       close();
                   },
                   [&](const connect::FixedProbability& c) {
                       // The expected count and 8 standard deviations more: the vector rarely grows
                       // (growing would hold the old and the new array at once), and the untouched
                       // end of the reservation costs no resident memory.
                       const double n = c.p * n_pre * n_post;
                       reserve(n + 8.0 * std::sqrt(n * (1.0 - std::min(c.p, 1.0))) + 16.0);
                       fixed_probability_synapses(c, n_pre, n_post, stream, emit);
                       close();
                   },
                   [&](const connect::FixedInDegree& c) {
                       // Drawn by postsynaptic neuron; posts come ascending, so every row is
                       // sorted.
                       fill_rows([&](auto&& to_rows) {
                           fixed_in_degree_synapses(c, n_pre, n_post, stream, to_rows);
                       });
                   },
                   [&](const connect::FixedTotalNumber& c) {
                       fill_rows([&](auto&& to_rows) {
                           fixed_total_number_synapses(c, n_pre, n_post, stream, to_rows);
                       });
                       sort_rows();
                   },
                   [&](const connect::FromList& c) {
                       fill_rows([&](auto&& to_rows) {
                           for (std::size_t s = 0; s < c.pre.size(); ++s)
                               to_rows(c.pre[s], c.post[s]);
                       });
                       sort_rows();
                   },
               },
               rule);
    return rows;
}

}  // namespace spikerate::sim
