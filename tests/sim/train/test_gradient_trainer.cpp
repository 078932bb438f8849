// The gradient trainer on synthetic tasks: it learns what it should, follows the schedule
// exactly, writes curves and weights in the shared layouts, and is deterministic.
#include <map>

#include <catch2/catch.hpp>

#include "sim/task/synthetic.hpp"
#include "sim/train/gradient_trainer.hpp"
#include "tests/sim/memory_output.hpp"

using namespace spikerate;
using sim::train::GradientTrainer;
using sim::train::RateNetworkSpec;
using sim::train::TrainingSchedule;
using testing::MemoryOutput;

namespace {

// Trains over the schedule's points, as `spikerate run` does; returns the trainer's output.
MemoryOutput train(const RateNetworkSpec& spec, const sim::task::Task& task,
                   const TrainingSchedule& schedule, std::uint64_t seed, bool shuffle = true) {
    MemoryOutput out;
    GradientTrainer trainer(spec, task.train, task.test,
                            sim::task::ExampleStream(task.train.size(), seed, shuffle), schedule,
                            seed, &out, &out);
    for (const auto point : schedule.points(task.train.size())) {
        trainer.train_until(point);
        CHECK(trainer.examples_seen() == point);
        trainer.evaluate_and_record();
    }
    trainer.finish();
    return out;
}

double accuracy_on(const models::RateNetwork& trained, const sim::task::Dataset& data) {
    models::RateNetwork network = trained;
    return sim::train::evaluate(network, data).confusion.accuracy();
}

}  // namespace

TEST_CASE("trainer: logistic regression separates linearly separable clusters",
          "[train][integration]") {
    const sim::task::GaussianClustersParams clusters{.n_classes = 4, .n_inputs = 3};
    const auto task = sim::task::make_gaussian_clusters(clusters, 5);
    RateNetworkSpec spec{.name = "logreg"};
    spec.network.hidden = {};
    spec.optimizer = {.kind = models::OptimizerKind::sgd, .learning_rate = 1.0};
    spec.batch_size = 10;
    const TrainingSchedule schedule{.examples = 20 * task.train.size()};

    MemoryOutput out;
    GradientTrainer trainer(spec, task.train, task.test,
                            sim::task::ExampleStream(task.train.size(), 5, true), schedule, 5, &out,
                            &out);
    trainer.train_until(schedule.total(task.train.size()));
    // The classes are separable (disjoint balls), so a linear classifier reaches 100 %.
    CHECK(accuracy_on(trainer.network(), task.train) == 1.0);
    CHECK(trainer.evaluate_and_record().confusion.accuracy() == 1.0);
}

TEST_CASE("trainer: an MLP learns XOR, logistic regression cannot", "[train][integration]") {
    const auto task =
        sim::task::make_xor({.train_examples = 200, .test_examples = 100, .noise = 0.1}, 2);
    const TrainingSchedule schedule{.examples = 40 * task.train.size()};
    RateNetworkSpec mlp{.name = "mlp", .batch_size = 8};
    mlp.network.hidden = {8};
    mlp.network.activation = models::Activation::tanh;
    mlp.optimizer.learning_rate = 0.05;
    const MemoryOutput learned = train(mlp, task, schedule, 2);
    CHECK(learned.scalars.at("rate/mlp/test_accuracy") == 1.0);

    // Without a hidden layer, at most 3 of the 4 corners can be right.
    RateNetworkSpec linear = mlp;
    linear.name = "linear";
    linear.network.hidden = {};
    const MemoryOutput failed = train(linear, task, schedule, 2);
    CHECK(failed.scalars.at("rate/linear/test_accuracy") <= 0.76);
}

