#pragma once

// Builds the candidates of one workload (sinapse, the Eigen loop, libtorch at each thread
// count) and runs them interleaved.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <sinapse/sinapse.hpp>

#include "eigen_baseline.hpp"
#include "harness.hpp"
#include "runners.hpp"
#include "sinapse_workloads.hpp"
#include "system_info.hpp"
#include "workloads.hpp"

namespace sinapse_bench {

// Implementation names, used as table columns.
inline const std::string kSinapseFit = "sinapse fit";
inline const std::string kSinapseTrainOnBatch = "sinapse train_on_batch";
inline const std::string kSinapsePredict = "sinapse predict";
inline const std::string kEigenLoop = "Eigen loop";
inline const std::string kLibtorch = "libtorch";

constexpr std::uint64_t kModelSeed = 1234;
constexpr std::uint64_t kDataSeed = 42;

/// The measured candidates of one workload and scalar type.
struct Group {
  std::string workload;
  std::string scalar;
  bool prediction = false;
  Index batch_size = 0;
  Index steps_per_measurement = 0;  // training steps or prediction batches
  std::vector<Candidate> candidates;
};

/// How much work one measurement does.
struct TrainingSize {
  Index steps_per_epoch;
  int epochs;
};

/// The implementations and thread counts to run.
struct RunPlan {
  std::vector<int> threads;
  bool eigen_threads = false;  // sinapse can use more than one thread in this build
  bool loop_threads = false;   // Eigen's own products, and so the Eigen loop, can too
  bool torch = false;
  int repetitions = 11;
};

inline void set_all_threads(int threads, bool torch) {
  set_eigen_threads(threads);
#if defined(SINAPSE_BENCH_HAVE_TORCH)
  if (torch) torch_backend::set_threads(threads);
#else
  (void)torch;
#endif
}

template <typename Scalar>
const char* scalar_label() {
  return std::is_same<Scalar, float>::value ? "float" : "double";
}

/// Times a training step of the network on every implementation.
template <typename Scalar>
Group run_training(const Network& network, const TrainingSize& size, const RunPlan& plan) {
  using MatrixType = Matrix<Scalar>;
  using RowVectorType = Eigen::Matrix<Scalar, 1, Eigen::Dynamic>;
  const Index batch = network.batch_size;
  const Index samples = batch * size.steps_per_epoch;
  const Dataset<Scalar> data = make_dataset<Scalar>(samples, network.inputs, kDataSeed);
  const MatrixType x_columns = data.x.transpose();
  const RowVectorType y_columns = data.y.transpose();
  std::vector<std::pair<MatrixType, MatrixType>> batches;
  for (Index begin = 0; begin < samples; begin += batch) {
    batches.emplace_back(data.x.middleRows(begin, batch), data.y.middleRows(begin, batch));
  }
  const int epochs = size.epochs;
  const double steps = static_cast<double>(size.steps_per_epoch * epochs);

  // Every implementation starts from the weights of a sinapse model built with kModelSeed.
  const std::vector<MatrixType> weights =
      make_sinapse_model<Scalar>(network, kModelSeed).get_weights();

  Group group{network.name, scalar_label<Scalar>(), false, batch,
              size.steps_per_epoch * epochs, {}};
  for (int threads : plan.threads) {
    const bool eigen_runs = threads == 1 || plan.eigen_threads;
    if (eigen_runs) {
      auto fit_model =
          std::make_shared<sinapse::Model<Scalar>>(make_sinapse_model<Scalar>(network, kModelSeed));
      group.candidates.push_back({kSinapseFit, threads, [fit_model, &data, epochs, batch, steps] {
                                    const Clock::time_point start = Clock::now();
                                    fit_model->fit(data.x, data.y,
                                                   sinapse::FitOptions<Scalar>()
                                                       .epochs(epochs)
                                                       .batch_size(batch)
                                                       .verbose(0));
                                    return seconds_since(start) / steps;
                                  }});
      auto batch_model =
          std::make_shared<sinapse::Model<Scalar>>(make_sinapse_model<Scalar>(network, kModelSeed));
      group.candidates.push_back(
          {kSinapseTrainOnBatch, threads, [batch_model, &batches, epochs, steps] {
             const Clock::time_point start = Clock::now();
             for (int epoch = 0; epoch < epochs; ++epoch) {
               for (const auto& xy : batches) batch_model->train_on_batch(xy.first, xy.second);
             }
             return seconds_since(start) / steps;
           }});
    }
    if (threads == 1 || plan.loop_threads) {
      auto loop = std::make_shared<EigenBaseline<Scalar>>(network, kModelSeed);
      loop->set_keras_weights(weights);
      group.candidates.push_back({kEigenLoop, threads, [loop, &x_columns, &y_columns, epochs,
                                                        batch, steps] {
                                    const Clock::time_point start = Clock::now();
                                    loop->fit(x_columns, y_columns, batch, epochs);
                                    return seconds_since(start) / steps;
                                  }});
    }
#if defined(SINAPSE_BENCH_HAVE_TORCH)
    if (plan.torch) {
      std::shared_ptr<TrainingRunner> trainer =
          torch_backend::make_trainer(network, data, weights);
      group.candidates.push_back(
          {kLibtorch, threads, [trainer, epochs] { return trainer->seconds_per_step(epochs); }});
    }
#endif
  }
  const bool torch = plan.torch;
  run_interleaved(group.candidates, plan.repetitions,
                  [torch](int threads) { set_all_threads(threads, torch); });
  // The closures refer to this function's data, which is about to go.
  for (Candidate& candidate : group.candidates) candidate.measure = nullptr;
  return group;
}

/// Times prediction (workload W4) with the network in batches of batch_size over `samples`
/// samples.
inline Group run_prediction(const Network& network, Index samples, Index batch_size,
                            const RunPlan& plan) {
  const Dataset<float> data = make_dataset<float>(samples, network.inputs, kDataSeed);
  const Matrix<float> x_columns = data.x.transpose();
  const Index batches = (samples + batch_size - 1) / batch_size;
  const double count = static_cast<double>(batches);
  const std::vector<Matrix<float>> weights =
      make_sinapse_model<float>(network, kModelSeed).get_weights();
  Group group{"W4", "float", true, batch_size, batches, {}};
  for (int threads : plan.threads) {
    if (threads == 1 || plan.eigen_threads) {
      auto model =
          std::make_shared<sinapse::Model<float>>(make_sinapse_model<float>(network, kModelSeed));
      group.candidates.push_back({kSinapsePredict, threads, [model, &data, batch_size, count] {
                                    const Clock::time_point start = Clock::now();
                                    const sinapse::Matrix<float> output = model->predict(
                                        data.x,
                                        sinapse::PredictOptions().batch_size(batch_size).verbose(0));
                                    const double seconds = seconds_since(start);
                                    return output.rows() > 0 ? seconds / count : 0.0;
                                  }});
    }
    if (threads == 1 || plan.loop_threads) {
      auto loop = std::make_shared<EigenBaseline<float>>(network, kModelSeed);
      loop->set_keras_weights(weights);
      auto output = std::make_shared<Eigen::Matrix<float, 1, Eigen::Dynamic>>();
      group.candidates.push_back({kEigenLoop, threads, [loop, output, &x_columns, batch_size,
                                                        count] {
                                    const Clock::time_point start = Clock::now();
                                    loop->predict(x_columns, batch_size, *output);
                                    return seconds_since(start) / count;
                                  }});
    }
#if defined(SINAPSE_BENCH_HAVE_TORCH)
    if (plan.torch) {
      std::shared_ptr<PredictionRunner> predictor =
          torch_backend::make_predictor(network, data.x, batch_size, weights);
      group.candidates.push_back(
          {kLibtorch, threads, [predictor] { return predictor->seconds_per_batch(); }});
    }
#endif
  }
  const bool torch = plan.torch;
  run_interleaved(group.candidates, plan.repetitions,
                  [torch](int threads) { set_all_threads(threads, torch); });
  for (Candidate& candidate : group.candidates) candidate.measure = nullptr;
  return group;
}

}  // namespace sinapse_bench
