#pragma once

#include <string_view>

// Checks shared by every validate(): each throws ParamError with a message that names the key,
// its value with unit, and the bound it broke, e.g. "tau_m = -1 ms: must be > 0".
namespace spikerate::models {

void require_finite(std::string_view key, double value, std::string_view unit);
void require_positive(std::string_view key, double value, std::string_view unit);
void require_non_negative(std::string_view key, double value, std::string_view unit);
// Requires lower < upper, naming both keys.
void require_less(std::string_view lower_key, double lower, std::string_view upper_key,
                  double upper, std::string_view unit);

}  // namespace spikerate::models
