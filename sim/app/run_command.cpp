#include "run_command.hpp"

#include <sys/resource.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <optional>

#include <fmt/format.h>

#include "models/error.hpp"
#include "sim/app/progress.hpp"
#include "sim/io/run_file.hpp"
#include "sim/io/scenario.hpp"
#include "sim/network.hpp"
#include "sim/recorder.hpp"

namespace spikerate::app {

namespace fs = std::filesystem;
namespace io = sim::io;

namespace {

volatile std::sig_atomic_t interrupted = 0;
extern "C" void on_interrupt(int) { interrupted = 1; }

constexpr double flush_interval_s = 2.0;  // a killed run loses at most this much wall time

io::Scenario load(const RunOptions& options) {
    return io::load_scenario(options.scenario, options.overrides);
}

fs::path output_path(const RunOptions& options, const io::Scenario& scenario) {
    return options.output.empty() ? fs::path(scenario.run.output) : fs::path(options.output);
}

// Refuses an output path the run could not write, before anything is built or simulated.
void check_output_path(const fs::path& out, bool force) {
    if (out.empty()) throw OutputRefused("no output file: set run.output or pass -o FILE");
    try {
        io::RunFileWriter::check_can_write(out, force);
    } catch (const io::IoError& e) {
        throw OutputRefused(fmt::format("{}{}", e.what(),
                                        force ? "" : "; pass --force to overwrite, or -o to "
                                                     "write elsewhere"));
    }
}

void write_metrics(io::RunFileWriter& file, const sim::Network& net) {
    file.write_metric("simulated_time_ms", net.time_ms(), "ms");
    for (const auto& pop : net.populations()) {
        const std::string base = "populations/" + pop->name() + "/";
        file.write_count(base + "spikes", pop->spike_count());
        file.write_count(base + "neuron_updates", pop->neuron_updates());
        const double rate = net.time_ms() > 0.0 ? pop->spike_count() / (pop->size() * net.time_ms() * 1e-3) : 0.0;
        file.write_metric(base + "mean_rate", rate, "Hz");
    }
    for (const auto& proj : net.projections()) {
        const std::string base = "projections/" + proj->name() + "/";
        file.write_count(base + "synapses", proj->n_synapses());
        file.write_count(base + "synaptic_events", proj->synaptic_events());
        file.write_count(base + "plasticity_updates", proj->plasticity_updates());
    }
}

void print_network(const sim::Network& net) {
    fmt::print("  {:<16} {:<12} {:>8} {:>10} {:>14}\n", "population", "model", "size", "spikes",
               "mean rate [Hz]");
    for (const auto& pop : net.populations()) {
        const double rate = net.time_ms() > 0.0 ? pop->spike_count() / (pop->size() * net.time_ms() * 1e-3) : 0.0;
        fmt::print("  {:<16} {:<12} {:>8} {:>10} {:>14.2f}\n", pop->name(), pop->model_id(),
                   pop->size(), pop->spike_count(), rate);
    }
    fmt::print("  {:<24} {:>12} {:>16} {:>18}\n", "projection", "synapses", "synaptic events",
               "plasticity updates");
    for (const auto& proj : net.projections()) {
        fmt::print("  {:<24} {:>12} {:>16} {:>18}\n", proj->name(), proj->n_synapses(),
                   proj->synaptic_events(), proj->plasticity_updates());
    }
}

}  // namespace

int run_scenario(const RunOptions& options) {
    const io::Scenario scenario = load(options);
    const fs::path out = output_path(options, scenario);
    check_output_path(out, options.force);

    sim::Network net(scenario.network);
    const std::int64_t total_steps = net.grid().steps_in(scenario.run.duration_ms, "run.duration_ms");

    std::optional<io::RunFileWriter> file;
    try {
        file.emplace(out, options.force,
                     io::RunAttributes{.spikerate_version = SPIKERATE_VERSION,
                                       .seed = scenario.network.seed,
                                       .scenario = scenario.resolved_text,
                                       .dt_ms = scenario.network.dt_ms});
    } catch (const io::IoError& e) {
        throw OutputRefused(e.what());
    }
    sim::Recorder recorder(scenario.record, net, *file);

    interrupted = 0;
    std::signal(SIGINT, on_interrupt);
    std::signal(SIGTERM, on_interrupt);
    Progress progress(total_steps, net.grid().dt(), options.quiet);
    const auto start = std::chrono::steady_clock::now();
    auto last_flush = start;
    for (std::int64_t k = 0; k < total_steps && !interrupted; ++k) {
        net.step();
        recorder.after_step(net);
        progress.update(k + 1);
        if ((k & 1023) == 1023) {
            const auto now = std::chrono::steady_clock::now();
            if (std::chrono::duration<double>(now - last_flush).count() >= flush_interval_s) {
                recorder.flush();
                file->flush();
                last_flush = now;
            }
        }
    }
    progress.finish();
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    const double wall_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    recorder.flush();
    write_metrics(*file, net);
    if (interrupted) {
        file->flush();
        const std::string partial = file->partial_path().string();
        file.reset();  // closes, leaving the .partial file with complete = 0
        fmt::print(stderr, "spikerate: interrupted at t = {} ms; what was recorded is in '{}' "
                           "(complete = 0)\n", net.time_ms(), partial);
        return 130;
    }
    file->finish();

    if (!options.quiet) {
        fmt::print("spikerate run: {}\n", options.scenario);
        fmt::print("  simulated {} ms in {:.2f} s wall ({:.3g}x real time), dt {} ms, seed {}\n",
                   net.time_ms(), wall_s, net.time_ms() * 1e-3 / wall_s, net.grid().dt(),
                   scenario.network.seed);
        print_network(net);
        rusage usage{};
        getrusage(RUSAGE_SELF, &usage);
        fmt::print("  peak memory (RSS): {:.1f} MiB\n", static_cast<double>(usage.ru_maxrss) / 1024.0);
        fmt::print("  output: {}\n", out.string());
    }
    return 0;
}

int validate_scenario(const RunOptions& options) {
    const io::Scenario scenario = load(options);  // validates everything but the connectivity
    const sim::Network net(scenario.network);     // draws the connections: the last check
    fmt::print("{}: valid. {} ms at dt = {} ms, seed {}, output '{}'\n", options.scenario,
               scenario.run.duration_ms, scenario.network.dt_ms, scenario.network.seed,
               output_path(options, scenario).string());
    print_network(net);
    return 0;
}

}  // namespace spikerate::app
