#pragma once

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <istream>
#include <limits>
#include <set>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "sinapse/core/errors.hpp"
#include "sinapse/core/types.hpp"

namespace sinapse {

/// A numeric table read by `read_csv`: the column names from the header line and one row
/// of values per data line, in file order.
template <typename Scalar>
struct CsvTable {
  /// Path of the file, or the name passed to `read_csv` with a stream; used in messages.
  std::string source;
  /// Names from the header line, one per column.
  std::vector<std::string> column_names;
  /// Cell values, (samples, columns).
  Matrix<Scalar> values;
  /// Line number in the source (the first line is 1) of each row of `values`, so later
  /// checks can point at the line to fix.
  std::vector<long long> line_numbers;
};

/// Features and labels taken apart by `split_features_labels`.
template <typename Scalar>
struct FeaturesAndLabels {
  /// Every column but the last, (samples, columns - 1).
  Matrix<Scalar> features;
  /// The last column, (samples, 1).
  Matrix<Scalar> labels;
  std::vector<std::string> feature_names;
  std::string label_name;
};

namespace detail {

/// Returns the text without leading and trailing spaces and tabs.
inline std::string trim_blanks(const std::string& text) {
  const std::size_t first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  const std::size_t last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

/// Returns "<source> line <n>" for messages.
inline std::string csv_line_label(const std::string& source, long long line_number) {
  return concat("\"", source, "\" line ", line_number);
}

/// Splits one CSV line at its commas and trims each field. A field may be enclosed in
/// double quotes, which may contain commas, and "" inside quotes is one quote character.
/// NOTE: a quoted field cannot span lines; every line is parsed on its own.
/// @throws ValueError for a quote that is opened but not closed.
inline std::vector<std::string> split_csv_line(const std::string& line, const std::string& source,
                                               long long line_number) {
  std::vector<std::string> fields;
  std::string field;
  bool in_quotes = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (in_quotes) {
      if (c != '"') {
        field += c;
      } else if (i + 1 < line.size() && line[i + 1] == '"') {
        field += '"';
        ++i;
      } else {
        in_quotes = false;
      }
    } else if (c == '"') {
      in_quotes = true;
    } else if (c == ',') {
      fields.push_back(trim_blanks(field));
      field.clear();
    } else {
      field += c;
    }
  }
  if (in_quotes) {
    throw ValueError(concat("read_csv: ", csv_line_label(source, line_number),
                            " has a double quote that is never closed; quoted fields must "
                            "end on the line where they start"));
  }
  fields.push_back(trim_blanks(field));
  return fields;
}

/// Returns text with control characters written as \xNN, so a message that quotes a
/// cell shows an embedded NUL instead of ending there.
inline std::string printable(const std::string& text) {
  std::string result;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      const char* digits = "0123456789abcdef";
      result += "\\x";
      result += digits[byte >> 4];
      result += digits[byte & 0xf];
    } else {
      result += c;
    }
  }
  return result;
}

/// Parses a whole cell as a number, or returns false. A number beyond double's range
/// becomes an infinity with `overflow` set.
/// NOTE: std::strtod reads the decimal point of the C locale, which is "." unless the
/// program calls std::setlocale.
inline bool parse_csv_number(const std::string& text, double& value, bool& overflow) {
  if (text.empty()) return false;
  const char* begin = text.c_str();
  char* end = nullptr;
  errno = 0;
  value = std::strtod(begin, &end);
  overflow = errno == ERANGE && std::isinf(value);
  // The whole text must be consumed, including any characters after an embedded NUL.
  return end != begin && end == begin + text.size();
}

