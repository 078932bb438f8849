// The plasticity rules as pure math: on_pre / on_post / after_post called with explicit times,
// checked against the closed forms written in the rule headers. The engine's side (arrival
// times, clipping, saturation at the bounds) is in tests/sim/test_projections.cpp.
//
// Tolerances: every expected value below is one product of exponentials of the same event time
// differences the rule uses, so the only difference is floating-point rounding (a few ulp, i.e.
// a relative 1e-15); 1e-12 leaves a wide margin and is still far below any modelling error
// (a wrong sign, trace or time constant changes dw by percents).

#include <cmath>
#include <vector>

#include <catch2/catch.hpp>

#include "models/nearest_triplet_stdp.hpp"
#include "models/pair_stdp.hpp"
#include "models/weight_bounds.hpp"

namespace {

using spikerate::models::NearestTripletStdp;
using spikerate::models::PairStdp;
using spikerate::models::PairStdpParams;
using spikerate::models::WeightBounds;
namespace models = spikerate::models;

constexpr double rel_tol = 1e-12;

// One spike event seen by one synapse: a presynaptic spike reaching it, or a postsynaptic spike.
struct Event {
    enum Kind { pre, post };
    Kind kind;
    double t;  // [ms]
};

// Plays events (in time order) on one synapse onto one postsynaptic neuron as the engine does:
// the weight is clipped to the rule's bounds after every update. Returns the final weight.
template <class Rule>
double play(const Rule& rule, double w, const std::vector<Event>& events) {
    typename Rule::SynapseState syn{};
    typename Rule::PostState post{};
    for (const Event& e : events) {
        if (e.kind == Event::pre) {
            w = rule.bounds().clip(w + rule.on_pre(syn, post, w, e.t));
        } else {
            w = rule.bounds().clip(w + rule.on_post(syn, post, w, e.t));
            rule.after_post(post, e.t);
        }
    }
    return w;
}

// One pre/post pair with dt = t_post - t_pre (the pre spike's arrival at the synapse).
std::vector<Event> pair_at(double dt) {
    const double t_pre = 100.0;  // [ms] an arbitrary origin: only differences matter
    if (dt > 0) return {{Event::pre, t_pre}, {Event::post, t_pre + dt}};
    return {{Event::post, t_pre + dt}, {Event::pre, t_pre}};
}

// Parameters with distinct time constants and amplitudes, so that a swapped tau or A shows.
PairStdpParams pair_params(PairStdpParams::Weighting weighting,
                           PairStdpParams::Interaction interaction) {
    PairStdpParams p{};
    p.tau_plus = 16.8;
    p.tau_minus = 33.7;
    p.A_plus = 0.011;
    p.A_minus = 0.0074;
    p.weighting = weighting;
    p.interaction = interaction;
    p.bounds = {.w_min = 0.1, .w_max = 1.5};
    return p;
}

spikerate::models::NearestTripletStdpParams triplet_params() {
    spikerate::models::NearestTripletStdpParams p{};
    p.nu_pre = 0.0013;
    p.nu_post = 0.021;
    p.tau_pre = 17.0;
    p.tau_post1 = 23.0;
    p.tau_post2 = 41.0;
    return p;
}

}  // namespace

TEST_CASE(
    "pair_stdp additive: dw of one pair is A_plus e^{-dt/tau_plus} or -A_minus e^{dt/tau_minus}",
    "[stdp][unit]") {
    using P = PairStdpParams;
    const auto interaction = GENERATE(P::Interaction::all_to_all, P::Interaction::nearest,
                                      P::Interaction::nearest_restricted);
    const P p = pair_params(P::Weighting::additive, interaction);
    const PairStdp rule(p);
    const double dt = GENERATE(-40.0, -20.0, -5.0, -0.1, 0.1, 5.0, 20.0, 40.0);  // [ms]
    const double w0 = 0.5;

    const double expected =
        dt > 0 ? p.A_plus * std::exp(-dt / p.tau_plus) : -p.A_minus * std::exp(dt / p.tau_minus);
    CAPTURE(dt);
    CHECK(play(rule, w0, pair_at(dt)) - w0 == Approx(expected).epsilon(rel_tol));
}

