#include "projection.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

#include "models/concepts.hpp"
#include "models/error.hpp"
#include "models/weight_normalisation.hpp"
#include "sim/checkpoint.hpp"
#include "sim/connectivity.hpp"
#include "sim/overloaded.hpp"
#include "sim/random_stream.hpp"
#include "sim/synapse_layout.hpp"

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

// Weights in stored order: one per synapse, or (static projections) one for all when `each` is
// empty.
template <class Weight>
struct StoredWeights {
    std::vector<Weight> each;
    double all = 0.0;
};

// Weight: double, or float with weight_precision = float32: every weight a float32 value, summed
// into the target's double input; a rule computes each update in double from it, clips it to its
// bounds and stores the float32 nearest (within the bounds).
template <class Rule, class Weight = double>
class ProjectionOf final : public Projection {
  public:
    ProjectionOf(std::string name, Population& pre, Population& post, Receptor receptor,
                 const TimeGrid& grid, SynapseLayout layout, bool dense,
                 StoredWeights<Weight> weights, RuleState<Rule> rule_state)
        : Projection(std::move(name), pre, post, receptor),
          grid_(grid),
          layout_(std::move(layout)),
          dense_(dense),
          plasticity_(std::move(rule_state)) {
        take_stored_weights(std::move(weights));
        // Spikes of step n carry stamps n or n + 1 and arrive up to max_delay steps later (stamp
        // n + 1 with delay 0: in slot n + 1 itself); slot n + 1 is emptied before step n ends.
        arrivals_.resize(static_cast<std::size_t>(std::max(layout_.max_delay(), 1)) + 2);
        if constexpr (is_plastic<Rule>) {
            build_incoming_index();
            post_term_.resize(post.size());
        }
    }

    std::string_view plasticity_id() const override { return Rule::id; }

