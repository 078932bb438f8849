#pragma once

// The network of Diehl & Cook (2015, Front. Comput. Neurosci. 9:99), as in the authors'
// released code, assembled from the engine's general parts (parameters: ../shared/REFERENCES.md
// and data/scenarios/README.md):
//
//   input (n_inputs Poisson)  --all-to-all, plastic (nearest-spike triplet STDP), delays 0-10 ms-->
//   exc (n_exc lif_cond, adaptive threshold theta)  --one-to-one, 10.4-->  inh (n_exc lif_cond)
//   inh  --all but self, 17.0-->  exc
//
// Conductances are in units of the leak conductance: g_L = 1 nS, C_m = tau_m x 1 nS.
// Delays: Brian delivers a delay-0 spike within the step that produced it, so it acts from the
// next step on. The engine stamps a neuron's spike at the end of its step (t_{n+1}) and delivers
// it with delay 0 in time for step n + 1: the same, so the undelayed exc <-> inh connections
// keep delay 0 (inhibition reaches the competitors two steps after a spike, as in Brian).
// A Poisson spike is stamped at the start of its step (t_n) and needs one step to act from
// step n + 1: Brian's input delay d is the engine's d + dt, so the released code's
// U(0, 10 ms) input delays are U(dt, 10 ms + dt) here.
// The presentation protocol (normalisation, retries, rest) is the trainer's: stdp_trainer.hpp.

#include <array>
#include <cstdint>
#include <utility>

#include "models/lif_cond.hpp"
#include "models/nearest_triplet_stdp.hpp"
#include "sim/network_spec.hpp"
#include "sim/train/spiking_network_spec.hpp"

namespace spikerate::sim::train {

struct DiehlCook2015Params {
    std::uint32_t n_exc = 100;  // excitatory neurons; as many inhibitory ones
    double dt_ms = 0.5;         // [ms] the released code's step
    // The released code (Brian 1) uses forward Euler. At dt = 0.5 ms forward Euler overshoots
    // E_i once about 24 inhibitory spikes coincide (g_i > 2 C_m / dt), and the excitatory layer
    // then locks into a synchronous oscillation that outlives the input (seen here with 400
    // neurons after 43 examples); exponential Euler cannot overshoot, so it is the default.
    Integration integration = Integration::exponential_euler;
    // The learned input -> exc weights as float64 or float32 (ProjectionSpec::weight_precision).
    WeightPrecision weight_precision = WeightPrecision::float64;

    // Presentation protocol.
    double presentation_ms = 350.0;  // [ms] input on
    double rest_ms = 150.0;          // [ms] input off after every presentation (no state reset)
    // [Hz] input rate of a pixel of value 1 (255 in the released code's units) per intensity
    // step: rate = pixel * input_rate_step_hz * intensity, 63.75 Hz at the start intensity 2.
    double input_rate_step_hz = 255.0 / 8.0;
    std::uint32_t start_intensity = 2;
    // An example that makes fewer than min_spikes excitatory spikes is shown again one
    // intensity step higher, up to max_presentations times in all (the released code has no
    // limit; one keeps a silent network from looping forever).
    std::uint32_t min_spikes = 5;
    std::uint32_t max_presentations = 20;
    double weight_sum = 78.0;  // each exc neuron's input weights are scaled to this sum

    // Connections (weights in units of g_L, delays [ms]).
    double input_weight_low = 0.003;   // initial input weights uniform in [low, high):
    double input_weight_high = 0.303;  // (U(0, 1) + 0.01) * 0.3
    double input_delay_low_ms = 0.5;   // see the header comment on delays
    double input_delay_high_ms = 10.5;
    double exc_inh_weight = 10.4;
    double inh_exc_weight = 17.0;
    double exc_initial_V = -105.0;  // [mV]
    double inh_initial_V = -100.0;  // [mV]
    // [mV] The released code's threshold is V > theta - 20 mV + (-52 mV) with theta starting at
    // 20 mV: -52 mV at first, but the initial 20 mV decays with tau_theta (1e7 ms, about 2e4
    // examples), so a neuron's threshold falls towards -72 mV + its own adaptation during
    // training. Hence exc.V_th = -72 mV and theta starting at 20 mV, not -52 mV and 0.
    double exc_initial_theta = 20.0;

    // The paper (section 3) kept its parameters at every size "except for the parameters of the
    // adaptive threshold and the inhibition strength which needed to be adapted to keep a
    // constant response rate"; the released code is the 400-neuron configuration. One example
    // makes the layer fire about the same number of spikes whatever its size (the inhibition
    // lets few neurons win), so one of n_exc neurons fires about reference_n_exc / n_exc times
    // as often as one of reference_n_exc, and theta's equilibrium (rate x theta_plus x
    // tau_theta) grows with it: 100 neurons with the 400-neuron parameters sit in the retry
    // regime (silent examples shown again and again). constant_theta_equilibrium holds that
    // equilibrium constant by scaling the decay:
    //   tau_theta (used) = exc.tau_theta_ms x n_exc / reference_n_exc,
    // 2.5e6 ms for 100 neurons, 1e7 ms (exactly the released code's) for 400, 4e7 ms for 1,600.
    // exc.tau_theta_ms is therefore the value at reference_n_exc neurons. none uses it as it is.
    enum class SizeRule { none, constant_theta_equilibrium };
    SizeRule size_rule = SizeRule::constant_theta_equilibrium;
    std::uint32_t reference_n_exc = 400;

    models::LifCondParams exc = excitatory_defaults();
    models::LifCondParams inh = inhibitory_defaults();
    models::NearestTripletStdpParams stdp{};  // released code: nu 1e-4 / 1e-2, tau 20 / 20 / 40

