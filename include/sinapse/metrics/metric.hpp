#pragma once

#include <memory>
#include <string>

#include "sinapse/core/types.hpp"

namespace sinapse {

/// Base of every metric: a running value over the batches since the last reset.
template <typename Scalar>
class Metric {
 public:
  virtual ~Metric() = default;

  /// Name used in logs and History, such as "accuracy".
  virtual std::string name() const = 0;
  virtual void reset() = 0;
  /// Adds one batch; both matrices are (batch, outputs).
  virtual void update(const Matrix<Scalar>& y_true, const Matrix<Scalar>& y_pred) = 0;
  /// Value over every sample added since the last reset.
  virtual double result() const = 0;
  virtual std::unique_ptr<Metric> clone() const = 0;
};

}  // namespace sinapse
