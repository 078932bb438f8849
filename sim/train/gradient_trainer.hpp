#pragma once

// Trains a rate network (models/rate_network.hpp) by mini-batch gradient descent on a task's
// example stream, evaluates it on the test set at the points of a schedule, and writes what it
// did: learning curves and operation counts to /metrics/rate/<name>/..., weights and biases as
// frame reports /report/<name>_layer<k> and /report/<name>_layer<k>_bias (layout: FORMAT.md).
//
//   GradientTrainer mlp(spec, task.train, task.test, stream, schedule, seed, &file, &file);
//                                                            // frame 0: the initial weights
//   for (std::uint64_t point : schedule.points(task.train.size())) {
//       mlp.train_until(point);
//       mlp.evaluate_and_record();                           // one point of every curve
//   }
//   mlp.finish();                                            // totals, confusion matrix
//
// Labels. The network trains supervised on every example it sees, so after k examples it has
// read the labels of the first k stream examples (labels_used = min(k, n_train) distinct ones).
// With label budgets (TrainingSchedule::label_budgets, labels = "seen"), a budget L below both
// the training set and the schedule's total gets a learner of its own: the same architecture,
// the same initial weights and optimiser, trained in lockstep with the main network with the
// same batch sizes, the same number of gradient steps and the same learning-rate schedule
// (equal compute), but only on the first L stream examples: position p of its stream is stream
// example p while p < L (then it is the main network's batch, unchanged), and afterwards it
// cycles over those L examples, epoch after epoch, each epoch in its own order (Fisher-Yates
// from RandomStream(seed, "rate/<name>/labelled/<L>")). It never reads a label the main network
// has not read before it. Budgets of 0 (all seen) or at least min(n_train, total) are the main
// network itself. Each evaluation tests every budget's learner on the whole test set and
// appends one row per budget to /metrics/rate/<name>/label_curve (FORMAT.md). Their work is
// not added to the operation totals: they are the counterfactual learners of the curve.

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "models/optimizer.hpp"
#include "models/rate_network.hpp"
#include "sim/metric_sink.hpp"
#include "sim/random_stream.hpp"
#include "sim/recorder.hpp"
#include "sim/task/dataset.hpp"
#include "sim/task/example_stream.hpp"
#include "sim/task/input_view.hpp"
#include "sim/task/label_reader.hpp"
#include "sim/task/scoring.hpp"
#include "sim/train/energy.hpp"
#include "sim/train/learner.hpp"

namespace spikerate::sim::train {

// Whose labels a learner may read at an evaluation point (data/scenarios/README.md, "Labels"):
// - seen: only labels of the training examples it has seen, the first min(k, n_train) of the
//   shared stream after k examples, at most a label budget of them (the fair comparison);
// - first_examples: the spiking readout is labelled from the first assignment_examples training
//   examples in data-set order, seen or not (the behaviour before label budgets existed); the
//   rate networks train on every example they see;
// - paper: Diehl & Cook 2015's protocol for reproductions: the spiking readout is labelled from
//   the whole training set, and the test set is presented test_presentations times (each
//   presentation with its own Poisson input), the accuracy being the mean over them.
enum class LabelProtocol { seen, first_examples, paper };
inline constexpr std::array label_protocol_choices{
    std::pair{"seen", LabelProtocol::seen},
    std::pair{"first_examples", LabelProtocol::first_examples},
    std::pair{"paper", LabelProtocol::paper}};

// When both paradigms stop to be tested, on the shared axis of training examples seen: the
// [training] section of a scenario.
struct TrainingSchedule {
    std::uint64_t examples = 0;              // training examples presented; 0 = one epoch
    std::vector<std::uint64_t> evaluate_at;  // examples seen; empty = at the end of every epoch
    std::uint64_t weights_every = 0;  // examples between weight frames; 0 = first and last only
    LabelProtocol labels = LabelProtocol::first_examples;
    // With labels = "seen": a learning curve per budget L (0 = every label seen), on top of the
    // main curves (GradientTrainer and StdpTrainer say how each paradigm draws on a budget).
    std::vector<std::uint64_t> label_budgets;
    std::uint32_t test_presentations = 1;  // labels = "paper": presentations of the test set

