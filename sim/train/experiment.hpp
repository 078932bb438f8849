#pragma once

// A run: what a scenario describes, carried out. First a free-running spiking network (if any)
// is stepped for its duration while a Recorder writes what the scenario records; then the
// learners (if any) follow the training schedule on the task's shared example stream: at each
// evaluation point every learner, spiking ones first, trains on the same stream up to the point
// and is tested there. The experiment keeps the accuracy table, flushes the output every
// flush_interval_s of wall time (a killed run loses at most that much), and stops cleanly when
// the observer asks (a signal): the completed points stay, a half-done point is dropped.
//
//   Experiment experiment(spec);                   // builds and checks the network (ParamError)
//   const auto outcome = experiment.run({file, file, [&] { file.flush(); }}, observer);
//   // outcome == Outcome::interrupted: the output holds what was done up to the stop
//
// The experiment prints nothing: the observer hears of progress and decides what to show.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/metric_sink.hpp"
#include "sim/network.hpp"
#include "sim/recorder.hpp"
#include "sim/recording_spec.hpp"
#include "sim/task/dataset.hpp"
#include "sim/train/gradient_trainer.hpp"
#include "sim/train/learner.hpp"
#include "sim/train/stdp_trainer.hpp"

namespace spikerate::sim::train {

struct ExperimentSpec {
    std::optional<NetworkSpec> network;  // a free-running network, or none
    double duration_ms = 0.0;            // [ms] it runs for: a whole number of steps
    RecordingSpec record;                // what its Recorder writes
    const task::Task* task = nullptr;    // the learners' task (outlives the experiment), or none
    bool shuffle = true;                 // the example stream's order (task::ExampleStream)
    std::vector<SpikingNetworkSpec> spiking;
    std::vector<RateNetworkSpec> rate;
    TrainingSchedule schedule;
    std::uint64_t seed = 0;
    // Whether the learners' wall times (training_seconds, evaluation_seconds) reach the output;
    // without them the output is a function of the scenario and seed alone, byte for byte.
    bool record_wall_times = false;
};

// Where the experiment writes, and how to make what it wrote readable by another process.
struct ExperimentOutput {
    RecordingSink& reports;
    MetricSink& metrics;
    std::function<void()> flush;    // e.g. io::RunFileWriter::flush
    double flush_interval_s = 2.0;  // wall time between two flushes
    // Checkpoints: every checkpoint_interval_s of wall time, at a step that is a multiple of
    // 1024 or before an example or batch, `checkpoint` receives the experiment's state (after
    // the output was flushed: what is not in the output is in the state). Never without it.
    std::function<void(const std::string& state)> checkpoint;
    double checkpoint_interval_s = 0.0;  // wall time between two checkpoints, or
    // training examples (summed over the learners) between two; none while a free-running
    // network runs.
    std::uint64_t checkpoint_interval_examples = 0;
};

// What the caller hears while the experiment runs. Every member has a default that does
// nothing (stop: never).
class ExperimentObserver {
  public:
    virtual ~ExperimentObserver() = default;
    // Asked between steps, examples and batches, and from evaluation threads: cheap and
    // thread-safe (e.g. reading a flag a signal handler sets).
    virtual bool stop_requested() const { return false; }
    // The free-running network: every 256 steps done, then once when it stops.
    virtual void network_steps(std::int64_t /*steps_done*/, std::int64_t /*total_steps*/) {}
    virtual void network_done() {}
    // Before every example or batch a learner trains on: it started this stretch of training
    // with `from` examples seen, at `since`; the schedule has `total` examples.
    virtual void training(const Learner& /*learner*/, std::uint64_t /*from*/,
                          std::uint64_t /*total*/,
                          std::chrono::steady_clock::time_point /*since*/) {}
    // A learner was tested at a point.
    virtual void evaluated(const Learner& /*learner*/, const LearnerPoint& /*point*/,
                           std::uint64_t /*total*/) {}
};

enum class Outcome { completed, interrupted };

class Experiment {
  public:
    // Builds the free-running network and checks the duration (ParamError naming the key);
    // learners are built by run(), when the output exists. spec.task must be set when there
    // are learners.
    explicit Experiment(ExperimentSpec spec);
    Experiment(const Experiment&) = delete;
    Experiment& operator=(const Experiment&) = delete;

    // Runs everything once: the network, then the schedule; the learners' totals are written
    // even when stopped. Returns interrupted when the observer asked to stop. A failure (a
    // NumericalError, ...) propagates after what was recorded up to it was handed to the output
    // and flushed.
    Outcome run(const ExperimentOutput& output, ExperimentObserver& observer);
    // Loads a checkpoint's `state` (what ExperimentOutput::checkpoint received) into an
    // experiment built from the same spec, touching no output: the recorder and learners are
    // built again (what they write when built is in the run's output already and is not written
    // again; `report_names` are that output's frame reports in handle order) and load their
    // state. Throws DataError naming `source` if the state does not fit this experiment. run()
    // then continues from there, into the output the checkpointed run wrote, cut back to what
    // it held at the checkpoint.
    void restore(std::string_view state, const std::string& source,
                 const std::vector<std::string>& report_names);

