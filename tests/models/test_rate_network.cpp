// The gradient-trained rate networks as pure math: backpropagation against central finite
// differences, the losses against hand values, learning on small problems (XOR, separable
// clusters), the optimisers against hand-computed updates in PyTorch's conventions, the
// multiply-accumulate counts, determinism, parameter validation and the stable softmax.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <tuple>
#include <vector>

#include <catch2/catch.hpp>

#include "models/error.hpp"
#include "models/optimizer.hpp"
#include "models/rate_network.hpp"

namespace {

using Catch::Matchers::Contains;
using spikerate::Error;
using spikerate::ParamError;
using spikerate::models::Activation;
using spikerate::models::BasicOptimizer;
using spikerate::models::BasicRateNetwork;
using spikerate::models::Loss;
using spikerate::models::Optimizer;
using spikerate::models::OptimizerKind;
using spikerate::models::OptimizerParams;
using spikerate::models::RateNetwork;
using spikerate::models::RateNetworkParams;
using spikerate::models::WeightInit;

using Labels = std::vector<std::uint32_t>;

// A deterministic source of uniform numbers in [0, 1), for initialise() and for test data.
class Uniform01 {
  public:
    explicit Uniform01(std::uint64_t seed) : engine_(seed) {}
    double operator()() { return distribution_(engine_); }
    double between(double low, double high) { return low + (high - low) * (*this)(); }

