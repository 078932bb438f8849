#pragma once

#include <cstdint>
#include <numeric>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/network.hpp"
#include "sim/recording_spec.hpp"
#include "sim/time_grid.hpp"

namespace spikerate::sim {

// Collects the spikes of one population in memory, in emission order (by step, then node).
class SpikeRecorder {
  public:
    explicit SpikeRecorder(const Population& population) : population_(population) {}
    void record(const TimeGrid& grid);  // appends the population's spikes of the last step

    const std::vector<double>& times_ms() const { return times_ms_; }
    const std::vector<std::uint32_t>& node_ids() const { return node_ids_; }
    // Spike times of one neuron [ms].
    std::vector<double> times_of(std::uint32_t node) const;

  private:
    const Population& population_;
    std::vector<double> times_ms_;
    std::vector<std::uint32_t> node_ids_;
};

// What a frame report or a spike group holds, written as attributes of /report/<name> or
// /spikes/<name> (sim/io/FORMAT.md, "What the file describes"). Nothing is written for an empty
// role; with a role, `network` and `role` are written, the other fields when set.
struct RecordRole {
    std::string network;     // the learner that wrote it ([spiking.<n>], [rate.<n>]); "" = none
    std::string role;        // e.g. "spikes", "state", "weights", "input_weights"
    std::string population;  // the nodes' population, a name under /populations
    std::string projection;  // weight reports of a projection: a name under /projections
    std::string variable;    // state reports: the state variable
    std::vector<std::uint64_t> input_shape;  // weights from a task's input: {28, 28}, or {n}
    std::uint64_t layer = 0;                 // rate-network layers: 1 = after the input; 0 = none
};

// A population of a network the run builds, written as /populations/<name> (FORMAT.md).
struct PopulationDescription {
    std::string name;         // in the file: "<network>_<local_name>", or local_name alone
    std::string network;      // the learner whose network it is; "" = the scenario's network
    std::string local_name;   // its name within its network
    std::uint64_t index = 0;  // its position among its network's populations (creation order)
    std::string model;        // model id, e.g. "lif_cond", "poisson"
    std::string kind;         // "neuron" (it has state variables) or "source" (it has none)
    std::uint64_t size = 0;
    std::string weight_unit;  // of the weights of its incoming projections ("" for sources)
    std::vector<std::string> variables;             // state variables
    std::vector<std::string> variable_units;        // their units, one per variable
    std::vector<PopulationAnnotation> annotations;  // datasets under /populations/<name>
};

// A projection of a network the run builds, written as /projections/<name> (FORMAT.md).
struct ProjectionDescription {
    std::string name;  // as for populations: "<network>_<local_name>", or local_name alone
    std::string network;
    std::string local_name;
    std::string pre;  // names under /populations
    std::string post;
    std::uint64_t synapses = 0;
    std::string weight_unit;  // the postsynaptic model's
    std::string plasticity;   // rule id, "none" for static synapses
    std::string receptor;     // "excitatory" or "inhibitory": the target's receptor it drives
};

// The layout of a SONATA frame report: node k owns elements [index_pointers[k],
// index_pointers[k+1]); one frame holds one value per element.
struct ReportLayout {
    std::string name;                           // /report/<name>
    std::string units;                          // of the data
    RecordRole role;                            // attributes of /report/<name>
    std::vector<std::uint64_t> node_ids;        // one per node
    std::vector<std::uint64_t> index_pointers;  // nodes + 1
    std::vector<std::uint64_t> element_ids;     // one per element (synapse id, or 0 for a neuron)
    // The frames' axis: frame f is taken at time_start + f * time_step, in time_units: "ms"
    // for the spiking network's reports, "examples" (examples seen) for the rate network's.
    double time_start = 0.0;
    double time_step = 1.0;
    std::string time_units = "ms";
    // Further mapping datasets, one value per element, e.g. {"source_node_ids", pre ids}.
    std::vector<std::pair<std::string, std::vector<std::uint64_t>>> extra_element_mapping;

