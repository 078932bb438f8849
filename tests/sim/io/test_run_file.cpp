#include "sim/io/run_file_reader.hpp"
#include "sim/io/run_file_writer.hpp"

#include <catch2/catch.hpp>

// The tests also look at the file with the HDF5 C API, to check the types on disk rather than
// what the reader converts them to.
#include <hdf5.h>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace fs = std::filesystem;
using namespace spikerate::sim::io;

namespace {

// A fresh directory under the system temporary directory, removed with its contents.
class TempDir {
  public:
    TempDir() {
        static int counter = 0;
        path_ =
            fs::temp_directory_path() / ("spikerate-test-run-file-" + std::to_string(::getpid()) +
                                         "-" + std::to_string(counter++));
        fs::remove_all(path_);
        fs::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        // A test may have left a read-only subdirectory.
        for (auto it = fs::recursive_directory_iterator(path_, ec);
             !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
            if (it->is_directory(ec)) {
                fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
            }
        }
        fs::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const fs::path& path() const { return path_; }
    fs::path operator/(const std::string& name) const { return path_ / name; }

  private:
    fs::path path_;
};

// RAII for ids opened by the tests themselves.
template <herr_t (*Close)(hid_t)>
class Id {
  public:
    explicit Id(hid_t id) : id_(id) { REQUIRE(id_ >= 0); }
    ~Id() { Close(id_); }
    Id(const Id&) = delete;
    Id& operator=(const Id&) = delete;
    operator hid_t() const { return id_; }  // NOLINT: used as an hid_t in API calls

  private:
    hid_t id_;
};
using H5File = Id<H5Fclose>;
using H5Dataset = Id<H5Dclose>;
using H5Group = Id<H5Gclose>;
using H5Type = Id<H5Tclose>;
using H5Space = Id<H5Sclose>;
using H5Attr = Id<H5Aclose>;
using H5Plist = Id<H5Pclose>;

// Open HDF5 files, groups, datasets, attributes and named types, in all files: equal before and
// after a writer and a reader means they leaked none. (HDF5 1.10 has no public count of
// dataspace, datatype or property list ids: H5Inmembers only counts user-defined id types.)
ssize_t open_object_count() {
    REQUIRE(H5open() >= 0);
    const ssize_t n = H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL);
    REQUIRE(n >= 0);
    return n;
}

std::string file_bytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

RunAttributes test_attributes(std::uint64_t seed = 42) {
    return {.spikerate_version = "0.1.0-test",
            .seed = seed,
            .scenario = "# scenario\n[network]\nname = \"test\"  # µs, UTF-8\n",
            .dt_ms = 0.1};
}

// Deterministic spikes: sorted by time, ties by node id.
void make_spikes(std::size_t n, std::vector<double>& times, std::vector<std::uint64_t>& ids) {
    times.resize(n);
    ids.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        times[i] = 0.1 * static_cast<double>(i / 2);  // pairs share a time step
        ids[i] = (i % 2 == 0) ? (i / 2) % 97 : (i / 2) % 97 + 100;
    }
}

