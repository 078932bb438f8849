#pragma once

// Everything observable about a network at one moment, as one vector, and one network continued
// from another's state: for tests that compare two networks that must agree exactly (a
// checkpoint resumed, another thread count).

#include <vector>

#include "sim/checkpoint.hpp"
#include "sim/network.hpp"

namespace spikerate::testing {

// The time, every state variable, weight and work counter.
inline std::vector<double> network_observables(const sim::Network& net) {
    std::vector<double> out{net.time_ms()};
    for (const auto& pop : net.populations()) {
        for (const auto& name : pop->variable_names()) {
            const auto v = pop->variable(name);
            out.insert(out.end(), v.begin(), v.end());
        }
        out.push_back(static_cast<double>(pop->spike_count()));
        out.push_back(static_cast<double>(pop->neuron_updates()));
        out.push_back(static_cast<double>(pop->background_events()));
    }
    for (const auto& proj : net.projections()) {
        const auto w = proj->weights();
        out.insert(out.end(), w.begin(), w.end());
        out.push_back(static_cast<double>(proj->synaptic_events()));
        out.push_back(static_cast<double>(proj->plasticity_updates()));
        out.push_back(static_cast<double>(proj->plasticity_post_updates()));
        out.push_back(static_cast<double>(proj->post_term_evaluations()));
    }
    return out;
}

// `to` continues from `from`'s state: a checkpoint written by one and read whole by the other
// (built from the same description).
inline void load_state_of(const sim::Network& from, sim::Network& to) {
    sim::StateWriter out;
    from.save_state(out);
    sim::StateReader in(out.bytes(), "test");
    to.load_state(in);
    in.expect_end();
}

}  // namespace spikerate::testing
