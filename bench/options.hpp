#pragma once

// Command-line options of sinapse_bench.

#include <cstdlib>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "workloads.hpp"

namespace sinapse_bench {

struct Options {
  bool quick = false;
  bool scaling = false;
  bool torch = true;
  bool check = true;
  bool flush_denormals = true;
  std::set<std::string> workloads{"W1", "W2", "W3", "W4"};
  std::vector<int> threads{1, 2};
  int repetitions = 0;  // 0: 11, or 3 with --quick
  // Internal: run one fit in a child process for the memory report.
  std::string memory_child;
  Index memory_samples = 0;

  int effective_repetitions() const {
    if (repetitions > 0) return repetitions;
    return quick ? 3 : 11;
  }
};

inline const char* usage_text() {
  return "usage: sinapse_bench [--quick] [--workloads W1,W2,W3,W4] [--threads 1,2] [--reps N]\n"
         "                     [--no-torch] [--no-check] [--keep-denormals] [--scaling]\n"
         "\n"
         "Times training and prediction on sinapse, on a hand-written Eigen loop and on\n"
         "libtorch (when built with it), interleaved, and prints medians and ratios.\n"
         "\n"
         "  --quick        small data sets and 3 repetitions: a smoke test of a few seconds\n"
         "  --workloads    comma-separated subset of W1 (dropout MLP), W2 (batch-norm MLP),\n"
         "                 W3 (wide MLP) and W4 (prediction); default all\n"
         "  --threads      comma-separated thread counts; default 1,2\n"
         "  --reps N       repetitions per measurement; default 11 (3 with --quick)\n"
         "  --no-torch     skip libtorch even when the program was built with it\n"
         "  --no-check     skip the check that the three implementations compute the same losses\n"
         "  --keep-denormals\n"
         "                 compute with denormal floats (the CPU's default mode); by default they\n"
         "                 are flushed to zero (FTZ and DAZ) in every thread, as TensorFlow does\n"
         "  --scaling      print the scaling report (batch size, width, data size) instead\n";
}

inline std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream stream(text);
  std::string part;
  while (std::getline(stream, part, ',')) {
    if (!part.empty()) parts.push_back(part);
  }
  return parts;
}

inline int parse_positive(const std::string& option, const std::string& text) {
  char* end = nullptr;
  const long value = std::strtol(text.c_str(), &end, 10);
  if (end == text.c_str() || *end != '\0' || value < 1 || value > 1024) {
    throw std::invalid_argument(option + " expects an integer from 1 to 1024, got \"" + text +
                                "\"");
  }
  return static_cast<int>(value);
}

/// Parses argv. Throws std::invalid_argument with a message naming the bad argument.
inline Options parse_options(int argc, char** argv) {
  Options options;
  auto value_of = [&](int& i, const std::string& option) -> std::string {
    if (i + 1 >= argc) throw std::invalid_argument(option + " expects a value");
    return argv[++i];
  };
  for (int i = 1; i < argc; ++i) {
    const std::string argument = argv[i];
    if (argument == "--quick") {
      options.quick = true;
    } else if (argument == "--scaling") {
      options.scaling = true;
    } else if (argument == "--no-torch") {
      options.torch = false;
    } else if (argument == "--no-check") {
      options.check = false;
    } else if (argument == "--keep-denormals") {
      options.flush_denormals = false;
    } else if (argument == "--reps") {
      options.repetitions = parse_positive(argument, value_of(i, argument));
    } else if (argument == "--workloads") {
      options.workloads.clear();
      for (const std::string& name : split_commas(value_of(i, argument))) {
        if (name != "W1" && name != "W2" && name != "W3" && name != "W4") {
          throw std::invalid_argument("--workloads: unknown workload \"" + name +
                                      "\"; expected W1, W2, W3 or W4");
        }
        options.workloads.insert(name);
      }
    } else if (argument == "--threads") {
      options.threads.clear();
      for (const std::string& count : split_commas(value_of(i, argument))) {
        options.threads.push_back(parse_positive(argument, count));
      }
    } else if (argument == "--memory-child") {
      // Followed by the implementation ("sinapse" or "idle") and the sample count.
      options.memory_child = value_of(i, argument);
      options.memory_samples = std::atol(value_of(i, argument).c_str());
    } else {
      throw std::invalid_argument("unknown argument \"" + argument + "\"");
    }
  }
  if (options.workloads.empty()) throw std::invalid_argument("--workloads: no workload given");
  if (options.threads.empty()) throw std::invalid_argument("--threads: no thread count given");
  return options;
}

}  // namespace sinapse_bench
