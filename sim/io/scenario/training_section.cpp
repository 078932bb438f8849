// [training]: the schedule on the axis every paradigm shares, training examples seen.

#include "sim/io/scenario/sections.hpp"

namespace spikerate::sim::io::reader {

void read_training(LoadState& state, const Table& top) {
    const Context& ctx = state.ctx;
    const toml::node* node = top.find("training");
    if (node == nullptr) return;
    if (!state.scenario.task)
        ctx.fail(*node, "training", "a training schedule needs a [task] section");
    const Table t = as_table(ctx, *node, "training");
    t.reject_unknown(keys_of(state.scenario.training));
    Element element(node, t.path);
    read_fields(t, state.scenario.training, &element, node);
    check_in(ctx, element, [&] { state.scenario.training.validate(); });
}

}  // namespace spikerate::sim::io::reader
