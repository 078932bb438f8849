#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include <fmt/format.h>
#include <boost/math/tools/toms748_solve.hpp>

#include "models/concepts.hpp"
#include "models/error.hpp"
#include "models/neuron_state.hpp"
#include "sim/checkpoint.hpp"
#include "sim/network_spec.hpp"
#include "sim/odeint_eigen.hpp"
#include "sim/population.hpp"
#include "sim/random_stream.hpp"
#include "sim/time_grid.hpp"

namespace spikerate::sim {

template <class Model>
struct PropagatorOf {
    using type = std::monostate;
};
template <class Model>
requires models::HasExactPropagator<Model>
struct PropagatorOf<Model> {
    using type = typename Model::Propagator;
};

// The model's right-hand side with a current held over the step: gain x current added to dV_m/dt
// (V_m is variable 0 of every model).
template <class Model>
struct DrivenRhs {
    const Model& model;
    const Eigen::ArrayXd& current;  // [the model's current unit] one per neuron

    void operator()(const Eigen::ArrayXd& x, Eigen::ArrayXd& dxdt, double t) const {
        model(x, dxdt, t);
        dxdt.head(current.size()) += model.current_gain() * current;
    }
};

// A population of one neuron model: the state is one array of Model::n_vars contiguous blocks of
// N values (variable k at x.segment(k * N, N)), advanced a whole population at a time.
//
// Grid modes (rk4, euler, exponential_euler, dopri5, exact), per step from t to t + dt:
//   1. the summed input of the step jumps the receptor variables (arrival at t), and with Poisson
//      background input each neuron's count for the step (counter (step, neuron / 2)) times its
//      weight jumps the background's receptor variable;
//   2. the state is integrated to t + dt with the model's right-hand side (odeint) or propagator;
//      with current noise, each neuron's current for the step is drawn (counter (step, neuron))
//      and held over it: added to dV_m/dt (rk4, euler, dopri5; odeint's steppers even where the
//      model has fused ones), to I in both half-steps (izhikevich_half_steps), or its exact
//      response added to V_m (exact: the dynamics are linear);
//   3. refractory neurons are held at reset; others at or above threshold spike at t + dt, are
//      reset and become refractory for round(t_ref / dt) steps.
// Precise mode (models with an exact propagator): each neuron is propagated from input to input
// inside the step; when V_m ends a stretch at or above threshold, the crossing is located by
// root finding on the closed form, and the spike, reset and refractory period start there.
// (A crossing that returns below threshold within one stretch is not seen, as in NEST's
// precise models.)
template <class Model>
class NeuronPopulation final : public Population {
  public:
    using Params = typename Model::Params;
    static constexpr Eigen::Index n_vars = Model::n_vars;

    NeuronPopulation(std::string name, std::uint32_t size, const Params& params,
                     Integration integration, const TimeGrid& grid,
                     const std::vector<InitialValue>& initial, std::uint64_t seed,
                     const std::optional<Distribution>& current_noise = std::nullopt,
                     const std::optional<PoissonBackground>& background = std::nullopt)
        : Population(std::move(name), size, integration == Integration::precise),
          model_(params),
          integration_(resolve(integration)),
          grid_(grid),
          x_(n_vars * size),
          refractory_steps_left_(size, 0),
          refractory_steps_(
              static_cast<std::int32_t>(std::llround(model_.refractory_period() / grid.dt()))),
          refractory_left_ms_(integration_ == Integration::precise ? size : 0, 0.0),
          dopri5_(odeint::make_controlled(1e-9, 1e-9, Dopri5Stepper())) {
        const Eigen::Index n = size;
        for (int k = 0; k < n_vars; ++k) x_.segment(k * n, n).setConstant(model_.resting_value(k));
        for (const auto& init : initial) {
            const int k = variable_index(init.variable);
            const RandomStream stream(seed, "initial/" + name_ + "/" + init.variable);
            for (std::uint32_t i = 0; i < size; ++i)
                x_[k * n + i] = init.value.sample(stream, i, 0);
        }
        if constexpr (models::HasExactPropagator<Model>) {
            propagator_ = model_.propagator(grid_.dt());
        }
        if (current_noise) {
            if constexpr (models::HasCurrentInput<Model>) {
                noise_.emplace(CurrentNoise{*current_noise,
                                            RandomStream(seed, "current_noise/" + name_),
                                            Eigen::ArrayXd::Zero(size)});
                if constexpr (models::HasExactCurrentResponse<Model>) {
                    noise_->response = model_.current_response(grid_.dt());
                }
            } else {
                throw ParamError::value("current_noise",
                                        fmt::format("{} takes no injected current", Model::id));
            }
        }
        if (background) {
            background_.emplace(
                Background{.count = PoissonByInversion(background->rate_hz * grid_.dt() * 1e-3),
                           .weight = background->weight,
                           .var = Model::receptor_var[static_cast<int>(background->receptor)],
                           .stream = RandomStream(seed, "poisson_background/" + name_)});
        }
        check_finite(0);
    }

