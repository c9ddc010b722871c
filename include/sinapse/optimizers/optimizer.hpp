#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "sinapse/layers/layer.hpp"

namespace sinapse {

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
  /// changing nothing (weights, state and step count), when the step would make a weight
  /// or the optimizer state NaN or inf.
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

  /// Drops all state, so the next `build` starts from step 0.
  virtual void reset() {
    built_ = false;
    iterations_ = 0;
  }

 protected:
  bool built_ = false;
  long long iterations_ = 0;
};

}  // namespace sinapse
