#pragma once

#include <algorithm>
#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "sinapse/model/graph_executor.hpp"
#include "sinapse/model/tensor.hpp"
#include "sinapse/saving/json_view.hpp"
#include "sinapse/saving/layer_registry.hpp"
#include "sinapse/saving/model_access.hpp"
#include "sinapse/saving/weight_manifest.hpp"

namespace sinapse {

// Model is only forward-declared: model.hpp includes the saving headers at its end, so
// including it here would make the two depend on each other. Every use below depends on
// Scalar and is checked when a caller with a complete Model instantiates it.
template <typename Scalar>
class Model;

namespace detail {

// The "model" object of a model file describes the functional graph with Keras's words:
//
//   {"class_name": "Functional", "name": "functional",
//    "layers": [{"class_name": "Dense", "name": "dense", "config": {...},
//                "inbound_nodes": [[["input_layer", 0]]], "weights": [...]}, ...],
//    "input_layers": [["input_layer", 0]], "output_layers": [["dense_1", 0]]}
//
// Layers appear in `Model::layers()` order, each with its `get_config`. "inbound_nodes"
// has one entry per call of the layer in this model, in call order, and each entry lists
// the tensors that the call consumed as [layer name, node index]. Node index k is the
// layer's k-th call; an InputLayer has the single node 0 and an empty list. A shared layer
// has one entry per call, and a merge layer's entry lists all of its inputs.

/// Formats input widths as Keras shapes: "[(None, 4), (None, 3)]".
inline std::string widths_text(const std::vector<Index>& widths) {
  std::string text = "[";
  for (std::size_t i = 0; i < widths.size(); ++i) {
    text += concat(i > 0 ? ", " : "", "(None, ", widths[i], ")");
  }
  return text + "]";
}

/// Returns the "model" object of a model file. With `tensors`, also appends the values of
/// every weight in layer order; `next_tensor` is the index of the first and is advanced.
/// @throws ValueError for a layer class that model files cannot store, or a weight that
/// the loader would reject (see check_layer_weights_to_save).
template <typename Scalar>
Json architecture_to_json(const Model<Scalar>& model, TensorSectionWriter<Scalar>* tensors,
                          std::size_t& next_tensor, const char* caller) {
  const GraphExecutor<Scalar>& executor = ModelAccess<Scalar>::executor(model);
  // Node indices in the file count only this model's calls of each layer: a layer that
  // another model shares may have calls that this graph does not contain.
  std::map<const Layer<Scalar>*, std::vector<const Node<Scalar>*>> calls;
  for (std::size_t i = 0; i < executor.node_count(); ++i) {
    const Node<Scalar>& node = executor.node(i);
    calls[node.layer.get()].push_back(&node);
  }
  std::map<const Node<Scalar>*, std::size_t> local_index;
  for (auto& entry : calls) {
    std::sort(
        entry.second.begin(), entry.second.end(),
        [](const Node<Scalar>* a, const Node<Scalar>* b) { return a->node_index < b->node_index; });
    for (std::size_t k = 0; k < entry.second.size(); ++k) local_index[entry.second[k]] = k;
  }
  const auto reference = [&local_index](const Node<Scalar>& node) {
    return Json::array({node.layer->name(), local_index.at(&node)});
  };

  Json layers = Json::array();
  for (const auto& layer : model.layers()) {
    const LayerKind<Scalar>* kind = layer_kind_of(*layer);
    if (kind == nullptr) {
      throw ValueError(concat(
          caller, ": layer \"", layer->name(), "\" (", layer->class_name(),
          ") is of a user-defined class, which model files cannot store (they store sinapse's ",
          known_layer_classes<Scalar>(),
          "); save_weights works with any layer, so save the "
          "weights and build the model in code to load them"));
    }
    Json inbound = Json::array();
    if (kind->class_name != "InputLayer") {
      for (const Node<Scalar>* node : calls.at(layer.get())) {
        Json call = Json::array();
        for (const auto& producer : node->inbound) call.push_back(reference(*producer));
        inbound.push_back(call);
      }
    }
    Json entry = Json::object();
    entry["class_name"] = kind->class_name;
    entry["name"] = layer->name();
    entry["config"] = config_to_json(layer->get_config());
    entry["inbound_nodes"] = inbound;
    entry["weights"] = layer_weights_to_json(*layer, tensors, next_tensor, caller);
    layers.push_back(entry);
  }

  Json inputs = Json::array();
  for (int index : executor.input_nodes()) {
    inputs.push_back(reference(executor.node(static_cast<std::size_t>(index))));
  }
  Json description = Json::object();
  description["class_name"] = "Functional";
  description["name"] = model.name();
  description["layers"] = layers;
  description["input_layers"] = inputs;
  description["output_layers"] =
      Json::array({reference(executor.node(static_cast<std::size_t>(executor.output_node())))});
  return description;
}

/// A model rebuilt from a file, before its weights are set.
template <typename Scalar>
struct RebuiltModel {
  Model<Scalar> model;
  /// The weights that the file lists for each layer, by layer name.
  std::map<std::string, std::vector<WeightEntry>> weights;
};

/// One layer entry of a file while its model is rebuilt.
template <typename Scalar>
struct LayerRecord {
  std::string name;
  std::string path;
  const LayerKind<Scalar>* kind = nullptr;
  bool is_input = false;
  RebuiltLayer<Scalar> rebuilt;
  std::vector<WeightEntry> weights;
  std::size_t first_node = 0;  // global index of the layer's call 0
  std::size_t node_count = 0;
  std::vector<std::vector<std::size_t>> call_inputs;  // global node indices, per call
};

/// The layers of a file and their calls, numbered globally in layer order.
template <typename Scalar>
struct FileGraph {
  std::vector<LayerRecord<Scalar>> layers;
  std::map<std::string, std::size_t> index_of;
  std::vector<std::size_t> layer_of_node;