    static models::LifCondParams excitatory_defaults();
    static models::LifCondParams inhibitory_defaults();

    // Keys (name + "_" + unit, as everywhere in scenarios); exc, inh and stdp are tables of
    // their own ([spiking.<name>.exc] ...).
    template <class Visitor>
    void visit_fields(Visitor&& v) {
        v("n_exc", n_exc, "", ">= 1: excitatory neurons; as many inhibitory ones");
        v("dt", dt_ms, "ms", "> 0");
        v("integration", integration,
          std::array{std::pair{"exponential_euler", Integration::exponential_euler},
                     std::pair{"euler", Integration::euler}, std::pair{"rk4", Integration::rk4}},
          "euler is the released code's; it can diverge (see below)");
        v("weight_precision", weight_precision, weight_precision_choices,
          "of the learned input -> exc weights: float32 stores each as the float32 nearest its "
          "update (computed in double), 4 bytes per synapse less");
        v("presentation", presentation_ms, "ms", "> 0: input on");
        v("rest", rest_ms, "ms", ">= 0: input off after every presentation; state is never reset");
        v("input_rate_step", input_rate_step_hz, "Hz",
          "> 0: input rate = pixel (0-1) x this x intensity; 63.75 Hz at intensity 2");
        v("start_intensity", start_intensity, "", ">= 1");
        v("min_spikes", min_spikes, "",
          "fewer excitatory spikes: shown again one intensity step higher");
        v("max_presentations", max_presentations, "",
          ">= 1: presentations of one example at most (the released code has no limit)");
        v("weight_sum", weight_sum, "",
          "> 0: each excitatory neuron's input weights are scaled to this sum before every "
          "training example");
        v("input_weight_low", input_weight_low, "",
          ">= 0: initial input weights uniform in [low, high)");
        v("input_weight_high", input_weight_high, "", "<= stdp.w_max");
        v("input_delay_low", input_delay_low_ms, "ms",
          ">= dt: input delays uniform, rounded to steps (Brian's 0-10 ms plus the step a Poisson "
          "spike needs to act)");
        v("input_delay_high", input_delay_high_ms, "ms", "> input_delay_low_ms");
        v("exc_inh_weight", exc_inh_weight, "nS", ">= 0: exc -> inh, one-to-one (units of g_L)");
        v("inh_exc_weight", inh_exc_weight, "nS", ">= 0: inh -> exc, all but self (units of g_L)");
        v("exc_initial_V", exc_initial_V, "mV", "finite");
        v("inh_initial_V", inh_initial_V, "mV", "finite");
        v("exc_initial_theta", exc_initial_theta, "mV",
          ">= 0: initial theta of every excitatory neuron (threshold V_th + theta with exc V_th = "
          "-72 mV: the released code's -52 mV at first)");
        v("size_rule", size_rule,
          std::array{std::pair{"constant_theta_equilibrium", SizeRule::constant_theta_equilibrium},
                     std::pair{"none", SizeRule::none}},
          "how the adaptive threshold follows the size: constant_theta_equilibrium uses "
          "exc.tau_theta_ms x n_exc / reference_n_exc (theta's equilibrium held at the reference "
          "size's); none uses exc.tau_theta_ms");
        v("reference_n_exc", reference_n_exc, "",
          ">= 1: the size exc.tau_theta_ms is for under the size rule (the released code's 400)");
    }
    void validate() const;  // ParamError naming the key

    // [ms] The decay of theta the excitatory neurons use: exc.tau_theta after the size rule.
    double tau_theta_used() const {
        return size_rule == SizeRule::none
                   ? exc.tau_theta
                   : exc.tau_theta * (static_cast<double>(n_exc) / reference_n_exc);
    }

    // The input rate [Hz] of a pixel of value x in [0, 1] at an intensity.
    double input_rate(double x, std::uint32_t intensity) const {
        return x * input_rate_step_hz * intensity;
    }
};

// Population and projection names in the built network.
inline constexpr const char* dc_input = "input";
inline constexpr const char* dc_exc = "exc";
inline constexpr const char* dc_inh = "inh";
inline constexpr const char* dc_input_exc = "input->exc";

// The network for n_inputs input neurons. learning = false builds the test-phase network: no
// plasticity and theta frozen (weights and theta are then copied in from a trained network).
// Inputs start silent (rate 0). Weights and delays are drawn from `seed` by projection name, so
// the learning and the frozen network built with one seed have the same delays.
// The input is a poisson population, or with `encoder` = latency a spike_train one.
NetworkSpec diehl_cook_2015_network(const DiehlCook2015Params& params, std::uint32_t n_inputs,
                                    std::uint64_t seed, bool learning,
                                    SpikeEncoder encoder = SpikeEncoder::poisson_rate);

// The preset: `section` (name, readout, labels, threads and recording already set) with the
// learning network for n_inputs inputs, its roles and the released code's protocol filled in:
// the section's encoder (a poisson_rate one at input_rate_step_Hz x intensity from
// start_intensity, or latency on a spike_train input), retries below
// min_spikes, each exc neuron's input weights normalised to weight_sum, plasticity and theta
// acting in training only, the adaptive threshold theta recorded with the receptive fields.
// The scenario loader writes the result into the resolved scenario, which then loads without
// this preset.
SpikingNetworkSpec diehl_cook_2015_learner(const DiehlCook2015Params& params,
                                           std::uint32_t n_inputs, std::uint64_t seed,
                                           SpikingNetworkSpec section);

}  // namespace spikerate::sim::train
