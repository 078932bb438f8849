#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace spikerate::sim {

// Where measured quantities go: /metrics of the HDF5 run file (io::RunFileWriter), or memory in
// tests. A path has components separated by '/', e.g. "rate/mlp/curve/test_accuracy".
class MetricSink {
  public:
    virtual ~MetricSink() = default;
    // A scalar measurement with its units ("" if dimensionless); written again, it is replaced.
    virtual void write_metric(const std::string& path, double value, const std::string& units) = 0;
    // A scalar measurement with its units and where its value comes from (a cost and its
    // published source, a total and how it was summed); written again, it is replaced.
    virtual void write_cost(const std::string& path, double value, const std::string& units,
                            const std::string& source) = 0;
    // A wall-clock duration in seconds (a learner's training time). The only measurement that
    // differs between two runs of the same scenario and seed, so a sink may leave it out: the
    // experiment's does unless the scenario asks for it ([run] wall_times). Written again, it is
    // replaced.
    virtual void write_wall_time(const std::string& path, double seconds) {
        write_metric(path, seconds, "s");
    }
    // A scalar count; written again, it is replaced.
    virtual void write_count(const std::string& path, std::uint64_t value) = 0;
    // A series that grows as the run goes on (a learning curve): values are appended to the end.
    virtual void append_series(const std::string& path, std::span<const double> values,
                               const std::string& units) = 0;
    virtual void append_count_series(const std::string& path,
                                     std::span<const std::uint64_t> values) = 0;
    // A rows x cols table of counts, row-major (a confusion matrix: [true class][predicted]);
    // written again with the same shape, it is replaced.
    virtual void write_count_matrix(const std::string& path, std::span<const std::uint64_t> values,
                                    std::size_t rows, std::size_t cols) = 0;
};

}  // namespace spikerate::sim
