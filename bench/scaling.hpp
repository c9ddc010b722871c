#pragma once

// The scaling report: training throughput against batch size and layer width at each
// thread count, and fit's time and peak memory against the number of samples.

#include "options.hpp"

namespace sinapse_bench {

/// Prints the scaling report. `program` is argv[0], used only in messages.
int run_scaling(const Options& options, const char* program);

/// Runs a child process of the memory report. With "sinapse" it trains W1 in float for one
/// epoch on options.memory_samples samples, and with "idle" it does nothing. Then it prints
/// "seconds=S peak_kib=K": the fit's wall time and the process's peak resident set (VmHWM).
int run_memory_child(const Options& options);

}  // namespace sinapse_bench
