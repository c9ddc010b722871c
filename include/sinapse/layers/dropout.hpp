#pragma once

#include <algorithm>
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
      : Layer<Scalar>("Dropout", options.name()),
        rate_(checked_rate(options.rate())),
        seed_(options.seed()) {
    if (options.seed()) own_generator_.emplace(*options.seed());
  }

  double rate() const { return rate_; }

  std::unique_ptr<LayerCache> make_cache() const override { return std::make_unique<Cache>(); }

  /// Outside training the layer returns its input, so the model skips the copy.
  bool is_identity(const ForwardContext& context) const override { return !context.training; }

  void forward(const Inputs& inputs, MatrixType& output, LayerCache* cache,
               const ForwardContext& context) override {
    const MatrixType& x = *inputs[0];
    auto* state = static_cast<Cache*>(cache);
    state->dropped = context.training && rate_ > 0.0;
    if (!state->dropped) {
      output = x;
      return;
    }
    // For rate = 1 every draw is below the rate, so the mask is all zeros; the scale is
    // then never used, which avoids 1 / 0.
    const Scalar scale = rate_ < 1.0 ? static_cast<Scalar>(1.0 / (1.0 - rate_)) : Scalar(0);
    // The draw u = (bits >> 11) * 2^-53 of Generator::uniform satisfies u >= rate exactly
    // when bits >> 11 >= ceil(rate * 2^53), so comparing integers keeps the masks of
    // uniform() while the loop below vectorises.
    const std::uint64_t threshold = static_cast<std::uint64_t>(std::ceil(std::ldexp(rate_, 53)));
    state->mask.resize(x.rows(), x.cols());
    output.resize(x.rows(), x.cols());
    const Scalar* in = x.data();
    Scalar* mask = state->mask.data();
    Scalar* out = output.data();
    // The raw bits of a block are drawn first, from a local copy of the generator whose
    // state stays in registers, and a second loop, which vectorises, applies them. The
    // draws follow the column-major order of the batch.
    Generator& source = own_generator_ ? *own_generator_ : *context.generator;
    Generator generator = source;
    constexpr Index block = 256;
    std::uint64_t bits[block];
    for (Index begin = 0; begin < x.size(); begin += block) {
      const Index count = std::min(block, x.size() - begin);
      for (Index i = 0; i < count; ++i) bits[i] = generator.next();
      for (Index i = 0; i < count; ++i) {
        const Scalar factor = (bits[i] >> 11) >= threshold ? scale : Scalar(0);
        mask[begin + i] = factor;
        out[begin + i] = in[begin + i] * factor;
      }
    }
    source = generator;
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

  /// Keras's config; "seed" is null when masks come from the model's generator.
  Config get_config() const override {
    Config config{{"name", this->name()}, {"rate", rate_}, {"seed", nullptr}};
    if (seed_) config.back().second = static_cast<long long>(*seed_);
    return config;
  }

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
  std::optional<std::uint64_t> seed_;  // as given, for get_config
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