    std::string_view model_id() const override { return Model::id; }
    std::string_view weight_unit() const override { return Model::weight_unit; }
    const Model& model() const { return model_; }
    Integration integration() const { return integration_; }
    bool has_poisson_background() const override { return background_.has_value(); }
    std::int32_t min_delay_steps() const override {
        return integration_ == Integration::precise ? 1 : 0;
    }

    void advance(std::int64_t step) override {
        begin_step();
        if constexpr (models::HasExactPropagator<Model>) {
            if (integration_ == Integration::precise) {
                advance_precise(step);
                check_finite(step + 1);
                return;
            }
        }
        advance_grid(step);  // checks the state itself
    }

    // Threads (sim/network.hpp): grid modes with a fixed step (all but dopri5, whose step size
    // depends on every neuron) advance in parts, each on a copy of its neurons' state, with the
    // same arithmetic per neuron as a whole-population step: the models are element-wise and
    // parts start at multiples of 8 neurons (64 bytes: the widest vector and alignment), so the
    // vectorised and scalar code see each value where a whole-population step does.
    bool splits_by_neuron() const override {
        return integration_ != Integration::precise && integration_ != Integration::dopri5;
    }
    void split(std::span<const std::uint32_t> bounds) override {
        sync_state();
        parts_stale_ = true;
        parts_.clear();
        if (bounds.size() <= 2) return;  // one part: the whole-population step
        parts_.resize(bounds.size() - 1);
        for (std::size_t c = 0; c < parts_.size(); ++c) {
            parts_[c].begin = bounds[c];
            parts_[c].end = bounds[c + 1];
            parts_[c].x.resize(n_vars * static_cast<Eigen::Index>(bounds[c + 1] - bounds[c]));
        }
        for (const auto i : refractory_) part_of(i).refractory.push_back(i);
        refractory_.clear();
    }
    std::size_t parts() const override { return std::max<std::size_t>(parts_.size(), 1); }
    void advance_part(std::int64_t step, std::size_t part) override {
        if (parts_.empty()) {
            advance(step);
            return;
        }
        Part& p = parts_[part];
        p.spikes.clear();
        p.unstable_rate = 0.0;
        p.not_finite = false;
        const Eigen::Index n = size_;
        const Eigen::Index m = p.end - p.begin;
        if (m == 0) return;
        if (parts_stale_) {  // else p.x holds what the last step left there
            for (int k = 0; k < n_vars; ++k) p.x.segment(k * m, m) = x_.segment(k * n + p.begin, m);
        }
        for (int r = 0; r < n_receptors; ++r) {
            double* const target = p.x.data() + Model::receptor_var[r] * m;
            double* const input = summed_input_.data() + r * n + p.begin;
            for (Eigen::Index i = 0; i < m; ++i) {
                target[i] += input[i];
                input[i] = 0.0;
            }
        }
        if (background_) {
            p.background_events =
                add_background(step, p.begin, p.x.data() + background_->var * m, m);
        }
        bool stable = true;
        if constexpr (models::HasFastestRate<Model>) {
            if (integration_ == Integration::rk4 || integration_ == Integration::euler) {
                const auto [rate, neuron] = model_.fastest_rate(p.x);
                if (!(rate * grid_.dt() <= stability_limit())) {
                    p.unstable_rate = rate;
                    p.unstable_neuron = p.begin + static_cast<std::uint32_t>(neuron);
                    stable = false;
                }
            }
        }
        if (stable) {
            const Eigen::ArrayXd* current = nullptr;
            if (noise_) {
                p.current.resize(m);
                draw_noise(step, p.begin, p.current);
                current = &p.current;
            }
            integrate(p.x, p.rk4, p.euler, grid_.time(step), current);
            // As one step's check: V_m's sum every step, the whole state every 64 steps.
            if (!std::isfinite(p.x.head(m).sum()) || (step + 1) % 64 == 0) {
                p.not_finite =
                    !(p.x.head(m).allFinite() && ((step + 1) % 64 != 0 || p.x.allFinite()));
            }
            if (!p.not_finite) {
                apply_threshold(step, p.x, p.begin, p.refractory, p.crossing,
                                [&](std::uint32_t i, SpikeTime t) {
                                    p.spikes.push_back({.node = i, .time = t});
                                });
            }
        }
    }
    void finish_parts(std::int64_t step) override {
        if (parts_.empty()) return;
        const Part* unstable = nullptr;
        for (const Part& p : parts_) {
            if (p.unstable_rate > 0.0 &&
                (unstable == nullptr || p.unstable_rate > unstable->unstable_rate)) {
                unstable = &p;
            }
        }
        if (unstable != nullptr)
            throw_unstable(step, unstable->unstable_rate, unstable->unstable_neuron);
        parts_stale_ = false;
        x_behind_ = true;
        for (const Part& p : parts_) {
            if (p.not_finite) {
                sync_state();
                check_finite(step + 1);  // throws, naming the first as one step would
            }
        }
        begin_step();
        for (const Part& p : parts_) {
            for (const Spike& s : p.spikes) emit(s.node, s.time);
            background_events_ += p.background_events;
        }
        neuron_updates_ += size_;
    }

