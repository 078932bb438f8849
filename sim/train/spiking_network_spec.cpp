#include "sim/train/spiking_network_spec.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "models/error.hpp"
#include "models/param_check.hpp"

namespace spikerate::sim::train {

namespace {

const PopulationSpec* find_population(const NetworkSpec& net, const std::string& name) {
    for (const auto& pop : net.populations) {
        if (pop.name == name) return &pop;
    }
    return nullptr;
}

const ProjectionSpec* find_projection(const NetworkSpec& net, const std::string& name) {
    for (const auto& proj : net.projections) {
        if (proj.resolved_name() == name) return &proj;
    }
    return nullptr;
}

std::string names(const NetworkSpec& net, bool projections) {
    std::string out;
    const auto add = [&](const std::string& name) {
        out += (out.empty() ? "'" : ", '") + name + "'";
    };
    if (projections) {
        for (const auto& proj : net.projections) add(proj.resolved_name());
    } else {
        for (const auto& pop : net.populations) add(pop.name);
    }
    return out.empty() ? "none" : out;
}

}  // namespace

bool SpikingNetworkSpec::acts_in(const std::vector<std::string>& phases, const char* phase) const {
    return std::find(phases.begin(), phases.end(), phase) != phases.end();
}

std::vector<std::string> SpikingNetworkSpec::report_names() const {
    std::vector<std::string> out;
    if (!record_weights) return out;
    if (!learned_projection.empty()) out.push_back(input_weights_report());
    if (!adaptation_variable.empty()) out.push_back(adaptation_report());
    return out;
}

NetworkSpec SpikingNetworkSpec::network_for_phase(const char* phase) const {
    NetworkSpec spec = network;
    if (!acts_in(plasticity_phases, phase)) {
        for (auto& proj : spec.projections) proj.plasticity = NoPlasticity{};
    }
    if (!acts_in(adaptation_phases, phase)) {
        for (auto& pop : spec.populations) {
            std::visit(
                [](auto& params) {
                    if constexpr (requires { params.theta_frozen; }) params.theta_frozen = true;
                },
                pop.model);
        }
    }
    return spec;
}

models::WeightBounds SpikingNetworkSpec::learned_bounds() const {
    models::WeightBounds bounds{.w_min = 0.0, .w_max = std::numeric_limits<double>::infinity()};
    if (const auto* proj = find_projection(network, learned_projection)) {
        std::visit(
            [&](const auto& rule) {
                if constexpr (requires { rule.bounds; }) bounds = rule.bounds;
            },
            proj->plasticity);
    }
    return bounds;
}

void SpikingNetworkSpec::validate() const {
    if (threads == 0 || threads > NetworkSpec::max_threads) {
        throw ParamError::value(
            "threads", fmt::format("{}: must be in [1, {}]", threads, NetworkSpec::max_threads));
    }
    if (spike_windows.size() % 2 != 0) {
        const std::string what =
            fmt::format("spike_windows has {} values: it needs pairs [start, end) of examples seen",
                        spike_windows.size());
        throw ParamError("spike_windows", std::nullopt, what, what);
    }
    for (std::size_t k = 0; k + 1 < spike_windows.size(); k += 2) {
        if (spike_windows[k] >= spike_windows[k + 1]) {
            throw ParamError::value_at("spike_windows", k,
                                       fmt::format("{}: start must be below its end {}",
                                                   spike_windows[k], spike_windows[k + 1]));
        }
    }
    models::require_positive("dt_ms", dt_ms, "ms");
    models::require_positive("presentation_ms", presentation_ms, "ms");
    models::require_non_negative("rest_ms", rest_ms, "ms");
    models::require_positive("input_rate_step_Hz", input_rate_step_hz, "Hz");
    if (start_intensity == 0) throw ParamError::value("start_intensity", "0: must be >= 1");
    if (max_presentations == 0) throw ParamError::value("max_presentations", "0: must be >= 1");
    models::require_non_negative("weight_sum", weight_sum, "");
    models::require_positive("latency_t_max_ms", latency_t_max_ms, "ms");
    if (!(latency_threshold >= 0.0 && latency_threshold < 1.0)) {
        throw ParamError::value("latency_threshold",
                                fmt::format("{}: must be in [0, 1)", latency_threshold));
    }
    if (linear_epochs == 0) throw ParamError::value("linear_epochs", "0: must be >= 1");
    models::require_positive("linear_learning_rate", linear_learning_rate, "");
    for (const auto* key : {"plasticity_phases", "adaptation_phases"}) {
        const auto& phases =
            std::string_view(key) == "plasticity_phases" ? plasticity_phases : adaptation_phases;
        for (std::size_t i = 0; i < phases.size(); ++i) {
            if (std::find(spiking_phases.begin(), spiking_phases.end(), phases[i]) ==
                spiking_phases.end()) {
                throw ParamError::value_at(
                    key, i, fmt::format("\"{}\": a phase is train, label or test", phases[i]));
            }
        }
    }

    const PopulationSpec* in = find_population(network, input);
    if (in == nullptr) {
        throw ParamError::value("input", fmt::format("\"{}\": no such population (populations: {})",
                                                     input, names(network, false)));
    }
    const bool wants_poisson = encoder == SpikeEncoder::poisson_rate;
    const bool is_poisson = std::holds_alternative<PoissonSourceParams>(in->model);
    const bool is_train = std::holds_alternative<SpikeTrainSourceParams>(in->model);
    if (wants_poisson ? !is_poisson : !is_train) {
        const auto* encoder_name =
            std::find_if(spike_encoder_choices.begin(), spike_encoder_choices.end(),
                         [&](const auto& choice) { return choice.second == encoder; })
                ->first;
        throw ParamError::value(
            "input", fmt::format("\"{}\" is a {} population; encoder = \"{}\" drives a {} one",
                                 input, model_id(in->model), encoder_name,
                                 wants_poisson ? "poisson" : "spike_train"));
    }
    if (encoder == SpikeEncoder::poisson_rate) {
        const double top_rate = input_rate(1.0, start_intensity + max_presentations - 1);
        if (top_rate * dt_ms * 1e-3 > 1.0) {
            throw ParamError::value(
                "max_presentations",
                fmt::format("{}: the last retry's input rate {} Hz exceeds 1/dt = {} Hz",
                            max_presentations, top_rate, 1e3 / dt_ms));
        }
    } else if (encoder == SpikeEncoder::latency && latency_t_max_ms > presentation_ms) {
        throw ParamError::value(
            "latency_t_max_ms",
            fmt::format("{} ms: above presentation_ms = {} ms", latency_t_max_ms, presentation_ms));
    }
    const PopulationSpec* out = find_population(network, readout_population);
    if (out == nullptr || !is_neuron_model(out->model)) {
        throw ParamError::value(
            "readout_population",
            fmt::format("\"{}\": {} (populations: {})", readout_population,
                        out == nullptr ? "no such population" : "a source, not neurons",
                        names(network, false)));
    }
    if (!adaptation_variable.empty()) {
        const auto vars = state_variables(out->model);
        if (std::none_of(vars.begin(), vars.end(),
                         [&](const StateVariable& v) { return v.name == adaptation_variable; })) {
            throw ParamError::value("adaptation_variable",
                                    fmt::format("\"{}\": {} has no such state variable",
                                                adaptation_variable, model_id(out->model)));
        }
    }
    if (!learned_projection.empty()) {
        const ProjectionSpec* proj = find_projection(network, learned_projection);
        if (proj == nullptr) {
            throw ParamError::value("learned_projection",
                                    fmt::format("\"{}\": no such projection (projections: {})",
                                                learned_projection, names(network, true)));
        }
        const auto* all = std::get_if<connect::AllToAll>(&proj->connection);
        if (all == nullptr || !all->allow_autapses || proj->storage == Storage::sparse) {
            throw ParamError::value(
                "learned_projection",
                fmt::format("\"{}\": must be all_to_all with allow_autapses = true and not "
                            "sparse storage (each readout neuron's weights are a receptive field, "
                            "one weight per input)",
                            learned_projection));
        }
        if (proj->pre != input || proj->post != readout_population) {
            throw ParamError::value(
                "learned_projection",
                fmt::format("\"{}\" connects {} to {}; it must connect input \"{}\" to "
                            "readout_population \"{}\"",
                            learned_projection, proj->pre, proj->post, input, readout_population));
        }
    } else if (weight_sum > 0.0) {
        throw ParamError::value(
            "weight_sum",
            fmt::format("{}: normalises learned_projection, which is \"\"", weight_sum));
    }
    validate_reward_readout();
    network.validate();
}

void SpikingNetworkSpec::validate_reward_readout() const {
    if (readout != SpikingReadout::reward) {
        if (reward_window != 0) {
            throw ParamError::value(
                "reward_window",
                fmt::format("{}: only readout = \"reward\" delivers rewards", reward_window));
        }
        if (!reward_projections.empty()) {
            throw ParamError::value(
                "reward_projections",
                fmt::format("{} projection(s) given: only readout = \"reward\" delivers rewards",
                            reward_projections.size()));
        }
        return;
    }
    if (!(std::isfinite(reward_amount) && reward_amount > 0.0)) {
        throw ParamError::value("reward_amount_per_ms",
                                fmt::format("{}: must be finite and > 0 (a wrong class gets "
                                            "-reward_amount_per_ms)",
                                            reward_amount));
    }
    if (reward_projections.empty()) {
        throw ParamError::value(
            "reward_projections",
            fmt::format("[]: readout = \"reward\" needs the projections that receive the reward "
                        "(projections: {})",
                        names(network, true)));
    }
    for (std::size_t i = 0; i < reward_projections.size(); ++i) {
        const std::string& name = reward_projections[i];
        const ProjectionSpec* proj = find_projection(network, name);
        if (proj == nullptr) {
            throw ParamError::value_at("reward_projections", i,
                                       fmt::format("\"{}\": no such projection (projections: {})",
                                                   name, names(network, true)));
        }
        if (proj->post != readout_population) {
            throw ParamError::value_at(
                "reward_projections", i,
                fmt::format("\"{}\" ends in {}; a reward projection ends in readout_population "
                            "\"{}\"",
                            name, proj->post, readout_population));
        }
        if (!takes_modulator(proj->plasticity)) {
            throw ParamError::value_at(
                "reward_projections", i,
                fmt::format("\"{}\": its plasticity ({}) takes no modulator (reward_stdp does)",
                            name, plasticity_id(proj->plasticity)));
        }
        if (std::find(reward_projections.begin(), reward_projections.begin() + i, name) !=
            reward_projections.begin() + i) {
            throw ParamError::value_at("reward_projections", i,
                                       fmt::format("\"{}\": given twice", name));
        }
    }
    if (!acts_in(plasticity_phases, "train")) {
        throw ParamError::value("plasticity_phases",
                                "without \"train\": readout = \"reward\" learns while training");
    }
}

}  // namespace spikerate::sim::train
