#include "sim/io/hdf5_handles.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <utility>

#include "models/error.hpp"
#include "sim/io/run_file_layout.hpp"

namespace spikerate::sim::io::hdf5 {

Quiet::Quiet() {
    // HDF5's exit handler closes what is still open. After a failed write (a full disk) the
    // file's close fails and stays pending, and the handler then crashes inside HDF5
    // (H5F__close_cb): every file here is closed explicitly, so the handler is not needed.
    // H5dont_atexit must come before HDF5 initialises itself, i.e. before any other call.
    static const bool no_exit_handler = [] { return H5dont_atexit() >= 0; }();
    (void)no_exit_handler;
    if (H5Eget_auto2(H5E_DEFAULT, &func_, &data_) < 0) {
        func_ = nullptr;
        data_ = nullptr;
        restore_ = false;
    }
    (void)H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

Quiet::~Quiet() {
    if (restore_) (void)H5Eset_auto2(H5E_DEFAULT, func_, data_);
}

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
    // A failed system call is described with its time, descriptor and buffer ("file write
    // failed: time = ..., errno = 28, error message = 'No space left on device', buf = ...");
    // keep what it was and the system's message.
    const auto errno_message = text.find("error message = '");
    if (errno_message != std::string::npos) {
        const auto begin = errno_message + 17;
        const auto end = text.find('\'', begin);
        text = fmt::format("{}: {}", text.substr(0, text.find(':')),
                           text.substr(begin, end == std::string::npos ? end : end - begin));
    }
    return text.empty() ? std::string() : fmt::format(" (HDF5: {})", text);
}

void fail(const std::string& file, std::string_view object, std::string_view what) {
    throw IoError(fmt::format("{}:{}: {}{}", file, object, what, hdf5_reason()));
}

void check(herr_t status, const std::string& file, std::string_view object, std::string_view what) {
    if (status < 0) fail(file, object, what);
}

std::string join(std::string_view parent, std::string_view name) {
    if (parent.empty() || parent == "/") return fmt::format("/{}", name);
    return fmt::format("{}/{}", parent, name);
}

bool valid_name(std::string_view name) {
    return !name.empty() && name != "." && name != ".." &&
           name.find('/') == std::string_view::npos && name.find('\0') == std::string_view::npos;
}

Datatype utf8_string_type(const std::string& file, std::string_view object) {
    auto type = checked<Datatype>(H5Tcopy(H5T_C_S1), file, object, "cannot copy string type");
    check(H5Tset_size(type.get(), H5T_VARIABLE), file, object, "cannot make string type variable");
    check(H5Tset_cset(type.get(), H5T_CSET_UTF8), file, object, "cannot set UTF-8 on string type");
    return type;
}

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

namespace {

void write_array_attribute(hid_t obj, const std::string& obj_path, const char* name,
                           hid_t file_type, hid_t mem_type, const void* values, hsize_t n,
                           const std::string& file) {
    const std::string where = fmt::format("{}@{}", obj_path, name);
    const auto space = checked<Dataspace>(H5Screate_simple(1, &n, nullptr), file, where,
                                          "cannot create dataspace");
    Attribute attr =
        checked<Attribute>(H5Acreate2(obj, name, file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT),
                           file, where, "cannot create attribute");
    if (n > 0) check(H5Awrite(attr.get(), mem_type, values), file, where, "cannot write attribute");
    check(attr.close(), file, where, "cannot close attribute");
}

}  // namespace

void write_string_array_attribute(hid_t obj, const std::string& obj_path, const char* name,
                                  const std::vector<std::string>& values, const std::string& file) {
    const Datatype type = utf8_string_type(file, obj_path);
    std::vector<const char*> texts;
    texts.reserve(values.size());
    for (const auto& value : values) texts.push_back(value.c_str());
    write_array_attribute(obj, obj_path, name, type.get(), type.get(), texts.data(), texts.size(),
                          file);
}

void write_u64_array_attribute(hid_t obj, const std::string& obj_path, const char* name,
                               const std::vector<std::uint64_t>& values, const std::string& file) {
    write_array_attribute(obj, obj_path, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, values.data(),
                          values.size(), file);
}

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

Dataset create_extendible_1d(hid_t parent, const std::string& parent_path, const std::string& name,
                             hid_t file_type, const std::string& file, hsize_t chunk_elements) {
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

}  // namespace spikerate::sim::io::hdf5
