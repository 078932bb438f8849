#pragma once

// The order in which training examples are presented, shared by both paradigms so that they see
// the same sequence. Example k of the stream (k = 0, 1, 2, ...) is training example index(k):
// epoch e = k / n presents every example once, in a permutation drawn by Fisher-Yates from
// RandomStream(seed, "task/order") with counters (e, i, attempt), or in the identity order when
// shuffle is false. An epoch's order depends only on (seed, e, n), so index(k) may be asked in any
// order; the current epoch's permutation is cached, so the cost is O(n) per change of epoch.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "sim/random_stream.hpp"

namespace spikerate::sim::task {

class ExampleStream {
  public:
    // Throws ParamError if n_examples is 0 or does not fit in 32 bits (the counter's width).
    ExampleStream(std::size_t n_examples, std::uint64_t seed, bool shuffle);

    std::size_t index(std::uint64_t k);
    std::size_t size() const { return n_; }  // examples per epoch
    bool shuffled() const { return shuffle_; }

  private:
    void build_epoch(std::uint64_t epoch);

    std::size_t n_;
    bool shuffle_;
    RandomStream stream_;
    std::uint64_t cached_epoch_ = 0;
    bool cached_ = false;
    std::vector<std::uint32_t> order_;
};

}  // namespace spikerate::sim::task
