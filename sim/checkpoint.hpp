#pragma once

// The state of a run, as bytes: what `spikerate run --checkpoint-every` writes beside the
// output and `spikerate resume` reads back (sim/io/FORMAT.md, "Checkpoints"). Every object that
// carries state across steps or examples has save_state(StateWriter&) and
// load_state(StateReader&); a section tag before each object's part lets a mismatch (another
// scenario, another build) be named instead of read as garbage.
//
// Values are stored in this machine's representation (a checkpoint is read by the spikerate
// version that wrote it, on the same kind of machine: the header says which). A checkpoint
// file is written to a temporary file, synced and renamed over the previous one, so a crash
// leaves either the old or the new checkpoint, never half of one.

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <Eigen/Core>

#include "models/error.hpp"

namespace spikerate::sim {

class StateWriter {
  public:
    void tag(std::string_view section);  // a section name the reader checks
    void u64(std::uint64_t value) { raw(&value, sizeof value); }
    void i64(std::int64_t value) { raw(&value, sizeof value); }
    void f64(double value) { raw(&value, sizeof value); }
    void boolean(bool value) { u64(value ? 1 : 0); }
    void str(std::string_view text);
    template <class T>
    requires std::is_trivially_copyable_v<T>
    void pod(const T& value) { raw(&value, sizeof value); }
    // A length, then the elements' bytes.
    template <class T>
    requires std::is_trivially_copyable_v<T>
    void vec(std::span<const T> values) {
        u64(values.size());
        raw(values.data(), values.size_bytes());
    }
    template <class T>
    void vec(const std::vector<T>& values) {
        vec(std::span<const T>(values));
    }
    // An Eigen array, vector or matrix: its shape, then its values in storage order.
    template <class Derived>
    void array(const Eigen::PlainObjectBase<Derived>& values) {
        u64(static_cast<std::uint64_t>(values.rows()));
        u64(static_cast<std::uint64_t>(values.cols()));
        raw(values.data(),
            static_cast<std::size_t>(values.size()) * sizeof(typename Derived::Scalar));
    }

    const std::string& bytes() const { return bytes_; }

  private:
    void raw(const void* data, std::size_t size) {
        bytes_.append(static_cast<const char*>(data), size);
    }
    std::string bytes_;
};

// Reads what a StateWriter wrote, in the same order. Every read is checked against the bytes
// left and every section tag against the one expected: a mismatch throws DataError naming
// `source` (the checkpoint file) and the section.
class StateReader {
  public:
    StateReader(std::string_view bytes, std::string source)
        : bytes_(bytes), source_(std::move(source)) {}

    void tag(std::string_view section);
    std::uint64_t u64() { return read<std::uint64_t>(); }
    std::int64_t i64() { return read<std::int64_t>(); }
    double f64() { return read<double>(); }
    bool boolean();
    std::string str();
    template <class T>
    requires std::is_trivially_copyable_v<T> T pod() { return read<T>(); }
    template <class T>
    requires std::is_trivially_copyable_v<T> std::vector<T> vec() {
        const std::uint64_t n = u64();
        if (n > left() / std::max<std::size_t>(sizeof(T), 1)) truncated();
        std::vector<T> values(n);
        take(values.data(), n * sizeof(T));
        return values;
    }
    // A vector whose length the caller knows (a population's size): another length is an error.
    template <class T>
    requires std::is_trivially_copyable_v<T>
    void vec_into(std::vector<T>& values, std::size_t expected, std::string_view what) {
        std::vector<T> read_values = vec<T>();
        if (read_values.size() != expected) mismatch(what, expected, read_values.size());
        values = std::move(read_values);
    }
    // An Eigen array, vector or matrix of the given shape.
    template <class Derived>
    void array_into(Eigen::PlainObjectBase<Derived>& values, Eigen::Index rows, Eigen::Index cols,
                    std::string_view what) {
        const auto r = static_cast<Eigen::Index>(u64());
        const auto c = static_cast<Eigen::Index>(u64());
        if (r != rows || c != cols) {
            mismatch(what, static_cast<std::size_t>(rows * cols), static_cast<std::size_t>(r * c));
        }
        values.resize(r, c);
        take(values.data(),
             static_cast<std::size_t>(values.size()) * sizeof(typename Derived::Scalar));
    }
    std::size_t left() const { return bytes_.size() - at_; }
    void expect_end() const;  // DataError if bytes are left over
    const std::string& source() const { return source_; }
    // A DataError naming the checkpoint and the section being read.
    [[noreturn]] void fail(std::string_view why) const;

  private:
    template <class T>
    T read() {  // T need not be default-constructible
        std::array<char, sizeof(T)> raw;
        take(raw.data(), raw.size());
        return std::bit_cast<T>(raw);
    }
    void take(void* out, std::size_t size);
    [[noreturn]] void truncated() const;
    [[noreturn]] void mismatch(std::string_view what, std::size_t expected,
                               std::size_t found) const;

    std::string_view bytes_;
    std::size_t at_ = 0;
    std::string source_;
    std::string section_ = "(start)";
};

// What a checkpoint belongs to: a checkpoint is resumed only by the same spikerate version, for
// the same resolved scenario text and seed, on the same kind of machine.
struct CheckpointHeader {
    std::string spikerate_version;
    std::string machine;   // byte order and type sizes, e.g. "little-endian, 8-byte double"
    std::string scenario;  // the resolved scenario text
    std::uint64_t seed = 0;
    std::string output;  // the output path the run writes (its final name)
};

// This machine's description for CheckpointHeader::machine.
std::string machine_description();

// Writes header and state to `path` atomically: a new "<path>.XXXXXX" (mkstemp) written,
// fsync'd, renamed over `path`, and the directory fsync'd. Throws IoError, leaving any previous
// checkpoint intact (a crash while writing may leave the temporary file, never a half-written
// checkpoint).
void write_checkpoint(const std::filesystem::path& path, const CheckpointHeader& header,
                      std::string_view state);

struct CheckpointFile {
    CheckpointHeader header;
    std::string state;
};
// Reads a checkpoint; throws DataError naming the file if it is not one, is truncated or its
// checksum does not match (a damaged file).
CheckpointFile read_checkpoint(const std::filesystem::path& path);

}  // namespace spikerate::sim
