// Classes that differ only in spike timing (task/timing_classes.hpp), the input views a rate
// network is handed of them (task/input_view.hpp) and the spike-pattern encoder.
//
// Statistical checks accept a statistic within n_sd = 5 standard errors of its expectation;
// every input is seeded, so a run either always passes or always fails.

#include <cmath>
#include <cstdint>
#include <numeric>
#include <vector>

#include <catch2/catch.hpp>

#include "models/error.hpp"
#include "sim/task/encoders.hpp"
#include "sim/task/input_view.hpp"
#include "sim/task/linear_readout.hpp"
#include "sim/task/scoring.hpp"
#include "sim/task/task_spec.hpp"
#include "sim/task/timing_classes.hpp"
#include "tests/statistical_tolerance.hpp"

namespace {

namespace tc_task = spikerate::sim::task;
using spikerate::testing::n_sd;

// Spikes per afferent of every example: afferents x examples.
Eigen::MatrixXf afferent_counts(const tc_task::Dataset& set) {
    return tc_task::binned_counts(set.spike_patterns, 1);
}

// One row of unsigned counts per example (row-major), as linear_readout takes them.
std::vector<std::uint32_t> count_rows(const Eigen::MatrixXf& counts) {
    std::vector<std::uint32_t> rows(static_cast<std::size_t>(counts.size()));
    for (Eigen::Index j = 0; j < counts.cols(); ++j) {
        for (Eigen::Index i = 0; i < counts.rows(); ++i) {
            rows[static_cast<std::size_t>(j * counts.rows() + i)] =
                static_cast<std::uint32_t>(counts(i, j));
        }
    }
    return rows;
}

// The test accuracy of a logistic regression fitted to the training set's `n_bins` view (the
// project's linear readout: full-batch gradient descent on the cross-entropy).
double logistic_accuracy(const tc_task::Task& task, std::size_t n_bins) {
    // One thread: OpenMP's threads only wait on each other for products of this size (over ten
    // times slower on a loaded 2-core machine).
    Eigen::setNbThreads(1);
    const Eigen::MatrixXf train = tc_task::binned_counts(task.train.spike_patterns, n_bins);
    const Eigen::MatrixXf test = tc_task::binned_counts(task.test.spike_patterns, n_bins);
    const auto n = static_cast<std::size_t>(train.rows());
    const auto readout = tc_task::fit_linear_readout(count_rows(train), n, task.train.labels,
                                                     task.train.n_classes, 100, 0.5);
    const auto rows = count_rows(test);
    std::size_t correct = 0;
    for (std::size_t j = 0; j < task.test.size(); ++j) {
        const auto predicted =
            tc_task::classify(std::span<const std::uint32_t>(rows.data() + j * n, n), readout);
        if (predicted && *predicted == task.test.labels[j]) ++correct;
    }
    return static_cast<double>(correct) / static_cast<double>(task.test.size());
}

}  // namespace

TEST_CASE("timing_classes: every afferent fires the same number of template spikes in every class",
          "[task][unit]") {
    // No deletion, no background, a jitter large enough that many spikes are reflected at the
    // window's edges: every afferent keeps exactly its template's spikes, inside the window.
    const tc_task::TimingClassesParams params{.n_classes = 3,
                                              .n_afferents = 20,
                                              .duration_ms = 40.0,
                                              .spikes_per_afferent = 2,
                                              .jitter_ms = 15.0,
                                              .deletion = 0.0,
                                              .background_hz = 0.0,
                                              .train_examples = 30,
                                              .test_examples = 9};
    const tc_task::Task task = tc_task::make_timing_classes(params, 7);
    for (const auto* set : {&task.train, &task.test}) {
        set->validate();  // times in [0, 40) ms, sorted
        const Eigen::MatrixXf counts = afferent_counts(*set);
        CHECK((counts.array() == 2.0f).all());
        // The count view is therefore the same for every example.
        CHECK((set->inputs.array() == 1.0f).all());
    }
    CHECK(task.train.labels[4] == 1);  // example j has class j mod n_classes
    CHECK(task.train.input_shape() == std::vector<std::uint64_t>{20});
}

