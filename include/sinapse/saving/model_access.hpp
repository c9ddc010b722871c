#pragma once

#include <memory>
#include <vector>

#include "sinapse/core/random.hpp"
#include "sinapse/losses/loss.hpp"
#include "sinapse/metrics/metric.hpp"
#include "sinapse/model/graph_executor.hpp"
#include "sinapse/optimizers/optimizer.hpp"

namespace sinapse {

// Forward-declared for the reason given in architecture.hpp.
template <typename Scalar>
class Model;

namespace detail {

/// The saving code's access to the parts of a Model that have no public accessor: the
/// graph, the compile objects, the generator state and the epoch count. Model befriends
/// this struct, so that these stay out of its public interface.
template <typename Scalar>
struct ModelAccess {
  using ModelType = Model<Scalar>;

  static const GraphExecutor<Scalar>& executor(const ModelType& model) { return model.executor_; }

  static const Optimizer<Scalar>* optimizer(const ModelType& model) {
    return model.optimizer_.get();
  }
  static Optimizer<Scalar>* optimizer(ModelType& model) { return model.optimizer_.get(); }

  static const Loss<Scalar>* loss(const ModelType& model) { return model.loss_.get(); }

  static const std::vector<std::unique_ptr<Metric<Scalar>>>& metrics(const ModelType& model) {
    return model.metrics_;
  }

  /// Trainable variables in Keras's order, the order of the optimizer's slots.
  static const std::vector<Variable<Scalar>*>& trainable(const ModelType& model) {
    return model.trainable_;
  }

  static const Generator::State& generator_state(const ModelType& model) {
    return model.generator_.state();
  }
  static void set_generator_state(ModelType& model, const Generator::State& state) {
    model.generator_.set_state(state);
  }

  static int completed_epochs(const ModelType& model) { return model.completed_epochs_; }
  static void set_completed_epochs(ModelType& model, int epochs) {
    model.completed_epochs_ = epochs;
  }
};

}  // namespace detail
}  // namespace sinapse
