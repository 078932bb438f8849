#include "sim/task/synthetic.hpp"

#include <algorithm>
#include <cmath>
#include <span>
#include <string>

#include <fmt/format.h>

#include "models/error.hpp"
#include "models/param_check.hpp"
#include "sim/memory.hpp"
#include "sim/random_stream.hpp"

namespace spikerate::sim::task {

namespace {

constexpr std::uint32_t train_split = 0;
constexpr std::uint32_t test_split = 1;

void require_at_least(const char* key, std::uint32_t value, std::uint32_t least) {
    if (value < least) {
        throw ParamError::value(std::string(key), fmt::format("{}: must be >= {}", value, least));
    }
}

// A data set of `count` examples: `fill(j, split, x)` writes example j's inputs into the column x
// and returns its class.
template <class Fill>
Dataset make_set(std::string name, std::size_t n_inputs, std::size_t n_classes,
                 std::array<std::size_t, 2> image_shape, std::uint32_t count, std::uint32_t split,
                 Fill&& fill) {
    Dataset set;
    set.name = std::move(name);
    set.n_classes = n_classes;
    set.image_shape = image_shape;
    set.inputs.resize(static_cast<Eigen::Index>(n_inputs), count);
    set.labels.resize(count);
    for (std::uint32_t j = 0; j < count; ++j) {
        set.labels[j] = fill(j, split, std::span<float>(set.inputs.col(j).data(), n_inputs));
    }
    return set;
}

float clip_unit(double value) { return static_cast<float>(std::clamp(value, 0.0, 1.0)); }

}  // namespace

void BarsParams::validate() const {
    // One bar would be the same image horizontal or vertical.
    require_at_least("grid", grid, 2);
    require_at_least("train_examples", train_examples, 1);
    require_at_least("test_examples", test_examples, 1);
    require_memory(4.0 * grid * grid * (static_cast<double>(train_examples) + test_examples),
                   "grid",
                   fmt::format("{} x {} images of {} + {} examples", grid, grid, train_examples,
                               test_examples));
    models::require_non_negative("noise", noise, "");
    if (noise > 1.0) {
        throw ParamError::value("noise",
                                fmt::format("{}: must be <= 1 (inputs lie in [0, 1])", noise));
    }
}

void GaussianClustersParams::validate() const {
    require_at_least("n_classes", n_classes, 2);
    require_at_least("n_inputs", n_inputs, 1);
    require_at_least("train_examples", train_examples, 1);
    require_at_least("test_examples", test_examples, 1);
    models::require_positive("radius", radius, "");
    if (!(radius < 0.5)) {
        throw ParamError::value(
            "radius",
            fmt::format("{}: must be < 0.5 (the balls' centres lie in [radius, 1 - radius])",
                        radius));
    }
    models::require_non_negative("margin", margin, "");
    require_memory(
        4.0 * n_inputs * (static_cast<double>(train_examples) + test_examples), "n_inputs",
        fmt::format("{} inputs of {} + {} examples", n_inputs, train_examples, test_examples));
}

void XorParams::validate() const {
    require_at_least("train_examples", train_examples, 1);
    require_at_least("test_examples", test_examples, 1);
    models::require_non_negative("noise", noise, "");
    if (!(noise < 0.5)) {
        throw ParamError::value(
            "noise",
            fmt::format("{}: must be < 0.5 (so that every example stays in its corner's quadrant)",
                        noise));
    }
}

Task make_bars(const BarsParams& params, std::uint64_t seed) {
    params.validate();
    const std::uint32_t g = params.grid;
    const RandomStream stream(seed, "task/bars");
    const auto fill = [&](std::uint32_t j, std::uint32_t split, std::span<float> x) {
        const std::uint32_t label = j % (2 * g);
        for (std::uint32_t r = 0; r < g; ++r) {
            for (std::uint32_t c = 0; c < g; ++c) {
                const bool lit = label < g ? r == label : c == label - g;
                const std::uint32_t pixel = r * g + c;
                const double noise = params.noise * stream.uniform(j, split, pixel);
                x[pixel] = clip_unit((lit ? 1.0 : 0.0) + noise);
            }
        }
        return label;
    };
    const std::size_t n_inputs = std::size_t{g} * g;
    Task task{.name = "bars"};
    task.train =
        make_set("bars/train", n_inputs, 2 * g, {g, g}, params.train_examples, train_split, fill);
    task.test =
        make_set("bars/test", n_inputs, 2 * g, {g, g}, params.test_examples, test_split, fill);
    return task;
}

Eigen::MatrixXd gaussian_cluster_centres(const GaussianClustersParams& params, std::uint64_t seed) {
    params.validate();
    const std::uint32_t n = params.n_inputs;
    const double side = 1.0 - 2.0 * params.radius;
    const double min_distance = 2.0 * params.radius + params.margin;
    if (min_distance >= side * std::sqrt(static_cast<double>(n))) {
        const std::string what = fmt::format(
            "gaussian_clusters: centres {} apart (2 radius + margin) cannot fit in "
            "[radius, 1 - radius]^{} whose diagonal is {}; lower radius or margin",
            min_distance, n, side * std::sqrt(static_cast<double>(n)));
        throw ParamError("gaussian_clusters.radius", std::nullopt, what, what);
    }
    // Rejection per class against the centres placed before it; a bounded number of draws
    // turns an impossible packing into an error instead of a hang.
    constexpr std::uint32_t max_draws = 10000;
    const RandomStream stream(seed, "task/gaussian_clusters/centres");
    Eigen::MatrixXd centres(n, params.n_classes);
    for (std::uint32_t k = 0; k < params.n_classes; ++k) {
        bool placed = false;
        for (std::uint32_t draw = 0; draw < max_draws && !placed; ++draw) {
            for (std::uint32_t d = 0; d < n; ++d) {
                centres(d, k) = params.radius + side * stream.uniform(draw, k, d);
            }
            placed = true;
            for (std::uint32_t other = 0; other < k && placed; ++other) {
                placed = (centres.col(k) - centres.col(other)).norm() > min_distance;
            }
        }
        if (!placed) {
            const std::string what = fmt::format(
                "gaussian_clusters: no place for the centre of class {} more than {} "
                "(2 radius + margin) from the {} centres before it in [radius, 1 - radius]^{} "
                "after {} draws; lower n_classes, radius or margin",
                k, min_distance, k, n, max_draws);
            throw ParamError("gaussian_clusters.n_classes", std::nullopt, what, what);
        }
    }
    return centres;
}

Task make_gaussian_clusters(const GaussianClustersParams& params, std::uint64_t seed) {
    const Eigen::MatrixXd centres = gaussian_cluster_centres(params, seed);
    const std::uint32_t n = params.n_inputs;
    const RandomStream stream(seed, "task/gaussian_clusters");
    // The isotropic Gaussian of sigma = radius / 2 truncated to the ball of `radius`, in polar
    // form: a uniform direction (normalised standard normals, counters c < n) times a radius
    // s * radius, with s from the uniform-in-ball law (density n s^(n-1), s = u^(1/n)) accepted
    // with probability exp(-s^2 radius^2 / (2 sigma^2)) = exp(-2 s^2). This is rejection sampling
    // from the uniform ball, done on the radius alone; it accepts at least exp(-2) = 13.5 % of
    // draws in any dimension (rejecting whole Gaussian vectors would accept P(chi2_n <= 4), which
    // vanishes as n grows: 5 % at n = 10).
    constexpr std::uint32_t max_attempts = 1000;  // P(all rejected) <= (1 - e^-2)^1000 < 1e-60
    const double inv_n = 1.0 / static_cast<double>(n);
    const auto fill = [&](std::uint32_t j, std::uint32_t split, std::span<float> x) {
        const std::uint32_t label = j % params.n_classes;
        Eigen::VectorXd direction(n);
        for (std::uint32_t d = 0; d < n; ++d) {
            direction(d) = stream.normal(j, split, d);
        }
        direction /= direction.norm();  // Box-Muller never returns all zeros
        double s = -1.0;
        for (std::uint32_t attempt = 0; attempt < max_attempts && s < 0.0; ++attempt) {
            const double candidate = std::pow(stream.uniform(j, split, n + 2 * attempt), inv_n);
            if (stream.uniform(j, split, n + 2 * attempt + 1) <
                std::exp(-2.0 * candidate * candidate)) {
                s = candidate;
            }
        }
        if (s < 0.0) {
            throw NumericalError(fmt::format(
                "gaussian_clusters: example {} of split {}: no radius accepted in {} attempts", j,
                split, max_attempts));
        }
        for (std::uint32_t d = 0; d < n; ++d) {
            // The clip only removes rounding: the ball lies inside the unit cube.
            x[d] = clip_unit(centres(d, label) + params.radius * s * direction(d));
        }
        return label;
    };
    const std::array<std::size_t, 2> shape{n, 1};
    Task task{.name = "gaussian_clusters"};
    task.train = make_set("gaussian_clusters/train", n, params.n_classes, shape,
                          params.train_examples, train_split, fill);
    task.test = make_set("gaussian_clusters/test", n, params.n_classes, shape, params.test_examples,
                         test_split, fill);
    return task;
}

Task make_xor(const XorParams& params, std::uint64_t seed) {
    params.validate();
    const RandomStream stream(seed, "task/xor");
    const auto fill = [&](std::uint32_t j, std::uint32_t split, std::span<float> x) {
        const std::uint32_t corner = j % 4;  // (0,0), (0,1), (1,0), (1,1)
        const std::array<double, 2> at{static_cast<double>(corner >> 1),
                                       static_cast<double>(corner & 1)};
        for (std::uint32_t d = 0; d < 2; ++d) {
            const double jitter = params.noise * (2.0 * stream.uniform(j, split, d) - 1.0);
            x[d] = clip_unit(at[d] + jitter);
        }
        return static_cast<std::uint32_t>(at[0] != at[1]);
    };
    Task task{.name = "xor"};
    task.train = make_set("xor/train", 2, 2, {2, 1}, params.train_examples, train_split, fill);
    task.test = make_set("xor/test", 2, 2, {2, 1}, params.test_examples, test_split, fill);
    return task;
}

}  // namespace spikerate::sim::task
