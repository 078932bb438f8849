#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <Eigen/Core>

#include "sim/types.hpp"

namespace spikerate::sim {

class StateWriter;  // sim/checkpoint.hpp
class StateReader;

// A fact a population knows about the spikes it makes, kept in the output beside its description
// as /populations/<name>/<annotation name> (sim/io/FORMAT.md): e.g. where a masquelier_pattern
// source pasted its pattern.
struct PopulationAnnotation {
    std::string name;
    std::string units;                                                     // "" for ids and counts
    std::variant<std::vector<double>, std::vector<std::uint64_t>> values;  // float64 or uint64
};

// N neurons (or spike sources) of one model, advanced together: one virtual call per population
// per step, concrete loops over contiguous arrays inside.
class Population {
  public:
    // keeps_input_times: inputs are kept with their offset inside the step (precise mode) instead
    // of being summed per neuron and applied at the start of the step.
    Population(std::string name, std::uint32_t size, bool keeps_input_times);
    virtual ~Population() = default;
    Population(const Population&) = delete;
    Population& operator=(const Population&) = delete;

    const std::string& name() const { return name_; }
    std::uint32_t size() const { return size_; }
    virtual std::string_view model_id() const = 0;
    // The unit of weights onto this population ("pA", "nS"); sources take no input: "".
    virtual std::string_view weight_unit() const { return ""; }
    // What the output keeps about this population's spikes besides them; most have nothing.
    virtual std::vector<PopulationAnnotation> annotations() const { return {}; }
    bool keeps_input_times() const { return keeps_input_times_; }

    // Advances from t_step to t_{step+1}: applies the input received for this step, integrates,
    // and emits spikes (replacing those of the previous step).
    virtual void advance(std::int64_t step) = 0;
    std::span<const Spike> spikes() const { return spikes_; }

    // Threads (sim/network.hpp). A population that splits by neuron is given part bounds once
    // (part c: neurons [bounds[c], bounds[c + 1]), each starting at a multiple of 64); then a
    // step is advance_part(step, c) for every part, on any threads at once, followed by
    // finish_parts(step) on one thread, and gives the same bits as advance(step). Others have
    // one part, advance_part(step, 0) = advance(step).
    virtual bool splits_by_neuron() const { return false; }
    virtual void split(std::span<const std::uint32_t> /*bounds*/) {}
    virtual std::size_t parts() const { return 1; }
    virtual void advance_part(std::int64_t step, std::size_t /*part*/) { advance(step); }
    virtual void finish_parts(std::int64_t /*step*/) {}
    // The shortest delay, in steps, of a projection from this population. Spikes stamped at the
    // end of the step that produced them (t_{n+1}, neurons on the grid) can reach their targets
    // before the next step: delay 0, Brian2's default. Spikes stamped inside their step
    // (sources, precise-mode neurons) have been passed by the time they are known: one step.
    virtual std::int32_t min_delay_steps() const { return 1; }

    // A spike of weight w (in the model's weight unit, >= 0) reaches `node` through `receptor`,
    // `offset` ms after the start of the current step.
    void receive(std::uint32_t node, Receptor receptor, double offset, double w) {
        if (keeps_input_times_) {
            timed_input_.push_back(
                TimedInput{.node = node, .receptor = receptor, .offset = offset, .weight = w});
        } else {
            summed_input_[static_cast<int>(receptor) * size_ + node] += w;
        }
    }

    // Where summed input for one receptor goes (receive() without the branch), for projections
    // delivering many spikes in a loop; nullptr when the population keeps input times.
    double* summed_input(Receptor receptor) {
        return keeps_input_times_ ? nullptr
                                  : summed_input_.data() + static_cast<int>(receptor) * size_;
    }

    // State variables (neuron models; sources have none): names, units and values, one value
    // per neuron. Throws Error naming the population for an unknown variable.
    virtual std::span<const std::string_view> variable_names() const { return {}; }
    virtual std::string_view variable_unit(std::string_view variable) const;
    virtual std::span<double> variable(std::string_view variable);
    std::span<const double> variable(std::string_view variable) const {
        return const_cast<Population*>(this)->variable(variable);
    }
    // The variable's values of `neurons` into `out` (one each), without writing anything: a
    // population advanced in parts reads them where its parts keep them (the recorder's path,
    // every frame).
    virtual void copy_variable(std::string_view variable, std::span<const std::uint32_t> neurons,
                               std::span<double> out) const;

    // Work done: neuron state updates (N per step for neuron models) and spikes emitted.
    std::uint64_t neuron_updates() const { return neuron_updates_; }
    std::uint64_t spike_count() const { return spike_count_; }
    // Input spikes of the population's Poisson background (PoissonBackground), 0 without one:
    // events a simulator with generator devices (NEST) delivers as synaptic events.
    virtual bool has_poisson_background() const { return false; }
    std::uint64_t background_events() const { return background_events_; }

    // Checkpoints (sim/checkpoint.hpp): everything that carries over to the next step, the
    // pending input and the counters included. load_state expects the state of a population
    // built from the same description; a mismatch throws DataError.
    virtual void save_state(StateWriter& out) const;
    virtual void load_state(StateReader& in);

  protected:
    struct TimedInput {  // written as bytes to checkpoints: the padding is explicit, zero
        std::uint32_t node;
        Receptor receptor;
        std::array<std::uint8_t, 3> unused{};
        double offset;  // [ms] inside the current step
        double weight;
    };

    [[noreturn]] void throw_unknown_variable(std::string_view variable) const;

    void emit(std::uint32_t node, SpikeTime time) {
        spikes_.push_back(Spike{.node = node, .time = time});
        ++spike_count_;
    }
    void begin_step() { spikes_.clear(); }
    void save_base_state(StateWriter& out) const;  // this class's members
    void load_base_state(StateReader& in);

    std::string name_;
    std::uint32_t size_;
    bool keeps_input_times_;
    Eigen::ArrayXd summed_input_;  // receptor r of neuron i at r * size + i
    std::vector<TimedInput> timed_input_;
    std::vector<Spike> spikes_;
    std::uint64_t neuron_updates_ = 0;
    std::uint64_t spike_count_ = 0;
    std::uint64_t background_events_ = 0;  // checkpointed by the populations that have them
};

}  // namespace spikerate::sim
