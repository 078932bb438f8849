#pragma once

// A spiking network that learns a task: a [spiking.<name>] section (data/scenarios/README.md).
// The network is any the scenario describes ([spiking.<name>.populations.<pop>] and
// [spiking.<name>.projections.<proj>], the same keys as a free-running network's); the section
// says which population takes the examples (input), which one is read out, how an example
// becomes input spikes (encoder), how it is presented (protocol), which plasticity and
// adaptation act in which phase, and how the read-out population's spike counts become a class
// (readout). What the learner does with it: stdp_trainer.hpp. Diehl & Cook (2015) is a preset
// that expands into such a section (diehl_cook_2015.hpp; the resolved scenario shows it).

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "models/weight_bounds.hpp"
#include "sim/network_spec.hpp"

namespace spikerate::sim::train {

// How an example's inputs x in [0, 1] become spikes of the input population.
enum class SpikeEncoder {
    // A poisson population: input i fires at x_i x input_rate_step_Hz x intensity (intensity =
    // start_intensity, one higher at each retry) during the presentation, silent in the rest.
    poisson_rate,
    // A spike_train population: input i fires once, at t_max (1 - x_i) after the presentation
    // starts, if x_i > latency_threshold (task/encoders.hpp); retries show the same spikes.
    latency,
    // A spike_train population playing a temporal task's example as it is: its spike pattern
    // (Dataset::spike_patterns), afferent a as input a, times from the presentation's start;
    // retries show the same spikes.
    spike_pattern,
};
inline constexpr std::array spike_encoder_choices{
    std::pair{"poisson_rate", SpikeEncoder::poisson_rate},
    std::pair{"latency", SpikeEncoder::latency},
    std::pair{"spike_pattern", SpikeEncoder::spike_pattern}};

// How the read-out population's spike counts (one row per example) become a class.
enum class SpikingReadout {
    // Each neuron gets the class it fired most for, on average, over the labelled examples;
    // an example's class is the one whose neurons fired most on average (Diehl & Cook's).
    label_assignment,
    // Logistic regression (softmax, cross-entropy) on the spike counts divided by the largest
    // count of the labelled examples, trained on the labelled examples only (linear_epochs
    // full-batch... see stdp_trainer.hpp).
    linear,
    // Reward-trained output neurons (Mozafari et al. 2018): readout_population holds
    // n_classes x k neurons, neuron j standing for class j / k; after every training example the
    // trainer decides (reward_decision) and, if an output neuron fired, delivers a modulator
    // event of +reward_amount (right class) or -reward_amount (wrong) to reward_projections
    // (reward_stdp); an example's class at test time is its winner's. See stdp_trainer.hpp.
    reward,
};
inline constexpr std::array spiking_readout_choices{
    std::pair{"label_assignment", SpikingReadout::label_assignment},
    std::pair{"linear", SpikingReadout::linear}, std::pair{"reward", SpikingReadout::reward}};

// Which output neuron wins a presentation (readout = "reward"). Ties: first_spike by the most
// spikes, most_spikes by the earliest spike, then the lowest index. No spike: no winner.
enum class RewardDecision {
    first_spike,  // the earliest spike (Mozafari et al. 2018: the first neuron to fire decides)
    most_spikes,  // the most spikes in the presentation
};
inline constexpr std::array reward_decision_choices{
    std::pair{"first_spike", RewardDecision::first_spike},
    std::pair{"most_spikes", RewardDecision::most_spikes}};

// The phases of a learner: training on the stream, labelling (the readout's labelled examples
// shown), testing.
inline constexpr std::array<const char*, 3> spiking_phases{"train", "label", "test"};

struct SpikingNetworkSpec {
    std::string name;     // the section's name: /metrics/spiking/<name>
    std::string preset;   // informational: the preset this description was expanded from
    NetworkSpec network;  // the populations and projections; dt_ms and seed as below

    // Roles.
    std::string input = "input";  // the population the encoder drives (size = the task's inputs)
    std::string readout_population = "exc";  // whose spike counts are read out
    // A projection from input to readout_population: its weights are normalised (weight_sum)
    // and recorded as receptive fields; "" = none.
    std::string learned_projection = "input->exc";
    // A state variable of readout_population recorded with the weights (e.g. theta); "" = none.
    std::string adaptation_variable = "theta";

