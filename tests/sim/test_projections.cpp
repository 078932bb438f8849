// Projections through the engine: delays (grid and precise arrival times), plasticity with the
// rule's closed forms at the pre spike's arrival time, weight bounds and work counters. The
// connection rules are tested in test_connectivity.cpp.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "sim/network.hpp"
#include "sim/recorder.hpp"
#include "sim/sources.hpp"

namespace {

namespace sim = spikerate::sim;
namespace models = spikerate::models;

sim::PopulationSpec spike_train(std::string name, std::uint32_t size, std::vector<double> times,
                                std::vector<std::uint32_t> node_ids) {
    return {.name = std::move(name),
            .size = size,
            .model = sim::SpikeTrainSourceParams{.times_ms = std::move(times),
                                                 .node_ids = std::move(node_ids)}};
}

sim::PopulationSpec lif_curr(std::string name, std::uint32_t size,
                             sim::Integration integration = sim::Integration::automatic,
                             models::LifCurrParams params = {}) {
    return {.name = std::move(name), .size = size, .model = params, .integration = integration};
}

// The step whose interval [k dt, (k + 1) dt) holds time t. Times within 1e-9 dt of a grid point
// belong to it, as TimeGrid::locate snaps them (so 0.3 ms with dt = 0.1 ms is step 3).
std::int64_t step_of(double t_ms, double dt_ms) {
    return static_cast<std::int64_t>(std::floor(t_ms / dt_ms + 1e-9));
}

// Runs `duration_ms` and returns the recorded spike times of one population.
std::vector<double> run_recording(sim::Network& net, double duration_ms, const std::string& pop) {
    sim::SpikeRecorder recorder(net.population(pop));
    net.run(duration_ms, [&](const sim::Network& n) { recorder.record(n.grid()); });
    return recorder.times_ms();
}

// ---- plasticity rig -------------------------------------------------------------------------
//
// One plastic synapse from "pre" onto one lif_curr neuron "post", which a "teacher" forces to
// spike: a teacher spike at t arrives through a 1e5 pA synapse at t + dt, which drives V_m
// ~40 mV above rest within that step (coupling ~4e-4 mV/pA at dt = 0.1 ms), so post spikes at
// t + 2 dt. t_ref = 20 ms makes it exactly one spike per teacher spike: by then the teacher's
// current has decayed to 1e5 e^{-20/2} = 4.5 pA, far below the rheobase
// C_m (V_th - E_L) / tau_m = 375 pA. The plastic weight (<= 1 pA) hardly moves V_m.

constexpr double rig_dt = 0.1;  // [ms]

sim::NetworkSpec stdp_rig(std::vector<double> pre_times, std::vector<double> teacher_times,
                          sim::PlasticityParams rule, double w0, double pre_delay_ms) {
    models::LifCurrParams neuron{};
    neuron.t_ref = 20.0;
    const auto n_pre = static_cast<std::uint32_t>(pre_times.size());
    const auto n_teacher = static_cast<std::uint32_t>(teacher_times.size());
    sim::NetworkSpec spec{.dt_ms = rig_dt, .seed = 3};
    spec.populations = {
        spike_train("pre", 1, std::move(pre_times), std::vector<std::uint32_t>(n_pre, 0)),
        spike_train("teacher", 1, std::move(teacher_times),
                    std::vector<std::uint32_t>(n_teacher, 0)),
        lif_curr("post", 1, sim::Integration::exact, neuron),
    };
    spec.projections = {
        {.pre = "teacher",
         .post = "post",
         .connection = sim::connect::OneToOne{},
         .weight = sim::Distribution::constant(1e5),
         .delay_ms = sim::Distribution::constant(rig_dt)},
        {.pre = "pre",
         .post = "post",
         .weight = sim::Distribution::constant(w0),
         .delay_ms = sim::Distribution::constant(pre_delay_ms),
         .plasticity = std::move(rule)},
    };
    return spec;
}

struct RigResult {
    double w;                        // the plastic weight at the end
    std::vector<double> post_times;  // [ms] recorded
};

RigResult run_rig(const sim::NetworkSpec& spec, double duration_ms) {
    sim::Network net(spec);
    const auto post_times = run_recording(net, duration_ms, "post");
    return {net.projection("pre->post").weights()[0], post_times};
}

models::PairStdpParams additive_pair() {
    models::PairStdpParams p{};
    p.tau_plus = 16.8;
    p.tau_minus = 33.7;
    p.A_plus = 0.011;
    p.A_minus = 0.0074;
    return p;
}

models::NearestTripletStdpParams triplet() {
    models::NearestTripletStdpParams p{};
    p.nu_pre = 0.0013;
    p.nu_post = 0.021;
    p.tau_pre = 17.0;
    p.tau_post1 = 23.0;
    p.tau_post2 = 41.0;
    return p;
}

// Event times differ from the engine's by rounding only (a few ulp of ~10 ms, ~1e-15 ms), which
// changes e^{-dt/tau} by ~1e-16 relative; 1e-12 leaves a wide margin, while using the emission
// instead of the arrival time (a delay of >= 1 ms) changes dw by several percent.
constexpr double dw_rel_tol = 1e-12;

}  // namespace

