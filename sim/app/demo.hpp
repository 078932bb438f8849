#pragma once

#include <cstdint>
#include <iosfwd>

namespace spikerate::app {

// The built-in example until scenario files exist: Song, Miller & Abbott (2000) as in Brian2's
// STDP example. 1000 Poisson inputs at 15 Hz drive one conductance-based LIF neuron through
// plastic synapses (additive pair STDP); the weights drift towards both bounds. Prints what it
// did: rates, weight distribution, work done.
int run_demo(double duration_s, std::uint64_t seed, std::ostream& out);

}  // namespace spikerate::app
