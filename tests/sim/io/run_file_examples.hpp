#pragma once

// The example run file of the run-file tests (test_run_file_writer.cpp,
// test_run_file_reader.cpp): what write_example writes and check_example expects back, with
// the inputs and layouts they share, and a temporary directory to write into.

#include <unistd.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include <catch2/catch.hpp>

#include "models/error.hpp"
#include "sim/io/run_file.hpp"
#include "sim/io/run_file_reader.hpp"
#include "sim/io/run_file_writer.hpp"

namespace spikerate::testing {

// A fresh directory under the system temporary directory, removed with its contents.
class TempDir {
  public:
    TempDir() {
        static int counter = 0;
        path_ = std::filesystem::temp_directory_path() /
                ("spikerate-test-run-file-" + std::to_string(::getpid()) + "-" +
                 std::to_string(counter++));
        std::filesystem::remove_all(path_);
        std::filesystem::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        // A test may have left a read-only subdirectory.
        for (auto it = std::filesystem::recursive_directory_iterator(path_, ec);
             !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
            if (it->is_directory(ec)) {
                std::filesystem::permissions(it->path(), std::filesystem::perms::owner_all,
                                             std::filesystem::perm_options::add, ec);
            }
        }
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

  private:
    std::filesystem::path path_;
};

inline sim::io::RunAttributes test_attributes(std::uint64_t seed = 42) {
    return {.spikerate_version = "0.1.0-test",
            .seed = seed,
            .scenario = "# scenario\n[network]\nname = \"test\"  # µs, UTF-8\n",
            .dt_ms = 0.1};
}

// Deterministic spikes: sorted by time, ties by node id.
inline void make_spikes(std::size_t n, std::vector<double>& times,
                        std::vector<std::uint64_t>& ids) {
    times.resize(n);
    ids.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        times[i] = 0.1 * static_cast<double>(i / 2);  // pairs share a time step
        ids[i] = (i % 2 == 0) ? (i / 2) % 97 : (i / 2) % 97 + 100;
    }
}

inline sim::io::ReportLayout weight_layout() {
    // Three postsynaptic nodes; node 1 has no synapses.
    return {.name = "input_to_exc",
            .units = "nS",
            .node_ids = {0, 1, 2},
            .index_pointers = {0, 2, 2, 5},
            .element_ids = {0, 1, 2, 3, 4},
            .time_start = 0.0,
            .time_step = 100.0,
            .extra_element_mapping = {{"source_node_ids", {4, 7, 1, 2, 3}}}};
}

inline sim::io::ReportLayout state_layout() {
    return {.name = "exc_v",
            .units = "mV",
            .node_ids = {0, 1, 2, 3},
            .index_pointers = {0, 1, 2, 3, 4},
            .element_ids = {0, 0, 0, 0},
            .time_start = 0.5,
            .time_step = 0.1};
}

inline float frame_value(std::size_t frame, std::size_t element) {
    return static_cast<float>(frame) * 10.0F + static_cast<float>(element) + 0.5F;
}

inline std::vector<float> frames_block(std::size_t first, std::size_t n, std::size_t elements) {
    std::vector<float> values;
    for (std::size_t f = first; f < first + n; ++f) {
        for (std::size_t e = 0; e < elements; ++e) values.push_back(frame_value(f, e));
    }
    return values;
}

inline constexpr std::size_t n_spikes = 150'000;  // more than two chunks of 64 Ki
inline constexpr std::size_t n_weight_frames = 6;
inline constexpr std::size_t n_state_frames = 300;

// Writes the round-trip example into `writer` (shared by several tests).
inline void write_example(sim::io::RunFileWriter& writer) {
    std::vector<double> times;
    std::vector<std::uint64_t> ids;
    make_spikes(n_spikes, times, ids);
    writer.add_spike_population("exc");
    writer.add_spike_population("empty");
    // Appends of several sizes, including empty ones and ones crossing chunk boundaries.
    const std::array<std::size_t, 7> sizes{0, 1, 999, 0, 70'000, 9'000, 70'000};
    std::size_t at = 0;
    for (const std::size_t n : sizes) {
        writer.append_spikes("exc", std::span(times).subspan(at, n), std::span(ids).subspan(at, n));
        at += n;
    }
    REQUIRE(at == n_spikes);
    writer.append_spikes("empty", {}, {});

    const std::size_t weights = writer.add_report(weight_layout());
    const std::size_t state = writer.add_report(state_layout());
    // Weights: one frame, a block of three, one, an empty append, one.
    std::size_t frame = 0;
    for (const std::size_t n : {1, 3, 1, 0, 1}) {
        writer.append_frames(weights, frames_block(frame, n, 5), n);
        frame += n;
    }
    REQUIRE(frame == n_weight_frames);
    // State: frame by frame, then a block.
    for (frame = 0; frame < 100; ++frame) writer.append_frames(state, frames_block(frame, 1, 4), 1);
    writer.append_frames(state, frames_block(100, n_state_frames - 100, 4), n_state_frames - 100);

    writer.write_metric("accuracy", 0.5, "1");
    writer.write_metric("accuracy", 0.93, "1");  // written again: replaced
    writer.write_metric("train/loss", 0.25, "");
    writer.write_metric("energy/estimate/total", 1.5e-3, "J");
    writer.write_count("operations/synaptic_events", 123'456'789'012ULL);
}

// Reads the fixed example back and checks everything against what write_example wrote.
inline void check_example(const sim::io::RunFileReader& reader) {
    const sim::io::RunAttributes a = reader.attributes();
    const sim::io::RunAttributes expected = test_attributes();
    CHECK(a.spikerate_version == expected.spikerate_version);
    CHECK(a.seed == expected.seed);
    CHECK(a.scenario == expected.scenario);
    CHECK(a.dt_ms == expected.dt_ms);
    CHECK(reader.format_version() == sim::io::format_version);

    CHECK(reader.spike_populations() == std::vector<std::string>{"empty", "exc"});
    std::vector<double> times;
    std::vector<std::uint64_t> ids;
    make_spikes(n_spikes, times, ids);
    const sim::io::SpikesRead exc = reader.spikes("exc");
    CHECK(exc.sorting == "by_time");
    CHECK(exc.timestamps_ms == times);
    CHECK(exc.node_ids == ids);
    const sim::io::SpikesRead empty = reader.spikes("empty");
    CHECK(empty.timestamps_ms.empty());
    CHECK(empty.node_ids.empty());
    CHECK(empty.sorting == "by_time");

    CHECK(reader.reports() == std::vector<std::string>{"exc_v", "input_to_exc"});
    const sim::io::ReportRead w = reader.report("input_to_exc");
    const sim::io::ReportLayout wl = weight_layout();
    CHECK(w.layout.name == wl.name);
    CHECK(w.layout.units == "nS");
    CHECK(w.layout.node_ids == wl.node_ids);
    CHECK(w.layout.index_pointers == wl.index_pointers);
    CHECK(w.layout.element_ids == wl.element_ids);
    CHECK(w.layout.extra_element_mapping == wl.extra_element_mapping);
    CHECK(w.layout.time_start == 0.0);
    CHECK(w.layout.time_step == 100.0);
    CHECK(w.layout.time_units == "ms");
    CHECK(w.n_frames == n_weight_frames);
    CHECK(w.time_stop == 600.0);  // start + frames * step (exclusive)
    CHECK(w.data == frames_block(0, n_weight_frames, 5));

    const sim::io::ReportRead s = reader.report("exc_v");
    const sim::io::ReportLayout sl = state_layout();
    CHECK(s.layout.units == "mV");
    CHECK(s.layout.node_ids == sl.node_ids);
    CHECK(s.layout.index_pointers == sl.index_pointers);
    CHECK(s.layout.element_ids == sl.element_ids);
    CHECK(s.layout.extra_element_mapping.empty());
    CHECK(s.layout.time_start == 0.5);
    CHECK(s.layout.time_step == 0.1);
    CHECK(s.n_frames == n_state_frames);
    CHECK(s.time_stop == 0.5 + static_cast<double>(n_state_frames) * 0.1);
    CHECK(s.data == frames_block(0, n_state_frames, 4));

    CHECK(reader.metric("accuracy") == 0.93);
    CHECK(reader.metric_units("accuracy") == "1");
    CHECK(reader.metric("train/loss") == 0.25);
    CHECK(reader.metric_units("train/loss").empty());
    CHECK(reader.metric("energy/estimate/total") == 1.5e-3);
    CHECK(reader.metric_units("energy/estimate/total") == "J");
    CHECK(reader.metric("operations/synaptic_events") == 123'456'789'012.0);
    CHECK(reader.metric_units("operations/synaptic_events").empty());
    CHECK_THROWS_AS(reader.metric("no/such/metric"), IoError);
    CHECK_THROWS_AS(reader.spikes("inh"), IoError);
    CHECK_THROWS_AS(reader.report("nothing"), IoError);
}

}  // namespace spikerate::testing
