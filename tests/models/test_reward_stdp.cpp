// reward_stdp as pure math: on_pre / on_post / on_modulator called with explicit times, against
// (1) the closed form of c, n and w for one pairing and one modulator event, (2) the weight as
// the integral of c (n - b) with c and n written as sums of kernels over the events (the ODEs'
// solution by superposition, independent of the rule's recursive updates), integrated by
// composite Simpson, and (3) NEST's documented semantics (defaults, a dopamine spike of
// multiplicity 1 as a modulator of 1 / tau_n, clipping at the end of every interval).

#include <algorithm>
#include <cmath>
#include <vector>

#include <catch2/catch.hpp>

#include "models/reward_stdp.hpp"

namespace {

using spikerate::models::RewardStdp;
using spikerate::models::TraceInteraction;
using RParams = spikerate::models::RewardStdpParams;

struct RewardEvent {
    enum Kind { pre, post, modulator } kind;
    double t;            // [ms]
    double value = 0.0;  // modulator: the rise of n [1/ms]
};

// Plays events in time order on one synapse; returns the weight at t_end (recorded view) and
// leaves the synapse's state in `syn`. Bounds are applied after every event, as the engine does.
double reward_play(const RewardStdp& rule, const std::vector<RewardEvent>& events, double w,
                   double t_end, RewardStdp::SynapseState& syn) {
    RewardStdp::PostState post{};
    for (const RewardEvent& e : events) {
        double dw = 0.0;
        switch (e.kind) {
            case RewardEvent::pre:
                dw = rule.on_pre(syn, post, w, e.t);
                break;
            case RewardEvent::post:
                dw = rule.on_post(syn, post, w, e.t);
                rule.after_post(post, e.t);
                break;
            case RewardEvent::modulator:
                dw = rule.on_modulator(syn, e.value, w, e.t);
                break;
        }
        w = rule.bounds().clip(w + dw);
    }
    return rule.weight_at(syn, w, t_end);
}

// c(s) and n(s) by superposition (all-to-all traces, no two events at one time).
double reward_c_at(const RParams& p, const std::vector<RewardEvent>& events, double s) {
    double c = 0.0;
    for (const RewardEvent& e : events) {
        if (e.t > s || e.kind == RewardEvent::modulator) continue;
        double pairing = 0.0;
        for (const RewardEvent& f : events) {
            if (f.t >= e.t) continue;
            if (e.kind == RewardEvent::post && f.kind == RewardEvent::pre) {
                pairing += p.A_plus * std::exp(-(e.t - f.t) / p.tau_plus);
            } else if (e.kind == RewardEvent::pre && f.kind == RewardEvent::post) {
                pairing -= p.A_minus * std::exp(-(e.t - f.t) / p.tau_minus);
            }
        }
        c += pairing * std::exp(-(s - e.t) / p.tau_c);
    }
    return c;
}
double reward_n_at(const RParams& p, const std::vector<RewardEvent>& events, double s) {
    double n = 0.0;
    for (const RewardEvent& e : events) {
        if (e.kind == RewardEvent::modulator && e.t <= s)
            n += e.value * std::exp(-(s - e.t) / p.tau_n);
    }
    return n;
}

// w(t_end) - w(0) = integral of c (n - b), composite Simpson on every interval between events
// (the integrand is smooth there), `per_interval` panels each.
double reward_simpson(const RParams& p, const std::vector<RewardEvent>& events, double t_end,
                      int per_interval) {
    std::vector<double> cuts{0.0};
    for (const RewardEvent& e : events) cuts.push_back(e.t);
    cuts.push_back(t_end);
    double total = 0.0;
    for (std::size_t k = 0; k + 1 < cuts.size(); ++k) {
        const double a = cuts[k], b = cuts[k + 1];
        if (!(b > a)) continue;
        const double h = (b - a) / per_interval;
        // Inside the interval: events at a have happened, those at b not yet.
        const double inside = a + 0.5 * h * 1e-9;
        const auto f = [&](double s) {
            const double at = std::min(std::max(s, inside), b - 0.5 * h * 1e-9);
            return reward_c_at(p, events, at) * (reward_n_at(p, events, at) - p.b);
        };
        double sum = f(a) + f(b);
        for (int i = 1; i < per_interval; ++i) sum += (i % 2 == 1 ? 4.0 : 2.0) * f(a + i * h);
        total += sum * h / 3.0;
    }
    return total;
}

}  // namespace

