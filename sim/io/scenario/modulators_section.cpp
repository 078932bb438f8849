// [modulators.<name>]: a source of neuromodulator events (ModulatorSpec): the projections it
// reaches, the value of an event, given times and a pairing reward.

#include "sim/io/scenario/sections.hpp"

namespace spikerate::sim::io::reader {

void read_modulators(LoadState& state, const Table& top) {
    const Context& ctx = state.ctx;
    const toml::node* node = top.find("modulators");
    if (node == nullptr) return;
    const Table modulators = as_table(ctx, *node, top.key_path("modulators"));
    for (const auto& [key, value] : modulators.table) {
        const std::string path = modulators.key_path(key.str());
        state.check_name(value, path, key.str(), "modulator");
        const Table t = as_table(ctx, value, path);
        ModulatorSpec mod;
        mod.name = std::string(key.str());
        t.reject_unknown(keys_of(mod));
        t.require("targets", "an array of projection names");
        Element element(&t.table, t.path);
        read_fields(t, mod, &element, &t.table);
        check_in(ctx, element, [&] { state.scenario.network.validate_modulator(mod); });
        state.elements.insert_or_assign({"modulator", mod.name}, std::move(element));
        state.scenario.network.modulators.push_back(std::move(mod));
    }
}

}  // namespace spikerate::sim::io::reader
