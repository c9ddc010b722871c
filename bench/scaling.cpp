#include "scaling.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <sinapse/sinapse.hpp>

#include "eigen_baseline.hpp"
#include "harness.hpp"
#include "runners.hpp"
#include "sinapse_workloads.hpp"
#include "system_info.hpp"
#include "workload_runs.hpp"
#include "workloads.hpp"

namespace sinapse_bench {
namespace {

/// Thread counts for Eigen-based implementations: all requested ones when Eigen can use
/// threads in this build, else 1.
std::vector<int> eigen_thread_counts(const Options& options) {
  if (eigen_threads_available()) return options.threads;
  return {1};
}

std::string format_rate(double samples_per_second) {
  return format_or_dash("%.3g", samples_per_second);
}

/// Adds fit and Eigen-loop candidates for `network` at every thread count (the loop only at 1
/// thread when Eigen's own products are not threaded in this build), each measuring
/// one epoch over `data` and returning seconds per sample. One model per implementation is
/// shared by the thread counts, because the thread count is a property of the process.
template <typename Scalar>
void add_training_candidates(const Network& network, const Dataset<Scalar>& data,
                             const Matrix<Scalar>& x_columns,
                             const Eigen::Matrix<Scalar, 1, Eigen::Dynamic>& y_columns,
                             const std::vector<int>& threads, std::vector<Candidate>& candidates) {
  const Index batch = network.batch_size;
  const double samples = static_cast<double>(data.x.rows());
  auto model =
      std::make_shared<sinapse::Model<Scalar>>(make_sinapse_model<Scalar>(network, kModelSeed));
  auto loop = std::make_shared<EigenBaseline<Scalar>>(network, kModelSeed);
  loop->set_keras_weights(model->get_weights());
  for (int count : threads) {
    if (count > 1 && !eigen_products_threaded()) continue;
    candidates.push_back({kEigenLoop, count, [loop, &x_columns, &y_columns, batch, samples] {
                            const Clock::time_point start = Clock::now();
                            loop->fit(x_columns, y_columns, batch, 1);
                            return seconds_since(start) / samples;
                          }});
  }
  for (int count : threads) {
    candidates.push_back({kSinapseFit, count, [model, &data, batch, samples] {
                            const Clock::time_point start = Clock::now();
                            model->fit(data.x, data.y,
                                       sinapse::FitOptions<Scalar>().batch_size(batch).verbose(0));
                            return seconds_since(start) / samples;
                          }});
  }
}

double rate_of(const std::vector<Candidate>& candidates, const std::string& implementation,
               int threads) {
  const Candidate* candidate = find_candidate(candidates, implementation, threads);
  if (candidate == nullptr || candidate->seconds.empty()) return 0.0;
  return 1.0 / candidate->median_seconds();
}

/// Samples per second of W1 (float) against the batch size.
void report_batch_sizes(const Options& options, bool torch) {
  const std::vector<Index> sizes =
      options.quick ? std::vector<Index>{1, 32, 1024}
                    : std::vector<Index>{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096};
  const std::vector<int> threads = eigen_thread_counts(options);
  const int repetitions = options.repetitions > 0 ? options.repetitions : (options.quick ? 1 : 3);
  std::printf("\nW1 (20-64-64-1, dropout 0.5, float) training throughput against batch size, "
              "samples per second (median of %d); \"2t/1t\" is sinapse's step time on 2 threads "
              "over 1 thread (above 1: threads make it slower)\n\n",
              repetitions);
  std::printf("| batch |");
  for (int count : threads) std::printf(" sinapse %dt |", count);
  std::printf(" 2t/1t |");
  for (int count : threads) std::printf(" Eigen loop %dt |", count);
  if (torch) {
    for (int count : options.threads) std::printf(" libtorch %dt |", count);
  }
  std::printf("\n|---|");
  const std::size_t columns = threads.size() * 2 + 1 + (torch ? options.threads.size() : 0);
  for (std::size_t i = 0; i < columns; ++i) std::printf("---|");
  std::printf("\n");

  for (const Index batch : sizes) {
    Network network = w1_network();
    network.batch_size = batch;
    const Index minimum = options.quick ? 1024 : 8192;
    const Index samples = std::max(batch * (options.quick ? 2 : 8), minimum);
    const Dataset<float> data = make_dataset<float>(samples, network.inputs, kDataSeed);
    const Matrix<float> x_columns = data.x.transpose();
    const Eigen::RowVectorXf y_columns = data.y.transpose();
    std::vector<Candidate> candidates;
    add_training_candidates<float>(network, data, x_columns, y_columns, threads, candidates);
#if defined(SINAPSE_BENCH_HAVE_TORCH)
    // libtorch's steps cost about 0.25 ms even when tiny, so it gets a smaller data set.
    const Index torch_samples = std::max(batch * (options.quick ? 2 : 8), Index(1024));
    const Dataset<float> torch_data = make_dataset<float>(torch_samples, network.inputs, kDataSeed);
    if (torch) {
      std::shared_ptr<TrainingRunner> trainer = torch_backend::make_trainer(
          network, torch_data, make_sinapse_model<float>(network, kModelSeed).get_weights());
      const double steps_per_sample = 1.0 / static_cast<double>(batch);
      for (int count : options.threads) {
        candidates.push_back({kLibtorch, count, [trainer, steps_per_sample] {
                                return trainer->seconds_per_step(1) * steps_per_sample;
                              }});
      }
    }
#endif
    run_interleaved(candidates, repetitions,
                    [torch](int count) { set_all_threads(count, torch); });
    std::printf("| %lld |", static_cast<long long>(batch));
    for (int count : threads) {
      std::printf(" %s |", format_rate(rate_of(candidates, kSinapseFit, count)).c_str());
    }
    const double slowdown = paired_ratio(find_candidate(candidates, kSinapseFit, 2),
                                         find_candidate(candidates, kSinapseFit, 1));
    std::printf(" %s |", format_or_dash("%.2f", slowdown).c_str());
    for (int count : threads) {
      std::printf(" %s |", format_rate(rate_of(candidates, kEigenLoop, count)).c_str());
    }
    if (torch) {
      for (int count : options.threads) {
        std::printf(" %s |", format_rate(rate_of(candidates, kLibtorch, count)).c_str());
      }
    }
    std::printf("\n");
    std::fflush(stdout);
  }
}

/// Samples per second and GFLOP/s of a W3-like network against the hidden width.
void report_widths(const Options& options) {
  const std::vector<Index> widths =
      options.quick ? std::vector<Index>{16, 256, 1024}
                    : std::vector<Index>{16, 32, 64, 128, 256, 512, 1024, 2048, 4096};
  const std::vector<int> threads = eigen_thread_counts(options);
  const int repetitions = options.repetitions > 0 ? options.repetitions : (options.quick ? 1 : 3);
  std::printf("\n256 -> Dense w relu -> Dropout 0.5 -> Dense w relu -> Dense 1 sigmoid (float, "
              "batch 256) against the width w: samples per second, and GFLOP/s of the matrix "
              "products (median of %d)\n\n",
              repetitions);
  std::printf("| width | FLOPs per step |");
  for (int count : threads) std::printf(" sinapse %dt | GFLOP/s |", count);
  for (int count : threads) std::printf(" Eigen loop %dt | GFLOP/s |", count);
  std::printf("\n|---|---|");
  for (std::size_t i = 0; i < threads.size() * 4; ++i) std::printf("---|");
  std::printf("\n");

  for (const Index width : widths) {
    const Network network{"width",
                          256,
                          {{width, Activation::relu, 0.5, false}, {width, Activation::relu, 0.0, false}},
                          256};
    const double flops = training_flops(network, network.batch_size);
    const double target = options.quick ? 2e8 : 2e9;
    const Index steps =
        std::clamp(static_cast<Index>(std::ceil(target / flops)), Index(options.quick ? 1 : 2),
                   Index(64));
    const Dataset<float> data = make_dataset<float>(steps * 256, network.inputs, kDataSeed);
    const Matrix<float> x_columns = data.x.transpose();
    const Eigen::RowVectorXf y_columns = data.y.transpose();
    std::vector<Candidate> candidates;
    add_training_candidates<float>(network, data, x_columns, y_columns, threads, candidates);
    run_interleaved(candidates, repetitions, [](int count) { set_all_threads(count, false); });
    std::printf("| %lld | %.3g |", static_cast<long long>(width), flops);
    for (const std::string& implementation : {kSinapseFit, kEigenLoop}) {
      for (int count : threads) {
        const double rate = rate_of(candidates, implementation, count);
        std::printf(" %s | %.1f |", format_rate(rate).c_str(), rate * flops / 256.0 * 1e-9);
      }
    }
    std::printf("\n");
    std::fflush(stdout);
  }
}

/// Path of this program, for starting child processes.
std::string own_path() {
  char path[4096];
  const ssize_t length = readlink("/proc/self/exe", path, sizeof path - 1);
  if (length <= 0) throw std::runtime_error("cannot read /proc/self/exe to start a child process");
  path[length] = '\0';
  return path;
}

struct ChildResult {
  double seconds = 0.0;
  double peak_mib = 0.0;
};

ChildResult run_child(const std::string& program, const std::string& implementation,
                      Index samples) {
  const std::string command =
      "'" + program + "' --memory-child " + implementation + " " + std::to_string(samples);
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot start " + command);
  char line[256] = {0};
  const bool read = std::fgets(line, sizeof line, pipe) != nullptr;
  const int status = pclose(pipe);
  double seconds = 0.0;
  long long peak_kib = 0;
  if (!read || status != 0 || std::sscanf(line, "seconds=%lf peak_kib=%lld", &seconds, &peak_kib) != 2) {
    throw std::runtime_error("the child process \"" + command + "\" failed (exit status " +
                             std::to_string(status) + ")");
  }
  return {seconds, static_cast<double>(peak_kib) / 1024.0};
}

/// fit's wall time per sample and peak memory against the number of samples, each size in
/// its own process so that peaks do not carry over.
void report_data_sizes(const Options& options) {
  const std::vector<Index> sizes = options.quick ? std::vector<Index>{10000, 100000}
                                                 : std::vector<Index>{10000, 100000, 1000000};
  const std::string program = own_path();
  const ChildResult idle = run_child(program, "idle", 0);
  std::printf("\nW1 (float, batch 32, 1 thread) fit for one epoch against the number of samples,"
              " each in a fresh process: peak resident memory (VmHWM) and time per sample. An idle"
              " process of this program peaks at %.1f MiB.\n\n",
              idle.peak_mib);
  std::printf("| samples | data (x and y) MiB | peak MiB | peak - idle - data MiB | us per sample |\n");
  std::printf("|---|---|---|---|---|\n");
  for (const Index samples : sizes) {
    const ChildResult result = run_child(program, "sinapse", samples);
    const double data_mib = static_cast<double>(samples) * 21.0 * sizeof(float) / 1048576.0;
    std::printf("| %lld | %.1f | %.1f | %.1f | %.2f |\n", static_cast<long long>(samples), data_mib,
                result.peak_mib, result.peak_mib - idle.peak_mib - data_mib,
                result.seconds / static_cast<double>(samples) * 1e6);
    std::fflush(stdout);
  }
}

/// VmHWM of /proc/self/status in KiB, or -1.
long long peak_resident_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.compare(0, 6, "VmHWM:") == 0) return std::atoll(line.c_str() + 6);
  }
  return -1;
}

}  // namespace

