#pragma once

// masquelier_pattern: the input of Masquelier, Guyonneau & Thorpe (2008, PLoS ONE 3:e1377), a
// spike pattern hidden in afferents whose rates never tell it apart.
//
// A stretch of stretch_ms is generated once, in 1 ms bins (the paper's dt), and played again and
// again (the paper: 150 s, three times):
// 1. Every afferent is an inhomogeneous Poisson process. In bin k it spikes with probability
//    r_k x 1 ms, at a time uniform within the bin; then r_{k+1} = clip(r_k + s_k x 1 ms, 0,
//    rate_max) and s_{k+1} = clip(s_k + ds, -speed_max, speed_max), ds ~ U[-speed_step,
//    speed_step] (Hz/s). r_0 ~ U[0, rate_max], s_0 ~ U[-speed_max, speed_max]. A spike is forced
//    (uniform within the bin) in a bin without one when the afferent's last spike was
//    max_silence_ms bins before: no silence much longer than 50 ms, so every afferent fires in
//    every 50 ms (>= 20 Hz; 54 Hz on average). Before its first spike an afferent counts from a
//    virtual one at -U(0, 1) x max_silence_ms (the authors' code), so the first forced spikes
//    are spread over the first max_silence_ms instead of all falling in one bin.
// 2. The stretch is cut into sections of pattern_duration_ms. round(pattern_fraction x sections)
//    of them, never two in a row and never section 0 (so the pattern neither opens a stretch nor
//    follows itself where the stretch repeats), are drawn uniformly among such sets. The first
//    of them is the pattern: its spikes of the first pattern_afferents afferents (the authors'
//    code takes the first pasted section too; a section drawn at random instead made the task
//    measurably harder, README "Masquelier et al. 2008"). In every drawn section (that one
//    included) those afferents' spikes are replaced by the pattern's, each moved by Gaussian
//    jitter of SD jitter_ms (wrapped around the stretch).
// 3. Spontaneous Poisson spikes at spontaneous_rate on every afferent, all the time (64 Hz in all
//    in the paper's setting).
// Random numbers come from the streams "masquelier_pattern/<name>/..." of the run's seed (walk,
// spikes, pattern, jitter, spontaneous), counters (bin or spike, afferent), so the stretch does
// not depend on anything but the seed, the name and the parameters.
//
// The stretch is kept as spike times relative to 1 ms bins, 4 bytes a spike (afferent as 16 bits,
// offset in the bin in 1/65536 ms), sorted by time: about 77 MB for the paper's 19 million
// spikes. Spikes keep their exact (to 15 ns) off-grid time.
// Output: the pattern's onsets within the stretch, its afferents, its duration and the stretch's,
// under /populations/<name>/ (sim/io/FORMAT.md).

#include <cstdint>
#include <string_view>
#include <vector>

#include "sim/population.hpp"
#include "sim/time_grid.hpp"

namespace spikerate::sim {

class MasquelierPatternSource;

struct MasquelierPatternParams {
    using Source = MasquelierPatternSource;
    static constexpr std::string_view id = "masquelier_pattern";
    static constexpr std::string_view summary =
        "Masquelier et al. 2008's input: a 50 ms spike pattern repeating at random times in "
        "afferents with randomly varying rates, jitter and spontaneous spikes";

    double rate_max_hz = 90.0;               // [Hz] rates walk in [0, rate_max]
    double speed_max_hz_per_s = 1800.0;      // [Hz/s] bound on the rate's speed of change
    double speed_step_hz_per_s = 360.0;      // [Hz/s] the speed's change per 1 ms bin, uniform +-
    double max_silence_ms = 50.0;            // [ms] a spike is forced after this silence; 0: never
    std::uint32_t pattern_afferents = 1000;  // the first ones take part in the pattern
    double pattern_duration_ms = 50.0;       // [ms] a whole number of ms
    double pattern_fraction = 0.25;          // of the sections that hold the pattern
    double jitter_ms = 1.0;                  // [ms] SD of each pasted spike's Gaussian jitter
    double spontaneous_rate_hz = 10.0;       // [Hz] Poisson spikes added on every afferent
    double stretch_ms = 150000.0;            // [ms] generated once, then repeated

