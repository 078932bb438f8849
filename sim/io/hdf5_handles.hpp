#pragma once

// Private to sim/io: include this header only from sim/io's .cpp files (the run file's writer
// and reader). It includes <hdf5.h>, and HDF5's headers must not reach any header that code
// outside sim/io includes (run_file.hpp, run_file_writer.hpp, run_file_reader.hpp stay free
// of them).
//
// The HDF5 plumbing under the run file, none of it specific to the layout:
// - every HDF5 id lives in a Handle (RAII, closed with the function of its kind);
// - every HDF5 call's result is checked; a failure throws IoError naming the file, the HDF5
//   object path and the innermost message of HDF5's error stack (check, checked, fail);
// - HDF5's own error printing is switched off (Quiet) for the duration of each public call of
//   the writer and the reader;
// - small typed helpers that create, open, extend, write and read groups, datasets and
//   attributes with those checks.

#include <hdf5.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spikerate::sim::io::hdf5 {

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
    Quiet();
    ~Quiet();
    Quiet(const Quiet&) = delete;
    Quiet& operator=(const Quiet&) = delete;

  private:
    H5E_auto2_t func_ = nullptr;
    void* data_ = nullptr;
    bool restore_ = true;
};

// Errors

// The innermost (most specific) message on HDF5's error stack as " (HDF5: <message>)", or ""
// if the stack is empty; then clears the stack.
std::string hdf5_reason();

// Throws IoError "<file>:<object>: <what> (HDF5: <innermost message>)".
[[noreturn]] void fail(const std::string& file, std::string_view object, std::string_view what);

// Checks an id returned by HDF5; wraps it into its handle type.
template <class H>
H checked(hid_t id, const std::string& file, std::string_view object, std::string_view what) {
    if (id < 0) fail(file, object, what);
    return H(id);
}

// Checks the status returned by HDF5.
void check(herr_t status, const std::string& file, std::string_view object, std::string_view what);

// Paths and names

// "<parent>/<name>", with "/" or "" as parent giving "/<name>".
std::string join(std::string_view parent, std::string_view name);

// A name usable as one HDF5 link name of this format.
bool valid_name(std::string_view name);

// Types and property lists

Datatype utf8_string_type(const std::string& file, std::string_view object);

// The sorting enum (Sorting in run_file_layout.hpp) with base `base` (H5T_STD_U8LE in the
// file, H5T_NATIVE_UINT8 in memory).
Datatype sorting_enum_type(hid_t base, const std::string& file, std::string_view object);

// Object creation property lists with time tracking off: files must not depend on the clock.
Plist group_create_plist(const std::string& file, std::string_view object);
Plist dataset_create_plist(const std::string& file, std::string_view object);

// The writer's file access (and the reader's fallback: HDF5 refuses to open a file twice in
// one process with different file-locking settings).
Plist file_access_plist(const std::string& file);

// The writer's file access: as above, plus a metadata cache that never evicts, so metadata
// reaches the disk only in flush() (H5Fflush) and close. Between two flushes the file on disk
// therefore keeps the metadata of the last flush (an evicted entry written between flushes
// could, without SWMR's ordering, leave a killed run's file inconsistent). The cost is that
// the cache holds all of the file's metadata: object headers and chunk B-trees, about
// 40 bytes per chunk of 256-512 KiB, i.e. ~1e-4 of the data written.
Plist writer_access_plist(const std::string& file);

// Creating and writing objects

Group create_group(hid_t parent, const std::string& parent_path, const std::string& name,
                   const std::string& file);

bool link_exists(hid_t parent, const std::string& name, const std::string& file,
                 std::string_view object);

// Writes scalar attribute `name` of `obj` (creating it, or overwriting one of the same type).
void write_attribute(hid_t obj, const std::string& obj_path, const char* name, hid_t file_type,
                     hid_t mem_type, const void* value, const std::string& file);

void write_string_attribute(hid_t obj, const std::string& obj_path, const char* name,
                            const std::string& value, const std::string& file);

// 1-D attributes of n values (created once): variable-length UTF-8 strings, or uint64.
void write_string_array_attribute(hid_t obj, const std::string& obj_path, const char* name,
                                  const std::vector<std::string>& values, const std::string& file);
void write_u64_array_attribute(hid_t obj, const std::string& obj_path, const char* name,
                               const std::vector<std::uint64_t>& values, const std::string& file);

// A fixed-size 1-D dataset written whole (report mappings).
void write_fixed_dataset(hid_t parent, const std::string& parent_path, const std::string& name,
                         hid_t file_type, hid_t mem_type, const void* data, hsize_t n,
                         const std::string& file);

// An empty extendible 1-D dataset with chunks of `chunk_elements` (spikes, metric series).
Dataset create_extendible_1d(hid_t parent, const std::string& parent_path, const std::string& name,
                             hid_t file_type, const std::string& file, hsize_t chunk_elements);

// Appends `count` elements at [offset, offset + count) of an extendible 1-D dataset.
void append_1d(hid_t ds, hsize_t offset, hsize_t count, hid_t mem_type, const void* data,
               const std::string& file, const std::string& object);

// Opening and reading objects

// Attribute `name` of `obj`; throws "no such attribute" if it is missing.
Attribute open_attribute(hid_t obj, const std::string& obj_path, const char* name,
                         const std::string& file);

hssize_t attribute_points(hid_t attr, const std::string& file, const std::string& where);

// A scalar numeric attribute converted by HDF5 to the memory type `mem_type`.
template <class T>
T read_scalar_attribute(hid_t obj, const std::string& obj_path, const char* name, hid_t mem_type,
                        const std::string& file) {
    const std::string where = obj_path + "@" + name;
    const Attribute attr = open_attribute(obj, obj_path, name, file);
    if (attribute_points(attr.get(), file, where) != 1) fail(file, where, "not a scalar");
    T value{};
    check(H5Aread(attr.get(), mem_type, &value), file, where, "cannot read attribute");
    return value;
}

// A scalar string attribute, variable-length or fixed-size.
std::string read_string_attribute(hid_t obj, const std::string& obj_path, const char* name,
                                  const std::string& file);

Dataset open_dataset(hid_t loc, const std::string& object, const std::string& file);

std::vector<hsize_t> dataset_dims(hid_t ds, const std::string& file, const std::string& object);

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
                                      const std::string& file);

}  // namespace spikerate::sim::io::hdf5
