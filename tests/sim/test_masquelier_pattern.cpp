// The masquelier_pattern source (sim/masquelier_pattern.hpp): the statistics of the generated
// stretch against the paper's description, its playback, its validation, and Masquelier et al.
// (2008) itself in short: one srm_masquelier neuron with nearest_restricted STDP finds the
// pattern.
//
// The statistical checks accept a statistic within n_sd standard errors of its expectation; the
// standard errors are measured on the sample itself where the process has no closed form (the
// spread of the afferents' rates under the rate walk).

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <catch2/catch.hpp>

#include "models/error.hpp"
#include "sim/io/scenario.hpp"
#include "sim/masquelier_pattern.hpp"
#include "sim/network.hpp"
#include "tests/sim/io/scenario_test_util.hpp"
#include "tests/statistical_tolerance.hpp"

namespace {

namespace sim = spikerate::sim;
using sim::MasquelierPatternParams;
using sim::MasquelierStretch;
using spikerate::testing::n_sd;

// Every afferent's spike times [ms] within the stretch.
std::vector<std::vector<double>> pattern_trains(const MasquelierStretch& s, std::uint32_t size) {
    std::vector<std::vector<double>> out(size);
    for (std::uint64_t b = 0; b + 1 < s.bin_begin.size(); ++b) {
        for (std::uint64_t k = s.bin_begin[b]; k < s.bin_begin[b + 1]; ++k) {
            out[MasquelierStretch::afferent(s.spikes[k])].push_back(s.time_ms(k, b));
        }
    }
    return out;
}

double pattern_mean(const std::vector<double>& x) {
    return std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(x.size());
}
double pattern_sd(const std::vector<double>& x) {
    const double m = pattern_mean(x);
    double ss = 0.0;
    for (const double v : x) ss += (v - m) * (v - m);
    return std::sqrt(ss / static_cast<double>(x.size() - 1));
}

// The rate walk alone: no pattern, no spontaneous spikes.
MasquelierPatternParams pattern_walk_only() {
    MasquelierPatternParams p{};
    p.pattern_fraction = 0.0;
    p.spontaneous_rate_hz = 0.0;
    p.stretch_ms = 20000.0;
    return p;
}

}  // namespace

TEST_CASE(
    "masquelier_pattern: spikes stay in their 1 ms bins, at most one per bin, and a "
    "silence never outlasts max_silence",
    "[masquelier][unit]") {
    const MasquelierPatternParams p = pattern_walk_only();
    const std::uint32_t size = 100;
    const auto s = sim::generate_masquelier_stretch(p, size, 3, "in");
    for (const auto& train : pattern_trains(s, size)) {
        REQUIRE(std::is_sorted(train.begin(), train.end()));
        for (std::size_t k = 1; k < train.size(); ++k) {
            // One Bernoulli trial (or a forced spike) per 1 ms bin: never two in a bin.
            REQUIRE(std::floor(train[k]) > std::floor(train[k - 1]));
            // Forced after 50 bins without a spike: gaps below 51 ms.
            REQUIRE(train[k] - train[k - 1] < p.max_silence_ms + 1.0);
        }
        REQUIRE(train.front() < p.max_silence_ms);
    }
}

TEST_CASE(
    "masquelier_pattern: the first forced spikes are spread uniformly over the first "
    "max_silence ms, not fired together",
    "[masquelier][unit]") {
    // Silent afferents (no walk spikes, no spontaneous ones): every spike is forced. The
    // authors' code counts the first silence from a virtual spike at -U(0, 1) x max_silence, so
    // each afferent's first spike falls in a bin uniform over the first max_silence bins; then
    // one every max_silence bins. Counting from t = 0 instead would put all of them in bin 49.
    MasquelierPatternParams p = pattern_walk_only();
    p.rate_max_hz = 1e-12;  // no walk spikes (expected 2e-12 in the whole stretch)
    p.speed_max_hz_per_s = 0.0;
    p.speed_step_hz_per_s = 0.0;
    p.stretch_ms = 1000.0;
    const std::uint32_t size = 2000;
    const auto bins = static_cast<std::size_t>(p.max_silence_ms);
    std::vector<double> first_bins(bins, 0.0);
    for (const auto& train :
         pattern_trains(sim::generate_masquelier_stretch(p, size, 11, "in"), size)) {
        REQUIRE(!train.empty());
        const auto first = static_cast<std::size_t>(std::floor(train.front()));
        REQUIRE(first < bins);
        first_bins[first] += 1.0;
        for (std::size_t k = 1; k < train.size(); ++k) {
            REQUIRE(std::floor(train[k]) - std::floor(train[k - 1]) == p.max_silence_ms);
        }
    }
    // Pearson's chi-square against the uniform over the bins: mean bins - 1, SD sqrt(2 (bins -
    // 1)).
    const double expected = static_cast<double>(size) / static_cast<double>(bins);
    double chi2 = 0.0;
    for (const double c : first_bins) chi2 += (c - expected) * (c - expected) / expected;
    const double dof = static_cast<double>(bins - 1);
    CAPTURE(first_bins, chi2);
    CHECK(chi2 <= dof + n_sd * std::sqrt(2.0 * dof));
}

