#pragma once

namespace spikerate::testing {

// The statistical tests accept a sample statistic within this many standard errors of its
// expectation: a false failure about once in 1.7 million checks of a normal statistic.
inline constexpr double n_sd = 5.0;

}  // namespace spikerate::testing
