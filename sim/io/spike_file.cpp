#include "sim/io/spike_file.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>

#include <fmt/format.h>

#include "models/error.hpp"

namespace spikerate::sim::io {

namespace {

std::string_view trim_blanks(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return {};
    const auto last = s.find_last_not_of(" \t\r\n");
    return s.substr(first, last - first + 1);
}

}  // namespace

SpikeTrainSourceParams read_spike_file(const std::filesystem::path& file, std::uint32_t size) {
    SpikeTrainSourceParams out;
    const std::string name = file.lexically_normal().string();
    std::error_code error;
    const auto status = std::filesystem::status(file, error);
    if (!std::filesystem::exists(status)) {
        throw DataError(
            fmt::format("cannot open '{}': no such file (relative paths are relative "
                        "to the scenario file)",
                        name));
    }
    if (std::filesystem::is_directory(status)) {
        throw DataError(fmt::format("cannot open '{}': it is a directory, not a CSV file", name));
    }
    if (!std::filesystem::is_regular_file(status)) {
        throw DataError(fmt::format(
            "cannot open '{}': not a regular file (a FIFO, socket or device is not read)", name));
    }
    std::ifstream in(file);
    if (!in) throw DataError(fmt::format("cannot open '{}': {}", name, std::strerror(errno)));

    const auto bad = [&](std::size_t line, std::string_view what) {
        throw DataError(fmt::format("{}:{}: {}", name, line, what));
    };
    std::string line;
    std::size_t number = 0;
    bool header = false;
    while (std::getline(in, line)) {
        ++number;
        std::string_view text = trim_blanks(line);
        if (number == 1 && text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // UTF-8 BOM
        if (text.empty()) continue;
        const auto comma = text.find(',');
        const std::string_view first = trim_blanks(text.substr(0, comma));
        const std::string_view second = comma == std::string_view::npos
                                            ? std::string_view{}
                                            : trim_blanks(text.substr(comma + 1));
        if (!header) {
            if (first != "node_id" || second != "time_ms") {
                bad(number, fmt::format("expected the header 'node_id,time_ms', got '{}'", text));
            }
            header = true;
            continue;
        }
        if (comma == std::string_view::npos || second.find(',') != std::string_view::npos) {
            bad(number, fmt::format("expected two fields 'node_id,time_ms', got '{}'", text));
        }
        std::uint32_t node_id = 0;
        const auto id_result = std::from_chars(first.data(), first.data() + first.size(), node_id);
        if (id_result.ec != std::errc{} || id_result.ptr != first.data() + first.size()) {
            bad(number,
                fmt::format("node_id '{}': expected an integer in [0, {}]", first, size - 1));
        }
        if (node_id >= size) {
            bad(number, fmt::format("node_id {}: out of range for size {} (expected 0 to {})",
                                    node_id, size, size - 1));
        }
        double time = 0.0;
        const auto time_result =
            std::from_chars(second.data(), second.data() + second.size(), time);
        if (time_result.ec != std::errc{} || time_result.ptr != second.data() + second.size()) {
            bad(number, fmt::format("time_ms '{}': expected a number", second));
        }
        if (!(std::isfinite(time) && time >= 0.0)) {
            bad(number, fmt::format("time_ms {}: must be finite and >= 0", time));
        }
        out.node_ids.push_back(node_id);
        out.times_ms.push_back(time);
    }
    if (!header) bad(1, "empty file (expected the header 'node_id,time_ms')");
    return out;
}

}  // namespace spikerate::sim::io
