// [task]: the data set both paradigms learn, with a generated set's parameters in
// [task.<dataset>] (e.g. [task.bars]).

#include <fmt/format.h>

#include "sim/io/scenario/sections.hpp"
#include "sim/io/scenario/special_keys.hpp"

namespace spikerate::sim::io::reader {

void read_task(LoadState& state, const Table& top) {
    const Context& ctx = state.ctx;
    const toml::node* node = top.find("task");
    if (node == nullptr) {
        if (const auto* rate = top.find("rate")) {
            ctx.fail(*rate, "rate",
                     "rate networks need a [task] section (e.g. dataset = \"mnist\")");
        }
        if (const auto* spiking = top.find("spiking")) {
            ctx.fail(*spiking, "spiking",
                     "spiking networks need a [task] section (e.g. dataset = \"mnist\")");
        }
        return;
    }
    const Table t = as_table(ctx, *node, "task");
    task::TaskSpec spec;
    std::vector<std::string> valid = keys_of(spec);
    std::ranges::copy(names_of(task_special_keys), std::back_inserter(valid));
    for (const auto& [name, kind] : task::dataset_kinds) {
        if (kind != task::DatasetKind::mnist) valid.emplace_back(name);
    }
    t.reject_unknown(valid);
    Element element(node, t.path);
    read_fields(t, spec, &element, node);
    const std::string dataset = task::dataset_name(spec.dataset);
    for (const auto& [name, kind] : task::dataset_kinds) {
        const toml::node* params = t.find(name);
        if (params != nullptr && kind != spec.dataset) {
            ctx.fail(*params, t.key_path(name),
                     fmt::format("parameters of '{}' given, but dataset = \"{}\"", name, dataset));
        }
    }
    if (const auto* dir = t.find("data_dir")) {
        const std::string text = to_string(ctx, *dir, t.key_path("data_dir"), "a directory");
        if (spec.dataset != task::DatasetKind::mnist) {
            ctx.fail(*dir, t.key_path("data_dir"),
                     fmt::format("only the mnist dataset is read from files (dataset = \"{}\")",
                                 dataset));
        }
        if (text.empty()) ctx.fail(*dir, t.key_path("data_dir"), "must not be empty");
        state.data_dir = text;
        spec.data_dir = ctx.base_dir() / text;
    }
    const auto read_dataset_params = [&](auto& params) {
        const toml::node* sub = t.find(dataset);
        const Table st = sub != nullptr ? as_table(ctx, *sub, t.key_path(dataset))
                                        : Table{ctx, state.empty, t.key_path(dataset)};
        st.reject_unknown(keys_of(params));
        Element sub_element(sub != nullptr ? sub : node, st.path);
        read_fields(st, params, &sub_element, sub != nullptr ? sub : node);
        read_fields(st, params, &element, sub != nullptr ? sub : node, dataset + ".");
        check_in(ctx, sub_element, [&] { params.validate(); });
    };
    switch (spec.dataset) {
        case task::DatasetKind::mnist:
            break;
        case task::DatasetKind::bars:
            read_dataset_params(spec.bars);
            break;
        case task::DatasetKind::gaussian_clusters:
            read_dataset_params(spec.gaussian_clusters);
            break;
        case task::DatasetKind::xor_task:
            read_dataset_params(spec.xor_task);
            break;
        case task::DatasetKind::timing_classes:
            read_dataset_params(spec.timing_classes);
            break;
    }
    check_in(ctx, element, [&] { spec.validate(); });
    state.elements.insert_or_assign({"task", ""}, std::move(element));
    state.scenario.task = std::move(spec);
}

}  // namespace spikerate::sim::io::reader
