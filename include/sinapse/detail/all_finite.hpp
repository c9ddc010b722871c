#pragma once

#include <Eigen/Core>

namespace sinapse {
namespace detail {

/// True when every element of x is finite. Eigen's `allFinite()` runs a scalar loop;
/// this sums x * 0, which is 0 when every element is finite and NaN as soon as one is
/// NaN or inf, so the reduction vectorises. Like `allFinite()`, it relies on IEEE
/// arithmetic and does not work under -ffast-math.
template <typename Derived>
bool all_finite(const Eigen::DenseBase<Derived>& x) {
  using Scalar = typename Derived::Scalar;
  return (x.derived().array() * Scalar(0)).sum() == Scalar(0);
}

}  // namespace detail
}  // namespace sinapse
