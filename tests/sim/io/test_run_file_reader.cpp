// RunFileReader: round trips of everything the writer writes, the types, chunks and time
// stamps on disk (seen through the HDF5 C API, not through the reader's conversions), the
// reader's refusals, and the fixture that analysis/tests/test_run_file_format.py reads.
#include "sim/io/run_file_reader.hpp"

#include <catch2/catch.hpp>

// The tests also look at the file with the HDF5 C API, to check the types on disk rather than
// what the reader converts them to.
#include <hdf5.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "sim/io/run_file_writer.hpp"
#include "tests/sim/io/run_file_examples.hpp"

namespace fs = std::filesystem;
using namespace spikerate::sim::io;
using namespace spikerate::testing;

namespace {

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

// The fixture read by analysis/tests/test_run_file_format.py, which hard-codes these values:
// keep both in step.
void write_fixture(const fs::path& path) {
    RunFileWriter w(path, true,
                    {.spikerate_version = "0.1.0",
                     .seed = 20240917,
                     .scenario = "# fixture\n[run]\nname = \"fixture\"\n",
                     .dt_ms = 0.1});
    // What the run built: three populations and one projection, described.
    w.describe_population({.name = "exc",
                           .local_name = "exc",
                           .index = 1,
                           .model = "lif_cond",
                           .kind = "neuron",
                           .size = 4,
                           .weight_unit = "nS",
                           .variables = {"V_m", "g_e"},
                           .variable_units = {"mV", "nS"}});
    w.describe_population({.name = "inh",
                           .local_name = "inh",
                           .index = 2,
                           .model = "lif_cond",
                           .kind = "neuron",
                           .size = 2,
                           .weight_unit = "nS",
                           .variables = {"V_m", "g_e"},
                           .variable_units = {"mV", "nS"}});
    w.describe_population(
        {.name = "input", .local_name = "input", .model = "poisson", .kind = "source", .size = 4});
    w.describe_projection({.name = "exc->inh",
                           .local_name = "exc->inh",
                           .pre = "exc",
                           .post = "inh",
                           .synapses = 5,
                           .weight_unit = "nS",
                           .plasticity = "pair_stdp",
                           .receptor = "excitatory"});
    w.add_spike_population("exc", {.role = "spikes", .population = "exc"});
    w.add_spike_population("inh", {.role = "spikes", .population = "inh"});
    w.add_spike_population("input");  // stays empty, no role
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
                      .role = {.network = "",
                               .role = "weights",
                               .population = "inh",
                               .projection = "exc->inh",
                               .input_shape = {2, 2}},
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

    const std::size_t v = w.add_report(
        {.name = "exc_v",
         .units = "mV",
         .role =
             {.network = "", .role = "state", .population = "exc", .variable = "V_m", .layer = 0},
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

}  // namespace

TEST_CASE("run file: round trip of attributes, spikes, reports and metrics",
          "[hdf5][integration]") {
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

TEST_CASE("run file: reports with wide frames and with no elements", "[hdf5][integration]") {
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

TEST_CASE("run file: metric series and count matrices round trip", "[hdf5][integration]") {
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

TEST_CASE("run file: the reader refuses missing, non-HDF5 and foreign files", "[hdf5][unit]") {
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

TEST_CASE("run file: fixture for the Python format test", "[hdf5][fixture][integration]") {
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
