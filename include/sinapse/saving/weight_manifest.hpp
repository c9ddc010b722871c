#pragma once

#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "sinapse/core/errors.hpp"
#include "sinapse/layers/layer.hpp"
#include "sinapse/saving/json_view.hpp"
#include "sinapse/saving/layer_registry.hpp"
#include "sinapse/saving/tensor_section.hpp"

namespace sinapse {
namespace detail {

// Each layer entry of a file lists its weights in `variables()` order as
// {"name": "kernel", "shape": [4, 8], "tensor": 0}: the variable's name, its Keras shape
// ([n] for a rank-1 weight) and the index of its values in the tensor section.

/// One weight listed in a file, with its path in the JSON document for messages.
struct WeightEntry {
  std::string name;
  int rank = 2;
  Index rows = 0;
  Index cols = 1;
  std::size_t tensor = 0;
  std::string path;
};

inline std::string shape_text(int rank, Index rows, Index cols) {
  return tensor_shape_text(rank, rows, cols);
}

/// Finds the first value, in the row-major order of the file, that a file may not store
/// for a weight: NaN or inf, or a negative value when `non_negative`. Returns false when
/// there is none, else true with its index in `row` and `col`. Saving and loading both
/// apply this rule, so every weight that save writes loads again.
template <typename Scalar>
bool find_invalid_value(const Matrix<Scalar>& value, bool non_negative, Index& row, Index& col) {
  for (Index i = 0; i < value.rows(); ++i) {
    for (Index j = 0; j < value.cols(); ++j) {
      const Scalar x = value(i, j);
      if (!std::isfinite(x) || (non_negative && x < Scalar(0))) {
        row = i;
        col = j;
        return true;
      }
    }
  }
  return false;
}

/// Checks that a file can store the weights of `layer` in a form that the loader reads
/// back. The layer needs a non-empty name and class name, and each weight a non-empty
/// name, rank 2 or rank 1 with an (n, 1) matrix, and finite values. A weight marked
/// non-negative, such as a moving variance, also needs every value >= 0. These are the
/// rules of parse_weight_entries, decode_tensor and read_layer_weights.
/// @throws ValueError naming the layer, the weight and the first invalid value. It runs
/// before any byte is written, so the message states that nothing was written.
template <typename Scalar>
void check_layer_weights_to_save(const Layer<Scalar>& layer, const char* caller) {
  const std::string where =
      concat(caller, ": layer \"", layer.name(), "\" (", layer.class_name(), ")");
  if (layer.name().empty() || layer.class_name().empty()) {
    throw ValueError(concat(where, " has an empty name or class name, which files cannot store; ",
                            "nothing was written. Give the layer a name and a class name"));
  }
  const std::vector<const Variable<Scalar>*> variables = layer.variables();
  for (std::size_t k = 0; k < variables.size(); ++k) {
    const Variable<Scalar>& variable = *variables[k];
    if (variable.name.empty()) {
      throw ValueError(concat(where, ": weight ", k, " has an empty name, which files cannot ",
                              "store; nothing was written. Give every variable a name"));
    }
    const std::string weight = concat(where, ": weight \"", variable.name, "\"");
    if (variable.rank != 1 && variable.rank != 2) {
      throw ValueError(concat(weight, " has rank ", variable.rank,
                              ", but files store only rank 1 and rank 2 weights; nothing was "
                              "written. The layer's variables() must report rank 1 or 2"));
    }
    if (variable.rank == 1 && variable.value.cols() != 1) {
      throw ValueError(concat(weight, " has rank 1, but its value is a (", variable.value.rows(),
                              ", ", variable.value.cols(),
                              ") matrix; a rank-1 weight must be an (n, 1) matrix, so nothing "
                              "was written. Set its rank to 2 or reshape its value"));
    }
    Index row = 0;
    Index col = 0;
    if (!find_invalid_value(variable.value, variable.non_negative, row, col)) continue;
    const Scalar bad = variable.value(row, col);
    if (std::isfinite(bad)) {
      throw ValueError(concat(weight, " contains ", bad, " at index (", row, ", ", col,
                              "), but it is marked non-negative, as a moving variance is; nothing "
                              "was written. Set it to a value >= 0 before saving"));
    }
    throw ValueError(concat(weight, " contains ", bad, " at index (", row, ", ", col,
                            "): the model diverged, or the value was set by hand. Files store "
                            "only finite values, so nothing was written; restore earlier "
                            "weights, or retrain with a lower learning rate"));
  }
}

/// Returns the JSON list of a layer's weights; with `tensors`, also appends their values.
/// `next_tensor` is the index that the first weight gets, and is advanced past the last.
/// @throws ValueError, before anything is appended, for a weight that
/// check_layer_weights_to_save rejects.
template <typename Scalar>
Json layer_weights_to_json(const Layer<Scalar>& layer, TensorSectionWriter<Scalar>* tensors,
                           std::size_t& next_tensor, const char* caller) {
  check_layer_weights_to_save(layer, caller);
  Json list = Json::array();
  for (const Variable<Scalar>* variable : layer.variables()) {
    Json shape = Json::array({variable->value.rows()});
    if (variable->rank == 2) shape.push_back(variable->value.cols());
    list.push_back({{"name", variable->name}, {"shape", shape}, {"tensor", next_tensor}});
    if (tensors != nullptr) tensors->add(variable->value, variable->rank);
    ++next_tensor;
  }
  return list;
}

/// Parses a layer's list of weights and checks each against the tensor it refers to.
/// Because a listed shape must equal a stored one, no list can make a loader build
/// weights larger than the file.
inline std::vector<WeightEntry> parse_weight_entries(const JsonView& list,
                                                     const std::vector<TensorView>& tensors) {
  std::vector<WeightEntry> entries;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const JsonView item = list[i];
    item.require_keys({"name", "shape", "tensor"});
    WeightEntry entry;
    entry.path = item.path();
    entry.name = item["name"].as_name();
    const JsonView shape = item["shape"];
    if (shape.size() != 1 && shape.size() != 2) {
      shape.fail(concat("expected a shape of 1 or 2 dimensions, got ", shape.describe()));
    }
    entry.rank = static_cast<int>(shape.size());
    const long long largest = std::numeric_limits<Index>::max();
    entry.rows = static_cast<Index>(shape[0].as_integer(0, largest));
    entry.cols = entry.rank == 2 ? static_cast<Index>(shape[1].as_integer(0, largest)) : 1;
    if (tensors.empty()) item["tensor"].fail("the file has no tensors to refer to");
    entry.tensor = static_cast<std::size_t>(
        item["tensor"].as_integer(0, static_cast<long long>(tensors.size()) - 1));
    const TensorView& tensor = tensors[entry.tensor];
    if (tensor.rank != entry.rank || tensor.rows != entry.rows || tensor.cols != entry.cols) {
      shape.fail(concat("the JSON lists shape ", shape_text(entry.rank, entry.rows, entry.cols),
                        ", but tensor ", entry.tensor, " has shape ",
                        shape_text(tensor.rank, tensor.rows, tensor.cols)));
    }
    entries.push_back(entry);
  }
  return entries;
}

/// Text such as "[kernel (4, 8), bias (8,)]" for messages.
inline std::string weights_text(const std::vector<WeightEntry>& entries) {
  std::string text = "[";
  for (const WeightEntry& entry : entries) {
    if (text.size() > 1) text += ", ";
    text += entry.name + " " + shape_text(entry.rank, entry.rows, entry.cols);
  }
  return text + "]";
}

inline std::string weights_text(const std::vector<WeightShape>& shapes) {
  std::string text = "[";
  for (const WeightShape& shape : shapes) {
    if (text.size() > 1) text += ", ";
    text += shape.name + " " + shape_text(shape.rank, shape.rows, shape.cols);
  }
  return text + "]";
}

/// True when the file's list matches the weights a layer will create, name by name.
inline bool same_weights(const std::vector<WeightEntry>& entries,
                         const std::vector<WeightShape>& shapes) {
  if (entries.size() != shapes.size()) return false;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].name != shapes[i].name || entries[i].rank != shapes[i].rank ||
        entries[i].rows != shapes[i].rows || entries[i].cols != shapes[i].cols) {
      return false;
    }
  }
  return true;
}