    void save_state(StateWriter& out) const override {
        sync_state();
        save_base_state(out);
        out.tag(fmt::format("{} state", Model::id));
        out.array(x_);
        out.vec(refractory_steps_left_);
        out.vec(refractory_neurons());
        out.vec(refractory_left_ms_);
        if (background_) out.u64(background_events_);  // only then: other checkpoints unchanged
    }
    void load_state(StateReader& in) override {
        load_base_state(in);
        in.tag(fmt::format("{} state", Model::id));
        const std::string what = fmt::format("population '{}'", name_);
        in.array_into(x_, x_.rows(), 1, what + ": state");
        parts_stale_ = true;
        x_behind_ = false;
        in.vec_into(refractory_steps_left_, size_, what + ": refractory steps");
        std::vector<std::uint32_t> refractory = in.template vec<std::uint32_t>();
        for (const auto i : refractory) {
            if (i >= size_ || refractory_steps_left_[i] <= 0) {
                in.fail(what + ": refractory neuron list does not match its steps");
            }
        }
        if (parts_.empty()) {
            refractory_ = std::move(refractory);
        } else {
            for (Part& p : parts_) p.refractory.clear();
            for (const auto i : refractory) part_of(i).refractory.push_back(i);
        }
        in.vec_into(refractory_left_ms_, refractory_left_ms_.size(), what + ": refractory time");
        if (background_) background_events_ = in.u64();
    }

    std::span<const std::string_view> variable_names() const override { return Model::var_names; }
    std::string_view variable_unit(std::string_view variable) const override {
        return Model::var_units[variable_index(variable)];
    }
    // A span that may be written: valid until the next step (when the population advances in
    // parts, they take the state from it again at the next step).
    std::span<double> variable(std::string_view variable) override {
        sync_state();
        parts_stale_ = true;
        return {x_.data() + variable_index(variable) * static_cast<Eigen::Index>(size_), size_};
    }

