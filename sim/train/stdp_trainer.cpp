#include "sim/train/stdp_trainer.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <thread>

#include <fmt/format.h>

#include "models/error.hpp"
#include "models/lif_cond.hpp"
#include "models/nearest_triplet_stdp.hpp"
#include "models/weight_normalisation.hpp"
#include "sim/checkpoint.hpp"
#include "sim/sources.hpp"

namespace spikerate::sim::train {

namespace {

// Evaluation examples per freshly built frozen network (see the header).
constexpr std::size_t evaluation_chunk = 1000;

// What the engine counted so far in a network (examples and presentations are the caller's).
SpikingWork counted_work(const Network& net) {
    SpikingWork work;
    for (const auto& pop : net.populations()) work.neuron_updates += pop->neuron_updates();
    for (const auto& proj : net.projections()) {
        work.synaptic_events += proj->synaptic_events();
        work.plasticity_updates += proj->plasticity_updates();
        work.on_post_updates += proj->plasticity_post_updates();
        work.post_terms += proj->post_term_evaluations();
    }
    return work;
}

SpikingWork difference(const SpikingWork& after, const SpikingWork& before) {
    return SpikingWork{.examples = 0,
                       .presentations = 0,
                       .synaptic_events = after.synaptic_events - before.synaptic_events,
                       .neuron_updates = after.neuron_updates - before.neuron_updates,
                       .plasticity_updates = after.plasticity_updates - before.plasticity_updates,
                       .on_post_updates = after.on_post_updates - before.on_post_updates,
                       .post_terms = after.post_terms - before.post_terms,
                       .exc_spikes = 0};
}

// Shows examples to one network, learning or frozen, as the protocol in the header says.
class Presenter {
  public:
    Presenter(Network& net, const DiehlCook2015Params& params)
        : net_(net),
          params_(params),
          input_(net.population_as<PoissonSource>(dc_input)),
          exc_(net.population(dc_exc)),
          presentation_steps_(net.grid().steps_in(params.presentation_ms, "presentation_ms")),
          rest_steps_(net.grid().steps_in(params.rest_ms, "rest_ms")),
          rates_(input_.size()) {}

    // Presents `x` (one value in [0, 1] per input) until it makes min_spikes excitatory spikes
    // or max_presentations are used; writes the last presentation's spike count per
    // excitatory neuron to `counts`. `before_presentation` runs before each presentation (the
    // normalisation), `after_step` after each simulated step (spike recording). Returns the
    // presentations used.
    std::uint32_t present(const float* x, const std::string& key, std::span<std::uint32_t> counts,
                          const std::function<void()>& before_presentation,
                          const std::function<void(const Network&)>& after_step,
                          std::uint64_t& spikes) {
        std::uint32_t intensity = params_.start_intensity;
        for (std::uint32_t presentation = 1;; ++presentation, ++intensity) {
            if (before_presentation) before_presentation();
            for (std::size_t i = 0; i < rates_.size(); ++i) {
                rates_[i] = params_.input_rate(static_cast<double>(x[i]), intensity);
            }
            input_.restart_stream(fmt::format("{}/{}", key, presentation));
            input_.set_rates(rates_);
            std::fill(counts.begin(), counts.end(), 0U);
            std::uint64_t total = 0;
            for (std::int64_t k = 0; k < presentation_steps_; ++k) {
                net_.step();
                for (const Spike& spike : exc_.spikes()) ++counts[spike.node];
                total += exc_.spikes().size();
                if (after_step) after_step(net_);
            }
            input_.set_rate(0.0);
            for (std::int64_t k = 0; k < rest_steps_; ++k) {
                net_.step();
                if (after_step) after_step(net_);
            }
            if (total >= params_.min_spikes || presentation == params_.max_presentations) {
                spikes += total;
                return presentation;
            }
        }
    }

