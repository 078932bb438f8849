#include "masquelier_pattern.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include <fmt/format.h>

#include "models/error.hpp"
#include "models/param_check.hpp"
#include "sim/checkpoint.hpp"
#include "sim/memory.hpp"
#include "sim/random_stream.hpp"

namespace spikerate::sim {

namespace {

constexpr std::uint32_t max_afferents = 1U << 16;  // an afferent is 16 bits of a stored spike
constexpr double bin_ms = 1.0;                     // the paper's dt of the rate walk
constexpr std::uint32_t walk_lanes = 8;            // afferents walked side by side

bool whole(double x) { return std::isfinite(x) && std::floor(x) == x; }

// A 32-bit word as a uniform number in [0, 1).
double unit(std::uint32_t w) { return static_cast<double>(w) * 0x1.0p-32; }

// The sections holding the pattern: k of sections 1 .. n - 1, no two adjacent, uniformly among
// all such sets. A uniform k-subset c_0 < ... < c_{k-1} of {0, ..., n - 1 - k} (partial
// Fisher-Yates) maps to the sections 1 + c_j + j.
std::vector<std::uint64_t> draw_pasted_sections(std::uint64_t n, std::uint64_t k,
                                                const RandomStream& stream) {
    if (k == 0) return {};
    const std::uint64_t m = n - k;  // >= k, checked by validate()
    std::vector<std::uint64_t> pool(m);
    std::iota(pool.begin(), pool.end(), std::uint64_t{0});
    for (std::uint64_t j = 0; j < k; ++j) {
        const auto pick =
            j + static_cast<std::uint64_t>(stream.uniform(j, 0) * static_cast<double>(m - j));
        std::swap(pool[j], pool[std::min(pick, m - 1)]);
    }
    pool.resize(k);
    std::sort(pool.begin(), pool.end());
    for (std::uint64_t j = 0; j < k; ++j) pool[j] += 1 + j;
    return pool;
}

// Step 1, the rate walk, of afferents [first, first + n), n <= walk_lanes, side by side (they
// are independent; in lanes the compiler vectorises the arithmetic and the steps of one afferent
// need not wait for each other). r [Hz] and its speed s [Hz/s] go bin by bin. A spike falls in
// the first bin where the product of (1 - r dt) since the last spike drops below a uniform
// number: one draw per spike for the Bernoulli trials of every bin.
void walk_block(const MasquelierPatternParams& p, std::uint64_t bins, std::uint32_t first,
                std::uint32_t n, const RandomStream& walk, const RandomStream& spiking,
                std::array<std::vector<double>, walk_lanes>& trains) {
    const double dt_s = bin_ms * 1e-3;
    const std::int64_t silence_bins = p.max_silence_ms > 0.0
                                          ? std::llround(p.max_silence_ms / bin_ms)
                                          : std::numeric_limits<std::int64_t>::max();
    const double r_max = p.rate_max_hz, s_max = p.speed_max_hz_per_s;
    const double ds_scale = p.speed_step_hz_per_s;
    // Per lane (arrays of walk_lanes: the inner loops vectorise).
    std::array<double, walk_lanes> r{}, s{}, threshold{}, survival{};
    std::array<std::int64_t, walk_lanes> last{};                   // bin of the last spike
    std::array<std::array<std::uint32_t, walk_lanes>, 4> steps{};  // [word][lane]
    std::array<std::uint8_t, walk_lanes> spike{};
    for (std::uint32_t l = 0; l < walk_lanes; ++l) {
        trains[l].clear();
        survival[l] = 1.0;
        last[l] = -1;
        if (l < n) {
            const auto init = spiking.bits(0, first + l, 1);
            r[l] = unit(init[0]) * r_max;
            s[l] = (2.0 * unit(init[1]) - 1.0) * s_max;
            threshold[l] = open_unit_interval(init[2], init[3]);
            // The authors' code counts the first silence from a virtual spike at
            // -U(0, 1) x max_silence, in bin floor(-U x max_silence): without it every afferent
            // silent since t = 0 is forced in bin max_silence - 1, a volley of a fifth of them
            // (then 50 ms later again, fading over about a second) at the start of every
            // repetition of the stretch.
            if (p.max_silence_ms > 0.0) {
                const auto virtual_spike = spiking.bits(0, first + l, 2);
                const double u = open_unit_interval(virtual_spike[0], virtual_spike[1]);
                last[l] =
                    static_cast<std::int64_t>(std::floor(-u * static_cast<double>(silence_bins)));
            }
        } else {
            last[l] = std::numeric_limits<std::int64_t>::max() / 2;  // never forced
        }
    }
    for (std::uint64_t k = 0; k < bins; ++k) {
        const auto kk = static_cast<std::int64_t>(k);
        if (k % 8 == 0) {  // eight 16-bit draws per afferent
            for (std::uint32_t l = 0; l < n; ++l) {
                const auto w = walk.bits(k / 8, first + l);
                for (std::uint32_t q = 0; q < 4; ++q) steps[q][l] = w[q];
            }
        }
        const auto& word = steps[(k % 8) / 2];
        const auto shift = static_cast<std::uint32_t>(16 * (k % 2));
        std::uint8_t any = 0;
        for (std::uint32_t l = 0; l < walk_lanes; ++l) {
            survival[l] *= 1.0 - r[l] * dt_s;
            spike[l] = static_cast<std::uint8_t>(survival[l] < threshold[l]) |
                       static_cast<std::uint8_t>(kk - last[l] >= silence_bins);
            any |= spike[l];
            r[l] = std::min(std::max(r[l] + s[l] * dt_s, 0.0), r_max);
            const double draw = static_cast<double>((word[l] >> shift) & 0xFFFFU);
            const double ds = ((draw + 0.5) * 0x1.0p-15 - 1.0) * ds_scale;
            s[l] = std::min(std::max(s[l] + ds, -s_max), s_max);
        }
        if (any == 0) continue;
        for (std::uint32_t l = 0; l < n; ++l) {
            if (spike[l] == 0) continue;
            const auto w = spiking.bits(k, first + l, 0);
            trains[l].push_back((static_cast<double>(k) + unit(w[0])) * bin_ms);
            threshold[l] = open_unit_interval(w[2], w[3]);
            survival[l] = 1.0;
            last[l] = kk;
        }
    }
}

}  // namespace

std::uint64_t MasquelierPatternParams::sections() const {
    return static_cast<std::uint64_t>(std::llround(stretch_ms / pattern_duration_ms));
}

std::uint64_t MasquelierPatternParams::pasted_sections() const {
    return static_cast<std::uint64_t>(
        std::llround(pattern_fraction * static_cast<double>(sections())));
}

void MasquelierPatternParams::validate(std::uint32_t size, double /*dt_ms*/) const {
    using models::require_non_negative;
    using models::require_positive;
    if (size > max_afferents) {
        throw ParamError::value(
            "size", fmt::format("{}: a masquelier_pattern source has at most {} afferents", size,
                                max_afferents));
    }
    require_positive("rate_max", rate_max_hz, "Hz");
    if (rate_max_hz > 1e3 / bin_ms) {
        throw ParamError::value(
            "rate_max",
            fmt::format("{} Hz: at most one spike per 1 ms bin (1000 Hz)", rate_max_hz));
    }
    require_non_negative("speed_max", speed_max_hz_per_s, "Hz/s");
    require_non_negative("speed_step", speed_step_hz_per_s, "Hz/s");
    require_non_negative("max_silence", max_silence_ms, "ms");
    if (!whole(max_silence_ms)) {
        throw ParamError::value("max_silence",
                                fmt::format("{} ms: must be a whole number of ms", max_silence_ms));
    }
    if (pattern_afferents < 1 || pattern_afferents > size) {
        throw ParamError::value("pattern_afferents", fmt::format("{}: must be in [1, size = {}]",
                                                                 pattern_afferents, size));
    }
    require_positive("pattern_duration", pattern_duration_ms, "ms");
    if (!whole(pattern_duration_ms)) {
        throw ParamError::value(
            "pattern_duration",
            fmt::format("{} ms: must be a whole number of ms", pattern_duration_ms));
    }
    require_non_negative("jitter", jitter_ms, "ms");
    require_non_negative("spontaneous_rate", spontaneous_rate_hz, "Hz");
    if (spontaneous_rate_hz > 1e3) {
        throw ParamError::value("spontaneous_rate",
                                fmt::format("{} Hz: must be <= 1000 Hz", spontaneous_rate_hz));
    }
    require_positive("stretch", stretch_ms, "ms");
    const double n = stretch_ms / pattern_duration_ms;
    if (!(whole(n) && n >= 2.0)) {
        throw ParamError::value("stretch",
                                fmt::format("{} ms: must be a whole number (at least 2) of "
                                            "pattern_duration = {} ms",
                                            stretch_ms, pattern_duration_ms));
    }
    if (stretch_ms > 1e10) {
        throw ParamError::value("stretch", fmt::format("{} ms: must be <= 1e10 ms", stretch_ms));
    }
    if (!(pattern_fraction >= 0.0 && pattern_fraction <= 0.5)) {
        throw ParamError::value("pattern_fraction",
                                fmt::format("{}: must be in [0, 0.5]", pattern_fraction));
    }
    // Non-adjacent sections among 1 .. n - 1: at most ceil((n - 1) / 2) = floor(n / 2).
    if (pasted_sections() > sections() / 2) {
        throw ParamError::value(
            "pattern_fraction",
            fmt::format("{}: {} of {} sections, but at most {} can hold the pattern without two "
                        "in a row (section 0 never does)",
                        pattern_fraction, pasted_sections(), sections(), sections() / 2));
    }
    // Stored spikes (4 B) and, while generating, the unsorted ones (8 B), at the highest rate.
    const double max_rate_hz =
        rate_max_hz + spontaneous_rate_hz + (max_silence_ms > 0.0 ? 1e3 / max_silence_ms : 0.0);
    const double spikes = static_cast<double>(size) * stretch_ms * 1e-3 * max_rate_hz;
    require_memory(12.0 * spikes, "stretch",
                   fmt::format("a stretch of up to {:.3g} spikes", spikes));
}

MasquelierStretch generate_masquelier_stretch(const MasquelierPatternParams& p, std::uint32_t size,
                                              std::uint64_t seed, std::string_view name) {
    const std::string prefix = fmt::format("masquelier_pattern/{}/", name);
    const RandomStream walk(seed, prefix + "walk");
    const RandomStream spiking(seed, prefix + "spikes");
    const RandomStream pattern(seed, prefix + "pattern");
    const RandomStream jitter(seed, prefix + "jitter");
    const RandomStream spontaneous(seed, prefix + "spontaneous");

    const auto bins = static_cast<std::uint64_t>(std::llround(p.stretch_ms / bin_ms));
    const double stretch = static_cast<double>(bins) * bin_ms;  // [ms]
    const double section_ms = p.pattern_duration_ms;
    const std::uint64_t n_sections = p.sections();

    MasquelierStretch out;
    const std::vector<std::uint64_t> pasted =
        draw_pasted_sections(n_sections, p.pasted_sections(), pattern);
    std::vector<char> is_pasted(n_sections, 0);
    for (const auto s : pasted) {
        is_pasted[s] = 1;
        out.onsets_ms.push_back(static_cast<double>(s) * section_ms);
    }
    // The pattern is the first pasted section's activity, as in the authors' code (Hathway &
    // Goodman's port of it: startCPindex).
    if (!pasted.empty()) out.pattern_section = pasted.front();
    const double source_onset = static_cast<double>(out.pattern_section) * section_ms;

    std::vector<std::uint64_t> packed;  // bin << 32 | offset << 16 | afferent
    packed.reserve(static_cast<std::size_t>(static_cast<double>(size) * stretch * 0.07));
    std::array<std::vector<double>, walk_lanes> walked;  // step 1's spikes of a block of afferents
    std::vector<double> kept;
    std::vector<double> relative;  // the pattern's spikes of one afferent, from its onset
    for (std::uint32_t i = 0; i < size; ++i) {
        if (i % walk_lanes == 0) {  // 1. the rate walk
            walk_block(p, bins, i, std::min(walk_lanes, size - i), walk, spiking, walked);
        }
        std::vector<double>& train = walked[i % walk_lanes];
        // 2. The pattern replaces this afferent's spikes in the pasted sections.
        if (i < p.pattern_afferents && !pasted.empty()) {
            relative.clear();
            kept.clear();
            for (const double t : train) {
                const auto section = static_cast<std::uint64_t>(t / section_ms);
                if (section == out.pattern_section) relative.push_back(t - source_onset);
                if (section >= n_sections || !is_pasted[section]) kept.push_back(t);
            }
            for (std::uint64_t q = 0; q < pasted.size(); ++q) {
                const double onset = static_cast<double>(pasted[q]) * section_ms;
                for (std::uint32_t m = 0; m < relative.size(); ++m) {
                    kept.push_back(onset + relative[m] + p.jitter_ms * jitter.normal(q, i, m));
                }
            }
            train.swap(kept);
        }
        // 3. Spontaneous spikes: exponential intervals.
        if (p.spontaneous_rate_hz > 0.0) {
            const double mean_interval = 1e3 / p.spontaneous_rate_hz;  // [ms]
            double t = 0.0;
            for (std::uint64_t m = 0;; ++m) {
                t -= mean_interval * std::log(spontaneous.uniform(m, i));
                if (t >= stretch) break;
                train.push_back(t);
            }
        }
        for (double t : train) {
            t = std::fmod(t, stretch);  // jitter can move a spike out of the stretch: wrap it
            if (t < 0.0) t += stretch;
            auto bin = static_cast<std::uint64_t>(t / bin_ms);
            auto offset = static_cast<std::uint64_t>((t - static_cast<double>(bin) * bin_ms) /
                                                     bin_ms * 65536.0);
            offset = std::min<std::uint64_t>(offset, 0xFFFFU);
            if (bin >= bins) bin = 0;  // t rounded up to the stretch's end: its start
            packed.push_back(bin << 32 | offset << 16 | i);
        }
    }

    // Counting sort by bin, then each bin by (offset, afferent).
    out.bin_begin.assign(bins + 1, 0);
    for (const auto x : packed) ++out.bin_begin[(x >> 32) + 1];
    std::partial_sum(out.bin_begin.begin(), out.bin_begin.end(), out.bin_begin.begin());
    out.spikes.resize(packed.size());
    {
        std::vector<std::uint64_t> fill(out.bin_begin.begin(), out.bin_begin.end() - 1);
        for (const auto x : packed) out.spikes[fill[x >> 32]++] = static_cast<std::uint32_t>(x);
    }
    std::vector<std::uint64_t>().swap(packed);
    for (std::uint64_t b = 0; b < bins; ++b) {
        std::sort(out.spikes.begin() + static_cast<std::ptrdiff_t>(out.bin_begin[b]),
                  out.spikes.begin() + static_cast<std::ptrdiff_t>(out.bin_begin[b + 1]));
    }
    return out;
}

namespace {
MasquelierStretch validated_stretch(const MasquelierPatternParams& params, std::uint32_t size,
                                    const TimeGrid& grid, std::uint64_t seed,
                                    std::string_view name) {
    params.validate(size, grid.dt());
    return generate_masquelier_stretch(params, size, seed, name);
}
}  // namespace

MasquelierPatternSource::MasquelierPatternSource(std::string name, std::uint32_t size,
                                                 const MasquelierPatternParams& params,
                                                 const TimeGrid& grid, std::uint64_t seed)
    : Population(std::move(name), size, false),
      params_(params),
      grid_(grid),
      stretch_(validated_stretch(params, size, grid, seed, name_)) {}

void MasquelierPatternSource::advance(std::int64_t step) {
    begin_step();
    const std::size_t n = stretch_.spikes.size();
    if (n == 0) return;
    const double t_start = grid_.time(step);
    const double t_end = grid_.time(step + 1);
    const double stretch = static_cast<double>(stretch_.bin_begin.size() - 1) * bin_ms;
    for (;;) {
        if (next_ == n) {
            next_ = 0;
            bin_ = 0;
            ++repeat_;
        }
        while (stretch_.bin_begin[bin_ + 1] <= next_) ++bin_;
        const double t = static_cast<double>(repeat_) * stretch + stretch_.time_ms(next_, bin_);
        if (t >= t_end) return;
        const std::uint32_t spike = stretch_.spikes[next_];
        emit(MasquelierStretch::afferent(spike), grid_.at_offset(step, std::max(0.0, t - t_start)));
        ++next_;
    }
}

std::vector<PopulationAnnotation> MasquelierPatternSource::annotations() const {
    std::vector<std::uint64_t> afferents(params_.pattern_afferents);
    std::iota(afferents.begin(), afferents.end(), std::uint64_t{0});
    const double stretch = static_cast<double>(stretch_.bin_begin.size() - 1) * bin_ms;
    return {
        {.name = "pattern_onsets", .units = "ms", .values = stretch_.onsets_ms},
        {.name = "pattern_afferents", .units = "", .values = std::move(afferents)},
        {.name = "pattern_duration",
         .units = "ms",
         .values = std::vector<double>{params_.pattern_duration_ms}},
        {.name = "stretch_duration", .units = "ms", .values = std::vector<double>{stretch}},
    };
}

void MasquelierPatternSource::save_state(StateWriter& out) const {
    save_base_state(out);
    out.tag("masquelier_pattern state");
    out.u64(stretch_.spikes.size());
    out.u64(bin_);
    out.u64(next_);
    out.u64(repeat_);
}

void MasquelierPatternSource::load_state(StateReader& in) {
    load_base_state(in);
    in.tag("masquelier_pattern state");
    const std::string what = fmt::format("population '{}'", name_);
    if (in.u64() != stretch_.spikes.size()) in.fail(what + ": another stretch");
    bin_ = in.u64();
    next_ = in.u64();
    repeat_ = in.u64();
    if (bin_ + 1 >= stretch_.bin_begin.size() || next_ > stretch_.spikes.size()) {
        in.fail(what + ": position");
    }
}

}  // namespace spikerate::sim