    void copy_variable(std::string_view variable, std::span<const std::uint32_t> neurons,
                       std::span<double> out) const override {
        const Eigen::Index k = variable_index(variable);
        if (!x_behind_) {
            for (std::size_t j = 0; j < neurons.size(); ++j) {
                out[j] = x_[k * static_cast<Eigen::Index>(size_) + neurons[j]];
            }
            return;
        }
        for (std::size_t j = 0; j < neurons.size(); ++j) {  // the parts hold the current state
            const Part& p =
                *std::upper_bound(parts_.begin(), parts_.end(), neurons[j],
                                  [](std::uint32_t i, const Part& part) { return i < part.end; });
            out[j] = p.x[k * static_cast<Eigen::Index>(p.end - p.begin) + (neurons[j] - p.begin)];
        }
    }

  private:
    static Integration resolve(Integration integration) {
        if (integration != Integration::automatic) return integration;
        return models::HasExactPropagator<Model> ? Integration::exact : Integration::rk4;
    }

    int variable_index(std::string_view variable) const {
        const auto& names = Model::var_names;
        const auto it = std::find(names.begin(), names.end(), variable);
        if (it == names.end()) throw_unknown_variable(variable);
        return static_cast<int>(it - names.begin());
    }

    void advance_grid(std::int64_t step) {
        const Eigen::Index n = size_;
        for (int r = 0; r < n_receptors; ++r) {  // one pass: apply the input and clear it
            double* const target = x_.data() + Model::receptor_var[r] * n;
            double* const input = summed_input_.data() + r * n;
            for (Eigen::Index i = 0; i < n; ++i) {
                target[i] += input[i];
                input[i] = 0.0;
            }
        }
        if (background_) {
            background_events_ += add_background(step, 0, x_.data() + background_->var * n, n);
        }

        if constexpr (models::HasFastestRate<Model>) {
            if (integration_ == Integration::rk4 || integration_ == Integration::euler) {
                check_stability(step);
            }
        }
        const double t = grid_.time(step);
        const Eigen::ArrayXd* current = nullptr;  // this step's current noise, if any
        if (noise_) {
            draw_noise(step, 0, noise_->current);
            current = &noise_->current;
        }
        if (integration_ == Integration::dopri5) {
            const double dt = grid_.dt();
            dopri5_.reset();  // the input jumps made its cached derivative stale
            if constexpr (models::HasCurrentInput<Model>) {
                if (current != nullptr) {
                    const DrivenRhs<Model> rhs{model_, *current};
                    odeint::integrate_adaptive(std::ref(dopri5_), std::cref(rhs), x_, t, t + dt,
                                               dt);
                    after_integration(step);
                    return;
                }
            }
            odeint::integrate_adaptive(std::ref(dopri5_), std::cref(model_), x_, t, t + dt, dt);
        } else {
            integrate(x_, rk4_, euler_, t, current);
        }
        after_integration(step);
    }

    void after_integration(std::int64_t step) {
        const Eigen::Index n = size_;
        // V_m (variable 0) is checked for NaN and infinity through its sum, a vectorised pass
        // (non-finite if any value is); the whole state every 64 steps.
        if (!std::isfinite(x_.head(n).sum()) || (step + 1) % 64 == 0) check_finite(step + 1);
        apply_threshold(step, x_, 0, refractory_, crossing_,
                        [&](std::uint32_t i, SpikeTime t) { emit(i, t); });
        neuron_updates_ += size_;
    }

    // Current noise: the currents of neurons first, first + 1, ... (as many as `current` holds)
    // for `step`, each from the counter (step, neuron): the same whoever draws them.
    void draw_noise(std::int64_t step, std::uint32_t first, Eigen::ArrayXd& current) const {
        const auto u = static_cast<std::uint64_t>(step);
        for (Eigen::Index i = 0; i < current.size(); ++i) {
            current[i] = noise_->distribution.sample(noise_->stream, u,
                                                     first + static_cast<std::uint32_t>(i));
        }
    }

