#pragma once

// reward_stdp: reward-modulated STDP with an eligibility trace and a neuromodulator (dopamine)
// concentration, after NEST's stdp_dopamine_synapse (Potjans, Morrison & Diesmann 2010, Front.
// Comput. Neurosci. 4:141) and Izhikevich (2007, Cereb. Cortex 17:2443).
//
//   dc/dt = -c / tau_c + A_plus x_pre(t) [post spike] - A_minus x_post(t) [pre spike arrival]
//   dn/dt = -n / tau_n + sum_k m_k delta(t - t_k)        (m_k: the modulator events' values)
//   dw/dt = c (n - b)
//   x_pre decays with tau_plus, x_post with tau_minus; a spike adds one to its trace
//   (all_to_all, as NEST's K_plus and K_minus) or resets it to one (nearest, as Izhikevich's code).
//
// STDP does not move the weight: it moves the eligibility c, and the weight follows c (n - b).
// Between two events of a synapse (pre arrival, post spike, modulator) c and n decay
// exponentially, so the weight change is exact:
//   c(t0 + s) = c0 e^{-s / tau_c},   n(t0 + s) = n0 e^{-s / tau_n},
//   dw = c0 [ n0 tau_s (1 - e^{-dt / tau_s}) - b tau_c (1 - e^{-dt / tau_c}) ],
//   1 / tau_s = 1 / tau_c + 1 / tau_n,
// NEST's update_weight_. The engine clips w to [w_min, w_max] after each event, as NEST clips at
// the end of each interval. A presynaptic spike delivers the weight brought up to its arrival
// time (NEST sends the updated weight).
// Units: c in the weight unit, n and b in 1/ms, so that c (n - b) is a weight per ms. A modulator
// event of value m raises n by m [1/ms]: NEST's dopamine spike of multiplicity k is m = k / tau_n
// (n then integrates to k over time). Izhikevich (2007) adds DA += 0.5 per reward and moves
// s += (0.002 + DA) sd every 10 ms: here c = sd, m = 0.05 /ms, b = -0.0002 /ms.
// Differences from NEST: a pre arrival and a post spike at the same time pair as pre-before-post
// (the engine's order: the arrival first), where NEST skips that facilitation; the eligibility is
// kept per synapse together with n (each synapse sees every modulator event at its time).

#include <array>
#include <cmath>
#include <limits>
#include <span>
#include <string_view>
#include <utility>

#include "exp_trace.hpp"
#include "weight_bounds.hpp"

namespace spikerate::models {

class RewardStdp;

struct RewardStdpParams {
    using Rule = RewardStdp;  // the rule these parameters describe

    double A_plus = 1.0;      // eligibility per pre-before-post pairing [weight unit]
    double A_minus = 1.5;     // eligibility per post-before-pre pairing (a magnitude)
    double tau_plus = 20.0;   // [ms] presynaptic trace
    double tau_minus = 20.0;  // [ms] postsynaptic trace (NEST: the neuron's tau_minus)
    double tau_c = 1000.0;    // [ms] eligibility
    double tau_n = 200.0;     // [ms] neuromodulator concentration
    double b = 0.0;           // [1/ms] baseline concentration
    TraceInteraction interaction = TraceInteraction::all_to_all;
    WeightBounds bounds{0.0, 200.0};  // NEST's Wmin, Wmax

    template <class Visitor>
    void visit_fields(Visitor&& v) {
        v("A_plus", A_plus, "",
          ">= 0: eligibility per pre-before-post pairing, in the weight unit");
        v("A_minus", A_minus, "",
          ">= 0: eligibility removed per post-before-pre pairing, in the weight unit");
        v("tau_plus", tau_plus, "ms", "> 0: decay of the presynaptic trace");
        v("tau_minus", tau_minus, "ms", "> 0: decay of the postsynaptic trace");
        v("tau_c", tau_c, "ms", "> 0: decay of the eligibility trace c");
        v("tau_n", tau_n, "ms", "> 0: decay of the neuromodulator concentration n");
        v("b", b, "per_ms", "finite: baseline concentration; dw/dt = c (n - b)");
        v("interaction", interaction, trace_interaction_choices,
          "all_to_all: every spike adds one to its trace (NEST); nearest: resets it to one");
        v("w_min", bounds.w_min, "", ">= 0, in the weight unit");
        v("w_max", bounds.w_max, "", "> w_min, in the weight unit");
    }
    void validate() const;
};

class RewardStdp {
  public:
    using Params = RewardStdpParams;
    static constexpr std::string_view id = "reward_stdp";
    static constexpr std::string_view summary =
        "reward-modulated STDP: eligibility c and neuromodulator n, dw/dt = c (n - b), exact "
        "between events (NEST's stdp_dopamine_synapse, Izhikevich 2007)";
    // A presynaptic spike hands its target the weight brought up to its arrival (NEST).
    static constexpr bool delivers_updated_weight = true;

