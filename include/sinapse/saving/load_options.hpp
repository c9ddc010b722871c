#pragma once

#include "sinapse/detail/option.hpp"

namespace sinapse {

/// Options of `load_model` and `Model::load_weights`.
class LoadOptions {
  /// Converts weights and optimizer state that were saved with the other Scalar type
  /// (float32 into a Model<double>, or float64 into a Model<float>). Off by default, so
  /// that a mismatch raises ValueError instead of silently widening or rounding.
  /// Converting float64 to float32 rounds each value and rejects values beyond float's range.
  SINAPSE_OPTION(bool, convert_dtype) = false;
};

}  // namespace sinapse
