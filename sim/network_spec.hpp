#pragma once

// The description of a spiking network: plain aggregates with defaults, checked by validate()
// and turned into runtime objects by Network's constructor. Nothing here simulates.

#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "sim/catalog.hpp"
#include "sim/types.hpp"

namespace spikerate::sim {

class RandomStream;

// A number given as a constant or drawn per element.
//
// A normal distribution may be redrawn within a range [low, high] (NEST's nest.math.redraw): a
// value outside it is discarded and drawn again, never clipped, so the values keep the normal's
// shape restricted to the range. Draw k of an element uses the counter (a, b, k): the first is
// the draw an unbounded normal makes, so values inside the range are those it would give.
struct Distribution {
    enum class Kind { constant, uniform, normal };
    Kind kind = Kind::constant;
    double a = 0.0;  // constant: the value; uniform: lower bound; normal: mean
    double b = 0.0;  // uniform: upper bound (exclusive); normal: standard deviation
    // normal only: redraw below within_low or above within_high (the bounds are accepted)
    double within_low = -std::numeric_limits<double>::infinity();
    double within_high = std::numeric_limits<double>::infinity();

    // Draws per element before a redrawn normal gives up (NEST's redraw stops at 1,000 too); the
    // range must hold at least min_within_mass of the normal, so giving up has probability below
    // 0.95^1000 ~ 5e-23 per element.
    static constexpr std::uint32_t max_redraws = 1000;
    static constexpr double min_within_mass = 0.05;

    static Distribution constant(double value) { return {Kind::constant, value, value}; }
    static Distribution uniform(double low, double high) { return {Kind::uniform, low, high}; }
    static Distribution normal(double mean, double sd) { return {Kind::normal, mean, sd}; }
    static Distribution normal_within(double mean, double sd, double low, double high) {
        return {Kind::normal, mean, sd, low, high};
    }

    bool redraws() const {
        return kind == Kind::normal && (within_low > -std::numeric_limits<double>::infinity() ||
                                        within_high < std::numeric_limits<double>::infinity());
    }
    // Throws Error if a redrawn normal finds no value in the range in max_redraws draws.
    double sample(const RandomStream& stream, std::uint64_t a, std::uint32_t b) const;
    double lowest() const;   // smallest value it can take (-inf for normal, or within_low)
    double highest() const;  // largest value it can take (+inf for normal, or within_high)
    // The probability a normal's draw lies in [within_low, within_high] (1 for the others).
    double within_mass() const;
    void validate(const std::string& key, const char* unit) const;
};

// Connection rules. Autapses are synapses between neurons with the same index: for a projection
// from a population onto itself, a neuron onto itself; between two populations of the same size,
// the i-th of each (Diehl & Cook's "all but self" inhibition between paired layers).
namespace connect {
struct AllToAll {
    static constexpr std::string_view id = "all_to_all";
    bool allow_autapses = true;

    template <class Visitor>
    void visit_fields(Visitor&& v) {
        v("allow_autapses", allow_autapses, "", "synapses between neurons with the same index");
    }
};
struct OneToOne {
    static constexpr std::string_view id = "one_to_one";
    template <class Visitor>
    void visit_fields(Visitor&& /*v*/) {}
};
struct FixedProbability {
    static constexpr std::string_view id = "fixed_probability";
    double p = 0.1;  // probability of each (pre, post) pair
    bool allow_autapses = true;

    template <class Visitor>
    void visit_fields(Visitor&& v) {
        v("p", p, "", "in [0, 1]: probability of each (pre, post) pair (required)");
        v("allow_autapses", allow_autapses, "", "synapses between neurons with the same index");
    }
};
struct FixedInDegree {
    static constexpr std::string_view id = "fixed_in_degree";
    std::uint32_t k = 1;  // incoming synapses per postsynaptic neuron
    bool allow_autapses = true;
    bool allow_multapses = true;  // the same pair may be drawn more than once

