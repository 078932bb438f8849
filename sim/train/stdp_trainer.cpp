#include "sim/train/stdp_trainer.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <thread>
#include <utility>
#include <variant>

#include <fmt/format.h>

#include "models/error.hpp"
#include "models/weight_normalisation.hpp"
#include "sim/checkpoint.hpp"
#include "sim/sources.hpp"
#include "sim/task/encoders.hpp"
#include "sim/task/linear_readout.hpp"

namespace spikerate::sim::train {

namespace {

// Evaluation examples per freshly built frozen network (see the header).
constexpr std::size_t evaluation_chunk = 1000;

// What the engine counted so far in a network (examples and presentations are the caller's).
SpikingWork counted_work(const Network& net) {
    SpikingWork work;
    for (const auto& pop : net.populations()) {
        work.neuron_updates += pop->neuron_updates();
        work.population_updates.push_back(pop->neuron_updates());
    }
    for (const auto& proj : net.projections()) {
        work.synaptic_events += proj->synaptic_events();
        work.plasticity_updates += proj->plasticity_updates();
        work.on_post_updates += proj->plasticity_post_updates();
        work.post_terms += proj->post_term_evaluations();
        work.projection_pre_updates.push_back(proj->plasticity_updates() -
                                              proj->plasticity_post_updates() -
                                              proj->plasticity_modulator_updates());
        work.projection_post_updates.push_back(proj->plasticity_post_updates());
        work.projection_post_terms.push_back(proj->post_term_evaluations());
        work.projection_modulator_updates.push_back(proj->plasticity_modulator_updates());
    }
    return work;
}

std::vector<std::uint64_t> minus(const std::vector<std::uint64_t>& a,
                                 const std::vector<std::uint64_t>& b) {
    std::vector<std::uint64_t> out(a);
    for (std::size_t i = 0; i < out.size() && i < b.size(); ++i) out[i] -= b[i];
    return out;
}

// The engine's counts of `after` less those of `before` (examples, presentations and spikes are
// the caller's).
SpikingWork engine_difference(const SpikingWork& after, const SpikingWork& before) {
    SpikingWork work;
    work.synaptic_events = after.synaptic_events - before.synaptic_events;
    work.neuron_updates = after.neuron_updates - before.neuron_updates;
    work.plasticity_updates = after.plasticity_updates - before.plasticity_updates;
    work.on_post_updates = after.on_post_updates - before.on_post_updates;
    work.post_terms = after.post_terms - before.post_terms;
    work.population_updates = minus(after.population_updates, before.population_updates);
    work.projection_pre_updates =
        minus(after.projection_pre_updates, before.projection_pre_updates);
    work.projection_post_updates =
        minus(after.projection_post_updates, before.projection_post_updates);
    work.projection_post_terms = minus(after.projection_post_terms, before.projection_post_terms);
    work.projection_modulator_updates =
        minus(after.projection_modulator_updates, before.projection_modulator_updates);
    return work;
}

void add_into(std::vector<std::uint64_t>& into, const std::vector<std::uint64_t>& other) {
    if (into.size() < other.size()) into.resize(other.size(), 0);
    for (std::size_t i = 0; i < other.size(); ++i) into[i] += other[i];
}

// Shows examples to one network, learning or not, as the protocol in the header says.
class Presenter {
  public:
    Presenter(Network& net, const SpikingNetworkSpec& spec)
        : net_(net),
          spec_(spec),
          poisson_(spec.encoder == SpikeEncoder::poisson_rate
                       ? &net.population_as<PoissonSource>(spec.input)
                       : nullptr),
          train_(spec.encoder != SpikeEncoder::poisson_rate
                     ? &net.population_as<SpikeTrainSource>(spec.input)
                     : nullptr),
          readout_(net.population(spec.readout_population)),
          presentation_steps_(net.grid().steps_in(spec.presentation_ms, "presentation_ms")),
          rest_steps_(net.grid().steps_in(spec.rest_ms, "rest_ms")),
          rates_(net.population(spec.input).size()),
          first_steps_(readout_.size(), -1) {}

    // Presents example `index` of `data` (through the encoder: its inputs in [0, 1], or its
    // spike pattern) until it makes min_spikes readout spikes or max_presentations are used;
    // writes the last presentation's spike count per readout neuron to `counts`.
    // `before_presentation` runs before each presentation (the normalisation), `after_step`
    // after each simulated step (spike recording), `after_presentation` at the end of each
    // presentation, before the rest, told whether it is the last one (the reward). Returns the
    // presentations used. first_spike_steps(): the last presentation's.
    std::uint32_t present(const task::Dataset& data, std::size_t index, const std::string& key,
                          std::span<std::uint32_t> counts,
                          const std::function<void()>& before_presentation,
                          const std::function<void(const Network&)>& after_step,
                          std::uint64_t& spikes,
                          const std::function<void(bool)>& after_presentation = {}) {
        const std::span<const float> x = data.example(index);
        std::uint32_t intensity = spec_.start_intensity;
        for (std::uint32_t presentation = 1;; ++presentation, ++intensity) {
            if (before_presentation) before_presentation();
            if (poisson_ != nullptr) {
                for (std::size_t i = 0; i < rates_.size(); ++i) {
                    rates_[i] = spec_.input_rate(static_cast<double>(x[i]), intensity);
                }
                poisson_->restart_stream(fmt::format("{}/{}", key, presentation));
                poisson_->set_rates(rates_);
            } else if (spec_.encoder == SpikeEncoder::latency) {
                train_->play(task::encode_latency(
                                 x.first(rates_.size()),
                                 task::LatencyEncoderParams{.t_max_ms = spec_.latency_t_max_ms,
                                                            .threshold = spec_.latency_threshold}),
                             net_.steps_done());
            } else {
                train_->play(task::encode_spike_pattern(data.spike_patterns, index),
                             net_.steps_done());
            }
            std::fill(counts.begin(), counts.end(), 0U);
            std::fill(first_steps_.begin(), first_steps_.end(), -1);
            std::uint64_t total = 0;
            for (std::int64_t k = 0; k < presentation_steps_; ++k) {
                net_.step();
                for (const Spike& spike : readout_.spikes()) {
                    if (counts[spike.node]++ == 0) first_steps_[spike.node] = k;
                }
                total += readout_.spikes().size();
                if (after_step) after_step(net_);
            }
            const bool last = total >= spec_.min_spikes || presentation == spec_.max_presentations;
            if (after_presentation) after_presentation(last);
            if (poisson_ != nullptr) poisson_->set_rate(0.0);
            for (std::int64_t k = 0; k < rest_steps_; ++k) {
                net_.step();
                if (after_step) after_step(net_);
            }
            if (last) {
                spikes += total;
                return presentation;
            }
        }
    }
    // Per readout neuron, the step of its first spike in the last presentation (from the
    // presentation's start), -1 if it did not fire.
    std::span<const std::int64_t> first_spike_steps() const { return first_steps_; }

