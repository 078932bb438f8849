#include "network.hpp"

#include <algorithm>

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
                    spec.current_noise, spec.poisson_background);
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
    // Before the projections: their synapses are grouped by the parts of their targets.
    if (spec_.threads > 1) plan_parts();
    for (const auto& proj : spec_.projections) {
        Population& post = population(proj.post);
        projections_.push_back(make_projection(proj, population(proj.pre), post, grid_, spec_.seed,
                                               part_bounds_.empty()
                                                   ? std::span<const std::uint32_t>()
                                                   : part_bounds_[index_of(post)]));
    }
    for (const auto& mod : spec_.modulators) {
        std::vector<Projection*> targets;
        for (const auto& name : mod.targets) targets.push_back(&projection(name));
        const bool pairing = !mod.pre.empty();
        modulators_.push_back(std::make_unique<Modulator>(
            mod, std::move(targets), pairing ? &population(mod.pre) : nullptr,
            pairing ? &population(mod.post) : nullptr, grid_, spec_.seed));
    }
    if (spec_.threads > 1) plan_threads();
}

std::size_t Network::index_of(const Population& population) const {
    return static_cast<std::size_t>(
        std::find_if(populations_.begin(), populations_.end(),
                     [&](const auto& pop) { return pop.get() == &population; }) -
        populations_.begin());
}

void Network::plan_parts() {
    const std::uint32_t n_parts = spec_.threads;
    // Parts start at multiples of 8 neurons: 64 bytes of each state variable, the widest SIMD
    // vector and Eigen's largest alignment, so that each value is computed by the vectorised or
    // the scalar code as in a whole-population step (sim/neuron_population.hpp). Populations of
    // at most 64 neurons are not worth a task per part.
    constexpr std::uint32_t block = 8;
    constexpr std::uint32_t smallest_split = 64;
    part_bounds_.assign(populations_.size(), {});
    for (std::size_t p = 0; p < populations_.size(); ++p) {
        Population& pop = *populations_[p];
        if (!pop.splits_by_neuron() || pop.size() <= smallest_split) continue;
        const std::uint32_t blocks = (pop.size() + block - 1) / block;
        const std::uint32_t per_part = (blocks + n_parts - 1) / n_parts * block;
        for (std::uint32_t c = 0; c <= n_parts; ++c) {
            part_bounds_[p].push_back(static_cast<std::uint32_t>(
                std::min<std::uint64_t>(std::uint64_t{c} * per_part, pop.size())));
        }
        pop.split(part_bounds_[p]);
    }
}

void Network::plan_threads() {
    const std::uint32_t n_parts = spec_.threads;
    pool_ = std::make_unique<WorkerPool>(spec_.threads);
    const auto& bounds = part_bounds_;
    std::vector<std::uint32_t> whole_home(populations_.size(), 0);
    std::uint32_t next_whole_home = 0;
    for (std::size_t p = 0; p < populations_.size(); ++p) {
        if (bounds[p].empty()) {
            whole_home[p] = next_whole_home++ % n_parts;
            advance_tasks_.push_back({p, 0});
            advance_home_.push_back(whole_home[p]);
            continue;
        }
        for (std::uint32_t c = 0; c < n_parts; ++c) {
            advance_tasks_.push_back({p, c});
            advance_home_.push_back(c);
        }
    }
    // Deliveries by target: the projections onto a population, in their order, for one range
    // of its neurons. A population's input is written by range only when every projection onto
    // it can deliver by range; otherwise one task delivers all of them whole.
    std::vector<std::vector<std::size_t>> onto(populations_.size());
    for (std::size_t j = 0; j < projections_.size(); ++j) {
        onto[index_of(projections_[j]->post())].push_back(j);
    }
    for (std::size_t p = 0; p < populations_.size(); ++p) {
        if (onto[p].empty()) continue;
        const bool by_range =
            !bounds[p].empty() && std::all_of(onto[p].begin(), onto[p].end(), [&](std::size_t j) {
                return projections_[j]->delivers_by_target_range();
            });
        const auto first = static_cast<std::uint32_t>(deliveries_.size());
        deliveries_.insert(deliveries_.end(), onto[p].begin(), onto[p].end());
        const auto last = static_cast<std::uint32_t>(deliveries_.size());
        if (by_range) {
            for (std::uint32_t c = 0; c < n_parts; ++c) {
                deliver_tasks_.push_back({first, last, bounds[p][c], bounds[p][c + 1]});
                deliver_home_.push_back(c);
            }
        } else {
            deliver_tasks_.push_back({first, last, 0, populations_[p]->size()});
            deliver_home_.push_back(whole_home[p]);
        }
    }
}

void Network::step() {
    if (pool_ != nullptr) {
        step_on_threads();
        return;
    }
    for (auto& population : populations_) population->advance(step_);
    for (auto& projection : projections_) projection->propagate(step_);
    for (auto& modulator : modulators_) modulator->after_step(step_);
    ++step_;
}

void Network::step_on_threads() {
    const std::int64_t step = step_;
    pool_->run(
        static_cast<std::uint32_t>(advance_tasks_.size()),
        [&](std::uint32_t i) {
            const AdvanceTask& task = advance_tasks_[i];
            populations_[task.population]->advance_part(step, task.part);
        },
        advance_home_);
    for (auto& population : populations_) population->finish_parts(step);
    for (auto& projection : projections_) projection->prepare(step);
    pool_->run(
        static_cast<std::uint32_t>(deliver_tasks_.size()),
        [&](std::uint32_t i) {
            const DeliverTask& task = deliver_tasks_[i];
            for (std::uint32_t d = task.first; d < task.last; ++d) {
                projections_[deliveries_[d]]->deliver(step, task.target_begin, task.target_end);
            }
        },
        deliver_home_);
    for (auto& projection : projections_) projection->finish(step);
    for (auto& modulator : modulators_) modulator->after_step(step);
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