TEST_CASE("timing_classes: jitter SD, deletion fraction and background rate are the parameters'",
          "[task][unit]") {
    // 4 classes, 50 afferents, one spike each, 2 ms jitter (the defaults) in 200 ms.
    tc_task::TimingClassesParams params{.duration_ms = 200.0,
                                        .deletion = 0.0,
                                        .background_hz = 0.0,
                                        .train_examples = 200,
                                        .test_examples = 1};
    const std::uint64_t seed = 3;
    SECTION("jitter: Gaussian, SD jitter_ms, around the template") {
        const tc_task::Task task = tc_task::make_timing_classes(params, seed);
        const std::vector<double> templates = tc_task::timing_templates(params, seed);
        double sum = 0.0, sum2 = 0.0;
        std::size_t n = 0;
        for (std::size_t j = 0; j < task.train.size(); ++j) {
            const auto afferents = task.train.spike_patterns.afferents_of(j);
            const auto times = task.train.spike_patterns.times_of(j);
            for (std::size_t s = 0; s < times.size(); ++s) {
                const double t0 = templates[task.train.labels[j] * 50 + afferents[s]];
                // Away from the edges, where no reflection bends the distribution.
                if (t0 < 20.0 || t0 > 180.0) continue;
                const double d = times[s] - t0;
                sum += d;
                sum2 += d * d;
                ++n;
            }
        }
        REQUIRE(n > 5000);
        const double mean = sum / static_cast<double>(n);
        const double sd = std::sqrt(sum2 / static_cast<double>(n) - mean * mean);
        CHECK(std::abs(mean) < n_sd * 2.0 / std::sqrt(static_cast<double>(n)));
        // The SD of a normal sample's SD is sigma / sqrt(2 n).
        CHECK(std::abs(sd - 2.0) < n_sd * 2.0 / std::sqrt(2.0 * static_cast<double>(n)));
    }
    SECTION("deletion: each template spike left out with probability `deletion`") {
        params.deletion = 0.3;
        params.spikes_per_afferent = 3;
        const tc_task::Task task = tc_task::make_timing_classes(params, seed);
        const double total = 200.0 * 50 * 3;
        const double kept = static_cast<double>(task.train.spike_patterns.times_ms.size());
        CHECK(std::abs((1.0 - kept / total) - 0.3) < n_sd * std::sqrt(0.3 * 0.7 / total));
    }
    SECTION("background: Poisson at background_Hz on every afferent") {
        params.deletion = 1.0;  // the template's spikes all left out: background only
        params.background_hz = 20.0;
        params.duration_ms = 50.0;
        const tc_task::Task task = tc_task::make_timing_classes(params, seed);
        const double expected = 200.0 * 50 * 20.0 * 0.05;  // examples x afferents x rate x T
        const double spikes = static_cast<double>(task.train.spike_patterns.times_ms.size());
        CHECK(std::abs(spikes - expected) < n_sd * std::sqrt(expected));
        // The variance of a count over examples is its mean (Poisson), per afferent.
        const Eigen::MatrixXf counts = afferent_counts(task.train);
        const double mean = counts.mean();
        const double var = (counts.array() - mean).square().mean();
        // Poisson(1): the sample variance has SD sqrt((mu_4 - sigma^4) / n) = sqrt(3 / n).
        CHECK(std::abs(var - 1.0) < n_sd * std::sqrt(3.0 / static_cast<double>(counts.size())));
    }
}

