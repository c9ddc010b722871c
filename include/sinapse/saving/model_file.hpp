#pragma once

// Model files: `model.save(path)` and `load_model<Scalar>(path)`.
//
// A model file (layout in file_format.hpp) contains everything needed to continue as if
// the program had never stopped: the graph, every weight (BatchNormalization's moving
// statistics included), the compile settings, the optimizer's step count and moments,
// the model's generator, each layer's own generator and the epoch count. Its JSON section
// is
//
//   {"format": "sinapse.model", "sinapse_version": "0.1.0", "dtype": "float32",
//    "model": {...},          the graph and the weight list (see architecture.hpp)
//    "compile": null or {"optimizer": {"class_name": "Adam", "config": {...}},
//                        "loss": {"class_name": "BinaryCrossentropy", "config": {...}},
//                        "metrics": [{"class_name": "BinaryAccuracy", "config": {...}}]},
//    "state": {"completed_epochs": 3,
//              "generator_state": ["<16 hex digits>", x4],  the model's xoshiro256** state
//              "layer_generators": {"dropout": [x4]},      layers with a generator of their own
//              "optimizer": null or {"iterations": 24,
//                                    "slots": {"momentum": [tensor indices], ...}}},
//    "training": {...}}       optional, for callbacks (detail::save_model_file)
//
// Optimizer slots list one tensor per trainable weight, in the order of the layers and of
// their weights. "dtype" is the Scalar type of the saved model and of every tensor.
//
// Only the layer, optimizer, loss and metric classes of sinapse can be stored. `save`
// throws ValueError naming any other class (a user-defined layer, for example), because
// the loader could not re-create it; `save_weights` works with every layer.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <typeinfo>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "sinapse/core/errors.hpp"
#include "sinapse/core/random.hpp"
#include "sinapse/model/model.hpp"
#include "sinapse/saving/architecture.hpp"
#include "sinapse/saving/atomic_file.hpp"
#include "sinapse/saving/compile_registry.hpp"
#include "sinapse/saving/error_context.hpp"
#include "sinapse/saving/file_document.hpp"
#include "sinapse/saving/file_errors.hpp"
#include "sinapse/saving/file_format.hpp"
#include "sinapse/saving/json_view.hpp"
#include "sinapse/saving/load_options.hpp"
#include "sinapse/saving/model_access.hpp"
#include "sinapse/saving/tensor_section.hpp"
#include "sinapse/saving/weight_manifest.hpp"
#include "sinapse/version.hpp"

