#include "sim/train/energy.hpp"

#include <fmt/format.h>

#include "models/error.hpp"

namespace spikerate::sim::train {

// The operation counts below are per neuron, synapse or parameter; constants computed once per
// step or per population (decay factors, step averages) are not counted. 32-bit values: 4 bytes.

OperationCost synaptic_event_cost() {
    // Projection::propagate: summed[target] += w. The weight is read, the target's conductance
    // read and written (events scatter: no register holds the sum).
    return OperationCost{.id = "synaptic_event",
                         .ops = {.adds = 1},
                         .bytes_read = 8,
                         .bytes_written = 4,
                         .counted_from =
                             "sim/projection.cpp deliver: g[target] += w (read w, "
                             "read and write g)",
                         .loihi_pj = pj_per_synaptic_op_loihi};
}

OperationCost neuron_update_cost(std::string_view model, Integration integration,
                                 const std::string& id) {
    if (model != "lif_cond") {
        throw Error(fmt::format("energy: no neuron-update count for model '{}'", model));
    }
    // Every step of lif_cond reads and writes its four state variables (V_m, g_e, g_i, theta),
    // and tests the threshold: V_m - theta >= V_th (one subtraction, one comparison).
    // The refractory clamp (a few neurons, a few steps) is not counted.
    OperationCost cost{.id = id,
                       .bytes_read = 16,
                       .bytes_written = 16,
                       .loihi_pj = pj_neuron_update_loihi_inactive};
    switch (integration) {
        case Integration::exponential_euler:
            // LifCond::exponential_euler_step, per neuron:
            //   g_tot = g_L + g_e*mean_e + g_i*mean_i                       2 mul, 2 add
            //   V_inf = (c0 + g_e*c1 + g_i*c2 + I_e) / g_tot               2 mul, 3 add, 1 div
            //   V = V_inf + (V - V_inf) * exp(-(dt/C_m) * g_tot)             2 mul, 2 add, 1 exp
            //   g_e *= decay_e; g_i *= decay_i; theta *= decay_theta        3 mul
            //   threshold                                                   2 add
            cost.ops = {.adds = 9, .multiplies = 9, .divisions = 1, .exps = 1};
            cost.counted_from =
                "models/lif_cond.cpp LifCond::exponential_euler_step and above_threshold";
            break;
        case Integration::euler:
            // LifCond::rates: g_L*(E_L-V) + g_e*(E_e-V) + g_i*(E_i-V) + I_e, * 1/C_m
            //                                                               4 mul, 6 add
            //   g_e, g_i, theta rates                                       3 mul
            //   x += dt * rate, four variables                              4 mul, 4 add
            //   threshold                                                   2 add
            cost.ops = {.adds = 12, .multiplies = 11};
            cost.counted_from = "models/lif_cond.cpp LifCond::euler_step and above_threshold";
            break;
        case Integration::rk4:
            // LifCond::rk4_step: four V_m rates (4 mul, 6 add each)        16 mul, 24 add
            //   stage arguments V + h*k (three)                             3 mul, 3 add
            //   stage conductances g*c (two, three stages)                  6 mul
            //   V + dt/6 k1 + dt/3 k2 + dt/3 k3 + dt/6 k4                   4 mul, 4 add
            //   g_e, g_i, theta at the end of the step                      3 mul
            //   threshold                                                   2 add
            cost.ops = {.adds = 33, .multiplies = 32};
            cost.counted_from = "models/lif_cond.cpp LifCond::rk4_step and above_threshold";
            break;
        default:
            throw Error(
                fmt::format("energy: no neuron-update count for lif_cond with this "
                            "integration (exponential_euler, euler, rk4 are counted)"));
    }
    return cost;
}

namespace {

[[noreturn]] void no_count(std::string_view rule) {
    throw Error(
        fmt::format("energy: no plasticity-update count for rule '{}' (counted: "
                    "nearest_triplet_stdp, triplet_stdp, reward_stdp)",
                    rule));
}

// reward_stdp's catch-up of one synapse to t (models/reward_stdp.hpp RewardStdp::advance), the
// first step of each of its updates:
//   dt = t - t_syn; the test dt > 0                          2 add
//   ec = expm1(-dt / tau_c), en = expm1(-dt / tau_n)          2 div, 2 exp
//   the test c != 0                                          1 add
//   es = ec + en + ec en                                     2 add, 1 mul
//   dw = c (-n tau_s es + b tau_c ec)                        1 add, 5 mul
//   c += c ec; n += n en                                     2 add, 2 mul
// Read: c, n and t_syn; written: c, n, t_syn (the bytes are in each update's figures).
constexpr OpCounts reward_advance{.adds = 8, .multiplies = 8, .divisions = 2, .exps = 2};

OpCounts plus(OpCounts a, const OpCounts& b) {
    a.adds += b.adds;
    a.multiplies += b.multiplies;
    a.divisions += b.divisions;
    a.exps += b.exps;
    return a;
}

// An all-to-all trace bumped at t: value exp(-(t - t_last) / tau) + 1 (models/exp_trace.hpp
// add_one); a nearest-spike trace is set to one without arithmetic: priced as all_to_all, an
// upper bound.
constexpr OpCounts trace_bump{.adds = 2, .multiplies = 1, .divisions = 1, .exps = 1};
// A trace read at t: value exp(-(t - t_last) / tau).
constexpr OpCounts trace_at{.adds = 1, .multiplies = 1, .divisions = 1, .exps = 1};
// The engine's w + dw clipped to [w_min, w_max] (one add, two comparisons).
constexpr OpCounts clipped_add{.adds = 3};

}  // namespace

OperationCost plasticity_pre_cost(std::string_view rule) {
    if (rule == "nearest_triplet_stdp") {
        // A presynaptic spike at a plastic synapse (Projection deliver_on_grid, on_pre):
        //   w + post term, clipped to [w_min, w_max]                 3 add
        //   x_pre = 1 (the synapse's last pre spike time is written)
        // The weight itself was read by the synaptic event; read: the post term; written: the
        // weight and the pre trace. The post term is its own class (plasticity_post_term).
        return OperationCost{.id = "plasticity_pre",
                             .ops = {.adds = 3},
                             .bytes_read = 4,
                             .bytes_written = 8,
                             .counted_from =
                                 "models/nearest_triplet_stdp.hpp on_pre; "
                                 "sim/projection.cpp deliver_on_grid"};
    }
    if (rule == "triplet_stdp") {
        // TripletStdp::on_pre, per synapse:
        //   r2(t)                                                    1 add, 1 div, 1 exp, 1 mul
        //   dw = post term * (A2_minus + A3_minus r2)                1 add, 2 mul
        //   r1, r2 bumped (all_to_all; nearest: set to one)          4 add, 2 div, 2 exp, 2 mul
        //   w + dw, clipped                                          3 add
        // The weight was read by the synaptic event; read: r1, r2 (value and time each) and
        // the post term; written: the weight, r1 and r2.
        return OperationCost{
            .id = "plasticity_pre",
            .ops = plus(
                plus(plus(trace_at, {.adds = 1, .multiplies = 2}), plus(trace_bump, trace_bump)),
                clipped_add),
            .bytes_read = 20,
            .bytes_written = 20,
            .counted_from =
                "models/triplet_stdp.hpp on_pre (traces bumped all_to_all: an upper bound for "
                "nearest); sim/projection.cpp deliver_on_grid"};
    }
    if (rule == "reward_stdp") {
        // RewardStdp::on_pre, per synapse:
        //   the synapse caught up to t (advance, above)              8 add, 8 mul, 2 div, 2 exp
        //   c += post term                                           1 add
        //   x_pre bumped (all_to_all; nearest: set to one)           2 add, 1 mul, 1 div, 1 exp
        //   w + dw, clipped                                          3 add
        // The weight was read by the synaptic event; read: c, n, t_syn, x_pre (value and time),
        // the post term; written: the weight, c, n, t_syn, x_pre.
        return OperationCost{
            .id = "plasticity_pre",
            .ops = plus(plus(reward_advance, {.adds = 1}), plus(trace_bump, clipped_add)),
            .bytes_read = 24,
            .bytes_written = 24,
            .counted_from =
                "models/reward_stdp.hpp on_pre and advance (trace bumped all_to_all: an upper "
                "bound for nearest); sim/projection.cpp deliver_on_grid"};
    }
    no_count(rule);
}

OperationCost plasticity_post_term_cost(std::string_view rule) {
    if (rule == "nearest_triplet_stdp") {
        // NearestTripletStdp::post_term(s), per postsynaptic neuron and step with arrivals:
        //   -nu_pre * exp(-(t - t_post1) / tau_post1)                1 add, 1 div, 1 exp, 1 mul
        // Read: the neuron's post trace; written: the term, for the step's pre updates.
        return OperationCost{.id = "plasticity_post_term",
                             .ops = {.adds = 1, .multiplies = 1, .divisions = 1, .exps = 1},
                             .bytes_read = 4,
                             .bytes_written = 4,
                             .counted_from =
                                 "models/nearest_triplet_stdp.hpp post_terms; "
                                 "sim/projection.cpp deliver_on_grid"};
    }
    if (rule == "triplet_stdp") {
        // TripletStdp::post_terms: -o1(t)                           1 add, 1 div, 1 exp, 1 mul
        // Read: o1 (value and time); written: the term.
        return OperationCost{.id = "plasticity_post_term",
                             .ops = trace_at,
                             .bytes_read = 8,
                             .bytes_written = 4,
                             .counted_from =
                                 "models/triplet_stdp.hpp post_terms; "
                                 "sim/projection.cpp deliver_on_grid"};
    }
    if (rule == "reward_stdp") {
        // RewardStdp::post_terms: -A_minus x_post(t)                1 add, 1 div, 1 exp, 2 mul
        // Read: x_post (value and time); written: the term.
        return OperationCost{.id = "plasticity_post_term",
                             .ops = plus(trace_at, {.multiplies = 1}),
                             .bytes_read = 8,
                             .bytes_written = 4,
                             .counted_from =
                                 "models/reward_stdp.hpp post_terms; "
                                 "sim/projection.cpp deliver_on_grid"};
    }
    no_count(rule);
}

OperationCost plasticity_post_cost(std::string_view rule) {
    if (rule == "nearest_triplet_stdp") {
        // A postsynaptic spike, per incoming synapse (Projection::apply_post_spikes, on_post):
        //   x_pre(t) = exp(-(t - t_pre) / tau_pre)                   1 add, 1 div, 1 exp
        //   x_post2(t) = exp(-(t - t_post2) / tau_post2)             1 add, 1 div, 1 exp
        //     (once per neuron in a hardware design; priced per synapse here, an upper bound)
        //   dw = nu_post * x_pre * x_post2                           2 mul
        //   w + dw, clipped                                          3 add
        // Read: the weight, the pre trace, the post trace; written: the weight.
        return OperationCost{.id = "plasticity_post",
                             .ops = {.adds = 5, .multiplies = 2, .divisions = 2, .exps = 2},
                             .bytes_read = 12,
                             .bytes_written = 4,
                             .counted_from =
                                 "models/nearest_triplet_stdp.hpp on_post; "
                                 "sim/projection.cpp apply_post_spikes"};
    }
    if (rule == "triplet_stdp") {
        // TripletStdp::on_post, per incoming synapse:
        //   r1(t), o2(t) (o2 once per neuron in a hardware design;
        //     priced per synapse, an upper bound)                   2 add, 2 div, 2 exp, 2 mul
        //   dw = r1 (A2_plus + A3_plus o2)                           1 add, 2 mul
        //   w + dw, clipped                                          3 add
        // Read: the weight, r1 and o2 (value and time each); written: the weight. The neuron's
        // o1, o2 bumps (after_post) are once per spike, not per synapse: not counted.
        return OperationCost{
            .id = "plasticity_post",
            .ops = plus(plus(trace_at, trace_at), plus({.adds = 1, .multiplies = 2}, clipped_add)),
            .bytes_read = 20,
            .bytes_written = 4,
            .counted_from =
                "models/triplet_stdp.hpp on_post; sim/projection.cpp apply_post_spikes"};
    }
    if (rule == "reward_stdp") {
        // RewardStdp::on_post, per incoming synapse:
        //   the synapse caught up to t (advance, above)              8 add, 8 mul, 2 div, 2 exp
        //   c += A_plus x_pre(t)                                     2 add, 2 mul, 1 div, 1 exp
        //   w + dw, clipped                                          3 add
        // Read: the weight, c, n, t_syn, x_pre (value and time); written: the weight, c, n,
        // t_syn. The neuron's x_post bump (after_post) is once per spike: not counted.
        return OperationCost{
            .id = "plasticity_post",
            .ops = plus(plus(reward_advance, trace_at),
                        plus({.adds = 1, .multiplies = 1}, clipped_add)),
            .bytes_read = 24,
            .bytes_written = 16,
            .counted_from =
                "models/reward_stdp.hpp on_post and advance; sim/projection.cpp apply_post_spikes"};
    }
    no_count(rule);
}

OperationCost plasticity_modulator_cost(std::string_view rule) {
    if (rule != "reward_stdp") {
        throw Error(
            fmt::format("energy: no modulator-update count for rule '{}' (counted: "
                        "reward_stdp)",
                        rule));
    }
    // A modulator event reaches every synapse of the projection (Projection::deliver_modulator,
    // RewardStdp::on_modulator), per synapse:
    //   the synapse caught up to t (advance, above)                  8 add, 8 mul, 2 div, 2 exp
    //   n += value                                                   1 add
    //   w + dw, clipped                                              3 add
    // Read: the weight, c, n, t_syn; written: the same. Every synapse is touched, whether it is
    // eligible or not, as the engine does (a design that skips c = 0 would do less).
    return OperationCost{.id = "plasticity_modulator",
                         .ops = plus(plus(reward_advance, {.adds = 1}), clipped_add),
                         .bytes_read = 16,
                         .bytes_written = 16,
                         .counted_from =
                             "models/reward_stdp.hpp on_modulator and advance; sim/projection.cpp "
                             "deliver_modulator"};
}

OperationCost mac_forward_cost() {
    // W x: one multiply and one add per weight; the weight and the input activation are read,
    // the sum stays in a register.
    return OperationCost{.id = "mac_forward",
                         .ops = {.adds = 1, .multiplies = 1},
                         .bytes_read = 8,
                         .bytes_written = 0,
                         .counted_from =
                             "models/rate_network.cpp forward_macs_per_example: one "
                             "per weight (bias and activation not counted)"};
}

OperationCost mac_backward_cost() {
    // W^T delta (layers after the first) and delta x^T (every layer): one multiply and one add,
    // two operands read, the sum in a register (the gradient is written once per step: see
    // weight_update_cost).
    return OperationCost{.id = "mac_backward",
                         .ops = {.adds = 1, .multiplies = 1},
                         .bytes_read = 8,
                         .bytes_written = 0,
                         .counted_from =
                             "models/rate_network.cpp backward_macs_per_example "
                             "(activation derivatives and L2 term not counted)"};
}

OperationCost weight_update_cost(models::OptimizerKind kind) {
    // models/optimizer.cpp BasicOptimizer::update, per parameter. Every kind reads the weight
    // and the gradient and writes the weight; the gradient's write by the backward pass is
    // counted here (4 bytes).
    OperationCost cost{.id = "weight_update"};
    switch (kind) {
        case models::OptimizerKind::sgd:
            // w -= lr * g                                            1 mul, 1 add
            cost.ops = {.adds = 1, .multiplies = 1};
            cost.bytes_read = 8;
            cost.bytes_written = 8;
            cost.counted_from = "models/optimizer.cpp update, sgd";
            break;
        case models::OptimizerKind::momentum:
            // v = mu * v + g; w -= lr * v                            2 mul, 2 add; v read, written
            cost.ops = {.adds = 2, .multiplies = 2};
            cost.bytes_read = 12;
            cost.bytes_written = 12;
            cost.counted_from = "models/optimizer.cpp update, momentum";
            break;
        case models::OptimizerKind::adam:
            // m = b1 m + (1 - b1) g                                  2 mul, 1 add
            // s = b2 s + (1 - b2) g^2                                3 mul, 1 add
            // w -= step * m / (sqrt(s) / sqrt_c2 + eps)              1 mul, 2 add, 1 sqrt, 2 div
            cost.ops = {.adds = 4, .multiplies = 6, .divisions = 3};
            cost.bytes_read = 16;
            cost.bytes_written = 16;
            cost.counted_from = "models/optimizer.cpp update, adam (sqrt counted as a division)";
            break;
    }
    return cost;
}

EnergyTotals energy_totals(std::span<const EnergyLine> lines) {
    EnergyTotals t;
    double loihi = 0.0;
    bool all_loihi = !lines.empty();
    for (const auto& line : lines) {
        const double n = line.count_per_example;
        const double arithmetic = n * line.cost.arithmetic_pj();
        t.arithmetic_pj += arithmetic;
        t.with_sram_pj += arithmetic + n * line.cost.sram_traffic_pj();
        t.with_dram_pj += arithmetic + n * line.cost.dram_traffic_pj();
        if (line.cost.loihi_pj >= 0.0) {
            loihi += n * line.cost.loihi_pj;
        } else if (n > 0.0) {
            all_loihi = false;
        }
    }
    t.loihi_pj = all_loihi ? loihi : -1.0;
    return t;
}

void write_energy(MetricSink& sink, const std::string& base, const std::string& phase,
                  std::span<const EnergyLine> lines) {
    for (const auto& line : lines) {
        const OperationCost& c = line.cost;
        const std::string cost = fmt::format("{}/costs/{}/", base, c.id);
        const std::string counted = std::string(c.counted_from);
        sink.write_cost(cost + "adds", c.ops.adds, "", counted);
        sink.write_cost(cost + "multiplies", c.ops.multiplies, "", counted);
        sink.write_cost(cost + "divisions", c.ops.divisions, "", counted);
        sink.write_cost(cost + "exps", c.ops.exps, "", counted);
        sink.write_cost(cost + "bytes_read", c.bytes_read, "B", counted);
        sink.write_cost(cost + "bytes_written", c.bytes_written, "B", counted);
        sink.write_cost(cost + "arithmetic_pj", c.arithmetic_pj(), "pJ",
                        fmt::format("{}; {}; {}", source_horowitz, source_division, source_exp));
        sink.write_cost(cost + "sram_traffic_pj", c.sram_traffic_pj(), "pJ",
                        std::string(source_sram));
        sink.write_cost(cost + "dram_traffic_pj", c.dram_traffic_pj(), "pJ",
                        std::string(source_dram));
        if (c.loihi_pj >= 0.0) {
            sink.write_cost(cost + "loihi_pj", c.loihi_pj, "pJ",
                            std::string(c.id == "synaptic_event" ? source_loihi_synaptic_op
                                                                 : source_loihi_neuron_update));
        }
        sink.write_metric(fmt::format("{}/{}/{}_per_example", base, phase, c.id),
                          line.count_per_example, "");
    }
    const EnergyTotals t = energy_totals(lines);
    const std::string totals = fmt::format("{}/{}/", base, phase);
    sink.write_cost(totals + "arithmetic_pj_per_example", t.arithmetic_pj, "pJ",
                    "sum over the classes of count x costs/<class>/arithmetic_pj");
    sink.write_cost(totals + "with_sram_pj_per_example", t.with_sram_pj, "pJ",
                    "sum over the classes of count x (arithmetic_pj + sram_traffic_pj)");
    sink.write_cost(totals + "with_dram_pj_per_example", t.with_dram_pj, "pJ",
                    "sum over the classes of count x (arithmetic_pj + dram_traffic_pj)");
    if (t.loihi_pj >= 0.0) {
        sink.write_cost(totals + "loihi_pj_per_example", t.loihi_pj, "pJ",
                        "sum over the classes of count x costs/<class>/loihi_pj (neuron updates "
                        "at the inactive figure: a lower bound)");
    }
}

void write_energy_constants(MetricSink& sink) {
    sink.write_cost("energy/pj_per_accumulate_45nm", pj_per_accumulate_45nm, "pJ",
                    std::string(source_horowitz));
    sink.write_cost("energy/pj_per_mac_45nm", pj_per_mac_45nm, "pJ", std::string(source_horowitz));
    sink.write_cost("energy/pj_per_synaptic_op_loihi", pj_per_synaptic_op_loihi, "pJ",
                    std::string(source_loihi_synaptic_op));
    sink.write_cost("energy/pj_fp32_add", pj_fp32_add, "pJ", std::string(source_horowitz));
    sink.write_cost("energy/pj_fp32_mul", pj_fp32_mul, "pJ", std::string(source_horowitz));
    sink.write_cost("energy/pj_fp32_div", pj_fp32_div, "pJ", std::string(source_division));
    sink.write_cost("energy/pj_fp32_exp", pj_fp32_exp, "pJ", std::string(source_exp));
    sink.write_cost("energy/pj_sram_32bit", pj_sram_32bit, "pJ", std::string(source_sram));
    sink.write_cost("energy/pj_dram_32bit", pj_dram_32bit, "pJ", std::string(source_dram));
    sink.write_cost("energy/pj_neuron_update_loihi", pj_neuron_update_loihi_inactive, "pJ",
                    std::string(source_loihi_neuron_update));
}

}  // namespace spikerate::sim::train
