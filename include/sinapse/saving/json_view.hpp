#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "sinapse/saving/file_errors.hpp"
#include "sinapse/saving/file_format.hpp"

namespace sinapse {
namespace detail {

using Json = nlohmann::json;

/// Deepest nesting accepted in a file's JSON. Valid documents nest about 8 levels, a
/// layer's inbound connections being the deepest part. The limit keeps recursive code that
/// walks or destroys the document away from stack overflow.
inline constexpr int max_json_depth = 64;

/// Parses the JSON section of a file.
/// @throws FileFormatError for invalid JSON or UTF-8, nesting deeper than max_json_depth,
/// or a key repeated within one object (a JSON parser would otherwise keep only one).
inline Json parse_json_section(const SectionView& section) {
  std::vector<std::set<std::string>> open_objects;  // the keys seen in each open object
  const auto check = [&open_objects](int depth, Json::parse_event_t event, Json& parsed) {
    if (depth > max_json_depth) {
      throw FileFormatError(concat("the JSON section nests deeper than ", max_json_depth,
                                   " levels, which no sinapse file does"));
    }
    if (event == Json::parse_event_t::object_start) {
      open_objects.emplace_back();
    } else if (event == Json::parse_event_t::object_end) {
      open_objects.pop_back();
    } else if (event == Json::parse_event_t::key) {
      const std::string& key = parsed.get_ref<const std::string&>();
      if (!open_objects.back().insert(key).second) {
        throw FileFormatError(
            concat("the JSON section repeats the key \"", key, "\" within one object"));
      }
    }
    return true;
  };
  try {
    return Json::parse(section.data, section.data + section.size, check);
  } catch (const Json::exception& error) {
    throw FileFormatError(concat("the JSON section is not valid JSON: ", error.what()));
  }
}

/// True when `value` nests deeper than `limit` levels (a scalar is level 0). It stops
/// descending at the limit, so a deep value cannot overflow the stack.
inline bool nests_deeper_than(const Json& value, int limit) {
  if (!value.is_structured() || value.empty()) return false;
  if (limit <= 0) return true;
  for (const Json& element : value) {
    if (nests_deeper_than(element, limit - 1)) return true;
  }
  return false;
}

/// Formats a 64-bit value as 16 hex digits. Generator states are stored this way,
/// because many JSON readers keep only 53 bits of a number.
inline std::string hex_text(std::uint64_t value) {
  static const char digits[] = "0123456789abcdef";
  std::string text(16, '0');
  for (int i = 15; i >= 0; --i, value >>= 4)
    text[static_cast<std::size_t>(i)] = digits[value & 0xF];
  return text;
}

/// A value of a file's JSON document with its path ("model.layers[2].config.units").
/// Every accessor checks the type and throws FileFormatError that names the path, what
/// was expected and what was found.
class JsonView {
 public:
  JsonView(const Json& value, std::string path) : value_(&value), path_(std::move(path)) {}

  const Json& json() const { return *value_; }
  const std::string& path() const { return path_; }

  /// Throws FileFormatError with the path and `problem`.
  [[noreturn]] void fail(const std::string& problem) const {
    throw FileFormatError(concat(path_, ": ", problem));
  }

  bool is_null() const { return value_->is_null(); }

  void require_object() const {
    if (!value_->is_object()) fail("expected an object, got " + describe());
  }

  void require_array() const {
    if (!value_->is_array()) fail("expected an array, got " + describe());
  }

  /// True when this object has `key`.
  bool has(const std::string& key) const {
    require_object();
    return value_->contains(key);
  }

  /// The member `key` of this object.
  JsonView operator[](const std::string& key) const {
    require_object();
    const auto found = value_->find(key);
    if (found == value_->end()) fail("the key \"" + key + "\" is missing");
    return JsonView(*found, path_ + "." + key);
  }

  /// Element `index` of this array.
  JsonView operator[](std::size_t index) const {
    require_array();
    if (index >= value_->size()) {
      fail(concat("index ", index, " is out of range for an array of ", value_->size()));
    }
    return JsonView((*value_)[index], concat(path_, "[", index, "]"));
  }

  /// Number of elements of this array.
  std::size_t size() const {
    require_array();
    return value_->size();
  }