  private:
    Network& net_;
    const DiehlCook2015Params& params_;
    PoissonSource& input_;
    const Population& exc_;
    std::int64_t presentation_steps_;
    std::int64_t rest_steps_;
    std::vector<double> rates_;
};

// The architecture's network for the task's inputs; an error building it (a network too large
// for the memory, ...) names the network and its size, n_exc.
NetworkSpec network_for(const SpikingNetworkSpec& spec, const task::Dataset& train,
                        std::uint64_t seed, bool learning) {
    try {
        return diehl_cook_2015_network(
            spec.architecture, static_cast<std::uint32_t>(train.n_inputs()), seed, learning);
    } catch (const ParamError& e) {
        const std::string what = fmt::format("n_exc = {} with {} inputs: {}",
                                             spec.architecture.n_exc, train.n_inputs(), e.what());
        throw ParamError("n_exc", std::nullopt, what, what)
            .in("spiking", spec.name, fmt::format("spiking network '{}'", spec.name));
    }
}

}  // namespace

SpikingWork& SpikingWork::operator+=(const SpikingWork& other) {
    examples += other.examples;
    presentations += other.presentations;
    synaptic_events += other.synaptic_events;
    neuron_updates += other.neuron_updates;
    plasticity_updates += other.plasticity_updates;
    on_post_updates += other.on_post_updates;
    post_terms += other.post_terms;
    exc_spikes += other.exc_spikes;
    return *this;
}

std::vector<EnergyLine> energy_lines(const DiehlCook2015Params& architecture,
                                     const SpikingWork& work) {
    const auto per_example = [&](std::uint64_t total) {
        return work.examples > 0 ? static_cast<double>(total) / static_cast<double>(work.examples)
                                 : 0.0;
    };
    const auto id = models::NearestTripletStdp::id;
    return {
        {synaptic_event_cost(), per_example(work.synaptic_events)},
        {neuron_update_cost(models::LifCond::id, architecture.integration),
         per_example(work.neuron_updates)},
        {plasticity_pre_cost(id), per_example(work.plasticity_updates - work.on_post_updates)},
        {plasticity_post_cost(id), per_example(work.on_post_updates)},
        {plasticity_post_term_cost(id), per_example(work.post_terms)},
    };
}

std::vector<std::string> SpikingNetworkSpec::report_names() const {
    if (!record_weights) return {};
    return {input_weights_report(), theta_report()};
}

void SpikingNetworkSpec::validate() const {
    if (threads == 0) throw ParamError::value("threads", "0: must be >= 1");
    if (spike_windows.size() % 2 != 0) {
        const std::string what =
            fmt::format("spike_windows has {} values: it needs pairs [start, end) of examples seen",
                        spike_windows.size());
        throw ParamError("spike_windows", std::nullopt, what, what);
    }
    for (std::size_t k = 0; k + 1 < spike_windows.size(); k += 2) {
        if (spike_windows[k] >= spike_windows[k + 1]) {
            throw ParamError::value_at("spike_windows", k,
                                       fmt::format("{}: start must be below its end {}",
                                                   spike_windows[k], spike_windows[k + 1]));
        }
    }
    architecture.validate();
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
      network_(network_for(spec, train, seed, true)),
      frozen_spec_(network_for(spec, train, seed, false)),
      counts_(spec.architecture.n_exc),
      labels_(train) {
    spec_.validate();
    schedule_.validate();
    check_training_data(train, test, stream_);
    // Frame 0: the initial weights, before the first normalisation.
    if (reports_ != nullptr && spec_.record_weights) {
        const auto& proj = network_.projection(dc_input_exc);
        const std::uint64_t n_pre = proj.pre().size();
        const std::uint64_t n_post = proj.post().size();
        const double step = schedule_.weights_every > 0
                                ? static_cast<double>(schedule_.weights_every)
                                : static_cast<double>(schedule_.total(train.size()));
        ReportLayout weights{.name = spec_.input_weights_report(),
                             .units = std::string(proj.post().weight_unit()),
                             .time_start = 0.0,
                             .time_step = step,
                             .time_units = "examples"};
        ReportLayout theta{.name = spec_.theta_report(),
                           .units = "mV",
                           .time_start = 0.0,
                           .time_step = step,
                           .time_units = "examples"};
        // Element ids are the projection's synapse ids (dense, row-major [pre][post]).
        weights.map_dense_matrix(n_pre, n_post,
                                 [&](std::uint64_t i, std::uint64_t j) { return i * n_post + j; });
        theta.map_one_value_per_node(n_post);
        report_ids_ = ReportIds{.weights = reports_->add_report(weights),
                                .theta = reports_->add_report(theta)};
        record_weights();
    }
    if (reports_ != nullptr && !spec_.spike_windows.empty()) {
        reports_->add_spike_population(spec_.spike_group());
    }
}

void StdpTrainer::check_fits(const SpikingNetworkSpec& spec, const task::Dataset& train,
                             std::uint64_t seed) {
    (void)network_for(spec, train, seed, true);
}

void StdpTrainer::set_threads(std::uint32_t threads) {
    if (threads == 0) throw ParamError::value("threads", "0: must be >= 1");
    spec_.threads = threads;
}

std::string StdpTrainer::metric(const std::string& leaf) const {
    return fmt::format("spiking/{}/{}", spec_.name, leaf);
}

void StdpTrainer::record_weights() {
    const auto& proj = network_.projection(dc_input_exc);
    const std::size_t n_pre = proj.pre().size();
    const std::size_t n_post = proj.post().size();
    const auto w = proj.weights();
    frame_.resize(n_pre * n_post);
    for (std::size_t j = 0; j < n_post; ++j) {  // node-major: one neuron's receptive field
        for (std::size_t i = 0; i < n_pre; ++i) {
            frame_[j * n_pre + i] = static_cast<float>(w[i * n_post + j]);
        }
    }
    reports_->append_frames(report_ids_->weights, frame_, 1);
    const auto theta = network_.population(dc_exc).variable("theta");
    frame_.assign(theta.begin(), theta.end());
    reports_->append_frames(report_ids_->theta, std::span<const float>(frame_.data(), n_post), 1);
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
    const auto& params = spec_.architecture;
    auto& input_exc = network_.projection(dc_input_exc);
    const std::size_t n_post = input_exc.post().size();
    const std::size_t index = stream_.index(seen_);
    const float* x = train_.inputs.col(static_cast<Eigen::Index>(index)).data();

    const auto normalise = [&] {
        weight_normalisation_misses_ +=
            models::normalise_incoming(input_exc.stored_weights(), input_exc.stored_post(), n_post,
                                       params.weight_sum, params.stdp.bounds);
    };
    std::function<void(const Network&)> record;
    if (reports_ != nullptr && recording_spikes()) {
        record = [&](const Network& net) {
            for (const Spike& spike : net.population(dc_exc).spikes()) {
                spike_times_.push_back(net.grid().time(spike.time));
                spike_nodes_.push_back(spike.node);
            }
        };
    }
    const SpikingWork before = counted_work(network_);
    Presenter presenter(network_, params);
    SpikingWork work;
    work.presentations = presenter.present(x, fmt::format("train/{}", seen_), counts_, normalise,
                                           record, work.exc_spikes);
    work.examples = 1;
    const SpikingWork engine = difference(counted_work(network_), before);
    work.synaptic_events = engine.synaptic_events;
    work.neuron_updates = engine.neuron_updates;
    work.plasticity_updates = engine.plasticity_updates;
    work.on_post_updates = engine.on_post_updates;
    work.post_terms = engine.post_terms;
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

std::vector<std::uint32_t> StdpTrainer::frozen_responses(const task::Dataset& data,
                                                         std::span<const std::size_t> indices,
                                                         const std::string& phase,
                                                         SpikingWork& work,
                                                         const std::function<bool()>& stop) {
    const std::size_t count = indices.size();
    std::atomic<bool> stopped{false};
    const std::size_t n_exc = spec_.architecture.n_exc;
    std::vector<std::uint32_t> responses(count * n_exc);
    const std::size_t n_chunks = (count + evaluation_chunk - 1) / evaluation_chunk;
    std::vector<SpikingWork> chunk_work(n_chunks);
    const auto trained_weights = network_.projection(dc_input_exc).weights();
    const auto trained_theta = network_.population(dc_exc).variable("theta");

    const auto run_chunk = [&](std::size_t chunk) {
        Network frozen(frozen_spec_);
        frozen.projection(dc_input_exc).set_weights(trained_weights);
        auto theta = frozen.population(dc_exc).variable("theta");
        std::copy(trained_theta.begin(), trained_theta.end(), theta.begin());
        Presenter presenter(frozen, spec_.architecture);
        SpikingWork& cw = chunk_work[chunk];
        const std::size_t end = std::min(count, (chunk + 1) * evaluation_chunk);
        for (std::size_t e = chunk * evaluation_chunk; e < end; ++e) {
            if (stopped || (stop && stop())) {
                stopped = true;
                return;
            }
            const float* x = data.inputs.col(static_cast<Eigen::Index>(indices[e])).data();
            cw.presentations +=
                presenter.present(x, fmt::format("{}/{}", phase, indices[e]),
                                  std::span<std::uint32_t>(responses.data() + e * n_exc, n_exc), {},
                                  {}, cw.exc_spikes);
            ++cw.examples;
        }
        const SpikingWork engine = counted_work(frozen);
        cw.synaptic_events = engine.synaptic_events;
        cw.neuron_updates = engine.neuron_updates;
        cw.plasticity_updates = engine.plasticity_updates;
    };

    const std::size_t n_threads = std::min<std::size_t>(spec_.threads, n_chunks);
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
    const std::size_t n_exc = spec_.architecture.n_exc;
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
    const auto responses =
        frozen_responses(train_, labelling, "assign", result.assignment_work, stop);
    if (responses.size() != labelling.size() * n_exc) return nullptr;
    std::vector<std::uint32_t> labels(labelling.size());
    for (std::size_t e = 0; e < labelling.size(); ++e) labels[e] = labels_(labelling[e]);
    const auto assign = [&](std::size_t m) {
        return task::assign_labels(std::span<const std::uint32_t>(responses.data(), m * n_exc),
                                   n_exc, std::span<const std::uint32_t>(labels.data(), m),
                                   train_.n_classes);
    };
    result.assignments = assign(n_main);
    result.labels_used = n_main;

    // Test responses, one block of test_.size() rows per presentation of the test set.
    const std::size_t n_test = test_.size();
    const std::uint32_t passes =
        schedule_.labels == LabelProtocol::paper ? schedule_.test_presentations : 1;
    std::vector<std::uint32_t> test_counts;
    std::vector<std::size_t> test_indices(n_test);
    for (std::size_t e = 0; e < n_test; ++e) test_indices[e] = e;
    for (std::uint32_t r = 1; r <= passes; ++r) {
        const std::string phase = r == 1 ? std::string("test") : fmt::format("test{}", r);
        const auto pass = frozen_responses(test_, test_indices, phase, result.test_work, stop);
        if (pass.size() != n_test * n_exc) return nullptr;
        test_counts.insert(test_counts.end(), pass.begin(), pass.end());
    }
    // Scores the test responses of every pass under `assignments`: correct, unclassified.
    const auto score = [&](const task::NeuronAssignments& assignments,
                           task::ConfusionMatrix* confusion) {
        std::pair<std::uint64_t, std::uint64_t> tally{0, 0};
        for (std::size_t row = 0; row < passes * n_test; ++row) {
            const std::uint32_t label = test_.labels[row % n_test];
            const auto predicted = task::classify(
                std::span<const std::uint32_t>(test_counts.data() + row * n_exc, n_exc),
                assignments);
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
    const auto [correct, unclassified] = score(result.assignments, &result.confusion);
    result.unclassified = unclassified;
    result.accuracy = n_test > 0 ? static_cast<double>(correct) / tested : 0.0;
    for (const std::uint64_t budget : schedule_.label_budgets) {
        SpikingEvaluation::BudgetPoint point{.budget = budget,
                                             .labels_used = labels_allowed(seen_, n_train, budget)};
        const auto [c, u] = score(assign(static_cast<std::size_t>(point.labels_used)), nullptr);
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
        const auto lines = energy_lines(spec_.architecture, work);
        write_energy(*metrics_, metric("energy"), phase, lines);
        metrics_->write_count(metric("operations/" + phase + "/plasticity_post_updates"),
                              work.on_post_updates);
        metrics_->write_count(metric("operations/" + phase + "/post_term_evaluations"),
                              work.post_terms);
    };
    metrics_->write_count(metric("examples_seen"), seen_);
    metrics_->write_metric(metric("epochs"),
                           static_cast<double>(seen_) / static_cast<double>(train_.size()), "");
    metrics_->write_metric(metric("training_seconds"), training_seconds_, "s");
    metrics_->write_metric(metric("evaluation_seconds"), evaluation_seconds_, "s");
    metrics_->write_count(metric("weight_normalisation_misses"), weight_normalisation_misses_);
    write_work("operations/training/", training_work_);
    write_energy_table("training", training_work_);
    if (last_) {
        write_work("operations/test/", last_->test_work);
        write_work("operations/assignment/", last_->assignment_work);
        write_energy_table("test", last_->test_work);
        write_energy_table("assignment", last_->assignment_work);
        metrics_->write_metric(metric("test_accuracy"), last_->accuracy, "1");
        metrics_->write_count(metric("test_unclassified"), last_->unclassified);
        const auto n = last_->confusion.n_classes();
        metrics_->write_count_matrix(metric("test_confusion"), last_->confusion.counts(), n, n);
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
        return WorkRow{.phase = phase,
                       .synaptic_events = count(w.synaptic_events),
                       .neuron_updates = count(w.neuron_updates),
                       .plasticity_updates = count(w.plasticity_updates),
                       .macs_per_parameter = "-",
                       .lines = energy_lines(spec_.architecture, w)};
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

void StdpTrainer::save_state(StateWriter& out) const {
    out.tag("spiking network " + spec_.name);
    network_.save_state(out);
    out.u64(seen_);
    out.u64(next_weight_frame_);
    out.pod(training_work_);
    out.u64(weight_normalisation_misses_);
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
        out.pod(last_->assignment_work);
        out.pod(last_->test_work);
        out.f64(last_->seconds);
    }
}

void StdpTrainer::load_state(StateReader& in) {
    in.tag("spiking network " + spec_.name);
    const std::string what = "spiking network '" + spec_.name + "'";
    network_.load_state(in);
    seen_ = in.u64();
    next_weight_frame_ = in.u64();
    training_work_ = in.pod<SpikingWork>();
    weight_normalisation_misses_ = in.u64();
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
        in.vec_into(e.assignments.class_of_neuron, spec_.architecture.n_exc,
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
        e.assignment_work = in.pod<SpikingWork>();
        e.test_work = in.pod<SpikingWork>();
        e.seconds = in.f64();
        last_ = std::move(e);
    }
}

}  // namespace spikerate::sim::train