  private:
    std::mt19937_64 engine_;
    std::uniform_real_distribution<double> distribution_{0.0, 1.0};
};

template <class Matrix>
Matrix uniform_matrix(Eigen::Index rows, Eigen::Index cols, Uniform01& uniform, double low,
                      double high) {
    Matrix m(rows, cols);
    for (Eigen::Index j = 0; j < cols; ++j) {
        for (Eigen::Index i = 0; i < rows; ++i) {
            m(i, j) = static_cast<typename Matrix::Scalar>(uniform.between(low, high));
        }
    }
    return m;
}

// The index of the largest output of each column.
template <class Matrix>
Labels predictions(const Matrix& outputs) {
    Labels predicted(static_cast<std::size_t>(outputs.cols()));
    for (Eigen::Index j = 0; j < outputs.cols(); ++j) {
        Eigen::Index best = 0;
        outputs.col(j).maxCoeff(&best);
        predicted[static_cast<std::size_t>(j)] = static_cast<std::uint32_t>(best);
    }
    return predicted;
}

template <class Matrix>
double accuracy(const Matrix& outputs, const Labels& labels) {
    const Labels predicted = predictions(outputs);
    std::size_t correct = 0;
    for (std::size_t j = 0; j < labels.size(); ++j) correct += predicted[j] == labels[j] ? 1 : 0;
    return static_cast<double>(correct) / static_cast<double>(labels.size());
}

// Full-batch training: returns the loss of the last forward pass, before its step.
template <class Scalar>
double train(BasicRateNetwork<Scalar>& network, BasicOptimizer<Scalar>& optimizer,
             const typename BasicRateNetwork<Scalar>::Matrix& inputs, const Labels& labels,
             int steps) {
    double loss = 0.0;
    for (int step = 0; step < steps; ++step) {
        network.forward(inputs);
        loss = network.backward(labels);
        optimizer.step(network);
    }
    return loss;
}

// Gradient check.

using NetworkD = BasicRateNetwork<double>;
using MatrixD = NetworkD::Matrix;

double activate(Activation f, double z) {
    switch (f) {
        case Activation::identity:
            return z;
        case Activation::sigmoid:
            return 1.0 / (1.0 + std::exp(-z));
        case Activation::tanh:
            return std::tanh(z);
        case Activation::relu:
            return std::max(z, 0.0);
    }
    return z;
}

// The smallest |z| over the pre-activations that go through a ReLU, from a forward pass written
// out independently of the network's code (infinity when no ReLU is used).
double smallest_relu_input(const NetworkD& network, const MatrixD& inputs) {
    const RateNetworkParams& p = network.params();
    double smallest = std::numeric_limits<double>::infinity();
    MatrixD a = inputs;
    for (std::size_t l = 0; l < network.n_layers(); ++l) {
        const bool is_output = l + 1 == network.n_layers();
        const Activation f = is_output ? p.output_activation : p.activation;
        MatrixD z = network.weights(l) * a;
        z.colwise() += network.biases(l);
        if (f == Activation::relu) {  // (the output's f is identity with the softmax)
            smallest = std::min(smallest, z.cwiseAbs().minCoeff());
        }
        a = z.unaryExpr([f](double x) { return activate(f, x); });
    }
    return smallest;
}

TEST_CASE("rate network: backpropagated gradients match central finite differences",
          "[rate][unit]") {
    // Every hidden activation, every loss (squared error with every output activation), with and
    // without L2, for two hidden layers (5-4-3-3) and for none (logistic regression, 5-3).
    const Activation hidden_activation =
        GENERATE(Activation::identity, Activation::sigmoid, Activation::tanh, Activation::relu);
    const auto [loss, output_activation] = GENERATE(table<Loss, Activation>({
        {Loss::softmax_cross_entropy, Activation::identity},
        {Loss::mean_squared_error, Activation::identity},
        {Loss::mean_squared_error, Activation::sigmoid},
        {Loss::mean_squared_error, Activation::tanh},
        {Loss::mean_squared_error, Activation::relu},
    }));
    const double l2 = GENERATE(0.0, 0.1);
    const auto hidden = GENERATE(std::vector<std::uint32_t>{4, 3}, std::vector<std::uint32_t>{});
    CAPTURE(hidden_activation, loss, output_activation, l2, hidden.size());

    const RateNetworkParams params{.n_inputs = 5,
                                   .n_outputs = 3,
                                   .hidden = hidden,
                                   .activation = hidden_activation,
                                   .loss = loss,
                                   .output_activation = output_activation,
                                   .init = WeightInit::xavier,
                                   .l2 = l2};
    const Labels labels{2, 0, 1, 2};
    NetworkD network(params);
    MatrixD inputs;

    // Central differences are only valid away from ReLU's kink: a step h in one parameter moves
    // every pre-activation by O(h) (a few 1e-6 here), so every |z| must stay well above that.
    // The first seed (of a fixed list) whose random weights, biases and inputs keep every
    // |z| > 1e-3 is used; with these sizes nearly every seed does.
    constexpr double kink_margin = 1e-3;
    bool away_from_kinks = false;
    for (std::uint64_t seed = 1; seed <= 20 && !away_from_kinks; ++seed) {
        Uniform01 uniform(seed);
        network.initialise(std::ref(uniform));
        for (std::size_t l = 0; l < network.n_layers(); ++l) {
            // Non-zero biases, so that the bias gradients are exercised away from the origin.
            network.biases(l) =
                uniform_matrix<MatrixD>(network.biases(l).size(), 1, uniform, -0.5, 0.5);
        }
        inputs = uniform_matrix<MatrixD>(5, 4, uniform, -1.0, 1.0);
        away_from_kinks = smallest_relu_input(network, inputs) > kink_margin;
    }
    REQUIRE(away_from_kinks);

    network.forward(inputs);
    const double loss_value = network.backward(labels);
    CHECK(loss_value == network.loss(labels));
    std::vector<MatrixD> weight_gradients;
    std::vector<MatrixD> bias_gradients;
    for (std::size_t l = 0; l < network.n_layers(); ++l) {
        weight_gradients.emplace_back(network.weight_gradient(l));
        bias_gradients.emplace_back(network.bias_gradient(l));
    }

    // Tolerance: the central difference (L(w + h) - L(w - h)) / 2h differs from dL/dw by the
    // truncation error h^2/6 |L'''| (~1e-13 for these O(1) derivatives) and by the rounding of
    // the two losses, ~1e-15 each for losses of O(1) summed over a few terms, divided by 2h:
    // ~1e-9 (measured: at most 6e-10). The tolerance is 100 times that; a real error in a
    // gradient (a missing 1/B, a wrong derivative, a forgotten L2 term) is of the order of the
    // gradient itself.
    constexpr double h = 1e-6;
    constexpr double tolerance = 1e-7;
    const auto central_difference = [&](double& parameter) {
        const double saved = parameter;
        parameter = saved + h;
        network.forward(inputs);
        const double loss_plus = network.loss(labels);
        parameter = saved - h;
        network.forward(inputs);
        const double loss_minus = network.loss(labels);
        parameter = saved;
        return (loss_plus - loss_minus) / (2.0 * h);
    };
    const auto check_close = [&](double numerical, double analytical) {
        CHECK(std::abs(numerical - analytical) <= tolerance * std::max(1.0, std::abs(analytical)));
    };
    for (std::size_t l = 0; l < network.n_layers(); ++l) {
        CAPTURE(l);
        MatrixD& weights = network.weights(l);
        for (Eigen::Index i = 0; i < weights.rows(); ++i) {
            for (Eigen::Index j = 0; j < weights.cols(); ++j) {
                CAPTURE(i, j);
                check_close(central_difference(weights(i, j)), weight_gradients[l](i, j));
            }
        }
        auto& biases = network.biases(l);
        for (Eigen::Index i = 0; i < biases.size(); ++i) {
            CAPTURE(i);
            check_close(central_difference(biases(i)), bias_gradients[l](i));
        }
    }
}

TEST_CASE("rate network: losses and the L2 term match hand values", "[rate][unit]") {
    // Logistic regression from one input fixed to 1, so the logits are the weights: z = W + b.
    SECTION("softmax cross-entropy of equal logits is log K, and -log p_y otherwise") {
        NetworkD network(RateNetworkParams{.n_inputs = 1, .n_outputs = 4});
        const MatrixD one = MatrixD::Ones(1, 1);
        network.forward(one);
        CHECK(network.loss(Labels{3}) == Approx(std::log(4.0)).epsilon(1e-15));
        network.weights(0) << 1.0, 2.0, 3.0, 4.0;
        const MatrixD& p = network.forward(one);
        const double normaliser = std::exp(1.0) + std::exp(2.0) + std::exp(3.0) + std::exp(4.0);
        CHECK(p(1, 0) == Approx(std::exp(2.0) / normaliser).epsilon(1e-14));
        CHECK(network.loss(Labels{1}) == Approx(std::log(normaliser) - 2.0).epsilon(1e-14));
    }
    SECTION("squared error: (1/B) sum_j 1/2 sum_k (a - onehot)^2, summed over the outputs") {
        NetworkD network(
            RateNetworkParams{.n_inputs = 1, .n_outputs = 3, .loss = Loss::mean_squared_error});
        network.weights(0) << 0.5, -1.0, 2.0;
        MatrixD inputs(1, 2);
        inputs << 1.0, 2.0;
        network.forward(inputs);
        // Example 1 (label 0): a = (0.5, -1, 2): (0.25 + 1 + 4) / 2 = 2.625.
        // Example 2 (label 2): a = (1, -2, 4):   (1 + 4 + 9) / 2 = 7.
        CHECK(network.loss(Labels{0, 2}) == Approx((2.625 + 7.0) / 2.0).epsilon(1e-15));
    }
    SECTION("l2/2 times the sum of squared weights (not biases) is added") {
        NetworkD network(RateNetworkParams{.n_inputs = 1,
                                           .n_outputs = 2,
                                           .hidden = {2},
                                           .activation = Activation::identity,
                                           .loss = Loss::mean_squared_error,
                                           .l2 = 0.5});
        network.weights(0) << 1.0, 2.0;
        network.weights(1) << 0.0, 0.0, 0.0, 3.0;
        network.biases(0) << 10.0, 10.0;  // [-] large, to show that biases are not penalised
        network.forward(MatrixD::Zero(1, 1));
        // Outputs (0, 30) for label 1: (0 + 29^2) / 2 = 420.5; L2: 0.5 / 2 * (1 + 4 + 9) = 3.5.
        CHECK(network.loss(Labels{1}) == Approx(420.5 + 3.5).epsilon(1e-15));
    }
}

TEST_CASE("rate network: the softmax is stable for large logits", "[rate][unit]") {
    // float, as training runs; with one input fixed to 1 the logits are the weights.
    RateNetwork network(RateNetworkParams{.n_inputs = 1, .n_outputs = 3});
    const RateNetwork::Matrix one = RateNetwork::Matrix::Ones(1, 1);
    SECTION("logits (1000, -1000, 0): p = (1, 0, 0), loss 2000 for label 1 and 0 for label 0") {
        network.weights(0) << 1000.0f, -1000.0f, 0.0f;
        const RateNetwork::Matrix& p = network.forward(one);
        CHECK(p.allFinite());
        CHECK(p(0, 0) == 1.0f);
        CHECK(p(1, 0) == 0.0f);
        CHECK(network.loss(Labels{0}) == 0.0);
        // -log p_1 = logsumexp(z) - z_1 = 1000 - (-1000), finite although p_1 underflows to 0.
        CHECK(network.backward(Labels{1}) == Approx(2000.0).epsilon(1e-12));
        CHECK(network.weight_gradient(0).allFinite());
        CHECK(network.weight_gradient(0)(0, 0) == Approx(1.0f));
        CHECK(network.weight_gradient(0)(1, 0) == Approx(-1.0f));
        CHECK(network.bias_gradient(0).allFinite());
    }
    SECTION("equal logits of 1000: p = 1/3 each, loss log 3") {
        network.weights(0).setConstant(1000.0f);
        const RateNetwork::Matrix& p = network.forward(one);
        CHECK(p.allFinite());
        CHECK(p(2, 0) == Approx(1.0 / 3.0).epsilon(1e-6));
        // The column sum is 3 exactly and the log-normaliser is formed in double, so the
        // float network's loss is log 3 to double precision.
        CHECK(network.backward(Labels{2}) == Approx(std::log(3.0)).epsilon(1e-12));
        CHECK(network.weight_gradient(0).allFinite());
    }
}

TEST_CASE("rate network: a batch gives the same outputs as its examples one by one",
          "[rate][unit]") {
    // Also exercises the buffers' reallocation when the batch size changes (4, then 1, then 4).
    NetworkD network(RateNetworkParams{
        .n_inputs = 3, .n_outputs = 2, .hidden = {5}, .activation = Activation::tanh});
    Uniform01 uniform(7);
    network.initialise(std::ref(uniform));
    const MatrixD inputs = uniform_matrix<MatrixD>(3, 4, uniform, 0.0, 1.0);
    const MatrixD batch_outputs = network.forward(inputs);
    for (Eigen::Index j = 0; j < inputs.cols(); ++j) {
        const MatrixD single = network.forward(inputs.col(j));
        CHECK((single - batch_outputs.col(j)).cwiseAbs().maxCoeff() <= 1e-15);
    }
    CHECK(network.forward(inputs) == batch_outputs);
}

TEST_CASE("rate network: an MLP learns XOR", "[rate][integration]") {
    // 2-8-2 tanh with softmax cross-entropy, full batch, momentum SGD. The slowest of these
    // seeds reaches 100 % with a loss below 0.05 after 79 steps; the budget is three times that.
    const std::uint64_t seed = GENERATE(1, 2, 3, 4, 5);
    CAPTURE(seed);
    RateNetwork::Matrix inputs(2, 4);
    inputs << 0, 0, 1, 1,  //
        0, 1, 0, 1;
    const Labels labels{0, 1, 1, 0};
    RateNetwork network(RateNetworkParams{
        .n_inputs = 2, .n_outputs = 2, .hidden = {8}, .activation = Activation::tanh});
    Uniform01 uniform(seed);
    network.initialise(std::ref(uniform));
    Optimizer optimizer(OptimizerParams{.kind = OptimizerKind::momentum, .learning_rate = 0.1},
                        network);
    train(network, optimizer, inputs, labels, 240);
    const auto& outputs = network.forward(inputs);
    CHECK(accuracy(outputs, labels) == 1.0);
    CHECK(network.loss(labels) < 0.05);
}

TEST_CASE("rate network: logistic regression separates three clusters", "[rate][integration]") {
    // 3 x 30 points uniform in the unit squares around (0, 0), (4, 0) and (0, 4): the classes
    // are linearly separable with a wide margin, so a linear softmax classifier reaches 100 %.
    Uniform01 uniform(11);
    const double centres[3][2] = {{0.0, 0.0}, {4.0, 0.0}, {0.0, 4.0}};
    constexpr int per_class = 30;
    RateNetwork::Matrix inputs(2, 3 * per_class);
    Labels labels;
    for (std::uint32_t c = 0; c < 3; ++c) {
        for (int k = 0; k < per_class; ++k) {
            const auto j = static_cast<Eigen::Index>(labels.size());
            inputs(0, j) = static_cast<float>(centres[c][0] + uniform.between(-1.0, 1.0));
            inputs(1, j) = static_cast<float>(centres[c][1] + uniform.between(-1.0, 1.0));
            labels.push_back(c);
        }
    }
    RateNetwork network(RateNetworkParams{.n_inputs = 2, .n_outputs = 3});
    network.initialise(std::ref(uniform));
    Optimizer optimizer(OptimizerParams{.kind = OptimizerKind::sgd, .learning_rate = 0.5}, network);
    // With this seed the training set is fully separated after about 20 steps.
    const double initial_loss = train(network, optimizer, inputs, labels, 1);
    const double final_loss = train(network, optimizer, inputs, labels, 100);
    CHECK(final_loss < 0.1 * initial_loss);
    CHECK(accuracy(network.forward(inputs), labels) == 1.0);
}

// Optimisers: one weight layer, squared error with identity output, 2 inputs and 1 output, in
// double. With the input x = (1, 2) and label 0 (target 1), the gradient is g = z - 1 times
// (x, 1) for (W, b). Start: W = (0.5, -0.25), b = 0, so z = 0 and g = (-1, -2, -1).

NetworkD single_layer_network() {
    NetworkD network(
        RateNetworkParams{.n_inputs = 2, .n_outputs = 1, .loss = Loss::mean_squared_error});
    network.weights(0) << 0.5, -0.25;
    return network;
}

void gradient_step(NetworkD& network, BasicOptimizer<double>& optimizer) {
    MatrixD x(2, 1);
    x << 1.0, 2.0;
    network.forward(x);
    network.backward(Labels{0});
    optimizer.step(network);
}

void check_parameters(const NetworkD& network, double w0, double w1, double b) {
    CHECK(network.weights(0)(0, 0) == Approx(w0).epsilon(1e-14));
    CHECK(network.weights(0)(0, 1) == Approx(w1).epsilon(1e-14));
    CHECK(network.biases(0)(0) == Approx(b).epsilon(1e-14));
}

TEST_CASE("optimizer: sgd, w <- w - lr g", "[rate][unit]") {
    NetworkD network = single_layer_network();
    BasicOptimizer<double> optimizer(
        OptimizerParams{.kind = OptimizerKind::sgd, .learning_rate = 0.1}, network);
    gradient_step(network, optimizer);
    check_parameters(network, 0.5 + 0.1, -0.25 + 0.2, 0.1);  // (0.6, -0.05), 0.1
    // z = 0.6 - 0.1 + 0.1 = 0.6, g = -0.4 (x, 1); a schedule halved the rate to 0.05.
    optimizer.set_learning_rate(0.05);
    CHECK(optimizer.learning_rate() == 0.05);
    gradient_step(network, optimizer);
    check_parameters(network, 0.6 + 0.05 * 0.4, -0.05 + 0.05 * 0.8, 0.1 + 0.05 * 0.4);
}

TEST_CASE("optimizer: momentum, v <- mu v + g, then w <- w - lr v (PyTorch's SGD)",
          "[rate][unit]") {
    NetworkD network = single_layer_network();
    BasicOptimizer<double> optimizer(
        OptimizerParams{.kind = OptimizerKind::momentum, .learning_rate = 0.1, .momentum = 0.9},
        network);
    // Step 1: v = g = (-1, -2, -1), as PyTorch's first step (buffer = g).
    gradient_step(network, optimizer);
    check_parameters(network, 0.6, -0.05, 0.1);
    // Step 2: z = 0.6, g = (-0.4, -0.8, -0.4); v = 0.9 (-1, -2, -1) + g = (-1.3, -2.6, -1.3).
    gradient_step(network, optimizer);
    check_parameters(network, 0.6 + 0.13, -0.05 + 0.26, 0.1 + 0.13);
    CHECK(optimizer.steps_taken() == 2);
}

TEST_CASE("optimizer: adam with bias correction (PyTorch's Adam)", "[rate][unit]") {
    NetworkD network = single_layer_network();
    constexpr double lr = 0.1;
    constexpr double beta1 = 0.9;
    constexpr double beta2 = 0.999;
    constexpr double epsilon = 1e-8;
    BasicOptimizer<double> optimizer(OptimizerParams{.kind = OptimizerKind::adam,
                                                     .learning_rate = lr,
                                                     .beta1 = beta1,
                                                     .beta2 = beta2,
                                                     .epsilon = epsilon},
                                     network);
    // Step 1: m = 0.1 g, s = 0.001 g^2; corrected m / 0.1 = g, s / 0.001 = g^2, so each
    // parameter moves by lr g / (|g| + epsilon): almost exactly lr against the gradient's sign.
    gradient_step(network, optimizer);
    const double w0 = 0.5 + lr * 1.0 / (1.0 + epsilon);
    const double w1 = -0.25 + lr * 2.0 / (2.0 + epsilon);
    const double b = 0.0 + lr * 1.0 / (1.0 + epsilon);
    check_parameters(network, w0, w1, b);

    // Step 2: z = w0 + 2 w1 + b (about 0.4), g2 = (z - 1) (1, 2, 1), written out in PyTorch's
    // form: w -= (lr / (1 - beta1^2)) m / (sqrt(s) / sqrt(1 - beta2^2) + epsilon).
    const double error = w0 + 2.0 * w1 + b - 1.0;
    const double correction1 = 1.0 - beta1 * beta1;  // 0.19
    const double correction2 = 1.0 - beta2 * beta2;  // 0.001999
    const auto adam_second_step = [&](double parameter, double g1, double g2) {
        const double m = beta1 * (1.0 - beta1) * g1 + (1.0 - beta1) * g2;
        const double s = beta2 * (1.0 - beta2) * g1 * g1 + (1.0 - beta2) * g2 * g2;
        return parameter -
               (lr / correction1) * m / (std::sqrt(s) / std::sqrt(correction2) + epsilon);
    };
    gradient_step(network, optimizer);
    check_parameters(network, adam_second_step(w0, -1.0, error),
                     adam_second_step(w1, -2.0, 2.0 * error), adam_second_step(b, -1.0, error));
    // The numbers for w0, rounded to epsilon's effect: error = -0.6, m = 0.9 * 0.1 * (-1) +
    // 0.1 * (-0.6) = -0.15, s = 0.999 * 0.001 * 1 + 0.001 * 0.36 = 0.001359, so
    // w0 = 0.6 + (0.1 / 0.19) * 0.15 / sqrt(0.001359 / 0.001999) = 0.69575 (not 0.7: the
    // normalised step shrinks as the gradient does).
    CHECK(network.weights(0)(0, 0) ==
          Approx(0.6 + (0.1 / 0.19) * 0.15 / std::sqrt(0.001359 / 0.001999)).epsilon(1e-6));
}

TEST_CASE("rate network: multiply-accumulates per example", "[rate][unit]") {
    SECTION("784-100-10: forward 784*100 + 100*10; backward adds 100*10 for layer 2's delta") {
        const RateNetwork network(
            RateNetworkParams{.n_inputs = 784, .n_outputs = 10, .hidden = {100}});
        CHECK(network.forward_macs_per_example() == 79'400);
        CHECK(network.backward_macs_per_example() == 79'400 + 1'000);
    }
    SECTION("logistic regression 784-10: backward needs no input gradient") {
        const RateNetwork network(RateNetworkParams{.n_inputs = 784, .n_outputs = 10});
        CHECK(network.forward_macs_per_example() == 7'840);
        CHECK(network.backward_macs_per_example() == 7'840);
    }
}

TEST_CASE("rate network: the same initialisation draws give the same weights", "[rate][unit]") {
    const RateNetworkParams params{.n_inputs = 6, .n_outputs = 3, .hidden = {7, 5}};
    Uniform01 data_source(3);
    const RateNetwork::Matrix inputs =
        uniform_matrix<RateNetwork::Matrix>(6, 16, data_source, 0.0, 1.0);
    Labels labels;
    for (std::uint32_t j = 0; j < 16; ++j) labels.push_back(j % 3);

    const auto trained = [&](std::uint64_t seed, OptimizerKind kind) {
        RateNetwork network(params);
        Uniform01 uniform(seed);
        network.initialise(std::ref(uniform));
        Optimizer optimizer(OptimizerParams{.kind = kind, .learning_rate = 0.01}, network);
        train(network, optimizer, inputs, labels, 25);
        return network;
    };
    for (const OptimizerKind kind :
         {OptimizerKind::sgd, OptimizerKind::momentum, OptimizerKind::adam}) {
        const RateNetwork first = trained(42, kind);
        const RateNetwork second = trained(42, kind);
        const RateNetwork other_seed = trained(43, kind);
        for (std::size_t l = 0; l < first.n_layers(); ++l) {
            CHECK(first.weights(l) == second.weights(l));
            CHECK(first.biases(l) == second.biases(l));
            CHECK(first.weights(l) != other_seed.weights(l));
        }
    }
}

TEST_CASE("rate network: initialisation bounds follow Xavier and He", "[rate][unit]") {
    // u = 1 - 2^-53 gives w just below +a, so every weight equals the layer's bound.
    const auto near_one = [] { return std::nextafter(1.0, 0.0); };
    NetworkD relu_network(RateNetworkParams{.n_inputs = 30, .n_outputs = 10, .hidden = {20}});
    relu_network.initialise(near_one);
    CHECK(relu_network.weights(0)(0, 0) == Approx(std::sqrt(6.0 / 30.0)));            // He
    CHECK(relu_network.weights(1)(9, 19) == Approx(std::sqrt(6.0 / (20.0 + 10.0))));  // Xavier
    NetworkD tanh_network(RateNetworkParams{
        .n_inputs = 30, .n_outputs = 10, .hidden = {20}, .activation = Activation::tanh});
    tanh_network.initialise(near_one);
    CHECK(tanh_network.weights(0)(19, 29) == Approx(std::sqrt(6.0 / (30.0 + 20.0))));
    NetworkD he_network(RateNetworkParams{.n_inputs = 30,
                                          .n_outputs = 10,
                                          .hidden = {20},
                                          .activation = Activation::tanh,
                                          .init = WeightInit::he});
    he_network.initialise(near_one);
    CHECK(he_network.weights(1)(0, 0) == Approx(std::sqrt(6.0 / 20.0)));
    CHECK(he_network.biases(1).isZero());
}

TEST_CASE("rate network: invalid parameters and inputs are rejected, naming the key",
          "[rate][unit]") {
    const RateNetworkParams good{.n_inputs = 4, .n_outputs = 3, .hidden = {5}};
    CHECK_NOTHROW(good.validate());

    RateNetworkParams p = good;
    p.hidden = {5, 0};
    CHECK_THROWS_WITH(p.validate(), Contains("hidden[1]"));
    CHECK_THROWS_AS(RateNetwork(p), ParamError);
    p = good;
    p.n_inputs = 0;
    CHECK_THROWS_WITH(p.validate(), Contains("n_inputs"));
    p = good;
    p.n_outputs = 1;  // a softmax over one class
    CHECK_THROWS_WITH(p.validate(), Contains("n_outputs"));
    p = good;
    p.l2 = -0.1;
    CHECK_THROWS_WITH(p.validate(), Contains("l2"));
    p = good;
    p.l2 = std::numeric_limits<double>::infinity();
    CHECK_THROWS_WITH(p.validate(), Contains("l2"));
    p = good;
    p.output_activation = Activation::sigmoid;  // the softmax is the output
    CHECK_THROWS_WITH(p.validate(), Contains("output_activation"));
    p.loss = Loss::mean_squared_error;
    CHECK_NOTHROW(p.validate());

    const OptimizerParams good_optimizer{};
    CHECK_NOTHROW(good_optimizer.validate());
    const std::vector<std::tuple<const char*, double OptimizerParams::*, double>> bad{
        {"learning_rate", &OptimizerParams::learning_rate, 0.0},
        {"learning_rate", &OptimizerParams::learning_rate, std::nan("")},
        {"momentum", &OptimizerParams::momentum, 1.0},
        {"beta1", &OptimizerParams::beta1, -0.1},
        {"beta2", &OptimizerParams::beta2, 1.0},
        {"epsilon", &OptimizerParams::epsilon, 0.0},
    };
    for (const auto& [key, field, value] : bad) {
        OptimizerParams o = good_optimizer;
        o.*field = value;
        CHECK_THROWS_WITH(o.validate(), Contains(key));
    }

    RateNetwork network(good);
    Optimizer optimizer(good_optimizer, network);
    CHECK_THROWS_WITH(optimizer.set_learning_rate(-1.0), Contains("learning_rate"));
    CHECK_NOTHROW(optimizer.set_learning_rate(0.0));  // a schedule may end at 0

    CHECK_THROWS_AS(network.backward(Labels{0}), Error);  // before any forward()
    CHECK_THROWS_AS(network.forward(RateNetwork::Matrix::Zero(3, 2)), Error);  // 3 != 4 inputs
    network.forward(RateNetwork::Matrix::Zero(4, 2));
    CHECK_THROWS_WITH(network.backward(Labels{0}), Contains("labels"));      // 1 label, 2 examples
    CHECK_THROWS_WITH(network.backward(Labels{0, 3}), Contains("label 3"));  // 3 classes: 0..2

    RateNetwork other_shape(RateNetworkParams{.n_inputs = 4, .n_outputs = 3});
    CHECK_THROWS_AS(optimizer.step(other_shape), Error);
}

}  // namespace
