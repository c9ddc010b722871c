#pragma once

#include <cmath>
#include <string>

#include "sinapse/core/errors.hpp"
#include "sinapse/core/types.hpp"

namespace sinapse {

/// Elementwise (or, for softmax, row-wise) activation, named as in Keras.
enum class ActivationFunction { linear, relu, tanh, sigmoid, softmax };

/// Returns the Keras name of an activation ("relu", ...).
inline std::string activation_name(ActivationFunction activation) {
  switch (activation) {
    case ActivationFunction::linear:
      return "linear";
    case ActivationFunction::relu:
      return "relu";
    case ActivationFunction::tanh:
      return "tanh";
    case ActivationFunction::sigmoid:
      return "sigmoid";
    case ActivationFunction::softmax:
      return "softmax";
  }
  return "linear";
}

/// Parses a Keras activation name. An empty name means linear, as `activation=None`
/// does in Keras.
/// @throws ValueError for an unknown name, listing the known ones.
inline ActivationFunction parse_activation(const std::string& name) {
  if (name.empty() || name == "linear") return ActivationFunction::linear;
  if (name == "relu") return ActivationFunction::relu;
  if (name == "tanh") return ActivationFunction::tanh;
  if (name == "sigmoid") return ActivationFunction::sigmoid;
  if (name == "softmax") return ActivationFunction::softmax;
  throw ValueError(detail::concat("unknown activation \"", name,
                                  "\": expected one of linear, relu, tanh, sigmoid, softmax"));
}

namespace detail {

/// Applies the activation in place to z, shaped (batch, units). Softmax normalises
/// each row (sample) after subtracting its maximum, so exp never gets a positive argument.
template <typename Scalar>
void activate(ActivationFunction activation, Matrix<Scalar>& z) {
  switch (activation) {
    case ActivationFunction::linear:
      return;
    case ActivationFunction::relu:
      z = z.cwiseMax(Scalar(0));
      return;
    case ActivationFunction::tanh:
      z = z.array().tanh();
      return;
    case ActivationFunction::sigmoid:
      // 1 / (1 + exp(-z)) overflows exp only towards +inf, which gives 0, not NaN.
      z = (Scalar(1) + (-z.array()).exp()).inverse();
      return;
    case ActivationFunction::softmax: {
      // NOTE: these two vectors are allocated on every call, so a softmax layer allocates
      // in every step; the elementwise activations allocate nothing.
      const Vector<Scalar> row_max = z.rowwise().maxCoeff();
      z = (z.colwise() - row_max).array().exp();
      const Vector<Scalar> row_sum = z.rowwise().sum();
      z.array().colwise() /= row_sum.array();
      return;
    }
  }
}

/// Adds bias(j, 0) to column j of z, shaped (batch, units), and applies the activation,
/// in place. Eigen does not vectorise `rowwise() +=` of a row vector on a column-major
/// matrix, so the work runs column by column, adding one scalar to a contiguous column.
/// The elementwise activations are applied in the same pass.
template <typename Scalar>
void add_bias_and_activate(ActivationFunction activation, const Matrix<Scalar>& bias,
                           Matrix<Scalar>& z) {
  const Index units = z.cols();
  switch (activation) {
    case ActivationFunction::linear:
    case ActivationFunction::softmax:
      for (Index j = 0; j < units; ++j) z.col(j).array() += bias(j, 0);
      activate(activation, z);
      return;
    case ActivationFunction::relu:
      for (Index j = 0; j < units; ++j) {
        z.col(j).array() = (z.col(j).array() + bias(j, 0)).max(Scalar(0));
      }
      return;
    case ActivationFunction::tanh:
      for (Index j = 0; j < units; ++j) {
        z.col(j).array() = (z.col(j).array() + bias(j, 0)).tanh();
      }
      return;
    case ActivationFunction::sigmoid:
      for (Index j = 0; j < units; ++j) {
        z.col(j).array() = (Scalar(1) + (-(z.col(j).array() + bias(j, 0))).exp()).inverse();
      }
      return;
  }
}

/// Turns dy (the gradient with respect to the activation's output y) into the gradient
/// with respect to its input, in place. Every case needs only y, so layers keep no
/// pre-activation copy.
template <typename Scalar>
void activation_backward(ActivationFunction activation, const Matrix<Scalar>& y,
                         Matrix<Scalar>& dy) {
  switch (activation) {
    case ActivationFunction::linear:
      return;
    case ActivationFunction::relu:
      dy = (y.array() > Scalar(0)).select(dy, Scalar(0));
      return;
    case ActivationFunction::tanh:
      dy.array() *= Scalar(1) - y.array().square();
      return;
    case ActivationFunction::sigmoid:
      dy.array() *= y.array() * (Scalar(1) - y.array());
      return;
    case ActivationFunction::softmax: {
      // d z_j = y_j * (dy_j - sum_k dy_k y_k), row by row.
      const Vector<Scalar> dot = (dy.array() * y.array()).rowwise().sum();
      dy = y.array() * (dy.colwise() - dot).array();
      return;
    }
  }
}

}  // namespace detail
}  // namespace sinapse
