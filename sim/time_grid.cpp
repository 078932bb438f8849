#include "time_grid.hpp"

#include <cmath>

#include <fmt/format.h>

#include "models/error.hpp"

namespace spikerate::sim {

namespace {
constexpr double snap_tolerance = 1e-9;  // as a fraction of dt
// The most steps a time may lie from 0: every step count up to 2^53 is a double exactly, so
// step * dt keeps its precision; beyond, a run would not end (or an int64 would overflow).
constexpr double max_steps = 9007199254740992.0;  // 2^53
}  // namespace

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
    if (steps > max_steps) {
        throw ParamError(fmt::format("time {} ms: more than 2^53 steps of dt = {} ms", t_ms, dt_));
    }
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
    if (nearest > max_steps) {
        throw ParamError::value(what,
                                fmt::format("{} ms: {:.3g} steps of dt = {} ms, more than the "
                                            "2^53 a run can count",
                                            duration_ms, nearest, dt_));
    }
    return static_cast<std::int64_t>(nearest);
}

}  // namespace spikerate::sim