// ---- delays -----------------------------------------------------------------------------------

TEST_CASE(
    "delay: a spike at t with delay d reaches a grid-mode target in the step of t + d, "
    "not before",
    "[projection][delay][unit]") {
    const double dt = 0.1;                                   // [ms]
    const double t_spike = GENERATE(1.0, 1.234);             // [ms] on and off the grid
    const double delay = GENERATE(0.1, 0.2, 1.0, 2.5, 7.3);  // [ms] from one step up
    const double w = 100.0;                                  // [pA]
    const models::LifCurrParams neuron{};

    sim::NetworkSpec spec{.dt_ms = dt};
    spec.populations = {spike_train("src", 1, {t_spike}, {0}), lif_curr("tgt", 1)};
    spec.projections = {{.pre = "src",
                         .post = "tgt",
                         .weight = sim::Distribution::constant(w),
                         .delay_ms = sim::Distribution::constant(delay)}};
    sim::Network net(spec);
    REQUIRE(net.projection("src->tgt").delay_of(0) == std::lround(delay / dt));

    const auto I_syn_e = [&] { return net.population("tgt").variable("I_syn_e")[0]; };
    const std::int64_t arrival = step_of(t_spike + delay, dt);
    CAPTURE(t_spike, delay, arrival);
    while (net.steps_done() < arrival) {
        net.step();
        REQUIRE(I_syn_e() == 0.0);
    }
    net.step();  // [arrival dt, (arrival + 1) dt): the jump at the step's start, then decay
    CHECK(I_syn_e() == Approx(w * std::exp(-dt / neuron.tau_syn_e)).epsilon(dw_rel_tol));
}

TEST_CASE("delay: per-synapse delays from a distribution each act delay_steps after the spike",
          "[projection][delay][unit]") {
    const double dt = 0.1;  // [ms]
    const std::uint32_t n = 60;
    std::vector<double> times;
    std::vector<std::uint32_t> ids;
    for (std::uint32_t i = 0; i < n; ++i) {
        times.push_back(0.5 + 0.013 * i);  // [ms] on and off the grid
        ids.push_back(i);
    }
    sim::NetworkSpec spec{.dt_ms = dt, .seed = 11};
    spec.populations = {spike_train("src", n, times, ids), lif_curr("tgt", n)};
    spec.projections = {{.pre = "src",
                         .post = "tgt",
                         .connection = sim::connect::OneToOne{},
                         .weight = sim::Distribution::constant(100.0),
                         .delay_ms = sim::Distribution::uniform(0.1, 6.0)}};
    sim::Network net(spec);
    const auto& projection = net.projection("src->tgt");
    const auto delays = projection.delays();

    // uniform(0.1, 6.0) ms rounds to 1..60 steps; 60 draws that all agree would mean the
    // distribution is ignored (probability ~ 60^-59 otherwise).
    CHECK(*std::min_element(delays.begin(), delays.end()) >= 1);
    CHECK(*std::max_element(delays.begin(), delays.end()) <= 60);
    CHECK(std::adjacent_find(delays.begin(), delays.end(), std::not_equal_to<>()) != delays.end());

    std::vector<std::int64_t> first_input_step(n, -1);
    while (net.steps_done() < step_of(times.back() + 6.0, dt) + 2) {
        const std::int64_t step = net.steps_done();
        net.step();
        const auto I = net.population("tgt").variable("I_syn_e");
        for (std::uint32_t i = 0; i < n; ++i) {
            if (first_input_step[i] < 0 && I[i] > 0.0) first_input_step[i] = step;
        }
    }
    for (std::size_t s = 0; s < projection.n_synapses(); ++s) {
        const std::uint32_t i = projection.pre_of(s);
        REQUIRE(projection.post_of(s) == i);
        CAPTURE(s, times[i], delays[s]);
        CHECK(first_input_step[i] == step_of(times[i], dt) + delays[s]);
    }
}

