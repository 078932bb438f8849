#include "sim/task/label_assignment.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "sim/task/dataset.hpp"

namespace spikerate::sim::task {

std::size_t NeuronAssignments::neurons_of(std::uint32_t label) const {
    return static_cast<std::size_t>(std::count(class_of_neuron.begin(), class_of_neuron.end(),
                                               static_cast<std::int32_t>(label)));
}

NeuronAssignments assign_labels(std::span<const std::uint32_t> counts, std::size_t n_neurons,
                                std::span<const std::uint32_t> labels, std::size_t n_classes) {
    if (n_neurons == 0 || n_classes == 0) {
        throw DataError(fmt::format("label assignment: {} neurons and {} classes (need >= 1 each)",
                                    n_neurons, n_classes));
    }
    if (counts.size() != labels.size() * n_neurons) {
        throw DataError(
            fmt::format("label assignment: {} spike counts for {} examples x {} "
                        "neurons",
                        counts.size(), labels.size(), n_neurons));
    }
    // Summed counts per class and neuron, then averages over each class's examples.
    std::vector<double> summed(n_classes * n_neurons, 0.0);
    std::vector<std::size_t> examples_of_class(n_classes, 0);
    for (std::size_t e = 0; e < labels.size(); ++e) {
        const std::uint32_t label = labels[e];
        if (label >= n_classes) {
            throw DataError(fmt::format("label assignment: example {} has label {}, expected < {}",
                                        e, label, n_classes));
        }
        ++examples_of_class[label];
        const auto row = counts.subspan(e * n_neurons, n_neurons);
        double* sums = summed.data() + static_cast<std::size_t>(label) * n_neurons;
        for (std::size_t i = 0; i < n_neurons; ++i) sums[i] += row[i];
    }

    NeuronAssignments result{
        .n_classes = n_classes,
        .class_of_neuron = std::vector<std::int32_t>(n_neurons, NeuronAssignments::unassigned)};
    std::vector<double> best(n_neurons, 0.0);  // strictly above 0: a silent neuron stays unassigned
    for (std::size_t c = 0; c < n_classes; ++c) {
        if (examples_of_class[c] == 0) continue;
        const double n = static_cast<double>(examples_of_class[c]);
        for (std::size_t i = 0; i < n_neurons; ++i) {
            const double average = summed[c * n_neurons + i] / n;
            if (average > best[i]) {  // strict: ties keep the lower class
                best[i] = average;
                result.class_of_neuron[i] = static_cast<std::int32_t>(c);
            }
        }
    }
    return result;
}

std::optional<std::uint32_t> classify(std::span<const std::uint32_t> counts,
                                      const NeuronAssignments& assignments) {
    if (counts.size() != assignments.n_neurons()) {
        throw DataError(fmt::format("classify: {} spike counts for {} neurons", counts.size(),
                                    assignments.n_neurons()));
    }
    std::vector<double> summed(assignments.n_classes, 0.0);
    std::vector<std::size_t> neurons(assignments.n_classes, 0);
    for (std::size_t i = 0; i < counts.size(); ++i) {
        const std::int32_t c = assignments.class_of_neuron[i];
        if (c == NeuronAssignments::unassigned) continue;
        summed[static_cast<std::size_t>(c)] += counts[i];
        ++neurons[static_cast<std::size_t>(c)];
    }
    std::optional<std::uint32_t> best;
    double best_mean = 0.0;  // strictly above 0: no assigned neuron fired -> no prediction
    for (std::size_t c = 0; c < assignments.n_classes; ++c) {
        if (neurons[c] == 0) continue;
        const double mean = summed[c] / static_cast<double>(neurons[c]);
        if (mean > best_mean) {  // strict: ties keep the lower class
            best_mean = mean;
            best = static_cast<std::uint32_t>(c);
        }
    }
    return best;
}

}  // namespace spikerate::sim::task
