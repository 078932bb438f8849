#include "sim/train/gradient_trainer.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>
#include <Eigen/Core>

#include "models/error.hpp"
#include "models/param_check.hpp"
#include "sim/checkpoint.hpp"
#include "sim/memory.hpp"
#include "sim/random_stream.hpp"
#include "sim/train/energy.hpp"

namespace spikerate::sim::train {

void TrainingSchedule::validate() const {
    for (std::size_t i = 0; i < evaluate_at.size(); ++i) {
        if (evaluate_at[i] == 0) {
            throw ParamError::value_at("evaluate_at", i, "0: must be >= 1 (examples seen)");
        }
        if (i > 0 && evaluate_at[i] <= evaluate_at[i - 1]) {
            throw ParamError::value_at("evaluate_at", i,
                                       fmt::format("{}: must be greater than the point before it "
                                                   "({})",
                                                   evaluate_at[i], evaluate_at[i - 1]));
        }
        if (examples > 0 && evaluate_at[i] > examples) {
            throw ParamError::value_at(
                "evaluate_at", i,
                fmt::format("{}: beyond examples = {}", evaluate_at[i], examples));
        }
    }
    if (!label_budgets.empty() && labels != LabelProtocol::seen) {
        throw ParamError::value("label_budgets",
                                "a list: label budgets need labels = \"seen\" (the other "
                                "protocols read labels of examples not seen)");
    }
    for (std::size_t i = 0; i < label_budgets.size(); ++i) {
        const std::uint64_t b = label_budgets[i];
        if (b == 0 && i + 1 != label_budgets.size()) {
            throw ParamError::value_at("label_budgets", i,
                                       "0: \"all seen\" must be the last budget");
        }
        if (i > 0 && b != 0 && b <= label_budgets[i - 1]) {
            throw ParamError::value_at(
                "label_budgets", i,
                fmt::format("{}: must be greater than the budget before it ({})", b,
                            label_budgets[i - 1]));
        }
    }
    if (test_presentations == 0) {
        throw ParamError::value("test_presentations", "0: must be >= 1");
    }
    if (test_presentations != 1 && labels != LabelProtocol::paper) {
        throw ParamError::value(
            "test_presentations",
            fmt::format("{}: more than one needs labels = \"paper\"", test_presentations));
    }
}

std::uint64_t labels_allowed(std::uint64_t seen, std::size_t n_train, std::uint64_t budget) {
    const std::uint64_t m = std::min<std::uint64_t>(seen, n_train);
    return budget == 0 ? m : std::min(m, budget);
}

void append_label_point(MetricSink& metrics, const std::string& prefix, std::uint64_t examples_seen,
                        std::uint64_t label_budget, std::uint64_t labels_used,
                        double test_accuracy) {
    metrics.append_count_series(prefix + "examples_seen", std::span(&examples_seen, 1));
    metrics.append_count_series(prefix + "label_budget", std::span(&label_budget, 1));
    metrics.append_count_series(prefix + "labels_used", std::span(&labels_used, 1));
    metrics.append_series(prefix + "test_accuracy", std::span(&test_accuracy, 1), "1");
}

std::uint64_t TrainingSchedule::total(std::size_t n_train) const {
    return examples > 0 ? examples : n_train;
}

std::vector<std::uint64_t> TrainingSchedule::points(std::size_t n_train) const {
    const std::uint64_t end = total(n_train);
    std::vector<std::uint64_t> result;
    if (!evaluate_at.empty()) {
        for (const std::uint64_t p : evaluate_at) {
            if (p <= end) result.push_back(p);
        }
    } else if (n_train > 0) {
        for (std::uint64_t p = n_train; p < end; p += n_train) result.push_back(p);
    }
    if (result.empty() || result.back() != end) result.push_back(end);
    return result;
}

void RateNetworkSpec::validate() const {
    if (batch_size == 0) throw ParamError::value("batch_size", "0: must be >= 1");
    if (threads == 0) throw ParamError::value("threads", "0: must be >= 1");
    models::require_positive("learning_rate_decay", learning_rate_decay, "");
    if (learning_rate_decay > 1.0) {
        throw ParamError::value("learning_rate_decay",
                                fmt::format("{}: must be in (0, 1]", learning_rate_decay));
    }
    network.validate();
    optimizer.validate();
    input.validate();
}

void check_training_data(const task::Dataset& train, const task::Dataset& test,
                         const task::ExampleStream& stream) {
    if (train.size() == 0) {
        throw ParamError(fmt::format("{}: the training set is empty", train.name));
    }
    if (stream.size() != train.size()) {
        throw ParamError(fmt::format("the example stream orders {} examples, {} has {}",
                                     stream.size(), train.name, train.size()));
    }
    if (test.n_inputs() != train.n_inputs() || test.n_classes != train.n_classes) {
        throw ParamError(fmt::format("{} ({} inputs, {} classes) does not match {} ({}, {})",
                                     test.name, test.n_inputs(), test.n_classes, train.name,
                                     train.n_inputs(), train.n_classes));
    }
}

namespace {

// Examples are tested in chunks of this many columns: large enough for efficient matrix
// products, small enough that the activations stay in cache-friendly sizes.
constexpr std::size_t evaluation_columns = 1000;

}  // namespace

Evaluation evaluate(models::RateNetwork& network, const task::Dataset& data) {
    Evaluation result{.loss = 0.0, .confusion = task::ConfusionMatrix(data.n_classes)};
    double loss_sum = 0.0;
    for (std::size_t start = 0; start < data.size(); start += evaluation_columns) {
        const std::size_t n = std::min(evaluation_columns, data.size() - start);
        const auto& outputs = network.forward(
            data.inputs.middleCols(static_cast<Eigen::Index>(start), static_cast<Eigen::Index>(n)));
        const std::span<const std::uint32_t> labels(data.labels.data() + start, n);
        loss_sum += network.loss(labels) * static_cast<double>(n);
        for (std::size_t j = 0; j < n; ++j) {
            const auto column = outputs.col(static_cast<Eigen::Index>(j));
            result.confusion.add(labels[j],
                                 task::predicted_class(std::span<const float>(
                                     column.data(), static_cast<std::size_t>(column.size()))));
        }
    }
    result.loss = data.size() > 0 ? loss_sum / static_cast<double>(data.size()) : 0.0;
    result.forward_macs = network.forward_macs_per_example() * data.size();
    return result;
}

namespace {

// The network for the task's inputs and classes, refused (naming `hidden`) when it cannot fit:
// its weights and biases, their gradients, two optimiser moments and a recorded frame, 4 bytes
// each, and a batch's activations and deltas.
models::RateNetworkParams sized_for(models::RateNetworkParams params, std::size_t n_inputs,
                                    const task::Dataset& train, const RateNetworkSpec& spec) {
    params.n_inputs = n_inputs;
    params.n_outputs = train.n_classes;
    double parameters = 0.0;
    double units = 0.0;
    double in = static_cast<double>(params.n_inputs);
    std::vector<double> widths(params.hidden.begin(), params.hidden.end());
    widths.push_back(static_cast<double>(params.n_outputs));
    for (const double out : widths) {
        parameters += (in + 1.0) * out;
        units += out;
        in = out;
    }
    try {
        require_memory(4.0 * (5.0 * parameters + 4.0 * spec.batch_size * units), "hidden",
                       fmt::format("{:.3g} weights", parameters));
    } catch (const ParamError& e) {
        throw e.in("rate", spec.name, fmt::format("rate network '{}'", spec.name));
    }
    return params;
}

}  // namespace

std::string RateNetworkSpec::weight_report(std::size_t layer) const {
    return fmt::format("{}_layer{}", name, layer + 1);
}
std::string RateNetworkSpec::bias_report(std::size_t layer) const {
    return weight_report(layer) + "_bias";
}
std::vector<std::string> RateNetworkSpec::report_names() const {
    std::vector<std::string> names;
    if (!record_weights) return names;
    for (std::size_t layer = 0; layer <= network.hidden.size(); ++layer) {
        names.push_back(weight_report(layer));
        names.push_back(bias_report(layer));
    }
    return names;
}

void check_fits(const RateNetworkSpec& spec, const task::Dataset& train) {
    std::size_t n_inputs = 0;
    try {
        n_inputs = task::view_inputs(train, spec.input);
    } catch (const ParamError& e) {
        throw e.in("rate", spec.name, fmt::format("rate network '{}'", spec.name));
    }
    (void)sized_for(spec.network, n_inputs, train, spec);
}

namespace {

// The sets seen through the spec's input view, or null for the default view (checked as
// check_fits does).
std::unique_ptr<const task::Task> view_for(const RateNetworkSpec& spec, const task::Dataset& train,
                                           const task::Dataset& test) {
    if (spec.input.kind == task::InputViewKind::task_inputs) return nullptr;
    check_fits(spec, train);
    return std::make_unique<const task::Task>(task::apply_view(train, test, spec.input));
}

}  // namespace

GradientTrainer::GradientTrainer(const RateNetworkSpec& spec, const task::Dataset& train,
                                 const task::Dataset& test, task::ExampleStream stream,
                                 const TrainingSchedule& schedule, std::uint64_t seed,
                                 RecordingSink* reports, MetricSink* metrics)
    : spec_(spec),
      view_(view_for(spec, train, test)),
      bin_width_ms_(view_ ? train.spike_patterns.duration_ms /
                                static_cast<double>(view_->train.image_shape[1])
                          : 0.0),
      train_(view_ ? view_->train : train),
      test_(view_ ? view_->test : test),
      schedule_(schedule),
      network_(sized_for(spec.network, train_.n_inputs(), train_, spec)),
      optimizer_(spec.optimizer, network_),
      stream_(std::move(stream)),
      reports_(reports),
      metrics_(metrics),
      labels_(train) {
    spec_.network = network_.params();
    spec_.validate();
    schedule_.validate();
    check_training_data(train, test, stream_);

    // The initial weights depend only on (seed, network name): draw d of the stream
    // "rate/<name>/init" is counter (d, 0).
    const RandomStream init_stream(seed, "rate/" + spec_.name + "/init");
    std::uint64_t draw = 0;
    network_.initialise([&] { return init_stream.uniform(draw++, 0); });

    // A learner per budget that can bind: the same initial weights (the same draws).
    const std::uint64_t whole =
        std::min<std::uint64_t>(train.size(), schedule_.total(train.size()));
    for (const std::uint64_t budget : schedule_.label_budgets) {
        if (budget == 0 || budget >= whole) continue;
        BudgetLearner learner{
            .budget = budget,
            .network = models::RateNetwork(spec_.network),
            .optimizer = models::Optimizer(spec_.optimizer, network_),
            .order = RandomStream(seed, fmt::format("rate/{}/labelled/{}", spec_.name, budget)),
            .permutation = {}};
        std::uint64_t d = 0;
        learner.network.initialise([&] { return init_stream.uniform(d++, 0); });
        budget_learners_.push_back(std::move(learner));
    }

    if (reports_ != nullptr && spec_.record_weights) {
        const double step = schedule_.weights_every > 0
                                ? static_cast<double>(schedule_.weights_every)
                                : static_cast<double>(schedule_.total(train.size()));
        for (std::size_t layer = 0; layer < network_.n_layers(); ++layer) {
            const auto& w = network_.weights(layer);
            const auto n_out = static_cast<std::uint64_t>(w.rows());
            const auto n_in = static_cast<std::uint64_t>(w.cols());
            ReportLayout weights{
                .name = spec_.weight_report(layer),
                .units = "",
                .role = {.network = spec_.name,
                         .role = "layer_weights",
                         .input_shape = layer == 0 ? train.input_shape() : std::vector{n_in},
                         .layer = layer + 1},
                .time_start = 0.0,
                .time_step = step,
                .time_units = "examples"};
            ReportLayout biases = weights;
            biases.name = spec_.bias_report(layer);
            biases.role = {.network = spec_.name, .role = "layer_biases", .layer = layer + 1};
            weights.map_dense_matrix(
                n_in, n_out, [&](std::uint64_t i, std::uint64_t j) { return j * n_in + i; });
            biases.map_one_value_per_node(n_out);
            weight_reports_.push_back(
                {.weights = reports_->add_report(weights), .biases = reports_->add_report(biases)});
        }
        record_weights();  // frame 0: before training
    }
}

std::string GradientTrainer::metric(const std::string& leaf) const {
    return fmt::format("rate/{}/{}", spec_.name, leaf);
}

void GradientTrainer::record_weights() {
    for (std::size_t layer = 0; layer < weight_reports_.size(); ++layer) {
        const auto& w = network_.weights(layer);
        // Node-major (one postsynaptic unit's incoming weights together), as the spiking
        // side's weight reports.
        frame_.resize(static_cast<std::size_t>(w.size()));
        Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
            frame_.data(), w.rows(), w.cols()) = w;
        reports_->append_frames(weight_reports_[layer].weights, frame_, 1);
        const auto& b = network_.biases(layer);
        reports_->append_frames(
            weight_reports_[layer].biases,
            std::span<const float>(b.data(), static_cast<std::size_t>(b.size())), 1);
    }
    next_weight_frame_ +=
        schedule_.weights_every > 0 ? schedule_.weights_every : schedule_.total(train_.size());
}

