#pragma once

// What a neuron model and a plasticity rule must provide to be simulated. The catalog
// (sim/catalog.hpp) checks every entry with check_neuron_model<M>() / check_plasticity_rule<R>(),
// one static_assert per requirement, so that a missing member is one readable error at the
// catalog line instead of a template error deep inside the engine. The engine's templates are
// constrained by the concepts NeuronModel and PlasticityRule, the conjunction of the same
// requirements.
//
// Optional capabilities (a model or rule gains a mode or a hook by having the member):
//   HasExactPropagator   closed-form subthreshold dynamics: `exact` and `precise` integration
//   HasExponentialEuler  a population-wide exponential-Euler step: `exponential_euler`
//   HasIzhikevichHalfSteps  the scheme of Izhikevich's (2003) code: `izhikevich_half_steps`
//   HasFusedSteps        fused population-wide rk4 / Euler steps, used instead of odeint's
//   HasFastestRate       the population's fastest rate: unstable explicit steps are refused
//   HasCurrentInput      an injected current reaches dV_m/dt: `current_noise`
//   HasExactCurrentResponse  V_m's exact response to a current held over a step: `current_noise`
//                        with `exact` integration
//   HasVectorisedPostTerms  post_terms() over all postsynaptic neurons at once
//   HasModulator         on_modulator(): the third factor (a neuromodulator) reaches the synapses
//   DeliversUpdatedWeight  a pre spike delivers the weight after on_pre's change (not before)
//   HasWeightDrift       weight_at(): weights that move between events (reward_stdp), recorded
//                        as they are at the recording time

#include <array>
#include <concepts>
#include <span>
#include <string_view>
#include <utility>

#include <Eigen/Core>

#include "models/weight_bounds.hpp"