    void save_state(StateWriter& out) const override {
        out.tag(fmt::format("projection {} ({})", name_, Rule::id));
        // In the whole order (SynapseLayout): the same bytes on any thread count.
        const std::size_t n = n_synapses();
        const bool whole = layout_.parts() == 1;
        const std::vector<std::uint32_t> to_whole =
            whole ? std::vector<std::uint32_t>() : layout_.whole_entries();
        // (float32 weights: as the doubles they stand for, the bytes of a float64 projection's)
        const auto write_per_synapse = [&]<class T>(const std::vector<T>& stored) {
            using Written = std::conditional_t<std::is_same_v<T, float>, double, T>;
            if (whole && std::is_same_v<T, Written>) {
                out.vec(stored);
            } else {
                std::vector<Written> in_whole_order(stored.size());
                for (std::size_t k = 0; k < stored.size(); ++k)
                    in_whole_order[whole ? k : to_whole[k]] = stored[k];
                out.vec(in_whole_order);
            }
        };
        out.u64(n);
        out.u64(arrivals_.size());
        if (one_weight_) {  // the bytes of the vector it stands for
            out.u64(n);
            for (std::size_t k = 0; k < n; ++k) out.f64(weight_);
        } else {
            write_per_synapse(weights_);
        }
        if constexpr (is_plastic<Rule>) {
            write_per_synapse(plasticity_.synapse);
            out.vec(plasticity_.post);
        }
        for (const auto& slot : arrivals_) out.vec(whole ? slot : whole_arrivals(slot));
        out.u64(synaptic_events_);
        out.u64(plasticity_updates_);
        out.u64(plasticity_post_updates_);
        out.u64(post_term_evaluations_);
        out.u64(plasticity_modulator_updates_);
    }
    void load_state(StateReader& in) override {
        in.tag(fmt::format("projection {} ({})", name_, Rule::id));
        const std::string what = fmt::format("projection '{}'", name_);
        const std::size_t n = n_synapses();
        if (in.u64() != n || in.u64() != arrivals_.size()) {
            in.fail(what + ": other synapses or delays than this run's");
        }
        // Written in the whole order (SynapseLayout), stored in this layout's.
        const bool whole = layout_.parts() == 1;
        const std::vector<std::uint32_t> to_whole =
            whole ? std::vector<std::uint32_t>() : layout_.whole_entries();
        const auto to_stored_order = [&](auto& values) {
            if (whole) return;
            const auto in_whole_order = values;
            for (std::size_t k = 0; k < values.size(); ++k) values[k] = in_whole_order[to_whole[k]];
        };
        std::vector<double> weights;
        in.vec_into(weights, n, what + ": weights");
        to_stored_order(weights);
        take_stored_weights(as_stored_weights(std::move(weights)));
        if constexpr (is_plastic<Rule>) {
            in.vec_into(plasticity_.synapse, plasticity_.synapse.size(), what + ": synapse traces");
            to_stored_order(plasticity_.synapse);
            in.vec_into(plasticity_.post, plasticity_.post.size(), what + ": post traces");
        }
        for (auto& slot : arrivals_) {
            const auto saved = in.vec<Arrival>();
            for (const Arrival& a : saved) {  // a queued run is never empty
                if (a.begin >= a.end || a.end > n) in.fail(what + ": spikes in flight");
            }
            if (whole) {
                slot = saved;
            } else {
                slot.clear();
                for (const Arrival& a : saved) {
                    if (!add_arrival_in_parts(slot, a)) in.fail(what + ": spikes in flight");
                }
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
                const double w = weights_[k];
                weights_[k] = static_cast<Weight>(as_stored(rule.bounds().clip(
                    w + rule.on_modulator(plasticity_.synapse[k], value, w, t))));
            }
            plasticity_updates_ += weights_.size();
            plasticity_modulator_updates_ += weights_.size();
        } else {
            throw Error(fmt::format("projection '{}' ({}): its rule takes no modulator (t = {} ms)",
                                    name_, Rule::id, t));
        }
    }
    bool is_dense() const override { return dense_; }
    std::size_t n_synapses() const override { return layout_.n_synapses(); }
    std::uint32_t pre_of(std::size_t s) const override { return layout_.pre_of(s); }
    std::uint32_t post_of(std::size_t s) const override { return layout_.post_of(s); }
    std::int32_t delay_of(std::size_t s) const override { return layout_.delay_of(s); }
    std::size_t memory_bytes() const override {
        std::size_t bytes = layout_.memory_bytes() + sizeof(Weight) * weights_.capacity();
        if constexpr (is_plastic<Rule>) {
            bytes +=
                sizeof(typename Rule::SynapseState) * plasticity_.synapse.capacity() +
                sizeof(typename Rule::PostState) * plasticity_.post.capacity() +
                sizeof(std::uint32_t) * (incoming_begin_.capacity() + incoming_entry_.capacity()) +
                sizeof(double) * post_term_.capacity();
        }
        return bytes;
    }

    void copy_weights(std::span<double> by_synapse_id) const override {
        check_size(by_synapse_id.size());
        if (one_weight_) {
            std::fill(by_synapse_id.begin(), by_synapse_id.end(), weight_);
        } else if (layout_.in_id_order()) {
            std::copy(weights_.begin(), weights_.end(), by_synapse_id.begin());
        } else {
            for (std::size_t s = 0; s < by_synapse_id.size(); ++s) {
                by_synapse_id[s] = weights_[layout_.entry_of(s)];
            }
        }
    }
    void copy_weights_at(std::span<double> by_synapse_id, double t) const override {
        if constexpr (is_plastic<Rule> && models::HasWeightDrift<Rule>) {
            check_size(by_synapse_id.size());
            for (std::size_t s = 0; s < by_synapse_id.size(); ++s) {
                const std::size_t k = layout_.entry_of(s);
                by_synapse_id[s] =
                    plasticity_.rule.weight_at(plasticity_.synapse[k], weights_[k], t);
            }
        } else {
            copy_weights(by_synapse_id);
        }
    }
    void set_weights(std::span<const double> by_synapse_id) override {
        check_size(by_synapse_id.size());
        if constexpr (!is_plastic<Rule>) {
            if (all_the_same(by_synapse_id)) {
                keep_one_weight(by_synapse_id.empty() ? 0.0 : by_synapse_id[0]);
                return;
            }
        }
        materialise_weights();
        for (std::size_t s = 0; s < by_synapse_id.size(); ++s) {
            weights_[layout_.entry_of(s)] = static_cast<Weight>(as_stored(by_synapse_id[s]));
        }
    }
    std::span<double> stored_weights() override {
        if constexpr (std::is_same_v<Weight, double>) {
            materialise_weights();
            return weights_;
        } else {
            throw Error(
                fmt::format("projection '{}' holds float32 weights: stored_weights() "
                            "gives float64 ones only (copy_weights gives any)",
                            name_));
        }
    }
    std::span<const std::uint32_t> stored_post() const override { return layout_.stored_post(); }
    std::size_t normalise_incoming(double target, const models::WeightBounds& bounds) override {
        materialise_weights();
        if constexpr (std::is_same_v<Weight, double>) {
            return models::normalise_incoming(weights_, layout_.stored_post(), post_.size(), target,
                                              bounds);
        } else {
            std::vector<double> w(weights_.begin(), weights_.end());
            const std::size_t missed =
                models::normalise_incoming(w, layout_.stored_post(), post_.size(), target, bounds);
            for (std::size_t k = 0; k < w.size(); ++k)
                weights_[k] = static_cast<Weight>(as_stored(w[k]));
            return missed;
        }
    }