TEST_CASE("timing_classes: the seed decides every spike, a shorter set is a prefix",
          "[task][unit]") {
    const tc_task::TimingClassesParams params{.train_examples = 40, .test_examples = 10};
    const tc_task::Task a = tc_task::make_timing_classes(params, 11);
    const tc_task::Task b = tc_task::make_timing_classes(params, 11);
    const tc_task::Task other = tc_task::make_timing_classes(params, 12);
    CHECK(a.train.spike_patterns.times_ms == b.train.spike_patterns.times_ms);
    CHECK(a.train.spike_patterns.afferents == b.train.spike_patterns.afferents);
    CHECK(a.test.spike_patterns.times_ms == b.test.spike_patterns.times_ms);
    CHECK(a.train.inputs == b.train.inputs);
    CHECK(a.train.spike_patterns.times_ms != other.train.spike_patterns.times_ms);
    // Training and test examples come from their own counters.
    CHECK(std::vector<double>(a.train.spike_patterns.times_of(0).begin(),
                              a.train.spike_patterns.times_of(0).end()) !=
          std::vector<double>(a.test.spike_patterns.times_of(0).begin(),
                              a.test.spike_patterns.times_of(0).end()));

    tc_task::TaskSpec spec{.dataset = tc_task::DatasetKind::timing_classes,
                           .train_examples = 25,
                           .timing_classes = params};
    const tc_task::Task shorter = tc_task::load_task(spec, 11);
    REQUIRE(shorter.train.size() == 25);
    for (std::size_t j = 0; j < 25; ++j) {
        const auto t = shorter.train.spike_patterns.times_of(j);
        const auto u = a.train.spike_patterns.times_of(j);
        CHECK(std::equal(t.begin(), t.end(), u.begin(), u.end()));
    }
    CHECK(spec.n_inputs() == 50);
}

TEST_CASE("timing_classes: a logistic regression on spike counts per afferent is at chance",
          "[task][unit]") {
    // Counts have the same distribution in every class: whatever a classifier fitted to the
    // training counts predicts does not depend on a test example's class, so its accuracy on
    // balanced test labels has mean 1 / C and at most the binomial SD sqrt(p (1 - p) / n).
    // The default task (4 classes, 50 afferents, 50 ms, 2 ms jitter, 10 Hz background) with
    // two spikes per afferent, a fifth of them deleted.
    const tc_task::Task task = tc_task::make_timing_classes(
        {.spikes_per_afferent = 2, .deletion = 0.2, .train_examples = 600, .test_examples = 2000},
        5);
    const double chance = 0.25;
    const double sd = std::sqrt(chance * (1.0 - chance) / 2000.0);
    const double counts = logistic_accuracy(task, 1);
    INFO("accuracy on counts " << counts);
    CHECK(std::abs(counts - chance) < n_sd * sd);
    // The same regression handed the timing (bins of 10 ms) is far above chance: the check
    // above could tell.
    const double bins = logistic_accuracy(task, 5);
    INFO("accuracy on 10 ms bins " << bins);
    CHECK(bins > 0.9);
}

