#pragma once

#include "sinapse/core/errors.hpp"
#include "sinapse/core/types.hpp"
#include "sinapse/model/progress_bar.hpp"

namespace sinapse {

template <typename Scalar>
class Model;

/// Base of the objects that `fit` calls at fixed points of training, as Keras's
/// `keras.callbacks.Callback`. Override the hooks you need; each does nothing by default.
///
/// `fit` sets the model before `on_train_begin`, so every hook can reach it through
/// `model()`, for example to save it or to call `model().set_stop_training(true)`.
/// Epoch and batch numbers count from 0, as in Keras. An exception thrown by a hook
/// ends `fit` with that exception; the steps applied before it stay applied.
///
/// Logs hold the metrics by name: the running means over the epoch so far in the batch
/// hooks, and the epoch's results, with "val_" entries after validation, in
/// `on_epoch_end`. Logs of `on_train_end` are those of the last finished epoch.
template <typename Scalar>
class Callback {
 public:
  virtual ~Callback() = default;

  virtual void on_train_begin(const Logs& /*logs*/) {}
  virtual void on_train_end(const Logs& /*logs*/) {}
  virtual void on_epoch_begin(int /*epoch*/, const Logs& /*logs*/) {}
  virtual void on_epoch_end(int /*epoch*/, const Logs& /*logs*/) {}
  virtual void on_train_batch_begin(Index /*batch*/, const Logs& /*logs*/) {}
  virtual void on_train_batch_end(Index /*batch*/, const Logs& /*logs*/) {}

  /// Called instead of `on_train_batch_end` when a step was rejected because it would
  /// have made the loss, a gradient or a weight NaN or inf (sinapse's addition; Keras
  /// trains on with NaN). The step was not applied. If no callback asks to stop
  /// training here, `fit` rethrows `error`; if one does, `fit` ends normally without
  /// recording the unfinished epoch.
  virtual void on_train_batch_rejected(Index /*batch*/, const FloatingPointError& /*error*/) {}

  /// The model being trained; valid from `on_train_begin` on.
  Model<Scalar>& model() {
    if (model_ == nullptr) {
      throw StateError(
          "Callback::model: this callback is not attached to a model; pass it to fit "
          "through FitOptions::callbacks");
    }
    return *model_;
  }

  /// Attaches the callback to a model; `fit` calls it before `on_train_begin`.
  void set_model(Model<Scalar>* model) { model_ = model; }

 private:
  Model<Scalar>* model_ = nullptr;
};

}  // namespace sinapse
