#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sinapse/layers/layer.hpp"

namespace sinapse {

/// The state of an optimizer, as `Optimizer::get_state` returns it for saving.
template <typename Scalar>
struct OptimizerState {
  /// Number of update steps applied (Keras's `iterations`).
  long long iterations = 0;
  /// Per-weight slots by name, such as Adam's "momentum", each with one matrix per
  /// variable in the order of `build`.
  std::vector<std::pair<std::string, std::vector<Matrix<Scalar>>>> slots;
};

/// Base of every optimizer. `build` creates the state for a list of trainable
/// variables; `apply` then updates them from their gradients, in the same order.
template <typename Scalar>
class Optimizer {
 public:
  virtual ~Optimizer() = default;

  /// Keras name, such as "adam".
  virtual std::string name() const = 0;

  /// Creates zeroed state for these variables and resets the step counter.
  virtual void build(const std::vector<Variable<Scalar>*>& variables) = 0;
  bool built() const { return built_; }

  /// Performs one update step with the gradients stored in the variables. Returns false,
  /// changing nothing (weights, state and step count), when a gradient is NaN or inf or
  /// the step would make a weight or the optimizer state NaN or inf. Model relies on
  /// this check and does not scan the gradients itself.
  virtual bool apply(const std::vector<Variable<Scalar>*>& variables) = 0;

  /// Number of update steps applied so far (Keras's `iterations`).
  long long iterations() const { return iterations_; }

  /// Number of state values, counted as Keras's summary counts "Optimizer params":
  /// the step counter and learning rate plus the per-weight slots.
  virtual Index count_params() const = 0;

  /// Bytes of that state: an 8-byte step counter plus Scalar-sized values.
  virtual std::size_t state_bytes() const = 0;

  virtual Config get_config() const { return {{"name", name()}}; }

  /// Returns a copy with every setting and all the state (moments, step count).
  virtual std::unique_ptr<Optimizer> clone() const = 0;

  /// Returns a copy with the same settings and no state, ready to `build` for any model.
  std::unique_ptr<Optimizer> clone_settings() const {
    std::unique_ptr<Optimizer> copy = clone();
    copy->reset();
    return copy;
  }

  /// Returns the step count and the per-weight slots, for saving; call it once built.
  virtual OptimizerState<Scalar> get_state() const { return {iterations_, {}}; }

  /// Restores state from `get_state`: builds for `variables`, then sets the step count and
  /// the slots. Nothing changes when it throws.
  /// @throws ValueError for a negative step count, a missing or unknown slot, a slot with
  /// another number of matrices than variables, or NaN or inf; ShapeError for a matrix
  /// whose shape differs from its variable.
  virtual void set_state(const std::vector<Variable<Scalar>*>& variables,
                         const OptimizerState<Scalar>& state) {
    check_iterations(state.iterations);
    if (!state.slots.empty()) {
      throw ValueError(detail::concat("set_state: ", name(), " keeps no per-weight state, but got ",
                                      "the slot \"", state.slots.front().first, "\""));
    }
    build(variables);
    iterations_ = state.iterations;
  }

  /// Drops all state, so the next `build` starts from step 0.
  virtual void reset() {
    built_ = false;
    iterations_ = 0;
  }

 protected:
  /// Throws ValueError for a step count below 0 or above 2^53, beyond which a double step
  /// count is no longer exact.
  void check_iterations(long long iterations) const {
    if (iterations < 0 || iterations > (1LL << 53)) {
      throw ValueError(detail::concat("set_state: ", name(), " iterations must be in [0, 2^53], ",
                                      "got ", iterations));
    }
  }

  bool built_ = false;
  long long iterations_ = 0;
};

}  // namespace sinapse