    template <class Visitor>
    void visit_fields(Visitor&& v) {
        v("examples", examples, "",
          "training examples presented; 0 = one epoch, more than the set: further epochs");
        v("evaluate_at", evaluate_at, "",
          "examples seen at which every network is tested on the whole test set; increasing, <= "
          "examples; [] = after every epoch; the end is always a point");
        v("weights_every", weights_every, "",
          "examples between two frames of the weight reports; 0 = at the start and the end only");
        v("labels", labels, label_protocol_choices,
          "whose labels a learner reads: seen = only of examples it has seen, at most a budget "
          "(fair); first_examples = spiking readout from the first assignment_examples training "
          "examples, seen or not; paper = spiking readout from the whole training set, test "
          "averaged over test_presentations");
        v("label_budgets", label_budgets, "",
          "labels = \"seen\" only: one extra curve per budget L, each learner using the labels of "
          "the first min(examples seen, L) stream examples; 0 = all seen; increasing, 0 last");
        v("test_presentations", test_presentations, "",
          ">= 1; labels = \"paper\" only: the spiking networks' test set is presented this many "
          "times (fresh Poisson input each) and the accuracy averaged");
    }
    void validate() const;  // ParamError naming the key
    // The evaluation points for a training set of `n_train` examples: evaluate_at (those up to
    // the total), or every epoch end, always ending with the total; strictly increasing.
    std::vector<std::uint64_t> points(std::size_t n_train) const;
    std::uint64_t total(std::size_t n_train) const;  // examples, or n_train when 0
};

// The labels a learner may use at a point with `seen` examples seen, under a budget (0 = no
// limit): the first min(seen, n_train, budget) examples of the shared stream (the first epoch
// holds every example once, so these are distinct examples, all of them seen).
std::uint64_t labels_allowed(std::uint64_t seen, std::size_t n_train, std::uint64_t budget);

// Appends the columns every learner writes for one point of a label-budget curve to
// `prefix` + examples_seen, label_budget, labels_used and test_accuracy (prefix:
// "<paradigm>/<name>/label_curve/"); a learner appends its own further columns beside them.
void append_label_point(MetricSink& metrics, const std::string& prefix, std::uint64_t examples_seen,
                        std::uint64_t label_budget, std::uint64_t labels_used,
                        double test_accuracy);

// Throws ParamError unless `train` is not empty, `stream` orders its examples, and `test` has
// the same inputs and classes: what every trainer needs of a task.
void check_training_data(const task::Dataset& train, const task::Dataset& test,
                         const task::ExampleStream& stream);

// One rate network of a scenario: a [rate.<name>] section.
struct RateNetworkSpec {
    std::string name;                   // the section's name: /metrics/rate/<name>
    models::RateNetworkParams network;  // n_inputs / n_outputs are taken from the task
    models::OptimizerParams optimizer;
    std::uint32_t batch_size = 64;
    double learning_rate_decay = 1.0;  // the learning rate is multiplied by this after each epoch
    std::uint32_t threads = 1;         // for the matrix products (Eigen's OpenMP threads)
    bool record_weights = true;        // weight and bias reports
    task::InputView input;             // what it is handed of a temporal task's examples

    template <class Visitor>
    void visit_fields(Visitor&& v) {
        v("batch_size", batch_size, "",
          ">= 1; a batch never spans an epoch end or a point of the schedule");
        v("learning_rate_decay", learning_rate_decay, "",
          "(0, 1]: the learning rate is multiplied by it after every epoch");
        v("threads", threads, "",
          ">= 1: threads for the matrix products; results depend on nothing else");
        v("record_weights", record_weights, "",
          "write /report/<name>_layer<k> and <name>_layer<k>_bias");
        v("input", input.kind, task::input_view_choices,
          "default: the task's input vector; counts: a temporal task's spikes per afferent; "
          "bins: its spikes per afferent and time bin of input_bin_ms (n_afferents x T / bin "
          "inputs)");
        v("input_bin", input.bin_ms, "ms",
          "input = \"bins\" only: the bin width, > 0, dividing the task's window");
    }
    void validate() const;  // ParamError naming the key

    // The frame reports it writes (with record_weights): layer k's weights "<name>_layer<k>" and
    // biases "<name>_layer<k>_bias", k from 1.
    std::string weight_report(std::size_t layer) const;  // 0-based layer
    std::string bias_report(std::size_t layer) const;
    std::vector<std::string> report_names() const;
};

// Throws ParamError (naming the network and `hidden`) unless the network fits this machine's
// memory for the task's inputs (through its input view) and classes, or (naming `input` or
// `input_bin_ms`) unless the view fits the task: what the constructor would refuse, checked
// before the output file is created.
void check_fits(const RateNetworkSpec& spec, const task::Dataset& train);

// Loss and confusion matrix of a network over a whole dataset.
struct Evaluation {
    double loss = 0.0;  // mean over the examples, plus the L2 term (as in training)
    task::ConfusionMatrix confusion;
    std::uint64_t forward_macs = 0;
};
Evaluation evaluate(models::RateNetwork& network, const task::Dataset& data);

// Checkpoints of a confusion matrix (sim/checkpoint.hpp); load_confusion expects n_classes.
void save_confusion(StateWriter& out, const task::ConfusionMatrix& confusion);
task::ConfusionMatrix load_confusion(StateReader& in, std::size_t n_classes,
                                     const std::string& what);

class GradientTrainer final : public Learner {
  public:
    // `reports` and `metrics` may be null (nothing is written). Throws ParamError if the spec
    // does not fit the task (e.g. more examples per weight frame than the schedule allows).
    // With an input view other than the default, the network trains and is tested on the view
    // of `train` and `test` (task/input_view.hpp), which it holds.
    // `stream` is the task's example order, the same for every paradigm; `seed` draws the
    // initial weights (stream "rate/<name>/init").
    GradientTrainer(const RateNetworkSpec& spec, const task::Dataset& train,
                    const task::Dataset& test, task::ExampleStream stream,
                    const TrainingSchedule& schedule, std::uint64_t seed, RecordingSink* reports,
                    MetricSink* metrics);