    // Encoder.
    SpikeEncoder encoder = SpikeEncoder::poisson_rate;
    double input_rate_step_hz = 255.0 / 8.0;  // [Hz] poisson_rate: per unit input and intensity
    std::uint32_t start_intensity = 2;
    double latency_t_max_ms = 50.0;  // [ms] latency: spike time of an input just above 0
    double latency_threshold = 0.0;

    // Protocol.
    double dt_ms = 0.5;              // [ms] the network's step
    double presentation_ms = 350.0;  // [ms] input on
    double rest_ms = 150.0;          // [ms] input off after every presentation
    // Fewer spikes of readout_population in a presentation: the example is shown again (one
    // intensity step higher), at most max_presentations times in all.
    std::uint32_t min_spikes = 0;
    std::uint32_t max_presentations = 1;
    // > 0: before every training presentation each neuron's incoming weights of
    // learned_projection are scaled to sum to this (clipped to the rule's bounds); 0 = never.
    double weight_sum = 0.0;
    // Phases in which plasticity and adaptation act (train, label, test). Labelling and testing
    // run on copies of the trained network (chunks of 1000 examples, each from the trained
    // state), so learning there never changes the trained network.
    std::vector<std::string> plasticity_phases{"train"};
    std::vector<std::string> adaptation_phases{"train"};

    // Readout.
    SpikingReadout readout = SpikingReadout::label_assignment;
    std::uint32_t linear_epochs = 100;  // linear: passes over the labelled examples
    double linear_learning_rate = 0.5;  // linear: full-batch gradient descent step
    // reward: the projections whose synapses receive the reward events (their rule takes a
    // modulator: reward_stdp), the value of one event [1/ms for reward_stdp] and the decision.
    std::vector<std::string> reward_projections;
    double reward_amount = 1.0;  // [1/ms]
    RewardDecision reward_decision = RewardDecision::first_spike;
    // > 0: Mozafari et al. (2018)'s balance of reward and punishment: with h the fraction of
    // right decisions among the last reward_window ones (0.5 before the first), a right decision
    // gets +reward_amount (1 - h) and a wrong one -reward_amount h; 0: +-reward_amount.
    std::uint32_t reward_window = 0;

    // Labels, threads, recording.
    std::uint32_t assignment_examples = 10000;  // labelling examples (see labels); 0 = all
    std::uint32_t threads = 1;                  // for evaluation
    bool record_weights = true;  // learned_projection and the adaptation at the weight frames
    // readout_population's spikes are recorded while examples_seen is in [start, end), for
    // each pair of this flat list (start0, end0, start1, end1, ...).
    std::vector<std::uint64_t> spike_windows;

