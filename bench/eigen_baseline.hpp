#pragma once

// The benchmark's reference: a plain training loop written by hand in Eigen for the
// networks of workloads.hpp. It does the math that sinapse does, with Keras's formulas.
// Kernels start Glorot-uniform, hidden layers use relu or tanh, dropout is inverted, and
// BatchNormalization uses batch statistics and moving averages (momentum 0.99, epsilon
// 1e-3). The sigmoid output trains on binary cross-entropy clipped at 1e-7, with the
// accuracy metric, and Adam uses learning rate 1e-3, beta 0.9 and 0.999, and epsilon 1e-7
// added to the square root of the uncorrected v.
//
// It is written the way a competent programmer would write one network by hand. Samples
// are columns (features, batch), so a batch is a contiguous block and every product is a
// plain column-major GEMM. Every buffer is allocated once and reused. Each epoch shuffles
// an index vector and gathers the batch columns into one buffer. Activation, dropout and
// normalization run in one or two fused passes, and Adam in three array passes per weight.
// It shares no code with sinapse.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "workloads.hpp"

namespace sinapse_bench {

template <typename Scalar>
class EigenBaseline {
 public:
  using MatrixType = Matrix<Scalar>;
  using VectorType = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
  using RowVectorType = Eigen::Matrix<Scalar, 1, Eigen::Dynamic>;
  using ConstRef = Eigen::Ref<const MatrixType>;

  /// Loss and accuracy of the last epoch of `fit`, computed as Keras does: from the
  /// training-mode forward pass before each update, averaged over the epoch's samples.
  struct EpochLogs {
    double loss = 0.0;
    double accuracy = 0.0;
  };

  EigenBaseline(const Network& network, std::uint64_t seed) : random_(seed) {
    const std::vector<Index> widths = layer_widths(network);
    for (std::size_t i = 0; i + 1 < widths.size(); ++i) {
      Block block;
      const bool is_output = i + 1 == widths.size() - 1;
      block.units = widths[i + 1];
      block.activation = is_output ? Activation::relu : network.hidden[i].activation;
      block.is_output = is_output;
      init_parameter(block.kernel, block.units, widths[i]);
      init_parameter(block.bias, block.units, 1);
      // Glorot uniform: U(-limit, limit) with limit = sqrt(6 / (fan_in + fan_out)).
      const double limit = std::sqrt(6.0 / static_cast<double>(widths[i] + widths[i + 1]));
      for (Index k = 0; k < block.kernel.value.size(); ++k) {
        block.kernel.value.data()[k] = static_cast<Scalar>(limit * (2.0 * random_.uniform() - 1.0));
      }
      if (!is_output) {
        block.dropout_rate = network.hidden[i].dropout_rate;
        block.batch_norm = network.hidden[i].batch_norm;
        if (block.batch_norm) {
          init_parameter(block.gamma, block.units, 1);
          init_parameter(block.beta, block.units, 1);
          block.gamma.value.setOnes();
          block.moving_mean = VectorType::Zero(block.units);
          block.moving_variance = VectorType::Ones(block.units);
        }
      }
      blocks_.push_back(std::move(block));
    }
    inputs_ = network.inputs;
  }

  /// Replaces every weight, given in Keras's order: per Dense layer kernel (inputs, units)
  /// and bias (units, 1); per BatchNormalization gamma, beta, moving_mean, moving_variance.
  void set_keras_weights(const std::vector<MatrixType>& weights) {
    std::size_t next = 0;
    auto take = [&](Index rows, Index cols) -> const MatrixType& {
      if (next >= weights.size() || weights[next].rows() != rows || weights[next].cols() != cols) {
        throw std::invalid_argument("EigenBaseline::set_keras_weights: weight " +
                                    std::to_string(next) + " is missing or has the wrong shape");
      }
      return weights[next++];
    };
    for (Block& block : blocks_) {
      block.kernel.value = take(block.kernel.value.cols(), block.units).transpose();
      block.bias.value = take(block.units, 1);
      if (block.batch_norm) {
        block.gamma.value = take(block.units, 1);
        block.beta.value = take(block.units, 1);
        block.moving_mean = take(block.units, 1);
        block.moving_variance = take(block.units, 1);
      }
    }
  }

