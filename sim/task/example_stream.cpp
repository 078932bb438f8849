#include "sim/task/example_stream.hpp"

#include <limits>
#include <numeric>
#include <utility>

#include <fmt/format.h>

#include "models/error.hpp"

namespace spikerate::sim::task {

namespace {

// An integer uniform in [0, bound) without bias (Lemire 2019, ACM TOMACS 29:3): the 32-bit word
// x maps to floor(x * bound / 2^32), and the few words that would make some results more likely
// than others are rejected. The words come from counters (a, b, 0), (a, b, 1), ... four at a time.
std::uint32_t uniform_below(const RandomStream& stream, std::uint64_t a, std::uint32_t b,
                            std::uint32_t bound) {
    const std::uint32_t threshold = static_cast<std::uint32_t>(-bound) % bound;  // 2^32 mod bound
    for (std::uint32_t c = 0;; ++c) {
        for (const std::uint32_t x : stream.bits(a, b, c)) {
            const std::uint64_t m = static_cast<std::uint64_t>(x) * bound;
            if (static_cast<std::uint32_t>(m) >= threshold) {
                return static_cast<std::uint32_t>(m >> 32);
            }
        }
    }
}

}  // namespace

ExampleStream::ExampleStream(std::size_t n_examples, std::uint64_t seed, bool shuffle)
    : n_(n_examples), shuffle_(shuffle), stream_(seed, "task/order") {
    if (n_examples == 0) {
        throw ParamError("ExampleStream: the training set has no examples, expected at least one");
    }
    if (n_examples > std::numeric_limits<std::uint32_t>::max()) {
        throw ParamError(
            fmt::format("ExampleStream: {} examples, expected at most 2^32 - 1", n_examples));
    }
}

std::size_t ExampleStream::index(std::uint64_t k) {
    if (!shuffle_) {
        return static_cast<std::size_t>(k % n_);
    }
    const std::uint64_t epoch = k / n_;
    if (!cached_ || epoch != cached_epoch_) {
        build_epoch(epoch);
    }
    return order_[static_cast<std::size_t>(k % n_)];
}

void ExampleStream::build_epoch(std::uint64_t epoch) {
    order_.resize(n_);
    std::iota(order_.begin(), order_.end(), std::uint32_t{0});
    for (std::size_t i = n_ - 1; i > 0; --i) {  // Fisher-Yates, from the back
        const auto i32 = static_cast<std::uint32_t>(i);
        std::swap(order_[i], order_[uniform_below(stream_, epoch, i32, i32 + 1)]);
    }
    cached_epoch_ = epoch;
    cached_ = true;
}

}  // namespace spikerate::sim::task
