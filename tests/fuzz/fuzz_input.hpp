#pragma once

// Shared by the fuzz targets: splitting an input into its parts, and a file to hand the readers
// that take a path.

#include <unistd.h>  // getpid

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace spikerate_fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// The parts of `input` between NUL bytes, as a program receives its arguments: "a\0b" -> a, b.
inline std::vector<std::string_view> split_at_nul(std::string_view input) {
    std::vector<std::string_view> parts;
    std::size_t begin = 0;
    while (true) {
        const std::size_t end = input.find('\0', begin);
        parts.push_back(input.substr(begin, end == std::string_view::npos ? end : end - begin));
        if (end == std::string_view::npos) return parts;
        begin = end + 1;
    }
}

// One file for the life of the process, rewritten for every input: in /dev/shm (memory) unless
// TMPDIR names another directory, since rewriting a file on disk made the fuzzer 40 times slower.
class ScratchFile {
  public:
    explicit ScratchFile(std::string_view suffix)
        : path_(directory() /
                ("spikerate-fuzz-" + std::to_string(getpid()) + std::string(suffix))) {}
    ~ScratchFile() {
        std::error_code ignored;
        std::filesystem::remove(path_, ignored);
    }
    ScratchFile(const ScratchFile&) = delete;
    ScratchFile& operator=(const ScratchFile&) = delete;

    const std::filesystem::path& write(std::string_view bytes) const {
        std::ofstream out(path_, std::ios::binary | std::ios::trunc);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        out.close();
        if (!out) std::abort();  // the fuzzer cannot go on without its file
        return path_;
    }

  private:
    static std::filesystem::path directory() {
        std::error_code ec;
        if (std::getenv("TMPDIR") == nullptr && std::filesystem::is_directory("/dev/shm", ec)) {
            return "/dev/shm";
        }
        return std::filesystem::temp_directory_path();
    }

    std::filesystem::path path_;
};

}  // namespace spikerate_fuzz
