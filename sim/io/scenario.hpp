#pragma once

// Scenario files: TOML describing a run (settings, populations, projections, recording, the
// task, its training schedule, and the rate and spiking networks trained on it).
// The key reference is data/scenarios/README.md. Everything is validated before anything runs.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "models/error.hpp"
#include "sim/network_spec.hpp"
#include "sim/recording_spec.hpp"
#include "sim/task/task_spec.hpp"
#include "sim/train/gradient_trainer.hpp"
#include "sim/train/stdp_trainer.hpp"

namespace spikerate::sim::io {

struct RunSpec {
    double duration_ms = 1000.0;  // [ms] a whole number of steps
    std::string output;  // output file; relative paths are relative to the working directory
};

struct Scenario {
    std::string source;         // the file it came from ("<text>" for parse_scenario)
    std::string resolved_text;  // the TOML after --set overrides, as written to the output file
    NetworkSpec network;
    RunSpec run;
    RecordingSpec record;
    std::optional<task::TaskSpec> task;                       // [task]
    train::TrainingSchedule training;                         // [training]
    std::vector<train::RateNetworkSpec> rate_networks;        // [rate.<name>], by name
    std::vector<train::SpikingNetworkSpec> spiking_networks;  // [spiking.<name>], by name
};

// Reads, applies the overrides ("key.path=value", value in TOML syntax, e.g.
// "run.duration_ms=500" or "populations.exc.model=\"lif_curr\""), and validates everything
// (network and recording). Throws ScenarioError.
Scenario load_scenario(const std::filesystem::path& file,
                       const std::vector<std::string>& overrides = {});
Scenario parse_scenario(std::string_view toml_text, std::string_view source_name,
                        const std::vector<std::string>& overrides = {});

}  // namespace spikerate::sim::io
