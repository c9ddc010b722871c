// Models and data shared by the saving tests: a graph that uses every layer class with
// fan-out, a shared layer, two inputs and both merge layers, and a user-defined layer.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <sinapse/sinapse.hpp>

#include "support/random_data.hpp"

namespace test_support {

/// Builds, from a fixed global seed, a model over inputs "numeric" (4) and "flags" (2).
/// numeric feeds an Activation and a Dense layer "shared" that is called on both. The two
/// calls are concatenated and pass Dense "hidden", BatchNormalization and a Dropout that
/// uses the model's generator. flags pass a Dense without bias, a Dropout with its own seed
/// and a BatchNormalization without center and scale. Add joins both paths, Concatenate
/// adds flags again, and a sigmoid Dense gives one output. The model is compiled with
/// amsgrad Adam, label-smoothed binary cross-entropy and accuracy at threshold 0.4.
/// With `reset_names`, it calls clear_session first, so that the automatic layer names
/// are the same in every call ("activation", "dropout", ...).
template <typename Scalar>
sinapse::Model<Scalar> every_layer_model(std::uint64_t seed = 99, bool reset_names = true) {
  using namespace sinapse;
  if (reset_names) clear_session();
  set_random_seed(seed);
  Tensor<Scalar> numeric = Input<Scalar>(4, "numeric");
  Tensor<Scalar> flags = Input<Scalar>(2, "flags");
  Tensor<Scalar> activated = Activation<Scalar>("sigmoid")(numeric);
  Dense<Scalar> shared(DenseOptions(3).activation("relu").name("shared"));
  Tensor<Scalar> joined = Concatenate<Scalar>()({shared(numeric), shared(activated)});
  Tensor<Scalar> hidden = Dense<Scalar>(DenseOptions(6).activation("relu").name("hidden"))(joined);
  hidden =
      BatchNormalization<Scalar>(BatchNormalizationOptions().momentum(0.9).name("norm"))(hidden);
  hidden = Dropout<Scalar>(0.3)(hidden);
  Tensor<Scalar> side = Dense<Scalar>(DenseOptions(6).activation("tanh").use_bias(false))(flags);
  side = Dropout<Scalar>(DropoutOptions(0.2).seed(11))(side);
  side = BatchNormalization<Scalar>(BatchNormalizationOptions().center(false).scale(false))(side);
  Tensor<Scalar> merged = Add<Scalar>()({hidden, side});
  Tensor<Scalar> output = Dense<Scalar>(1, "sigmoid")(Concatenate<Scalar>()({merged, flags}));
  Model<Scalar> model({numeric, flags}, output, "every_layer");
  model.compile(Adam<Scalar>(0.01, 0.9, 0.999, 1e-7, true), BinaryCrossentropy<Scalar>(false, 0.05),
                {BinaryAccuracy<Scalar>("accuracy", 0.4)});
  return model;
}

/// True when both matrices have the same shape and bit-identical values. Eigen's == needs
/// equal shapes, so this checks them first.
template <typename Scalar>
bool same_matrix(const sinapse::Matrix<Scalar>& a, const sinapse::Matrix<Scalar>& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() && a == b;
}

template <typename Scalar>
bool same_matrices(const std::vector<sinapse::Matrix<Scalar>>& a,
                   const std::vector<sinapse::Matrix<Scalar>>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!same_matrix(a[i], b[i])) return false;
  }
  return true;
}

/// Inputs and labels for every_layer_model: 40 samples, labelled by the sign of a sum.
template <typename Scalar>
struct EveryLayerData {
  sinapse::Matrix<Scalar> numeric = random_matrix<Scalar>(40, 4, 501);
  sinapse::Matrix<Scalar> flags = random_matrix<Scalar>(40, 2, 502, 0.0, 1.0);
  sinapse::Matrix<Scalar> labels = sinapse::Matrix<Scalar>(40, 1);

  EveryLayerData() {
    for (sinapse::Index i = 0; i < 40; ++i) {
      labels(i, 0) = numeric.row(i).sum() + flags(i, 0) > Scalar(0.5) ? Scalar(1) : Scalar(0);
    }
  }

  std::vector<sinapse::Matrix<Scalar>> x() const { return {numeric, flags}; }
};

/// A user-defined layer: multiplies its input by one trainable factor.
template <typename Scalar>
class ScaleLayer : public sinapse::Layer<Scalar> {
 public:
  using typename sinapse::Layer<Scalar>::MatrixType;
  using typename sinapse::Layer<Scalar>::Inputs;
  using typename sinapse::Layer<Scalar>::InputGradients;

  explicit ScaleLayer(const std::string& name) : sinapse::Layer<Scalar>("Scale", name) {}

  std::vector<sinapse::Variable<Scalar>*> variables() override {
    if (!this->built()) return {};
    return {&factor_};
  }

  void forward(const Inputs& inputs, MatrixType& output, sinapse::LayerCache*,
               const sinapse::ForwardContext&) override {
    output = *inputs[0] * factor_.value(0, 0);
  }

  void backward(const Inputs& inputs, const MatrixType&, MatrixType& output_gradient,
                sinapse::LayerCache*, const InputGradients& input_gradients) override {
    factor_.gradient(0, 0) += (output_gradient.array() * inputs[0]->array()).sum();
    if (input_gradients[0] != nullptr) *input_gradients[0] = output_gradient * factor_.value(0, 0);
  }

 protected:
  sinapse::Index build(const std::vector<sinapse::Index>& widths) override {
    this->require_single_input(widths);
    factor_ = sinapse::detail::make_variable<Scalar>("factor", 1, 1, Scalar(2), true, 1);
    return widths[0];
  }

 private:
  sinapse::Variable<Scalar> factor_;
};

template <typename Scalar>
class Scale : public sinapse::LayerHandle<Scalar, ScaleLayer<Scalar>> {
 public:
  explicit Scale(const std::string& name)
      : sinapse::LayerHandle<Scalar, ScaleLayer<Scalar>>(
            std::make_shared<ScaleLayer<Scalar>>(name)) {}
};

}  // namespace test_support
