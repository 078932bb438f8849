#include "sim/io/canonical_copy.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sim/io/hdf5_handles.hpp"

namespace spikerate::sim::io {

namespace {

using namespace hdf5;

// At most this many bytes of a dataset are held in memory at once (whole chunk rows; a chunk
// row larger than this is copied alone).
constexpr std::size_t slab_bytes = std::size_t{64} << 20;

struct Files {
    std::string source;
    std::string destination;
};

// The names of `loc`'s members (links) or attributes, in name order.
herr_t collect_name(hid_t, const char* name, const H5L_info_t*, void* names) {
    static_cast<std::vector<std::string>*>(names)->emplace_back(name);
    return 0;
}

herr_t collect_attribute_name(hid_t, const char* name, const H5A_info_t*, void* names) {
    static_cast<std::vector<std::string>*>(names)->emplace_back(name);
    return 0;
}

std::vector<std::string> member_names(hid_t group, const Files& f, const std::string& object) {
    std::vector<std::string> names;
    hsize_t index = 0;
    check(H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, &index, collect_name, &names), f.source,
          object, "cannot list group members");
    return names;
}

std::vector<std::string> attribute_names(hid_t obj, const Files& f, const std::string& object) {
    std::vector<std::string> names;
    hsize_t index = 0;
    check(H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, &index, collect_attribute_name, &names),
          f.source, object, "cannot list attributes");
    return names;
}

// The memory type for a file type: the native equivalent (variable-length strings become
// char*, enums keep their members on a native base).
Datatype memory_type(hid_t file_type, const std::string& file, const std::string& object) {
    return checked<Datatype>(H5Tget_native_type(file_type, H5T_DIR_ASCEND), file, object,
                             "cannot get the native type");
}

// A buffer of values of `mem_type` read through `read`, written through `write`; variable-
// length values are reclaimed afterwards.
template <class Read, class Write>
void copy_values(hid_t mem_type, hid_t mem_space, std::size_t n, const Files& f,
                 const std::string& object, Read read, Write write) {
    const std::size_t size = H5Tget_size(mem_type);
    if (size == 0) fail(f.source, object, "cannot get the type's size");
    std::vector<std::byte> buffer(std::max<std::size_t>(n, 1) * size);
    check(read(buffer.data()), f.source, object, "cannot read");
    const htri_t variable = H5Tdetect_class(mem_type, H5T_VLEN);
    const htri_t string = H5Tis_variable_str(mem_type);
    const bool reclaim = variable > 0 || string > 0;
    const herr_t written = write(buffer.data());
    if (reclaim) (void)H5Dvlen_reclaim(mem_type, mem_space, H5P_DEFAULT, buffer.data());
    check(written, f.destination, object, "cannot write");
}

