#pragma once

// rate_network: a feed-forward network of rate units trained by backpropagation on mini-batches;
// with no hidden layer it is (multinomial) logistic regression.
//
// Column j of every matrix is example j of a batch of B examples. Weight layer l = 1..L maps
// a_{l-1} (n_{l-1} x B) to a_l (n_l x B); a_0 is the input batch:
//   z_l = W_l a_{l-1} + b_l        W_l: n_l x n_{l-1}; b_l: n_l, added to every column
//   a_l = f_l(z_l)                 f_l = the hidden activation for l < L (activation.hpp); for
//                                  l = L the softmax (cross-entropy) or the output activation
//                                  (squared error)
// Loss: the batch mean of the per-example loss (loss.hpp) plus (l2/2) sum_l ||W_l||^2 (the sum of
// every squared weight; biases are not penalised).
// Gradients of exactly that loss, with delta_l = dLoss/dz_l (n_l x B):
//   delta_L     = (p - onehot(y)) / B                  softmax cross-entropy
//               = (a_L - onehot(y)) f_L'(z_L) / B      squared error
//   dLoss/dW_l  = delta_l a_{l-1}^T + l2 W_l
//   dLoss/db_l  = sum over the batch (columns) of delta_l
//   delta_{l-1} = (W_l^T delta_l) f_{l-1}'(z_{l-1})    elementwise; f' written through a_{l-1}
// The gradient with respect to the inputs (delta_0) is never computed.
// Initialisation: biases 0; w = a (2u - 1) with u uniform in (0, 1), drawn layer by layer, row by
// row, with a = sqrt(6 / (n_{l-1} + n_l)) (Xavier/Glorot uniform; Glorot & Bengio 2010) or
// a = sqrt(6 / n_{l-1}) (He/Kaiming uniform; He et al. 2015). `automatic` uses He for the hidden
// layers when the hidden activation is relu and Xavier for every other layer, the output layer
// included.
// Work: multiply-accumulates (MACs) of the matrix products only; elementwise work (bias
// additions, activations, softmax, losses, the optimiser) is not counted.
// Threads: the matrix products use Eigen's OpenMP parallelism (Eigen::setNbThreads, the caller's
// choice); all else runs on the calling thread. For a given thread count the results are
// reproducible bit for bit; another thread count may change the last bits, because Eigen splits
// the products' blocks differently.
// Buffers: activations, deltas and gradients are allocated for a batch size and reused while it
// stays the same; a batch of another size (the last partial batch, evaluation) reallocates them.

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include "activation.hpp"
#include "loss.hpp"

namespace spikerate::models {

enum class WeightInit { automatic, xavier, he };

struct RateNetworkParams {
    std::size_t n_inputs = 0;                  // set from the task, not a scenario key
    std::size_t n_outputs = 0;                 // set from the task, not a scenario key
    std::vector<std::uint32_t> hidden;         // hidden layer sizes; empty: logistic regression
    Activation activation = Activation::relu;  // of the hidden layers
    Loss loss = Loss::softmax_cross_entropy;
    Activation output_activation = Activation::identity;  // mean_squared_error only
    WeightInit init = WeightInit::automatic;
    double l2 = 0.0;  // adds l2/2 * (sum of squared weights, not biases) to the loss

    // Calls v(name, field, unit, doc) for every scenario key; enums are passed with their names
    // (v(name, field, choices)). n_inputs and n_outputs come from the task instead.
    template <class Visitor>
    void visit_fields(Visitor&& v) {
        v("hidden", hidden, "",
          "hidden layer sizes, each >= 1; [] is (multinomial) logistic regression");
        v("activation", activation, activation_choices, "of the hidden layers");
        v("loss", loss, loss_choices, "mean_squared_error uses one-hot targets");
        v("output_activation", output_activation, activation_choices, "mean_squared_error only");
        v("init", init,
          std::array{std::pair{"automatic", WeightInit::automatic},
                     std::pair{"xavier", WeightInit::xavier}, std::pair{"he", WeightInit::he}},
          "uniform; automatic: He before a ReLU, Xavier otherwise");
        v("l2", l2, "", ">= 0: adds l2 / 2 * sum(W^2) to the loss (weights, not biases)");
    }
    // Throws ParamError naming the key: n_inputs, n_outputs and every hidden size >= 1 (and
    // n_outputs >= 2 for the softmax); l2 >= 0 and finite; output_activation is identity with
    // softmax_cross_entropy, whose output is the softmax.
    void validate() const;
};

// Scalar: float for training, double for gradient checks (both are instantiated).
template <class Scalar>
class BasicRateNetwork {
  public:
    using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;  // column = example
    using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;

