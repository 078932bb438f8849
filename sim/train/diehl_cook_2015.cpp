#include "sim/train/diehl_cook_2015.hpp"

#include <fmt/format.h>

#include "models/error.hpp"
#include "models/param_check.hpp"

namespace spikerate::sim::train {

models::LifCondParams DiehlCook2015Params::excitatory_defaults() {
    return models::LifCondParams{.C_m = 100.0,  // tau_m = 100 ms with g_L = 1 nS
                                 .g_L = 1.0,
                                 .E_L = -65.0,
                                 .V_th = -72.0,  // -52 mV - 20 mV offset; theta starts at 20 mV
                                 .V_reset = -65.0,
                                 .t_ref = 5.0,
                                 .E_e = 0.0,
                                 .E_i = -100.0,
                                 .tau_syn_e = 1.0,
                                 .tau_syn_i = 2.0,
                                 .I_e = 0.0,
                                 .theta_plus = 0.05,
                                 .tau_theta = 1e7,
                                 .theta_frozen = false};
}

models::LifCondParams DiehlCook2015Params::inhibitory_defaults() {
    return models::LifCondParams{.C_m = 10.0,  // tau_m = 10 ms
                                 .g_L = 1.0,
                                 .E_L = -60.0,
                                 .V_th = -40.0,
                                 .V_reset = -45.0,
                                 .t_ref = 2.0,
                                 .E_e = 0.0,
                                 .E_i = -85.0,
                                 .tau_syn_e = 1.0,
                                 .tau_syn_i = 2.0,
                                 .I_e = 0.0,
                                 .theta_plus = 0.0,
                                 .tau_theta = 1e7,
                                 .theta_frozen = false};
}

void DiehlCook2015Params::validate() const {
    if (n_exc == 0) throw ParamError::value("n_exc", "0: must be >= 1");
    models::require_positive("dt_ms", dt_ms, "ms");
    models::require_positive("presentation_ms", presentation_ms, "ms");
    models::require_non_negative("rest_ms", rest_ms, "ms");
    models::require_positive("input_rate_step_hz", input_rate_step_hz, "Hz");
    if (start_intensity == 0) throw ParamError::value("start_intensity", "0: must be >= 1");
    if (max_presentations == 0) throw ParamError::value("max_presentations", "0: must be >= 1");
    const double top_rate = input_rate(1.0, start_intensity + max_presentations - 1);
    if (top_rate * dt_ms * 1e-3 > 1.0) {
        throw ParamError::value(
            "max_presentations",
            fmt::format("{}: the last retry's input rate {} Hz exceeds 1/dt = {} Hz",
                        max_presentations, top_rate, 1e3 / dt_ms));
    }
    models::require_positive("weight_sum", weight_sum, "");
    models::require_non_negative("input_weight_low", input_weight_low, "");
    models::require_less("input_weight_low", input_weight_low, "input_weight_high",
                         input_weight_high, "");
    if (input_weight_high > stdp.bounds.w_max) {
        throw ParamError::value(
            "input_weight_high",
            fmt::format("{}: above stdp.w_max = {}", input_weight_high, stdp.bounds.w_max));
    }
    if (input_delay_low_ms < dt_ms) {
        throw ParamError::value("input_delay_low_ms", fmt::format("{} ms: must be >= dt_ms = {} ms",
                                                                  input_delay_low_ms, dt_ms));
    }
    models::require_less("input_delay_low_ms", input_delay_low_ms, "input_delay_high_ms",
                         input_delay_high_ms, "ms");
    models::require_non_negative("exc_inh_weight", exc_inh_weight, "nS");
    models::require_non_negative("inh_exc_weight", inh_exc_weight, "nS");
    models::require_finite("exc_initial_V", exc_initial_V, "mV");
    models::require_non_negative("exc_initial_theta", exc_initial_theta, "mV");
    models::require_finite("inh_initial_V", inh_initial_V, "mV");
    if (reference_n_exc == 0) throw ParamError::value("reference_n_exc", "0: must be >= 1");
    const auto in = [](const char* part, auto&& check) {
        try {
            check();
        } catch (const ParamError& e) {
            throw e.within(part);
        }
    };
    in("exc", [&] { exc.validate(); });
    in("inh", [&] { inh.validate(); });
    in("stdp", [&] { stdp.validate(); });
}

NetworkSpec diehl_cook_2015_network(const DiehlCook2015Params& params, std::uint32_t n_inputs,
                                    std::uint64_t seed, bool learning, SpikeEncoder encoder) {
    params.validate();
    models::LifCondParams exc = params.exc;
    exc.tau_theta = params.tau_theta_used();
    if (!learning) exc.theta_frozen = true;

    NetworkSpec spec;
    spec.dt_ms = params.dt_ms;
    spec.seed = seed;
    spec.populations = {
        PopulationSpec{.name = dc_input,
                       .size = n_inputs,
                       .model = encoder == SpikeEncoder::latency
                                    ? PopulationModel{SpikeTrainSourceParams{}}
                                    : PopulationModel{PoissonSourceParams{0.0}}},
        PopulationSpec{.name = dc_exc,
                       .size = params.n_exc,
                       .model = exc,
                       .integration = params.integration,
                       .initial = {{"V_m", Distribution::constant(params.exc_initial_V)},
                                   {"theta", Distribution::constant(params.exc_initial_theta)}}},
        PopulationSpec{.name = dc_inh,
                       .size = params.n_exc,
                       .model = params.inh,
                       .integration = params.integration,
                       .initial = {{"V_m", Distribution::constant(params.inh_initial_V)}}},
    };
    const Distribution undelayed = Distribution::constant(0.0);  // see the header on delays
    ProjectionSpec input_exc{
        .name = dc_input_exc,
        .pre = dc_input,
        .post = dc_exc,
        .connection = connect::AllToAll{},
        .weight = Distribution::uniform(params.input_weight_low, params.input_weight_high),
        .delay_ms = Distribution::uniform(params.input_delay_low_ms, params.input_delay_high_ms),
        .receptor = Receptor::excitatory,
        .storage = Storage::dense,
        .weight_precision = params.weight_precision};
    if (learning) input_exc.plasticity = params.stdp;
    spec.projections = {
        input_exc,
        ProjectionSpec{.pre = dc_exc,
                       .post = dc_inh,
                       .connection = connect::OneToOne{},
                       .weight = Distribution::constant(params.exc_inh_weight),
                       .delay_ms = undelayed,
                       .receptor = Receptor::excitatory},
        ProjectionSpec{.pre = dc_inh,
                       .post = dc_exc,
                       .connection = connect::AllToAll{.allow_autapses = false},
                       .weight = Distribution::constant(params.inh_exc_weight),
                       .delay_ms = undelayed,
                       .receptor = Receptor::inhibitory},
    };
    spec.validate();
    return spec;
}

SpikingNetworkSpec diehl_cook_2015_learner(const DiehlCook2015Params& params,
                                           std::uint32_t n_inputs, std::uint64_t seed,
                                           SpikingNetworkSpec section) {
    section.preset = "diehl_cook_2015";
    // The encoder (poisson_rate or latency) and its latency keys are the section's own; with
    // spike_pattern the section's validate() refuses the poisson input.
    section.network = diehl_cook_2015_network(params, n_inputs, seed, true, section.encoder);
    for (auto& proj : section.network.projections) proj.name = proj.resolved_name();
    section.input = dc_input;
    section.readout_population = dc_exc;
    section.learned_projection = dc_input_exc;
    section.adaptation_variable = "theta";
    section.input_rate_step_hz = params.input_rate_step_hz;
    section.start_intensity = params.start_intensity;
    section.dt_ms = params.dt_ms;
    section.presentation_ms = params.presentation_ms;
    section.rest_ms = params.rest_ms;
    section.min_spikes = params.min_spikes;
    section.max_presentations = params.max_presentations;
    section.weight_sum = params.weight_sum;
    section.plasticity_phases = {"train"};
    section.adaptation_phases = {"train"};
    return section;
}

}  // namespace spikerate::sim::train
