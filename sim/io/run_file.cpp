#include "sim/io/run_file.hpp"

// The HDF5 C API appears only in this file. Layout: sim/io/FORMAT.md.
//
// Conventions in this file:
// - every HDF5 id lives in a Handle (RAII, closed with the function of its kind);
// - every HDF5 call's result is checked; a failure throws IoError naming the file, the HDF5
//   object path and the innermost message of HDF5's error stack;
// - HDF5's own error printing is switched off (Quiet) for the duration of each public call.

#include <hdf5.h>

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <map>
#include <string_view>
#include <system_error>
#include <utility>

namespace spikerate::sim::io {

namespace fs = std::filesystem;

namespace {

// ---------------------------------------------------------------------------------------
// Constants of the layout (FORMAT.md)

constexpr const char* spikes_group = "spikes";
constexpr const char* report_group = "report";
constexpr const char* metrics_group = "metrics";

// Spike datasets: 64 Ki elements per chunk = 512 KiB for float64 and uint64, which fits the
// default 1 MiB chunk cache of each dataset, so small appends accumulate in memory.
constexpr hsize_t spike_chunk_elements = hsize_t{64} * 1024;
// Metric series (learning curves) hold a few hundred points: 8 KiB chunks.
constexpr hsize_t series_chunk_elements = 1024;

// Report data: chunks of whole frames (rows) of about report_chunk_target_bytes; a frame wider
// than report_chunk_max_bytes is split into column blocks of that size, one frame per chunk.
constexpr hsize_t report_chunk_target_bytes = hsize_t{256} * 1024;
constexpr hsize_t report_chunk_max_bytes = hsize_t{1024} * 1024;

// Enum values of the `sorting` attribute (SONATA).
enum class Sorting : std::uint8_t { none = 0, by_id = 1, by_time = 2 };

// ---------------------------------------------------------------------------------------
// RAII handles

template <herr_t (*Close)(hid_t)>
class Handle {
  public:
    Handle() = default;
    explicit Handle(hid_t id) : id_(id) {}
    ~Handle() { reset(); }
    Handle(Handle&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)) {}
    Handle& operator=(Handle&& other) noexcept {
        if (this != &other) {
            reset();
            id_ = std::exchange(other.id_, H5I_INVALID_HID);
        }
        return *this;
    }
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;

    hid_t get() const { return id_; }
    bool valid() const { return id_ >= 0; }
    // Closes now and returns the result (for callers that check it).
    herr_t close() {
        const hid_t id = std::exchange(id_, H5I_INVALID_HID);
        return id >= 0 ? Close(id) : 0;
    }
    void reset() noexcept {
        if (id_ >= 0) {
            (void)Close(id_);
            id_ = H5I_INVALID_HID;
        }
    }

  private:
    hid_t id_ = H5I_INVALID_HID;
};

using File = Handle<H5Fclose>;
using Group = Handle<H5Gclose>;
using Dataset = Handle<H5Dclose>;
using Dataspace = Handle<H5Sclose>;
using Datatype = Handle<H5Tclose>;
using Attribute = Handle<H5Aclose>;
using Plist = Handle<H5Pclose>;

// Switches HDF5's automatic error printing off for the lifetime of the object (per thread in
// HDF5's thread-safe build) and restores the previous handler afterwards.
class Quiet {
  public:
    Quiet() {
        if (H5Eget_auto2(H5E_DEFAULT, &func_, &data_) < 0) {
            func_ = nullptr;
            data_ = nullptr;
            restore_ = false;
        }
        (void)H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    }
    ~Quiet() {
        if (restore_) (void)H5Eset_auto2(H5E_DEFAULT, func_, data_);
    }
    Quiet(const Quiet&) = delete;
    Quiet& operator=(const Quiet&) = delete;

