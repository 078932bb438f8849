#pragma once

// The energy model: what one counted operation of each class costs, in arithmetic and in memory
// traffic, with the source of every figure (../shared/REFERENCES.md). Pure: no engine, no I/O
// (write_energy below only hands numbers to a MetricSink).
//
// Hardware assumed: 32-bit floating point in 45 nm CMOS (Horowitz, ISSCC 2014), for both
// paradigms, although the spiking engine computes in double precision.
//   add (also subtract, compare)  0.9 pJ   Horowitz 2014
//   multiply                      3.7 pJ   Horowitz 2014
//   divide (also square root)    18.4 pJ   assumed: 4 multiply-adds (a Newton-Raphson reciprocal)
//   exp                          36.8 pJ   assumed: 8 multiply-adds (range reduction and a
//                                          polynomial); Horowitz gives no figure for either
//   32-bit SRAM access              5 pJ   Horowitz 2014 as tabulated by Han et al. 2016
//   32-bit DRAM access            640 pJ   Horowitz 2014 as tabulated by Han et al. 2016
//
// Each operation class (OperationCost) has its arithmetic operations, counted from the code
// that performs it (the counts and their reasons are in energy.cpp), and the bytes of weights
// and state it reads and writes beyond registers (32-bit values). Three totals per example:
//   arithmetic   sum of count x arithmetic cost: the usual convention of SNN papers;
//   + SRAM       every byte moved priced as an on-chip SRAM access: a lower bound on memory
//                traffic, right when weights and state fit on chip (the 784 x 100 networks of
//                the demo: about 310 kB of weights each);
//   + DRAM       every byte moved priced as a DRAM access: the bound when nothing is cached.
// Reads and writes are priced alike.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "models/optimizer.hpp"
#include "sim/metric_sink.hpp"
#include "sim/network_spec.hpp"

namespace spikerate::sim::train {

// Per-operation figures (above).
inline constexpr double pj_fp32_add = 0.9;
inline constexpr double pj_fp32_mul = 3.7;
inline constexpr double pj_fp32_mac = 4.6;  // multiply + add (written out: 0.9 + 3.7 rounds up)
inline constexpr double pj_fp32_div = 4.0 * pj_fp32_mac;
inline constexpr double pj_fp32_exp = 8.0 * pj_fp32_mac;
inline constexpr double pj_sram_32bit = 5.0;
inline constexpr double pj_dram_32bit = 640.0;
inline constexpr double pj_neuron_update_loihi_inactive = 52.0;  // Davies et al. 2018 (SANA-FE)
inline constexpr double pj_neuron_update_loihi_active = 81.0;

// The conventional figures of earlier versions (still written to /metrics/energy): an
// accumulate per synaptic event, a MAC per multiply-accumulate, Loihi's synaptic operation.
inline constexpr double pj_per_accumulate_45nm = pj_fp32_add;
inline constexpr double pj_per_mac_45nm = pj_fp32_mac;
inline constexpr double pj_per_synaptic_op_loihi = 23.6;  // Loihi (Davies et al. 2018)

inline constexpr std::string_view source_horowitz =
    "Horowitz, ISSCC 2014: 45 nm CMOS, 32-bit float add 0.9 pJ, multiply 3.7 pJ";
inline constexpr std::string_view source_division =
    "assumed: 4 fp32 multiply-adds at Horowitz 2014's 45 nm figures (Newton-Raphson "
    "reciprocal); no published figure in the sources used";
inline constexpr std::string_view source_exp =
    "assumed: 8 fp32 multiply-adds at Horowitz 2014's 45 nm figures (range reduction and a "
    "polynomial); no published figure in the sources used";
inline constexpr std::string_view source_sram =
    "Horowitz, ISSCC 2014, as tabulated by Han et al. 2016: 32-bit SRAM (cache) access 5 pJ";
inline constexpr std::string_view source_dram =
    "Horowitz, ISSCC 2014, as tabulated by Han et al. 2016: 32-bit DRAM access 640 pJ";
inline constexpr std::string_view source_loihi_synaptic_op =
    "Davies et al., IEEE Micro 2018: Loihi, 23.6 pJ per synaptic operation";
inline constexpr std::string_view source_loihi_neuron_update =
    "Davies et al., IEEE Micro 2018, as tabulated by SANA-FE: Loihi neuron update 52 pJ "
    "(inactive) to 81 pJ (active)";

// Arithmetic operations of one operation (adds count subtractions and comparisons; divisions
// count square roots).
struct OpCounts {
    double adds = 0.0;
    double multiplies = 0.0;
    double divisions = 0.0;
    double exps = 0.0;

