#pragma once

#include <memory>
#include <string>

#include "sinapse/model/tensor.hpp"

namespace sinapse {

/// Entry point of a functional graph; the model writes each batch into its output.
template <typename Scalar>
class InputLayer : public Layer<Scalar> {
 public:
  using typename Layer<Scalar>::MatrixType;
  using typename Layer<Scalar>::Inputs;
  using typename Layer<Scalar>::InputGradients;

  InputLayer(Index features, const std::string& name)
      : Layer<Scalar>("InputLayer", name), features_(features) {}

  void forward(const Inputs&, MatrixType&, LayerCache*, const ForwardContext&) override {}
  void backward(const Inputs&, const MatrixType&, MatrixType&, LayerCache*,
                const InputGradients&) override {}

  Config get_config() const override {
    return {{"name", this->name()},
            {"batch_shape", "(None, " + std::to_string(features_) + ")"},
            {"features", static_cast<long long>(features_)}};
  }

 protected:
  Index build(const std::vector<Index>& widths) override {
    if (!widths.empty()) {
      throw ValueError(detail::concat("InputLayer '", this->name(), "' takes no inputs"));
    }
    return features_;
  }

 private:
  Index features_;
};

/// Creates a graph input of `features` columns and returns its symbolic tensor, as
/// `keras.Input(shape=(features,))`. An empty name gives "input_layer", "input_layer_1", ...
/// @throws ValueError if features < 1.
template <typename Scalar>
Tensor<Scalar> Input(Index features, const std::string& name = "") {
  if (features < 1) {
    throw ValueError(detail::concat("Input: features must be a positive integer, got ", features));
  }
  auto layer = std::make_shared<InputLayer<Scalar>>(features, name);
  layer->build_for({});
  auto node = std::make_shared<detail::Node<Scalar>>();
  node->layer = layer;
  node->node_index = layer->add_node();
  return Tensor<Scalar>(std::move(node));
}

}  // namespace sinapse
