#include "sim/train/experiment.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "models/error.hpp"
#include "sim/checkpoint.hpp"
#include "sim/task/example_stream.hpp"
#include "sim/train/energy.hpp"

namespace spikerate::sim::train {

void write_network_metrics(MetricSink& metrics, const Network& net) {
    metrics.write_metric("simulated_time_ms", net.time_ms(), "ms");
    for (const auto& pop : net.populations()) {
        const std::string base = "populations/" + pop->name() + "/";
        metrics.write_count(base + "spikes", pop->spike_count());
        metrics.write_count(base + "neuron_updates", pop->neuron_updates());
        if (pop->has_poisson_background()) {
            metrics.write_count(base + "background_events", pop->background_events());
        }
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

std::uint64_t Experiment::examples_trained() const {
    std::uint64_t examples = 0;
    for (const Learner* learner : learners_) examples += learner->examples_seen();
    return examples;
}

void Experiment::checkpoint_if_due(const ExperimentOutput& output, bool with_recorder) {
    if (!output.checkpoint) return;
    if (output.checkpoint_interval_examples > 0) {
        if (with_recorder) return;  // the free-running network trains on no examples
        if (examples_trained() - examples_at_last_checkpoint_ <
            output.checkpoint_interval_examples) {
            return;
        }
    } else {
        const auto now = std::chrono::steady_clock::now();
        if (std::chrono::duration<double>(now - last_checkpoint_).count() <
            output.checkpoint_interval_s) {
            return;
        }
    }
    // What the recorder holds goes to the output first, so the checkpoint is small and the
    // output holds everything up to it.
    if (with_recorder && recorder_) recorder_->flush();
    if (output.flush) output.flush();
    StateWriter state;
    save_state(state);
    output.checkpoint(state.bytes());
    ++checkpoints_;
    last_checkpoint_ = std::chrono::steady_clock::now();
    examples_at_last_checkpoint_ = examples_trained();
}

void Experiment::build_recorder() { recorder_.emplace(spec_.record, *network_, sink_); }

void Experiment::build_learners() {
    const task::Task& task = *spec_.task;
    const task::ExampleStream stream(task.train.size(), spec_.seed, spec_.shuffle);
    for (const auto& s : spec_.spiking) {
        learners_.push_back(&spiking_.emplace_back(s, task.train, task.test, stream, spec_.schedule,
                                                   spec_.seed, &sink_, &sink_));
    }
    for (const auto& s : spec_.rate) {
        learners_.push_back(&rate_.emplace_back(s, task.train, task.test, stream, spec_.schedule,
                                                spec_.seed, &sink_, &sink_));
    }
}

Outcome Experiment::run(const ExperimentOutput& output, ExperimentObserver& observer) {
    const bool restored = sink_.replaying();
    if (!restored &&
        (network_done_ || !learners_.empty() || (network_ && network_->steps_done() > 0))) {
        throw Error("experiment: run() twice");
    }
    sink_.attach(output, spec_.record_wall_times);
    sink_.go_live();
    return run_stages(output, observer);
}

void Experiment::restore(std::string_view state, const std::string& source,
                         const std::vector<std::string>& report_names) {
    if (sink_.replaying() || network_done_ || !learners_.empty() ||
        (network_ && network_->steps_done() > 0)) {
        throw Error("experiment: restored after it ran or was restored");
    }
    sink_.replay(report_names);
    StateReader in(state, source);
    load_state(in);
    in.expect_end();
}

Outcome Experiment::run_stages(const ExperimentOutput& output, ExperimentObserver& observer) {
    last_flush_ = std::chrono::steady_clock::now();
    last_checkpoint_ = last_flush_;
    examples_at_last_checkpoint_ = examples_trained();  // 0, or where a resumed run restarts
    if (network_ && !network_done_) run_network(output, observer);
    if (spec_.task != nullptr) run_schedule(output, observer);
    return observer.stop_requested() ? Outcome::interrupted : Outcome::completed;
}

void Experiment::run_network(const ExperimentOutput& output, ExperimentObserver& observer) {
    if (!recorder_) build_recorder();
    try {
        for (std::int64_t k = network_->steps_done();
             k < total_steps_ && !observer.stop_requested(); ++k) {
            network_->step();
            recorder_->after_step(*network_);
            if (((k + 1) & 255) == 0) observer.network_steps(k + 1, total_steps_);
            if ((k & 1023) == 1023) {
                flush_if_due(output, true);
                if (k + 1 < total_steps_) checkpoint_if_due(output, true);
            }
        }
    } catch (...) {
        // A numerical failure (or any other) keeps what was recorded up to the step before.
        recorder_->flush();
        if (output.flush) output.flush();
        throw;
    }
    observer.network_done();
    recorder_->flush();
    write_network_metrics(sink_, *network_);
    network_done_ = true;
}

void Experiment::run_schedule(const ExperimentOutput& output, ExperimentObserver& observer) {
    const task::Task& task = *spec_.task;
    if (learners_.empty()) build_learners();
    const std::uint64_t total = total_examples();
    const auto stop = [&observer] { return observer.stop_requested(); };
    const std::vector<std::uint64_t> schedule = spec_.schedule.points(task.train.size());
    for (; point_index_ < schedule.size(); ++point_index_) {
        if (observer.stop_requested()) break;
        const std::uint64_t point = schedule[point_index_];
        bool stopped = false;
        for (; learner_index_ < learners_.size(); ++learner_index_) {
            Learner* learner = learners_[learner_index_];
            // Asked before every example or batch: the output is flushed (and a checkpoint
            // taken) on schedule during long epochs too.
            const auto keep_going = [&, from = learner->examples_seen(),
                                     since = std::chrono::steady_clock::now()] {
                observer.training(*learner, from, total, since);
                flush_if_due(output, false);
                checkpoint_if_due(output, false);
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
            point_accuracy_.push_back(evaluation->accuracy);
            point_budget_accuracy_.push_back(evaluation->budget_accuracy);
            observer.evaluated(*learner, *evaluation, total);
            flush_if_due(output, false);
        }
        if (stopped) break;
        points_.push_back(point);
        accuracy_.push_back(std::move(point_accuracy_));
        budget_accuracy_.push_back(std::move(point_budget_accuracy_));
        point_accuracy_.clear();
        point_budget_accuracy_.clear();
        learner_index_ = 0;
    }
    for (Learner* learner : learners_) learner->finish();
    write_energy_constants(sink_);
}

// The state, in the order load_state reads it: where the run is, the network and its
// recorder's buffers, the learners, the accuracy table so far.
void Experiment::save_state(StateWriter& out) const {
    out.tag("experiment");
    out.boolean(network_.has_value());
    out.boolean(network_done_);
    if (network_) {
        network_->save_state(out);
        out.boolean(recorder_.has_value());
        if (recorder_) recorder_->save_state(out);
    }
    out.u64(learners_.size());
    for (const Learner* learner : learners_) learner->save_state(out);
    out.u64(point_index_);
    out.u64(learner_index_);
    out.vec(point_accuracy_);
    out.u64(point_budget_accuracy_.size());
    for (const auto& row : point_budget_accuracy_) out.vec(row);
    out.vec(points_);
    out.u64(accuracy_.size());
    for (std::size_t p = 0; p < accuracy_.size(); ++p) {
        out.vec(accuracy_[p]);
        out.u64(budget_accuracy_[p].size());
        for (const auto& row : budget_accuracy_[p]) out.vec(row);
    }
    out.tag("end");
}

void Experiment::load_state(StateReader& in) {
    in.tag("experiment");
    if (in.boolean() != network_.has_value()) in.fail("a free-running network in one run only");
    network_done_ = in.boolean();
    if (network_) {
        network_->load_state(in);
        if (network_->steps_done() > total_steps_) in.fail("more steps than the run has");
        if (in.boolean()) {
            build_recorder();  // through the replaying sink: frame 0 is in the output already
            recorder_->load_state(in);
        }
    }
    const std::uint64_t n_learners = in.u64();
    if (n_learners > 0) {
        if (spec_.task == nullptr) in.fail("learners, but this run has no task");
        build_learners();
        if (n_learners != learners_.size()) in.fail("another number of learners");
        for (Learner* learner : learners_) learner->load_state(in);
    }
    point_index_ = in.u64();
    learner_index_ = in.u64();
    const auto schedule = spec_.task != nullptr ? spec_.schedule.points(spec_.task->train.size())
                                                : std::vector<std::uint64_t>{};
    if (point_index_ > schedule.size() || learner_index_ > learners_.size()) {
        in.fail("a position beyond the schedule");
    }
    const auto rows = [&](std::size_t n_rows) {
        std::vector<std::vector<double>> table(n_rows);
        for (auto& row : table) row = in.vec<double>();
        return table;
    };
    point_accuracy_ = in.vec<double>();
    point_budget_accuracy_ = rows(in.u64());
    points_ = in.vec<std::uint64_t>();
    const std::uint64_t n_points = in.u64();
    if (n_points != points_.size() || n_points > schedule.size()) in.fail("the accuracy table");
    accuracy_.clear();
    budget_accuracy_.clear();
    for (std::uint64_t p = 0; p < n_points; ++p) {
        accuracy_.push_back(in.vec<double>());
        budget_accuracy_.push_back(rows(in.u64()));
    }
    // Every completed point has an accuracy per learner and per learner one per label budget
    // (or none, without budgets); the point under way up to its learner.
    const std::size_t budgets = spec_.schedule.label_budgets.size();
    const auto table_fits = [&](const std::vector<double>& row,
                                const std::vector<std::vector<double>>& budget_rows,
                                std::size_t n) {
        return row.size() == n && budget_rows.size() == n &&
               std::all_of(budget_rows.begin(), budget_rows.end(),
                           [&](const auto& b) { return b.size() == budgets || b.empty(); });
    };
    for (std::size_t p = 0; p < accuracy_.size(); ++p) {
        if (!table_fits(accuracy_[p], budget_accuracy_[p], learners_.size())) {
            in.fail("the accuracy table");
        }
    }
    if (!table_fits(point_accuracy_, point_budget_accuracy_, learner_index_)) {
        in.fail("the accuracy table");
    }
    in.tag("end");
}

void Experiment::Sink::add_spike_population(const std::string& population, const RecordRole& role) {
    if (!replaying_) reports_->add_spike_population(population, role);
}

void Experiment::Sink::describe_population(const PopulationDescription& population) {
    if (!replaying_) reports_->describe_population(population);
}

void Experiment::Sink::describe_projection(const ProjectionDescription& projection) {
    if (!replaying_) reports_->describe_projection(projection);
}

void Experiment::Sink::append_spikes(const std::string& population,
                                     std::span<const double> times_ms,
                                     std::span<const std::uint64_t> node_ids) {
    if (!replaying_) reports_->append_spikes(population, times_ms, node_ids);
}

std::size_t Experiment::Sink::add_report(const ReportLayout& layout) {
    if (!replaying_) return reports_->add_report(layout);
    const auto it = std::find(report_names_.begin(), report_names_.end(), layout.name);
    if (it == report_names_.end()) {
        throw DataError(fmt::format(
            "resume: the run file has no report '{}' (a checkpoint of another scenario?)",
            layout.name));
    }
    return static_cast<std::size_t>(it - report_names_.begin());
}

void Experiment::Sink::append_frames(std::size_t report, std::span<const float> frames,
                                     std::size_t n_frames) {
    if (!replaying_) reports_->append_frames(report, frames, n_frames);
}

void Experiment::Sink::write_metric(const std::string& path, double value,
                                    const std::string& units) {
    if (!replaying_) metrics_->write_metric(path, value, units);
}

void Experiment::Sink::write_wall_time(const std::string& path, double seconds) {
    if (!replaying_ && record_wall_times_) metrics_->write_wall_time(path, seconds);
}

void Experiment::Sink::write_cost(const std::string& path, double value, const std::string& units,
                                  const std::string& source) {
    if (!replaying_) metrics_->write_cost(path, value, units, source);
}

void Experiment::Sink::write_count(const std::string& path, std::uint64_t value) {
    if (!replaying_) metrics_->write_count(path, value);
}

void Experiment::Sink::append_series(const std::string& path, std::span<const double> values,
                                     const std::string& units) {
    if (!replaying_) metrics_->append_series(path, values, units);
}

void Experiment::Sink::append_count_series(const std::string& path,
                                           std::span<const std::uint64_t> values) {
    if (!replaying_) metrics_->append_count_series(path, values);
}

void Experiment::Sink::write_count_matrix(const std::string& path,
                                          std::span<const std::uint64_t> values, std::size_t rows,
                                          std::size_t cols) {
    if (!replaying_) metrics_->write_count_matrix(path, values, rows, cols);
}

}  // namespace spikerate::sim::train
