// [projections.<name>]: pre, post, the weight in the target's unit, delay, connection rule,
// receptor, storage and plasticity rule (a rule of the catalog).

#include <algorithm>
#include <iterator>

#include <fmt/format.h>

#include "sim/io/scenario/sections.hpp"
#include "sim/io/scenario/special_keys.hpp"

namespace spikerate::sim::io::reader {

namespace {

// weight, weight_<unit>: "weight" or "weight_..." but not one of the plain keys of a projection
// (weight_precision).
bool is_weight_key(std::string_view key) {
    static const std::vector<std::string> plain = keys_of(ProjectionSpec{});
    return key == "weight" ||
           (key.starts_with("weight_") && std::ranges::find(plain, key) == plain.end());
}

// weight_<unit> of every population model of the catalog.
std::vector<std::string> all_weight_keys() {
    std::vector<std::string> keys;
    for_each_alternative<PopulationModel>([&](const auto& params) {
        if (const auto unit = weight_unit(PopulationModel{params}); !unit.empty()) {
            keys.push_back("weight_" + std::string(unit));
        }
    });
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    return keys;
}

// Connection rule fields without a useful default.
bool required_connection_field(std::string_view key) {
    return key == "p" || key == "k" || key == "n" || key == "pre" || key == "post";
}

const PopulationSpec& population_ref(const LoadState& state, const Table& t, std::string_view key) {
    const toml::node& node = t.require(key, "a population name");
    const std::string path = t.key_path(key);
    const std::string name = to_string(state.ctx, node, path, "a population name");
    const PopulationSpec* pop = state.population(name);
    if (pop == nullptr) {
        state.ctx.fail(node, path, unknown_name("population", name, state.population_names()));
    }
    return *pop;
}

void read_weight(const Context& ctx, const Table& t, ProjectionSpec& proj,
                 const PopulationSpec& post, Element& element) {
    const std::string unit(weight_unit(post.model));
    const std::string expected_key = "weight_" + unit;
    const toml::node* found = nullptr;
    std::string found_key;
    for (const auto& [key, value] : t.table) {
        if (!is_weight_key(key.str())) continue;
        const std::string path = t.key_path(key.str());
        if (found != nullptr) {
            ctx.fail(value, path,
                     fmt::format("a second weight key besides '{}' (give one weight, in {}, as {})",
                                 found_key, unit, expected_key));
        }
        if (key.str() != expected_key) {
            ctx.fail(value, path,
                     fmt::format("'{}' is a {} population, which takes weights in {} "
                                 "(expected {})",
                                 post.name, model_id(post.model), unit, expected_key));
        }
        found = &value;
        found_key = key.str();
    }
    const std::string path = t.key_path(expected_key);
    if (found == nullptr) {
        ctx.fail(t.table, path,
                 fmt::format("missing required key (expected the weight in {}, a number or a "
                             "distribution, as {} takes weights in {})",
                             unit, model_id(post.model), unit));
    }
    proj.weight = to_distribution(ctx, *found, path, unit);
    element.add("weight", found, &t.table, path);
}

ConnectionRule read_connection(LoadState& state, const toml::node& node, const std::string& path,
                               Element& element) {
    const Context& ctx = state.ctx;
    static const std::vector<std::string> rules = alternative_ids<ConnectionRule>();
    const std::string expected =
        fmt::format("a rule name or a table {{ rule = ..., ... }}, rule {}", one_of(rules));
    const auto rule_of = [&](const toml::node& name_node, const std::string& name_path) {
        const std::string name = to_string(ctx, name_node, name_path, expected);
        const auto rule = alternative_with_id<ConnectionRule>(name);
        if (!rule) ctx.fail(name_node, name_path, unknown_name("connection rule", name, rules));
        return *rule;
    };
    element.add("connection", &node, &node, path);

    if (node.is_string()) {
        ConnectionRule rule = rule_of(node, path);
        std::visit(
            [&](auto& r) {
                for (const auto& key : keys_of(r)) {
                    if (required_connection_field(key)) {
                        const std::string id(r.id);
                        ctx.fail(node, path,
                                 fmt::format("{} needs {}: write connection = {{ rule = \"{}\", "
                                             "{} = ... }}",
                                             id, key, id, key));
                    }
                }
                read_fields(Table{ctx, state.empty, path}, r, &element, &node, "connection.");
            },
            rule);
        return rule;
    }
    const Table t = as_table(ctx, node, path, expected);
    if (t.find("rule") == nullptr) {  // a misspelt rule key is reported as such
        t.reject_unknown(keys_of_any<ConnectionRule>({"rule"}));
    }
    ConnectionRule rule =
        rule_of(t.require("rule", fmt::format("a string, {}", one_of(rules))), t.key_path("rule"));
    std::visit(
        [&](auto& r) {
            std::vector<std::string> valid{"rule"};
            std::ranges::copy(keys_of(r), std::back_inserter(valid));
            t.reject_unknown(valid);
            for (const auto& key : keys_of(r)) {
                if (required_connection_field(key)) {
                    t.require(key, key == "p"   ? "a probability in [0, 1]"
                                   : key == "k" ? "an integer, the in-degree"
                                   : key == "n" ? "an integer, the number of synapses"
                                                : "an array of neuron indices");
                }
            }
            read_fields(t, r, &element, &node, "connection.");
        },
        rule);
    return rule;
}

PlasticityParams read_plasticity(LoadState& state, const toml::node& node, const std::string& path,
                                 Element& element) {
    const Context& ctx = state.ctx;
    static const std::vector<std::string> rules = alternative_ids<PlasticityParams>();
    const std::string expected = fmt::format(
        "a rule name or a table {{ rule = ..., <parameters> }}, rule {}", one_of(rules));
    const auto rule_of = [&](const toml::node& name_node, const std::string& name_path) {
        const std::string name = to_string(ctx, name_node, name_path, expected);
        const auto rule = alternative_with_id<PlasticityParams>(name);
        if (!rule) ctx.fail(name_node, name_path, unknown_name("plasticity rule", name, rules));
        return *rule;
    };
    if (node.is_string()) {
        PlasticityParams rule = rule_of(node, path);
        std::visit(
            [&](auto& r) {
                read_fields(Table{ctx, state.empty, path}, r, &element, &node, "plasticity.");
            },
            rule);
        return rule;
    }
    const Table t = as_table(ctx, node, path, expected);
    if (t.find("rule") == nullptr) t.reject_unknown(keys_of_any<PlasticityParams>({"rule"}));
    PlasticityParams rule =
        rule_of(t.require("rule", fmt::format("a string, {}", one_of(rules))), t.key_path("rule"));
    std::visit(
        [&](auto& r) {
            std::vector<std::string> valid{"rule"};
            std::ranges::copy(keys_of(r), std::back_inserter(valid));
            t.reject_unknown(valid);
            read_fields(t, r, &element, &node, "plasticity.");
        },
        rule);
    return rule;
}

void read_projection(LoadState& state, const Table& t, const std::string& name) {
    const Context& ctx = state.ctx;
    ProjectionSpec proj;
    proj.name = name;
    proj.delay_ms = Distribution::constant(state.scenario.network.dt_ms);

    // The weight key depends on the target; suggest it when the target is known.
    std::vector<std::string> valid = names_of(projection_special_keys);
    std::erase(valid, std::string("weight_<unit>"));
    std::ranges::copy(keys_of(proj), std::back_inserter(valid));
    std::vector<std::string> with_weight = valid;
    std::string target_unit;
    if (const auto* post = t.find("post"); post != nullptr && post->is_string()) {
        if (const auto* pop = state.population(post->as_string()->get())) {
            target_unit = weight_unit(pop->model);
        }
    }
    if (target_unit.empty()) {
        std::ranges::copy(all_weight_keys(), std::back_inserter(with_weight));
    } else {
        with_weight.push_back("weight_" + target_unit);
    }
    t.reject_unknown(with_weight, is_weight_key);

    Element element(&t.table, t.path);
    const PopulationSpec& pre = population_ref(state, t, "pre");
    const PopulationSpec& post = population_ref(state, t, "post");
    proj.pre = pre.name;
    proj.post = post.name;
    element.add("pre", t.find("pre"), &t.table, t.key_path("pre"));
    element.add("post", t.find("post"), &t.table, t.key_path("post"));
    if (!is_neuron_model(post.model)) {
        ctx.fail(
            *t.find("post"), t.key_path("post"),
            fmt::format("'{}' is a {} source, which takes no input (expected a neuron "
                        "population, {})",
                        post.name, model_id(post.model), one_of(state.population_names(true))));
    }
    read_weight(ctx, t, proj, post, element);
    if (const auto* delay = t.find("delay_ms")) {
        proj.delay_ms = to_distribution(ctx, *delay, t.key_path("delay_ms"), "ms");
    }
    element.add("delay_ms", t.find("delay_ms"), &t.table, t.key_path("delay_ms"));
    read_fields(t, proj, &element, &t.table);
    if (const auto* connection = t.find("connection")) {
        proj.connection = read_connection(state, *connection, t.key_path("connection"), element);
    }
    const toml::node* plasticity = t.find("plasticity");
    element.add("plasticity", plasticity, &t.table, t.key_path("plasticity"));
    if (plasticity != nullptr) {
        proj.plasticity = read_plasticity(state, *plasticity, t.key_path("plasticity"), element);
    }

    check_in(ctx, element, [&] {
        // Only the populations it connects.
        NetworkSpec alone{.dt_ms = state.scenario.network.dt_ms,
                          .seed = state.scenario.network.seed};
        for (const PopulationSpec* pop : {&pre, &post}) {
            if (!alone.populations.empty() && pop->name == alone.populations[0].name) break;
            PopulationSpec copy = *pop;  // spike trains are not needed here
            if (std::holds_alternative<SpikeTrainSourceParams>(copy.model)) {
                copy.model = SpikeTrainSourceParams{};
            }
            alone.populations.push_back(std::move(copy));
        }
        alone.projections.push_back(proj);
        alone.validate();
    });
    state.elements.insert_or_assign({"projection", proj.resolved_name()}, std::move(element));
    state.scenario.network.projections.push_back(std::move(proj));
}

}  // namespace

void read_projections(LoadState& state, const Table& top) {
    const toml::node* node = top.find("projections");
    if (node == nullptr) return;
    const Table projections = as_table(state.ctx, *node, top.key_path("projections"));
    for (const auto& [key, value] : projections.table) {
        const std::string path = projections.key_path(key.str());
        state.check_name(value, path, key.str(), "projection");
        read_projection(state, as_table(state.ctx, value, path), std::string(key.str()));
    }
}

}  // namespace spikerate::sim::io::reader
