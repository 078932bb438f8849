// RunFileWriter resuming a stopped run's .partial file: every growing dataset is cut back to
// the extents taken at a checkpoint, what was created after it is removed, appends continue
// where the checkpoint left off, and a file that does not fit, is complete or is locked by a
// live writer is refused.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "sim/io/run_file_reader.hpp"
#include "sim/io/run_file_writer.hpp"
#include "tests/sim/io/run_file_examples.hpp"

namespace fs = std::filesystem;
using namespace spikerate::sim::io;
using spikerate::IoError;
using spikerate::testing::frame_value;
using spikerate::testing::frames_block;
using spikerate::testing::state_layout;
using spikerate::testing::TempDir;
using spikerate::testing::test_attributes;
using spikerate::testing::weight_layout;

namespace {

std::vector<double> times_from(std::size_t first, std::size_t n) {
    std::vector<double> t(n);
    for (std::size_t i = 0; i < n; ++i) t[i] = 0.1 * static_cast<double>(first + i);
    return t;
}
std::vector<std::uint64_t> nodes_from(std::size_t first, std::size_t n) {
    std::vector<std::uint64_t> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = (first + i) % 97;
    return v;
}

// The first part of a run: what a checkpoint covers.
void write_before(RunFileWriter& w) {
    w.add_spike_population("exc");
    w.add_spike_population("quiet");
    w.append_spikes("exc", times_from(0, 1000), nodes_from(0, 1000));
    w.append_spikes("quiet", times_from(0, 10), nodes_from(0, 10));
    const auto weights = w.add_report(weight_layout());
    const auto states = w.add_report(state_layout());
    const auto we = weight_layout().element_ids.size();
    const auto se = state_layout().element_ids.size();
    w.append_frames(weights, frames_block(0, 3, we), 3);
    w.append_frames(states, frames_block(0, 20, se), 20);
    const std::vector<double> curve{0.1, 0.2};
    w.append_series("rate/mlp/curve/test_accuracy", curve, "1");
    w.write_metric("rate/mlp/epochs", 0.5, "");
}

// What the run wrote after the checkpoint, before it was killed: more of everything, and
// datasets the checkpoint does not know.
void write_after_checkpoint(RunFileWriter& w) {
    w.append_spikes("exc", times_from(1000, 500), nodes_from(1000, 500));
    w.append_spikes("quiet", times_from(10, 5), nodes_from(10, 5));
    w.append_frames(1, frames_block(20, 7, state_layout().element_ids.size()), 7);
    const std::vector<double> more{0.3};
    w.append_series("rate/mlp/curve/test_accuracy", more, "1");
    w.append_series("rate/mlp/curve/late_series", more, "");
    w.add_spike_population("late");
    auto late = weight_layout();
    late.name = "late_report";
    w.add_report(late);
}

}  // namespace