TEST_CASE("reward_stdp: c, n and w after one pairing and one reward match the closed form",
          "[stdp][reward_stdp][unit]") {
    RParams p{};
    p.b = GENERATE(0.0, 2e-4, -2e-4);         // [1/ms]
    const double sign = GENERATE(1.0, -1.0);  // pre-before-post or post-before-pre
    const RewardStdp rule(p);
    const double t_pre = sign > 0 ? 10.0 : 15.0, t_post = sign > 0 ? 15.0 : 10.0;
    const double t_m = 300.0, m = 0.05, t_end = 2000.0, w0 = 100.0;  // [ms], [1/ms], [ms]
    const std::vector<RewardEvent> events{
        {t_pre < t_post ? RewardEvent::pre : RewardEvent::post, std::min(t_pre, t_post)},
        {t_pre < t_post ? RewardEvent::post : RewardEvent::pre, std::max(t_pre, t_post)},
        {RewardEvent::modulator, t_m, m}};
    RewardStdp::SynapseState syn{};
    const double w = reward_play(rule, events, w0, t_end, syn);

    const double t1 = std::max(t_pre, t_post);  // c jumps here
    const double c1 = sign > 0 ? p.A_plus * std::exp(-5.0 / p.tau_plus)
                               : -p.A_minus * std::exp(-5.0 / p.tau_minus);
    const double tau_s = 1.0 / (1.0 / p.tau_c + 1.0 / p.tau_n);
    const double expected_w =
        w0 + c1 * (-p.b * p.tau_c * (1.0 - std::exp(-(t_end - t1) / p.tau_c)) +
                   m * std::exp(-(t_m - t1) / p.tau_c) * tau_s *
                       (1.0 - std::exp(-(t_end - t_m) / tau_s)));
    constexpr double rel = 1e-12;  // the same exponentials, rounded differently
    CHECK(w == Approx(expected_w).epsilon(rel));
    // The synapse itself stays at its last event (t_m); weight_at did not move it.
    CHECK(syn.t == t_m);
    CHECK(syn.c == Approx(c1 * std::exp(-(t_m - t1) / p.tau_c)).epsilon(rel));
    CHECK(syn.n == Approx(m).epsilon(rel));
    // Advanced to t_end: c and n decayed exactly.
    RewardStdp::SynapseState later = syn;
    rule.advance(later, t_end);
    CHECK(later.c == Approx(c1 * std::exp(-(t_end - t1) / p.tau_c)).epsilon(rel));
    CHECK(later.n == Approx(m * std::exp(-(t_end - t_m) / p.tau_n)).epsilon(rel));
    // The closed form is the integral of c (n - b): Simpson with 2000 panels per interval is
    // exact to ~(h / tau_s)^4, far below rel.
    CHECK(w - w0 == Approx(reward_simpson(p, events, t_end, 2000)).epsilon(1e-10));
}

TEST_CASE("reward_stdp: a spike train with several rewards equals the integral of c (n - b)",
          "[stdp][reward_stdp][unit]") {
    RParams p{};
    p.tau_c = 400.0;
    p.tau_n = 150.0;
    p.b = GENERATE(0.0, 1e-3);
    const RewardStdp rule(p);
    // Pre-post pairings of both signs, rewards in between; no two events at one time.
    const std::vector<RewardEvent> events{{RewardEvent::pre, 5.0},
                                          {RewardEvent::post, 12.0},
                                          {RewardEvent::pre, 31.0},
                                          {RewardEvent::modulator, 80.0, 0.02},
                                          {RewardEvent::post, 95.0},
                                          {RewardEvent::pre, 97.5},
                                          {RewardEvent::pre, 140.0},
                                          {RewardEvent::post, 141.0},
                                          {RewardEvent::modulator, 150.0, 0.03},
                                          {RewardEvent::post, 300.0},
                                          {RewardEvent::modulator, 420.0, 0.01}};
    const double t_end = 1500.0, w0 = 100.0;  // wide bounds [0, 200]: no clipping
    RewardStdp::SynapseState syn{};
    const double w = reward_play(rule, events, w0, t_end, syn);
    CHECK(w - w0 == Approx(reward_simpson(p, events, t_end, 2000)).epsilon(1e-9));
    CHECK(syn.c == Approx(reward_c_at(p, events, 420.0)).epsilon(1e-12));
    CHECK(syn.n == Approx(reward_n_at(p, events, 420.0)).epsilon(1e-12));
}

