#pragma once

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "sinapse/optimizers/optimizer.hpp"

namespace sinapse {

/// Adam with Keras 3's defaults and update rule. For step t = 1, 2, ... and each weight:
///
///     m = m + (g - m) (1 - beta_1)
///     v = v + (g^2 - v) (1 - beta_2)
///     alpha = learning_rate * sqrt(1 - beta_2^t) / (1 - beta_1^t)
///     w = w - alpha m / (sqrt(v) + epsilon)
///
/// epsilon is added to the square root of the uncorrected v (the "epsilon hat" form of
/// Kingma and Ba), unlike PyTorch, which adds it after the bias correction and defaults
/// to 1e-8. With amsgrad, v_hat = max(v_hat, v) replaces v in the denominator.
template <typename Scalar>
class Adam : public Optimizer<Scalar> {
 public:
  /// @throws ValueError unless learning_rate > 0, 0 <= beta_1 < 1, 0 <= beta_2 < 1 and
  /// epsilon > 0, all finite and still in range after rounding to Scalar (in float,
  /// 1e-60 rounds to 0 and 1 - 1e-9 to 1). Keras also accepts epsilon = 0, but then a weight whose
  /// gradients have all been zero becomes 0 / 0 = NaN, so sinapse rejects it.
  explicit Adam(double learning_rate = 1e-3, double beta_1 = 0.9, double beta_2 = 0.999,
                double epsilon = 1e-7, bool amsgrad = false)
      : learning_rate_(learning_rate),
        beta_1_(beta_1),
        beta_2_(beta_2),
        epsilon_(epsilon),
        amsgrad_(amsgrad) {
    if (!detail::is_positive_in<Scalar>(learning_rate)) {
      throw ValueError(detail::concat("Adam: learning_rate must be positive and finite also ",
                                      "after rounding to ", detail::scalar_name<Scalar>(), ", got ",
                                      learning_rate));
    }
    check_beta("beta_1", beta_1);
    check_beta("beta_2", beta_2);
    if (!detail::is_positive_in<Scalar>(epsilon)) {
      throw ValueError(detail::concat("Adam: epsilon must be positive and finite also after ",
                                      "rounding to ", detail::scalar_name<Scalar>(), ", got ",
                                      epsilon));
    }
  }

  std::string name() const override { return "adam"; }
  double learning_rate() const { return learning_rate_; }
  double beta_1() const { return beta_1_; }
  double beta_2() const { return beta_2_; }
  double epsilon() const { return epsilon_; }
  bool amsgrad() const { return amsgrad_; }

  void build(const std::vector<Variable<Scalar>*>& variables) override {
    momentums_.clear();
    velocities_.clear();
    velocity_maxima_.clear();
    for (const Variable<Scalar>* variable : variables) {
      momentums_.push_back(Matrix<Scalar>::Zero(variable->value.rows(), variable->value.cols()));
      velocities_.push_back(Matrix<Scalar>::Zero(variable->value.rows(), variable->value.cols()));
      if (amsgrad_) velocity_maxima_.push_back(velocities_.back());
    }
    next_momentums_ = momentums_;
    next_velocities_ = velocities_;
    next_velocity_maxima_ = velocity_maxima_;
    next_values_ = momentums_;
    this->iterations_ = 0;
    this->built_ = true;
  }

