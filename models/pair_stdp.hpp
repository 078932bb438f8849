#pragma once

// pair_stdp: pair-based spike-timing-dependent plasticity on exact exponential traces
// (Song, Miller & Abbott 2000, Nat. Neurosci. 3:919; van Rossum et al. 2000, J. Neurosci.
// 20:8812 for the multiplicative form; Morrison et al. 2008, Biol. Cybern. 98:459 for traces).
//
//   pre spike arriving at the synapse at t:  x_pre += 1 (or = 1);  dw = -A_minus f_-(w) x_post(t)
//   post spike at t:                          dw = +A_plus f_+(w) x_pre(t);  x_post += 1 (or = 1)
//   x_pre decays with tau_plus, x_post with tau_minus.
//   additive:        f_+ = f_- = 1, weights clipped to [w_min, w_max]
//   multiplicative:  f_+ = (w_max - w), f_- = (w - w_min)  (soft bounds)
//
// One pair, dt = t_post - t_pre_arrival, traces initially zero (the closed form the tests check):
//   dt > 0: dw = A_plus f_+ exp(-dt / tau_plus);   dt < 0: dw = -A_minus f_- exp(dt / tau_minus).
// A_plus, A_minus are magnitudes in the unit of the weight (additive) or per unit weight
// (multiplicative). Traces interact all-to-all (every spike adds one) or nearest-spike (reset to
// one).
// nearest_restricted (Morrison et al. 2008 Fig. 7C, "reduced symmetric"; NEST's
// stdp_nn_restr_synapse; the rule of Masquelier, Guyonneau & Thorpe 2008's code): nearest-spike
// pairs of neighbours only. A post spike potentiates with the last pre spike only if that came
// after the previous post spike; a pre spike depresses with the last post spike only if that
// came after the previous pre spike (at equal times the pre spike counts as first, as the engine
// orders them). Per synapse, potentiation and depression alternate: each post spike pairs with
// the last pre spike before it and the first one after it, and a pre spike between two post
// spikes with at most one of them on each side.

#include <array>
#include <span>
#include <string_view>
#include <utility>

#include "exp_trace.hpp"
#include "weight_bounds.hpp"

namespace spikerate::models {

class PairStdp;

struct PairStdpParams {
    using Rule = PairStdp;  // the rule these parameters describe

    enum class Weighting { additive, multiplicative };
    enum class Interaction { all_to_all, nearest, nearest_restricted };

    double tau_plus = 20.0;   // [ms] decay of the presynaptic trace (potentiation window)
    double tau_minus = 20.0;  // [ms] decay of the postsynaptic trace (depression window)
    double A_plus = 0.01;     // potentiation amplitude
    double A_minus = 0.0105;  // depression amplitude (a magnitude: the change is -A_minus ...)
    Weighting weighting = Weighting::additive;
    Interaction interaction = Interaction::all_to_all;
    WeightBounds bounds{};

    // Calls v(name, field, unit, doc) for every parameter; enums are passed with their names
    // (v(name, field, choices)). Amplitudes and bounds are in the projection's weight unit.
    template <class Visitor>
    void visit_fields(Visitor&& v) {
        v("tau_plus", tau_plus, "ms", "> 0: decay of the presynaptic trace (potentiation window)");
        v("tau_minus", tau_minus, "ms", "> 0: decay of the postsynaptic trace (depression window)");
        v("A_plus", A_plus, "",
          ">= 0: potentiation, in the weight unit (per unit weight when multiplicative)");
        v("A_minus", A_minus, "",
          ">= 0: depression, in the weight unit (per unit weight when multiplicative)");
        v("weighting", weighting,
          std::array{std::pair{"additive", Weighting::additive},
                     std::pair{"multiplicative", Weighting::multiplicative}},
          "multiplicative: soft bounds, f_+ = w_max - w, f_- = w - w_min");
        v("interaction", interaction,
          std::array{std::pair{"all_to_all", Interaction::all_to_all},
                     std::pair{"nearest", Interaction::nearest},
                     std::pair{"nearest_restricted", Interaction::nearest_restricted}},
          "all_to_all: every spike adds one to its trace; nearest: resets it to one; "
          "nearest_restricted: nearest neighbours only, potentiation and depression alternate");
        v("w_min", bounds.w_min, "", ">= 0, in the weight unit");
        v("w_max", bounds.w_max, "", "> w_min, in the weight unit");
    }
    void validate() const;
};

class PairStdp {
  public:
    using Params = PairStdpParams;
    static constexpr std::string_view id = "pair_stdp";
    static constexpr std::string_view summary =
        "pair-based STDP on exact traces, additive or multiplicative, all-to-all or nearest-spike "
        "(Song, Miller & Abbott 2000)";

