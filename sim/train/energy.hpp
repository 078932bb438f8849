#pragma once

// Energy per operation for the estimates written next to the operation counts
// (../shared/REFERENCES.md). By the usual convention of spiking-network papers, memory traffic
// (fetching weights and state) is excluded, although it often dominates on real hardware.

namespace spikerate::sim::train {

inline constexpr double pj_per_accumulate_45nm =
    0.9;                                        // 32-bit float add, 45 nm CMOS (Horowitz 2014)
inline constexpr double pj_per_mac_45nm = 4.6;  // multiply 3.7 + add 0.9, 45 nm CMOS
inline constexpr double pj_per_synaptic_op_loihi = 23.6;  // Loihi (Davies et al. 2018)

}  // namespace spikerate::sim::train
