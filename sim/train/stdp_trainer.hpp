#pragma once

// Trains an unsupervised spiking network with STDP on a task's example stream (the protocol of
// Diehl & Cook 2015's released code), labels its neurons and tests it at the points of a
// schedule, and writes what it did: learning curves, operation counts and energy to
// /metrics/spiking/<name>/..., the input weights (receptive fields) and theta as frame reports
// /report/<name>_input_exc and /report/<name>_theta, and excitatory spikes of chosen windows to
// /spikes/<name>_exc (layout: sim/io/FORMAT.md).
//
// Training, per example (the stream's next one):
//   1. normalise: each excitatory neuron's input weights are scaled to sum weight_sum;
//   2. present: input rates pixel * input_rate_step_hz * intensity for presentation_ms;
//   3. rest: input off for rest_ms;
//   4. retry: if the excitatory layer fired fewer than min_spikes spikes during step 2, the
//      intensity goes up by one and the example is shown again from step 1 (at most
//      max_presentations times in all; the last presentation counts whatever it gave).
// Evaluation at a point (learning and theta frozen, the trained network left untouched):
//   the labelling examples are presented to a frozen copy, each neuron is assigned the class
//   with its highest average spike count (task/label_assignment.hpp), then every test example
//   is presented and classified. Which examples label the neurons is the schedule's label
//   protocol (TrainingSchedule::labels):
//   - first_examples: the first assignment_examples training examples in data-set order (0 =
//     all), seen or not;
//   - seen: after k examples, the first min(k, n_train, assignment_examples) examples of the
//     shared stream (0 = no cap), all of them seen; with label budgets, the responses are
//     computed once, for the largest number of labels any budget allows, and a budget L labels
//     the neurons from the first min(k, n_train, L) of them (one row per budget in
//     /metrics/spiking/<name>/label_curve); the features learnt from every example seen, without
//     labels;
//   - paper: the whole training set, and the test set presented test_presentations times (pass
//     r > 1 with input streams "test<r>/<example>"), the accuracy the mean over the passes.
//   Evaluation examples go in chunks of evaluation_chunk, each to a freshly built frozen copy
//   with the trained weights and theta, so chunks run on `threads` threads with results that do
//   not depend on the thread count. Retries apply at test time too, as in the released code.
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
#include "sim/train/diehl_cook_2015.hpp"
#include "sim/train/energy.hpp"
#include "sim/train/gradient_trainer.hpp"
#include "sim/train/learner.hpp"

namespace spikerate::sim::train {

// One spiking network of a scenario: a [spiking.<name>] section.
struct SpikingNetworkSpec {
    std::string name;                  // the section's name: /metrics/spiking/<name>
    DiehlCook2015Params architecture;  // architecture = "diehl_cook_2015" (the only one so far)
    std::uint32_t assignment_examples = 10000;  // labelling examples (see labels); 0 = all
    std::uint32_t threads = 1;                  // for evaluation
    bool record_weights = true;  // input -> exc weights and theta at the schedule's weight frames
    // Excitatory spikes are recorded while examples_seen is in [start, end), for each pair of
    // this flat list (start0, end0, start1, end1, ...).
    std::vector<std::uint64_t> spike_windows;

    template <class Visitor>
    void visit_fields(Visitor&& v) {
        v("assignment_examples", assignment_examples, "",
          "training examples whose responses label the neurons; 0 = all; training.labels = "
          "\"first_examples\": the first ones in data-set order, seen or not; \"seen\": a cap "
          "on the examples seen that label the main curve; \"paper\": ignored (all)");
        v("threads", threads, "",
          "threads for labelling and testing (chunks of 1000 examples on fresh frozen copies: the "
          "results do not depend on it); training uses one");
        v("record_weights", record_weights, "",
          "write /report/<name>_input_exc (receptive fields) and /report/<name>_theta at the "
          "weight frames");
        v("spike_windows", spike_windows, "",
          "pairs [start, end) of examples seen during which excitatory spikes go to "
          "/spikes/<name>_exc");
    }
    void validate() const;  // ParamError naming the key

    // What it writes: the frame reports "<name>_input_exc" (receptive fields) and
    // "<name>_theta" (with record_weights), the spike group "<name>_exc" (with spike_windows).
    std::string input_weights_report() const { return name + "_input_exc"; }
    std::string theta_report() const { return name + "_theta"; }
    std::string spike_group() const { return name + "_exc"; }
    std::vector<std::string> report_names() const;
};

// Work done by a spiking network: what the engine counted.
struct SpikingWork {
    std::uint64_t examples = 0;            // examples shown (each counted once)
    std::uint64_t presentations = 0;       // presentations, retries included
    std::uint64_t synaptic_events = 0;     // spikes x fan-out delivered, all projections
    std::uint64_t neuron_updates = 0;      // neuron state updates (one neuron, one step)
    std::uint64_t plasticity_updates = 0;  // weight updates by the STDP rule
    std::uint64_t on_post_updates = 0;     // those by a postsynaptic spike (the rest: on_pre)
    std::uint64_t post_terms = 0;          // the rule's post terms evaluated for on_pre
    std::uint64_t exc_spikes = 0;          // excitatory spikes during presentations counted

    SpikingWork& operator+=(const SpikingWork& other);
};

// The energy table of a Diehl & Cook network's work (sim/train/energy.hpp): synaptic events,
// neuron updates (lif_cond with the architecture's integration), plasticity updates by pre and
// by post spikes, the post terms of the pre updates, per example of `work`.
std::vector<EnergyLine> energy_lines(const DiehlCook2015Params& architecture,
                                     const SpikingWork& work);

struct SpikingEvaluation {
    std::uint64_t examples_seen = 0;
    double accuracy = 0.0;  // correct / test examples; unclassified examples count as wrong
    task::ConfusionMatrix confusion{1};  // classified test examples only
    std::uint64_t unclassified = 0;      // test examples on which no assigned neuron fired
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

    // What the constructor would refuse about the network (its size, its parameters), checked
    // before the output file is created: throws ParamError naming the network and n_exc.
    static void check_fits(const SpikingNetworkSpec& spec, const task::Dataset& train,
                           std::uint64_t seed);

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
    const SpikingEvaluation* last_evaluation() const { return last_ ? &*last_ : nullptr; }
    double training_seconds() const override { return training_seconds_; }
    double evaluation_seconds() const { return evaluation_seconds_; }  // all points so far
    const Network& network() const { return network_; }
    Network& network() { return network_; }

    // Presents the first `count` examples of `data` to frozen copies of the current network and
    // returns their excitatory spike counts (row-major, examples x n_exc). `phase` keys the
    // input streams ("assign", "test").
    // Empty when `stop` said to stop.
    std::vector<std::uint32_t> frozen_responses(const task::Dataset& data, std::size_t count,
                                                const char* phase, SpikingWork& work,
                                                const std::function<bool()>& stop = {});
    // The same for the examples `indices` of `data`, in that order (input streams keyed by
    // "<phase>/<index>").
    std::vector<std::uint32_t> frozen_responses(const task::Dataset& data,
                                                std::span<const std::size_t> indices,
                                                const std::string& phase, SpikingWork& work,
                                                const std::function<bool()>& stop = {});

    // Every label of a training example this trainer reads goes through it: tests attach an
    // observer.
    task::LabelReader& label_reader() { return labels_; }

  private:
    struct ReportIds {
        std::size_t weights;
        std::size_t theta;
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
    NetworkSpec frozen_spec_;
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
    double training_seconds_ = 0.0;
    double evaluation_seconds_ = 0.0;
};

}  // namespace spikerate::sim::train
