#pragma once

// Trains a spiking network on a task's example stream without labels (its plasticity rules
// learn from every example), labels or fits its readout and tests it at the points of a
// schedule, and writes what it did: learning curves, operation counts and energy to
// /metrics/spiking/<name>/..., the learned projection's weights (receptive fields) and the
// adaptation variable as frame reports /report/<name>_<input>_<readout> and
// /report/<name>_<adaptation>, and the read-out population's spikes of chosen windows to
// /spikes/<name>_<readout> (layout: sim/io/FORMAT.md). The network and its roles, encoder,
// protocol, phases and readout are a SpikingNetworkSpec (spiking_network_spec.hpp); Diehl &
// Cook (2015) is one (diehl_cook_2015.hpp).
//
// Training, per example (the stream's next one):
//   1. normalise (weight_sum > 0): each readout neuron's learned_projection weights are
//      scaled to sum weight_sum;
//   2. present: the encoder drives the input population for presentation_ms (poisson_rate:
//      input rates x * input_rate_step_hz * intensity; latency: one spike per input);
//   3. rest: input off for rest_ms;
//   4. retry: if the readout population fired fewer than min_spikes spikes during step 2, the
//      intensity goes up by one and the example is shown again from step 1 (at most
//      max_presentations times in all; the last presentation counts whatever it gave).
// Evaluation at a point (on copies built for the label and test phases: plasticity and
// adaptation act there only if the spec's phases say so; the trained network is untouched):
//   the labelling examples are presented, and the readout is fitted to their responses
//   (label_assignment: each neuron gets the class with its highest average spike count,
//   task/label_assignment.hpp; linear: logistic regression on the counts,
//   task/linear_readout.hpp), then every test example is presented and classified. Which
//   examples label the readout is the schedule's label protocol (TrainingSchedule::labels):
//   - first_examples: the first assignment_examples training examples in data-set order (0 =
//     all), seen or not;
//   - seen: after k examples, the first min(k, n_train, assignment_examples) examples of the
//     shared stream (0 = no cap), all of them seen; with label budgets, the responses are
//     computed once, for the largest number of labels any budget allows, and a budget L fits
//     the readout to the first min(k, n_train, L) of them (one row per budget in
//     /metrics/spiking/<name>/label_curve); the features learnt from every example seen, without
//     labels;
//   - paper: the whole training set, and the test set presented test_presentations times (pass
//     r > 1 with input streams "test<r>/<example>"), the accuracy the mean over the passes.
//   Evaluation examples go in chunks of evaluation_chunk, each to a freshly built copy with the
//   trained weights of every plastic projection and the trained theta of every adaptive
//   population, so chunks run on `threads` threads with results that do not depend on the
//   thread count. Retries apply at test time too, as in Diehl & Cook's released code.
// Input spikes of a presentation come from the Poisson stream keyed by (phase, example,
// presentation): an example gets the same input whenever it is shown.

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sim/metric_sink.hpp"
#include "sim/network.hpp"
#include "sim/recorder.hpp"
#include "sim/task/dataset.hpp"
#include "sim/task/example_stream.hpp"
#include "sim/task/label_assignment.hpp"
#include "sim/task/label_reader.hpp"
#include "sim/task/scoring.hpp"
#include "sim/train/energy.hpp"
#include "sim/train/gradient_trainer.hpp"
#include "sim/train/learner.hpp"
#include "sim/train/spiking_network_spec.hpp"

namespace spikerate::sim::train {

// Work done by a spiking network: what the engine counted.
struct SpikingWork {
    std::uint64_t examples = 0;            // examples shown (each counted once)
    std::uint64_t presentations = 0;       // presentations, retries included
    std::uint64_t synaptic_events = 0;     // spikes x fan-out delivered, all projections
    std::uint64_t neuron_updates = 0;      // neuron state updates (one neuron, one step)
    std::uint64_t plasticity_updates = 0;  // weight updates by the plasticity rules
    std::uint64_t on_post_updates = 0;     // those by a postsynaptic spike (the rest: on_pre)
    std::uint64_t post_terms = 0;          // the rules' post terms evaluated for on_pre
    std::uint64_t exc_spikes = 0;          // readout spikes during presentations counted
    // readout = "linear": the logistic regression's multiply-accumulates (forward: W x; backward:
    // the gradient) and parameter updates, in the phase that fits (label) or applies it (test).
    std::uint64_t readout_macs_forward = 0;
    std::uint64_t readout_macs_backward = 0;
    std::uint64_t readout_weight_updates = 0;
    // The same by population (neuron updates) and by projection (plasticity: on_pre updates,
    // on_post updates, post terms), in the network's order: the energy table prices each
    // with its model and rule.
    std::vector<std::uint64_t> population_updates;
    std::vector<std::uint64_t> projection_pre_updates;
    std::vector<std::uint64_t> projection_post_updates;
    std::vector<std::uint64_t> projection_post_terms;
    // Weight updates by modulator events (every synapse of a reward projection per event), by
    // projection; part of plasticity_updates, apart from the pre updates.
    std::vector<std::uint64_t> projection_modulator_updates;

