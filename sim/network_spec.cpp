#include "network_spec.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <type_traits>
#include <utility>
#include <variant>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "models/concepts.hpp"
#include "models/error.hpp"
#include "sim/memory.hpp"
#include "sim/overloaded.hpp"
#include "sim/random_stream.hpp"
#include "sim/synapse_layout.hpp"
#include "sim/time_grid.hpp"

namespace spikerate::sim {

namespace {

// Runs check() and names, in any ParamError it throws, the element it is about.
template <class Check>
void in_context(const char* kind, const std::string& name, const std::string& context,
                Check&& check) {
    try {
        check();
    } catch (const ParamError& e) {
        throw e.in(kind, name, context);
    }
}

// The bytes per synapse of a rule's state (0 for static synapses), for the memory a projection
// needs (sim/synapse_layout.hpp).
std::size_t rule_bytes_per_synapse(const PlasticityParams& plasticity) {
    return std::visit(
        []<class Params>(const Params&) -> std::size_t {
            if constexpr (std::same_as<Params, NoPlasticity>) {
                return 0;
            } else {
                return sizeof(typename Params::Rule::SynapseState);
            }
        },
        plasticity);
}

// A neuron: its state variables, summed input per receptor, refractory counters; a source its
// rates and pending spikes.
double bytes_per_neuron(const PopulationModel& model) {
    return is_neuron_model(model) ? 8.0 * static_cast<double>(state_variables(model).size()) + 48.0
                                  : 48.0;
}

// The synapses a connection rule makes (its expectation for fixed_probability) and the key of
// the rule that decides it.
std::pair<double, std::string> expected_synapses(const ConnectionRule& rule, std::uint32_t n_pre,
                                                 std::uint32_t n_post) {
    const double pre = n_pre, post = n_post;
    return std::visit(
        Overloaded{
            [&](const connect::AllToAll&) {
                return std::pair{pre * post, std::string("connection")};
            },
            [&](const connect::OneToOne&) {
                return std::pair{pre, std::string("connection")};
            },
            [&](const connect::FixedProbability& c) {
                return std::pair{c.p * pre * post, std::string("connection.p")};
            },
            [&](const connect::FixedInDegree& c) {
                return std::pair{static_cast<double>(c.k) * post, std::string("connection.k")};
            },
            [&](const connect::FixedTotalNumber& c) {
                return std::pair{static_cast<double>(c.n), std::string("connection.n")};
            },
            [&](const connect::FromList& c) {
                return std::pair{static_cast<double>(c.pre.size()), std::string("connection")};
            },
        },
        rule);
}

}  // namespace

bool is_group_name(std::string_view name) {
    return !name.empty() && name != "." && name != ".." &&
           std::none_of(name.begin(), name.end(), [](char c) {
               return c == '/' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
           });
}

bool is_neuron_model(const PopulationModel& model) {
    return std::visit([](const auto& p) { return NeuronParams<std::decay_t<decltype(p)>>; }, model);
}

namespace {
// Whether the population's model is a neuron model whose type passes `test`, a generic lambda
// called with std::type_identity<Model>.
template <class Test>
bool neuron_model_has(const PopulationModel& model, Test test) {
    return std::visit(
        [&](const auto& p) {
            using Params = std::decay_t<decltype(p)>;
            if constexpr (NeuronParams<Params>) {
                return test(std::type_identity<typename Params::Model>{});
            } else {
                return false;
            }
        },
        model);
}
}  // namespace

bool has_exponential_euler(const PopulationModel& model) {
    return neuron_model_has(
        model, []<class M>(std::type_identity<M>) { return models::HasExponentialEuler<M>; });
}

bool has_izhikevich_half_steps(const PopulationModel& model) {
    return neuron_model_has(
        model, []<class M>(std::type_identity<M>) { return models::HasIzhikevichHalfSteps<M>; });
}

bool has_exact_propagator(const PopulationModel& model) {
    return neuron_model_has(
        model, []<class M>(std::type_identity<M>) { return models::HasExactPropagator<M>; });
}

std::string_view current_unit(const PopulationModel& model) {
    return std::visit(
        [](const auto& p) -> std::string_view {
            using Params = std::decay_t<decltype(p)>;
            if constexpr (NeuronParams<Params>) {
                if constexpr (models::HasCurrentInput<typename Params::Model>) {
                    return Params::Model::current_unit;
                }
            }
            return {};
        },
        model);
}

std::string models_taking_current() {
    std::vector<std::string> ids;
    [&]<std::size_t... k>(std::index_sequence<k...>) {
        (
            [&] {
                const PopulationModel model{std::in_place_index<k>};
                if (!current_unit(model).empty()) ids.emplace_back(model_id(model));
            }(),
            ...);
    }
    (std::make_index_sequence<std::variant_size_v<PopulationModel>>{});
    return fmt::format("{}", fmt::join(ids, ", "));
}

bool has_exact_current_response(const PopulationModel& model) {
    return neuron_model_has(
        model, []<class M>(std::type_identity<M>) { return models::HasExactCurrentResponse<M>; });
}

std::string_view weight_unit(const PopulationModel& model) {
    return std::visit(
        [](const auto& p) -> std::string_view {
            using Params = std::decay_t<decltype(p)>;
            if constexpr (NeuronParams<Params>) {
                return Params::Model::weight_unit;
            } else {
                return {};
            }
        },
        model);
}

std::vector<StateVariable> state_variables(const PopulationModel& model) {
    return std::visit(
        [](const auto& p) {
            using Params = std::decay_t<decltype(p)>;
            std::vector<StateVariable> vars;
            if constexpr (NeuronParams<Params>) {
                using Model = typename Params::Model;
                for (std::size_t i = 0; i < Model::var_names.size(); ++i) {
                    vars.push_back({Model::var_names[i], Model::var_units[i]});
                }
            }
            return vars;
        },
        model);
}

const char* integration_name(Integration integration) {
    switch (integration) {
        case Integration::automatic:
            return "automatic";
        case Integration::rk4:
            return "rk4";
        case Integration::euler:
            return "euler";
        case Integration::exponential_euler:
            return "exponential_euler";
        case Integration::dopri5:
            return "dopri5";
        case Integration::exact:
            return "exact";
        case Integration::precise:
            return "precise";
        case Integration::izhikevich_half_steps:
            return "izhikevich_half_steps";
    }
    return "?";
}

std::string_view model_id(const PopulationModel& model) {
    return std::visit([](const auto& p) { return id_of<std::decay_t<decltype(p)>>(); }, model);
}

std::string_view plasticity_id(const PlasticityParams& rule) {
    return std::visit([](const auto& p) { return id_of<std::decay_t<decltype(p)>>(); }, rule);
}

bool takes_modulator(const PlasticityParams& rule) {
    return std::visit(
        [](const auto& p) {
            using Params = std::decay_t<decltype(p)>;
            if constexpr (std::is_same_v<Params, NoPlasticity>) {
                return false;
            } else {
                return models::HasModulator<typename Params::Rule>;
            }
        },
        rule);
}

double Distribution::sample(const RandomStream& stream, std::uint64_t a, std::uint32_t b) const {
    switch (kind) {
        case Kind::constant:
            return this->a;
        case Kind::uniform:
            return this->a + (this->b - this->a) * stream.uniform(a, b);
        case Kind::normal:
            if (!redraws()) return this->a + this->b * stream.normal(a, b);
            for (std::uint32_t k = 0; k < max_redraws; ++k) {
                const double x = this->a + this->b * stream.normal(a, b, k);
                if (x >= within_low && x <= within_high) return x;
            }
            throw Error(fmt::format(
                "normal(mean {}, sd {}) redrawn within [{}, {}]: no value in the range in {} "
                "draws (element ({}, {}))",
                this->a, this->b, within_low, within_high, max_redraws, a, b));
    }
    return this->a;
}

double Distribution::lowest() const { return kind == Kind::normal ? within_low : a; }

double Distribution::highest() const {
    switch (kind) {
        case Kind::constant:
            return a;  // b is unused (Distribution{.a = 1.5} leaves it 0)
        case Kind::uniform:
            return b;
        case Kind::normal:
            return within_high;
    }
    return b;
}

double Distribution::within_mass() const {
    if (kind != Kind::normal) return 1.0;
    if (b == 0.0) return a >= within_low && a <= within_high ? 1.0 : 0.0;
    // P(X <= x) = erfc(-(x - mean) / (sd sqrt 2)) / 2: accurate in both tails.
    const auto cdf = [&](double x) { return 0.5 * std::erfc(-(x - a) / (b * std::sqrt(2.0))); };
    return cdf(within_high) - cdf(within_low);
}

void Distribution::validate(const std::string& key, const char* unit) const {
    if (!std::isfinite(a) || !std::isfinite(b)) {
        throw ParamError(key, std::nullopt, key + ": parameters must be finite numbers",
                         "parameters must be finite numbers");
    }
    if (kind == Kind::uniform && !(a < b)) {
        throw ParamError::value(key, fmt::format("uniform({} {}, {} {}): the lower bound must be "
                                                 "below the upper bound",
                                                 a, unit, b, unit));
    }
    if (kind == Kind::normal && !(b >= 0.0)) {
        throw ParamError::value(
            key, fmt::format("normal(mean {} {}, sd {} {}): sd must be >= 0", a, unit, b, unit));
    }
    const bool unbounded = within_low == -std::numeric_limits<double>::infinity() &&
                           within_high == std::numeric_limits<double>::infinity();
    if (unbounded) return;
    if (kind != Kind::normal) {
        throw ParamError::value(key,
                                "within: only a normal distribution is redrawn within a "
                                "range (narrow a uniform's bounds instead)");
    }
    if (std::isnan(within_low) || std::isnan(within_high) || !(within_low < within_high)) {
        throw ParamError::value(
            key, fmt::format("within [{} {}, {} {}]: the lower bound must be below the upper "
                             "bound (-inf and inf allowed)",
                             within_low, unit, within_high, unit));
    }
    const double mass = within_mass();
    if (!(mass >= min_within_mass)) {
        throw ParamError::value(
            key, fmt::format("normal(mean {} {}, sd {} {}) within [{} {}, {} {}]: the range holds "
                             "{:.3g} of the distribution, below the {} required (values outside "
                             "are redrawn, at most {} times)",
                             a, unit, b, unit, within_low, unit, within_high, unit, mass,
                             min_within_mass, max_redraws));
    }
}

void PopulationSpec::validate(double dt_ms) const {
    if (name.empty()) throw ParamError("a population has an empty name");
    if (!is_group_name(name)) {
        throw ParamError(
            fmt::format("population '{}': names cannot be '.' or '..' or contain '/' or control "
                        "characters (they name HDF5 groups in the output)",
                        name));
    }
    const std::string context = fmt::format("population '{}' ({})", name, model_id(model));
    in_context("population", name, context, [&] {
        if (size == 0) throw ParamError::value("size", "0: must be >= 1");
        require_memory(static_cast<double>(size) * bytes_per_neuron(model), "size",
                       fmt::format("{} neurons of {}", size, model_id(model)));
        std::visit(
            [&](const auto& params) {
                if constexpr (NeuronParams<std::decay_t<decltype(params)>>) {
                    params.validate();
                } else {
                    params.validate(size, dt_ms);
                }
            },
            model);

        const bool has_propagator = has_exact_propagator(model);
        if (!is_neuron_model(model) && integration != Integration::automatic) {
            throw ParamError::value("integration",
                                    fmt::format("{}: sources have no state to integrate",
                                                integration_name(integration)));
        }
        if ((integration == Integration::exact || integration == Integration::precise) &&
            !has_propagator) {
            throw ParamError::value(
                "integration",
                fmt::format("{}: needs a model with an exact propagator, such as lif_curr",
                            integration_name(integration)));
        }
        if (integration == Integration::exponential_euler && !has_exponential_euler(model)) {
            throw ParamError::value(
                "integration", fmt::format("exponential_euler: needs a model with an "
                                           "exponential-Euler step, such as lif_cond ({} has none)",
                                           model_id(model)));
        }
        if (integration == Integration::izhikevich_half_steps &&
            !has_izhikevich_half_steps(model)) {
            throw ParamError::value(
                "integration", fmt::format("izhikevich_half_steps: needs the izhikevich model ({} "
                                           "has no such step)",
                                           model_id(model)));
        }
        const auto vars = state_variables(model);
        for (const auto& init : initial) {
            if (std::none_of(vars.begin(), vars.end(),
                             [&](const StateVariable& v) { return v.name == init.variable; })) {
                throw ParamError(
                    "initial", std::nullopt,
                    fmt::format("initial value for unknown state variable '{}'", init.variable),
                    fmt::format("unknown state variable '{}'", init.variable));
            }
            init.value.validate("initial." + init.variable, "");
        }
        if (current_noise) validate_current_noise();
        if (poisson_background) validate_poisson_background(dt_ms);
    });
}

void PoissonBackground::validate(double dt_ms, std::string_view weight_unit) const {
    if (!(std::isfinite(rate_hz) && rate_hz >= 0.0)) {
        throw ParamError::value("poisson_background.rate_hz",
                                fmt::format("{} Hz: must be finite and >= 0", rate_hz));
    }
    const double mean = rate_hz * dt_ms * 1e-3;
    if (mean > max_poisson_inversion_mean) {
        throw ParamError::value(
            "poisson_background.rate_hz",
            fmt::format("{} Hz: {:.4g} input spikes expected per step of dt = {} ms, more than the "
                        "{} the sampler takes (inversion of one uniform per neuron and step); "
                        "lower the rate or dt",
                        rate_hz, mean, dt_ms, max_poisson_inversion_mean));
    }
    if (!(std::isfinite(weight) && weight >= 0.0)) {
        throw ParamError::value(
            "poisson_background.weight",
            fmt::format("{} {}: must be finite and >= 0 (a magnitude: the receptor gives the sign)",
                        weight, weight_unit));
    }
}

void PopulationSpec::validate_poisson_background(double dt_ms) const {
    if (!is_neuron_model(model)) {
        throw ParamError::value("poisson_background", "sources take no input (neuron models only)");
    }
    if (integration == Integration::precise) {
        throw ParamError::value(
            "poisson_background",
            "integration precise keeps every input's time inside the step; the background "
            "input arrives on the grid (use exact)");
    }
    poisson_background->validate(dt_ms, weight_unit(model));
}

void PopulationSpec::validate_current_noise() const {
    const std::string_view unit = current_unit(model);
    if (!is_neuron_model(model)) {
        throw ParamError::value("current_noise", "sources take no current (neuron models only)");
    }
    if (unit.empty()) {
        throw ParamError::value("current_noise",
                                fmt::format("{} takes no injected current ({} do)", model_id(model),
                                            models_taking_current()));
    }
    const std::string unit_string(unit);
    if (current_noise->kind == Distribution::Kind::constant) {
        throw ParamError::value(
            "current_noise",
            fmt::format("a constant ({} {}): expected a distribution, {{ uniform = [low, high] }} "
                        "or {{ normal = [mean, sd] }} (a constant current is the model's I_e)",
                        current_noise->a, unit_string));
    }
    current_noise->validate("current_noise", unit_string.c_str());
    const Integration resolved = integration != Integration::automatic ? integration
                                 : has_exact_propagator(model)         ? Integration::exact
                                                                       : Integration::rk4;
    const bool supported = resolved == Integration::rk4 || resolved == Integration::euler ||
                           resolved == Integration::dopri5 ||
                           resolved == Integration::izhikevich_half_steps ||
                           (resolved == Integration::exact && has_exact_current_response(model));
    if (!supported) {
        throw ParamError::value(
            "current_noise",
            fmt::format("integration {} does not take a current held over the step; use rk4, "
                        "euler or dopri5{}{}",
                        integration_name(resolved),
                        has_exact_current_response(model) ? ", or exact" : "",
                        has_izhikevich_half_steps(model) ? ", or izhikevich_half_steps" : ""));
    }
}

void NetworkSpec::validate_modulator(const ModulatorSpec& mod) const {
    if (mod.targets.empty()) {
        throw ParamError::value("targets", "[]: name at least one projection");
    }
    for (std::size_t i = 0; i < mod.targets.size(); ++i) {
        const auto proj = std::find_if(projections.begin(), projections.end(), [&](const auto& p) {
            return p.resolved_name() == mod.targets[i];
        });
        if (proj == projections.end()) {
            throw ParamError::value_at("targets", i,
                                       fmt::format("'{}' is not a projection", mod.targets[i]));
        }
        if (!takes_modulator(proj->plasticity)) {
            throw ParamError::value_at(
                "targets", i,
                fmt::format("'{}' has plasticity '{}', which takes no modulator (e.g. reward_stdp "
                            "does)",
                            mod.targets[i], plasticity_id(proj->plasticity)));
        }
        for (std::size_t j = 0; j < i; ++j) {
            if (mod.targets[j] == mod.targets[i]) {
                throw ParamError::value_at("targets", i,
                                           fmt::format("'{}' is named twice", mod.targets[i]));
            }
        }
    }
    if (!std::isfinite(mod.amount)) {
        throw ParamError::value("amount", fmt::format("{}: must be finite", mod.amount));
    }
    for (std::size_t i = 0; i < mod.times_ms.size(); ++i) {
        const double t = mod.times_ms[i];
        if (!(std::isfinite(t) && t >= dt_ms * (1.0 - 1e-9))) {
            throw ParamError::value_at(
                "times_ms", i,
                fmt::format("{} ms: must be finite and >= dt = {} ms (an event acts at the end of "
                            "a step)",
                            t, dt_ms));
        }
        if (i > 0 && t < mod.times_ms[i - 1]) {
            throw ParamError::value_at(
                "times_ms", i, fmt::format("{} ms: must not be before the previous one", t));
        }
    }
    if (mod.pre.empty() && mod.post.empty()) return;
    const auto node_in = [&](const char* pop_key, const std::string& name, const char* node_key,
                             std::uint32_t node) {
        const auto pop = std::find_if(populations.begin(), populations.end(),
                                      [&](const auto& p) { return p.name == name; });
        if (pop == populations.end()) {
            throw ParamError::value(pop_key, fmt::format("'{}' is not a population", name));
        }
        if (node >= pop->size) {
            throw ParamError::value(node_key, fmt::format("{}: must be < the size of '{}' ({})",
                                                          node, name, pop->size));
        }
    };
    node_in("pre", mod.pre, "pre_node", mod.pre_node);
    node_in("post", mod.post, "post_node", mod.post_node);
    if (!(std::isfinite(mod.window_ms) && mod.window_ms > 0.0)) {
        throw ParamError::value("window_ms", fmt::format("{} ms: must be > 0", mod.window_ms));
    }
    if (!(std::isfinite(mod.delay_min_ms) && mod.delay_min_ms >= 0.0)) {
        throw ParamError::value("delay_min_ms",
                                fmt::format("{} ms: must be finite and >= 0", mod.delay_min_ms));
    }
    if (!(std::isfinite(mod.delay_max_ms) && mod.delay_max_ms >= mod.delay_min_ms)) {
        throw ParamError::value("delay_max_ms",
                                fmt::format("{} ms: must be finite and >= delay_min_ms = {} ms",
                                            mod.delay_max_ms, mod.delay_min_ms));
    }
}

void NetworkSpec::validate() const {
    const TimeGrid grid(dt_ms);
    if (threads == 0 || threads > max_threads) {
        throw ParamError::value("threads",
                                fmt::format("{}: must be in [1, {}]", threads, max_threads));
    }
    std::map<std::string, const PopulationSpec*, std::less<>> by_name;
    for (const auto& pop : populations) {
        pop.validate(dt_ms);
        if (!by_name.emplace(pop.name, &pop).second) {
            throw ParamError(fmt::format("population '{}' is defined twice", pop.name));
        }
    }

    double total_bytes = 0.0;  // of the projections, which dominate
    std::set<std::string, std::less<>> projection_names;
    for (const auto& proj : projections) {
        const std::string name = proj.resolved_name();
        const std::string context = fmt::format("projection '{}'", name);
        if (!is_group_name(name)) {
            throw ParamError(context +
                             ": names cannot be '.' or '..' or contain '/' or control characters "
                             "(they name HDF5 groups in the output)");
        }
        if (!projection_names.insert(name).second) {
            throw ParamError(context + ": defined twice (give the projections distinct names)");
        }
        const auto pre = by_name.find(proj.pre);
        const auto post = by_name.find(proj.post);
        if (pre == by_name.end()) {
            throw ParamError::value("pre", fmt::format("'{}' is not a population", proj.pre))
                .in("projection", name, context);
        }
        if (post == by_name.end()) {
            throw ParamError::value("post", fmt::format("'{}' is not a population", proj.post))
                .in("projection", name, context);
        }
        const PopulationSpec& pre_pop = *pre->second;
        const PopulationSpec& post_pop = *post->second;
        in_context("projection", name, context, [&] {
            if (!is_neuron_model(post_pop.model)) {
                throw ParamError::value(
                    "post", fmt::format("'{}' is a {} source, which takes no input", post_pop.name,
                                        model_id(post_pop.model)));
            }
            const std::uint32_t n_pre = pre_pop.size;
            const std::uint32_t n_post = post_pop.size;
            std::visit(
                Overloaded{
                    [](const connect::AllToAll&) {},
                    [&](const connect::OneToOne&) {
                        if (n_pre != n_post) {
                            const std::string what =
                                fmt::format("one_to_one needs equal sizes, got {} pre and {} post",
                                            n_pre, n_post);
                            throw ParamError("connection", std::nullopt, what, what);
                        }
                    },
                    [](const connect::FixedProbability& c) {
                        if (!(c.p >= 0.0 && c.p <= 1.0)) {
                            const std::string detail = fmt::format("{}: must be in [0, 1]", c.p);
                            throw ParamError("connection.p", std::nullopt, "p = " + detail, detail);
                        }
                    },
                    [&](const connect::FixedInDegree& c) {
                        // Post neurons with an index below n_pre lose their same-index pre.
                        const std::uint32_t available = n_pre - (!c.allow_autapses ? 1U : 0U);
                        if (!c.allow_multapses && c.k > available) {
                            const std::string detail = fmt::format(
                                "{} exceeds the {} distinct presynaptic neurons available "
                                "without multapses",
                                c.k, available);
                            throw ParamError("connection.k", std::nullopt, "k = " + detail, detail);
                        }
                        if (available == 0 && c.k > 0) {
                            throw ParamError("connection", std::nullopt,
                                             "no presynaptic neuron available",
                                             "no presynaptic neuron available");
                        }
                    },
                    [&](const connect::FixedTotalNumber& c) {
                        // Without autapses a pair needs two neurons where the sizes allow
                        // same-index pairs only: one neuron onto one.
                        if (c.n > 0 && !c.allow_autapses && n_pre == 1 && n_post == 1) {
                            const std::string detail = fmt::format(
                                "{} synapses, but without autapses a single neuron onto a single "
                                "neuron has no pair to draw",
                                c.n);
                            throw ParamError("connection.n", std::nullopt, "n = " + detail, detail);
                        }
                    },
                    [&](const connect::FromList& c) {
                        if (c.pre.size() != c.post.size()) {
                            const std::string what = fmt::format(
                                "from_list has {} pre and {} post indices: they must match",
                                c.pre.size(), c.post.size());
                            throw ParamError("connection", std::nullopt, what, what);
                        }
                        for (std::size_t s = 0; s < c.pre.size(); ++s) {
                            if (c.pre[s] >= n_pre) {
                                const std::string what = fmt::format(
                                    "pre index {} of synapse {} is out of range for '{}' (size {})",
                                    c.pre[s], s, pre_pop.name, n_pre);
                                throw ParamError("connection.pre", s, what, what);
                            }
                            if (c.post[s] >= n_post) {
                                const std::string what = fmt::format(
                                    "post index {} of synapse {} is out of range for "
                                    "'{}' (size {})",
                                    c.post[s], s, post_pop.name, n_post);
                                throw ParamError("connection.post", s, what, what);
                            }
                        }
                    },
                },
                proj.connection);

            proj.weight.validate("weight", "");
            if (proj.weight.lowest() < 0.0) {
                const std::string what =
                    "weight can be negative: weights are non-negative magnitudes, the receptor "
                    "(excitatory or inhibitory) gives the sign of the effect";
                throw ParamError("weight", std::nullopt, what, what);
            }
            proj.delay_ms.validate("delay_ms", "ms");
            // Mirrors Population::min_delay_steps: neurons on the grid stamp their spikes at the
            // end of the step, which can reach targets before the next one.
            const bool stamps_at_step_end =
                is_neuron_model(pre_pop.model) && pre_pop.integration != Integration::precise;
            if (stamps_at_step_end && proj.delay_ms.lowest() < 0.0) {
                const std::string what = fmt::format("delay_ms can be {} ms: delays must be >= 0",
                                                     proj.delay_ms.lowest());
                throw ParamError("delay_ms", std::nullopt, what, what);
            }
            if (!stamps_at_step_end && proj.delay_ms.lowest() < dt_ms * (1.0 - 1e-9)) {
                const std::string what = fmt::format(
                    "delay_ms can be {} ms, shorter than dt = {} ms: delays from '{}' ({}) must "
                    "be at least one step",
                    proj.delay_ms.lowest(), dt_ms, pre_pop.name,
                    is_neuron_model(pre_pop.model) ? "a precise-mode neuron population"
                                                   : "a spike source");
                throw ParamError("delay_ms", std::nullopt, what, what);
            }

            // A normal's draws lie within 8.58 sd of the mean (Box-Muller on uniforms of at
            // least 2^-53: sqrt(-2 ln 2^-53) = 8.57), so an unbounded one has a longest delay.
            const Distribution& delay = proj.delay_ms;
            const double longest = delay.kind == Distribution::Kind::normal
                                       ? std::min(delay.highest(), delay.a + 8.58 * delay.b)
                                       : delay.highest();
            if (longest / dt_ms > std::numeric_limits<std::int32_t>::max()) {
                const std::string what = fmt::format(
                    "delay_ms can be {} ms, more than 2^31 steps of dt = {} ms", longest, dt_ms);
                throw ParamError("delay_ms", std::nullopt, what, what);
            }

            const models::WeightBounds* bounds = std::visit(
                [](const auto& rule) -> const models::WeightBounds* {
                    if constexpr (std::is_same_v<std::decay_t<decltype(rule)>, NoPlasticity>) {
                        return nullptr;
                    } else {
                        try {
                            rule.validate();
                        } catch (const ParamError& e) {
                            throw e.within("plasticity");
                        }
                        return &rule.bounds;
                    }
                },
                proj.plasticity);
            if (bounds != nullptr) {
                // A constant's value is a (b is unused: Distribution{.a = 1.5} leaves it 0).
                if (proj.weight.lowest() < bounds->w_min || proj.weight.highest() > bounds->w_max) {
                    const std::string what = fmt::format(
                        "initial weights can leave the plasticity bounds [w_min, w_max] = "
                        "[{}, {}]",
                        bounds->w_min, bounds->w_max);
                    throw ParamError("weight", std::nullopt, what, what);
                }
                if (post_pop.integration == Integration::precise) {
                    const std::string what = fmt::format(
                        "plasticity onto '{}' in precise mode is not supported: within a step, "
                        "pre and post events would be ordered by step, not by exact time",
                        post_pop.name);
                    throw ParamError("plasticity", std::nullopt, what, what);
                }
            }
            if (proj.weight_precision == WeightPrecision::float32) {
                if (bounds != nullptr) {
                    // A float32 weight must fit within the rule's bounds: the smallest float32 at
                    // or above w_min may not pass w_max.
                    auto lowest = static_cast<float>(bounds->w_min);
                    if (lowest < bounds->w_min) {
                        lowest = std::nextafter(lowest, std::numeric_limits<float>::infinity());
                    }
                    if (!(lowest <= bounds->w_max)) {
                        throw ParamError::value(
                            "weight_precision",
                            fmt::format("float32 has no value within the plasticity bounds [w_min, "
                                        "w_max] = [{}, {}]",
                                        bounds->w_min, bounds->w_max));
                    }
                }
                // Beyond float32's range a weight would become infinite: ten standard deviations
                // of a normal must fit (a redrawn one's range must).
                const Distribution& w = proj.weight;
                const double reach =
                    w.kind == Distribution::Kind::normal
                        ? std::max(std::abs(std::max(w.lowest(), w.a - 10.0 * w.b)),
                                   std::abs(std::min(w.highest(), w.a + 10.0 * w.b)))
                        : std::max(std::abs(w.a), std::abs(w.b));
                if (!(reach <= std::numeric_limits<float>::max())) {
                    throw ParamError::value(
                        "weight_precision",
                        fmt::format("float32 holds weights up to {:g} in magnitude; these weights "
                                    "reach {:g}",
                                    std::numeric_limits<float>::max(), reach));
                }
            }
            if (proj.storage == Storage::dense) {
                const auto* all = std::get_if<connect::AllToAll>(&proj.connection);
                if (all == nullptr || !all->allow_autapses) {
                    throw ParamError::value("storage",
                                            "dense needs a complete all-to-all connection");
                }
            }
            const auto [synapses, key] = expected_synapses(proj.connection, n_pre, n_post);
            if (synapses > static_cast<double>(std::numeric_limits<std::uint32_t>::max())) {
                const std::string what = fmt::format(
                    "about {:.3g} synapses, more than the 2^32 - 1 a projection holds", synapses);
                throw ParamError(key, std::nullopt, what, what);
            }
            const double bytes = estimated_projection_bytes(
                proj, synapses, n_pre, n_post, rule_bytes_per_synapse(proj.plasticity), threads);
            require_memory(bytes, key, fmt::format("about {:.3g} synapses", synapses));
            total_bytes += bytes;
        });
    }
    std::set<std::string, std::less<>> modulator_names;
    for (const auto& mod : modulators) {
        const std::string context = fmt::format("modulator '{}'", mod.name);
        if (!modulator_names.insert(mod.name).second) {
            throw ParamError(context + ": defined twice");
        }
        in_context("modulator", mod.name, context, [&] { validate_modulator(mod); });
    }
    if (total_bytes > static_cast<double>(available_memory_bytes())) {
        throw ParamError(fmt::format(
            "the projections together need about {:.3g} GiB, more than the {:.3g} GiB this machine "
            "has available",
            total_bytes / (1024.0 * 1024 * 1024),
            static_cast<double>(available_memory_bytes()) / (1024.0 * 1024 * 1024)));
    }
}

}  // namespace spikerate::sim
