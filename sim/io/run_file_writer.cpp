#include "sim/io/run_file_writer.hpp"

// Layout: sim/io/FORMAT.md. The HDF5 plumbing (handles, checked calls, typed helpers) is in
// hdf5_handles.hpp; names and chunk sizes shared with the reader in run_file_layout.hpp.
// Every public member function switches HDF5's error printing off (Quiet) and checks every
// HDF5 call, so a failure is an IoError naming the file, the object and HDF5's reason.

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <optional>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "sim/io/canonical_copy.hpp"
#include "sim/io/hdf5_handles.hpp"
#include "sim/io/partial_file.hpp"
#include "sim/io/run_file_layout.hpp"

namespace spikerate::sim::io {

namespace fs = std::filesystem;
using namespace hdf5;

namespace {

// The directory a file at `path` goes into ("." for a bare file name).
struct SpikePopulation {
    std::string object;  // /spikes/<population>
    Group group;
    Dataset timestamps;
    Dataset node_ids;
    hsize_t size = 0;
    double last_time = 0.0;  // of the last spike appended
    bool sorted = true;      // what the sorting attribute says: by_time, else none
};

// A growing 1-D series under /metrics, kept open while the run appends to it.
struct MetricSeries {
    std::string object;  // /metrics/<path>
    Dataset data;
    hsize_t size = 0;
    bool counts = false;  // uint64 counts, else float64 measurements
    std::string units;
};

struct Report {
    std::string name;
    std::string object;  // /report/<name>
    Group group;
    Group mapping;
    Dataset data;
    Dataset time;
    hsize_t elements = 0;
    hsize_t frames = 0;
    double time_start = 0.0;
    double time_step = 1.0;
};

}  // namespace

struct RunFileWriter::Impl {
    fs::path path;
    fs::path partial;
    std::string file;  // partial path as text, for messages
    File h5;
    Group spikes;
    Group report;
    Group metrics;
    Group populations;  // /populations: descriptions of populations
    Group projections;  // /projections
    std::map<std::string, SpikePopulation> spike_groups;
    std::vector<Report> reports;
    std::map<std::string, MetricSeries> series;  // by metric path
    std::optional<PartialFile> lock;             // the locked .partial file
    bool overwrite = false;
    bool finished = false;

    void require_open() const {
        if (finished) throw IoError(fmt::format("{}: run file already finished", path.string()));
    }

    void write_complete(std::uint8_t value) {
        write_attribute(h5.get(), "/", "complete", H5T_STD_U8LE, H5T_NATIVE_UINT8, &value, file);
    }

    void flush() { check(H5Fflush(h5.get(), H5F_SCOPE_GLOBAL), file, "/", "cannot flush"); }

    // Closes every object, then the file; throws on the first failure (ids are released
    // regardless, by the handles).
    void close_all() {
        for (auto& [path, m] : series) {
            check(m.data.close(), file, m.object, "cannot close dataset");
        }
        for (auto& r : reports) {
            check(r.time.close(), file, join(r.object, "mapping/time"), "cannot close dataset");
            check(r.data.close(), file, join(r.object, "data"), "cannot close dataset");
            check(r.mapping.close(), file, join(r.object, "mapping"), "cannot close group");
            check(r.group.close(), file, r.object, "cannot close group");
        }
        for (auto& [name, p] : spike_groups) {
            check(p.timestamps.close(), file, join(p.object, "timestamps"), "cannot close dataset");
            check(p.node_ids.close(), file, join(p.object, "node_ids"), "cannot close dataset");
            check(p.group.close(), file, p.object, "cannot close group");
        }
        check(projections.close(), file, projections_path, "cannot close group");
        check(populations.close(), file, populations_path, "cannot close group");
        check(metrics.close(), file, metrics_path, "cannot close group");
        check(report.close(), file, report_path, "cannot close group");
        check(spikes.close(), file, spikes_path, "cannot close group");
        // Only the file itself may be open now; anything else would keep it open after
        // H5Fclose (HDF5's default "weak" close) and the rename would move an unfinished file.
        const ssize_t open_objects = H5Fget_obj_count(h5.get(), H5F_OBJ_ALL | H5F_OBJ_LOCAL);
        if (open_objects != 1) {
            fail(file, "/", fmt::format("{} HDF5 objects still open at close", open_objects - 1));
        }
        check(h5.close(), file, "/", "cannot close file");
    }

