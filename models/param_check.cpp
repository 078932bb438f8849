#include "param_check.hpp"

#include <cmath>
#include <string>

#include <fmt/format.h>

#include "error.hpp"

namespace spikerate::models {

namespace {
// "-20 ms", or "0.5" without a unit.
std::string with_unit(double value, std::string_view unit) {
    return unit.empty() ? fmt::format("{}", value) : fmt::format("{} {}", value, unit);
}
}  // namespace

void require_finite(std::string_view key, double value, std::string_view unit) {
    if (!std::isfinite(value)) {
        throw ParamError::value(std::string(key),
                                with_unit(value, unit) + ": must be a finite number");
    }
}

void require_positive(std::string_view key, double value, std::string_view unit) {
    require_finite(key, value, unit);
    if (!(value > 0.0)) {
        throw ParamError::value(std::string(key), with_unit(value, unit) + ": must be > 0");
    }
}

void require_non_negative(std::string_view key, double value, std::string_view unit) {
    require_finite(key, value, unit);
    if (value < 0.0) {
        throw ParamError::value(std::string(key), with_unit(value, unit) + ": must be >= 0");
    }
}

void require_less(std::string_view lower_key, double lower, std::string_view upper_key,
                  double upper, std::string_view unit) {
    require_finite(lower_key, lower, unit);
    require_finite(upper_key, upper, unit);
    if (!(lower < upper)) {
        throw ParamError::value(std::string(lower_key),
                                fmt::format("{} must be below {} = {}", with_unit(lower, unit),
                                            upper_key, with_unit(upper, unit)));
    }
}

}  // namespace spikerate::models
