#pragma once

#include <cctype>
#include <cstddef>
#include <limits>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "sinapse/core/errors.hpp"
#include "sinapse/core/naming.hpp"
#include "sinapse/core/random.hpp"
#include "sinapse/core/types.hpp"

namespace sinapse {

/// A weight of a layer with its gradient. Rank-1 weights (bias, gamma, beta, moving
/// statistics) are stored as (n, 1) matrices and reported with rank 1.
template <typename Scalar>
struct Variable {
  std::string name;
  Matrix<Scalar> value;
  /// Gradient of the loss, same shape as `value`; empty for non-trainable variables.
  Matrix<Scalar> gradient;
  bool trainable = true;
  int rank = 2;
  /// True for weights that must not be negative, such as a moving variance; set_weights
  /// rejects negative values for them.
  bool non_negative = false;
};

/// One value of a layer configuration, as `get_config` reports it in Keras.
using ConfigValue = std::variant<std::nullptr_t, bool, long long, double, std::string>;

/// Ordered (key, value) pairs that describe how to re-create a layer.
using Config = std::vector<std::pair<std::string, ConfigValue>>;

/// Per-call scratch data that a layer keeps between forward and backward, such as a
/// dropout mask. The model owns one per graph node, so a layer that is called twice
/// keeps the two calls apart.
struct LayerCache {
  virtual ~LayerCache() = default;
};

/// Mode and random source of one forward pass.
struct ForwardContext {
  /// True inside `fit` and `train_on_batch`: Dropout drops and BatchNormalization uses
  /// batch statistics. False in `evaluate` and `predict`.
  bool training = false;
  /// Generator for dropout masks; owned by the model.
  Generator* generator = nullptr;
};

namespace detail {

/// Converts a Keras class name to its snake_case prefix: "BatchNormalization" ->
/// "batch_normalization".
inline std::string to_snake_case(const std::string& class_name) {
  std::string result;
  for (std::size_t i = 0; i < class_name.size(); ++i) {
    const char c = class_name[i];
    if (std::isupper(static_cast<unsigned char>(c))) {
      if (i > 0) result += '_';
      result += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else {
      result += c;
    }
  }
  return result;
}

}  // namespace detail

/// Base of every layer. A layer is created with its hyperparameters, builds its weights
/// on its first call from the input widths (as Keras does), and then computes batches.
///
/// Shapes: every batch matrix is (batch, features), one sample per row.
template <typename Scalar>
class Layer {
 public:
  using MatrixType = Matrix<Scalar>;
  using Inputs = std::vector<const MatrixType*>;
  using InputGradients = std::vector<MatrixType*>;

  Layer(std::string class_name, const std::string& name)
      : class_name_(std::move(class_name)),
        name_(name.empty() ? detail::unique_name(detail::to_snake_case(class_name_)) : name) {
    detail::check_scalar_type<Scalar>();
  }
  virtual ~Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  const std::string& name() const { return name_; }
  const std::string& class_name() const { return class_name_; }
  bool built() const { return built_; }

  /// Width of the output; valid once built.
  Index output_width() const { return output_width_; }

  /// Widths of the inputs the layer was built for.
  const std::vector<Index>& input_widths() const { return input_widths_; }

  /// True for layers that take a list of tensors (Add, Concatenate).
  virtual bool is_merge() const { return false; }

  /// Builds the layer on its first call, or checks that a later call has the same
  /// input widths. Nothing changes when it throws.
  /// @throws ShapeError on a width mismatch; ValueError for inputs the layer rejects.
  void build_for(const std::vector<Index>& widths) {
    if (built_) {
      if (widths != input_widths_) {
        throw ShapeError(detail::concat(class_name_, " '", name_, "': called on inputs of widths ",
                                        widths_string(widths), ", but it was built for ",
                                        widths_string(input_widths_),
                                        " (a layer keeps the input widths of its first call; "
                                        "create a new layer for other widths)"));
      }
      return;
    }
    output_width_ = build(widths);
    input_widths_ = widths;
    built_ = true;
  }

  /// Weights in Keras's order (for Dense: kernel, bias; for BatchNormalization: gamma,
  /// beta, moving_mean, moving_variance). Empty before the layer is built.
  virtual std::vector<Variable<Scalar>*> variables() { return {}; }

  std::vector<const Variable<Scalar>*> variables() const {
    std::vector<const Variable<Scalar>*> result;
    for (Variable<Scalar>* variable : const_cast<Layer*>(this)->variables()) {
      result.push_back(variable);
    }
    return result;
  }