TEST_CASE(
    "masquelier_pattern: rates start uniform in [0, rate_max], the walk and the forced "
    "spikes make the paper's 54 Hz, with spontaneous spikes 64 Hz",
    "[masquelier][unit]") {
    MasquelierPatternParams p = pattern_walk_only();
    const std::uint32_t size = 200;
    const double seconds = p.stretch_ms * 1e-3;
    {
        // A frozen walk (no speed) and no forced spikes: each afferent keeps its r_0 ~ U[0, 90]
        // Hz, so its count is binomial with p = r_0 x 1 ms.
        MasquelierPatternParams frozen = p;
        frozen.speed_max_hz_per_s = 0.0;
        frozen.speed_step_hz_per_s = 0.0;
        frozen.max_silence_ms = 0.0;
        const auto trains =
            pattern_trains(sim::generate_masquelier_stretch(frozen, size, 5, "in"), size);
        std::vector<double> rates;
        for (const auto& t : trains) rates.push_back(static_cast<double>(t.size()) / seconds);
        const double bernoulli_sd = std::sqrt(p.stretch_ms * 0.09 * 0.91) / seconds;  // [Hz]
        CHECK(*std::max_element(rates.begin(), rates.end()) <= 90.0 + n_sd * bernoulli_sd);
        // U[0, 90]: mean 45 Hz, SD 90 / sqrt(12) = 26 Hz (plus the binomial spread).
        const double se = std::sqrt(90.0 * 90.0 / 12.0 + bernoulli_sd * bernoulli_sd) /
                          std::sqrt(static_cast<double>(size));
        CHECK(std::abs(pattern_mean(rates) - 45.0) <= n_sd * se);
        CHECK(pattern_sd(rates) == Approx(90.0 / std::sqrt(12.0)).epsilon(0.25));
    }
    // The paper: "the average firing rate was 54 Hz" (the walk with the forced spikes), 64 Hz
    // with 10 Hz spontaneous: within the paper's rounding (0.5 Hz) and n_sd standard errors of
    // the mean over afferents.
    p.spontaneous_rate_hz = GENERATE(0.0, 10.0);
    const auto trains = pattern_trains(sim::generate_masquelier_stretch(p, size, 7, "in"), size);
    std::vector<double> rates;
    for (const auto& t : trains) rates.push_back(static_cast<double>(t.size()) / seconds);
    const double expected = 54.0 + p.spontaneous_rate_hz;
    const double se = pattern_sd(rates) / std::sqrt(static_cast<double>(size));
    CAPTURE(p.spontaneous_rate_hz, pattern_mean(rates), se);
    CHECK(std::abs(pattern_mean(rates) - expected) <= 0.5 + n_sd * se);
    CHECK(*std::min_element(rates.begin(), rates.end()) >= 1000.0 / (p.max_silence_ms + 1.0));
}

