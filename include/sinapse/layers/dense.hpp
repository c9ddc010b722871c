#pragma once

#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "sinapse/activations/activation_function.hpp"
#include "sinapse/detail/option.hpp"
#include "sinapse/detail/parallel_product.hpp"
#include "sinapse/model/tensor.hpp"

namespace sinapse {

/// Hyperparameters of a Dense layer, with Keras's defaults.
class DenseOptions {
 public:
  explicit DenseOptions(Index units) : units_(units) {}

  SINAPSE_OPTION(Index, units);
  /// Keras activation name: "linear" (the default, as `activation=None`), "relu",
  /// "tanh", "sigmoid" or "softmax".
  SINAPSE_OPTION(std::string, activation) = "linear";
  SINAPSE_OPTION(bool, use_bias) = true;
  /// Layer name; empty gives "dense", "dense_1", ...
  SINAPSE_OPTION(std::string, name);
  /// Seed of the Glorot-uniform kernel initializer; unset draws one from the global
  /// generator when the layer is created (see `set_random_seed`).
  SINAPSE_OPTION(std::optional<std::uint64_t>, seed);
};

/// Fully connected layer: y = activation(x · kernel + bias), as Keras's Dense.
///
/// Shapes: x (batch, inputs), kernel (inputs, units), bias (units), y (batch, units).
/// The kernel is drawn from U(-limit, limit) with limit = sqrt(6 / (inputs + units))
/// (Glorot uniform) and the bias starts at zero.
template <typename Scalar>
class DenseLayer : public Layer<Scalar> {
 public:
  using typename Layer<Scalar>::MatrixType;
  using typename Layer<Scalar>::Inputs;
  using typename Layer<Scalar>::InputGradients;

  /// @throws ValueError for units < 1 or an unknown activation name.
  explicit DenseLayer(const DenseOptions& options)
      : Layer<Scalar>("Dense", options.name()),
        units_(checked_units(options.units())),
        activation_(parse_activation(options.activation())),
        use_bias_(options.use_bias()),
        seed_(options.seed() ? *options.seed() : detail::draw_seed()) {}

  Index units() const { return units_; }
  ActivationFunction activation() const { return activation_; }
  bool use_bias() const { return use_bias_; }

  /// Kernel, shaped (inputs, units); valid once built.
  Variable<Scalar>& kernel() { return kernel_; }
  /// Bias, shaped (units, 1); valid once built with use_bias.
  Variable<Scalar>& bias() { return bias_; }

  std::vector<Variable<Scalar>*> variables() override {
    if (!this->built()) return {};
    if (use_bias_) return {&kernel_, &bias_};
    return {&kernel_};
  }

  void forward(const Inputs& inputs, MatrixType& output, LayerCache*,
               const ForwardContext&) override {
    const MatrixType& x = *inputs[0];
    const Index inputs_width = x.cols();
    output.resize(x.rows(), units_);
    detail::for_each_product_block<Scalar>(
        x.rows(), units_, inputs_width, [&](Index row, Index height, Index column, Index width) {
          output.block(row, column, height, width).noalias() =
              x.middleRows(row, height) * kernel_.value.middleCols(column, width);
        });
    if (use_bias_) {
      detail::add_bias_and_activate(activation_, bias_.value, output);
    } else {
      detail::activate(activation_, output);
    }
  }

  void backward(const Inputs& inputs, const MatrixType& output, MatrixType& output_gradient,
                LayerCache*, const InputGradients& input_gradients) override {
    // output_gradient becomes dLoss/d(x·kernel + bias).
    detail::activation_backward(activation_, output, output_gradient);
    const MatrixType& x = *inputs[0];
    const MatrixType& dy = output_gradient;
    const Index batch = x.rows();
    const Index inputs_width = x.cols();
    // dLoss/dkernel = x^T dy, (inputs, units), summed over the batch.
    detail::for_each_product_block<Scalar>(
        inputs_width, units_, batch, [&](Index row, Index height, Index column, Index width) {
          kernel_.gradient.block(row, column, height, width).noalias() +=
              x.middleCols(row, height).transpose() * dy.middleCols(column, width);
        });
    if (use_bias_) bias_.gradient.col(0) += dy.colwise().sum().transpose();
    if (input_gradients[0] != nullptr) {
      // dLoss/dx = dy kernel^T, (batch, inputs).
      MatrixType& dx = *input_gradients[0];
      dx.resize(batch, inputs_width);
      detail::for_each_product_block<Scalar>(
          batch, inputs_width, units_, [&](Index row, Index height, Index column, Index width) {
            dx.block(row, column, height, width).noalias() =
                dy.middleRows(row, height) * kernel_.value.middleRows(column, width).transpose();
          });
    }
  }

  Config get_config() const override {
    return {{"name", this->name()},
            {"units", static_cast<long long>(units_)},
            {"activation", activation_name(activation_)},
            {"use_bias", use_bias_},
            {"kernel_initializer", "glorot_uniform"},
            {"bias_initializer", "zeros"},
            {"seed", static_cast<long long>(seed_)}};
  }

 protected:
  Index build(const std::vector<Index>& widths) override {
    this->require_single_input(widths);
    const Index inputs = widths[0];
    kernel_ = detail::make_variable<Scalar>("kernel", inputs, units_, Scalar(0), true, 2);
    const double limit = std::sqrt(6.0 / static_cast<double>(inputs + units_));
    Generator generator(seed_);
    // Column-major fill order; the values are drawn in double and rounded once.
    for (Index j = 0; j < units_; ++j) {
      for (Index i = 0; i < inputs; ++i) {
        kernel_.value(i, j) = static_cast<Scalar>(limit * (2.0 * generator.uniform() - 1.0));
      }
    }
    if (use_bias_) bias_ = detail::make_variable<Scalar>("bias", units_, 1, Scalar(0), true, 1);
    return units_;
  }

 private:
  static Index checked_units(Index units) {
    if (units < 1) {
      throw ValueError(detail::concat("Dense: units must be a positive integer, got ", units));
    }
    return units;
  }

  Index units_;
  ActivationFunction activation_;
  bool use_bias_;
  std::uint64_t seed_;
  Variable<Scalar> kernel_;
  Variable<Scalar> bias_;
};

/// Handle to a DenseLayer: `Dense<float>(64, "relu")(x)` as `Dense(64, activation="relu")(x)`.
template <typename Scalar>
class Dense : public LayerHandle<Scalar, DenseLayer<Scalar>> {
 public:
  explicit Dense(Index units, const std::string& activation = "linear")
      : Dense(DenseOptions(units).activation(activation)) {}
  explicit Dense(const DenseOptions& options)
      : LayerHandle<Scalar, DenseLayer<Scalar>>(std::make_shared<DenseLayer<Scalar>>(options)) {}
};

}  // namespace sinapse