void GradientTrainer::train_batch(std::size_t size) {
    batch_inputs_.resize(static_cast<Eigen::Index>(train_.n_inputs()),
                         static_cast<Eigen::Index>(size));
    batch_labels_.resize(size);
    for (std::size_t j = 0; j < size; ++j) {
        const std::size_t index = stream_.index(seen_ + j);
        batch_inputs_.col(static_cast<Eigen::Index>(j)) =
            train_.inputs.col(static_cast<Eigen::Index>(index));
        batch_labels_[j] = labels_(index);
    }
    // The budget learners first: they take this batch's positions, seen_ not yet advanced.
    for (auto& learner : budget_learners_) train_budget_batch(learner, size);
    const auto& outputs = network_.forward(batch_inputs_);
    if (!outputs.allFinite()) {
        throw NumericalError(fmt::format(
            "rate network '{}': its outputs became NaN or infinite in the batch after {} "
            "examples (epoch {}, learning rate {}); a lower learning_rate may help",
            spec_.name, seen_, epoch_ + 1, optimizer_.learning_rate()));
    }
    // Training accuracy is that of the network before this batch's update, as PyTorch users
    // usually count it.
    for (std::size_t j = 0; j < size; ++j) {
        const auto column = outputs.col(static_cast<Eigen::Index>(j));
        if (task::predicted_class(std::span<const float>(column.data(), train_.n_classes)) ==
            batch_labels_[j]) {
            ++correct_;
        }
    }
    loss_sum_ += network_.backward(batch_labels_) * static_cast<double>(size);
    counted_ += size;
    optimizer_.step(network_);
    for (std::size_t l = 0; l < network_.n_layers(); ++l) {
        parameter_updates_ +=
            static_cast<std::uint64_t>(network_.weights(l).size() + network_.biases(l).size());
    }
    seen_ += size;
}