TEST_CASE("masquelier_pattern: spontaneous spikes alone are Poisson at spontaneous_rate",
          "[masquelier][unit]") {
    MasquelierPatternParams p = pattern_walk_only();
    p.rate_max_hz = 1e-12;  // no walk spikes (expected 2e-11 in the whole stretch)
    p.max_silence_ms = 0.0;
    p.spontaneous_rate_hz = 10.0;
    const std::uint32_t size = 200;
    const auto trains = pattern_trains(sim::generate_masquelier_stretch(p, size, 9, "in"), size);
    double count = 0.0;
    std::vector<double> intervals;
    for (const auto& t : trains) {
        count += static_cast<double>(t.size());
        for (std::size_t k = 1; k < t.size(); ++k) intervals.push_back(t[k] - t[k - 1]);
    }
    const double expected = size * p.stretch_ms * 1e-3 * p.spontaneous_rate_hz;
    CHECK(std::abs(count - expected) <= n_sd * std::sqrt(expected));  // Poisson count
    // Exponential intervals: mean 100 ms and SD = mean (CV 1).
    const double mean = pattern_mean(intervals);
    const double n = static_cast<double>(intervals.size());
    CHECK(std::abs(mean - 100.0) <= n_sd * 100.0 / std::sqrt(n));
    CHECK(std::abs(pattern_sd(intervals) / mean - 1.0) <= n_sd * std::sqrt(2.0 / n) + 0.01);
}

TEST_CASE(
    "masquelier_pattern: a quarter of the sections hold the pattern, never two in a row "
    "nor section 0, spread over the stretch, and the first of them is the pattern",
    "[masquelier][unit]") {
    MasquelierPatternParams p{};
    p.stretch_ms = 150000.0;
    const std::uint64_t seed = GENERATE(1, 2, 3);
    // The sections are drawn before any afferent: one afferent shows them.
    const auto s = sim::generate_masquelier_stretch(p, 1, seed, "in");
    const std::uint64_t n = p.sections();
    REQUIRE(n == 3000);
    REQUIRE(s.onsets_ms.size() == 750);
    std::vector<double> sections;
    for (std::size_t k = 0; k < s.onsets_ms.size(); ++k) {
        const double section = s.onsets_ms[k] / p.pattern_duration_ms;
        REQUIRE(section == std::floor(section));
        REQUIRE(section >= 1.0);
        REQUIRE(section <= static_cast<double>(n - 1));
        if (k > 0) REQUIRE(section - sections.back() >= 2.0);
        sections.push_back(section);
    }
    // The pattern is the first of them, as in the authors' code.
    REQUIRE(static_cast<double>(s.pattern_section) == sections.front());
    // Uniform placement: the mean section near n / 2 (the sections of a uniform non-adjacent
    // set are exchangeable; SE below that of independent uniform draws, n / sqrt(12 k)).
    CHECK(std::abs(pattern_mean(sections) - n / 2.0) <= n_sd * n / std::sqrt(12.0 * 750.0));
}

TEST_CASE(
    "masquelier_pattern: every pasted copy is the pattern with Gaussian jitter of SD "
    "jitter_ms, on the pattern afferents only",
    "[masquelier][unit]") {
    // Forced spikes alone (no walk spikes, no spontaneous ones): each afferent fires once per
    // 50 ms, in the same bin of each section (its first spike's, in section 0, never pasted),
    // so each copy holds exactly one spike of each pattern afferent, near onset + that bin +
    // 0.5 ms: it can be matched without ambiguity.
    MasquelierPatternParams p{};
    p.rate_max_hz = 1e-12;
    p.spontaneous_rate_hz = 0.0;
    p.stretch_ms = 10000.0;
    p.jitter_ms = 1.0;
    p.pattern_afferents = 60;
    const std::uint32_t size = 80;
    const auto s = sim::generate_masquelier_stretch(p, size, 11, "in");
    const auto trains = pattern_trains(s, size);
    const std::size_t copies = s.onsets_ms.size();
    REQUIRE(copies == 50);
    std::vector<double> residuals;  // each copy's spike minus the afferent's mean over copies
    for (std::uint32_t i = 0; i < size; ++i) {
        REQUIRE(!trains[i].empty());
        const double phase = std::floor(trains[i].front());  // [ms] its bin in every section
        REQUIRE(phase < p.max_silence_ms);
        std::vector<double> offsets;  // spike - onset, one per copy
        for (const double onset : s.onsets_ms) {
            std::vector<double> near;
            for (const double t : trains[i]) {
                // Jitter may have moved the last section's spikes around the stretch's end.
                const double d = std::remainder(t - (onset + phase + 0.5), p.stretch_ms);
                if (std::abs(d) < 8.0) near.push_back(phase + 0.5 + d);
            }
            CAPTURE(i, onset);
            REQUIRE(near.size() == 1);
            offsets.push_back(near[0]);
        }
        const double m = pattern_mean(offsets);
        if (i >= p.pattern_afferents) {
            // Not in the pattern: its own forced spikes, in its bin of the section, unjittered.
            for (const double o : offsets) REQUIRE((o >= phase && o < phase + 1.0));
            continue;
        }
        for (const double o : offsets) residuals.push_back(o - m);
    }
    // Residuals of `copies` jittered copies about their mean: variance jitter^2 (c - 1) / c.
    const double n = static_cast<double>(residuals.size());
    double ss = 0.0;
    for (const double r : residuals) ss += r * r;
    const double c = static_cast<double>(copies);
    const double sd = std::sqrt(ss / n * c / (c - 1.0));
    // The SE of an SD estimate from n normal values is about sd / sqrt(2 n) (here with
    // n (c - 1) / c degrees of freedom).
    CHECK(std::abs(sd - p.jitter_ms) <= n_sd * p.jitter_ms / std::sqrt(2.0 * n * (c - 1) / c));
}

