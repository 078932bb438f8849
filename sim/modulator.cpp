#include "modulator.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include <fmt/format.h>

#include "sim/checkpoint.hpp"

namespace spikerate::sim {

namespace {

// The step of time t [ms]; times beyond 2^62 steps (after any run's end) as that many.
std::int64_t step_at(double t_ms, double dt_ms) {
    constexpr double last = 4.6e18;
    const double steps = std::round(t_ms / dt_ms);
    return steps >= last ? static_cast<std::int64_t>(last) : static_cast<std::int64_t>(steps);
}

}  // namespace

Modulator::Modulator(const ModulatorSpec& spec, std::vector<Projection*> targets,
                     const Population* pre, const Population* post, const TimeGrid& grid,
                     std::uint64_t seed)
    : spec_(spec),
      targets_(std::move(targets)),
      pre_(pre),
      post_(post),
      grid_(grid),
      stream_(seed, "modulator/" + spec.name),
      last_pre_ms_(-std::numeric_limits<double>::infinity()) {
    for (const double t : spec_.times_ms) {
        given_steps_.push_back(std::max<std::int64_t>(step_at(t, grid_.dt()), 1));
    }
}

void Modulator::observe_pairing(std::int64_t step) {
    // The step's spikes of the two neurons in time order, a first spike before a second one at
    // the same time (which then does not pair: the second must come strictly later).
    struct Event {
        double t;
        bool first;
    };
    std::vector<Event> events;
    for (const Spike& s : pre_->spikes()) {
        if (s.node == spec_.pre_node) events.push_back({grid_.time(s.time), true});
    }
    for (const Spike& s : post_->spikes()) {
        if (s.node == spec_.post_node) events.push_back({grid_.time(s.time), false});
    }
    if (events.empty()) return;
    std::stable_sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
        return a.t < b.t || (a.t == b.t && a.first && !b.first);
    });
    for (const Event& e : events) {
        if (e.first) {
            last_pre_ms_ = e.t;
        } else if (e.t > last_pre_ms_ && e.t - last_pre_ms_ < spec_.window_ms) {
            const double delay = spec_.delay_min_ms + (spec_.delay_max_ms - spec_.delay_min_ms) *
                                                          stream_.uniform(pairings_, 0);
            ++pairings_;
            const std::int64_t at =
                std::max<std::int64_t>(step_at(e.t + delay, grid_.dt()), step + 1);
            pending_.push_back(at);
            std::push_heap(pending_.begin(), pending_.end(), std::greater<>{});
        }
    }
}

void Modulator::after_step(std::int64_t step) {
    if (pre_ != nullptr) observe_pairing(step);
    const std::int64_t now = step + 1;
    const double t = grid_.time(now);
    const auto deliver = [&] {
        for (Projection* p : targets_) p->deliver_modulator(spec_.amount, t);
        event_times_ms_.push_back(t);
    };
    while (next_given_ < given_steps_.size() && given_steps_[next_given_] <= now) {
        deliver();
        ++next_given_;
    }
    while (!pending_.empty() && pending_.front() <= now) {
        std::pop_heap(pending_.begin(), pending_.end(), std::greater<>{});
        pending_.pop_back();
        deliver();
    }
}

void Modulator::save_state(StateWriter& out) const {
    out.tag(fmt::format("modulator {}", spec_.name));
    out.u64(next_given_);
    out.vec(pending_);
    out.f64(last_pre_ms_);
    out.u64(pairings_);
    out.vec(event_times_ms_);
}

void Modulator::load_state(StateReader& in) {
    in.tag(fmt::format("modulator {}", spec_.name));
    next_given_ = in.u64();
    if (next_given_ > given_steps_.size()) in.fail("modulator '" + spec_.name + "': its events");
    pending_ = in.vec<std::int64_t>();
    std::make_heap(pending_.begin(), pending_.end(), std::greater<>{});
    last_pre_ms_ = in.f64();
    pairings_ = in.u64();
    event_times_ms_ = in.vec<double>();
}

}  // namespace spikerate::sim