  /// Number of scalars in all weights, trainable or not.
  Index count_params() const {
    Index count = 0;
    for (const Variable<Scalar>* variable : variables()) count += variable->value.size();
    return count;
  }

  /// Creates the scratch data one call of this layer needs, or nullptr.
  virtual std::unique_ptr<LayerCache> make_cache() const { return nullptr; }

  /// Computes the output of one batch. `output` is resized as needed and reused, so a
  /// steady batch size allocates nothing.
  virtual void forward(const Inputs& inputs, MatrixType& output, LayerCache* cache,
                       const ForwardContext& context) = 0;

  /// True when `forward` in this context would return its single input unchanged, as
  /// Dropout does outside training. The model then passes the input on without calling
  /// `forward`, which saves a copy of the batch. Layers that return true must not
  /// return true in training, because `backward` needs the cache of a real forward.
  virtual bool is_identity(const ForwardContext& /*context*/) const { return false; }

  /// Back-propagates one batch after a training forward pass.
  /// `output_gradient` is dLoss/dOutput and may be overwritten. The layer assigns
  /// dLoss/dInput_i to `*input_gradients[i]` (skipping null entries) and adds its
  /// weight gradients to each trainable Variable's `gradient`.
  virtual void backward(const Inputs& inputs, const MatrixType& output, MatrixType& output_gradient,
                        LayerCache* cache, const InputGradients& input_gradients) = 0;

  /// The layer's own random generator (a Dropout given a seed), or null when it draws
  /// from the model's generator.
  virtual Generator* own_generator() { return nullptr; }

  /// Hyperparameters as Keras's `get_config` names them, starting with "name".
  virtual Config get_config() const { return {{"name", name_}}; }

  /// Number of times the layer has been called on symbolic tensors. The next call
  /// becomes node `node_count()`, as in Keras's `layer_name[node_index][0]`.
  int node_count() const { return node_count_; }

  /// Registers one more call; used by the layer handle when it records a graph node.
  int add_node() { return node_count_++; }

 protected:
  /// Creates the weights for the given input widths and returns the output width.
  /// Must validate before changing any member, so a throw leaves the layer unbuilt.
  virtual Index build(const std::vector<Index>& widths) = 0;

  /// Throws unless exactly one input is given.
  void require_single_input(const std::vector<Index>& widths) const {
    if (widths.size() != 1) {
      throw ValueError(detail::concat(class_name_, " '", name_, "' takes exactly one input, got ",
                                      widths.size()));
    }
  }

  static std::string widths_string(const std::vector<Index>& widths) {
    std::string text = "[";
    for (std::size_t i = 0; i < widths.size(); ++i) {
      if (i > 0) text += ", ";
      text += "(None, " + std::to_string(widths[i]) + ")";
    }
    return text + "]";
  }

 private:
  std::string class_name_;
  std::string name_;
  bool built_ = false;
  Index output_width_ = 0;
  std::vector<Index> input_widths_;
  int node_count_ = 0;
};

namespace detail {

/// Creates a trainable or non-trainable variable of the given shape, filled with a value.
/// @throws ValueError when rows x cols overflows or the memory cannot be allocated,
/// naming the shape and its size.
template <typename Scalar>
Variable<Scalar> make_variable(std::string name, Index rows, Index cols, Scalar fill,
                               bool trainable, int rank) {
  const Index max_elements = std::numeric_limits<Index>::max() / Index(sizeof(Scalar)) / 2;
  if (rows > 0 && cols > max_elements / rows) {
    throw ValueError(detail::concat("weight '", name, "' of shape ", shape_string(rows, cols),
                                    " is too large to address; use smaller layers"));
  }
  Variable<Scalar> variable;
  variable.name = std::move(name);
  try {
    variable.value = Matrix<Scalar>::Constant(rows, cols, fill);
    if (trainable) variable.gradient = Matrix<Scalar>::Zero(rows, cols);
  } catch (const std::bad_alloc&) {
    const double gigabytes = static_cast<double>(rows) * static_cast<double>(cols) *
                             sizeof(Scalar) * (trainable ? 2.0 : 1.0) / 1e9;
    throw ValueError(detail::concat("weight '", variable.name, "' of shape ",
                                    shape_string(rows, cols), " needs ", gigabytes,
                                    " GB, which could not be allocated; use smaller layers"));
  }
  variable.trainable = trainable;
  variable.rank = rank;
  return variable;
}

}  // namespace detail
}  // namespace sinapse
