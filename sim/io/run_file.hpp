#pragma once

// The run's HDF5 output file, in SONATA's layouts (spikes, frame reports) plus /metrics: what
// the writer and the reader share. The exact layout is documented in sim/io/FORMAT.md.
// Writing: run_file_writer.hpp (RunFileWriter). Reading back: run_file_reader.hpp
// (RunFileReader). HDF5 itself appears only in sim/io's .cpp files.

#include <cstdint>
#include <string>

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
using RecordRole = sim::RecordRole;
using PopulationDescription = sim::PopulationDescription;
using ProjectionDescription = sim::ProjectionDescription;

}  // namespace spikerate::sim::io
