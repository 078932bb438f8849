#pragma once

// The section readers of a scenario file (private to sim/io/scenario), one source file each,
// called by the loader (loader.cpp) in this order. Each first rejects keys that are not valid in
// its tables, then reads its values through the description structs' visit_fields, then
// validates the element it describes, so that a ParamError from a validate() is traced back to
// the key it names (reader::Element).

#include <deque>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <toml++/toml.h>

#include "sim/io/scenario.hpp"
#include "sim/io/scenario/reader.hpp"

namespace spikerate::sim::io::reader {

// What the readers build and what they remember for later checks and the resolved text.
struct LoadState {
    explicit LoadState(const Context& context) : ctx(context) {}

    const Context& ctx;
    Scenario scenario;
    toml::table empty;  // stands in for an optional table the file leaves out
    bool output_given = false;
    // Elements by the (kind, name) a ParamError::in() gives them ("population", "exc").
    std::map<std::pair<std::string, std::string>, Element> elements;
    std::map<std::string, std::filesystem::path> spike_files;  // read, by population
    std::optional<std::filesystem::path> data_dir;             // [task] data_dir as written
    // [spiking.<name>] sections that named a preset, by name, and the description each expanded
    // into (what the resolved scenario holds in its place). A deque: elements point into them.
    std::deque<std::pair<std::string, toml::table>> expanded_spiking;

    const PopulationSpec* population(std::string_view name) const;
    std::vector<std::string> population_names(bool neurons_only = false) const;
    // "a population name must not be empty / contain '/'".
    void check_name(const toml::node& node, const std::string& path, std::string_view name,
                    std::string_view what) const;
};

void read_run(LoadState& state, const Table& top);
void read_populations(LoadState& state, const Table& top);  // and their spike-train files
void read_projections(LoadState& state, const Table& top);
void read_modulators(LoadState& state, const Table& top);
void read_record(LoadState& state, const Table& top);
void read_task(LoadState& state, const Table& top);
void read_training(LoadState& state, const Table& top);
void read_rate_networks(LoadState& state, const Table& top);
void read_spiking_networks(LoadState& state, const Table& top);

// The whole network and the recording, after every element passed on its own.
void validate_all(const LoadState& state);

// --set key.path=value: the value, parsed as TOML, replaces or adds the key; its nodes keep
// "--set key.path=value" as their source.
void apply_override(toml::table& root, const std::string& text);

// The table written back as TOML with every float in its shortest form (resolved_text).
std::string resolved_text(const toml::table& root);

}  // namespace spikerate::sim::io::reader
