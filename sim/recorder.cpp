#include "recorder.hpp"

#include "sim/checkpoint.hpp"

#include <algorithm>
#include <numeric>
#include <tuple>

namespace spikerate::sim {

ReportLayout weight_report_layout(const Projection& projection, std::vector<std::uint32_t> posts,
                                  std::vector<std::size_t>& synapses) {
    const std::uint32_t n_post = projection.post().size();
    if (posts.empty()) {
        posts.resize(n_post);
        std::iota(posts.begin(), posts.end(), 0U);
    }
    // Synapses onto each recorded neuron, ordered by presynaptic neuron.
    std::vector<std::vector<std::size_t>> incoming(n_post);
    for (std::size_t s = 0; s < projection.n_synapses(); ++s) {
        incoming[projection.post_of(s)].push_back(s);
    }
    ReportLayout layout{.units = std::string(projection.post().weight_unit()),
                        .index_pointers = {0}};
    std::vector<std::uint64_t> sources;
    synapses.clear();
    for (const auto post : posts) {
        auto& in = incoming[post];
        std::stable_sort(in.begin(), in.end(), [&](std::size_t a, std::size_t b) {
            return projection.pre_of(a) < projection.pre_of(b);
        });
        layout.node_ids.push_back(post);
        for (const auto s : in) {
            layout.element_ids.push_back(s);
            sources.push_back(projection.pre_of(s));
            synapses.push_back(s);
        }
        layout.index_pointers.push_back(layout.element_ids.size());
    }
    layout.extra_element_mapping.emplace_back("source_node_ids", std::move(sources));
    return layout;
}

std::string described_name(const std::string& network_name, std::string_view local_name) {
    return network_name.empty() ? std::string(local_name)
                                : network_name + "_" + std::string(local_name);
}

void describe_network(const Network& network, const std::string& network_name,
                      RecordingSink& sink) {
    std::uint64_t index = 0;
    for (const auto& population : network.populations()) {
        PopulationDescription d{.name = described_name(network_name, population->name()),
                                .network = network_name,
                                .local_name = population->name(),
                                .index = index++,
                                .model = std::string(population->model_id()),
                                .kind = population->variable_names().empty() ? "source" : "neuron",
                                .size = population->size(),
                                .weight_unit = std::string(population->weight_unit()),
                                .annotations = population->annotations()};
        for (const auto variable : population->variable_names()) {
            d.variables.emplace_back(variable);
            d.variable_units.emplace_back(population->variable_unit(variable));
        }
        sink.describe_population(d);
    }
    for (const auto& projection : network.projections()) {
        sink.describe_projection({.name = described_name(network_name, projection->name()),
                                  .network = network_name,
                                  .local_name = projection->name(),
                                  .pre = described_name(network_name, projection->pre().name()),
                                  .post = described_name(network_name, projection->post().name()),
                                  .synapses = projection->n_synapses(),
                                  .weight_unit = std::string(projection->post().weight_unit()),
                                  .plasticity = std::string(projection->plasticity_id()),
                                  .receptor = projection->receptor() == Receptor::excitatory
                                                  ? "excitatory"
                                                  : "inhibitory"});
    }
}

Recorder::Recorder(const RecordingSpec& spec, const Network& network, RecordingSink& sink,
                   std::size_t buffer_values)
    : sink_(sink), buffer_values_(std::max<std::size_t>(buffer_values, 1)) {
    spec.validate(network.spec());
    const TimeGrid& grid = network.grid();
    const double now = network.time_ms();
    describe_network(network, "", sink_);

    for (const auto& name : spec.spikes) {
        sink_.add_spike_population(name, {.role = "spikes", .population = name});
        spikes_.push_back(SpikeChannel{&network.population(name), {}, {}, {}});
    }

    for (const auto& w : spec.weights) {
        const Projection& projection = network.projection(w.projection);
        WeightChannel channel{&projection, {}, grid.steps_in(w.every_ms, "every_ms"), 0, {}, {}};
        ReportLayout layout = weight_report_layout(projection, w.post_neurons, channel.synapses);
        layout.name = w.name;
        layout.role = {.role = "weights",
                       .population = projection.post().name(),
                       .projection = projection.name()};
        layout.time_start = now;
        layout.time_step = w.every_ms;
        channel.report = sink_.add_report(layout);
        weights_.push_back(std::move(channel));
    }

    for (const auto& st : spec.states) {
        const Population& population = network.population(st.population);
        std::vector<std::uint32_t> neurons = st.neurons;
        if (neurons.empty()) {
            neurons.resize(population.size());
            std::iota(neurons.begin(), neurons.end(), 0U);
        }
        ReportLayout layout{
            .name = st.name,
            .units = std::string(population.variable_unit(st.variable)),
            .role = {.role = "state", .population = st.population, .variable = st.variable},
            .node_ids = {neurons.begin(), neurons.end()},
            .index_pointers = {},
            .element_ids = std::vector<std::uint64_t>(neurons.size(), 0),
            .time_start = now,
            .time_step = st.every_ms};
        layout.index_pointers.resize(neurons.size() + 1);
        std::iota(layout.index_pointers.begin(), layout.index_pointers.end(), std::uint64_t{0});
        states_.push_back(StateChannel{&population,
                                       st.variable,
                                       std::move(neurons),
                                       grid.steps_in(st.every_ms, "every_ms"),
                                       sink_.add_report(layout),
                                       {}});
    }

    // Frame 0: the state before the first step.
    for (auto& w : weights_) push_frame(w, now);
    for (auto& st : states_) push_frame(st);
}

void Recorder::push_frame(WeightChannel& w, double t) {
    w.all_weights.resize(w.projection->n_synapses());
    w.projection->copy_weights_at(w.all_weights, t);
    for (const auto s : w.synapses) w.frames.push_back(static_cast<float>(w.all_weights[s]));
    if (w.frames.size() >= buffer_values_) flush_frames(w.frames, w.report, w.synapses.size());
}

void Recorder::push_frame(StateChannel& st) {
    st.values.resize(st.neurons.size());
    st.population->copy_variable(st.variable, st.neurons, st.values);
    for (const double v : st.values) st.frames.push_back(static_cast<float>(v));
    if (st.frames.size() >= buffer_values_) flush_frames(st.frames, st.report, st.neurons.size());
}

void Recorder::after_step(const Network& network) {
    const TimeGrid& grid = network.grid();
    for (auto& channel : spikes_) {
        // Grid spikes share one time and come by node; precise ones need the sort.
        const auto by_time = [](const Spike& a, const Spike& b) {
            return std::tie(a.time.step, a.time.offset, a.node) <
                   std::tie(b.time.step, b.time.offset, b.node);
        };
        std::span<const Spike> spikes = channel.population->spikes();
        if (!std::is_sorted(spikes.begin(), spikes.end(), by_time)) {
            channel.step_spikes.assign(spikes.begin(), spikes.end());
            std::sort(channel.step_spikes.begin(), channel.step_spikes.end(), by_time);
            spikes = channel.step_spikes;
        }
        for (const Spike& spike : spikes) {
            channel.times_ms.push_back(grid.time(spike.time));
            channel.node_ids.push_back(spike.node);
        }
        if (channel.times_ms.size() >= buffer_values_) {
            sink_.append_spikes(channel.population->name(), channel.times_ms, channel.node_ids);
            channel.times_ms.clear();
            channel.node_ids.clear();
        }
    }
    record_frames(network);
}

void Recorder::record_frames(const Network& network) {
    const std::int64_t step = network.steps_done();
    for (auto& w : weights_) {
        if (step % w.every_steps == 0) push_frame(w, network.time_ms());
    }
    for (auto& st : states_) {
        if (step % st.every_steps == 0) push_frame(st);
    }
}

void Recorder::flush_frames(std::vector<float>& frames, std::size_t report,
                            std::size_t frame_size) {
    if (frames.empty() || frame_size == 0) return;
    sink_.append_frames(report, frames, frames.size() / frame_size);
    frames.clear();
}

void Recorder::flush() {
    for (auto& channel : spikes_) {
        sink_.append_spikes(channel.population->name(), channel.times_ms, channel.node_ids);
        channel.times_ms.clear();
        channel.node_ids.clear();
    }
    for (auto& w : weights_) flush_frames(w.frames, w.report, w.synapses.size());
    for (auto& st : states_) flush_frames(st.frames, st.report, st.neurons.size());
}

void Recorder::save_state(StateWriter& out) const {
    out.tag("recorder");
    out.u64(spikes_.size());
    out.u64(weights_.size());
    out.u64(states_.size());
    for (const auto& channel : spikes_) {
        out.vec(channel.times_ms);
        out.vec(channel.node_ids);
    }
    for (const auto& w : weights_) out.vec(w.frames);
    for (const auto& st : states_) out.vec(st.frames);
}

void Recorder::load_state(StateReader& in) {
    in.tag("recorder");
    if (in.u64() != spikes_.size() || in.u64() != weights_.size() || in.u64() != states_.size()) {
        in.fail("the recorder records other things than this run's");
    }
    for (auto& channel : spikes_) {
        channel.times_ms = in.vec<double>();
        channel.node_ids = in.vec<std::uint64_t>();
        if (channel.times_ms.size() != channel.node_ids.size()) in.fail("recorded spikes");
    }
    const auto frames = [&](std::vector<float>& buffer, std::size_t frame_size) {
        buffer = in.vec<float>();
        if (frame_size == 0 ? !buffer.empty() : buffer.size() % frame_size != 0) {
            in.fail("recorded frames");
        }
    };
    for (auto& w : weights_) frames(w.frames, w.synapses.size());
    for (auto& st : states_) frames(st.frames, st.neurons.size());
}

void SpikeRecorder::record(const TimeGrid& grid) {
    for (const Spike& spike : population_.spikes()) {
        times_ms_.push_back(grid.time(spike.time));
        node_ids_.push_back(spike.node);
    }
}

std::vector<double> SpikeRecorder::times_of(std::uint32_t node) const {
    std::vector<double> times;
    for (std::size_t s = 0; s < node_ids_.size(); ++s) {
        if (node_ids_[s] == node) times.push_back(times_ms_[s]);
    }
    return times;
}

}  // namespace spikerate::sim