namespace spikerate::models {

// Accepts every field of a parameter struct: checks that visit_fields(v) compiles.
struct AnyFieldVisitor {
    template <class Field, class... Extra>
    void operator()(std::string_view /*name*/, Field& /*field*/, const Extra&... /*extra*/) const {}
};

// The requirements of a neuron model, one concept each (the messages in check_neuron_model say
// what each asks for).
namespace neuron_requirement {

template <class M>
concept names_its_params = requires {
    typename M::Params;
}
&&std::same_as<typename M::Params::Model, M>;
template <class M>
concept has_id_and_summary = requires {
    { M::id } -> std::convertible_to<std::string_view>;
    { M::summary } -> std::convertible_to<std::string_view>;
};
template <class M>
concept names_its_state_variables = requires {
    { M::n_vars } -> std::convertible_to<int>;
    { M::var_names[0] } -> std::convertible_to<std::string_view>;
    { M::var_units[0] } -> std::convertible_to<std::string_view>;
}
&&M::var_names.size() == static_cast<std::size_t>(M::n_vars) && M::var_units.size() ==
                                                                    static_cast<std::size_t>(
                                                                        M::n_vars);
template <class M>
concept names_its_receptors = requires {
    { M::receptor_var } -> std::convertible_to<std::array<int, 2>>;
    { M::weight_unit } -> std::convertible_to<std::string_view>;
};
template <class M>
concept params_validate_and_visit = requires(typename M::Params& p, const typename M::Params& cp) {
    cp.validate();
    p.visit_fields(AnyFieldVisitor{});
};
template <class M>
concept constructible_from_params = std::constructible_from<M, const typename M::Params&>;
template <class M>
concept has_rest_and_refractory_period = requires(const M& m) {
    { m.resting_value(0) } -> std::same_as<double>;
    { m.refractory_period() } -> std::same_as<double>;
};
template <class M>
concept has_right_hand_side = requires(const M& m, const Eigen::ArrayXd& x, Eigen::ArrayXd& dxdt) {
    m(x, dxdt, 0.0);
};
template <class M>
concept has_threshold = requires(const M& m, const Eigen::ArrayXd& x, Eigen::Index i) {
    { m.above_threshold(x, i, i) } -> std::same_as<bool>;
    { m.any_above_threshold(x, i, i, i) } -> std::same_as<bool>;
};
template <class M>
concept has_reset = requires(const M& m, Eigen::ArrayXd& x, Eigen::Index i) {
    m.reset(x, i, i);
    m.hold_refractory(x, i, i);
};

}  // namespace neuron_requirement

// A neuron model: parameters, state variables and the rules that act on a population's state
// (x: n_vars contiguous blocks of N values, variable k at x.segment(k * N, N)). See
// models/lif_cond.hpp for a complete example and README "Adding a neuron model".
template <class M>
concept NeuronModel = neuron_requirement::names_its_params<M> &&
    neuron_requirement::has_id_and_summary<M> && neuron_requirement::names_its_state_variables<M> &&
    neuron_requirement::names_its_receptors<M> &&
    neuron_requirement::params_validate_and_visit<M> &&
    neuron_requirement::constructible_from_params<M> &&
    neuron_requirement::has_rest_and_refractory_period<M> &&
    neuron_requirement::has_right_hand_side<M> && neuron_requirement::has_threshold<M> &&
    neuron_requirement::has_reset<M>;

template <class M>
consteval bool check_neuron_model() {
    using namespace neuron_requirement;
    static_assert(names_its_params<M>,
                  "a neuron model names its parameter struct (using Params = ...;), and the "
                  "parameter struct names the model back (using Model = ...;)");
    static_assert(has_id_and_summary<M>,
                  "a neuron model has `static constexpr std::string_view id` (what scenarios "
                  "call it) and `summary` (one line for the key reference)");
    static_assert(names_its_state_variables<M>,
                  "a neuron model lists its state variables: enum Var { ..., n_vars } and "
                  "std::array var_names, var_units of n_vars entries");
    static_assert(names_its_receptors<M>,
                  "a neuron model names the variable each receptor jumps "
                  "(std::array<int, 2> receptor_var: excitatory, inhibitory) and its "
                  "weight_unit");
    static_assert(params_validate_and_visit<M>,
                  "a neuron model's Params has `void validate() const` and "
                  "`template <class V> void visit_fields(V&& v)` naming every parameter");
    static_assert(constructible_from_params<M>,
                  "a neuron model is constructed from `const Params&`");
    static_assert(has_rest_and_refractory_period<M>,
                  "a neuron model has `double resting_value(int var) const` and "
                  "`double refractory_period() const` [ms]");
    static_assert(has_right_hand_side<M>,
                  "a neuron model has the ODE right-hand side over a population: "
                  "`void operator()(const Eigen::ArrayXd& x, Eigen::ArrayXd& dxdt, double t) "
                  "const`");
    static_assert(has_threshold<M>,
                  "a neuron model has `bool above_threshold(x, n, i) const` and the vectorised "
                  "`bool any_above_threshold(x, n, begin, count) const`");
    static_assert(has_reset<M>,
                  "a neuron model has `void reset(x, n, i) const` and "
                  "`void hold_refractory(x, n, i) const`");
    return true;
}

// Models with closed-form subthreshold dynamics (lif_curr): they offer the exact and precise
// integration modes. Model::Neuron holds one neuron's variables in order (n_vars doubles).
template <class Model>
concept HasExactPropagator = requires(const Model& m, Eigen::ArrayXd& x,
                                      const typename Model::Neuron& s) {
    m.propagate(m.propagator(0.1), x);
    { m.propagate(s, 0.1) } -> std::same_as<typename Model::Neuron>;
    m.threshold_distance(s);
};

// Models with a population-wide exponential-Euler step (lif_cond).
template <class Model>
concept HasExponentialEuler = requires(const Model& m, Eigen::ArrayXd& x) {
    m.exponential_euler_step(x, 0.1);
};

// Models with the scheme of Izhikevich's (2003) code (izhikevich): two Euler half-steps of v,
// then one Euler step of u with the new v.
template <class Model>
concept HasIzhikevichHalfSteps = requires(const Model& m, Eigen::ArrayXd& x) {
    m.izhikevich_half_steps(x, 0.1);
};

// Models with fused population-wide RK4 and forward-Euler steps (lif_cond), checked against
// odeint's steppers on the model's right-hand side in the tests.
template <class Model>
concept HasFusedSteps = requires(const Model& m, Eigen::ArrayXd& x) {
    m.rk4_step(x, 0.1);
    m.euler_step(x, 0.1);
};

// Models that take an injected current (a population's current_noise): current_unit, the unit of
// their I_e and of the key's suffix, and current_gain(), the rise of dV_m/dt per unit of current
// ([mV/ms] per unit: 1 / C_m, or 1 where the model writes currents in mV/ms). V_m is variable 0.
template <class Model>
concept HasCurrentInput = requires(const Model& m) {
    { Model::current_unit } -> std::convertible_to<std::string_view>;
    { m.current_gain() } -> std::convertible_to<double>;
};

// Models with linear subthreshold dynamics whose exact propagator can take a current held
// constant over a step: current_response(h) is the change of V_m over h [ms] per unit of it
// (lif_curr: R (1 - e^{-h/tau_m})).
template <class Model>
concept HasExactCurrentResponse = HasCurrentInput<Model> && requires(const Model& m) {
    { m.current_response(0.1) } -> std::convertible_to<double>;
};

// Models whose stiffness depends on the state (lif_cond's conductances): fastest_rate(x) is the
// largest rate [1/ms] of the population's dynamics and the neuron with it. The engine refuses a
// step of rk4 or Euler beyond their stability limits (NumericalError) instead of integrating
// finite garbage.
template <class Model>
concept HasFastestRate = requires(const Model& m, const Eigen::ArrayXd& x) {
    { m.fastest_rate(x) } -> std::convertible_to<std::pair<double, Eigen::Index>>;
};

// The requirements of a plasticity rule.
namespace rule_requirement {

template <class R>
concept names_its_params = requires {
    typename R::Params;
}
&&std::same_as<typename R::Params::Rule, R>;
template <class R>
concept has_id_and_summary = requires {
    { R::id } -> std::convertible_to<std::string_view>;
    { R::summary } -> std::convertible_to<std::string_view>;
};
template <class R>
concept has_states = std::default_initializable<typename R::SynapseState> &&
    std::default_initializable<typename R::PostState>;
template <class R>
concept params_validate_visit_and_bound = requires(typename R::Params& p,
                                                   const typename R::Params& cp) {
    cp.validate();
    p.visit_fields(AnyFieldVisitor{});
    { cp.bounds } -> std::convertible_to<WeightBounds>;
};
template <class R>
concept constructible_from_params = std::constructible_from<R, const typename R::Params&>;
template <class R>
concept has_bounds = requires(const R& r) {
    { r.bounds() } -> std::convertible_to<const WeightBounds&>;
};
template <class R>
concept has_on_pre = requires(const R& r, typename R::SynapseState& syn,
                              const typename R::PostState& post) {
    { r.post_term(post, 0.0) } -> std::same_as<double>;
    { r.on_pre(syn, 0.0, 0.0, 0.0) } -> std::same_as<double>;
};
template <class R>
concept has_on_post = requires(const R& r, typename R::SynapseState& syn,
                               typename R::PostState& post) {
    { r.on_post(syn, post, 0.0, 0.0) } -> std::same_as<double>;
    r.after_post(post, 0.0);
};

}  // namespace rule_requirement

// A plasticity rule on exact event-driven traces (README "How the engine runs"):
//   on_pre(synapse, post_term(post, t), w, t) -> dw  when a presynaptic spike arrives at t;
//   on_post(synapse, post, w, t) -> dw for every synapse onto a neuron that spikes at t (a rule
//   may update the synapse's state there, e.g. an eligibility trace), then
//   after_post(post, t) once. The engine clips w + dw to bounds() in one place.
template <class R>
concept PlasticityRule =
    rule_requirement::names_its_params<R> && rule_requirement::has_id_and_summary<R> &&
    rule_requirement::has_states<R> && rule_requirement::params_validate_visit_and_bound<R> &&
    rule_requirement::constructible_from_params<R> && rule_requirement::has_bounds<R> &&
    rule_requirement::has_on_pre<R> && rule_requirement::has_on_post<R>;

template <class R>
consteval bool check_plasticity_rule() {
    using namespace rule_requirement;
    static_assert(names_its_params<R>,
                  "a plasticity rule names its parameter struct (using Params = ...;), and the "
                  "parameter struct names the rule back (using Rule = ...;)");
    static_assert(has_id_and_summary<R>,
                  "a plasticity rule has `static constexpr std::string_view id` (what scenarios "
                  "call it) and `summary` (one line for the key reference)");
    static_assert(has_states<R>,
                  "a plasticity rule has default-constructible `struct SynapseState` (per "
                  "synapse) and `struct PostState` (per postsynaptic neuron)");
    static_assert(params_validate_visit_and_bound<R>,
                  "a plasticity rule's Params has `void validate() const`, `visit_fields(v)` "
                  "and a `WeightBounds bounds` member");
    static_assert(constructible_from_params<R>,
                  "a plasticity rule is constructed from `const Params&`");
    static_assert(has_bounds<R>, "a plasticity rule has `const WeightBounds& bounds() const`");
    static_assert(has_on_pre<R>,
                  "a plasticity rule has `double post_term(const PostState&, double t) const` and "
                  "`double on_pre(SynapseState&, double post_term, double w, double t) const`");
    static_assert(has_on_post<R>,
                  "a plasticity rule has `double on_post(SynapseState&, const PostState&, double "
                  "w, double t) const` (the synapse state may be const) and `void "
                  "after_post(PostState&, double t) const`");
    return true;
}

// post_term of every postsynaptic neuron at one time, vectorised; without it the engine calls
// post_term once per neuron.
template <class R>
concept HasVectorisedPostTerms = requires(const R& r, std::span<const typename R::PostState> post,
                                          std::span<double> out) {
    r.post_terms(post, 0.0, out);
};

// The third factor: a neuromodulator (e.g. dopamine) of amplitude `value` reaches the
// projection's synapses at t; the rule returns each synapse's weight change. Rules without it
// pay nothing (the projection refuses modulators).
template <class R>
concept HasModulator = requires(const R& r, typename R::SynapseState& syn) {
    { r.on_modulator(syn, 0.0, 0.0, 0.0) } -> std::same_as<double>;
};

// Rules whose weight changes between events (dw/dt = c (n - b) in reward_stdp) bring it up to a
// spike's arrival in on_pre and say so with `static constexpr bool delivers_updated_weight =
// true`: the engine then hands the target w + dw instead of w (NEST's order). Others deliver the
// weight before on_pre's change (Brian2's order).
template <class R>
concept DeliversUpdatedWeight = R::delivers_updated_weight;

// weight_at(synapse, w, t): the weight at t >= the synapse's last event, without changing state,
// for weight reports of rules whose weights drift between events.
template <class R>
concept HasWeightDrift = requires(const R& r, const typename R::SynapseState& syn) {
    { r.weight_at(syn, 0.0, 0.0) } -> std::same_as<double>;
};

}  // namespace spikerate::models