/// Converts one data cell to Scalar.
/// @throws ValueError naming the line and column for an empty, non-numeric or
/// non-finite cell, or one outside Scalar's range.
template <typename Scalar>
Scalar parse_csv_cell(const std::string& text, const std::string& source, long long line_number,
                      std::size_t column, const std::string& column_name) {
  const std::string location = concat("read_csv: ", csv_line_label(source, line_number),
                                      ", column ", column + 1, " (\"", column_name, "\")");
  if (text.empty()) {
    throw ValueError(concat(location, " is empty; every data cell must contain a number"));
  }
  double value = 0.0;
  bool overflow = false;
  if (!parse_csv_number(text, value, overflow)) {
    throw ValueError(concat(location, ": \"", printable(text), "\" is not a number"));
  }
  if (!std::isfinite(value) && !overflow) {
    throw ValueError(concat(location, ": \"", text,
                            "\" is not finite; replace NaN and infinite values in the file"));
  }
  // The range check comes before the cast, because converting a double beyond float's
  // range to float is undefined behaviour. Values up to half a unit in the last place
  // above the largest float (such as 3.4028235e38) still round to it.
  const double largest = static_cast<double>(std::numeric_limits<Scalar>::max());
  const double rounding_margin = std::is_same<Scalar, float>::value ? std::ldexp(1.0, 103) : 0.0;
  if (overflow || std::abs(value) >= largest + rounding_margin ||
      (rounding_margin == 0.0 && std::abs(value) > largest)) {
    throw ValueError(concat(location, ": \"", text, "\" is outside the range of ",
                            sizeof(Scalar) == sizeof(float) ? "float" : "double"));
  }
  return static_cast<Scalar>(value);
}

/// Checks the header's column names: none empty, none repeated, and not all numbers.
inline void check_csv_header(const std::vector<std::string>& names, const std::string& source,
                             long long line_number) {
  const std::string where = concat("read_csv: ", csv_line_label(source, line_number));
  std::set<std::string> seen;
  bool all_numbers = true;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i].empty()) {
      throw ValueError(concat(where, ", column ", i + 1,
                              ": the header has an empty column name; name every column"));
    }
    if (!seen.insert(names[i]).second) {
      throw ValueError(concat(where, ", column ", i + 1, ": the column name \"", names[i],
                              "\" appears twice in the header; column names must be unique"));
    }
    double ignored_value = 0.0;
    bool ignored_overflow = false;
    if (!parse_csv_number(names[i], ignored_value, ignored_overflow)) all_numbers = false;
  }
  // A file without a header would otherwise lose its first sample to the column names.
  if (all_numbers) {
    throw ValueError(concat(where,
                            ": every header field is a number, so the file seems to "
                            "have no header line; add one with the column names"));
  }
}

/// Reads one line ended by "\n", "\r\n" or a lone "\r" (old Mac files), without the
/// ending. Returns false at the end of the stream when nothing was read.
inline bool read_csv_line(std::istream& input, std::string& line) {
  line.clear();
  std::istream::int_type c = input.get();
  if (c == std::istream::traits_type::eof()) return false;
  while (c != std::istream::traits_type::eof() && c != '\n' && c != '\r') {
    line += static_cast<char>(c);
    c = input.get();
  }
  if (c == '\r' && input.peek() == '\n') input.get();
  return true;
}

}  // namespace detail

/// Reads a CSV table with a header line of column names followed by numeric data lines,
/// from a stream. `source` names the stream in error messages.
///
/// Fields are separated by commas and trimmed of spaces and tabs. Blank lines are skipped,
/// and so is a UTF-8 byte order mark. Lines may end in "\n", "\r\n" or "\r". Line and
/// column numbers in messages start at 1.
/// @throws ValueError for an empty stream, a header without data lines, or empty or
/// repeated column names. It also rejects a line whose number of fields differs from the
/// header's, and a cell that is empty, not a number, not finite or outside Scalar's range.
/// @throws Error if reading the stream fails.
template <typename Scalar>
CsvTable<Scalar> read_csv(std::istream& input, const std::string& source) {
  detail::check_scalar_type<Scalar>();
  CsvTable<Scalar> table;
  table.source = source;
  std::vector<Scalar> cells;  // row-major, (samples, columns)
  std::string line;
  long long line_number = 0;
  bool have_header = false;
  while (detail::read_csv_line(input, line)) {
    ++line_number;
    if (line_number == 1 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);
    if (detail::trim_blanks(line).empty()) continue;

    std::vector<std::string> fields = detail::split_csv_line(line, source, line_number);
    if (!have_header) {
      detail::check_csv_header(fields, source, line_number);
      table.column_names = std::move(fields);
      have_header = true;
      continue;
    }
    if (fields.size() != table.column_names.size()) {
      throw ValueError(detail::concat(
          "read_csv: ", detail::csv_line_label(source, line_number), " has ", fields.size(),
          " fields, expected ", table.column_names.size(), " (one per column name in the header)"));
    }
    for (std::size_t column = 0; column < fields.size(); ++column) {
      cells.push_back(detail::parse_csv_cell<Scalar>(fields[column], source, line_number, column,
                                                     table.column_names[column]));
    }
    table.line_numbers.push_back(line_number);
  }
  if (input.bad()) {
    throw Error(
        detail::concat("read_csv: reading \"", source, "\" failed after line ", line_number));
  }
  if (!have_header) {
    throw ValueError(detail::concat("read_csv: \"", source,
                                    "\" is empty; expected a header line with column names "
                                    "followed by data lines"));
  }
  if (table.line_numbers.empty()) {
    throw ValueError(
        detail::concat("read_csv: \"", source, "\" has a header line but no data lines"));
  }

  const Index rows = static_cast<Index>(table.line_numbers.size());
  const Index columns = static_cast<Index>(table.column_names.size());
  using RowMajor = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  table.values = Eigen::Map<const RowMajor>(cells.data(), rows, columns);
  return table;
}