  private:
    Network& net_;
    const SpikingNetworkSpec& spec_;
    PoissonSource* poisson_;
    SpikeTrainSource* train_;
    const Population& readout_;
    std::int64_t presentation_steps_;
    std::int64_t rest_steps_;
    std::vector<double> rates_;
    std::vector<std::int64_t> first_steps_;
};

// Whether a population's model adapts its threshold (a theta that training moves).
bool adapts(const PopulationSpec& pop) {
    return std::visit(
        [](const auto& params) {
            return requires { params.theta_frozen; };
        },
        pop.model);
}

// The network of a phase, with the run's seed; an error building it (a network too large for
// the memory, ...) names the spiking network.
NetworkSpec network_for(const SpikingNetworkSpec& spec, std::uint64_t seed, const char* phase,
                        std::uint32_t threads = 1) {
    NetworkSpec net = spec.network_for_phase(phase);
    net.seed = seed;
    net.dt_ms = spec.dt_ms;
    net.threads = threads;
    return net;
}

}  // namespace

std::optional<std::size_t> reward_winner(std::span<const std::uint32_t> counts,
                                         std::span<const std::int64_t> first_steps,
                                         RewardDecision decision) {
    std::optional<std::size_t> best;
    // Whether neuron j beats neuron b (both fired): by the decision's key, then the other's;
    // equal keys: the lower index, which came first in the loop, stays.
    const auto beats = [&](std::size_t j, std::size_t b) {
        if (decision == RewardDecision::first_spike) {
            if (first_steps[j] != first_steps[b]) return first_steps[j] < first_steps[b];
            return counts[j] > counts[b];
        }
        if (counts[j] != counts[b]) return counts[j] > counts[b];
        return first_steps[j] < first_steps[b];
    };
    for (std::size_t j = 0; j < counts.size(); ++j) {
        if (counts[j] == 0) continue;
        if (!best || beats(j, *best)) best = j;
    }
    return best;
}

std::uint32_t reward_class_of(std::size_t neuron, std::size_t n_neurons, std::size_t n_classes) {
    return static_cast<std::uint32_t>(neuron / (n_neurons / n_classes));
}

SpikingWork& SpikingWork::operator+=(const SpikingWork& other) {
    examples += other.examples;
    presentations += other.presentations;
    synaptic_events += other.synaptic_events;
    neuron_updates += other.neuron_updates;
    plasticity_updates += other.plasticity_updates;
    on_post_updates += other.on_post_updates;
    post_terms += other.post_terms;
    exc_spikes += other.exc_spikes;
    readout_macs_forward += other.readout_macs_forward;
    readout_macs_backward += other.readout_macs_backward;
    readout_weight_updates += other.readout_weight_updates;
    add_into(population_updates, other.population_updates);
    add_into(projection_pre_updates, other.projection_pre_updates);
    add_into(projection_post_updates, other.projection_post_updates);
    add_into(projection_post_terms, other.projection_post_terms);
    add_into(projection_modulator_updates, other.projection_modulator_updates);
    return *this;
}

std::vector<EnergyLine> energy_lines(const SpikingNetworkSpec& spec, const SpikingWork& work) {
    const auto per_example = [&](std::uint64_t total) {
        return work.examples > 0 ? static_cast<double>(total) / static_cast<double>(work.examples)
                                 : 0.0;
    };
    const auto at = [](const std::vector<std::uint64_t>& v, std::size_t i) {
        return i < v.size() ? v[i] : std::uint64_t{0};
    };
    // Neuron updates by (model, integration), in the order the network first has them.
    struct Class {
        std::string model;
        Integration integration;
        std::uint64_t count = 0;
    };
    std::vector<Class> neurons;
    const auto& pops = spec.network.populations;
    for (std::size_t p = 0; p < pops.size(); ++p) {
        if (!is_neuron_model(pops[p].model)) continue;
        Integration integration = pops[p].integration;
        if (integration == Integration::automatic) {
            integration =
                has_exact_propagator(pops[p].model) ? Integration::exact : Integration::rk4;
        }
        const std::string model(model_id(pops[p].model));
        auto it = std::find_if(neurons.begin(), neurons.end(), [&](const Class& c) {
            return c.model == model && c.integration == integration;
        });
        if (it == neurons.end()) {
            neurons.push_back(Class{model, integration});
            it = neurons.end() - 1;
        }
        it->count += at(work.population_updates, p);
    }
    // Plasticity by rule, over the projections that have one in the network.
    struct Rule {
        std::string id;
        std::uint64_t pre = 0, post = 0, terms = 0, modulator = 0;
        bool modulated = false;  // a projection of the rule takes a modulator
    };
    std::vector<Rule> rules;
    const auto& projs = spec.network.projections;
    for (std::size_t q = 0; q < projs.size(); ++q) {
        const std::string id(plasticity_id(projs[q].plasticity));
        if (id == "none") continue;
        auto it =
            std::find_if(rules.begin(), rules.end(), [&](const Rule& r) { return r.id == id; });
        if (it == rules.end()) {
            rules.push_back(Rule{id});
            it = rules.end() - 1;
        }
        it->pre += at(work.projection_pre_updates, q);
        it->post += at(work.projection_post_updates, q);
        it->terms += at(work.projection_post_terms, q);
        it->modulator += at(work.projection_modulator_updates, q);
        it->modulated = it->modulated || takes_modulator(projs[q].plasticity);
    }
    std::vector<EnergyLine> lines{{synaptic_event_cost(), per_example(work.synaptic_events)}};
    for (const auto& c : neurons) {
        const std::string id = neurons.size() == 1 ? "neuron_update"
                                                   : fmt::format("neuron_update_{}_{}", c.model,
                                                                 integration_name(c.integration));
        lines.push_back({neuron_update_cost(c.model, c.integration, id), per_example(c.count)});
    }
    for (const auto& r : rules) {
        const auto named = [&](OperationCost cost) {
            if (rules.size() > 1) cost.id += "_" + r.id;
            return cost;
        };
        lines.push_back({named(plasticity_pre_cost(r.id)), per_example(r.pre)});
        lines.push_back({named(plasticity_post_cost(r.id)), per_example(r.post)});
        lines.push_back({named(plasticity_post_term_cost(r.id)), per_example(r.terms)});
        // Only for a rule that takes a modulator (the tables of the others stay as they were).
        if (r.modulated) {
            lines.push_back({named(plasticity_modulator_cost(r.id)), per_example(r.modulator)});
        }
    }
    // The linear readout's logistic regression, priced as the rate networks' (fp32 MACs, SGD).
    if (spec.readout == SpikingReadout::linear) {
        lines.push_back({mac_forward_cost(), per_example(work.readout_macs_forward)});
        lines.push_back({mac_backward_cost(), per_example(work.readout_macs_backward)});
        lines.push_back({weight_update_cost(models::OptimizerKind::sgd),
                         per_example(work.readout_weight_updates)});
    }
    return lines;
}

StdpTrainer::StdpTrainer(const SpikingNetworkSpec& spec, const task::Dataset& train,
                         const task::Dataset& test, task::ExampleStream stream,
                         const TrainingSchedule& schedule, std::uint64_t seed,
                         RecordingSink* reports, MetricSink* metrics)
    : spec_(spec),
      train_(train),
      test_(test),
      schedule_(schedule),
      stream_(std::move(stream)),
      seed_(seed),
      reports_(reports),
      metrics_(metrics),
      network_((check_fits(spec, train), network_for(spec, seed, "train", spec.threads))),
      label_spec_(network_for(spec, seed, "label")),
      test_spec_(network_for(spec, seed, "test")),
      counts_(network_.population(spec.readout_population).size()),
      labels_(train) {
    spec_.validate();
    schedule_.validate();
    if (spec_.readout == SpikingReadout::reward && !schedule_.label_budgets.empty()) {
        throw ParamError::value(
            "label_budgets",
            fmt::format("{} budget(s): the reward readout of spiking network '{}' learns from a "
                        "reward per example seen, so its labels are the examples it was trained "
                        "on; a budget cannot be applied after the fact",
                        schedule_.label_budgets.size(), spec_.name));
    }
    check_training_data(train, test, stream_);
    if (reports_ != nullptr) describe_network(network_, spec_.name, *reports_);
    // Frame 0: the initial weights, before the first normalisation.
    if (reports_ != nullptr && spec_.record_weights) {
        const double step = schedule_.weights_every > 0
                                ? static_cast<double>(schedule_.weights_every)
                                : static_cast<double>(schedule_.total(train.size()));
        ReportIds ids;
        if (!spec_.learned_projection.empty()) {
            const auto& proj = network_.projection(spec_.learned_projection);
            const std::uint64_t n_pre = proj.pre().size();
            const std::uint64_t n_post = proj.post().size();
            ReportLayout weights{
                .name = spec_.input_weights_report(),
                .units = std::string(proj.post().weight_unit()),
                .role = {.network = spec_.name,
                         .role = "input_weights",
                         .population = described_name(spec_.name, spec_.readout_population),
                         .projection = described_name(spec_.name, spec_.learned_projection),
                         .input_shape = train.input_shape()},
                .time_start = 0.0,
                .time_step = step,
                .time_units = "examples"};
            // Element ids are the projection's synapse ids (dense, row-major [pre][post]).
            weights.map_dense_matrix(
                n_pre, n_post, [&](std::uint64_t i, std::uint64_t j) { return i * n_post + j; });
            ids.weights = reports_->add_report(weights);
        }
        if (!spec_.adaptation_variable.empty()) {
            const auto& readout = network_.population(spec_.readout_population);
            ReportLayout adaptation{
                .name = spec_.adaptation_report(),
                .units = std::string(readout.variable_unit(spec_.adaptation_variable)),
                .role = {.network = spec_.name,
                         .role = "adaptive_threshold",
                         .population = described_name(spec_.name, spec_.readout_population),
                         .variable = spec_.adaptation_variable},
                .time_start = 0.0,
                .time_step = step,
                .time_units = "examples"};
            adaptation.map_one_value_per_node(readout.size());
            ids.adaptation = reports_->add_report(adaptation);
        }
        report_ids_ = ids;
        record_weights();
    }
    if (reports_ != nullptr && !spec_.spike_windows.empty()) {
        reports_->add_spike_population(
            spec_.spike_group(),
            {.network = spec_.name,
             .role = "readout_spikes",
             .population = described_name(spec_.name, spec_.readout_population)});
    }
}

void StdpTrainer::check_fits(const SpikingNetworkSpec& spec, const task::Dataset& train) {
    const auto in_network = [&](const std::string& key, const std::string& detail) {
        const std::string what = fmt::format("{} = {}", key, detail);
        return ParamError(key, std::nullopt, what, detail)
            .in("spiking", spec.name, fmt::format("spiking network '{}'", spec.name));
    };
    try {
        spec.validate();
    } catch (const ParamError& e) {
        throw e.in("spiking", spec.name, fmt::format("spiking network '{}'", spec.name));
    }
    for (const auto& pop : spec.network.populations) {
        if (pop.name == spec.input && pop.size != train.n_inputs()) {
            throw in_network(
                "input", fmt::format("\"{}\": population '{}' has {} neurons, the task {} inputs",
                                     spec.input, pop.name, pop.size, train.n_inputs()));
        }
    }
    if (spec.encoder == SpikeEncoder::spike_pattern) {
        const task::SpikePatterns& patterns = train.spike_patterns;
        if (patterns.empty() || patterns.n_afferents != train.n_inputs()) {
            throw in_network("encoder",
                             fmt::format("\"spike_pattern\": {} has no spike patterns of one "
                                         "afferent per input (a temporal task such as "
                                         "timing_classes)",
                                         train.name));
        }
        if (patterns.duration_ms > spec.presentation_ms) {
            throw in_network("presentation_ms",
                             fmt::format("{} ms: shorter than the task's spike patterns ({} ms)",
                                         spec.presentation_ms, patterns.duration_ms));
        }
    }
    if (spec.readout == SpikingReadout::reward) {
        for (const auto& pop : spec.network.populations) {
            if (pop.name == spec.readout_population &&
                (pop.size < train.n_classes || pop.size % train.n_classes != 0)) {
                throw in_network(
                    "readout_population",
                    fmt::format("\"{}\": {} neurons; readout = \"reward\" needs k neurons per "
                                "class, a multiple of the task's {} classes",
                                pop.name, pop.size, train.n_classes));
            }
        }
    }
    // Every operation the learner counts must have a price (energy.cpp).
    try {
        (void)energy_lines(spec, SpikingWork{});
    } catch (const Error& e) {
        throw in_network("network", e.what());
    }
}

void StdpTrainer::set_threads(std::uint32_t threads) {
    if (threads == 0) throw ParamError::value("threads", "0: must be >= 1");
    spec_.threads = threads;
}

std::string StdpTrainer::metric(const std::string& leaf) const {
    return fmt::format("spiking/{}/{}", spec_.name, leaf);
}

void StdpTrainer::record_weights() {
    if (report_ids_->weights) {
        const auto& proj = network_.projection(spec_.learned_projection);
        const std::size_t n_pre = proj.pre().size();
        const std::size_t n_post = proj.post().size();
        const auto w = proj.weights();
        frame_.resize(n_pre * n_post);
        for (std::size_t j = 0; j < n_post; ++j) {  // node-major: one neuron's receptive field
            for (std::size_t i = 0; i < n_pre; ++i) {
                frame_[j * n_pre + i] = static_cast<float>(w[i * n_post + j]);
            }
        }
        reports_->append_frames(*report_ids_->weights, frame_, 1);
    }
    if (report_ids_->adaptation) {
        const auto values =
            network_.population(spec_.readout_population).variable(spec_.adaptation_variable);
        frame_.assign(values.begin(), values.end());
        reports_->append_frames(*report_ids_->adaptation,
                                std::span<const float>(frame_.data(), values.size()), 1);
    }
    next_weight_frame_ +=
        schedule_.weights_every > 0 ? schedule_.weights_every : schedule_.total(train_.size());
}

bool StdpTrainer::recording_spikes() const {
    for (std::size_t k = 0; k + 1 < spec_.spike_windows.size(); k += 2) {
        if (seen_ >= spec_.spike_windows[k] && seen_ < spec_.spike_windows[k + 1]) return true;
    }
    return false;
}

void StdpTrainer::train_one() {
    const std::size_t index = stream_.index(seen_);

    std::function<void()> normalise;
    if (spec_.weight_sum > 0.0) {
        auto& learned = network_.projection(spec_.learned_projection);
        const models::WeightBounds bounds = spec_.learned_bounds();
        normalise = [&, bounds] {
            weight_normalisation_misses_ += learned.normalise_incoming(spec_.weight_sum, bounds);
        };
    }
    std::function<void(const Network&)> record;
    if (reports_ != nullptr && recording_spikes()) {
        record = [&](const Network& net) {
            for (const Spike& spike : net.population(spec_.readout_population).spikes()) {
                spike_times_.push_back(net.grid().time(spike.time));
                spike_nodes_.push_back(spike.node);
            }
        };
    }
    const SpikingWork before = counted_work(network_);
    Presenter presenter(network_, spec_);
    // The reward readout: at the end of the example's last presentation, the winner decides;
    // the label is read (through the reward) and the reward delivered only if there is one.
    std::function<void(bool)> reward;
    if (spec_.readout == SpikingReadout::reward) {
        reward = [&](bool last) {
            if (!last) return;
            const auto winner =
                reward_winner(counts_, presenter.first_spike_steps(), spec_.reward_decision);
            if (!winner) {
                ++rewards_.undecided;
                return;
            }
            const bool right =
                reward_class_of(*winner, counts_.size(), train_.n_classes) == labels_(index);
            double value = right ? spec_.reward_amount : -spec_.reward_amount;
            if (spec_.reward_window > 0) {
                auto& recent = rewards_.recent;
                const double hits =
                    recent.empty()
                        ? 0.5
                        : static_cast<double>(std::count(recent.begin(), recent.end(), 1)) /
                              static_cast<double>(recent.size());
                value *= right ? 1.0 - hits : hits;
                if (recent.size() == spec_.reward_window) recent.erase(recent.begin());
                recent.push_back(right ? 1 : 0);
            }
            const double t = network_.grid().time(network_.steps_done());
            for (const auto& name : spec_.reward_projections) {
                network_.projection(name).deliver_modulator(value, t);
            }
            ++rewards_.delivered;
            if (right) ++rewards_.positive;
        };
    }
    SpikingWork work;
    work.presentations = presenter.present(train_, index, fmt::format("train/{}", seen_), counts_,
                                           normalise, record, work.exc_spikes, reward);
    work.examples = 1;
    const SpikingWork engine = engine_difference(counted_work(network_), before);
    work.synaptic_events = engine.synaptic_events;
    work.neuron_updates = engine.neuron_updates;
    work.plasticity_updates = engine.plasticity_updates;
    work.on_post_updates = engine.on_post_updates;
    work.post_terms = engine.post_terms;
    work.population_updates = engine.population_updates;
    work.projection_pre_updates = engine.projection_pre_updates;
    work.projection_post_updates = engine.projection_post_updates;
    work.projection_post_terms = engine.projection_post_terms;
    work.projection_modulator_updates = engine.projection_modulator_updates;
    training_work_ += work;
    if (!spike_times_.empty()) {
        reports_->append_spikes(spec_.spike_group(), spike_times_, spike_nodes_);
        spike_times_.clear();
        spike_nodes_.clear();
    }
    ++seen_;
}

void StdpTrainer::train_until(std::uint64_t target, const std::function<bool()>& keep_going) {
    const auto start = std::chrono::steady_clock::now();
    while (seen_ < target) {
        if (keep_going && !keep_going()) break;
        train_one();
        if (report_ids_ && seen_ == next_weight_frame_) record_weights();
    }
    training_seconds_ +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::vector<std::uint32_t> StdpTrainer::frozen_responses(const task::Dataset& data,
                                                         std::size_t count, const char* phase,
                                                         SpikingWork& work,
                                                         const std::function<bool()>& stop) {
    std::vector<std::size_t> indices(count);
    for (std::size_t e = 0; e < count; ++e) indices[e] = e;
    return frozen_responses(data, indices, std::string(phase), work, stop);
}

std::vector<std::uint32_t> StdpTrainer::frozen_responses(
    const task::Dataset& data, std::span<const std::size_t> indices, const std::string& phase,
    SpikingWork& work, const std::function<bool()>& stop, std::vector<std::int64_t>* winners) {
    const std::size_t count = indices.size();
    if (winners != nullptr) winners->assign(count, -1);
    std::atomic<bool> stopped{false};
    const std::size_t n_out = readout_size();
    std::vector<std::uint32_t> responses(count * n_out);
    const std::size_t n_chunks = (count + evaluation_chunk - 1) / evaluation_chunk;
    std::vector<SpikingWork> chunk_work(n_chunks);
    // What training changed and evaluation starts from: the weights of every plastic projection
    // and the theta of every adaptive population.
    // A modulated rule (reward_stdp) applies a reward's weight change lazily, at the synapse's
    // next event: its weights are taken as they are now, the last reward integrated.
    std::vector<std::pair<std::string, std::vector<double>>> trained_weights;
    const double now = network_.grid().time(network_.steps_done());
    for (const auto& proj : spec_.network.projections) {
        if (plasticity_id(proj.plasticity) == "none") continue;
        const auto& live = std::as_const(network_).projection(proj.resolved_name());
        std::vector<double> weights = live.weights();
        if (takes_modulator(proj.plasticity)) live.copy_weights_at(weights, now);
        trained_weights.emplace_back(proj.resolved_name(), std::move(weights));
    }
    std::vector<std::pair<std::string, std::span<const double>>> trained_theta;
    for (const auto& pop : spec_.network.populations) {
        if (adapts(pop)) {
            trained_theta.emplace_back(
                pop.name, std::as_const(network_).population(pop.name).variable("theta"));
        }
    }
    // Chunks in parallel, each copy on one thread; or one chunk at a time, each advanced by
    // parts on every thread.
    const std::size_t n_threads = std::min<std::size_t>(spec_.threads, n_chunks);
    NetworkSpec phase_spec = phase.starts_with("test") ? test_spec_ : label_spec_;
    if (n_threads <= 1) phase_spec.threads = spec_.threads;

    const auto run_chunk = [&](std::size_t chunk) {
        Network copy(phase_spec);
        for (const auto& [name, weights] : trained_weights)
            copy.projection(name).set_weights(weights);
        for (const auto& [name, values] : trained_theta) {
            auto theta = copy.population(name).variable("theta");
            std::copy(values.begin(), values.end(), theta.begin());
        }
        Presenter presenter(copy, spec_);
        SpikingWork& cw = chunk_work[chunk];
        const std::size_t end = std::min(count, (chunk + 1) * evaluation_chunk);
        for (std::size_t e = chunk * evaluation_chunk; e < end; ++e) {
            if (stopped || (stop && stop())) {
                stopped = true;
                return;
            }
            const std::span<std::uint32_t> counts(responses.data() + e * n_out, n_out);
            cw.presentations +=
                presenter.present(data, indices[e], fmt::format("{}/{}", phase, indices[e]), counts,
                                  {}, {}, cw.exc_spikes);
            if (winners != nullptr) {
                const auto winner =
                    reward_winner(counts, presenter.first_spike_steps(), spec_.reward_decision);
                (*winners)[e] = winner ? static_cast<std::int64_t>(*winner) : -1;
            }
            ++cw.examples;
        }
        const SpikingWork engine = counted_work(copy);
        cw.synaptic_events = engine.synaptic_events;
        cw.neuron_updates = engine.neuron_updates;
        cw.plasticity_updates = engine.plasticity_updates;
        cw.on_post_updates = engine.on_post_updates;
        cw.post_terms = engine.post_terms;
        cw.population_updates = engine.population_updates;
        cw.projection_pre_updates = engine.projection_pre_updates;
        cw.projection_post_updates = engine.projection_post_updates;
        cw.projection_post_terms = engine.projection_post_terms;
        cw.projection_modulator_updates = engine.projection_modulator_updates;
    };

    if (n_threads <= 1) {
        for (std::size_t c = 0; c < n_chunks; ++c) run_chunk(c);
    } else {
        std::atomic<std::size_t> next{0};
        std::vector<std::exception_ptr> errors(n_threads);
        std::vector<std::thread> pool;
        for (std::size_t t = 0; t < n_threads; ++t) {
            pool.emplace_back([&, t] {
                try {
                    for (std::size_t c = next++; c < n_chunks; c = next++) run_chunk(c);
                } catch (...) {
                    errors[t] = std::current_exception();
                    next = n_chunks;  // the others stop after their chunk
                }
            });
        }
        for (auto& thread : pool) thread.join();
        for (const auto& error : errors) {
            if (error) std::rethrow_exception(error);
        }
    }
    if (stopped) return {};
    for (const auto& cw : chunk_work) work += cw;
    return responses;
}

const SpikingEvaluation* StdpTrainer::evaluate_and_record(const std::function<bool()>& stop) {
    const auto start = std::chrono::steady_clock::now();
    const std::size_t n_exc = readout_size();
    const std::size_t n_train = train_.size();
    SpikingEvaluation result{.examples_seen = seen_,
                             .confusion = task::ConfusionMatrix(train_.n_classes)};

    // The labelling examples (see the header), in the order their prefixes are used.
    const std::uint64_t cap = spec_.assignment_examples;  // 0 = none
    std::vector<std::size_t> labelling;
    std::size_t n_main = 0;  // the first n_main of them label the main curve
    switch (schedule_.labels) {
        case LabelProtocol::first_examples:
            n_main = cap == 0 ? n_train : std::min<std::size_t>(cap, n_train);
            for (std::size_t e = 0; e < n_main; ++e) labelling.push_back(e);
            break;
        case LabelProtocol::paper:
            n_main = n_train;
            for (std::size_t e = 0; e < n_main; ++e) labelling.push_back(e);
            break;
        case LabelProtocol::seen: {
            n_main = static_cast<std::size_t>(labels_allowed(seen_, n_train, cap));
            std::size_t n_all = n_main;
            for (const std::uint64_t budget : schedule_.label_budgets) {
                n_all = std::max(n_all,
                                 static_cast<std::size_t>(labels_allowed(seen_, n_train, budget)));
            }
            for (std::size_t p = 0; p < n_all; ++p) labelling.push_back(stream_.index(p));
            break;
        }
    }
    const bool reward = spec_.readout == SpikingReadout::reward;
    if (reward) {  // trained by its rewards: nothing to label
        labelling.clear();
        n_main = 0;
    }
    const auto responses =
        frozen_responses(train_, labelling, "assign", result.assignment_work, stop);
    if (responses.size() != labelling.size() * n_exc) return nullptr;
    std::vector<std::uint32_t> labels(labelling.size());
    for (std::size_t e = 0; e < labelling.size(); ++e) labels[e] = labels_(labelling[e]);
    // The readout fitted to the first m labelling examples' responses.
    using Readout = std::variant<task::NeuronAssignments, task::LinearReadout>;
    const auto fit = [&](std::size_t m) -> Readout {
        const std::span<const std::uint32_t> counts(responses.data(), m * n_exc);
        const std::span<const std::uint32_t> classes(labels.data(), m);
        if (spec_.readout == SpikingReadout::linear) {
            return task::fit_linear_readout(counts, n_exc, classes, train_.n_classes,
                                            spec_.linear_epochs, spec_.linear_learning_rate);
        }
        return task::assign_labels(counts, n_exc, classes, train_.n_classes);
    };
    const Readout main_readout = reward ? Readout(task::LinearReadout{}) : fit(n_main);
    if (const auto* assignments = std::get_if<task::NeuronAssignments>(&main_readout)) {
        result.assignments = *assignments;
    }
    // The linear readout's fit (linear_readout.hpp), per epoch over the m labelled examples:
    // W x, C x (n + 1) MACs per example (forward); (P - Y) X^T, as many (backward); one SGD step
    // of the C x (n + 1) parameters. Budget fits are alternatives to it: not counted.
    if (spec_.readout == SpikingReadout::linear && n_main > 0) {
        const std::uint64_t params = train_.n_classes * (n_exc + 1);
        const std::uint64_t epochs = spec_.linear_epochs;
        result.assignment_work.readout_macs_forward = epochs * n_main * params;
        result.assignment_work.readout_macs_backward = epochs * n_main * params;
        result.assignment_work.readout_weight_updates = epochs * params;
    }
    // Labels the main curve's point used: the readout's labelled examples, or the rewards.
    result.labels_used = reward ? rewards_.delivered : n_main;

    // Test responses, one block of test_.size() rows per presentation of the test set.
    const std::size_t n_test = test_.size();
    const std::uint32_t passes =
        schedule_.labels == LabelProtocol::paper ? schedule_.test_presentations : 1;
    std::vector<std::uint32_t> test_counts;
    std::vector<std::int64_t> test_winners;  // reward: per test row, its winner (-1: none)
    std::vector<std::size_t> test_indices(n_test);
    for (std::size_t e = 0; e < n_test; ++e) test_indices[e] = e;
    for (std::uint32_t r = 1; r <= passes; ++r) {
        const std::string phase = r == 1 ? std::string("test") : fmt::format("test{}", r);
        std::vector<std::int64_t> winners;
        const auto pass = frozen_responses(test_, test_indices, phase, result.test_work, stop,
                                           reward ? &winners : nullptr);
        if (pass.size() != n_test * n_exc) return nullptr;
        test_counts.insert(test_counts.end(), pass.begin(), pass.end());
        test_winners.insert(test_winners.end(), winners.begin(), winners.end());
    }
    if (spec_.readout == SpikingReadout::linear) {  // W x per test example
        result.test_work.readout_macs_forward =
            result.test_work.examples * train_.n_classes * (n_exc + 1);
    }
    // Scores the test responses of every pass under a readout: correct, unclassified.
    const auto score = [&](const Readout& readout, task::ConfusionMatrix* confusion) {
        std::pair<std::uint64_t, std::uint64_t> tally{0, 0};
        for (std::size_t row = 0; row < passes * n_test; ++row) {
            const std::uint32_t label = test_.labels[row % n_test];
            const std::span<const std::uint32_t> counts(test_counts.data() + row * n_exc, n_exc);
            std::optional<std::uint32_t> predicted;
            if (reward) {
                if (test_winners[row] >= 0) {
                    predicted = reward_class_of(static_cast<std::size_t>(test_winners[row]), n_exc,
                                                train_.n_classes);
                }
            } else {
                predicted =
                    std::visit([&](const auto& r) { return task::classify(counts, r); }, readout);
            }
            if (!predicted) {
                ++tally.second;
                continue;
            }
            if (confusion != nullptr) confusion->add(label, *predicted);
            if (*predicted == label) ++tally.first;
        }
        return tally;
    };
    const double tested = static_cast<double>(passes) * static_cast<double>(n_test);
    const auto [correct, unclassified] = score(main_readout, &result.confusion);
    result.unclassified = unclassified;
    result.accuracy = n_test > 0 ? static_cast<double>(correct) / tested : 0.0;
    for (const std::uint64_t budget : schedule_.label_budgets) {
        SpikingEvaluation::BudgetPoint point{.budget = budget,
                                             .labels_used = labels_allowed(seen_, n_train, budget)};
        const auto [c, u] = score(fit(static_cast<std::size_t>(point.labels_used)), nullptr);
        point.accuracy = n_test > 0 ? static_cast<double>(c) / tested : 0.0;
        point.unclassified = u;
        result.budgets.push_back(point);
    }
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    evaluation_seconds_ += result.seconds;

    if (metrics_ != nullptr) {
        const std::uint64_t seen = seen_;
        const double train_rate = training_work_.examples > 0
                                      ? static_cast<double>(training_work_.exc_spikes) /
                                            static_cast<double>(training_work_.examples)
                                      : 0.0;
        const double test_spikes = result.test_work.examples > 0
                                       ? static_cast<double>(result.test_work.exc_spikes) /
                                             static_cast<double>(result.test_work.examples)
                                       : 0.0;
        std::uint64_t assigned = 0;
        for (const auto c : result.assignments.class_of_neuron) {
            if (c != task::NeuronAssignments::unassigned) ++assigned;
        }
        metrics_->append_count_series(metric("curve/examples_seen"), std::span(&seen, 1));
        metrics_->append_series(metric("curve/test_accuracy"), std::span(&result.accuracy, 1), "1");
        metrics_->append_series(metric("curve/train_exc_spikes_per_example"),
                                std::span(&train_rate, 1), "");
        metrics_->append_series(metric("curve/test_exc_spikes_per_example"),
                                std::span(&test_spikes, 1), "");
        metrics_->append_count_series(metric("curve/assigned_neurons"), std::span(&assigned, 1));
        const std::uint64_t unclassified_count = result.unclassified;
        metrics_->append_count_series(metric("curve/test_unclassified"),
                                      std::span(&unclassified_count, 1));
        metrics_->append_count_series(metric("curve/labels_used"),
                                      std::span(&result.labels_used, 1));
        for (auto& point : result.budgets) {
            append_label_point(*metrics_, metric("label_curve/"), seen, point.budget,
                               point.labels_used, point.accuracy);
            metrics_->append_count_series(metric("label_curve/test_unclassified"),
                                          std::span(&point.unclassified, 1));
        }
    }
    last_ = std::move(result);
    return &*last_;
}

void StdpTrainer::finish() {
    if (metrics_ == nullptr) return;
    const auto per_example = [](std::uint64_t total, std::uint64_t examples) {
        return examples > 0 ? static_cast<double>(total) / static_cast<double>(examples) : 0.0;
    };
    const auto write_work = [&](const std::string& base, const SpikingWork& work) {
        metrics_->write_count(metric(base + "examples"), work.examples);
        metrics_->write_count(metric(base + "presentations"), work.presentations);
        metrics_->write_count(metric(base + "synaptic_events"), work.synaptic_events);
        metrics_->write_count(metric(base + "neuron_updates"), work.neuron_updates);
        metrics_->write_count(metric(base + "plasticity_updates"), work.plasticity_updates);
        metrics_->write_count(metric(base + "exc_spikes"), work.exc_spikes);
        metrics_->write_metric(metric(base + "synaptic_events_per_example"),
                               per_example(work.synaptic_events, work.examples), "");
        metrics_->write_metric(metric(base + "neuron_updates_per_example"),
                               per_example(work.neuron_updates, work.examples), "");
        metrics_->write_metric(metric(base + "plasticity_updates_per_example"),
                               per_example(work.plasticity_updates, work.examples), "");
        const double events = per_example(work.synaptic_events, work.examples);
        metrics_->write_metric(metric(base + "energy_per_example_45nm"),
                               events * pj_per_accumulate_45nm, "pJ");
        metrics_->write_metric(metric(base + "energy_per_example_loihi"),
                               events * pj_per_synaptic_op_loihi, "pJ");
    };
    // Every counted operation priced (energy.hpp), per phase.
    const auto write_energy_table = [&](const std::string& phase, const SpikingWork& work) {
        const auto lines = energy_lines(spec_, work);
        write_energy(*metrics_, metric("energy"), phase, lines);
        metrics_->write_count(metric("operations/" + phase + "/plasticity_post_updates"),
                              work.on_post_updates);
        metrics_->write_count(metric("operations/" + phase + "/post_term_evaluations"),
                              work.post_terms);
    };
    metrics_->write_count(metric("examples_seen"), seen_);
    metrics_->write_metric(metric("epochs"),
                           static_cast<double>(seen_) / static_cast<double>(train_.size()), "");
    metrics_->write_wall_time(metric("training_seconds"), training_seconds_);
    metrics_->write_wall_time(metric("evaluation_seconds"), evaluation_seconds_);
    metrics_->write_count(metric("weight_normalisation_misses"), weight_normalisation_misses_);
    write_work("operations/training/", training_work_);
    write_energy_table("training", training_work_);
    if (spec_.readout == SpikingReadout::reward) {
        // Each reward delivered is a label used (its sign tells the readout whether the winner's
        // class was the example's).
        metrics_->write_count(metric("reward/delivered"), rewards_.delivered);
        metrics_->write_count(metric("reward/positive"), rewards_.positive);
        metrics_->write_count(metric("reward/negative"), rewards_.delivered - rewards_.positive);
        metrics_->write_count(metric("reward/undecided"), rewards_.undecided);
    }
    if (last_) {
        write_work("operations/test/", last_->test_work);
        write_work("operations/assignment/", last_->assignment_work);
        write_energy_table("test", last_->test_work);
        write_energy_table("assignment", last_->assignment_work);
        metrics_->write_metric(metric("test_accuracy"), last_->accuracy, "1");
        metrics_->write_count(metric("test_unclassified"), last_->unclassified);
        const auto n = last_->confusion.n_classes();
        metrics_->write_count_matrix(metric("test_confusion"), last_->confusion.counts(), n, n);
        if (spec_.readout != SpikingReadout::label_assignment) return;
        std::vector<std::uint64_t> assignment(last_->assignments.class_of_neuron.size());
        for (std::size_t j = 0; j < assignment.size(); ++j) {
            const auto c = last_->assignments.class_of_neuron[j];
            assignment[j] = c == task::NeuronAssignments::unassigned
                                ? static_cast<std::uint64_t>(last_->assignments.n_classes)
                                : static_cast<std::uint64_t>(c);
        }
        metrics_->write_count_matrix(metric("neuron_class"), assignment, 1, assignment.size());
    }
}

std::optional<LearnerPoint> StdpTrainer::evaluate(const std::function<bool()>& stop) {
    const SpikingEvaluation* evaluation = evaluate_and_record(stop);
    if (evaluation == nullptr) return std::nullopt;
    LearnerPoint point{.examples_seen = evaluation->examples_seen,
                       .accuracy = evaluation->accuracy,
                       .labels_used = evaluation->labels_used,
                       .seconds = evaluation->seconds};
    for (const auto& b : evaluation->budgets) point.budget_accuracy.push_back(b.accuracy);
    return point;
}

std::vector<WorkRow> StdpTrainer::work_rows() const {
    const auto row = [&](const char* phase, const SpikingWork& w) {
        const auto count = [&](std::uint64_t total) {
            const double per =
                w.examples > 0 ? static_cast<double>(total) / static_cast<double>(w.examples) : 0.0;
            return fmt::format("{:.0f}", per);
        };
        // The linear readout's MACs (forward + backward) / parameters updated, as a rate
        // network's; "-" for a readout without MACs.
        const bool macs = spec_.readout == SpikingReadout::linear &&
                          w.readout_macs_forward + w.readout_macs_backward > 0;
        return WorkRow{
            .phase = phase,
            .synaptic_events = count(w.synaptic_events),
            .neuron_updates = count(w.neuron_updates),
            .plasticity_updates = count(w.plasticity_updates),
            .macs_per_parameter =
                macs ? fmt::format("{}/{}", count(w.readout_macs_forward + w.readout_macs_backward),
                                   count(w.readout_weight_updates))
                     : "-",
            .lines = energy_lines(spec_, w)};
    };
    std::vector<WorkRow> rows{row("train", training_work_)};
    if (last_) {
        rows.push_back(row("test", last_->test_work));
        // The readout's labels cost presentations too (a rate network's labels are used in
        // training, already in its train row).
        if (last_->assignment_work.examples > 0)
            rows.push_back(row("label", last_->assignment_work));
    }
    return rows;
}

namespace {

void save_work(StateWriter& out, const SpikingWork& w) {
    for (const std::uint64_t v :
         {w.examples, w.presentations, w.synaptic_events, w.neuron_updates, w.plasticity_updates,
          w.on_post_updates, w.post_terms, w.exc_spikes, w.readout_macs_forward,
          w.readout_macs_backward, w.readout_weight_updates}) {
        out.u64(v);
    }
    out.vec(w.population_updates);
    out.vec(w.projection_pre_updates);
    out.vec(w.projection_post_updates);
    out.vec(w.projection_post_terms);
    out.vec(w.projection_modulator_updates);
}

// The work of a network with `populations` and `projections` (vectors of another length: an
// error naming `what`; empty ones, of a phase that did nothing yet, are kept empty).
SpikingWork load_work(StateReader& in, std::size_t populations, std::size_t projections,
                      const std::string& what) {
    SpikingWork w;
    for (std::uint64_t* v :
         {&w.examples, &w.presentations, &w.synaptic_events, &w.neuron_updates,
          &w.plasticity_updates, &w.on_post_updates, &w.post_terms, &w.exc_spikes,
          &w.readout_macs_forward, &w.readout_macs_backward, &w.readout_weight_updates}) {
        *v = in.u64();
    }
    const auto counts = [&](std::vector<std::uint64_t>& values, std::size_t n, const char* of) {
        values = in.vec<std::uint64_t>();
        if (!values.empty() && values.size() != n) in.fail(what + ": " + of);
    };
    counts(w.population_updates, populations, "work by population");
    counts(w.projection_pre_updates, projections, "work by projection");
    counts(w.projection_post_updates, projections, "work by projection");
    counts(w.projection_post_terms, projections, "work by projection");
    counts(w.projection_modulator_updates, projections, "work by projection");
    return w;
}

}  // namespace

void StdpTrainer::save_state(StateWriter& out) const {
    out.tag("spiking network " + spec_.name);
    network_.save_state(out);
    out.u64(seen_);
    out.u64(next_weight_frame_);
    save_work(out, training_work_);
    out.u64(weight_normalisation_misses_);
    out.u64(rewards_.delivered);
    out.u64(rewards_.positive);
    out.u64(rewards_.undecided);
    out.vec(rewards_.recent);
    out.f64(training_seconds_);
    out.f64(evaluation_seconds_);
    out.boolean(last_.has_value());
    if (last_) {
        out.u64(last_->examples_seen);
        out.f64(last_->accuracy);
        save_confusion(out, last_->confusion);
        out.u64(last_->unclassified);
        out.u64(last_->assignments.n_classes);
        out.vec(last_->assignments.class_of_neuron);
        out.u64(last_->labels_used);
        out.vec(last_->budgets);
        save_work(out, last_->assignment_work);
        save_work(out, last_->test_work);
        out.f64(last_->seconds);
    }
}

void StdpTrainer::load_state(StateReader& in) {
    in.tag("spiking network " + spec_.name);
    const std::string what = "spiking network '" + spec_.name + "'";
    network_.load_state(in);
    seen_ = in.u64();
    next_weight_frame_ = in.u64();
    const std::size_t n_populations = spec_.network.populations.size();
    const std::size_t n_projections = spec_.network.projections.size();
    training_work_ = load_work(in, n_populations, n_projections, what);
    weight_normalisation_misses_ = in.u64();
    rewards_.delivered = in.u64();
    rewards_.positive = in.u64();
    rewards_.undecided = in.u64();
    rewards_.recent = in.vec<std::uint8_t>();
    if (rewards_.recent.size() > spec_.reward_window) in.fail(what + ": rewards");
    if (rewards_.positive > rewards_.delivered) in.fail(what + ": rewards");
    training_seconds_ = in.f64();
    evaluation_seconds_ = in.f64();
    last_.reset();
    if (in.boolean()) {
        SpikingEvaluation e;
        e.examples_seen = in.u64();
        e.accuracy = in.f64();
        e.confusion = load_confusion(in, train_.n_classes, what);
        e.unclassified = in.u64();
        e.assignments.n_classes = in.u64();
        in.vec_into(e.assignments.class_of_neuron,
                    spec_.readout == SpikingReadout::label_assignment ? readout_size() : 0,
                    what + ": neuron classes");
        for (const auto c : e.assignments.class_of_neuron) {
            if (c != task::NeuronAssignments::unassigned &&
                (c < 0 || static_cast<std::size_t>(c) >= e.assignments.n_classes)) {
                in.fail(what + ": neuron classes");
            }
        }
        if (e.assignments.n_classes != train_.n_classes) in.fail(what + ": another task");
        e.labels_used = in.u64();
        e.budgets = in.vec<SpikingEvaluation::BudgetPoint>();
        if (!e.budgets.empty() && e.budgets.size() != schedule_.label_budgets.size()) {
            in.fail(what + ": other label budgets");
        }
        e.assignment_work = load_work(in, n_populations, n_projections, what);
        e.test_work = load_work(in, n_populations, n_projections, what);
        e.seconds = in.f64();
        last_ = std::move(e);
    }
}

}  // namespace spikerate::sim::train
