// The Diehl & Cook protocol on the engine: the retry rule, determinism, and a small network
// that learns MNIST digits without labels.
#include <filesystem>
#include <memory>
#include <vector>

#include <catch2/catch.hpp>

#include "sim/task/mnist.hpp"
#include "sim/train/diehl_cook_2015.hpp"
#include "sim/train/stdp_trainer.hpp"
#include "tests/sim/memory_output.hpp"

namespace task = spikerate::sim::task;
namespace train = spikerate::sim::train;
namespace testing = spikerate::testing;

namespace {

// The first n training and test digits (make test fetches MNIST first: make mnist).
const task::Task& mnist_subset() {
    static const task::Task subset = [] {
        const auto dir = task::default_mnist_directory();
        INFO("MNIST is expected in " << dir.string() << " (make mnist)");
        REQUIRE(std::filesystem::exists(dir / "train-images-idx3-ubyte"));
        return task::load_mnist(dir, 400, 400);
    }();
    return subset;
}

// One example, repeated: a dataset of `n` copies of `pixel`-valued images (784 inputs).
task::Dataset uniform_images(float pixel, std::size_t n) {
    task::Dataset d;
    d.name = "uniform";
    d.inputs = Eigen::MatrixXf::Constant(784, static_cast<Eigen::Index>(n), pixel);
    d.labels.assign(n, 0);
    d.n_classes = 10;
    d.image_shape = {28, 28};
    return d;
}

train::SpikingNetworkSpec small_spec(
    std::uint32_t n_exc,
    spikerate::sim::WeightPrecision precision = spikerate::sim::WeightPrecision::float64) {
    train::DiehlCook2015Params params;
    params.n_exc = n_exc;
    params.weight_precision = precision;
    train::SpikingNetworkSpec section;
    section.name = "dc";
    return train::diehl_cook_2015_learner(params, 784, 1, section);
}

// The input weights onto each of n_exc neurons summed (weights by id: input-major).
std::vector<double> incoming_sums(const std::vector<double>& w, std::size_t n_exc) {
    std::vector<double> sums(n_exc, 0.0);
    for (std::size_t k = 0; k < w.size(); ++k) sums[k % n_exc] += w[k];
    return sums;
}

// 20 neurons trained on 3 MNIST digits, the input weights normalised before each.
std::unique_ptr<train::StdpTrainer> trained_on_three_digits(
    spikerate::sim::WeightPrecision precision) {
    const task::Task& mnist = mnist_subset();
    train::TrainingSchedule schedule;
    schedule.examples = 3;
    auto trainer = std::make_unique<train::StdpTrainer>(
        small_spec(20, precision), mnist.train, mnist.test,
        task::ExampleStream(mnist.train.size(), 1, true), schedule, 1, nullptr, nullptr);
    trainer->train_until(3);
    return trainer;
}

}  // namespace

TEST_CASE(
    "retry rule: an example is shown again, one intensity step higher, while the "
    "excitatory layer fires fewer than min_spikes",
    "[stdp_trainer][integration]") {
    train::TrainingSchedule schedule;
    schedule.examples = 1;

    SECTION("a blank image never makes a spike: retried up to max_presentations") {
        const task::Dataset blank = uniform_images(0.0F, 1);
        auto spec = small_spec(10);
        spec.max_presentations = 4;
        train::StdpTrainer trainer(spec, blank, blank, task::ExampleStream(1, 1, false), schedule,
                                   1, nullptr, nullptr);
        trainer.train_until(1);
        CHECK(trainer.training_work().examples == 1);
        CHECK(trainer.training_work().presentations == 4);
        CHECK(trainer.training_work().exc_spikes == 0);
        CHECK(trainer.network().population("input").spike_count() == 0);
    }

    SECTION("exactly at the threshold: no retry; one spike short: a retry") {
        const task::Task& mnist = mnist_subset();
        // The spikes the first digit makes at its first presentation (min_spikes = 0: never
        // retried), then the same digit, input and network with min_spikes at and above it.
        const auto first_presentation = [&](std::uint32_t min_spikes) {
            auto spec = small_spec(20);
            spec.min_spikes = min_spikes;
            train::StdpTrainer trainer(spec, mnist.train, mnist.test,
                                       task::ExampleStream(mnist.train.size(), 1, false), schedule,
                                       1, nullptr, nullptr);
            trainer.train_until(1);
            return trainer.training_work();
        };
        const auto reference = first_presentation(0);
        REQUIRE(reference.presentations == 1);
        const std::uint64_t spikes = reference.exc_spikes;
        REQUIRE(spikes >= 1);
        const auto at = first_presentation(static_cast<std::uint32_t>(spikes));
        CHECK(at.presentations == 1);
        CHECK(at.exc_spikes == spikes);
        const auto above = first_presentation(static_cast<std::uint32_t>(spikes + 1));
        CHECK(above.presentations >= 2);
        CHECK(above.exc_spikes >= spikes + 1);  // accepted at a higher intensity
    }

    SECTION("the intensity goes up with each retry: more input spikes per presentation") {
        // A faint image: about 0.13 Hz per input at the start intensity, far too little input
        // to make the excitatory layer fire, so every presentation is a retry.
        const task::Dataset faint = uniform_images(0.002F, 1);
        std::vector<std::uint64_t> input_spikes;
        for (const std::uint32_t presentations : {1U, 2U, 3U}) {
            auto spec = small_spec(10);
            spec.max_presentations = presentations;
            train::StdpTrainer trainer(spec, faint, faint, task::ExampleStream(1, 1, false),
                                       schedule, 1, nullptr, nullptr);
            trainer.train_until(1);
            REQUIRE(trainer.training_work().exc_spikes < 5);
            input_spikes.push_back(trainer.network().population("input").spike_count());
        }
        // Expected input spikes per presentation: 784 x 0.002 x 31.875 Hz x intensity x 0.35 s
        // = 17.5 at intensity 2, 26.2 at 3, 35 at 4 (Poisson, fixed seed).
        const double second = static_cast<double>(input_spikes[1] - input_spikes[0]);
        const double third = static_cast<double>(input_spikes[2] - input_spikes[1]);
        CHECK(static_cast<double>(input_spikes[0]) < second + third / 2.0);
        CHECK(second + third > 2.0 * static_cast<double>(input_spikes[0]));
    }
}

