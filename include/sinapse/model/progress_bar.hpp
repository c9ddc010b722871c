#pragma once

#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <ostream>
#include <string>

#include "sinapse/core/types.hpp"
#include "sinapse/detail/terminal.hpp"

namespace sinapse {

/// Metric values by name, sorted alphabetically as Keras sorts its logs
/// ("accuracy", "loss", "val_accuracy", "val_loss").
using Logs = std::map<std::string, double>;

namespace detail {

/// Formats a metric value as Keras's progress bar does: 4 decimals, or scientific
/// notation for magnitudes at or below 1e-3 (so 0 prints as 0.0000e+00).
inline std::string format_metric(double value, bool compare_absolute = true) {
  char buffer[64];
  const double magnitude = compare_absolute ? std::abs(value) : value;
  std::snprintf(buffer, sizeof buffer, magnitude > 1e-3 ? "%.4f" : "%.4e", value);
  return buffer;
}

/// Formats seconds per step as "2s/step", "3ms/step" or "15us/step".
inline std::string format_time_per_step(double seconds) {
  char buffer[64];
  if (seconds >= 1.0 || seconds == 0.0) {
    std::snprintf(buffer, sizeof buffer, "%.0fs/step", seconds);
  } else if (seconds >= 1e-3) {
    std::snprintf(buffer, sizeof buffer, "%.0fms/step", seconds * 1e3);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.0fus/step", seconds * 1e6);
  }
  return buffer;
}

/// Formats a remaining time as Keras's ETA: "12s", "3:05" or "1:02:03".
inline std::string format_eta(double seconds) {
  char buffer[64];
  const long total = static_cast<long>(seconds);
  if (seconds > 3600) {
    std::snprintf(buffer, sizeof buffer, "%ld:%02ld:%02ld", total / 3600, (total % 3600) / 60,
                  total % 60);
  } else if (seconds > 60) {
    std::snprintf(buffer, sizeof buffer, "%ld:%02ld", total / 60, total % 60);
  } else {
    std::snprintf(buffer, sizeof buffer, "%lds", total);
  }
  return buffer;
}

/// Keras-style progress line for one epoch of `fit`, one `evaluate` or one `predict`.
///
/// verbose 1 on a terminal rewrites one line in place with "\r", colouring the
/// 20-character bar, at most every 0.05 s. verbose 1 elsewhere (files, pipes, CI logs)
/// writes only the final line of each epoch, without "\r" or colour codes. verbose 2
/// writes one plain line at the end without a bar; verbose 0 writes nothing.
class ProgressBar {
 public:
  using Clock = std::chrono::steady_clock;

  ProgressBar(std::ostream& out, Index target, int verbose)
      : out_(out),
        target_(target),
        verbose_(verbose),
        terminal_(is_terminal(out)),
        start_(Clock::now()),
        last_write_(start_) {}

  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // An exception in the middle of an epoch leaves a terminal line without its end, and
  // the error message would continue it, so the line is closed here.
  ~ProgressBar() {
    if (line_open_) out_ << '\n' << std::flush;
  }

  /// Reports that `current` steps are done. `make_values` returns the running values so
  /// far and is called only when a line is written, so most steps build no Logs map.
  template <typename MakeValues>
  void update(Index current, MakeValues&& make_values) {
    const Clock::time_point now = Clock::now();
    if (current == 1) after_first_step_ = now;
    if (verbose_ != 1 || !terminal_) return;
    if (current < target_ && seconds(last_write_, now) < 0.05) return;
    last_write_ = now;
    write_line(current, make_values(), now, false);
  }

  /// Writes the final line of the epoch with its complete logs.
  void finish(const Logs& values) {
    if (verbose_ == 0) return;
    const Clock::time_point now = Clock::now();
    if (verbose_ == 2) {
      const double per_step = target_ > 0 ? seconds(start_, now) / static_cast<double>(target_) : 0;
      std::string line = std::to_string(target_) + "/" + std::to_string(target_) + " - " +
                         format_seconds(seconds(start_, now)) + " - " +
                         format_time_per_step(per_step);
      for (const auto& entry : values) {
        line += " - " + entry.first + ": " + format_metric(entry.second, false);
      }
      out_ << line << '\n' << std::flush;
      return;
    }
    write_line(target_, values, now, true);
  }

 private:
  static double seconds(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration<double>(to - from).count();
  }

  static std::string format_seconds(double value) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.0fs", value);
    return buffer;
  }

  double time_per_step(Index current, Clock::time_point now) const {
    // Keras leaves the first step out because it includes one-off setup costs.
    if (current > 1) return seconds(after_first_step_, now) / static_cast<double>(current - 1);
    return seconds(start_, now);
  }

  void write_line(Index current, const Logs& values, Clock::time_point now, bool final) {
    const std::string bold = terminal_ ? "\x1b[1m" : "";
    const std::string reset = terminal_ ? "\x1b[0m" : "";
    const int digits = static_cast<int>(std::to_string(target_).size());
    std::string counter = std::to_string(current);
    counter = std::string(digits > static_cast<int>(counter.size())
                              ? digits - static_cast<int>(counter.size())
                              : 0,
                          ' ') +
              counter;
    std::string line = bold + counter + "/" + std::to_string(target_) + reset + " ";
    const Index done = target_ > 0 ? 20 * current / target_ : 20;
    std::string bar_done;
    std::string bar_left;
    for (Index i = 0; i < 20; ++i) (i < done ? bar_done : bar_left) += "\u2501";
    if (terminal_) {
      if (done > 0) line += "\x1b[32m" + bar_done + "\x1b[0m";
      line += "\x1b[37m" + bar_left + "\x1b[0m";
    } else {
      line += bar_done + bar_left;
    }
    const double per_step = time_per_step(current, now);
    if (final) {
      line += " " + bold + format_seconds(seconds(start_, now)) + reset;
    } else {
      line += " " + bold + format_eta(per_step * static_cast<double>(target_ - current)) + reset;
    }
    line += " " + format_time_per_step(per_step);
    for (const auto& entry : values)
      line += " - " + entry.first + ": " + format_metric(entry.second);

    if (terminal_) {
      const std::size_t visible = line.size();
      std::string padding =
          visible < previous_width_ ? std::string(previous_width_ - visible, ' ') : std::string();
      previous_width_ = visible;
      out_ << '\r' << line << padding;
    } else {
      out_ << line;
    }
    if (final) out_ << '\n';
    line_open_ = terminal_ && !final;
    out_ << std::flush;
  }

  std::ostream& out_;
  Index target_;
  int verbose_;
  bool terminal_;
  Clock::time_point start_;
  Clock::time_point after_first_step_;
  Clock::time_point last_write_;
  std::size_t previous_width_ = 0;
  bool line_open_ = false;  // a terminal line was written but not ended
};

}  // namespace detail
}  // namespace sinapse
