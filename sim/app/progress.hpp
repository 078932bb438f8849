#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>

namespace spikerate::app {

// Progress of a run on stderr: a bar with rate and ETA, redrawn in place, when stderr is a
// terminal; one line every `line_interval` of wall time otherwise; nothing when quiet.
class Progress {
  public:
    Progress(std::int64_t total_steps, double dt_ms, bool quiet);
    void update(std::int64_t steps_done);  // cheap: looks at the clock every 256 steps
    void finish();                         // ends the bar's line

  private:
    void draw(std::int64_t steps_done, double elapsed_s);

    std::int64_t total_steps_;
    double dt_ms_;
    bool quiet_;
    bool terminal_;
    std::chrono::steady_clock::time_point start_;
    double next_report_s_;
    double line_interval_s_;
};

}  // namespace spikerate::app
