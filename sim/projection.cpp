#include "projection.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

#include "models/concepts.hpp"
#include "models/error.hpp"
#include "sim/checkpoint.hpp"
#include "sim/connectivity.hpp"
#include "sim/overloaded.hpp"
#include "sim/random_stream.hpp"

namespace spikerate::sim {

namespace {

// The rule of a projection without plasticity.
struct StaticSynapses {
    static constexpr std::string_view id = "none";
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
          delays_(std::move(delays)),
          plasticity_(std::move(rule_state)) {
        build_layout();
        weights_.resize(stored_synapse_.size());
        set_weights(weights);
        std::int32_t max_delay = 1;
        for (const auto d : delays_) max_delay = std::max(max_delay, d);
        // Spikes of step n carry stamps n or n + 1 and arrive up to max_delay steps later (stamp
        // n + 1 with delay 0: in slot n + 1 itself); slot n + 1 is emptied before step n ends.
        arrivals_.resize(static_cast<std::size_t>(max_delay) + 2);
        if constexpr (is_plastic<Rule>) {
            build_incoming_index();
            post_term_.resize(post.size());
        }
    }

    std::string_view plasticity_id() const override { return Rule::id; }

    void save_state(StateWriter& out) const override {
        out.tag(fmt::format("projection {} ({})", name_, Rule::id));
        out.u64(weights_.size());
        out.u64(arrivals_.size());
        out.vec(weights_);
        if constexpr (is_plastic<Rule>) {
            out.vec(plasticity_.synapse);
            out.vec(plasticity_.post);
        }
        for (const auto& slot : arrivals_) out.vec(slot);
        out.u64(synaptic_events_);
        out.u64(plasticity_updates_);
        out.u64(plasticity_post_updates_);
        out.u64(post_term_evaluations_);
        out.u64(plasticity_modulator_updates_);
    }
    void load_state(StateReader& in) override {
        in.tag(fmt::format("projection {} ({})", name_, Rule::id));
        const std::string what = fmt::format("projection '{}'", name_);
        if (in.u64() != weights_.size() || in.u64() != arrivals_.size()) {
            in.fail(what + ": other synapses or delays than this run's");
        }
        in.vec_into(weights_, weights_.size(), what + ": weights");
        if constexpr (is_plastic<Rule>) {
            in.vec_into(plasticity_.synapse, plasticity_.synapse.size(), what + ": synapse traces");
            in.vec_into(plasticity_.post, plasticity_.post.size(), what + ": post traces");
        }
        for (auto& slot : arrivals_) {
            slot = in.vec<Arrival>();
            for (const Arrival& a : slot) {
                if (a.begin > a.end || a.end > weights_.size())
                    in.fail(what + ": spikes in flight");
            }
        }
        synaptic_events_ = in.u64();
        plasticity_updates_ = in.u64();
        plasticity_post_updates_ = in.u64();
        post_term_evaluations_ = in.u64();
        plasticity_modulator_updates_ = in.u64();
    }

    bool takes_modulator() const override { return models::HasModulator<Rule>; }
    void deliver_modulator(double value, double t) override {
        if constexpr (models::HasModulator<Rule>) {
            const auto& rule = plasticity_.rule;
            for (std::size_t k = 0; k < weights_.size(); ++k) {
                double& w = weights_[k];
                w = rule.bounds().clip(w + rule.on_modulator(plasticity_.synapse[k], value, w, t));
            }
            plasticity_updates_ += weights_.size();
            plasticity_modulator_updates_ += weights_.size();
        } else {
            throw Error(fmt::format("projection '{}' ({}): its rule takes no modulator (t = {} ms)",
                                    name_, Rule::id, t));
        }
    }
    bool is_dense() const override { return std::is_same_v<Connectivity, DenseConnectivity>; }
    std::size_t n_synapses() const override { return weights_.size(); }
    std::uint32_t pre_of(std::size_t s) const override { return connectivity_.pre_of(s); }
    std::uint32_t post_of(std::size_t s) const override { return connectivity_.post_of(s); }
    std::span<const std::int32_t> delay_steps() const override { return delays_; }