TEST_CASE(
    "normalisation before every training example: input weights of each neuron sum to "
    "weight_sum",
    "[stdp_trainer][integration]") {
    const auto trainer = trained_on_three_digits(spikerate::sim::WeightPrecision::float64);
    // After training, STDP has moved the weights since the last normalisation; normalising the
    // current weights by hand must give sums of 78 and keep [0, 1].
    auto& proj = trainer->network().projection("input->exc");
    const auto w = proj.weights();
    bool changed = false;
    for (const double sum : incoming_sums(w, 20)) changed |= std::abs(sum - 78.0) > 1e-9;
    CHECK(changed);  // learning happened after the normalisation
    for (const double x : w) CHECK((x >= 0.0 && x <= 1.0));
}

TEST_CASE(
    "float32 input weights: every weight a float32 value in [0, 1], normalised to weight_sum "
    "within float32 rounding",
    "[stdp_trainer][integration]") {
    const auto trainer = trained_on_three_digits(spikerate::sim::WeightPrecision::float32);
    auto& proj = trainer->network().projection("input->exc");
    const auto is_float32_in_bounds = [](const std::vector<double>& w) {
        for (const double x : w) {
            if (!(x >= 0.0 && x <= 1.0 && static_cast<double>(static_cast<float>(x)) == x)) {
                return false;
            }
        }
        return true;
    };
    const auto learned = proj.weights();
    CHECK(is_float32_in_bounds(learned));
    CHECK(proj.normalise_incoming(78.0, {.w_min = 0.0, .w_max = 1.0}) == 0);
    const auto w = proj.weights();
    CHECK(w != learned);
    CHECK(is_float32_in_bounds(w));
    for (const double sum : incoming_sums(w, 20)) {
        CHECK(sum == Approx(78.0).epsilon(1e-6));  // 784 roundings of at most 2^-25 relative
    }
}

TEST_CASE("a small network learns MNIST digits without labels, deterministically",
          "[stdp_trainer][integration][slow]") {
    const task::Task& mnist = mnist_subset();
    train::TrainingSchedule schedule;
    schedule.examples = 200;
    auto spec = small_spec(20);
    spec.assignment_examples = 200;
    spec.spike_windows = {0, 2};
    testing::MemoryOutput output;
    train::StdpTrainer trainer(spec, mnist.train, mnist.test,
                               task::ExampleStream(mnist.train.size(), 7, true), schedule, 7,
                               &output, &output);
    trainer.train_until(200);
    const train::SpikingEvaluation first = *trainer.evaluate_and_record();
    const auto work = trainer.training_work();
    // Chance is 10 %; 20 neurons after 200 digits, labelled from 200 more, reach about 50 %.
    CHECK(first.accuracy > 0.3);
    CHECK(first.test_work.examples == 400);
    CHECK(first.assignment_work.examples == 200);
    CHECK(first.test_work.plasticity_updates == 0);  // frozen while testing
    CHECK(work.examples == 200);
    CHECK(work.plasticity_updates > 0);

    // Evaluation on two threads: the same numbers, and training is left as it was.
    trainer.set_threads(2);
    const train::SpikingEvaluation again = *trainer.evaluate_and_record();
    CHECK(again.accuracy == first.accuracy);
    CHECK(again.assignments.class_of_neuron == first.assignments.class_of_neuron);
    CHECK(again.confusion.counts() == first.confusion.counts());
    CHECK(again.test_work.synaptic_events == first.test_work.synaptic_events);
    CHECK(trainer.training_work().synaptic_events == work.synaptic_events);
    trainer.finish();

    // What was written: two curve points, receptive fields before and after, window spikes.
    CHECK(output.series.at("spiking/dc/curve/test_accuracy") ==
          std::vector<double>{first.accuracy, first.accuracy});
    CHECK(output.scalars.at("spiking/dc/examples_seen") == 200.0);
    CHECK(output.frames.at(output.report("dc_input_exc")).size() == 2 * 784 * 20);
    CHECK(output.frames.at(output.report("dc_theta")).size() == 2 * 20);
    CHECK(!output.spikes.at("dc_exc").times.empty());
}

TEST_CASE("training is reproducible: the same seed gives the same weights",
          "[stdp_trainer][integration]") {
    const task::Task& mnist = mnist_subset();
    train::TrainingSchedule schedule;
    schedule.examples = 20;
    std::vector<std::vector<double>> weights;
    for (int run = 0; run < 2; ++run) {
        train::StdpTrainer trainer(small_spec(20), mnist.train, mnist.test,
                                   task::ExampleStream(mnist.train.size(), 3, true), schedule, 3,
                                   nullptr, nullptr);
        trainer.train_until(20);
        const auto w = trainer.network().projection("input->exc").weights();
        weights.emplace_back(w.begin(), w.end());
    }
    CHECK(weights[0] == weights[1]);
}
