#include "sim/memory.hpp"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "models/error.hpp"

namespace spikerate::sim {

namespace {

std::string gib(double bytes) { return fmt::format("{:.3g} GiB", bytes / (1024.0 * 1024 * 1024)); }

}  // namespace

std::uint64_t available_memory_bytes() {
    if (const char* limit = std::getenv("SPIKERATE_MEMORY_LIMIT_BYTES")) {
        char* end = nullptr;
        const unsigned long long value = std::strtoull(limit, &end, 10);
        if (end != limit && *end == '\0') return value;
    }
    std::ifstream meminfo("/proc/meminfo");
    std::string key;
    std::uint64_t kib = 0;
    std::string unit;
    while (meminfo >> key >> kib >> unit) {
        if (key == "MemAvailable:") return kib * 1024;
    }
    const long pages = ::sysconf(_SC_PHYS_PAGES);
    const long page = ::sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0
               ? static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page)
               : UINT64_MAX;
}

void require_memory(double bytes, const std::string& key, const std::string& what) {
    const auto available = static_cast<double>(available_memory_bytes());
    if (bytes <= available) return;
    throw ParamError(
        key, std::nullopt,
        fmt::format("{}: {} need about {}, more than the {} this machine has available", key, what,
                    gib(bytes), gib(available)),
        fmt::format("{} need about {}, more than the {} this machine has available", what,
                    gib(bytes), gib(available)));
}

}  // namespace spikerate::sim
