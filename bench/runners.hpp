#pragma once

// Interfaces between the benchmark's driver and the libtorch code, which lives in its own
// translation unit (torch_workloads.cpp) so that only that file includes libtorch's headers.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "workloads.hpp"

namespace sinapse_bench {

/// A model and its training data, ready to be timed.
class TrainingRunner {
 public:
  virtual ~TrainingRunner() = default;
  /// Trains `epochs` epochs over the whole data set and returns the wall time per step,
  /// in seconds.
  virtual double seconds_per_step(int epochs) = 0;
};

/// A model and its inference data, ready to be timed.
class PredictionRunner {
 public:
  virtual ~PredictionRunner() = default;
  /// Predicts the whole data set and returns the wall time per batch, in seconds.
  virtual double seconds_per_batch() = 0;
};

namespace torch_backend {

/// True when the program was built with libtorch.
bool available();

/// Version and threading details of the libtorch in use.
std::string description();

/// Sets libtorch's intra-op thread count (torch::set_num_threads).
void set_threads(int threads);

/// The network in torch::nn with torch::optim::Adam (learning rate 1e-3, epsilon 1e-7) and
/// binary cross-entropy, starting from `weights` in Keras's order (see
/// EigenBaseline::set_keras_weights). Each epoch draws a permutation with torch::randperm,
/// gathers each batch with index_select, and computes the loss and accuracy as `fit` reports
/// them.
std::unique_ptr<TrainingRunner> make_trainer(const Network& network, const Dataset<float>& data,
                                             const std::vector<Matrix<float>>& weights);
std::unique_ptr<TrainingRunner> make_trainer(const Network& network, const Dataset<double>& data,
                                             const std::vector<Matrix<double>>& weights);

/// The network in inference mode (torch::InferenceMode, eval()) with `weights`, predicting x
/// (samples, features) in batches of batch_size into a preallocated output tensor.
std::unique_ptr<PredictionRunner> make_predictor(const Network& network, const Matrix<float>& x,
                                                 Index batch_size,
                                                 const std::vector<Matrix<float>>& weights);

/// Starts the network from `weights` in Keras's order (see EigenBaseline::set_keras_weights),
/// runs one training step per batch in order, and returns each batch's loss before its update.
/// Adam's epsilon is rescaled at each step so that the update equals Keras's. The network must
/// have no dropout.
std::vector<double> training_losses(const Network& network, const std::vector<Matrix<double>>& weights,
                                    const std::vector<Dataset<double>>& batches);

}  // namespace torch_backend
}  // namespace sinapse_bench