void copy_attributes(hid_t from, hid_t to, const Files& f, const std::string& object) {
    for (const std::string& name : attribute_names(from, f, object)) {
        const std::string where = fmt::format("{}@{}", object, name);
        const auto attr = checked<Attribute>(H5Aopen(from, name.c_str(), H5P_DEFAULT), f.source,
                                             where, "cannot open attribute");
        const auto type =
            checked<Datatype>(H5Aget_type(attr.get()), f.source, where, "cannot get type");
        const auto space =
            checked<Dataspace>(H5Aget_space(attr.get()), f.source, where, "cannot get dataspace");
        const Datatype mem = memory_type(type.get(), f.source, where);
        const auto copy = checked<Attribute>(
            H5Acreate2(to, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
            f.destination, where, "cannot create attribute");
        const hssize_t n = H5Sget_simple_extent_npoints(space.get());
        if (n < 0) fail(f.source, where, "cannot count the values");
        copy_values(
            mem.get(), space.get(), static_cast<std::size_t>(n), f, where,
            [&](void* data) { return H5Aread(attr.get(), mem.get(), data); },
            [&](const void* data) { return H5Awrite(copy.get(), mem.get(), data); });
    }
}

// Rows along the first dimension copied at once: whole chunk rows, up to slab_bytes.
hsize_t rows_per_slab(hid_t dcpl, int rank, const std::array<hsize_t, H5S_MAX_RANK>& dims,
                      std::size_t value_size) {
    if (H5Pget_layout(dcpl) != H5D_CHUNKED) return dims[0];  // small (mappings): copied whole
    std::size_t row_values = 1;
    for (int d = 1; d < rank; ++d) row_values *= static_cast<std::size_t>(dims[d]);
    const std::size_t row_bytes = std::max<std::size_t>(row_values * value_size, 1);
    std::array<hsize_t, H5S_MAX_RANK> chunk{};
    const hsize_t chunk_rows =
        H5Pget_chunk(dcpl, rank, chunk.data()) == rank ? std::max<hsize_t>(chunk[0], 1) : 1;
    const auto chunks = std::max<hsize_t>(slab_bytes / (row_bytes * chunk_rows), 1);
    return chunks * chunk_rows;
}

void copy_dataset(hid_t parent_from, hid_t parent_to, const std::string& name, const Files& f,
                  const std::string& object) {
    const auto from = checked<Dataset>(H5Dopen2(parent_from, name.c_str(), H5P_DEFAULT), f.source,
                                       object, "cannot open dataset");
    const auto type =
        checked<Datatype>(H5Dget_type(from.get()), f.source, object, "cannot get type");
    const auto space =
        checked<Dataspace>(H5Dget_space(from.get()), f.source, object, "cannot get dataspace");
    const auto dcpl = checked<Plist>(H5Dget_create_plist(from.get()), f.source, object,
                                     "cannot get creation properties");
    check(H5Pset_obj_track_times(dcpl.get(), 0), f.destination, object,
          "cannot disable time tracking");
    auto to = checked<Dataset>(H5Dcreate2(parent_to, name.c_str(), type.get(), space.get(),
                                          H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                               f.destination, object, "cannot create dataset");
    copy_attributes(from.get(), to.get(), f, object);

    const Datatype mem = memory_type(type.get(), f.source, object);
    const int rank = H5Sget_simple_extent_ndims(space.get());
    if (rank < 0) fail(f.source, object, "cannot get the rank");
    const hssize_t points = H5Sget_simple_extent_npoints(space.get());
    if (points < 0) fail(f.source, object, "cannot count the values");
    if (points == 0) {
        check(to.close(), f.destination, object, "cannot close dataset");
        return;
    }
    if (rank == 0) {
        copy_values(
            mem.get(), space.get(), 1, f, object,
            [&](void* data) {
                return H5Dread(from.get(), mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
            },
            [&](const void* data) {
                return H5Dwrite(to.get(), mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
            });
        check(to.close(), f.destination, object, "cannot close dataset");
        return;
    }
    std::array<hsize_t, H5S_MAX_RANK> dims{};
    if (H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) < 0) {
        fail(f.source, object, "cannot get dimensions");
    }
    const hsize_t slab = rows_per_slab(dcpl.get(), rank, dims, H5Tget_size(mem.get()));
    const auto file_space_to =
        checked<Dataspace>(H5Dget_space(to.get()), f.destination, object, "cannot get dataspace");
    for (hsize_t row = 0; row < dims[0]; row += slab) {
        std::array<hsize_t, H5S_MAX_RANK> start{};
        std::array<hsize_t, H5S_MAX_RANK> count = dims;
        start[0] = row;
        count[0] = std::min(slab, dims[0] - row);
        std::size_t n = 1;
        for (int d = 0; d < rank; ++d) n *= static_cast<std::size_t>(count[d]);
        const auto memory = checked<Dataspace>(H5Screate_simple(rank, count.data(), nullptr),
                                               f.source, object, "cannot create dataspace");
        check(H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(),
                                  nullptr),
              f.source, object, "cannot select rows");
        check(H5Sselect_hyperslab(file_space_to.get(), H5S_SELECT_SET, start.data(), nullptr,
                                  count.data(), nullptr),
              f.destination, object, "cannot select rows");
        copy_values(
            mem.get(), memory.get(), n, f, object,
            [&](void* data) {
                return H5Dread(from.get(), mem.get(), memory.get(), space.get(), H5P_DEFAULT, data);
            },
            [&](const void* data) {
                return H5Dwrite(to.get(), mem.get(), memory.get(), file_space_to.get(), H5P_DEFAULT,
                                data);
            });
    }
    check(to.close(), f.destination, object, "cannot close dataset");
}

void copy_group(hid_t from, hid_t to, const Files& f, const std::string& object) {
    copy_attributes(from, to, f, object);
    for (const std::string& name : member_names(from, f, object)) {
        const std::string member = join(object, name);
        H5L_info_t link{};
        check(H5Lget_info(from, name.c_str(), &link, H5P_DEFAULT), f.source, member,
              "cannot get link information");
        if (link.type != H5L_TYPE_HARD) fail(f.source, member, "not a hard link: not a run file");
        H5O_info_t info{};
        check(H5Oget_info_by_name(from, name.c_str(), &info, H5P_DEFAULT), f.source, member,
              "cannot get object information");
        if (info.type == H5O_TYPE_GROUP) {
            const auto child = checked<Group>(H5Gopen2(from, name.c_str(), H5P_DEFAULT), f.source,
                                              member, "cannot open group");
            Group copy = create_group(to, object, name, f.destination);
            copy_group(child.get(), copy.get(), f, member);
            check(copy.close(), f.destination, member, "cannot close group");
        } else if (info.type == H5O_TYPE_DATASET) {
            copy_dataset(from, to, name, f, member);
        } else {
            fail(f.source, member, "neither a group nor a dataset: not a run file");
        }
    }
}

}  // namespace

void write_canonical_copy(const std::string& source, const std::string& destination) {
    const Quiet quiet;
    const Files f{source, destination};
    const Plist fapl = file_access_plist(source);
    const auto from = checked<File>(H5Fopen(source.c_str(), H5F_ACC_RDONLY, fapl.get()), source,
                                    "/", "cannot open the file to copy");
    auto to = checked<File>(H5Fcreate(destination.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()),
                            destination, "/", "cannot create the copy");
    const auto root_from =
        checked<Group>(H5Gopen2(from.get(), "/", H5P_DEFAULT), source, "/", "cannot open group");
    auto root_to =
        checked<Group>(H5Gopen2(to.get(), "/", H5P_DEFAULT), destination, "/", "cannot open group");
    copy_group(root_from.get(), root_to.get(), f, "/");
    check(root_to.close(), destination, "/", "cannot close group");
    check(to.close(), destination, "/", "cannot close the copy");
}

}  // namespace spikerate::sim::io
