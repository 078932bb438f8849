#include "sim/train/experiment.hpp"

#include <utility>

#include "models/error.hpp"
#include "sim/task/example_stream.hpp"
#include "sim/train/energy.hpp"

namespace spikerate::sim::train {

void write_network_metrics(MetricSink& metrics, const Network& net) {
    metrics.write_metric("simulated_time_ms", net.time_ms(), "ms");
    for (const auto& pop : net.populations()) {
        const std::string base = "populations/" + pop->name() + "/";
        metrics.write_count(base + "spikes", pop->spike_count());
        metrics.write_count(base + "neuron_updates", pop->neuron_updates());
        const double rate =
            net.time_ms() > 0.0 ? pop->spike_count() / (pop->size() * net.time_ms() * 1e-3) : 0.0;
        metrics.write_metric(base + "mean_rate", rate, "Hz");
    }
    for (const auto& proj : net.projections()) {
        const std::string base = "projections/" + proj->name() + "/";
        metrics.write_count(base + "synapses", proj->n_synapses());
        metrics.write_count(base + "synaptic_events", proj->synaptic_events());
        metrics.write_count(base + "plasticity_updates", proj->plasticity_updates());
    }
}

Experiment::Experiment(ExperimentSpec spec) : spec_(std::move(spec)) {
    if (spec_.network) {
        network_.emplace(*spec_.network);
        total_steps_ = network_->grid().steps_in(spec_.duration_ms, "run.duration_ms");
    }
    if ((!spec_.spiking.empty() || !spec_.rate.empty()) && spec_.task == nullptr) {
        throw Error("experiment: learners need a task");
    }
}

std::uint64_t Experiment::total_examples() const {
    if (spec_.task == nullptr) return 0;
    return spec_.schedule.total(spec_.task->train.size());
}

void Experiment::flush_if_due(const ExperimentOutput& output, bool with_recorder) {
    const auto now = std::chrono::steady_clock::now();
    if (std::chrono::duration<double>(now - last_flush_).count() >= output.flush_interval_s) {
        if (with_recorder && recorder_) recorder_->flush();
        if (output.flush) output.flush();
        ++flushes_;
        last_flush_ = now;
    }
}

Outcome Experiment::run(const ExperimentOutput& output, ExperimentObserver& observer) {
    last_flush_ = std::chrono::steady_clock::now();
    if (network_) run_network(output, observer);
    if (spec_.task != nullptr) run_schedule(output, observer);
    return observer.stop_requested() ? Outcome::interrupted : Outcome::completed;
}

void Experiment::run_network(const ExperimentOutput& output, ExperimentObserver& observer) {
    recorder_.emplace(spec_.record, *network_, output.reports);
    try {
        for (std::int64_t k = 0; k < total_steps_ && !observer.stop_requested(); ++k) {
            network_->step();
            recorder_->after_step(*network_);
            if (((k + 1) & 255) == 0) observer.network_steps(k + 1, total_steps_);
            if ((k & 1023) == 1023) flush_if_due(output, true);
        }
    } catch (...) {
        // A numerical failure (or any other) keeps what was recorded up to the step before.
        recorder_->flush();
        if (output.flush) output.flush();
        throw;
    }
    observer.network_done();
    recorder_->flush();
    write_network_metrics(output.metrics, *network_);
}

void Experiment::run_schedule(const ExperimentOutput& output, ExperimentObserver& observer) {
    const task::Task& task = *spec_.task;
    const task::ExampleStream stream(task.train.size(), spec_.seed, spec_.shuffle);
    for (const auto& s : spec_.spiking) {
        learners_.push_back(&spiking_.emplace_back(s, task.train, task.test, stream, spec_.schedule,
                                                   spec_.seed, &output.reports, &output.metrics));
    }
    for (const auto& s : spec_.rate) {
        learners_.push_back(&rate_.emplace_back(s, task.train, task.test, stream, spec_.schedule,
                                                spec_.seed, &output.reports, &output.metrics));
    }
    const std::uint64_t total = total_examples();
    const auto stop = [&observer] { return observer.stop_requested(); };
    for (const std::uint64_t point : spec_.schedule.points(task.train.size())) {
        if (observer.stop_requested()) break;
        std::vector<double> accuracy;
        std::vector<std::vector<double>> budget_accuracy;
        bool stopped = false;
        for (Learner* learner : learners_) {
            // Asked before every example or batch: the output is flushed on schedule during
            // long epochs too.
            const auto keep_going = [&, from = learner->examples_seen(),
                                     since = std::chrono::steady_clock::now()] {
                observer.training(*learner, from, total, since);
                flush_if_due(output, false);
                return !observer.stop_requested();
            };
            learner->train_until(point, keep_going);
            if (observer.stop_requested()) {
                stopped = true;
                break;
            }
            // A spiking network's evaluation stops between examples when asked.
            const auto evaluation = learner->evaluate(stop);
            if (!evaluation) {
                stopped = true;
                break;
            }
            accuracy.push_back(evaluation->accuracy);
            budget_accuracy.push_back(evaluation->budget_accuracy);
            observer.evaluated(*learner, *evaluation, total);
            flush_if_due(output, false);
        }
        if (stopped) break;
        points_.push_back(point);
        accuracy_.push_back(std::move(accuracy));
        budget_accuracy_.push_back(std::move(budget_accuracy));
    }
    for (Learner* learner : learners_) learner->finish();
    write_energy_constants(output.metrics);
}

}  // namespace spikerate::sim::train