    // Node j (j < n_post) owns the weights from all n_pre sources in order (a receptive field);
    // element_id(i, j) is the stored id of the weight from source i to node j, and the sources
    // go to "source_node_ids". Replaces the mapping.
    template <class ElementId>
    void map_dense_matrix(std::uint64_t n_pre, std::uint64_t n_post, ElementId element_id) {
        node_ids.clear();
        index_pointers.clear();
        element_ids.clear();
        std::vector<std::uint64_t> sources;
        for (std::uint64_t j = 0; j < n_post; ++j) {
            node_ids.push_back(j);
            index_pointers.push_back(j * n_pre);
            for (std::uint64_t i = 0; i < n_pre; ++i) {
                element_ids.push_back(element_id(i, j));
                sources.push_back(i);
            }
        }
        index_pointers.push_back(n_pre * n_post);
        extra_element_mapping = {{"source_node_ids", std::move(sources)}};
    }
    // One value per node 0 .. n - 1 (element id 0). Replaces the mapping.
    void map_one_value_per_node(std::uint64_t n) {
        node_ids.resize(n);
        index_pointers.resize(n + 1);
        std::iota(node_ids.begin(), node_ids.end(), std::uint64_t{0});
        std::iota(index_pointers.begin(), index_pointers.end(), std::uint64_t{0});
        element_ids.assign(n, 0);
        extra_element_mapping.clear();
    }
};

// The layout of a projection's weight report: one node per postsynaptic neuron of `posts` (all
// when empty), its elements the synapses onto it by presynaptic neuron (element id: synapse id,
// mapping/source_node_ids: the presynaptic neuron). `synapses` receives the synapse ids in
// element order, to gather a frame from weights by synapse id. Name and time axis are the
// caller's.
ReportLayout weight_report_layout(const Projection& projection, std::vector<std::uint32_t> posts,
                                  std::vector<std::size_t>& synapses);

// Where recorded data goes: the HDF5 run file (io::RunFileWriter), or memory in tests.
class RecordingSink {
  public:
    virtual ~RecordingSink() = default;
    // The spike group /spikes/<population>, with its role's attributes.
    virtual void add_spike_population(const std::string& population, const RecordRole& role) = 0;
    void add_spike_population(const std::string& population) {
        add_spike_population(population, RecordRole{});
    }
    // Spikes in time order (ties by node id), across calls too.
    virtual void append_spikes(const std::string& population, std::span<const double> times_ms,
                               std::span<const std::uint64_t> node_ids) = 0;
    virtual std::size_t add_report(const ReportLayout& layout) = 0;
    virtual void append_frames(std::size_t report, std::span<const float> frames,
                               std::size_t n_frames) = 0;
    // What the run builds: /populations/<name> and /projections/<name>.
    virtual void describe_population(const PopulationDescription& population) = 0;
    virtual void describe_projection(const ProjectionDescription& projection) = 0;
};

// Describes every population and projection of `network` to `sink`. `network_name` is the
// learner's ("" for the scenario's network); a learner's names get the prefix
// "<network_name>_" in the file, as its spike groups do.
void describe_network(const Network& network, const std::string& network_name, RecordingSink& sink);
// The name in the file of `local_name` of the network `network_name` (see describe_network).
std::string described_name(const std::string& network_name, std::string_view local_name);

// Records what a RecordingSpec asks for while a network runs, buffering a bounded amount
// (buffer_values per spike population or report) before handing it to the sink, so memory does
// not grow with the run's length.
//
// The network is the scenario's: the constructor describes it to the sink (describe_network)
// and gives every spike group and report its role ("spikes", "weights", "state").
//
//   Recorder recorder(spec, net, sink);   // writes frame 0 of every report (t = now)
//   net.run(duration, [&](const Network& n) { recorder.after_step(n); });
//   recorder.flush();                      // hands over what is buffered
class Recorder {
  public:
    Recorder(const RecordingSpec& spec, const Network& network, RecordingSink& sink,
             std::size_t buffer_values = 1 << 16);

    void after_step(const Network& network);
    void flush();  // everything buffered goes to the sink
    // Checkpoints (sim/checkpoint.hpp): what is buffered, not yet handed to the sink. A recorder
    // built again for the same spec and network (its frame 0 taken then) loads it in place of
    // its own buffers.
    void save_state(StateWriter& out) const;
    void load_state(StateReader& in);

  private:
    struct SpikeChannel {
        const Population* population;
        std::vector<Spike> step_spikes;  // reused: one step's spikes, when they need sorting
        std::vector<double> times_ms;
        std::vector<std::uint64_t> node_ids;
    };
    struct WeightChannel {
        const Projection* projection;
        std::vector<std::size_t> synapses;  // gather order: by post neuron, then pre
        std::int64_t every_steps;
        std::size_t report;
        std::vector<float> frames;
        std::vector<double> all_weights;  // the projection's weights by synapse id, this frame
    };
    struct StateChannel {
        // The population's variable, asked for at every frame (copy_variable: a population
        // advanced in parts reads it from them, sim/neuron_population.hpp).
        const Population* population;
        std::string variable;
        std::vector<std::uint32_t> neurons;
        std::int64_t every_steps;
        std::size_t report;
        std::vector<float> frames;
        std::vector<double> values = {};  // this frame's, one per neuron
    };

    void record_frames(const Network& network);
    // Appends one frame (weights as they are at t [ms]); hands over when full.
    void push_frame(WeightChannel& channel, double t);
    void push_frame(StateChannel& channel);
    void flush_frames(std::vector<float>& frames, std::size_t report, std::size_t frame_size);

    RecordingSink& sink_;
    std::size_t buffer_values_;
    std::vector<SpikeChannel> spikes_;
    std::vector<WeightChannel> weights_;
    std::vector<StateChannel> states_;
};

}  // namespace spikerate::sim
