#pragma once

// Facts about the machine and the build that a benchmark table needs next to it.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <Eigen/Core>

#if defined(_OPENMP)
#include <omp.h>
#endif

#if defined(__SSE__) || defined(__AVX512F__) || defined(__FMA__)
#include <immintrin.h>
#endif

#include "harness.hpp"
#include "workloads.hpp"

// OpenBLAS's thread setter, declared weak so that the program also links without OpenBLAS.
extern "C" void openblas_set_num_threads(int threads) __attribute__((weak));

namespace sinapse_bench {

/// Returns the "model name" line of /proc/cpuinfo, or "unknown".
inline std::string cpu_model() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.compare(0, 10, "model name") == 0) {
      const std::size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "unknown";
}

/// Returns the three load averages of /proc/loadavg, as text.
inline std::string load_average() {
  std::ifstream file("/proc/loadavg");
  std::string one, five, fifteen;
  file >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

/// Paths of the shared libraries mapped into this process whose name contains "blas".
inline std::vector<std::string> loaded_blas_libraries() {
  std::ifstream maps("/proc/self/maps");
  std::set<std::string> paths;
  std::string line;
  while (std::getline(maps, line)) {
    const std::size_t slash = line.find('/');
    if (slash == std::string::npos) continue;
    const std::string path = line.substr(slash);
    const std::size_t name = path.rfind('/');
    if (path.find("blas", name) != std::string::npos) paths.insert(path);
  }
  return {paths.begin(), paths.end()};
}

/// Current UTC date and time, ISO 8601.
inline std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  return text;
}

inline std::string eigen_version() {
  return std::to_string(EIGEN_WORLD_VERSION) + "." + std::to_string(EIGEN_MAJOR_VERSION) + "." +
         std::to_string(EIGEN_MINOR_VERSION);
}

/// Returns the name of the library that computes Eigen's matrix products in this build.
inline std::string gemm_backend() {
#if defined(EIGEN_USE_BLAS)
  return "BLAS (EIGEN_USE_BLAS)";
#else
  return "Eigen's own GEMM";
#endif
}

/// True when the thread count can matter in this build: with OpenMP (Eigen's products, or
/// sinapse's own when it splits products itself) or with a BLAS, which has its own threads.
inline bool eigen_threads_available() {
#if defined(_OPENMP) || defined(EIGEN_USE_BLAS)
  return true;
#else
  return false;
#endif
}

/// True when Eigen's own products use several threads: built with OpenMP and without
/// EIGEN_DONT_PARALLELIZE (Eigen then defines EIGEN_HAS_OPENMP), or sent to a BLAS.
inline bool eigen_products_threaded() {
#if defined(EIGEN_HAS_OPENMP) || defined(EIGEN_USE_BLAS)
  return true;
#else
  return false;
#endif
}

/// Sets the thread count of Eigen's products and, when it is loaded, of OpenBLAS.
inline void set_eigen_threads(int threads) {
  Eigen::setNbThreads(threads);
#if defined(_OPENMP)
  omp_set_num_threads(threads);
#endif
  if (openblas_set_num_threads != nullptr) openblas_set_num_threads(threads);
}

/// Sets flush-to-zero and denormals-are-zero in this thread's MXCSR. Threads created later
/// inherit the mode. Returns false where the build has no SSE control register.
inline bool flush_denormals_to_zero() {
#if defined(__SSE__)
  _mm_setcsr(_mm_getcsr() | 0x8040);  // FTZ (bit 15) and DAZ (bit 6)
  return true;
#else
  return false;
#endif
}

/// Measures a float product of two size x size matrices with `threads` threads and returns
/// the best GFLOP/s of three runs, after one unmeasured run.
inline double measure_gemm(Eigen::Index size, int threads) {
  set_eigen_threads(threads);
  // Eigen's Random calls std::rand per value, which takes longer than the products.
  FastRandom random(1);
  Eigen::MatrixXf a(size, size);
  Eigen::MatrixXf b(size, size);
  for (Eigen::Index k = 0; k < a.size(); ++k) a.data()[k] = static_cast<float>(random.uniform());
  for (Eigen::Index k = 0; k < b.size(); ++k) b.data()[k] = static_cast<float>(random.uniform());
  Eigen::MatrixXf c(size, size);
  c.noalias() = a * b;
  double best = 0.0;
  for (int run = 0; run < 3; ++run) {
    const Clock::time_point start = Clock::now();
    c.noalias() = a * b;
    const double seconds = seconds_since(start);
    best = std::max(best, 2.0 * static_cast<double>(size * size) * static_cast<double>(size) /
                              seconds * 1e-9);
  }
  return c(0, 0) == c(0, 0) ? best : 0.0;  // reading c keeps the products
}

/// Measures the fused multiply-add peak in float GFLOP/s with `threads` threads, each
/// running independent FMA chains on the widest vectors the build allows. Returns 0 when
/// the build has no FMA instructions.
inline double measure_fma_peak(int threads, double seconds) {
#if defined(__AVX512F__) || defined(__FMA__)
  auto kernel = [seconds](double* gflops) {
#if defined(__AVX512F__)
    using Vector = __m512;
    const int lanes = 16;
    auto fma = [](Vector a, Vector b, Vector c) { return _mm512_fmadd_ps(a, b, c); };
    const Vector multiplier = _mm512_set1_ps(0.999999f);
    const Vector addend = _mm512_set1_ps(1e-7f);
    Vector chains[16];
    for (Vector& chain : chains) chain = _mm512_set1_ps(1.0f);
#else
    using Vector = __m256;
    const int lanes = 8;
    auto fma = [](Vector a, Vector b, Vector c) { return _mm256_fmadd_ps(a, b, c); };
    const Vector multiplier = _mm256_set1_ps(0.999999f);
    const Vector addend = _mm256_set1_ps(1e-7f);
    Vector chains[16];
    for (Vector& chain : chains) chain = _mm256_set1_ps(1.0f);
#endif
    // 16 independent chains hide the FMA latency on two FMA ports.
    const int inner = 4096;
    std::int64_t rounds = 0;
    const Clock::time_point start = Clock::now();
    double elapsed = 0.0;
    while (elapsed < seconds) {
      for (int i = 0; i < inner; ++i) {
        for (Vector& chain : chains) chain = fma(chain, multiplier, addend);
      }
      ++rounds;
      elapsed = seconds_since(start);
    }
    float sink = 0.0f;
    for (const Vector& chain : chains) {
      float values[16];
      std::memcpy(values, &chain, sizeof chain);
      sink += values[0];
    }
    // The sum keeps the chains alive; it is always positive.
    const double flops = 2.0 * lanes * 16.0 * inner * static_cast<double>(rounds);
    *gflops = sink > 0.0f ? flops / elapsed * 1e-9 : 0.0;
  };
  std::vector<double> results(static_cast<std::size_t>(threads), 0.0);
  std::vector<std::thread> workers;
  for (int t = 1; t < threads; ++t) workers.emplace_back(kernel, &results[t]);
  kernel(&results[0]);
  for (std::thread& worker : workers) worker.join();
  double total = 0.0;
  for (double value : results) total += value;
  return total;
#else
  (void)threads;
  (void)seconds;
  return 0.0;
#endif
}

}  // namespace sinapse_bench