namespace sinapse {
namespace detail {

// max_completed_epochs, the largest epoch count a file may hold, is defined in
// model/model.hpp, because fit rejects larger epoch counts too.

/// Largest optimizer step count a file may hold: beyond 2^53 a double step count, which
/// the bias corrections use, is no longer exact.
inline constexpr long long max_saved_iterations = 1LL << 53;

/// Deepest nesting of the training record that save writes and load accepts, so that
/// every record that loads can be saved again.
inline constexpr int max_training_depth = 32;

inline Json generator_state_to_json(const Generator::State& state) {
  Json words = Json::array();
  for (std::uint64_t word : state) words.push_back(hex_text(word));
  return words;
}

/// @throws FileFormatError unless `value` is 4 words of 16 hex digits, not all zero.
inline Generator::State generator_state_from_json(const JsonView& value) {
  value.require_size(4);
  Generator::State state{};
  bool all_zero = true;
  for (std::size_t i = 0; i < 4; ++i) {
    state[i] = value[i].as_hex();
    all_zero = all_zero && state[i] == 0;
  }
  // xoshiro256** stays at zero forever from the all-zero state, and seeding never gives it.
  if (all_zero) value.fail("a generator state of all zeros is invalid");
  return state;
}

/// Returns the "compile" object, or null for a model that was not compiled.
template <typename Scalar>
Json compile_to_json(const Model<Scalar>& model, const char* caller) {
  if (!model.compiled()) return nullptr;
  Json metrics = Json::array();
  for (const auto& metric : ModelAccess<Scalar>::metrics(model)) {
    metrics.push_back(metric_to_json(*metric, caller));
  }
  Json compile = Json::object();
  compile["optimizer"] = optimizer_to_json(*ModelAccess<Scalar>::optimizer(model), caller);
  compile["loss"] = loss_to_json(*ModelAccess<Scalar>::loss(model), caller);
  compile["metrics"] = metrics;
  return compile;
}

/// Returns the "state" object and appends the optimizer's slots to `tensors`.
/// @throws ValueError, before anything is written, for state that the loader would
/// reject: an epoch count outside [0, max_completed_epochs], a step count outside
/// [0, max_saved_iterations], or an optimizer slot with NaN or inf.
template <typename Scalar>
Json state_to_json(const Model<Scalar>& model, TensorSectionWriter<Scalar>& tensors,
                   const char* caller) {
  const int epochs = ModelAccess<Scalar>::completed_epochs(model);
  if (epochs < 0 || epochs > max_completed_epochs) {
    throw ValueError(concat(caller, ": the model has completed ", epochs,
                            " epochs, but files store from 0 to ", max_completed_epochs,
                            "; nothing was written. Train for fewer epochs in total"));
  }
  Json state = Json::object();
  state["completed_epochs"] = epochs;
  state["generator_state"] = generator_state_to_json(ModelAccess<Scalar>::generator_state(model));
  Json layer_generators = Json::object();
  for (const auto& layer : model.layers()) {
    if (const Generator* generator = layer->own_generator()) {
      layer_generators[layer->name()] = generator_state_to_json(generator->state());
    }
  }
  state["layer_generators"] = layer_generators;

  const Optimizer<Scalar>* optimizer = ModelAccess<Scalar>::optimizer(model);
  if (optimizer == nullptr || !optimizer->built()) {
    state["optimizer"] = nullptr;
    return state;
  }
  const std::vector<Variable<Scalar>*>& trainable = ModelAccess<Scalar>::trainable(model);
  const OptimizerState<Scalar> saved = optimizer->get_state();
  Json slots = Json::object();
  if (saved.iterations < 0 || saved.iterations > max_saved_iterations) {
    throw ValueError(concat(caller, ": the optimizer has taken ", saved.iterations,
                            " steps, but files store from 0 to 2^53; nothing was written"));
  }
  for (const auto& slot : saved.slots) {
    Json indices = Json::array();
    for (std::size_t i = 0; i < slot.second.size(); ++i) {
      Index row = 0;
      Index col = 0;
      if (find_invalid_value(slot.second[i], false, row, col)) {
        throw ValueError(concat(
            caller, ": the optimizer slot \"", slot.first, "\" of weight \"", trainable[i]->name,
            "\" contains ", slot.second[i](row, col), " at index (", row, ", ", col,
            "): training diverged. Files store only finite values, so nothing was written"));
      }
      indices.push_back(tensors.add(slot.second[i], trainable[i]->rank));
    }
    slots[slot.first] = indices;
  }
  Json optimizer_state = Json::object();
  optimizer_state["iterations"] = saved.iterations;
  optimizer_state["slots"] = slots;
  state["optimizer"] = optimizer_state;
  return state;
}

/// Returns the bytes of a model file. `training`, when given, is stored as the
/// document's "training" object for callbacks to read back.
/// @throws ValueError for a layer, optimizer, loss or metric class that model files
/// cannot store, a `training` value that is not a JSON object of at most 32 levels, or a
/// weight or state that the loader would reject (NaN or inf, for example); StateError for
/// a moved-from Model.
template <typename Scalar>
std::string save_model_to_bytes(const Model<Scalar>& model, const Json* training = nullptr,
                                const char* caller = "save") {
  if (!model.valid()) {
    throw StateError(concat(caller,
                            ": this Model was moved from and has no graph; save the "
                            "Model it was moved to"));
  }
  if (training != nullptr &&
      (!training->is_object() || nests_deeper_than(*training, max_training_depth))) {
    throw ValueError(concat(caller, ": the training record must be a JSON object nested at most ",
                            max_training_depth, " levels deep"));
  }
  TensorSectionWriter<Scalar> tensors;
  std::size_t next_tensor = 0;
  Json document = Json::object();
  document["format"] = "sinapse.model";
  document["sinapse_version"] = version;
  document["dtype"] = dtype_name(dtype_of<Scalar>());
  document["model"] = architecture_to_json(model, &tensors, next_tensor, caller);
  document["compile"] = compile_to_json(model, caller);
  document["state"] = state_to_json(model, tensors, caller);
  if (training != nullptr) document["training"] = *training;
  return write_file_sections(dump_json(document, caller), tensors.payload());
}

/// Restores the optimizer state listed under "state.optimizer" into a compiled model.
template <typename Scalar>
void restore_optimizer(Model<Scalar>& model, const JsonView& saved,
                       const std::vector<TensorView>& tensors, TensorUse& use) {
  if (!model.compiled()) saved.fail("optimizer state is present, but \"compile\" is null");
  saved.require_keys({"iterations", "slots"});
  OptimizerState<Scalar> state;
  state.iterations = saved["iterations"].as_integer(0, max_saved_iterations);
  const JsonView slots = saved["slots"];
  slots.require_object();
  const std::vector<Variable<Scalar>*>& trainable = ModelAccess<Scalar>::trainable(model);
  for (const auto& item : slots.json().items()) {
    const JsonView list = slots[item.key()];
    list.require_size(trainable.size());
    std::vector<Matrix<Scalar>> matrices;
    for (std::size_t i = 0; i < trainable.size(); ++i) {
      if (tensors.empty()) list[i].fail("the file has no tensors to refer to");
      const auto index = static_cast<std::size_t>(
          list[i].as_integer(0, static_cast<long long>(tensors.size()) - 1));
      use.use(index, list[i].path());
      const Matrix<Scalar>& value = trainable[i]->value;
      matrices.push_back(read_listed_tensor<Scalar>(list[i].path(), trainable[i]->rank,
                                                    value.rows(), value.cols(), tensors[index]));
    }
    state.slots.emplace_back(item.key(), std::move(matrices));
  }
  try {
    ModelAccess<Scalar>::optimizer(model)->set_state(trainable, state);
  } catch (const Error& error) {
    saved.fail(concat("invalid optimizer state: ", error.what()));
  }
}

/// Sets the weights of a rebuilt model from the tensors that the file lists for them.
template <typename Scalar>
void restore_weights(RebuiltModel<Scalar>& rebuilt, const std::vector<TensorView>& tensors,
                     TensorUse& use) {
  for (const auto& layer : rebuilt.model.layers()) {
    const std::vector<WeightEntry>& entries = rebuilt.weights.at(layer->name());
    for (const WeightEntry& entry : entries) use.use(entry.tensor, entry.path);
    const std::string where = concat("layer \"", layer->name(), "\"");
    std::vector<Matrix<Scalar>> values;
    try {
      values = read_layer_weights<Scalar>(*layer, entries, tensors, where);
    } catch (const FileFormatError&) {
      throw;
    } catch (const ValueError& error) {
      throw FileFormatError(error.what());  // names, counts and shapes were checked before
    }
    const std::vector<Variable<Scalar>*> variables = layer->variables();
    for (std::size_t i = 0; i < values.size(); ++i) variables[i]->value = std::move(values[i]);
  }
}

/// Compiles the model with the settings of the "compile" object, unless it is null.
template <typename Scalar>
void restore_compile(Model<Scalar>& model, const JsonView& compile) {
  if (compile.is_null()) return;
  compile.require_keys({"optimizer", "loss", "metrics"});
  try {
    const std::unique_ptr<Optimizer<Scalar>> optimizer =
        optimizer_from_json<Scalar>(compile["optimizer"]);
    const std::unique_ptr<Loss<Scalar>> loss = loss_from_json<Scalar>(compile["loss"]);
    std::vector<MetricArgument<Scalar>> metrics;
    const JsonView metric_list = compile["metrics"];
    for (std::size_t i = 0; i < metric_list.size(); ++i) {
      metrics.emplace_back(*metric_from_json<Scalar>(metric_list[i]));
    }
    model.compile(*optimizer, *loss, metrics);
  } catch (const FileFormatError&) {
    throw;
  } catch (const Error& error) {
    compile.fail(concat("invalid compile settings: ", error.what()));
  }
}

/// Sets the generator of every layer that has its own from "state.layer_generators",
/// which must list exactly those layers.
template <typename Scalar>
void restore_layer_generators(Model<Scalar>& model, const JsonView& layer_generators) {
  layer_generators.require_object();
  std::size_t own_generators = 0;
  for (const auto& layer : model.layers()) {
    Generator* generator = layer->own_generator();
    const bool listed = layer_generators.has(layer->name());
    if (generator != nullptr && !listed) {
      layer_generators.fail(
          concat("the state of layer \"", layer->name(), "\"'s own generator is missing"));
    }
    if (generator == nullptr && listed) {
      layer_generators[layer->name()].fail(
          concat("layer \"", layer->name(), "\" has no generator of its own"));
    }
    if (generator == nullptr) continue;
    generator->set_state(generator_state_from_json(layer_generators[layer->name()]));
    ++own_generators;
  }
  if (layer_generators.json().size() == own_generators) return;
  for (const auto& item : layer_generators.json().items()) {
    bool known = false;
    for (const auto& layer : model.layers()) known = known || layer->name() == item.key();
    if (!known) {
      layer_generators.fail(concat("lists layer \"", item.key(), "\", which the model lacks"));
    }
  }
}

/// Loads a model from the bytes of a model file; the body of every model loader.
template <typename Scalar>
Model<Scalar> read_model_document(const char* data, std::size_t size, const LoadOptions& options,
                                  Json* training) {
  const FileSections sections = read_file_sections(data, size);
  const Json document = parse_json_section(sections.json);
  const JsonView root(document, "JSON");
  root.require_object();
  check_file_kind(root, "sinapse.model");
  root.require_keys({"format", "sinapse_version", "dtype", "model", "compile", "state"},
                    {"training"});
  root["sinapse_version"].as_string();
  const std::vector<TensorView> tensors = read_tensor_section(sections.tensors);
  check_dtype<Scalar>(root["dtype"], tensors, options);
  TensorUse use(tensors.size());

  RebuiltModel<Scalar> rebuilt = rebuild_architecture<Scalar>(root["model"], tensors);
  Model<Scalar>& model = rebuilt.model;
  restore_weights(rebuilt, tensors, use);
  restore_compile(model, root["compile"]);

  const JsonView state = root["state"];
  state.require_keys({"completed_epochs", "generator_state", "layer_generators", "optimizer"});
  const long long epochs = state["completed_epochs"].as_integer(0, max_completed_epochs);
  ModelAccess<Scalar>::set_completed_epochs(model, static_cast<int>(epochs));
  ModelAccess<Scalar>::set_generator_state(model,
                                           generator_state_from_json(state["generator_state"]));
  restore_layer_generators(model, state["layer_generators"]);
  const JsonView optimizer_state = state["optimizer"];
  if (!optimizer_state.is_null()) restore_optimizer(model, optimizer_state, tensors, use);
  use.require_all_used();

  if (root.has("training")) {
    const JsonView record = root["training"];
    record.require_object();
    if (nests_deeper_than(record.json(), max_training_depth)) {
      record.fail(
          concat("nests deeper than ", max_training_depth, " levels, which save never writes"));
    }
  }
  if (training != nullptr) {
    *training = root.has("training") ? root["training"].json() : Json();
  }
  return std::move(rebuilt.model);
}

/// Loads a model from the bytes of a model file in memory; the entry point for fuzzing.
/// `source` names the bytes in messages. With `training`, the stored training record is
/// copied there (null when the file has none).
/// @throws FileFormatError for a damaged or invalid file (see file_format.hpp for every
/// check); ValueError when the file's dtype is not Scalar and `options` does not allow
/// conversion.
template <typename Scalar>
Model<Scalar> load_model_from_bytes(const char* data, std::size_t size,
                                    const LoadOptions& options = {}, Json* training = nullptr,
                                    const std::string& source = "bytes in memory") {
  return with_message_prefix(concat("load_model: ", source, ": "), [&] {
    return read_model_document<Scalar>(data, size, options, training);
  });
}

/// Saves a model file atomically, with an optional training record for callbacks.
/// `wrap` lets tests interpose a failing sink (see write_file_atomically).
template <typename Scalar>
void save_model_file(const Model<Scalar>& model, const std::string& path,
                     const Json* training = nullptr, const SinkWrapper& wrap = nullptr) {
  write_file_atomically(path, save_model_to_bytes(model, training, "save"), "save", wrap);
}

/// Loads a model file, and its training record into `training` when given.
template <typename Scalar>
Model<Scalar> load_model_file(const std::string& path, const LoadOptions& options = {},
                              Json* training = nullptr) {
  const std::string bytes = read_sinapse_file(path, "load_model");
  return load_model_from_bytes<Scalar>(bytes.data(), bytes.size(), options, training,
                                       concat("\"", path, "\""));
}

/// Returns text such as `[kernel (4, 8), bias (8,)]` for a layer's weights.
template <typename Scalar>
std::string layer_weights_text(const Layer<Scalar>& layer) {
  std::vector<WeightShape> shapes;
  for (const Variable<Scalar>* variable : layer.variables()) {
    shapes.push_back(
        {variable->name, variable->rank, variable->value.rows(), variable->value.cols()});
  }
  return weights_text(shapes);
}

/// Returns the position of every layer of `description` (an architecture_to_json object)
/// by name.
inline std::map<std::string, std::size_t> layer_positions(const Json& description) {
  std::map<std::string, std::size_t> positions;
  const Json& layers = description.at("layers");
  for (std::size_t i = 0; i < layers.size(); ++i) {
    positions[layers[i].at("name").get<std::string>()] = i;
  }
  return positions;
}

/// Returns a list of [layer name, node] references with each name replaced by the
/// layer's position, so that graphs built by the same code compare equal under other
/// automatic names.
inline Json positional_references(const Json& references,
                                  const std::map<std::string, std::size_t>& positions) {
  Json result = Json::array();
  for (const Json& reference : references) {
    result.push_back(
        Json::array({positions.at(reference.at(0).get<std::string>()), reference.at(1)}));
  }
  return result;
}

/// Returns a layer's get_config as JSON without "name" and "seed". Names are automatic,
/// and a seed only decides initial weights or a generator's starting state, which a
/// restore replaces with the saved ones.
template <typename Scalar>
Json compared_config(const Layer<Scalar>& layer) {
  Json config = config_to_json(layer.get_config());
  config.erase("name");
  config.erase("seed");
  return config;
}

/// Throws ValueError naming the first difference between the architectures of `model`
/// and `saved`: the layer count, or by position a layer's class, weight shapes, own
/// generator, configuration (other than name and seed) or inbound connections.
template <typename Scalar>
void check_same_architecture(const Model<Scalar>& model, const Model<Scalar>& saved) {
  const auto& layers = model.layers();
  const auto& saved_layers = saved.layers();
  if (layers.size() != saved_layers.size()) {
    throw ValueError(concat("the file contains a model of ", saved_layers.size(),
                            " layers, but this model has ", layers.size()));
  }
  for (std::size_t i = 0; i < layers.size(); ++i) {
    Layer<Scalar>& layer = *layers[i];
    Layer<Scalar>& saved_layer = *saved_layers[i];
    const bool same_generator =
        (layer.own_generator() == nullptr) == (saved_layer.own_generator() == nullptr);
    if (layer.class_name() != saved_layer.class_name() || !same_generator ||
        layer_weights_text(layer) != layer_weights_text(saved_layer)) {
      throw ValueError(
          concat("layer ", i, " is ", saved_layer.class_name(), " \"", saved_layer.name(), "\" ",
                 layer_weights_text(saved_layer), " in the file, but ", layer.class_name(), " \"",
                 layer.name(), "\" ", layer_weights_text(layer), " in this model",
                 same_generator ? "" : " (only one of them has a seeded generator of its own)"));
    }
  }
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const Json config = compared_config(*layers[i]);
    const Json saved_config = compared_config(*saved_layers[i]);
    if (config == saved_config) continue;
    for (const auto& item : saved_config.items()) {
      const auto found = config.find(item.key());
      if (found != config.end() && *found == item.value()) continue;
      throw ValueError(concat("layer ", i, " (", layers[i]->class_name(), " \"",
                              layers[i]->name(), "\") has ", item.key(), " ",
                              found == config.end() ? std::string("unset") : found->dump(),
                              " in this model, but ", item.value().dump(), " in the file"));
    }
    for (const auto& item : config.items()) {
      if (!saved_config.contains(item.key())) {
        throw ValueError(concat("layer ", i, " (", layers[i]->class_name(), " \"",
                                layers[i]->name(), "\") has ", item.key(), " ",
                                item.value().dump(), " in this model, but the file lacks it"));
      }
    }
  }
  // Same layers may still be wired differently, for example with swapped merge inputs.
  std::size_t next_tensor = 0;
  TensorSectionWriter<Scalar>* no_tensors = nullptr;
  const Json graph = architecture_to_json(model, no_tensors, next_tensor, "restore_model_state");
  const Json saved_graph =
      architecture_to_json(saved, no_tensors, next_tensor, "restore_model_state");
  const std::map<std::string, std::size_t> positions = layer_positions(graph);
  const std::map<std::string, std::size_t> saved_positions = layer_positions(saved_graph);
  for (std::size_t i = 0; i < layers.size(); ++i) {
    Json inbound = Json::array();
    for (const Json& call : graph["layers"][i]["inbound_nodes"]) {
      inbound.push_back(positional_references(call, positions));
    }
    Json saved_inbound = Json::array();
    for (const Json& call : saved_graph["layers"][i]["inbound_nodes"]) {
      saved_inbound.push_back(positional_references(call, saved_positions));
    }
    if (inbound != saved_inbound) {
      throw ValueError(concat("layer ", i, " (", layers[i]->class_name(), " \"", layers[i]->name(),
                              "\") takes the inputs ", inbound.dump(), " in this model, but ",
                              saved_inbound.dump(),
                              " in the file (as [layer position, call] pairs)"));
    }
  }
  for (const char* key : {"input_layers", "output_layers"}) {
    if (positional_references(graph[key], positions) !=
        positional_references(saved_graph[key], saved_positions)) {
      throw ValueError(concat("the model's ", key, " differ from the file's"));
    }
  }
}

/// A model file's training state, loaded by prepare_model_state and checked against a
/// model, but not applied to it yet.
template <typename Scalar>
struct PreparedModelState {
  Model<Scalar> saved;
  Json training;  // the file's training record; null when it has none
};

/// Throws, for a model file that cannot be restored into a Model<Scalar>, an error whose
/// hint suits restoring: the loader's own hints (call load_weights, pass
/// LoadOptions().convert_dtype(true)) name calls that a restore cannot make. Returns
/// when neither applies or the file cannot be read, leaving the loader's error to stand.
template <typename Scalar>
void throw_if_not_restorable(const std::string& path) {
  std::string format;
  std::string dtype;
  try {
    const std::string bytes = read_file(path, "restore_model_state");
    const FileSections sections = read_file_sections(bytes.data(), bytes.size());
    const Json document = parse_json_section(sections.json);
    format = document.at("format").get<std::string>();
    dtype = document.at("dtype").get<std::string>();
  } catch (const Error&) {
    return;
  } catch (const Json::exception&) {
    return;
  }
  if (format == "sinapse.weights") {
    throw FileFormatError(concat(
        "\"", path, "\" is a weights file (from save_weights, or ModelCheckpoint with "
        "save_weights_only), which holds no optimizer state or epoch count to resume from"));
  }
  if (format == "sinapse.model" && dtype != dtype_name(dtype_of<Scalar>())) {
    throw ValueError(concat("\"", path, "\" contains ", dtype, " values, but this model is ",
                            scalar_name<Scalar>(),
                            "; resume with the scalar type that made the file"));
  }
}

/// Loads the model file at `path` and checks that `model` can take its training state:
/// the same architecture (see check_same_architecture) and an optimizer of the saved
/// class and settings that accepts the saved step count and moments. Changes nothing.
/// @throws ValueError when the file contains a different model, or the model has no
/// optimizer that can take the saved state; FileFormatError or IOError as `load_model`
/// does; StateError for a moved-from model.
template <typename Scalar>
PreparedModelState<Scalar> prepare_model_state(const Model<Scalar>& model,
                                               const std::string& path,
                                               const LoadOptions& options = {}) {
  if (!model.valid()) throw StateError("this Model was moved from and has no graph");
  Json training;
  std::optional<Model<Scalar>> loaded;
  try {
    loaded.emplace(load_model_file<Scalar>(path, options, &training));
  } catch (const ValueError&) {
    throw_if_not_restorable<Scalar>(path);
    throw;
  }
  PreparedModelState<Scalar> prepared{std::move(*loaded), std::move(training)};
  check_same_architecture(model, prepared.saved);

  const Optimizer<Scalar>* optimizer = ModelAccess<Scalar>::optimizer(model);
  const Optimizer<Scalar>* saved_optimizer = ModelAccess<Scalar>::optimizer(prepared.saved);
  const bool saved_built = saved_optimizer != nullptr && saved_optimizer->built();
  if (!saved_built) return prepared;
  if (optimizer == nullptr || typeid(*optimizer) != typeid(*saved_optimizer)) {
    throw ValueError(
        concat("the file contains the state of the optimizer \"", saved_optimizer->name(),
               "\", but this model ",
               optimizer == nullptr ? "is not compiled" : "uses \"" + optimizer->name() + "\"",
               "; compile it as the saved run was compiled"));
  }
  // set_state on a copy with the same settings runs every check that apply_model_state's
  // set_state will, so that apply cannot fail on them (an Adam without amsgrad rejects
  // the saved velocity_hat, for example).
  try {
    optimizer->clone_settings()->set_state(ModelAccess<Scalar>::trainable(model),
                                           saved_optimizer->get_state());
  } catch (const Error& error) {
    throw ValueError(concat("the saved optimizer state does not fit this model's \"",
                            optimizer->name(), "\" (", error.what(),
                            "); compile it as the saved run was compiled"));
  }
  return prepared;
}

/// Copies a state checked by prepare_model_state into the same `model`: weights,
/// optimizer state, generators and epoch count.
// NOTE: the only error left is std::bad_alloc while the optimizer allocates its slots.
// That happens first, and every later step copies into storage of the right size.
template <typename Scalar>
void apply_model_state(Model<Scalar>& model, const PreparedModelState<Scalar>& prepared) {
  const Model<Scalar>& saved = prepared.saved;
  Optimizer<Scalar>* optimizer = ModelAccess<Scalar>::optimizer(model);
  const Optimizer<Scalar>* saved_optimizer = ModelAccess<Scalar>::optimizer(saved);
  const std::vector<Variable<Scalar>*>& trainable = ModelAccess<Scalar>::trainable(model);
  if (saved_optimizer != nullptr && saved_optimizer->built()) {
    optimizer->set_state(trainable, saved_optimizer->get_state());
  } else if (optimizer != nullptr && optimizer->built()) {
    optimizer->build(trainable);
  }
  const auto& layers = model.layers();
  const auto& saved_layers = saved.layers();
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const std::vector<Variable<Scalar>*> variables = layers[i]->variables();
    const std::vector<Variable<Scalar>*> saved_variables = saved_layers[i]->variables();
    for (std::size_t j = 0; j < variables.size(); ++j) {
      variables[j]->value = saved_variables[j]->value;
    }
    if (Generator* generator = layers[i]->own_generator()) {
      generator->set_state(saved_layers[i]->own_generator()->state());
    }
  }
  ModelAccess<Scalar>::set_generator_state(model, ModelAccess<Scalar>::generator_state(saved));
  ModelAccess<Scalar>::set_completed_epochs(model, saved.completed_epochs());
}