    void copy_weights(std::span<double> by_synapse_id) const override {
        check_size(by_synapse_id.size());
        for (std::size_t k = 0; k < weights_.size(); ++k) {
            by_synapse_id[stored_synapse_[k]] = weights_[k];
        }
    }
    void copy_weights_at(std::span<double> by_synapse_id, double t) const override {
        if constexpr (is_plastic<Rule> && models::HasWeightDrift<Rule>) {
            check_size(by_synapse_id.size());
            for (std::size_t k = 0; k < weights_.size(); ++k) {
                by_synapse_id[stored_synapse_[k]] =
                    plasticity_.rule.weight_at(plasticity_.synapse[k], weights_[k], t);
            }
        } else {
            copy_weights(by_synapse_id);
        }
    }
    void set_weights(std::span<const double> by_synapse_id) override {
        check_size(by_synapse_id.size());
        for (std::size_t k = 0; k < weights_.size(); ++k) {
            weights_[k] = by_synapse_id[stored_synapse_[k]];
        }
    }
    std::span<double> stored_weights() override { return weights_; }
    std::span<const std::uint32_t> stored_post() const override { return stored_post_; }

    void prepare(std::int64_t step) override {
        // A spike queues one entry per distinct delay of its neuron's synapses, not one per
        // synapse: the synapses of a run share the delay and arrive together.
        for (const Spike& spike : pre_.spikes()) {
            for (std::uint32_t r = run_begin_[spike.node]; r < run_begin_[spike.node + 1]; ++r) {
                const Run& run = runs_[r];
                slot(spike.time.step + run.delay)
                    .push_back(Arrival{run.begin, run.end, spike.time.offset});
            }
        }

        auto& arriving = slot(step + 1);
        std::uint64_t events = 0;
        for (const Arrival& a : arriving) events += a.end - a.begin;
        synaptic_events_ += events;
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
            on_grid_arrivals_ = static_cast<std::size_t>(later - arriving.begin());
            plasticity_updates_ += events;
            if (on_grid_arrivals_ > 0) post_term_evaluations_ += post_term_.size();
            for (auto a = later; a != arriving.end(); ++a)
                post_term_evaluations_ += a->end - a->begin;
            for (const Spike& spike : post_.spikes()) {
                const std::uint32_t updates =
                    incoming_begin_[spike.node + 1] - incoming_begin_[spike.node];
                plasticity_updates_ += updates;
                plasticity_post_updates_ += updates;
            }
        }
    }

    bool delivers_by_target_range() const override {
        return runs_sorted_by_target_ && !post_.keeps_input_times();
    }

    void deliver(std::int64_t step, std::uint32_t target_begin, std::uint32_t target_end) override {
        auto& arriving = slot(step + 1);
        const Targets targets{target_begin, target_end,
                              target_begin == 0 && target_end == post_.size()};
        if constexpr (is_plastic<Rule>) {
            const double t_next = grid_.time(step + 1);
            const auto later = arriving.begin() + static_cast<std::ptrdiff_t>(on_grid_arrivals_);
            deliver_on_grid(arriving.begin(), later, t_next, targets);
            apply_post_spikes(targets);
            deliver_off_grid(later, arriving.end(), t_next, targets);
        } else {
            deliver_static(arriving.begin(), arriving.end(), targets);
        }
    }

    void finish(std::int64_t step) override { slot(step + 1).clear(); }

  private:
    // The outgoing synapses of one presynaptic neuron that share one delay: stored entries
    // [begin, end).
    struct Run {
        std::int32_t delay;  // [steps]
        std::uint32_t begin;
        std::uint32_t end;
    };
    struct Arrival {  // a run arriving in a step
        std::uint32_t begin;
        std::uint32_t end;
        double offset;  // [ms] inside the arrival step
    };
    std::vector<Arrival>& slot(std::int64_t step) {
        return arrivals_[static_cast<std::size_t>(step) % arrivals_.size()];
    }
    using ArrivalIt = typename std::vector<Arrival>::iterator;