  std::size_t node_count() const { return layer_of_node.size(); }

  /// Returns the global index of the call that a [layer name, node index] reference names.
  std::size_t resolve(const JsonView& reference) const {
    reference.require_size(2);
    const std::string name = reference[0].as_string();
    const auto found = index_of.find(name);
    if (found == index_of.end()) {
      reference[0].fail(concat("refers to layer \"", name, "\", which the file does not list"));
    }
    const LayerRecord<Scalar>& producer = layers[found->second];
    const long long node =
        reference[1].as_integer(0, static_cast<long long>(producer.node_count) - 1);
    return producer.first_node + static_cast<std::size_t>(node);
  }
};

/// Creates every layer of `layer_list` from its config and counts its calls.
template <typename Scalar>
FileGraph<Scalar> read_layers(const JsonView& layer_list, const std::vector<TensorView>& tensors) {
  FileGraph<Scalar> graph;
  graph.layers.resize(layer_list.size());
  for (std::size_t i = 0; i < graph.layers.size(); ++i) {
    const JsonView entry = layer_list[i];
    LayerRecord<Scalar>& record = graph.layers[i];
    record.path = entry.path();
    entry.require_keys({"class_name", "name", "config", "inbound_nodes", "weights"});
    const std::string class_name = entry["class_name"].as_string();
    record.kind = find_layer_kind<Scalar>(class_name);
    if (record.kind == nullptr) {
      entry["class_name"].fail(concat("unknown layer class \"", class_name,
                                      "\"; model files can store ", known_layer_classes<Scalar>()));
    }
    record.is_input = class_name == "InputLayer";
    record.name = entry["name"].as_name();
    if (!graph.index_of.emplace(record.name, i).second) {
      entry["name"].fail(concat("the layer name \"", record.name,
                                "\" is used by two layers; names must be unique in a model"));
    }

    const JsonView config = entry["config"];
    config.require_keys(record.kind->config_keys);
    if (config["name"].as_string() != record.name) {
      config["name"].fail(concat("expected the layer's name \"", record.name, "\", got ",
                                 config["name"].describe()));
    }
    record.weights = parse_weight_entries(entry["weights"], tensors);
    try {
      record.rebuilt = record.kind->create(config);
    } catch (const FileFormatError&) {
      throw;
    } catch (const Error& error) {
      config.fail(concat("invalid ", class_name, " config: ", error.what()));
    }

    const JsonView inbound = entry["inbound_nodes"];
    if (record.is_input) {
      if (inbound.size() != 0) inbound.fail("an InputLayer is never called, so this must be []");
      record.node_count = 1;
    } else {
      if (inbound.size() == 0) {
        inbound.fail(concat("layer \"", record.name, "\" is never called, but every layer in a ",
                            "model file must be part of the graph"));
      }
      record.node_count = inbound.size();
    }
    record.first_node = graph.node_count();
    graph.layer_of_node.insert(graph.layer_of_node.end(), record.node_count, i);
  }
  return graph;
}

/// Reads the inputs of every call and returns the calls in an order in which each runs
/// after the calls that produce its inputs and after its layer's previous call. That
/// last rule gives each call the node index that the file lists. Kahn's algorithm.
/// @throws FileFormatError for a wrong number of inputs or a cycle.
template <typename Scalar>
std::vector<std::size_t> order_calls(FileGraph<Scalar>& graph, const JsonView& layer_list) {
  std::vector<std::vector<std::size_t>> consumers(graph.node_count());
  std::vector<std::size_t> waiting(graph.node_count(), 0);
  for (std::size_t i = 0; i < graph.layers.size(); ++i) {
    LayerRecord<Scalar>& record = graph.layers[i];
    if (record.is_input) continue;
    const JsonView inbound = layer_list[i]["inbound_nodes"];
    const bool merge = record.rebuilt.layer->is_merge();
    for (std::size_t k = 0; k < record.node_count; ++k) {
      const JsonView call = inbound[k];
      const std::size_t arity = call.size();
      if (!merge && arity != 1) {
        call.fail(concat("a ", record.kind->class_name,
                         " layer takes exactly one input per call, "
                         "got ",
                         arity));
      }
      if (merge && arity == 0) call.fail("a merge layer needs at least one input per call");
      const std::size_t node = record.first_node + k;
      std::vector<std::size_t> inputs;
      for (std::size_t r = 0; r < arity; ++r) {
        const std::size_t producer = graph.resolve(call[r]);
        inputs.push_back(producer);
        consumers[producer].push_back(node);
        ++waiting[node];
      }
      if (k > 0) {
        consumers[node - 1].push_back(node);
        ++waiting[node];
      }
      record.call_inputs.push_back(std::move(inputs));
    }
  }

  std::deque<std::size_t> ready;
  for (std::size_t node = 0; node < graph.node_count(); ++node) {
    if (waiting[node] == 0) ready.push_back(node);
  }
  std::vector<std::size_t> order;
  while (!ready.empty()) {
    const std::size_t node = ready.front();
    ready.pop_front();
    order.push_back(node);
    for (std::size_t consumer : consumers[node]) {
      if (--waiting[consumer] == 0) ready.push_back(consumer);
    }
  }
  if (order.size() < graph.node_count()) {
    std::size_t stuck = 0;
    while (waiting[stuck] == 0) ++stuck;
    const LayerRecord<Scalar>& record = graph.layers[graph.layer_of_node[stuck]];
    throw FileFormatError(concat(record.path, ".inbound_nodes[", stuck - record.first_node,
                                 "]: the connections form a cycle, which this call of layer \"",
                                 record.name, "\" is part of or depends on"));
  }
  return order;
}

/// Calls the layers in `order` and returns the output tensor of every call. Before a
/// layer's first call it checks that the file lists the weights that the call will create.
template <typename Scalar>
std::vector<Tensor<Scalar>> call_layers(FileGraph<Scalar>& graph,
                                        const std::vector<std::size_t>& order) {
  std::vector<Tensor<Scalar>> outputs(graph.node_count());
  for (std::size_t node : order) {
    LayerRecord<Scalar>& record = graph.layers[graph.layer_of_node[node]];
    if (record.is_input) {
      outputs[node] = record.rebuilt.input;
      continue;
    }
    const std::size_t k = node - record.first_node;
    std::vector<Tensor<Scalar>> inputs;
    std::vector<Index> widths;
    for (std::size_t producer : record.call_inputs[k]) {
      inputs.push_back(outputs[producer]);
      widths.push_back(outputs[producer].width());
    }
    if (k == 0) {
      const std::vector<WeightShape> expected =
          record.kind->weight_shapes(*record.rebuilt.layer, widths);
      if (!same_weights(record.weights, expected)) {
        throw FileFormatError(concat(record.path, ".weights: the file lists ",
                                     weights_text(record.weights), ", but layer \"", record.name,
                                     "\" with this config, called on inputs of widths ",
                                     widths_text(widths), ", creates ", weights_text(expected)));
      }
    }
    try {
      outputs[node] = record.rebuilt.call(inputs);
    } catch (const Error& error) {
      throw FileFormatError(concat(record.path, ".inbound_nodes[", k, "]: calling layer \"",
                                   record.name, "\" failed: ", error.what()));
    }
  }
  return outputs;
}

/// Checks that every layer and every call in the file belongs to the model. A part that
/// the output does not use would be dropped, and its weights silently ignored.
template <typename Scalar>
void check_connected(const Model<Scalar>& model, const FileGraph<Scalar>& graph,
                     const std::vector<Tensor<Scalar>>& outputs) {
  std::set<const Layer<Scalar>*> used_layers;
  for (const auto& layer : model.layers()) used_layers.insert(layer.get());
  std::set<const Node<Scalar>*> used_nodes;
  const GraphExecutor<Scalar>& executor = ModelAccess<Scalar>::executor(model);
  for (std::size_t i = 0; i < executor.node_count(); ++i) used_nodes.insert(&executor.node(i));
  for (std::size_t node = 0; node < graph.node_count(); ++node) {
    const LayerRecord<Scalar>& record = graph.layers[graph.layer_of_node[node]];
    if (used_layers.count(record.rebuilt.layer.get()) == 0) {
      throw FileFormatError(concat(record.path, ": layer \"", record.name,
                                   "\" is not connected to the model's output"));
    }
    if (used_nodes.count(outputs[node].node().get()) == 0) {
      throw FileFormatError(concat(record.path, ".inbound_nodes[", node - record.first_node,
                                   "]: this call of layer \"", record.name,
                                   "\" is not connected to the model's output"));
    }
  }
}

/// Rebuilds the model that a "model" object describes, through the functional API
/// (Input, then each layer call, then the Model constructor), so every check of that API
/// runs. Weights keep their initial values, and `weights` lists where the file has them.
/// @throws FileFormatError for a wrong type or missing key, an unknown layer class, a
/// duplicate layer name or an invalid config. Also for a reference to a layer or call that
/// does not exist, a cycle, a layer or call that the output does not use, and weights
/// whose listed shapes differ from the stored tensors or from those the config gives.
template <typename Scalar>
RebuiltModel<Scalar> rebuild_architecture(const JsonView& description,
                                          const std::vector<TensorView>& tensors) {
  description.require_keys({"class_name", "name", "layers", "input_layers", "output_layers"});
  if (description["class_name"].as_string() != "Functional") {
    description["class_name"].fail("expected \"Functional\", got " +
                                   description["class_name"].describe());
  }
  const std::string model_name = description["name"].as_name();
  const JsonView layer_list = description["layers"];
  FileGraph<Scalar> graph = read_layers<Scalar>(layer_list, tensors);
  const std::vector<std::size_t> order = order_calls(graph, layer_list);
  const std::vector<Tensor<Scalar>> outputs = call_layers(graph, order);

  const JsonView input_list = description["input_layers"];
  if (input_list.size() == 0) input_list.fail("a model needs at least one input");
  std::vector<Tensor<Scalar>> inputs;
  for (std::size_t i = 0; i < input_list.size(); ++i) {
    const std::size_t node = graph.resolve(input_list[i]);
    const LayerRecord<Scalar>& record = graph.layers[graph.layer_of_node[node]];
    if (!record.is_input) {
      input_list[i].fail(
          concat("refers to layer \"", record.name, "\", but model inputs must be InputLayers"));
    }
    inputs.push_back(outputs[node]);
  }
  const JsonView output_list = description["output_layers"];
  output_list.require_size(1);
  const Tensor<Scalar> output = outputs[graph.resolve(output_list[0])];

  std::optional<Model<Scalar>> model;
  try {
    model.emplace(inputs, output, model_name);
  } catch (const Error& error) {
    description.fail(concat("building the model failed: ", error.what()));
  }
  check_connected(*model, graph, outputs);

  std::map<std::string, std::vector<WeightEntry>> weights;
  for (LayerRecord<Scalar>& record : graph.layers) weights[record.name] = std::move(record.weights);
  return RebuiltModel<Scalar>{std::move(*model), std::move(weights)};
}

}  // namespace detail
}  // namespace sinapse
