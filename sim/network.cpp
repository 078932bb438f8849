#include "network.hpp"

#include <fmt/format.h>

#include "models/error.hpp"
#include "sim/checkpoint.hpp"
#include "sim/neuron_population.hpp"
#include "sim/sources.hpp"

namespace spikerate::sim {

namespace {

// A neuron model's parameters become NeuronPopulation<Model>, a source's parameters the engine
// class they name (Params::Source); the list is the catalog (sim/catalog.hpp).
std::unique_ptr<Population> make_population(const PopulationSpec& spec, const TimeGrid& grid,
                                            std::uint64_t seed) {
    return std::visit(
        [&](const auto& params) -> std::unique_ptr<Population> {
            using Params = std::decay_t<decltype(params)>;
            if constexpr (NeuronParams<Params>) {
                return std::make_unique<NeuronPopulation<typename Params::Model>>(
                    spec.name, spec.size, params, spec.integration, grid, spec.initial, seed,
                    spec.current_noise);
            } else {
                static_assert(std::is_base_of_v<Population, typename Params::Source>,
                              "a source's engine class derives from Population");
                return std::make_unique<typename Params::Source>(spec.name, spec.size, params, grid,
                                                                 seed);
            }
        },
        spec.model);
}

template <class Container>
auto find_named(Container& items, std::string_view name) -> decltype(items.front().get()) {
    for (auto& item : items) {
        if (item->name() == name) return item.get();
    }
    return nullptr;
}

}  // namespace

Network::Network(NetworkSpec spec) : spec_(std::move(spec)), grid_(spec_.dt_ms) {
    spec_.validate();
    for (const auto& pop : spec_.populations) {
        populations_.push_back(make_population(pop, grid_, spec_.seed));
    }
    for (const auto& proj : spec_.projections) {
        projections_.push_back(
            make_projection(proj, population(proj.pre), population(proj.post), grid_, spec_.seed));
    }
    for (const auto& mod : spec_.modulators) {
        std::vector<Projection*> targets;
        for (const auto& name : mod.targets) targets.push_back(&projection(name));
        const bool pairing = !mod.pre.empty();
        modulators_.push_back(std::make_unique<Modulator>(
            mod, std::move(targets), pairing ? &population(mod.pre) : nullptr,
            pairing ? &population(mod.post) : nullptr, grid_, spec_.seed));
    }
}

void Network::step() {
    for (auto& population : populations_) population->advance(step_);
    for (auto& projection : projections_) projection->propagate(step_);
    for (auto& modulator : modulators_) modulator->after_step(step_);
    ++step_;
}

void Network::run(double duration_ms, const std::function<void(const Network&)>& after_step) {
    const std::int64_t n = grid_.steps_in(duration_ms, "run duration");
    for (std::int64_t k = 0; k < n; ++k) {
        step();
        if (after_step) after_step(*this);
    }
}

Population& Network::population(std::string_view name) {
    if (auto* p = find_named(populations_, name)) return *p;
    throw Error(fmt::format("no population named '{}'", name));
}
const Population& Network::population(std::string_view name) const {
    return const_cast<Network*>(this)->population(name);
}
Projection& Network::projection(std::string_view name) {
    if (auto* p = find_named(projections_, name)) return *p;
    throw Error(fmt::format("no projection named '{}'", name));
}
const Projection& Network::projection(std::string_view name) const {
    return const_cast<Network*>(this)->projection(name);
}

void Network::throw_wrong_kind(std::string_view name) const {
    throw Error(fmt::format("population '{}' is a {}, not the kind asked for", name,
                            population(name).model_id()));
}

void Network::save_state(StateWriter& out) const {
    out.tag("network");
    out.u64(populations_.size());
    out.u64(projections_.size());
    out.i64(step_);
    for (const auto& pop : populations_) pop->save_state(out);
    for (const auto& proj : projections_) proj->save_state(out);
    for (const auto& mod : modulators_) mod->save_state(out);  // none: nothing written
}

void Network::load_state(StateReader& in) {
    in.tag("network");
    if (in.u64() != populations_.size() || in.u64() != projections_.size()) {
        in.fail("another network (populations and projections)");
    }
    step_ = in.i64();
    if (step_ < 0) in.fail("a negative step count");
    for (const auto& pop : populations_) pop->load_state(in);
    for (const auto& proj : projections_) proj->load_state(in);
    for (const auto& mod : modulators_) mod->load_state(in);
}

}  // namespace spikerate::sim
