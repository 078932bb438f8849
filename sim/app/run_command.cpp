#include "run_command.hpp"

#include <sched.h>

#include <cstdlib>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <functional>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "models/error.hpp"
#include "sim/app/progress.hpp"
#include "sim/checkpoint.hpp"
#include "sim/io/run_file_reader.hpp"
#include "sim/io/run_file_writer.hpp"
#include "sim/io/scenario.hpp"
#include "sim/network.hpp"
#include "sim/task/example_stream.hpp"
#include "sim/task/input_view.hpp"
#include "sim/task/task_spec.hpp"
#include "sim/train/experiment.hpp"
#include "sim/train/gradient_trainer.hpp"
#include "sim/train/stdp_trainer.hpp"

namespace spikerate::app {

namespace fs = std::filesystem;
namespace io = sim::io;
namespace task = sim::task;
namespace train = sim::train;

namespace {

volatile std::sig_atomic_t interrupted = 0;
extern "C" void on_interrupt(int) { interrupted = 1; }

// Runs f(); a ParamError it throws (reading the data set, building the network) names the key
// where the scenario set it, as the loader's own errors do.
template <class F>
auto located(const io::Scenario& scenario, F&& f) -> decltype(f()) {
    try {
        return f();
    } catch (const ScenarioError&) {
        throw;
    } catch (const ParamError& e) {
        throw io::locate(scenario, e);
    }
}

io::Scenario load(const RunOptions& options) {
    return io::load_scenario(options.scenario, options.overrides);
}

fs::path output_path(const RunOptions& options, const io::Scenario& scenario) {
    if (!options.output) return scenario.run.output;
    if (options.output->empty()) throw OutputRefused("-o '': the output path is empty");
    return *options.output;
}

// Refuses an output path the run could not write, before anything is built or simulated: one
// that is an input of the run, or that the writer would refuse (sim/io/partial_file.hpp).
void check_output_path(const fs::path& out, bool force, const io::Scenario& scenario) {
    if (out.empty()) throw OutputRefused("no output file: set run.output or pass -o FILE");
    fs::path partial = out;
    partial += ".partial";
    for (const auto& input : scenario.input_files) {
        std::error_code ec;
        for (const auto& written : {out, partial}) {
            if (fs::equivalent(written, input, ec)) {
                throw OutputRefused(fmt::format(
                    "{}: is an input of this run ({}); the output must be another file, --force "
                    "or not",
                    written.string(), input.string()));
            }
        }
    }
    try {
        io::RunFileWriter::check_can_write(out, force);
    } catch (const IoError& e) {
        throw OutputRefused(fmt::format("{}{}", e.what(),
                                        force ? ""
                                              : "; pass --force to overwrite, or -o to "
                                                "write elsewhere"));
    }
}

void print_network(const sim::Network& net) {
    fmt::print("  {:<16} {:<12} {:>8} {:>10} {:>14}\n", "population", "model", "size", "spikes",
               "mean rate [Hz]");
    for (const auto& pop : net.populations()) {
        const double rate =
            net.time_ms() > 0.0 ? pop->spike_count() / (pop->size() * net.time_ms() * 1e-3) : 0.0;
        fmt::print("  {:<16} {:<12} {:>8} {:>10} {:>14.2f}\n", pop->name(), pop->model_id(),
                   pop->size(), pop->spike_count(), rate);
    }
    fmt::print("  {:<24} {:>12} {:>16} {:>18} {:>16}\n", "projection", "synapses",
               "synaptic events", "plasticity updates", "store [B/syn]");
    for (const auto& proj : net.projections()) {
        const double per_synapse = proj->n_synapses() > 0
                                       ? static_cast<double>(proj->memory_bytes()) /
                                             static_cast<double>(proj->n_synapses())
                                       : 0.0;
        fmt::print("  {:<24} {:>12} {:>16} {:>18} {:>16.1f}\n", proj->name(), proj->n_synapses(),
                   proj->synaptic_events(), proj->plasticity_updates(), per_synapse);
    }
    if (std::any_of(net.populations().begin(), net.populations().end(),
                    [](const auto& pop) { return pop->has_poisson_background(); })) {
        fmt::print("  {:<24} {:>16}\n", "poisson background", "input spikes");
        for (const auto& pop : net.populations()) {
            if (pop->has_poisson_background()) {
                fmt::print("  {:<24} {:>16}\n", pop->name(), pop->background_events());
            }
        }
    }
    if (net.modulators().empty()) return;
    fmt::print("  {:<24} {:>12} {:>16}\n", "modulator", "events", "pairings");
    for (const auto& mod : net.modulators()) {
        fmt::print("  {:<24} {:>12} {:>16}\n", mod->name(), mod->events_delivered(),
                   mod->pairings());
    }
}

// The layer sizes of a rate network, e.g. "784-100-10".
std::string layer_sizes(const models::RateNetwork& network) {
    std::string text = std::to_string(network.weights(0).cols());
    for (std::size_t layer = 0; layer < network.n_layers(); ++layer) {
        text += fmt::format("-{}", network.weights(layer).rows());
    }
    return text;
}

double per_example(std::uint64_t total, std::uint64_t examples) {
    return examples > 0 ? static_cast<double>(total) / static_cast<double>(examples) : 0.0;
}

// A temporal task: what each learner was handed of an example, how it was read out and from how
// many labels (a reward readout: the rewards delivered, each a label), and what it paid per
// example for it, side by side (the work table's figures, one line per learner).
void print_input_views(const train::Experiment& experiment, const task::Task& task) {
    const auto& patterns = task.train.spike_patterns;
    fmt::print(
        "  input per network (examples are spike patterns: {} afferents, {} ms; energy: "
        "arithmetic, as above):\n",
        patterns.n_afferents, patterns.duration_ms);
    fmt::print("  {:<14} {:<16} {:>8} {:<16} {:>8} {:>13} {:>24} {:>11} {:>11}\n", "network",
               "input", "inputs", "readout", "labels", "test acc [%]", "operations per test ex.",
               "train [uJ]", "test [uJ]");
    const auto energy = [](const train::Learner& learner, const char* phase) {
        for (const auto& row : learner.work_rows()) {
            if (row.phase == phase) return train::energy_totals(row.lines).arithmetic_pj * 1e-6;
        }
        return 0.0;
    };
    for (const auto& t : experiment.spiking_trainers()) {
        const auto* last = t.last_evaluation();
        const auto encoder =
            std::find_if(train::spike_encoder_choices.begin(), train::spike_encoder_choices.end(),
                         [&](const auto& choice) { return choice.second == t.spec().encoder; });
        const auto readout = std::find_if(
            train::spiking_readout_choices.begin(), train::spiking_readout_choices.end(),
            [&](const auto& choice) { return choice.second == t.spec().readout; });
        const auto& test = last != nullptr ? last->test_work : train::SpikingWork{};
        fmt::print(
            "  {:<14} {:<16} {:>8} {:<16} {:>8} {:>13.2f} {:>24} {:>11.3f} {:>11.3f}\n", t.name(),
            encoder->first, t.network().population(t.spec().input).size(), readout->first,
            last != nullptr ? last->labels_used : 0, last != nullptr ? 100.0 * last->accuracy : 0.0,
            fmt::format("{:.0f} syn. events", per_example(test.synaptic_events, test.examples)),
            energy(t, "train"), energy(t, "test"));
    }
    for (const auto& t : experiment.rate_trainers()) {
        const auto* last = t.last_evaluation();
        fmt::print("  {:<14} {:<16} {:>8} {:<16} {:>8} {:>13.2f} {:>24} {:>11.3f} {:>11.3f}\n",
                   t.name(), t.spec().input.label(), t.network().weights(0).cols(), "backprop",
                   std::min<std::uint64_t>(t.examples_seen(), task.train.size()),
                   last != nullptr ? 100.0 * last->confusion.accuracy() : 0.0,
                   fmt::format("{} MACs", t.forward_macs_per_example()), energy(t, "train"),
                   energy(t, "test"));
    }
}

void print_training(const train::Experiment& experiment, const task::Task& task) {
    const auto& spiking = experiment.spiking_trainers();
    const auto& trainers = experiment.rate_trainers();
    const auto& learners = experiment.learners();
    const auto& points = experiment.points();
    const auto& accuracy = experiment.accuracy();
    const auto& budget_accuracy = experiment.budget_accuracy();
    const auto& schedule = experiment.spec().schedule;
    fmt::print("  task: {} ({} training, {} test examples, {} classes)\n", task.name,
               task.train.size(), task.test.size(), task.train.n_classes);
    if (!spiking.empty()) {
        fmt::print("  {:<12} {:>6} {:>10} {:>8} {:>13} {:>12} {:>10} {:>10} {:>10} {:>10}\n",
                   "spiking", "neurons", "examples", "epochs", "test acc [%]", "unclassified",
                   "retries", "train [s]", "ms/example", "eval [s]");
        for (const auto& t : spiking) {
            const auto& w = t.training_work();
            const auto* last = t.last_evaluation();
            fmt::print(
                "  {:<12} {:>6} {:>10} {:>8.2f} {:>13.2f} {:>12} {:>10} {:>10.1f} {:>10.2f} "
                "{:>10.1f}\n",
                t.name(), t.readout_size(), t.examples_seen(),
                per_example(t.examples_seen(), task.train.size()),
                last != nullptr ? 100.0 * last->accuracy : 0.0,
                last != nullptr ? last->unclassified : 0, w.presentations - w.examples,
                t.training_seconds(),
                1e3 * t.training_seconds() / std::max<double>(1.0, static_cast<double>(w.examples)),
                t.evaluation_seconds());
        }
    }
    if (!trainers.empty()) {
        fmt::print("  {:<12} {:<16} {:>10} {:>8} {:>13} {:>10} {:>10} {:>10}\n", "rate network",
                   "layers", "examples", "epochs", "test acc [%]", "test loss", "train [s]",
                   "s/epoch");
        for (const auto& t : trainers) {
            const double epochs = per_example(t.examples_seen(), task.train.size());
            const auto* last = t.last_evaluation();
            fmt::print("  {:<12} {:<16} {:>10} {:>8.2f} {:>13.2f} {:>10.4f} {:>10.2f} {:>10.3f}\n",
                       t.name(), layer_sizes(t.network()), t.examples_seen(), epochs,
                       last != nullptr ? 100.0 * last->confusion.accuracy() : 0.0,
                       last != nullptr ? last->loss : 0.0, t.training_seconds(),
                       epochs > 0.0 ? t.training_seconds() / epochs : 0.0);
        }
    }
    fmt::print("  test accuracy [%] by examples seen:\n  {:>10}", "examples");
    for (const auto* t : learners) fmt::print(" {:>12}", t->name());
    fmt::print("\n");
    for (std::size_t k = 0; k < accuracy.size(); ++k) {
        fmt::print("  {:>10}", points[k]);
        for (const double a : accuracy[k]) fmt::print(" {:>12.2f}", 100.0 * a);
        fmt::print("\n");
    }
    if (!schedule.label_budgets.empty()) {
        // The same labels for every network at a (point, budget): the first min(examples,
        // n_train, budget) of the shared stream.
        fmt::print(
            "  test accuracy [%] by labels used (label budget; 0 = every label seen; spiking "
            "networks learn from every example seen, labels only in the readout):\n  {:>10} "
            "{:>8} {:>8}",
            "examples", "budget", "labels");
        for (const auto* t : learners) fmt::print(" {:>12}", t->name());
        fmt::print("\n");
        for (std::size_t b = 0; b < schedule.label_budgets.size(); ++b) {
            for (std::size_t k = 0; k < budget_accuracy.size(); ++k) {
                const std::uint64_t budget = schedule.label_budgets[b];
                fmt::print("  {:>10} {:>8} {:>8}", points[k], budget,
                           train::labels_allowed(points[k], task.train.size(), budget));
                for (const auto& per_network : budget_accuracy[k]) {
                    fmt::print(" {:>12.2f}", 100.0 * per_network[b]);
                }
                fmt::print("\n");
            }
        }
    }
    // Work and energy per example, every counted operation priced (sim/train/energy.hpp):
    // arithmetic only, and with the memory traffic priced at SRAM or at DRAM figures.
    fmt::print(
        "  work per example and energy [uJ per example]: arithmetic (45 nm fp32: {} pJ add, {} "
        "pJ multiply),\n  + memory traffic at {} pJ (SRAM) or {} pJ (DRAM) per 32-bit access; "
        "costs and sources in /metrics/<network>/energy:\n",
        train::pj_fp32_add, train::pj_fp32_mul, train::pj_sram_32bit, train::pj_dram_32bit);
    fmt::print("  {:<12} {:<6} {:>12} {:>12} {:>12} {:>12} {:>11} {:>11} {:>11}\n", "network",
               "phase", "syn. events", "neuron upd.", "plast. upd.", "MACs/param.", "arithmetic",
               "+ SRAM", "+ DRAM");
    for (const auto* t : learners) {
        for (const auto& row : t->work_rows()) {
            const auto totals = train::energy_totals(row.lines);
            fmt::print("  {:<12} {:<6} {:>12} {:>12} {:>12} {:>12} {:>11.3f} {:>11.3f} {:>11.3f}\n",
                       t->name(), row.phase, row.synaptic_events, row.neuron_updates,
                       row.plasticity_updates, row.macs_per_parameter, totals.arithmetic_pj * 1e-6,
                       totals.with_sram_pj * 1e-6, totals.with_dram_pj * 1e-6);
        }
    }
    if (!task.train.spike_patterns.empty()) print_input_views(experiment, task);
    fmt::print(
        "  (label: per example presented to label a spiking network's neurons at the last "
        "evaluation; plast. upd.: by pre and post spikes, their post terms priced too; "
        "MACs/param.: MACs forward + backward / parameters updated; per-operation counts: "
        "sim/train/energy.cpp)\n");
}

// What the command line shows while a run goes: the network's progress bar, a line every 10 s
// of a spiking network's training, a line per evaluation; the stop flag is the signal handler's.
class CliObserver final : public train::ExperimentObserver {
  public:
    explicit CliObserver(bool quiet) : quiet_(quiet) {}