  private:
    H5E_auto2_t func_ = nullptr;
    void* data_ = nullptr;
    bool restore_ = true;
};

// ---------------------------------------------------------------------------------------
// Errors

// The innermost (most specific) message on HDF5's error stack, then clears the stack.
std::string hdf5_reason() {
    struct Found {
        std::string desc;
        hid_t minor = H5I_INVALID_HID;
        bool have = false;
    } found;
    auto walk = [](unsigned, const H5E_error2_t* e, void* client) -> herr_t {
        auto* f = static_cast<Found*>(client);
        if (!f->have) {
            f->have = true;
            f->desc = e->desc != nullptr ? e->desc : "";
            f->minor = e->min_num;
        }
        return 0;
    };
    (void)H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk, &found);
    std::string text = found.desc;
    if (text.empty() && found.have) {
        std::array<char, 256> msg{};
        H5E_type_t type{};
        if (H5Eget_msg(found.minor, &type, msg.data(), msg.size()) > 0) text = msg.data();
    }
    (void)H5Eclear2(H5E_DEFAULT);
    return text.empty() ? std::string() : fmt::format(" (HDF5: {})", text);
}

[[noreturn]] void fail(const std::string& file, std::string_view object, std::string_view what) {
    throw IoError(fmt::format("{}:{}: {}{}", file, object, what, hdf5_reason()));
}

// Checks an id returned by HDF5; wraps it into its handle type.
template <class H>
H checked(hid_t id, const std::string& file, std::string_view object, std::string_view what) {
    if (id < 0) fail(file, object, what);
    return H(id);
}

void check(herr_t status, const std::string& file, std::string_view object, std::string_view what) {
    if (status < 0) fail(file, object, what);
}

std::string join(std::string_view parent, std::string_view name) {
    if (parent.empty() || parent == "/") return fmt::format("/{}", name);
    return fmt::format("{}/{}", parent, name);
}

// A name usable as one HDF5 link name of this format.
bool valid_name(std::string_view name) {
    return !name.empty() && name != "." && name != ".." &&
           name.find('/') == std::string_view::npos && name.find('\0') == std::string_view::npos;
}

// ---------------------------------------------------------------------------------------
// Types and property lists

Datatype utf8_string_type(const std::string& file, std::string_view object) {
    auto type = checked<Datatype>(H5Tcopy(H5T_C_S1), file, object, "cannot copy string type");
    check(H5Tset_size(type.get(), H5T_VARIABLE), file, object, "cannot make string type variable");
    check(H5Tset_cset(type.get(), H5T_CSET_UTF8), file, object, "cannot set UTF-8 on string type");
    return type;
}

// The sorting enum with base `base` (H5T_STD_U8LE in the file, H5T_NATIVE_UINT8 in memory).
Datatype sorting_enum_type(hid_t base, const std::string& file, std::string_view object) {
    auto type = checked<Datatype>(H5Tenum_create(base), file, object, "cannot create enum type");
    const std::array<std::pair<const char*, Sorting>, 3> members{
        {{"none", Sorting::none}, {"by_id", Sorting::by_id}, {"by_time", Sorting::by_time}}};
    for (const auto& [label, value] : members) {
        const auto v = static_cast<std::uint8_t>(value);
        check(H5Tenum_insert(type.get(), label, &v), file, object, "cannot insert enum member");
    }
    return type;
}

// Object creation property lists with time tracking off: files must not depend on the clock.
Plist group_create_plist(const std::string& file, std::string_view object) {
    auto plist = checked<Plist>(H5Pcreate(H5P_GROUP_CREATE), file, object,
                                "cannot create group property list");
    check(H5Pset_obj_track_times(plist.get(), 0), file, object, "cannot disable time tracking");
    return plist;
}

Plist dataset_create_plist(const std::string& file, std::string_view object) {
    auto plist = checked<Plist>(H5Pcreate(H5P_DATASET_CREATE), file, object,
                                "cannot create dataset property list");
    check(H5Pset_obj_track_times(plist.get(), 0), file, object, "cannot disable time tracking");
    return plist;
}

