// Labels as a budget both paradigms draw from (TrainingSchedule::labels, label_budgets): a
// learner evaluated after k examples never reads the label of an example it has not seen, uses
// at most min(k, L) labels under a budget L, and its budget curves are deterministic. The
// dataset is instrumented through the trainers' LabelReader, which sees every label read.
#include <algorithm>
#include <set>
#include <vector>

#include <catch2/catch.hpp>

#include "sim/task/synthetic.hpp"
#include "sim/train/diehl_cook_2015.hpp"
#include "sim/train/gradient_trainer.hpp"
#include "sim/train/stdp_trainer.hpp"
#include "tests/sim/memory_output.hpp"

using namespace spikerate;
using sim::train::LabelProtocol;
using sim::train::TrainingSchedule;
using testing::MemoryOutput;

namespace {

// The training examples of the first `k` stream positions.
std::set<std::size_t> first_of_stream(sim::task::ExampleStream stream, std::uint64_t k) {
    std::set<std::size_t> seen;
    for (std::uint64_t p = 0; p < k; ++p) seen.insert(stream.index(p));
    return seen;
}

// Every label read is recorded with the number of examples the learner had been shown when
// (at most) it was read: the end of the training call, or the point of the evaluation.
struct LabelLog {
    std::vector<std::pair<std::size_t, std::uint64_t>> reads;  // (example, examples seen)
    std::uint64_t limit = 0;
    void attach(sim::task::LabelReader& reader) {
        reader.set_observer([this](std::size_t index) { reads.emplace_back(index, limit); });
    }
    // Every read was of an example among the first `limit` of the stream.
    void check_all_seen(const sim::task::ExampleStream& stream) const {
        for (const auto& [index, limit_then] : reads) {
            const auto seen = first_of_stream(stream, limit_then);
            INFO("label of example " << index << " read with " << limit_then << " examples seen");
            CHECK(seen.count(index) == 1);
        }
    }
};

sim::task::Task bars() {
    return sim::task::make_bars({.grid = 4, .train_examples = 60, .test_examples = 40}, 3);
}

TrainingSchedule budget_schedule(std::uint64_t examples, std::vector<std::uint64_t> points,
                                 std::vector<std::uint64_t> budgets) {
    TrainingSchedule schedule{.examples = examples, .evaluate_at = std::move(points)};
    schedule.labels = LabelProtocol::seen;
    schedule.label_budgets = std::move(budgets);
    return schedule;
}

sim::train::RateNetworkSpec mlp_spec() {
    sim::train::RateNetworkSpec spec{.name = "mlp", .batch_size = 4};
    spec.network.hidden = {8};
    spec.optimizer.learning_rate = 0.1;
    spec.record_weights = false;
    return spec;
}

sim::train::SpikingNetworkSpec stdp_spec() {
    sim::train::DiehlCook2015Params params;
    params.n_exc = 10;
    sim::train::SpikingNetworkSpec section{.name = "stdp"};
    section.record_weights = false;
    return sim::train::diehl_cook_2015_learner(params, 4 * 4, 1, section);  // bars(): 4 x 4
}

// Trains a rate network over the schedule with its labels logged; returns its metrics.
MemoryOutput run_rate(const sim::task::Task& task, const TrainingSchedule& schedule,
                      LabelLog* log = nullptr) {
    MemoryOutput out;
    const sim::task::ExampleStream stream(task.train.size(), 5, true);
    sim::train::GradientTrainer trainer(mlp_spec(), task.train, task.test, stream, schedule, 5,
                                        nullptr, &out);
    if (log != nullptr) log->attach(trainer.label_reader());
    for (const auto point : schedule.points(task.train.size())) {
        if (log != nullptr) log->limit = point;
        trainer.train_until(point);
        trainer.evaluate_and_record();
        for (const auto& b : trainer.last_budget_points()) {
            CHECK(b.labels_used == std::min<std::uint64_t>({point, task.train.size(),
                                                            b.budget == 0 ? point : b.budget}));
        }
    }
    if (log != nullptr) log->check_all_seen(stream);
    return out;
}

MemoryOutput run_stdp(const sim::task::Task& task, const TrainingSchedule& schedule,
                      LabelLog* log = nullptr, std::uint32_t assignment_examples = 10000) {
    MemoryOutput out;
    const sim::task::ExampleStream stream(task.train.size(), 5, true);
    auto spec = stdp_spec();
    spec.assignment_examples = assignment_examples;
    sim::train::StdpTrainer trainer(spec, task.train, task.test, stream, schedule, 5, nullptr,
                                    &out);
    if (log != nullptr) log->attach(trainer.label_reader());
    for (const auto point : schedule.points(task.train.size())) {
        if (log != nullptr) log->limit = point;
        trainer.train_until(point);
        const auto* e = trainer.evaluate_and_record();
        REQUIRE(e != nullptr);
        for (const auto& b : e->budgets) {
            CHECK(b.labels_used == std::min<std::uint64_t>({point, task.train.size(),
                                                            b.budget == 0 ? point : b.budget}));
        }
    }
    if (log != nullptr) log->check_all_seen(stream);
    return out;
}

// The same task with the labels of every example beyond the first `keep` stream positions
// changed (to the next class): a learner that uses only those `keep` labels cannot tell.
sim::task::Task relabelled_beyond(sim::task::Task task, std::uint64_t keep) {
    const auto keep_set =
        first_of_stream(sim::task::ExampleStream(task.train.size(), 5, true), keep);
    for (std::size_t i = 0; i < task.train.size(); ++i) {
        if (keep_set.count(i) == 0) {
            task.train.labels[i] =
                (task.train.labels[i] + 1) % static_cast<std::uint32_t>(task.train.n_classes);
        }
    }
    return task;
}

// Rows of a label curve with budget `budget`.
std::vector<double> rows_of(const MemoryOutput& out, const std::string& base,
                            std::uint64_t budget) {
    const auto& budgets = out.series.at(base + "/label_curve/label_budget");
    const auto& accuracy = out.series.at(base + "/label_curve/test_accuracy");
    std::vector<double> rows;
    for (std::size_t r = 0; r < budgets.size(); ++r) {
        if (budgets[r] == static_cast<double>(budget)) rows.push_back(accuracy[r]);
    }
    return rows;
}

}  // namespace