    template <class Visitor>
    void visit_fields(Visitor&& v) {
        v("rate_max", rate_max_hz, "Hz", "> 0, <= 1000: rates walk in [0, rate_max]");
        v("speed_max", speed_max_hz_per_s, "Hz_per_s", ">= 0: |speed of the rate's change|");
        v("speed_step", speed_step_hz_per_s, "Hz_per_s",
          ">= 0: the speed changes by U[-speed_step, speed_step] per 1 ms");
        v("max_silence", max_silence_ms, "ms",
          "a whole number of ms >= 0: a spike is forced after this silence (0: never)");
        v("pattern_afferents", pattern_afferents, "",
          ">= 1, <= size: the first afferents, which take part in the pattern");
        v("pattern_duration", pattern_duration_ms, "ms", "a whole number of ms >= 1");
        v("pattern_fraction", pattern_fraction, "",
          "in [0, 0.5]: of the sections that hold the pattern (never two in a row)");
        v("jitter", jitter_ms, "ms", ">= 0: SD of the Gaussian jitter of the pasted spikes");
        v("spontaneous_rate", spontaneous_rate_hz, "Hz", ">= 0, <= 1000: added on every afferent");
        v("stretch", stretch_ms, "ms",
          "a whole number of pattern durations, at least 2: generated once, then repeated");
    }
    // Ranges as above; size <= 65536; the stretch must fit in memory.
    void validate(std::uint32_t size, double dt_ms) const;

    // Sections of pattern_duration_ms in the stretch, and how many hold the pattern.
    std::uint64_t sections() const;
    std::uint64_t pasted_sections() const;
};

// The stretch, generated: spikes sorted by time, with their bins as a CSR index.
struct MasquelierStretch {
    std::vector<std::uint64_t> bin_begin;  // bins + 1: spikes of bin k at [bin_begin[k], [k+1])
    std::vector<std::uint32_t> spikes;     // (offset in 1/65536 ms) << 16 | afferent
    std::vector<double> onsets_ms;         // sections holding the pattern: their starts, sorted
    std::uint64_t pattern_section = 0;     // the section the pattern was taken from

    static constexpr double offset_unit_ms = 1.0 / 65536.0;
    double time_ms(std::size_t s, std::uint64_t bin) const {
        return static_cast<double>(bin) + static_cast<double>(spikes[s] >> 16) * offset_unit_ms;
    }
    static std::uint32_t afferent(std::uint32_t spike) { return spike & 0xFFFFU; }
};

// Generates the stretch of `size` afferents (validated parameters).
MasquelierStretch generate_masquelier_stretch(const MasquelierPatternParams& params,
                                              std::uint32_t size, std::uint64_t seed,
                                              std::string_view name);

// Plays the stretch over and over, each spike at its own time (off the grid).
class MasquelierPatternSource final : public Population {
  public:
    MasquelierPatternSource(std::string name, std::uint32_t size,
                            const MasquelierPatternParams& params, const TimeGrid& grid,
                            std::uint64_t seed);

    std::string_view model_id() const override { return MasquelierPatternParams::id; }
    void advance(std::int64_t step) override;
    std::vector<PopulationAnnotation> annotations() const override;
    const MasquelierStretch& stretch() const { return stretch_; }
    void save_state(StateWriter& out) const override;  // the base state and the position
    void load_state(StateReader& in) override;

  private:
    MasquelierPatternParams params_;
    TimeGrid grid_;
    MasquelierStretch stretch_;
    std::uint64_t bin_ = 0;     // the next spike's bin within the stretch
    std::size_t next_ = 0;      // the next spike within the stretch
    std::uint64_t repeat_ = 0;  // how many times the stretch was played before
};

}  // namespace spikerate::sim