    // Releases everything without checking (destructor, error paths).
    void release() noexcept {
        series.clear();
        reports.clear();
        spike_groups.clear();
        projections.reset();
        populations.reset();
        metrics.reset();
        report.reset();
        spikes.reset();
        h5.reset();
    }
};

void RunFileWriter::check_can_write(const fs::path& path, bool overwrite) {
    PartialFile::check(path, overwrite);
}

RunFileWriter::RunFileWriter(fs::path path, bool overwrite, const RunAttributes& attributes)
    : impl_(std::make_unique<Impl>()) {
    const Quiet quiet;
    Impl& m = *impl_;
    m.path = std::move(path);
    m.overwrite = overwrite;
    m.partial = m.path;
    m.partial += ".partial";
    m.file = m.partial.string();

    // The .partial file, created exclusively and locked for the writer's lifetime, then
    // filled by HDF5 (which truncates the empty file it finds).
    m.lock.emplace(m.path, overwrite);
    std::error_code ec;
    const Plist fapl = writer_access_plist(m.file);
    const hid_t id = H5Fcreate(m.file.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get());
    if (id < 0) {
        const std::string reason = hdf5_reason();
        fs::remove(m.partial, ec);  // created above, empty
        throw IoError(fmt::format("{}: cannot create output file{}", m.file, reason));
    }
    m.h5 = File(id);

    try {
        const hid_t root = m.h5.get();
        write_string_attribute(root, "/", "spikerate_version", attributes.spikerate_version,
                               m.file);
        const std::int32_t version = io::format_version;
        write_attribute(root, "/", "format_version", H5T_STD_I32LE, H5T_NATIVE_INT32, &version,
                        m.file);
        write_attribute(root, "/", "seed", H5T_STD_U64LE, H5T_NATIVE_UINT64, &attributes.seed,
                        m.file);
        write_string_attribute(root, "/", "scenario", attributes.scenario, m.file);
        write_attribute(root, "/", "dt_ms", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &attributes.dt_ms,
                        m.file);
        m.write_complete(0);
        m.spikes = create_group(root, "/", spikes_group, m.file);
        m.report = create_group(root, "/", report_group, m.file);
        m.metrics = create_group(root, "/", metrics_group, m.file);
        m.populations = create_group(root, "/", populations_group, m.file);
        m.projections = create_group(root, "/", projections_group, m.file);
        m.flush();
    } catch (...) {
        m.release();
        fs::remove(m.partial, ec);  // nothing of value in it yet
        throw;
    }
}

RunFileWriter::~RunFileWriter() {
    if (!impl_ || impl_->finished || !impl_->h5.valid()) return;
    const Quiet quiet;
    (void)H5Fflush(impl_->h5.get(), H5F_SCOPE_GLOBAL);
    impl_->release();
    (void)H5Eclear2(H5E_DEFAULT);
}

const fs::path& RunFileWriter::path() const { return impl_->path; }
const fs::path& RunFileWriter::partial_path() const { return impl_->partial; }

namespace {

// The attributes of a role (sim/recorder.hpp, RecordRole) on a report or spike group.
void write_role(hid_t obj, const std::string& object, const RecordRole& role,
                const std::string& file) {
    if (role.role.empty()) {
        if (role.network.empty() && role.population.empty() && role.projection.empty() &&
            role.variable.empty() && role.input_shape.empty() && role.layer == 0) {
            return;
        }
        fail(file, object, "a record role without its role");
    }
    write_string_attribute(obj, object, "network", role.network, file);
    write_string_attribute(obj, object, "role", role.role, file);
    if (!role.population.empty()) {
        write_string_attribute(obj, object, "population", role.population, file);
    }
    if (!role.projection.empty()) {
        write_string_attribute(obj, object, "projection", role.projection, file);
    }
    if (!role.variable.empty())
        write_string_attribute(obj, object, "variable", role.variable, file);
    if (!role.input_shape.empty()) {
        write_u64_array_attribute(obj, object, "input_shape", role.input_shape, file);
    }
    if (role.layer > 0) {
        write_attribute(obj, object, "layer", H5T_STD_U64LE, H5T_NATIVE_UINT64, &role.layer, file);
    }
}

// A new group /<parent>/<name> for a description; throws if the name is invalid or taken.
Group description_group(hid_t parent, const char* parent_path, const std::string& name,
                        const char* what, const std::string& file) {
    const std::string object = join(parent_path, name);
    if (!valid_name(name)) throw IoError(fmt::format("{}:{}: invalid {} name", file, object, what));
    if (link_exists(parent, name, file, object)) {
        throw IoError(fmt::format("{}:{}: {} already described", file, object, what));
    }
    return create_group(parent, parent_path, name, file);
}

}  // namespace

namespace {

// /populations/<name>/<annotation>: a fixed 1-D dataset with its units.
void write_annotation(hid_t group, const std::string& group_path, const PopulationAnnotation& a,
                      const std::string& file) {
    const std::string object = join(group_path, a.name);
    if (!valid_name(a.name))
        throw IoError(fmt::format("{}:{}: invalid annotation name", file, object));
    std::visit(
        [&](const auto& values) {
            using Value = typename std::decay_t<decltype(values)>::value_type;
            if constexpr (std::is_same_v<Value, double>) {
                write_fixed_dataset(group, group_path, a.name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                                    values.data(), values.size(), file);
            } else {
                write_fixed_dataset(group, group_path, a.name, H5T_STD_U64LE, H5T_NATIVE_UINT64,
                                    values.data(), values.size(), file);
            }
        },
        a.values);
    Dataset ds = checked<Dataset>(H5Dopen2(group, a.name.c_str(), H5P_DEFAULT), file, object,
                                  "cannot open dataset");
    write_string_attribute(ds.get(), object, "units", a.units, file);
    check(ds.close(), file, object, "cannot close dataset");
}

}  // namespace

void RunFileWriter::describe_population(const PopulationDescription& d) {
    const Quiet quiet;
    Impl& m = *impl_;
    m.require_open();
    const std::string object = join(populations_path, d.name);
    if (d.variables.size() != d.variable_units.size()) {
        throw IoError(fmt::format("{}:{}: {} variables but {} units", m.file, object,
                                  d.variables.size(), d.variable_units.size()));
    }
    Group g =
        description_group(m.populations.get(), populations_path, d.name, "population", m.file);
    const hid_t id = g.get();
    write_string_attribute(id, object, "network", d.network, m.file);
    write_string_attribute(id, object, "local_name", d.local_name, m.file);
    write_attribute(id, object, "index", H5T_STD_U64LE, H5T_NATIVE_UINT64, &d.index, m.file);
    write_string_attribute(id, object, "model", d.model, m.file);
    write_string_attribute(id, object, "kind", d.kind, m.file);
    write_attribute(id, object, "size", H5T_STD_U64LE, H5T_NATIVE_UINT64, &d.size, m.file);
    write_string_attribute(id, object, "weight_unit", d.weight_unit, m.file);
    write_string_array_attribute(id, object, "variables", d.variables, m.file);
    write_string_array_attribute(id, object, "variable_units", d.variable_units, m.file);
    for (const PopulationAnnotation& a : d.annotations) write_annotation(id, object, a, m.file);
    check(g.close(), m.file, object, "cannot close group");
}

void RunFileWriter::describe_projection(const ProjectionDescription& d) {
    const Quiet quiet;
    Impl& m = *impl_;
    m.require_open();
    const std::string object = join(projections_path, d.name);
    Group g =
        description_group(m.projections.get(), projections_path, d.name, "projection", m.file);
    const hid_t id = g.get();
    write_string_attribute(id, object, "network", d.network, m.file);
    write_string_attribute(id, object, "local_name", d.local_name, m.file);
    write_string_attribute(id, object, "pre", d.pre, m.file);
    write_string_attribute(id, object, "post", d.post, m.file);
    write_attribute(id, object, "synapses", H5T_STD_U64LE, H5T_NATIVE_UINT64, &d.synapses, m.file);
    write_string_attribute(id, object, "weight_unit", d.weight_unit, m.file);
    write_string_attribute(id, object, "plasticity", d.plasticity, m.file);
    write_string_attribute(id, object, "receptor", d.receptor, m.file);
    check(g.close(), m.file, object, "cannot close group");
}

void RunFileWriter::add_spike_population(const std::string& population, const RecordRole& role) {
    const Quiet quiet;
    Impl& m = *impl_;
    m.require_open();
    const std::string object = join(spikes_path, population);
    if (!valid_name(population)) {
        throw IoError(fmt::format("{}:{}: invalid population name", m.file, object));
    }
    if (m.spike_groups.contains(population)) {
        throw IoError(fmt::format("{}:{}: spike population already added", m.file, object));
    }
    SpikePopulation p;
    p.object = object;
    p.group = create_group(m.spikes.get(), spikes_path, population, m.file);
    const Datatype file_enum = sorting_enum_type(H5T_STD_U8LE, m.file, object);
    const Datatype mem_enum = sorting_enum_type(H5T_NATIVE_UINT8, m.file, object);
    const auto sorting = static_cast<std::uint8_t>(Sorting::by_time);
    write_attribute(p.group.get(), object, "sorting", file_enum.get(), mem_enum.get(), &sorting,
                    m.file);
    write_role(p.group.get(), object, role, m.file);
    p.timestamps = create_extendible_1d(p.group.get(), object, "timestamps", H5T_IEEE_F64LE, m.file,
                                        spike_chunk_elements);
    write_string_attribute(p.timestamps.get(), join(object, "timestamps"), "units", "ms", m.file);
    p.node_ids = create_extendible_1d(p.group.get(), object, "node_ids", H5T_STD_U64LE, m.file,
                                      spike_chunk_elements);
    m.spike_groups.emplace(population, std::move(p));
}

void RunFileWriter::append_spikes(const std::string& population, std::span<const double> times_ms,
                                  std::span<const std::uint64_t> node_ids) {
    const Quiet quiet;
    Impl& m = *impl_;
    m.require_open();
    const std::string object = join(spikes_path, population);
    const auto it = m.spike_groups.find(population);
    if (it == m.spike_groups.end()) {
        throw IoError(
            fmt::format("{}:{}: no such spike population (add it first)", m.file, object));
    }
    if (times_ms.size() != node_ids.size()) {
        throw IoError(fmt::format("{}:{}: {} spike times but {} node ids", m.file, object,
                                  times_ms.size(), node_ids.size()));
    }
    if (times_ms.empty()) return;
    SpikePopulation& p = it->second;
    // sorting = by_time (SONATA: timestamps non-decreasing) stays true, or becomes none.
    bool in_order = p.sorted;
    double last_time = p.last_time;
    for (std::size_t i = 0; i < times_ms.size(); ++i) {
        const double t = times_ms[i];
        if (!std::isfinite(t)) {
            throw IoError(fmt::format("{}:{}: spike time {} ms (node {}) is not finite", m.file,
                                      object, t, node_ids[i]));
        }
        if (p.size + i > 0 && t < last_time) in_order = false;
        last_time = t;
    }
    if (!in_order && p.sorted) {
        const Datatype file_enum = sorting_enum_type(H5T_STD_U8LE, m.file, object);
        const Datatype mem_enum = sorting_enum_type(H5T_NATIVE_UINT8, m.file, object);
        const auto none = static_cast<std::uint8_t>(Sorting::none);
        write_attribute(p.group.get(), object, "sorting", file_enum.get(), mem_enum.get(), &none,
                        m.file);
        p.sorted = false;
    }
    const auto count = static_cast<hsize_t>(times_ms.size());
    append_1d(p.timestamps.get(), p.size, count, H5T_NATIVE_DOUBLE, times_ms.data(), m.file,
              join(object, "timestamps"));
    append_1d(p.node_ids.get(), p.size, count, H5T_NATIVE_UINT64, node_ids.data(), m.file,
              join(object, "node_ids"));
    p.size += count;
    p.last_time = last_time;
}

std::size_t RunFileWriter::add_report(const ReportLayout& layout) {
    const Quiet quiet;
    Impl& m = *impl_;
    m.require_open();
    const std::string object = join(report_path, layout.name);
    auto invalid = [&](std::string_view why) {
        return IoError(fmt::format("{}:{}: invalid report layout: {}", m.file, object, why));
    };
    if (!valid_name(layout.name)) throw invalid("bad name");
    for (const auto& r : m.reports) {
        if (r.name == layout.name) throw invalid("a report of this name was already added");
    }
    const std::size_t nodes = layout.node_ids.size();
    const std::size_t elements = layout.element_ids.size();
    const auto& ip = layout.index_pointers;
    if (ip.size() != nodes + 1) {
        throw invalid(
            fmt::format("{} index_pointers for {} nodes (need nodes + 1)", ip.size(), nodes));
    }
    if (ip.front() != 0 || ip.back() != elements || !std::is_sorted(ip.begin(), ip.end())) {
        throw invalid(fmt::format("index_pointers must rise from 0 to the number of elements ({})",
                                  elements));
    }
    if (!std::isfinite(layout.time_start) || !std::isfinite(layout.time_step) ||
        !(layout.time_step > 0.0)) {
        throw invalid("time_start must be finite and time_step finite and > 0");
    }
    if (layout.time_units.empty()) throw invalid("time_units must not be empty");
    for (const auto& [name, values] : layout.extra_element_mapping) {
        if (!valid_name(name) || is_sonata_mapping_name(name)) {
            throw invalid(fmt::format("bad extra mapping name '{}'", name));
        }
        if (values.size() != elements) {
            throw invalid(fmt::format("extra mapping '{}' has {} values for {} elements", name,
                                      values.size(), elements));
        }
        for (const auto& [other, unused] : layout.extra_element_mapping) {
            if (&other != &name && other == name) {
                throw invalid(fmt::format("extra mapping '{}' given twice", name));
            }
        }
    }

    Report r;
    r.name = layout.name;
    r.object = object;
    r.elements = elements;
    r.time_start = layout.time_start;
    r.time_step = layout.time_step;
    r.group = create_group(m.report.get(), report_path, layout.name, m.file);
    write_role(r.group.get(), object, layout.role, m.file);
    const std::string mapping = join(object, "mapping");
    r.mapping = create_group(r.group.get(), object, "mapping", m.file);
    const hid_t g = r.mapping.get();
    write_fixed_dataset(g, mapping, "node_ids", H5T_STD_U64LE, H5T_NATIVE_UINT64,
                        layout.node_ids.data(), nodes, m.file);
    write_fixed_dataset(g, mapping, "index_pointers", H5T_STD_U64LE, H5T_NATIVE_UINT64, ip.data(),
                        ip.size(), m.file);
    write_fixed_dataset(g, mapping, "element_ids", H5T_STD_U64LE, H5T_NATIVE_UINT64,
                        layout.element_ids.data(), elements, m.file);
    for (const auto& [name, values] : layout.extra_element_mapping) {
        write_fixed_dataset(g, mapping, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, values.data(),
                            elements, m.file);
    }
    {
        const std::string time_object = join(mapping, "time");
        const hsize_t three = 3;
        const auto space = checked<Dataspace>(H5Screate_simple(1, &three, nullptr), m.file,
                                              time_object, "cannot create dataspace");
        const Plist dcpl = dataset_create_plist(m.file, time_object);
        r.time = checked<Dataset>(H5Dcreate2(g, "time", H5T_IEEE_F64LE, space.get(), H5P_DEFAULT,
                                             dcpl.get(), H5P_DEFAULT),
                                  m.file, time_object, "cannot create dataset");
        const std::array<double, 3> time{r.time_start, r.time_start, r.time_step};
        check(H5Dwrite(r.time.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, time.data()),
              m.file, time_object, "cannot write dataset");
        write_string_attribute(r.time.get(), time_object, "units", layout.time_units, m.file);
    }
    {
        const std::string data_object = join(object, "data");
        // Chunks of whole frames of about report_chunk_target_bytes, or, when one frame is
        // larger than report_chunk_max_bytes, one frame split into blocks of that size.
        const hsize_t row_bytes = std::max<hsize_t>(elements, 1) * sizeof(float);
        std::array<hsize_t, 2> chunk{};
        if (row_bytes <= report_chunk_max_bytes) {
            chunk = {std::max<hsize_t>(1, report_chunk_target_bytes / row_bytes),
                     std::max<hsize_t>(elements, 1)};
        } else {
            chunk = {1, report_chunk_max_bytes / sizeof(float)};
        }
        const std::array<hsize_t, 2> dims{0, elements};
        // A dimension of fixed size 0 cannot hold a chunk of 1: leave it unlimited then.
        const std::array<hsize_t, 2> maxdims{H5S_UNLIMITED,
                                             elements > 0 ? elements : H5S_UNLIMITED};
        const auto space = checked<Dataspace>(H5Screate_simple(2, dims.data(), maxdims.data()),
                                              m.file, data_object, "cannot create dataspace");
        const Plist dcpl = dataset_create_plist(m.file, data_object);
        check(H5Pset_chunk(dcpl.get(), 2, chunk.data()), m.file, data_object,
              "cannot set chunk shape");
        r.data = checked<Dataset>(H5Dcreate2(r.group.get(), "data", H5T_IEEE_F32LE, space.get(),
                                             H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                                  m.file, data_object, "cannot create dataset");
        write_string_attribute(r.data.get(), data_object, "units", layout.units, m.file);
    }
    m.reports.push_back(std::move(r));
    return m.reports.size() - 1;
}

void RunFileWriter::append_frames(std::size_t report, std::span<const float> frames,
                                  std::size_t n_frames) {
    const Quiet quiet;
    Impl& m = *impl_;
    m.require_open();
    if (report >= m.reports.size()) {
        throw IoError(fmt::format("{}:{}: no report with handle {}", m.file, report_path, report));
    }
    Report& r = m.reports[report];
    const std::string data_object = join(r.object, "data");
    if (frames.size() != n_frames * r.elements) {
        throw IoError(fmt::format("{}:{}: {} values for {} frames of {} elements", m.file,
                                  data_object, frames.size(), n_frames, r.elements));
    }
    if (n_frames == 0) return;
    const auto count = static_cast<hsize_t>(n_frames);
    const std::array<hsize_t, 2> new_dims{r.frames + count, r.elements};
    check(H5Dset_extent(r.data.get(), new_dims.data()), m.file, data_object,
          fmt::format("cannot extend to {} frames", new_dims[0]));
    if (r.elements > 0) {
        const auto fspace = checked<Dataspace>(H5Dget_space(r.data.get()), m.file, data_object,
                                               "cannot get dataspace");
        const std::array<hsize_t, 2> offset{r.frames, 0};
        const std::array<hsize_t, 2> block{count, r.elements};
        check(H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, offset.data(), nullptr,
                                  block.data(), nullptr),
              m.file, data_object, "cannot select hyperslab");
        const auto mspace = checked<Dataspace>(H5Screate_simple(2, block.data(), nullptr), m.file,
                                               data_object, "cannot create memory dataspace");
        check(H5Dwrite(r.data.get(), H5T_NATIVE_FLOAT, mspace.get(), fspace.get(), H5P_DEFAULT,
                       frames.data()),
              m.file, data_object, "cannot write");
    }
    r.frames += count;
    // SONATA: stop = start + frames * step, exclusive.
    const std::array<double, 3> time{
        r.time_start, r.time_start + static_cast<double>(r.frames) * r.time_step, r.time_step};
    check(H5Dwrite(r.time.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, time.data()),
          m.file, join(r.object, "mapping/time"), "cannot write dataset");
}

namespace {

// Opens or creates the groups of /metrics/<path> up to the last component; returns the
// parent group, its object path and the last component.
struct MetricLocation {
    Group parent;
    std::string parent_object;
    std::string name;
};

MetricLocation metric_location(hid_t metrics, const std::string& path, const std::string& file) {
    std::vector<std::string> parts;
    std::size_t begin = 0;
    while (true) {
        const std::size_t end = path.find('/', begin);
        parts.push_back(path.substr(begin, end == std::string::npos ? end : end - begin));
        if (end == std::string::npos) break;
        begin = end + 1;
    }
    for (const auto& part : parts) {
        if (!valid_name(part)) {
            throw IoError(
                fmt::format("{}:{}: invalid metric path", file, join(metrics_path, path)));
        }
    }
    MetricLocation loc;
    loc.parent_object = metrics_path;
    loc.parent = checked<Group>(H5Gopen2(metrics, ".", H5P_DEFAULT), file, loc.parent_object,
                                "cannot open group");
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
        const std::string object = join(loc.parent_object, parts[i]);
        Group next;
        if (link_exists(loc.parent.get(), parts[i], file, object)) {
            H5O_info_t info{};
            check(H5Oget_info_by_name2(loc.parent.get(), parts[i].c_str(), &info, H5O_INFO_BASIC,
                                       H5P_DEFAULT),
                  file, object, "cannot get object info");
            if (info.type != H5O_TYPE_GROUP) fail(file, object, "exists and is not a group");
            next = checked<Group>(H5Gopen2(loc.parent.get(), parts[i].c_str(), H5P_DEFAULT), file,
                                  object, "cannot open group");
        } else {
            next = create_group(loc.parent.get(), loc.parent_object, parts[i], file);
        }
        loc.parent = std::move(next);
        loc.parent_object = object;
    }
    loc.name = parts.back();
    return loc;
}

void write_scalar_metric(hid_t metrics, const std::string& path, hid_t file_type, hid_t mem_type,
                         const void* value, const std::string& units, const std::string& file,
                         const std::string* source = nullptr) {
    const MetricLocation loc = metric_location(metrics, path, file);
    const std::string object = join(loc.parent_object, loc.name);
    Dataset ds;
    if (link_exists(loc.parent.get(), loc.name, file, object)) {
        // Written again: overwrite in place if it has the same kind of type.
        ds = checked<Dataset>(H5Dopen2(loc.parent.get(), loc.name.c_str(), H5P_DEFAULT), file,
                              object, "exists and cannot be opened as a dataset");
        const auto type = checked<Datatype>(H5Dget_type(ds.get()), file, object, "cannot get type");
        if (H5Tget_class(type.get()) != H5Tget_class(file_type)) {
            fail(file, object, "exists with a different type");
        }
        if (!dataset_dims(ds.get(), file, object).empty()) fail(file, object, "not a scalar");
    } else {
        const auto space =
            checked<Dataspace>(H5Screate(H5S_SCALAR), file, object, "cannot create dataspace");
        const Plist dcpl = dataset_create_plist(file, object);
        ds = checked<Dataset>(H5Dcreate2(loc.parent.get(), loc.name.c_str(), file_type, space.get(),
                                         H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                              file, object, "cannot create dataset");
    }
    check(H5Dwrite(ds.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, value), file, object,
          "cannot write dataset");
    write_string_attribute(ds.get(), object, "units", units, file);
    if (source != nullptr) write_string_attribute(ds.get(), object, "source", *source, file);
    check(ds.close(), file, object, "cannot close dataset");
}

// The series at /metrics/<path>, created on first use with the given kind and units.
MetricSeries& open_series(hid_t metrics, std::map<std::string, MetricSeries>& all,
                          const std::string& path, bool counts, const std::string& units,
                          const std::string& file) {
    if (const auto it = all.find(path); it != all.end()) {
        MetricSeries& series = it->second;
        if (series.counts != counts || series.units != units) {
            fail(file, series.object,
                 fmt::format("series exists as {} [{}], appended as {} [{}]",
                             series.counts ? "counts" : "float64", series.units,
                             counts ? "counts" : "float64", units));
        }
        return series;
    }
    const MetricLocation loc = metric_location(metrics, path, file);
    MetricSeries series;
    series.object = join(loc.parent_object, loc.name);
    if (link_exists(loc.parent.get(), loc.name, file, series.object)) {
        fail(file, series.object, "exists and is not a series this run appends to");
    }
    series.counts = counts;
    series.units = units;
    series.data =
        create_extendible_1d(loc.parent.get(), loc.parent_object, loc.name,
                             counts ? H5T_STD_U64LE : H5T_IEEE_F64LE, file, series_chunk_elements);
    write_string_attribute(series.data.get(), series.object, "units", units, file);
    return all.emplace(path, std::move(series)).first->second;
}

}  // namespace

void RunFileWriter::write_metric(const std::string& path, double value, const std::string& units) {
    const Quiet quiet;
    Impl& m = *impl_;
    m.require_open();
    write_scalar_metric(m.metrics.get(), path, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value, units,
                        m.file);
}

void RunFileWriter::write_cost(const std::string& path, double value, const std::string& units,
                               const std::string& source) {
    const Quiet quiet;
    Impl& m = *impl_;
    m.require_open();
    write_scalar_metric(m.metrics.get(), path, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value, units,
                        m.file, &source);
}

void RunFileWriter::write_count(const std::string& path, std::uint64_t value) {
    const Quiet quiet;
    Impl& m = *impl_;
    m.require_open();
    write_scalar_metric(m.metrics.get(), path, H5T_STD_U64LE, H5T_NATIVE_UINT64, &value, "",
                        m.file);
}

void RunFileWriter::append_series(const std::string& path, std::span<const double> values,
                                  const std::string& units) {
    const Quiet quiet;
    Impl& m = *impl_;
    m.require_open();
    MetricSeries& series = open_series(m.metrics.get(), m.series, path, false, units, m.file);
    if (values.empty()) return;
    append_1d(series.data.get(), series.size, values.size(), H5T_NATIVE_DOUBLE, values.data(),
              m.file, series.object);
    series.size += values.size();
}

void RunFileWriter::append_count_series(const std::string& path,
                                        std::span<const std::uint64_t> values) {
    const Quiet quiet;
    Impl& m = *impl_;
    m.require_open();
    MetricSeries& series = open_series(m.metrics.get(), m.series, path, true, "", m.file);
    if (values.empty()) return;
    append_1d(series.data.get(), series.size, values.size(), H5T_NATIVE_UINT64, values.data(),
              m.file, series.object);
    series.size += values.size();
}

void RunFileWriter::write_count_matrix(const std::string& path,
                                       std::span<const std::uint64_t> values, std::size_t rows,
                                       std::size_t cols) {
    const Quiet quiet;
    Impl& m = *impl_;
    m.require_open();
    const MetricLocation loc = metric_location(m.metrics.get(), path, m.file);
    const std::string object = join(loc.parent_object, loc.name);
    if (values.size() != rows * cols) {
        fail(m.file, object, fmt::format("{} values for {} x {}", values.size(), rows, cols));
    }
    const std::array<hsize_t, 2> dims{rows, cols};
    Dataset ds;
    if (link_exists(loc.parent.get(), loc.name, m.file, object)) {
        ds = checked<Dataset>(H5Dopen2(loc.parent.get(), loc.name.c_str(), H5P_DEFAULT), m.file,
                              object, "exists and cannot be opened as a dataset");
        const auto existing = dataset_dims(ds.get(), m.file, object);
        if (existing != std::vector<hsize_t>(dims.begin(), dims.end())) {
            fail(m.file, object, fmt::format("exists with another shape than {} x {}", rows, cols));
        }
    } else {
        const auto space = checked<Dataspace>(H5Screate_simple(2, dims.data(), nullptr), m.file,
                                              object, "cannot create dataspace");
        const Plist dcpl = dataset_create_plist(m.file, object);
        ds = checked<Dataset>(H5Dcreate2(loc.parent.get(), loc.name.c_str(), H5T_STD_U64LE,
                                         space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                              m.file, object, "cannot create dataset");
        write_string_attribute(ds.get(), object, "units", "", m.file);
    }
    if (!values.empty()) {
        check(H5Dwrite(ds.get(), H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
              m.file, object, "cannot write dataset");
    }
    check(ds.close(), m.file, object, "cannot close dataset");
}

void RunFileWriter::flush() {
    const Quiet quiet;
    Impl& m = *impl_;
    m.require_open();
    m.flush();
}

void RunFileWriter::finish() {
    Impl& m = *impl_;
    if (m.finished) return;
    const Quiet quiet;
    try {
        m.write_complete(1);
        m.flush();
        m.close_all();
    } catch (...) {
        m.release();
        m.finished = true;  // closed: the .partial file stays
        throw;
    }
    m.finished = true;
    // What is published is the canonical copy (canonical_copy.hpp): bytes that depend on the
    // file's contents alone, not on the history of its writes, flushes and resumes.
    m.lock->rewrite([](const fs::path& from, const fs::path& to) {
        write_canonical_copy(from.string(), to.string());
    });
    m.lock->publish();
}

RunFileWriter::Extents RunFileWriter::extents() const {
    const Impl& m = *impl_;
    Extents e;
    for (const auto& [name, p] : m.spike_groups) {
        e.spikes.push_back(
            {.population = name, .size = p.size, .last_time = p.last_time, .sorted = p.sorted});
    }
    for (const auto& r : m.reports) e.reports.push_back({.report = r.name, .frames = r.frames});
    for (const auto& [path, series] : m.series) {
        e.series.push_back(
            {.path = path, .size = series.size, .counts = series.counts, .units = series.units});
    }
    return e;
}

namespace {

// Whether `ds` is a growing (extendible 1-D or 2-D) dataset; its current first dimension.
std::optional<hsize_t> growing_length(hid_t ds, const std::string& file,
                                      const std::string& object) {
    const auto space = checked<Dataspace>(H5Dget_space(ds), file, object, "cannot get dataspace");
    const int rank = H5Sget_simple_extent_ndims(space.get());
    if (rank < 1 || rank > 2) return std::nullopt;
    std::array<hsize_t, 2> dims{};
    std::array<hsize_t, 2> maxdims{};
    if (H5Sget_simple_extent_dims(space.get(), dims.data(), maxdims.data()) < 0) {
        fail(file, object, "cannot get dimensions");
    }
    if (maxdims[0] != H5S_UNLIMITED) return std::nullopt;
    return dims[0];
}

// Cuts the growing dataset `ds` back to `length` rows; it must hold at least as many.
void cut_back(hid_t ds, hsize_t length, const std::string& file, const std::string& object) {
    const auto now = growing_length(ds, file, object);
    if (!now) fail(file, object, "is not a growing dataset (not the checkpoint's run file?)");
    if (*now < length) {
        fail(file, object,
             fmt::format("holds {} rows, the checkpoint {} (not the checkpoint's run file?)", *now,
                         length));
    }
    auto dims = dataset_dims(ds, file, object);
    dims[0] = length;
    check(H5Dset_extent(ds, dims.data()), file, object,
          fmt::format("cannot cut back to {} rows", length));
}

// The growing datasets below /metrics, as metric paths ("rate/mlp/curve/test_accuracy").
void growing_series(hid_t metrics, const std::string& prefix, const std::string& file,
                    std::vector<std::string>& found) {
    const std::string group_object = prefix.empty() ? metrics_path : join(metrics_path, prefix);
    const std::string relative = prefix.empty() ? "." : prefix;
    for (const auto& name : member_names(metrics, relative, H5O_TYPE_GROUP, file)) {
        growing_series(metrics, prefix.empty() ? name : prefix + "/" + name, file, found);
    }
    for (const auto& name : member_names(metrics, relative, H5O_TYPE_DATASET, file)) {
        const std::string path = prefix.empty() ? name : prefix + "/" + name;
        const Dataset ds = open_dataset(metrics, path, file);
        if (growing_length(ds.get(), file, join(group_object, name))) found.push_back(path);
    }
}

}  // namespace

RunFileWriter::RunFileWriter(fs::path path, bool overwrite, const Extents& extents, Resume)
    : impl_(std::make_unique<Impl>()) {
    const Quiet quiet;
    Impl& m = *impl_;
    m.path = std::move(path);
    m.overwrite = overwrite;
    m.partial = m.path;
    m.partial += ".partial";
    m.file = m.partial.string();
    m.lock.emplace(m.path, overwrite, PartialFile::Existing{});
    {
        const Plist fapl = writer_access_plist(m.file);
        const hid_t id = H5Fopen(m.file.c_str(), H5F_ACC_RDWR, fapl.get());
        if (id < 0) {
            throw IoError(
                fmt::format("{}: cannot open the partial output{}", m.file, hdf5_reason()));
        }
        m.h5 = File(id);
    }
    try {
        const hid_t root = m.h5.get();
        if (read_scalar_attribute<std::uint8_t>(root, "/", "complete", H5T_NATIVE_UINT8, m.file) !=
            0) {
            fail(m.file, "/", "the run is complete (complete = 1): nothing to resume");
        }
        const auto open_group = [&](hid_t parent, const std::string& name,
                                    const std::string& object) {
            return checked<Group>(H5Gopen2(parent, name.c_str(), H5P_DEFAULT), m.file, object,
                                  "missing (not the checkpoint's run file?)");
        };
        m.spikes = open_group(root, spikes_group, spikes_path);
        m.report = open_group(root, report_group, report_path);
        m.metrics = open_group(root, metrics_group, metrics_path);
        // The descriptions were written when the run began and stand as they are.
        m.populations = open_group(root, populations_group, populations_path);
        m.projections = open_group(root, projections_group, projections_path);

        std::vector<std::string> kept;
        // Groups under `path` the checkpoint does not know were created after it: removed.
        const auto remove_groups_not_kept = [&](hid_t group, const char* path) {
            for (const auto& name : member_names(root, path, H5O_TYPE_GROUP, m.file)) {
                if (std::find(kept.begin(), kept.end(), name) == kept.end()) {
                    check(H5Ldelete(group, name.c_str(), H5P_DEFAULT), m.file, join(path, name),
                          "cannot remove");
                }
            }
        };
        for (const auto& e : extents.spikes) {
            SpikePopulation p;
            p.object = join(spikes_path, e.population);
            p.group = open_group(m.spikes.get(), e.population, p.object);
            p.timestamps = open_dataset(p.group.get(), "timestamps", m.file);
            p.node_ids = open_dataset(p.group.get(), "node_ids", m.file);
            cut_back(p.timestamps.get(), e.size, m.file, join(p.object, "timestamps"));
            cut_back(p.node_ids.get(), e.size, m.file, join(p.object, "node_ids"));
            p.size = e.size;
            p.last_time = e.last_time;
            p.sorted = e.sorted;
            const Datatype file_enum = sorting_enum_type(H5T_STD_U8LE, m.file, p.object);
            const Datatype mem_enum = sorting_enum_type(H5T_NATIVE_UINT8, m.file, p.object);
            const auto sorting =
                static_cast<std::uint8_t>(p.sorted ? Sorting::by_time : Sorting::none);
            write_attribute(p.group.get(), p.object, "sorting", file_enum.get(), mem_enum.get(),
                            &sorting, m.file);
            kept.push_back(e.population);
            m.spike_groups.emplace(e.population, std::move(p));
        }
        remove_groups_not_kept(m.spikes.get(), spikes_path);

        kept.clear();
        for (const auto& e : extents.reports) {
            Report r;
            r.name = e.report;
            r.object = join(report_path, e.report);
            r.group = open_group(m.report.get(), e.report, r.object);
            r.mapping = open_group(r.group.get(), "mapping", join(r.object, "mapping"));
            r.data = open_dataset(r.group.get(), "data", m.file);
            r.time = open_dataset(r.mapping.get(), "time", m.file);
            cut_back(r.data.get(), e.frames, m.file, join(r.object, "data"));
            r.elements = dataset_dims(r.data.get(), m.file, join(r.object, "data")).at(1);
            r.frames = e.frames;
            std::array<double, 3> time{};
            check(H5Dread(r.time.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                          time.data()),
                  m.file, join(r.object, "mapping/time"), "cannot read dataset");
            r.time_start = time[0];
            r.time_step = time[2];
            time[1] = r.time_start + static_cast<double>(r.frames) * r.time_step;
            check(H5Dwrite(r.time.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                           time.data()),
                  m.file, join(r.object, "mapping/time"), "cannot write dataset");
            kept.push_back(e.report);
            m.reports.push_back(std::move(r));
        }
        remove_groups_not_kept(m.report.get(), report_path);

        kept.clear();
        for (const auto& e : extents.series) {
            MetricSeries series;
            series.object = join(metrics_path, e.path);
            series.data = open_dataset(m.metrics.get(), e.path, m.file);
            cut_back(series.data.get(), e.size, m.file, series.object);
            series.size = e.size;
            series.counts = e.counts;
            series.units = e.units;
            kept.push_back(e.path);
            m.series.emplace(e.path, std::move(series));
        }
        std::vector<std::string> growing;
        growing_series(m.metrics.get(), "", m.file, growing);
        for (const auto& path : growing) {
            if (std::find(kept.begin(), kept.end(), path) == kept.end()) {
                check(H5Ldelete(m.metrics.get(), path.c_str(), H5P_DEFAULT), m.file,
                      join(metrics_path, path), "cannot remove");
            }
        }
        m.flush();
    } catch (...) {
        m.release();
        throw;
    }
}

}  // namespace spikerate::sim::io
