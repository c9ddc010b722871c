#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <typeinfo>
#include <variant>
#include <vector>

#include "sinapse/layers/activation.hpp"
#include "sinapse/layers/add.hpp"
#include "sinapse/layers/batch_normalization.hpp"
#include "sinapse/layers/concatenate.hpp"
#include "sinapse/layers/dense.hpp"
#include "sinapse/layers/dropout.hpp"
#include "sinapse/layers/input_layer.hpp"
#include "sinapse/layers/layer.hpp"
#include "sinapse/model/tensor.hpp"
#include "sinapse/saving/json_view.hpp"

namespace sinapse {
namespace detail {

/// A layer created from its config in a file, with the means to call it on tensors.
template <typename Scalar>
struct RebuiltLayer {
  std::shared_ptr<Layer<Scalar>> layer;
  /// Calls the layer through its handle, as user code does; empty for an InputLayer.
  std::function<Tensor<Scalar>(const std::vector<Tensor<Scalar>>&)> call;
  /// The graph input that an InputLayer creates; empty for other layers.
  Tensor<Scalar> input;
};

/// Name and shape of a weight that a layer creates when it is built.
struct WeightShape {
  std::string name;
  int rank = 2;
  Index rows = 0;
  Index cols = 1;
};

/// The file format's description of one layer class: the keys of its config, how to
/// recognise it, how to create it from a config, and which weights it will create.
template <typename Scalar>
struct LayerKind {
  std::string class_name;
  /// Every key of `get_config`; a file must have exactly these.
  std::vector<std::string> config_keys;
  bool (*is_instance)(const Layer<Scalar>& layer);
  /// Creates the layer from a config whose keys were checked. The layer constructors
  /// validate the values and throw sinapse errors, which the loader reports with the path.
  RebuiltLayer<Scalar> (*create)(const JsonView& config);
  /// The weights, in `variables()` order, that `layer` creates when first called on inputs
  /// of these widths. The loader compares them with the file before the call, so a config
  /// cannot make it allocate weights that the file does not contain.
  std::vector<WeightShape> (*weight_shapes)(const Layer<Scalar>& layer,
                                            const std::vector<Index>& widths);
};

/// Converts a layer config to a JSON object.
inline Json config_to_json(const Config& config) {
  Json object = Json::object();
  for (const auto& entry : config) {
    std::visit([&](const auto& value) { object[entry.first] = value; }, entry.second);
  }
  return object;
}

/// Wraps a layer handle: non-merge layers take the single tensor, merge layers the list.
template <typename Scalar, typename Handle>
RebuiltLayer<Scalar> rebuilt(const Handle& handle) {
  RebuiltLayer<Scalar> result;
  result.layer = handle.ptr();
  if (handle->is_merge()) {
    result.call = [handle](const std::vector<Tensor<Scalar>>& inputs) { return handle(inputs); };
  } else {
    result.call = [handle](const std::vector<Tensor<Scalar>>& inputs) { return handle(inputs[0]); };
  }
  return result;
}

template <typename LayerType, typename Scalar>
bool is_exactly(const Layer<Scalar>& layer) {
  return typeid(layer) == typeid(LayerType);
}

/// Reads an optional seed: null, or an integer that get_config wrote by casting the
/// 64-bit seed to long long.
inline std::optional<std::uint64_t> read_seed(const JsonView& value) {
  if (value.is_null()) return std::nullopt;
  return static_cast<std::uint64_t>(value.as_integer(std::numeric_limits<long long>::min(),
                                                     std::numeric_limits<long long>::max()));
}

inline Index read_width(const JsonView& value) {
  return static_cast<Index>(value.as_integer(1, std::numeric_limits<Index>::max()));
}

template <typename Scalar>
RebuiltLayer<Scalar> create_input_layer(const JsonView& config) {
  const Index features = read_width(config["features"]);
  const std::string expected_shape = "(None, " + std::to_string(features) + ")";
  if (config["batch_shape"].as_string() != expected_shape) {
    config["batch_shape"].fail(concat("expected \"", expected_shape, "\" to match features ",
                                      features, ", got ", config["batch_shape"].describe()));
  }
  RebuiltLayer<Scalar> result;
  result.input = Input<Scalar>(features, config["name"].as_name());
  result.layer = result.input.node()->layer;
  return result;
}

template <typename Scalar>
RebuiltLayer<Scalar> create_dense(const JsonView& config) {
  const std::string kernel_initializer = config["kernel_initializer"].as_string();
  if (kernel_initializer != "glorot_uniform") {
    config["kernel_initializer"].fail(
        "expected \"glorot_uniform\", the only kernel initializer, "
        "got " +
        config["kernel_initializer"].describe());
  }
  if (config["bias_initializer"].as_string() != "zeros") {
    config["bias_initializer"].fail("expected \"zeros\", the only bias initializer, got " +
                                    config["bias_initializer"].describe());
  }
  DenseOptions options(read_width(config["units"]));
  options.activation(config["activation"].as_string())
      .use_bias(config["use_bias"].as_bool())
      .name(config["name"].as_name())
      .seed(static_cast<std::uint64_t>(config["seed"].as_integer(
          std::numeric_limits<long long>::min(), std::numeric_limits<long long>::max())));
  return rebuilt<Scalar>(Dense<Scalar>(options));
}

template <typename Scalar>
std::vector<WeightShape> dense_weights(const Layer<Scalar>& layer,
                                       const std::vector<Index>& widths) {
  const auto& dense = static_cast<const DenseLayer<Scalar>&>(layer);
  if (widths.size() != 1) return {};  // the call itself will report the arity
  std::vector<WeightShape> shapes{{"kernel", 2, widths[0], dense.units()}};
  if (dense.use_bias()) shapes.push_back({"bias", 1, dense.units(), 1});
  return shapes;
}

template <typename Scalar>
RebuiltLayer<Scalar> create_dropout(const JsonView& config) {
  DropoutOptions options(config["rate"].as_double());
  options.name(config["name"].as_name());
  const std::optional<std::uint64_t> seed = read_seed(config["seed"]);
  if (seed) options.seed(*seed);
  return rebuilt<Scalar>(Dropout<Scalar>(options));
}

template <typename Scalar>
RebuiltLayer<Scalar> create_batch_normalization(const JsonView& config) {
  config["axis"].as_integer(-1, -1);
  BatchNormalizationOptions options;
  options.momentum(config["momentum"].as_double())
      .epsilon(config["epsilon"].as_double())
      .center(config["center"].as_bool())
      .scale(config["scale"].as_bool())
      .name(config["name"].as_name());
  return rebuilt<Scalar>(BatchNormalization<Scalar>(options));
}

template <typename Scalar>
std::vector<WeightShape> batch_normalization_weights(const Layer<Scalar>& layer,
                                                     const std::vector<Index>& widths) {
  const auto& normalization = static_cast<const BatchNormalizationLayer<Scalar>&>(layer);
  if (widths.size() != 1) return {};
  const Index features = widths[0];
  std::vector<WeightShape> shapes;
  if (normalization.options().scale()) shapes.push_back({"gamma", 1, features, 1});
  if (normalization.options().center()) shapes.push_back({"beta", 1, features, 1});
  shapes.push_back({"moving_mean", 1, features, 1});
  shapes.push_back({"moving_variance", 1, features, 1});
  return shapes;
}

template <typename Scalar>
RebuiltLayer<Scalar> create_activation(const JsonView& config) {
  return rebuilt<Scalar>(
      Activation<Scalar>(config["activation"].as_string(), config["name"].as_name()));
}

template <typename Scalar>
RebuiltLayer<Scalar> create_add(const JsonView& config) {
  return rebuilt<Scalar>(Add<Scalar>(config["name"].as_name()));
}

template <typename Scalar>
RebuiltLayer<Scalar> create_concatenate(const JsonView& config) {
  config["axis"].as_integer(-1, -1);
  return rebuilt<Scalar>(Concatenate<Scalar>(config["name"].as_name()));
}

template <typename Scalar>
std::vector<WeightShape> no_weights(const Layer<Scalar>&, const std::vector<Index>&) {
  return {};
}

/// Every layer class that model files can store.
template <typename Scalar>
const std::vector<LayerKind<Scalar>>& layer_kinds() {
  static const std::vector<LayerKind<Scalar>> kinds{
      {"InputLayer",
       {"name", "batch_shape", "features"},
       &is_exactly<InputLayer<Scalar>, Scalar>,
       &create_input_layer<Scalar>,
       &no_weights<Scalar>},
      {"Dense",
       {"name", "units", "activation", "use_bias", "kernel_initializer", "bias_initializer",
        "seed"},
       &is_exactly<DenseLayer<Scalar>, Scalar>,
       &create_dense<Scalar>,
       &dense_weights<Scalar>},
      {"Dropout",
       {"name", "rate", "seed"},
       &is_exactly<DropoutLayer<Scalar>, Scalar>,
       &create_dropout<Scalar>,
       &no_weights<Scalar>},
      {"BatchNormalization",
       {"name", "axis", "momentum", "epsilon", "center", "scale"},
       &is_exactly<BatchNormalizationLayer<Scalar>, Scalar>,
       &create_batch_normalization<Scalar>,
       &batch_normalization_weights<Scalar>},
      {"Activation",
       {"name", "activation"},
       &is_exactly<ActivationLayer<Scalar>, Scalar>,
       &create_activation<Scalar>,
       &no_weights<Scalar>},
      {"Add",
       {"name"},
       &is_exactly<AddLayer<Scalar>, Scalar>,
       &create_add<Scalar>,
       &no_weights<Scalar>},
      {"Concatenate",
       {"name", "axis"},
       &is_exactly<ConcatenateLayer<Scalar>, Scalar>,
       &create_concatenate<Scalar>,
       &no_weights<Scalar>},
  };
  return kinds;
}

/// The kind with this class name, or null.
template <typename Scalar>
const LayerKind<Scalar>* find_layer_kind(const std::string& class_name) {
  for (const LayerKind<Scalar>& kind : layer_kinds<Scalar>()) {
    if (kind.class_name == class_name) return &kind;
  }
  return nullptr;
}

/// The kind whose class `layer` is exactly (not a subclass of), or null.
template <typename Scalar>
const LayerKind<Scalar>* layer_kind_of(const Layer<Scalar>& layer) {
  for (const LayerKind<Scalar>& kind : layer_kinds<Scalar>()) {
    if (kind.is_instance(layer)) return &kind;
  }
  return nullptr;
}

/// The class names that model files can store, for messages: "InputLayer, Dense, ...".
template <typename Scalar>
std::string known_layer_classes() {
  std::string names;
  for (const LayerKind<Scalar>& kind : layer_kinds<Scalar>()) {
    names += (names.empty() ? "" : ", ") + kind.class_name;
  }
  return names;
}

}  // namespace detail
}  // namespace sinapse
