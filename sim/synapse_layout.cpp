#include "sim/synapse_layout.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <utility>

#include <fmt/format.h>

#include "models/error.hpp"
#include "sim/random_stream.hpp"

namespace spikerate::sim {

SynapseLayout::SynapseLayout(ConnectionRows rows, const Distribution& delay_ms,
                             const std::string& name, const TimeGrid& grid,
                             std::int32_t min_delay_steps, std::uint64_t seed,
                             std::span<const std::uint32_t> target_parts)
    : row_begin_(std::move(rows.row_begin)), post_(std::move(rows.post)) {
    const auto n_pre = static_cast<std::uint32_t>(row_begin_.size() - 1);
    const RandomStream stream(seed, "delays/" + name);
    const auto steps_of = [&](std::size_t s) {
        const double delay = delay_ms.sample(stream, s, 0);
        const double steps = std::round(delay / grid.dt());
        if (!(steps >= min_delay_steps && steps <= std::numeric_limits<std::int32_t>::max())) {
            throw ParamError(fmt::format(
                "projection '{}': delay of synapse {} = {} ms is not in [{} ms, 2^31 steps]", name,
                s, delay, min_delay_steps * grid.dt()));
        }
        return static_cast<std::int32_t>(steps);
    };
    const bool constant = delay_ms.kind == Distribution::Kind::constant;
    const std::int32_t constant_steps = constant && !post_.empty() ? steps_of(0) : 0;
    // The first neuron of every part but the first (an empty part shares its start).
    const std::span<const std::uint32_t> part_starts =
        target_parts.size() > 2 ? target_parts.subspan(1, target_parts.size() - 2)
                                : std::span<const std::uint32_t>();
    parts_ = static_cast<std::uint32_t>(part_starts.size() + 1);
    const auto part_of = [&](std::uint32_t target) {
        return static_cast<std::uint64_t>(
            std::upper_bound(part_starts.begin(), part_starts.end(), target) - part_starts.begin());
    };

    run_begin_.assign(std::size_t{n_pre} + 1, 0);
    if (constant) runs_.reserve(std::size_t{n_pre} * parts_);
    // (part << 32 | delay, synapse id): delays are >= 0, so keys order by part, then delay.
    std::vector<std::pair<std::uint64_t, std::uint32_t>> row;
    std::vector<std::uint32_t> row_post;
    const auto key_by_key = [](const auto& a, const auto& b) { return a.first < b.first; };
    for (std::uint32_t i = 0; i < n_pre; ++i) {
        const std::uint32_t begin = row_begin_[i];
        const std::uint32_t end = row_begin_[i + 1];
        if (constant && parts_ == 1) {
            if (begin < end) runs_.push_back(Run{constant_steps, begin, end});
        } else {
            row.clear();
            for (std::uint32_t s = begin; s < end; ++s) {
                const std::int32_t steps = constant ? constant_steps : steps_of(s);
                row.emplace_back(part_of(post_[s]) << 32 | static_cast<std::uint32_t>(steps), s);
            }
            if (!std::is_sorted(row.begin(), row.end(), key_by_key)) {
                std::stable_sort(row.begin(), row.end(), key_by_key);
            }
            bool reordered = false;
            for (std::uint32_t k = 0; k < row.size(); ++k) reordered |= row[k].second != begin + k;
            if (reordered) {
                if (entry_.empty()) {
                    entry_.resize(post_.size());
                    std::iota(entry_.begin(), entry_.end(), 0U);
                }
                row_post.assign(post_.begin() + begin, post_.begin() + end);
                for (std::uint32_t k = 0; k < row.size(); ++k) {
                    post_[begin + k] = row_post[row[k].second - begin];
                    entry_[row[k].second] = begin + k;
                }
            }
            for (std::uint32_t k = 0; k < row.size(); ++k) {
                if (k == 0 || row[k].first != row[k - 1].first) {
                    const auto delay = static_cast<std::int32_t>(row[k].first & 0xffffffffU);
                    runs_.push_back(Run{delay, begin + k, begin + k});
                }
                ++runs_.back().end;
            }
        }
        run_begin_[i + 1] = static_cast<std::uint32_t>(runs_.size());
    }
    runs_.shrink_to_fit();  // grown run by run when delays are drawn: a few per neuron
    for (const Run& run : runs_) {
        max_delay_ = std::max(max_delay_, run.delay);
        if (!std::is_sorted(post_.begin() + run.begin, post_.begin() + run.end)) {
            runs_sorted_by_target_ = false;
        }
    }
}

std::uint32_t SynapseLayout::pre_of(std::size_t synapse) const {
    // The last row that begins at or before the synapse (empty rows begin where the next does).
    const auto after = std::upper_bound(row_begin_.begin(), row_begin_.end(), synapse);
    return static_cast<std::uint32_t>(after - row_begin_.begin() - 1);
}

std::int32_t SynapseLayout::delay_of(std::size_t synapse) const {
    const std::size_t entry = entry_of(synapse);
    for (const Run& run : runs_of(pre_of(synapse))) {
        if (entry < run.end) return run.delay;
    }
    return runs_.back().delay;  // not reached: the runs of a row cover its entries
}

std::vector<std::uint32_t> SynapseLayout::whole_entries() const {
    std::vector<std::uint32_t> whole(post_.size());
    std::iota(whole.begin(), whole.end(), 0U);
    if (parts_ == 1) return whole;
    std::vector<std::uint32_t> id_of(post_.size());  // stored entry -> synapse id
    for (std::uint32_t s = 0; s < id_of.size(); ++s) id_of[entry_of(s)] = s;
    struct Entry {
        std::int32_t delay;
        std::uint32_t id;
        std::uint32_t stored;
    };
    std::vector<Entry> row;
    for (std::uint32_t i = 0; i + 1 < run_begin_.size(); ++i) {
        row.clear();
        for (const Run& run : runs_of(i)) {
            for (std::uint32_t k = run.begin; k < run.end; ++k)
                row.push_back({run.delay, id_of[k], k});
        }
        std::sort(row.begin(), row.end(), [](const Entry& a, const Entry& b) {
            return a.delay != b.delay ? a.delay < b.delay : a.id < b.id;
        });
        for (std::uint32_t k = 0; k < row.size(); ++k) whole[row[k].stored] = row_begin_[i] + k;
    }
    return whole;
}

std::vector<SynapseLayout::Run> SynapseLayout::whole_runs_of(std::uint32_t pre) const {
    std::vector<Run> parts(runs_of(pre).begin(), runs_of(pre).end());
    std::stable_sort(parts.begin(), parts.end(),
                     [](const Run& a, const Run& b) { return a.delay < b.delay; });
    std::vector<Run> whole;
    std::uint32_t at = row_begin_[pre];
    for (const Run& run : parts) {
        if (whole.empty() || whole.back().delay != run.delay) whole.push_back({run.delay, at, at});
        whole.back().end += run.end - run.begin;
        at += run.end - run.begin;
    }
    return whole;
}

std::size_t SynapseLayout::memory_bytes() const {
    return sizeof(std::uint32_t) * (row_begin_.capacity() + run_begin_.capacity() +
                                    post_.capacity() + entry_.capacity()) +
           sizeof(Run) * runs_.capacity();
}

double estimated_projection_bytes(const ProjectionSpec& spec, double synapses, std::uint32_t n_pre,
                                  std::uint32_t n_post, std::size_t synapse_state_bytes,
                                  std::uint32_t target_parts) {
    const bool plastic = synapse_state_bytes > 0;
    const bool drawn_delays = spec.delay_ms.kind != Distribution::Kind::constant;
    // Targets; drawn delays: the entry of each id, and at worst one run per synapse.
    double per_synapse = 4.0 + (drawn_delays ? 4.0 + sizeof(SynapseLayout::Run) : 0.0);
    if (plastic || spec.weight.kind != Distribution::Kind::constant) {
        per_synapse += spec.weight_precision == WeightPrecision::float32 ? 4.0 : 8.0;
    }
    if (plastic) per_synapse += static_cast<double>(synapse_state_bytes) + 4.0;  // + index
    // Per presynaptic neuron its row, its runs' start and one run per part of the targets
    // (fixed_in_degree, fixed_total_number, from_list: the rows' fill positions while drawn,
    // fewer bytes); per postsynaptic neuron of a plastic projection its index, post term and the
    // rule's state (at most 64 B so far).
    const double per_pre = 8.0 + sizeof(SynapseLayout::Run) * target_parts;
    // Drawn delays or parts: one row sorted at a time, (part and delay, id) and its targets
    // (20 B per synapse of a row of at most n_post, multapses aside).
    const bool rows_sorted = drawn_delays || target_parts > 1;
    const double per_post = (plastic ? 4.0 + 8.0 + 64.0 : 0.0) + (rows_sorted ? 20.0 : 0.0);
    return synapses * per_synapse + per_pre * (n_pre + 1.0) + per_post * (n_post + 1.0);
}

}  // namespace spikerate::sim
