// The IDX reader, read_idx_ubyte, on a file holding the input. It is asked for as many
// dimensions as the header gives (its fourth byte), so that the fuzzer gets past that check to
// the dimensions and sizes; for shorter inputs, for MNIST's 3.
// Returning or throwing a spikerate::Error are the accepted outcomes; any other exception escapes
// to std::terminate, which libFuzzer reports like a crash or a sanitizer report.

#include <cstddef>
#include <cstdint>

#include "models/error.hpp"
#include "sim/task/idx_file.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const spikerate_fuzz::ScratchFile file(".idx");
    const std::size_t ndims = size >= 4 ? data[3] : 3;
    try {
        spikerate::sim::task::read_idx_ubyte(file.write(spikerate_fuzz::as_text(data, size)),
                                             ndims);
    } catch (const spikerate::Error&) {
    }
    return 0;
}
