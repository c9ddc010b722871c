#pragma once

#include <cmath>
#include <memory>
#include <string>

#include "sinapse/detail/option.hpp"
#include "sinapse/model/tensor.hpp"

namespace sinapse {

/// Hyperparameters of a BatchNormalization layer, with Keras 3's defaults.
class BatchNormalizationOptions {
 public:
  /// Decay of the moving statistics: moving = moving * momentum + batch * (1 - momentum).
  /// This is 1 - PyTorch's momentum.
  SINAPSE_OPTION(double, momentum) = 0.99;
  /// Added to the variance before the square root (Keras 1e-3; PyTorch uses 1e-5).
  SINAPSE_OPTION(double, epsilon) = 1e-3;
  /// Learn the offset beta.
  SINAPSE_OPTION(bool, center) = true;
  /// Learn the scale gamma.
  SINAPSE_OPTION(bool, scale) = true;
  /// Layer name; empty gives "batch_normalization", "batch_normalization_1", ...
  SINAPSE_OPTION(std::string, name);
};

/// Batch normalization over the batch axis, as Keras 3's BatchNormalization on 2-D input.
///
/// Training: mean and biased variance (divided by the batch size m) of each feature over
/// the batch, y = gamma * (x - mean) / sqrt(var + epsilon) + beta, and the moving
/// statistics move towards the same mean and biased variance. Inference (`evaluate`,
/// `predict`): the moving statistics replace the batch ones. A batch of one sample has
/// variance 0, so its output is beta, without NaN.
///
/// Shapes: x and y (batch, features); gamma, beta, moving_mean, moving_variance
/// (features). The moving statistics are non-trainable weights.
template <typename Scalar>
class BatchNormalizationLayer : public Layer<Scalar> {
 public:
  using typename Layer<Scalar>::MatrixType;
  using typename Layer<Scalar>::Inputs;
  using typename Layer<Scalar>::InputGradients;
  using RowVector = Eigen::Matrix<Scalar, 1, Eigen::Dynamic>;

  /// @throws ValueError unless 0 <= momentum <= 1 and epsilon is positive and finite in
  /// Scalar.
  explicit BatchNormalizationLayer(const BatchNormalizationOptions& options)
      : Layer<Scalar>("BatchNormalization", options.name()), options_(checked(options)) {}

  const BatchNormalizationOptions& options() const { return options_; }

  Variable<Scalar>& gamma() { return gamma_; }
  Variable<Scalar>& beta() { return beta_; }
  Variable<Scalar>& moving_mean() { return moving_mean_; }
  Variable<Scalar>& moving_variance() { return moving_variance_; }

  std::vector<Variable<Scalar>*> variables() override {
    if (!this->built()) return {};
    std::vector<Variable<Scalar>*> result;
    if (options_.scale()) result.push_back(&gamma_);
    if (options_.center()) result.push_back(&beta_);
    result.push_back(&moving_mean_);
    result.push_back(&moving_variance_);
    return result;
  }

  std::unique_ptr<LayerCache> make_cache() const override { return std::make_unique<Cache>(); }

  // The (batch, features) matrices are column-major, so each feature is a contiguous
  // column. Eigen does not vectorise `rowwise()` arithmetic with a row vector on such
  // matrices, so the passes below run column by column, one scalar per feature.
  void forward(const Inputs& inputs, MatrixType& output, LayerCache* cache,
               const ForwardContext& context) override {
    const MatrixType& x = *inputs[0];
    auto* state = static_cast<Cache*>(cache);
    const Scalar epsilon = static_cast<Scalar>(options_.epsilon());
    const Index features = x.cols();
    output.resize(x.rows(), features);
    if (!context.training) {
      // y = (x - moving_mean) * (gamma / sqrt(moving_variance + epsilon)) + beta.
      RowVector& factor = state->factor;
      factor = (moving_variance_.value.col(0).transpose().array() + epsilon).rsqrt();
      factor.array() *= gamma_row().array();
      for (Index j = 0; j < features; ++j) {
        output.col(j) = (x.col(j).array() - moving_mean_.value(j, 0)) * factor(j) + beta(j);
      }
      return;
    }
    const Scalar batch_size = static_cast<Scalar>(x.rows());
    RowVector& mean = state->mean;
    RowVector& variance = state->variance;
    MatrixType& x_hat = state->normalized;
    mean = x.colwise().sum() / batch_size;
    // Two passes: the variance is a mean of squares, so it cannot go negative even when
    // the features have a large mean (E[x^2] - E[x]^2 can, through cancellation).
    x_hat.resize(x.rows(), features);
    for (Index j = 0; j < features; ++j) x_hat.col(j) = x.col(j).array() - mean(j);
    variance = x_hat.array().square().colwise().sum() / batch_size;
    state->inverse_std = (variance.array() + epsilon).rsqrt();
    for (Index j = 0; j < features; ++j) {
      x_hat.col(j) *= state->inverse_std(j);
      output.col(j) = x_hat.col(j).array() * gamma(j) + beta(j);
    }

    // 1 - momentum is computed in double and rounded once, as Keras does in Python.
    const Scalar momentum = static_cast<Scalar>(options_.momentum());
    const Scalar one_minus_momentum = static_cast<Scalar>(1.0 - options_.momentum());
    moving_mean_.value.col(0) =
        moving_mean_.value.col(0) * momentum + mean.transpose() * one_minus_momentum;
    moving_variance_.value.col(0) =
        moving_variance_.value.col(0) * momentum + variance.transpose() * one_minus_momentum;
  }

