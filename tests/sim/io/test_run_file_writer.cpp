// RunFileWriter: the life of a run file (.partial, finish, overwrite, refusals), invalid input,
// crash safety across processes and deterministic bytes. Reading back uses RunFileReader; the
// format on disk and the reader's own checks are in test_run_file_reader.cpp.
#include "sim/io/run_file_writer.hpp"

#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "sim/io/run_file_reader.hpp"
#include "tests/sim/io/run_file_examples.hpp"

namespace fs = std::filesystem;
using namespace spikerate::sim::io;
using namespace spikerate::testing;

namespace {

std::string file_bytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs `body` in a child process (fork) and returns the child's pid. The child never returns
// into Catch2: it ends with _exit (0 on success, 1 if body threw).
template <class Body>
pid_t run_in_child(Body body) {
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        int code = 0;
        try {
            body();
        } catch (const std::exception& e) {
            std::fprintf(stderr, "child: %s\n", e.what());
            code = 1;
        } catch (...) {
            code = 1;
        }
        ::_exit(code);
    }
    return pid;
}

void write_byte(int fd, char c) { REQUIRE(::write(fd, &c, 1) == 1); }
char read_byte(int fd) {
    char c = 0;
    REQUIRE(::read(fd, &c, 1) == 1);
    return c;
}

}  // namespace

TEST_CASE("run file: .partial while writing, renamed by finish", "[hdf5][integration]") {
    TempDir dir;
    const fs::path path = dir / "run.h5";
    const fs::path partial = dir / "run.h5.partial";
    RunFileWriter writer(path, false, test_attributes());
    CHECK(fs::exists(partial));
    CHECK_FALSE(fs::exists(path));
    writer.add_spike_population("exc");
    const std::vector<double> t{1.0, 2.0};
    const std::vector<std::uint64_t> id{3, 4};
    writer.append_spikes("exc", t, id);
    writer.flush();
    {
        // Opened in the same process, HDF5 shares the writer's open file.
        const RunFileReader reader(partial);
        CHECK_FALSE(reader.complete());
        CHECK(reader.spikes("exc").node_ids == id);
    }
    writer.finish();
    CHECK(fs::exists(path));
    CHECK_FALSE(fs::exists(partial));
    const RunFileReader reader(path);
    CHECK(reader.complete());
    CHECK(reader.spikes("exc").timestamps_ms == t);
}

TEST_CASE("run file: a writer destroyed without finish leaves a readable .partial",
          "[hdf5][integration]") {
    TempDir dir;
    const fs::path path = dir / "run.h5";
    {
        RunFileWriter writer(path, false, test_attributes());
        write_example(writer);
    }
    CHECK_FALSE(fs::exists(path));
    const RunFileReader reader(dir / "run.h5.partial");
    CHECK_FALSE(reader.complete());
    check_example(reader);
}

TEST_CASE("run file: existing output is kept unless overwrite is requested",
          "[hdf5][integration]") {
    TempDir dir;
    const fs::path path = dir / "run.h5";
    {
        RunFileWriter first(path, false, test_attributes(1));
        first.finish();
    }
    CHECK_THROWS_WITH(
        RunFileWriter(path, false, test_attributes(2)),
        Catch::Contains(path.string()) && Catch::Contains("exists (overwrite not requested)"));
    CHECK_FALSE(fs::exists(dir / "run.h5.partial"));
    {
        RunFileWriter second(path, true, test_attributes(2));
        // The old result stays until the new run finishes.
        CHECK(RunFileReader(path).attributes().seed == 1);
        CHECK(RunFileReader(dir / "run.h5.partial").attributes().seed == 2);
        second.finish();
    }
    CHECK(RunFileReader(path).attributes().seed == 2);
    CHECK_FALSE(fs::exists(dir / "run.h5.partial"));

    // A .partial left by an interrupted run.
    const fs::path other = dir / "other.h5";
    { RunFileWriter interrupted(other, false, test_attributes(3)); }
    CHECK(fs::exists(dir / "other.h5.partial"));
    CHECK_THROWS_WITH(
        RunFileWriter(other, false, test_attributes(4)),
        Catch::Contains("other.h5.partial") && Catch::Contains("(overwrite not requested)"));
    CHECK(RunFileReader(dir / "other.h5.partial").attributes().seed == 3);  // untouched
    {
        RunFileWriter replacing(other, true, test_attributes(4));
        replacing.finish();
    }
    CHECK(RunFileReader(other).attributes().seed == 4);
}