TEST_CASE(
    "delay: from a neuron on the grid, a delay of d steps (0 included) acts d steps after the "
    "spike's stamp",
    "[projection][delay][unit]") {
    // Neuron "a" spikes at the end of some step (stamp t_k); with delay 0 its target's input
    // jumps at the start of step k, the step right after the one that produced the spike, as
    // with Brian2's default delay of 0.
    const double dt = 0.1;  // [ms]
    const std::int32_t delay_steps = GENERATE(0, 1, 3);
    sim::NetworkSpec spec{.dt_ms = dt};
    spec.populations = {spike_train("src", 1, {1.0}, {0}), lif_curr("a", 1), lif_curr("b", 1)};
    spec.projections = {{.pre = "src", .post = "a", .weight = sim::Distribution::constant(1e5)},
                        {.pre = "a",
                         .post = "b",
                         .weight = sim::Distribution::constant(100.0),
                         .delay_ms = sim::Distribution::constant(delay_steps * dt)}};
    sim::Network net(spec);
    REQUIRE(net.projection("a->b").delay_of(0) == delay_steps);

    std::int64_t a_spike_stamp = -1;
    std::int64_t b_first_input_step = -1;
    while (net.steps_done() < 100 && b_first_input_step < 0) {
        const std::int64_t step = net.steps_done();
        net.step();
        const auto a_spikes = net.population("a").spikes();
        if (a_spike_stamp < 0 && !a_spikes.empty()) a_spike_stamp = a_spikes[0].time.step;
        if (net.population("b").variable("I_syn_e")[0] > 0.0) b_first_input_step = step;
    }
    CAPTURE(delay_steps, a_spike_stamp);
    REQUIRE(a_spike_stamp > 0);
    CHECK(b_first_input_step == a_spike_stamp + delay_steps);
}

TEST_CASE("delay: in precise mode an input acts at exactly t + d inside its step",
          "[projection][delay][unit]") {
    const double dt = 0.1;                              // [ms]
    const double t_spike = GENERATE(1.234, 0.37, 2.0);  // [ms]
    const double delay = GENERATE(0.1, 1.0, 2.5);       // [ms]
    const double w = 1000.0;                            // [pA] subthreshold
    const models::LifCurrParams p{};

    sim::NetworkSpec spec{.dt_ms = dt};
    spec.populations = {spike_train("src", 1, {t_spike}, {0}),
                        lif_curr("tgt", 1, sim::Integration::precise, p)};
    spec.projections = {{.pre = "src",
                         .post = "tgt",
                         .weight = sim::Distribution::constant(w),
                         .delay_ms = sim::Distribution::constant(delay)}};
    sim::Network net(spec);
    const auto& tgt = net.population("tgt");

    const std::int64_t arrival = step_of(t_spike + delay, dt);
    CAPTURE(t_spike, delay, arrival);
    net.run(static_cast<double>(arrival) * dt);
    REQUIRE(net.steps_done() == arrival);
    REQUIRE(tgt.variable("V_m")[0] == p.E_L);
    REQUIRE(tgt.variable("I_syn_e")[0] == 0.0);
    net.step();

    // From the arrival at t + d to the end of the step, h later, with V_m = E_L and
    // I_syn_e = w at arrival (Rotter & Diesmann 1999):
    //   I_syn_e(h) = w e^{-h/tau_s}
    //   V_m(h) - E_L = w / C_m * tau_m tau_s / (tau_m - tau_s) * (e^{-h/tau_m} - e^{-h/tau_s})
    const auto deflection = [&](double h) {
        return w / p.C_m * p.tau_m * p.tau_syn_e / (p.tau_m - p.tau_syn_e) *
               (std::exp(-h / p.tau_m) - std::exp(-h / p.tau_syn_e));
    };
    const double h = static_cast<double>(arrival + 1) * dt - (t_spike + delay);
    CAPTURE(h);
    // The difference of two exponentials loses ~2 digits to cancellation (~1e-14); the engine's
    // h differs from this one by rounding (~1e-16 ms).
    CHECK(tgt.variable("I_syn_e")[0] == Approx(w * std::exp(-h / p.tau_syn_e)).epsilon(dw_rel_tol));
    CHECK(tgt.variable("V_m")[0] - p.E_L == Approx(deflection(h)).epsilon(dw_rel_tol));
    if (h < dt * (1.0 - 1e-9)) {  // off-grid arrival: applying it at the step's start would show
        CHECK(std::abs(tgt.variable("V_m")[0] - p.E_L - deflection(dt)) > 1e-6 * deflection(dt));
    }
}