    // The postsynaptic neurons [begin, end) one delivery is for (all: the whole target).
    struct Targets {
        std::uint32_t begin;
        std::uint32_t end;
        bool all;
    };
    // The stored entries of an arriving run [begin, end) onto `targets`: a run's entries are
    // ordered by postsynaptic neuron (runs_sorted_by_target_), so they are consecutive.
    std::pair<std::uint32_t, std::uint32_t> entries_onto(const Arrival& a,
                                                         const Targets& targets) const {
        if (targets.all) return {a.begin, a.end};
        const std::uint32_t* const first = stored_post_.data() + a.begin;
        const std::uint32_t* const last = stored_post_.data() + a.end;
        const std::uint32_t* const lo = std::lower_bound(first, last, targets.begin);
        const std::uint32_t* const hi = std::lower_bound(lo, last, targets.end);
        return {static_cast<std::uint32_t>(lo - stored_post_.data()),
                static_cast<std::uint32_t>(hi - stored_post_.data())};
    }

    void check_size(std::size_t n) const {
        if (n != weights_.size()) {
            throw Error(fmt::format("projection '{}': {} weights given for {} synapses", name_, n,
                                    weights_.size()));
        }
    }

    // The stored order: each presynaptic neuron's outgoing synapses (neurons ascending), grouped
    // by delay (stable: by synapse id within a delay), so that a spike's arriving run reads
    // consecutive weights and synapse states.
    void build_layout() {
        const std::uint32_t n_pre = pre_.size();
        run_begin_.assign(std::size_t{n_pre} + 1, 0);
        stored_synapse_.reserve(connectivity_.n_synapses());
        stored_post_.reserve(connectivity_.n_synapses());
        std::vector<std::pair<std::uint32_t, std::uint32_t>> outgoing;  // (synapse, post)
        for (std::uint32_t i = 0; i < n_pre; ++i) {
            outgoing.clear();
            connectivity_.for_each_outgoing(i, [&](std::size_t s, std::uint32_t post) {
                outgoing.emplace_back(static_cast<std::uint32_t>(s), post);
            });
            std::stable_sort(outgoing.begin(), outgoing.end(), [&](const auto& a, const auto& b) {
                return delays_[a.first] < delays_[b.first];
            });
            for (std::size_t k = 0; k < outgoing.size(); ++k) {
                const std::int32_t delay = delays_[outgoing[k].first];
                if (k == 0 || delay != runs_.back().delay) {
                    const auto at = static_cast<std::uint32_t>(stored_synapse_.size());
                    runs_.push_back(Run{delay, at, at});
                }
                stored_synapse_.push_back(outgoing[k].first);
                stored_post_.push_back(outgoing[k].second);
                ++runs_.back().end;
            }
            run_begin_[i + 1] = static_cast<std::uint32_t>(runs_.size());
        }
        for (const Run& run : runs_) {
            if (!std::is_sorted(stored_post_.begin() + run.begin, stored_post_.begin() + run.end)) {
                runs_sorted_by_target_ = false;
            }
        }
    }

    // For on_post: the stored entries onto each postsynaptic neuron, ascending.
    void build_incoming_index() {
        const std::uint32_t n_post = post_.size();
        incoming_begin_.assign(std::size_t{n_post} + 1, 0);
        for (const auto j : stored_post_) ++incoming_begin_[j + 1];
        for (std::uint32_t j = 0; j < n_post; ++j) incoming_begin_[j + 1] += incoming_begin_[j];
        incoming_entry_.resize(stored_post_.size());
        std::vector<std::uint32_t> fill(incoming_begin_.begin(), incoming_begin_.end() - 1);
        for (std::uint32_t k = 0; k < stored_post_.size(); ++k) {
            incoming_entry_[fill[stored_post_[k]]++] = k;
        }
    }