TEST_CASE("trainer: the schedule is followed exactly and written in the shared layouts",
          "[train][integration]") {
    const auto task =
        sim::task::make_bars({.grid = 4, .train_examples = 100, .test_examples = 40}, 9);
    RateNetworkSpec spec{.name = "mlp", .batch_size = 32};
    spec.network.hidden = {6};
    // 250 examples: points at 30, 100 (not multiples of the batch) and the end; frames every 70.
    const TrainingSchedule schedule{.examples = 250, .evaluate_at = {30, 100}, .weights_every = 70};
    REQUIRE(schedule.points(task.train.size()) == std::vector<std::uint64_t>{30, 100, 250});

    MemoryOutput out;
    GradientTrainer trainer(spec, task.train, task.test,
                            sim::task::ExampleStream(task.train.size(), 9, true), schedule, 9, &out,
                            &out);
    const Eigen::MatrixXf initial = trainer.network().weights(0);
    for (const auto point : schedule.points(task.train.size())) {
        trainer.train_until(point);
        REQUIRE(trainer.examples_seen() == point);
        trainer.evaluate_and_record();
    }
    trainer.finish();

    CHECK(out.series.at("rate/mlp/curve/examples_seen") == std::vector<double>{30, 100, 250});
    for (const char* curve : {"train_loss", "train_accuracy", "test_loss", "test_accuracy"}) {
        CHECK(out.series.at(std::string("rate/mlp/curve/") + curve).size() == 3);
    }
    const auto& confusion = out.matrices.at("rate/mlp/test_confusion");
    REQUIRE(confusion.size() == 8 * 8);
    std::uint64_t total = 0;
    for (const auto c : confusion) total += c;
    CHECK(total == task.test.size());

    // MACs: 16-6-8 forward 16*6 + 6*8; backward the same plus the hidden layer's input gradient.
    CHECK(out.scalars.at("rate/mlp/operations/forward_macs_per_example") == 16 * 6 + 6 * 8);
    CHECK(out.scalars.at("rate/mlp/operations/backward_macs_per_example") == 16 * 6 + 2 * 6 * 8);
    CHECK(out.scalars.at("rate/mlp/operations/training_forward_macs") == 250.0 * (16 * 6 + 6 * 8));
    CHECK(out.scalars.at("rate/mlp/operations/test_forward_macs") == 3.0 * 40 * (16 * 6 + 6 * 8));
    CHECK(out.scalars.at("rate/mlp/examples_seen") == 250);
    CHECK(out.scalars.at("rate/mlp/epochs") == Approx(2.5));

    // Weights: frames at 0, 70, 140, 210 examples; node = unit, element = input, node-major.
    const std::size_t r = out.report("mlp_layer1");
    const sim::ReportLayout& layout = out.layouts[r];
    CHECK(layout.time_units == "examples");
    CHECK(layout.time_start == 0.0);
    CHECK(layout.time_step == 70.0);
    CHECK(layout.node_ids.size() == 6);
    REQUIRE(layout.element_ids.size() == 6 * 16);
    CHECK(layout.index_pointers == std::vector<std::uint64_t>{0, 16, 32, 48, 64, 80, 96});
    const auto& sources = layout.extra_element_mapping.at(0);
    CHECK(sources.first == "source_node_ids");
    CHECK(sources.second[17] == 1);  // node 1's second synapse comes from input 1
    REQUIRE(out.frames[r].size() == 4 * 6 * 16);
    for (std::size_t j = 0; j < 6; ++j) {
        for (std::size_t i = 0; i < 16; ++i) {
            CHECK(out.frames[r][j * 16 + i] ==
                  initial(static_cast<Eigen::Index>(j), static_cast<Eigen::Index>(i)));
        }
    }
    CHECK(out.frames[out.report("mlp_layer1_bias")].size() == 4 * 6);
    CHECK(out.frames[out.report("mlp_layer2")].size() == 4 * 8 * 6);
}

