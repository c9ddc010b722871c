// Matrix comparison for tests: reports shapes, the largest difference and where it is,
// instead of a bare "isApprox failed".
#pragma once

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>

#include <sinapse/core/types.hpp>

#include "support/catch.hpp"

namespace test_support {

/// Outcome of comparing two matrices elementwise.
struct MatrixComparison {
  bool equal_shape = false;
  bool close = false;
  std::string report;
};

/// Compares elementwise: |a - e| <= atol + rtol * |e| for every element.
template <typename DerivedA, typename DerivedB>
MatrixComparison compare_matrices(const Eigen::MatrixBase<DerivedA>& actual,
                                  const Eigen::MatrixBase<DerivedB>& expected, double rtol,
                                  double atol) {
  MatrixComparison result;
  std::ostringstream report;
  report << "actual (" << actual.rows() << ", " << actual.cols() << "), expected ("
         << expected.rows() << ", " << expected.cols() << ")";
  result.equal_shape = actual.rows() == expected.rows() && actual.cols() == expected.cols();
  if (!result.equal_shape) {
    result.report = report.str() + ": shapes differ";
    return result;
  }
  double worst_excess = -1.0;
  double worst_difference = 0.0;
  Eigen::Index worst_row = 0;
  Eigen::Index worst_col = 0;
  bool all_close = true;
  for (Eigen::Index j = 0; j < actual.cols(); ++j) {
    for (Eigen::Index i = 0; i < actual.rows(); ++i) {
      const double a = static_cast<double>(actual(i, j));
      const double e = static_cast<double>(expected(i, j));
      const double difference = std::abs(a - e);
      const double allowed = atol + rtol * std::abs(e);
      const double excess = std::isnan(difference) ? HUGE_VAL : difference - allowed;
      if (!(difference <= allowed)) all_close = false;
      if (excess > worst_excess) {
        worst_excess = excess;
        worst_difference = difference;
        worst_row = i;
        worst_col = j;
      }
    }
  }
  result.close = all_close;
  report.precision(10);
  if (actual.size() > 0) {
    report << "; max |difference| " << worst_difference << " at (" << worst_row << ", "
           << worst_col << "): actual " << static_cast<double>(actual(worst_row, worst_col))
           << ", expected " << static_cast<double>(expected(worst_row, worst_col));
  }
  report << " (rtol " << rtol << ", atol " << atol << ")";
  result.report = report.str();
  return result;
}

/// Builds a matrix from row-major data, the layout of the generated reference values.
template <typename Scalar>
sinapse::Matrix<Scalar> from_row_major(const double* data, int rows, int cols) {
  sinapse::Matrix<Scalar> result(rows, cols);
  for (int i = 0; i < rows; ++i) {
    for (int j = 0; j < cols; ++j) result(i, j) = static_cast<Scalar>(data[i * cols + j]);
  }
  return result;
}

}  // namespace test_support

/// Checks that two matrices have the same shape and agree within atol + rtol * |expected|.
#define CHECK_MATRIX_CLOSE(actual, expected, rtol, atol)                                   \
  do {                                                                                     \
    const auto sinapse_comparison_ =                                                       \
        test_support::compare_matrices((actual), (expected), (rtol), (atol));              \
    INFO(#actual " vs " #expected ": " << sinapse_comparison_.report);                     \
    CHECK(sinapse_comparison_.equal_shape);                                                \
    CHECK(sinapse_comparison_.close);                                                      \
  } while (false)

/// Loads reference array NAME from reference_values.hpp as a Matrix<Scalar>.
#define REFERENCE_MATRIX(Scalar, name)                                                       \
  test_support::from_row_major<Scalar>(sinapse_reference::name, sinapse_reference::name##_rows, \
                                       sinapse_reference::name##_cols)
