#pragma once

#include <vector>

namespace spikerate::testing {

// The statistical tests accept a sample statistic within this many standard errors of its
// expectation: a false failure about once in 1.7 million checks of a normal statistic.
inline constexpr double n_sd = 5.0;

// A sample's mean and unbiased variance (at least two values).
inline double mean_of(const std::vector<double>& x) {
    double sum = 0.0;
    for (const double v : x) sum += v;
    return sum / static_cast<double>(x.size());
}
inline double variance_of(const std::vector<double>& x) {
    const double m = mean_of(x);
    double ss = 0.0;
    for (const double v : x) ss += (v - m) * (v - m);
    return ss / static_cast<double>(x.size() - 1);
}

}  // namespace spikerate::testing