TEST_CASE("pair_stdp multiplicative: potentiation scales with w_max - w, depression with w - w_min",
          "[stdp][unit]") {
    using P = PairStdpParams;
    const P p = pair_params(P::Weighting::multiplicative, P::Interaction::all_to_all);
    const PairStdp rule(p);
    const double dt = GENERATE(-40.0, -20.0, -5.0, -0.1, 0.1, 5.0, 20.0, 40.0);  // [ms]
    const double w0 = GENERATE(0.2, 0.7, 1.4);
    const double w_min = p.bounds.w_min;
    const double w_max = p.bounds.w_max;

    const double expected = dt > 0 ? p.A_plus * (w_max - w0) * std::exp(-dt / p.tau_plus)
                                   : -p.A_minus * (w0 - w_min) * std::exp(dt / p.tau_minus);
    CAPTURE(dt, w0);
    CHECK(play(rule, w0, pair_at(dt)) - w0 == Approx(expected).epsilon(rel_tol));
}

TEST_CASE("pair_stdp: two pre spikes before one post potentiate twice all-to-all, once nearest",
          "[stdp][unit]") {
    using P = PairStdpParams;
    const double t1 = 10.0, t2 = 17.5, t_post = 29.0;  // [ms]
    const std::vector<Event> events{{Event::pre, t1}, {Event::pre, t2}, {Event::post, t_post}};
    const double w0 = 0.5;

    const P all = pair_params(P::Weighting::additive, P::Interaction::all_to_all);
    const double expected_all = all.A_plus * (std::exp(-(t_post - t1) / all.tau_plus) +
                                              std::exp(-(t_post - t2) / all.tau_plus));
    CHECK(play(PairStdp(all), w0, events) - w0 == Approx(expected_all).epsilon(rel_tol));

    const P nearest = pair_params(P::Weighting::additive, P::Interaction::nearest);
    const double expected_nearest = nearest.A_plus * std::exp(-(t_post - t2) / nearest.tau_plus);
    CHECK(play(PairStdp(nearest), w0, events) - w0 == Approx(expected_nearest).epsilon(rel_tol));
}

TEST_CASE("pair_stdp: two post spikes before one pre depress twice all-to-all, once nearest",
          "[stdp][unit]") {
    using P = PairStdpParams;
    const double t1 = 10.0, t2 = 17.5, t_pre = 29.0;  // [ms]
    const std::vector<Event> events{{Event::post, t1}, {Event::post, t2}, {Event::pre, t_pre}};
    const double w0 = 0.5;

    const P all = pair_params(P::Weighting::additive, P::Interaction::all_to_all);
    const double expected_all = -all.A_minus * (std::exp(-(t_pre - t1) / all.tau_minus) +
                                                std::exp(-(t_pre - t2) / all.tau_minus));
    CHECK(play(PairStdp(all), w0, events) - w0 == Approx(expected_all).epsilon(rel_tol));

    const P nearest = pair_params(P::Weighting::additive, P::Interaction::nearest);
    const double expected_nearest = -nearest.A_minus * std::exp(-(t_pre - t2) / nearest.tau_minus);
    CHECK(play(PairStdp(nearest), w0, events) - w0 == Approx(expected_nearest).epsilon(rel_tol));
}

TEST_CASE("nearest_triplet: pre then post with no earlier post potentiates exactly nothing",
          "[stdp][unit]") {
    const NearestTripletStdp rule(triplet_params());
    const double dt = GENERATE(0.1, 5.0, 20.0, 40.0);  // [ms] t_post - t_pre
    const double w0 = 0.5;
    CAPTURE(dt);
    // x_post2 is read before the post spike sets it, and no post spike came before.
    CHECK(play(rule, w0, pair_at(dt)) == w0);
}

TEST_CASE(
    "nearest_triplet: a pre spike dt after a post spike depresses by nu_pre e^{-dt/tau_post1}",
    "[stdp][unit]") {
    const auto p = triplet_params();
    const NearestTripletStdp rule(p);
    const double dt = GENERATE(0.1, 5.0, 20.0, 40.0);  // [ms] t_pre - t_post
    const double w0 = 0.5;
    CAPTURE(dt);
    CHECK(play(rule, w0, pair_at(-dt)) - w0 ==
          Approx(-p.nu_pre * std::exp(-dt / p.tau_post1)).epsilon(rel_tol));
}