int run_memory_child(const Options& options) {
  set_eigen_threads(1);
  double seconds = 0.0;
  if (options.memory_child == "sinapse") {
    const Network network = w1_network();
    const Dataset<float> data =
        make_dataset<float>(options.memory_samples, network.inputs, kDataSeed);
    sinapse::Model<float> model = make_sinapse_model<float>(network, kModelSeed);
    const Clock::time_point start = Clock::now();
    model.fit(data.x, data.y, sinapse::FitOptions<float>().batch_size(32).verbose(0));
    seconds = seconds_since(start);
  } else if (options.memory_child != "idle") {
    std::fprintf(stderr, "--memory-child: unknown implementation \"%s\"; expected sinapse or idle\n",
                 options.memory_child.c_str());
    return 2;
  }
  std::printf("seconds=%.6f peak_kib=%lld\n", seconds, peak_resident_kib());
  return 0;
}

int run_scaling(const Options& options, const char* program) {
  bool torch = false;
#if defined(SINAPSE_BENCH_HAVE_TORCH)
  torch = options.torch;
#endif
  std::printf("%s --scaling: cpu %s, load %s, products by %s\n", program, cpu_model().c_str(),
              load_average().c_str(), gemm_backend().c_str());
  if (!eigen_threads_available()) {
    std::printf("Eigen runs on 1 thread in this build (configure with -DSINAPSE_USE_OPENMP=ON).\n");
  }
  report_batch_sizes(options, torch);
  report_widths(options);
  report_data_sizes(options);
  std::printf("\nload at the end: %s (1, 5, 15 min)\n", load_average().c_str());
  return 0;
}

}  // namespace sinapse_bench
