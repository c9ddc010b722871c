#pragma once

#include <iostream>
#include <ostream>
#include <string>

#include "sinapse/callbacks/callback.hpp"
#include "sinapse/model/model.hpp"

namespace sinapse {

/// Stops `fit` at the first step whose loss, gradients or updated weights would be NaN
/// or inf, as Keras's TerminateOnNaN stops at the first invalid loss.
///
/// sinapse never applies such a step, so the model keeps the weights of the last finite
/// step; with this callback `fit` then returns normally with the History of the epochs
/// it finished, instead of throwing FloatingPointError. The callback prints where it
/// stopped and keeps it in `stopped_epoch()`, `stopped_batch()` and `reason()`.
template <typename Scalar>
class TerminateOnNaN : public Callback<Scalar> {
 public:
  /// Writes the stop message to `out`; pass nullptr to write nothing.
  explicit TerminateOnNaN(std::ostream* out = &std::cout) : out_(out) {}

  void on_train_begin(const Logs&) override {
    stopped_ = false;
    stopped_epoch_ = -1;
    stopped_batch_ = -1;
    reason_.clear();
  }

  void on_epoch_begin(int epoch, const Logs&) override { epoch_ = epoch; }

  void on_train_batch_rejected(Index batch, const FloatingPointError& error) override {
    stopped_ = true;
    stopped_epoch_ = epoch_;
    stopped_batch_ = batch;
    reason_ = error.what();
    if (out_ != nullptr) {
      *out_ << "Epoch " << epoch_ + 1 << ", batch " << batch + 1
            << ": invalid loss, terminating training (" << reason_ << ")\n";
    }
    this->model().set_stop_training(true);
  }

  /// True when the last `fit` was stopped by this callback.
  bool stopped() const { return stopped_; }
  /// Epoch and batch of the rejected step, counted from 0; -1 when training did not stop.
  int stopped_epoch() const { return stopped_epoch_; }
  Index stopped_batch() const { return stopped_batch_; }
  /// The message of the FloatingPointError that stopped training.
  const std::string& reason() const { return reason_; }

 private:
  std::ostream* out_;
  int epoch_ = 0;
  bool stopped_ = false;
  int stopped_epoch_ = -1;
  Index stopped_batch_ = -1;
  std::string reason_;
};

}  // namespace sinapse