  /// Requires an array of exactly `count` elements.
  void require_size(std::size_t count) const {
    if (size() != count) fail(concat("expected ", count, " elements, got ", size()));
  }

  /// Requires an object whose keys are exactly `required` plus any of `optional`.
  void require_keys(const std::vector<std::string>& required,
                    const std::vector<std::string>& optional = {}) const {
    require_object();
    for (const std::string& key : required) {
      if (!value_->contains(key)) fail("the key \"" + key + "\" is missing");
    }
    for (const auto& item : value_->items()) {
      bool known = false;
      for (const std::string& key : required) known = known || key == item.key();
      for (const std::string& key : optional) known = known || key == item.key();
      if (!known) {
        std::string expected;
        for (const std::string& key : required) expected += (expected.empty() ? "" : ", ") + key;
        for (const std::string& key : optional) expected += (expected.empty() ? "" : ", ") + key;
        fail(concat("unknown key \"", item.key(), "\"; expected the keys ", expected,
                    " (a file from a newer sinapse may have more)"));
      }
    }
  }

  std::string as_string() const {
    if (!value_->is_string()) fail("expected a string, got " + describe());
    return value_->get<std::string>();
  }

  /// A string that must not be empty, such as a layer name.
  std::string as_name() const {
    std::string text = as_string();
    if (text.empty()) fail("expected a non-empty name, got \"\"");
    return text;
  }

  bool as_bool() const {
    if (!value_->is_boolean()) fail("expected true or false, got " + describe());
    return value_->get<bool>();
  }

  /// Returns the value as a finite number; integers are accepted too.
  double as_double() const {
    if (!value_->is_number()) fail("expected a number, got " + describe());
    const double value = value_->get<double>();
    if (!std::isfinite(value)) fail("expected a finite number, got " + describe());
    return value;
  }

  /// Returns the value as an integer in [minimum, maximum].
  long long as_integer(long long minimum, long long maximum) const {
    if (!value_->is_number_integer()) fail("expected an integer, got " + describe());
    bool in_range = false;
    long long value = 0;
    if (value_->is_number_unsigned()) {
      // Non-negative integers parse as unsigned, which may exceed the signed range.
      const std::uint64_t unsigned_value = value_->get<std::uint64_t>();
      in_range = maximum >= 0 && unsigned_value <= static_cast<std::uint64_t>(maximum) &&
                 (minimum <= 0 || unsigned_value >= static_cast<std::uint64_t>(minimum));
      if (in_range) value = static_cast<long long>(unsigned_value);
    } else {
      value = value_->get<std::int64_t>();
      in_range = value >= minimum && value <= maximum;
    }
    if (!in_range) {
      fail(concat("expected an integer from ", minimum, " to ", maximum, ", got ", describe()));
    }
    return value;
  }

  /// Returns the 64-bit value of a string written by hex_text.
  std::uint64_t as_hex() const {
    const std::string text = as_string();
    std::uint64_t value = 0;
    bool valid = text.size() == 16;
    for (std::size_t i = 0; valid && i < text.size(); ++i) {
      const char c = text[i];
      int digit = -1;
      if (c >= '0' && c <= '9') digit = c - '0';
      if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
      valid = digit >= 0;
      value = (value << 4) | static_cast<std::uint64_t>(digit < 0 ? 0 : digit);
    }
    if (!valid) fail("expected 16 lowercase hex digits, got " + describe());
    return value;
  }

  /// Short description of the value for messages: its type, and its text for a scalar.
  std::string describe() const {
    const Json& value = *value_;
    if (value.is_object()) return concat("an object of ", value.size(), " keys");
    if (value.is_array()) return concat("an array of ", value.size(), " elements");
    if (value.is_string()) {
      const std::string& text = value.get_ref<const std::string&>();
      if (text.size() > 40) return "a string of " + std::to_string(text.size()) + " characters";
      return "the string " + value.dump(-1, ' ', true, Json::error_handler_t::replace);
    }
    return value.dump(-1, ' ', true, Json::error_handler_t::replace);
  }

 private:
  const Json* value_;
  std::string path_;
};

}  // namespace detail
}  // namespace sinapse
