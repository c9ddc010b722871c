// Seeded random test data drawn with sinapse's own generator, so every compiler and
// standard library produces the same matrices.
#pragma once

#include <cstdint>

#include <sinapse/core/random.hpp>
#include <sinapse/core/types.hpp>

namespace test_support {

/// Returns a (rows, cols) matrix uniform in [low, high), filled column by column from a
/// Generator seeded with `seed`. Values are drawn in double and rounded once to Scalar.
template <typename Scalar = double>
sinapse::Matrix<Scalar> random_matrix(sinapse::Index rows, sinapse::Index cols,
                                      std::uint64_t seed, double low = -1.0, double high = 1.0) {
  sinapse::Generator generator(seed);
  sinapse::Matrix<Scalar> result(rows, cols);
  for (sinapse::Index j = 0; j < cols; ++j) {
    for (sinapse::Index i = 0; i < rows; ++i) {
      result(i, j) = static_cast<Scalar>(low + (high - low) * generator.uniform());
    }
  }
  return result;
}

}  // namespace test_support
