#include "sim/io/run_file_reader.hpp"

// Layout: sim/io/FORMAT.md. The HDF5 plumbing (handles, checked calls, typed helpers) is in
// hdf5_handles.hpp; names shared with the writer in run_file_layout.hpp. Every public member
// function switches HDF5's error printing off (Quiet) and checks every HDF5 call, so a failure
// is an IoError naming the file, the object and HDF5's reason.

#include <fmt/format.h>

#include <array>
#include <system_error>

#include "sim/io/hdf5_handles.hpp"
#include "sim/io/run_file_layout.hpp"

namespace spikerate::sim::io {

namespace fs = std::filesystem;
using namespace hdf5;

struct RunFileReader::Impl {
    std::string file;
    File h5;
};

RunFileReader::RunFileReader(const fs::path& path) : impl_(std::make_unique<Impl>()) {
    const Quiet quiet;
    Impl& m = *impl_;
    m.file = path.string();
    std::error_code ec;
    if (!fs::exists(path, ec)) throw IoError(fmt::format("{}: no such file", m.file));
    if (!fs::is_regular_file(path, ec))
        throw IoError(fmt::format("{}: not a regular file", m.file));
    const htri_t is_hdf5 = H5Fis_hdf5(m.file.c_str());
    if (is_hdf5 < 0) {
        throw IoError(fmt::format("{}: cannot read file{}", m.file, hdf5_reason()));
    }
    if (is_hdf5 == 0) throw IoError(fmt::format("{}: not an HDF5 file", m.file));
    // Default access first (HDF5 takes a shared lock unless HDF5_USE_FILE_LOCKING=FALSE).
    // That fails if this process has the file open already with locking off (a writer here),
    // or if another process holds an exclusive lock: then open it as the writer does, unlocked.
    hid_t id = H5Fopen(m.file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (id < 0) {
        (void)H5Eclear2(H5E_DEFAULT);
        const Plist fapl = file_access_plist(m.file);
        id = H5Fopen(m.file.c_str(), H5F_ACC_RDONLY, fapl.get());
    }
    m.h5 = checked<File>(id, m.file, "/", "cannot open file");
    for (const char* name : {"spikerate_version", "format_version"}) {
        const htri_t exists = H5Aexists(m.h5.get(), name);
        if (exists < 0) fail(m.file, "/", "cannot look up root attributes");
        if (exists == 0) {
            throw IoError(fmt::format("{}: not a spikerate output file (no root attribute {})",
                                      m.file, name));
        }
    }
    const int version = format_version();
    if (version > io::format_version) {
        throw IoError(fmt::format(
            "{}: format_version {} is newer than this program's ({}); use a newer spikerate",
            m.file, version, io::format_version));
    }
}

RunFileReader::~RunFileReader() {
    if (!impl_) return;
    const Quiet quiet;
    impl_->h5.reset();
    (void)H5Eclear2(H5E_DEFAULT);
}

RunAttributes RunFileReader::attributes() const {
    const Quiet quiet;
    const Impl& m = *impl_;
    const hid_t root = m.h5.get();
    RunAttributes a;
    a.spikerate_version = read_string_attribute(root, "/", "spikerate_version", m.file);
    a.seed = read_scalar_attribute<std::uint64_t>(root, "/", "seed", H5T_NATIVE_UINT64, m.file);
    a.scenario = read_string_attribute(root, "/", "scenario", m.file);
    a.dt_ms = read_scalar_attribute<double>(root, "/", "dt_ms", H5T_NATIVE_DOUBLE, m.file);
    return a;
}

int RunFileReader::format_version() const {
    const Quiet quiet;
    const Impl& m = *impl_;
    return read_scalar_attribute<int>(m.h5.get(), "/", "format_version", H5T_NATIVE_INT, m.file);
}

bool RunFileReader::complete() const {
    const Quiet quiet;
    const Impl& m = *impl_;
    return read_scalar_attribute<int>(m.h5.get(), "/", "complete", H5T_NATIVE_INT, m.file) != 0;
}

std::vector<std::string> RunFileReader::spike_populations() const {
    const Quiet quiet;
    const Impl& m = *impl_;
    return member_names(m.h5.get(), spikes_path, H5O_TYPE_GROUP, m.file);
}

SpikesRead RunFileReader::spikes(const std::string& population) const {
    const Quiet quiet;
    const Impl& m = *impl_;
    const std::string object = join(spikes_path, population);
    if (!valid_name(population)) fail(m.file, object, "invalid population name");
    SpikesRead s;
    s.timestamps_ms =
        read_vector<double>(m.h5.get(), join(object, "timestamps"), H5T_NATIVE_DOUBLE, m.file);
    s.node_ids =
        read_vector<std::uint64_t>(m.h5.get(), join(object, "node_ids"), H5T_NATIVE_UINT64, m.file);
    if (s.timestamps_ms.size() != s.node_ids.size()) {
        fail(m.file, object,
             fmt::format("{} timestamps but {} node_ids", s.timestamps_ms.size(),
                         s.node_ids.size()));
    }
    const auto group = checked<Group>(H5Gopen2(m.h5.get(), object.c_str(), H5P_DEFAULT), m.file,
                                      object, "cannot open group");
    const htri_t has_sorting = H5Aexists(group.get(), "sorting");
    if (has_sorting < 0) fail(m.file, object, "cannot look up attribute sorting");
    s.sorting = "none";
    if (has_sorting > 0) {
        const std::string where = object + "@sorting";
        const Attribute attr = open_attribute(group.get(), object, "sorting", m.file);
        const auto ftype =
            checked<Datatype>(H5Aget_type(attr.get()), m.file, where, "cannot get attribute type");
        if (H5Tget_class(ftype.get()) != H5T_ENUM) fail(m.file, where, "not an enum");
        const auto mtype = checked<Datatype>(H5Tget_native_type(ftype.get(), H5T_DIR_ASCEND),
                                             m.file, where, "cannot get native type");
        if (H5Tget_size(mtype.get()) > sizeof(std::uint64_t)) fail(m.file, where, "enum too wide");
        std::array<unsigned char, sizeof(std::uint64_t)> value{};
        check(H5Aread(attr.get(), mtype.get(), value.data()), m.file, where,
              "cannot read attribute");
        std::array<char, 64> label{};
        check(H5Tenum_nameof(mtype.get(), value.data(), label.data(), label.size()), m.file, where,
              "value is not a member of the enum");
        s.sorting = label.data();
    }
    return s;
}

std::vector<std::string> RunFileReader::reports() const {
    const Quiet quiet;
    const Impl& m = *impl_;
    return member_names(m.h5.get(), report_path, H5O_TYPE_GROUP, m.file);
}

ReportRead RunFileReader::report(const std::string& name) const {
    const Quiet quiet;
    const Impl& m = *impl_;
    const std::string object = join(report_path, name);
    if (!valid_name(name)) fail(m.file, object, "invalid report name");
    const std::string mapping = join(object, "mapping");
    const hid_t root = m.h5.get();
    ReportRead r;
    ReportLayout& l = r.layout;
    l.name = name;
    l.node_ids =
        read_vector<std::uint64_t>(root, join(mapping, "node_ids"), H5T_NATIVE_UINT64, m.file);
    l.index_pointers = read_vector<std::uint64_t>(root, join(mapping, "index_pointers"),
                                                  H5T_NATIVE_UINT64, m.file);
    l.element_ids =
        read_vector<std::uint64_t>(root, join(mapping, "element_ids"), H5T_NATIVE_UINT64, m.file);
    const auto time = read_vector<double>(root, join(mapping, "time"), H5T_NATIVE_DOUBLE, m.file);
    if (time.size() != 3) fail(m.file, join(mapping, "time"), "not [start, stop, step]");
    l.time_start = time[0];
    r.time_stop = time[1];
    l.time_step = time[2];
    {
        const std::string time_object = join(mapping, "time");
        const Dataset time_ds = open_dataset(root, time_object, m.file);
        l.time_units = read_string_attribute(time_ds.get(), time_object, "units", m.file);
    }
    for (const auto& extra : member_names(root, mapping, H5O_TYPE_DATASET, m.file)) {
        if (is_sonata_mapping_name(extra)) continue;
        l.extra_element_mapping.emplace_back(
            extra,
            read_vector<std::uint64_t>(root, join(mapping, extra), H5T_NATIVE_UINT64, m.file));
    }

    const std::string data_object = join(object, "data");
    const Dataset data = open_dataset(root, data_object, m.file);
    l.units = read_string_attribute(data.get(), data_object, "units", m.file);
    const auto dims = dataset_dims(data.get(), m.file, data_object);
    if (dims.size() != 2) fail(m.file, data_object, "not two-dimensional");
    if (dims[1] != l.element_ids.size()) {
        fail(m.file, data_object,
             fmt::format("{} columns but {} element_ids", dims[1], l.element_ids.size()));
    }
    r.n_frames = static_cast<std::size_t>(dims[0]);
    r.data.resize(static_cast<std::size_t>(dims[0] * dims[1]));
    if (!r.data.empty()) {
        check(H5Dread(data.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, r.data.data()),
              m.file, data_object, "cannot read dataset");
    }
    return r;
}

namespace {

Dataset open_metric(hid_t root, const std::string& path, const std::string& file) {
    const std::string object = join(metrics_path, path);
    // Walk the path so that a missing component reads "no such metric", not an HDF5 trace.
    std::string prefix = metrics_path;
    std::size_t begin = 0;
    while (true) {
        const std::size_t end = path.find('/', begin);
        const std::string part = path.substr(begin, end == std::string::npos ? end : end - begin);
        if (!valid_name(part)) fail(file, object, "invalid metric path");
        prefix = join(prefix, part);
        const htri_t exists = H5Lexists(root, prefix.c_str(), H5P_DEFAULT);
        if (exists < 0) fail(file, object, "cannot look up metric");
        if (exists == 0) fail(file, object, "no such metric");
        if (end == std::string::npos) break;
        begin = end + 1;
    }
    return open_dataset(root, object, file);
}

}  // namespace

double RunFileReader::metric(const std::string& path) const {
    const Quiet quiet;
    const Impl& m = *impl_;
    const std::string object = join(metrics_path, path);
    const Dataset ds = open_metric(m.h5.get(), path, m.file);
    if (!dataset_dims(ds.get(), m.file, object).empty()) fail(m.file, object, "not a scalar");
    double value = 0.0;
    check(H5Dread(ds.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &value), m.file,
          object, "cannot read dataset");
    return value;
}

std::string RunFileReader::metric_units(const std::string& path) const {
    const Quiet quiet;
    const Impl& m = *impl_;
    const std::string object = join(metrics_path, path);
    const Dataset ds = open_metric(m.h5.get(), path, m.file);
    const htri_t exists = H5Aexists(ds.get(), "units");
    if (exists < 0) fail(m.file, object, "cannot look up attribute units");
    if (exists == 0) return "";
    return read_string_attribute(ds.get(), object, "units", m.file);
}

std::vector<double> RunFileReader::metric_series(const std::string& path) const {
    const Quiet quiet;
    const Impl& m = *impl_;
    const std::string object = join(metrics_path, path);
    const Dataset ds = open_metric(m.h5.get(), path, m.file);
    if (dataset_dims(ds.get(), m.file, object).size() != 1) {
        fail(m.file, object, "not a series (one-dimensional)");
    }
    return read_vector<double>(m.h5.get(), object, H5T_NATIVE_DOUBLE, m.file);
}

CountMatrixRead RunFileReader::count_matrix(const std::string& path) const {
    const Quiet quiet;
    const Impl& m = *impl_;
    const std::string object = join(metrics_path, path);
    const Dataset ds = open_metric(m.h5.get(), path, m.file);
    const auto dims = dataset_dims(ds.get(), m.file, object);
    if (dims.size() != 2) fail(m.file, object, "not a matrix (two-dimensional)");
    CountMatrixRead matrix;
    matrix.rows = static_cast<std::size_t>(dims[0]);
    matrix.cols = static_cast<std::size_t>(dims[1]);
    matrix.values.resize(matrix.rows * matrix.cols);
    if (!matrix.values.empty()) {
        check(H5Dread(ds.get(), H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                      matrix.values.data()),
              m.file, object, "cannot read dataset");
    }
    return matrix;
}

}  // namespace spikerate::sim::io