    // Poisson background: each of the neurons first, first + 1, ... (as many as `count`) draws
    // its input spikes of `step` from its uniform (paired_uniform: neurons 2j and 2j + 1 share
    // the counter (step, j)) and its receptor variable (`target`, one value per neuron) jumps by
    // their weight; returns the spikes drawn. Parts start at even neurons (multiples of 8).
    std::uint64_t add_background(std::int64_t step, std::uint32_t first, double* target,
                                 Eigen::Index count) const {
        const Background& bg = *background_;
        const auto u = static_cast<std::uint64_t>(step);
        std::uint64_t events = 0;
        std::array<std::uint32_t, 4> words{};
        for (Eigen::Index i = 0; i < count; ++i) {
            const std::uint32_t neuron = first + static_cast<std::uint32_t>(i);
            if (i == 0 || neuron % 2 == 0) words = bg.stream.bits(u, neuron / 2);
            const std::uint32_t k = bg.count(paired_uniform(words, neuron));
            if (k == 0) continue;
            target[i] += bg.weight * static_cast<double>(k);
            events += k;
        }
        return events;
    }

    // One step of dt from t of the fixed-step modes, on the state x of some neurons (the
    // population's or a part's), with a current held over the step (current noise, one per
    // neuron) or none.
    void integrate(Eigen::ArrayXd& x, Rk4Stepper& rk4, EulerStepper& euler, double t,
                   const Eigen::ArrayXd* current) const {
        const double dt = grid_.dt();
        if constexpr (models::HasCurrentInput<Model>) {
            if (current != nullptr) {
                integrate_driven(x, rk4, euler, t, *current);
                return;
            }
        }
        switch (integration_) {
            case Integration::rk4:
                if constexpr (models::HasFusedSteps<Model>) {
                    model_.rk4_step(x, dt);
                } else {
                    rk4.do_step(std::cref(model_), x, t, dt);
                }
                break;
            case Integration::euler:
                if constexpr (models::HasFusedSteps<Model>) {
                    model_.euler_step(x, dt);
                } else {
                    euler.do_step(std::cref(model_), x, t, dt);
                }
                break;
            case Integration::exponential_euler:
                if constexpr (models::HasExponentialEuler<Model>)
                    model_.exponential_euler_step(x, dt);
                break;
            case Integration::exact:
                if constexpr (models::HasExactPropagator<Model>) model_.propagate(propagator_, x);
                break;
            case Integration::izhikevich_half_steps:
                if constexpr (models::HasIzhikevichHalfSteps<Model>) {
                    model_.izhikevich_half_steps(x, dt);
                }
                break;
            case Integration::dopri5:
            case Integration::automatic:
            case Integration::precise:
                break;  // handled by the caller / resolved
        }
    }

    // With current noise: the current held over the step, added to dV_m/dt (odeint's steppers,
    // even where the model has fused ones), to I in both half-steps, or as its exact response.
    void integrate_driven(
        Eigen::ArrayXd& x, Rk4Stepper& rk4, EulerStepper& euler, double t,
        const Eigen::ArrayXd& current) const requires models::HasCurrentInput<Model> {
        const double dt = grid_.dt();
        const DrivenRhs<Model> rhs{model_, current};
        switch (integration_) {
            case Integration::rk4:
                rk4.do_step(std::cref(rhs), x, t, dt);
                break;
            case Integration::euler:
                euler.do_step(std::cref(rhs), x, t, dt);
                break;
            case Integration::izhikevich_half_steps:
                if constexpr (models::HasIzhikevichHalfSteps<Model>) {
                    model_.izhikevich_half_steps(x, dt, current);
                }
                break;
            case Integration::exact:
                if constexpr (models::HasExactCurrentResponse<Model>) {
                    model_.propagate(propagator_, x);  // linear: the current's response adds
                    x.head(current.size()) += noise_->response * current;
                }
                break;
            case Integration::dopri5:  // by the caller
            case Integration::exponential_euler:
            case Integration::automatic:
            case Integration::precise:
                break;  // refused by PopulationSpec::validate
        }
    }

