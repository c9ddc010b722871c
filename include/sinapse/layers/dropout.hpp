#pragma once

#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "sinapse/detail/option.hpp"
#include "sinapse/model/tensor.hpp"

namespace sinapse {

/// Hyperparameters of a Dropout layer.
class DropoutOptions {
 public:
  explicit DropoutOptions(double rate) : rate_(rate) {}

  /// Fraction of the inputs to drop, in [0, 1].
  SINAPSE_OPTION(double, rate);
  /// Layer name; empty gives "dropout", "dropout_1", ...
  SINAPSE_OPTION(std::string, name);
  /// Seed of this layer's own mask generator. Unset, masks come from the model's
  /// training generator, which `fit`'s seed and `set_random_seed` control.
  SINAPSE_OPTION(std::optional<std::uint64_t>, seed);
};

/// Inverted dropout, as Keras's Dropout: in training each value is kept with
/// probability 1 - rate and scaled by 1 / (1 - rate), so its expected value is
/// unchanged; a value is kept when a uniform draw u in [0, 1) has u >= rate. Outside
/// training the layer is the identity. rate = 1 gives zeros in training.
template <typename Scalar>
class DropoutLayer : public Layer<Scalar> {
 public:
  using typename Layer<Scalar>::MatrixType;
  using typename Layer<Scalar>::Inputs;
  using typename Layer<Scalar>::InputGradients;

  /// @throws ValueError unless 0 <= rate <= 1 (NaN is rejected too).
  explicit DropoutLayer(const DropoutOptions& options)
      : Layer<Scalar>("Dropout", options.name()), rate_(checked_rate(options.rate())) {
    if (options.seed()) own_generator_.emplace(*options.seed());
  }

  double rate() const { return rate_; }

  std::unique_ptr<LayerCache> make_cache() const override { return std::make_unique<Cache>(); }

  void forward(const Inputs& inputs, MatrixType& output, LayerCache* cache,
               const ForwardContext& context) override {
    const MatrixType& x = *inputs[0];
    auto& mask = static_cast<Cache*>(cache)->mask;
    static_cast<Cache*>(cache)->dropped = context.training && rate_ > 0.0;
    if (!static_cast<Cache*>(cache)->dropped) {
      output = x;
      return;
    }
    Generator& generator = own_generator_ ? *own_generator_ : *context.generator;
    // For rate = 1 every draw is below the rate, so the mask is all zeros; the scale is
    // then never used, which avoids 1 / 0.
    const Scalar scale = rate_ < 1.0 ? static_cast<Scalar>(1.0 / (1.0 - rate_)) : Scalar(0);
    mask.resize(x.rows(), x.cols());
    for (Index j = 0; j < mask.cols(); ++j) {
      for (Index i = 0; i < mask.rows(); ++i) {
        mask(i, j) = generator.uniform() >= rate_ ? scale : Scalar(0);
      }
    }
    output = x.cwiseProduct(mask);
  }

  void backward(const Inputs&, const MatrixType&, MatrixType& output_gradient, LayerCache* cache,
                const InputGradients& input_gradients) override {
    if (input_gradients[0] == nullptr) return;
    const auto* state = static_cast<const Cache*>(cache);
    if (state->dropped) {
      *input_gradients[0] = output_gradient.cwiseProduct(state->mask);
    } else {
      *input_gradients[0] = output_gradient;
    }
  }

  Config get_config() const override { return {{"name", this->name()}, {"rate", rate_}}; }

  /// The layer's own generator when it was given a seed; nullptr otherwise.
  Generator* own_generator() override { return own_generator_ ? &*own_generator_ : nullptr; }

 protected:
  Index build(const std::vector<Index>& widths) override {
    this->require_single_input(widths);
    return widths[0];
  }

 private:
  struct Cache : LayerCache {
    MatrixType mask;
    bool dropped = false;
  };

  static double checked_rate(double rate) {
    if (!(rate >= 0.0 && rate <= 1.0)) {
      throw ValueError(detail::concat("Dropout: rate must be a number in [0, 1], got ", rate));
    }
    return rate;
  }

  double rate_;
  std::optional<Generator> own_generator_;
};

/// Handle to a DropoutLayer: `Dropout<float>(0.5)(x)`.
template <typename Scalar>
class Dropout : public LayerHandle<Scalar, DropoutLayer<Scalar>> {
 public:
  explicit Dropout(double rate) : Dropout(DropoutOptions(rate)) {}
  explicit Dropout(const DropoutOptions& options)
      : LayerHandle<Scalar, DropoutLayer<Scalar>>(std::make_shared<DropoutLayer<Scalar>>(options)) {
  }
};

}  // namespace sinapse