TEST_CASE("label budgets: the schedule's keys are checked", "[label_budget][unit]") {
    TrainingSchedule schedule;
    schedule.label_budgets = {10};
    CHECK_THROWS_WITH(schedule.validate(),
                      Catch::Contains("label_budgets") && Catch::Contains("labels = \"seen\""));
    schedule.labels = LabelProtocol::seen;
    CHECK_NOTHROW(schedule.validate());
    schedule.label_budgets = {10, 0, 30};
    CHECK_THROWS_WITH(schedule.validate(), Catch::Contains("label_budgets[1]"));
    schedule.label_budgets = {10, 10};
    CHECK_THROWS_WITH(schedule.validate(), Catch::Contains("label_budgets[1]"));
    schedule.label_budgets = {10, 30, 0};
    CHECK_NOTHROW(schedule.validate());
    schedule.test_presentations = 3;
    CHECK_THROWS_WITH(schedule.validate(), Catch::Contains("test_presentations"));
    schedule.label_budgets.clear();
    schedule.labels = LabelProtocol::paper;
    CHECK_NOTHROW(schedule.validate());
    schedule.test_presentations = 0;
    CHECK_THROWS_WITH(schedule.validate(), Catch::Contains("test_presentations"));

    CHECK(sim::train::labels_allowed(5, 100, 0) == 5);
    CHECK(sim::train::labels_allowed(500, 100, 0) == 100);
    CHECK(sim::train::labels_allowed(500, 100, 30) == 30);
    CHECK(sim::train::labels_allowed(20, 100, 30) == 20);
}

TEST_CASE("label budgets: the rate network reads only labels of examples it has seen, at most L",
          "[label_budget][integration]") {
    const auto task = bars();
    const auto schedule = budget_schedule(150, {3, 10, 40, 150}, {5, 20, 0});
    LabelLog log;
    const MemoryOutput out = run_rate(task, schedule, &log);
    CHECK(!log.reads.empty());

    // One row per (point, budget), in the budgets' order; "all seen" is the main curve.
    const auto& used = out.series.at("rate/mlp/label_curve/labels_used");
    CHECK(used == std::vector<double>{3, 3, 3, 5, 10, 10, 5, 20, 40, 5, 20, 60});
    CHECK(rows_of(out, "rate/mlp", 0) == out.series.at("rate/mlp/curve/test_accuracy"));
    CHECK(out.series.at("rate/mlp/curve/labels_used") == std::vector<double>{3, 10, 40, 60});
    // While k <= L the budget's learner is the main network, step for step.
    CHECK(rows_of(out, "rate/mlp", 20)[0] == rows_of(out, "rate/mlp", 0)[0]);
    CHECK(rows_of(out, "rate/mlp", 20)[1] == rows_of(out, "rate/mlp", 0)[1]);

    // Labels beyond the budget's examples are never read by its learner: changing them changes
    // the main curve, not budget 5's.
    const MemoryOutput relabelled = run_rate(relabelled_beyond(task, 5), schedule);
    CHECK(rows_of(relabelled, "rate/mlp", 5) == rows_of(out, "rate/mlp", 5));
    CHECK(rows_of(relabelled, "rate/mlp", 0) != rows_of(out, "rate/mlp", 0));

    // Deterministic per seed.
    CHECK(run_rate(task, schedule).series == out.series);
}