    // Trains on stream examples [examples_seen(), target). A batch never straddles an epoch
    // end, a weight frame or `target`, so every recorded point is exact. `keep_going` is asked
    // before every batch; when it says false, training stops early.
    void train_until(std::uint64_t target, const std::function<bool()>& keep_going = {}) override;
    // Tests on the whole test set, appends one point to every curve, and returns it.
    const Evaluation& evaluate_and_record();
    // Writes the totals (operations, final accuracy, confusion matrix).
    void finish() override;

    // Learner: evaluate_and_record as a point of the experiment's tables (a rate network's test
    // is short: `stop` is not asked); the work rows of training and test.
    std::optional<LearnerPoint> evaluate(const std::function<bool()>& stop) override;
    std::vector<WorkRow> work_rows() const override;
    Paradigm paradigm() const override { return Paradigm::rate; }
    void save_state(StateWriter& out) const override;
    void load_state(StateReader& in) override;

    const std::string& name() const override { return spec_.name; }
    const RateNetworkSpec& spec() const { return spec_; }
    std::uint64_t examples_seen() const override { return seen_; }
    const models::RateNetwork& network() const { return network_; }
    // The input view's bin width [ms] (counts: the task's window), 0 for the default view.
    double bin_width_ms() const { return bin_width_ms_; }
    const Evaluation* last_evaluation() const { return last_ ? &*last_ : nullptr; }
    std::uint64_t training_macs() const;  // forward + backward so far
    // Every label this trainer reads goes through it: tests attach an observer.
    task::LabelReader& label_reader() { return labels_; }
    // The label-budget curve of the last evaluation: one point per budget of the schedule.
    struct BudgetPoint {
        std::uint64_t budget = 0;
        std::uint64_t labels_used = 0;
        double accuracy = 0.0;
        double loss = 0.0;
    };
    const std::vector<BudgetPoint>& last_budget_points() const { return budget_points_; }
    std::uint64_t forward_macs_per_example() const { return network_.forward_macs_per_example(); }
    std::uint64_t backward_macs_per_example() const { return network_.backward_macs_per_example(); }
    // Parameters (weights and biases) updated by optimizer steps so far: one per parameter and
    // step.
    std::uint64_t parameter_updates() const { return parameter_updates_; }
    // The energy tables (sim/train/energy.hpp) per training example (MACs forward and backward,
    // parameter updates averaged over the examples seen) and per test example (MACs forward).
    std::vector<EnergyLine> training_energy_lines() const;
    std::vector<EnergyLine> test_energy_lines() const;
    double training_seconds() const override { return training_seconds_; }  // in train_until

  private:
    struct WeightReport {
        std::size_t weights;
        std::size_t biases;
    };
    // A learner restricted to the first `budget` stream examples (see the header comment).
    struct BudgetLearner {
        std::uint64_t budget;
        models::RateNetwork network;
        models::Optimizer optimizer;
        RandomStream order;
        std::uint64_t cached_epoch = 0;
        bool cached = false;
        std::vector<std::uint32_t> permutation;  // of [0, budget), for cached_epoch
    };
    void train_batch(std::size_t size);
    void train_budget_batch(BudgetLearner& learner, std::size_t size);
    std::size_t budget_example(BudgetLearner& learner, std::uint64_t position);
    void record_weights();
    std::string metric(const std::string& leaf) const;

    RateNetworkSpec spec_;
    std::unique_ptr<const task::Task> view_;  // the sets seen through spec_.input, or null
    double bin_width_ms_ = 0.0;               // [ms] the view's bin width (0: default view)
    const task::Dataset& train_;
    const task::Dataset& test_;
    TrainingSchedule schedule_;
    models::RateNetwork network_;
    models::Optimizer optimizer_;
    task::ExampleStream stream_;
    RecordingSink* reports_;
    MetricSink* metrics_;
    std::vector<WeightReport> weight_reports_;
    std::vector<float> frame_;  // one frame of one layer, node-major
    task::LabelReader labels_;
    std::vector<BudgetLearner> budget_learners_;
    std::vector<BudgetPoint> budget_points_;

    Eigen::MatrixXf batch_inputs_;
    std::vector<std::uint32_t> batch_labels_;
    Eigen::MatrixXf budget_inputs_;
    std::vector<std::uint32_t> budget_labels_;
    std::uint64_t seen_ = 0;
    std::uint64_t next_weight_frame_ = 0;  // examples seen at which the next frame is taken
    std::uint64_t epoch_ = 0;              // epochs completed
    // Training loss and accuracy since the last evaluation.
    double loss_sum_ = 0.0;
    std::uint64_t correct_ = 0;
    std::uint64_t counted_ = 0;
    std::uint64_t test_macs_ = 0;
    std::uint64_t parameter_updates_ = 0;
    std::optional<Evaluation> last_;
    double training_seconds_ = 0.0;
};

}  // namespace spikerate::sim::train