  /// Returns every weight in Keras's order (see set_keras_weights).
  std::vector<MatrixType> keras_weights() const {
    std::vector<MatrixType> weights;
    for (const Block& block : blocks_) {
      weights.push_back(block.kernel.value.transpose());
      weights.push_back(block.bias.value);
      if (block.batch_norm) {
        weights.push_back(block.gamma.value);
        weights.push_back(block.beta.value);
        weights.push_back(block.moving_mean);
        weights.push_back(block.moving_variance);
      }
    }
    return weights;
  }

  /// Trains `epochs` epochs on x (features, samples) and y (1, samples) in batches of
  /// batch_size, drawing a new sample order every epoch. Returns the last epoch's logs.
  EpochLogs fit(const MatrixType& x, const RowVectorType& y, Index batch_size, int epochs) {
    reserve(batch_size);
    const Index samples = x.cols();
    order_.resize(static_cast<std::size_t>(samples));
    EpochLogs logs;
    for (int epoch = 0; epoch < epochs; ++epoch) {
      std::iota(order_.begin(), order_.end(), Index(0));
      shuffle(order_);
      double loss_sum = 0.0;
      Index correct = 0;
      for (Index begin = 0; begin < samples; begin += batch_size) {
        const Index count = std::min(batch_size, samples - begin);
        for (Index j = 0; j < count; ++j) {
          const Index source = order_[static_cast<std::size_t>(begin + j)];
          x_batch_.col(j) = x.col(source);
          y_batch_(j) = y(source);
        }
        loss_sum += train_step(x_batch_.leftCols(count), count, &correct);
      }
      logs.loss = loss_sum / static_cast<double>(samples);
      logs.accuracy = static_cast<double>(correct) / static_cast<double>(samples);
    }
    return logs;
  }

  /// Runs one training step on x (features, count) and y (1, count) as a single batch and
  /// returns the batch's mean loss before the update.
  double train_on_batch(const MatrixType& x, const RowVectorType& y) {
    reserve(x.cols());
    y_batch_.leftCols(x.cols()) = y;
    Index correct = 0;
    return train_step(x, x.cols(), &correct) / static_cast<double>(x.cols());
  }

  /// Writes the inference-mode output for x (features, samples) into output (1, samples),
  /// running batch_size samples at a time.
  void predict(const MatrixType& x, Index batch_size, RowVectorType& output) {
    reserve(batch_size);
    output.resize(x.cols());
    for (Index begin = 0; begin < x.cols(); begin += batch_size) {
      const Index count = std::min(batch_size, x.cols() - begin);
      forward(x.middleCols(begin, count), count, false);
      output.segment(begin, count) = blocks_.back().activated.leftCols(count);
    }
  }

 private:
  struct Parameter {
    MatrixType value;
    MatrixType gradient;
    MatrixType m;  // Adam's first moment
    MatrixType v;  // Adam's second moment
  };

  /// Dense(units, activation) -> optional Dropout -> optional BatchNormalization. The
  /// output block is a Dense(1, sigmoid) with neither.
  struct Block {
    Index units = 0;
    Activation activation = Activation::relu;
    bool is_output = false;
    double dropout_rate = 0.0;
    bool batch_norm = false;
    Parameter kernel;  // (units, inputs)
    Parameter bias;    // (units, 1)
    Parameter gamma;   // (units, 1)
    Parameter beta;    // (units, 1)
    VectorType moving_mean;
    VectorType moving_variance;
    // Per-batch buffers, (units, capacity).
    MatrixType activated;  // activation(x W + b)
    MatrixType mask;       // 0 or 1 / (1 - rate)
    MatrixType dropped;    // activated * mask
    MatrixType x_hat;      // normalized input of BatchNormalization
    MatrixType normalized; // gamma * x_hat + beta
    MatrixType gradient;   // dLoss/d(block output), then dLoss/d(pre-activation)
    VectorType inverse_std;
    VectorType sum_gradient;
    VectorType sum_gradient_x_hat;
    const MatrixType* output = nullptr;  // the buffer that holds the block's output
  };