TEST_CASE("reward_stdp: nearest-spike traces count only the last spike",
          "[stdp][reward_stdp][unit]") {
    RParams p{};
    p.interaction = TraceInteraction::nearest;
    const RewardStdp rule(p);
    RewardStdp::SynapseState syn{};
    RewardStdp::PostState post{};
    rule.on_pre(syn, post, 0.0, 0.0);
    rule.on_pre(syn, post, 0.0, 4.0);
    rule.on_post(syn, post, 0.0, 10.0);
    // Only the pre spike at 4 ms pairs (all_to_all would add exp(-10 / tau_plus)).
    const double c10 = p.A_plus * std::exp(-6.0 / p.tau_plus);
    CHECK(syn.c == Approx(c10).epsilon(1e-12));
    rule.after_post(post, 10.0);
    rule.after_post(post, 12.0);  // a second post spike: the trace restarts at one
    rule.on_pre(syn, post, 0.0, 20.0);
    CHECK(syn.c ==
          Approx(c10 * std::exp(-10.0 / p.tau_c) - p.A_minus * std::exp(-8.0 / p.tau_minus))
              .epsilon(1e-12));
}

TEST_CASE("reward_stdp: NEST's stdp_dopamine_synapse semantics", "[stdp][reward_stdp][unit]") {
    SECTION("the defaults are NEST's") {
        const RParams p{};
        CHECK(p.A_plus == 1.0);
        CHECK(p.A_minus == 1.5);
        CHECK(p.tau_plus == 20.0);
        CHECK(p.tau_c == 1000.0);
        CHECK(p.tau_n == 200.0);
        CHECK(p.b == 0.0);
        CHECK(p.bounds.w_min == 0.0);
        CHECK(p.bounds.w_max == 200.0);
    }
    SECTION("a dopamine spike of multiplicity 1 (n += 1 / tau_n) moves w by c times one") {
        // With c held (tau_c much longer than tau_n) the reward's n integrates to 1, so the
        // weight moves by c (1 - e^{-T / tau_s}) tau_s / tau_n ~ c.
        RParams p{};
        p.tau_c = 1e9;
        const RewardStdp rule(p);
        RewardStdp::SynapseState syn{};
        RewardStdp::PostState post{};
        rule.on_pre(syn, post, 0.0, 0.0);
        rule.on_post(syn, post, 0.0, 10.0);  // c = A_plus e^{-10 / 20}
        const double c = p.A_plus * std::exp(-0.5);
        const double dw_before = rule.on_modulator(syn, 1.0 / p.tau_n, 50.0, 20.0);
        CHECK(dw_before == Approx(0.0).margin(1e-12 * c));  // b = 0: nothing moves without n
        const double dw = rule.weight_at(syn, 50.0, 20.0 + 20.0 * p.tau_n) - 50.0;
        // tau_s / tau_n = tau_c / (tau_c + tau_n); the rest e^{-20} and c's decay (2e-5).
        CHECK(dw == Approx(c).epsilon(1e-4));
        CHECK(dw < c);
    }
    SECTION("the weight is clipped at the end of every interval, not in between") {
        // A reward drives w past w_max; the next interval starts from w_max (NEST clips in
        // update_weight_ at each interval's end), so a later negative drift lowers it from there.
        RParams p{};
        p.bounds = {0.0, 100.0};
        p.b = 0.2;  // [1/ms] b tau_c > n tau_s after 50 ms: the drift turns negative
        const RewardStdp rule(p);
        RewardStdp::SynapseState syn{};
        RewardStdp::PostState post{};
        double w = 90.0;
        w = rule.bounds().clip(w + rule.on_pre(syn, post, w, 0.0));
        w = rule.bounds().clip(w + rule.on_post(syn, post, w, 5.0));
        w = rule.bounds().clip(w + rule.on_modulator(syn, 1.0, w, 10.0));
        const double at_50 = rule.bounds().clip(w + rule.on_modulator(syn, 0.0, w, 50.0));
        CHECK(at_50 == 100.0);  // unclipped about 111.6
        RewardStdp::SynapseState copy = syn;
        const double drift = rule.advance(copy, 5000.0);
        CHECK(drift < -40.0);
        CHECK(rule.weight_at(syn, at_50, 5000.0) == Approx(100.0 + drift).epsilon(1e-12));
    }
}

