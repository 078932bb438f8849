#pragma once

// Writes the run's HDF5 output file (layout: sim/io/FORMAT.md) as the run goes: spikes, frame
// reports and metrics, appended in chunks and flushed on request. HDF5 itself appears only in
// run_file_writer.cpp.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "models/error.hpp"
#include "sim/io/run_file.hpp"
#include "sim/metric_sink.hpp"
#include "sim/recorder.hpp"

namespace spikerate::sim::io {

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

    // /spikes/<population> with empty extendible timestamps (float64, ms) and node_ids (uint64),
    // and the role's attributes.
    using RecordingSink::add_spike_population;
    void add_spike_population(const std::string& population, const RecordRole& role) override;
    // Appends spikes; the caller appends in time order (ties by node id) across calls.
    void append_spikes(const std::string& population, std::span<const double> times_ms,
                       std::span<const std::uint64_t> node_ids) override;

    // /report/<name> with its mapping, an empty extendible data [0 x elements] (float32) and the
    // role's attributes. Returns the handle for append_frames.
    std::size_t add_report(const ReportLayout& layout) override;
    // Appends n_frames frames (row-major, frames x elements) and updates mapping/time's stop.
    void append_frames(std::size_t report, std::span<const float> frames,
                       std::size_t n_frames) override;

    // /populations/<name> and /projections/<name>: groups with attributes only. A name may be
    // described once.
    void describe_population(const PopulationDescription& population) override;
    void describe_projection(const ProjectionDescription& projection) override;

    // /metrics/<path> scalar float64 dataset with attribute units ("" for counts).
    void write_metric(const std::string& path, double value, const std::string& units) override;
    // /metrics/<path> scalar float64 dataset with attributes units and source.
    void write_cost(const std::string& path, double value, const std::string& units,
                    const std::string& source) override;
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

    // Checkpoint and resume (sim/io/FORMAT.md, "Checkpoints"). How far every growing dataset
    // has been written: spike groups, frame reports (in handle order) and metric series.
    struct Extents {
        struct Spikes {
            std::string population;
            std::uint64_t size = 0;
            double last_time = 0.0;
            bool sorted = true;
        };
        struct Frames {
            std::string report;
            std::uint64_t frames = 0;
        };
        struct Series {
            std::string path;
            std::uint64_t size = 0;
            bool counts = false;
            std::string units;
        };
        std::vector<Spikes> spikes;
        std::vector<Frames> reports;  // handle k at k
        std::vector<Series> series;
    };
    Extents extents() const;
    // Continues the run file <path>.partial that a stopped run left: locks it (IoError if
    // another process holds it, or it is not a regular file), opens it, cuts every growing
    // dataset back to `extents` and removes those not in it, so it holds what it held when the
    // extents were taken; appends go on from there, report handles as before.
    struct Resume {};
    RunFileWriter(std::filesystem::path path, bool overwrite, const Extents& extents, Resume);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace spikerate::sim::io