    template <class Visitor>
    void visit_fields(Visitor&& v) {
        v("k", k, "", "incoming synapses per postsynaptic neuron (required)");
        v("allow_autapses", allow_autapses, "", "synapses between neurons with the same index");
        v("allow_multapses", allow_multapses, "", "the same pair may be drawn more than once");
    }
};
// NEST's fixed_total_number with multapses: n synapses, each from a presynaptic and onto a
// postsynaptic neuron drawn uniformly and independently (a pair may be drawn more than once).
struct FixedTotalNumber {
    static constexpr std::string_view id = "fixed_total_number";
    std::uint32_t n = 0;  // synapses of the projection
    bool allow_autapses = true;

    template <class Visitor>
    void visit_fields(Visitor&& v) {
        v("n", n, "",
          "synapses in total, each between a presynaptic and a postsynaptic neuron drawn "
          "uniformly and independently (multapses occur, as NEST's rule with allow_multapses) "
          "(required)");
        v("allow_autapses", allow_autapses, "", "synapses between neurons with the same index");
    }
};
struct FromList {  // explicit synapses, synapse s from pre[s] to post[s]
    static constexpr std::string_view id = "from_list";
    std::vector<std::uint32_t> pre;
    std::vector<std::uint32_t> post;

    template <class Visitor>
    void visit_fields(Visitor&& v) {
        v("pre", pre, "", "presynaptic index of each synapse (required)");
        v("post", post, "", "postsynaptic index of each synapse (required)");
    }
};
}  // namespace connect
using ConnectionRule =
    std::variant<connect::AllToAll, connect::OneToOne, connect::FixedProbability,
                 connect::FixedInDegree, connect::FixedTotalNumber, connect::FromList>;

enum class Integration {
    automatic,  // exact where the model has a propagator, else rk4
    rk4,        // odeint runge_kutta4, one fixed step per dt
    euler,      // odeint euler, one fixed step per dt (Brian 1's default for nonlinear equations,
                // used by Diehl & Cook's released code)
    exponential_euler,  // the model's exponential-Euler step (lif_cond): exact decay of the
                        // conductances, V_m exact under their step averages; stable for any input
    dopri5,             // odeint controlled dopri5 within each dt (abs/rel tolerance 1e-9)
    exact,              // the model's exact propagator (lif_curr)
    precise,            // exact propagator + threshold crossing located inside the step (lif_curr)
    izhikevich_half_steps,  // the model's step after Izhikevich's (2003) code (izhikevich)
};

// The names scenario files use for the enumerations above and below.
inline constexpr std::array integration_choices{
    std::pair{"automatic", Integration::automatic},
    std::pair{"rk4", Integration::rk4},
    std::pair{"euler", Integration::euler},
    std::pair{"exponential_euler", Integration::exponential_euler},
    std::pair{"dopri5", Integration::dopri5},
    std::pair{"exact", Integration::exact},
    std::pair{"precise", Integration::precise},
    std::pair{"izhikevich_half_steps", Integration::izhikevich_half_steps},
};
inline constexpr std::array receptor_choices{
    std::pair{"excitatory", Receptor::excitatory},
    std::pair{"inhibitory", Receptor::inhibitory},
};

// Poisson background input of a neuron population (NEST's poisson_generator connected to every
// neuron of it): in each step every neuron receives k ~ Poisson(rate_hz dt) input spikes of
// `weight` on `receptor`, added with the step's synaptic input (a jump of the receptor's
// variable at the start of the step: I_syn_e += k w for lif_curr). k is drawn from the stream
// "poisson_background/<population>" with the counter (step, neuron / 2) (two neurons per draw of
// four words: paired_uniform), by inversion of one uniform (PoissonByInversion), so the same
// whatever the size, order or thread count.
struct PoissonBackground {
    double rate_hz = 0.0;  // [Hz] input spikes per neuron and second (NEST: K_ext x nu_bg)
    double weight = 0.0;   // [the model's weight unit] >= 0: each spike's jump
    Receptor receptor = Receptor::excitatory;
    // rate_hz x dt must be at most max_poisson_inversion_mean (random_stream.hpp).
    void validate(double dt_ms, std::string_view weight_unit) const;
};

struct InitialValue {
    std::string variable;  // a state variable of the model, e.g. "V_m"
    Distribution value;    // in the variable's unit
};

struct PopulationSpec {
    std::string name;
    std::uint32_t size = 1;
    PopulationModel model = models::LifCurrParams{};
    Integration integration = Integration::automatic;
    std::vector<InitialValue> initial;  // variables not listed start at the model's rest
    // Neurons only: a current drawn afresh for every neuron and step and held over the step
    // (uniform or normal, in the model's current unit, current_unit()), added to the model's
    // input I; drawn from the stream "current_noise/<name>" with the counter (step, neuron).
    std::optional<Distribution> current_noise;
    // Neurons only, grid integrations only: Poisson background input (above).
    std::optional<PoissonBackground> poisson_background;