// The writer's file access (and the reader's fallback: HDF5 refuses to open a file twice in
// one process with different file-locking settings).
Plist file_access_plist(const std::string& file) {
    auto fapl = checked<Plist>(H5Pcreate(H5P_FILE_ACCESS), file, "/",
                               "cannot create file access property list");
    // Oldest object formats that support what we write, never newer than HDF5 1.8's: readable
    // by any HDF5 >= 1.8, and no superblock "open for writing" flag (1.10's v3 superblock),
    // so a file left by a killed run opens without h5clear.
    check(H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_EARLIEST, H5F_LIBVER_V18), file, "/",
          "cannot set format version bounds");
    // No advisory lock: another process may open the .partial file while a run writes it.
    check(H5Pset_file_locking(fapl.get(), 0, 1), file, "/", "cannot disable file locking");
    return fapl;
}

// The writer's file access: as above, plus a metadata cache that never evicts, so metadata
// reaches the disk only in flush() (H5Fflush) and close. Between two flushes the file on disk
// therefore keeps the metadata of the last flush (an evicted entry written between flushes
// could, without SWMR's ordering, leave a killed run's file inconsistent). The cost is that
// the cache holds all of the file's metadata: object headers and chunk B-trees, about
// 40 bytes per chunk of 256-512 KiB, i.e. ~1e-4 of the data written.
Plist writer_access_plist(const std::string& file) {
    Plist fapl = file_access_plist(file);
    H5AC_cache_config_t config{};
    config.version = H5AC__CURR_CACHE_CONFIG_VERSION;
    check(H5Pget_mdc_config(fapl.get(), &config), file, "/", "cannot get metadata cache config");
    config.evictions_enabled = 0;  // requires automatic resizing off:
    config.incr_mode = H5C_incr__off;
    config.flash_incr_mode = H5C_flash_incr__off;
    config.decr_mode = H5C_decr__off;
    check(H5Pset_mdc_config(fapl.get(), &config), file, "/", "cannot set metadata cache config");
    return fapl;
}

// ---------------------------------------------------------------------------------------
// Creating objects

Group create_group(hid_t parent, const std::string& parent_path, const std::string& name,
                   const std::string& file) {
    const std::string object = join(parent_path, name);
    const Plist gcpl = group_create_plist(file, object);
    return checked<Group>(H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, gcpl.get(), H5P_DEFAULT),
                          file, object, "cannot create group");
}

bool link_exists(hid_t parent, const std::string& name, const std::string& file,
                 std::string_view object) {
    const htri_t exists = H5Lexists(parent, name.c_str(), H5P_DEFAULT);
    if (exists < 0) fail(file, object, "cannot look up link");
    return exists > 0;
}

// Writes scalar attribute `name` of `obj` (creating it, or overwriting one of the same type).
void write_attribute(hid_t obj, const std::string& obj_path, const char* name, hid_t file_type,
                     hid_t mem_type, const void* value, const std::string& file) {
    const std::string where = fmt::format("{}@{}", obj_path, name);
    const htri_t exists = H5Aexists(obj, name);
    if (exists < 0) fail(file, where, "cannot look up attribute");
    Attribute attr;
    if (exists > 0) {
        attr = checked<Attribute>(H5Aopen(obj, name, H5P_DEFAULT), file, where,
                                  "cannot open attribute");
    } else {
        const auto space =
            checked<Dataspace>(H5Screate(H5S_SCALAR), file, where, "cannot create dataspace");
        attr = checked<Attribute>(
            H5Acreate2(obj, name, file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT), file, where,
            "cannot create attribute");
    }
    check(H5Awrite(attr.get(), mem_type, value), file, where, "cannot write attribute");
    check(attr.close(), file, where, "cannot close attribute");
}

void write_string_attribute(hid_t obj, const std::string& obj_path, const char* name,
                            const std::string& value, const std::string& file) {
    const Datatype type = utf8_string_type(file, obj_path);
    const char* text = value.c_str();
    write_attribute(obj, obj_path, name, type.get(), type.get(), &text, file);
}

