#include "recording_spec.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "models/error.hpp"
#include "sim/time_grid.hpp"

namespace spikerate::sim {

namespace {

const PopulationSpec* find_population(const NetworkSpec& network, const std::string& name) {
    for (const auto& pop : network.populations) {
        if (pop.name == name) return &pop;
    }
    return nullptr;
}

void check_interval(const std::string& context, double every_ms, double dt_ms) {
    const TimeGrid grid(dt_ms);
    if (!(every_ms > 0.0)) {
        throw ParamError(fmt::format("{}: every_ms = {} ms: must be > 0", context, every_ms));
    }
    try {
        grid.steps_in(every_ms, "every_ms");
    } catch (const ParamError& e) {
        throw ParamError(context + ": " + e.what());
    }
}

void check_indices(const std::string& context, const char* key,
                   const std::vector<std::uint32_t>& indices, std::uint32_t size,
                   const std::string& population) {
    for (const auto i : indices) {
        if (i >= size) {
            throw ParamError(fmt::format("{}: {} contains {}, out of range for '{}' (size {})",
                                         context, key, i, population, size));
        }
    }
}

}  // namespace

void RecordingSpec::validate(const NetworkSpec& network) const {
    for (const auto& name : spikes) {
        if (find_population(network, name) == nullptr) {
            throw ParamError(fmt::format("record.spikes: '{}' is not a population", name));
        }
    }
    if (std::set<std::string>(spikes.begin(), spikes.end()).size() != spikes.size()) {
        throw ParamError("record.spikes: a population is listed twice");
    }

    std::set<std::string> report_names;
    for (const auto& report : weights) {
        const std::string context = "record.weights." + report.name;
        if (report.name.empty() || !report_names.insert(report.name).second) {
            throw ParamError(fmt::format("{}: report names must be unique and non-empty", context));
        }
        const auto proj =
            std::find_if(network.projections.begin(), network.projections.end(),
                         [&](const auto& p) { return p.resolved_name() == report.projection; });
        if (proj == network.projections.end()) {
            throw ParamError(fmt::format("{}: projection = '{}' is not a projection", context,
                                         report.projection));
        }
        check_interval(context, report.every_ms, network.dt_ms);
        const auto* post = find_population(network, proj->post);
        if (post != nullptr)
            check_indices(context, "post_neurons", report.post_neurons, post->size, post->name);
    }
    for (const auto& report : states) {
        const std::string context = "record.state." + report.name;
        if (report.name.empty() || !report_names.insert(report.name).second) {
            throw ParamError(fmt::format("{}: report names must be unique and non-empty", context));
        }
        const auto* pop = find_population(network, report.population);
        if (pop == nullptr) {
            throw ParamError(fmt::format("{}: population = '{}' is not a population", context,
                                         report.population));
        }
        std::vector<std::string_view> vars;
        for (const auto& v : state_variables(pop->model)) vars.push_back(v.name);
        if (std::find(vars.begin(), vars.end(), report.variable) == vars.end()) {
            throw ParamError(fmt::format("{}: variable = '{}': '{}' ({}) has the variables [{}]",
                                         context, report.variable, pop->name, model_id(pop->model),
                                         fmt::join(vars, ", ")));
        }
        check_interval(context, report.every_ms, network.dt_ms);
        check_indices(context, "neurons", report.neurons, pop->size, pop->name);
    }
}

}  // namespace spikerate::sim