    bool stop_requested() const override { return interrupted != 0; }
    void network_steps(std::int64_t steps_done, std::int64_t /*total_steps*/) override {
        if (progress_) progress_->update(steps_done);
    }
    void network_done() override {
        if (progress_) progress_->finish();
    }
    void training(const train::Learner& learner, std::uint64_t from, std::uint64_t total,
                  std::chrono::steady_clock::time_point since) override {
        if (quiet_ || learner.paradigm() != train::Paradigm::spiking) return;
        const auto now = std::chrono::steady_clock::now();
        const auto done = learner.examples_seen() - from;
        if (done > 0 && std::chrono::duration<double>(now - last_report_).count() >= 10.0) {
            const double s = std::chrono::duration<double>(now - since).count();
            fmt::print(stderr, "{}: {} / {} examples, {:.1f} ms per example\n", learner.name(),
                       learner.examples_seen(), total, 1e3 * s / static_cast<double>(done));
            last_report_ = now;
        }
    }
    void evaluated(const train::Learner& learner, const train::LearnerPoint& point,
                   std::uint64_t total) override {
        if (quiet_) return;
        if (learner.paradigm() == train::Paradigm::spiking) {
            fmt::print(stderr,
                       "{}: {} / {} examples, test accuracy {:.2f} % (labels of {} examples, "
                       "tested in {:.1f} s)\n",
                       learner.name(), learner.examples_seen(), total, 100.0 * point.accuracy,
                       point.labels_used, point.seconds);
        } else {
            fmt::print(stderr, "{}: {} / {} examples, test accuracy {:.2f} %\n", learner.name(),
                       learner.examples_seen(), total, 100.0 * point.accuracy);
        }
    }
    // The progress bar of a free-running network, started now.
    void start_network(std::int64_t total_steps, double dt_ms) {
        progress_.emplace(total_steps, dt_ms, quiet_);
    }