    void prepare(std::int64_t step) override {
        // A spike queues one entry per distinct delay of its neuron's synapses, not one per
        // synapse: the synapses of a run share the delay and arrive together.
        for (const Spike& spike : pre_.spikes()) {
            for (const Run& run : layout_.runs_of(spike.node)) {
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
        return layout_.runs_sorted_by_target() && !post_.keeps_input_times();
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
    using Run = SynapseLayout::Run;
    struct Arrival {  // a run arriving in a step
        std::uint32_t begin;
        std::uint32_t end;
        double offset;  // [ms] inside the arrival step
    };
    std::vector<Arrival>& slot(std::int64_t step) {
        return arrivals_[static_cast<std::size_t>(step) % arrivals_.size()];
    }

    // Checkpoints of a layout in parts. A spike queues one run per part for each delay of its
    // neuron, consecutive in the slot and in the order of the parts; the whole order has one run
    // per delay. whole_arrivals: each such group as the run of the whole order it makes up.
    std::vector<Arrival> whole_arrivals(const std::vector<Arrival>& in_parts) const {
        std::vector<Arrival> whole;
        std::uint32_t group_pre = 0;
        std::size_t group_run = 0;  // the group's last run, in runs_of(group_pre)
        for (const Arrival& a : in_parts) {
            const std::uint32_t pre = layout_.pre_of(a.begin);
            const auto runs = layout_.runs_of(pre);
            const auto run = static_cast<std::size_t>(
                std::find_if(runs.begin(), runs.end(),
                             [&](const Run& r) { return r.begin == a.begin; }) -
                runs.begin());
            const std::int32_t delay = runs[run].delay;
            const bool same_group = !whole.empty() && pre == group_pre && run > group_run &&
                                    runs[group_run].delay == delay &&
                                    std::bit_cast<std::uint64_t>(whole.back().offset) ==
                                        std::bit_cast<std::uint64_t>(a.offset);
            if (!same_group) {
                for (const Run& r : layout_.whole_runs_of(pre)) {
                    if (r.delay == delay) whole.push_back(Arrival{r.begin, r.end, a.offset});
                }
            }
            group_pre = pre;
            group_run = run;
        }
        return whole;
    }
    // The runs in parts that a run of the whole order stands for, added to `slot`; false when
    // [a.begin, a.end) (not empty, inside the projection) is no run of the whole order.
    bool add_arrival_in_parts(std::vector<Arrival>& slot, const Arrival& a) const {
        const std::uint32_t pre = layout_.pre_of(a.begin);
        const auto whole = layout_.whole_runs_of(pre);
        const auto it = std::find_if(whole.begin(), whole.end(), [&](const Run& r) {
            return r.begin == a.begin && r.end == a.end;
        });
        if (it == whole.end()) return false;
        for (const Run& r : layout_.runs_of(pre)) {
            if (r.delay == it->delay) slot.push_back(Arrival{r.begin, r.end, a.offset});
        }
        return true;
    }
    using ArrivalIt = typename std::vector<Arrival>::iterator;

    // The postsynaptic neurons [begin, end) one delivery is for (all: the whole target).
    struct Targets {
        std::uint32_t begin;
        std::uint32_t end;
        bool all;
    };
    // The stored entries of an arriving run [begin, end) onto `targets`: a run's entries are
    // ordered by postsynaptic neuron (SynapseLayout::runs_sorted_by_target), so they are
    // consecutive.
    // With the layout's parts the same as the threads' (sim/network.cpp), a run lies wholly
    // inside or outside the targets: two loads, no search.
    std::pair<std::uint32_t, std::uint32_t> entries_onto(const Arrival& a,
                                                         const Targets& targets) const {
        if (targets.all) return {a.begin, a.end};
        const std::uint32_t* const stored_post = layout_.stored_post().data();
        const std::uint32_t first_target = stored_post[a.begin];
        const std::uint32_t last_target = stored_post[a.end - 1];  // runs are not empty
        if (first_target >= targets.end || last_target < targets.begin) return {a.begin, a.begin};
        if (first_target >= targets.begin && last_target < targets.end) return {a.begin, a.end};
        const std::uint32_t* const first = stored_post + a.begin;
        const std::uint32_t* const last = stored_post + a.end;
        const std::uint32_t* const lo = std::lower_bound(first, last, targets.begin);
        const std::uint32_t* const hi = std::lower_bound(lo, last, targets.end);
        return {static_cast<std::uint32_t>(lo - stored_post),
                static_cast<std::uint32_t>(hi - stored_post)};
    }

    void check_size(std::size_t n) const {
        if (n != n_synapses()) {
            throw Error(fmt::format("projection '{}': {} weights given for {} synapses", name_, n,
                                    n_synapses()));
        }
    }

    template <class T>
    static bool all_the_same(std::span<const T> w) {
        return std::all_of(w.begin(), w.end(), [&](T x) {
            return std::memcmp(&x, &w[0], sizeof(T)) == 0;  // bit for bit
        });
    }
    template <class T>
    static bool all_the_same(const std::vector<T>& w) {
        return all_the_same(std::span<const T>(w));
    }
    // Static synapses with one weight: weights_ freed (plastic ones keep theirs per synapse).
    // A float32 projection's weight is a float32 value too.
    void keep_one_weight(double w) requires(!is_plastic<Rule>) {
        one_weight_ = true;
        weight_ = static_cast<Weight>(w);
        weights_ = std::vector<Weight>();
    }
    void materialise_weights() {
        if (!one_weight_) return;
        weights_.assign(n_synapses(), static_cast<Weight>(weight_));
        one_weight_ = false;
    }
    // A weight as the projection stores it: itself (float64), or the nearest float32, moved by
    // one float32 step back inside the rule's bounds when rounding left them (validation makes
    // sure a float32 lies within them).
    double as_stored(double w) const {
        if constexpr (std::is_same_v<Weight, double>) {
            return w;
        } else {
            auto f = static_cast<float>(w);
            if constexpr (is_plastic<Rule>) {
                const models::WeightBounds& bounds = plasticity_.rule.bounds();
                if (f > bounds.w_max) {
                    f = std::nextafter(f, -std::numeric_limits<float>::infinity());
                } else if (f < bounds.w_min) {
                    f = std::nextafter(f, std::numeric_limits<float>::infinity());
                }
            }
            return f;
        }
    }
    static StoredWeights<Weight> as_stored_weights(std::vector<double> w) {
        if constexpr (std::is_same_v<Weight, double>) {
            return {.each = std::move(w)};
        } else {
            return {.each = std::vector<Weight>(w.begin(), w.end())};
        }
    }
    // Weights in stored order: a static projection keeps one when they are all the same.
    void take_stored_weights(StoredWeights<Weight> w) {
        if constexpr (!is_plastic<Rule>) {
            if (w.each.empty() || all_the_same(w.each)) {
                keep_one_weight(w.each.empty() ? w.all : w.each[0]);
                return;
            }
        }
        if (w.each.size() != n_synapses()) {
            throw Error(fmt::format("projection '{}': {} weights for {} synapses", name_,
                                    w.each.size(), n_synapses()));
        }
        weights_ = std::move(w.each);
        one_weight_ = false;
        if constexpr (is_plastic<Rule> && !std::is_same_v<Weight, double>) {
            for (Weight& x : weights_) x = static_cast<Weight>(as_stored(x));
        }
    }

    // For on_post: the stored entries onto each postsynaptic neuron, ascending.
    void build_incoming_index() {
        const std::uint32_t n_post = post_.size();
        const auto stored_post = layout_.stored_post();
        incoming_begin_.assign(std::size_t{n_post} + 1, 0);
        for (const auto j : stored_post) ++incoming_begin_[j + 1];
        for (std::uint32_t j = 0; j < n_post; ++j) incoming_begin_[j + 1] += incoming_begin_[j];
        incoming_entry_.resize(stored_post.size());
        std::vector<std::uint32_t> fill(incoming_begin_.begin(), incoming_begin_.end() - 1);
        for (std::uint32_t k = 0; k < stored_post.size(); ++k) {
            incoming_entry_[fill[stored_post[k]]++] = k;
        }
    }

    // Static synapses: the weights go to the target's receptor.
    void deliver_static(ArrivalIt first, ArrivalIt last, const Targets& targets) {
        if (one_weight_) {
            deliver_static_with(first, last, targets, [w = weight_](std::uint32_t) { return w; });
        } else {
            deliver_static_with(first, last, targets, [weights = weights_.data()](std::uint32_t k) {
                return weights[k];
            });
        }
    }
    template <class WeightOf>  // WeightOf(stored entry) -> weight
    void deliver_static_with(ArrivalIt first, ArrivalIt last, const Targets& targets,
                             WeightOf weight_of) {
        double* const summed = post_.summed_input(receptor_);
        const std::uint32_t* const post = layout_.stored_post().data();
        for (auto a = first; a != last; ++a) {
            const auto [begin, end] = entries_onto(*a, targets);
            if (summed != nullptr) {
                for (std::uint32_t k = begin; k < end; ++k) summed[post[k]] += weight_of(k);
            } else {
                for (std::uint32_t k = begin; k < end; ++k) {
                    post_.receive(post[k], receptor_, a->offset, weight_of(k));
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
        const std::uint32_t* const post = layout_.stored_post().data();
        Weight* const weights = weights_.data();
        auto* const synapse = plasticity_.synapse.data();
        const double* const post_term = post_term_.data();
        for (auto a = first; a != last; ++a) {
            const auto [begin, end] = entries_onto(*a, targets);
            for (std::uint32_t k = begin; k < end; ++k) {
                const std::uint32_t target = post[k];
                double w = weights[k];
                const auto update = [&] {
                    w = as_stored(rule.bounds().clip(
                        w + rule.on_pre(synapse[k], post_term[target], w, t_step)));
                    weights[k] = static_cast<Weight>(w);
                };
                if constexpr (models::DeliversUpdatedWeight<Rule>) update();
                if (summed != nullptr) {
                    summed[target] += w;
                } else {
                    post_.receive(target, receptor_, 0.0, w);
                }
                if constexpr (!models::DeliversUpdatedWeight<Rule>) update();
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
                const std::uint32_t target = layout_.stored_post()[k];
                double w = weights_[k];
                const auto update = [&] {
                    w = as_stored(rule.bounds().clip(
                        w + rule.on_pre(plasticity_.synapse[k],
                                        rule.post_term(plasticity_.post[target], t), w, t)));
                    weights_[k] = static_cast<Weight>(w);
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
                const double w = weights_[k];
                weights_[k] = static_cast<Weight>(as_stored(rule.bounds().clip(
                    w + rule.on_post(plasticity_.synapse[k], post_state, w, t))));
            }
            rule.after_post(post_state, t);
        }
    }

    TimeGrid grid_;
    SynapseLayout layout_;
    bool dense_;
    [[no_unique_address]] RuleState<Rule> plasticity_;  // synapse states in stored order
    std::vector<Weight> weights_;                       // stored order; empty while one_weight_
    double weight_ = 0.0;                         // the weight of every synapse while one_weight_
    bool one_weight_ = false;                     // static synapses whose weights are all the same
    std::vector<std::vector<Arrival>> arrivals_;  // ring buffer by arrival step
    // Plastic: stored entries onto each postsynaptic neuron, and the rule's post terms.
    std::vector<std::uint32_t> incoming_begin_;
    std::vector<std::uint32_t> incoming_entry_;
    std::vector<double> post_term_;
    std::size_t on_grid_arrivals_ = 0;  // of the arrivals being delivered: the first ones
};

template <class Rule, class Weight, class... RuleParams>
std::unique_ptr<Projection> build(const ProjectionSpec& spec, Population& pre, Population& post,
                                  const TimeGrid& grid, SynapseLayout layout, bool dense,
                                  StoredWeights<Weight> weights, const RuleParams&... rule_params) {
    RuleState<Rule> state = [&] {
        if constexpr (is_plastic<Rule>) {
            return RuleState<Rule>(rule_params..., layout.n_synapses(), post.size());
        } else {
            return RuleState<Rule>{};
        }
    }();
    return std::make_unique<ProjectionOf<Rule, Weight>>(
        spec.resolved_name(), pre, post, spec.receptor, grid, std::move(layout), dense,
        std::move(weights), std::move(state));
}

// The weights a spec describes, drawn straight into stored order with the synapse id as counter
// (as float32 values for a float32 projection); a static projection's constant weight is kept
// once.
template <class Weight>
StoredWeights<Weight> draw_weights(const ProjectionSpec& spec, const SynapseLayout& layout,
                                   std::uint64_t seed) {
    StoredWeights<Weight> weights{.all = spec.weight.a};
    if (!std::holds_alternative<NoPlasticity>(spec.plasticity) ||
        spec.weight.kind != Distribution::Kind::constant) {
        weights.each.resize(layout.n_synapses());
        const RandomStream weight_stream(seed, "weights/" + spec.resolved_name());
        for (std::size_t s = 0; s < layout.n_synapses(); ++s) {
            weights.each[layout.entry_of(s)] =
                static_cast<Weight>(spec.weight.sample(weight_stream, s, 0));
        }
    }
    return weights;
}

template <class Params>
struct RuleOf {
    using type = typename Params::Rule;
};
template <>
struct RuleOf<NoPlasticity> {
    using type = StaticSynapses;
};

// Static synapses, or the rule whose parameters the spec holds (the list is the catalog), with
// float64 or float32 weights.
std::unique_ptr<Projection> build_with_rule(const ProjectionSpec& spec, Population& pre,
                                            Population& post, const TimeGrid& grid,
                                            SynapseLayout layout, bool dense, std::uint64_t seed) {
    return std::visit(
        [&](const auto& params) {
            using Params = std::decay_t<decltype(params)>;
            using Rule = typename RuleOf<Params>::type;
            const auto build_with = [&]<class Weight>(Weight) {
                auto weights = draw_weights<Weight>(spec, layout, seed);
                if constexpr (is_plastic<Rule>) {
                    return build<Rule>(spec, pre, post, grid, std::move(layout), dense,
                                       std::move(weights), params);
                } else {
                    return build<Rule>(spec, pre, post, grid, std::move(layout), dense,
                                       std::move(weights));
                }
            };
            return spec.weight_precision == WeightPrecision::float32 ? build_with(float{})
                                                                     : build_with(double{});
        },
        spec.plasticity);
}

}  // namespace

std::vector<double> Projection::weights() const {
    std::vector<double> w(n_synapses());
    copy_weights(w);
    return w;
}

std::vector<std::int32_t> Projection::delays() const {
    std::vector<std::int32_t> d(n_synapses());
    for (std::size_t s = 0; s < d.size(); ++s) d[s] = delay_of(s);
    return d;
}

std::unique_ptr<Projection> make_projection(const ProjectionSpec& spec, Population& pre,
                                            Population& post, const TimeGrid& grid,
                                            std::uint64_t seed,
                                            std::span<const std::uint32_t> target_parts) {
    const std::string name = spec.resolved_name();
    const auto* all = std::get_if<connect::AllToAll>(&spec.connection);
    const bool complete = all != nullptr && all->allow_autapses;
    const bool dense =
        spec.storage == Storage::dense || (spec.storage == Storage::automatic && complete);

    ConnectionRows rows;
    try {
        rows = connect_rows(spec.connection, pre.size(), post.size(),
                            RandomStream(seed, "connect/" + name));
    } catch (const ParamError& e) {
        throw ParamError(fmt::format("projection '{}': {}", name, e.what()));
    }
    SynapseLayout layout(std::move(rows), spec.delay_ms, name, grid, pre.min_delay_steps(), seed,
                         target_parts);

    return build_with_rule(spec, pre, post, grid, std::move(layout), dense, seed);
}

}  // namespace spikerate::sim
