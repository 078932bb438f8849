// The spike-CSV reader, read_spike_file, on a file holding the input up to its first NUL byte,
// for a population of the size written after it in decimal ("node_id,time_ms\n3,1.5\n\0" "10"),
// or 4 when none is (scenarios have sizes >= 1).
// Returning or throwing a spikerate::Error are the accepted outcomes; any other exception escapes
// to std::terminate, which libFuzzer reports like a crash or a sanitizer report.

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "models/error.hpp"
#include "sim/io/spike_file.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const spikerate_fuzz::ScratchFile file(".csv");
    const std::vector<std::string_view> parts =
        spikerate_fuzz::split_at_nul(spikerate_fuzz::as_text(data, size));
    std::uint32_t population_size = 4;
    if (parts.size() > 1) {
        std::uint32_t given = 0;
        const auto [end, error] =
            std::from_chars(parts[1].data(), parts[1].data() + parts[1].size(), given);
        if (error == std::errc{} && given >= 1) population_size = given;
    }
    try {
        spikerate::sim::io::read_spike_file(file.write(parts.front()), population_size);
    } catch (const spikerate::Error&) {
    }
    return 0;
}
