#pragma once

// Private to sim/io: included only by the run file's .cpp files (writer, reader, HDF5 helpers).
// Names and chunk sizes of the run file's layout, shared by the writer and the reader. The
// layout itself is documented in sim/io/FORMAT.md; a change here is a change there.

#include <cstdint>
#include <string_view>

namespace spikerate::sim::io {

// The three top-level groups, always present (maybe empty): link name in the root group and
// the absolute path that names the group in messages and lookups.
inline constexpr const char* spikes_group = "spikes";
inline constexpr const char* report_group = "report";
inline constexpr const char* metrics_group = "metrics";
inline constexpr const char* spikes_path = "/spikes";
inline constexpr const char* report_path = "/report";
inline constexpr const char* metrics_path = "/metrics";
// What the run builds (FORMAT.md, "What the file describes"): present, maybe empty.
inline constexpr const char* populations_group = "populations";
inline constexpr const char* projections_group = "projections";
inline constexpr const char* populations_path = "/populations";
inline constexpr const char* projections_path = "/projections";
static_assert(std::string_view(populations_path).substr(1) == populations_group);
static_assert(std::string_view(projections_path).substr(1) == projections_group);
static_assert(std::string_view(spikes_path).substr(1) == spikes_group);
static_assert(std::string_view(report_path).substr(1) == report_group);
static_assert(std::string_view(metrics_path).substr(1) == metrics_group);

// The datasets of /report/<name>/mapping that SONATA defines; any other dataset there is an
// extra element mapping (e.g. source_node_ids).
inline bool is_sonata_mapping_name(std::string_view name) {
    return name == "node_ids" || name == "index_pointers" || name == "element_ids" ||
           name == "time";
}

// Spike datasets: 64 Ki elements per chunk = 512 KiB for float64 and uint64, which fits the
// default 1 MiB chunk cache of each dataset, so small appends accumulate in memory.
inline constexpr std::uint64_t spike_chunk_elements = std::uint64_t{64} * 1024;
// Metric series (learning curves) hold a few hundred points: 8 KiB chunks.
inline constexpr std::uint64_t series_chunk_elements = 1024;

// Report data: chunks of whole frames (rows) of about report_chunk_target_bytes; a frame wider
// than report_chunk_max_bytes is split into column blocks of that size, one frame per chunk.
inline constexpr std::uint64_t report_chunk_target_bytes = std::uint64_t{256} * 1024;
inline constexpr std::uint64_t report_chunk_max_bytes = std::uint64_t{1024} * 1024;

// Enum values of the `sorting` attribute of /spikes/<population> (SONATA).
enum class Sorting : std::uint8_t { none = 0, by_id = 1, by_time = 2 };

}  // namespace spikerate::sim::io