/// Records which tensors a document refers to: `use` rejects a second use of a tensor and
/// `require_all_used` a tensor that nothing uses.
class TensorUse {
 public:
  explicit TensorUse(std::size_t count) : used_(count, 0) {}

  /// Marks tensor `index` as used by the value at `path`.
  void use(std::size_t index, const std::string& path) {
    if (used_[index] != 0) {
      throw FileFormatError(
          concat(path, ": tensor ", index, " is already used by another weight or slot"));
    }
    used_[index] = 1;
  }

  /// @throws FileFormatError naming the first tensor that nothing refers to.
  void require_all_used() const {
    for (std::size_t i = 0; i < used_.size(); ++i) {
      if (used_[i] == 0) {
        throw FileFormatError(concat("tensor ", i, " of the tensor section is not used by any ",
                                     "weight or optimizer slot"));
      }
    }
  }

 private:
  std::vector<char> used_;
};

/// Decodes a listed tensor after checking that its stored shape is the listed one.
template <typename Scalar>
Matrix<Scalar> read_listed_tensor(const std::string& path, int rank, Index rows, Index cols,
                                  const TensorView& tensor) {
  if (tensor.rank != rank || tensor.rows != rows || tensor.cols != cols) {
    throw FileFormatError(concat(path, ": the JSON lists shape ", shape_text(rank, rows, cols),
                                 ", but the tensor section stores ",
                                 shape_text(tensor.rank, tensor.rows, tensor.cols)));
  }
  return decode_tensor<Scalar>(tensor, path);
}

