#pragma once

#include <cstdint>

#include "sim/types.hpp"

namespace spikerate::sim {

// The simulation clock's grid.
class TimeGrid {
  public:
    explicit TimeGrid(double dt_ms);  // throws ParamError unless dt > 0

    double dt() const { return dt_; }  // [ms]
    double time(std::int64_t step) const { return static_cast<double>(step) * dt_; }
    double time(SpikeTime t) const { return time(t.step) + t.offset; }

    // Locates t_ms >= 0 on the grid; times within 1e-9 dt of a grid point snap to it, so that
    // 1.0 ms with dt = 0.1 ms is step 10, offset 0.
    SpikeTime locate(double t_ms) const;
    // A spike time offset [ms] after the start of `step`, 0 <= offset <= dt, brought into
    // canonical form (an offset of dt is the start of the next step). Not snapped: a precise
    // spike time keeps its offset however close to the next grid point (a snap within
    // 1e-9 dt would move it by up to 1e-9 dt).
    SpikeTime at_offset(std::int64_t step, double offset) const;
    // The number of steps in a duration that must be a whole number of steps; throws
    // ParamError naming `what` otherwise.
    std::int64_t steps_in(double duration_ms, const char* what) const;

  private:
    double dt_;
};

}  // namespace spikerate::sim
