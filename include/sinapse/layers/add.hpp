#pragma once

#include <algorithm>
#include <memory>
#include <string>

#include "sinapse/model/tensor.hpp"

namespace sinapse {

/// Elementwise sum of its inputs, as Keras's Add. Widths must be equal, except that an
/// input of width 1 is broadcast across the others, as Keras allows.
///
/// Shapes: each input (batch, w_i) with w_i equal to w or 1; output (batch, w).
template <typename Scalar>
class AddLayer : public Layer<Scalar> {
 public:
  using typename Layer<Scalar>::MatrixType;
  using typename Layer<Scalar>::Inputs;
  using typename Layer<Scalar>::InputGradients;

  explicit AddLayer(const std::string& name = "") : Layer<Scalar>("Add", name) {}

  bool is_merge() const override { return true; }

  void forward(const Inputs& inputs, MatrixType& output, LayerCache*,
               const ForwardContext&) override {
    const Index rows = inputs[0]->rows();
    output.setZero(rows, this->output_width());
    for (const MatrixType* input : inputs) {
      if (input->cols() == output.cols()) {
        output += *input;
      } else {
        output.colwise() += input->col(0);
      }
    }
  }

  void backward(const Inputs& inputs, const MatrixType&, MatrixType& output_gradient, LayerCache*,
                const InputGradients& input_gradients) override {
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      if (input_gradients[i] == nullptr) continue;
      if (inputs[i]->cols() == output_gradient.cols()) {
        *input_gradients[i] = output_gradient;
      } else {
        // A broadcast input receives the sum over the columns it was added to.
        *input_gradients[i] = output_gradient.rowwise().sum();
      }
    }
  }

 protected:
  Index build(const std::vector<Index>& widths) override {
    if (widths.empty()) {
      throw ValueError(detail::concat("Add '", this->name(),
                                      "' must be called on a list of at least one tensor"));
    }
    const Index width = *std::max_element(widths.begin(), widths.end());
    for (Index input_width : widths) {
      if (input_width != width && input_width != 1) {
        throw ShapeError(
            detail::concat("Add '", this->name(), "': inputs have incompatible shapes ",
                           this->widths_string(widths), "; every width must equal the largest (",
                           width, ") or be 1"));
      }
    }
    return width;
  }
};

/// Handle to an AddLayer: `Add<float>()({a, b})`.
template <typename Scalar>
class Add : public LayerHandle<Scalar, AddLayer<Scalar>> {
 public:
  explicit Add(const std::string& name = "")
      : LayerHandle<Scalar, AddLayer<Scalar>>(std::make_shared<AddLayer<Scalar>>(name)) {}
};

}  // namespace sinapse