  static void init_parameter(Parameter& parameter, Index rows, Index cols) {
    parameter.value = MatrixType::Zero(rows, cols);
    parameter.gradient = MatrixType::Zero(rows, cols);
    parameter.m = MatrixType::Zero(rows, cols);
    parameter.v = MatrixType::Zero(rows, cols);
  }

  /// Sizes every per-batch buffer for `capacity` samples; a no-op once they are large enough.
  void reserve(Index capacity) {
    if (capacity <= capacity_) return;
    capacity_ = capacity;
    x_batch_.resize(inputs_, capacity);
    y_batch_.resize(capacity);
    for (Block& block : blocks_) {
      block.activated.resize(block.units, capacity);
      block.gradient.resize(block.units, capacity);
      if (block.dropout_rate > 0.0) {
        block.mask.resize(block.units, capacity);
        block.dropped.resize(block.units, capacity);
      }
      if (block.batch_norm) {
        block.x_hat.resize(block.units, capacity);
        block.normalized.resize(block.units, capacity);
        block.inverse_std.resize(block.units);
        block.sum_gradient.resize(block.units);
        block.sum_gradient_x_hat.resize(block.units);
      }
    }
  }

  /// Fisher-Yates shuffle. The bound uses Lemire's multiply-shift, whose bias below 2^-32
  /// does not matter here.
  void shuffle(std::vector<Index>& order) {
    for (std::size_t i = order.size(); i > 1; --i) {
      const std::uint64_t draw = random_.next() >> 32;
      const std::size_t j = static_cast<std::size_t>((draw * i) >> 32);
      std::swap(order[i - 1], order[j]);
    }
  }

  void forward(const ConstRef& x, Index count, bool training) {
    const MatrixType* input = nullptr;
    for (std::size_t i = 0; i < blocks_.size(); ++i) {
      Block& block = blocks_[i];
      auto z = block.activated.leftCols(count);
      if (i == 0) {
        z.noalias() = block.kernel.value * x;
      } else {
        z.noalias() = block.kernel.value * input->leftCols(count);
      }
      if (block.is_output) {
        z.array() = ((-(z.array().colwise() + block.bias.value.col(0).array())).exp() + Scalar(1))
                        .inverse();
      } else if (block.activation == Activation::relu) {
        z = (z.colwise() + block.bias.value.col(0)).cwiseMax(Scalar(0));
      } else {
        z.array() = (z.array().colwise() + block.bias.value.col(0).array()).tanh();
      }
      block.output = &block.activated;
      if (training && block.dropout_rate > 0.0) apply_dropout(block, count);
      if (block.batch_norm) normalize(block, count, training);
      input = block.output;
    }
  }

  /// Inverted dropout: keeps a value when the top 32 bits of its random draw are at least
  /// rate * 2^32. Each value's draw depends only on its index, so the loop vectorizes.
  void apply_dropout(Block& block, Index count) {
    const Scalar scale = static_cast<Scalar>(1.0 / (1.0 - block.dropout_rate));
    const std::uint64_t threshold =
        static_cast<std::uint64_t>(block.dropout_rate * 4294967296.0);
    const Index size = block.units * count;
    const std::uint64_t start = random_.skip(static_cast<std::uint64_t>(size));
    const Scalar* activated = block.activated.data();
    Scalar* mask = block.mask.data();
    Scalar* dropped = block.dropped.data();
    for (Index k = 0; k < size; ++k) {
      const std::uint64_t draw =
          FastRandom::mix(start + static_cast<std::uint64_t>(k + 1) * FastRandom::increment);
      const Scalar keep = (draw >> 32) >= threshold ? scale : Scalar(0);
      mask[k] = keep;
      dropped[k] = activated[k] * keep;
    }
    block.output = &block.dropped;
  }