    // Static synapses: the weights go to the target's receptor.
    void deliver_static(ArrivalIt first, ArrivalIt last, const Targets& targets) {
        double* const summed = post_.summed_input(receptor_);
        const std::uint32_t* const post = stored_post_.data();
        const double* const weights = weights_.data();
        for (auto a = first; a != last; ++a) {
            const auto [begin, end] = entries_onto(*a, targets);
            if (summed != nullptr) {
                for (std::uint32_t k = begin; k < end; ++k) summed[post[k]] += weights[k];
            } else {
                for (std::uint32_t k = begin; k < end; ++k) {
                    post_.receive(post[k], receptor_, a->offset, weights[k]);
                }
            }
        }
    }

    // Plastic synapses, arrivals at t_step exactly: the rule's post term is computed for every
    // postsynaptic neuron at once (vectorised), then each arrival hands its weight to the target
    // and runs on_pre.
    void deliver_on_grid(ArrivalIt first, ArrivalIt last, double t_step,
                         const Targets& targets) requires is_plastic<Rule> {
        if (first == last) return;
        const auto& rule = plasticity_.rule;
        const std::size_t n_targets = targets.end - targets.begin;
        if constexpr (models::HasVectorisedPostTerms<Rule>) {
            rule.post_terms(std::span<const typename Rule::PostState>(plasticity_.post)
                                .subspan(targets.begin, n_targets),
                            t_step,
                            std::span<double>(post_term_).subspan(targets.begin, n_targets));
        } else {
            for (std::size_t j = targets.begin; j < targets.end; ++j) {
                post_term_[j] = rule.post_term(plasticity_.post[j], t_step);
            }
        }
        double* const summed = post_.summed_input(receptor_);
        const std::uint32_t* const post = stored_post_.data();
        double* const weights = weights_.data();
        auto* const synapse = plasticity_.synapse.data();
        const double* const post_term = post_term_.data();
        for (auto a = first; a != last; ++a) {
            const auto [begin, end] = entries_onto(*a, targets);
            for (std::uint32_t k = begin; k < end; ++k) {
                const std::uint32_t target = post[k];
                double& w = weights[k];
                if constexpr (models::DeliversUpdatedWeight<Rule>) {
                    w = rule.bounds().clip(w +
                                           rule.on_pre(synapse[k], post_term[target], w, t_step));
                }
                if (summed != nullptr) {
                    summed[target] += w;
                } else {
                    post_.receive(target, receptor_, 0.0, w);
                }
                if constexpr (!models::DeliversUpdatedWeight<Rule>) {
                    w = rule.bounds().clip(w +
                                           rule.on_pre(synapse[k], post_term[target], w, t_step));
                }
            }
        }
    }

    // Plastic synapses, arrivals inside the step (in time order): one post term per event.
    void deliver_off_grid(ArrivalIt first, ArrivalIt last, double t_step,
                          const Targets& targets) requires is_plastic<Rule> {
        const auto& rule = plasticity_.rule;
        for (auto a = first; a != last; ++a) {
            const double t = t_step + a->offset;
            const auto [begin, end] = entries_onto(*a, targets);
            for (std::uint32_t k = begin; k < end; ++k) {
                const std::uint32_t target = stored_post_[k];
                double& w = weights_[k];
                const auto update = [&] {
                    w = rule.bounds().clip(
                        w + rule.on_pre(plasticity_.synapse[k],
                                        rule.post_term(plasticity_.post[target], t), w, t));
                };
                if constexpr (models::DeliversUpdatedWeight<Rule>) update();
                post_.receive(target, receptor_, a->offset, w);
                if constexpr (!models::DeliversUpdatedWeight<Rule>) update();
            }
        }
    }

