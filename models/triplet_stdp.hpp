#pragma once

// triplet_stdp: the triplet rule of Pfister & Gerstner (2006, J. Neurosci. 26:9673) on exact
// traces, all-to-all or nearest-spike interactions.
//
//   presynaptic traces r1 (tau_plus), r2 (tau_x); postsynaptic traces o1 (tau_minus), o2 (tau_y)
//   pre spike arriving at the synapse at t:  dw = -o1(t) [A2_minus + A3_minus r2(t^-)];
//                                            then r1, r2 += 1 (nearest: = 1)
//   post spike at t:                         dw = +r1(t) [A2_plus + A3_plus o2(t^-)];
//                                            then o1, o2 += 1 (nearest: = 1)
// r2 and o2 are read before their own spike's increment (t^-). Weights are clipped to
// [w_min, w_max]; amplitudes are in the projection's weight unit.
// Parameter sets (the defaults are NEST's stdp_triplet_synapse with its neuron's post traces):
//   NEST:     tau_plus 16.8, tau_x 101, tau_minus 20, tau_y 110 ms; A2_plus 5e-10,
//             A3_plus 6.2e-3, A2_minus 7e-3, A3_minus 2.3e-4 (the paper's all-to-all visual
//             cortex fit, with NEST's post time constants instead of 33.7 and 125 ms)
//   minimal all-to-all visual cortex (the paper's Table 4): tau_plus 16.8, tau_minus 33.7,
//             tau_y 114 ms; A2_plus 0, A3_plus 6.5e-3, A2_minus 7.1e-3, A3_minus 0 (tau_x unused)
// Closed forms the tests check (traces initially zero, E(d, tau) = exp(-d / tau)):
//   pre t0, post t1:              dw = A2_plus E(t1 - t0, tau_plus)
//   post t0, pre t1:              dw = -A2_minus E(t1 - t0, tau_minus)
//   pre t0, post t1, post t2:     dw = A2_plus E(t1 - t0, tau_plus)
//                                      + E(t2 - t0, tau_plus) [A2_plus + A3_plus E(t2 - t1, tau_y)]
//   post t0, pre t1, pre t2:      dw = -A2_minus E(t1 - t0, tau_minus)
//                                      - E(t2 - t0, tau_minus) [A2_minus + A3_minus E(t2 - t1,
//                                      tau_x)]

#include <span>
#include <string_view>

#include "exp_trace.hpp"
#include "weight_bounds.hpp"

namespace spikerate::models {

class TripletStdp;

struct TripletStdpParams {
    using Rule = TripletStdp;  // the rule these parameters describe

    using Interaction = TraceInteraction;

    double tau_plus = 16.8;    // [ms] r1: pair potentiation window
    double tau_x = 101.0;      // [ms] r2: presynaptic triplet trace
    double tau_minus = 20.0;   // [ms] o1: pair depression window
    double tau_y = 110.0;      // [ms] o2: postsynaptic triplet trace
    double A2_plus = 5e-10;    // pair potentiation
    double A3_plus = 6.2e-3;   // triplet potentiation
    double A2_minus = 7e-3;    // pair depression (a magnitude)
    double A3_minus = 2.3e-4;  // triplet depression (a magnitude)
    Interaction interaction = Interaction::all_to_all;
    WeightBounds bounds{};

    // Calls v(name, field, unit, doc) for every parameter. Amplitudes and bounds are in the
    // projection's weight unit.
    template <class Visitor>
    void visit_fields(Visitor&& v) {
        v("tau_plus", tau_plus, "ms", "> 0: presynaptic pair trace r1");
        v("tau_x", tau_x, "ms", "> 0: presynaptic triplet trace r2");
        v("tau_minus", tau_minus, "ms", "> 0: postsynaptic pair trace o1");
        v("tau_y", tau_y, "ms", "> 0: postsynaptic triplet trace o2");
        v("A2_plus", A2_plus, "", ">= 0: pair potentiation, in the weight unit");
        v("A3_plus", A3_plus, "", ">= 0: triplet potentiation, in the weight unit");
        v("A2_minus", A2_minus, "", ">= 0: pair depression, in the weight unit");
        v("A3_minus", A3_minus, "", ">= 0: triplet depression, in the weight unit");
        v("interaction", interaction, trace_interaction_choices,
          "all_to_all: every spike adds one to its traces; nearest: resets them to one");
        v("w_min", bounds.w_min, "", ">= 0, in the weight unit");
        v("w_max", bounds.w_max, "", "> w_min, in the weight unit");
    }
    void validate() const;
};

class TripletStdp {
  public:
    using Params = TripletStdpParams;
    static constexpr std::string_view id = "triplet_stdp";
    static constexpr std::string_view summary =
        "triplet STDP on exact traces, all-to-all or nearest-spike (Pfister & Gerstner 2006; "
        "defaults: NEST's stdp_triplet_synapse)";

    struct SynapseState {  // the presynaptic traces as seen at the synapse
        ExpTrace r1;
        ExpTrace r2;
    };
    struct PostState {
        ExpTrace o1;
        ExpTrace o2;
    };

    explicit TripletStdp(const Params& params);  // validates

    const WeightBounds& bounds() const { return p_.bounds; }

    // The postsynaptic part of a presynaptic spike's change, -o1(t), shared by all synapses
    // onto one neuron; on_pre multiplies it by the synapse's [A2_minus + A3_minus r2(t^-)].
    double post_term(const PostState& post, double t) const { return -post.o1.at(t, p_.tau_minus); }
    void post_terms(std::span<const PostState> post, double t, std::span<double> out) const {
        decay_factors([&](std::size_t j) { return post[j].o1.t_last; }, t, p_.tau_minus, out);
        for (std::size_t j = 0; j < out.size(); ++j) out[j] = -(post[j].o1.value * out[j]);
    }
    double on_pre(SynapseState& syn, double post_term, double /*w*/, double t) const {
        const double dw = post_term * (p_.A2_minus + p_.A3_minus * syn.r2.at(t, p_.tau_x));
        bump(syn.r1, t, p_.tau_plus, p_.interaction);
        bump(syn.r2, t, p_.tau_x, p_.interaction);
        return dw;
    }
    double on_pre(SynapseState& syn, const PostState& post, double w, double t) const {
        return on_pre(syn, post_term(post, t), w, t);
    }
    // With the postsynaptic traces as they were before this spike.
    double on_post(const SynapseState& syn, const PostState& before, double /*w*/, double t) const {
        return syn.r1.at(t, p_.tau_plus) * (p_.A2_plus + p_.A3_plus * before.o2.at(t, p_.tau_y));
    }
    void after_post(PostState& post, double t) const {
        bump(post.o1, t, p_.tau_minus, p_.interaction);
        bump(post.o2, t, p_.tau_y, p_.interaction);
    }

  private:
    Params p_;
};

}  // namespace spikerate::models
