#pragma once

// What a run records, as plain descriptions; sim/recorder.hpp turns them into recorders.

#include <cstdint>
#include <string>
#include <vector>

#include "sim/network_spec.hpp"

namespace spikerate::sim {

// The weights of a projection every every_ms, in the SONATA frame-report layout where the node
// is the postsynaptic neuron and the elements are the synapses onto it.
struct WeightReportSpec {
    std::string name;                         // report name: /report/<name>
    std::string projection;                   // resolved projection name, e.g. "input->neuron"
    double every_ms = 1000.0;                 // [ms] a whole number of steps
    std::vector<std::uint32_t> post_neurons;  // postsynaptic neurons to record; empty: all

    template <class Visitor>
    void visit_fields(Visitor&& v) {
        v("projection", projection, "", "a projection name (required)");
        v("every", every_ms, "ms", "> 0, a whole number of steps");
        v("post_neurons", post_neurons, "", "postsynaptic neuron indices < post size; [] = all");
    }
};

// One state variable of chosen neurons every every_ms, in the SONATA frame-report layout (one
// element per neuron).
struct StateReportSpec {
    std::string name;  // report name: /report/<name>
    std::string population;
    std::string variable;                // a state variable of the population's model, e.g. "V_m"
    double every_ms = 1.0;               // [ms] a whole number of steps
    std::vector<std::uint32_t> neurons;  // empty: all

    template <class Visitor>
    void visit_fields(Visitor&& v) {
        v("population", population, "", "a neuron population (required)");
        v("variable", variable, "",
          "a state variable of its model, e.g. \"V_m\" (no unit suffix; required)");
        v("every", every_ms, "ms", "> 0, a whole number of steps");
        v("neurons", neurons, "", "neuron indices < size; [] = all");
    }
};

struct RecordingSpec {
    std::vector<std::string> spikes;  // populations whose spikes are written
    std::vector<WeightReportSpec> weights;
    std::vector<StateReportSpec> states;

    // Checks names, references, indices and intervals against the network; throws ParamError
    // whose message starts with "record.spikes", "record.weights.<name>" or "record.state.<name>".
    void validate(const NetworkSpec& network) const;
};

}  // namespace spikerate::sim
