// The spikerate command-line program.
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "models/error.hpp"
#include "sim/app/demo.hpp"

namespace {

// Exit codes: 0 success, 1 runtime error, 2 invalid parameters or usage, 3 numerical failure,
// 4 internal error.
enum ExitCode : int { ok = 0, runtime_error = 1, usage_error = 2, numerical_error = 3, internal = 4 };

}  // namespace

int main(int argc, char** argv) {
    CLI::App cli{"spikerate: spiking networks with local learning and gradient-trained rate "
                 "networks on the same tasks"};
    cli.set_version_flag("--version", std::string("spikerate ") + SPIKERATE_VERSION);
    cli.require_subcommand(1);
    cli.footer("Examples:\n  spikerate demo\n  spikerate demo --duration 100 --seed 7");

    double duration_s = 20.0;
    std::uint64_t seed = 1;
    auto* demo = cli.add_subcommand(
        "demo", "run the built-in example network (Song, Miller & Abbott 2000 STDP) and print "
                "what it did");
    demo->add_option("--duration", duration_s, "simulated time [s]")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    demo->add_option("--seed", seed, "random seed")->capture_default_str();

    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return cli.exit(e) == 0 ? ok : usage_error;
    }

    try {
        if (*demo) return spikerate::app::run_demo(duration_s, seed, std::cout);
    } catch (const spikerate::ParamError& e) {
        fmt::print(stderr, "spikerate: invalid parameter: {}\n", e.what());
        return usage_error;
    } catch (const spikerate::NumericalError& e) {
        fmt::print(stderr, "spikerate: numerical failure: {}\n", e.what());
        return numerical_error;
    } catch (const spikerate::Error& e) {
        fmt::print(stderr, "spikerate: {}\n", e.what());
        return runtime_error;
    } catch (const std::exception& e) {
        fmt::print(stderr, "spikerate: internal error: {}\n", e.what());
        return internal;
    }
    return ok;
}