    // on_post on every synapse onto each neuron of `targets` the target just fired.
    void apply_post_spikes(const Targets& targets) requires is_plastic<Rule> {
        auto& rule = plasticity_.rule;
        for (const Spike& spike : post_.spikes()) {
            if (spike.node < targets.begin || spike.node >= targets.end) continue;
            const double t = grid_.time(spike.time);
            auto& post_state = plasticity_.post[spike.node];
            for (std::uint32_t e = incoming_begin_[spike.node]; e < incoming_begin_[spike.node + 1];
                 ++e) {
                const std::uint32_t k = incoming_entry_[e];
                double& w = weights_[k];
                w = rule.bounds().clip(w + rule.on_post(plasticity_.synapse[k], post_state, w, t));
            }
            rule.after_post(post_state, t);
        }
    }

    TimeGrid grid_;
    Connectivity connectivity_;
    std::vector<std::int32_t> delays_;  // [steps] >= pre_.min_delay_steps(), by synapse id
    [[no_unique_address]] RuleState<Rule> plasticity_;  // synapse states in stored order
    std::vector<std::uint32_t> run_begin_;  // per presynaptic neuron: its runs, n_pre + 1
    std::vector<Run> runs_;
    std::vector<std::uint32_t> stored_synapse_;   // stored entry -> synapse id
    std::vector<std::uint32_t> stored_post_;      // stored entry -> postsynaptic neuron
    std::vector<double> weights_;                 // stored order
    std::vector<std::vector<Arrival>> arrivals_;  // ring buffer by arrival step
    // Plastic: stored entries onto each postsynaptic neuron, and the rule's post terms.
    std::vector<std::uint32_t> incoming_begin_;
    std::vector<std::uint32_t> incoming_entry_;
    std::vector<double> post_term_;
    std::size_t on_grid_arrivals_ = 0;   // of the arrivals being delivered: the first ones
    bool runs_sorted_by_target_ = true;  // (pre, post) pairs come sorted: always, so far
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

// Static synapses, or the rule whose parameters the spec holds (the list is the catalog).
template <class Connectivity>
std::unique_ptr<Projection> build_with_rule(const ProjectionSpec& spec, Population& pre,
                                            Population& post, const TimeGrid& grid,
                                            Connectivity connectivity, std::vector<double> weights,
                                            std::vector<std::int32_t> delays) {
    return std::visit(
        [&](const auto& params) {
            using Params = std::decay_t<decltype(params)>;
            if constexpr (std::is_same_v<Params, NoPlasticity>) {
                return build<Connectivity, StaticSynapses>(spec, pre, post, grid,
                                                           std::move(connectivity),
                                                           std::move(weights), std::move(delays));
            } else {
                return build<Connectivity, typename Params::Rule>(
                    spec, pre, post, grid, std::move(connectivity), std::move(weights),
                    std::move(delays), params);
            }
        },
        spec.plasticity);
}

}  // namespace

std::vector<double> Projection::weights() const {
    std::vector<double> w(n_synapses());
    copy_weights(w);
    return w;
}

std::unique_ptr<Projection> make_projection(const ProjectionSpec& spec, Population& pre,
                                            Population& post, const TimeGrid& grid,
                                            std::uint64_t seed) {
    const std::string name = spec.resolved_name();
    const auto* all = std::get_if<connect::AllToAll>(&spec.connection);
    const bool complete = all != nullptr && all->allow_autapses;
    const bool dense =
        spec.storage == Storage::dense || (spec.storage == Storage::automatic && complete);

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
        if (!(steps >= pre.min_delay_steps() &&
              steps <= std::numeric_limits<std::int32_t>::max())) {
            throw ParamError(fmt::format(
                "projection '{}': delay of synapse {} = {} ms is not in [{} ms, 2^31 steps]", name,
                s, delay_ms, pre.min_delay_steps() * grid.dt()));
        }
        delays[s] = static_cast<std::int32_t>(steps);
    }

    if (dense) {
        return build_with_rule(spec, pre, post, grid, DenseConnectivity(pre.size(), post.size()),
                               std::move(weights), std::move(delays));
    }
    return build_with_rule(spec, pre, post, grid, SparseConnectivity(pre.size(), pairs),
                           std::move(weights), std::move(delays));
}

}  // namespace spikerate::sim