// ---- plasticity through the engine ------------------------------------------------------------

TEST_CASE("stdp engine: pair_stdp dw uses the pre spike's arrival time and the recorded post time",
          "[projection][stdp][unit]") {
    const auto p = additive_pair();
    const double t_pre = 10.234;                                    // [ms] emission, off the grid
    const double delay = 1.5;                                       // [ms] arrival at 11.734
    const double t_teacher = GENERATE(5.0, 9.0, 11.0, 14.0, 20.0);  // post at t_teacher + 0.2
    const double w0 = 0.5;

    const RigResult r = run_rig(stdp_rig({t_pre}, {t_teacher}, p, w0, delay), 40.0);
    REQUIRE(r.post_times.size() == 1);
    CHECK(r.post_times[0] == Approx(t_teacher + 2 * rig_dt).margin(1e-12));

    const double dt = r.post_times[0] - (t_pre + delay);
    const double expected =
        dt > 0 ? p.A_plus * std::exp(-dt / p.tau_plus) : -p.A_minus * std::exp(dt / p.tau_minus);
    CAPTURE(dt);
    CHECK(r.w - w0 == Approx(expected).epsilon(dw_rel_tol));
}

TEST_CASE("stdp engine: a pre arrival at the time of a post spike counts as before it",
          "[projection][stdp][unit]") {
    // Equal times are ordered presynaptic arrival first (as in Brian2): the pair potentiates by
    // A_plus e^0 instead of depressing by A_minus.
    const auto p = additive_pair();
    const double w0 = 0.5;
    const RigResult r = run_rig(stdp_rig({10.0}, {11.3}, p, w0, 1.5), 30.0);  // both at 11.5 ms
    REQUIRE(r.post_times.size() == 1);
    REQUIRE(r.post_times[0] == Approx(11.5).margin(1e-12));
    CHECK(r.w - w0 == Approx(p.A_plus).epsilon(dw_rel_tol));
}

TEST_CASE("stdp engine: nearest_triplet pre then a first post spike leaves the weight unchanged",
          "[projection][stdp][unit]") {
    const double w0 = 0.5;
    // The pre spike arrives at 5 ms; post spikes at t_teacher + 0.2 ms: 1, 3 and 25.2 ms later.
    const double t_teacher = GENERATE(5.8, 7.8, 30.0);
    const RigResult r = run_rig(stdp_rig({3.0}, {t_teacher}, triplet(), w0, 2.0), 40.0);
    REQUIRE(r.post_times.size() == 1);
    CHECK(r.w == w0);
}

TEST_CASE(
    "stdp engine: nearest_triplet post-pre-post changes the weight by the header's closed form",
    "[projection][stdp][unit]") {
    const auto p = triplet();
    const double w0 = 0.5;
    const double t_pre = 3.456, delay = 1.0;  // [ms] arrival at 4.456
    // Post spikes at 2.2 ms and t_second + 0.2 ms (after the 20 ms refractory period).
    const double t_second = GENERATE(25.0, 45.0);
    const RigResult r = run_rig(stdp_rig({t_pre}, {2.0, t_second}, p, w0, delay), 60.0);
    REQUIRE(r.post_times.size() == 2);

    const double t0 = r.post_times[0], t1 = t_pre + delay, t2 = r.post_times[1];
    const double expected =
        -p.nu_pre * std::exp(-(t1 - t0) / p.tau_post1) +
        p.nu_post * std::exp(-(t2 - t1) / p.tau_pre) * std::exp(-(t2 - t0) / p.tau_post2);
    CAPTURE(t0, t1, t2);
    CHECK(r.w - w0 == Approx(expected).epsilon(dw_rel_tol));
}

