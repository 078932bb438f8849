// The scenario loader, parse_scenario, on TOML text and --set overrides. The input is the text,
// then each override after a NUL byte, as a program receives its arguments (an override may hold
// a newline, never a NUL): "[run]\nseed = 2\n\0run.seed=3\0run.mode=\"precise\"".
// Loading or throwing a spikerate::Error are the accepted outcomes; any other exception escapes
// to std::terminate, which libFuzzer reports like a crash or a sanitizer report.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "models/error.hpp"
#include "sim/io/scenario.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::vector<std::string_view> parts =
        spikerate_fuzz::split_at_nul(spikerate_fuzz::as_text(data, size));
    const std::vector<std::string> overrides(parts.begin() + 1, parts.end());
    try {
        spikerate::sim::io::parse_scenario(parts.front(), "fuzz.toml", overrides);
    } catch (const spikerate::Error&) {
    }
    return 0;
}