std::size_t GradientTrainer::budget_example(BudgetLearner& learner, std::uint64_t position) {
    if (position < learner.budget) return stream_.index(position);
    const std::uint64_t k = position - learner.budget;
    const std::uint64_t epoch = k / learner.budget;
    if (!learner.cached || learner.cached_epoch != epoch) {
        // Fisher-Yates over the budget's stream positions, one draw per swap.
        auto& p = learner.permutation;
        p.resize(static_cast<std::size_t>(learner.budget));
        for (std::size_t i = 0; i < p.size(); ++i) p[i] = static_cast<std::uint32_t>(i);
        for (std::size_t i = p.size() - 1; i > 0; --i) {
            const double u = learner.order.uniform(epoch, static_cast<std::uint32_t>(i));
            const auto j = std::min(i, static_cast<std::size_t>(u * static_cast<double>(i + 1)));
            std::swap(p[i], p[j]);
        }
        learner.cached_epoch = epoch;
        learner.cached = true;
    }
    return stream_.index(learner.permutation[static_cast<std::size_t>(k % learner.budget)]);
}

void GradientTrainer::train_budget_batch(BudgetLearner& learner, std::size_t size) {
    budget_inputs_.resize(static_cast<Eigen::Index>(train_.n_inputs()),
                          static_cast<Eigen::Index>(size));
    budget_labels_.resize(size);
    for (std::size_t j = 0; j < size; ++j) {
        const std::size_t index = budget_example(learner, seen_ + j);
        budget_inputs_.col(static_cast<Eigen::Index>(j)) =
            train_.inputs.col(static_cast<Eigen::Index>(index));
        budget_labels_[j] = labels_(index);
    }
    const auto& outputs = learner.network.forward(budget_inputs_);
    if (!outputs.allFinite()) {
        throw NumericalError(fmt::format(
            "rate network '{}' (label budget {}): its outputs became NaN or infinite in the batch "
            "after {} examples; a lower learning_rate may help",
            spec_.name, learner.budget, seen_));
    }
    learner.network.backward(budget_labels_);
    learner.optimizer.step(learner.network);
}

