#pragma once

// Anything that learns a task from the shared example stream: a spiking network trained by STDP
// (StdpTrainer), a rate network trained by gradient descent (GradientTrainer). An Experiment
// (sim/train/experiment.hpp) drives learners through its schedule without knowing which
// paradigm each is; the calls here are coarse (once per example, batch or evaluation point), so
// they are virtual.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sim/train/energy.hpp"

namespace spikerate::sim {
class StateWriter;
class StateReader;
}  // namespace spikerate::sim

namespace spikerate::sim::train {

enum class Paradigm { spiking, rate };

// One evaluation point of a learner, as the experiment's accuracy tables need it.
struct LearnerPoint {
    std::uint64_t examples_seen = 0;
    double accuracy = 0.0;                // on the whole test set (unclassified count as wrong)
    std::vector<double> budget_accuracy;  // one per label budget of the schedule, in its order
    std::uint64_t labels_used = 0;        // labels the main curve's point used
    double seconds = 0.0;                 // wall time of the evaluation
};

// One row of the work-and-energy table: counts per example as text ("-" where the paradigm
// counts no such operation) and the priced operations (sim/train/energy.hpp).
struct WorkRow {
    std::string phase;  // "train", "test", "label"
    std::string synaptic_events;
    std::string neuron_updates;
    std::string plasticity_updates;
    std::string macs_per_parameter;
    std::vector<EnergyLine> lines;
};

class Learner {
  public:
    virtual ~Learner() = default;

    virtual const std::string& name() const = 0;
    virtual Paradigm paradigm() const = 0;
    virtual std::uint64_t examples_seen() const = 0;
    // Trains on stream examples [examples_seen(), target); `keep_going` is asked before every
    // example or batch, and training stops early when it says false.
    virtual void train_until(std::uint64_t target, const std::function<bool()>& keep_going) = 0;
    // Tests at the current point, appends one point to every curve, and returns it; nothing
    // (and no point written) when `stop` says to stop. `stop` may be asked from several threads
    // and must be cheap.
    virtual std::optional<LearnerPoint> evaluate(const std::function<bool()>& stop) = 0;
    // Writes the totals (operations, energy, final accuracy).
    virtual void finish() = 0;

    // Checkpoints (sim/checkpoint.hpp): everything that carries over between examples or
    // batches (parameters, optimiser and plasticity state, the position in the stream, counters,
    // the last evaluation). A learner built from the same spec, task and seed loads what another
    // saved and continues as that one would have, bit for bit.
    virtual void save_state(StateWriter& out) const = 0;
    virtual void load_state(StateReader& in) = 0;

    // What the summary prints: wall time spent training, and the work per example by phase.
    virtual double training_seconds() const = 0;
    virtual std::vector<WorkRow> work_rows() const = 0;
};

}  // namespace spikerate::sim::train
