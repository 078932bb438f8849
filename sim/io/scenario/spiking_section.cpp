// [spiking.<name>]: spiking networks that learn the task without labels
// (sim/train/spiking_network_spec.hpp). A section either describes its network
// ([spiking.<name>.populations.<pop>], [spiking.<name>.projections.<proj>], read by the same
// readers as the free-running network's) with its roles, encoder, protocol, phases and readout,
// or names a preset (architecture = "diehl_cook_2015", its parameters as keys and the subtables
// [.exc], [.inh], [.stdp]). A preset is expanded into such a description, written as TOML,
// read back by the general reader, and put into the resolved scenario in place of the preset's
// keys: the resolved scenario loads and runs without the preset.

#include <iterator>
#include <sstream>
#include <type_traits>

#include <fmt/format.h>

#include "sim/io/scenario/sections.hpp"
#include "sim/io/scenario/special_keys.hpp"
#include "sim/train/diehl_cook_2015.hpp"

namespace spikerate::sim::io::reader {

namespace {

// The keys of a preset section that are not the preset's parameters: the readout, the labels,
// threads and recording (the rest of the description is the preset's).
const std::vector<std::string>& preset_passthrough_keys() {
    static const std::vector<std::string> keys{
        "readout",          "linear_epochs",    "linear_learning_rate", "assignment_examples",
        "threads",          "record_weights",   "spike_windows",        "encoder",
        "latency_t_max_ms", "latency_threshold"};
    return keys;
}

// A field's value as TOML text; a floating-point one always spelt as a float (350.0, not 350).
template <class Field, class Extra>
std::string toml_value(const Field& field, const Extra& extra) {
    std::string text = fields::value_text(field, extra);
    if constexpr (std::is_floating_point_v<Field>) {
        if (text.find_first_of(".eEin") == std::string::npos) text += ".0";
    } else if constexpr (fields::IsVector<Field>::value) {
        if constexpr (std::is_floating_point_v<typename Field::value_type>) {
            text = "[";
            for (std::size_t i = 0; i < field.size(); ++i) {
                text += (i > 0 ? ", " : "") + toml_value(field[i], extra);
            }
            text += "]";
        }
    }
    return text;
}

// TOML text of a description struct's fields, one `key = value` line each.
template <class Params>
void write_fields(std::ostringstream& out, Params params) {
    params.visit_fields(
        [&](std::string_view name, const auto& field, const auto& extra, std::string_view /*doc*/) {
            out << fields::key_of(name, extra) << " = " << toml_value(field, extra) << "\n";
        });
}

template <class Params>
std::string inline_fields(Params params) {
    std::string out;
    params.visit_fields(
        [&](std::string_view name, const auto& field, const auto& extra, std::string_view /*doc*/) {
            out += fmt::format(", {} = {}", fields::key_of(name, extra), toml_value(field, extra));
        });
    return out;
}

std::string distribution_text(const Distribution& d) {
    switch (d.kind) {
        case Distribution::Kind::uniform:
            return fmt::format("{{ uniform = [{}, {}] }}", toml_value(d.a, ""),
                               toml_value(d.b, ""));
        case Distribution::Kind::normal:
            return fmt::format("{{ normal = [{}, {}] }}", toml_value(d.a, ""), toml_value(d.b, ""));
        case Distribution::Kind::constant:
            break;
    }
    return toml_value(d.a, "");
}

// `name` as a TOML key (quoted unless bare).
std::string key_text(const std::string& name) {
    const bool bare = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
    });
    return bare ? name : fmt::format("\"{}\"", name);
}

