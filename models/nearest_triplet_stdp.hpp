#pragma once

// nearest_triplet_stdp: the nearest-spike triplet rule of Diehl & Cook's released code
// (Diehl & Cook 2015, Front. Comput. Neurosci. 9:99; after Pfister & Gerstner 2006).
//
//   pre spike arriving at t:  x_pre = 1;            dw = -nu_pre * x_post1(t)
//   post spike at t:          dw = nu_post * x_pre(t) * x_post2(t^-);  x_post1 = 1;  x_post2 = 1
//   x_pre decays with tau_pre, x_post1 with tau_post1, x_post2 with tau_post2.
//
// x_post2 is read before it is set, so the first post spike after a long silence potentiates
// nothing. Weights are clipped to [w_min, w_max] (released code: [0, 1]).
// Closed forms the tests check, traces initially zero:
//   pre at t1, post at t2 > t1, no earlier post:      dw = 0
//   post at t0, pre at t1, post at t2 (t0 < t1 < t2):
//     dw = -nu_pre e^{-(t1-t0)/tau_post1} + nu_post e^{-(t2-t1)/tau_pre} e^{-(t2-t0)/tau_post2}

#include <span>
#include <string_view>

#include "exp_trace.hpp"
#include "weight_bounds.hpp"

namespace spikerate::models {

class NearestTripletStdp;

struct NearestTripletStdpParams {
    using Rule = NearestTripletStdp;  // the rule these parameters describe

    double nu_pre = 0.0001;   // depression rate, per presynaptic spike
    double nu_post = 0.01;    // potentiation rate, per postsynaptic spike
    double tau_pre = 20.0;    // [ms]
    double tau_post1 = 20.0;  // [ms] depression trace
    double tau_post2 = 40.0;  // [ms] triplet (potentiation-gating) trace
    WeightBounds bounds{};

    // Calls v(name, field, unit, doc) for every parameter. Rates and bounds are in the projection's
    // weight unit.
    template <class Visitor>
    void visit_fields(Visitor&& v) {
        v("nu_pre", nu_pre, "", ">= 0: depression per presynaptic spike, in the weight unit");
        v("nu_post", nu_post, "", ">= 0: potentiation per postsynaptic spike, in the weight unit");
        v("tau_pre", tau_pre, "ms", "> 0");
        v("tau_post1", tau_post1, "ms", "> 0: the depression trace");
        v("tau_post2", tau_post2, "ms", "> 0: the triplet trace that gates potentiation");
        v("w_min", bounds.w_min, "", ">= 0, in the weight unit");
        v("w_max", bounds.w_max, "", "> w_min, in the weight unit");
    }
    void validate() const;
};

class NearestTripletStdp {
  public:
    using Params = NearestTripletStdpParams;
    static constexpr std::string_view id = "nearest_triplet_stdp";
    static constexpr std::string_view summary =
        "the nearest-spike triplet rule of Diehl & Cook's (2015) released code";

    struct SynapseState {
        NearestTrace pre;
    };
    struct PostState {
        NearestTrace post1;
        NearestTrace post2;
    };

    explicit NearestTripletStdp(const Params& params);  // validates

    const WeightBounds& bounds() const { return p_.bounds; }

    // A presynaptic spike reaches the synapse at t: the weight change. The part that depends
    // only on the postsynaptic neuron, post_term, is shared by all its synapses at one time (the
    // engine computes it once per neuron and time); on_pre(syn, post, w, t) is the composition.
    double post_term(const PostState& post, double t) const {
        return -p_.nu_pre * post.post1.at(t, p_.tau_post1);
    }
    // post_term of every postsynaptic neuron at one time t, vectorised: out[j] = post_term(post[j],
    // t).
    void post_terms(std::span<const PostState> post, double t, std::span<double> out) const {
        decay_factors([&](std::size_t j) { return post[j].post1.t_last; }, t, p_.tau_post1, out);
        for (double& term : out) term *= -p_.nu_pre;
    }
    double on_pre(SynapseState& syn, double post_term, double /*w*/, double t) const {
        syn.pre.set_one(t);
        return post_term;
    }
    double on_pre(SynapseState& syn, const PostState& post, double w, double t) const {
        return on_pre(syn, post_term(post, t), w, t);
    }
    double on_post(const SynapseState& syn, const PostState& before, double /*w*/, double t) const {
        return p_.nu_post * syn.pre.at(t, p_.tau_pre) * before.post2.at(t, p_.tau_post2);
    }
    void after_post(PostState& post, double t) const {
        post.post1.set_one(t);
        post.post2.set_one(t);
    }

  private:
    Params p_;
};

}  // namespace spikerate::models
