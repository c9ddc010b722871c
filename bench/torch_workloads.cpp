// The benchmark's networks in libtorch's C++ API, written as a libtorch user would: an
// nn::Sequential, optim::Adam and binary_cross_entropy on the sigmoid output.

#include <chrono>
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

#include <ATen/Parallel.h>
#include <torch/torch.h>
#include <torch/version.h>

#include "runners.hpp"

namespace sinapse_bench {
namespace torch_backend {
namespace {

using Clock = std::chrono::steady_clock;

template <typename Scalar>
torch::Dtype dtype_of() {
  return std::is_same<Scalar, float>::value ? torch::kFloat32 : torch::kFloat64;
}

/// Copies a column-major Eigen matrix into a new row-major tensor of the same shape.
template <typename Scalar>
torch::Tensor to_tensor(const Matrix<Scalar>& matrix) {
  const torch::Tensor transposed =
      torch::from_blob(const_cast<Scalar*>(matrix.data()), {matrix.cols(), matrix.rows()},
                       dtype_of<Scalar>());
  return transposed.t().clone(torch::MemoryFormat::Contiguous);
}

/// Builds the network; every caller then loads the weights of the other implementations.
torch::nn::Sequential make_sequential(const Network& network, torch::Dtype dtype) {
  torch::nn::Sequential sequential;
  Index inputs = network.inputs;
  for (const HiddenBlock& block : network.hidden) {
    sequential->push_back(torch::nn::Linear(inputs, block.units));
    if (block.activation == Activation::relu) {
      sequential->push_back(torch::nn::ReLU());
    } else {
      sequential->push_back(torch::nn::Tanh());
    }
    if (block.dropout_rate > 0.0) sequential->push_back(torch::nn::Dropout(block.dropout_rate));
    if (block.batch_norm) {
      // Keras's momentum 0.99 is PyTorch's 0.01; Keras's epsilon is 1e-3.
      sequential->push_back(torch::nn::BatchNorm1d(
          torch::nn::BatchNorm1dOptions(block.units).eps(1e-3).momentum(0.01)));
    }
    inputs = block.units;
  }
  sequential->push_back(torch::nn::Linear(inputs, 1));
  sequential->push_back(torch::nn::Sigmoid());
  sequential->to(dtype);
  return sequential;
}

torch::optim::AdamOptions adam_options() { return torch::optim::AdamOptions(1e-3).eps(1e-7); }

/// Copies weights in Keras's order (see EigenBaseline::set_keras_weights) into the model.
template <typename Scalar>
void load_keras_weights(const torch::nn::Sequential& model,
                        const std::vector<Matrix<Scalar>>& weights) {
  std::size_t next = 0;
  auto take = [&](const torch::Tensor& target, bool transpose) {
    if (next >= weights.size()) {
      throw std::invalid_argument("load_keras_weights: got " + std::to_string(weights.size()) +
                                  " weights, fewer than the model has");
    }
    torch::Tensor value = to_tensor(weights[next++]);
    if (transpose) value = value.t();
    target.copy_(value.reshape(target.sizes()));
  };
  torch::NoGradGuard no_grad;
  for (const auto& module : model->modules(false)) {
    if (auto* linear = module->as<torch::nn::Linear>()) {
      take(linear->weight, true);
      take(linear->bias, false);
    } else if (auto* norm = module->as<torch::nn::BatchNorm1d>()) {
      take(norm->weight, false);
      take(norm->bias, false);
      take(norm->running_mean, false);
      take(norm->running_var, false);
    }
  }
  if (next != weights.size()) {
    throw std::invalid_argument("load_keras_weights: got " + std::to_string(weights.size()) +
                                " weights, but the model has " + std::to_string(next));
  }
}

template <typename Scalar>
class TorchTrainer : public TrainingRunner {
 public:
  TorchTrainer(const Network& network, const Dataset<Scalar>& data,
               const std::vector<Matrix<Scalar>>& weights)
      : model_(make_sequential(network, dtype_of<Scalar>())),
        optimizer_(model_->parameters(), adam_options()),
        x_(to_tensor(data.x)),
        y_(to_tensor(data.y)),
        batch_size_(network.batch_size) {
    load_keras_weights(model_, weights);
  }

