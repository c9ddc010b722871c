#pragma once

// Weights files: `model.save_weights(path)` and `model.load_weights(path)`.
//
// A weights file (layout in file_format.hpp) holds only the weights, for a model built in
// code. Its JSON section lists each layer that has weights, in `Model::layers()` order:
//
//   {"format": "sinapse.weights", "sinapse_version": "0.1.0", "dtype": "float32",
//    "layers": [{"class_name": "Dense", "name": "dense",
//                "weights": [{"name": "kernel", "shape": [4, 8], "tensor": 0}, ...]}, ...]}
//
// `load_weights` matches layers by name, and within a layer the weights by name, order and
// shape; it also reads the weights of a model file. Layers without weights (Dropout,
// Activation, merge layers) take no part in the matching. It works for every layer class,
// user-defined ones included, because it needs only `variables()`.

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "sinapse/core/errors.hpp"
#include "sinapse/model/model.hpp"
#include "sinapse/saving/atomic_file.hpp"
#include "sinapse/saving/error_context.hpp"
#include "sinapse/saving/file_document.hpp"
#include "sinapse/saving/file_errors.hpp"
#include "sinapse/saving/file_format.hpp"
#include "sinapse/saving/json_view.hpp"
#include "sinapse/saving/load_options.hpp"
#include "sinapse/saving/tensor_section.hpp"
#include "sinapse/saving/weight_manifest.hpp"
#include "sinapse/version.hpp"

namespace sinapse {
namespace detail {

/// Returns the bytes of a weights file.
/// @throws StateError for a moved-from Model; ValueError for a name that is not UTF-8 or
/// a weight that the loader would reject (see check_layer_weights_to_save).
template <typename Scalar>
std::string save_weights_to_bytes(const Model<Scalar>& model) {
  if (!model.valid()) {
    throw StateError(
        "save_weights: this Model was moved from and has no graph; save the Model "
        "it was moved to");
  }
  TensorSectionWriter<Scalar> tensors;
  std::size_t next_tensor = 0;
  Json layers = Json::array();
  for (const auto& layer : model.layers()) {
    if (std::as_const(*layer).variables().empty()) continue;
    Json entry = Json::object();
    entry["class_name"] = layer->class_name();
    entry["name"] = layer->name();
    entry["weights"] = layer_weights_to_json(*layer, &tensors, next_tensor, "save_weights");
    layers.push_back(entry);
  }
  Json document = Json::object();
  document["format"] = "sinapse.weights";
  document["sinapse_version"] = version;
  document["dtype"] = dtype_name(dtype_of<Scalar>());
  document["layers"] = layers;
  return write_file_sections(dump_json(document, "save_weights"), tensors.payload());
}

/// A layer with weights as a file lists it.
struct ListedLayer {
  std::string class_name;
  std::vector<WeightEntry> weights;
};

/// Loads weights into `model` from the bytes of a weights or model file; the body of
/// every weights loader. Every check runs before the first weight changes.
template <typename Scalar>
void read_weights_document(Model<Scalar>& model, const char* data, std::size_t size,
                           const LoadOptions& options) {
  if (!model.valid()) throw StateError("this Model was moved from and has no graph");
  const FileSections sections = read_file_sections(data, size);
  const Json document = parse_json_section(sections.json);
  const JsonView root(document, "JSON");
  root.require_object();
  const std::string format = root["format"].as_string();
  const bool weights_file = format == "sinapse.weights";
  if (!weights_file && format != "sinapse.model") {
    root["format"].fail("expected \"sinapse.weights\" or \"sinapse.model\", got " +
                        root["format"].describe());
  }
  if (weights_file) root.require_keys({"format", "sinapse_version", "dtype", "layers"});
  root["sinapse_version"].as_string();
  const JsonView layer_list = weights_file ? root["layers"] : root["model"]["layers"];
  const std::vector<TensorView> tensors = read_tensor_section(sections.tensors);
  check_dtype<Scalar>(root["dtype"], tensors, options);

  std::map<std::string, ListedLayer> listed;
  std::vector<std::string> listed_order;
  TensorUse use(tensors.size());
  for (std::size_t i = 0; i < layer_list.size(); ++i) {
    const JsonView entry = layer_list[i];
    if (weights_file) entry.require_keys({"class_name", "name", "weights"});
    const std::string name = entry["name"].as_name();
    ListedLayer layer{entry["class_name"].as_name(),
                      parse_weight_entries(entry["weights"], tensors)};
    for (const WeightEntry& weight : layer.weights) use.use(weight.tensor, weight.path);
    // A model file also lists the layers without weights, which take no part here.
    if (layer.weights.empty()) continue;
    if (!listed.emplace(name, std::move(layer)).second) {
      entry["name"].fail(concat("the layer name \"", name, "\" is listed twice"));
    }
    listed_order.push_back(name);
  }
  // A model file's other tensors are optimizer slots, which load_weights ignores.
  if (weights_file) use.require_all_used();

  std::vector<std::pair<Variable<Scalar>*, Matrix<Scalar>>> updates;
  std::set<std::string> matched;
  for (const auto& layer : model.layers()) {
    const std::vector<Variable<Scalar>*> variables = layer->variables();
    if (variables.empty()) continue;
    const auto found = listed.find(layer->name());
    if (found == listed.end()) {
      std::string names;
      for (const std::string& name : listed_order) names += (names.empty() ? "" : ", ") + name;
      throw ValueError(concat("the model's layer \"", layer->name(), "\" (", layer->class_name(),
                              ") has weights, but the file has none for it (the file has weights "
                              "for: ",
                              names.empty() ? "no layer" : names, "); layers are matched by name"));
    }
    if (found->second.class_name != layer->class_name()) {
      throw ValueError(concat("layer \"", layer->name(), "\" is a ", layer->class_name(),
                              " in the model, but a ", found->second.class_name, " in the file"));
    }
    std::vector<Matrix<Scalar>> values = read_layer_weights<Scalar>(
        *layer, found->second.weights, tensors, concat("layer \"", layer->name(), "\""));
    for (std::size_t j = 0; j < values.size(); ++j) {
      updates.emplace_back(variables[j], std::move(values[j]));
    }
    matched.insert(layer->name());
  }
  for (const std::string& name : listed_order) {
    if (matched.count(name) == 0) {
      throw ValueError(concat("the file has weights for layer \"", name, "\" (",
                              listed.at(name).class_name,
                              "), which the model lacks or which has "
                              "no weights in the model; layers are matched by name"));
    }
  }
  for (auto& update : updates) update.first->value = std::move(update.second);
}

/// Loads weights into `model` from the bytes of a weights or model file in memory; the
/// entry point for fuzzing. Nothing changes when it throws.
template <typename Scalar>
void load_weights_from_bytes(Model<Scalar>& model, const char* data, std::size_t size,
                             const LoadOptions& options = {},
                             const std::string& source = "bytes in memory") {
  with_message_prefix(concat("load_weights: ", source, ": "),
                      [&] { read_weights_document(model, data, size, options); });
}

}  // namespace detail

template <typename Scalar>
void Model<Scalar>::save_weights(const std::string& path) const {
  detail::write_file_atomically(path, detail::save_weights_to_bytes(*this), "save_weights");
}

template <typename Scalar>
void Model<Scalar>::load_weights(const std::string& path, const LoadOptions& options) {
  const std::string bytes = detail::read_sinapse_file(path, "load_weights");
  detail::load_weights_from_bytes(*this, bytes.data(), bytes.size(), options,
                                  detail::concat("\"", path, "\""));
}

}  // namespace sinapse
