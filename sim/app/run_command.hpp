#pragma once

#include <optional>
#include <string>
#include <vector>

#include "models/error.hpp"

namespace spikerate::app {

struct RunOptions {
    std::string scenario;                // path to the TOML file
    std::optional<std::string> output;   // -o: overrides run.output
    std::vector<std::string> overrides;  // --set key.path=value
    bool force = false;                  // overwrite an existing output file
    bool quiet = false;                  // no progress, no summary
    bool print_resolved = false;         // validate: print the resolved scenario (presets expanded)
    // --checkpoint-every: how often the run's state is written to <output>.checkpoint: wall
    // time ("600", "600s", "10min", "2h") or training examples ("5000examples"); none without.
    std::optional<std::string> checkpoint_every;
};

struct ResumeOptions {
    std::string partial;  // <output>.partial of a stopped run
    bool force = false;   // the complete run may replace an existing <output>
    bool quiet = false;
};

// spikerate run: validates the scenario and the output path, builds the network, runs it while
// recording into the HDF5 file, writes the metrics, prints a summary. Throws the project's
// errors; main() maps them to exit codes. Returns 130 when interrupted (SIGINT/SIGTERM), leaving
// the .partial file.
int run_scenario(const RunOptions& options);

// spikerate resume: continues the run that left <output>.partial from its last checkpoint
// (<output>.checkpoint): refuses a checkpoint of another version, machine, scenario or seed,
// a complete run, and a .partial another process is writing. Returns as run_scenario.
int resume_run(const ResumeOptions& options);

// spikerate validate: everything `run` checks before simulating, including building the
// network; prints what the scenario describes.
int validate_scenario(const RunOptions& options);

}  // namespace spikerate::app
