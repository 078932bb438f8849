// [run]: step, duration, seed, output and timing mode (RunSpec). The whole table is optional.

#include <cmath>
#include <filesystem>

#include <fmt/format.h>

#include "sim/io/scenario/sections.hpp"
#include "sim/time_grid.hpp"

namespace spikerate::sim::io::reader {

namespace {

std::string default_output(const Context& ctx) {
    const std::string stem = std::filesystem::path(ctx.source()).stem().string();
    return (stem.empty() || stem.front() == '<' ? std::string("scenario") : stem) + ".h5";
}

}  // namespace

void read_run(LoadState& state, const Table& top) {
    const Context& ctx = state.ctx;
    RunSpec& run = state.scenario.run;
    const toml::node* node = top.find("run");
    const Table t = node != nullptr ? as_table(ctx, *node, "run") : Table{ctx, state.empty, "run"};
    t.reject_unknown(keys_of(run));
    Element element(node != nullptr ? node : &top.table, "run");
    read_fields(t, run, &element, node != nullptr ? node : &top.table);

    state.output_given = t.find("output") != nullptr;
    check_in(ctx, element, [&] {
        if (!(std::isfinite(run.dt_ms) && run.dt_ms > 0.0)) {
            throw ParamError::value("dt_ms", fmt::format("{} ms: must be > 0", run.dt_ms));
        }
        if (state.output_given && run.output.empty()) {
            throw ParamError::value("output", "must not be empty");
        }
        if (!(std::isfinite(run.duration_ms) && run.duration_ms > 0.0)) {
            throw ParamError::value("duration_ms",
                                    fmt::format("{} ms: must be > 0", run.duration_ms));
        }
        TimeGrid(run.dt_ms).steps_in(run.duration_ms, "duration_ms");
        if (run.threads == 0 || run.threads > NetworkSpec::max_threads) {
            throw ParamError::value("threads", fmt::format("{}: must be in [1, {}]", run.threads,
                                                           NetworkSpec::max_threads));
        }
    });
    if (!state.output_given) run.output = default_output(ctx);
    state.scenario.network.dt_ms = run.dt_ms;
    state.scenario.network.seed = run.seed;
    state.scenario.network.threads = run.threads;
}

}  // namespace spikerate::sim::io::reader