void GradientTrainer::train_until(std::uint64_t target, const std::function<bool()>& keep_going) {
    Eigen::setNbThreads(static_cast<int>(spec_.threads));
    const auto start = std::chrono::steady_clock::now();
    const std::uint64_t n = train_.size();
    while (seen_ < target) {
        if (keep_going && !keep_going()) break;
        const std::uint64_t epoch_end = (seen_ / n + 1) * n;
        std::uint64_t end = std::min({seen_ + spec_.batch_size, target, epoch_end});
        if (!weight_reports_.empty()) end = std::min(end, next_weight_frame_);
        train_batch(static_cast<std::size_t>(end - seen_));
        if (seen_ == epoch_end) {
            ++epoch_;
            optimizer_.set_learning_rate(optimizer_.learning_rate() * spec_.learning_rate_decay);
            for (auto& learner : budget_learners_) {
                learner.optimizer.set_learning_rate(learner.optimizer.learning_rate() *
                                                    spec_.learning_rate_decay);
            }
        }
        if (!weight_reports_.empty() && seen_ == next_weight_frame_) record_weights();
    }
    training_seconds_ +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

const Evaluation& GradientTrainer::evaluate_and_record() {
    Eigen::setNbThreads(static_cast<int>(spec_.threads));
    last_ = train::evaluate(network_, test_);
    test_macs_ += last_->forward_macs;
    if (metrics_ != nullptr) {
        const std::uint64_t seen = seen_;
        const double train_loss = counted_ > 0 ? loss_sum_ / static_cast<double>(counted_) : 0.0;
        const double train_accuracy =
            counted_ > 0 ? static_cast<double>(correct_) / static_cast<double>(counted_) : 0.0;
        const double test_loss = last_->loss;
        const double test_accuracy = last_->confusion.accuracy();
        metrics_->append_count_series(metric("curve/examples_seen"), std::span(&seen, 1));
        metrics_->append_series(metric("curve/train_loss"), std::span(&train_loss, 1), "");
        metrics_->append_series(metric("curve/train_accuracy"), std::span(&train_accuracy, 1), "1");
        metrics_->append_series(metric("curve/test_loss"), std::span(&test_loss, 1), "");
        metrics_->append_series(metric("curve/test_accuracy"), std::span(&test_accuracy, 1), "1");
        const std::uint64_t used = labels_allowed(seen_, train_.size(), 0);
        metrics_->append_count_series(metric("curve/labels_used"), std::span(&used, 1));
    }
    budget_points_.clear();
    for (const std::uint64_t budget : schedule_.label_budgets) {
        BudgetPoint point{.budget = budget,
                          .labels_used = labels_allowed(seen_, train_.size(), budget)};
        const auto learner = std::find_if(budget_learners_.begin(), budget_learners_.end(),
                                          [&](const auto& l) { return l.budget == budget; });
        if (learner == budget_learners_.end()) {
            point.accuracy = last_->confusion.accuracy();
            point.loss = last_->loss;
        } else {
            const Evaluation e = train::evaluate(learner->network, test_);
            point.accuracy = e.confusion.accuracy();
            point.loss = e.loss;
        }
        budget_points_.push_back(point);
        if (metrics_ != nullptr) {
            append_label_point(*metrics_, metric("label_curve/"), seen_, point.budget,
                               point.labels_used, point.accuracy);
            metrics_->append_series(metric("label_curve/test_loss"), std::span(&point.loss, 1), "");
        }
    }
    loss_sum_ = 0.0;
    correct_ = 0;
    counted_ = 0;
    return *last_;
}

std::uint64_t GradientTrainer::training_macs() const {
    return seen_ * (network_.forward_macs_per_example() + network_.backward_macs_per_example());
}

std::vector<EnergyLine> GradientTrainer::training_energy_lines() const {
    const double updates =
        seen_ > 0 ? static_cast<double>(parameter_updates_) / static_cast<double>(seen_) : 0.0;
    return {{mac_forward_cost(), static_cast<double>(network_.forward_macs_per_example())},
            {mac_backward_cost(), static_cast<double>(network_.backward_macs_per_example())},
            {weight_update_cost(spec_.optimizer.kind), updates}};
}

std::vector<EnergyLine> GradientTrainer::test_energy_lines() const {
    return {{mac_forward_cost(), static_cast<double>(network_.forward_macs_per_example())}};
}

void GradientTrainer::finish() {
    if (metrics_ == nullptr) return;
    metrics_->write_count(metric("examples_seen"), seen_);
    metrics_->write_wall_time(metric("training_seconds"), training_seconds_);
    metrics_->write_metric(metric("epochs"),
                           static_cast<double>(seen_) / static_cast<double>(train_.size()), "");
    metrics_->write_count(metric("operations/forward_macs_per_example"),
                          network_.forward_macs_per_example());
    metrics_->write_count(metric("operations/backward_macs_per_example"),
                          network_.backward_macs_per_example());
    metrics_->write_count(metric("operations/training_forward_macs"),
                          seen_ * network_.forward_macs_per_example());
    metrics_->write_count(metric("operations/training_backward_macs"),
                          seen_ * network_.backward_macs_per_example());
    metrics_->write_count(metric("operations/test_forward_macs"), test_macs_);
    const auto training_macs = static_cast<double>(network_.forward_macs_per_example() +
                                                   network_.backward_macs_per_example());
    metrics_->write_metric(metric("operations/energy_per_training_example_45nm"),
                           training_macs * pj_per_mac_45nm, "pJ");
    metrics_->write_metric(
        metric("operations/energy_per_test_example_45nm"),
        static_cast<double>(network_.forward_macs_per_example()) * pj_per_mac_45nm, "pJ");
    metrics_->write_count(metric("operations/training_parameter_updates"), parameter_updates_);
    if (view_) {
        metrics_->write_count(metric("input/n_inputs"), train_.n_inputs());
        metrics_->write_count(metric("input/bins"), train_.image_shape[1]);
        metrics_->write_metric(metric("input/bin_width"), bin_width_ms_, "ms");
    }
    write_energy(*metrics_, metric("energy"), "training", training_energy_lines());
    write_energy(*metrics_, metric("energy"), "test", test_energy_lines());
    if (last_) {
        metrics_->write_metric(metric("test_accuracy"), last_->confusion.accuracy(), "1");
        metrics_->write_metric(metric("test_loss"), last_->loss, "");
        const auto n = last_->confusion.n_classes();
        metrics_->write_count_matrix(metric("test_confusion"), last_->confusion.counts(), n, n);
    }
}

std::optional<LearnerPoint> GradientTrainer::evaluate(const std::function<bool()>& /*stop*/) {
    const auto start = std::chrono::steady_clock::now();
    const Evaluation& evaluation = evaluate_and_record();
    LearnerPoint point{.examples_seen = seen_,
                       .accuracy = evaluation.confusion.accuracy(),
                       .labels_used = labels_allowed(seen_, train_.size(), 0)};
    for (const auto& b : budget_points_) point.budget_accuracy.push_back(b.accuracy);
    point.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return point;
}

std::vector<WorkRow> GradientTrainer::work_rows() const {
    const auto macs = forward_macs_per_example() + backward_macs_per_example();
    const double updates =
        seen_ > 0 ? static_cast<double>(parameter_updates_) / static_cast<double>(seen_) : 0.0;
    return {WorkRow{.phase = "train",
                    .synaptic_events = "-",
                    .neuron_updates = "-",
                    .plasticity_updates = "-",
                    .macs_per_parameter = fmt::format("{}/{:.0f}", macs, updates),
                    .lines = training_energy_lines()},
            WorkRow{.phase = "test",
                    .synaptic_events = "-",
                    .neuron_updates = "-",
                    .plasticity_updates = "-",
                    .macs_per_parameter = fmt::format("{}/0", forward_macs_per_example()),
                    .lines = test_energy_lines()}};
}

namespace {

void save_network(StateWriter& out, const models::RateNetwork& network) {
    out.u64(network.n_layers());
    for (std::size_t l = 0; l < network.n_layers(); ++l) {
        out.array(network.weights(l));
        out.array(network.biases(l));
    }
}

void load_network(StateReader& in, models::RateNetwork& network, const std::string& what) {
    if (in.u64() != network.n_layers()) in.fail(what + ": another number of layers");
    for (std::size_t l = 0; l < network.n_layers(); ++l) {
        auto& w = network.weights(l);
        auto& b = network.biases(l);
        in.array_into(w, w.rows(), w.cols(), fmt::format("{}: layer {} weights", what, l + 1));
        in.array_into(b, b.rows(), b.cols(), fmt::format("{}: layer {} biases", what, l + 1));
    }
}

void save_optimizer(StateWriter& out, models::Optimizer& optimizer) {
    out.f64(optimizer.learning_rate());
    out.u64(optimizer.steps_taken());
    const auto arrays = optimizer.state_arrays();
    out.u64(arrays.size());
    for (const auto& a : arrays) out.vec(std::span<const float>(a));
}

void load_optimizer(StateReader& in, models::Optimizer& optimizer, const std::string& what) {
    const double learning_rate = in.f64();
    if (!(learning_rate >= 0.0)) in.fail(what + ": learning rate");
    optimizer.set_learning_rate(learning_rate);
    optimizer.set_steps_taken(in.u64());
    auto arrays = optimizer.state_arrays();
    if (in.u64() != arrays.size()) in.fail(what + ": another optimiser");
    for (auto& a : arrays) {
        const std::vector<float> values = in.vec<float>();
        if (values.size() != a.size()) in.fail(what + ": another optimiser state");
        std::copy(values.begin(), values.end(), a.begin());
    }
}

}  // namespace

void save_confusion(StateWriter& out, const task::ConfusionMatrix& confusion) {
    out.u64(confusion.n_classes());
    out.vec(confusion.counts());
}

task::ConfusionMatrix load_confusion(StateReader& in, std::size_t n_classes,
                                     const std::string& what) {
    if (in.u64() != n_classes) in.fail(what + ": another number of classes");
    const auto counts = in.vec<std::uint64_t>();
    if (counts.size() != n_classes * n_classes) in.fail(what + ": confusion matrix");
    task::ConfusionMatrix confusion(n_classes);
    for (std::size_t t = 0; t < n_classes; ++t) {
        for (std::size_t p = 0; p < n_classes; ++p) {
            for (std::uint64_t k = 0; k < counts[t * n_classes + p]; ++k) {
                confusion.add(static_cast<std::uint32_t>(t), static_cast<std::uint32_t>(p));
            }
        }
    }
    return confusion;
}

void GradientTrainer::save_state(StateWriter& out) const {
    out.tag("rate network " + spec_.name);
    save_network(out, network_);
    // The optimiser's arrays are read through a mutable view; saving changes nothing.
    save_optimizer(out, const_cast<models::Optimizer&>(optimizer_));
    out.u64(seen_);
    out.u64(next_weight_frame_);
    out.u64(epoch_);
    out.f64(loss_sum_);
    out.u64(correct_);
    out.u64(counted_);
    out.u64(test_macs_);
    out.u64(parameter_updates_);
    out.f64(training_seconds_);
    out.boolean(last_.has_value());
    if (last_) {
        out.f64(last_->loss);
        save_confusion(out, last_->confusion);
        out.u64(last_->forward_macs);
    }
    out.vec(budget_points_);
    out.u64(budget_learners_.size());
    for (const auto& learner : budget_learners_) {
        out.u64(learner.budget);
        save_network(out, learner.network);
        save_optimizer(out, const_cast<models::Optimizer&>(learner.optimizer));
        out.pod(learner.order);
        out.u64(learner.cached_epoch);
        out.boolean(learner.cached);
        out.vec(learner.permutation);
    }
}

void GradientTrainer::load_state(StateReader& in) {
    in.tag("rate network " + spec_.name);
    const std::string what = "rate network '" + spec_.name + "'";
    load_network(in, network_, what);
    load_optimizer(in, optimizer_, what);
    seen_ = in.u64();
    next_weight_frame_ = in.u64();
    epoch_ = in.u64();
    loss_sum_ = in.f64();
    correct_ = in.u64();
    counted_ = in.u64();
    test_macs_ = in.u64();
    parameter_updates_ = in.u64();
    training_seconds_ = in.f64();
    last_.reset();
    if (in.boolean()) {
        Evaluation e{.loss = in.f64(), .confusion = load_confusion(in, train_.n_classes, what)};
        e.forward_macs = in.u64();
        last_ = std::move(e);
    }
    budget_points_ = in.vec<BudgetPoint>();
    if (!budget_points_.empty() && budget_points_.size() != schedule_.label_budgets.size()) {
        in.fail(what + ": other label budgets");
    }
    if (in.u64() != budget_learners_.size()) in.fail(what + ": other label budgets");
    for (auto& learner : budget_learners_) {
        if (in.u64() != learner.budget) in.fail(what + ": other label budgets");
        load_network(in, learner.network, what);
        load_optimizer(in, learner.optimizer, what);
        learner.order = in.pod<RandomStream>();
        learner.cached_epoch = in.u64();
        learner.cached = in.boolean();
        learner.permutation = in.vec<std::uint32_t>();
        if ((learner.cached && learner.permutation.size() != learner.budget) ||
            std::any_of(learner.permutation.begin(), learner.permutation.end(),
                        [&](std::uint32_t p) { return p >= learner.budget; })) {
            in.fail(what + ": a budget learner's order");
        }
    }
}

}  // namespace spikerate::sim::train
