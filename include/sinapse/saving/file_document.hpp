#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sinapse/core/errors.hpp"
#include "sinapse/core/types.hpp"
#include "sinapse/saving/atomic_file.hpp"
#include "sinapse/saving/error_context.hpp"
#include "sinapse/saving/file_errors.hpp"
#include "sinapse/saving/file_format.hpp"
#include "sinapse/saving/json_view.hpp"
#include "sinapse/saving/load_options.hpp"
#include "sinapse/saving/tensor_section.hpp"

namespace sinapse {
namespace detail {

// Checks and serialization shared by the JSON documents of model and weights files.

/// Returns the bytes of the model or weights file at `path`. Its magic and version are
/// checked before the rest is read, so a large file of another kind costs only one small
/// read. `caller` ("load_model") starts every message.
/// @throws FileFormatError for a wrong magic or version, prefixed as the loaders prefix
/// their messages; ValueError or IOError as read_file throws them.
inline std::string read_sinapse_file(const std::string& path, const char* caller) {
  const std::string prefix = concat(caller, ": \"", path, "\": ");
  return read_file(path, caller, file_header_size, [&prefix](const char* data, std::size_t size) {
    with_message_prefix(prefix, [&] { check_file_header(data, size); });
  });
}

/// Returns the document as JSON text indented by 2 spaces.
/// @throws ValueError for a string that is not valid UTF-8, which nlohmann/json rejects.
inline std::string dump_json(const Json& document, const char* caller) {
  try {
    return document.dump(2);
  } catch (const Json::exception& error) {
    throw ValueError(concat(caller, ": cannot write the JSON section (", error.what(),
                            "); layer, model and metric names must be valid UTF-8"));
  }
}

/// Checks the document's "format" value, with a hint when a file of the other kind is given.
inline void check_file_kind(const JsonView& root, const std::string& expected) {
  const std::string format = root["format"].as_string();
  if (format == expected) return;
  if (format == "sinapse.weights") {
    root["format"].fail(
        "this is a weights file from save_weights, which holds no architecture; build the model "
        "in code and call load_weights");
  }
  root["format"].fail(concat("expected \"", expected, "\", got ", root["format"].describe()));
}

/// Checks the file's dtype against every tensor and against Scalar.
/// @throws FileFormatError for an unknown dtype or a tensor of another dtype; ValueError
/// when the file's dtype is not Scalar's and conversion was not requested.
template <typename Scalar>
void check_dtype(const JsonView& dtype_value, const std::vector<TensorView>& tensors,
                 const LoadOptions& options) {
  const std::string text = dtype_value.as_string();
  if (text != "float32" && text != "float64") {
    dtype_value.fail("expected \"float32\" or \"float64\", got " + dtype_value.describe());
  }
  const DType dtype = text == "float32" ? DType::float32 : DType::float64;
  for (std::size_t k = 0; k < tensors.size(); ++k) {
    if (tensors[k].dtype != dtype) {
      throw FileFormatError(concat("tensor ", k, " is ", dtype_name(tensors[k].dtype),
                                   ", but the file's dtype is ", text));
    }
  }
  if (dtype != dtype_of<Scalar>() && !options.convert_dtype()) {
    throw ValueError(concat("the file contains ", text, " values, but the model type is ",
                            scalar_name<Scalar>(), "; load it as ",
                            dtype == DType::float32 ? "float" : "double",
                            ", or pass LoadOptions().convert_dtype(true) to convert the values"));
  }
}

}  // namespace detail
}  // namespace sinapse