TEST_CASE("trainer: the same seed gives the same curves, whatever runs beside it",
          "[train][integration]") {
    const auto task = sim::task::make_bars(
        {.grid = 5, .train_examples = 300, .test_examples = 100, .noise = 0.5}, 4);
    const TrainingSchedule schedule{.examples = 900, .evaluate_at = {100, 300, 600}};
    RateNetworkSpec spec{.name = "mlp", .batch_size = 16};
    spec.network.hidden = {12, 12};
    spec.optimizer.kind = GENERATE(models::OptimizerKind::momentum, models::OptimizerKind::adam);
    spec.optimizer.learning_rate = 0.01;
    spec.threads = GENERATE(1u, 2u);

    const MemoryOutput first = train(spec, task, schedule, 4);
    const MemoryOutput again = train(spec, task, schedule, 4);
    CHECK(first.series == again.series);
    CHECK(first.frames == again.frames);
    const MemoryOutput other_seed = train(spec, task, schedule, 5);
    CHECK(first.series.at("rate/mlp/curve/train_loss") !=
          other_seed.series.at("rate/mlp/curve/train_loss"));
}

TEST_CASE("trainer: the example order is the task's stream", "[train][integration]") {
    // With one example per batch and plain SGD, training on the stream's order by hand gives
    // exactly the trainer's weights.
    const auto task =
        sim::task::make_gaussian_clusters({.train_examples = 30, .test_examples = 10}, 8);
    RateNetworkSpec spec{.name = "logreg", .batch_size = 1};
    spec.network.hidden = {};
    spec.optimizer = {.kind = models::OptimizerKind::sgd, .learning_rate = 0.3};
    const TrainingSchedule schedule{.examples = 75};

    sim::task::ExampleStream stream(task.train.size(), 8, true);
    GradientTrainer trainer(spec, task.train, task.test, stream, schedule, 8, nullptr, nullptr);

    models::RateNetworkParams params = spec.network;
    params.n_inputs = task.train.n_inputs();
    params.n_outputs = task.train.n_classes;
    models::RateNetwork by_hand(params);
    by_hand.weights(0) = trainer.network().weights(0);  // the same initial weights
    by_hand.biases(0) = trainer.network().biases(0);
    models::Optimizer sgd(spec.optimizer, by_hand);
    for (std::uint64_t k = 0; k < 75; ++k) {
        const std::size_t index = stream.index(k);
        by_hand.forward(task.train.inputs.col(static_cast<Eigen::Index>(index)));
        const std::uint32_t label = task.train.labels[index];
        by_hand.backward(std::span(&label, 1));
        sgd.step(by_hand);
    }
    trainer.train_until(75);
    CHECK(trainer.network().weights(0) == by_hand.weights(0));
    CHECK(trainer.network().biases(0) == by_hand.biases(0));
}

TEST_CASE("trainer: schedules and specs are validated", "[train][unit]") {
    CHECK_THROWS_WITH((TrainingSchedule{.examples = 100, .evaluate_at = {50, 50}}.validate()),
                      Catch::Contains("evaluate_at[1]"));
    CHECK_THROWS_WITH((TrainingSchedule{.examples = 100, .evaluate_at = {200}}.validate()),
                      Catch::Contains("evaluate_at[0]") && Catch::Contains("beyond"));
    CHECK(TrainingSchedule{}.points(60) == std::vector<std::uint64_t>{60});
    CHECK(TrainingSchedule{.examples = 150}.points(60) == std::vector<std::uint64_t>{60, 120, 150});
    CHECK(TrainingSchedule{.examples = 150, .evaluate_at = {10}}.points(60) ==
          std::vector<std::uint64_t>{10, 150});

    RateNetworkSpec spec{.name = "x", .batch_size = 0};
    spec.network.n_inputs = 2;
    spec.network.n_outputs = 2;
    CHECK_THROWS_WITH(spec.validate(), Catch::Contains("batch_size"));
    spec.batch_size = 1;
    spec.learning_rate_decay = 1.5;
    CHECK_THROWS_WITH(spec.validate(), Catch::Contains("learning_rate_decay"));
}
