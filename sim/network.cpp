#include "network.hpp"

#include <fmt/format.h>

#include "models/error.hpp"
#include "sim/neuron_population.hpp"
#include "sim/overloaded.hpp"
#include "sim/sources.hpp"

namespace spikerate::sim {

namespace {

// Neuron models (parameters naming their Model) become NeuronPopulation<Model>; the list of
// models is the PopulationModel variant in network_spec.hpp.
std::unique_ptr<Population> make_population(const PopulationSpec& spec, const TimeGrid& grid,
                                            std::uint64_t seed) {
    return std::visit(
        Overloaded{
            [&](const PoissonSourceParams& p) -> std::unique_ptr<Population> {
                return std::make_unique<PoissonSource>(spec.name, spec.size, p.rate_hz, grid, seed);
            },
            [&](const SpikeTrainSourceParams& p) -> std::unique_ptr<Population> {
                return std::make_unique<SpikeTrainSource>(spec.name, spec.size, p, grid);
            },
            [&](const auto& p) -> std::unique_ptr<Population> {
                using Model = typename std::decay_t<decltype(p)>::Model;
                return std::make_unique<NeuronPopulation<Model>>(
                    spec.name, spec.size, p, spec.integration, grid, spec.initial, seed);
            },
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
}

void Network::step() {
    for (auto& population : populations_) population->advance(step_);
    for (auto& projection : projections_) projection->propagate(step_);
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

}  // namespace spikerate::sim
