// The Experiment that owns a run: the schedule over every learner gives what driving the
// trainers by hand gives, a stop leaves exactly the completed points, the output is flushed on
// schedule, and a free-running network records what stepping it by hand produces.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <vector>

#include <catch2/catch.hpp>

#include "sim/task/synthetic.hpp"
#include "sim/train/experiment.hpp"
#include "tests/sim/memory_output.hpp"
#include "tests/sim/small_networks.hpp"

using namespace spikerate;
using sim::train::Experiment;
using sim::train::ExperimentObserver;
using sim::train::ExperimentSpec;
using sim::train::GradientTrainer;
using sim::train::Outcome;
using sim::train::RateNetworkSpec;
using sim::train::TrainingSchedule;
using testing::MemoryOutput;

namespace {

const sim::task::Task& bars_task() {
    static const sim::task::Task task =
        sim::task::make_bars({.grid = 4, .train_examples = 100, .test_examples = 40}, 9);
    return task;
}

std::vector<RateNetworkSpec> two_rate_networks() {
    RateNetworkSpec mlp{.name = "mlp", .batch_size = 16};
    mlp.network.hidden = {6};
    RateNetworkSpec logreg{.name = "logreg", .batch_size = 10};
    logreg.network.hidden = {};
    return {mlp, logreg};
}

ExperimentSpec rate_experiment() {
    return ExperimentSpec{.task = &bars_task(),
                          .shuffle = true,
                          .rate = two_rate_networks(),
                          .schedule = {.examples = 250,
                                       .evaluate_at = {30, 100},
                                       .weights_every = 70,
                                       .labels = sim::train::LabelProtocol::seen,
                                       .label_budgets = {10, 0}},
                          .seed = 9};
}

// Records what the experiment reports; stops when `stop_after` says so.
class TestObserver final : public ExperimentObserver {
  public:
    std::function<bool()> stop_after;
    std::vector<std::pair<std::string, std::uint64_t>> evaluations;
    std::int64_t last_steps = 0;
    bool network_finished = false;
    mutable std::atomic<bool> stopped{false};

    bool stop_requested() const override {
        if (!stopped && stop_after && stop_after()) stopped = true;
        return stopped;
    }
    void network_steps(std::int64_t steps_done, std::int64_t /*total*/) override {
        CHECK(steps_done > last_steps);
        CHECK(steps_done % 256 == 0);
        last_steps = steps_done;
    }
    void network_done() override { network_finished = true; }
    void evaluated(const sim::train::Learner& learner, const sim::train::LearnerPoint& point,
                   std::uint64_t total) override {
        CHECK(total == 250);
        CHECK(point.examples_seen == learner.examples_seen());
        evaluations.emplace_back(learner.name(), point.examples_seen);
    }
};

}  // namespace