    // The fields a scenario sets as plain keys (name, model and initial are read apart).
    template <class Visitor>
    void visit_fields(Visitor&& v) {
        v("integration", integration, integration_choices,
          "automatic: the exact propagator where the model has one, else rk4; rk4, euler: one "
          "fixed odeint step per dt; exponential_euler: the model's (lif_cond); dopri5: odeint's "
          "controlled dopri5 within each dt (tolerance 1e-9); exact, precise: the model's exact "
          "propagator, precise also locating threshold crossings inside the step (lif_curr); "
          "izhikevich_half_steps: two Euler half-steps of v, then one of u, as Izhikevich's "
          "(2003) code (izhikevich). Sources: automatic only");
    }
    void validate(double dt_ms) const;  // dt: the step of the network it belongs to [ms]

  private:
    void validate_current_noise() const;
    void validate_poisson_background(double dt_ms) const;
};

enum class Storage {
    automatic,  // dense for complete all-to-all, sparse otherwise
    dense,      // weight matrix n_pre x n_post, row-major by presynaptic neuron
    sparse,     // CSR by presynaptic neuron (+ an index by postsynaptic neuron when plastic)
};
inline constexpr std::array storage_choices{
    std::pair{"automatic", Storage::automatic},
    std::pair{"dense", Storage::dense},
    std::pair{"sparse", Storage::sparse},
};

enum class WeightPrecision {
    float64,  // double: every projection
    float32,  // float: 4 bytes per synapse less; updates computed in double, stored rounded
};
inline constexpr std::array weight_precision_choices{
    std::pair{"float64", WeightPrecision::float64},
    std::pair{"float32", WeightPrecision::float32},
};

struct ProjectionSpec {
    std::string name;  // defaults to "<pre>-><post>"
    std::string pre;
    std::string post;
    ConnectionRule connection = connect::AllToAll{};
    Distribution weight = Distribution::constant(1.0);  // [pA] onto lif_curr, [nS] onto lif_cond
    // [ms] rounded to whole steps; >= 0 from neurons on the grid, >= dt from sources and
    // precise-mode neurons (Population::min_delay_steps)
    Distribution delay_ms = Distribution::constant(1.0);
    Receptor receptor = Receptor::excitatory;
    PlasticityParams plasticity = NoPlasticity{};
    Storage storage = Storage::automatic;
    WeightPrecision weight_precision = WeightPrecision::float64;

    // The fields a scenario sets as plain keys (the others are read apart).
    template <class Visitor>
    void visit_fields(Visitor&& v) {
        v("receptor", receptor, receptor_choices,
          "which synaptic variable of the target a spike jumps; weights are magnitudes, the "
          "receptor gives the sign");
        v("storage", storage, storage_choices,
          "automatic: dense for a complete all-to-all connection, else sparse; dense: complete "
          "all-to-all only");
        v("weight_precision", weight_precision, weight_precision_choices,
          "float64: weights stored as doubles; float32: as floats, 4 bytes per synapse less: "
          "each weight is the float32 nearest the value drawn or set, summed into the target's "
          "double input; a plasticity rule computes every update in double and stores the "
          "float32 nearest the result within its bounds");
    }
    std::string resolved_name() const { return name.empty() ? pre + "->" + post : name; }
};

// A source of neuromodulator (e.g. dopamine) events: each event of value `amount` reaches every
// synapse of the target projections at its time (their rule's on_modulator: reward_stdp raises
// its concentration n by amount). Events come at given times, and/or as a reward for a spike
// pairing (Izhikevich 2007): a spike of node pre_node of `pre` followed by one of node post_node
// of `post` less than window_ms later (strictly later, less than the window) schedules an event
// delay_min_ms to delay_max_ms (uniform) after the post spike. Event times are rounded to the
// step; an event at t acts after every spike arrival and spike at t, and no earlier than the end
// of the step in which its pairing was complete.
struct ModulatorSpec {
    std::string name;
    std::vector<std::string> targets;  // projections (their resolved names)
    double amount = 1.0;               // [1/ms for reward_stdp] value of one event
    std::vector<double> times_ms;      // [ms] events at given times, >= dt
    std::string pre;                   // pairing reward: "" for none
    std::uint32_t pre_node = 0;
    std::string post;
    std::uint32_t post_node = 0;
    double window_ms = 20.0;       // [ms]
    double delay_min_ms = 1000.0;  // [ms]
    double delay_max_ms = 3000.0;  // [ms]

