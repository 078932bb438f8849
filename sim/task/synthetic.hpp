#pragma once

// Tasks small enough for unit tests and quick comparisons, generated from the run's seed. Every
// example is drawn from its own counters (example j, split 0 = train / 1 = test, draw), so
// example j does not depend on how many examples are drawn: changing test_examples leaves the
// training set as it was, and a shorter set is a prefix of a longer one. Classes are balanced in
// every prefix: example j has class j mod n_classes (xor: corner j mod 4); presenting them in
// another order is the ExampleStream's business.

#include <array>
#include <cstdint>
#include <utility>

#include <Eigen/Core>

#include "sim/task/dataset.hpp"

namespace spikerate::sim::task {

// Bars (Foldiak 1990, Biol. Cybern. 64:165, one bar per image): a grid x grid image with one
// row (class r = 0..grid-1) or one column (class grid + c) lit at 1; then every pixel gets noise
// uniform in [0, noise] added and is clipped to [0, 1] (so the bar stays at 1 and the background
// lies in [0, noise]). Stream "task/bars". With noise < 1, the bar's template overlaps its own
// image by grid and any other template by at most 1 + (grid - 1) noise < grid.
struct BarsParams {
    std::uint32_t grid = 5;  // image side [pixels]; 2 grid classes
    std::uint32_t train_examples = 500;
    std::uint32_t test_examples = 200;
    double noise = 0.1;  // largest background value, in [0, 1]

    template <class Visitor>
    void visit_fields(Visitor&& v) {
        v("grid", grid, "", "image side; 2 * grid classes (one row or one column lit)");
        v("train_examples", train_examples, "", "examples generated");
        v("test_examples", test_examples, "", "examples generated");
        v("noise", noise, "", "background pixels uniform in [0, noise]");
    }
    void validate() const;  // grid >= 2, at least one example per set, 0 <= noise <= 1
};

// Gaussian clusters in the unit cube. Class centres are drawn uniformly in
// [radius, 1 - radius]^n_inputs, redrawn until every pair is more than 2 radius + margin apart
// (stream "task/gaussian_clusters/centres"). An example is its class centre plus isotropic
// Gaussian noise of sigma = radius / 2 truncated to the ball of `radius` (stream
// "task/gaussian_clusters"), so every input stays in [0, 1]. The balls are disjoint, so the
// classes are linearly separable: the nearest-centre rule classifies every example correctly,
// and it is linear (argmax_k c_k . x - |c_k|^2 / 2).
struct GaussianClustersParams {
    std::uint32_t n_classes = 3;
    std::uint32_t n_inputs = 2;
    std::uint32_t train_examples = 300;
    std::uint32_t test_examples = 300;
    double radius = 0.1;   // of each class's ball, in input units; < 0.5
    double margin = 0.05;  // least gap between two balls, in input units

    template <class Visitor>
    void visit_fields(Visitor&& v) {
        v("n_classes", n_classes, "", "one ball per class in the unit cube");
        v("n_inputs", n_inputs, "", "dimensions");
        v("train_examples", train_examples, "", "examples generated");
        v("test_examples", test_examples, "", "examples generated");
        v("radius", radius, "", "ball radius");
        v("margin", margin, "", "least gap between balls (the classes are linearly separable)");
    }
    // n_classes >= 2, n_inputs >= 1, examples >= 1, 0 < radius < 0.5, margin >= 0.
    void validate() const;
};

// XOR: 2 inputs, 2 classes. Example j sits at corner j mod 4 of (0,0), (0,1), (1,0), (1,1),
// class 0 for (0,0) and (1,1), 1 for the others, jittered by noise uniform in [-noise, noise]
// per input and clipped to [0, 1]. noise < 0.5 keeps every example in its corner's quadrant.
// Stream "task/xor". Not linearly separable: a rate network needs a hidden layer.
struct XorParams {
    std::uint32_t train_examples = 200;
    std::uint32_t test_examples = 100;
    double noise = 0.1;  // half-width of the jitter, in input units

    template <class Visitor>
    void visit_fields(Visitor&& v) {
        v("train_examples", train_examples, "", "examples generated");
        v("test_examples", test_examples, "", "examples generated");
        v("noise", noise, "", "jitter around the four corners of the unit square (< 0.5)");
    }
    void validate() const;  // examples >= 1, 0 <= noise < 0.5
};

Task make_bars(const BarsParams& params, std::uint64_t seed);
Task make_gaussian_clusters(const GaussianClustersParams& params, std::uint64_t seed);
Task make_xor(const XorParams& params, std::uint64_t seed);

// The class centres make_gaussian_clusters uses: n_inputs x n_classes. Throws ParamError when no
// placement was found within a bounded number of draws (too many classes for radius and margin).
Eigen::MatrixXd gaussian_cluster_centres(const GaussianClustersParams& params, std::uint64_t seed);

}  // namespace spikerate::sim::task