TEST_CASE(
    "experiment: rate networks' points and accuracies are those of driving the trainers "
    "by hand",
    "[experiment][integration]") {
    const ExperimentSpec spec = rate_experiment();
    Experiment experiment(spec);
    MemoryOutput out;
    TestObserver observer;
    const Outcome outcome = experiment.run({.reports = out, .metrics = out}, observer);
    CHECK(outcome == Outcome::completed);
    REQUIRE(experiment.points() == std::vector<std::uint64_t>{30, 100, 250});
    REQUIRE(experiment.learners().size() == 2);
    CHECK(experiment.learners()[0]->name() == "mlp");
    // Each learner trains to a point and is tested there before the next learner's turn.
    CHECK(observer.evaluations ==
          std::vector<std::pair<std::string, std::uint64_t>>{{"mlp", 30},
                                                             {"logreg", 30},
                                                             {"mlp", 100},
                                                             {"logreg", 100},
                                                             {"mlp", 250},
                                                             {"logreg", 250}});

    // By hand, as the trainer's own tests drive it.
    MemoryOutput by_hand;
    const auto& task = bars_task();
    const sim::task::ExampleStream stream(task.train.size(), spec.seed, spec.shuffle);
    std::vector<std::unique_ptr<GradientTrainer>> trainers;
    for (const auto& s : spec.rate) {
        trainers.push_back(std::make_unique<GradientTrainer>(
            s, task.train, task.test, stream, spec.schedule, spec.seed, &by_hand, &by_hand));
    }
    std::vector<std::vector<double>> accuracy;
    std::vector<std::vector<std::vector<double>>> budgets;
    for (const auto point : spec.schedule.points(task.train.size())) {
        auto& row = accuracy.emplace_back();
        auto& budget_row = budgets.emplace_back();
        for (auto& t : trainers) {
            t->train_until(point);
            row.push_back(t->evaluate_and_record().confusion.accuracy());
            auto& b = budget_row.emplace_back();
            for (const auto& p : t->last_budget_points()) b.push_back(p.accuracy);
        }
    }
    for (auto& t : trainers) t->finish();
    CHECK(experiment.accuracy() == accuracy);
    CHECK(experiment.budget_accuracy() == budgets);
    REQUIRE(budgets.front().front().size() == 2);
    // The same curves and frames reached the output (the wall times the trainers wrote by hand
    // aside: the experiment leaves them out, [run] wall_times = false).
    for (const auto& [path, values] : by_hand.series) CHECK(out.series.at(path) == values);
    CHECK(out.frames == by_hand.frames);
    for (const auto& [path, value] : by_hand.scalars) {
        if (path.ends_with("_seconds")) continue;
        INFO(path);
        CHECK(out.scalars.at(path) == value);
    }
    // Totals of every learner and the energy constants were written.
    CHECK(out.scalars.count("rate/logreg/test_accuracy") == 1);
    CHECK(out.scalars.size() > by_hand.scalars.size());
}

TEST_CASE("experiment: a stop after k examples leaves exactly the points completed before it",
          "[experiment][integration]") {
    // k = 120: the first learner is past 100 and training towards 250; k = 30: stopped after
    // mlp reached 30, before logreg was tested there; k = 0: nothing trained at all.
    const auto [k, expected_points] = GENERATE(table<std::uint64_t, std::vector<std::uint64_t>>(
        {{120, {30, 100}}, {100, {30}}, {30, {}}, {0, {}}}));
    Experiment experiment(rate_experiment());
    MemoryOutput out;
    TestObserver observer;
    observer.stop_after = [&] {
        const auto& learners = experiment.learners();
        return k == 0 || (!learners.empty() && learners.front()->examples_seen() >= k);
    };
    const Outcome outcome = experiment.run({.reports = out, .metrics = out}, observer);
    INFO("stop after " << k << " examples");
    CHECK(outcome == Outcome::interrupted);
    CHECK(experiment.points() == expected_points);
    CHECK(experiment.accuracy().size() == expected_points.size());
    CHECK(experiment.budget_accuracy().size() == expected_points.size());
    for (const auto& row : experiment.accuracy()) CHECK(row.size() == 2);
    // mlp never trains past where it was stopped (it checks before every batch of 16).
    if (k > 0) CHECK(experiment.learners().front()->examples_seen() < k + 16);
    // The learners' totals are written even when stopped.
    CHECK(out.scalars.count("rate/mlp/examples_seen") == 1);
}

TEST_CASE("experiment: the output is flushed on schedule", "[experiment][integration]") {
    Experiment experiment(rate_experiment());
    MemoryOutput out;
    TestObserver observer;
    std::uint64_t flushes = 0;
    SECTION("interval 0: before every batch and after every evaluation") {
        experiment.run(
            {.reports = out, .metrics = out, .flush = [&] { ++flushes; }, .flush_interval_s = 0.0},
            observer);
        // mlp: batches of 16 within [0, 30), [30, 100), [100, 250) plus the last call that
        // finds the target reached; at least one flush per batch and one per evaluation.
        CHECK(flushes >= 6 + (250 / 16));
        CHECK(experiment.flushes() == flushes);
    }
    SECTION("an interval longer than the run: never") {
        experiment.run(
            {.reports = out, .metrics = out, .flush = [&] { ++flushes; }, .flush_interval_s = 1e9},
            observer);
        CHECK(flushes == 0);
        CHECK(experiment.flushes() == 0);
    }
}