// A fixed-size 1-D dataset written whole (report mappings).
void write_fixed_dataset(hid_t parent, const std::string& parent_path, const std::string& name,
                         hid_t file_type, hid_t mem_type, const void* data, hsize_t n,
                         const std::string& file) {
    const std::string object = join(parent_path, name);
    const auto space = checked<Dataspace>(H5Screate_simple(1, &n, nullptr), file, object,
                                          "cannot create dataspace");
    const Plist dcpl = dataset_create_plist(file, object);
    auto ds = checked<Dataset>(H5Dcreate2(parent, name.c_str(), file_type, space.get(), H5P_DEFAULT,
                                          dcpl.get(), H5P_DEFAULT),
                               file, object, "cannot create dataset");
    if (n > 0) {
        check(H5Dwrite(ds.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), file, object,
              "cannot write dataset");
    }
    check(ds.close(), file, object, "cannot close dataset");
}

// An empty extendible 1-D dataset (spikes).
Dataset create_extendible_1d(hid_t parent, const std::string& parent_path, const std::string& name,
                             hid_t file_type, const std::string& file,
                             hsize_t chunk_elements = spike_chunk_elements) {
    const std::string object = join(parent_path, name);
    const hsize_t dims = 0;
    const hsize_t maxdims = H5S_UNLIMITED;
    const auto space = checked<Dataspace>(H5Screate_simple(1, &dims, &maxdims), file, object,
                                          "cannot create dataspace");
    const Plist dcpl = dataset_create_plist(file, object);
    check(H5Pset_chunk(dcpl.get(), 1, &chunk_elements), file, object, "cannot set chunk shape");
    return checked<Dataset>(H5Dcreate2(parent, name.c_str(), file_type, space.get(), H5P_DEFAULT,
                                       dcpl.get(), H5P_DEFAULT),
                            file, object, "cannot create dataset");
}

// Appends `count` elements at [offset, offset + count) of an extendible 1-D dataset.
void append_1d(hid_t ds, hsize_t offset, hsize_t count, hid_t mem_type, const void* data,
               const std::string& file, const std::string& object) {
    const hsize_t new_size = offset + count;
    check(H5Dset_extent(ds, &new_size), file, object,
          fmt::format("cannot extend to {} elements", new_size));
    const auto fspace = checked<Dataspace>(H5Dget_space(ds), file, object, "cannot get dataspace");
    check(H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, &offset, nullptr, &count, nullptr),
          file, object, "cannot select hyperslab");
    const auto mspace = checked<Dataspace>(H5Screate_simple(1, &count, nullptr), file, object,
                                           "cannot create memory dataspace");
    check(H5Dwrite(ds, mem_type, mspace.get(), fspace.get(), H5P_DEFAULT, data), file, object,
          "cannot write");
}

// ---------------------------------------------------------------------------------------
// Reading

Attribute open_attribute(hid_t obj, const std::string& obj_path, const char* name,
                         const std::string& file) {
    const std::string where = fmt::format("{}@{}", obj_path, name);
    const htri_t exists = H5Aexists(obj, name);
    if (exists < 0) fail(file, where, "cannot look up attribute");
    if (exists == 0) fail(file, where, "no such attribute");
    return checked<Attribute>(H5Aopen(obj, name, H5P_DEFAULT), file, where,
                              "cannot open attribute");
}

hssize_t attribute_points(hid_t attr, const std::string& file, const std::string& where) {
    const auto space =
        checked<Dataspace>(H5Aget_space(attr), file, where, "cannot get attribute dataspace");
    const hssize_t n = H5Sget_simple_extent_npoints(space.get());
    if (n < 0) fail(file, where, "cannot get attribute size");
    return n;
}

// A scalar numeric attribute converted by HDF5 to the memory type `mem_type`.
template <class T>
T read_scalar_attribute(hid_t obj, const std::string& obj_path, const char* name, hid_t mem_type,
                        const std::string& file) {
    const std::string where = fmt::format("{}@{}", obj_path, name);
    const Attribute attr = open_attribute(obj, obj_path, name, file);
    if (attribute_points(attr.get(), file, where) != 1) fail(file, where, "not a scalar");
    T value{};
    check(H5Aread(attr.get(), mem_type, &value), file, where, "cannot read attribute");
    return value;
}