ReportLayout weight_layout() {
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

ReportLayout state_layout() {
    return {.name = "exc_v",
            .units = "mV",
            .node_ids = {0, 1, 2, 3},
            .index_pointers = {0, 1, 2, 3, 4},
            .element_ids = {0, 0, 0, 0},
            .time_start = 0.5,
            .time_step = 0.1};
}

float frame_value(std::size_t frame, std::size_t element) {
    return static_cast<float>(frame) * 10.0F + static_cast<float>(element) + 0.5F;
}

std::vector<float> frames_block(std::size_t first, std::size_t n, std::size_t elements) {
    std::vector<float> values;
    for (std::size_t f = first; f < first + n; ++f) {
        for (std::size_t e = 0; e < elements; ++e) values.push_back(frame_value(f, e));
    }
    return values;
}

constexpr std::size_t n_spikes = 150'000;  // more than two chunks of 64 Ki
constexpr std::size_t n_weight_frames = 6;
constexpr std::size_t n_state_frames = 300;

// Writes the round-trip example into `writer` (shared by several tests).
void write_example(RunFileWriter& writer) {
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

// Attribute `name` of object `object` has exactly the file type `expected`.
bool attribute_type_is(hid_t file, const char* object, const char* name, hid_t expected) {
    const H5Attr attr(H5Aopen_by_name(file, object, name, H5P_DEFAULT, H5P_DEFAULT));
    const H5Type type(H5Aget_type(attr));
    return H5Tequal(type, expected) > 0;
}

bool dataset_type_is(hid_t file, const char* object, hid_t expected) {
    const H5Dataset ds(H5Dopen2(file, object, H5P_DEFAULT));
    const H5Type type(H5Dget_type(ds));
    return H5Tequal(type, expected) > 0;
}

std::vector<hsize_t> chunk_shape(hid_t file, const char* object) {
    const H5Dataset ds(H5Dopen2(file, object, H5P_DEFAULT));
    const H5Plist dcpl(H5Dget_create_plist(ds));
    REQUIRE(H5Pget_layout(dcpl) == H5D_CHUNKED);
    std::array<hsize_t, 4> dims{};
    const int rank = H5Pget_chunk(dcpl, static_cast<int>(dims.size()), dims.data());
    REQUIRE(rank > 0);
    return {dims.begin(), dims.begin() + rank};
}

std::vector<hsize_t> max_dims(hid_t file, const char* object) {
    const H5Dataset ds(H5Dopen2(file, object, H5P_DEFAULT));
    const H5Space space(H5Dget_space(ds));
    const int rank = H5Sget_simple_extent_ndims(space);
    REQUIRE(rank > 0);
    std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
    std::vector<hsize_t> maxdims(static_cast<std::size_t>(rank));
    REQUIRE(H5Sget_simple_extent_dims(space, dims.data(), maxdims.data()) == rank);
    return maxdims;
}

// Reads the fixed example back and checks everything against what write_example wrote.
void check_example(const RunFileReader& reader) {
    const RunAttributes a = reader.attributes();
    const RunAttributes expected = test_attributes();
    CHECK(a.spikerate_version == expected.spikerate_version);
    CHECK(a.seed == expected.seed);
    CHECK(a.scenario == expected.scenario);
    CHECK(a.dt_ms == expected.dt_ms);
    CHECK(reader.format_version() == format_version);

    CHECK(reader.spike_populations() == std::vector<std::string>{"empty", "exc"});
    std::vector<double> times;
    std::vector<std::uint64_t> ids;
    make_spikes(n_spikes, times, ids);
    const SpikesRead exc = reader.spikes("exc");
    CHECK(exc.sorting == "by_time");
    CHECK(exc.timestamps_ms == times);
    CHECK(exc.node_ids == ids);
    const SpikesRead empty = reader.spikes("empty");
    CHECK(empty.timestamps_ms.empty());
    CHECK(empty.node_ids.empty());
    CHECK(empty.sorting == "by_time");

    CHECK(reader.reports() == std::vector<std::string>{"exc_v", "input_to_exc"});
    const ReportRead w = reader.report("input_to_exc");
    const ReportLayout wl = weight_layout();
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

    const ReportRead s = reader.report("exc_v");
    const ReportLayout sl = state_layout();
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
    CHECK_THROWS_AS(reader.metric("no/such/metric"), spikerate::IoError);
    CHECK_THROWS_AS(reader.spikes("inh"), spikerate::IoError);
    CHECK_THROWS_AS(reader.report("nothing"), spikerate::IoError);
}

// The fixture read by analysis/tests/test_run_file_format.py, which hard-codes these values:
// keep both in step.
void write_fixture(const fs::path& path) {
    RunFileWriter w(path, true,
                    {.spikerate_version = "0.1.0",
                     .seed = 20240917,
                     .scenario = "# fixture\n[run]\nname = \"fixture\"\n",
                     .dt_ms = 0.1});
    w.add_spike_population("exc");
    w.add_spike_population("inh");
    w.add_spike_population("input");  // stays empty
    const std::vector<double> exc_t{0.5, 1.0, 1.0, 2.5, 7.25};
    const std::vector<std::uint64_t> exc_id{3, 0, 2, 1, 3};
    w.append_spikes("exc", std::span(exc_t).first(3), std::span(exc_id).first(3));
    w.append_spikes("exc", std::span(exc_t).subspan(3), std::span(exc_id).subspan(3));
    const std::vector<double> inh_t{4.0};
    const std::vector<std::uint64_t> inh_id{1};
    w.append_spikes("inh", inh_t, inh_id);

    // Weights exc -> inh: post node 0 has synapses from exc 0, 1, 3; post node 1 from 0, 2.
    const std::size_t weights =
        w.add_report({.name = "exc_to_inh",
                      .units = "nS",
                      .node_ids = {0, 1},
                      .index_pointers = {0, 3, 5},
                      .element_ids = {0, 1, 2, 3, 4},
                      .time_start = 0.0,
                      .time_step = 50.0,
                      .extra_element_mapping = {{"source_node_ids", {0, 1, 3, 0, 2}}}});
    // Frame f, synapse e: f + 0.1 * (e + 1).
    auto weight_frames = [](std::size_t first, std::size_t n) {
        std::vector<float> v;
        for (std::size_t f = first; f < first + n; ++f) {
            for (std::size_t e = 0; e < 5; ++e) {
                v.push_back(static_cast<float>(f) + 0.1F * static_cast<float>(e + 1));
            }
        }
        return v;
    };
    w.append_frames(weights, weight_frames(0, 1), 1);
    w.append_frames(weights, weight_frames(1, 2), 2);

    const std::size_t v = w.add_report({.name = "exc_v",
                                        .units = "mV",
                                        .node_ids = {0, 1, 2, 3},
                                        .index_pointers = {0, 1, 2, 3, 4},
                                        .element_ids = {0, 0, 0, 0},
                                        .time_start = 0.0,
                                        .time_step = 0.1});
    // Frame f, node n: -65 + f + 0.25 n.
    for (std::size_t f = 0; f < 4; ++f) {
        std::vector<float> frame;
        for (std::size_t n = 0; n < 4; ++n) {
            frame.push_back(-65.0F + static_cast<float>(f) + 0.25F * static_cast<float>(n));
        }
        w.append_frames(v, frame, 1);
    }

    w.write_metric("accuracy", 0.875, "1");
    w.write_metric("train/loss", 0.5, "");
    w.write_metric("energy/total", 2.5e-6, "J");
    w.write_count("counts/synaptic_events", 12345);
    w.finish();
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

TEST_CASE("run file: round trip of attributes, spikes, reports and metrics", "[hdf5]") {
    TempDir dir;
    const fs::path path = dir / "run.h5";
    const ssize_t objects_before = open_object_count();
    {
        RunFileWriter writer(path, false, test_attributes());
        CHECK(writer.path() == path);
        CHECK(writer.partial_path() == dir / "run.h5.partial");
        write_example(writer);
        writer.finish();
        CHECK_THROWS_AS(writer.add_spike_population("late"), spikerate::IoError);
        writer.finish();  // again: nothing to do
    }
    CHECK(fs::exists(path));
    CHECK_FALSE(fs::exists(dir / "run.h5.partial"));
    {
        const RunFileReader reader(path);
        CHECK(reader.complete());
        check_example(reader);
    }
    CHECK(open_object_count() == objects_before);  // no leaked HDF5 ids

    // The types on disk, seen through the HDF5 API.
    const H5File file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
    SECTION("root attributes") {
        CHECK(attribute_type_is(file, "/", "format_version", H5T_STD_I32LE));
        CHECK(attribute_type_is(file, "/", "seed", H5T_STD_U64LE));
        CHECK(attribute_type_is(file, "/", "dt_ms", H5T_IEEE_F64LE));
        CHECK(attribute_type_is(file, "/", "complete", H5T_STD_U8LE));
        for (const char* name : {"spikerate_version", "scenario"}) {
            const H5Attr attr(H5Aopen_by_name(file, "/", name, H5P_DEFAULT, H5P_DEFAULT));
            const H5Type type(H5Aget_type(attr));
            CHECK(H5Tget_class(type) == H5T_STRING);
            CHECK(H5Tis_variable_str(type) > 0);
            CHECK(H5Tget_cset(type) == H5T_CSET_UTF8);
        }
        hsize_t n_attrs = 0;
        H5O_info_t info{};
        REQUIRE(H5Oget_info_by_name2(file, "/", &info, H5O_INFO_NUM_ATTRS, H5P_DEFAULT) >= 0);
        n_attrs = info.num_attrs;
        CHECK(n_attrs == 6);
    }
    SECTION("spike datasets") {
        CHECK(dataset_type_is(file, "/spikes/exc/timestamps", H5T_NATIVE_DOUBLE));
        CHECK(dataset_type_is(file, "/spikes/exc/node_ids", H5T_NATIVE_UINT64));
        CHECK(dataset_type_is(file, "/spikes/exc/node_ids", H5T_STD_U64LE));
        CHECK(chunk_shape(file, "/spikes/exc/timestamps") == std::vector<hsize_t>{65536});
        CHECK(chunk_shape(file, "/spikes/exc/node_ids") == std::vector<hsize_t>{65536});
        CHECK(max_dims(file, "/spikes/exc/timestamps") == std::vector<hsize_t>{H5S_UNLIMITED});
        CHECK(max_dims(file, "/spikes/empty/node_ids") == std::vector<hsize_t>{H5S_UNLIMITED});
        const H5Dataset ts(H5Dopen2(file, "/spikes/exc/timestamps", H5P_DEFAULT));
        const H5Attr units(H5Aopen(ts, "units", H5P_DEFAULT));
        const H5Type units_type(H5Aget_type(units));
        char* text = nullptr;
        REQUIRE(H5Aread(units, units_type, &text) >= 0);
        CHECK(std::string(text) == "ms");
        H5free_memory(text);
    }
    SECTION("sorting enum") {
        const H5Attr attr(
            H5Aopen_by_name(file, "/spikes/exc", "sorting", H5P_DEFAULT, H5P_DEFAULT));
        const H5Type type(H5Aget_type(attr));
        REQUIRE(H5Tget_class(type) == H5T_ENUM);
        const H5Type base(H5Tget_super(type));
        CHECK(H5Tequal(base, H5T_STD_U8LE) > 0);
        REQUIRE(H5Tget_nmembers(type) == 3);
        const std::array<std::pair<std::string, std::uint8_t>, 3> expected{
            {{"none", 0}, {"by_id", 1}, {"by_time", 2}}};
        for (unsigned i = 0; i < 3; ++i) {
            char* name = H5Tget_member_name(type, i);
            REQUIRE(name != nullptr);
            std::uint8_t value = 255;
            REQUIRE(H5Tget_member_value(type, i, &value) >= 0);
            CHECK(std::string(name) == expected[i].first);
            CHECK(value == expected[i].second);
            H5free_memory(name);
        }
        std::uint8_t value = 255;
        REQUIRE(H5Aread(attr, H5T_NATIVE_UINT8, &value) >= 0);  // raw value of the enum
        CHECK(value == 2);
    }
    SECTION("report datasets") {
        CHECK(dataset_type_is(file, "/report/input_to_exc/data", H5T_NATIVE_FLOAT));
        CHECK(dataset_type_is(file, "/report/input_to_exc/data", H5T_IEEE_F32LE));
        for (const char* name : {"node_ids", "index_pointers", "element_ids", "source_node_ids"}) {
            const std::string object = std::string("/report/input_to_exc/mapping/") + name;
            CHECK(dataset_type_is(file, object.c_str(), H5T_STD_U64LE));
        }
        CHECK(dataset_type_is(file, "/report/input_to_exc/mapping/time", H5T_IEEE_F64LE));
        // 256 KiB chunks of whole frames: 5 elements * 4 bytes -> 13107 frames per chunk.
        CHECK(chunk_shape(file, "/report/input_to_exc/data") == std::vector<hsize_t>{13107, 5});
        CHECK(chunk_shape(file, "/report/exc_v/data") == std::vector<hsize_t>{16384, 4});
        CHECK(max_dims(file, "/report/exc_v/data") == std::vector<hsize_t>{H5S_UNLIMITED, 4});
        CHECK(dataset_type_is(file, "/metrics/operations/synaptic_events", H5T_STD_U64LE));
        CHECK(dataset_type_is(file, "/metrics/accuracy", H5T_IEEE_F64LE));
    }
    SECTION("no timestamps in object headers") {
        for (const char* object :
             {"/spikes", "/spikes/exc", "/spikes/exc/timestamps", "/report/exc_v/data",
              "/report/exc_v/mapping/time", "/metrics/energy/estimate", "/metrics/accuracy"}) {
            H5O_info_t info{};
            REQUIRE(H5Oget_info_by_name2(file, object, &info, H5O_INFO_TIME, H5P_DEFAULT) >= 0);
            INFO(object);
            CHECK(info.ctime == 0);
            CHECK(info.mtime == 0);
        }
    }
}

TEST_CASE("run file: reports with wide frames and with no elements", "[hdf5]") {
    TempDir dir;
    const fs::path path = dir / "wide.h5";
    constexpr std::size_t wide = 300'000;  // 1.2 MB per frame: split into 1 MiB column chunks
    {
        RunFileWriter writer(path, false, test_attributes());
        ReportLayout layout{.name = "wide", .units = "nS", .node_ids = {0, 1}};
        layout.index_pointers = {0, 100'000, wide};
        layout.element_ids.resize(wide);
        for (std::size_t i = 0; i < wide; ++i) layout.element_ids[i] = i;
        const std::size_t r = writer.add_report(layout);
        writer.append_frames(r, frames_block(0, 1, wide), 1);
        writer.append_frames(r, frames_block(1, 2, wide), 2);
        const std::size_t none =
            writer.add_report({.name = "none", .units = "mV", .index_pointers = {0}});
        writer.append_frames(none, {}, 3);
        writer.finish();
    }
    const RunFileReader reader(path);
    const ReportRead r = reader.report("wide");
    CHECK(r.n_frames == 3);
    CHECK(r.data == frames_block(0, 3, wide));
    const ReportRead none = reader.report("none");
    CHECK(none.n_frames == 3);
    CHECK(none.data.empty());
    CHECK(none.time_stop == 3.0);
    const H5File file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
    CHECK(chunk_shape(file, "/report/wide/data") == std::vector<hsize_t>{1, 262144});
}

TEST_CASE("run file: invalid input is refused, unsorted spikes are marked", "[hdf5]") {
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

TEST_CASE("run file: metric series and count matrices round trip", "[hdf5]") {
    TempDir dir;
    {
        RunFileWriter writer(dir / "series.h5", false, test_attributes());
        const std::vector<double> first{0.5, 0.75};
        const std::vector<double> second{0.875};
        writer.append_series("rate/mlp/curve/test_accuracy", first, "1");
        writer.append_series("rate/mlp/curve/test_accuracy", second, "1");
        writer.append_series("rate/mlp/curve/test_accuracy", std::vector<double>{}, "1");
        const std::vector<std::uint64_t> seen{100, 200, 300};
        writer.append_count_series("rate/mlp/curve/examples_seen", seen);
        // A series keeps its kind and units; a scalar is not a series.
        CHECK_THROWS_WITH(writer.append_series("rate/mlp/curve/test_accuracy", first, "%"),
                          Catch::Contains("test_accuracy") && Catch::Contains("float64 [1]"));
        CHECK_THROWS_AS(writer.append_count_series("rate/mlp/curve/test_accuracy", seen),
                        spikerate::IoError);
        writer.write_count("scalar", 1);
        CHECK_THROWS_WITH(writer.append_series("scalar", first, ""),
                          Catch::Contains("/metrics/scalar") && Catch::Contains("exists"));

        const std::vector<std::uint64_t> confusion{5, 1, 0, 2, 7, 1};  // 2 x 3
        writer.write_count_matrix("rate/mlp/confusion", confusion, 2, 3);
        const std::vector<std::uint64_t> again{6, 0, 0, 1, 8, 1};
        writer.write_count_matrix("rate/mlp/confusion", again, 2, 3);  // replaced
        CHECK_THROWS_WITH(writer.write_count_matrix("rate/mlp/confusion", again, 3, 2),
                          Catch::Contains("another shape"));
        CHECK_THROWS_AS(writer.write_count_matrix("m", again, 2, 2),
                        spikerate::IoError);  // 6 values, 4 cells

        ReportLayout layout{.name = "mlp_layer1",
                            .units = "",
                            .node_ids = {0, 1},
                            .index_pointers = {0, 2, 4},
                            .element_ids = {0, 1, 2, 3},
                            .time_start = 0.0,
                            .time_step = 1000.0,
                            .time_units = "examples"};
        const std::size_t r = writer.add_report(layout);
        writer.append_frames(r, std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8}, 2);
        layout.name = "no_units";
        layout.time_units = "";
        CHECK_THROWS_WITH(writer.add_report(layout), Catch::Contains("time_units"));
        writer.finish();
    }
    const RunFileReader reader(dir / "series.h5");
    CHECK(reader.metric_series("rate/mlp/curve/test_accuracy") ==
          std::vector<double>{0.5, 0.75, 0.875});
    CHECK(reader.metric_units("rate/mlp/curve/test_accuracy") == "1");
    CHECK(reader.metric_series("rate/mlp/curve/examples_seen") ==
          std::vector<double>{100, 200, 300});
    const CountMatrixRead confusion = reader.count_matrix("rate/mlp/confusion");
    CHECK(confusion.rows == 2);
    CHECK(confusion.cols == 3);
    CHECK(confusion.values == std::vector<std::uint64_t>{6, 0, 0, 1, 8, 1});
    CHECK_THROWS_WITH(reader.metric_series("rate/mlp/confusion"), Catch::Contains("not a series"));
    CHECK_THROWS_WITH(reader.count_matrix("rate/mlp/curve/examples_seen"),
                      Catch::Contains("not a matrix"));
    const ReportRead report = reader.report("mlp_layer1");
    CHECK(report.layout.time_units == "examples");
    CHECK(report.time_stop == 2000.0);
    CHECK(report.n_frames == 2);
}

TEST_CASE("run file: .partial while writing, renamed by finish", "[hdf5]") {
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

TEST_CASE("run file: a writer destroyed without finish leaves a readable .partial", "[hdf5]") {
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

TEST_CASE("run file: existing output is kept unless overwrite is requested", "[hdf5]") {
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

TEST_CASE("run file: unwritable locations are refused with spikerate::IoError", "[hdf5]") {
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

TEST_CASE("run file: the reader refuses missing, non-HDF5 and foreign files", "[hdf5]") {
    TempDir dir;
    CHECK_THROWS_WITH(RunFileReader(dir / "missing.h5"),
                      Catch::Contains("missing.h5") && Catch::Contains("no such file"));
    const fs::path text = dir / "text.h5";
    std::ofstream(text) << "not HDF5 at all\n";
    CHECK_THROWS_WITH(RunFileReader(text), Catch::Contains("not an HDF5 file"));
    const fs::path foreign = dir / "foreign.h5";
    { const H5File file(H5Fcreate(foreign.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT)); }
    CHECK_THROWS_WITH(RunFileReader(foreign), Catch::Contains("not a spikerate output file"));
}

TEST_CASE("run file: a process killed after flush leaves a readable .partial", "[hdf5]") {
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

TEST_CASE("run file: another process reads the .partial while the run writes it", "[hdf5]") {
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

TEST_CASE("run file: identical inputs give byte-identical files", "[hdf5]") {
    TempDir dir;
    for (const char* name : {"a.h5", "b.h5"}) {
        RunFileWriter writer(dir / name, false, test_attributes());
        write_example(writer);
        writer.finish();
        // HDF5 stores times with a resolution of one second: make them differ.
        std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    }
    const std::string a = file_bytes(dir / "a.h5");
    const std::string b = file_bytes(dir / "b.h5");
    CHECK(a.size() == b.size());
    const bool identical = a == b;  // (not CHECK(a == b): Catch2 would print both files)
    CHECK(identical);
}

TEST_CASE("run file: fixture for the Python format test", "[hdf5][fixture]") {
    // analysis/tests/test_run_file_format.py runs this test case with SPIKERATE_WRITE_FIXTURE
    // set to the file to write; without it the fixture goes to a temporary directory.
    TempDir dir;
    const char* env = std::getenv("SPIKERATE_WRITE_FIXTURE");
    const fs::path path = (env != nullptr && *env != '\0') ? fs::path(env) : dir / "fixture.h5";
    write_fixture(path);
    const RunFileReader reader(path);
    CHECK(reader.complete());
    CHECK(reader.spike_populations() == std::vector<std::string>{"exc", "inh", "input"});
    CHECK(reader.spikes("exc").node_ids == std::vector<std::uint64_t>{3, 0, 2, 1, 3});
    CHECK(reader.reports() == std::vector<std::string>{"exc_to_inh", "exc_v"});
    CHECK(reader.report("exc_to_inh").time_stop == 150.0);
    CHECK(reader.metric("counts/synaptic_events") == 12345.0);
}
