#pragma once

#include <cmath>
#include <string>

#include "sinapse/core/errors.hpp"
#include "sinapse/core/types.hpp"
#include "sinapse/detail/all_finite.hpp"

namespace sinapse {
namespace detail {

/// Throws ValueError naming the first NaN or inf in m, with its row and column. The rows
/// of m are rows first_row, first_row + 1, ... of the data the label names.
template <typename Scalar>
void check_finite(const char* caller, const std::string& label, const Matrix<Scalar>& m,
                  Index first_row = 0) {
  if (all_finite(m)) return;
  for (Index j = 0; j < m.cols(); ++j) {
    for (Index i = 0; i < m.rows(); ++i) {
      if (!std::isfinite(m(i, j))) {
        throw ValueError(concat(caller, ": ", label, " contains ", m(i, j), " at row ",
                                first_row + i, ", column ", j,
                                "; replace NaN and inf values in the data first"));
      }
    }
  }
}

/// Number of batches for `rows` samples: ceil(rows / batch_size), without the overflow
/// of (rows + batch_size - 1) for a batch size near the largest Index.
inline Index step_count(Index rows, Index batch_size) {
  return rows / batch_size + (rows % batch_size != 0 ? 1 : 0);
}

inline void check_batch_size(const char* caller, Index batch_size) {
  if (batch_size < 1) {
    throw ValueError(concat(caller, ": batch_size must be at least 1, got ", batch_size));
  }
}

inline void check_verbose(const char* caller, int verbose) {
  if (verbose < 0 || verbose > 2) {
    throw ValueError(concat(caller, ": verbose must be 0, 1 or 2, got ", verbose));
  }
}

}  // namespace detail
}  // namespace sinapse
