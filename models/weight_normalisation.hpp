#pragma once

// weight_normalisation: scales each postsynaptic neuron's incoming weights to a fixed sum, as
// Diehl & Cook (2015) do before every training example (sum 78 over 784 inputs), while keeping
// every weight within the plasticity rule's bounds.
//
// For the column of neuron j (weights w_ij, i over the presynaptic neurons) it finds the factor
// f with  sum_i clip(f w_ij, w_min, w_max) = target  and sets w_ij = clip(f w_ij, w_min, w_max).
// Without clipping this is the released code's w_ij *= target / sum_i w_ij. When a weight hits
// a bound, it is held there and the others are scaled to make up the sum (water filling).
// A column cannot reach the target when its weights are all zero (no factor helps) or when the
// bounds forbid it (n_pre w_max < target, n_pre w_min > target); it then gets the closest sum
// the bounds allow, and the function reports how many columns missed.

#include <cstddef>
#include <cstdint>
#include <span>

#include "weight_bounds.hpp"

namespace spikerate::models {

// `weights` in any order, post[k] the postsynaptic neuron of weights[k] (< n_post): a
// projection's stored order works as it is. Returns the number of columns whose sum could not be
// made equal to `target` (relative error above 1e-9). Units: those of the weights.
std::size_t normalise_incoming(std::span<double> weights, std::span<const std::uint32_t> post,
                               std::size_t n_post, double target, const WeightBounds& bounds);

// The same for a dense n_pre x n_post matrix, row-major by presynaptic neuron (synapse
// i * n_post + j).
std::size_t normalise_incoming(std::span<double> weights, std::size_t n_pre, std::size_t n_post,
                               double target, const WeightBounds& bounds);

}  // namespace spikerate::models
