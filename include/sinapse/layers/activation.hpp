#pragma once

#include <memory>
#include <string>

#include "sinapse/activations/activation_function.hpp"
#include "sinapse/model/tensor.hpp"

namespace sinapse {

/// Applies an activation function as a layer of its own, as Keras's Activation layer:
/// `Dense(1)` followed by `Activation("sigmoid")` computes what `Dense(1, "sigmoid")` does.
template <typename Scalar>
class ActivationLayer : public Layer<Scalar> {
 public:
  using typename Layer<Scalar>::MatrixType;
  using typename Layer<Scalar>::Inputs;
  using typename Layer<Scalar>::InputGradients;

  /// @throws ValueError for an unknown activation name.
  explicit ActivationLayer(const std::string& activation, const std::string& name = "")
      : Layer<Scalar>("Activation", name), activation_(parse_activation(activation)) {}

  ActivationFunction activation() const { return activation_; }

  void forward(const Inputs& inputs, MatrixType& output, LayerCache*,
               const ForwardContext&) override {
    output = *inputs[0];
    detail::activate(activation_, output);
  }

  void backward(const Inputs&, const MatrixType& output, MatrixType& output_gradient, LayerCache*,
                const InputGradients& input_gradients) override {
    if (input_gradients[0] == nullptr) return;
    detail::activation_backward(activation_, output, output_gradient);
    *input_gradients[0] = output_gradient;
  }

  Config get_config() const override {
    return {{"name", this->name()}, {"activation", activation_name(activation_)}};
  }

 protected:
  Index build(const std::vector<Index>& widths) override {
    this->require_single_input(widths);
    return widths[0];
  }

 private:
  ActivationFunction activation_;
};

/// Handle to an ActivationLayer: `Activation<float>("sigmoid")(x)`.
template <typename Scalar>
class Activation : public LayerHandle<Scalar, ActivationLayer<Scalar>> {
 public:
  explicit Activation(const std::string& activation, const std::string& name = "")
      : LayerHandle<Scalar, ActivationLayer<Scalar>>(
            std::make_shared<ActivationLayer<Scalar>>(activation, name)) {}
};

}  // namespace sinapse