  private:
    bool quiet_;
    std::optional<Progress> progress_;
    std::chrono::steady_clock::time_point last_report_ = std::chrono::steady_clock::now();
};

}  // namespace

namespace {

// What run and resume build before the output is touched: the task and the experiment.
struct Prepared {
    std::optional<task::Task> task;
    std::optional<train::Experiment> experiment;
};

// Everything that can fail on the user's input happens here, before the output is touched.
void prepare(const io::Scenario& scenario, Prepared& prepared) {
    const std::uint64_t seed = scenario.network.seed;
    auto& task = prepared.task;
    const bool trains = !scenario.rate_networks.empty() || !scenario.spiking_networks.empty();
    if (trains) {
        task = located(scenario, [&] { return task::load_task(*scenario.task, seed); });
        located(scenario, [&] {
            for (const auto& spec : scenario.rate_networks) train::check_fits(spec, task->train);
            for (const auto& spec : scenario.spiking_networks) {
                train::StdpTrainer::check_fits(spec, task->train);
            }
        });
    }
    train::ExperimentSpec spec{.duration_ms = scenario.run.duration_ms,
                               .record = scenario.record,
                               .task = task ? &*task : nullptr,
                               .shuffle = scenario.task ? scenario.task->shuffle : true,
                               .spiking = scenario.spiking_networks,
                               .rate = scenario.rate_networks,
                               .schedule = scenario.training,
                               .seed = seed,
                               .record_wall_times = scenario.run.wall_times};
    if (!scenario.network.populations.empty()) spec.network = scenario.network;
    located(scenario, [&] { prepared.experiment.emplace(std::move(spec)); });
}

// The checkpoint beside an output (FORMAT.md, "Checkpoints").
fs::path checkpoint_path(const fs::path& out) {
    fs::path path = out;
    path += ".checkpoint";
    return path;
}

// --checkpoint-every: a wall time in seconds, or a number of training examples.
struct CheckpointInterval {
    double seconds = 0.0;
    std::uint64_t examples = 0;
};

CheckpointInterval checkpoint_interval(const std::string& text) {
    const auto refuse = [&] {
        return OutputRefused(fmt::format(
            "--checkpoint-every {}: expected a wall time > 0 (600 or 600s, 10min, 2h) or a "
            "number of training examples >= 1 (5000examples)",
            text.empty() ? "''" : text));
    };
    std::size_t end = 0;
    double value = 0.0;
    try {
        value = std::stod(text, &end);
    } catch (const std::exception&) {
        throw refuse();
    }
    if (text.find_first_not_of("0123456789.eE+-") == 0) throw refuse();  // " 5", "nan", "inf"
    const std::string unit = text.substr(end);
    if (!std::isfinite(value) || !(value > 0.0)) throw refuse();
    if (unit == "examples") {
        if (value != std::floor(value) || value > 1e18) throw refuse();
        return {.examples = static_cast<std::uint64_t>(value)};
    }
    const double scale = unit.empty() || unit == "s" ? 1.0
                         : unit == "min"             ? 60.0
                         : unit == "h"               ? 3600.0
                                                     : 0.0;
    if (scale == 0.0 || !std::isfinite(value * scale)) throw refuse();
    return {.seconds = value * scale};
}

// What a checkpoint holds besides the experiment's state: how to build the run again and how
// far the output file had been written.
struct RunRecord {
    std::string scenario_path;        // absolute: relative paths in the scenario resolve against it
    double checkpoint_every_s = 0.0;  // wall time between checkpoints, or
    std::uint64_t checkpoint_every_examples = 0;  // training examples between them
    bool force = false;

