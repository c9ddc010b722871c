#pragma once

#include <Eigen/Core>
#include <type_traits>

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

template <typename Scalar>
constexpr void check_scalar_type() {
  static_assert(std::is_same<Scalar, float>::value || std::is_same<Scalar, double>::value,
                "sinapse: Scalar must be float or double");
}

}  // namespace detail
}  // namespace sinapse