  void normalize(Block& block, Index count, bool training) {
    const Scalar epsilon = static_cast<Scalar>(1e-3);
    const auto input = block.output->leftCols(count);
    auto output = block.normalized.leftCols(count);
    block.output = &block.normalized;
    if (!training) {
      const VectorType scale =
          (block.moving_variance.array() + epsilon).rsqrt() * block.gamma.value.col(0).array();
      output.array() = ((input.colwise() - block.moving_mean).array().colwise() * scale.array())
                           .colwise() +
                       block.beta.value.col(0).array();
      return;
    }
    const Scalar inverse_count = Scalar(1) / static_cast<Scalar>(count);
    auto x_hat = block.x_hat.leftCols(count);
    // sum_gradient contains the batch mean here, and backward reuses it as scratch.
    block.sum_gradient = input.rowwise().sum() * inverse_count;
    x_hat = input.colwise() - block.sum_gradient;
    block.sum_gradient_x_hat = x_hat.array().square().rowwise().sum() * inverse_count;
    block.inverse_std = (block.sum_gradient_x_hat.array() + epsilon).rsqrt();
    x_hat.array().colwise() *= block.inverse_std.array();
    output.array() = (x_hat.array().colwise() * block.gamma.value.col(0).array()).colwise() +
                     block.beta.value.col(0).array();
    const Scalar momentum = static_cast<Scalar>(0.99);
    const Scalar one_minus_momentum = static_cast<Scalar>(1.0 - 0.99);
    block.moving_mean = block.moving_mean * momentum + block.sum_gradient * one_minus_momentum;
    block.moving_variance =
        block.moving_variance * momentum + block.sum_gradient_x_hat * one_minus_momentum;
  }

  /// Forward, loss, backward and Adam on the batch x (features, count) and y_batch_.
  /// Returns the sum of the per-sample losses and adds the correct predictions to correct.
  double train_step(const ConstRef& x, Index count, Index* correct) {
    forward(x, count, true);

    // Binary cross-entropy on the clipped probability, fused with the sigmoid's
    // derivative: dLoss/dz = (p - y) / count where the clip is inactive, else 0.
    Block& last = blocks_.back();
    const Scalar epsilon = static_cast<Scalar>(1e-7);
    const Scalar one = Scalar(1);
    const Scalar inverse_count = one / static_cast<Scalar>(count);
    double loss_sum = 0.0;
    for (Index j = 0; j < count; ++j) {
      const Scalar p = last.activated(0, j);
      const Scalar y = y_batch_(j);
      const Scalar clipped = std::min(std::max(p, epsilon), one - epsilon);
      loss_sum -= static_cast<double>(y * std::log(clipped) + (one - y) * std::log(one - clipped));
      *correct += (p > Scalar(0.5) ? one : Scalar(0)) == y ? 1 : 0;
      const bool inside = p >= epsilon && p <= one - epsilon;
      last.gradient(0, j) = inside ? (p - y) * inverse_count : Scalar(0);
    }

    for (std::size_t i = blocks_.size(); i-- > 0;) {
      Block& block = blocks_[i];
      auto delta = block.gradient.leftCols(count);
      if (!block.is_output) to_pre_activation_gradient(block, count);
      if (i == 0) {
        block.kernel.gradient.noalias() = delta * x.transpose();
      } else {
        block.kernel.gradient.noalias() =
            delta * blocks_[i - 1].output->leftCols(count).transpose();
        blocks_[i - 1].gradient.leftCols(count).noalias() =
            block.kernel.value.transpose() * delta;
      }
      block.bias.gradient.col(0) = delta.rowwise().sum();
    }

    ++step_;
    const Scalar beta_1 = static_cast<Scalar>(0.9);
    const Scalar beta_2 = static_cast<Scalar>(0.999);
    const Scalar t = static_cast<Scalar>(step_);
    const Scalar alpha = static_cast<Scalar>(1e-3) * std::sqrt(one - std::pow(beta_2, t)) /
                         (one - std::pow(beta_1, t));
    for (Block& block : blocks_) {
      adam_update(block.kernel, alpha);
      adam_update(block.bias, alpha);
      if (block.batch_norm) {
        adam_update(block.gamma, alpha);
        adam_update(block.beta, alpha);
      }
    }
    return loss_sum;
  }

