#pragma once

#include <algorithm>
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
//   1. the summed input of the step jumps the receptor variables (arrival at t);
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
                     const std::optional<Distribution>& current_noise = std::nullopt)
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
        check_finite(0);
    }

    std::string_view model_id() const override { return Model::id; }
    std::string_view weight_unit() const override { return Model::weight_unit; }
    const Model& model() const { return model_; }
    Integration integration() const { return integration_; }
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

    void save_state(StateWriter& out) const override {
        save_base_state(out);
        out.tag(fmt::format("{} state", Model::id));
        out.array(x_);
        out.vec(refractory_steps_left_);
        out.vec(refractory_);
        out.vec(refractory_left_ms_);
    }
    void load_state(StateReader& in) override {
        load_base_state(in);
        in.tag(fmt::format("{} state", Model::id));
        const std::string what = fmt::format("population '{}'", name_);
        in.array_into(x_, x_.rows(), 1, what + ": state");
        in.vec_into(refractory_steps_left_, size_, what + ": refractory steps");
        refractory_ = in.template vec<std::uint32_t>();
        for (const auto i : refractory_) {
            if (i >= size_ || refractory_steps_left_[i] <= 0) {
                in.fail(what + ": refractory neuron list does not match its steps");
            }
        }
        in.vec_into(refractory_left_ms_, refractory_left_ms_.size(), what + ": refractory time");
    }

    std::span<const std::string_view> variable_names() const override { return Model::var_names; }
    std::string_view variable_unit(std::string_view variable) const override {
        return Model::var_units[variable_index(variable)];
    }
    std::span<double> variable(std::string_view variable) override {
        return {x_.data() + variable_index(variable) * static_cast<Eigen::Index>(size_), size_};
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

        const double t = grid_.time(step);
        const double dt = grid_.dt();
        if constexpr (models::HasFastestRate<Model>) {
            if (integration_ == Integration::rk4 || integration_ == Integration::euler) {
                check_stability(step);
            }
        }
        if constexpr (models::HasCurrentInput<Model>) {
            if (noise_) {
                advance_driven(step, t, dt);
                after_integration(step);
                return;
            }
        }
        switch (integration_) {
            case Integration::rk4:
                if constexpr (models::HasFusedSteps<Model>) {
                    model_.rk4_step(x_, dt);
                } else {
                    rk4_.do_step(std::cref(model_), x_, t, dt);
                }
                break;
            case Integration::euler:
                if constexpr (models::HasFusedSteps<Model>) {
                    model_.euler_step(x_, dt);
                } else {
                    euler_.do_step(std::cref(model_), x_, t, dt);
                }
                break;
            case Integration::exponential_euler:
                if constexpr (models::HasExponentialEuler<Model>)
                    model_.exponential_euler_step(x_, dt);
                break;
            case Integration::dopri5:
                dopri5_.reset();  // the input jumps made its cached derivative stale
                odeint::integrate_adaptive(std::ref(dopri5_), std::cref(model_), x_, t, t + dt, dt);
                break;
            case Integration::exact:
                if constexpr (models::HasExactPropagator<Model>) model_.propagate(propagator_, x_);
                break;
            case Integration::izhikevich_half_steps:
                if constexpr (models::HasIzhikevichHalfSteps<Model>) {
                    model_.izhikevich_half_steps(x_, dt);
                }
                break;
            case Integration::automatic:
            case Integration::precise:
                break;  // resolved / handled before
        }
        after_integration(step);
    }

    // Integration with current noise: this step's current drawn for every neuron, then held.
    void advance_driven(std::int64_t step, double t,
                        double dt) requires models::HasCurrentInput<Model> {
        Eigen::ArrayXd& current = noise_->current;
        const auto u = static_cast<std::uint64_t>(step);
        for (std::uint32_t i = 0; i < size_; ++i) {
            current[i] = noise_->distribution.sample(noise_->stream, u, i);
        }
        const DrivenRhs<Model> rhs{model_, current};
        switch (integration_) {
            case Integration::rk4:
                rk4_.do_step(std::cref(rhs), x_, t, dt);
                break;
            case Integration::euler:
                euler_.do_step(std::cref(rhs), x_, t, dt);
                break;
            case Integration::dopri5:
                dopri5_.reset();
                odeint::integrate_adaptive(std::ref(dopri5_), std::cref(rhs), x_, t, t + dt, dt);
                break;
            case Integration::izhikevich_half_steps:
                if constexpr (models::HasIzhikevichHalfSteps<Model>) {
                    model_.izhikevich_half_steps(x_, dt, current);
                }
                break;
            case Integration::exact:
                if constexpr (models::HasExactCurrentResponse<Model>) {
                    model_.propagate(propagator_, x_);  // linear: the current's response adds
                    x_.head(size_) += noise_->response * current;
                }
                break;
            case Integration::exponential_euler:
            case Integration::automatic:
            case Integration::precise:
                break;  // refused by PopulationSpec::validate
        }
    }

    void after_integration(std::int64_t step) {
        const Eigen::Index n = size_;
        // V_m (variable 0) is checked for NaN and infinity through its sum, a vectorised pass
        // (non-finite if any value is); the whole state every 64 steps.
        if (!std::isfinite(x_.head(n).sum()) || (step + 1) % 64 == 0) check_finite(step + 1);
        apply_threshold(step);
        neuron_updates_ += size_;
    }

    // Neurons refractory at the start of the step are held (and released when their time is
    // up); the others at or above threshold spike at t_{step+1}, are reset and become
    // refractory. Crossings are rare: blocks of neurons where the model's vectorised test finds
    // none are skipped.
    void apply_threshold(std::int64_t step) {
        const Eigen::Index n = size_;
        crossing_.clear();
        for (Eigen::Index begin = 0; begin < n; begin += threshold_block) {
            const Eigen::Index count = std::min(threshold_block, n - begin);
            if (!model_.any_above_threshold(x_, n, begin, count)) continue;
            for (Eigen::Index i = begin; i < begin + count; ++i) {
                if (refractory_steps_left_[i] == 0 && model_.above_threshold(x_, n, i)) {
                    crossing_.push_back(static_cast<std::uint32_t>(i));
                }
            }
        }
        for (std::size_t k = 0; k < refractory_.size();) {
            const std::uint32_t i = refractory_[k];
            model_.hold_refractory(x_, n, i);
            if (--refractory_steps_left_[i] == 0) {
                refractory_[k] = refractory_.back();  // order does not matter
                refractory_.pop_back();
            } else {
                ++k;
            }
        }
        for (const std::uint32_t i : crossing_) {  // ascending
            model_.reset(x_, n, i);
            if (refractory_steps_ > 0) {
                refractory_steps_left_[i] = refractory_steps_;
                refractory_.push_back(i);
            }
            emit(i, SpikeTime{step + 1, 0.0});
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
    void check_stability(std::int64_t step) const requires models::HasFastestRate<Model> {
        const auto [rate, neuron] = model_.fastest_rate(x_);
        const bool rk4 = integration_ == Integration::rk4;
        const double limit = rk4 ? 2.785293563 : 2.0;
        if (rate * grid_.dt() <= limit) [[likely]] {
            return;
        }
        throw NumericalError(fmt::format(
            "population '{}' ({}): {} is unstable at t = {} ms: neuron {}'s dynamics have the rate "
            "{:.4g} /ms (conductances included), so dt x rate = {:.3g} exceeds the stepper's "
            "stability limit {} and V_m would become finite garbage; use integration = "
            "\"exponential_euler\" (stable for any conductance) or dt below {:.3g} ms",
            name_, Model::id, integration_name(integration_), grid_.time(step), neuron, rate,
            rate * grid_.dt(), limit, limit / rate));
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
};

}  // namespace spikerate::sim
