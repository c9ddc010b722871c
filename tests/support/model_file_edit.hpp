// Helpers that take a valid sinapse file apart and put it back together with valid
// checksums, so tests can feed the loader files that are damaged in one chosen way.
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include <sinapse/saving/file_format.hpp>

namespace test_support {

/// The JSON text and the tensor payload of a file.
struct FileParts {
  std::string json;
  std::string tensors;
};

inline FileParts split_file(const std::string& bytes) {
  const sinapse::detail::FileSections sections =
      sinapse::detail::read_file_sections(bytes.data(), bytes.size());
  return {std::string(sections.json.data, sections.json.size),
          std::string(sections.tensors.data, sections.tensors.size)};
}

/// Builds a file with correct checksums from a JSON text and a tensor payload.
inline std::string join_file(const std::string& json, const std::string& tensors) {
  return sinapse::detail::write_file_sections(json, tensors);
}

/// Returns `bytes` with its JSON document changed by `edit`, re-encoded with checksums.
inline std::string edit_json(const std::string& bytes,
                             const std::function<void(nlohmann::json&)>& edit) {
  const FileParts parts = split_file(bytes);
  nlohmann::json document = nlohmann::json::parse(parts.json);
  edit(document);
  return join_file(document.dump(), parts.tensors);
}

}  // namespace test_support
