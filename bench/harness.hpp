#pragma once

// Timing harness: runs several candidates interleaved within each repetition and keeps
// every repetition's time, so results are medians and ratios are paired.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace sinapse_bench {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// Median of the values; for an even count, the mean of the two middle ones.
inline double median(std::vector<double> values) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const std::size_t middle = values.size() / 2;
  if (values.size() % 2 == 1) return values[middle];
  return 0.5 * (values[middle - 1] + values[middle]);
}

/// Pause before each timed run; see run_interleaved.
constexpr std::chrono::milliseconds settle_time{150};

/// One implementation at one thread count. `measure` runs the work once and returns
/// the time per unit (step or batch) in seconds.
struct Candidate {
  Candidate(std::string implementation_name, int thread_count, std::function<double()> work)
      : implementation(std::move(implementation_name)),
        threads(thread_count),
        measure(std::move(work)) {}

  std::string implementation;
  int threads = 1;
  std::function<double()> measure;
  std::vector<double> seconds;  // one value per repetition

  double median_seconds() const { return median(seconds); }
};

/// Runs every candidate once to warm up (first-step allocations, optimizer state, page
/// faults), then `repetitions` times, all candidates in each repetition. The starting
/// candidate rotates between repetitions, so none always runs right after the same one.
/// set_threads is called before each run.
///
/// Each run starts after a pause of settle_time, so that the worker threads of the
/// previous candidate stop spinning and sleep. OpenBLAS's pthreads, which Debian's
/// libtorch uses, spin for about 2^28 cycles after a product. Such a thread on the second
/// core made sinapse's 2-thread prediction 1.8 times slower in one run.
inline void run_interleaved(std::vector<Candidate>& candidates, int repetitions,
                            const std::function<void(int)>& set_threads) {
  for (Candidate& candidate : candidates) {
    set_threads(candidate.threads);
    candidate.measure();
  }
  const std::size_t count = candidates.size();
  for (int repetition = 0; repetition < repetitions; ++repetition) {
    for (std::size_t k = 0; k < count; ++k) {
      Candidate& candidate = candidates[(k + static_cast<std::size_t>(repetition)) % count];
      set_threads(candidate.threads);
      std::this_thread::sleep_for(settle_time);
      candidate.seconds.push_back(candidate.measure());
    }
  }
}

/// Median over repetitions of numerator / denominator, each pair from the same repetition.
/// Returns 0 when either candidate is missing or has no values.
inline double paired_ratio(const Candidate* numerator, const Candidate* denominator) {
  if (numerator == nullptr || denominator == nullptr) return 0.0;
  const std::size_t count = std::min(numerator->seconds.size(), denominator->seconds.size());
  if (count == 0) return 0.0;
  std::vector<double> ratios;
  for (std::size_t i = 0; i < count; ++i) {
    ratios.push_back(numerator->seconds[i] / denominator->seconds[i]);
  }
  return median(ratios);
}

/// Relative spread of a candidate's repetitions: (max - min) / median.
inline double relative_spread(const Candidate& candidate) {
  if (candidate.seconds.empty()) return 0.0;
  const auto range = std::minmax_element(candidate.seconds.begin(), candidate.seconds.end());
  return (*range.second - *range.first) / candidate.median_seconds();
}

/// Returns the candidate with this implementation and thread count, or null.
inline const Candidate* find_candidate(const std::vector<Candidate>& candidates,
                                       const std::string& implementation, int threads) {
  for (const Candidate& candidate : candidates) {
    if (candidate.implementation == implementation && candidate.threads == threads) {
      return &candidate;
    }
  }
  return nullptr;
}

/// Formats a value with printf's format, or "-" when the value is 0 (not measured).
inline std::string format_or_dash(const char* format, double value) {
  if (value == 0.0) return "-";
  char text[64];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

/// Formats a time in seconds as microseconds with three significant digits or more.
inline std::string format_microseconds(double seconds) {
  if (seconds == 0.0) return "-";
  const double microseconds = seconds * 1e6;
  if (microseconds >= 100.0) return format_or_dash("%.0f", microseconds);
  if (microseconds >= 10.0) return format_or_dash("%.1f", microseconds);
  return format_or_dash("%.2f", microseconds);
}

}  // namespace sinapse_bench