    double arithmetic_pj() const {
        return adds * pj_fp32_add + multiplies * pj_fp32_mul + divisions * pj_fp32_div +
               exps * pj_fp32_exp;
    }
    bool operator==(const OpCounts&) const = default;
};

// One operation class: what one counted operation does and costs.
struct OperationCost {
    std::string id;  // e.g. "synaptic_event", "neuron_update_exc" (a metric group name)
    OpCounts ops;
    double bytes_read = 0.0;     // weights and state read beyond registers, 32-bit values
    double bytes_written = 0.0;  // weights and state written
    std::string counted_from;    // where the operations were counted, and what is left out
    double loihi_pj = -1.0;      // on Loihi, when a published figure prices it; < 0: none

    double arithmetic_pj() const { return ops.arithmetic_pj(); }
    double sram_traffic_pj() const { return (bytes_read + bytes_written) / 4.0 * pj_sram_32bit; }
    double dram_traffic_pj() const { return (bytes_read + bytes_written) / 4.0 * pj_dram_32bit; }
};

// Spiking side.
// One synaptic event delivered: the target's conductance += weight.
OperationCost synaptic_event_cost();
// One neuron advanced by one step of `integration`, threshold test included (`model` is the
// catalog id; lif_cond with exponential_euler, euler or rk4). Throws Error for another pair.
// `id` names the class ("neuron_update" or a population's).
OperationCost neuron_update_cost(std::string_view model, Integration integration,
                                 const std::string& id = "neuron_update");
// One weight update of the rule `rule` (catalog id; nearest_triplet_stdp, triplet_stdp,
// reward_stdp) by a presynaptic spike (on_pre) or a postsynaptic one (on_post). Throws Error
// for another rule.
OperationCost plasticity_pre_cost(std::string_view rule);
OperationCost plasticity_post_cost(std::string_view rule);
// The rule's post term for on_pre, once per postsynaptic neuron and step with arrivals (shared
// by that step's pre updates onto the neuron).
OperationCost plasticity_post_term_cost(std::string_view rule);
// One synapse's update by a modulator event (reward_stdp's on_modulator: every synapse of the
// target projection, per event). Throws Error for a rule without a count.
OperationCost plasticity_modulator_cost(std::string_view rule);

// Rate side (fp32 Eigen).
OperationCost mac_forward_cost();
OperationCost mac_backward_cost();
// One parameter (weight or bias) updated by one optimizer step.
OperationCost weight_update_cost(models::OptimizerKind kind);

// One line of an energy table: a class and how many of its operations one example took.
struct EnergyLine {
    OperationCost cost;
    double count_per_example = 0.0;
};

struct EnergyTotals {
    double arithmetic_pj = 0.0;  // per example
    double with_sram_pj = 0.0;   // arithmetic + memory traffic at SRAM prices
    double with_dram_pj = 0.0;   // arithmetic + memory traffic at DRAM prices
    // At Loihi's figures, when every line has one (synaptic events and neuron updates do;
    // plasticity and rate-network operations do not); < 0 otherwise.
    double loihi_pj = -1.0;
};

// Sums count x cost over the lines.
EnergyTotals energy_totals(std::span<const EnergyLine> lines);

// Writes to `sink` (layout: sim/io/FORMAT.md):
//   <base>/costs/<class>/{adds, multiplies, divisions, exps, bytes_read, bytes_written,
//                         arithmetic_pj, sram_traffic_pj, dram_traffic_pj} (with sources)
// for every line, and for the phase
//   <base>/<phase>/<class>_per_example, <base>/<phase>/{arithmetic, with_sram, with_dram}_pj
//   _per_example (and loihi_pj_per_example when every line has a Loihi figure).
void write_energy(MetricSink& sink, const std::string& base, const std::string& phase,
                  std::span<const EnergyLine> lines);

// The per-operation figures above, with their sources, under energy/ (the run's constants).
void write_energy_constants(MetricSink& sink);

}  // namespace spikerate::sim::train
