#include "sim/checkpoint.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <fstream>
#include <iterator>
#include <system_error>

#include <fmt/format.h>

#include "sim/random_stream.hpp"

namespace spikerate::sim {

namespace {

// "spikerate checkpoint", format 1: magic, then the length and FNV-1a hash of the body, then
// the body (header strings and the state).
constexpr std::string_view magic = "SRCKPT\x01\n";

std::string errno_text() { return std::system_category().message(errno); }

void write_all(int fd, std::string_view data, const std::string& file) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            throw IoError(fmt::format("{}: cannot write checkpoint: {}", file, errno_text()));
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
}

}  // namespace

void StateWriter::tag(std::string_view section) { str(section); }

void StateWriter::str(std::string_view text) {
    u64(text.size());
    raw(text.data(), text.size());
}

void StateReader::tag(std::string_view section) {
    const std::string found = str();
    if (found != section) {
        fail(
            fmt::format("expected section '{}', found '{}' (written by another build or for "
                        "another scenario?)",
                        section, found.size() > 64 ? found.substr(0, 64) + "..." : found));
    }
    section_ = section;
}

bool StateReader::boolean() {
    const std::uint64_t v = u64();
    if (v > 1) fail(fmt::format("a flag reads {}", v));
    return v == 1;
}

std::string StateReader::str() {
    const std::uint64_t n = u64();
    if (n > left()) truncated();
    std::string text(bytes_.substr(at_, n));
    at_ += n;
    return text;
}

void StateReader::take(void* out, std::size_t size) {
    if (size > left()) truncated();
    if (size > 0) std::memcpy(out, bytes_.data() + at_, size);
    at_ += size;
}

void StateReader::expect_end() const {
    if (left() != 0) fail(fmt::format("{} bytes left over after the state", left()));
}

void StateReader::fail(std::string_view why) const {
    throw DataError(
        fmt::format("{}: checkpoint unusable, in section '{}': {}", source_, section_, why));
}

void StateReader::truncated() const { fail("the state ends early"); }

void StateReader::mismatch(std::string_view what, std::size_t expected, std::size_t found) const {
    fail(fmt::format("{} has {} values, this run has {}", what, found, expected));
}

std::string machine_description() {
    return fmt::format("{}-endian, {}-byte pointers, {}-byte long double",
                       std::endian::native == std::endian::little ? "little" : "big", sizeof(void*),
                       sizeof(long double));
}

void write_checkpoint(const std::filesystem::path& path, const CheckpointHeader& header,
                      std::string_view state) {
    StateWriter body;
    body.str(header.spikerate_version);
    body.str(header.machine);
    body.str(header.scenario);
    body.u64(header.seed);
    body.str(header.output);
    body.str(state);
    StateWriter head;
    head.u64(body.bytes().size());
    head.u64(fnv1a64(body.bytes()));

    // A new file of a unique name (mkstemp: never one that exists, so no file of the user's is
    // ever truncated), renamed over the checkpoint when complete.
    std::string name = path.string() + ".XXXXXX";
    const int fd = ::mkostemp(name.data(), O_CLOEXEC);
    const std::string file = name;
    if (fd < 0) {
        throw IoError(fmt::format("{}: cannot create checkpoint: {}", file, errno_text()));
    }
    try {
        write_all(fd, magic, file);
        write_all(fd, head.bytes(), file);
        write_all(fd, body.bytes(), file);
        if (::fsync(fd) != 0) {
            throw IoError(fmt::format("{}: cannot sync checkpoint: {}", file, errno_text()));
        }
    } catch (...) {
        ::close(fd);
        ::unlink(file.c_str());
        throw;
    }
    if (::close(fd) != 0) {
        ::unlink(file.c_str());
        throw IoError(fmt::format("{}: cannot close checkpoint: {}", file, errno_text()));
    }
    if (std::rename(file.c_str(), path.c_str()) != 0) {
        const std::string why = errno_text();
        ::unlink(file.c_str());
        throw IoError(
            fmt::format("{}: cannot rename checkpoint to {}: {}", file, path.string(), why));
    }
    // The rename itself is durable once the directory is synced.
    const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
    const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd >= 0) {
        (void)::fsync(dir_fd);
        ::close(dir_fd);
    }
}

CheckpointFile read_checkpoint(const std::filesystem::path& path) {
    const std::string file = path.string();
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
        throw DataError(fmt::format("{}: no checkpoint (not a regular file)", file));
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) throw DataError(fmt::format("{}: cannot open checkpoint", file));
    const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (bytes.size() < magic.size() || std::string_view(bytes).substr(0, magic.size()) != magic) {
        throw DataError(fmt::format("{}: not a spikerate checkpoint (or of another format)", file));
    }
    StateReader head(std::string_view(bytes).substr(magic.size()), file);
    const std::uint64_t size = head.u64();
    const std::uint64_t hash = head.u64();
    if (head.left() != size) {
        throw DataError(fmt::format(
            "{}: checkpoint damaged: {} bytes of state where its header says {} (truncated?)", file,
            head.left(), size));
    }
    const std::string_view body_bytes = std::string_view(bytes).substr(magic.size() + 16);
    if (fnv1a64(body_bytes) != hash) {
        throw DataError(fmt::format("{}: checkpoint damaged: its checksum does not match", file));
    }
    StateReader body(body_bytes, file);
    CheckpointFile checkpoint;
    checkpoint.header.spikerate_version = body.str();
    checkpoint.header.machine = body.str();
    checkpoint.header.scenario = body.str();
    checkpoint.header.seed = body.u64();
    checkpoint.header.output = body.str();
    checkpoint.state = body.str();
    body.expect_end();
    return checkpoint;
}

}  // namespace spikerate::sim
