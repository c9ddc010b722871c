#pragma once

#include <memory>
#include <string>

#include "sinapse/core/errors.hpp"
#include "sinapse/core/types.hpp"
#include "sinapse/layers/layer.hpp"

namespace sinapse {

/// Base of every loss. A loss reduces (batch, outputs) predictions to one number with
/// Keras's "sum_over_batch_size" reduction: the mean over outputs of each sample, then
/// the mean over the samples of the batch.
template <typename Scalar>
class Loss {
 public:
  virtual ~Loss() = default;

  /// Keras name, such as "binary_crossentropy".
  virtual std::string name() const = 0;

  /// Returns the batch loss. When `gradient` is not null, also writes dLoss/dy_pred into
  /// it, shaped like y_pred. Both matrices are (batch, outputs).
  virtual Scalar compute(const Matrix<Scalar>& y_true, const Matrix<Scalar>& y_pred,
                         Matrix<Scalar>* gradient) const = 0;

  /// Throws ValueError for targets the loss cannot take; `where` names the caller and
  /// the argument, such as "fit: y". The default accepts every finite value.
  virtual void validate_targets(const Matrix<Scalar>&, const std::string&) const {}

  virtual Config get_config() const { return {{"name", name()}}; }

  virtual std::unique_ptr<Loss> clone() const = 0;
};

}  // namespace sinapse
