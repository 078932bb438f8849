#include "projection.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

#include "models/error.hpp"
#include "sim/connectivity.hpp"
#include "sim/overloaded.hpp"
#include "sim/random_stream.hpp"

namespace spikerate::sim {

namespace {

// The rule of a projection without plasticity.
struct StaticSynapses {
    static constexpr const char* id = "none";
};

template <class Rule>
constexpr bool is_plastic = !std::is_same_v<Rule, StaticSynapses>;

template <class Rule>
struct RuleState {};
template <class Rule>
    requires is_plastic<Rule>
struct RuleState<Rule> {
    explicit RuleState(const typename Rule::Params& params, std::size_t n_synapses,
                       std::uint32_t n_post)
        : rule(params), synapse(n_synapses), post(n_post) {}
    Rule rule;
    std::vector<typename Rule::SynapseState> synapse;  // per synapse
    std::vector<typename Rule::PostState> post;        // per postsynaptic neuron
};

template <class Connectivity, class Rule>
class ProjectionOf final : public Projection {
public:
    ProjectionOf(std::string name, Population& pre, Population& post, Receptor receptor,
                 const TimeGrid& grid, Connectivity connectivity, std::vector<double> weights,
                 std::vector<std::int32_t> delays, RuleState<Rule> rule_state)
        : Projection(std::move(name), pre, post, receptor),
          grid_(grid),
          connectivity_(std::move(connectivity)),
          weights_(std::move(weights)),
          delays_(std::move(delays)),
          plasticity_(std::move(rule_state)) {
        std::int32_t max_delay = 1;
        for (const auto d : delays_) max_delay = std::max(max_delay, d);
        // Spikes of step n carry stamps n or n + 1 and arrive up to max_delay steps later;
        // slot n + 1 is emptied before step n ends.
        arrivals_.resize(static_cast<std::size_t>(max_delay) + 2);
    }

    std::string_view plasticity_id() const override { return Rule::id; }
    bool is_dense() const override { return std::is_same_v<Connectivity, DenseConnectivity>; }
    std::size_t n_synapses() const override { return weights_.size(); }
    std::uint32_t pre_of(std::size_t s) const override { return connectivity_.pre_of(s); }
    std::uint32_t post_of(std::size_t s) const override { return connectivity_.post_of(s); }
    std::span<const double> weights() const override { return weights_; }
    std::span<const std::int32_t> delay_steps() const override { return delays_; }

    void propagate(std::int64_t step) override {
        for (const Spike& spike : pre_.spikes()) {
            connectivity_.for_each_outgoing(spike.node, [&](std::size_t s, std::uint32_t) {
                slot(spike.time.step + delays_[s])
                    .push_back(Arrival{static_cast<std::uint32_t>(s), spike.time.offset});
            });
        }

        auto& arriving = slot(step + 1);
        const double t_next = grid_.time(step + 1);
        if constexpr (is_plastic<Rule>) {
            // Grid-mode targets spike at t_{n+1} exactly: arrivals at t_{n+1} come before those
            // spikes, arrivals later in the step after them, in time order. Off-grid arrivals
            // (from precise or spike-train sources) are rare: sort only when there are any, as
            // the stable algorithms allocate.
            auto later = arriving.end();
            if (std::any_of(arriving.begin(), arriving.end(),
                            [](const Arrival& a) { return a.offset != 0.0; })) {
                later = std::stable_partition(arriving.begin(), arriving.end(),
                                              [](const Arrival& a) { return a.offset == 0.0; });
                std::stable_sort(later, arriving.end(), [](const Arrival& a, const Arrival& b) {
                    return a.offset < b.offset;
                });
            }
            deliver(arriving.begin(), later, t_next);
            apply_post_spikes();
            deliver(later, arriving.end(), t_next);
            plasticity_updates_ += arriving.size();
        } else {
            deliver(arriving.begin(), arriving.end(), t_next);
        }
        synaptic_events_ += arriving.size();
        arriving.clear();
    }

private:
    struct Arrival {
        std::uint32_t synapse;
        double offset;  // [ms] inside the arrival step
    };
    std::vector<Arrival>& slot(std::int64_t step) {
        return arrivals_[static_cast<std::size_t>(step) % arrivals_.size()];
    }
    using ArrivalIt = typename std::vector<Arrival>::iterator;

    // Hands arrivals of the step starting at t_step to the target; runs on_pre if plastic.
    void deliver(ArrivalIt first, ArrivalIt last, double t_step) {
        for (auto a = first; a != last; ++a) {
            const std::uint32_t target = connectivity_.post_of(a->synapse);
            double& w = weights_[a->synapse];
            post_.receive(target, receptor_, a->offset, w);
            if constexpr (is_plastic<Rule>) {
                w = plasticity_.rule.bounds().clip(
                    w + plasticity_.rule.on_pre(plasticity_.synapse[a->synapse],
                                                plasticity_.post[target], w, t_step + a->offset));
            }
        }
    }