    // On the state x of the neurons first, first + 1, ... (the population's or a part's):
    // neurons refractory at the start of the step (in `refractory`) are held, and released when
    // their time is up; the others at or above threshold spike at t_{step+1} (emit(neuron,
    // time), ascending), are reset and become refractory. Crossings are rare: blocks of neurons
    // where the model's vectorised test finds none are skipped.
    template <class Emit>
    void apply_threshold(std::int64_t step, Eigen::ArrayXd& x, std::uint32_t first,
                         std::vector<std::uint32_t>& refractory,
                         std::vector<std::uint32_t>& crossing, Emit&& emit) {
        const Eigen::Index n = x.size() / n_vars;
        crossing.clear();
        for (Eigen::Index begin = 0; begin < n; begin += threshold_block) {
            const Eigen::Index count = std::min(threshold_block, n - begin);
            if (!model_.any_above_threshold(x, n, begin, count)) continue;
            for (Eigen::Index i = begin; i < begin + count; ++i) {
                if (refractory_steps_left_[first + i] == 0 && model_.above_threshold(x, n, i)) {
                    crossing.push_back(static_cast<std::uint32_t>(i));
                }
            }
        }
        for (std::size_t k = 0; k < refractory.size();) {
            const std::uint32_t neuron = refractory[k];
            model_.hold_refractory(x, n, neuron - first);
            if (--refractory_steps_left_[neuron] == 0) {
                refractory[k] = refractory.back();  // order does not matter
                refractory.pop_back();
            } else {
                ++k;
            }
        }
        for (const std::uint32_t i : crossing) {  // ascending
            model_.reset(x, n, i);
            if (refractory_steps_ > 0) {
                refractory_steps_left_[first + i] = refractory_steps_;
                refractory.push_back(first + i);
            }
            emit(first + i, SpikeTime{step + 1, 0.0});
        }
    }

    void advance_precise(std::int64_t step) requires models::HasExactPropagator<Model> {
        // Full sort key, so equal inputs apply in one order whatever their arrival order.
        std::sort(timed_input_.begin(), timed_input_.end(), [](const auto& a, const auto& b) {
            return std::tie(a.node, a.offset, a.receptor, a.weight) <
                   std::tie(b.node, b.offset, b.receptor, b.weight);
        });
        const Eigen::Index n = size_;
        const double dt = grid_.dt();
        auto input = timed_input_.cbegin();
        for (std::uint32_t i = 0; i < size_; ++i) {
            auto s = models::load_neuron<typename Model::Neuron, Model::n_vars>(x_, n, i);
            double t = 0.0;  // [ms] since the start of the step
            double& refractory_until = refractory_left_ms_[i];
            for (;;) {
                const bool has_input = input != timed_input_.cend() && input->node == i;
                const double stop = has_input ? input->offset : dt;
                evolve_precise(i, step, s, t, stop, refractory_until);
                if (!has_input) break;
                Model::receive(s, static_cast<int>(input->receptor), input->weight);
                ++input;
            }
            models::store_neuron<typename Model::Neuron, Model::n_vars>(s, x_, n, i);
            refractory_until = std::max(0.0, refractory_until - dt);
        }
        timed_input_.clear();
        neuron_updates_ += size_;
    }

    // Evolves neuron i from t to stop (both [ms] since the start of the step), emitting spikes
    // at their exact times.
    template <class Neuron>
    void evolve_precise(std::uint32_t i, std::int64_t step, Neuron& s, double& t, double stop,
                        double& refractory_until) {
        while (t < stop) {
            if (refractory_until > t) {
                const double until = std::min(refractory_until, stop);
                s = model_.propagate(s, until - t);
                model_.hold_refractory(s);
                t = until;
                continue;
            }
            // A spike time is computed only from a finite state: an infinite V_m is "above
            // threshold", and an infinite current makes the end of the stretch so, leaving
            // the root finder a NaN. (A NaN is never above threshold; check_finite finds it at
            // the end of the step.)
            double spike_after = 0.0;  // [ms] after t
            if (!model_.above_threshold(s)) {
                const Neuron end = model_.propagate(s, stop - t);
                if (!model_.above_threshold(end)) {
                    s = end;
                    t = stop;
                    return;
                }
                require_finite(i, s, step, t);
                require_finite(i, end, step, stop);
                spike_after = locate_crossing(s, stop - t, model_.threshold_distance(end));
                s = model_.propagate(s, spike_after);
            } else {
                require_finite(i, s, step, t);
            }
            t += spike_after;
            model_.reset(s);
            refractory_until = t + model_.refractory_period();
            emit(i, grid_.at_offset(step, t));
        }
    }