  void backward(const Inputs&, const MatrixType&, MatrixType& output_gradient, LayerCache* cache,
                const InputGradients& input_gradients) override {
    auto* state = static_cast<Cache*>(cache);
    const MatrixType& x_hat = state->normalized;
    if (options_.scale()) {
      gamma_.gradient.col(0) +=
          (output_gradient.array() * x_hat.array()).colwise().sum().matrix().transpose();
    }
    if (options_.center()) beta_.gradient.col(0) += output_gradient.colwise().sum().transpose();
    if (input_gradients[0] == nullptr) return;
    // With g = dLoss/dx_hat = dy * gamma and m samples:
    // dx = inverse_std / m * (m * g - sum(g) - x_hat * sum(g * x_hat)).
    const Index features = x_hat.cols();
    MatrixType& g = output_gradient;
    for (Index j = 0; j < features; ++j) g.col(j) *= gamma(j);
    const Scalar batch_size = static_cast<Scalar>(x_hat.rows());
    RowVector& sum_g = state->sum_g;
    RowVector& sum_g_xhat = state->sum_g_xhat;
    RowVector& factor = state->factor;
    sum_g = g.colwise().sum();
    sum_g_xhat = (g.array() * x_hat.array()).colwise().sum();
    factor = state->inverse_std.array() / batch_size;
    MatrixType& dx = *input_gradients[0];
    dx.resize(x_hat.rows(), features);
    for (Index j = 0; j < features; ++j) {
      dx.col(j) =
          ((g.col(j).array() * batch_size - sum_g(j)) - x_hat.col(j).array() * sum_g_xhat(j)) *
          factor(j);
    }
  }

  Config get_config() const override {
    return {{"name", this->name()},
            {"axis", -1LL},
            {"momentum", options_.momentum()},
            {"epsilon", options_.epsilon()},
            {"center", options_.center()},
            {"scale", options_.scale()}};
  }

 protected:
  Index build(const std::vector<Index>& widths) override {
    this->require_single_input(widths);
    const Index features = widths[0];
    gamma_ = detail::make_variable<Scalar>("gamma", features, 1, Scalar(1), true, 1);
    beta_ = detail::make_variable<Scalar>("beta", features, 1, Scalar(0), true, 1);
    moving_mean_ = detail::make_variable<Scalar>("moving_mean", features, 1, Scalar(0), false, 1);
    moving_variance_ =
        detail::make_variable<Scalar>("moving_variance", features, 1, Scalar(1), false, 1);
    moving_variance_.non_negative = true;
    return features;
  }

 private:
  // Every vector is (1, features) and kept between calls, so a pass allocates nothing.
  struct Cache : LayerCache {
    MatrixType normalized;  // x_hat, (batch, features)
    RowVector inverse_std;  // 1 / sqrt(var + epsilon) of the batch
    RowVector mean;
    RowVector variance;
    RowVector factor;  // per-feature factor of the inference output or of dx
    RowVector sum_g;
    RowVector sum_g_xhat;
  };

  // With scale or center off, gamma stays 1 and beta stays 0. They take no gradient
  // because variables() does not list them.
  auto gamma_row() const { return gamma_.value.col(0).transpose(); }
  Scalar gamma(Index feature) const { return gamma_.value(feature, 0); }
  Scalar beta(Index feature) const { return beta_.value(feature, 0); }

  static const BatchNormalizationOptions& checked(const BatchNormalizationOptions& options) {
    if (!(options.momentum() >= 0.0 && options.momentum() <= 1.0)) {
      throw ValueError(detail::concat("BatchNormalization: momentum must be in [0, 1], got ",
                                      options.momentum()));
    }
    if (!detail::is_positive_in<Scalar>(options.epsilon())) {
      throw ValueError(detail::concat("BatchNormalization: epsilon must be positive and finite ",
                                      "also after rounding to ", detail::scalar_name<Scalar>(),
                                      ", got ", options.epsilon()));
    }
    return options;
  }

  BatchNormalizationOptions options_;
  Variable<Scalar> gamma_;
  Variable<Scalar> beta_;
  Variable<Scalar> moving_mean_;
  Variable<Scalar> moving_variance_;
};

/// Handle to a BatchNormalizationLayer: `BatchNormalization<float>()(x)`.
template <typename Scalar>
class BatchNormalization : public LayerHandle<Scalar, BatchNormalizationLayer<Scalar>> {
 public:
  explicit BatchNormalization(const BatchNormalizationOptions& options = {})
      : LayerHandle<Scalar, BatchNormalizationLayer<Scalar>>(
            std::make_shared<BatchNormalizationLayer<Scalar>>(options)) {}
};

}  // namespace sinapse