// The whole description of `spec` as the TOML body of its [spiking.<name>] table.
std::string description_text(const train::SpikingNetworkSpec& spec) {
    std::ostringstream out;
    // The reward readout's keys only where it is the readout (a preset's expansion, e.g. Diehl &
    // Cook's, reads as it did before the reward readout existed).
    const bool reward = spec.readout == train::SpikingReadout::reward;
    train::SpikingNetworkSpec(spec).visit_fields(
        [&](std::string_view name, const auto& field, const auto& extra, std::string_view /*doc*/) {
            if (!reward && name.starts_with("reward_")) return;
            out << fields::key_of(name, extra) << " = " << toml_value(field, extra) << "\n";
        });
    for (const auto& pop : spec.network.populations) {
        out << "\n[populations." << key_text(pop.name) << "]\n";
        out << "model = \"" << model_id(pop.model) << "\"\nsize = " << pop.size << "\n";
        if (is_neuron_model(pop.model)) write_fields(out, pop);
        std::visit([&](const auto& params) { write_fields(out, params); }, pop.model);
        if (!pop.initial.empty()) {
            const auto vars = state_variables(pop.model);
            std::string initial;
            for (const auto& value : pop.initial) {
                for (const auto& var : vars) {
                    if (var.name != value.variable) continue;
                    initial += fmt::format("{}{} = {}", initial.empty() ? "" : ", ",
                                           fields::key_of(var.name, var.unit),
                                           distribution_text(value.value));
                }
            }
            out << "initial = { " << initial << " }\n";
        }
    }
    for (const auto& proj : spec.network.projections) {
        out << "\n[projections." << key_text(proj.resolved_name()) << "]\n";
        out << "pre = \"" << proj.pre << "\"\npost = \"" << proj.post << "\"\n";
        for (const auto& pop : spec.network.populations) {
            if (pop.name == proj.post) {
                out << "weight_" << weight_unit(pop.model) << " = "
                    << distribution_text(proj.weight) << "\n";
            }
        }
        out << "delay_ms = " << distribution_text(proj.delay_ms) << "\n";
        write_fields(out, proj);
        std::visit(
            [&](const auto& rule) {
                out << "connection = { rule = \"" << rule.id << "\"" << inline_fields(rule)
                    << " }\n";
            },
            proj.connection);
        if (plasticity_id(proj.plasticity) != "none") {
            std::visit(
                [&](const auto& rule) {
                    out << "plasticity = { rule = \"" << plasticity_id(proj.plasticity) << "\""
                        << inline_fields(rule) << " }\n";
                },
                proj.plasticity);
        }
    }
    return out.str();
}

// A section that describes its network: the general reader.
train::SpikingNetworkSpec read_description(LoadState& state, const Table& t,
                                           const std::string& name) {
    const Context& ctx = state.ctx;
    train::SpikingNetworkSpec spec;
    spec.name = name;
    std::vector<std::string> valid = keys_of(spec);
    valid.emplace_back("populations");
    valid.emplace_back("projections");
    t.reject_unknown(valid);
    Element element(&t.table, t.path);
    read_fields(t, spec, &element, &t.table);

    // The network, read as the free-running one is, with this section's step.
    LoadState network(ctx);
    network.scenario.run = state.scenario.run;
    network.scenario.run.mode = RunSpec::Mode::grid;
    network.scenario.network.dt_ms = spec.dt_ms;
    network.scenario.network.seed = state.scenario.network.seed;
    check_in(ctx, element, [&] {
        if (!(spec.dt_ms > 0.0)) throw ParamError::value("dt_ms", "must be > 0");
    });
    read_populations(network, t);
    read_projections(network, t);
    if (!network.spike_files.empty()) {
        const auto& pop = network.spike_files.begin()->first;
        ctx.fail(*t.find("populations"), t.key_path("populations." + pop + ".file"),
                 "a spiking learner's network reads no spike-train files (its input is the "
                 "task's: give times_ms = [] and node_ids = [])");
    }
    validate_all(network);
    spec.network = std::move(network.scenario.network);
    check_in(ctx, element, [&] {
        spec.validate();
        // A reward readout learns from one reward per example seen: its labels are fixed by the
        // examples it trained on, and a label budget cannot be applied to it afterwards.
        if (spec.readout == train::SpikingReadout::reward &&
            !state.scenario.training.label_budgets.empty()) {
            throw ParamError::value(
                "readout",
                "\"reward\": learns from a reward per example seen (each a label), "
                "so training.label_budgets cannot apply to it; remove the budgets or "
                "use readout = \"label_assignment\" or \"linear\"");
        }
    });
    for (auto& [key, located] : network.elements) {
        state.elements.insert_or_assign({"spiking/" + name + "/" + key.first, key.second},
                                        std::move(located));
    }
    state.elements.insert_or_assign({"spiking", name}, std::move(element));
    return spec;
}

