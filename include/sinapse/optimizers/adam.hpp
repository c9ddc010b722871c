#pragma once

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "sinapse/core/threads.hpp"
#include "sinapse/detail/all_finite.hpp"
#include "sinapse/detail/flush_to_zero.hpp"
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
    const Scalar step = static_cast<Scalar>(this->iterations_ + 1);
    Constants constants;
    // Keras computes 1 - beta in Python's double and rounds it once, but beta^t in
    // Scalar. Doing the same keeps float results on Keras's rounding.
    constants.one_minus_beta_1 = static_cast<Scalar>(1.0 - beta_1_);
    constants.one_minus_beta_2 = static_cast<Scalar>(1.0 - beta_2_);
    constants.epsilon = static_cast<Scalar>(epsilon_);
    constants.alpha = static_cast<Scalar>(learning_rate_) *
                      std::sqrt(one - std::pow(beta_2, step)) / (one - std::pow(beta_1, step));

    // The new moments and weights go to scratch buffers first, so that a step that would
    // make a value NaN or inf can be dropped without a trace. Committing swaps the buffers.
    for (std::size_t k = 0; k < variables.size(); ++k) {
      if (!update(k, *variables[k], constants)) return false;
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

  /// Returns the step count and the slots "momentum", "velocity" and, with amsgrad,
  /// "velocity_hat" (Keras's names), each with one matrix per variable in build order.
  OptimizerState<Scalar> get_state() const override {
    OptimizerState<Scalar> state;
    state.iterations = this->iterations_;
    state.slots.emplace_back("momentum", momentums_);
    state.slots.emplace_back("velocity", velocities_);
    if (amsgrad_) state.slots.emplace_back("velocity_hat", velocity_maxima_);
    return state;
  }

  void set_state(const std::vector<Variable<Scalar>*>& variables,
                 const OptimizerState<Scalar>& state) override {
    this->check_iterations(state.iterations);
    std::vector<std::string> names{"momentum", "velocity"};
    if (amsgrad_) names.push_back("velocity_hat");
    std::vector<const std::vector<Matrix<Scalar>>*> slots(names.size(), nullptr);
    for (const auto& slot : state.slots) {
      const auto known = std::find(names.begin(), names.end(), slot.first);
      if (known == names.end() || slots[static_cast<std::size_t>(known - names.begin())] != nullptr) {
        throw ValueError(detail::concat("Adam::set_state: unexpected slot \"", slot.first,
                                        "\"; expected each of momentum, velocity",
                                        amsgrad_ ? ", velocity_hat (amsgrad)" : " (no amsgrad)",
                                        " once"));
      }
      slots[static_cast<std::size_t>(known - names.begin())] = &slot.second;
    }
    for (std::size_t k = 0; k < names.size(); ++k) {
      if (slots[k] == nullptr) {
        throw ValueError(detail::concat("Adam::set_state: the slot \"", names[k], "\" is missing"));
      }
      check_slot(names[k], *slots[k], variables, k > 0);
    }
    build(variables);
    momentums_ = *slots[0];
    velocities_ = *slots[1];
    if (amsgrad_) velocity_maxima_ = *slots[2];
    this->iterations_ = state.iterations;
  }

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
  /// The scalars of one step, the same for every weight.
  struct Constants {
    Scalar one_minus_beta_1;
    Scalar one_minus_beta_2;
    Scalar epsilon;
    Scalar alpha;
  };

  /// Values per block of `update_block`: 1024 floats are 4 KiB per array, so the seven
  /// arrays of a block stay in L1 cache.
  static constexpr Index block_size = 1024;

  /// Values of a variable from which its update is split across threads.
  static constexpr Index min_parallel_size = 65536;

  /// Writes the new moments and values of variable k into the scratch buffers, block by
  /// block, on several threads for large variables. Returns false when one of them, or
  /// the gradient, is NaN or inf. Every value is computed alone, so the result does not
  /// depend on the thread count.
  ///
  /// With EIGEN_USE_BLAS the update stays on one thread. OpenBLAS's pthread build keeps
  /// its worker threads spinning after each product, so OpenMP threads started here would
  /// share the cores with them. On W3 of bench/sinapse_bench (2 cores, OpenBLAS 0.3.21),
  /// a 2-thread step then took as long as a 1-thread one.
  bool update(std::size_t k, const Variable<Scalar>& variable, const Constants& c) {
    const Index size = variable.value.size();
    const Index blocks = (size + block_size - 1) / block_size;
#if defined(_OPENMP) && !defined(EIGEN_USE_BLAS)
    if (size >= min_parallel_size && num_threads() > 1) {
      bool finite = true;
#pragma omp parallel for schedule(static) reduction(&& : finite)
      for (Index block = 0; block < blocks; ++block) {
        finite = update_block(k, variable, c, block) && finite;
      }
      return finite;
    }
#endif
    for (Index block = 0; block < blocks; ++block) {
      if (!update_block(k, variable, c, block)) return false;
    }
    return true;
  }

  /// Updates one block of variable k; returns false for a NaN or inf result.
  ///
  /// A block computes the new first moment, second moment and value while its inputs
  /// are in L1 cache, so the step reads the gradient, moments and weights from memory
  /// once, rather than once per formula.
  bool update_block(std::size_t k, const Variable<Scalar>& variable, const Constants& c,
                    Index block) {
    // Subnormal results are flushed to zero, as TensorFlow does on CPU (its
    // denormal_test checks that 0.1 times the smallest normal float gives 0). When a
    // weight's gradient stays 0 (a dead relu unit), its momentum shrinks by beta_1 per
    // step, below the smallest normal float after about 800 steps, and x86 processors
    // compute subnormal results in microcode. With 10 percent of such momentums, a float
    // step of a 20-64-64-1 network took 1.6 times as long on an AVX-512 Xeon. A
    // subnormal momentum moves a weight by less than alpha * 1.2e-31 in float (epsilon
    // 1e-7), which changes no weight above about 2e-24 * alpha in magnitude. The mode
    // belongs to the thread, so each block sets it.
    const detail::ScopedFlushToZero flush_to_zero;
    using Array = Eigen::Array<Scalar, Eigen::Dynamic, 1>;
    using ConstSegment = Eigen::Map<const Array>;
    using Segment = Eigen::Map<Array>;
    const Index begin = block * block_size;
    const Index n = std::min(block_size, variable.value.size() - begin);
    const ConstSegment gradient(variable.gradient.data() + begin, n);
    const ConstSegment momentum(momentums_[k].data() + begin, n);
    const ConstSegment velocity(velocities_[k].data() + begin, n);
    const ConstSegment value(variable.value.data() + begin, n);
    Segment next_momentum(next_momentums_[k].data() + begin, n);
    Segment next_velocity(next_velocities_[k].data() + begin, n);
    Segment next_value(next_values_[k].data() + begin, n);

    next_momentum = momentum + (gradient - momentum) * c.one_minus_beta_1;
    next_velocity = velocity + (gradient.square() - velocity) * c.one_minus_beta_2;
    const Scalar* denominator_source = next_velocity.data();
    if (amsgrad_) {
      Segment next_maximum(next_velocity_maxima_[k].data() + begin, n);
      next_maximum = ConstSegment(velocity_maxima_[k].data() + begin, n).max(next_velocity);
      denominator_source = next_maximum.data();
    }
    const ConstSegment denominator(denominator_source, n);
    next_value = value - c.alpha * next_momentum / (denominator.sqrt() + c.epsilon);
    // A NaN or inf gradient or momentum makes the new value NaN or inf, because epsilon
    // keeps the denominator positive, so checking the values covers them. A finite
    // gradient above about 1.8e19 in float squares to inf and leaves the value finite
    // (m / inf = 0); storing that velocity would poison every later step, so the
    // denominator is checked too.
    return detail::all_finite(next_value) && detail::all_finite(denominator);
  }

  static void check_beta(const char* name, double value) {
    // The check also runs on the value rounded to Scalar: 1 - 1e-9 is 1 in float.
    if (!(value >= 0.0 && value < 1.0 && static_cast<Scalar>(value) < Scalar(1))) {
      throw ValueError(detail::concat("Adam: ", name, " must be in [0, 1) also after rounding to ",
                                      detail::scalar_name<Scalar>(), ", got ", value));
    }
  }

  /// Throws unless a saved slot has one finite matrix of the right shape per variable,
  /// and no negative value when it is a second moment.
  static void check_slot(const std::string& name, const std::vector<Matrix<Scalar>>& matrices,
                         const std::vector<Variable<Scalar>*>& variables, bool non_negative) {
    if (matrices.size() != variables.size()) {
      throw ValueError(detail::concat("Adam::set_state: the slot \"", name, "\" has ",
                                      matrices.size(), " matrices, but there are ",
                                      variables.size(), " variables"));
    }
    for (std::size_t i = 0; i < matrices.size(); ++i) {
      const Matrix<Scalar>& value = variables[i]->value;
      if (matrices[i].rows() != value.rows() || matrices[i].cols() != value.cols()) {
        throw ShapeError(detail::concat(
            "Adam::set_state: the slot \"", name, "\" of variable ", i, " (", variables[i]->name,
            ") has shape ", detail::shape_string(matrices[i].rows(), matrices[i].cols()),
            ", expected ", detail::shape_string(value.rows(), value.cols())));
      }
      if (!matrices[i].allFinite() ||
          (non_negative && matrices[i].size() > 0 && matrices[i].minCoeff() < Scalar(0))) {
        throw ValueError(detail::concat("Adam::set_state: the slot \"", name, "\" of variable ",
                                        i, " (", variables[i]->name, ") contains ",
                                        non_negative ? "NaN, inf or a negative value"
                                                     : "NaN or inf"));
      }
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
