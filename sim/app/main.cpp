// The spikerate command-line program.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "models/error.hpp"
#include "sim/app/run_command.hpp"
#include "sim/io/key_reference.hpp"

namespace {

// Exit codes (also in the README).
enum ExitCode : int {
    success = 0,
    runtime_failure = 1,    // I/O or other failure while running
    invalid_input = 2,      // bad command line, invalid scenario, output refused: nothing written
    numerical_failure = 3,  // the state diverged (NaN/inf); the .partial file is left
    internal_error = 4,     // a bug: please report it
};

template <class Command>
int report_errors(Command&& command) {
    try {
        return command();
    } catch (const spikerate::ParamError& e) {  // includes scenario errors
        fmt::print(stderr, "spikerate: {}\n", e.what());
        return invalid_input;
    } catch (const spikerate::DataError& e) {  // a missing or corrupt data set
        fmt::print(stderr, "spikerate: {}\n", e.what());
        return invalid_input;
    } catch (const spikerate::OutputRefused& e) {
        fmt::print(stderr, "spikerate: {}\n", e.what());
        return invalid_input;
    } catch (const spikerate::NumericalError& e) {
        fmt::print(stderr, "spikerate: numerical failure: {}\n", e.what());
        return numerical_failure;
    } catch (const spikerate::Error& e) {
        fmt::print(stderr, "spikerate: {}\n", e.what());
        return runtime_failure;
    } catch (const std::exception& e) {
        fmt::print(stderr, "spikerate: internal error: {}\n", e.what());
        return internal_error;
    }
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App cli{
        "spikerate: spiking networks with local learning and gradient-trained rate "
        "networks on the same tasks"};
    cli.set_version_flag("--version", std::string("spikerate ") + SPIKERATE_VERSION);
    cli.require_subcommand(1);
    cli.footer(
        "Examples:\n"
        "  spikerate run data/scenarios/coba.toml -o /tmp/coba.h5\n"
        "  spikerate run data/scenarios/stdp_song2000.toml --set run.duration_ms=10000\n"
        "  spikerate validate data/scenarios/cuba.toml\n"
        "  spikerate run data/scenarios/diehl_cook_100.toml --checkpoint-every 10min\n"
        "  spikerate resume diehl_cook_100.h5.partial   (after the run was killed)\n"
        "  spikerate keys              (every scenario key; --markdown for the README's tables)\n"
        "Exit codes: 0 success, 1 failure while running, 2 invalid input (nothing written),\n"
        "  3 numerical failure, 4 internal error, 130 interrupted.");

    spikerate::app::RunOptions options;
    auto* run = cli.add_subcommand("run", "run a scenario and write its HDF5 output");
    auto* validate = cli.add_subcommand("validate", "check a scenario without running it");
    for (auto* command : {run, validate}) {
        command->add_option("scenario", options.scenario, "scenario file (TOML)")
            ->required()
            ->check(CLI::ExistingFile);
        command->add_option("--set", options.overrides,
                            "override a scenario key: key.path=value (TOML value), repeatable");
        command->add_option("-o,--output", options.output, "output file (default: run.output)");
    }
    run->add_flag("--force", options.force, "overwrite an existing output file");
    run->add_option("--checkpoint-every", options.checkpoint_every,
                    "write the run's whole state to <output>.checkpoint (atomically) every so "
                    "much wall time (600 = 600s, 10min, 2h) or every N training examples "
                    "(5000examples), so that `spikerate resume <output>.partial` can continue a "
                    "run that was killed")
        ->type_name("INTERVAL");
    spikerate::app::ResumeOptions resume_options;
    auto* resume = cli.add_subcommand(
        "resume", "continue a stopped run from its last checkpoint (run --checkpoint-every)");
    resume->add_option("partial", resume_options.partial, "the <output>.partial the run left")
        ->required();
    resume->add_flag("--force", resume_options.force,
                     "the complete run may replace an existing <output>");
    resume->add_flag("-q,--quiet", resume_options.quiet, "no progress and no summary");
    auto* keys = cli.add_subcommand(
        "keys", "print every scenario key: type, unit, default and what it allows");
    bool markdown = false;
    keys->add_flag("--markdown", markdown, "as the markdown tables of data/scenarios/README.md");
    run->add_flag("-q,--quiet", options.quiet, "no progress and no summary");
    validate->add_flag("--resolved", options.print_resolved,
                       "print the resolved scenario (overrides applied, presets expanded into "
                       "the network and protocol they stand for), as the output file stores it");

    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return cli.exit(e) == 0 ? success : invalid_input;
    }

    if (*keys) {
        fmt::print("{}", markdown ? spikerate::sim::io::key_reference_markdown()
                                  : spikerate::sim::io::key_reference_text());
        return success;
    }
    if (*run) return report_errors([&] { return spikerate::app::run_scenario(options); });
    if (*resume) {
        return report_errors([&] { return spikerate::app::resume_run(resume_options); });
    }
    return report_errors([&] { return spikerate::app::validate_scenario(options); });
}
