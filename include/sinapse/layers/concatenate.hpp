#pragma once

#include <limits>
#include <memory>
#include <string>

#include "sinapse/model/tensor.hpp"

namespace sinapse {

/// Joins its inputs along the feature axis (Keras's Concatenate with axis=-1).
///
/// Shapes: inputs (batch, w_i); output (batch, sum of w_i), in input order.
template <typename Scalar>
class ConcatenateLayer : public Layer<Scalar> {
 public:
  using typename Layer<Scalar>::MatrixType;
  using typename Layer<Scalar>::Inputs;
  using typename Layer<Scalar>::InputGradients;

  explicit ConcatenateLayer(const std::string& name = "") : Layer<Scalar>("Concatenate", name) {}

  bool is_merge() const override { return true; }

  void forward(const Inputs& inputs, MatrixType& output, LayerCache*,
               const ForwardContext&) override {
    output.resize(inputs[0]->rows(), this->output_width());
    Index offset = 0;
    for (const MatrixType* input : inputs) {
      output.middleCols(offset, input->cols()) = *input;
      offset += input->cols();
    }
  }

  void backward(const Inputs& inputs, const MatrixType&, MatrixType& output_gradient, LayerCache*,
                const InputGradients& input_gradients) override {
    Index offset = 0;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const Index width = inputs[i]->cols();
      if (input_gradients[i] != nullptr) {
        *input_gradients[i] = output_gradient.middleCols(offset, width);
      }
      offset += width;
    }
  }

  Config get_config() const override { return {{"name", this->name()}, {"axis", -1LL}}; }

 protected:
  Index build(const std::vector<Index>& widths) override {
    if (widths.empty()) {
      throw ValueError(detail::concat("Concatenate '", this->name(),
                                      "' must be called on a list of at least one tensor"));
    }
    Index total = 0;
    for (Index width : widths) {
      if (width > std::numeric_limits<Index>::max() - total) {
        throw ValueError(detail::concat("Concatenate '", this->name(), "': the total width of ",
                                        this->widths_string(widths), " overflows"));
      }
      total += width;
    }
    return total;
  }
};

/// Handle to a ConcatenateLayer: `Concatenate<float>()({a, b})`.
template <typename Scalar>
class Concatenate : public LayerHandle<Scalar, ConcatenateLayer<Scalar>> {
 public:
  explicit Concatenate(const std::string& name = "")
      : LayerHandle<Scalar, ConcatenateLayer<Scalar>>(
            std::make_shared<ConcatenateLayer<Scalar>>(name)) {}
};

}  // namespace sinapse
