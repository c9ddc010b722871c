#pragma once

// The scaling report: training throughput against batch size and layer width at each
// thread count, and fit's time and peak memory against the number of samples.

#include "options.hpp"

namespace sinapse_bench {

/// Prints the scaling report. `program` is argv[0], used only in messages.
int run_scaling(const Options& options, const char* program);

/// Body of a child process of the memory report: trains W1 in float for one epoch on
/// options.memory_samples samples with sinapse ("sinapse") or does nothing ("idle"), then
/// prints "seconds=S peak_kib=K" with the fit's wall time and the process's peak resident
/// set size (VmHWM).
int run_memory_child(const Options& options);

}  // namespace sinapse_bench