    // on_post on every synapse onto each neuron the target just fired.
    void apply_post_spikes()
        requires is_plastic<Rule>
    {
        auto& rule = plasticity_.rule;
        for (const Spike& spike : post_.spikes()) {
            const double t = grid_.time(spike.time);
            auto& post_state = plasticity_.post[spike.node];
            connectivity_.for_each_incoming(spike.node, [&](std::size_t s, std::uint32_t) {
                double& w = weights_[s];
                w = rule.bounds().clip(w + rule.on_post(plasticity_.synapse[s], post_state, w, t));
                ++plasticity_updates_;
            });
            rule.after_post(post_state, t);
        }
    }

    TimeGrid grid_;
    Connectivity connectivity_;
    std::vector<double> weights_;
    std::vector<std::int32_t> delays_;  // [steps] >= 1
    [[no_unique_address]] RuleState<Rule> plasticity_;
    std::vector<std::vector<Arrival>> arrivals_;  // ring buffer by arrival step
};

template <class Connectivity, class Rule, class... RuleParams>
std::unique_ptr<Projection> build(const ProjectionSpec& spec, Population& pre, Population& post,
                                  const TimeGrid& grid, Connectivity connectivity,
                                  std::vector<double> weights, std::vector<std::int32_t> delays,
                                  const RuleParams&... rule_params) {
    RuleState<Rule> state = [&] {
        if constexpr (is_plastic<Rule>) {
            return RuleState<Rule>(rule_params..., weights.size(), post.size());
        } else {
            return RuleState<Rule>{};
        }
    }();
    return std::make_unique<ProjectionOf<Connectivity, Rule>>(
        spec.resolved_name(), pre, post, spec.receptor, grid, std::move(connectivity),
        std::move(weights), std::move(delays), std::move(state));
}

template <class Connectivity>
std::unique_ptr<Projection> build_with_rule(const ProjectionSpec& spec, Population& pre,
                                            Population& post, const TimeGrid& grid,
                                            Connectivity connectivity, std::vector<double> weights,
                                            std::vector<std::int32_t> delays) {
    return std::visit(
        Overloaded{
            [&](const NoPlasticity&) {
                return build<Connectivity, StaticSynapses>(spec, pre, post, grid,
                                                           std::move(connectivity),
                                                           std::move(weights), std::move(delays));
            },
            [&](const models::PairStdpParams& p) {
                return build<Connectivity, models::PairStdp>(spec, pre, post, grid,
                                                             std::move(connectivity),
                                                             std::move(weights), std::move(delays), p);
            },
            [&](const models::NearestTripletStdpParams& p) {
                return build<Connectivity, models::NearestTripletStdp>(
                    spec, pre, post, grid, std::move(connectivity), std::move(weights),
                    std::move(delays), p);
            },
        },
        spec.plasticity);
}

}  // namespace

std::unique_ptr<Projection> make_projection(const ProjectionSpec& spec, Population& pre,
                                            Population& post, const TimeGrid& grid,
                                            std::uint64_t seed) {
    const std::string name = spec.resolved_name();
    const auto* all = std::get_if<connect::AllToAll>(&spec.connection);
    const bool complete = all != nullptr && all->allow_autapses;
    const bool dense = spec.storage == Storage::dense || (spec.storage == Storage::automatic && complete);
    const bool plastic = !std::holds_alternative<NoPlasticity>(spec.plasticity);

    std::vector<SparseConnectivity::Pair> pairs;
    std::size_t n_synapses = std::size_t{pre.size()} * post.size();
    if (!dense) {
        pairs = connect_pairs(spec.connection, pre.size(), post.size(),
                              RandomStream(seed, "connect/" + name));
        n_synapses = pairs.size();
    }
    if (n_synapses > std::numeric_limits<std::uint32_t>::max()) {
        throw ParamError(fmt::format("projection '{}': {} synapses exceed the 2^32 - 1 supported",
                                     name, n_synapses));
    }

    std::vector<double> weights(n_synapses);
    std::vector<std::int32_t> delays(n_synapses);
    const RandomStream weight_stream(seed, "weights/" + name);
    const RandomStream delay_stream(seed, "delays/" + name);
    for (std::size_t s = 0; s < n_synapses; ++s) {
        weights[s] = spec.weight.sample(weight_stream, s, 0);
        const double delay_ms = spec.delay_ms.sample(delay_stream, s, 0);
        const double steps = std::round(delay_ms / grid.dt());
        if (!(steps >= 1.0 && steps <= std::numeric_limits<std::int32_t>::max())) {
            throw ParamError(fmt::format(
                "projection '{}': delay of synapse {} = {} ms is not in [dt = {} ms, 2^31 steps]",
                name, s, delay_ms, grid.dt()));
        }
        delays[s] = static_cast<std::int32_t>(steps);
    }

    if (dense) {
        return build_with_rule(spec, pre, post, grid, DenseConnectivity(pre.size(), post.size()),
                               std::move(weights), std::move(delays));
    }
    return build_with_rule(spec, pre, post, grid,
                           SparseConnectivity(pre.size(), post.size(), pairs, plastic),
                           std::move(weights), std::move(delays));
}

}  // namespace spikerate::sim
