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

void check_interval(double every_ms, double dt_ms) {
    const TimeGrid grid(dt_ms);
    if (!(every_ms > 0.0)) {
        throw ParamError::value("every_ms", fmt::format("{} ms: must be > 0", every_ms));
    }
    grid.steps_in(every_ms, "every_ms");
}

void check_indices(const char* key, const std::vector<std::uint32_t>& indices, std::uint32_t size,
                   const std::string& population) {
    for (std::size_t k = 0; k < indices.size(); ++k) {
        if (indices[k] >= size) {
            const std::string what = fmt::format("{} contains {}, out of range for '{}' (size {})",
                                                 key, indices[k], population, size);
            throw ParamError(key, k, what, what);
        }
    }
}

// Runs check() and names, in any ParamError it throws, the report it is about.
template <class Check>
void in_report(const char* kind, const std::string& name, Check&& check) {
    try {
        check();
    } catch (const ParamError& e) {
        throw e.in(kind, name, std::string(kind) + "." + name);
    }
}

}  // namespace

void RecordingSpec::validate(const NetworkSpec& network) const {
    for (std::size_t k = 0; k < spikes.size(); ++k) {
        if (find_population(network, spikes[k]) == nullptr) {
            const std::string what = fmt::format("'{}' is not a population", spikes[k]);
            throw ParamError("spikes", k, what, what).in("record", "spikes", "record.spikes");
        }
    }
    if (std::set<std::string>(spikes.begin(), spikes.end()).size() != spikes.size()) {
        const std::string what = "a population is listed twice";
        throw ParamError("spikes", std::nullopt, what, what)
            .in("record", "spikes", "record.spikes");
    }

    std::set<std::string> report_names;
    const auto unique_name = [&](const std::string& name) {
        if (name.empty() || !report_names.insert(name).second) {
            throw ParamError("report names must be unique and non-empty");
        }
    };
    for (const auto& report : weights) {
        in_report("record.weights", report.name, [&] {
            unique_name(report.name);
            const auto proj =
                std::find_if(network.projections.begin(), network.projections.end(),
                             [&](const auto& p) { return p.resolved_name() == report.projection; });
            if (proj == network.projections.end()) {
                throw ParamError::value("projection",
                                        fmt::format("'{}' is not a projection", report.projection));
            }
            check_interval(report.every_ms, network.dt_ms);
            const auto* post = find_population(network, proj->post);
            if (post != nullptr) {
                check_indices("post_neurons", report.post_neurons, post->size, post->name);
            }
        });
    }
    for (const auto& report : states) {
        in_report("record.state", report.name, [&] {
            unique_name(report.name);
            const auto* pop = find_population(network, report.population);
            if (pop == nullptr) {
                throw ParamError::value("population",
                                        fmt::format("'{}' is not a population", report.population));
            }
            std::vector<std::string_view> vars;
            for (const auto& v : state_variables(pop->model)) vars.push_back(v.name);
            if (std::find(vars.begin(), vars.end(), report.variable) == vars.end()) {
                throw ParamError::value(
                    "variable",
                    fmt::format("'{}': '{}' ({}) has the variables [{}]", report.variable,
                                pop->name, model_id(pop->model), fmt::join(vars, ", ")));
            }
            check_interval(report.every_ms, network.dt_ms);
            check_indices("neurons", report.neurons, pop->size, pop->name);
        });
    }
}

}  // namespace spikerate::sim