    // The time h in (0, h_max] at which V_m reaches threshold, from below at h = 0.
    template <class Neuron>
    double locate_crossing(const Neuron& s, double h_max, double distance_at_h_max) const {
        const auto distance = [&](double h) {
            return model_.threshold_distance(model_.propagate(s, h));
        };
        std::uintmax_t max_iterations = 100;
        const auto [low, high] = boost::math::tools::toms748_solve(
            distance, 0.0, h_max, distance(0.0), distance_at_h_max,
            boost::math::tools::eps_tolerance<double>(50), max_iterations);
        return high;  // the end of the bracket where V_m >= V_th
    }

    // An explicit step of dt is stable while dt times the fastest rate stays below the stepper's
    // limit on the real axis: 2 for Euler, 2.785 for classical RK4.
    double stability_limit() const { return integration_ == Integration::rk4 ? 2.785293563 : 2.0; }
    void check_stability(std::int64_t step) const requires models::HasFastestRate<Model> {
        const auto [rate, neuron] = model_.fastest_rate(x_);
        if (rate * grid_.dt() <= stability_limit()) [[likely]] {
            return;
        }
        throw_unstable(step, rate, neuron);
    }
    [[noreturn]] void throw_unstable(std::int64_t step, double rate, Eigen::Index neuron) const {
        const double limit = stability_limit();
        // Only models that offer exponential_euler are pointed to it.
        const char* const remedy = models::HasExponentialEuler<Model>
                                       ? "integration = \"exponential_euler\" (stable for any "
                                         "conductance) or dt below"
                                       : "dt below";
        throw NumericalError(fmt::format(
            "population '{}' ({}): {} is unstable at t = {} ms: neuron {}'s dynamics have the rate "
            "{:.4g} /ms (conductances included), so dt x rate = {:.3g} exceeds the stepper's "
            "stability limit {} and V_m would become finite garbage; use {} {:.3g} ms",
            name_, Model::id, integration_name(integration_), grid_.time(step), neuron, rate,
            rate * grid_.dt(), limit, remedy, limit / rate));
    }

    // Checks V_m (variable 0 of every model) every step and the whole state every 64 steps: a
    // NaN or infinity in a conductance or current reaches V_m within a step.
    void check_finite(std::int64_t step) const {
        if (x_.head(static_cast<Eigen::Index>(size_)).allFinite() &&
            (step % 64 != 0 || x_.allFinite())) [[likely]] {
            return;
        }
        const Eigen::Index n = size_;
        for (Eigen::Index k = 0; k < n_vars; ++k) {
            for (Eigen::Index i = 0; i < n; ++i) {
                if (!std::isfinite(x_[k * n + i])) {
                    throw_not_finite(static_cast<int>(k), i, x_[k * n + i], grid_.time(step));
                }
            }
        }
    }

    // Precise mode: the state s of neuron i at `offset` [ms] into `step`, before a spike time
    // is computed from it.
    template <class Neuron>
    void require_finite(std::uint32_t i, const Neuron& s, std::int64_t step, double offset) {
        models::store_neuron<typename Model::Neuron, Model::n_vars>(s, neuron_scratch_, 1, 0);
        if (neuron_scratch_.allFinite()) [[likely]] {
            return;
        }
        for (int k = 0; k < n_vars; ++k) {
            if (!std::isfinite(neuron_scratch_[k])) {
                throw_not_finite(k, i, neuron_scratch_[k], grid_.time(SpikeTime{step, offset}));
            }
        }
    }

    [[noreturn]] void throw_not_finite(int var, Eigen::Index i, double value, double t) const {
        const std::string cause =
            integration_ == Integration::precise
                ? std::string("an extreme weight, parameter or state?")
                : fmt::format("dt = {} ms too large, or an extreme weight or parameter?",
                              grid_.dt());
        throw NumericalError(fmt::format(
            "population '{}' ({}): {} of neuron {} became {} at t = {} ms (the dynamics "
            "diverged: {})",
            name_, Model::id, Model::var_names[var], i, value, t, cause));
    }

