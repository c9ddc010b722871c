#pragma once

#include <memory>
#include <string>

#include "sinapse/core/errors.hpp"
#include "sinapse/metrics/metric.hpp"

namespace sinapse {

/// Fraction of correct binary predictions, as Keras's BinaryAccuracy: a prediction
/// counts as 1 when y_pred > threshold (strictly) and matches when it equals y_true,
/// which is not thresholded (a label of 0.9 never matches). Each sample contributes
/// the mean over its outputs, and the result is the exact mean over samples.
template <typename Scalar>
class BinaryAccuracy : public Metric<Scalar> {
 public:
  /// @param name Name in logs; `compile` passes "accuracy" for the Keras string.
  /// @throws ValueError unless threshold is in [0, 1].
  explicit BinaryAccuracy(const std::string& name = "binary_accuracy", double threshold = 0.5)
      : name_(name), threshold_(threshold) {
    if (!(threshold >= 0.0 && threshold <= 1.0)) {
      throw ValueError(
          detail::concat("BinaryAccuracy: threshold must be in [0, 1], got ", threshold));
    }
  }

  std::string name() const override { return name_; }
  double threshold() const { return threshold_; }

  void reset() override {
    matches_ = 0.0;
    count_ = 0;
  }

  void update(const Matrix<Scalar>& y_true, const Matrix<Scalar>& y_pred) override {
    const Scalar threshold = static_cast<Scalar>(threshold_);
    for (Index i = 0; i < y_pred.rows(); ++i) {
      Index row_matches = 0;
      for (Index j = 0; j < y_pred.cols(); ++j) {
        const Scalar predicted = y_pred(i, j) > threshold ? Scalar(1) : Scalar(0);
        if (y_true(i, j) == predicted) ++row_matches;
      }
      matches_ += static_cast<double>(row_matches) / static_cast<double>(y_pred.cols());
    }
    count_ += y_pred.rows();
  }

  double result() const override {
    return count_ == 0 ? 0.0 : matches_ / static_cast<double>(count_);
  }

  std::unique_ptr<Metric<Scalar>> clone() const override {
    return std::make_unique<BinaryAccuracy>(*this);
  }

 private:
  std::string name_;
  double threshold_;
  double matches_ = 0.0;
  Index count_ = 0;
};

}  // namespace sinapse
