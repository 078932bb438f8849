#pragma once

// Memory a scenario would need, checked before anything is allocated: a population, a
// projection, a data set or a rate network that cannot fit in this machine's memory is refused
// with a ParamError naming its key and the estimate, instead of a std::bad_alloc (or the kernel's
// out-of-memory killer) once building has started.

#include <cstdint>
#include <string>

namespace spikerate::sim {

// The memory a new allocation can get now [bytes]: MemAvailable of /proc/meminfo, or the
// physical memory where that cannot be read; SPIKERATE_MEMORY_LIMIT_BYTES overrides both (for
// tests and for leaving room to other work).
std::uint64_t available_memory_bytes();

// Throws ParamError::value(key, "... needs about X, more than the Y this machine has available")
// when `bytes` exceed the available memory; `what` names the thing ("14 billion synapses").
void require_memory(double bytes, const std::string& key, const std::string& what);

}  // namespace spikerate::sim
