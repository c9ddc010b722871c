#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace sinapse {
namespace detail {

/// One layer row of `Model::summary`.
struct SummaryRow {
  std::string layer;  // "dense (Dense)"
  std::string shape;  // "(None, 64)"
  long long params = 0;
  std::string connected;  // "dense[0][0], dense_1[0][0]", only in the 4-column layout
};

/// Everything `Model::summary` prints, before layout.
struct SummaryData {
  std::string model_name;
  std::vector<SummaryRow> rows;
  /// False for sequential-like models, which get Keras's 3-column table.
  bool with_connections = false;
  long long trainable = 0;
  long long non_trainable = 0;
  std::size_t trainable_bytes = 0;
  std::size_t non_trainable_bytes = 0;
  /// Set once the optimizer has state (after the first training step).
  std::optional<long long> optimizer_params;
  std::size_t optimizer_bytes = 0;
};

/// Formats an integer with thousands separators: 5569 -> "5,569".
inline std::string with_thousands(long long value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  std::string result;
  const int length = static_cast<int>(digits.size());
  for (int i = 0; i < length; ++i) {
    if (i > 0 && (length - i) % 3 == 0) result += ',';
    result += digits[static_cast<std::size_t>(i)];
  }
  return value < 0 ? "-" + result : result;
}

/// Formats a byte count as Keras does: two decimals in the largest unit of B, KB, MB, GB,
/// TB, PB (powers of 1024) that keeps the value at or above 1. 1024 -> "1.00 KB".
inline std::string readable_bytes(double bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB", "PB"};
  char buffer[64];
  for (const char* unit : units) {
    if (bytes / 1024.0 < 1.0) {
      std::snprintf(buffer, sizeof buffer, "%.2f %s", bytes, unit);
      return buffer;
    }
    bytes /= 1024.0;
  }
  std::snprintf(buffer, sizeof buffer, "%.2f PB", bytes * 1024.0);
  return buffer;
}

/// Splits text into lines of at most `width` characters at spaces, breaking words that
/// are longer than a line, as the rich library wraps table cells.
inline std::vector<std::string> wrap_cell(const std::string& text, std::size_t width) {
  std::vector<std::string> lines;
  std::string current;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    std::string word = text.substr(start, end - start);
    start = end + 1;
    if (word.empty()) continue;
    if (!current.empty() && current.size() + 1 + word.size() <= width) {
      current += ' ' + word;
      continue;
    }
    if (!current.empty()) lines.push_back(current);
    current.clear();
    while (word.size() > width) {
      lines.push_back(word.substr(0, width));
      word = word.substr(width);
    }
    current = word;
  }
  if (!current.empty() || lines.empty()) lines.push_back(current);
  return lines;
}

/// Content widths of the table columns for a total line length, following Keras's
/// summary (column edges at fixed fractions of the line) and rich's way of shrinking
/// the columns to make room for borders and padding.
inline std::vector<std::size_t> summary_column_widths(int line_length, bool with_connections) {
  const std::vector<double> positions = with_connections ? std::vector<double>{0.3, 0.56, 0.74, 1.0}
                                                         : std::vector<double>{0.45, 0.80, 1.0};
  // Rich removes 3 * columns + 1 characters in equal shares, rounding half to even.
  const std::vector<int> reductions =
      with_connections ? std::vector<int>{3, 3, 4, 3} : std::vector<int>{3, 4, 3};
  std::vector<std::size_t> widths;
  int previous = 0;
  for (std::size_t i = 0; i < positions.size(); ++i) {
    const int edge = static_cast<int>(positions[i] * line_length);
    widths.push_back(static_cast<std::size_t>(std::max(1, edge - previous - reductions[i])));
    previous = edge;
  }
  return widths;
}

/// Renders the summary as Keras 3 prints it with rich's heavy-head box.
inline std::string render_summary(const SummaryData& data, int line_length) {
  const std::vector<std::size_t> widths = summary_column_widths(line_length, data.with_connections);
  const std::size_t columns = widths.size();
  const std::size_t param_column = 2;
  auto border = [&](const char* left, const char* fill, const char* middle, const char* right) {
    std::string line = left;
    for (std::size_t c = 0; c < columns; ++c) {
      for (std::size_t k = 0; k < widths[c] + 2; ++k) line += fill;
      line += c + 1 < columns ? middle : right;
    }
    return line + "\n";
  };
  auto row_lines = [&](const std::vector<std::string>& cells, const char* bar) {
    std::vector<std::vector<std::string>> wrapped;
    std::size_t height = 1;
    for (std::size_t c = 0; c < columns; ++c) {
      wrapped.push_back(wrap_cell(cells[c], widths[c]));
      height = std::max(height, wrapped.back().size());
    }
    std::string text;
    for (std::size_t line = 0; line < height; ++line) {
      text += bar;
      for (std::size_t c = 0; c < columns; ++c) {
        const std::string cell = line < wrapped[c].size() ? wrapped[c][line] : "";
        const std::string padding(widths[c] - std::min(widths[c], cell.size()), ' ');
        text += ' ';
        text += c == param_column ? padding + cell : cell + padding;
        text += ' ';
        text += bar;
      }
      text += '\n';
    }
    return text;
  };

  std::vector<std::string> header = {"Layer (type)", "Output Shape", "Param #"};
  if (data.with_connections) header.push_back("Connected to");

  std::string out = "Model: \"" + data.model_name + "\"\n";
  out += border("\u250f", "\u2501", "\u2533", "\u2513");
  out += row_lines(header, "\u2503");
  out += border("\u2521", "\u2501", "\u2547", "\u2529");
  for (std::size_t r = 0; r < data.rows.size(); ++r) {
    const SummaryRow& row = data.rows[r];
    std::vector<std::string> cells = {row.layer, row.shape, with_thousands(row.params)};
    if (data.with_connections) cells.push_back(row.connected);
    out += row_lines(cells, "\u2502");
    out += r + 1 < data.rows.size() ? border("\u251c", "\u2500", "\u253c", "\u2524")
                                    : border("\u2514", "\u2500", "\u2534", "\u2518");
  }
  const long long optimizer_params = data.optimizer_params.value_or(0);
  const long long total = data.trainable + data.non_trainable + optimizer_params;
  const double total_bytes =
      static_cast<double>(data.trainable_bytes + data.non_trainable_bytes +
                          (data.optimizer_params ? data.optimizer_bytes : 0));
  out += " Total params: " + with_thousands(total) + " (" + readable_bytes(total_bytes) + ")\n";
  out += " Trainable params: " + with_thousands(data.trainable) + " (" +
         readable_bytes(static_cast<double>(data.trainable_bytes)) + ")\n";
  out += " Non-trainable params: " + with_thousands(data.non_trainable) + " (" +
         readable_bytes(static_cast<double>(data.non_trainable_bytes)) + ")\n";
  if (data.optimizer_params) {
    out += " Optimizer params: " + with_thousands(optimizer_params) + " (" +
           readable_bytes(static_cast<double>(data.optimizer_bytes)) + ")\n";
  }
  return out;
}

}  // namespace detail
}  // namespace sinapse
