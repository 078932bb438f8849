#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <string_view>

namespace spikerate::sim {

// Counter-based random numbers (Random123 Philox4x32-10). A stream is keyed by the run's seed
// and a name ("poisson/input", "connect/exc->inh"); each draw by a counter chosen by the caller,
// typically (step, neuron, k) or (neuron, draw). The same (seed, name, counter) gives the same
// number whatever the construction order, thread count or, later, MPI rank.
class RandomStream {
  public:
    RandomStream(std::uint64_t seed, std::string_view name);

    // Four independent uniformly distributed 32-bit words for the counter (a, b, c).
    std::array<std::uint32_t, 4> bits(std::uint64_t a, std::uint32_t b, std::uint32_t c = 0) const;
    // Uniform in the open interval (0, 1), 52-bit resolution.
    double uniform(std::uint64_t a, std::uint32_t b, std::uint32_t c = 0) const;
    // Standard normal (Box-Muller on one counter's four words).
    double normal(std::uint64_t a, std::uint32_t b, std::uint32_t c = 0) const;

  private:
    std::array<std::uint32_t, 2> key_;
};

// The 64-bit FNV-1a hash of a byte string: a stream's name in its key, a checkpoint's checksum.
inline std::uint64_t fnv1a64(std::string_view s) {
    std::uint64_t h = 0xCBF29CE484222325ULL;
    for (const char c : s) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001B3ULL;
    }
    return h;
}

// Two 32-bit words (of bits()) as a double in the open interval (0, 1): 52 random bits plus one
// half, so the largest value is 1 - 2^-53 (exactly representable) and the smallest 2^-53.
inline double open_unit_interval(std::uint32_t hi, std::uint32_t lo) {
    const std::uint64_t x = (static_cast<std::uint64_t>(hi) << 32 | lo) >> 12;  // 52 bits
    return (static_cast<double>(x) + 0.5) * 0x1.0p-52;
}

// Uniforms drawn two per counter, for element e of a per-element stream: the words 0-1 (e even)
// or 2-3 (e odd) of the counter (a, e / 2), so one Philox call serves a pair of neurons.
inline double paired_uniform(const std::array<std::uint32_t, 4>& words, std::uint32_t e) {
    return e % 2 == 0 ? open_unit_interval(words[0], words[1])
                      : open_unit_interval(words[2], words[3]);
}
inline double paired_uniform(const RandomStream& stream, std::uint64_t a, std::uint32_t e) {
    return paired_uniform(stream.bits(a, e / 2), e);
}

// A Poisson count of mean `mean` from one uniform u in (0, 1), by inversion: the smallest k with
// u <= P(K <= k), the cumulative sum of e^-mean mean^j / j! built term by term. Exact up to the
// rounding of that sum (a few ulp of 1): the probability of each k is off by about 1e-16
// absolute. Its cost grows with the mean (mean + 1 terms on average) and e^-mean underflows
// beyond 708, so the simulator takes means up to max_poisson_inversion_mean. Once the terms no
// longer change the sum (past the mode), the count stops there: u beyond the rounded total has
// probability about 1e-16. e^-mean is computed once per sampler.
inline constexpr double max_poisson_inversion_mean = 10.0;
class PoissonByInversion {
  public:
    explicit PoissonByInversion(double mean) : mean_(mean), p0_(std::exp(-mean)) {}
    double mean() const { return mean_; }
    std::uint32_t operator()(double u) const {
        double term = p0_;
        double cdf = term;
        std::uint32_t k = 0;
        while (u > cdf) {
            ++k;
            term *= mean_ / static_cast<double>(k);
            const double next = cdf + term;
            if (next == cdf && static_cast<double>(k) > mean_) break;
            cdf = next;
        }
        return k;
    }

  private:
    double mean_;
    double p0_;  // e^-mean
};
inline std::uint32_t poisson_by_inversion(double mean, double u) {
    return PoissonByInversion(mean)(u);
}

}  // namespace spikerate::sim
