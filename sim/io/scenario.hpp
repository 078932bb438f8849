#pragma once

// Scenario files: TOML describing a run (settings, populations, projections, recording, the
// task, its training schedule, and the rate and spiking networks trained on it).
// The key reference is data/scenarios/README.md. Everything is validated before anything runs.

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "models/error.hpp"
#include "sim/network_spec.hpp"
#include "sim/recording_spec.hpp"
#include "sim/task/task_spec.hpp"
#include "sim/train/gradient_trainer.hpp"
#include "sim/train/stdp_trainer.hpp"

namespace spikerate::sim::io {

// The [run] section. dt and seed are also the network's (NetworkSpec::dt_ms, seed).
struct RunSpec {
    enum class Mode { grid, precise };
    static constexpr std::array mode_choices{std::pair{"grid", Mode::grid},
                                             std::pair{"precise", Mode::precise}};

    double dt_ms = 0.1;           // [ms]
    double duration_ms = 1000.0;  // [ms] a whole number of steps
    std::uint64_t seed = 1;       // every random number derives from it
    // Output file; relative paths are relative to the working directory. Empty: the scenario
    // file's stem + ".h5".
    std::string output;
    Mode mode = Mode::grid;
    bool wall_times = false;
    std::uint32_t threads = 1;

    template <class Visitor>
    void visit_fields(Visitor&& v) {
        v("dt", dt_ms, "ms", "> 0");
        v("duration", duration_ms, "ms", "> 0, a whole number of steps of dt_ms");
        v("seed", seed, "", ">= 0; every random number derives from it");
        v("output", output, "",
          "not empty; \"\" = the scenario file's stem + .h5 (coba.toml -> coba.h5); relative "
          "to the working directory");
        v("mode", mode, mode_choices,
          "precise: populations whose model has an exact propagator (lif_curr) and no "
          "integration key integrate in precise mode (threshold crossings located inside the "
          "step, off-grid spike times)");
        v("threads", threads, "",
          ">= 1 (at most 1024): threads that advance the network; every output is the same bits "
          "for any count (spiking learners take theirs from their own `threads`)");
        v("wall_times", wall_times, "",
          "true: the output holds the learners' wall times (metrics .../training_seconds, "
          "evaluation_seconds), which differ from run to run; false: the output is a function of "
          "the scenario and seed alone, byte for byte (the times are printed either way)");
    }
};

struct Scenario {
    std::string source;         // the file it came from ("<text>" for parse_scenario)
    std::string resolved_text;  // the TOML after --set overrides, as written to the output file
    // Every file the run reads: the scenario file, spike-train files, a data set's files. An
    // output may be none of them.
    std::vector<std::filesystem::path> input_files;

    // Where each key is, for errors found after loading, when a data set is read or a network
    // built (locate()): by the element and key a ParamError names.
    struct KeyLocation {
        std::string where;  // "FILE:LINE" or "--set key=value"
        std::string path;   // "task.train_examples"
        bool is_default = false;
    };
    std::map<std::string, KeyLocation> key_locations;  // "<kind>\n<name>\n<key>"
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
// A ParamError raised after loading (reading the data set, building the network) as a
// ScenarioError naming the file, line and key path where the scenario set the key it names, as
// the loader's own errors do; unchanged (but for the scenario's name) when it names no key of the
// file.
ScenarioError locate(const Scenario& scenario, const ParamError& error);

Scenario parse_scenario(std::string_view toml_text, std::string_view source_name,
                        const std::vector<std::string>& overrides = {});

}  // namespace spikerate::sim::io
