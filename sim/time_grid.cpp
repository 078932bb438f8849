#include "time_grid.hpp"

#include <cmath>

#include <fmt/format.h>

#include "models/error.hpp"

namespace spikerate::sim {

namespace {
constexpr double snap_tolerance = 1e-9;  // as a fraction of dt
}

TimeGrid::TimeGrid(double dt_ms) : dt_(dt_ms) {
    if (!(std::isfinite(dt_ms) && dt_ms > 0.0)) {
        throw ParamError::value("dt", fmt::format("{} ms: must be > 0", dt_ms));
    }
}

SpikeTime TimeGrid::locate(double t_ms) const {
    if (!(std::isfinite(t_ms) && t_ms >= 0.0)) {
        throw ParamError(fmt::format("time {} ms: must be finite and >= 0", t_ms));
    }
    const double steps = t_ms / dt_;
    const double nearest = std::round(steps);
    if (std::abs(steps - nearest) <= snap_tolerance) {
        return SpikeTime{static_cast<std::int64_t>(nearest), 0.0};
    }
    const auto step = static_cast<std::int64_t>(std::floor(steps));
    return SpikeTime{step, t_ms - time(step)};
}

SpikeTime TimeGrid::at_offset(std::int64_t step, double offset) const {
    if (offset >= dt_) return SpikeTime{step + 1, 0.0};
    return SpikeTime{step, offset};
}

std::int64_t TimeGrid::steps_in(double duration_ms, const char* what) const {
    const double steps = duration_ms / dt_;
    const double nearest = std::round(steps);
    if (!(std::isfinite(duration_ms) && duration_ms >= 0.0) ||
        std::abs(steps - nearest) > snap_tolerance * std::max(1.0, nearest)) {
        throw ParamError::value(
            what,
            fmt::format("{} ms: must be a non-negative multiple of dt = {} ms", duration_ms, dt_));
    }
    return static_cast<std::int64_t>(nearest);
}

}  // namespace spikerate::sim