  bool apply(const std::vector<Variable<Scalar>*>& variables) override {
    check_variables(variables);
    const Scalar one(1);
    const Scalar beta_1 = static_cast<Scalar>(beta_1_);
    const Scalar beta_2 = static_cast<Scalar>(beta_2_);
    // Keras computes 1 - beta in Python's double and rounds it once, but beta^t in
    // Scalar. Doing the same keeps float results on Keras's rounding.
    const Scalar one_minus_beta_1 = static_cast<Scalar>(1.0 - beta_1_);
    const Scalar one_minus_beta_2 = static_cast<Scalar>(1.0 - beta_2_);
    const Scalar epsilon = static_cast<Scalar>(epsilon_);
    const Scalar step = static_cast<Scalar>(this->iterations_ + 1);
    const Scalar alpha = static_cast<Scalar>(learning_rate_) *
                         std::sqrt(one - std::pow(beta_2, step)) / (one - std::pow(beta_1, step));

    // The new moments and weights go to scratch buffers first, so that a step that would
    // overflow a weight can be dropped without a trace. Committing swaps the buffers.
    for (std::size_t k = 0; k < variables.size(); ++k) {
      const Matrix<Scalar>& gradient = variables[k]->gradient;
      next_momentums_[k] = momentums_[k] + (gradient - momentums_[k]) * one_minus_beta_1;
      next_velocities_[k].array() =
          velocities_[k].array() +
          (gradient.array().square() - velocities_[k].array()) * one_minus_beta_2;
      const Matrix<Scalar>* denominator_source = &next_velocities_[k];
      if (amsgrad_) {
        next_velocity_maxima_[k] = velocity_maxima_[k].cwiseMax(next_velocities_[k]);
        denominator_source = &next_velocity_maxima_[k];
      }
      next_values_[k].array() =
          variables[k]->value.array() -
          alpha * next_momentums_[k].array() / (denominator_source->array().sqrt() + epsilon);
      // A finite gradient above about 1.8e19 in float squares to inf; storing that
      // velocity would poison every later step, so the moments are checked too.
      if (!next_values_[k].allFinite() || !next_momentums_[k].allFinite() ||
          !denominator_source->allFinite()) {
        return false;
      }
    }

    for (std::size_t k = 0; k < variables.size(); ++k) {
      momentums_[k].swap(next_momentums_[k]);
      velocities_[k].swap(next_velocities_[k]);
      if (amsgrad_) velocity_maxima_[k].swap(next_velocity_maxima_[k]);
      variables[k]->value.swap(next_values_[k]);
    }
    ++this->iterations_;
    return true;
  }

  Index count_params() const override {
    Index count = 2;  // iterations and learning_rate
    for (const auto& m : momentums_) count += m.size() * (amsgrad_ ? 3 : 2);
    return count;
  }

  std::size_t state_bytes() const override {
    return 8 + sizeof(Scalar) * static_cast<std::size_t>(count_params() - 1);
  }

  Config get_config() const override {
    return {{"name", name()},      {"learning_rate", learning_rate_},
            {"beta_1", beta_1_},   {"beta_2", beta_2_},
            {"epsilon", epsilon_}, {"amsgrad", amsgrad_}};
  }

  /// First-moment estimates m, one per variable, in build order.
  const std::vector<Matrix<Scalar>>& momentums() const { return momentums_; }
  /// Second-moment estimates v, one per variable, in build order.
  const std::vector<Matrix<Scalar>>& velocities() const { return velocities_; }

  std::unique_ptr<Optimizer<Scalar>> clone() const override {
    return std::make_unique<Adam>(*this);
  }

  void reset() override {
    Optimizer<Scalar>::reset();
    momentums_.clear();
    velocities_.clear();
    velocity_maxima_.clear();
    next_momentums_.clear();
    next_velocities_.clear();
    next_velocity_maxima_.clear();
    next_values_.clear();
  }

 private:
  static void check_beta(const char* name, double value) {
    // The check also runs on the value rounded to Scalar: 1 - 1e-9 is 1 in float.
    if (!(value >= 0.0 && value < 1.0 && static_cast<Scalar>(value) < Scalar(1))) {
      throw ValueError(detail::concat("Adam: ", name, " must be in [0, 1) also after rounding to ",
                                      detail::scalar_name<Scalar>(), ", got ", value));
    }
  }

  /// Throws StateError unless the variables are the ones the state was built for.
  void check_variables(const std::vector<Variable<Scalar>*>& variables) const {
    bool matches = this->built_ && variables.size() == momentums_.size();
    for (std::size_t k = 0; matches && k < variables.size(); ++k) {
      matches = variables[k]->value.rows() == momentums_[k].rows() &&
                variables[k]->value.cols() == momentums_[k].cols();
    }
    if (!matches) {
      throw StateError(
          "Adam::apply: the optimizer state was not built for these variables; "
          "call build(variables) first");
    }
  }

  double learning_rate_;
  double beta_1_;
  double beta_2_;
  double epsilon_;
  bool amsgrad_;
  std::vector<Matrix<Scalar>> momentums_;
  std::vector<Matrix<Scalar>> velocities_;
  std::vector<Matrix<Scalar>> velocity_maxima_;
  // Scratch for the step in progress, the same shapes as the state.
  std::vector<Matrix<Scalar>> next_momentums_;
  std::vector<Matrix<Scalar>> next_velocities_;
  std::vector<Matrix<Scalar>> next_velocity_maxima_;
  std::vector<Matrix<Scalar>> next_values_;
};

}  // namespace sinapse