    explicit BasicRateNetwork(const RateNetworkParams& params);  // validates; weights zero

    // Draws every weight as described above from uniform01(), which must return values in
    // (0, 1); sets the biases to zero.
    void initialise(const std::function<double()>& uniform01);

    const RateNetworkParams& params() const { return params_; }
    std::size_t n_layers() const { return layers_.size(); }  // weight layers: hidden.size() + 1
    // Weight layer `layer` (0-based): W is n_out x n_in, b has n_out entries. The mutable
    // accessors are for gradient checks and for loading weights.
    const Matrix& weights(std::size_t layer) const { return layers_.at(layer).weights; }
    Matrix& weights(std::size_t layer) { return layers_.at(layer).weights; }
    const Vector& biases(std::size_t layer) const { return layers_.at(layer).biases; }
    Vector& biases(std::size_t layer) { return layers_.at(layer).biases; }

    // Forward pass of a batch (n_inputs x B, any B >= 1). Returns the output layer's activations
    // (the softmax probabilities with cross-entropy), valid until the next forward(). The inputs
    // are copied, so backward() does not depend on them staying alive; the copy costs less than
    // it saves, since both products that read the inputs then find them contiguous and cached.
    const Matrix& forward(const Eigen::Ref<const Matrix>& inputs);

    // After forward(): returns the batch's mean loss plus the L2 term for these labels (one per
    // column, each < n_outputs), and stores the gradients of exactly that loss with respect to
    // every weight and bias. May be called more than once per forward().
    double backward(std::span<const std::uint32_t> labels);
    // The same loss for the last forward(), without gradients.
    double loss(std::span<const std::uint32_t> labels) const;

    const Matrix& weight_gradient(std::size_t layer) const {
        return layers_.at(layer).weight_gradient;
    }
    const Vector& bias_gradient(std::size_t layer) const { return layers_.at(layer).bias_gradient; }

    // MACs per example: forward = sum_l n_{l-1} n_l; backward = the weight gradients
    // (sum_l n_{l-1} n_l) plus W_l^T delta_l for every layer but the first (l >= 2).
    std::uint64_t forward_macs_per_example() const;
    std::uint64_t backward_macs_per_example() const;

  private:
    struct Layer {
        Matrix weights;  // n_out x n_in
        Vector biases;
        Activation activation;  // f_l; the output layer's is unused with the softmax
        Matrix outputs;         // a_l for the current batch
        Matrix delta;           // dLoss/dz_l for the current batch
        Matrix weight_gradient;
        Vector bias_gradient;
    };

    void resize_batch(Eigen::Index batch_size);
    void check_labels(std::span<const std::uint32_t> labels) const;
    double l2_penalty() const;

    RateNetworkParams params_;
    std::vector<Layer> layers_;
    Matrix inputs_;  // a_0: the last forward()'s inputs
    Matrix logits_;  // z_L, kept for the cross-entropy (empty with squared error)
    Eigen::RowVectorXd log_normaliser_;  // log sum_k exp z_L(k, j), cross-entropy only
    Eigen::Index batch_size_ = 0;        // of the last forward(); 0 before the first
};

using RateNetwork = BasicRateNetwork<float>;

extern template class BasicRateNetwork<float>;
extern template class BasicRateNetwork<double>;

}  // namespace spikerate::models
