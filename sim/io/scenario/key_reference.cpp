#include "sim/io/key_reference.hpp"

#include <algorithm>
#include <type_traits>
#include <variant>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "models/optimizer.hpp"
#include "models/rate_network.hpp"
#include "sim/io/scenario.hpp"
#include "sim/io/scenario/fields.hpp"
#include "sim/io/scenario/special_keys.hpp"
#include "sim/recording_spec.hpp"
#include "sim/task/task_spec.hpp"
#include "sim/train/diehl_cook_2015.hpp"
#include "sim/train/gradient_trainer.hpp"
#include "sim/train/stdp_trainer.hpp"

namespace spikerate::sim::io {

namespace {

// One row per field of `params`, with its current value as the default.
template <class Params>
void add_rows(std::vector<KeyRow>& rows, Params params) {
    params.visit_fields([&](std::string_view name, auto& field, const auto& extra,
                            std::string_view doc) {
        using Field = std::decay_t<decltype(field)>;
        using Extra = std::decay_t<decltype(extra)>;
        std::string text(doc);
        if constexpr (!fields::is_unit<Extra>) {
            std::vector<std::string> quoted;
            for (const auto& label : fields::labels_of(extra)) {
                quoted.push_back(fmt::format("\"{}\"", label));
            }
            text = fmt::format("{}{}", fmt::join(quoted, ", "), text.empty() ? "" : "; " + text);
        }
        rows.push_back(KeyRow{fields::key_of(name, extra), fields::type_of<Field>(),
                              fields::unit_of(extra), fields::value_text(field, extra), text});
    });
}

template <class Keys>
void add_special(std::vector<KeyRow>& rows, const Keys& keys) {
    for (const SpecialKey& k : keys) {
        rows.push_back(KeyRow{std::string(k.key), std::string(k.type), std::string(k.unit),
                              std::string(k.default_value), std::string(k.doc)});
    }
}

// f(alternative) for each alternative of Variant that a scenario names (all but NoPlasticity,
// the static synapse), default-constructed. One function call per alternative in the pack
// expansion: clang 14 crashes on a lambda there.
template <class Alternative, class F>
void call_if_named(F& f) {
    if constexpr (!std::is_same_v<Alternative, NoPlasticity>) f(Alternative{});
}

template <class Variant, class F>
void for_each_named_alternative(F&& f) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (call_if_named<std::variant_alternative_t<I, Variant>>(f), ...);
    }
    (std::make_index_sequence<std::variant_size_v<Variant>>{});
}

template <class Variant>
std::vector<std::string> quoted_ids() {
    std::vector<std::string> ids;
    for_each_named_alternative<Variant>([&](const auto& alternative) {
        using Alternative = std::decay_t<decltype(alternative)>;
        if constexpr (requires { Alternative::id; }) {
            ids.push_back(fmt::format("`\"{}\"`", Alternative::id));
        } else {
            ids.push_back(fmt::format("`\"{}\"`", id_of<Alternative>()));
        }
    });
    return ids;
}

// One section per alternative of a variant of the catalog (models, rules).
template <class Variant, class Describe>
void add_alternatives(std::vector<KeySection>& sections, Describe&& describe) {
    for_each_named_alternative<Variant>([&](const auto& alternative) {
        KeySection section;
        section.level = 3;
        describe(section, alternative);
        sections.push_back(std::move(section));
    });
}

// "Leaky ..." from "leaky ...": a summary opens a paragraph.
std::string sentence(std::string_view summary) {
    std::string text(summary);
    if (!text.empty() && text[0] >= 'a' && text[0] <= 'z')
        text[0] = static_cast<char>(text[0] - 'a' + 'A');
    return text;
}

std::string state_variable_list(const PopulationModel& model) {
    std::vector<std::string> vars;
    for (const auto& var : state_variables(model)) {
        vars.push_back(fmt::format("`{}` ({})", var.name, var.unit));
    }
    return fmt::format("{}", fmt::join(vars, ", "));
}

}  // namespace

