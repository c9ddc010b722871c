#pragma once

#include <cstdint>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "sinapse/callbacks/callback.hpp"
#include "sinapse/core/types.hpp"
#include "sinapse/detail/integer_pair.hpp"
#include "sinapse/detail/option.hpp"

namespace sinapse {

/// Arguments of `Model::fit`, with Keras's defaults.
template <typename Scalar>
class FitOptions {
 public:
  /// Index of the last epoch to run plus one; with initial_epoch, fit runs the epochs
  /// [initial_epoch, epochs), as Keras does.
  SINAPSE_OPTION(int, epochs) = 1;
  /// Epoch to start at, for resuming a run: History counts epochs from here. A model
  /// loaded from `save` continues its saved generator, so the seed below is not applied
  /// when initial_epoch > 0 and the resumed run matches one that never stopped.
  SINAPSE_OPTION(int, initial_epoch) = 0;
  SINAPSE_OPTION(Index, batch_size) = 32;
  /// 0 silent, 1 progress line (Keras's "auto"), 2 one line per epoch.
  SINAPSE_OPTION(int, verbose) = 1;
  /// Draw a fresh order of the training samples every epoch.
  SINAPSE_OPTION(bool, shuffle) = true;
  /// Fraction of the samples, taken from the end before shuffling, held out for
  /// validation; 0 for none.
  SINAPSE_OPTION(double, validation_split) = 0.0;
  /// Batch size for validation; unset uses batch_size.
  SINAPSE_OPTION(std::optional<Index>, validation_batch_size);
  /// Seed of the model's training generator (shuffling and dropout masks) for this
  /// call; unset continues the model's generator. Ignored when initial_epoch > 0.
  SINAPSE_OPTION(std::optional<std::uint64_t>, seed);
  /// Stream for progress output; null means std::cout.
  SINAPSE_OPTION(std::ostream*, output) = nullptr;
  /// Objects called at the start and end of training, of each epoch and of each batch,
  /// in this order (see Callback). They are shared, so the caller can read their results.
  SINAPSE_OPTION(std::vector<std::shared_ptr<Callback<Scalar>>>, callbacks);

 public:
  /// Validation inputs and targets; they take precedence over validation_split, as in Keras.
  FitOptions& validation_data(const Matrix<Scalar>& x, const Matrix<Scalar>& y) {
    return validation_data(std::vector<Matrix<Scalar>>{x}, y);
  }
  FitOptions& validation_data(std::vector<Matrix<Scalar>> x, Matrix<Scalar> y) {
    validation_x_ = std::move(x);
    validation_y_ = std::move(y);
    has_validation_data_ = true;
    return *this;
  }
  /// A braced integer pair such as {1, 2} is not data (see detail::IntegerPair).
  FitOptions& validation_data(detail::IntegerPair, const Matrix<Scalar>&) = delete;

  bool has_validation_data() const { return has_validation_data_; }
  const std::vector<Matrix<Scalar>>& validation_x() const { return validation_x_; }
  const Matrix<Scalar>& validation_y() const { return validation_y_; }

 private:
  std::vector<Matrix<Scalar>> validation_x_;
  Matrix<Scalar> validation_y_;
  bool has_validation_data_ = false;
};

/// Arguments of `Model::evaluate` and `Model::predict`, with Keras's defaults.
class EvaluateOptions {
 public:
  SINAPSE_OPTION(Index, batch_size) = 32;
  /// 0 silent, 1 progress line, 2 one plain line.
  SINAPSE_OPTION(int, verbose) = 1;
  /// Stream for progress output; null means std::cout.
  SINAPSE_OPTION(std::ostream*, output) = nullptr;
};

/// Arguments of `Model::predict`; the same as `evaluate`'s.
using PredictOptions = EvaluateOptions;

/// Per-epoch results of `fit`, as in Keras's History callback.
struct History {
  /// Per-epoch values by name ("accuracy", "loss", "val_accuracy", "val_loss"): the
  /// exact means over each epoch's samples.
  std::map<std::string, std::vector<double>> history;
  /// Indices of the epochs run, from 0.
  std::vector<int> epoch;
  /// Keras's `params`: epochs requested, steps per epoch and verbosity.
  int epochs = 0;
  Index steps = 0;
  int verbose = 0;
};

}  // namespace sinapse