TEST_CASE("experiment: a free-running network records the spikes of stepping it by hand",
          "[experiment][integration]") {
    const sim::RecordingSpec record{.spikes = {"exc", "input"}};
    ExperimentSpec spec{
        .network = testing::small_plastic_network(), .duration_ms = 250.0, .record = record};
    Experiment experiment(spec);
    REQUIRE(experiment.total_steps() == 2500);
    MemoryOutput out;
    TestObserver observer;
    std::uint64_t flushes = 0;
    CHECK(
        experiment.run(
            {.reports = out, .metrics = out, .flush = [&] { ++flushes; }, .flush_interval_s = 0.0},
            observer) == Outcome::completed);
    CHECK(observer.last_steps == 2304);  // every 256 steps
    CHECK(observer.network_finished);
    CHECK(flushes == 2);  // due at every check, checked every 1024 steps
    REQUIRE(experiment.network() != nullptr);
    CHECK(experiment.network()->steps_done() == 2500);

    sim::Network net(testing::small_plastic_network());
    MemoryOutput by_hand;
    sim::Recorder recorder(record, net, by_hand);
    for (int k = 0; k < 2500; ++k) {
        net.step();
        recorder.after_step(net);
    }
    recorder.flush();
    REQUIRE(by_hand.spikes.at("exc").times.size() > 10);
    CHECK(out.spikes.at("exc").times == by_hand.spikes.at("exc").times);
    CHECK(out.spikes.at("exc").nodes == by_hand.spikes.at("exc").nodes);
    CHECK(out.spikes.at("input").times == by_hand.spikes.at("input").times);
    CHECK(out.spikes.at("input").nodes == by_hand.spikes.at("input").nodes);
    CHECK(out.scalars.at("simulated_time_ms") == 250.0);
    CHECK(out.scalars.at("populations/exc/spikes") ==
          static_cast<double>(by_hand.spikes.at("exc").times.size()));

    SECTION("a stop halfway leaves the steps done so far, recorded") {
        Experiment stopped(spec);
        MemoryOutput part;
        TestObserver stopper;
        stopper.stop_after = [&] { return stopped.network()->steps_done() >= 500; };
        CHECK(stopped.run({.reports = part, .metrics = part}, stopper) == Outcome::interrupted);
        CHECK(stopped.network()->steps_done() == 500);
        // Sources stamp a spike with the start of its step: steps 0 .. 499 are t < 50 ms.
        const auto& all = by_hand.spikes.at("input").times;
        const auto n = std::count_if(all.begin(), all.end(), [](double t) { return t < 50.0; });
        REQUIRE(n > 0);
        CHECK(part.spikes.at("input").times == std::vector<double>(all.begin(), all.begin() + n));
        const auto& exc = part.spikes.at("exc").times;
        const auto& all_exc = by_hand.spikes.at("exc").times;
        REQUIRE(exc.size() < all_exc.size());
        CHECK(exc ==
              std::vector<double>(all_exc.begin(),
                                  all_exc.begin() + static_cast<std::ptrdiff_t>(exc.size())));
    }
}

TEST_CASE("experiment: learners without a task and a duration off the grid are refused",
          "[experiment][unit]") {
    CHECK_THROWS_AS(Experiment(ExperimentSpec{.rate = two_rate_networks()}), Error);
    CHECK_THROWS_AS(Experiment(ExperimentSpec{.network = testing::small_plastic_network(),
                                              .duration_ms = 0.05}),
                    ParamError);
}
