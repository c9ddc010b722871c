#pragma once

#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "sinapse/core/errors.hpp"
#include "sinapse/core/types.hpp"
#include "sinapse/detail/integer_pair.hpp"

namespace sinapse {

/// Standardises each feature column to mean 0 and standard deviation 1, as
/// scikit-learn's StandardScaler: z = (x - mean) / scale.
///
/// `fit` takes the mean and the population standard deviation (divided by n, not n - 1)
/// of each column. Fit it on the training rows only, then transform the training and the
/// test rows with the same statistics, so that nothing of the test rows leaks into
/// training. A column whose values are all equal gets its value as the mean and scale 1,
/// so it transforms to 0 instead of being divided by zero. A column whose deviations are
/// too small for their squares to be represented (variance 0 in double) also gets scale 1.
///
/// Shapes: x (samples, features); mean and scale (features).
template <typename Scalar>
class StandardScaler {
 public:
  using MatrixType = Matrix<Scalar>;
  using VectorType = Vector<Scalar>;

  StandardScaler() { detail::check_scalar_type<Scalar>(); }

  /// Computes the mean and scale of each column of x, replacing those of an earlier fit.
  /// The sums run in double, also for float data. Nothing changes when it throws.
  /// @throws ValueError if x has no rows or no columns, or contains NaN or inf.
  StandardScaler& fit(const MatrixType& x) {
    if (x.rows() == 0 || x.cols() == 0) {
      throw ValueError(detail::concat("StandardScaler::fit: x has shape ",
                                      detail::shape_string(x.rows(), x.cols()),
                                      "; pass at least one sample and one feature"));
    }
    check_finite("StandardScaler::fit", x);
    const Index features = x.cols();
    const double samples = static_cast<double>(x.rows());
    Eigen::VectorXd mean(features);
    Eigen::VectorXd scale(features);
    for (Index j = 0; j < features; ++j) {
      const Eigen::VectorXd column = x.col(j).template cast<double>();
      if ((column.array() == column(0)).all()) {
        mean(j) = column(0);
        scale(j) = 1.0;
        continue;
      }
      // Dividing by the largest magnitude first keeps the sums finite for values near
      // the largest double; the statistics are scaled back afterwards.
      const double magnitude = column.cwiseAbs().maxCoeff();
      const Eigen::VectorXd unit = column / magnitude;
      const double unit_mean = unit.sum() / samples;
      const double unit_variance = (unit.array() - unit_mean).square().sum() / samples;
      mean(j) = unit_mean * magnitude;
      scale(j) = unit_variance > 0.0 ? std::sqrt(unit_variance) * magnitude : 1.0;
    }
    mean_ = std::move(mean);
    scale_ = std::move(scale);
    return *this;
  }

  /// Returns (x - mean) / scale, column by column, with the statistics from `fit`.
  /// @throws StateError before `fit`; ShapeError if x has another number of columns than
  /// the fitted data; ValueError if x contains NaN or inf.
  MatrixType transform(const MatrixType& x) const {
    if (!fitted()) {
      throw StateError(
          "StandardScaler::transform: the scaler is not fitted; call fit(x_train) first");
    }
    if (x.cols() != mean_.size()) {
      throw ShapeError(detail::concat(
          "StandardScaler::transform: x has shape ", detail::shape_string(x.rows(), x.cols()),
          ", expected (samples, ", mean_.size(), ") as in the data passed to fit"));
    }
    check_finite("StandardScaler::transform", x);
    // x / scale - mean / scale in double: no intermediate overflows for data like the
    // fitted data, and a float scale that would round to 0 never divides.
    const Eigen::MatrixXd scaled =
        (x.template cast<double>().array().rowwise() / scale_.transpose().array()).rowwise() -
        (mean_.array() / scale_.array()).transpose();
    const double limit = static_cast<double>(std::numeric_limits<Scalar>::max());
    for (Index j = 0; j < scaled.cols(); ++j) {
      for (Index i = 0; i < scaled.rows(); ++i) {
        if (!(std::abs(scaled(i, j)) <= limit)) {
          throw ValueError(detail::concat(
              "StandardScaler::transform: the value at row ", i, ", column ", j, " (", x(i, j),
              ") scales to ", scaled(i, j), ", outside the range of ",
              detail::scalar_name<Scalar>(), "; it lies far outside the fitted data"));
        }
      }
    }
    return scaled.template cast<Scalar>();
  }

  // A braced integer pair such as {1, 2} is not data (see detail::IntegerPair).
  StandardScaler& fit(detail::IntegerPair) = delete;
  MatrixType transform(detail::IntegerPair) const = delete;
  MatrixType fit_transform(detail::IntegerPair) = delete;

  /// Fits on x and returns x transformed.
  MatrixType fit_transform(const MatrixType& x) { return fit(x).transform(x); }

  /// True once `fit` has succeeded.
  bool fitted() const { return mean_.size() > 0; }

  /// Mean of each feature column, (features); empty before `fit`.
  VectorType mean() const { return mean_.template cast<Scalar>(); }

  /// Divisor of each feature column, (features): its population standard deviation, or 1
  /// for a constant column; empty before `fit`. `transform` uses the double values, so a
  /// deviation that rounds to 0 in float still scales correctly.
  VectorType scale() const { return scale_.template cast<Scalar>(); }

 private:
  static void check_finite(const char* caller, const MatrixType& x) {
    if (x.allFinite()) return;
    for (Index j = 0; j < x.cols(); ++j) {
      for (Index i = 0; i < x.rows(); ++i) {
        if (!std::isfinite(x(i, j))) {
          throw ValueError(detail::concat(caller, ": x contains ", x(i, j), " at row ", i,
                                          ", column ", j,
                                          "; replace NaN and inf values before scaling"));
        }
      }
    }
  }

  Eigen::VectorXd mean_;
  Eigen::VectorXd scale_;
};

}  // namespace sinapse