TEST_CASE(
    "label budgets: the spiking network learns without labels and labels its readout only from "
    "examples it has seen, at most L",
    "[label_budget][integration][slow]") {
    const auto task = bars();
    const auto schedule = budget_schedule(20, {4, 20}, {3, 10, 0});
    LabelLog log;
    const MemoryOutput out = run_stdp(task, schedule, &log, 8);
    CHECK(!log.reads.empty());
    CHECK(out.series.at("spiking/stdp/label_curve/labels_used") ==
          std::vector<double>{3, 4, 4, 3, 10, 20});
    CHECK(out.series.at("spiking/stdp/label_curve/examples_seen") ==
          std::vector<double>{4, 4, 4, 20, 20, 20});
    // The main curve: the first min(k, assignment_examples) stream examples.
    CHECK(out.series.at("spiking/stdp/curve/labels_used") == std::vector<double>{4, 8});

    // Training reads no label at all: a run that only trains leaves the log empty.
    {
        LabelLog training_only;
        const sim::task::ExampleStream stream(task.train.size(), 5, true);
        sim::train::StdpTrainer trainer(stdp_spec(), task.train, task.test, stream, schedule, 5,
                                        nullptr, nullptr);
        training_only.attach(trainer.label_reader());
        trainer.train_until(20);
        CHECK(training_only.reads.empty());
    }

    const MemoryOutput relabelled = run_stdp(relabelled_beyond(task, 3), schedule, nullptr, 8);
    CHECK(rows_of(relabelled, "spiking/stdp", 3) == rows_of(out, "spiking/stdp", 3));

    CHECK(run_stdp(task, schedule, nullptr, 8).series == out.series);  // deterministic
}

TEST_CASE(
    "label protocols: first_examples labels from the first training examples in data-set order, "
    "paper from all of them, tested over several presentations",
    "[label_budget][integration]") {
    // Fewer examples than bars(): labelling the whole training set and testing twice present
    // each of them (the sanitizer run takes about 30 ms per presentation).
    const auto task =
        sim::task::make_bars({.grid = 4, .train_examples = 16, .test_examples = 12}, 3);
    TrainingSchedule schedule{.examples = 6};
    const sim::task::ExampleStream stream(task.train.size(), 5, true);

    SECTION("first_examples: examples 0 .. assignment_examples - 1, seen or not") {
        auto spec = stdp_spec();
        spec.assignment_examples = 12;
        sim::train::StdpTrainer trainer(spec, task.train, task.test, stream, schedule, 5, nullptr,
                                        nullptr);
        LabelLog log;
        log.attach(trainer.label_reader());
        trainer.train_until(6);
        const auto* e = trainer.evaluate_and_record();
        REQUIRE(e != nullptr);
        std::vector<std::size_t> read;
        for (const auto& r : log.reads) read.push_back(r.first);
        CHECK(read == std::vector<std::size_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
        CHECK(e->labels_used == 12);
        // The same as labelling by hand from the frozen responses of examples 0..11 (the
        // computation before label protocols existed).
        sim::train::SpikingWork work;
        const auto counts = trainer.frozen_responses(task.train, 12, "assign", work);
        const auto by_hand = sim::task::assign_labels(
            counts, 10, std::span<const std::uint32_t>(task.train.labels.data(), 12),
            task.train.n_classes);
        CHECK(e->assignments.class_of_neuron == by_hand.class_of_neuron);
        const auto test_counts =
            trainer.frozen_responses(task.test, task.test.size(), "test", work);
        std::uint64_t correct = 0;
        for (std::size_t i = 0; i < task.test.size(); ++i) {
            const auto predicted = sim::task::classify(
                std::span<const std::uint32_t>(test_counts.data() + i * 10, 10), by_hand);
            if (predicted && *predicted == task.test.labels[i]) ++correct;
        }
        CHECK(e->accuracy == static_cast<double>(correct) / static_cast<double>(task.test.size()));
    }
    SECTION("paper: the whole training set labels, the test set presented N times") {
        schedule.labels = LabelProtocol::paper;
        schedule.test_presentations = 2;
        sim::train::StdpTrainer trainer(stdp_spec(), task.train, task.test, stream, schedule, 5,
                                        nullptr, nullptr);
        trainer.train_until(6);
        const auto* e = trainer.evaluate_and_record();
        REQUIRE(e != nullptr);
        CHECK(e->labels_used == task.train.size());
        CHECK(e->assignment_work.examples == task.train.size());
        CHECK(e->test_work.examples == 2 * task.test.size());
        CHECK(e->confusion.total() + e->unclassified == 2 * task.test.size());
    }
}
