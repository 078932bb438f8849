#include "run_command.hpp"

#include <sys/resource.h>

#include <chrono>
#include <csignal>
#include <deque>
#include <filesystem>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "models/error.hpp"
#include "sim/app/progress.hpp"
#include "sim/io/run_file_writer.hpp"
#include "sim/io/scenario.hpp"
#include "sim/network.hpp"
#include "sim/recorder.hpp"
#include "sim/task/example_stream.hpp"
#include "sim/task/task_spec.hpp"
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

constexpr double flush_interval_s = 2.0;  // a killed run loses at most this much wall time

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

void write_metrics(io::RunFileWriter& file, const sim::Network& net) {
    file.write_metric("simulated_time_ms", net.time_ms(), "ms");
    for (const auto& pop : net.populations()) {
        const std::string base = "populations/" + pop->name() + "/";
        file.write_count(base + "spikes", pop->spike_count());
        file.write_count(base + "neuron_updates", pop->neuron_updates());
        const double rate =
            net.time_ms() > 0.0 ? pop->spike_count() / (pop->size() * net.time_ms() * 1e-3) : 0.0;
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
        const double rate =
            net.time_ms() > 0.0 ? pop->spike_count() / (pop->size() * net.time_ms() * 1e-3) : 0.0;
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

void print_training(const std::deque<train::StdpTrainer>& spiking,
                    const std::deque<train::GradientTrainer>& trainers,
                    const std::vector<std::uint64_t>& points,
                    const std::vector<std::vector<double>>& accuracy,
                    const std::vector<std::vector<std::vector<double>>>& budget_accuracy,
                    const train::TrainingSchedule& schedule, const task::Task& task) {
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
    for (const auto& t : spiking) fmt::print(" {:>12}", t.name());
    for (const auto& t : trainers) fmt::print(" {:>12}", t.name());
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
        for (const auto& t : spiking) fmt::print(" {:>12}", t.name());
        for (const auto& t : trainers) fmt::print(" {:>12}", t.name());
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
    const auto row = [](const std::string& name, const char* phase, const std::string& events,
                        const std::string& neurons, const std::string& plasticity,
                        const std::string& macs, const std::vector<train::EnergyLine>& lines) {
        const auto t = train::energy_totals(lines);
        fmt::print("  {:<12} {:<6} {:>12} {:>12} {:>12} {:>12} {:>11.3f} {:>11.3f} {:>11.3f}\n",
                   name, phase, events, neurons, plasticity, macs, t.arithmetic_pj * 1e-6,
                   t.with_sram_pj * 1e-6, t.with_dram_pj * 1e-6);
    };
    const auto spiking_row = [&](const train::StdpTrainer& t, const char* phase,
                                 const train::SpikingWork& w) {
        const auto count = [&](std::uint64_t total) {
            return fmt::format("{:.0f}", per_example(total, w.examples));
        };
        row(t.name(), phase, count(w.synaptic_events), count(w.neuron_updates),
            count(w.plasticity_updates), "-", train::energy_lines(t.spec(), w));
    };
    for (const auto& t : spiking) {
        spiking_row(t, "train", t.training_work());
        if (const auto* last = t.last_evaluation()) {
            spiking_row(t, "test", last->test_work);
            // The readout's labels cost presentations too (the rate networks' labels are used
            // in training, already in their train row).
            if (last->assignment_work.examples > 0) {
                spiking_row(t, "label", last->assignment_work);
            }
        }
    }
    for (const auto& t : trainers) {
        const auto macs = t.forward_macs_per_example() + t.backward_macs_per_example();
        const double updates = per_example(t.parameter_updates(), t.examples_seen());
        row(t.name(), "train", "-", "-", "-", fmt::format("{}/{:.0f}", macs, updates),
            t.training_energy_lines());
        row(t.name(), "test", "-", "-", "-", fmt::format("{}/0", t.forward_macs_per_example()),
            t.test_energy_lines());
    }
    fmt::print(
        "  (label: per example presented to label a spiking network's neurons at the last "
        "evaluation; plast. upd.: by pre and post spikes, their post terms priced too; "
        "MACs/param.: MACs forward + backward / parameters updated; per-operation counts: "
        "sim/train/energy.cpp)\n");
}

}  // namespace

int run_scenario(const RunOptions& options) {
    const io::Scenario scenario = load(options);
    const fs::path out = output_path(options, scenario);
    check_output_path(out, options.force, scenario);
    const std::uint64_t seed = scenario.network.seed;

    // Everything that can fail on the user's input happens before the file is created.
    std::optional<task::Task> task;
    const bool trains = !scenario.rate_networks.empty() || !scenario.spiking_networks.empty();
    if (trains) {
        task = located(scenario, [&] { return task::load_task(*scenario.task, seed); });
        located(scenario, [&] {
            for (const auto& spec : scenario.rate_networks) train::check_fits(spec, task->train);
            for (const auto& spec : scenario.spiking_networks) {
                train::StdpTrainer::check_fits(spec, task->train, seed);
            }
        });
    }
    const bool spiking = !scenario.network.populations.empty();
    std::optional<sim::Network> net;
    if (spiking) located(scenario, [&] { net.emplace(scenario.network); });
    const std::int64_t total_steps =
        spiking ? net->grid().steps_in(scenario.run.duration_ms, "run.duration_ms") : 0;

    std::optional<io::RunFileWriter> file;
    try {
        file.emplace(out, options.force,
                     io::RunAttributes{.spikerate_version = SPIKERATE_VERSION,
                                       .seed = seed,
                                       .scenario = scenario.resolved_text,
                                       .dt_ms = scenario.network.dt_ms});
    } catch (const IoError& e) {
        throw OutputRefused(e.what());
    }

    interrupted = 0;
    std::signal(SIGINT, on_interrupt);
    std::signal(SIGTERM, on_interrupt);
    const auto start = std::chrono::steady_clock::now();
    auto last_flush = start;
    const auto flush_if_due = [&](sim::Recorder* recorder) {
        const auto now = std::chrono::steady_clock::now();
        if (std::chrono::duration<double>(now - last_flush).count() >= flush_interval_s) {
            if (recorder != nullptr) recorder->flush();
            file->flush();
            last_flush = now;
        }
    };

    std::optional<sim::Recorder> recorder;
    if (spiking) {
        recorder.emplace(scenario.record, *net, *file);
        Progress progress(total_steps, net->grid().dt(), options.quiet);
        try {
            for (std::int64_t k = 0; k < total_steps && !interrupted; ++k) {
                net->step();
                recorder->after_step(*net);
                progress.update(k + 1);
                if ((k & 1023) == 1023) flush_if_due(&*recorder);
            }
        } catch (...) {
            // A numerical failure (or any other) keeps what was recorded up to the step before:
            // the file is flushed and, when the exception has been reported, closed as .partial.
            recorder->flush();
            file->flush();
            throw;
        }
        progress.finish();
        recorder->flush();
        write_metrics(*file, *net);
    }

    // Spiking and rate networks: each trains on the same example stream up to each point of
    // the schedule, then is tested there.
    std::deque<train::StdpTrainer> spiking_trainers;  // never moved: trainers refer to the task
    std::deque<train::GradientTrainer> trainers;
    std::vector<std::uint64_t> points;
    std::vector<std::vector<double>> accuracy;  // [point][network]: spiking ones first
    std::vector<std::vector<std::vector<double>>> budget_accuracy;  // [point][network][budget]
    if (task) {
        const task::ExampleStream stream(task->train.size(), seed, scenario.task->shuffle);
        for (const auto& spec : scenario.spiking_networks) {
            located(scenario, [&] {
                spiking_trainers.emplace_back(spec, task->train, task->test, stream,
                                              scenario.training, seed, &*file, &*file);
            });
        }
        for (const auto& spec : scenario.rate_networks) {
            located(scenario, [&] {
                trainers.emplace_back(spec, task->train, task->test, stream, scenario.training,
                                      seed, &*file, &*file);
            });
        }
        const std::uint64_t total = scenario.training.total(task->train.size());
        // Asked before every batch or example: the file is flushed on schedule during long
        // epochs too, and spiking training reports its progress every few seconds.
        const auto keep_going = [&] {
            flush_if_due(nullptr);
            return interrupted == 0;
        };
        auto last_report = std::chrono::steady_clock::now();
        const auto spiking_progress = [&](const train::StdpTrainer& t) {
            return [&, start = std::chrono::steady_clock::now(), from = t.examples_seen()] {
                const auto now = std::chrono::steady_clock::now();
                const auto done = t.examples_seen() - from;
                if (!options.quiet && done > 0 &&
                    std::chrono::duration<double>(now - last_report).count() >= 10.0) {
                    const double s = std::chrono::duration<double>(now - start).count();
                    fmt::print(stderr, "{}: {} / {} examples, {:.1f} ms per example\n", t.name(),
                               t.examples_seen(), total, 1e3 * s / static_cast<double>(done));
                    last_report = now;
                }
                return keep_going();
            };
        };
        for (const std::uint64_t point : scenario.training.points(task->train.size())) {
            if (interrupted) break;
            accuracy.emplace_back();
            budget_accuracy.emplace_back();
            for (auto& t : spiking_trainers) {
                t.train_until(point, spiking_progress(t));
                if (interrupted) break;
                // The evaluation stops between examples when a signal arrives.
                const auto* evaluation = t.evaluate_and_record([] { return interrupted != 0; });
                if (evaluation == nullptr) break;
                accuracy.back().push_back(evaluation->accuracy);
                auto& by_budget = budget_accuracy.back().emplace_back();
                for (const auto& b : evaluation->budgets) by_budget.push_back(b.accuracy);
                if (!options.quiet) {
                    fmt::print(stderr,
                               "{}: {} / {} examples, test accuracy {:.2f} % (labels of {} "
                               "examples, tested in {:.1f} s)\n",
                               t.name(), t.examples_seen(), total, 100.0 * evaluation->accuracy,
                               evaluation->labels_used, evaluation->seconds);
                }
                flush_if_due(nullptr);
            }
            if (interrupted) {
                accuracy.pop_back();
                budget_accuracy.pop_back();
                break;
            }
            for (auto& t : trainers) {
                t.train_until(point, keep_going);
                if (interrupted) break;
                accuracy.back().push_back(t.evaluate_and_record().confusion.accuracy());
                auto& by_budget = budget_accuracy.back().emplace_back();
                for (const auto& b : t.last_budget_points()) by_budget.push_back(b.accuracy);
                if (!options.quiet) {
                    fmt::print(stderr, "{}: {} / {} examples, test accuracy {:.2f} %\n", t.name(),
                               t.examples_seen(), total, 100.0 * accuracy.back().back());
                }
                flush_if_due(nullptr);
            }
            if (interrupted) {
                accuracy.pop_back();
                budget_accuracy.pop_back();
            } else {
                points.push_back(point);
            }
        }
        for (auto& t : spiking_trainers) t.finish();
        for (auto& t : trainers) t.finish();
        train::write_energy_constants(*file);
    }

    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    const double wall_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    if (interrupted) {
        file->flush();
        const std::string partial = file->partial_path().string();
        file.reset();  // closes, leaving the .partial file with complete = 0
        if (spiking) {
            fmt::print(stderr, "spikerate: interrupted at t = {} ms; ", net->time_ms());
        } else {
            fmt::print(stderr, "spikerate: interrupted; ");
        }
        fmt::print(stderr, "what was recorded is in '{}' (complete = 0)\n", partial);
        return 130;
    }
    file->finish();

    if (!options.quiet) {
        fmt::print("spikerate run: {}\n", options.scenario);
        if (spiking) {
            fmt::print(
                "  simulated {} ms in {:.2f} s wall ({:.3g}x real time), dt {} ms, seed {}\n",
                net->time_ms(), wall_s, net->time_ms() * 1e-3 / wall_s, net->grid().dt(), seed);
            print_network(*net);
        } else {
            fmt::print("  {:.2f} s wall, seed {}\n", wall_s, seed);
        }
        if (task)
            print_training(spiking_trainers, trainers, points, accuracy, budget_accuracy,
                           scenario.training, *task);
        rusage usage{};
        getrusage(RUSAGE_SELF, &usage);
        fmt::print("  peak memory (RSS): {:.1f} MiB\n",
                   static_cast<double>(usage.ru_maxrss) / 1024.0);
        fmt::print("  output: {}\n", out.string());
    }
    return 0;
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
                train::StdpTrainer::check_fits(spec, task->train, scenario.network.seed);
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
            params.n_inputs = task->train.n_inputs();
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