/// Reads a CSV file with a header line of column names followed by numeric data lines,
/// as `pandas.read_csv(path)` does for such a file. See the stream overload for the format.
/// @throws Error if the file does not exist, is a directory or cannot be read.
/// @throws ValueError for the format errors listed for the stream overload; the message
/// names the file, the line and the column.
template <typename Scalar>
CsvTable<Scalar> read_csv(const std::string& path) {
  std::error_code status;
  if (!std::filesystem::exists(path, status)) {
    throw Error(detail::concat("read_csv: file \"", path, "\" not found"));
  }
  if (std::filesystem::is_directory(path, status)) {
    throw Error(detail::concat("read_csv: \"", path, "\" is a directory, expected a CSV file"));
  }
  std::ifstream file(path);
  if (!file) {
    throw Error(detail::concat("read_csv: file \"", path,
                               "\" exists but could not be opened; check its read permission"));
  }
  return read_csv<Scalar>(file, path);
}

/// Takes the last column of a table as the labels and the other columns as features, as
/// `x, y = data[:, :-1], data[:, -1:]` does.
/// @throws ValueError if the table has fewer than two columns.
template <typename Scalar>
FeaturesAndLabels<Scalar> split_features_labels(const CsvTable<Scalar>& table) {
  const Index columns = table.values.cols();
  if (columns < 2) {
    throw ValueError(detail::concat("split_features_labels: \"", table.source, "\" has ", columns,
                                    " column(s); expected at least one feature column followed "
                                    "by the label column"));
  }
  FeaturesAndLabels<Scalar> result;
  result.features = table.values.leftCols(columns - 1);
  result.labels = table.values.rightCols(1);
  result.feature_names.assign(table.column_names.begin(), table.column_names.end() - 1);
  result.label_name = table.column_names.back();
  return result;
}

/// Checks that every value in the last column of a table, the label column for
/// `split_features_labels`, is 0 or 1, as binary_crossentropy with a 0.5 threshold expects,
/// and that both classes occur.
/// @throws ValueError naming the line of the first other value, or the missing class.
template <typename Scalar>
void check_binary_labels(const CsvTable<Scalar>& table) {
  const Index columns = table.values.cols();
  if (columns < 1) {
    throw ValueError(detail::concat("check_binary_labels: \"", table.source, "\" has no columns"));
  }
  const bool have_lines =
      table.line_numbers.size() == static_cast<std::size_t>(table.values.rows());
  for (Index row = 0; row < table.values.rows(); ++row) {
    const Scalar label = table.values(row, columns - 1);
    if (label == Scalar(0) || label == Scalar(1)) continue;
    const std::string place = have_lines
                                  ? detail::csv_line_label(table.source, table.line_numbers[row])
                                  : detail::concat("\"", table.source, "\" row ", row);
    const std::string name = table.column_names.empty() ? "" : table.column_names.back();
    throw ValueError(detail::concat("check_binary_labels: ", place, ", label column \"", name,
                                    "\" contains ", label,
                                    "; expected 0 or 1 for binary classification"));
  }
  const Index ones = (table.values.col(columns - 1).array() == Scalar(1)).count();
  if (ones == 0 || ones == table.values.rows()) {
    throw ValueError(detail::concat("check_binary_labels: every label in \"", table.source,
                                    "\" is ", ones == 0 ? 0 : 1,
                                    "; a binary classifier needs samples of both classes"));
  }
}

}  // namespace sinapse