TEST_CASE("stdp engine: repeated potentiation saturates at w_max, repeated depression at w_min",
          "[projection][stdp][unit]") {
    // 30 pairings 40 ms apart, the post spike 5 ms after (potentiating) or before (depressing)
    // the pre spike's arrival. Per pairing the weight moves by about +0.06 / -0.07 (pair) or
    // +0.11 / -0.12 (triplet), see the amplitudes below, so it meets its bound within ~10
    // pairings; the pairing's last event then overshoots and is clipped to the bound exactly.
    const models::WeightBounds bounds{.w_min = 0.2, .w_max = 0.9};
    models::PairStdpParams pair{};
    pair.A_plus = 0.1;
    pair.A_minus = 0.1;
    pair.bounds = bounds;
    models::NearestTripletStdpParams trip{};
    trip.nu_pre = 0.2;
    trip.nu_post = 0.5;
    trip.bounds = bounds;
    const bool use_triplet = GENERATE(false, true);
    const sim::PlasticityParams rule = use_triplet ? sim::PlasticityParams(trip) : pair;
    const bool potentiate = GENERATE(true, false);
    CAPTURE(use_triplet, potentiate);

    std::vector<double> pre, teacher;
    for (int k = 0; k < 30; ++k) {
        const double arrival = 12.0 + 40.0 * k;  // pre at 10 + 40 k with delay 2
        pre.push_back(arrival - 2.0);
        teacher.push_back(arrival + (potentiate ? 5.0 : -5.0) - 2 * rig_dt);
    }
    sim::Network net(stdp_rig(pre, teacher, rule, 0.5, 2.0));
    const auto& projection = net.projection("pre->post");
    bool inside = true;
    net.run(30 * 40.0, [&](const sim::Network&) {
        inside = inside && projection.weights()[0] >= bounds.w_min &&
                 projection.weights()[0] <= bounds.w_max;
    });
    CHECK(inside);
    CHECK(net.population("post").spike_count() == 30);
    CHECK(projection.weights()[0] == (potentiate ? bounds.w_max : bounds.w_min));
}

TEST_CASE(
    "stdp engine: under long Poisson stimulation every weight stays in [w_min, w_max] and "
    "some reach the bounds",
    "[projection][stdp][integration]") {
    // 100 Poisson inputs at 30 Hz onto 4 neurons firing regularly at ~50 Hz from their bias
    // current (the <= 1 pA inputs barely matter), so pre and post spikes are uncorrelated and an
    // additive pair rule drifts at rho_pre rho_post (A_plus tau_plus - A_minus tau_minus), rates
    // in 1/ms: +-0.75 per second for the two projections below against a range of 1, with random
    // fluctuations of sd ~0.25 sqrt(s): in 3 s they pile up at w_max resp. w_min. The
    // multiplicative and triplet projections have amplitudes large enough for single updates to
    // overshoot the bounds, which clipping must catch.
    models::LifCurrParams neuron{};
    neuron.I_e = 450.0;  // [pA] V_inf = E_L + I_e tau_m / C_m = -52 mV > V_th
    const auto pair = [](double A_plus, double A_minus) {
        models::PairStdpParams p{};
        p.A_plus = A_plus;
        p.A_minus = A_minus;
        return p;
    };
    models::PairStdpParams multiplicative = pair(0.5, 0.5);
    multiplicative.weighting = models::PairStdpParams::Weighting::multiplicative;
    multiplicative.bounds = {.w_min = 0.1, .w_max = 0.9};
    models::NearestTripletStdpParams trip{};
    trip.nu_pre = 0.05;
    trip.nu_post = 0.5;
    trip.bounds = {.w_min = 0.2, .w_max = 0.8};

    struct Plastic {
        std::string name;
        sim::PlasticityParams rule;
        models::WeightBounds bounds;
    };
    const std::vector<Plastic> plastic{
        {"potentiating", pair(0.05, 0.025), {}},
        {"depressing", pair(0.025, 0.05), {}},
        {"multiplicative", multiplicative, multiplicative.bounds},
        {"triplet", trip, trip.bounds},
    };
    sim::NetworkSpec spec{.dt_ms = 0.1, .seed = 5};
    spec.populations = {
        {.name = "in", .size = 100, .model = sim::PoissonSourceParams{.rate_hz = 30}},
        lif_curr("out", 4, sim::Integration::exact, neuron)};
    for (const auto& p : plastic) {
        spec.projections.push_back(
            {.name = p.name,
             .pre = "in",
             .post = "out",
             .weight = sim::Distribution::uniform(p.bounds.w_min, p.bounds.w_max),
             .delay_ms = sim::Distribution::uniform(0.1, 3.0),
             .plasticity = p.rule});
    }
    sim::Network net(spec);
    net.run(3000.0);
    // ISI = t_ref + tau_m ln((V_inf - V_reset) / (V_inf - V_th)) = 2 + 10 ln(18 / 3) = 19.9 ms,
    // rounded up to the grid: ~150 spikes per neuron.
    REQUIRE(net.population("out").spike_count() >= 4 * 140);

    for (const auto& p : plastic) {
        const auto w = net.projection(p.name).weights();
        CAPTURE(p.name);
        CHECK(*std::min_element(w.begin(), w.end()) >= p.bounds.w_min);
        CHECK(*std::max_element(w.begin(), w.end()) <= p.bounds.w_max);
    }
    const auto at = [&](const std::string& name, double bound) {
        const auto w = net.projection(name).weights();
        return std::count(w.begin(), w.end(), bound);
    };
    CHECK(at("potentiating", 1.0) > 0);
    CHECK(at("depressing", 0.0) > 0);
}