TEST_CASE("run file: unwritable locations are refused with spikerate::IoError", "[hdf5][unit]") {
    TempDir dir;
    const fs::path missing = dir / "no-such-dir" / "run.h5";
    CHECK_THROWS_WITH(RunFileWriter(missing, false, test_attributes()),
                      Catch::Contains("run.h5.partial") && Catch::Contains("does not exist"));
    CHECK_THROWS_WITH(RunFileWriter(missing, true, test_attributes()),
                      Catch::Contains("does not exist"));
    CHECK_FALSE(fs::exists(dir / "no-such-dir"));

    if (::geteuid() == 0) {
        // root ignores directory permissions, so a read-only directory would be writable.
        WARN("running as root: the read-only directory check is skipped");
        return;
    }
    const fs::path readonly = dir / "readonly";
    fs::create_directory(readonly);
    fs::permissions(readonly, fs::perms::owner_read | fs::perms::owner_exec);
    CHECK_THROWS_WITH(RunFileWriter(readonly / "run.h5", false, test_attributes()),
                      Catch::Contains("readonly") && Catch::Contains("not writable"));
    fs::permissions(readonly, fs::perms::owner_all);
    CHECK(fs::is_empty(readonly));
}

TEST_CASE("run file: invalid input is refused, unsorted spikes are marked", "[hdf5][integration]") {
    TempDir dir;
    RunFileWriter writer(dir / "bad.h5", false, test_attributes());
    writer.add_spike_population("exc");
    CHECK_THROWS_AS(writer.add_spike_population("exc"), spikerate::IoError);
    CHECK_THROWS_AS(writer.add_spike_population("a/b"), spikerate::IoError);
    CHECK_THROWS_AS(writer.add_spike_population(""), spikerate::IoError);
    const std::vector<double> t{1.0, 2.0};
    const std::vector<std::uint64_t> id{0};
    CHECK_THROWS_AS(writer.append_spikes("exc", t, id), spikerate::IoError);  // sizes differ
    CHECK_THROWS_AS(writer.append_spikes("missing", {}, {}),
                    spikerate::IoError);  // no such population
    const std::vector<double> nan{std::numeric_limits<double>::quiet_NaN()};
    const std::vector<std::uint64_t> one{0};
    CHECK_THROWS_WITH(writer.append_spikes("exc", nan, one), Catch::Contains("not finite"));
    writer.add_spike_population("unsorted");
    const std::vector<double> later{5.0};
    const std::vector<double> ties{5.0, 5.0};
    const std::vector<double> earlier{4.0, 4.0};
    const std::vector<std::uint64_t> two{1, 0};
    writer.append_spikes("exc", later, one);
    writer.append_spikes("exc", ties, two);  // equal times, in any node order: still by_time
    writer.append_spikes("unsorted", later, one);
    writer.append_spikes("unsorted", earlier, two);  // out of time order across calls

    ReportLayout layout = weight_layout();
    layout.index_pointers = {0, 2, 5};  // one short
    CHECK_THROWS_WITH(writer.add_report(layout), Catch::Contains("index_pointers"));
    layout = weight_layout();
    layout.extra_element_mapping = {{"source_node_ids", {1, 2}}};
    CHECK_THROWS_AS(writer.add_report(layout), spikerate::IoError);
    layout = weight_layout();
    layout.time_step = 0.0;
    CHECK_THROWS_AS(writer.add_report(layout), spikerate::IoError);
    const std::size_t r = writer.add_report(weight_layout());
    CHECK_THROWS_AS(writer.add_report(weight_layout()), spikerate::IoError);  // same name
    CHECK_THROWS_AS(writer.append_frames(r, frames_block(0, 1, 4), 1), spikerate::IoError);
    CHECK_THROWS_AS(writer.append_frames(r + 1, frames_block(0, 1, 5), 1), spikerate::IoError);
    layout = weight_layout();
    layout.name = "roleless";
    layout.role.population = "exc";  // a population but no role
    CHECK_THROWS_WITH(writer.add_report(layout), Catch::Contains("without its role"));
    writer.describe_population({.name = "exc", .model = "lif_curr", .kind = "neuron", .size = 3});
    CHECK_THROWS_WITH(writer.describe_population({.name = "exc"}),
                      Catch::Contains("already described"));
    CHECK_THROWS_AS(writer.describe_population({.name = "a/b"}), spikerate::IoError);
    CHECK_THROWS_WITH(writer.describe_population({.name = "v", .variables = {"V_m"}}),
                      Catch::Contains("1 variables but 0 units"));
    writer.describe_projection({.name = "input->exc", .pre = "input", .post = "exc"});
    CHECK_THROWS_AS(writer.describe_projection({.name = "input->exc"}), spikerate::IoError);
    writer.write_count("count", 1);
    CHECK_THROWS_AS(writer.write_metric("count", 1.0, ""), spikerate::IoError);  // uint64 there
    CHECK_THROWS_AS(writer.write_metric("count/below", 1.0, ""),
                    spikerate::IoError);  // not a group
    CHECK_THROWS_AS(writer.write_metric("a//b", 1.0, ""), spikerate::IoError);
    writer.finish();
    const RunFileReader reader(dir / "bad.h5");
    CHECK(reader.spikes("exc").timestamps_ms == std::vector<double>{5.0, 5.0, 5.0});
    CHECK(reader.spikes("exc").sorting == "by_time");
    // Spikes out of time order are written as given, and sorting says none.
    const SpikesRead unsorted = reader.spikes("unsorted");
    CHECK(unsorted.timestamps_ms == std::vector<double>{5.0, 4.0, 4.0});
    CHECK(unsorted.node_ids == std::vector<std::uint64_t>{0, 1, 0});
    CHECK(unsorted.sorting == "none");
}

