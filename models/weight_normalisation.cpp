#include "weight_normalisation.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "error.hpp"

namespace spikerate::models {

namespace {

// Water filling on one column: weights pinned at a bound stay there, the free ones are scaled so
// the total is the target. Each round pins at least one more weight or ends, so it stops after
// at most n rounds (in practice one or two).
bool normalise_column(double* w, std::size_t n, double target, const WeightBounds& bounds,
                      std::vector<signed char>& pinned) {
    pinned.assign(n, 0);  // 0 free, -1 at w_min, +1 at w_max
    for (;;) {
        double pinned_sum = 0.0;
        double free_sum = 0.0;
        for (std::size_t i = 0; i < n; ++i) {
            if (pinned[i] < 0)
                pinned_sum += bounds.w_min;
            else if (pinned[i] > 0)
                pinned_sum += bounds.w_max;
            else
                free_sum += w[i];
        }
        if (free_sum <= 0.0) {
            // Nothing left to scale: the pinned values are the closest sum reachable.
            for (std::size_t i = 0; i < n; ++i) {
                if (pinned[i] != 0) w[i] = pinned[i] < 0 ? bounds.w_min : bounds.w_max;
            }
            return std::abs(pinned_sum + free_sum - target) <= 1e-9 * target;
        }
        const double factor = (target - pinned_sum) / free_sum;
        bool newly_pinned = false;
        for (std::size_t i = 0; i < n; ++i) {
            if (pinned[i] != 0) continue;
            const double scaled = factor * w[i];
            if (scaled > bounds.w_max) {
                pinned[i] = 1;
                newly_pinned = true;
            } else if (scaled < bounds.w_min) {
                pinned[i] = -1;
                newly_pinned = true;
            }
        }
        if (newly_pinned && factor > 0.0) continue;
        double sum = 0.0;
        for (std::size_t i = 0; i < n; ++i) {
            double& wi = w[i];
            wi = pinned[i] < 0   ? bounds.w_min
                 : pinned[i] > 0 ? bounds.w_max
                                 : bounds.clip(factor * wi);
            sum += wi;
        }
        return std::abs(sum - target) <= 1e-9 * target;
    }
}

}  // namespace

std::size_t normalise_incoming(std::span<double> weights, std::span<const std::uint32_t> post,
                               std::size_t n_post, double target, const WeightBounds& bounds) {
    if (post.size() != weights.size()) {
        throw ParamError(fmt::format("normalise_incoming: {} weights but {} postsynaptic indices",
                                     weights.size(), post.size()));
    }
    if (!(target > 0.0 && std::isfinite(target))) {
        throw ParamError(fmt::format("normalisation target = {}: must be > 0 and finite", target));
    }
    // Fast path, one pass in storage order: column sums and extremes, then one factor per
    // column. Columns whose scaled weights would leave the bounds are redone by water filling.
    std::vector<double> sums(n_post, 0.0);
    std::vector<double> column_max(n_post, 0.0);
    std::vector<double> column_min(n_post, bounds.w_max);
    for (std::size_t k = 0; k < weights.size(); ++k) {
        const std::uint32_t j = post[k];
        sums[j] += weights[k];
        column_max[j] = std::max(column_max[j], weights[k]);
        column_min[j] = std::min(column_min[j], weights[k]);
    }
    std::vector<double> factor(n_post);
    std::vector<bool> slow(n_post, false);
    std::size_t n_slow = 0;
    for (std::size_t j = 0; j < n_post; ++j) {
        factor[j] = sums[j] > 0.0 ? target / sums[j] : 0.0;
        slow[j] = !(sums[j] > 0.0) || factor[j] * column_max[j] > bounds.w_max ||
                  factor[j] * column_min[j] < bounds.w_min;
        if (slow[j]) {
            factor[j] = 1.0;  // left alone by the fast pass
            ++n_slow;
        }
    }
    for (std::size_t k = 0; k < weights.size(); ++k) weights[k] *= factor[post[k]];
    if (n_slow == 0) return 0;
    std::size_t missed = 0;
    std::vector<signed char> pinned;
    std::vector<double> column;
    for (std::size_t j = 0; j < n_post; ++j) {
        if (!slow[j]) continue;
        column.clear();
        for (std::size_t k = 0; k < weights.size(); ++k) {
            if (post[k] == j) column.push_back(weights[k]);
        }
        if (!normalise_column(column.data(), column.size(), target, bounds, pinned)) ++missed;
        auto value = column.cbegin();
        for (std::size_t k = 0; k < weights.size(); ++k) {
            if (post[k] == j) weights[k] = *value++;
        }
    }
    return missed;
}

std::size_t normalise_incoming(std::span<double> weights, std::size_t n_pre, std::size_t n_post,
                               double target, const WeightBounds& bounds) {
    if (weights.size() != n_pre * n_post) {
        throw ParamError(fmt::format("normalise_incoming: {} weights for {} x {} synapses",
                                     weights.size(), n_pre, n_post));
    }
    std::vector<std::uint32_t> post(weights.size());
    for (std::size_t k = 0; k < post.size(); ++k) post[k] = static_cast<std::uint32_t>(k % n_post);
    return normalise_incoming(weights, post, n_post, target, bounds);
}

}  // namespace spikerate::models