    Model model_;
    Integration integration_;
    TimeGrid grid_;
    Eigen::ArrayXd x_;
    static constexpr Eigen::Index threshold_block = 64;  // neurons per vectorised test
    std::vector<std::int32_t> refractory_steps_left_;    // grid modes
    std::vector<std::uint32_t> refractory_;              // neurons with steps left
    std::vector<std::uint32_t> crossing_;                // this step's spiking neurons
    // Threads: the parts the population advances in (none: one whole-population step).
    struct alignas(64) Part {  // on cache lines of its own: parts are written by different threads
        std::uint32_t begin = 0;  // neurons [begin, end)
        std::uint32_t end = 0;
        Eigen::ArrayXd x;  // their state, variable k at x.segment(k * (end - begin), end - begin)
        Rk4Stepper rk4;
        EulerStepper euler;
        Eigen::ArrayXd current;                 // current noise: this step's, per neuron
        std::vector<std::uint32_t> refractory;  // as refractory_, for these neurons
        std::vector<std::uint32_t> crossing;
        std::vector<Spike> spikes;            // this step's
        std::uint64_t background_events = 0;  // this step's Poisson background spikes
        double unstable_rate = 0.0;           // > 0: too fast for the step (not integrated)
        std::uint32_t unstable_neuron = 0;
        bool not_finite = false;  // a NaN or infinity (not thresholded)
    };
    std::vector<Part> parts_;
    // Parts: x_ is brought up to date from them only when read (variable(), checkpoints, a
    // failure's report); x_behind_ says it is not.
    bool x_behind_ = false;
    void sync_state() const {
        if (!x_behind_) return;
        auto& x = const_cast<Eigen::ArrayXd&>(x_);  // a cache of the parts' state meanwhile
        const Eigen::Index n = size_;
        for (const Part& p : parts_) {
            const Eigen::Index m = p.end - p.begin;
            for (int k = 0; k < n_vars; ++k) x.segment(k * n + p.begin, m) = p.x.segment(k * m, m);
        }
        const_cast<NeuronPopulation*>(this)->x_behind_ = false;
    }
    // Whether x_ may hold values the parts' copies do not (a write through variable(), a
    // checkpoint loaded): then each part takes its state from x_ at its next step. The parts
    // write theirs back to x_ at the end of every step.
    bool parts_stale_ = true;
    Part& part_of(std::uint32_t neuron) {
        return *std::find_if(parts_.begin(), parts_.end(),
                             [&](const Part& p) { return neuron < p.end; });
    }
    // The refractory neurons, ascending (checkpoints: the same bytes for any thread count).
    std::vector<std::uint32_t> refractory_neurons() const {
        std::vector<std::uint32_t> all = refractory_;
        for (const Part& p : parts_)
            all.insert(all.end(), p.refractory.begin(), p.refractory.end());
        std::sort(all.begin(), all.end());
        return all;
    }
    std::int32_t refractory_steps_;
    std::vector<double> refractory_left_ms_;  // precise mode: [ms] left from the step's start
    Eigen::ArrayXd neuron_scratch_ = Eigen::ArrayXd(n_vars);  // precise mode: one neuron
    [[no_unique_address]] typename PropagatorOf<Model>::type propagator_{};
    Rk4Stepper rk4_;
    EulerStepper euler_;
    ControlledDopri5 dopri5_;
    struct CurrentNoise {
        Distribution distribution;  // [the model's current unit]
        RandomStream stream;
        Eigen::ArrayXd current;  // this step's, one per neuron
        double response = 0.0;   // exact integration: V_m's change per unit current over dt
    };
    std::optional<CurrentNoise> noise_;
    struct Background {
        PoissonByInversion count;  // input spikes per neuron and step
        double weight = 0.0;       // [the model's weight unit]
        int var = 0;               // the state variable the receptor jumps
        RandomStream stream;
    };
    std::optional<Background> background_;
};

}  // namespace spikerate::sim
