// [rate.<name>]: rate networks trained by backpropagation on the task; the keys of the network,
// its optimiser and its training in one table.

#include <iterator>

#include "sim/io/scenario/sections.hpp"

namespace spikerate::sim::io::reader {

void read_rate_networks(LoadState& state, const Table& top) {
    const Context& ctx = state.ctx;
    const toml::node* node = top.find("rate");
    if (node == nullptr) return;
    const Table rates = as_table(ctx, *node, "rate", "a table of rate networks [rate.<name>]");
    if (rates.table.empty()) {
        ctx.fail(*node, "rate", "no rate networks (expected [rate.<name>] tables)");
    }
    for (const auto& [key, value] : rates.table) {
        const std::string path = rates.key_path(key.str());
        state.check_name(value, path, key.str(), "rate network");
        const Table t = as_table(ctx, value, path);
        train::RateNetworkSpec spec;
        spec.name = std::string(key.str());
        std::vector<std::string> valid = keys_of(spec.network);
        std::ranges::copy(keys_of(spec.optimizer), std::back_inserter(valid));
        std::ranges::copy(keys_of(spec), std::back_inserter(valid));
        t.reject_unknown(valid);
        Element element(&value, path);
        read_fields(t, spec.network, &element, &value);
        read_fields(t, spec.optimizer, &element, &value);
        read_fields(t, spec, &element, &value);
        // Input and output sizes come from the task when it is loaded; any valid size checks
        // the rest now.
        train::RateNetworkSpec sized = spec;
        sized.network.n_inputs = 1;
        sized.network.n_outputs = 2;
        check_in(ctx, element, [&] { sized.validate(); });
        state.elements.insert_or_assign({"rate", spec.name}, std::move(element));
        state.scenario.rate_networks.push_back(std::move(spec));
    }
}

}  // namespace spikerate::sim::io::reader