// ---- counters ---------------------------------------------------------------------------------

TEST_CASE("counters: all-to-all synaptic events are the delivered pre spikes times the fan-out",
          "[projection][integration]") {
    const std::uint32_t n_post = 8;
    sim::NetworkSpec spec{.dt_ms = 0.1, .seed = 7};
    spec.populations = {
        {.name = "in", .size = 50, .model = sim::PoissonSourceParams{.rate_hz = 40}},
        lif_curr("out", n_post)};
    spec.projections = {{.pre = "in",
                         .post = "out",
                         .weight = sim::Distribution::uniform(1.0, 10.0),
                         .delay_ms = sim::Distribution::uniform(0.1, 3.0)}};
    sim::Network net(spec);
    net.run(200.0);
    // Silence the source, then wait out the longest delay (3 ms) so that every spike arrives.
    net.population_as<sim::PoissonSource>("in").set_rate(0.0);
    net.run(3.0);

    const auto& projection = net.projection("in->out");
    REQUIRE(projection.is_dense());
    const std::uint64_t pre_spikes = net.population("in").spike_count();
    REQUIRE(pre_spikes > 0);
    CHECK(projection.synaptic_events() == pre_spikes * n_post);
    CHECK(projection.plasticity_updates() == 0);
}

TEST_CASE("counters: sparse synaptic events count each delivered spike once per outgoing synapse",
          "[projection][integration]") {
    // Poisson input drives a recurrently connected layer to fire irregularly; both sparse
    // projections are counted spike by spike. A spike stamped at step k reaches synapse s at
    // step m = k + delay_steps[s]; the engine hands it over (and counts it) during step m - 1,
    // so it has been delivered iff m <= steps_done(). Sources stamp spikes at t_k = k dt, grid
    // neurons at the end of their step, also a grid point: k = round(t / dt).
    const double dt = 0.1;
    models::LifCurrParams neuron{};
    neuron.I_e = 300.0;  // [pA] V_inf = -58 mV: subthreshold alone, the input makes it fire
    sim::NetworkSpec spec{.dt_ms = dt, .seed = 8};
    spec.populations = {
        {.name = "in", .size = 50, .model = sim::PoissonSourceParams{.rate_hz = 50}},
        lif_curr("net", 30, sim::Integration::exact, neuron)};
    spec.projections = {{.pre = "in",
                         .post = "net",
                         .connection = sim::connect::FixedProbability{.p = 0.3},
                         .weight = sim::Distribution::uniform(100.0, 400.0),
                         .delay_ms = sim::Distribution::uniform(0.1, 4.0)},
                        {.pre = "net",
                         .post = "net",
                         .connection = sim::connect::FixedProbability{.p = 0.3},
                         .weight = sim::Distribution::uniform(0.0, 5.0),
                         .delay_ms = sim::Distribution::uniform(0.5, 4.0)}};
    sim::Network net(spec);
    sim::SpikeRecorder in_spikes(net.population("in"));
    sim::SpikeRecorder net_spikes(net.population("net"));
    const double duration = GENERATE(150.0, 150.1, 150.2, 150.3, 150.4);  // [ms]
    net.run(duration, [&](const sim::Network& n) {
        in_spikes.record(n.grid());
        net_spikes.record(n.grid());
    });

    const auto count = [&](const sim::Projection& projection, const sim::SpikeRecorder& spikes) {
        std::uint64_t delivered = 0, in_flight = 0;
        for (std::size_t k = 0; k < spikes.times_ms().size(); ++k) {
            const std::int64_t stamp = std::llround(spikes.times_ms()[k] / dt);
            for (std::size_t s = 0; s < projection.n_synapses(); ++s) {
                if (projection.pre_of(s) != spikes.node_ids()[k]) continue;
                if (stamp + projection.delay_of(s) <= net.steps_done()) {
                    ++delivered;
                } else {
                    ++in_flight;
                }
            }
        }
        return std::pair(delivered, in_flight);
    };
    for (const auto& [name, spikes] :
         {std::pair{"in->net", &in_spikes}, {"net->net", &net_spikes}}) {
        const auto& projection = net.projection(name);
        const auto [delivered, in_flight] = count(projection, *spikes);
        CAPTURE(name, duration, delivered, in_flight);
        REQUIRE_FALSE(projection.is_dense());
        REQUIRE(delivered > 0);
        REQUIRE(in_flight > 0);  // the end of the run cuts through arrivals: the boundary counts
        CHECK(projection.synaptic_events() == delivered);
        CHECK(projection.plasticity_updates() == 0);
    }
}

