// [record]: spikes of which populations, and frame reports of weights ([record.weights.<name>])
// and state variables ([record.state.<name>]).

#include <fmt/format.h>

#include "sim/io/scenario/sections.hpp"
#include "sim/io/scenario/special_keys.hpp"

namespace spikerate::sim::io::reader {

namespace {

void read_weight_report(LoadState& state, const Table& t, const std::string& name) {
    const Context& ctx = state.ctx;
    WeightReportSpec report;
    report.name = name;
    t.reject_unknown(keys_of(report));
    const toml::node& projection = t.require("projection", "a projection name");
    Element element(&t.table, t.path);
    read_fields(t, report, &element, &t.table);
    std::vector<std::string> names;
    for (const auto& proj : state.scenario.network.projections) {
        names.push_back(proj.resolved_name());
    }
    if (std::find(names.begin(), names.end(), report.projection) == names.end()) {
        ctx.fail(projection, t.key_path("projection"),
                 unknown_name("projection", report.projection, names));
    }
    state.elements.insert_or_assign({"record.weights", name}, std::move(element));
    state.scenario.record.weights.push_back(std::move(report));
}

void read_state_report(LoadState& state, const Table& t, const std::string& name) {
    const Context& ctx = state.ctx;
    StateReportSpec report;
    report.name = name;
    t.reject_unknown(keys_of(report));
    const toml::node& population = t.require("population", "a population name");
    const toml::node& variable = t.require("variable", "a state variable name, e.g. \"V_m\"");
    Element element(&t.table, t.path);
    read_fields(t, report, &element, &t.table);

    const PopulationSpec* pop = state.population(report.population);
    if (pop == nullptr) {
        ctx.fail(population, t.key_path("population"),
                 unknown_name("population", report.population, state.population_names()));
    }
    std::vector<std::string> vars;
    for (const auto& var : state_variables(pop->model)) vars.emplace_back(var.name);
    const std::string path = t.key_path("variable");
    if (vars.empty()) {
        ctx.fail(variable, path,
                 fmt::format("'{}' is a {} source, which has no state variables", pop->name,
                             model_id(pop->model)));
    }
    if (std::find(vars.begin(), vars.end(), report.variable) == vars.end()) {
        ctx.fail(variable, path,
                 unknown_name(fmt::format("state variable of {}", model_id(pop->model)),
                              report.variable, vars));
    }
    state.elements.insert_or_assign({"record.state", name}, std::move(element));
    state.scenario.record.states.push_back(std::move(report));
}

// The reports of [record.<kind>], one table each.
template <class ReadReport>
void read_reports(LoadState& state, const Table& t, const char* kind, ReadReport&& read_report) {
    const toml::node* node = t.find(kind);
    if (node == nullptr) return;
    const Table reports = as_table(state.ctx, *node, t.key_path(kind),
                                   fmt::format("a table of reports [record.{}.<name>]", kind));
    for (const auto& [key, value] : reports.table) {
        const std::string path = reports.key_path(key.str());
        state.check_name(value, path, key.str(), "report");
        read_report(state, as_table(state.ctx, value, path), std::string(key.str()));
    }
}

}  // namespace

void read_record(LoadState& state, const Table& top) {
    const Context& ctx = state.ctx;
    RecordingSpec& record = state.scenario.record;
    const toml::node* node = top.find("record");
    const Table t =
        node != nullptr ? as_table(ctx, *node, "record") : Table{ctx, state.empty, "record"};
    t.reject_unknown({std::string(record_spikes_key.key), "weights", "state"});

    Element spikes(&t.table, "record");
    if (const auto* list = t.find(record_spikes_key.key)) {
        const std::string path = t.key_path(record_spikes_key.key);
        const toml::array& names = to_array(ctx, *list, path, "an array of population names");
        for (std::size_t i = 0; i < names.size(); ++i) {
            const std::string name = to_string(ctx, names[i], item(path, i), "a population name");
            if (state.population(name) == nullptr) {
                ctx.fail(names[i], item(path, i),
                         unknown_name("population", name, state.population_names()));
            }
            record.spikes.push_back(name);
        }
        spikes.add("spikes", list, &t.table, path);
    } else {
        record.spikes = state.population_names(true);
        spikes.add("spikes", nullptr, &t.table, t.key_path(record_spikes_key.key));
    }
    state.elements.insert_or_assign({"record", "spikes"}, std::move(spikes));
    read_reports(state, t, "weights", read_weight_report);
    read_reports(state, t, "state", read_state_report);
}

}  // namespace spikerate::sim::io::reader