TEST_CASE("run file resume: cut back to a checkpoint's extents, then appended to",
          "[run_file][integration]") {
    TempDir dir;
    const fs::path out = dir / "run.h5";
    RunFileWriter::Extents extents;
    {
        RunFileWriter w(out, false, test_attributes());
        write_before(w);
        w.flush();
        extents = w.extents();
        write_after_checkpoint(w);
        w.flush();
    }  // closed without finish: the .partial stays, as after a kill at the last flush
    REQUIRE(extents.spikes.size() == 2);
    REQUIRE(extents.reports.size() == 2);
    CHECK(extents.reports[1].frames == 20);

    {
        RunFileWriter w(out, false, extents, RunFileWriter::Resume{});
        {
            const RunFileReader r(w.partial_path());
            CHECK(r.spikes("exc").timestamps_ms == times_from(0, 1000));
            // No spikes after the checkpoint for "quiet": only the cut takes its tail off.
            CHECK(r.spikes("quiet").timestamps_ms == times_from(0, 10));
            CHECK(r.spike_populations() == std::vector<std::string>{"exc", "quiet"});
            CHECK(r.reports().size() == 2);
            CHECK(r.report(state_layout().name).n_frames == 20);
            CHECK(r.report(state_layout().name).time_stop ==
                  Approx(state_layout().time_start + 20 * state_layout().time_step));
            CHECK(r.metric_series("rate/mlp/curve/test_accuracy") == std::vector<double>{0.1, 0.2});
            CHECK_THROWS(r.metric_series("rate/mlp/curve/late_series"));
        }
        // The run goes on as the uninterrupted one would have.
        w.append_spikes("exc", times_from(1000, 200), nodes_from(1000, 200));
        w.append_frames(1, frames_block(20, 4, state_layout().element_ids.size()), 4);
        const std::vector<double> more{0.3};
        w.append_series("rate/mlp/curve/test_accuracy", more, "1");
        w.add_spike_population("late");  // created again, after the checkpoint
        w.finish();
    }
    const RunFileReader r(out);
    CHECK(r.complete());
    CHECK(r.spikes("exc").timestamps_ms == times_from(0, 1200));
    CHECK(r.spikes("exc").node_ids == nodes_from(0, 1200));
    CHECK(r.spikes("exc").sorting == "by_time");
    const auto states = r.report(state_layout().name);
    REQUIRE(states.n_frames == 24);
    const auto se = state_layout().element_ids.size();
    CHECK(states.data[23 * se + 1] == frame_value(23, 1));
    CHECK(r.report(weight_layout().name).n_frames == 3);
    CHECK(r.metric_series("rate/mlp/curve/test_accuracy") == std::vector<double>{0.1, 0.2, 0.3});
    CHECK(r.metric("rate/mlp/epochs") == 0.5);
}

TEST_CASE("run file resume: a file that does not fit, a complete one, a live one are refused",
          "[run_file][integration]") {
    TempDir dir;
    const fs::path out = dir / "run.h5";
    RunFileWriter::Extents extents;
    {
        RunFileWriter w(out, false, test_attributes());
        write_before(w);
        w.flush();
        extents = w.extents();
    }
    SECTION("more rows in the checkpoint than in the file") {
        auto wrong = extents;
        wrong.spikes[0].size = 5000;
        CHECK_THROWS_WITH(RunFileWriter(out, false, wrong, RunFileWriter::Resume{}),
                          Catch::Contains("holds 1000 rows, the checkpoint 5000"));
    }
    SECTION("a report the file does not have") {
        auto wrong = extents;
        wrong.reports[0].report = "nope";
        CHECK_THROWS_AS(RunFileWriter(out, false, wrong, RunFileWriter::Resume{}), IoError);
    }
    SECTION("no .partial file") {
        CHECK_THROWS_AS(RunFileWriter(dir / "other.h5", false, extents, RunFileWriter::Resume{}),
                        IoError);
    }
    SECTION("a live writer holds it") {
        int ready[2];
        REQUIRE(::pipe(ready) == 0);
        const pid_t child = ::fork();
        REQUIRE(child >= 0);
        if (child == 0) {
            try {
                RunFileWriter w(out, false, extents, RunFileWriter::Resume{});
                char c = 1;
                (void)::write(ready[1], &c, 1);
                ::pause();
            } catch (...) {
                ::_exit(1);
            }
            ::_exit(0);
        }
        char c = 0;
        REQUIRE(::read(ready[0], &c, 1) == 1);
        CHECK_THROWS_WITH(RunFileWriter(out, false, extents, RunFileWriter::Resume{}),
                          Catch::Contains("another spikerate run is writing"));
        ::kill(child, SIGKILL);
        ::waitpid(child, nullptr, 0);
        ::close(ready[0]);
        ::close(ready[1]);
    }
    SECTION("a complete run") {
        {
            RunFileWriter w(out, false, extents, RunFileWriter::Resume{});
            w.finish();
        }
        fs::rename(out, dir / "run.h5.partial");  // a complete file under the .partial name
        CHECK_THROWS_WITH(RunFileWriter(out, false, extents, RunFileWriter::Resume{}),
                          Catch::Contains("complete"));
    }
}