    // The fields a scenario sets as plain keys (name is read apart).
    template <class Visitor>
    void visit_fields(Visitor&& v) {
        v("targets", targets, "",
          "projections whose synapses receive the events (their rule takes a modulator, e.g. "
          "reward_stdp) (required)");
        v("amount", amount, "",
          "finite: value of one event (reward_stdp: the rise of n, in 1/ms; NEST's dopamine "
          "spike is 1 / tau_n)");
        v("times", times_ms, "ms", ">= dt, ascending: events at given times");
        v("pre", pre, "",
          "pairing reward: the population of the first spike (empty: no pairing reward)");
        v("pre_node", pre_node, "", "pairing reward: the neuron of the first spike, < size");
        v("post", post, "", "pairing reward: the population of the second spike");
        v("post_node", post_node, "", "pairing reward: the neuron of the second spike, < size");
        v("window", window_ms, "ms",
          "> 0: the second spike must follow the first's last spike by less than this");
        v("delay_min", delay_min_ms, "ms", ">= 0: shortest delay from the pairing to the event");
        v("delay_max", delay_max_ms, "ms", ">= delay_min_ms: longest delay");
    }
};

struct NetworkSpec {
    double dt_ms = 0.1;      // [ms]
    std::uint64_t seed = 1;  // every random number derives from it
    // Threads that advance the network (sim/network.hpp); the results do not depend on it.
    std::uint32_t threads = 1;
    static constexpr std::uint32_t max_threads = 1024;
    std::vector<PopulationSpec> populations;
    std::vector<ProjectionSpec> projections;
    std::vector<ModulatorSpec> modulators;

    // Checks everything that does not need the network built: parameters, names, references,
    // sizes, index ranges. Throws ParamError whose message starts with the element it is about.
    void validate() const;
    // One modulator against the populations and projections (validate() checks each).
    void validate_modulator(const ModulatorSpec& mod) const;
};

// What is known of a population's model without building it.
struct StateVariable {
    std::string_view name;
    std::string_view unit;
};

std::string_view model_id(const PopulationModel& model);       // "lif_cond", "poisson", ...
std::string_view plasticity_id(const PlasticityParams& rule);  // "none", "pair_stdp", ...
bool takes_modulator(const PlasticityParams& rule);  // the rule has on_modulator (HasModulator)
bool is_neuron_model(const PopulationModel& model);
bool has_exact_propagator(const PopulationModel& model);       // offers exact and precise
bool has_exponential_euler(const PopulationModel& model);      // offers exponential_euler
bool has_izhikevich_half_steps(const PopulationModel& model);  // offers izhikevich_half_steps
std::string_view weight_unit(const PopulationModel& model);    // "" for sources
// The unit of a current injected into the model (current_noise): "" for sources and for models
// that take none (HasCurrentInput).
std::string_view current_unit(const PopulationModel& model);
std::string models_taking_current();  // their ids, in catalog order: "lif_curr, lif_cond, ..."
bool has_exact_current_response(const PopulationModel& model);  // current_noise with `exact`
std::vector<StateVariable> state_variables(const PopulationModel& model);  // none for sources
const char* integration_name(Integration integration);
// Whether `name` can name an HDF5 group of the output: not empty, not "." or "..", no '/' and no
// control character (NUL included).
bool is_group_name(std::string_view name);

}  // namespace spikerate::sim