    struct SynapseState {
        ExpTrace pre;                                         // x_pre, tau_plus
        double c = 0.0;                                       // eligibility at t [weight unit]
        double n = 0.0;                                       // concentration at t [1/ms]
        double t = -std::numeric_limits<double>::infinity();  // [ms] when c and n were last set
    };
    struct PostState {
        ExpTrace post;  // x_post, tau_minus
    };

    explicit RewardStdp(const Params& params);  // validates

    const Params& params() const { return p_; }
    const WeightBounds& bounds() const { return p_.bounds; }

    // The weight change from syn.t to t (t >= syn.t), c and n decayed to t. Exact (see the
    // header comment); expm1 keeps short intervals accurate.
    double advance(SynapseState& syn, double t) const {
        const double dt = t - syn.t;
        if (!(dt > 0.0)) return 0.0;
        const double ec = std::expm1(-dt / p_.tau_c);  // e^{-dt/tau_c} - 1
        const double en = std::expm1(-dt / p_.tau_n);
        double dw = 0.0;
        if (syn.c != 0.0) {
            const double es = ec + en + ec * en;  // e^{-dt/tau_s} - 1
            dw = syn.c * (-syn.n * tau_s_ * es + p_.b * p_.tau_c * ec);
        }
        syn.c += syn.c * ec;
        syn.n += syn.n * en;
        syn.t = t;
        return dw;
    }
    // The weight of a synapse at t >= syn.t without changing it (for recording), clipped.
    double weight_at(const SynapseState& syn, double w, double t) const {
        SynapseState copy = syn;
        return p_.bounds.clip(w + advance(copy, t));
    }

    // Shared by the synapses onto one neuron at t: the eligibility a pre arrival removes.
    double post_term(const PostState& post, double t) const {
        return -p_.A_minus * post.post.at(t, p_.tau_minus);
    }
    void post_terms(std::span<const PostState> post, double t, std::span<double> out) const {
        decay_factors([&](std::size_t j) { return post[j].post.t_last; }, t, p_.tau_minus, out);
        for (std::size_t j = 0; j < out.size(); ++j)
            out[j] = -p_.A_minus * (post[j].post.value * out[j]);
    }
    // A presynaptic spike arrives at t: the weight catches up to t, then c is depressed.
    double on_pre(SynapseState& syn, double post_term, double /*w*/, double t) const {
        const double dw = advance(syn, t);
        syn.c += post_term;
        bump(syn.pre, t, p_.tau_plus, p_.interaction);
        return dw;
    }
    double on_pre(SynapseState& syn, const PostState& post, double w, double t) const {
        return on_pre(syn, post_term(post, t), w, t);
    }
    // The postsynaptic neuron spikes at t: the weight catches up to t, then c is potentiated.
    double on_post(SynapseState& syn, const PostState& /*before*/, double /*w*/, double t) const {
        const double dw = advance(syn, t);
        syn.c += p_.A_plus * syn.pre.at(t, p_.tau_plus);
        return dw;
    }
    void after_post(PostState& post, double t) const {
        bump(post.post, t, p_.tau_minus, p_.interaction);
    }
    // A modulator event of value m [1/ms] reaches the synapse at t: the weight catches up to t,
    // then n += m.
    double on_modulator(SynapseState& syn, double value, double /*w*/, double t) const {
        const double dw = advance(syn, t);
        syn.n += value;
        return dw;
    }

  private:
    Params p_;
    double tau_s_;  // [ms] 1 / (1 / tau_c + 1 / tau_n)
};

}  // namespace spikerate::models
