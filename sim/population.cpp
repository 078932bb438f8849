#include "population.hpp"

#include <fmt/format.h>

#include "models/error.hpp"
#include "sim/checkpoint.hpp"

namespace spikerate::sim {

Population::Population(std::string name, std::uint32_t size, bool keeps_input_times)
    : name_(std::move(name)),
      size_(size),
      keeps_input_times_(keeps_input_times),
      summed_input_(Eigen::ArrayXd::Zero(static_cast<Eigen::Index>(n_receptors) * size)) {}

void Population::throw_unknown_variable(std::string_view variable) const {
    throw Error(fmt::format("population '{}' ({}) has no state variable '{}'", name_, model_id(),
                            variable));
}

std::string_view Population::variable_unit(std::string_view variable) const {
    throw_unknown_variable(variable);
}

std::span<double> Population::variable(std::string_view variable) {
    throw_unknown_variable(variable);
}

void Population::copy_variable(std::string_view variable, std::span<const std::uint32_t> neurons,
                               std::span<double> out) const {
    const std::span<const double> values = this->variable(variable);
    for (std::size_t k = 0; k < neurons.size(); ++k) out[k] = values[neurons[k]];
}

void Population::save_base_state(StateWriter& out) const {
    out.tag("population " + name_);
    out.array(summed_input_);
    out.vec(timed_input_);
    out.vec(spikes_);
    out.u64(neuron_updates_);
    out.u64(spike_count_);
}

void Population::load_base_state(StateReader& in) {
    in.tag("population " + name_);
    in.array_into(summed_input_, summed_input_.rows(), summed_input_.cols(),
                  "population '" + name_ + "': summed input");
    timed_input_ = in.vec<TimedInput>();
    spikes_ = in.vec<Spike>();
    for (const Spike& s : spikes_) {
        if (s.node >= size_)
            in.fail(fmt::format("population '{}': spike of neuron {}", name_, s.node));
    }
    for (const TimedInput& t : timed_input_) {
        if (t.node >= size_ || static_cast<int>(t.receptor) >= n_receptors) {
            in.fail(fmt::format("population '{}': input to neuron {}", name_, t.node));
        }
    }
    neuron_updates_ = in.u64();
    spike_count_ = in.u64();
}

void Population::save_state(StateWriter& out) const { save_base_state(out); }
void Population::load_state(StateReader& in) { load_base_state(in); }

}  // namespace spikerate::sim
