#include "sources.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>

#include <fmt/format.h>

#include "models/error.hpp"
#include "sim/checkpoint.hpp"

namespace spikerate::sim {

namespace {
constexpr std::int64_t never = std::numeric_limits<std::int64_t>::max();
}  // namespace

void PoissonSourceParams::validate(std::uint32_t /*size*/, double dt_ms) const {
    if (!(std::isfinite(rate_hz) && rate_hz >= 0.0)) {
        throw ParamError::value("rate_hz", fmt::format("{} Hz: must be >= 0", rate_hz));
    }
    if (rate_hz > 1e3 / dt_ms) {  // the same bound as PoissonSource::set_rates
        throw ParamError::value(
            "rate_hz",
            fmt::format("{} Hz exceeds one spike per step (1 / dt = {} Hz)", rate_hz, 1e3 / dt_ms));
    }
}

void SpikeTrainSourceParams::validate(std::uint32_t size, double /*dt_ms*/) const {
    if (times_ms.size() != node_ids.size()) {
        const std::string what =
            fmt::format("times_ms has {} entries but node_ids has {}: they must match",
                        times_ms.size(), node_ids.size());
        throw ParamError("times_ms", std::nullopt, what, what);
    }
    for (std::size_t s = 0; s < times_ms.size(); ++s) {
        if (node_ids[s] >= size) {
            throw ParamError::value_at(
                "node_ids", s, fmt::format("{}: out of range for size {}", node_ids[s], size));
        }
        if (!(std::isfinite(times_ms[s]) && times_ms[s] >= 0.0)) {
            throw ParamError::value_at("times_ms", s,
                                       fmt::format("{} ms: must be finite and >= 0", times_ms[s]));
        }
    }
}

PoissonSource::PoissonSource(std::string name, std::uint32_t size,
                             const PoissonSourceParams& params, const TimeGrid& grid,
                             std::uint64_t seed)
    : Population(std::move(name), size, false),
      grid_(grid),
      seed_(seed),
      stream_(seed, "poisson/" + name_),
      rates_hz_(size),
      log_silence_(size) {
    pending_.reserve(size);
    set_rate(params.rate_hz);
}

void PoissonSource::set_rates(std::span<const double> rates_hz) {
    if (rates_hz.size() != size_) {
        throw ParamError(fmt::format("population '{}' (poisson): got {} rates for {} neurons",
                                     name_, rates_hz.size(), size_));
    }
    const double max_rate = 1e3 / grid_.dt();
    for (std::size_t i = 0; i < rates_hz.size(); ++i) {
        if (!(rates_hz[i] >= 0.0 && rates_hz[i] <= max_rate)) {
            throw ParamError(fmt::format(
                "population '{}' (poisson): rate of neuron {} = {} Hz must be in [0, 1/dt = {} Hz]",
                name_, i, rates_hz[i], max_rate));
        }
    }
    std::copy(rates_hz.begin(), rates_hz.end(), rates_hz_.begin());
    for (std::uint32_t i = 0; i < size_; ++i) {
        // At rate = 1/dt the product can round to 1 + 2^-52, whose log1p is NaN: cap p at 1.
        log_silence_[i] = std::log1p(-std::min(1.0, rates_hz_[i] * grid_.dt() * 1e-3));
    }
    redraw_all();
}

void PoissonSource::restart_stream(std::string_view key) {
    stream_ = RandomStream(seed_, fmt::format("poisson/{}/{}", name_, key));
    stream_origin_ = next_step_;
    redraw_all();
}

void PoissonSource::redraw_all() {
    pending_.clear();
    for (std::uint32_t i = 0; i < size_; ++i) {
        const std::int64_t next = draw_next_spike(i, next_step_);
        if (next != never) pending_.push_back(Pending{.step = next, .node = i});
    }
    std::make_heap(pending_.begin(), pending_.end());
}

// The step of neuron i's next spike at or after from_step, or `never`.
std::int64_t PoissonSource::draw_next_spike(std::uint32_t i, std::int64_t from_step) const {
    if (log_silence_[i] == 0.0) return never;  // rate 0
    // log(u) / log(1 - p) >= 0; for p = 1 it is 0 (a spike every step).
    const double u = stream_.uniform(static_cast<std::uint64_t>(from_step - stream_origin_), i);
    const double silent_steps = std::floor(std::log(u) / log_silence_[i]);
    return silent_steps >= 1e15 ? never : from_step + static_cast<std::int64_t>(silent_steps);
}

void PoissonSource::set_rate(double rate_hz) {
    const std::vector<double> rates(size_, rate_hz);
    set_rates(rates);
}

void PoissonSource::advance(std::int64_t step) {
    begin_step();
    next_step_ = step + 1;
    // Spikes leave the heap in (step, neuron) order: this step's, by neuron.
    while (!pending_.empty() && pending_.front().step == step) {
        std::pop_heap(pending_.begin(), pending_.end());
        Pending& due = pending_.back();
        emit(due.node, SpikeTime{step, 0.0});
        due.step = draw_next_spike(due.node, step + 1);
        if (due.step == never) {
            pending_.pop_back();
        } else {
            std::push_heap(pending_.begin(), pending_.end());
        }
    }
}

SpikeTrainSource::SpikeTrainSource(std::string name, std::uint32_t size,
                                   const SpikeTrainSourceParams& params, const TimeGrid& grid,
                                   std::uint64_t /*seed*/)
    : Population(std::move(name), size, false), grid_(grid) {
    schedule(params, 0.0);
}

void SpikeTrainSource::schedule(const SpikeTrainSourceParams& params, double offset_ms) {
    if (params.times_ms.size() != params.node_ids.size()) {
        throw ParamError(fmt::format("population '{}' (spike_train): {} times but {} node ids",
                                     name_, params.times_ms.size(), params.node_ids.size()));
    }
    schedule_.clear();
    next_ = 0;
    schedule_.reserve(params.times_ms.size());
    for (std::size_t s = 0; s < params.times_ms.size(); ++s) {
        if (params.node_ids[s] >= size_) {
            throw ParamError(fmt::format(
                "population '{}' (spike_train): node_ids[{}] = {} is out of range for size {}",
                name_, s, params.node_ids[s], size_));
        }
        if (!std::isfinite(params.times_ms[s]) || params.times_ms[s] < 0.0) {
            throw ParamError(fmt::format("population '{}' (spike_train): times_ms[{}] = {}", name_,
                                         s, params.times_ms[s]));
        }
        schedule_.push_back(Spike{.node = params.node_ids[s],
                                  .time = grid_.locate(offset_ms + params.times_ms[s])});
    }
    std::sort(schedule_.begin(), schedule_.end(), [](const Spike& a, const Spike& b) {
        return std::tie(a.time.step, a.time.offset, a.node) <
               std::tie(b.time.step, b.time.offset, b.node);
    });
}

void SpikeTrainSource::play(const SpikeTrainSourceParams& spikes, std::int64_t from_step) {
    schedule(spikes, grid_.time(from_step));
}

void SpikeTrainSource::advance(std::int64_t step) {
    begin_step();
    while (next_ < schedule_.size() && schedule_[next_].time.step == step) {
        emit(schedule_[next_].node, schedule_[next_].time);
        ++next_;
    }
}

void PoissonSource::save_state(StateWriter& out) const {
    save_base_state(out);
    out.tag("poisson state");
    out.pod(stream_);
    out.vec(rates_hz_);
    out.vec(log_silence_);
    out.vec(pending_);
    out.i64(next_step_);
    out.i64(stream_origin_);
}

void PoissonSource::load_state(StateReader& in) {
    load_base_state(in);
    in.tag("poisson state");
    const std::string what = fmt::format("population '{}'", name_);
    stream_ = in.pod<RandomStream>();
    in.vec_into(rates_hz_, size_, what + ": rates");
    in.vec_into(log_silence_, size_, what + ": rates");
    pending_ = in.vec<Pending>();
    for (const Pending& p : pending_) {
        if (p.node >= size_) in.fail(what + ": pending spike of a neuron it does not have");
    }
    if (!std::is_heap(pending_.begin(), pending_.end())) in.fail(what + ": pending spikes");
    next_step_ = in.i64();
    stream_origin_ = in.i64();
}

void SpikeTrainSource::save_state(StateWriter& out) const {
    save_base_state(out);
    out.tag("spike_train state");
    out.vec(schedule_);  // what play() may have put there since the network was built
    out.u64(next_);
}

void SpikeTrainSource::load_state(StateReader& in) {
    load_base_state(in);
    in.tag("spike_train state");
    const std::string what = fmt::format("population '{}': spike train", name_);
    std::vector<Spike> schedule = in.vec<Spike>();
    for (std::size_t s = 0; s < schedule.size(); ++s) {
        const Spike& spike = schedule[s];
        if (spike.node >= size_ || !std::isfinite(spike.time.offset) || spike.time.step < 0 ||
            (s > 0 && std::tie(schedule[s - 1].time.step, schedule[s - 1].time.offset,
                               schedule[s - 1].node) >
                          std::tie(spike.time.step, spike.time.offset, spike.node))) {
            in.fail(what);
        }
    }
    const std::uint64_t next = in.u64();
    if (next > schedule.size()) in.fail(what + " position");
    schedule_ = std::move(schedule);
    next_ = next;
}

}  // namespace spikerate::sim