TEST_CASE("run file: a process killed after flush leaves a readable .partial",
          "[hdf5][integration]") {
    TempDir dir;
    const fs::path path = dir / "killed.h5";
    std::vector<double> times;
    std::vector<std::uint64_t> ids;
    make_spikes(100'000, times, ids);
    const auto weights = frames_block(0, 10, 5);

    // The child writes, flushes, writes more without flushing, and ends with _exit: no
    // destructor, no H5Fclose, no atexit handler.
    const pid_t pid = run_in_child([&] {
        RunFileWriter w(path, false, test_attributes());
        w.add_spike_population("exc");
        w.append_spikes("exc", std::span(times).first(80'000), std::span(ids).first(80'000));
        const std::size_t r = w.add_report(weight_layout());
        w.append_frames(r, std::span(weights).first(35), 7);
        w.write_count("operations/synaptic_events", 77);
        w.flush();
        w.append_spikes("exc", std::span(times).subspan(80'000), std::span(ids).subspan(80'000));
        w.append_frames(r, std::span(weights).subspan(35), 3);
        w.write_count("operations/synaptic_events", 99);
        ::_exit(0);
    });
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);

    CHECK_FALSE(fs::exists(path));
    const RunFileReader reader(dir / "killed.h5.partial");
    CHECK_FALSE(reader.complete());
    CHECK(reader.attributes().seed == 42);
    // Everything up to the flush; nothing after it is promised.
    const SpikesRead s = reader.spikes("exc");
    REQUIRE(s.timestamps_ms.size() >= 80'000);
    REQUIRE(s.node_ids.size() == s.timestamps_ms.size());
    CHECK(std::equal(s.timestamps_ms.begin(), s.timestamps_ms.begin() + 80'000, times.begin()));
    CHECK(std::equal(s.node_ids.begin(), s.node_ids.begin() + 80'000, ids.begin()));
    const ReportRead r = reader.report("input_to_exc");
    REQUIRE(r.n_frames >= 7);
    CHECK(std::equal(r.data.begin(), r.data.begin() + 35, weights.begin()));
    CHECK(r.time_stop >= 700.0);
    CHECK(reader.metric("operations/synaptic_events") >= 77.0);
}

TEST_CASE("run file: another process reads the .partial while the run writes it",
          "[hdf5][integration]") {
    TempDir dir;
    const fs::path path = dir / "live.h5";
    const fs::path partial = dir / "live.h5.partial";
    std::array<int, 2> to_parent{};
    std::array<int, 2> to_child{};
    REQUIRE(::pipe(to_parent.data()) == 0);
    REQUIRE(::pipe(to_child.data()) == 0);
    std::vector<double> times;
    std::vector<std::uint64_t> ids;
    make_spikes(1000, times, ids);

    const pid_t pid = run_in_child([&] {
        ::close(to_parent[0]);
        ::close(to_child[1]);
        auto signal = [&](char c) {
            if (::write(to_parent[1], &c, 1) != 1) ::_exit(2);
        };
        auto wait = [&] {
            char c = 0;
            if (::read(to_child[0], &c, 1) != 1) ::_exit(3);
        };
        RunFileWriter w(path, false, test_attributes());
        w.add_spike_population("exc");
        w.append_spikes("exc", std::span(times).first(600), std::span(ids).first(600));
        w.flush();
        signal('1');
        wait();
        w.append_spikes("exc", std::span(times).subspan(600), std::span(ids).subspan(600));
        w.write_metric("accuracy", 0.5, "1");
        w.flush();
        signal('2');
        wait();  // killed here
        ::_exit(4);
    });
    ::close(to_parent[1]);
    ::close(to_child[0]);

    REQUIRE(read_byte(to_parent[0]) == '1');
    {
        const RunFileReader reader(partial);
        CHECK_FALSE(reader.complete());
        const SpikesRead s = reader.spikes("exc");
        CHECK(s.timestamps_ms == std::vector<double>(times.begin(), times.begin() + 600));
    }
    write_byte(to_child[1], 'g');
    REQUIRE(read_byte(to_parent[0]) == '2');
    {
        const RunFileReader reader(partial);
        CHECK(reader.spikes("exc").timestamps_ms == times);
        CHECK(reader.metric("accuracy") == 0.5);
    }
    REQUIRE(::kill(pid, SIGKILL) == 0);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(WIFSIGNALED(status));
    ::close(to_parent[0]);
    ::close(to_child[1]);
    const RunFileReader reader(partial);
    CHECK_FALSE(reader.complete());
    CHECK(reader.spikes("exc").node_ids == ids);
}

TEST_CASE("run file: identical inputs give byte-identical files", "[hdf5][integration]") {
    TempDir dir;
    for (const char* name : {"a.h5", "b.h5"}) {
        RunFileWriter writer(dir / name, false, test_attributes());
        write_example(writer);
        writer.finish();
        // HDF5 stores times with a resolution of one second: make them differ.
        if (name[0] == 'a') std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    }
    const std::string a = file_bytes(dir / "a.h5");
    const std::string b = file_bytes(dir / "b.h5");
    CHECK(a.size() == b.size());
    const bool identical = a == b;  // (not CHECK(a == b): Catch2 would print both files)
    CHECK(identical);
}