TEST_CASE(
    "masquelier_pattern: the stretch depends on the seed and the name only, and plays "
    "again and again",
    "[masquelier][unit]") {
    MasquelierPatternParams p{};
    p.stretch_ms = 1000.0;
    p.pattern_afferents = 10;
    const std::uint32_t size = 20;
    const auto a = sim::generate_masquelier_stretch(p, size, 4, "in");
    const auto b = sim::generate_masquelier_stretch(p, size, 4, "in");
    const auto c = sim::generate_masquelier_stretch(p, size, 5, "in");
    const auto d = sim::generate_masquelier_stretch(p, size, 4, "other");
    CHECK(a.spikes == b.spikes);
    CHECK(a.onsets_ms == b.onsets_ms);
    CHECK(a.spikes != c.spikes);
    CHECK(a.spikes != d.spikes);

    // Played through the engine: the stretch at its exact times, then the same again.
    sim::NetworkSpec spec{.dt_ms = 0.1, .seed = 4};
    spec.populations = {{.name = "in", .size = size, .model = p}};
    sim::Network net(spec);
    std::vector<std::pair<double, std::uint32_t>> played;
    net.run(2.0 * p.stretch_ms, [&](const sim::Network& n) {
        for (const auto& spike : n.population("in").spikes()) {
            played.emplace_back(n.grid().time(spike.time), spike.node);
        }
    });
    const auto trains = pattern_trains(a, size);
    std::size_t total = 0;
    for (const auto& t : trains) total += t.size();
    REQUIRE(played.size() == 2 * total);
    for (std::uint32_t i = 0; i < size; ++i) {
        std::vector<double> times;
        for (const auto& [t, node] : played) {
            if (node == i) times.push_back(t);
        }
        REQUIRE(times.size() == 2 * trains[i].size());
        for (std::size_t k = 0; k < trains[i].size(); ++k) {
            REQUIRE(times[k] == Approx(trains[i][k]).margin(1e-9));
            REQUIRE(times[k + trains[i].size()] ==
                    Approx(trains[i][k] + p.stretch_ms).margin(1e-9));
        }
    }
    // What the output keeps: onsets, afferents, durations.
    const auto notes = net.population("in").annotations();
    REQUIRE(notes.size() == 4);
    CHECK(notes[0].name == "pattern_onsets");
    CHECK(std::get<std::vector<double>>(notes[0].values) == a.onsets_ms);
    CHECK(std::get<std::vector<std::uint64_t>>(notes[1].values).size() == 10);
    CHECK(std::get<std::vector<double>>(notes[3].values) == std::vector<double>{1000.0});
}

