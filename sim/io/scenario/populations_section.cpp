// [populations.<name>]: model (a neuron model or a source of the catalog), size, integration,
// the model's parameters, initial values, and a spike train's spikes (inline or a CSV file).

#include <cmath>
#include <iterator>

#include <fmt/format.h>

#include "sim/io/scenario/sections.hpp"
#include "sim/io/scenario/special_keys.hpp"
#include "sim/io/spike_file.hpp"

namespace spikerate::sim::io::reader {

namespace {

void read_initial(const Context& ctx, const Table& t, PopulationSpec& pop, Element& element) {
    const std::vector<StateVariable> vars = state_variables(pop.model);
    std::vector<std::string> keys;
    for (const auto& var : vars) keys.push_back(fields::key_of(var.name, var.unit));
    t.reject_unknown(keys);
    for (std::size_t i = 0; i < vars.size(); ++i) {
        const toml::node* node = t.find(keys[i]);
        if (node == nullptr) continue;
        const std::string path = t.key_path(keys[i]);
        pop.initial.push_back(InitialValue{std::string(vars[i].name),
                                           to_distribution(ctx, *node, path, vars[i].unit)});
        element.add("initial." + std::string(vars[i].name), node, &t.table, path);
    }
}

void read_spike_train(LoadState& state, const Table& t, PopulationSpec& pop, Element& element) {
    const Context& ctx = state.ctx;
    auto& params = std::get<SpikeTrainSourceParams>(pop.model);
    const toml::node* times = t.find("times_ms");
    const toml::node* ids = t.find("node_ids");
    const toml::node* file = t.find(spike_file_key.key);
    if (file != nullptr) {
        const std::string path = t.key_path(spike_file_key.key);
        if (times != nullptr || ids != nullptr) {
            ctx.fail(*file, path, "give either file or times_ms and node_ids, not both");
        }
        const std::filesystem::path name = to_string(ctx, *file, path);
        const std::filesystem::path resolved = ctx.base_dir() / name;
        try {
            params = read_spike_file(resolved, pop.size);
        } catch (const DataError& e) {
            ctx.fail(*file, path, e.what());
        }
        for (const char* ident : {"times", "times_ms", "node_ids"}) {
            element.add(ident, file, &t.table, path);
        }
        state.spike_files[pop.name] = resolved;
        return;
    }
    if (times == nullptr && ids == nullptr) {
        ctx.fail(t.table, t.path,
                 "a spike_train needs times_ms and node_ids, or file (a CSV file with the "
                 "header node_id,time_ms)");
    }
    if (times == nullptr) t.require("times_ms", "an array of numbers, one per node id");
    if (ids == nullptr) t.require("node_ids", "an array of integers, one per time");
}

// The key of the population's current noise, current_noise_<the model's current unit> ("" where
// the model takes no current). A current_noise key with another suffix is reported here, with the
// one expected, instead of as an unknown key.
std::string current_noise_key(const Context& ctx, const Table& t, const PopulationModel& model) {
    const std::string_view unit = current_unit(model);
    const std::string key = unit.empty() ? std::string() : fields::key_of("current_noise", unit);
    for (const auto& [k, value] : t.table) {
        const std::string_view name = k.str();
        if (!name.starts_with("current_noise") || name == key) continue;
        ctx.fail(value, t.key_path(name),
                 unit.empty() ? fmt::format("{} takes no injected current ({} do)", model_id(model),
                                            models_taking_current())
                              : fmt::format("{} takes its current in {}: the key is {}",
                                            model_id(model), unit, key));
    }
    return key;
}

// poisson_background = { rate_hz = ..., weight_<the model's weight unit> = ..., receptor = ... }
void read_poisson_background(const Context& ctx, const toml::node& node, const std::string& path,
                             PopulationSpec& pop, Element& element) {
    const Table t =
        as_table(ctx, node, path, "a table { rate_hz = ..., weight_<unit> = ..., receptor = ... }");
    const std::string_view unit = weight_unit(pop.model);
    const std::string weight_key = fields::key_of("weight", unit);
    if (unit.empty()) {
        ctx.fail(node, path, fmt::format("{} is a source: it takes no input", model_id(pop.model)));
    }
    t.reject_unknown({"rate_hz", weight_key, "receptor"});
    PoissonBackground bg;
    const toml::node& rate = t.require("rate_hz", "a number >= 0, input spikes per neuron and s");
    bg.rate_hz = to_number(ctx, rate, t.key_path("rate_hz"));
    const std::string expected_weight =
        fmt::format("a number >= 0 in {}, the jump of one input spike", unit);
    const toml::node& weight = t.require(weight_key, expected_weight);
    bg.weight = to_number(ctx, weight, t.key_path(weight_key));
    element.add("poisson_background", &node, &t.table, path);
    element.add("poisson_background.rate_hz", &rate, &t.table, t.key_path("rate_hz"));
    element.add("poisson_background.weight", &weight, &t.table, t.key_path(weight_key));
    if (const toml::node* receptor = t.find("receptor")) {
        bg.receptor =
            to_choice(ctx, *receptor, t.key_path("receptor"), "receptor", receptor_choices);
    }
    pop.poisson_background = bg;
}

void read_population(LoadState& state, const Table& t, const std::string& name) {
    const Context& ctx = state.ctx;
    static const std::vector<std::string> ids = alternative_ids<PopulationModel>();
    std::vector<std::string> common = names_of(population_special_keys);
    std::ranges::copy(keys_of(PopulationSpec{}), std::back_inserter(common));

    if (t.find("model") == nullptr) {  // a misspelt model key is reported as such
        std::vector<std::string> any = common;
        any.emplace_back(spike_file_key.key);
        for (const auto& [k, value] : t.table) {  // its unit depends on the model: checked later
            if (k.str().starts_with("current_noise")) any.emplace_back(k.str());
        }
        t.reject_unknown(keys_of_any<PopulationModel>(any));
    }
    const std::string expected_model = fmt::format("a string, {}", one_of(ids));
    const toml::node& model_node = t.require("model", expected_model);
    const std::string model_path = t.key_path("model");
    const std::string id = to_string(ctx, model_node, model_path, expected_model);
    const auto model = alternative_with_id<PopulationModel>(id);
    if (!model) ctx.fail(model_node, model_path, unknown_name("model", id, ids));

    PopulationSpec pop;
    pop.name = name;
    pop.model = *model;
    const bool neuron = is_neuron_model(pop.model);
    const bool spike_train = std::holds_alternative<SpikeTrainSourceParams>(pop.model);

    std::vector<std::string> valid = common;
    std::visit([&](auto& params) { std::ranges::copy(keys_of(params), std::back_inserter(valid)); },
               pop.model);
    if (!neuron) std::erase(valid, std::string("initial"));
    if (spike_train) valid.emplace_back(spike_file_key.key);
    const std::string noise_key = current_noise_key(ctx, t, pop.model);
    if (!noise_key.empty()) valid.push_back(noise_key);
    t.reject_unknown(valid);

    Element element(&t.table, t.path);
    element.add("model", &model_node, &t.table, model_path);
    const toml::node& size_node = t.require("size", "an integer >= 1");
    pop.size = to_integer<std::uint32_t>(ctx, size_node, t.key_path("size"), 1);
    element.add("size", &size_node, &t.table, t.key_path("size"));

    read_fields(t, pop, &element, &t.table);
    if (t.find("integration") == nullptr && state.scenario.run.mode == RunSpec::Mode::precise &&
        has_exact_propagator(pop.model)) {
        pop.integration = Integration::precise;
    }
    std::visit([&](auto& params) { read_fields(t, params, &element, &t.table); }, pop.model);

    const toml::node* initial = t.find("initial");
    element.add("initial", initial, &t.table, t.key_path("initial"));
    if (initial != nullptr) {
        read_initial(ctx, as_table(ctx, *initial, t.key_path("initial")), pop, element);
    }
    if (spike_train) read_spike_train(state, t, pop, element);
    if (const toml::node* background = t.find("poisson_background")) {
        read_poisson_background(ctx, *background, t.key_path("poisson_background"), pop, element);
    }
    if (const toml::node* noise = noise_key.empty() ? nullptr : t.find(noise_key)) {
        const std::string path = t.key_path(noise_key);
        pop.current_noise = to_distribution(ctx, *noise, path, current_unit(pop.model));
        element.add("current_noise", noise, &t.table, path);
    }

    check_in(ctx, element, [&] {
        NetworkSpec alone{.dt_ms = state.scenario.network.dt_ms,
                          .seed = state.scenario.network.seed};
        alone.populations.push_back(pop);
        alone.validate();
    });
    state.elements.insert_or_assign({"population", pop.name}, std::move(element));
    state.scenario.network.populations.push_back(std::move(pop));
}

}  // namespace

void read_populations(LoadState& state, const Table& top) {
    const Context& ctx = state.ctx;
    const toml::node& node = top.require(
        "populations", "a table of populations, e.g. [populations.exc] with model and size");
    const Table populations = as_table(ctx, node, top.key_path("populations"));
    if (populations.table.empty()) {
        ctx.fail(node, populations.path,
                 "no populations (expected at least one [populations.<name>] table)");
    }
    for (const auto& [key, value] : populations.table) {
        const std::string path = populations.key_path(key.str());
        state.check_name(value, path, key.str(), "population");
        read_population(state, as_table(ctx, value, path), std::string(key.str()));
    }
}

}  // namespace spikerate::sim::io::reader
