#include "progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <string>

#include <fmt/format.h>

namespace spikerate::app {

Progress::Progress(std::int64_t total_steps, double dt_ms, bool quiet)
    : total_steps_(std::max<std::int64_t>(total_steps, 1)),
      dt_ms_(dt_ms),
      quiet_(quiet),
      terminal_(isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      next_report_s_(terminal_ ? 0.2 : 10.0),
      line_interval_s_(terminal_ ? 0.2 : 10.0) {}

void Progress::update(std::int64_t steps_done) {
    if (quiet_ || steps_done % 256 != 0) return;
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    if (elapsed < next_report_s_) return;
    next_report_s_ = elapsed + line_interval_s_;
    draw(steps_done, elapsed);
}

void Progress::draw(std::int64_t steps_done, double elapsed_s) {
    const double fraction = static_cast<double>(steps_done) / static_cast<double>(total_steps_);
    const double simulated_s = static_cast<double>(steps_done) * dt_ms_ * 1e-3;
    const double speed = elapsed_s > 0.0 ? simulated_s / elapsed_s : 0.0;
    const double eta_s = fraction > 0.0 ? elapsed_s * (1.0 - fraction) / fraction : 0.0;
    const std::string text =
        fmt::format("{:5.1f} %  {:.3g} s simulated  {:.3g}x real time  ETA {:.0f} s",
                    100.0 * fraction, simulated_s, speed, eta_s);
    if (terminal_) {
        constexpr int width = 30;
        const int filled = static_cast<int>(fraction * width);
        fmt::print(stderr, "\r[{}{}] {}   ", std::string(filled, '#'),
                   std::string(width - filled, '.'), text);
    } else {
        fmt::print(stderr, "progress: {}\n", text);
    }
    std::fflush(stderr);
}

void Progress::finish() {
    if (!quiet_ && terminal_) fmt::print(stderr, "\r{:80}\r", "");
}

}  // namespace spikerate::app