TEST_CASE("nearest_triplet: post-pre-post matches the closed form in the header", "[stdp][unit]") {
    const auto p = triplet_params();
    const NearestTripletStdp rule(p);
    const double t0 = 50.0;                           // [ms] first post spike
    const double t1 = t0 + GENERATE(0.5, 8.0, 30.0);  // [ms] pre spike
    const double t2 = t1 + GENERATE(0.5, 8.0, 30.0);  // [ms] second post spike
    const double w0 = 0.5;

    const double expected =
        -p.nu_pre * std::exp(-(t1 - t0) / p.tau_post1) +
        p.nu_post * std::exp(-(t2 - t1) / p.tau_pre) * std::exp(-(t2 - t0) / p.tau_post2);
    CAPTURE(t1 - t0, t2 - t1);
    CHECK(play(rule, w0, {{Event::post, t0}, {Event::pre, t1}, {Event::post, t2}}) - w0 ==
          Approx(expected).epsilon(rel_tol));
}

TEST_CASE("nearest_triplet: traces are nearest-spike, only the latest pre and post spikes count",
          "[stdp][unit]") {
    const auto p = triplet_params();
    const NearestTripletStdp rule(p);
    const double w0 = 0.5;
    // post, post, pre, pre, post: the depressions see the latest post (t = 12), the final
    // potentiation the latest pre (t = 20) and the latest earlier post (t = 12).
    const std::vector<Event> events{{Event::post, 0.0},
                                    {Event::post, 12.0},
                                    {Event::pre, 15.0},
                                    {Event::pre, 20.0},
                                    {Event::post, 26.0}};
    const double expected = -p.nu_pre * std::exp(-3.0 / p.tau_post1) -
                            p.nu_pre * std::exp(-8.0 / p.tau_post1) +
                            p.nu_post * std::exp(-6.0 / p.tau_pre) * std::exp(-14.0 / p.tau_post2);
    CHECK(play(rule, w0, events) - w0 == Approx(expected).epsilon(rel_tol));
}

TEST_CASE("weight_bounds: clip maps a weight into [w_min, w_max] and leaves inner weights alone",
          "[stdp][unit]") {
    const WeightBounds bounds{.w_min = 0.25, .w_max = 0.75};
    CHECK(bounds.clip(-1.0) == 0.25);
    CHECK(bounds.clip(0.25) == 0.25);
    CHECK(bounds.clip(0.4) == 0.4);
    CHECK(bounds.clip(0.75) == 0.75);
    CHECK(bounds.clip(3.0) == 0.75);
}

TEST_CASE("pair_stdp multiplicative: repeated pairs approach a bound geometrically, never reach it",
          "[stdp][unit]") {
    // With nearest interaction every pair sees the trace e^{-1 ms/tau}, so each potentiation
    // multiplies the distance to w_max by (1 - A_plus e^{-1/tau_plus}) and each depression the
    // distance to w_min by (1 - A_minus e^{-1/tau_minus}): after n pairs the distance is the
    // initial one times that factor to the n-th power, still > 0 (soft bounds, no clipping).
    // The other amplitude is 0 so that only one side acts. n = 20 keeps the distance at about
    // 0.4 of the initial one, so the n rounding errors of w (ulp ~ 2e-16 each) stay ~1e-14 of it.
    using P = PairStdpParams;
    const int n = 20;
    const double w0 = 0.5;
    std::vector<Event> potentiating, depressing;
    for (int k = 0; k < n; ++k) {
        const double t = 100.0 * k;  // [ms]
        potentiating.push_back({Event::pre, t});
        potentiating.push_back({Event::post, t + 1.0});
        depressing.push_back({Event::post, t});
        depressing.push_back({Event::pre, t + 1.0});
    }

    P up = pair_params(P::Weighting::multiplicative, P::Interaction::nearest);
    up.A_plus = 0.05;
    up.A_minus = 0.0;
    const double w_up = play(PairStdp(up), w0, potentiating);
    const double up_factor = std::pow(1.0 - up.A_plus * std::exp(-1.0 / up.tau_plus), n);
    CHECK(up.bounds.w_max - w_up == Approx((up.bounds.w_max - w0) * up_factor).epsilon(rel_tol));
    CHECK(w_up < up.bounds.w_max);

    P down = pair_params(P::Weighting::multiplicative, P::Interaction::nearest);
    down.A_plus = 0.0;
    down.A_minus = 0.05;
    const double w_down = play(PairStdp(down), w0, depressing);
    const double down_factor = std::pow(1.0 - down.A_minus * std::exp(-1.0 / down.tau_minus), n);
    CHECK(w_down - down.bounds.w_min ==
          Approx((w0 - down.bounds.w_min) * down_factor).epsilon(rel_tol));
    CHECK(w_down > down.bounds.w_min);
}