    SpikingWork& operator+=(const SpikingWork& other);
};

// The energy table of a spiking learner's work (sim/train/energy.hpp): synaptic events, neuron
// updates by (model, integration), plasticity updates by pre and by post spikes and the post
// terms of the pre updates by rule, per example of `work`. One class per kind when the network
// has one model and one rule (ids "neuron_update", "plasticity_pre", ...), else one per model
// or rule ("neuron_update_<model>_<integration>", "plasticity_pre_<rule>", ...). Throws Error
// for a model or rule energy.cpp has no count for.
std::vector<EnergyLine> energy_lines(const SpikingNetworkSpec& spec, const SpikingWork& work);

// readout = "reward": which output neuron wins a presentation (RewardDecision), from its spike
// counts and the steps of its first spikes (-1: silent); none when no neuron fired. The class a
// winner stands for: neuron j of n_neurons = n_classes x k is class j / k.
std::optional<std::size_t> reward_winner(std::span<const std::uint32_t> counts,
                                         std::span<const std::int64_t> first_steps,
                                         RewardDecision decision);
std::uint32_t reward_class_of(std::size_t neuron, std::size_t n_neurons, std::size_t n_classes);

// The rewards of a reward readout so far. Each reward delivered is one label read (the label
// reaches the readout through the reward's sign); an example no output neuron answered gets none.
struct RewardCounts {
    std::uint64_t delivered = 0;  // rewards delivered: labels used
    std::uint64_t positive = 0;   // of them +1 (the winner's class was right)
    std::uint64_t undecided = 0;  // training examples without an output spike: no reward
    // reward_window > 0: the last decisions (1 right, 0 wrong), oldest first, at most the window.
    std::vector<std::uint8_t> recent;
};

struct SpikingEvaluation {
    std::uint64_t examples_seen = 0;
    double accuracy = 0.0;  // correct / test examples; unclassified examples count as wrong
    task::ConfusionMatrix confusion{1};  // classified test examples only
    std::uint64_t unclassified = 0;      // test examples no readout classified (label_assignment:
                                         // no assigned neuron fired)
    task::NeuronAssignments assignments;
    std::uint64_t labels_used = 0;  // examples whose labels assigned the neurons
    // One per label budget of the schedule (labels = "seen"), in its order.
    struct BudgetPoint {
        std::uint64_t budget = 0;
        std::uint64_t labels_used = 0;
        double accuracy = 0.0;
        std::uint64_t unclassified = 0;
    };
    std::vector<BudgetPoint> budgets;
    SpikingWork assignment_work;  // labelling phase
    SpikingWork test_work;        // test phase
    double seconds = 0.0;         // wall time of the evaluation
};

class StdpTrainer final : public Learner {
  public:
    // `reports` and `metrics` may be null (nothing is written). Throws ParamError for a spec
    // that does not fit the task. `stream` is the task's example order, shared by every
    // paradigm; `seed` draws the initial weights and delays and the input spikes.
    StdpTrainer(const SpikingNetworkSpec& spec, const task::Dataset& train,
                const task::Dataset& test, task::ExampleStream stream,
                const TrainingSchedule& schedule, std::uint64_t seed, RecordingSink* reports,
                MetricSink* metrics);

    // What the constructor would refuse about the network (its size, its parameters, its input
    // size against the task's, an operation the energy table cannot price), checked before the
    // output file is created: throws ParamError naming the network.
    static void check_fits(const SpikingNetworkSpec& spec, const task::Dataset& train);