  double seconds_per_step(int epochs) override {
    model_->train();
    const std::int64_t samples = x_.size(0);
    std::int64_t steps = 0;
    const Clock::time_point start = Clock::now();
    for (int epoch = 0; epoch < epochs; ++epoch) {
      const torch::Tensor order = torch::randperm(samples, torch::kLong);
      double loss_sum = 0.0;
      std::int64_t correct = 0;
      for (std::int64_t begin = 0; begin < samples; begin += batch_size_) {
        const std::int64_t end = std::min(samples, begin + batch_size_);
        const torch::Tensor rows = order.slice(0, begin, end);
        const torch::Tensor x = x_.index_select(0, rows);
        const torch::Tensor y = y_.index_select(0, rows);
        optimizer_.zero_grad();
        const torch::Tensor output = model_->forward(x);
        const torch::Tensor loss = torch::binary_cross_entropy(output, y);
        loss.backward();
        optimizer_.step();
        loss_sum += loss.item<double>() * static_cast<double>(end - begin);
        {
          torch::NoGradGuard no_grad;
          correct += output.gt(0.5).to(y.scalar_type()).eq(y).sum().item<std::int64_t>();
        }
        ++steps;
      }
      last_loss_ = loss_sum / static_cast<double>(samples);
      last_accuracy_ = static_cast<double>(correct) / static_cast<double>(samples);
    }
    return std::chrono::duration<double>(Clock::now() - start).count() /
           static_cast<double>(steps);
  }

 private:
  torch::nn::Sequential model_;
  torch::optim::Adam optimizer_;
  torch::Tensor x_;
  torch::Tensor y_;
  std::int64_t batch_size_;
  double last_loss_ = 0.0;
  double last_accuracy_ = 0.0;
};

class TorchPredictor : public PredictionRunner {
 public:
  TorchPredictor(const Network& network, const Matrix<float>& x, Index batch_size,
                 const std::vector<Matrix<float>>& weights)
      : model_(make_sequential(network, torch::kFloat32)),
        x_(to_tensor(x)),
        output_(torch::empty({x.rows(), 1}, torch::kFloat32)),
        batch_size_(batch_size) {
    load_keras_weights(model_, weights);
    model_->eval();
  }

  double seconds_per_batch() override {
    c10::InferenceMode inference;
    const std::int64_t samples = x_.size(0);
    std::int64_t batches = 0;
    const Clock::time_point start = Clock::now();
    for (std::int64_t begin = 0; begin < samples; begin += batch_size_) {
      const std::int64_t end = std::min(samples, begin + batch_size_);
      output_.slice(0, begin, end).copy_(model_->forward(x_.slice(0, begin, end)));
      ++batches;
    }
    return std::chrono::duration<double>(Clock::now() - start).count() /
           static_cast<double>(batches);
  }

 private:
  torch::nn::Sequential model_;
  torch::Tensor x_;
  torch::Tensor output_;
  std::int64_t batch_size_;
};

}  // namespace

bool available() { return true; }

std::string description() {
  std::ostringstream text;
  text << "libtorch " << TORCH_VERSION_MAJOR << '.' << TORCH_VERSION_MINOR << '.'
       << TORCH_VERSION_PATCH << ", " << at::get_parallel_info();
  return text.str();
}

void set_threads(int threads) { torch::set_num_threads(threads); }

std::unique_ptr<TrainingRunner> make_trainer(const Network& network, const Dataset<float>& data,
                                             const std::vector<Matrix<float>>& weights) {
  return std::make_unique<TorchTrainer<float>>(network, data, weights);
}

std::unique_ptr<TrainingRunner> make_trainer(const Network& network, const Dataset<double>& data,
                                             const std::vector<Matrix<double>>& weights) {
  return std::make_unique<TorchTrainer<double>>(network, data, weights);
}

std::unique_ptr<PredictionRunner> make_predictor(const Network& network, const Matrix<float>& x,
                                                 Index batch_size,
                                                 const std::vector<Matrix<float>>& weights) {
  return std::make_unique<TorchPredictor>(network, x, batch_size, weights);
}

std::vector<double> training_losses(const Network& network,
                                    const std::vector<Matrix<double>>& weights,
                                    const std::vector<Dataset<double>>& batches) {
  for (const HiddenBlock& block : network.hidden) {
    if (block.dropout_rate > 0.0) {
      throw std::invalid_argument("training_losses: the network must have no dropout");
    }
  }
  torch::nn::Sequential model = make_sequential(network, torch::kFloat64);
  load_keras_weights(model, weights);
  torch::optim::Adam optimizer(model->parameters(), adam_options());
  auto& options = static_cast<torch::optim::AdamOptions&>(optimizer.param_groups()[0].options());
  model->train();
  std::vector<double> losses;
  for (std::size_t step = 1; step <= batches.size(); ++step) {
    const Dataset<double>& batch = batches[step - 1];
    // PyTorch adds epsilon to sqrt(v / (1 - beta_2^t)), Keras to sqrt(v). Scaling epsilon by
    // 1 / sqrt(1 - beta_2^t) makes the two updates equal, so the losses can be compared tightly.
    options.eps(1e-7 / std::sqrt(1.0 - std::pow(0.999, static_cast<double>(step))));
    optimizer.zero_grad();
    const torch::Tensor loss =
        torch::binary_cross_entropy(model->forward(to_tensor(batch.x)), to_tensor(batch.y));
    loss.backward();
    optimizer.step();
    losses.push_back(loss.item<double>());
  }
  return losses;
}

}  // namespace torch_backend
}  // namespace sinapse_bench