TEST_CASE("counters: a neuron population does N updates per step", "[projection][unit]") {
    sim::NetworkSpec spec{.dt_ms = 0.1};
    spec.populations = {lif_curr("a", 13),
                        {.name = "b", .size = 4, .model = models::LifCondParams{}}};
    sim::Network net(spec);
    net.run(25.0);
    CHECK(net.steps_done() == 250);
    CHECK(net.population("a").neuron_updates() == 13 * 250);
    CHECK(net.population("b").neuron_updates() == 4 * 250);
}

TEST_CASE(
    "counters: a plastic projection updates once per delivered spike and once per incoming "
    "synapse per post spike",
    "[projection][stdp][integration]") {
    models::LifCurrParams neuron{};
    neuron.I_e = 450.0;
    const std::uint32_t n_pre = 30, k = 7;
    sim::NetworkSpec spec{.dt_ms = 0.1, .seed = 9};
    spec.populations = {
        {.name = "in", .size = n_pre, .model = sim::PoissonSourceParams{.rate_hz = 40}},
        lif_curr("out", 6, sim::Integration::exact, neuron)};
    spec.projections = {{.name = "dense",
                         .pre = "in",
                         .post = "out",
                         .weight = sim::Distribution::uniform(0.0, 1.0),
                         .plasticity = models::PairStdpParams{}},
                        {.name = "sparse",
                         .pre = "in",
                         .post = "out",
                         .connection = sim::connect::FixedInDegree{.k = k},
                         .weight = sim::Distribution::uniform(0.0, 1.0),
                         .delay_ms = sim::Distribution::uniform(0.1, 2.0),
                         .plasticity = models::NearestTripletStdpParams{}}};
    sim::Network net(spec);
    net.run(500.0);

    const std::uint64_t post_spikes = net.population("out").spike_count();
    REQUIRE(post_spikes > 0);
    const auto& dense = net.projection("dense");
    const auto& sparse = net.projection("sparse");
    REQUIRE(dense.synaptic_events() > 0);
    REQUIRE(sparse.synaptic_events() > 0);
    CHECK(dense.plasticity_updates() == dense.synaptic_events() + post_spikes * n_pre);
    CHECK(sparse.plasticity_updates() == sparse.synaptic_events() + post_spikes * k);
}
