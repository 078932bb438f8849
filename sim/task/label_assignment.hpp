#pragma once

// The readout of an unsupervised spiking network (Diehl & Cook 2015, as in their released
// code): after training, each excitatory neuron is assigned the class for which its average
// spike count over the assignment examples is highest; a test example is then classified as
// the class whose assigned neurons fire most on average. Labels are used nowhere else.
//
// Conventions (where the released code is silent or accidental):
// - assignment ties go to the lowest class (the released code's strict `>` in class order);
// - a neuron that never fired on the assignment examples stays unassigned and takes no part in
//   classification (the released code leaves it at -1 too);
// - a class with no assignment examples gets no neurons (the released code would reuse the
//   previous class's averages);
// - a class with no assigned neurons is never predicted;
// - classification ties go to the lowest class; an example on which no assigned neuron fired
//   has no prediction (std::nullopt), which scoring counts as wrong, never as a lucky class 0.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace spikerate::sim::task {

struct NeuronAssignments {
    static constexpr std::int32_t unassigned = -1;
    std::size_t n_classes = 0;
    std::vector<std::int32_t> class_of_neuron;  // per neuron: a class, or unassigned

    std::size_t n_neurons() const { return class_of_neuron.size(); }
    std::size_t neurons_of(std::uint32_t label) const;  // how many neurons have this class
};

// `counts` holds one row of n_neurons spike counts per example (row-major, examples x
// neurons), `labels` one class per example. Throws DataError for mismatched sizes or a label
// >= n_classes.
NeuronAssignments assign_labels(std::span<const std::uint32_t> counts, std::size_t n_neurons,
                                std::span<const std::uint32_t> labels, std::size_t n_classes);

// The class of one example from its n_neurons spike counts (see the conventions above).
std::optional<std::uint32_t> classify(std::span<const std::uint32_t> counts,
                                      const NeuronAssignments& assignments);

}  // namespace spikerate::sim::task
