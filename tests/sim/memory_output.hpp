#pragma once

// Everything the engine and the trainers write, kept in memory (the tests' stand-in for the
// HDF5 run file): spikes, frame reports and metrics, with the sizes checked as they arrive.

#include <algorithm>
#include <map>
#include <span>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "sim/metric_sink.hpp"
#include "sim/recorder.hpp"

namespace spikerate::testing {

struct MemoryOutput final : sim::RecordingSink, sim::MetricSink {
    struct Spikes {
        std::vector<double> times;
        std::vector<std::uint64_t> nodes;
    };
    std::map<std::string, Spikes> spikes;
    std::map<std::string, sim::RecordRole> spike_roles;
    std::vector<sim::PopulationDescription> populations;
    std::vector<sim::ProjectionDescription> projections;
    std::vector<sim::ReportLayout> layouts;
    std::vector<std::vector<float>> frames;      // per report, concatenated
    std::size_t largest_append = 0;              // values in the largest single append
    std::map<std::string, double> scalars;       // metrics and counts
    std::map<std::string, std::string> sources;  // of the metrics written with write_cost
    std::map<std::string, std::vector<double>> series;
    std::map<std::string, std::vector<std::uint64_t>> matrices;

    using sim::RecordingSink::add_spike_population;
    void add_spike_population(const std::string& population, const sim::RecordRole& role) override {
        spikes[population];
        spike_roles[population] = role;
    }
    void describe_population(const sim::PopulationDescription& population) override {
        populations.push_back(population);
    }
    void describe_projection(const sim::ProjectionDescription& projection) override {
        projections.push_back(projection);
    }
    void append_spikes(const std::string& population, std::span<const double> times_ms,
                       std::span<const std::uint64_t> node_ids) override {
        REQUIRE(times_ms.size() == node_ids.size());
        largest_append = std::max(largest_append, times_ms.size());
        auto& s = spikes.at(population);
        s.times.insert(s.times.end(), times_ms.begin(), times_ms.end());
        s.nodes.insert(s.nodes.end(), node_ids.begin(), node_ids.end());
    }
    std::size_t add_report(const sim::ReportLayout& layout) override {
        layouts.push_back(layout);
        frames.emplace_back();
        return layouts.size() - 1;
    }
    void append_frames(std::size_t report, std::span<const float> data,
                       std::size_t n_frames) override {
        REQUIRE(data.size() == n_frames * layouts.at(report).element_ids.size());
        largest_append = std::max(largest_append, data.size());
        frames[report].insert(frames[report].end(), data.begin(), data.end());
    }
    void write_metric(const std::string& path, double value,
                      const std::string& /*units*/) override {
        scalars[path] = value;
    }
    void write_cost(const std::string& path, double value, const std::string& /*units*/,
                    const std::string& source) override {
        scalars[path] = value;
        sources[path] = source;
    }
    void write_count(const std::string& path, std::uint64_t value) override {
        scalars[path] = static_cast<double>(value);
    }
    void append_series(const std::string& path, std::span<const double> values,
                       const std::string& /*units*/) override {
        series[path].insert(series[path].end(), values.begin(), values.end());
    }
    void append_count_series(const std::string& path,
                             std::span<const std::uint64_t> values) override {
        for (const auto v : values) series[path].push_back(static_cast<double>(v));
    }
    void write_count_matrix(const std::string& path, std::span<const std::uint64_t> values,
                            std::size_t rows, std::size_t cols) override {
        REQUIRE(values.size() == rows * cols);
        matrices[path].assign(values.begin(), values.end());
    }

    // The handle of the report named `name`.
    std::size_t report(const std::string& name) const {
        for (std::size_t r = 0; r < layouts.size(); ++r) {
            if (layouts[r].name == name) return r;
        }
        FAIL("no report " << name);
        return 0;
    }
};

}  // namespace spikerate::testing