std::string read_string_attribute(hid_t obj, const std::string& obj_path, const char* name,
                                  const std::string& file) {
    const std::string where = fmt::format("{}@{}", obj_path, name);
    const Attribute attr = open_attribute(obj, obj_path, name, file);
    if (attribute_points(attr.get(), file, where) != 1) fail(file, where, "not a scalar");
    const auto ftype =
        checked<Datatype>(H5Aget_type(attr.get()), file, where, "cannot get attribute type");
    if (H5Tget_class(ftype.get()) != H5T_STRING) fail(file, where, "not a string");
    const htri_t variable = H5Tis_variable_str(ftype.get());
    if (variable < 0) fail(file, where, "cannot inspect string type");
    if (variable > 0) {
        const Datatype mtype = utf8_string_type(file, where);
        const H5T_cset_t cset = H5Tget_cset(ftype.get());
        if (cset < 0) fail(file, where, "cannot get character set");
        check(H5Tset_cset(mtype.get(), cset), file, where, "cannot set character set");
        char* text = nullptr;
        check(H5Aread(attr.get(), mtype.get(), &text), file, where, "cannot read attribute");
        std::string value = text != nullptr ? std::string(text) : std::string();
        const auto space =
            checked<Dataspace>(H5Screate(H5S_SCALAR), file, where, "cannot create dataspace");
        check(H5Dvlen_reclaim(mtype.get(), space.get(), H5P_DEFAULT, &text), file, where,
              "cannot free string");
        return value;
    }
    const std::size_t size = H5Tget_size(ftype.get());
    if (size == 0) fail(file, where, "cannot get string size");
    std::string buffer(size, '\0');
    check(H5Aread(attr.get(), ftype.get(), buffer.data()), file, where, "cannot read attribute");
    buffer.resize(std::strlen(buffer.c_str()));  // null-terminated or null-padded
    return buffer;
}

Dataset open_dataset(hid_t loc, const std::string& object, const std::string& file) {
    return checked<Dataset>(H5Dopen2(loc, object.c_str(), H5P_DEFAULT), file, object,
                            "cannot open dataset");
}

std::vector<hsize_t> dataset_dims(hid_t ds, const std::string& file, const std::string& object) {
    const auto space = checked<Dataspace>(H5Dget_space(ds), file, object, "cannot get dataspace");
    const int rank = H5Sget_simple_extent_ndims(space.get());
    if (rank < 0) fail(file, object, "cannot get rank");
    std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
    if (rank > 0 && H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) < 0) {
        fail(file, object, "cannot get dimensions");
    }
    return dims;
}

// A whole 1-D dataset converted by HDF5 to the memory type `mem_type`.
template <class T>
std::vector<T> read_vector(hid_t loc, const std::string& object, hid_t mem_type,
                           const std::string& file) {
    const Dataset ds = open_dataset(loc, object, file);
    const auto dims = dataset_dims(ds.get(), file, object);
    if (dims.size() != 1) fail(file, object, "not one-dimensional");
    std::vector<T> values(static_cast<std::size_t>(dims[0]));
    if (!values.empty()) {
        check(H5Dread(ds.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), file,
              object, "cannot read dataset");
    }
    return values;
}

// Names of the links in group `object` that lead to objects of type `type`, sorted.
std::vector<std::string> member_names(hid_t loc, const std::string& object, H5O_type_t type,
                                      const std::string& file) {
    const auto group = checked<Group>(H5Gopen2(loc, object.c_str(), H5P_DEFAULT), file, object,
                                      "cannot open group");
    std::vector<std::string> names;
    auto collect = [](hid_t, const char* name, const H5L_info_t*, void* out) -> herr_t {
        static_cast<std::vector<std::string>*>(out)->emplace_back(name);
        return 0;
    };
    check(H5Literate(group.get(), H5_INDEX_NAME, H5_ITER_NATIVE, nullptr, collect, &names), file,
          object, "cannot list group members");
    std::vector<std::string> kept;
    for (const auto& name : names) {
        H5O_info_t info{};
        check(H5Oget_info_by_name2(group.get(), name.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT),
              file, join(object, name), "cannot get object info");
        if (info.type == type) kept.push_back(name);
    }
    std::sort(kept.begin(), kept.end());
    return kept;
}