TEST_CASE("masquelier_pattern: bad parameters fail at their file, line and key",
          "[masquelier][scenario][unit]") {
    const auto scenario = [](const std::string& extra, int afferents = 10) {
        return "[run]\ndt_ms = 0.1\nduration_ms = 10.0\n[populations.in]\n"
               "model = \"masquelier_pattern\"\nsize = 20\npattern_afferents = " +
               std::to_string(afferents) + "\n" + extra;
    };
    using Catch::Matchers::Contains;
    CHECK_THAT(
        scenario_test::error_of(scenario("spontaneous_rate_Hz = -1.0\n")),
        Contains("bad.toml:8: populations.in.spontaneous_rate_Hz") && Contains("must be >= 0"));
    CHECK_THAT(scenario_test::error_of(scenario("pattern_duration_ms = 50.0\nstretch_ms = 40.0\n")),
               Contains("bad.toml:9: populations.in.stretch_ms") &&
                   Contains("whole number (at least 2) of pattern_duration"));
    CHECK_THAT(scenario_test::error_of(scenario("pattern_fraction = 0.6\n")),
               Contains("bad.toml:8: populations.in.pattern_fraction"));
    CHECK_THAT(scenario_test::error_of(scenario("rate_max_Hz = -90.0\n")),
               Contains("bad.toml:8: populations.in.rate_max_Hz") && Contains("must be > 0"));
    CHECK_THAT(scenario_test::error_of(scenario("jitter_ms = -1.0\n")),
               Contains("bad.toml:8: populations.in.jitter_ms"));
    CHECK_THAT(
        scenario_test::error_of(scenario("", 30)),
        Contains("bad.toml:7: populations.in.pattern_afferents") && Contains("[1, size = 20]"));
}

TEST_CASE("masquelier 2008: one neuron with STDP finds the pattern within 30 s",
          "[masquelier][integration][slow]") {
    // The shipped scenario, shortened: a 15 s stretch played twice (the pattern appears every
    // 200 ms on average, as in the paper). With seed 2 the neuron fires in the pattern alone
    // from 15 s on, and its latency is 6.3 ms in the last 10 s, which are held to the paper's
    // criterion. (Seeds 2-5 all pass in 30 s; seeds 1 and 6 find the pattern too, but at 30 s
    // they still fire 24-39 ms into it: their latency shortens later.)
    const auto file =
        std::filesystem::path(__FILE__).parent_path() / "../../data/scenarios/masquelier_2008.toml";
    const auto scenario = spikerate::sim::io::load_scenario(
        file,
        {"run.duration_ms=30000.0", "populations.afferents.stretch_ms=15000.0", "run.seed=2"});
    sim::Network net(scenario.network);
    std::vector<double> spikes;
    net.run(30000.0, [&](const sim::Network& n) {
        for (const auto& s : n.population("neuron").spikes())
            spikes.push_back(n.grid().time(s.time));
    });
    const auto& source =
        dynamic_cast<const sim::MasquelierPatternSource&>(net.population("afferents"));
    std::vector<double> onsets = source.stretch().onsets_ms;
    for (const double t : source.stretch().onsets_ms) onsets.push_back(t + 15000.0);
    const double duration = 50.0;
    const double from = 20000.0;
    std::size_t hits = 0, presentations = 0, alarms = 0;
    std::vector<double> latencies;
    for (const double t : spikes) {
        if (t < from) continue;
        const auto it = std::upper_bound(onsets.begin(), onsets.end(), t);
        if (it == onsets.begin() || t - *(it - 1) >= duration) {
            ++alarms;
        } else {
            latencies.push_back(t - *(it - 1));
        }
    }
    for (const double onset : onsets) {
        if (onset < from || onset + duration > 30000.0) continue;
        ++presentations;
        hits += std::any_of(spikes.begin(), spikes.end(),
                            [&](double t) { return t >= onset && t < onset + duration; });
    }
    CAPTURE(spikes.size(), hits, presentations, alarms);
    REQUIRE(presentations > 30);
    CHECK(alarms == 0);
    CHECK(static_cast<double>(hits) / static_cast<double>(presentations) > 0.9);
    REQUIRE(!latencies.empty());
    CHECK(pattern_mean(latencies) < 10.0);
    // Fully potentiated synapses come from pattern afferents only.
    const auto w = net.projection("afferents_neuron").weights();
    std::size_t strong = 0, strong_in_pattern = 0;
    for (std::uint32_t i = 0; i < w.size(); ++i) {
        if (w[i] > 0.95) {
            ++strong;
            strong_in_pattern += i < 1000;
        }
    }
    CHECK(strong > 100);
    CHECK(strong_in_pattern == strong);
}
