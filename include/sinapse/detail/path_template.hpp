#pragma once

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "sinapse/core/errors.hpp"

namespace sinapse {
namespace detail {

/// A file path with Python-style fields, as Keras's ModelCheckpoint takes:
/// "model-{epoch:02d}-{val_loss:.4f}.sinapse". A field is a name and an optional format
/// of the form [0][width][.precision][d|f|e|g]; "{{" and "}}" stand for braces.
///
/// The template is parsed once, so a malformed one is rejected before training starts.
/// Field names are checked when the path is made, because the logs are known only then.
/// As in Python's str.format, the integer code 'd' is rejected for log values, which are
/// floats, and a precision is rejected for an epoch printed as an integer. Unlike Python,
/// a width or precision above 99 is rejected, because the file name would exceed the 255
/// bytes that common file systems allow.
class PathTemplate {
 public:
  /// @throws ValueError for an unmatched brace, an empty field name or a bad format.
  explicit PathTemplate(const std::string& text) : text_(text) {
    std::string literal;
    for (std::size_t i = 0; i < text.size(); ++i) {
      const char c = text[i];
      if ((c == '{' || c == '}') && i + 1 < text.size() && text[i + 1] == c) {
        literal += c;
        ++i;
        continue;
      }
      if (c == '}') fail("a '}' without its '{'; write '}}' for a literal brace");
      if (c != '{') {
        literal += c;
        continue;
      }
      const std::size_t close = text.find('}', i);
      if (close == std::string::npos) fail("a '{' without its '}'; write '{{' for a literal brace");
      parts_.push_back({literal, parse_field(text.substr(i + 1, close - i - 1))});
      literal.clear();
      i = close;
    }
    tail_ = literal;
  }

  /// Returns the path with each field replaced: "epoch" by `epoch`, and any other name by
  /// the value of that entry of `logs`.
  /// @throws ValueError for a field that is neither "epoch" nor a key of logs.
  std::string format(int epoch, const std::map<std::string, double>& logs) const {
    std::string path;
    for (const Part& part : parts_) {
      path += part.literal;
      const Field& field = part.field;
      if (field.name == "epoch") {
        path += field.conversion == 'd' || field.conversion == '\0'
                    ? print(field, 'd', static_cast<long long>(epoch))
                    : print(field, field.conversion, static_cast<double>(epoch));
        continue;
      }
      const auto found = logs.find(field.name);
      if (found == logs.end()) {
        std::string known = "epoch";
        for (const auto& entry : logs) known += ", " + entry.first;
        throw ValueError(concat("ModelCheckpoint: the filepath \"", text_, "\" uses {",
                                field.name, "}, which is not in the logs; the fields are ",
                                known));
      }
      path += print(field, field.conversion == '\0' ? 'g' : field.conversion, found->second);
    }
    return path + tail_;
  }

  /// True when the path has no fields, so every epoch writes the same file.
  bool constant() const { return parts_.empty(); }

 private:
  struct Field {
    std::string name;
    std::string flags_width;  // "[0][width][.precision]", checked to be digits and a dot
    char conversion = '\0';   // 'd', 'f', 'e', 'g' or '\0' when none is given
  };
  struct Part {
    std::string literal;
    Field field;
  };

  [[noreturn]] void fail(const std::string& problem) const {
    throw ValueError(concat("ModelCheckpoint: the filepath \"", text_, "\" has ", problem));
  }

  Field parse_field(const std::string& inside) const {
    Field field;
    const std::size_t colon = inside.find(':');
    field.name = inside.substr(0, colon);
    if (field.name.empty()) fail("an empty field {}; name a log such as {epoch} or {val_loss}");
    if (colon == std::string::npos) return field;
    const std::string spec = inside.substr(colon + 1);
    const auto bad_format = [&](const std::string& problem) {
      fail(concat("the format \"", spec, "\" in {", inside, "}", problem,
                  "; use forms such as {epoch:02d} or {val_loss:.4f}"));
    };

    // spec = [0][width][.precision][type], each part optional.
    std::size_t i = 0;
    const auto read_digits = [&] {
      const std::size_t start = i;
      while (i < spec.size() && spec[i] >= '0' && spec[i] <= '9') ++i;
      return spec.substr(start, i - start);
    };
    const std::string width = read_digits();
    bool has_precision = false;
    std::string precision;
    if (i < spec.size() && spec[i] == '.') {
      ++i;
      has_precision = true;
      precision = read_digits();
    }
    if (i < spec.size() && std::string("dfeg").find(spec[i]) != std::string::npos) {
      field.conversion = spec[i];
      ++i;
    }
    if (i != spec.size() || (has_precision && precision.empty())) bad_format("");
    if (exceeds_99(width) || exceeds_99(precision)) {
      bad_format(", because a width or precision above 99 makes a file name longer than "
                 "the 255 bytes that common file systems allow");
    }

    const bool is_epoch = field.name == "epoch";
    if (field.conversion == 'd' && !is_epoch) {
      fail(concat("{", inside, "}, which formats ", field.name,
                  " as an integer, but log values are floats (Python raises \"Unknown format "
                  "code 'd' for object of type 'float'\"); use a float format such as {",
                  field.name, ":.4f}"));
    }
    const bool as_integer = is_epoch && (field.conversion == 'd' || field.conversion == '\0');
    if (as_integer && has_precision) {
      bad_format(", because an integer takes no precision");
    }
    field.flags_width = spec.substr(0, field.conversion == '\0' ? spec.size() : spec.size() - 1);
    return field;
  }

  /// True when a run of digits is a number above 99 (leading zeros are the zero-pad flag).
  static bool exceeds_99(const std::string& digits) {
    const std::size_t first = digits.find_first_not_of('0');
    return first != std::string::npos && digits.size() - first > 2;
  }

  template <typename Value>
  static std::string print(const Field& field, char conversion, Value value) {
    const std::string format =
        "%" + field.flags_width + (conversion == 'd' ? std::string("lld") : std::string(1, conversion));
    // %f of a large value prints up to 309 digits before the point, so the buffer is sized
    // by a first call instead of being fixed.
    const int length = std::snprintf(nullptr, 0, format.c_str(), value);
    if (length < 0) {
      throw ValueError(concat("ModelCheckpoint: cannot format ", value, " with \"", format, "\""));
    }
    std::string text(static_cast<std::size_t>(length) + 1, '\0');
    std::snprintf(&text[0], text.size(), format.c_str(), value);
    text.pop_back();
    return text;
  }

  std::string text_;
  std::vector<Part> parts_;
  std::string tail_;
};

}  // namespace detail
}  // namespace sinapse