// architecture = "diehl_cook_2015": its parameters, then the description it expands into.
toml::table expand_diehl_cook_2015(LoadState& state, const Table& t, const toml::node& value) {
    const Context& ctx = state.ctx;
    train::DiehlCook2015Params params;
    train::SpikingNetworkSpec passthrough;
    std::vector<std::string> valid = keys_of(params);
    std::ranges::copy(preset_passthrough_keys(), std::back_inserter(valid));
    std::ranges::copy(names_of(spiking_special_keys), std::back_inserter(valid));
    t.reject_unknown(valid);
    Element element(&value, t.path);
    read_fields(t, params, &element, &value);
    read_fields(t, passthrough, &element, &value);
    const auto read_part = [&](const char* part, auto& part_params) {
        const toml::node* sub = t.find(part);
        const Table st = sub != nullptr ? as_table(ctx, *sub, t.key_path(part))
                                        : Table{ctx, state.empty, t.key_path(part)};
        st.reject_unknown(keys_of(part_params));
        read_fields(st, part_params, &element, sub != nullptr ? sub : &value,
                    std::string(part) + ".");
    };
    read_part("exc", params.exc);
    read_part("inh", params.inh);
    read_part("stdp", params.stdp);
    if (!state.scenario.task) {
        ctx.fail(value, t.path, "a spiking network learns a task: the scenario needs [task]");
    }
    const std::uint32_t n_inputs = state.scenario.task->n_inputs();
    train::SpikingNetworkSpec spec;
    check_in(ctx, element, [&] {
        params.validate();
        if (passthrough.encoder == train::SpikeEncoder::spike_pattern) {
            throw ParamError::value("encoder",
                                    "\"spike_pattern\": the preset codes an image's pixels; it "
                                    "takes \"poisson_rate\" or \"latency\"");
        }
        try {
            spec = train::diehl_cook_2015_learner(params, n_inputs, state.scenario.network.seed,
                                                  passthrough);
        } catch (const ParamError& e) {  // the network of that size (memory, synapse counts)
            const std::string detail =
                fmt::format("{} with {} inputs: {}", params.n_exc, n_inputs, e.what());
            throw ParamError("n_exc", std::nullopt, "n_exc = " + detail, detail);
        }
    });
    const std::string text = description_text(spec);
    const std::string source =
        fmt::format("{}: {} (the diehl_cook_2015 preset's description)", ctx.where(value), t.path);
    try {
        return toml::parse(text, source);
    } catch (const toml::parse_error& e) {  // a fault of the writer above, not of the user
        throw Error(fmt::format("{}: line {}: {}", source, e.source().begin.line, e.description()));
    }
}

}  // namespace

void read_spiking_networks(LoadState& state, const Table& top) {
    const Context& ctx = state.ctx;
    const toml::node* node = top.find("spiking");
    if (node == nullptr) return;
    const Table nets =
        as_table(ctx, *node, "spiking", "a table of spiking networks [spiking.<name>]");
    if (nets.table.empty()) {
        ctx.fail(*node, "spiking", "no spiking networks (expected [spiking.<name>] tables)");
    }
    static const std::vector<std::string> architectures{"diehl_cook_2015"};
    for (const auto& [key, value] : nets.table) {
        const std::string path = nets.key_path(key.str());
        const std::string name(key.str());
        state.check_name(value, path, name, "spiking network");
        const Table t = as_table(ctx, value, path);
        const toml::node* architecture = t.find("architecture");
        if (architecture == nullptr) {
            if (t.find("populations") == nullptr) {
                ctx.fail(value, path,
                         fmt::format("describe the network ([{0}.populations.<name>], "
                                     "[{0}.projections.<name>]) or name a preset with "
                                     "architecture ({1})",
                                     path, one_of(architectures)));
            }
            state.scenario.spiking_networks.push_back(read_description(state, t, name));
            continue;
        }
        const std::string preset =
            to_string(ctx, *architecture, t.key_path("architecture"), "an architecture name");
        if (std::find(architectures.begin(), architectures.end(), preset) == architectures.end()) {
            ctx.fail(*architecture, t.key_path("architecture"),
                     unknown_name("architecture", preset, architectures));
        }
        auto& expanded =
            state.expanded_spiking.emplace_back(name, expand_diehl_cook_2015(state, t, value));
        state.scenario.spiking_networks.push_back(
            read_description(state, Table{ctx, expanded.second, path}, name));
    }
}

}  // namespace spikerate::sim::io::reader
