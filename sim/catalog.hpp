#pragma once

// The catalog: every neuron model, spike source and plasticity rule a scenario can name.
//
// Adding one is its file pair (models/<id>.hpp/.cpp; a source: its parameters in
// sim/source_params.hpp and its engine class in sim/sources.hpp) plus one line in a list below.
// Everything else is derived from these lists: the variants of NetworkSpec (PopulationModel,
// PlasticityParams), the builders of populations and projections, the checks of initial weights
// against a rule's bounds, the ids and keys scenario files use, and `spikerate keys`. Each entry
// is checked here against what it must provide (models/concepts.hpp), one readable error per
// missing member.

#include <concepts>
#include <cstdint>
#include <string_view>
#include <variant>

#include "models/adex.hpp"
#include "models/adex_cond.hpp"
#include "models/concepts.hpp"
#include "models/izhikevich.hpp"
#include "models/lif_cond.hpp"
#include "models/lif_curr.hpp"
#include "models/nearest_triplet_stdp.hpp"
#include "models/pair_stdp.hpp"
#include "models/reward_stdp.hpp"
#include "models/srm_masquelier.hpp"
#include "models/triplet_stdp.hpp"
#include "sim/masquelier_pattern.hpp"
#include "sim/source_params.hpp"
#include "sim/type_list.hpp"
#ifdef SPIKERATE_CATALOG_EXTENSION_HEADER
#include SPIKERATE_CATALOG_EXTENSION_HEADER  // a build's extension (sim/catalog_extension.hpp)
#else
#include "sim/catalog_extension.hpp"  // none
#endif

namespace spikerate::sim::catalog {

// The lists (then the entries of a catalog extension, if the build has one). The order is the
// order of the ids in messages and in the key reference.
using NeuronModels = Concat<TypeList<models::LifCurr, models::LifCond, models::SrmMasquelier,
                                     models::Izhikevich, models::Adex, models::AdexCond>,
                            ExtensionNeuronModels>;
using Sources =
    Concat<TypeList<PoissonSourceParams, SpikeTrainSourceParams, MasquelierPatternParams>,
           ExtensionSources>;
using PlasticityRules = Concat<
    TypeList<models::PairStdp, models::NearestTripletStdp, models::TripletStdp, models::RewardStdp>,
    ExtensionPlasticityRules>;

}  // namespace spikerate::sim::catalog

namespace spikerate::sim {

// The parameters of a spike source: what the engine needs of a catalog entry in `Sources`.
template <class P>
concept SourceParams = requires(const P& p, P& q, std::uint32_t size, double dt_ms) {
    typename P::Source;
    { P::id } -> std::convertible_to<std::string_view>;
    { P::summary } -> std::convertible_to<std::string_view>;
    p.validate(size, dt_ms);
    q.visit_fields(models::AnyFieldVisitor{});
};

template <class P>
consteval bool check_source() {
    static_assert(
        requires { typename P::Source; },
        "a source's parameters name the engine class that plays it (using Source = ...;)");
    static_assert(
        requires {
            { P::id } -> std::convertible_to<std::string_view>;
            { P::summary } -> std::convertible_to<std::string_view>;
        },
        "a source's parameters have `static constexpr std::string_view id` and `summary`");
    static_assert(
        requires(const P& p) { p.validate(std::uint32_t{1}, 0.1); },
        "a source's parameters have `void validate(std::uint32_t size, double dt_ms) "
        "const`");
    static_assert(
        requires(P & p) { p.visit_fields(models::AnyFieldVisitor{}); },
        "a source's parameters have `visit_fields(v)` naming every parameter");
    return true;
}

namespace catalog {

template <class... M>
consteval bool check_neuron_models(TypeList<M...>) {
    return (models::check_neuron_model<M>() && ...);
}
template <class... P>
consteval bool check_sources(TypeList<P...>) {
    return (check_source<P>() && ...);
}
template <class... R>
consteval bool check_plasticity_rules(TypeList<R...>) {
    return (models::check_plasticity_rule<R>() && ...);
}
static_assert(check_neuron_models(NeuronModels{}));
static_assert(check_sources(Sources{}));
static_assert(check_plasticity_rules(PlasticityRules{}));

template <class Models, class SourceList>
struct PopulationModelOf;
template <class... M, class... S>
struct PopulationModelOf<TypeList<M...>, TypeList<S...>> {
    using type = std::variant<typename M::Params..., S...>;
};

}  // namespace catalog

// Static synapses: the rule of a projection without plasticity.
struct NoPlasticity {
    template <class Visitor>
    void visit_fields(Visitor&& /*v*/) {}
};

namespace catalog {

template <class Rules>
struct PlasticityParamsOf;
template <class... R>
struct PlasticityParamsOf<TypeList<R...>> {
    using type = std::variant<NoPlasticity, typename R::Params...>;
};

}  // namespace catalog

// What a population is: the parameters of a neuron model or of a source, one alternative per
// catalog entry (neuron models first).
using PopulationModel =
    typename catalog::PopulationModelOf<catalog::NeuronModels, catalog::Sources>::type;
// The plasticity of a projection: none, or the parameters of a rule of the catalog.
using PlasticityParams = typename catalog::PlasticityParamsOf<catalog::PlasticityRules>::type;

// Neuron parameter structs name their model (Params::Model); source parameters do not.
template <class Params>
concept NeuronParams = requires {
    typename Params::Model;
};

// The id scenario files use for a population's model or a projection's rule ("lif_cond",
// "poisson", "pair_stdp"; "none" for static synapses).
template <class Params>
constexpr std::string_view id_of() {
    if constexpr (NeuronParams<Params>) {
        return Params::Model::id;
    } else if constexpr (std::same_as<Params, NoPlasticity>) {
        return "none";
    } else if constexpr (requires { typename Params::Rule; }) {
        return Params::Rule::id;
    } else {
        return Params::id;
    }
}
// Its one-line summary for the key reference ("" for static synapses).
template <class Params>
constexpr std::string_view summary_of() {
    if constexpr (NeuronParams<Params>) {
        return Params::Model::summary;
    } else if constexpr (std::same_as<Params, NoPlasticity>) {
        return "";
    } else if constexpr (requires { typename Params::Rule; }) {
        return Params::Rule::summary;
    } else {
        return Params::summary;
    }
}

}  // namespace spikerate::sim