    const ExperimentSpec& spec() const { return spec_; }
    // The free-running network, or null.
    const Network* network() const { return network_ ? &*network_ : nullptr; }
    std::int64_t total_steps() const { return total_steps_; }
    // Examples the schedule trains on (0 without learners).
    std::uint64_t total_examples() const;

    // The learners in schedule order (spiking ones first), and by paradigm.
    const std::vector<Learner*>& learners() const { return learners_; }
    const std::deque<StdpTrainer>& spiking_trainers() const { return spiking_; }
    const std::deque<GradientTrainer>& rate_trainers() const { return rate_; }

    // The completed evaluation points and their accuracies: accuracy()[point][learner],
    // budget_accuracy()[point][learner][label budget].
    const std::vector<std::uint64_t>& points() const { return points_; }
    const std::vector<std::vector<double>>& accuracy() const { return accuracy_; }
    const std::vector<std::vector<std::vector<double>>>& budget_accuracy() const {
        return budget_accuracy_;
    }
    std::uint64_t flushes() const { return flushes_; }          // flushes of the output so far
    std::uint64_t checkpoints() const { return checkpoints_; }  // checkpoints taken so far

  private:
    // Hands everything to the output, or, while the recorder and learners are built again on
    // resume, swallows what they write when built (it is in the output already) and maps their
    // reports to the output's handles.
    class Sink final : public RecordingSink, public MetricSink {
      public:
        void attach(const ExperimentOutput& output, bool record_wall_times) {
            reports_ = &output.reports;
            metrics_ = &output.metrics;
            record_wall_times_ = record_wall_times;
        }
        bool replaying() const { return replaying_; }
        void replay(const std::vector<std::string>& report_names) {
            replaying_ = true;
            report_names_ = report_names;
        }
        void go_live() { replaying_ = false; }

        void add_spike_population(const std::string& population, const RecordRole& role) override;
        void describe_population(const PopulationDescription& population) override;
        void describe_projection(const ProjectionDescription& projection) override;
        void append_spikes(const std::string& population, std::span<const double> times_ms,
                           std::span<const std::uint64_t> node_ids) override;
        std::size_t add_report(const ReportLayout& layout) override;
        void append_frames(std::size_t report, std::span<const float> frames,
                           std::size_t n_frames) override;
        void write_metric(const std::string& path, double value, const std::string& units) override;
        void write_cost(const std::string& path, double value, const std::string& units,
                        const std::string& source) override;
        void write_wall_time(const std::string& path, double seconds) override;
        void write_count(const std::string& path, std::uint64_t value) override;
        void append_series(const std::string& path, std::span<const double> values,
                           const std::string& units) override;
        void append_count_series(const std::string& path,
                                 std::span<const std::uint64_t> values) override;
        void write_count_matrix(const std::string& path, std::span<const std::uint64_t> values,
                                std::size_t rows, std::size_t cols) override;

      private:
        RecordingSink* reports_ = nullptr;
        MetricSink* metrics_ = nullptr;
        bool replaying_ = false;
        bool record_wall_times_ = false;
        std::vector<std::string> report_names_;
    };

    Outcome run_stages(const ExperimentOutput& output, ExperimentObserver& observer);
    void run_network(const ExperimentOutput& output, ExperimentObserver& observer);
    void run_schedule(const ExperimentOutput& output, ExperimentObserver& observer);
    void build_recorder();
    void build_learners();
    void flush_if_due(const ExperimentOutput& output, bool with_recorder);
    void checkpoint_if_due(const ExperimentOutput& output, bool with_recorder);
    std::uint64_t examples_trained() const;  // summed over the learners
    void save_state(StateWriter& out) const;
    void load_state(StateReader& in);

    ExperimentSpec spec_;
    Sink sink_;
    std::optional<Network> network_;
    std::int64_t total_steps_ = 0;
    std::optional<Recorder> recorder_;
    std::deque<StdpTrainer> spiking_;  // never moved: trainers refer to the task
    std::deque<GradientTrainer> rate_;
    std::vector<Learner*> learners_;
    // Where the run is: the network's steps (network_->steps_done()), then the schedule's
    // point and the learner at it, with that point's accuracies so far.
    bool network_done_ = false;
    std::size_t point_index_ = 0;
    std::size_t learner_index_ = 0;
    std::vector<double> point_accuracy_;
    std::vector<std::vector<double>> point_budget_accuracy_;
    std::vector<std::uint64_t> points_;
    std::vector<std::vector<double>> accuracy_;
    std::vector<std::vector<std::vector<double>>> budget_accuracy_;
    std::chrono::steady_clock::time_point last_flush_;
    std::chrono::steady_clock::time_point last_checkpoint_;
    std::uint64_t examples_at_last_checkpoint_ = 0;
    std::uint64_t flushes_ = 0;
    std::uint64_t checkpoints_ = 0;
};

// The free-running network's totals to /metrics: simulated time, per population spikes, neuron
// updates and mean rate, per projection synapses, synaptic events and plasticity updates.
void write_network_metrics(MetricSink& metrics, const Network& network);

}  // namespace spikerate::sim::train
