#pragma once

// Spike-train files: CSV with the header node_id,time_ms and one spike per line ("3,12.5"); blank
// lines are skipped; a UTF-8 byte-order mark is allowed. Node ids are integers < size, times
// numbers >= 0 [ms], in any order.

#include <cstdint>
#include <filesystem>

#include "sim/source_params.hpp"

namespace spikerate::sim::io {

// Reads `file` for a population of `size` neurons. Throws DataError naming the file and line
// ("spikes.csv:3: node_id 9: out of range for size 4 (expected 0 to 3)"), or naming the file when
// it is missing, not a regular file (a directory, a FIFO: never waited on) or unreadable.
SpikeTrainSourceParams read_spike_file(const std::filesystem::path& file, std::uint32_t size);

}  // namespace spikerate::sim::io