    bool checkpoints() const { return checkpoint_every_s > 0.0 || checkpoint_every_examples > 0; }
    io::RunFileWriter::Extents extents;
};

void save_record(sim::StateWriter& out, const RunRecord& record) {
    out.tag("spikerate run");
    out.str(record.scenario_path);
    out.f64(record.checkpoint_every_s);
    out.u64(record.checkpoint_every_examples);
    out.boolean(record.force);
    const auto& e = record.extents;
    out.u64(e.spikes.size());
    for (const auto& s : e.spikes) {
        out.str(s.population);
        out.u64(s.size);
        out.f64(s.last_time);
        out.boolean(s.sorted);
    }
    out.u64(e.reports.size());
    for (const auto& r : e.reports) {
        out.str(r.report);
        out.u64(r.frames);
    }
    out.u64(e.series.size());
    for (const auto& s : e.series) {
        out.str(s.path);
        out.u64(s.size);
        out.boolean(s.counts);
        out.str(s.units);
    }
}

RunRecord load_record(sim::StateReader& in) {
    in.tag("spikerate run");
    RunRecord record;
    record.scenario_path = in.str();
    record.checkpoint_every_s = in.f64();
    record.checkpoint_every_examples = in.u64();
    record.force = in.boolean();
    auto& e = record.extents;
    const auto count = [&] {
        const std::uint64_t n = in.u64();
        if (n > in.left()) in.fail("a count beyond the state");
        return n;
    };
    for (std::uint64_t k = count(); k > 0; --k) {
        auto& s = e.spikes.emplace_back();
        s.population = in.str();
        s.size = in.u64();
        s.last_time = in.f64();
        s.sorted = in.boolean();
    }
    for (std::uint64_t k = count(); k > 0; --k) {
        auto& r = e.reports.emplace_back();
        r.report = in.str();
        r.frames = in.u64();
    }
    for (std::uint64_t k = count(); k > 0; --k) {
        auto& s = e.series.emplace_back();
        s.path = in.str();
        s.size = in.u64();
        s.counts = in.boolean();
        s.units = in.str();
    }
    return record;
}

// Runs (or resumes) the experiment into `file` with the signal handlers installed, takes the
// checkpoints, and reports: the interruption, or the summary of a complete run.
int execute(const io::Scenario& scenario, Prepared& prepared,
            std::optional<io::RunFileWriter>& file, RunRecord record, const std::string& heading,
            bool quiet,
            const std::function<train::Outcome(const train::ExperimentOutput&,
                                               train::ExperimentObserver&)>& go) {
    train::Experiment& experiment = *prepared.experiment;
    const sim::Network* net = experiment.network();
    const std::uint64_t seed = scenario.network.seed;
    const fs::path out = file->path();
    const fs::path checkpoint = checkpoint_path(out);
    const sim::CheckpointHeader header{.spikerate_version = SPIKERATE_VERSION,
                                       .machine = sim::machine_description(),
                                       .scenario = scenario.resolved_text,
                                       .seed = seed,
                                       .output = out.string()};

    interrupted = 0;
    std::signal(SIGINT, on_interrupt);
    std::signal(SIGTERM, on_interrupt);
    const auto start = std::chrono::steady_clock::now();
    CliObserver observer(quiet);
    if (net != nullptr) observer.start_network(experiment.total_steps(), net->grid().dt());
    train::ExperimentOutput output{
        .reports = *file,
        .metrics = *file,
        .flush = [&] { file->flush(); },
        .checkpoint_interval_s = record.checkpoint_every_s,
        .checkpoint_interval_examples = record.checkpoint_every_examples};
    if (record.checkpoints()) {
        output.checkpoint = [&](const std::string& state) {
            record.extents = file->extents();
            sim::StateWriter all;
            save_record(all, record);
            all.str(state);
            sim::write_checkpoint(checkpoint, header, all.bytes());
        };
    }
    const auto outcome = located(scenario, [&] { return go(output, observer); });

    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    const double wall_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    if (outcome == train::Outcome::interrupted) {
        file->flush();
        const std::string partial = file->partial_path().string();
        file.reset();  // closes, leaving the .partial file with complete = 0
        if (net != nullptr) {
            fmt::print(stderr, "spikerate: interrupted at t = {} ms; ", net->time_ms());
        } else {
            fmt::print(stderr, "spikerate: interrupted; ");
        }
        fmt::print(stderr, "what was recorded is in '{}' (complete = 0)\n", partial);
        if (record.checkpoints() && experiment.checkpoints() > 0) {
            fmt::print(stderr,
                       "spikerate: continue from the last checkpoint ({}) with: spikerate resume "
                       "{}\n",
                       checkpoint.string(), partial);
        }
        return 130;
    }
    file->finish();
    std::error_code ec;
    fs::remove(checkpoint, ec);  // the run is complete: nothing to resume

    if (!quiet) {
        fmt::print("{}\n", heading);
        if (net != nullptr) {
            fmt::print(
                "  simulated {} ms in {:.2f} s wall ({:.3g}x real time), dt {} ms, seed {}\n",
                net->time_ms(), wall_s, net->time_ms() * 1e-3 / wall_s, net->grid().dt(), seed);
            print_network(*net);
        } else {
            fmt::print("  {:.2f} s wall, seed {}\n", wall_s, seed);
        }
        if (prepared.task) print_training(experiment, *prepared.task);
        rusage usage{};
        getrusage(RUSAGE_SELF, &usage);
        fmt::print("  peak memory (RSS): {:.1f} MiB\n",
                   static_cast<double>(usage.ru_maxrss) / 1024.0);
        fmt::print("  output: {}\n", out.string());
    }
    return 0;
}

// More threads asked for than CPUs this process may run on (its affinity mask, e.g. from
// taskset, or OMP_PROC_BIND=true, with which OpenMP binds the program's first thread to one
// CPU and every thread created after it inherits that): the run is correct but gains nothing.
void warn_if_threads_share_cpus(const io::Scenario& scenario) {
    std::uint32_t threads = scenario.network.threads;
    for (const auto& learner : scenario.spiking_networks)
        threads = std::max(threads, learner.threads);
    cpu_set_t set;
    CPU_ZERO(&set);
    if (threads <= 1 || sched_getaffinity(0, sizeof set, &set) != 0) return;
    const auto cpus = static_cast<std::uint32_t>(CPU_COUNT(&set));
    if (cpus >= threads) return;
    const char* bind = std::getenv("OMP_PROC_BIND");
    fmt::print(stderr,
               "spikerate: warning: {} threads asked for, but this process may run on {} CPU{} "
               "only{}: the threads will share {}, with the same results and little gain\n",
               threads, cpus, cpus == 1 ? "" : "s",
               bind != nullptr ? fmt::format(" (OMP_PROC_BIND={} binds it; unset it for "
                                             "spiking runs)",
                                             bind)
                               : std::string(" (its CPU affinity)"),
               cpus == 1 ? "it" : "them");
}

}  // namespace

int run_scenario(const RunOptions& options) {
    const io::Scenario scenario = load(options);
    const fs::path out = output_path(options, scenario);
    check_output_path(out, options.force, scenario);
    warn_if_threads_share_cpus(scenario);
    const std::optional<CheckpointInterval> interval =
        options.checkpoint_every ? std::optional(checkpoint_interval(*options.checkpoint_every))
                                 : std::nullopt;
    if (interval && interval->examples > 0 && scenario.rate_networks.empty() &&
        scenario.spiking_networks.empty()) {
        throw OutputRefused(fmt::format(
            "--checkpoint-every {}: the scenario trains no learner, so there are no examples to "
            "count; give a wall time (600s, 10min)",
            *options.checkpoint_every));
    }
    const bool checkpoints = interval.has_value();
    if (checkpoints) {
        const fs::path checkpoint = checkpoint_path(out);
        std::error_code ec;
        for (const auto& input : scenario.input_files) {
            if (fs::equivalent(checkpoint, input, ec)) {
                throw OutputRefused(fmt::format("{}: is an input of this run ({})",
                                                checkpoint.string(), input.string()));
            }
        }
        const auto status = fs::symlink_status(checkpoint, ec);
        if (fs::exists(status) && !fs::is_regular_file(status)) {
            throw OutputRefused(
                fmt::format("{}: the checkpoint path is not a regular file", checkpoint.string()));
        }
        if (fs::exists(status) && !options.force) {
            throw OutputRefused(fmt::format(
                "{}: a checkpoint of an earlier run exists; continue it with spikerate resume, or "
                "pass --force to start anew",
                checkpoint.string()));
        }
    }

    Prepared prepared;
    prepare(scenario, prepared);

    std::optional<io::RunFileWriter> file;
    try {
        file.emplace(out, options.force,
                     io::RunAttributes{.spikerate_version = SPIKERATE_VERSION,
                                       .seed = scenario.network.seed,
                                       .scenario = scenario.resolved_text,
                                       .dt_ms = scenario.network.dt_ms});
    } catch (const IoError& e) {
        throw OutputRefused(e.what());
    }
    // A checkpoint of a run this one replaces (--force) would not fit the new output.
    std::error_code ec;
    fs::remove(checkpoint_path(out), ec);

    RunRecord record{.scenario_path = fs::absolute(options.scenario).string(),
                     .checkpoint_every_s = checkpoints ? interval->seconds : 0.0,
                     .checkpoint_every_examples = checkpoints ? interval->examples : 0,
                     .force = options.force};
    return execute(scenario, prepared, file, std::move(record),
                   fmt::format("spikerate run: {}", options.scenario), options.quiet,
                   [&](const train::ExperimentOutput& output, train::ExperimentObserver& observer) {
                       return prepared.experiment->run(output, observer);
                   });
}

int resume_run(const ResumeOptions& options) {
    const fs::path partial = options.partial;
    std::error_code ec;
    if (partial.extension() != ".partial") {
        if (fs::is_regular_file(partial, ec) && io::RunFileReader(partial).complete()) {
            throw OutputRefused(fmt::format(
                "{}: the run is complete (complete = 1): nothing to resume", partial.string()));
        }
        throw OutputRefused(fmt::format(
            "{}: not a .partial file; resume continues the <output>.partial a stopped run left",
            partial.string()));
    }
    fs::path out = partial;
    out.replace_extension();
    const fs::path checkpoint = checkpoint_path(out);
    if (!fs::exists(partial, ec)) {
        if (fs::is_regular_file(out, ec)) {
            throw OutputRefused(
                fmt::format("{}: no such file; the run is complete in {}: nothing to resume",
                            partial.string(), out.string()));
        }
        throw OutputRefused(fmt::format("{}: no such file", partial.string()));
    }
    if (!fs::exists(checkpoint, ec)) {
        throw DataError(fmt::format(
            "{}: no checkpoint beside it ({}); only a run started with --checkpoint-every can "
            "be resumed, once it has taken its first checkpoint",
            partial.string(), checkpoint.string()));
    }
    const sim::CheckpointFile saved = sim::read_checkpoint(checkpoint);
    const auto& header = saved.header;
    if (header.spikerate_version != SPIKERATE_VERSION) {
        throw DataError(
            fmt::format("{}: written by spikerate {}, this is spikerate {}: a "
                        "checkpoint is resumed by the version that wrote it",
                        checkpoint.string(), header.spikerate_version, SPIKERATE_VERSION));
    }
    if (header.machine != sim::machine_description()) {
        throw DataError(fmt::format("{}: written on another kind of machine ({}; this one: {})",
                                    checkpoint.string(), header.machine,
                                    sim::machine_description()));
    }
    {
        const io::RunFileReader reader(partial);
        if (reader.complete()) {
            throw OutputRefused(fmt::format(
                "{}: the run is complete (complete = 1): nothing to resume", partial.string()));
        }
        const auto attributes = reader.attributes();
        if (attributes.scenario != header.scenario || attributes.seed != header.seed ||
            attributes.spikerate_version != header.spikerate_version) {
            throw DataError(fmt::format(
                "{}: the checkpoint belongs to another run than {} (another scenario, seed or "
                "version)",
                checkpoint.string(), partial.string()));
        }
    }
    sim::StateReader in(saved.state, checkpoint.string());
    RunRecord record = load_record(in);
    const std::string state = in.str();
    in.expect_end();

    const io::Scenario scenario = io::parse_scenario(header.scenario, record.scenario_path);
    if (scenario.network.seed != header.seed) {
        throw DataError(fmt::format("{}: its scenario's seed {} is not the checkpoint's {}",
                                    checkpoint.string(), scenario.network.seed, header.seed));
    }
    Prepared prepared;
    prepare(scenario, prepared);
    // The state is loaded before the .partial file is touched: a checkpoint that does not fit
    // leaves it as it was.
    std::vector<std::string> report_names;
    for (const auto& r : record.extents.reports) report_names.push_back(r.report);
    prepared.experiment->restore(state, checkpoint.string(), report_names);

    std::optional<io::RunFileWriter> file;
    try {
        file.emplace(out, record.force || options.force, record.extents,
                     io::RunFileWriter::Resume{});
    } catch (const IoError& e) {
        throw OutputRefused(e.what());
    }
    return execute(
        scenario, prepared, file, record,
        fmt::format("spikerate resume: {} (scenario {})", partial.string(), record.scenario_path),
        options.quiet,
        [&](const train::ExperimentOutput& output, train::ExperimentObserver& observer) {
            return prepared.experiment->run(output, observer);
        });
}

int validate_scenario(const RunOptions& options) {
    // The scenario is checked in full, then what it refers to: the connectivity (drawn) and the
    // task's data (loaded).
    const io::Scenario scenario = load(options);
    const fs::path out = output_path(options, scenario);
    if (options.print_resolved) {
        fmt::print("{}", scenario.resolved_text);
        return 0;
    }
    // What the task's data may refuse, before anything is called valid.
    std::optional<task::Task> task;
    if (!scenario.rate_networks.empty() || !scenario.spiking_networks.empty()) {
        task = located(scenario,
                       [&] { return task::load_task(*scenario.task, scenario.network.seed); });
        located(scenario, [&] {
            for (const auto& spec : scenario.rate_networks) train::check_fits(spec, task->train);
            for (const auto& spec : scenario.spiking_networks) {
                train::StdpTrainer::check_fits(spec, task->train);
            }
        });
    }
    if (!scenario.network.populations.empty()) {
        const sim::Network net = located(scenario, [&] { return sim::Network(scenario.network); });
        fmt::print("{}: valid. {} ms at dt = {} ms, seed {}, output '{}'\n", options.scenario,
                   scenario.run.duration_ms, scenario.network.dt_ms, scenario.network.seed,
                   out.string());
        print_network(net);
    } else {
        fmt::print("{}: valid. seed {}, output '{}'\n", options.scenario, scenario.network.seed,
                   out.string());
    }
    if (task) {
        const std::uint64_t total = scenario.training.total(task->train.size());
        fmt::print(
            "  task: {} ({} training, {} test examples, {} classes); {} examples ({:.3g} "
            "epochs), {} evaluations\n",
            task->name, task->train.size(), task->test.size(), task->train.n_classes, total,
            static_cast<double>(total) / static_cast<double>(task->train.size()),
            scenario.training.points(task->train.size()).size());
        for (const auto& spec : scenario.rate_networks) {
            models::RateNetworkParams params = spec.network;
            params.n_inputs = task::view_inputs(task->train, spec.input);
            params.n_outputs = task->train.n_classes;
            const models::RateNetwork network(params);
            fmt::print("  rate network {}: {}, {} MAC per example forward, {} backward\n",
                       spec.name, layer_sizes(network), network.forward_macs_per_example(),
                       network.backward_macs_per_example());
        }
        for (const auto& spec : scenario.spiking_networks) {
            const sim::Network net(spec.network);
            std::size_t neurons = 0;
            std::size_t synapses = 0;
            for (const auto& pop : net.populations()) neurons += pop->size();
            for (const auto& proj : net.projections()) synapses += proj->n_synapses();
            std::string tau_theta;
            for (const auto& pop : spec.network.populations) {
                if (const auto* p = std::get_if<models::LifCondParams>(&pop.model);
                    p != nullptr && p->theta_plus > 0.0) {
                    tau_theta += fmt::format(", {} theta decay {} ms", pop.name, p->tau_theta);
                }
            }
            fmt::print(
                "  spiking network {}: {}{} populations ({} neurons and inputs), {} synapses, "
                "dt {} ms, {} + {} ms per example, reads out {} ({} neurons){}\n",
                spec.name, spec.preset.empty() ? "" : spec.preset + ", ",
                spec.network.populations.size(), neurons, synapses, spec.dt_ms,
                spec.presentation_ms, spec.rest_ms, spec.readout_population,
                net.population(spec.readout_population).size(), tau_theta);
        }
    }
    return 0;
}

}  // namespace spikerate::app