  /// Turns block.gradient from dLoss/d(block output) into dLoss/d(x W + b), back through
  /// BatchNormalization, dropout and the activation.
  void to_pre_activation_gradient(Block& block, Index count) {
    auto gradient = block.gradient.leftCols(count);
    if (block.batch_norm) {
      // With g = dLoss/dy and m samples: dgamma = sum(g x_hat), dbeta = sum(g) and
      // dx = gamma inverse_std / m (m g - dbeta - x_hat dgamma).
      const auto x_hat = block.x_hat.leftCols(count);
      block.sum_gradient_x_hat = (gradient.array() * x_hat.array()).rowwise().sum();
      block.sum_gradient = gradient.rowwise().sum();
      block.gamma.gradient.col(0) = block.sum_gradient_x_hat;
      block.beta.gradient.col(0) = block.sum_gradient;
      const Scalar m = static_cast<Scalar>(count);
      // inverse_std becomes gamma inverse_std / m, since the forward value is no longer needed.
      block.inverse_std.array() *= block.gamma.value.col(0).array() / m;
      gradient.array() = ((gradient.array() * m).colwise() - block.sum_gradient.array() -
                          x_hat.array().colwise() * block.sum_gradient_x_hat.array())
                             .colwise() *
                         block.inverse_std.array();
    }
    const auto activated = block.activated.leftCols(count);
    const bool dropout = block.dropout_rate > 0.0;
    if (block.activation == Activation::relu) {
      if (dropout) {
        gradient = (activated.array() > Scalar(0))
                       .select(gradient.cwiseProduct(block.mask.leftCols(count)), Scalar(0));
      } else {
        gradient = (activated.array() > Scalar(0)).select(gradient, Scalar(0));
      }
    } else {
      const auto derivative = Scalar(1) - activated.array().square();
      if (dropout) {
        gradient.array() *= block.mask.leftCols(count).array() * derivative;
      } else {
        gradient.array() *= derivative;
      }
    }
  }

  /// Keras's Adam: m += (g - m)(1 - beta_1), v += (g^2 - v)(1 - beta_2),
  /// w -= alpha m / (sqrt(v) + epsilon). Eigen's array sqrt is used rather than a scalar
  /// loop, because std::sqrt's errno check keeps g++ from vectorizing a loop without
  /// -fno-math-errno.
  static void adam_update(Parameter& parameter, Scalar alpha) {
    const Scalar one_minus_beta_1 = static_cast<Scalar>(1.0 - 0.9);
    const Scalar one_minus_beta_2 = static_cast<Scalar>(1.0 - 0.999);
    const Scalar epsilon = static_cast<Scalar>(1e-7);
    auto w = parameter.value.array();
    const auto g = parameter.gradient.array();
    auto m = parameter.m.array();
    auto v = parameter.v.array();
    m += (g - m) * one_minus_beta_1;
    v += (g.square() - v) * one_minus_beta_2;
    w -= alpha * m / (v.sqrt() + epsilon);
  }

  FastRandom random_;
  std::vector<Block> blocks_;
  Index inputs_ = 0;
  Index capacity_ = 0;
  long long step_ = 0;
  MatrixType x_batch_;
  RowVectorType y_batch_;
  std::vector<Index> order_;
};

}  // namespace sinapse_bench