std::vector<KeySection> key_reference() {
    std::vector<KeySection> sections;
    const auto section = [&](std::string heading, std::string intro, int level = 2) -> KeySection& {
        sections.push_back(KeySection{std::move(heading), level, std::move(intro), {}});
        return sections.back();
    };

    add_rows(section("[run]", "The whole table is optional.").rows, RunSpec{});

    {
        auto& s = section("[populations.<name>]",
                          fmt::format("At least one, unless the scenario only trains networks on a "
                                      "task. `model` is one of {}.",
                                      fmt::join(quoted_ids<PopulationModel>(), ", ")));
        add_special(s.rows, population_special_keys);
        add_rows(s.rows, PopulationSpec{});
    }
    add_alternatives<PopulationModel>(sections, [](KeySection& s, const auto& params) {
        using Params = std::decay_t<decltype(params)>;
        s.heading = fmt::format("model = \"{}\"", id_of<Params>());
        const PopulationModel model{params};
        if constexpr (NeuronParams<Params>) {
            const std::string_view current = current_unit(model);
            s.intro =
                fmt::format("{}. Weights onto it in **{}**{}. State variables: {}.",
                            summary_of<Params>(), weight_unit(model),
                            current.empty() ? std::string("; it takes no current_noise")
                                            : fmt::format("; current_noise in **{}**", current),
                            state_variable_list(model));
        } else {
            s.intro = fmt::format("A source: {}. It takes no input and has no state.",
                                  summary_of<Params>());
        }
        add_rows(s.rows, params);
        if constexpr (std::is_same_v<Params, SpikeTrainSourceParams>) {
            add_special(s.rows, std::array{spike_file_key});
        }
    });

    {
        auto& s = section("[projections.<name>]",
                          "Optional. The table's name is the projection's (what record.weights "
                          "refers to).");
        add_special(s.rows, projection_special_keys);
        add_rows(s.rows, ProjectionSpec{});
    }
    add_alternatives<ConnectionRule>(sections, [](KeySection& s, const auto& rule) {
        using Rule = std::decay_t<decltype(rule)>;
        s.heading = fmt::format("connection = {{ rule = \"{}\" }}", Rule::id);
        add_rows(s.rows, rule);
        if (s.rows.empty()) s.intro = "No keys.";
    });
    add_alternatives<PlasticityParams>(sections, [](KeySection& s, const auto& params) {
        using Params = std::decay_t<decltype(params)>;
        s.heading = fmt::format("plasticity = {{ rule = \"{}\" }}", id_of<Params>());
        s.intro = fmt::format("{}. Amplitudes and bounds are in the projection's weight unit.",
                              sentence(summary_of<Params>()));
        add_rows(s.rows, params);
    });

    add_rows(section("[modulators.<name>]",
                     "Optional. Neuromodulator events (e.g. dopamine, a reward) reaching every "
                     "synapse of the target projections, whose rule takes a modulator "
                     "(reward_stdp): at given times and/or after a spike pairing (a spike of "
                     "pre_node, then one of post_node within window_ms: an event after a delay "
                     "uniform in [delay_min_ms, delay_max_ms], Izhikevich 2007).")
                 .rows,
             ModulatorSpec{});
    add_special(section("[record]", "Optional.").rows, std::array{record_spikes_key});
    add_rows(section("[record.weights.<report>]",
                     "The weights of one projection every every_ms, to /report/<report> (one node "
                     "per postsynaptic neuron, one element per synapse onto it).")
                 .rows,
             WeightReportSpec{});
    add_rows(section("[record.state.<report>]",
                     "One state variable of chosen neurons every every_ms, to /report/<report>. "
                     "Report names are unique across weights and state.")
                 .rows,
             StateReportSpec{});

    {
        auto& s = section("[task]",
                          "What the networks learn; needed by [rate.<name>] and "
                          "[spiking.<name>].");
        add_rows(s.rows, task::TaskSpec{});
        add_special(s.rows, task_special_keys);
    }
    const task::TaskSpec task_defaults;
    add_rows(section("[task.bars]", "", 3).rows, task_defaults.bars);
    add_rows(section("[task.gaussian_clusters]", "", 3).rows, task_defaults.gaussian_clusters);
    add_rows(section("[task.xor]", "", 3).rows, task_defaults.xor_task);
    add_rows(section("[task.timing_classes]", "", 3).rows, task_defaults.timing_classes);

    add_rows(section("[training]",
                     "The schedule on the axis every paradigm shares: training "
                     "examples seen. Optional.")
                 .rows,
             train::TrainingSchedule{});
    {
        auto& s = section("[rate.<name>]",
                          "A rate network trained by backpropagation with mini-batches; its input "
                          "and output sizes are the task's. Every key is optional.");
        const train::RateNetworkSpec defaults;
        add_rows(s.rows, defaults.network);
        add_rows(s.rows, defaults.optimizer);
        add_rows(s.rows, defaults);
    }
    {
        auto& s = section(
            "[spiking.<name>]",
            "A spiking network that learns the task without labels (its plasticity acts on every "
            "example seen), then is labelled (its readout fitted to the labelled examples the "
            "budget allows) and tested at every point of [training]. The network is described in "
            "[spiking.<name>.populations.<pop>] and [spiking.<name>.projections.<proj>] tables "
            "(the keys of [populations.<name>] and [projections.<name>]; a spike_train input "
            "gives times_ms = [] and node_ids = []). Or a preset is named with architecture: its "
            "keys below; the resolved scenario holds the description it expands into.");
        add_rows(s.rows, train::SpikingNetworkSpec{});
        auto& preset = section("[spiking.<name>] with architecture = \"diehl_cook_2015\"",
                               "Diehl & Cook (2015): its parameters, besides readout, "
                               "linear_epochs, linear_learning_rate, assignment_examples, threads, "
                               "record_weights, spike_windows, encoder (poisson_rate or latency: "
                               "the input is then a spike_train), latency_t_max_ms and "
                               "latency_threshold from the table above.",
                               3);
        const train::DiehlCook2015Params defaults;
        add_special(preset.rows, spiking_special_keys);
        add_rows(preset.rows, defaults);
        add_rows(section("[spiking.<name>.exc]",
                         "Preset: the excitatory neurons, the keys of lif_cond, with these "
                         "defaults.",
                         3)
                     .rows,
                 defaults.exc);
        add_rows(section("[spiking.<name>.inh]",
                         "Preset: the inhibitory neurons, the keys of lif_cond, with these "
                         "defaults.",
                         3)
                     .rows,
                 defaults.inh);
        add_rows(
            section("[spiking.<name>.stdp]",
                    "Preset: the input -> exc plasticity, the keys of nearest_triplet_stdp.", 3)
                .rows,
            defaults.stdp);
    }
    return sections;
}

