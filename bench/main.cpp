// sinapse_bench: times the workloads W1 to W4 on sinapse, on a hand-written Eigen loop and
// on libtorch, interleaved, and prints medians and the ratios of the performance targets.
// Run: ./build-bench/bench/sinapse_bench [--quick] (see --help and bench/README.md).

#include <cstdio>
#include <exception>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "check.hpp"
#include "harness.hpp"
#include "options.hpp"
#include "report.hpp"
#include "runners.hpp"
#include "scaling.hpp"
#include "system_info.hpp"
#include "workload_runs.hpp"
#include "workloads.hpp"

#ifndef SINAPSE_BENCH_CXX_FLAGS
#define SINAPSE_BENCH_CXX_FLAGS "unknown"
#endif
#ifndef SINAPSE_BENCH_NO_TORCH_REASON
#define SINAPSE_BENCH_NO_TORCH_REASON "not found when the benchmark was configured"
#endif

namespace sinapse_bench {
namespace {

std::string compiler_name() {
#if defined(__clang__)
  return std::string("clang++ ") + __clang_version__;
#elif defined(__GNUC__)
  return std::string("g++ ") + __VERSION__;
#else
  return "unknown compiler";
#endif
}

void print_environment(bool torch, bool flush_denormals) {
  std::printf("date:     %s\n", utc_now().c_str());
  std::printf("cpu:      %s, %u hardware threads\n", cpu_model().c_str(),
              std::thread::hardware_concurrency());
  std::printf("compiler: %s\n", compiler_name().c_str());
  std::printf("flags:    %s\n", SINAPSE_BENCH_CXX_FLAGS);
  std::printf("eigen:    %s, %s, products by %s\n", eigen_version().c_str(),
              Eigen::SimdInstructionSetsInUse(), gemm_backend().c_str());
  if (!eigen_threads_available()) {
    std::printf("threads:  none (configure with -DSINAPSE_USE_OPENMP=ON)\n");
  } else if (!eigen_products_threaded()) {
    std::printf("threads:  OpenMP, but EIGEN_DONT_PARALLELIZE keeps Eigen's own products, and so "
                "the Eigen loop, on 1 thread\n");
  } else {
    std::printf("threads:  OpenMP\n");
  }
  for (const std::string& library : loaded_blas_libraries()) {
    std::printf("blas:     %s\n", library.c_str());
  }
#if defined(SINAPSE_BENCH_HAVE_TORCH)
  if (torch) {
    std::string description = torch_backend::description();
    std::printf("libtorch: %s", description.c_str());
    if (description.empty() || description.back() != '\n') std::printf("\n");
  } else {
    std::printf("libtorch: skipped (--no-torch)\n");
  }
#else
  (void)torch;
  std::printf("libtorch: %s; its columns are skipped\n", SINAPSE_BENCH_NO_TORCH_REASON);
#endif
  std::printf("denormal: %s\n", flush_denormals
                                    ? "flushed to zero in every thread (FTZ and DAZ)"
                                    : "kept, the CPU's default mode (--keep-denormals)");
  std::printf("load:     %s (1, 5, 15 min)\n", load_average().c_str());
}

/// Runs the consistency check and prints it; returns true when it passes.
bool run_check(bool torch) {
  std::printf("\nCheck: 5 float64 training steps from the same weights on the same batches\n");
  bool passed = true;
  for (const Network& network : {w1_network(), w2_network()}) {
    const CheckResult result = check_network(network, 5, torch);
    std::printf("  %-18s Eigen loop vs sinapse: loss %.1e, weights %.1e", result.network.c_str(),
                result.loop_loss_difference, result.loop_weight_difference);
    if (result.torch_loss_difference >= 0.0) {
      std::printf("; libtorch vs sinapse: loss %.1e", result.torch_loss_difference);
    }
    const bool ok = check_passed(result);
    std::printf(" -> %s\n", ok ? "same math" : "MISMATCH, the timings below compare different work");
    passed = passed && ok;
  }
  std::printf("  (maximum relative loss difference and absolute weight difference; bounds %.0e, "
              "%.0e and %.0e. libtorch's Adam epsilon is rescaled here to match Keras's update)\n",
              kLoopLossTolerance, kLoopWeightTolerance, kTorchLossTolerance);
  return passed;
}

int run_benchmark(const Options& options) {
  bool torch = false;
#if defined(SINAPSE_BENCH_HAVE_TORCH)
  torch = options.torch;
#endif
  print_environment(torch, options.flush_denormals);

  PeakFigures peak;
  const double peak_seconds = options.quick ? 0.05 : 0.3;
  peak.measured_one_thread = measure_fma_peak(1, peak_seconds);
  peak.measured_two_threads = measure_fma_peak(2, peak_seconds);
  std::printf("fma peak: %.0f GFLOP/s on 1 thread, %.0f on 2 (float, measured); the targets use "
              "%.0f per core\n",
              peak.measured_one_thread, peak.measured_two_threads, peak.reference_per_core);
  const Index gemm_size = options.quick ? 1024 : 2048;
  const double gemm_one = measure_gemm(gemm_size, 1);
  const double gemm_two = eigen_products_threaded() ? measure_gemm(gemm_size, 2) : 0.0;
  std::printf("gemm:     %lld x %lld float product by %s: %.0f GFLOP/s on 1 thread, %s on 2 "
              "(best of 3)\n",
              static_cast<long long>(gemm_size), static_cast<long long>(gemm_size),
              gemm_backend().c_str(), gemm_one, format_or_dash("%.0f", gemm_two).c_str());

  const bool check_ok = !options.check || run_check(torch);

  RunPlan plan;
  plan.threads = options.threads;
  plan.eigen_threads = eigen_threads_available();
  plan.loop_threads = eigen_products_threaded();
  plan.torch = torch;
  plan.repetitions = options.effective_repetitions();
  if (!plan.eigen_threads) {
    std::printf("\nEigen runs on 1 thread in this build, so sinapse and the Eigen loop are timed "
                "at 1 thread only.\n");
  } else if (!plan.loop_threads) {
    std::printf("\nEigen's own products run on 1 thread in this build, so the Eigen loop is timed "
                "at 1 thread only.\n");
  }
  const TrainingSize small = options.quick ? TrainingSize{16, 1} : TrainingSize{128, 2};
  const TrainingSize wide = options.quick ? TrainingSize{2, 1} : TrainingSize{8, 1};
  const Index prediction_samples = 100000;
  std::printf("\nData per measurement: W1, W2 %lld steps of batch 32; W3 %lld steps of batch 256;"
              " W4 %lld samples in batches of 1024. %d repetitions.\n",
              static_cast<long long>(small.steps_per_epoch * small.epochs),
              static_cast<long long>(wide.steps_per_epoch * wide.epochs),
              static_cast<long long>(prediction_samples), plan.repetitions);

  std::fflush(stdout);

  std::vector<Group> groups;
  const Clock::time_point start = Clock::now();
  // Progress goes to stderr, so that stdout keeps only the report.
  const auto add = [&](Group group) {
    std::fprintf(stderr, "sinapse_bench: %s %s measured after %.0f s\n", group.workload.c_str(),
                 group.scalar.c_str(), seconds_since(start));
    groups.push_back(std::move(group));
  };
  const auto wanted = [&](const char* name) { return options.workloads.count(name) > 0; };
  if (wanted("W1")) {
    add(run_training<float>(w1_network(), small, plan));
    add(run_training<double>(w1_network(), small, plan));
  }
  if (wanted("W2")) {
    add(run_training<float>(w2_network(), small, plan));
    add(run_training<double>(w2_network(), small, plan));
  }
  if (wanted("W3")) add(run_training<float>(w3_network(), wide, plan));
  if (wanted("W4")) add(run_prediction(w1_network(), prediction_samples, 1024, plan));

  std::printf("\n");
  print_table(groups);
  print_targets(groups, peak);
  print_spread(groups);
  std::printf("\nload at the end: %s (1, 5, 15 min)\n", load_average().c_str());
  if (!check_ok) {
    std::printf("\nThe check failed: the implementations do not compute the same losses.\n");
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace sinapse_bench

int main(int argc, char** argv) {
  sinapse_bench::Options options;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string argument = argv[i];
      if (argument == "--help" || argument == "-h") {
        std::printf("%s", sinapse_bench::usage_text());
        return 0;
      }
    }
    options = sinapse_bench::parse_options(argc, argv);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "sinapse_bench: %s\n%s", error.what(), sinapse_bench::usage_text());
    return 2;
  }
  if (options.flush_denormals && !sinapse_bench::flush_denormals_to_zero()) {
    std::fprintf(stderr,
                 "sinapse_bench: cannot flush denormals to zero in this build; run it with "
                 "--keep-denormals\n");
    return 2;
  }
  try {
    if (!options.memory_child.empty()) return sinapse_bench::run_memory_child(options);
    if (options.scaling) return sinapse_bench::run_scaling(options, argv[0]);
    return sinapse_bench::run_benchmark(options);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "sinapse_bench: %s\n", error.what());
    return 1;
  }
}
