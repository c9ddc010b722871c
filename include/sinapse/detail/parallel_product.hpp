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
/// joining OpenMP threads costs a few microseconds, while 2^22 multiply-adds take about
/// 0.1 ms at the 80 GFLOP/s that Eigen reaches on one AVX-512 core (an estimate), so
/// threads pay off only above this.
constexpr double min_parallel_multiply_adds = 4194304.0;

/// Height of the row blocks for a product of `depth` terms whose column block is
/// `width` wide. Eigen packs at most (rows x depth) of the left operand and (depth x
/// width) of the right one. It puts a packing buffer of at most
/// EIGEN_STACK_ALLOCATION_LIMIT bytes on the stack and a larger one on the heap (Eigen
/// 3.4, GeneralMatrixMatrix.h). When the right operand's block
/// fits, the rows are split so that the left one fits too and the product allocates
/// nothing, as predict on 1024-sample batches needs. Otherwise the rows stay whole,
/// since splitting them would only pack the large right operand again for every block.
template <typename Scalar>
Index product_block_height(Index rows, Index depth, Index width) {
  const double limit = static_cast<double>(EIGEN_STACK_ALLOCATION_LIMIT);
  const double row_bytes = static_cast<double>(depth) * sizeof(Scalar);
  if (row_bytes * static_cast<double>(width) > limit) return std::max<Index>(rows, 1);
  return std::max<Index>(1, static_cast<Index>(limit / std::max(row_bytes, 1.0)));
}

/// Computes a (rows x columns) matrix product with `depth` terms per value in blocks:
/// calls compute_block(row, height, column, width) for the output block of rows [row,
/// row + height) and columns [column, column + width). Columns come in blocks of
/// product_block_width (the last one narrower), and rows as product_block_height
/// decides. The column blocks run on `num_threads()` threads when there are several and
/// the product has at least min_parallel_multiply_adds multiply-adds, so compute_block
/// must write only its own block. The blocks depend only on the shapes.
///
/// NOTE: an exception inside the parallel loop, such as std::bad_alloc from Eigen's
/// packing buffers when memory runs out, ends the program, because OpenMP does not let
/// exceptions leave a parallel region.
template <typename Scalar, typename ComputeBlock>
void for_each_product_block(Index rows, Index columns, Index depth,
                            const ComputeBlock& compute_block) {
  const Index column_blocks = (columns + product_block_width - 1) / product_block_width;
  const Index height = product_block_height<Scalar>(rows, depth, product_block_width);
  const auto run_column_block = [&](Index block) {
    const Index column = block * product_block_width;
    const Index width = std::min(product_block_width, columns - column);
    for (Index row = 0; row < rows; row += height) {
      compute_block(row, std::min(height, rows - row), column, width);
    }
  };
#if defined(_OPENMP)
  const double multiply_adds =
      static_cast<double>(rows) * static_cast<double>(columns) * static_cast<double>(depth);
  if (column_blocks > 1 && multiply_adds >= min_parallel_multiply_adds && num_threads() > 1) {
#pragma omp parallel for schedule(static)
    for (Index block = 0; block < column_blocks; ++block) run_column_block(block);
    return;
  }
#endif
  for (Index block = 0; block < column_blocks; ++block) run_column_block(block);
}

}  // namespace detail
}  // namespace sinapse