std::string key_reference_markdown() {
    std::string out;
    for (const auto& s : key_reference()) {
        out += fmt::format("{} `{}`\n\n", s.level == 2 ? "###" : "####", s.heading);
        if (!s.intro.empty()) out += s.intro + "\n\n";
        if (s.rows.empty()) continue;
        out += "| key | type | unit | default | allowed, meaning |\n|---|---|---|---|---|\n";
        for (const auto& r : s.rows) {
            const auto cell = [](const std::string& text) {
                std::string escaped;
                for (const char c : text) {
                    if (c == '|') escaped += '\\';
                    escaped += c;
                }
                return escaped;
            };
            const bool literal = r.default_value != "required" && !r.default_value.empty() &&
                                 r.default_value.find(' ') == std::string::npos;
            out +=
                fmt::format("| `{}` | {} | {} | {} | {} |\n", r.key, r.type, r.unit,
                            literal ? fmt::format("`{}`", r.default_value) : cell(r.default_value),
                            cell(r.doc));
        }
        out += "\n";
    }
    return out;
}

std::string key_reference_text() {
    std::string out;
    for (const auto& s : key_reference()) {
        out += fmt::format("{}{}\n", s.level == 2 ? "" : "  ", s.heading);
        std::size_t width = 0;
        for (const auto& r : s.rows) width = std::max(width, r.key.size());
        for (const auto& r : s.rows) {
            std::string unit = r.unit.empty() ? "" : fmt::format(" [{}]", r.unit);
            out += fmt::format("    {:<{}}  {}{}, default {}: {}\n", r.key, width, r.type, unit,
                               r.default_value.empty() ? "none" : r.default_value, r.doc);
        }
    }
    return out;
}

}  // namespace spikerate::sim::io
