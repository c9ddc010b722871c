#pragma once

#include <type_traits>

namespace sinapse {
namespace detail {

/// Matches a braced pair of integers such as {1, 2}. Eigen would otherwise take it as the
/// size of an uninitialised matrix, so functions that take data declare a deleted overload
/// with this parameter, which turns that mistake into a compile error.
struct IntegerPair {
  template <typename First, typename Second,
            typename = std::enable_if_t<std::is_integral<First>::value &&
                                        std::is_integral<Second>::value>>
  IntegerPair(First, Second) {}
};

}  // namespace detail
}  // namespace sinapse