TEST_CASE("reward_stdp: invalid parameters are refused naming the key",
          "[stdp][reward_stdp][unit]") {
    RParams p{};
    p.tau_c = 0.0;
    CHECK_THROWS_WITH(RewardStdp(p), Catch::Contains("tau_c"));
    p = RParams{};
    p.b = std::nan("");
    CHECK_THROWS_WITH(RewardStdp(p), Catch::Contains("b"));
    p = RParams{};
    p.A_minus = -1.0;
    CHECK_THROWS_WITH(RewardStdp(p), Catch::Contains("A_minus"));
}

TEST_CASE("reward_stdp: daspnet.m's numbers reproduce its discrete update of one synapse",
          "[stdp][reward_stdp][unit]") {
    // Izhikevich's (2007) code, one synapse: traces set to 0.1 at a spike and decaying x0.95 per
    // ms; on a post spike sd += the pre trace; DA x0.995 per ms, +0.5 per reward; every 10 ms
    // s += (0.002 + DA) sd, then sd x0.99. The scenario's mapping (c = sd, n = DA / 10 ms,
    // b = -0.0002 /ms) integrates the same weight change exactly; the code's 10 ms sum differs
    // from the integral by about h / (2 tau) (a Riemann sum of an exponential with step h): 2.5 %
    // for the dopamine term (tau_n ~ 200 ms), 0.5 % for the baseline term.
    RParams p{};
    p.interaction = TraceInteraction::nearest;
    p.A_plus = 0.1;
    p.A_minus = 0.15;
    p.tau_plus = p.tau_minus = -1.0 / std::log(0.95);
    p.tau_c = -10.0 / std::log(0.99);
    p.tau_n = -1.0 / std::log(0.995);
    p.b = -0.0002;
    p.bounds = {0.0, 4.0};
    const RewardStdp rule(p);
    const double t_arrival = 100.0, t_post = 105.0, t_reward = 1100.0, t_end = 6000.0;  // [ms]
    const double w0 = 1.0;

    double s = w0, sd = 0.0, da = 0.0;
    for (int t = 1; t <= static_cast<int>(t_end); ++t) {
        if (t == static_cast<int>(t_post)) sd += 0.1 * std::pow(0.95, t_post - t_arrival);
        da *= 0.995;
        if (t % 10 == 0) {
            s = std::clamp(s + (0.002 + da) * sd, 0.0, 4.0);
            sd *= 0.99;
        }
        if (t == static_cast<int>(t_reward)) da += 0.5;
    }

    RewardStdp::SynapseState syn{};
    RewardStdp::PostState post{};
    double w = w0;
    w = rule.bounds().clip(w + rule.on_pre(syn, post, w, t_arrival));
    w = rule.bounds().clip(w + rule.on_post(syn, post, w, t_post));
    w = rule.bounds().clip(w + rule.on_modulator(syn, 0.05, w, t_reward));
    const double exact = rule.weight_at(syn, w, t_end);
    REQUIRE(s - w0 > 0.01);  // the reward moved the weight
    CHECK(exact - w0 == Approx(s - w0).epsilon(0.03));
    CHECK(exact > s);  // the code sums each 10 ms after the decay: a right Riemann sum, below
}
