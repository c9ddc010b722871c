#pragma once

#include <memory>
#include <string>

#include "sinapse/core/errors.hpp"
#include "sinapse/losses/binary_crossentropy.hpp"
#include "sinapse/metrics/binary_accuracy.hpp"
#include "sinapse/optimizers/adam.hpp"

namespace sinapse {

/// An optimizer for `Model::compile`: an Optimizer object, or a Keras name ("adam").
template <typename Scalar>
class OptimizerArgument {
 public:
  OptimizerArgument(const Optimizer<Scalar>& optimizer) : optimizer_(optimizer.clone()) {}
  OptimizerArgument(const char* name) : OptimizerArgument(std::string(name)) {}
  /// @throws ValueError for a name other than "adam".
  OptimizerArgument(const std::string& name) {
    if (name != "adam") {
      throw ValueError(
          detail::concat("compile: unknown optimizer \"", name, "\"; known optimizers: adam"));
    }
    optimizer_ = std::make_shared<Adam<Scalar>>();
  }
  /// Returns a fresh copy, so one argument can compile several models.
  /// The copy has the settings only: a used optimizer's moments and step count would not
  /// fit another model's weights, and Keras also starts a fresh state at compile.
  std::unique_ptr<Optimizer<Scalar>> make() const { return optimizer_->clone_settings(); }

 private:
  std::shared_ptr<const Optimizer<Scalar>> optimizer_;
};

/// A loss for `Model::compile`: a Loss object, or a Keras name ("binary_crossentropy").
template <typename Scalar>
class LossArgument {
 public:
  LossArgument(const Loss<Scalar>& loss) : loss_(loss.clone()) {}
  LossArgument(const char* name) : LossArgument(std::string(name)) {}
  /// @throws ValueError for a name other than "binary_crossentropy".
  LossArgument(const std::string& name) {
    if (name != "binary_crossentropy") {
      throw ValueError(detail::concat("compile: unknown loss \"", name,
                                      "\"; known losses: binary_crossentropy"));
    }
    loss_ = std::make_shared<BinaryCrossentropy<Scalar>>();
  }
  /// Returns a fresh copy, so one argument can compile several models.
  std::unique_ptr<Loss<Scalar>> make() const { return loss_->clone(); }

 private:
  std::shared_ptr<const Loss<Scalar>> loss_;
};

/// A metric for `Model::compile`: a Metric object, or a Keras name ("accuracy", "acc",
/// "binary_accuracy"). Keras turns "accuracy" into binary accuracy for a model with one
/// output column. For wider outputs Keras picks categorical accuracy, which sinapse does
/// not have, so `compile` rejects that case rather than compute something else.
template <typename Scalar>
class MetricArgument {
 public:
  MetricArgument(const Metric<Scalar>& metric) : metric_(metric.clone()) {}
  MetricArgument(const char* name) : MetricArgument(std::string(name)) {}
  /// @throws ValueError for an unknown name.
  MetricArgument(const std::string& name) : name_(name) {
    if (name != "accuracy" && name != "acc" && name != "binary_accuracy") {
      throw ValueError(detail::concat("compile: unknown metric \"", name,
                                      "\"; known metrics: accuracy, acc, binary_accuracy"));
    }
    metric_ = std::make_shared<BinaryAccuracy<Scalar>>(name);
  }
  /// Name as the user wrote it; empty for a Metric object.
  const std::string& keras_name() const { return name_; }
  /// Returns a fresh copy, so one argument can compile several models.
  std::unique_ptr<Metric<Scalar>> make() const { return metric_->clone(); }

 private:
  std::string name_;
  std::shared_ptr<const Metric<Scalar>> metric_;
};

}  // namespace sinapse