    struct SynapseState {  // per synapse: the presynaptic trace as seen at the synapse
        ExpTrace pre;
    };
    struct PostState {  // per postsynaptic neuron
        ExpTrace post;
    };

    explicit PairStdp(const Params& params);  // validates

    const WeightBounds& bounds() const { return p_.bounds; }

    // A presynaptic spike reaches the synapse at t [ms]: updates the synapse's trace and returns
    // the weight change.
    // The part that depends only on the postsynaptic neuron, post_term, is shared by all its
    // synapses at one time (the engine computes it once per neuron and time): the depression
    // -A_minus x_post(t); for nearest_restricted the time of the last post spike, which each
    // synapse compares with its own last pre spike.
    double post_term(const PostState& post, double t) const {
        if (restricted()) return post.post.t_last;
        return -p_.A_minus * post.post.at(t, p_.tau_minus);
    }
    // post_term of every postsynaptic neuron at one time t, vectorised: out[j] = post_term(post[j],
    // t).
    void post_terms(std::span<const PostState> post, double t, std::span<double> out) const {
        if (restricted()) {
            for (std::size_t j = 0; j < out.size(); ++j) out[j] = post[j].post.t_last;
            return;
        }
        decay_factors([&](std::size_t j) { return post[j].post.t_last; }, t, p_.tau_minus, out);
        for (std::size_t j = 0; j < out.size(); ++j)
            out[j] = -p_.A_minus * (post[j].post.value * out[j]);
    }
    double on_pre(SynapseState& syn, double post_term, double w, double t) const {
        double depression = post_term;
        if (restricted()) {  // post_term is the last post spike's time
            const double t_post = post_term;
            depression = t_post >= syn.pre.t_last
                             ? -p_.A_minus * decay_factor(-(t - t_post) / p_.tau_minus)
                             : 0.0;
        }
        bump(syn.pre, t, p_.tau_plus);
        const double f = p_.weighting == Params::Weighting::additive ? 1.0 : w - p_.bounds.w_min;
        return depression * f;
    }
    double on_pre(SynapseState& syn, const PostState& post, double w, double t) const {
        return on_pre(syn, post_term(post, t), w, t);
    }
    // The postsynaptic neuron spikes at t: the weight change of one incoming synapse, with the
    // postsynaptic traces as they were before this spike.
    double on_post(const SynapseState& syn, const PostState& before, double w, double t) const {
        if (restricted() && !(syn.pre.t_last > before.post.t_last)) return 0.0;
        const double f = p_.weighting == Params::Weighting::additive ? 1.0 : p_.bounds.w_max - w;
        return p_.A_plus * f * syn.pre.at(t, p_.tau_plus);
    }
    // After every incoming synapse has seen the postsynaptic spike at t.
    void after_post(PostState& post, double t) const { bump(post.post, t, p_.tau_minus); }

  private:
    bool restricted() const { return p_.interaction == Params::Interaction::nearest_restricted; }
    // Nearest and nearest_restricted both reset a trace to one (exp_trace.hpp's bump).
    void bump(ExpTrace& trace, double t, double tau) const {
        models::bump(trace, t, tau,
                     p_.interaction == Params::Interaction::all_to_all
                         ? TraceInteraction::all_to_all
                         : TraceInteraction::nearest);
    }

    Params p_;
};

}  // namespace spikerate::models
