// triplet_stdp as pure math: on_pre / on_post / after_post called with explicit times against
// the closed forms of its header, for a pair and for pre-post-post and post-pre-pre triplets,
// with both parameter sets and both interactions. Each expected value is a product of the same
// exponentials the rule evaluates, so only rounding differs (a few ulp): relative 1e-12.

#include <cmath>
#include <vector>

#include <catch2/catch.hpp>

#include "models/triplet_stdp.hpp"

namespace {

using spikerate::models::TripletStdp;
using Params = spikerate::models::TripletStdpParams;

struct TripletEvent {
    bool pre;
    double t;  // [ms]
};

// The summed weight change of events played in time order on one synapse (no clipping: the
// weight starts in the middle of wide bounds).
double triplet_dw(const TripletStdp& rule, const std::vector<TripletEvent>& events) {
    TripletStdp::SynapseState syn{};
    TripletStdp::PostState post{};
    double dw = 0.0;
    for (const TripletEvent& e : events) {
        if (e.pre) {
            dw += rule.on_pre(syn, post, 0.0, e.t);
        } else {
            dw += rule.on_post(syn, post, 0.0, e.t);
            rule.after_post(post, e.t);
        }
    }
    return dw;
}

double E(double d, double tau) { return std::exp(-d / tau); }

Params minimal_visual_cortex() {
    Params p{};
    p.tau_plus = 16.8;
    p.tau_minus = 33.7;
    p.tau_y = 114.0;
    p.A2_plus = 0.0;
    p.A3_plus = 6.5e-3;
    p.A2_minus = 7.1e-3;
    p.A3_minus = 0.0;
    return p;
}

// NEST's set with every amplitude well away from zero, so that no term can hide.
Params all_terms_visible() {
    Params p{};
    p.A2_plus = 4e-3;
    return p;
}

}  // namespace

TEST_CASE("triplet_stdp: pairs and triplets match the closed forms", "[stdp][triplet][unit]") {
    Params p = GENERATE(Params{}, minimal_visual_cortex(), all_terms_visible());
    p.interaction = GENERATE(Params::Interaction::all_to_all, Params::Interaction::nearest);
    const TripletStdp rule(p);
    const double t0 = 100.0, t1 = 107.0, t2 = 131.0;  // [ms]
    constexpr double rel = 1e-12;

    // A pair, both orders.
    CHECK(triplet_dw(rule, {{true, t0}, {false, t1}}) ==
          Approx(p.A2_plus * E(t1 - t0, p.tau_plus)).epsilon(rel).margin(1e-300));
    CHECK(triplet_dw(rule, {{false, t0}, {true, t1}}) ==
          Approx(-p.A2_minus * E(t1 - t0, p.tau_minus)).epsilon(rel));

    // pre-post-post: the second post spike sees o2 from the first.
    const double ppp = p.A2_plus * E(t1 - t0, p.tau_plus) +
                       E(t2 - t0, p.tau_plus) * (p.A2_plus + p.A3_plus * E(t2 - t1, p.tau_y));
    CHECK(triplet_dw(rule, {{true, t0}, {false, t1}, {false, t2}}) == Approx(ppp).epsilon(rel));

    // post-pre-pre: the second pre spike sees r2 from the first.
    const double ppr = -p.A2_minus * E(t1 - t0, p.tau_minus) -
                       E(t2 - t0, p.tau_minus) * (p.A2_minus + p.A3_minus * E(t2 - t1, p.tau_x));
    CHECK(triplet_dw(rule, {{false, t0}, {true, t1}, {true, t2}}) == Approx(ppr).epsilon(rel));
}

TEST_CASE("triplet_stdp: all-to-all sums earlier spikes, nearest keeps the last",
          "[stdp][triplet][unit]") {
    // pre t0, pre t1, post t2: r1(t2) = E(t2 - t0) + E(t2 - t1) all-to-all, E(t2 - t1) nearest;
    // o2 is 0 (no earlier post spike), so dw = A2_plus r1(t2).
    // post t0, post t1, pre t2: o1(t2) likewise; r2 is 0, so dw = -A2_minus o1(t2).
    Params p = all_terms_visible();
    const double t0 = 10.0, t1 = 25.0, t2 = 40.0;  // [ms]
    for (const auto interaction : {Params::Interaction::all_to_all, Params::Interaction::nearest}) {
        p.interaction = interaction;
        const TripletStdp rule(p);
        const bool all = interaction == Params::Interaction::all_to_all;
        const double r1 = E(t2 - t1, p.tau_plus) + (all ? E(t2 - t0, p.tau_plus) : 0.0);
        const double o1 = E(t2 - t1, p.tau_minus) + (all ? E(t2 - t0, p.tau_minus) : 0.0);
        CHECK(triplet_dw(rule, {{true, t0}, {true, t1}, {false, t2}}) ==
              Approx(p.A2_plus * r1).epsilon(1e-12));
        CHECK(triplet_dw(rule, {{false, t0}, {false, t1}, {true, t2}}) ==
              Approx(-p.A2_minus * o1).epsilon(1e-12));
    }
}

TEST_CASE("triplet_stdp: vectorised post terms equal one-by-one post terms",
          "[stdp][triplet][unit]") {
    const TripletStdp rule(all_terms_visible());
    std::vector<TripletStdp::PostState> post(3);
    rule.after_post(post[0], 5.0);
    rule.after_post(post[0], 12.0);
    rule.after_post(post[2], 30.0);
    std::vector<double> out(post.size());
    rule.post_terms(post, 40.0, out);
    for (std::size_t j = 0; j < post.size(); ++j) {
        CHECK(out[j] == Approx(rule.post_term(post[j], 40.0)).epsilon(1e-14).margin(1e-300));
    }
    CHECK(out[1] == 0.0);
}

TEST_CASE("triplet_stdp: validate() names the key", "[stdp][triplet][unit]") {
    Params p{};
    p.tau_y = 0.0;
    CHECK_THROWS_WITH(p.validate(), Catch::StartsWith("tau_y = 0 ms"));
    p = {};
    p.A3_plus = -1.0;
    CHECK_THROWS_WITH(p.validate(), Catch::StartsWith("A3_plus = -1"));
}
