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
    std::string spec = inside.substr(colon + 1);
    if (!spec.empty() && std::string("dfeg").find(spec.back()) != std::string::npos) {
      field.conversion = spec.back();
      spec.pop_back();
    }
    int dots = 0;
    for (char c : spec) {
      if (c == '.') ++dots;
      if ((c < '0' || c > '9') && c != '.') dots = 2;
    }
    // Widths past 2 digits would only pad the file name, and bound the printed length.
    const bool valid = dots <= 1 && spec.size() <= 5 && !(field.conversion == 'd' && dots == 1);
    if (!valid || spec == ".") {
      fail(concat("the format \"", inside.substr(colon + 1), "\" in {", inside,
                  "}; use forms such as {epoch:02d} or {val_loss:.4f}"));
    }
    field.flags_width = spec;
    return field;
  }

  template <typename Value>
  static std::string print(const Field& field, char conversion, Value value) {
    const std::string format =
        "%" + field.flags_width + (conversion == 'd' ? std::string("lld") : std::string(1, conversion));
    char buffer[512];
    std::snprintf(buffer, sizeof buffer, format.c_str(), value);
    return buffer;
  }

  std::string text_;
  std::vector<Part> parts_;
  std::string tail_;
};

}  // namespace detail
}  // namespace sinapse
