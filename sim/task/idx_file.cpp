#include "sim/task/idx_file.hpp"

#include <array>
#include <cstdint>
#include <fstream>
#include <limits>
#include <new>
#include <string>
#include <system_error>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace spikerate::sim::task {

namespace {

constexpr std::uint8_t unsigned_byte_type = 0x08;

// The element types the IDX format defines, for a message about an unsupported one.
const char* idx_type_name(std::uint8_t type) {
    switch (type) {
        case 0x08:
            return "unsigned byte";
        case 0x09:
            return "signed byte";
        case 0x0B:
            return "short";
        case 0x0C:
            return "int";
        case 0x0D:
            return "float";
        case 0x0E:
            return "double";
        default:
            return "not an IDX type";
    }
}

std::string dims_text(const std::vector<std::uint32_t>& dims) {
    return fmt::format("{}", fmt::join(dims, " x "));
}

std::uint32_t big_endian_u32(const std::vector<std::uint8_t>& bytes, std::size_t at) {
    return static_cast<std::uint32_t>(bytes[at]) << 24 |
           static_cast<std::uint32_t>(bytes[at + 1]) << 16 |
           static_cast<std::uint32_t>(bytes[at + 2]) << 8 |
           static_cast<std::uint32_t>(bytes[at + 3]);
}

// Opens `file` and gives its size, refusing what is not a regular file: opening a FIFO would wait
// for a writer, and a device or socket has no size.
std::ifstream open_regular(const std::filesystem::path& file, std::uintmax_t& size) {
    std::error_code ec;
    const auto status = std::filesystem::status(file, ec);
    if (!std::filesystem::exists(status)) {
        throw DataError(fmt::format("{}: no such file", file.string()));
    }
    if (std::filesystem::is_directory(status)) {
        throw DataError(fmt::format("{}: is a directory, expected an IDX file", file.string()));
    }
    if (!std::filesystem::is_regular_file(status)) {
        throw DataError(fmt::format(
            "{}: not a regular file (a FIFO, socket or device is not read), expected an IDX file",
            file.string()));
    }
    std::ifstream in(file, std::ios::binary | std::ios::ate);
    if (!in) {
        throw DataError(fmt::format("{}: cannot be opened for reading", file.string()));
    }
    const std::streamoff end = in.tellg();
    if (end < 0) {
        throw DataError(fmt::format("{}: cannot determine the file size", file.string()));
    }
    size = static_cast<std::uintmax_t>(end);
    in.seekg(0);
    return in;
}

void read_bytes(std::ifstream& in, const std::string& name, std::uint8_t* out, std::size_t n) {
    if (!in.read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(n))) {
        throw DataError(fmt::format("{}: read error (expected {} more bytes)", name, n));
    }
}

}  // namespace

// The header is checked against the file's size before the data is read, so that neither a
// large file that is not IDX nor a header promising more than the file holds is read into memory.
IdxArray read_idx_ubyte(const std::filesystem::path& file, std::size_t expected_ndims) {
    const std::string name = file.string();
    std::uintmax_t size = 0;
    std::ifstream in = open_regular(file, size);
    if (size < 4) {
        throw DataError(
            fmt::format("{}: has {} bytes, too short for an IDX header (4 bytes)", name, size));
    }
    std::array<std::uint8_t, 4> magic{};
    read_bytes(in, name, magic.data(), magic.size());
    if (magic[0] != 0 || magic[1] != 0) {
        // gzip starts with 1f 8b: the files as distributed on LeCun's site are compressed.
        const bool gzip = magic[0] == 0x1F && magic[1] == 0x8B;
        throw DataError(fmt::format(
            "{}: not an IDX file: starts with bytes 0x{:02x} 0x{:02x}, expected 0x00 0x00{}", name,
            magic[0], magic[1], gzip ? " (this is a gzip file: decompress it first)" : ""));
    }
    if (magic[2] != unsigned_byte_type) {
        throw DataError(fmt::format(
            "{}: element type 0x{:02x} ({}) is not supported, expected 0x08 (unsigned byte)", name,
            magic[2], idx_type_name(magic[2])));
    }
    const std::size_t ndims = magic[3];
    if (ndims != expected_ndims) {
        throw DataError(fmt::format("{}: has {} dimension{}, expected {}", name, ndims,
                                    ndims == 1 ? "" : "s", expected_ndims));
    }
    const std::size_t header = 4 + 4 * ndims;
    if (size < header) {
        throw DataError(
            fmt::format("{}: has {} bytes, too short for the header of {} dimensions ({} bytes)",
                        name, size, ndims, header));
    }
    std::vector<std::uint8_t> dim_bytes(4 * ndims);
    read_bytes(in, name, dim_bytes.data(), dim_bytes.size());

    IdxArray array;
    array.dims.resize(ndims);
    for (std::size_t d = 0; d < ndims; ++d) {
        array.dims[d] = big_endian_u32(dim_bytes, 4 * d);
    }
    std::size_t elements = 1;
    for (std::size_t d = 0; d < ndims; ++d) {
        if (array.dims[d] == 0) {
            throw DataError(fmt::format("{}: dimension {} of {} is zero, expected at least 1", name,
                                        d, dims_text(array.dims)));
        }
        if (elements > (std::numeric_limits<std::size_t>::max() - header) / array.dims[d]) {
            throw DataError(fmt::format("{}: dimensions {} overflow the address space", name,
                                        dims_text(array.dims)));
        }
        elements *= array.dims[d];
    }
    const std::size_t expected_size = header + elements;
    if (size != expected_size) {
        throw DataError(
            fmt::format("{}: has {} bytes, expected {} for {} ({})", name, size, expected_size,
                        dims_text(array.dims),
                        size < expected_size ? "truncated" : "trailing bytes after the data"));
    }
    try {
        array.data.resize(elements);
    } catch (const std::bad_alloc&) {
        throw DataError(fmt::format("{}: its {} bytes of data ({}) do not fit in memory", name,
                                    elements, dims_text(array.dims)));
    }
    read_bytes(in, name, array.data.data(), elements);
    return array;
}

}  // namespace spikerate::sim::task
