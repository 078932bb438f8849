#include "sim/task/idx_file.hpp"

#include <fstream>
#include <limits>
#include <string>
#include <system_error>
#include <utility>

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

std::vector<std::uint8_t> read_all(const std::filesystem::path& file) {
    std::error_code ec;
    const auto status = std::filesystem::status(file, ec);
    if (!std::filesystem::exists(status)) {
        throw DataError(fmt::format("{}: no such file", file.string()));
    }
    if (std::filesystem::is_directory(status)) {
        throw DataError(fmt::format("{}: is a directory, expected an IDX file", file.string()));
    }
    std::ifstream in(file, std::ios::binary | std::ios::ate);
    if (!in) {
        throw DataError(fmt::format("{}: cannot be opened for reading", file.string()));
    }
    const std::streamoff size = in.tellg();
    if (size < 0) {
        throw DataError(fmt::format("{}: cannot determine the file size", file.string()));
    }
    in.seekg(0);
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
    if (!in.read(reinterpret_cast<char*>(bytes.data()), size)) {
        throw DataError(fmt::format("{}: read error (expected {} bytes)", file.string(), size));
    }
    return bytes;
}

}  // namespace

IdxArray read_idx_ubyte(const std::filesystem::path& file, std::size_t expected_ndims) {
    const std::vector<std::uint8_t> bytes = read_all(file);
    const std::string name = file.string();
    if (bytes.size() < 4) {
        throw DataError(fmt::format("{}: has {} bytes, too short for an IDX header (4 bytes)", name,
                                    bytes.size()));
    }
    if (bytes[0] != 0 || bytes[1] != 0) {
        // gzip starts with 1f 8b: the files as distributed on LeCun's site are compressed.
        const bool gzip = bytes[0] == 0x1F && bytes[1] == 0x8B;
        throw DataError(fmt::format(
            "{}: not an IDX file: starts with bytes 0x{:02x} 0x{:02x}, expected 0x00 0x00{}", name,
            bytes[0], bytes[1], gzip ? " (this is a gzip file: decompress it first)" : ""));
    }
    if (bytes[2] != unsigned_byte_type) {
        throw DataError(fmt::format(
            "{}: element type 0x{:02x} ({}) is not supported, expected 0x08 (unsigned byte)", name,
            bytes[2], idx_type_name(bytes[2])));
    }
    const std::size_t ndims = bytes[3];
    if (ndims != expected_ndims) {
        throw DataError(fmt::format("{}: has {} dimension{}, expected {}", name, ndims,
                                    ndims == 1 ? "" : "s", expected_ndims));
    }
    const std::size_t header = 4 + 4 * ndims;
    if (bytes.size() < header) {
        throw DataError(
            fmt::format("{}: has {} bytes, too short for the header of {} dimensions ({} bytes)",
                        name, bytes.size(), ndims, header));
    }

    IdxArray array;
    array.dims.resize(ndims);
    for (std::size_t d = 0; d < ndims; ++d) {
        array.dims[d] = big_endian_u32(bytes, 4 + 4 * d);
    }
    std::size_t elements = 1;
    for (std::size_t d = 0; d < ndims; ++d) {
        if (array.dims[d] == 0) {
            throw DataError(fmt::format("{}: dimension {} of {} is zero, expected at least 1", name,
                                        d, dims_text(array.dims)));
        }
        if (elements > std::numeric_limits<std::size_t>::max() / array.dims[d]) {
            throw DataError(fmt::format("{}: dimensions {} overflow the address space", name,
                                        dims_text(array.dims)));
        }
        elements *= array.dims[d];
    }
    const std::size_t expected_size = header + elements;
    if (bytes.size() != expected_size) {
        throw DataError(fmt::format(
            "{}: has {} bytes, expected {} for {} ({})", name, bytes.size(), expected_size,
            dims_text(array.dims),
            bytes.size() < expected_size ? "truncated" : "trailing bytes after the data"));
    }
    std::vector<std::uint8_t> data = std::move(bytes);
    data.erase(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(header));
    array.data = std::move(data);
    return array;
}

}  // namespace spikerate::sim::task
