// [spiking.<name>]: spiking networks trained on the task without labels. `architecture` names
// the network; its parameters are keys of the table, the neuron and plasticity parameters
// subtables [spiking.<name>.exc], [.inh] and [.stdp].

#include <iterator>

#include <fmt/format.h>

#include "sim/io/scenario/sections.hpp"
#include "sim/io/scenario/special_keys.hpp"

namespace spikerate::sim::io::reader {

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
        state.check_name(value, path, key.str(), "spiking network");
        const Table t = as_table(ctx, value, path);
        train::SpikingNetworkSpec spec;
        spec.name = std::string(key.str());
        const toml::node* architecture = t.find("architecture");
        if (architecture == nullptr) {
            ctx.fail(value, path,
                     fmt::format("missing key 'architecture' ({})", one_of(architectures)));
        }
        const std::string name =
            to_string(ctx, *architecture, t.key_path("architecture"), "an architecture name");
        if (std::find(architectures.begin(), architectures.end(), name) == architectures.end()) {
            ctx.fail(*architecture, t.key_path("architecture"),
                     unknown_name("architecture", name, architectures));
        }
        std::vector<std::string> valid = keys_of(spec.architecture);
        std::ranges::copy(keys_of(spec), std::back_inserter(valid));
        std::ranges::copy(names_of(spiking_special_keys), std::back_inserter(valid));
        t.reject_unknown(valid);
        Element element(&value, path);
        read_fields(t, spec.architecture, &element, &value);
        read_fields(t, spec, &element, &value);
        const toml::node* const table = &value;  // clang before 16 cannot capture a binding
        const auto read_part = [&](const char* part, auto& params) {
            const toml::node* sub = t.find(part);
            const Table st = sub != nullptr ? as_table(ctx, *sub, t.key_path(part))
                                            : Table{ctx, state.empty, t.key_path(part)};
            st.reject_unknown(keys_of(params));
            read_fields(st, params, &element, sub != nullptr ? sub : table,
                        std::string(part) + ".");
        };
        read_part("exc", spec.architecture.exc);
        read_part("inh", spec.architecture.inh);
        read_part("stdp", spec.architecture.stdp);
        check_in(ctx, element, [&] { spec.validate(); });
        state.elements.insert_or_assign({"spiking", spec.name}, std::move(element));
        state.scenario.spiking_networks.push_back(std::move(spec));
    }
}

}  // namespace spikerate::sim::io::reader
