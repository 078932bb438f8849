#pragma once

// Reads a run's HDF5 output file back (tests, tools): the same names and types as written
// (sim/io/FORMAT.md). HDF5 itself appears only in run_file_reader.cpp.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "models/error.hpp"
#include "sim/io/run_file.hpp"

namespace spikerate::sim::io {

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
