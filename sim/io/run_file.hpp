#pragma once

// The run's HDF5 output file, in SONATA's layouts (spikes, frame reports) plus /metrics.
// The exact layout is documented in sim/io/FORMAT.md. HDF5 itself appears only in run_file.cpp.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "models/error.hpp"
#include "sim/metric_sink.hpp"
#include "sim/recorder.hpp"

namespace spikerate::sim::io {

inline constexpr int format_version = 1;

struct RunAttributes {
    std::string spikerate_version;
    std::uint64_t seed = 0;
    std::string scenario;  // the resolved scenario text
    double dt_ms = 0.0;
};

using ReportLayout = sim::ReportLayout;

// Writes one run. The file is created as "<path>.partial" (root attribute complete = 0) and
// renamed to <path> with complete = 1 by finish(); a run that stops early leaves the
// .partial file, readable up to its last flush.
class RunFileWriter final : public sim::RecordingSink, public sim::MetricSink {
  public:
    // Throws IoError before anything is written if <path> exists and overwrite is false, if
    // <path>.partial exists and overwrite is false, or if the directory is not writable.
    RunFileWriter(std::filesystem::path path, bool overwrite, const RunAttributes& attributes);
    ~RunFileWriter() override;  // without finish(): flushes and closes, leaving the .partial file

    // The constructor's checks, without creating anything: throws IoError if <path> or
    // <path>.partial exists and overwrite is false, if <path> is a directory, or if its directory
    // does not exist or is not writable. Lets a caller refuse before expensive work.
    static void check_can_write(const std::filesystem::path& path, bool overwrite);
    RunFileWriter(const RunFileWriter&) = delete;
    RunFileWriter& operator=(const RunFileWriter&) = delete;

    const std::filesystem::path& path() const;          // the final path
    const std::filesystem::path& partial_path() const;  // where it is being written

    // /spikes/<population> with empty extendible timestamps (float64, ms) and node_ids (uint64).
    void add_spike_population(const std::string& population) override;
    // Appends spikes; the caller appends in time order (ties by node id) across calls.
    void append_spikes(const std::string& population, std::span<const double> times_ms,
                       std::span<const std::uint64_t> node_ids) override;

    // /report/<name> with its mapping and an empty extendible data [0 x elements] (float32).
    // Returns the handle for append_frames.
    std::size_t add_report(const ReportLayout& layout) override;
    // Appends n_frames frames (row-major, frames x elements) and updates mapping/time's stop.
    void append_frames(std::size_t report, std::span<const float> frames,
                       std::size_t n_frames) override;

    // /metrics/<path> scalar float64 dataset with attribute units ("" for counts).
    void write_metric(const std::string& path, double value, const std::string& units) override;
    // /metrics/<path> uint64 scalar (counts).
    void write_count(const std::string& path, std::uint64_t value) override;
    // /metrics/<path> extendible 1-D float64 (with units) or uint64 series, created by the
    // first append; later appends must keep the kind and the units.
    void append_series(const std::string& path, std::span<const double> values,
                       const std::string& units) override;
    void append_count_series(const std::string& path,
                             std::span<const std::uint64_t> values) override;
    // /metrics/<path> 2-D uint64 [rows, cols]; rewriting it needs the same shape.
    void write_count_matrix(const std::string& path, std::span<const std::uint64_t> values,
                            std::size_t rows, std::size_t cols) override;

    void flush();   // everything appended so far is readable by another process
    void finish();  // complete = 1, close, rename to path()

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Reading back (tests, tools): the same names and types as written.
struct SpikesRead {
    std::vector<double> timestamps_ms;
    std::vector<std::uint64_t> node_ids;
    std::string sorting;  // enum label: "none", "by_id" or "by_time"
};
struct ReportRead {
    ReportLayout layout;  // time_start/time_step/time_units from mapping/time, units from data
    double time_stop = 0.0;
    std::size_t n_frames = 0;
    std::vector<float> data;  // row-major frames x elements
};
struct CountMatrixRead {
    std::size_t rows = 0;
    std::size_t cols = 0;
    std::vector<std::uint64_t> values;  // row-major
};
class RunFileReader {
  public:
    explicit RunFileReader(const std::filesystem::path& path);  // throws IoError
    ~RunFileReader();
    RunFileReader(const RunFileReader&) = delete;
    RunFileReader& operator=(const RunFileReader&) = delete;

    RunAttributes attributes() const;
    int format_version() const;
    bool complete() const;
    std::vector<std::string> spike_populations() const;
    SpikesRead spikes(const std::string& population) const;
    std::vector<std::string> reports() const;
    ReportRead report(const std::string& name) const;
    double metric(const std::string& path) const;  // float64 or uint64 scalar
    std::string metric_units(const std::string& path) const;
    std::vector<double> metric_series(const std::string& path) const;  // 1-D, as float64
    CountMatrixRead count_matrix(const std::string& path) const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace spikerate::sim::io
