// Malformed scenarios: every failure names the file and line (or the --set override), the key
// path and what was expected.

#include <filesystem>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "sim/io/scenario.hpp"
#include "tests/sim/io/scenario_test_util.hpp"

namespace {

using Catch::Matchers::Contains;
using spikerate::ScenarioError;
using spikerate::sim::io::parse_scenario;

using scenario_test::error_of;
using scenario_test::fixtures;

}  // namespace

namespace {

struct Malformed {
    const char* name;
    std::string text;
    std::vector<std::string> overrides;
    std::vector<std::string> expected;  // substrings of the message
};

// The spike-train fixtures are named relative to the scenario, which "lives" in fixtures/.
std::string fixture_source() { return (fixtures / "bad.toml").string(); }

const std::vector<Malformed>& malformed_cases() {
    // One case per entry: name, scenario text (line 1 starts right after R"( ), overrides, and
    // what the message must contain.
    // clang-format off
    static const std::vector<Malformed> cases{
        {"TOML syntax error", R"([populations.exc
model = "lif_curr"
)", {}, {"bad.toml:1:", "TOML syntax error"}},

        {"duplicate table (a TOML error)", R"([populations.exc]
model = "lif_curr"
size = 1
[populations.exc]
size = 2
)", {}, {"bad.toml:4:", "TOML syntax error"}},

        {"unknown key with a suggestion", R"([populations.exc]
model = "lif_curr"
size = 10
tau_mm_ms = 20.0
)", {}, {"bad.toml:4: populations.exc.tau_mm_ms: unknown key (did you mean 'tau_m_ms'?)"}},

        {"parameter without its unit suffix", R"([populations.exc]
model = "lif_cond"
size = 10
g_L = 10.0
)", {}, {"bad.toml:4: populations.exc.g_L: unknown key (did you mean 'g_L_nS'?)"}},

        {"parameter of another model", R"([populations.exc]
model = "lif_cond"
size = 10
tau_m_ms = 10.0
)", {}, {"bad.toml:4: populations.exc.tau_m_ms: unknown key"}},

        {"unknown top-level table", R"([simulation]
dt_ms = 0.1
[populations.exc]
model = "lif_curr"
size = 1
)", {}, {"bad.toml:1: simulation: unknown key (expected one of: run, populations, projections, modulators, record, task, training, rate, spiking)"}},

        {"misspelt top-level table", R"([populations.exc]
model = "lif_curr"
size = 1
[projection.x]
pre = "exc"
)", {}, {"bad.toml:4: projection: unknown key (did you mean 'projections'?)"}},

        {"no populations", R"([run]
dt_ms = 0.1
)", {}, {"bad.toml:1: populations: missing required key"}},

        {"wrong type: string for an integer", R"([populations.exc]
model = "lif_curr"
size = "ten"
)", {}, {"bad.toml:3: populations.exc.size: expected an integer, got a string"}},

        {"wrong type: float for an integer", R"([populations.exc]
model = "lif_curr"
size = 10.0
)", {}, {"bad.toml:3: populations.exc.size: expected an integer, got a float"}},

        {"wrong type: string for a number", R"([populations.exc]
model = "lif_curr"
size = 10
tau_m_ms = "20"
)", {}, {"bad.toml:4: populations.exc.tau_m_ms: expected a number, got a string"}},

        {"wrong type: number for a boolean", R"([populations.exc]
model = "lif_cond"
size = 10
theta_frozen = 1
)", {}, {"bad.toml:4: populations.exc.theta_frozen: expected a boolean"}},

        {"missing model", R"([populations.exc]
size = 10
)", {}, {"bad.toml:1: populations.exc.model: missing required key (expected a string, one of: lif_curr, lif_cond"}},

        {"misspelt model key", R"([populations.exc]
modle = "lif_curr"
size = 10
)", {}, {"bad.toml:2: populations.exc.modle: unknown key (did you mean 'model'?)"}},

        {"missing size", R"(
[populations.exc]
model = "lif_curr"
)", {}, {"bad.toml:2: populations.exc.size: missing required key (expected an integer >= 1)"}},

        {"zero size", R"([populations.exc]
model = "lif_curr"
size = 0
)", {}, {"bad.toml:3: populations.exc.size: 0: must be >= 1"}},

        {"negative size", R"([populations.exc]
model = "lif_curr"
size = -3
)", {}, {"bad.toml:3: populations.exc.size: -3: must be >= 1"}},

        {"unknown model", R"([populations.exc]
model = "lif_con"
size = 10
)", {}, {"bad.toml:2: populations.exc.model: unknown model 'lif_con' (did you mean 'lif_cond'? expected one of: lif_curr, lif_cond"}},

        {"negative time constant", R"([populations.exc]
model = "lif_curr"
size = 10
tau_m_ms = -20.0
)", {}, {"bad.toml:4: populations.exc.tau_m_ms: -20 ms: must be > 0"}},

        {"V_reset >= V_th", R"([populations.exc]
model = "lif_curr"
size = 10
V_th_mV = -55.0
V_reset_mV = -50.0
)", {}, {"bad.toml:5: populations.exc.V_reset_mV: -50 mV must be below V_th = -55 mV"}},

        {"V_th below the default V_reset", R"([populations.exc]
model = "lif_curr"
size = 10
V_th_mV = -75.0
)", {}, {"bad.toml:1: populations.exc.V_reset_mV: -70 mV must be below V_th = -75 mV (the default value)"}},

        {"adex_cond: a reversal potential that is not finite", R"([populations.exc]
model = "adex_cond"
size = 1
E_i_mV = nan
)", {}, {"bad.toml:4: populations.exc.E_i_mV: nan mV: must be a finite number"}},

        {"adex_cond: Delta_T too small for V_peak (the exponential would overflow)", R"([populations.exc]
model = "adex_cond"
size = 1
V_T_mV = -50.0
Delta_T_mV = 0.05
)", {}, {"bad.toml:5: populations.exc.Delta_T_mV: 0.05 mV: must be at least (V_peak - V_T) / 500 = 0.1 mV"}},

        {"unknown integration", R"([populations.exc]
model = "lif_curr"
size = 1
integration = "rk5"
)", {}, {"bad.toml:4: populations.exc.integration: unknown integration 'rk5' (did you mean 'rk4'? expected one of: automatic, rk4, euler, exponential_euler, dopri5, exact, precise, izhikevich_half_steps)"}},

        {"exact integration of a model without a propagator", R"([populations.exc]
model = "lif_cond"
size = 1
integration = "exact"
)", {}, {"bad.toml:4: populations.exc.integration: exact: needs a model with an exact propagator"}},

        {"unknown state variable in initial", R"([populations.exc]
model = "lif_cond"
size = 1
initial = { V_mV = -65.0 }
)", {}, {"bad.toml:4: populations.exc.initial.V_mV: unknown key (did you mean 'V_m_mV'?)"}},

        {"bad distribution table", R"([populations.exc]
model = "lif_curr"
size = 1
initial = { V_m_mV = { gauss = [-65.0, 5.0] } }
)", {}, {"bad.toml:4: populations.exc.initial.V_m_mV.gauss: unknown key (expected one of: uniform, normal, within)"}},

        {"distribution with one number", R"([populations.exc]
model = "lif_curr"
size = 1
initial = { V_m_mV = { uniform = [-65.0] } }
)", {}, {"bad.toml:4: populations.exc.initial.V_m_mV.uniform: expected an array of 2 numbers [low, high], got 1 elements"}},

        {"distribution with a negative sd", R"([populations.exc]
model = "lif_curr"
size = 1
initial = { V_m_mV = { normal = [-65.0, -1.0] } }
)", {}, {"bad.toml:4: populations.exc.initial.V_m_mV: normal(mean -65 mV, sd -1 mV): sd must be >= 0"}},

        {"population name with a slash", R"([populations."a/b"]
model = "lif_curr"
size = 1
)", {}, {"bad.toml:1: populations.\"a/b\": a population name must not contain '/'"}},

        {"poisson rate above one spike per step", R"([populations.in]
model = "poisson"
size = 1
rate_Hz = 20000.0
)", {}, {"bad.toml:4: populations.in.rate_Hz: 20000 Hz exceeds one spike per step"}},

        {"spike-train node id out of range", R"([populations.in]
model = "spike_train"
size = 3
times_ms = [1.0, 2.0]
node_ids = [0,
            5]
)", {}, {"bad.toml:6: populations.in.node_ids[1]: 5: out of range for size 3"}},

        {"spike-train times without node ids", R"([populations.in]
model = "spike_train"
size = 3
times_ms = [1.0, 2.0]
)", {}, {"bad.toml:1: populations.in.node_ids: missing required key"}},

        {"spike-train file missing", R"([populations.in]
model = "spike_train"
size = 3
file = "missing.csv"
)", {}, {"bad.toml:4: populations.in.file: cannot open '", "missing.csv': no such file"}},

        {"spike-train file node id out of range", R"([populations.in]
model = "spike_train"
size = 4
file = "out_of_range.csv"
)", {}, {"bad.toml:4: populations.in.file: ", "out_of_range.csv:3: node_id 9: out of range for size 4"}},

        {"spike-train file with a wrong header", R"([populations.in]
model = "spike_train"
size = 4
file = "bad_header.csv"
)", {}, {"bad.toml:4: populations.in.file: ", "bad_header.csv:1: expected the header 'node_id,time_ms', got 'neuron,time'"}},

        {"spike-train file with a malformed row", R"([populations.in]
model = "spike_train"
size = 4
file = "bad_row.csv"
)", {}, {"bad.toml:4: populations.in.file: ", "bad_row.csv:3: time_ms 'abc': expected a number"}},

        {"spike-train file and inline spikes", R"([populations.in]
model = "spike_train"
size = 4
file = "spikes.csv"
times_ms = [1.0]
node_ids = [0]
)", {}, {"bad.toml:4: populations.in.file: give either file or times_ms and node_ids, not both"}},

        {"projection to a missing population", R"([populations.exc]
model = "lif_curr"
size = 1
[populations.inh]
model = "lif_curr"
size = 1
[projections.x]
pre = "exc"
post = "inhh"
weight_pA = 1.0
)", {}, {"bad.toml:9: projections.x.post: unknown population 'inhh' (did you mean 'inh'? expected one of: exc, inh)"}},

        {"projection onto a source", R"([populations.exc]
model = "lif_curr"
size = 1
[populations.in]
model = "poisson"
size = 1
[projections.x]
pre = "exc"
post = "in"
weight_pA = 1.0
)", {}, {"bad.toml:9: projections.x.post: 'in' is a poisson source, which takes no input"}},

        {"delay < dt from a source", R"([run]
dt_ms = 0.1
[populations.in]
model = "poisson"
size = 2
rate_Hz = 5.0
[populations.exc]
model = "lif_curr"
size = 2
[projections.x]
pre = "in"
post = "exc"
weight_pA = 1.0
delay_ms = 0.05
)", {}, {"bad.toml:14: projections.x.delay_ms: delay_ms can be 0.05 ms, shorter than dt = 0.1 ms"}},

        {"negative delay", R"([populations.exc]
model = "lif_curr"
size = 2
[projections.x]
pre = "exc"
post = "exc"
weight_pA = 1.0
delay_ms = -1.0
)", {}, {"bad.toml:8: projections.x.delay_ms: delay_ms can be -1 ms: delays must be >= 0"}},

        {"p > 1", R"([populations.exc]
model = "lif_curr"
size = 2
[projections.x]
pre = "exc"
post = "exc"
weight_pA = 1.0
[projections.x.connection]
rule = "fixed_probability"
p = 1.5
)", {}, {"bad.toml:10: projections.x.connection.p: 1.5: must be in [0, 1]"}},

        {"connection rule without its required parameter", R"([populations.exc]
model = "lif_curr"
size = 2
[projections.x]
pre = "exc"
post = "exc"
connection = "fixed_probability"
weight_pA = 1.0
)", {}, {"bad.toml:7: projections.x.connection: fixed_probability needs p"}},

        {"unknown connection rule", R"([populations.exc]
model = "lif_curr"
size = 2
[projections.x]
pre = "exc"
post = "exc"
connection = { rule = "all_to_one" }
weight_pA = 1.0
)", {}, {"bad.toml:7: projections.x.connection.rule: unknown connection rule 'all_to_one' (did you mean 'all_to_all'?"}},

        {"from_list index out of range", R"([populations.exc]
model = "lif_curr"
size = 4
[projections.x]
pre = "exc"
post = "exc"
connection = { rule = "from_list", pre = [0, 1], post = [2, 9] }
weight_pA = 1.0
)", {}, {"bad.toml:7: projections.x.connection.post[1]: post index 9 of synapse 1 is out of range for 'exc' (size 4)"}},

        {"wrong weight unit", R"([populations.exc]
model = "lif_cond"
size = 2
[projections.x]
pre = "exc"
post = "exc"
weight_pA = 1.0
)", {}, {"bad.toml:7: projections.x.weight_pA: 'exc' is a lif_cond population, which takes weights in nS (expected weight_nS)"}},

        {"two weight keys", R"([populations.exc]
model = "lif_cond"
size = 2
[projections.x]
pre = "exc"
post = "exc"
weight_nS = 1.0
weight_pA = 1.0
)", {}, {"bad.toml:8: projections.x.weight_pA: a second weight key besides 'weight_nS'"}},

        {"missing weight", R"([populations.exc]
model = "lif_cond"
size = 2
[projections.x]
pre = "exc"
post = "exc"
)", {}, {"bad.toml:4: projections.x.weight_nS: missing required key (expected the weight in nS"}},

        {"weight with a lower bound above the upper", R"([populations.exc]
model = "lif_cond"
size = 2
[projections.x]
pre = "exc"
post = "exc"
weight_nS = { uniform = [2.0, 1.0] }
)", {}, {"bad.toml:7: projections.x.weight_nS: uniform(2 nS, 1 nS): the lower bound must be below the upper bound"}},

        {"normally distributed weight (can be negative)", R"([populations.exc]
model = "lif_cond"
size = 2
[projections.x]
pre = "exc"
post = "exc"
weight_nS = { normal = [2.0, 0.5] }
)", {}, {"bad.toml:7: projections.x.weight_nS: weight can be negative"}},

        {"unknown receptor", R"([populations.exc]
model = "lif_curr"
size = 2
[projections.x]
pre = "exc"
post = "exc"
weight_pA = 1.0
receptor = "excitory"
)", {}, {"bad.toml:8: projections.x.receptor: unknown receptor 'excitory' (did you mean 'excitatory'? expected one of: excitatory, inhibitory)"}},

        {"dense storage of a sparse rule", R"([populations.exc]
model = "lif_curr"
size = 2
[projections.x]
pre = "exc"
post = "exc"
weight_pA = 1.0
connection = { rule = "fixed_probability", p = 0.5 }
storage = "dense"
)", {}, {"bad.toml:9: projections.x.storage: dense needs a complete all-to-all connection"}},

        {"float32 weights with no float32 within the plasticity bounds", R"([populations.exc]
model = "lif_curr"
size = 2
[projections.x]
pre = "exc"
post = "exc"
weight_pA = 0.1
weight_precision = "float32"
plasticity = { rule = "pair_stdp", w_min = 0.1, w_max = 0.100000001 }
)", {}, {"bad.toml:8: projections.x.weight_precision: float32 has no value within the plasticity bounds [w_min, w_max] = [0.1, 0.100000001]"}},

        {"float32 weights beyond float32's range", R"([populations.exc]
model = "lif_curr"
size = 2
[projections.x]
pre = "exc"
post = "exc"
weight_pA = { uniform = [0.0, 1e39] }
weight_precision = "float32"
)", {}, {"bad.toml:8: projections.x.weight_precision: float32 holds weights up to 3.40282e+38 in magnitude; these weights reach 1e+39"}},

        {"unknown weight precision", R"([populations.exc]
model = "lif_curr"
size = 2
[projections.x]
pre = "exc"
post = "exc"
weight_pA = 1.0
weight_precision = "half"
)", {}, {"bad.toml:8: projections.x.weight_precision: unknown weight_precision 'half'"}},

        {"unknown plasticity rule", R"([populations.exc]
model = "lif_curr"
size = 2
[projections.x]
pre = "exc"
post = "exc"
weight_pA = 0.5
plasticity = { rule = "pair_sdtp" }
)", {}, {"bad.toml:8: projections.x.plasticity.rule: unknown plasticity rule 'pair_sdtp' (did you mean 'pair_stdp'? expected one of: pair_stdp, nearest_triplet_stdp"}},

        {"bad plasticity parameter", R"([populations.exc]
model = "lif_curr"
size = 2
[projections.x]
pre = "exc"
post = "exc"
weight_pA = 0.5
plasticity = { rule = "pair_stdp", tau_plus_ms = 0.0 }
)", {}, {"bad.toml:8: projections.x.plasticity.tau_plus_ms: 0 ms: must be > 0"}},

        {"unknown plasticity enumeration value", R"([populations.exc]
model = "lif_curr"
size = 2
[projections.x]
pre = "exc"
post = "exc"
weight_pA = 0.5
plasticity = { rule = "pair_stdp", weighting = "additiv" }
)", {}, {"bad.toml:8: projections.x.plasticity.weighting: unknown weighting 'additiv' (did you mean 'additive'? expected one of: additive, multiplicative)"}},

        {"unknown plasticity parameter", R"([populations.exc]
model = "lif_curr"
size = 2
[projections.x]
pre = "exc"
post = "exc"
weight_pA = 0.5
plasticity = { rule = "nearest_triplet_stdp", tau_plus_ms = 10.0 }
)", {}, {"bad.toml:8: projections.x.plasticity.tau_plus_ms: unknown key"}},

        {"initial weights outside the plasticity bounds", R"([populations.exc]
model = "lif_curr"
size = 2
[projections.x]
pre = "exc"
post = "exc"
weight_pA = 5.0
plasticity = "pair_stdp"
)", {}, {"bad.toml:7: projections.x.weight_pA: initial weights can leave the plasticity bounds [w_min, w_max] = [0, 1]"}},

        {"plasticity in precise mode", R"([run]
mode = "precise"
[populations.n]
model = "lif_curr"
size = 2
[projections.x]
pre = "n"
post = "n"
weight_pA = 0.5
plasticity = "pair_stdp"
)", {}, {"bad.toml:10: projections.x.plasticity: plasticity onto 'n' in precise mode is not supported"}},

        {"unknown mode", R"([run]
mode = "precice"
[populations.n]
model = "lif_curr"
size = 1
)", {}, {"bad.toml:2: run.mode: unknown mode 'precice' (did you mean 'precise'? expected one of: grid, precise)"}},

        {"negative seed", R"([run]
seed = -1
[populations.n]
model = "lif_curr"
size = 1
)", {}, {"bad.toml:2: run.seed: -1: must be >= 0"}},

        {"duration not a whole number of steps", R"([run]
dt_ms = 0.1
duration_ms = 100.05
[populations.n]
model = "lif_curr"
size = 1
)", {}, {"bad.toml:3: run.duration_ms: 100.05 ms: must be a non-negative multiple of dt = 0.1 ms"}},

        {"record of an unknown population", R"([populations.exc]
model = "lif_curr"
size = 1
[populations.inh]
model = "lif_curr"
size = 1
[record]
spikes = ["exc",
          "inhh"]
)", {}, {"bad.toml:9: record.spikes[1]: unknown population 'inhh' (did you mean 'inh'?"}},

        {"record.state of an unknown variable", R"([populations.exc]
model = "lif_curr"
size = 1
[record.state.v]
population = "exc"
variable = "V"
)", {}, {"bad.toml:6: record.state.v.variable: unknown state variable of lif_curr 'V' (did you mean 'V_m'? expected one of: V_m, I_syn_e, I_syn_i)"}},

        {"record.weights of an unknown projection", R"([populations.exc]
model = "lif_curr"
size = 1
[record.weights.w]
projection = "exc->exc"
)", {}, {"bad.toml:5: record.weights.w.projection: unknown projection 'exc->exc'"}},

        {"every_ms not a multiple of dt", R"([run]
dt_ms = 0.1
[populations.exc]
model = "lif_curr"
size = 1
[record.state.v]
population = "exc"
variable = "V_m"
every_ms = 0.25
)", {}, {"bad.toml:9: record.state.v.every_ms: 0.25 ms: must be a non-negative multiple of dt = 0.1 ms"}},

        {"recorded neuron out of range", R"([populations.exc]
model = "lif_curr"
size = 2
[record.state.v]
population = "exc"
variable = "V_m"
neurons = [0, 2]
)", {}, {"bad.toml:7: record.state.v.neurons[1]: neurons contains 2, out of range for 'exc' (size 2)"}},

        {"duplicate report name", R"([populations.exc]
model = "lif_curr"
size = 2
[projections.x]
pre = "exc"
post = "exc"
weight_pA = 1.0
[record.weights.r]
projection = "x"
[record.state.r]
population = "exc"
variable = "V_m"
)", {}, {"bad.toml:10: record.state.r: report names must be unique"}},

        {"--set of an unknown key", R"([populations.exc]
model = "lif_curr"
size = 1
)", {"populations.exc.tau_mm_ms=3"}, {"--set populations.exc.tau_mm_ms=3: populations.exc.tau_mm_ms: unknown key (did you mean 'tau_m_ms'?)"}},

        {"--set of a value that is not TOML", R"([populations.exc]
model = "lif_curr"
size = 1
)", {"run.output=x.h5"}, {"--set run.output=x.h5: the value 'x.h5' is not a TOML value", "strings need quotes"}},

        {"rate networks without a task", R"([rate.mlp]
hidden = [10]
)", {}, {"bad.toml:1: rate: rate networks need a [task] section"}},

        {"unknown dataset with a suggestion", R"([task]
dataset = "minst"
[rate.mlp]
)", {}, {"bad.toml:2: task.dataset: unknown", "did you mean 'mnist'?"}},

        {"parameters of another dataset", R"([task]
dataset = "mnist"
[task.bars]
grid = 4
[rate.mlp]
)", {}, {"bad.toml:3: task.bars: parameters of 'bars' given, but dataset = \"mnist\""}},

        {"synthetic dataset parameter out of range", R"([task]
dataset = "bars"
[task.bars]
grid = 1
[rate.mlp]
)", {}, {"bad.toml:4: task.bars.grid:"}},

        {"data_dir for a generated dataset", R"([task]
dataset = "xor"
data_dir = "somewhere"
[rate.mlp]
)", {}, {"bad.toml:3: task.data_dir: only the mnist dataset is read from files"}},

        {"timing classes: negative jitter", R"([task]
dataset = "timing_classes"
[task.timing_classes]
jitter_ms = -1.0
[rate.mlp]
)", {}, {"bad.toml:4: task.timing_classes.jitter_ms:", "must be >= 0"}},

        {"timing classes: a deletion above 1", R"([task]
dataset = "timing_classes"
[task.timing_classes]
n_afferents = 10
deletion = 1.5
[rate.mlp]
)", {}, {"bad.toml:5: task.timing_classes.deletion:", "must be <= 1"}},

        {"a bin width without bins", R"([task]
dataset = "timing_classes"
[rate.mlp]
input = "counts"
input_bin_ms = 5.0
)", {}, {"bad.toml:5: rate.mlp.input_bin_ms:", "needs input = \"bins\""}},

        {"bins without a width", R"([task]
dataset = "timing_classes"
[rate.mlp]
input = "bins"
)", {}, {"bad.toml:3: rate.mlp.input_bin_ms:", "must be > 0"}},

        {"an unknown input view", R"([task]
dataset = "timing_classes"
[rate.mlp]
input = "spikes"
)", {}, {"bad.toml:4: rate.mlp.input: unknown", "bins"}},

        {"unknown rate-network key with a suggestion", R"([task]
dataset = "xor"
[rate.mlp]
hiden = [10]
)", {}, {"bad.toml:4: rate.mlp.hiden: unknown key (did you mean 'hidden'?)"}},

        {"hidden layer of size zero", R"([task]
dataset = "xor"
[rate.mlp]
hidden = [10, 0]
)", {}, {"bad.toml:4: rate.mlp.hidden[1]:"}},

        {"unknown activation", R"([task]
dataset = "xor"
[rate.mlp]
activation = "softplus"
)", {}, {"bad.toml:4: rate.mlp.activation: unknown", "relu"}},

        {"negative learning rate", R"([task]
dataset = "xor"
[rate.mlp]
learning_rate = -0.1
)", {}, {"bad.toml:4: rate.mlp.learning_rate:"}},

        {"batch size zero", R"([task]
dataset = "xor"
[rate.mlp]
batch_size = 0
)", {}, {"bad.toml:4: rate.mlp.batch_size:", "must be >= 1"}},

        {"evaluation points out of order", R"([task]
dataset = "xor"
[training]
examples = 1000
evaluate_at = [100, 50]
[rate.mlp]
)", {}, {"bad.toml:5: training.evaluate_at[1]:", "must be greater than the point before it"}},

        {"an evaluation point beyond the training", R"([task]
dataset = "xor"
[training]
examples = 1000
evaluate_at = [2000]
[rate.mlp]
)", {}, {"bad.toml:5: training.evaluate_at[0]:", "beyond examples = 1000"}},

        {"label budgets without the fair protocol", R"([task]
dataset = "xor"
[training]
examples = 1000
label_budgets = [10, 100]
[rate.mlp]
)", {}, {"bad.toml:5: training.label_budgets:", "labels = \"seen\""}},