TEST_CASE("traces: decay_factor is std::exp bit for bit, 0 where exp underflows",
          "[stdp][trace][unit]") {
    // The shortcut below -746 must not change a single result: exp is exactly 0 there too.
    for (double x = -800.0; x <= 0.0; x += 0.37) {
        CAPTURE(x);
        CHECK(models::decay_factor(x) == std::exp(x));
    }
    for (const double x : {-745.0, -745.13, -745.14, -746.0, -746.0001, -1e300}) {
        CAPTURE(x);
        CHECK(models::decay_factor(x) == std::exp(x));
    }
    CHECK(models::decay_factor(-INFINITY) == 0.0);
    CHECK(std::isnan(models::decay_factor(NAN)));
    CHECK(models::NearestTrace{}.at(5.0, 20.0) == 0.0);  // no spike yet
    CHECK(models::NearestTrace{.t_last = 0.0}.at(20.0, 20.0) == std::exp(-1.0));
}

TEST_CASE(
    "pair_stdp nearest_restricted: only neighbouring pairs count, potentiation and "
    "depression alternate (Masquelier et al. 2008)",
    "[stdp][unit]") {
    using P = PairStdpParams;
    // pre pre post post pre pre post: nearest pairs every post with the last pre and every pre
    // with the last post; restricted drops the second post (no pre since the first) and the
    // second pre of the pair (no post since the first).
    const double t1 = 10.0, t2 = 17.5, t3 = 29.0, t4 = 36.0, t5 = 44.0, t6 = 51.0, t7 = 60.0;
    const std::vector<Event> events{{Event::pre, t1},  {Event::pre, t2}, {Event::post, t3},
                                    {Event::post, t4}, {Event::pre, t5}, {Event::pre, t6},
                                    {Event::post, t7}};
    const double w0 = 0.5;
    const P r = pair_params(P::Weighting::additive, P::Interaction::nearest_restricted);
    const auto ltp = [&](const P& p, double dt) { return p.A_plus * std::exp(-dt / p.tau_plus); };
    const auto ltd = [&](const P& p, double dt) {
        return -p.A_minus * std::exp(-dt / p.tau_minus);
    };
    const double expected_restricted = ltp(r, t3 - t2) + ltd(r, t5 - t4) + ltp(r, t7 - t6);
    CHECK(play(PairStdp(r), w0, events) - w0 == Approx(expected_restricted).epsilon(rel_tol));

    const P n = pair_params(P::Weighting::additive, P::Interaction::nearest);
    const double expected_nearest =
        ltp(n, t3 - t2) + ltp(n, t4 - t2) + ltd(n, t5 - t4) + ltd(n, t6 - t4) + ltp(n, t7 - t6);
    CHECK(play(PairStdp(n), w0, events) - w0 == Approx(expected_nearest).epsilon(rel_tol));

    // Multiplicative weighting applies to the pairs that count, as for the other interactions.
    const P m = pair_params(P::Weighting::multiplicative, P::Interaction::nearest_restricted);
    const double after_pre_post =
        w0 + m.A_plus * (m.bounds.w_max - w0) * std::exp(-5.0 / m.tau_plus);
    CHECK(play(PairStdp(m), w0, {{Event::pre, 10.0}, {Event::post, 15.0}, {Event::post, 20.0}}) ==
          Approx(after_pre_post).epsilon(rel_tol));
}

TEST_CASE("pair_stdp nearest_restricted: at equal times the pre spike comes first",
          "[stdp][unit]") {
    using P = PairStdpParams;
    const P r = pair_params(P::Weighting::additive, P::Interaction::nearest_restricted);
    // pre and post at 20 ms (pre first: a potentiating pair at dt = 0), then a pre at 25 ms,
    // which the post at 20 ms precedes: depression.
    const double w0 = 0.5;
    const double expected = r.A_plus - r.A_minus * std::exp(-5.0 / r.tau_minus);
    CHECK(play(PairStdp(r), w0, {{Event::pre, 20.0}, {Event::post, 20.0}, {Event::pre, 25.0}}) -
              w0 ==
          Approx(expected).epsilon(rel_tol));
    // A post at the time of the previous pre's arrival counts as after it: a second post at
    // 30 ms finds no pre after the first post and potentiates nothing.
    CHECK(play(PairStdp(r), w0, {{Event::pre, 20.0}, {Event::post, 20.0}, {Event::post, 30.0}}) -
              w0 ==
          Approx(r.A_plus).epsilon(rel_tol));
}
