#pragma once

// The IDX format of the MNIST files (http://yann.lecun.com/exdb/mnist/): a big-endian header
//   0x00 0x00 <type> <ndims>, then ndims uint32 dimensions, then the elements in row-major order
// (the last dimension varies fastest). Only unsigned bytes (type 0x08) are read, all MNIST uses.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <vector>

#include "sim/task/dataset.hpp"

namespace spikerate::sim::task {

struct IdxArray {
    std::vector<std::uint32_t> dims;  // e.g. {60000, 28, 28}
    std::vector<std::uint8_t> data;   // product(dims) elements, row-major
};

// Reads a whole IDX file of unsigned bytes with `expected_ndims` dimensions. Throws DataError
// naming the file and what is wrong: missing or unreadable, wrong magic (the bytes found and
// expected), an element type other than 0x08, another number of dimensions, a zero dimension, or
// a size other than header + product(dims) bytes (truncated, or trailing bytes).
IdxArray read_idx_ubyte(const std::filesystem::path& file, std::size_t expected_ndims);

}  // namespace spikerate::sim::task
