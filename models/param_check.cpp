#include "param_check.hpp"

#include <cmath>

#include <fmt/format.h>

#include "error.hpp"

namespace spikerate::models {

void require_finite(std::string_view key, double value, std::string_view unit) {
    if (!std::isfinite(value)) {
        throw ParamError(fmt::format("{} = {} {}: must be a finite number", key, value, unit));
    }
}

void require_positive(std::string_view key, double value, std::string_view unit) {
    require_finite(key, value, unit);
    if (!(value > 0.0)) {
        throw ParamError(fmt::format("{} = {} {}: must be > 0", key, value, unit));
    }
}

void require_non_negative(std::string_view key, double value, std::string_view unit) {
    require_finite(key, value, unit);
    if (value < 0.0) {
        throw ParamError(fmt::format("{} = {} {}: must be >= 0", key, value, unit));
    }
}

void require_less(std::string_view lower_key, double lower, std::string_view upper_key,
                  double upper, std::string_view unit) {
    require_finite(lower_key, lower, unit);
    require_finite(upper_key, upper, unit);
    if (!(lower < upper)) {
        throw ParamError(fmt::format("{} = {} {} must be below {} = {} {}", lower_key, lower, unit,
                                     upper_key, upper, unit));
    }
}

}  // namespace spikerate::models