    // Trains on stream examples [examples_seen(), target); `keep_going` is asked before every
    // example.
    void train_until(std::uint64_t target, const std::function<bool()>& keep_going = {}) override;
    // Labels and tests (see above), appends one point to every curve, and returns it; nullptr
    // when `stop` (asked between examples, from the evaluation threads too: it must be cheap
    // and thread-safe, e.g. reading a signal flag) says to stop, leaving no point.
    const SpikingEvaluation* evaluate_and_record(const std::function<bool()>& stop = {});
    void finish() override;  // totals: operations, energy, final accuracy and confusion matrix

    // Learner: evaluate_and_record as a point of the experiment's tables; the work rows of the
    // training, the last test and its labelling.
    std::optional<LearnerPoint> evaluate(const std::function<bool()>& stop) override;
    std::vector<WorkRow> work_rows() const override;
    Paradigm paradigm() const override { return Paradigm::spiking; }
    void save_state(StateWriter& out) const override;
    void load_state(StateReader& in) override;

    const std::string& name() const override { return spec_.name; }
    const SpikingNetworkSpec& spec() const { return spec_; }
    void set_threads(std::uint32_t threads);  // for evaluations from now on; >= 1
    std::uint64_t examples_seen() const override { return seen_; }
    const SpikingWork& training_work() const { return training_work_; }
    const RewardCounts& rewards() const { return rewards_; }  // readout = "reward"; else zeros
    const SpikingEvaluation* last_evaluation() const { return last_ ? &*last_ : nullptr; }
    double training_seconds() const override { return training_seconds_; }
    double evaluation_seconds() const { return evaluation_seconds_; }  // all points so far
    std::size_t readout_size() const { return counts_.size(); }        // neurons read out
    const Network& network() const { return network_; }
    Network& network() { return network_; }

    // Presents the first `count` examples of `data` to evaluation copies of the current network
    // and returns the readout population's spike counts (row-major, examples x readout size).
    // `phase` keys the input streams ("assign" labels, "test..." tests).
    // Empty when `stop` said to stop.
    std::vector<std::uint32_t> frozen_responses(const task::Dataset& data, std::size_t count,
                                                const char* phase, SpikingWork& work,
                                                const std::function<bool()>& stop = {});
    // The same for the examples `indices` of `data`, in that order (input streams keyed by
    // "<phase>/<index>"); with `winners`, also each example's reward_winner (-1: none).
    std::vector<std::uint32_t> frozen_responses(const task::Dataset& data,
                                                std::span<const std::size_t> indices,
                                                const std::string& phase, SpikingWork& work,
                                                const std::function<bool()>& stop = {},
                                                std::vector<std::int64_t>* winners = nullptr);

    // Every label of a training example this trainer reads goes through it: tests attach an
    // observer.
    task::LabelReader& label_reader() { return labels_; }

  private:
    struct ReportIds {
        std::optional<std::size_t> weights;     // the learned projection's
        std::optional<std::size_t> adaptation;  // the adaptation variable's
    };
    void train_one();
    void record_weights();
    std::string metric(const std::string& leaf) const;
    bool recording_spikes() const;

    SpikingNetworkSpec spec_;
    const task::Dataset& train_;
    const task::Dataset& test_;
    TrainingSchedule schedule_;
    task::ExampleStream stream_;
    std::uint64_t seed_;
    RecordingSink* reports_;
    MetricSink* metrics_;
    Network network_;
    NetworkSpec label_spec_;  // the network of the label phase
    NetworkSpec test_spec_;   // the network of the test phase
    std::optional<ReportIds> report_ids_;
    std::vector<float> frame_;
    std::vector<double> rates_;
    std::vector<std::uint32_t> counts_;
    std::vector<double> spike_times_;
    std::vector<std::uint64_t> spike_nodes_;
    task::LabelReader labels_;
    std::uint64_t seen_ = 0;
    std::uint64_t next_weight_frame_ = 0;
    SpikingWork training_work_;
    std::uint64_t weight_normalisation_misses_ = 0;
    std::optional<SpikingEvaluation> last_;
    RewardCounts rewards_;
    double training_seconds_ = 0.0;
    double evaluation_seconds_ = 0.0;
};

}  // namespace spikerate::sim::train
