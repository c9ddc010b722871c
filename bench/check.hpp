#pragma once

// Checks that the three implementations compute the same training math, so that the
// timings compare equal work: from the same initial weights, on the same batches, in
// double, sinapse's train_on_batch, the Eigen loop and libtorch must give the same losses.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <sinapse/sinapse.hpp>

#include "eigen_baseline.hpp"
#include "runners.hpp"
#include "sinapse_workloads.hpp"
#include "workloads.hpp"

namespace sinapse_bench {

struct CheckResult {
  std::string network;
  double loop_loss_difference = 0.0;    // max relative difference to sinapse's losses
  double loop_weight_difference = 0.0;  // max absolute difference of the final weights
  double torch_loss_difference = -1.0;  // -1: libtorch not run
};

// Bounds for passing: all three do the same float64 operations up to their order.
constexpr double kLoopLossTolerance = 1e-10;
constexpr double kLoopWeightTolerance = 1e-10;
constexpr double kTorchLossTolerance = 1e-10;

inline double relative_difference(double a, double b) {
  return std::abs(a - b) / std::max({std::abs(a), std::abs(b), 1e-300});
}

/// Trains `steps` batches in order on all implementations from sinapse's initial weights.
/// Dropout is removed, because the implementations draw different masks.
inline CheckResult check_network(Network network, int steps, bool torch) {
  for (HiddenBlock& block : network.hidden) block.dropout_rate = 0.0;
  const Index batch = network.batch_size;
  const Dataset<double> data = make_dataset<double>(batch * steps, network.inputs, 7);
  sinapse::Model<double> model = make_sinapse_model<double>(network, 99);
  EigenBaseline<double> loop(network, 1);
  loop.set_keras_weights(model.get_weights());
  const std::vector<Matrix<double>> initial_weights = model.get_weights();

  CheckResult result;
  result.network = network.name + (network.name == "W1" ? " without dropout" : "");
  std::vector<double> sinapse_losses;
  std::vector<Dataset<double>> batches;
  for (int step = 0; step < steps; ++step) {
    const Index begin = step * batch;
    Dataset<double> part{data.x.middleRows(begin, batch), data.y.middleRows(begin, batch)};
    const double sinapse_loss = model.train_on_batch(part.x, part.y).at("loss");
    const Matrix<double> x_columns = part.x.transpose();
    const Eigen::RowVectorXd y_columns = part.y.transpose();
    const double loop_loss = loop.train_on_batch(x_columns, y_columns);
    result.loop_loss_difference =
        std::max(result.loop_loss_difference, relative_difference(sinapse_loss, loop_loss));
    sinapse_losses.push_back(sinapse_loss);
    batches.push_back(std::move(part));
  }
  const std::vector<Matrix<double>> sinapse_weights = model.get_weights();
  const std::vector<Matrix<double>> loop_weights = loop.keras_weights();
  for (std::size_t i = 0; i < sinapse_weights.size(); ++i) {
    result.loop_weight_difference =
        std::max(result.loop_weight_difference,
                 (sinapse_weights[i] - loop_weights[i]).cwiseAbs().maxCoeff());
  }
#if defined(SINAPSE_BENCH_HAVE_TORCH)
  if (torch) {
    const std::vector<double> torch_losses =
        torch_backend::training_losses(network, initial_weights, batches);
    result.torch_loss_difference = 0.0;
    for (std::size_t i = 0; i < torch_losses.size(); ++i) {
      result.torch_loss_difference = std::max(
          result.torch_loss_difference, relative_difference(sinapse_losses[i], torch_losses[i]));
    }
  }
#else
  (void)torch;
  (void)initial_weights;
#endif
  return result;
}

/// Returns true when every difference is within its bound.
inline bool check_passed(const CheckResult& result) {
  return result.loop_loss_difference <= kLoopLossTolerance &&
         result.loop_weight_difference <= kLoopWeightTolerance &&
         result.torch_loss_difference <= kTorchLossTolerance;
}

}  // namespace sinapse_bench
