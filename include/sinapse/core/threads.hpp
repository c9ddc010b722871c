#pragma once

#if defined(_OPENMP)
#include <omp.h>
#endif

#if defined(EIGEN_USE_BLAS) && defined(__GNUC__)
// OpenBLAS's thread setter. It is declared weak, so a program linked to another BLAS
// library still links, and set_num_threads calls it only when it is present.
extern "C" void openblas_set_num_threads(int threads) __attribute__((weak));
#endif

namespace sinapse {

/// Sets the number of threads that training and inference use in the calling thread;
/// values below 1 count as 1. It sets OpenMP's count (as `omp_set_num_threads`), so the
/// environment variable OMP_NUM_THREADS gives the default.
///
/// Threads need OpenMP: configure with -DSINAPSE_USE_OPENMP=ON, which compiles with
/// OpenMP and defines EIGEN_DONT_PARALLELIZE. Without OpenMP this function does nothing
/// and `num_threads()` returns 1.
///
/// sinapse splits each large matrix product into blocks of output rows and columns of
/// fixed sizes and computes the blocks on several threads. The blocks do not depend on the
/// thread count, so a seed gives bit-identical weights and History with any number of
/// threads. Eigen's own threading stays off (EIGEN_DONT_PARALLELIZE), because Eigen
/// picks its blocking sizes from its thread count, which changes how the sums of a
/// product round. Products of small layers stay on the calling thread, where starting
/// threads would cost more than it saves.
///
/// With -DSINAPSE_USE_BLAS=ON (EIGEN_USE_BLAS), the BLAS library splits the products
/// instead, and this function also sets OpenBLAS's thread count when the program is
/// linked to OpenBLAS. Whether such results depend on the thread count is up to the
/// BLAS library: OpenBLAS 0.3.21 gave bit-identical products of the bench's W3 shapes
/// on 1 and 2 threads.
///
/// NOTE: a program compiled with -fopenmp but without EIGEN_DONT_PARALLELIZE lets Eigen
/// split the products that sinapse runs on one thread, so its results may change with
/// the thread count.
inline void set_num_threads(int threads) {
  const int count = threads < 1 ? 1 : threads;
#if defined(_OPENMP)
  omp_set_num_threads(count);
#endif
#if defined(EIGEN_USE_BLAS) && defined(__GNUC__)
  if (openblas_set_num_threads != nullptr) openblas_set_num_threads(count);
#endif
  (void)count;
}

/// Number of threads that training and inference use: OpenMP's count for the calling
/// thread (`omp_get_max_threads()`), or 1 without OpenMP.
inline int num_threads() {
#if defined(_OPENMP)
  return omp_get_max_threads();
#else
  return 1;
#endif
}

}  // namespace sinapse
