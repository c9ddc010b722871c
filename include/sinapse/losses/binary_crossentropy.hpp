#pragma once

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

#include "sinapse/losses/loss.hpp"

namespace sinapse {

/// Binary cross-entropy, as Keras's BinaryCrossentropy with reduction
/// "sum_over_batch_size".
///
/// Probability path (the default, `from_logits = false`): y_pred is a probability,
/// clipped to [eps, 1 - eps] with eps = 1e-7 (Keras's `backend.epsilon()`), and each
/// element costs -(y log p + (1 - y) log(1 - p)). The clip bounds the loss (16.118 for
/// y = 1, p = 0; 15.942 in float for y = 0, p = 1, where 1 - 1e-7 rounds to 1 - 2^-23),
/// so saturated outputs give no inf or NaN. As in Keras's JAX and PyTorch backends the
/// clip passes no gradient where it is active.
///
/// Logits path (`from_logits = true`): y_pred is a logit z and each element costs
/// max(z, 0) - z y + log(1 + exp(-|z|)), which is exact for every finite z.
///
/// Label smoothing s replaces y by y (1 - s) + s / 2. Targets must lie in [0, 1].
template <typename Scalar>
class BinaryCrossentropy : public Loss<Scalar> {
 public:
  /// @throws ValueError unless 0 <= label_smoothing <= 1.
  explicit BinaryCrossentropy(bool from_logits = false, double label_smoothing = 0.0)
      : from_logits_(from_logits), label_smoothing_(label_smoothing) {
    if (!(label_smoothing >= 0.0 && label_smoothing <= 1.0)) {
      throw ValueError(detail::concat("BinaryCrossentropy: label_smoothing must be in [0, 1], got ",
                                      label_smoothing));
    }
  }

  bool from_logits() const { return from_logits_; }
  double label_smoothing() const { return label_smoothing_; }

  std::string name() const override { return "binary_crossentropy"; }

  Scalar compute(const Matrix<Scalar>& y_true, const Matrix<Scalar>& y_pred,
                 Matrix<Scalar>* gradient) const override {
    const Scalar count = static_cast<Scalar>(y_pred.size());
    const Scalar smoothing = static_cast<Scalar>(label_smoothing_);
    const Scalar epsilon = static_cast<Scalar>(1e-7);
    const Scalar one = Scalar(1);
    // Eigen expressions, evaluated where they are used, so each result takes one
    // vectorised pass. The selects below let NaN through, so a NaN prediction gives a
    // NaN loss and the step is rejected.
    const auto y = y_true.array() * (one - smoothing) + Scalar(0.5) * smoothing;
    const auto p = y_pred.array();
    if (gradient != nullptr) gradient->resize(y_pred.rows(), y_pred.cols());
    if (from_logits_) {
      const Scalar total = (p.max(Scalar(0)) - p * y + (-p.abs()).exp().log1p()).sum();
      if (gradient != nullptr) {
        // sigmoid(p), with exp's argument kept non-positive in the branch that is used.
        const auto sigmoid =
            (p >= Scalar(0)).select((one + (-p).exp()).inverse(), p.exp() / (one + p.exp()));
        gradient->array() = (sigmoid - y) / count;
      }
      return total / count;
    }
    const auto clipped =
        (p < epsilon).select(epsilon, (p > one - epsilon).select(one - epsilon, p));
    const Scalar total = -(y * clipped.log() + (one - y) * (one - clipped).log()).sum();
    if (gradient != nullptr) {
      const auto inside = p >= epsilon && p <= one - epsilon;
      gradient->array() =
          inside.select((clipped - y) / (clipped * (one - clipped)) / count, Scalar(0));
    }
    return total / count;
  }

  void validate_targets(const Matrix<Scalar>& y, const std::string& where) const override {
    for (Index j = 0; j < y.cols(); ++j) {
      for (Index i = 0; i < y.rows(); ++i) {
        if (!(y(i, j) >= Scalar(0) && y(i, j) <= Scalar(1))) {
          throw ValueError(detail::concat(where, " contains ", y(i, j), " at row ", i, ", column ",
                                          j, "; binary_crossentropy needs labels in [0, 1]"));
        }
      }
    }
  }

  Config get_config() const override {
    return {{"name", name()}, {"from_logits", from_logits_}, {"label_smoothing", label_smoothing_}};
  }

  std::unique_ptr<Loss<Scalar>> clone() const override {
    return std::make_unique<BinaryCrossentropy>(*this);
  }

 private:
  static Scalar sigmoid(Scalar z) {
    // Branches keep exp's argument non-positive, so neither branch overflows.
    if (z >= 0) return Scalar(1) / (Scalar(1) + std::exp(-z));
    const Scalar e = std::exp(z);
    return e / (Scalar(1) + e);
  }

  bool from_logits_;
  double label_smoothing_;
};

}  // namespace sinapse