    template <class Visitor>
    void visit_fields(Visitor&& v) {
        v("preset", preset, "",
          "informational: the preset this section was expanded from (architecture = ...)");
        v("input", input, "", "the population the encoder drives; its size is the task's inputs");
        v("readout_population", readout_population, "",
          "the neuron population whose spike counts the readout classifies");
        v("learned_projection", learned_projection, "",
          "a projection input -> readout_population: normalised (weight_sum) and recorded as "
          "receptive fields; \"\" = none");
        v("adaptation_variable", adaptation_variable, "",
          "a state variable of readout_population recorded with the weights (theta); \"\" = none");
        v("encoder", encoder, spike_encoder_choices,
          "poisson_rate: a poisson input at x x input_rate_step_Hz x intensity; latency: a "
          "spike_train input firing once at latency_t_max_ms x (1 - x); spike_pattern: a "
          "spike_train input playing a temporal task's example spikes as they are");
        v("input_rate_step", input_rate_step_hz, "Hz",
          "> 0, poisson_rate: input rate = x (0-1) x this x intensity");
        v("start_intensity", start_intensity, "", ">= 1, poisson_rate: the first presentation's");
        v("latency_t_max", latency_t_max_ms, "ms",
          "> 0, latency: spike time of an input just above 0 (<= presentation_ms)");
        v("latency_threshold", latency_threshold, "",
          "in [0, 1), latency: inputs at or below it stay silent");
        v("dt", dt_ms, "ms", "> 0: the network's step");
        v("presentation", presentation_ms, "ms", "> 0: input on");
        v("rest", rest_ms, "ms", ">= 0: input off after every presentation; state is not reset");
        v("min_spikes", min_spikes, "",
          "fewer spikes of readout_population in a presentation: shown again, one intensity "
          "step higher");
        v("max_presentations", max_presentations, "", ">= 1: presentations of one example at most");
        v("weight_sum", weight_sum, "",
          ">= 0: each readout neuron's learned_projection weights are scaled to this sum before "
          "every training presentation; 0 = never");
        v("plasticity_phases", plasticity_phases, "",
          "of train, label, test: the phases in which the projections' plasticity acts");
        v("adaptation_phases", adaptation_phases, "",
          "of train, label, test: the phases in which adaptive thresholds (theta) move");
        v("readout", readout, spiking_readout_choices,
          "label_assignment: neurons labelled by their strongest class; linear: logistic "
          "regression on the spike counts of the labelled examples; reward: output neurons trained "
          "by a reward (+1 right class, -1 wrong) after every training example");
        v("linear_epochs", linear_epochs, "", ">= 1, linear: full-batch gradient steps");
        v("linear_learning_rate", linear_learning_rate, "", "> 0, linear: the step size");
        v("reward_projections", reward_projections, "",
          "reward (required there, only there): projections into readout_population whose "
          "synapses receive the reward events; their rule takes a modulator (reward_stdp)");
        v("reward_amount", reward_amount, "per_ms",
          "> 0, reward: the value of one event, +amount for the right class, -amount for a wrong "
          "one (reward_stdp: the jump of the concentration n)");
        v("reward_decision", reward_decision, reward_decision_choices,
          "reward: the output neuron that decides; first_spike (Mozafari et al. 2018): the "
          "earliest to fire; most_spikes: the one that fired most");
        v("reward_window", reward_window, "",
          "reward: > 0, Mozafari et al. 2018's balance: with h the share of right decisions among "
          "the last reward_window, +amount (1 - h) when right, -amount h when wrong; 0: +-amount");
        v("assignment_examples", assignment_examples, "",
          "training examples whose responses label the neurons; 0 = all; training.labels = "
          "\"first_examples\": the first ones in data-set order, seen or not; \"seen\": a cap "
          "on the examples seen that label the main curve; \"paper\": ignored (all)");
        v("threads", threads, "",
          "threads for training (the network advanced by parts on them, sim/network.hpp) and for "
          "labelling and testing (chunks of 1000 examples on fresh frozen copies, or one chunk "
          "advanced by parts); the results are the same bits for any count");
        v("record_weights", record_weights, "",
          "write /report/<name>_<input>_<readout_population> (receptive fields) and "
          "/report/<name>_<adaptation_variable> at the weight frames");
        v("spike_windows", spike_windows, "",
          "pairs [start, end) of examples seen during which readout_population's spikes go to "
          "/spikes/<name>_<readout_population>");
    }
    // ParamError naming the key (the network's own errors name its population or projection).
    void validate() const;
    void validate_reward_readout() const;  // the reward_* keys (part of validate)

    bool acts_in(const std::vector<std::string>& phases, const char* phase) const;
    // The network for a phase: plasticity removed unless the phase is in plasticity_phases, the
    // adaptation of every population frozen unless it is in adaptation_phases.
    NetworkSpec network_for_phase(const char* phase) const;
    // The weight bounds of learned_projection's plasticity rule (no rule: [0, +inf)).
    models::WeightBounds learned_bounds() const;
    // The input rate [Hz] of an input of value x in [0, 1] at an intensity (poisson_rate).
    double input_rate(double x, std::uint32_t intensity) const {
        return x * input_rate_step_hz * intensity;
    }

    // What it writes: the frame reports of the receptive fields and of the adaptation (with
    // record_weights), the spike group (with spike_windows).
    std::string input_weights_report() const {
        return name + "_" + input + "_" + readout_population;
    }
    std::string adaptation_report() const { return name + "_" + adaptation_variable; }
    std::string spike_group() const { return name + "_" + readout_population; }
    std::vector<std::string> report_names() const;
};

}  // namespace spikerate::sim::train
