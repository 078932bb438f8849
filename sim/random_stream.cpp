#include "random_stream.hpp"

#include <cmath>
#include <numbers>

#include <Random123/philox.h>

namespace spikerate::sim {

namespace {

std::uint64_t splitmix64(std::uint64_t x) {
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

}  // namespace

RandomStream::RandomStream(std::uint64_t seed, std::string_view name) {
    const std::uint64_t k = splitmix64(splitmix64(seed) ^ fnv1a64(name));
    key_ = {static_cast<std::uint32_t>(k), static_cast<std::uint32_t>(k >> 32)};
}

std::array<std::uint32_t, 4> RandomStream::bits(std::uint64_t a, std::uint32_t b,
                                                std::uint32_t c) const {
    using Philox = r123::Philox4x32;
    const Philox::ctr_type counter = {
        {static_cast<std::uint32_t>(a), static_cast<std::uint32_t>(a >> 32), b, c}};
    const Philox::key_type key = {{key_[0], key_[1]}};
    const Philox::ctr_type out = Philox()(counter, key);
    return {out[0], out[1], out[2], out[3]};
}

double RandomStream::uniform(std::uint64_t a, std::uint32_t b, std::uint32_t c) const {
    const auto w = bits(a, b, c);
    return open_unit_interval(w[0], w[1]);
}

double RandomStream::normal(std::uint64_t a, std::uint32_t b, std::uint32_t c) const {
    const auto w = bits(a, b, c);
    const double u1 = open_unit_interval(w[0], w[1]);
    const double u2 = open_unit_interval(w[2], w[3]);
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

}  // namespace spikerate::sim