TEST_CASE("input view: bins hold each afferent's spikes per bin, scaled by the training maximum",
          "[task][unit]") {
    // Two afferents, a 10 ms window; training example 0 has afferent 1 twice in [5, 10) ms.
    tc_task::Dataset train{.name = "t/train", .labels = {0, 1}, .n_classes = 2};
    train.spike_patterns.duration_ms = 10.0;
    train.spike_patterns.n_afferents = 2;
    train.spike_patterns.add(std::vector<std::uint32_t>{0, 1, 1},
                             std::vector<double>{1.0, 6.0, 9.5});
    train.spike_patterns.add(std::vector<std::uint32_t>{1}, std::vector<double>{2.5});
    tc_task::Dataset test{.name = "t/test", .labels = {1}, .n_classes = 2};
    test.spike_patterns = train.spike_patterns;
    test.spike_patterns.keep_first(0);
    test.spike_patterns.add(std::vector<std::uint32_t>{0, 0, 0},
                            std::vector<double>{7.0, 8.0, 9.0});
    train.inputs = Eigen::MatrixXf::Zero(2, 2);
    test.inputs = Eigen::MatrixXf::Zero(2, 1);
    train.image_shape = test.image_shape = {2, 1};

    using tc_task::InputView;
    using tc_task::InputViewKind;
    const InputView bins{.kind = InputViewKind::bins, .bin_ms = 5.0};
    CHECK(tc_task::view_inputs(train, bins) == 4);
    const tc_task::Task view = tc_task::apply_view(train, test, bins);
    view.train.validate();
    CHECK(view.train.input_shape() == std::vector<std::uint64_t>{2, 2});  // afferent x bin
    // Rows: (afferent 0, bin 0), (0, 1), (1, 0), (1, 1); the training maximum is 2.
    Eigen::MatrixXf expected(4, 2);
    expected << 0.5f, 0.0f, 0.0f, 0.0f, 0.0f, 0.5f, 1.0f, 0.0f;
    CHECK(view.train.inputs == expected);
    CHECK(view.test.inputs.col(0) == Eigen::Vector4f(0.0f, 1.0f, 0.0f, 0.0f));  // 3 / 2, clipped
    CHECK(view.train.labels == train.labels);

    const tc_task::Task counts =
        tc_task::apply_view(train, test, InputView{.kind = InputViewKind::counts});
    CHECK(counts.train.inputs.col(0) == Eigen::Vector2f(0.5f, 1.0f));  // 1 and 2 of at most 2
    CHECK(counts.train.input_shape() == std::vector<std::uint64_t>{2});
    CHECK(tc_task::view_inputs(train, InputView{}) == 2);  // the default: the set's own inputs
}

TEST_CASE("input view: refused without spike patterns or with a bin that leaves a remainder",
          "[task][unit]") {
    using tc_task::InputView;
    using tc_task::InputViewKind;
    const tc_task::Task bars = tc_task::make_bars({.train_examples = 2, .test_examples = 2}, 1);
    const auto key_of = [](auto&& f) {
        try {
            f();
        } catch (const spikerate::ParamError& e) {
            return e.key();
        }
        return std::string("(no error)");
    };
    CHECK(key_of([&] { tc_task::view_inputs(bars.train, {.kind = InputViewKind::counts}); }) ==
          "input");
    const tc_task::Task timing =
        tc_task::make_timing_classes({.train_examples = 2, .test_examples = 2}, 1);
    CHECK(key_of([&] {
              tc_task::view_inputs(timing.train, {.kind = InputViewKind::bins, .bin_ms = 3.0});
          }) == "input_bin_ms");  // 50 ms / 3 ms
    CHECK(key_of([&] { tc_task::view_inputs(timing.train, {.kind = InputViewKind::bins}); }) ==
          "input_bin_ms");  // no width
    CHECK(key_of([&] {
              tc_task::view_inputs(timing.train, {.kind = InputViewKind::counts, .bin_ms = 5.0});
          }) == "input_bin_ms");  // a width without bins
    CHECK(tc_task::view_inputs(timing.train, {.kind = InputViewKind::bins, .bin_ms = 0.5}) ==
          50 * 100);
    CHECK(key_of([&] {
              tc_task::TimingClassesParams p;
              p.deletion = 1.5;
              p.validate();
          }) == "deletion");
    CHECK(key_of([&] {
              tc_task::TimingClassesParams p;
              p.jitter_ms = -1.0;
              p.validate();
          }) == "jitter_ms");
}

TEST_CASE("encode_spike_pattern: an example's spikes as they are", "[task][unit]") {
    const tc_task::Task task =
        tc_task::make_timing_classes({.train_examples = 3, .test_examples = 1}, 2);
    const auto& patterns = task.train.spike_patterns;
    const auto trains = tc_task::encode_spike_pattern(patterns, 2);
    const auto times = patterns.times_of(2);
    const auto afferents = patterns.afferents_of(2);
    CHECK(trains.times_ms == std::vector<double>(times.begin(), times.end()));
    CHECK(trains.node_ids == std::vector<std::uint32_t>(afferents.begin(), afferents.end()));
    CHECK_FALSE(trains.times_ms.empty());
    CHECK_THROWS_AS(tc_task::encode_spike_pattern(patterns, 3), spikerate::DataError);
}
