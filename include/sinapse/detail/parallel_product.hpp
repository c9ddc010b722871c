#pragma once

#include <algorithm>
#include <cstddef>

#include "sinapse/core/threads.hpp"
#include "sinapse/core/types.hpp"

namespace sinapse {
namespace detail {

/// Width of the column blocks of a split product. It is fixed rather than derived from
/// the thread count, so that each output value sums in the same order on any number of
/// threads.
constexpr Index product_block_width = 256;

/// Multiply-adds below which a product stays on the calling thread. Starting and
/// joining OpenMP threads costs a few microseconds, while 2^20 multiply-adds take about
/// 28 us at the 75 GFLOP/s that Eigen's float GEMM reached on one core of a Zen 4 EPYC
/// (bench/sinapse_bench), so threads pay off above this. The products of a 64-unit
/// layer on a 32-sample batch have 2^17 and stay on one thread.
constexpr double min_parallel_multiply_adds = 1048576.0;

/// Maximum height of a row block. Prediction on 1024-sample batches of narrow layers
/// then has two row blocks, one per thread on two cores.
constexpr Index max_product_block_height = 512;

/// Height of the row blocks for a product of `depth` terms whose column block is
/// `width` wide. Eigen packs at most (rows x depth) of the left operand and (depth x
/// width) of the right one. It puts a packing buffer of at most
/// EIGEN_STACK_ALLOCATION_LIMIT bytes on the stack and a larger one on the heap (Eigen
/// 3.4, GeneralMatrixMatrix.h). When the right operand's block fits, the rows are split
/// so that the left one fits too and the product allocates nothing, as predict on
/// 1024-sample batches needs. Otherwise the rows stay whole, since splitting them would
/// only pack the large right operand again for every block.
template <typename Scalar>
Index product_block_height(Index rows, Index depth, Index width) {
  const double limit = static_cast<double>(EIGEN_STACK_ALLOCATION_LIMIT);
  const double row_bytes = static_cast<double>(depth) * sizeof(Scalar);
  if (row_bytes * static_cast<double>(width) > limit) return std::max<Index>(rows, 1);
  const Index fitting_rows = static_cast<Index>(limit / std::max(row_bytes, 1.0));
  return std::clamp<Index>(fitting_rows, 1, max_product_block_height);
}

/// Computes a (rows x columns) matrix product with `depth` terms per value in blocks:
/// calls compute_block(row, height, column, width) for the output block of rows [row,
/// row + height) and columns [column, column + width). Columns come in blocks of
/// product_block_width (the last one narrower), and rows as product_block_height
/// decides. The blocks run on `num_threads()` threads when there are several and the
/// product has at least min_parallel_multiply_adds multiply-adds, so compute_block must
/// write only its own block. The blocks depend only on the shapes, and Eigen splits the
/// depth of a block by the depth alone, so each value sums in the same order on any
/// number of threads.
///
/// With EIGEN_USE_BLAS the product is one block: the BLAS library splits it across its
/// own threads, and splitting it here as well would start two sets of threads on the
/// same cores.
///
/// NOTE: an exception inside the parallel loop, such as std::bad_alloc from Eigen's
/// packing buffers when memory runs out, ends the program, because OpenMP does not let
/// exceptions leave a parallel region.
template <typename Scalar, typename ComputeBlock>
void for_each_product_block(Index rows, Index columns, Index depth,
                            const ComputeBlock& compute_block) {
#if defined(EIGEN_USE_BLAS)
  (void)depth;
  compute_block(0, rows, 0, columns);
#else
  const Index column_blocks = (columns + product_block_width - 1) / product_block_width;
  const Index height = product_block_height<Scalar>(rows, depth, product_block_width);
  const Index row_blocks = (rows + height - 1) / height;
  const auto run_block = [&](Index block) {
    const Index column = (block / row_blocks) * product_block_width;
    const Index row = (block % row_blocks) * height;
    compute_block(row, std::min(height, rows - row), column,
                  std::min(product_block_width, columns - column));
  };
  const Index blocks = column_blocks * row_blocks;
#if defined(_OPENMP)
  const double multiply_adds =
      static_cast<double>(rows) * static_cast<double>(columns) * static_cast<double>(depth);
  if (blocks > 1 && multiply_adds >= min_parallel_multiply_adds && num_threads() > 1) {
#pragma omp parallel for schedule(static)
    for (Index block = 0; block < blocks; ++block) run_block(block);
    return;
  }
#endif
  for (Index block = 0; block < blocks; ++block) run_block(block);
#endif
}

}  // namespace detail
}  // namespace sinapse