std::string parent_dir(const fs::path& path) {
    const fs::path parent = path.parent_path();
    return parent.empty() ? std::string(".") : parent.string();
}

}  // namespace

// =========================================================================================
// RunFileWriter

namespace {

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
    std::map<std::string, SpikePopulation> populations;
    std::vector<Report> reports;
    std::map<std::string, MetricSeries> series;  // by metric path
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
        for (auto& [name, p] : populations) {
            check(p.timestamps.close(), file, join(p.object, "timestamps"), "cannot close dataset");
            check(p.node_ids.close(), file, join(p.object, "node_ids"), "cannot close dataset");
            check(p.group.close(), file, p.object, "cannot close group");
        }
        check(metrics.close(), file, "/metrics", "cannot close group");
        check(report.close(), file, "/report", "cannot close group");
        check(spikes.close(), file, "/spikes", "cannot close group");
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
        populations.clear();
        metrics.reset();
        report.reset();
        spikes.reset();
        h5.reset();
    }
};

void RunFileWriter::check_can_write(const fs::path& path, bool overwrite) {
    fs::path partial = path;
    partial += ".partial";
    std::error_code ec;
    if (fs::exists(path, ec)) {
        if (!overwrite) {
            throw IoError(
                fmt::format("{}: output file exists (overwrite not requested)", path.string()));
        }
        if (fs::is_directory(path, ec)) {
            throw IoError(fmt::format("{}: is a directory, cannot be replaced by the output file",
                                      path.string()));
        }
    }
    if (fs::exists(partial, ec) && !overwrite) {
        throw IoError(fmt::format(
            "{}: partial output file exists, left by an interrupted run? (overwrite not "
            "requested)",
            partial.string()));
    }
    const std::string dir = parent_dir(partial);
    if (!fs::is_directory(dir, ec)) {
        throw IoError(fmt::format("{}: cannot create output file: directory '{}' does not exist",
                                  partial.string(), dir));
    }
    if (::access(dir.c_str(), W_OK) != 0) {
        throw IoError(fmt::format("{}: cannot create output file: directory '{}' is not writable",
                                  partial.string(), dir));
    }
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

    check_can_write(m.path, overwrite);
    std::error_code ec;

    const Plist fapl = writer_access_plist(m.file);
    const hid_t id = H5Fcreate(m.file.c_str(), overwrite ? H5F_ACC_TRUNC : H5F_ACC_EXCL,
                               H5P_DEFAULT, fapl.get());
    if (id < 0) {
        const std::string reason = hdf5_reason();
        const std::string dir = parent_dir(m.partial);
        if (!fs::is_directory(dir, ec)) {
            throw IoError(fmt::format(
                "{}: cannot create output file: directory '{}' does not exist", m.file, dir));
        }
        if (::access(dir.c_str(), W_OK) != 0) {
            throw IoError(fmt::format(
                "{}: cannot create output file: directory '{}' is not writable", m.file, dir));
        }
        if (fs::exists(m.partial, ec) && !overwrite) {
            throw IoError(
                fmt::format("{}: partial output file exists (overwrite not requested)", m.file));
        }
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

void RunFileWriter::add_spike_population(const std::string& population) {
    const Quiet quiet;
    Impl& m = *impl_;
    m.require_open();
    const std::string object = join("/spikes", population);
    if (!valid_name(population)) {
        throw IoError(fmt::format("{}:{}: invalid population name", m.file, object));
    }
    if (m.populations.contains(population)) {
        throw IoError(fmt::format("{}:{}: spike population already added", m.file, object));
    }
    SpikePopulation p;
    p.object = object;
    p.group = create_group(m.spikes.get(), "/spikes", population, m.file);
    const Datatype file_enum = sorting_enum_type(H5T_STD_U8LE, m.file, object);
    const Datatype mem_enum = sorting_enum_type(H5T_NATIVE_UINT8, m.file, object);
    const auto sorting = static_cast<std::uint8_t>(Sorting::by_time);
    write_attribute(p.group.get(), object, "sorting", file_enum.get(), mem_enum.get(), &sorting,
                    m.file);
    p.timestamps =
        create_extendible_1d(p.group.get(), object, "timestamps", H5T_IEEE_F64LE, m.file);
    write_string_attribute(p.timestamps.get(), join(object, "timestamps"), "units", "ms", m.file);
    p.node_ids = create_extendible_1d(p.group.get(), object, "node_ids", H5T_STD_U64LE, m.file);
    m.populations.emplace(population, std::move(p));
}

void RunFileWriter::append_spikes(const std::string& population, std::span<const double> times_ms,
                                  std::span<const std::uint64_t> node_ids) {
    const Quiet quiet;
    Impl& m = *impl_;
    m.require_open();
    const std::string object = join("/spikes", population);
    const auto it = m.populations.find(population);
    if (it == m.populations.end()) {
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
    const std::string object = join("/report", layout.name);
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
        if (!valid_name(name) || name == "node_ids" || name == "index_pointers" ||
            name == "element_ids" || name == "time") {
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
    r.group = create_group(m.report.get(), "/report", layout.name, m.file);
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
        throw IoError(fmt::format("{}:/report: no report with handle {}", m.file, report));
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
            throw IoError(fmt::format("{}:/metrics/{}: invalid metric path", file, path));
        }
    }
    MetricLocation loc;
    loc.parent_object = "/metrics";
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
                         const void* value, const std::string& units, const std::string& file) {
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
    std::error_code ec;
    // Without overwrite, refuse to clobber a file that appeared since the constructor checked
    // (the check and the rename are not atomic; this narrows the window).
    if (!m.overwrite && fs::exists(m.path, ec)) {
        throw IoError(fmt::format(
            "{}: output file appeared during the run (overwrite not requested); the complete "
            "run stays in {}",
            m.path.string(), m.file));
    }
    fs::rename(m.partial, m.path, ec);
    if (ec) {
        throw IoError(fmt::format("{}: cannot rename to {}: {} (the complete run stays in {})",
                                  m.file, m.path.string(), ec.message(), m.file));
    }
}

// =========================================================================================
// RunFileReader

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
    return member_names(m.h5.get(), "/spikes", H5O_TYPE_GROUP, m.file);
}

SpikesRead RunFileReader::spikes(const std::string& population) const {
    const Quiet quiet;
    const Impl& m = *impl_;
    const std::string object = join("/spikes", population);
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
    return member_names(m.h5.get(), "/report", H5O_TYPE_GROUP, m.file);
}

ReportRead RunFileReader::report(const std::string& name) const {
    const Quiet quiet;
    const Impl& m = *impl_;
    const std::string object = join("/report", name);
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
        if (extra == "node_ids" || extra == "index_pointers" || extra == "element_ids" ||
            extra == "time") {
            continue;
        }
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
    const std::string object = join("/metrics", path);
    // Walk the path so that a missing component reads "no such metric", not an HDF5 trace.
    std::string prefix = "/metrics";
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
    const std::string object = join("/metrics", path);
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
    const std::string object = join("/metrics", path);
    const Dataset ds = open_metric(m.h5.get(), path, m.file);
    const htri_t exists = H5Aexists(ds.get(), "units");
    if (exists < 0) fail(m.file, object, "cannot look up attribute units");
    if (exists == 0) return "";
    return read_string_attribute(ds.get(), object, "units", m.file);
}

std::vector<double> RunFileReader::metric_series(const std::string& path) const {
    const Quiet quiet;
    const Impl& m = *impl_;
    const std::string object = join("/metrics", path);
    const Dataset ds = open_metric(m.h5.get(), path, m.file);
    if (dataset_dims(ds.get(), m.file, object).size() != 1) {
        fail(m.file, object, "not a series (one-dimensional)");
    }
    return read_vector<double>(m.h5.get(), object, H5T_NATIVE_DOUBLE, m.file);
}

CountMatrixRead RunFileReader::count_matrix(const std::string& path) const {
    const Quiet quiet;
    const Impl& m = *impl_;
    const std::string object = join("/metrics", path);
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
