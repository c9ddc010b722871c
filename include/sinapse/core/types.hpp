#pragma once

#include <limits>
#include <type_traits>

#include <Eigen/Core>

namespace sinapse {

/// Index type for sizes and positions, the same as Eigen's.
using Index = Eigen::Index;

/// Dense column-major matrix. Data passed to `fit`, `evaluate` and `predict` is
/// (samples, features): one sample per row, as in Keras and in CSV files.
template <typename Scalar>
using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;

/// Dense column vector. Rank-1 weights (bias, gamma, beta, moving statistics) are
/// stored as (n, 1) matrices so that `get_weights` can return one type.
template <typename Scalar>
using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;

/// Read-only view of any Eigen matrix expression with dynamic size.
template <typename Scalar>
using MatrixRef = Eigen::Ref<const Matrix<Scalar>>;

namespace detail {

/// Name of the Scalar type for messages: "float" or "double".
template <typename Scalar>
constexpr const char* scalar_name() {
  return std::is_same<Scalar, float>::value ? "float" : "double";
}

/// True when value is positive and finite both as a double and rounded to Scalar. The
/// range check comes first, because converting an out-of-range double to float is
/// undefined behaviour.
template <typename Scalar>
bool is_positive_in(double value) {
  if (!(value > 0.0 && value <= static_cast<double>(std::numeric_limits<Scalar>::max()))) {
    return false;
  }
  return static_cast<Scalar>(value) > Scalar(0);
}

template <typename Scalar>
constexpr void check_scalar_type() {
  static_assert(std::is_same<Scalar, float>::value || std::is_same<Scalar, double>::value,
                "sinapse: Scalar must be float or double");
}

}  // namespace detail
}  // namespace sinapse