/// Copies the training state from the model file at `path` into `model`: the weights,
/// the optimizer's state, the generators and the epoch count, as BackupAndRestore needs
/// to resume a run in the model object that `fit` is training. Layers are matched by
/// position, so a model rebuilt by the same code matches even if its automatic names
/// differ. Their classes, weight shapes, generators, configurations (other than name and
/// seed) and connections must agree. The optimizer keeps its own settings and takes the
/// saved step count and moments. With `training`, the stored training record is copied
/// there. Nothing changes when it throws.
/// @throws ValueError when the file contains a different model, or the model has no
/// optimizer of the saved class; FileFormatError or IOError as `load_model` does.
template <typename Scalar>
void restore_model_state(Model<Scalar>& model, const std::string& path, Json* training = nullptr,
                         const LoadOptions& options = {}) {
  PreparedModelState<Scalar> prepared = with_message_prefix(
      concat("restore_model_state: \"", path, "\": "),
      [&] { return prepare_model_state(model, path, options); });
  apply_model_state(model, prepared);
  if (training != nullptr) *training = std::move(prepared.training);
}

}  // namespace detail

/// Saves `model` to one file at `path`, as `keras.saving.save_model`: the graph, every
/// weight, the compile settings, the optimizer state, the generator states and the epoch
/// count, so that `load_model` gives a model that predicts and trains on bit-identically.
/// The file is replaced atomically: after an error or a crash, `path` is either the old
/// file or the complete new one. The format is described in
/// sinapse/saving/file_format.hpp and sinapse/saving/model_file.hpp.
/// @throws ValueError for a layer, optimizer, loss or metric class that model files cannot
/// store (use save_weights for those), for a weight or state that loading would reject
/// (NaN or inf after training diverged, for example), or for an invalid path; IOError
/// when `path` is not a regular file or a link to one, or when writing fails. After any
/// error the file at `path` is unchanged.
template <typename Scalar>
void save_model(const Model<Scalar>& model, const std::string& path) {
  detail::save_model_file(model, path);
}

/// Loads a model saved by `save`, as `keras.saving.load_model`. The file's dtype must be
/// Scalar's unless `options.convert_dtype(true)`. The layers keep their saved names and
/// seeds, so loading advances no name counter, but constructing the Model draws one seed
/// from the global generator, as every Model constructor does.
/// @throws FileFormatError for a file that is damaged, truncated, not a sinapse model file,
/// from a newer format version, or describes an invalid model; ValueError for a dtype
/// mismatch; IOError when the file cannot be read.
template <typename Scalar>
Model<Scalar> load_model(const std::string& path, const LoadOptions& options = {}) {
  return detail::load_model_file<Scalar>(path, options);
}

template <typename Scalar>
void Model<Scalar>::save(const std::string& path) const {
  save_model(*this, path);
}

}  // namespace sinapse