        {"label budgets out of order", R"([task]
dataset = "xor"
[training]
labels = "seen"
label_budgets = [100, 10]
[rate.mlp]
)", {}, {"bad.toml:5: training.label_budgets[1]:", "greater than the budget before it"}},

        {"an unknown label protocol", R"([task]
dataset = "xor"
[training]
labels = "all"
[rate.mlp]
)", {}, {"bad.toml:4: training.labels:", "seen", "first_examples", "paper"}},

        {"test presentations outside the paper protocol", R"([task]
dataset = "xor"
[training]
test_presentations = 10
[rate.mlp]
)", {}, {"bad.toml:4: training.test_presentations:", "labels = \"paper\""}},

        {"a float where examples are counted", R"([task]
dataset = "xor"
[training]
examples = 1e4
[rate.mlp]
)", {}, {"bad.toml:4: training.examples: expected an integer, got a float"}},

        {"projections without populations", R"([task]
dataset = "xor"
[rate.mlp]
[projections.a]
pre = "x"
post = "y"
)", {}, {"projections need [populations.<name>] tables"}},

        {"--set without a value", R"([populations.exc]
model = "lif_curr"
size = 1
)", {"run.seed"}, {"--set run.seed: expected key.path=value"}},

        {"--set with a malformed key path", R"([populations.exc]
model = "lif_curr"
size = 1
)", {"run..seed=2"}, {"--set run..seed=2: 'run..seed' is not a key path"}},

        {"--set with more than one value", R"([populations.exc]
model = "lif_curr"
size = 1
)", {"run.seed=1\nrun.dt_ms=2"}, {"--set run.seed=1\nrun.dt_ms=2: the value '1\nrun.dt_ms=2' is not a single TOML value"}},

        {"--set below a value that is not a table", R"([populations.exc]
model = "lif_curr"
size = 1
)", {"populations.exc.size.x=2"}, {"--set populations.exc.size.x=2: populations.exc.size is an integer, not a table"}},

        {"current noise: uniform with low above high", R"([populations.exc]
model = "izhikevich"
size = 1
current_noise_mV_per_ms = { uniform = [6.5, -6.5] }
)", {}, {"bad.toml:4: populations.exc.current_noise_mV_per_ms:", "lower bound must be below the upper bound"}},

        {"current noise: normal with a negative sd", R"([populations.exc]
model = "lif_curr"
size = 1
integration = "rk4"
current_noise_pA = { normal = [0.0, -1.0] }
)", {}, {"bad.toml:5: populations.exc.current_noise_pA:", "sd must be >= 0"}},

        {"current noise: NaN", R"([populations.exc]
model = "lif_curr"
size = 1
current_noise_pA = { normal = [nan, 1.0] }
)", {}, {"bad.toml:4: populations.exc.current_noise_pA:", "finite"}},

        {"current noise: a constant", R"([populations.exc]
model = "izhikevich"
size = 1
current_noise_mV_per_ms = 2.0
)", {}, {"bad.toml:4: populations.exc.current_noise_mV_per_ms:", "expected a distribution", "I_e"}},

        {"current noise: the unit of another model", R"([populations.exc]
model = "izhikevich"
size = 1
current_noise_pA = { uniform = [-1.0, 1.0] }
)", {}, {"bad.toml:4: populations.exc.current_noise_pA: izhikevich takes its current in mV_per_ms: the key is current_noise_mV_per_ms"}},

        {"current noise: a source", R"([populations.in]
model = "poisson"
size = 1
current_noise_pA = { uniform = [-1.0, 1.0] }
)", {}, {"bad.toml:4: populations.in.current_noise_pA: poisson takes no injected current"}},

        {"current noise: a model without current input", R"([populations.n]
model = "srm_masquelier"
size = 1
current_noise = { uniform = [-1.0, 1.0] }
)", {}, {"bad.toml:4: populations.n.current_noise: srm_masquelier takes no injected current"}},

        {"current noise: an integration that cannot take it", R"([populations.exc]
model = "lif_cond"
size = 1
integration = "exponential_euler"
current_noise_pA = { uniform = [-1.0, 1.0] }
)", {}, {"bad.toml:5: populations.exc.current_noise_pA:", "integration exponential_euler does not take a current held over the step; use rk4, euler or dopri5"}},

        {"current noise: precise lif_curr", R"([populations.exc]
model = "lif_curr"
size = 1
integration = "precise"
current_noise_pA = { uniform = [-1.0, 1.0] }
)", {}, {"bad.toml:5: populations.exc.current_noise_pA:", "integration precise", "or exact"}},

        {"poisson background: a negative rate", R"([populations.exc]
model = "lif_curr"
size = 1
poisson_background = { rate_hz = -8.0, weight_pA = 87.8 }
)", {}, {"bad.toml:4: populations.exc.poisson_background.rate_hz:", "must be finite and >= 0"}},

        {"poisson background: more than the sampler takes per step", R"([populations.exc]
model = "lif_curr"
size = 1
poisson_background = { rate_hz = 2e5, weight_pA = 87.8 }
)", {}, {"bad.toml:4: populations.exc.poisson_background.rate_hz:", "20 input spikes expected per step", "lower the rate or dt"}},

        {"poisson background: an unknown receptor", R"([populations.exc]
model = "lif_curr"
size = 1
poisson_background = { rate_hz = 8.0, weight_pA = 87.8, receptor = "exitatory" }
)", {}, {"bad.toml:4: populations.exc.poisson_background.receptor:", "unknown receptor 'exitatory'", "excitatory"}},

        {"poisson background: the weight unit of another model", R"([populations.exc]
model = "lif_cond"
size = 1
poisson_background = { rate_hz = 8.0, weight_pA = 87.8 }
)", {}, {"bad.toml:4: populations.exc.poisson_background.weight_pA: unknown key", "weight_nS"}},

        {"poisson background: a negative weight", R"([populations.exc]
model = "lif_curr"
size = 1
poisson_background = { rate_hz = 8.0, weight_pA = -87.8 }
)", {}, {"bad.toml:4: populations.exc.poisson_background.weight_pA:", ">= 0", "receptor gives the sign"}},

        {"poisson background: no rate", R"([populations.exc]
model = "lif_curr"
size = 1
poisson_background = { weight_pA = 87.8 }
)", {}, {"populations.exc.poisson_background.rate_hz: missing required key"}},

        {"poisson background: a source", R"([populations.in]
model = "poisson"
size = 1
poisson_background = { rate_hz = 8.0, weight_pA = 87.8 }
)", {}, {"bad.toml:4: populations.in.poisson_background: poisson is a source: it takes no input"}},

        {"poisson background: precise lif_curr", R"([populations.exc]
model = "lif_curr"
size = 1
integration = "precise"
poisson_background = { rate_hz = 8.0, weight_pA = 87.8 }
)", {}, {"bad.toml:5: populations.exc.poisson_background:", "integration precise", "use exact"}},

        {"redrawn normal: a range holding almost nothing", R"([populations.exc]
model = "lif_curr"
size = 1
initial = { V_m_mV = { normal = [-65.0, 1.0], within = [-50.0, inf] } }
)", {}, {"bad.toml:4: populations.exc.initial.V_m_mV:", "the range holds", "below the 0.05 required"}},

        {"redrawn normal: within on a uniform", R"([populations.exc]
model = "lif_curr"
size = 1
initial = { V_m_mV = { uniform = [-70.0, -60.0], within = [-65.0, inf] } }
)", {}, {"bad.toml:4: populations.exc.initial.V_m_mV.within:", "only a normal distribution is redrawn"}},

        {"redrawn normal: an empty range", R"([populations.exc]
model = "lif_curr"
size = 1
initial = { V_m_mV = { normal = [-65.0, 1.0], within = [-60.0, -70.0] } }
)", {}, {"bad.toml:4: populations.exc.initial.V_m_mV:", "the lower bound must be below the upper bound"}},

        {"redrawn normal: a range of one number", R"([populations.exc]
model = "lif_curr"
size = 1
initial = { V_m_mV = { normal = [-65.0, 1.0], within = [-60.0] } }
)", {}, {"bad.toml:4: populations.exc.initial.V_m_mV.within: expected an array of 2 numbers"}},

        {"redrawn normal: a weight whose range allows negative values", R"([populations.a]
model = "lif_curr"
size = 2

[projections.p]
pre = "a"
post = "a"
weight_pA = { normal = [10.0, 5.0], within = [-1.0, inf] }
)", {}, {"bad.toml:8: projections.p.weight_pA:", "weight can be negative"}},

        {"fixed_total_number: no n", R"([populations.a]
model = "lif_curr"
size = 2

[projections.p]
pre = "a"
post = "a"
weight_pA = 1.0
connection = { rule = "fixed_total_number" }
)", {}, {"projections.p.connection.n: missing required key"}},

        {"fixed_total_number: one neuron onto itself without autapses", R"([populations.a]
model = "lif_curr"
size = 1

[projections.p]
pre = "a"
post = "a"
weight_pA = 1.0
connection = { rule = "fixed_total_number", n = 5, allow_autapses = false }
)", {}, {"bad.toml:9: projections.p.connection.n:", "no pair to draw"}},

        {"current noise: --set onto an unknown population", R"([populations.exc]
model = "izhikevich"
size = 1
)", {"populations.exz.current_noise_mV_per_ms={ uniform = [-1.0, 1.0] }"}, {"populations.exz.model: missing required key"}},
    };
    // clang-format on
    return cases;
}

}  // namespace

TEST_CASE("scenario: malformed scenarios fail with file, line, key path and expectation",
          "[unit][scenario]") {
    const auto& cases = malformed_cases();
    CHECK(cases.size() >= 20);
    for (const auto& c : cases) {
        DYNAMIC_SECTION(c.name) {
            const std::string message = error_of(c.text, c.overrides, fixture_source());
            INFO(message);
            for (const auto& part : c.expected) CHECK_THAT(message, Contains(part));
        }
    }
}