/// Returns the new values of `layer`'s variables from the file, after checking that the
/// file lists exactly its variables, by name and shape, with valid values. `where` starts
/// each message, such as `load_weights: layer "dense"`.
/// @throws ValueError when the names or counts differ, or a moving variance is negative;
/// ShapeError when a shape differs; FileFormatError for a damaged tensor.
template <typename Scalar>
std::vector<Matrix<Scalar>> read_layer_weights(const Layer<Scalar>& layer,
                                               const std::vector<WeightEntry>& entries,
                                               const std::vector<TensorView>& tensors,
                                               const std::string& where) {
  const std::vector<const Variable<Scalar>*> variables = layer.variables();
  std::vector<WeightShape> expected;
  for (const Variable<Scalar>* variable : variables) {
    expected.push_back(
        {variable->name, variable->rank, variable->value.rows(), variable->value.cols()});
  }
  bool same_names = entries.size() == expected.size();
  for (std::size_t i = 0; same_names && i < entries.size(); ++i) {
    same_names = entries[i].name == expected[i].name;
  }
  if (!same_names) {
    throw ValueError(concat(where, ": the file has the weights ", weights_text(entries),
                            ", but the layer has ", weights_text(expected),
                            "; the file belongs to a different model"));
  }
  std::vector<Matrix<Scalar>> values;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const WeightEntry& entry = entries[i];
    if (entry.rank != expected[i].rank || entry.rows != expected[i].rows ||
        entry.cols != expected[i].cols) {
      throw ShapeError(concat(where, ": weight \"", entry.name, "\" has shape ",
                              shape_text(entry.rank, entry.rows, entry.cols), " in the file, but ",
                              shape_text(expected[i].rank, expected[i].rows, expected[i].cols),
                              " in the model"));
    }
    Matrix<Scalar> value = read_listed_tensor<Scalar>(entry.path, entry.rank, entry.rows,
                                                      entry.cols, tensors[entry.tensor]);
    // decode_tensor has rejected NaN and inf, so only a negative value can be found here.
    Index row = 0;
    Index col = 0;
    if (find_invalid_value(value, variables[i]->non_negative, row, col)) {
      throw FileFormatError(concat(where, ": weight \"", entry.name, "\" contains ",
                                   value(row, col), ", but a variance cannot be negative (index (",
                                   row, ", ", col, "))"));
    }
    values.push_back(std::move(value));
  }
  return values;
}

}  // namespace detail
}  // namespace sinapse
