#pragma once

// Optimisers for the rate networks: each step() applies the gradients the network's last
// backward() stored, to every weight and bias w with gradient g, as PyTorch's torch.optim does
// (no dampening, no Nesterov, no weight decay: L2 is part of the network's loss).
//   sgd       w <- w - lr g
//   momentum  v <- mu v + g;  w <- w - lr v                  (v starts at 0, so v_1 = g)
//   adam      t <- t + 1 (steps taken, from 1)
//             m <- beta1 m + (1 - beta1) g;  s <- beta2 s + (1 - beta2) g^2   (m, s start at 0)
//             w <- w - (lr / (1 - beta1^t)) m / (sqrt(s) / sqrt(1 - beta2^t) + epsilon)
//             (Kingma & Ba 2015, with epsilon added after the bias correction, as PyTorch)
// Each weight matrix and bias vector is updated in vectorised passes over contiguous arrays
// (momentum in one fused pass); the state is allocated once, when the optimiser is built.

#include <array>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include "rate_network.hpp"

namespace spikerate::models {

enum class OptimizerKind { sgd, momentum, adam };

struct OptimizerParams {
    OptimizerKind kind = OptimizerKind::momentum;
    double learning_rate = 0.1;
    double momentum = 0.9;  // mu, momentum only
    double beta1 = 0.9;     // adam only: decay of the first-moment average
    double beta2 = 0.999;   // adam only: decay of the second-moment average
    double epsilon = 1e-8;  // adam only: added to the denominator

    template <class Visitor>
    void visit_fields(Visitor&& v) {
        v("optimizer", kind,
          std::array{std::pair{"sgd", OptimizerKind::sgd},
                     std::pair{"momentum", OptimizerKind::momentum},
                     std::pair{"adam", OptimizerKind::adam}},
          "PyTorch's conventions");
        v("learning_rate", learning_rate, "", "> 0");
        v("momentum", momentum, "", "[0, 1), momentum only");
        v("beta1", beta1, "", "[0, 1), adam only");
        v("beta2", beta2, "", "[0, 1), adam only");
        v("epsilon", epsilon, "", "> 0, adam only");
    }
    // Throws ParamError naming the key: learning_rate > 0; momentum, beta1, beta2 in [0, 1);
    // epsilon > 0; all finite. Every field is checked whichever optimiser is chosen.
    void validate() const;
};

template <class Scalar>
class BasicOptimizer {
  public:
    // Validates; the state (velocities or moments) is zero and shaped like the network's layers.
    BasicOptimizer(const OptimizerParams& params, const BasicRateNetwork<Scalar>& network);

    // Applies the network's stored gradients once. The network must have the shape this
    // optimiser was built for.
    void step(BasicRateNetwork<Scalar>& network);

    // For learning-rate schedules. Unlike OptimizerParams::learning_rate, 0 is allowed: a
    // schedule may decay to it.
    void set_learning_rate(double learning_rate);
    double learning_rate() const { return params_.learning_rate; }

    const OptimizerParams& params() const { return params_; }
    std::uint64_t steps_taken() const { return steps_taken_; }

    // For checkpoints (saved and restored by the caller): every state array (velocities or
    // moments) in a fixed order, and the step count (Adam's bias correction).
    std::vector<std::span<Scalar>> state_arrays();
    void set_steps_taken(std::uint64_t steps) { steps_taken_ = steps; }

  private:
    using Array = Eigen::Array<Scalar, Eigen::Dynamic, 1>;

    // One weight matrix's or bias vector's state, flattened: the momentum velocity v in
    // `first`, or Adam's m in `first` and s in `second` (empty where unused).
    struct State {
        Eigen::Index size = 0;  // of the parameter array
        Array first;
        Array second;
    };

    // Updates `state.size` contiguous parameters from their gradients.
    void update(Scalar* parameter, const Scalar* gradient, State& state) const;

    OptimizerParams params_;
    std::vector<State> states_;  // weights of layer l at 2l, its biases at 2l + 1
    std::uint64_t steps_taken_ = 0;
};

using Optimizer = BasicOptimizer<float>;

extern template class BasicOptimizer<float>;
extern template class BasicOptimizer<double>;

}  // namespace spikerate::models
