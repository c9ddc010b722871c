#pragma once

// Network shapes, data and FLOP counts shared by every implementation in the benchmark.
// This header depends on Eigen only, so that the hand-written baseline and the libtorch
// code share no code with sinapse.

#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Core>

namespace sinapse_bench {

using Index = Eigen::Index;

template <typename Scalar>
using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;

enum class Activation { relu, tanh };

inline const char* activation_name(Activation activation) {
  return activation == Activation::relu ? "relu" : "tanh";
}

/// One hidden block: Dense(units, activation), then Dropout(dropout_rate) when the rate is
/// positive, then BatchNormalization when batch_norm is set.
struct HiddenBlock {
  Index units;
  Activation activation;
  double dropout_rate = 0.0;
  bool batch_norm = false;
};

/// Input(inputs) -> hidden blocks -> Dense(1, sigmoid), trained with Adam on binary
/// cross-entropy with the accuracy metric.
struct Network {
  std::string name;
  Index inputs;
  std::vector<HiddenBlock> hidden;
  Index batch_size;
};

/// W1: 20 -> Dense 64 relu -> Dropout 0.5 -> Dense 64 relu -> Dense 1 sigmoid, batch 32.
inline Network w1_network() {
  return {"W1", 20, {{64, Activation::relu, 0.5, false}, {64, Activation::relu, 0.0, false}}, 32};
}

/// W2: 20 -> Dense 64 tanh -> BatchNormalization -> Dense 64 tanh -> BatchNormalization
/// -> Dense 1 sigmoid, batch 32.
inline Network w2_network() {
  return {"W2", 20, {{64, Activation::tanh, 0.0, true}, {64, Activation::tanh, 0.0, true}}, 32};
}

/// W3: 256 -> Dense 1024 relu -> Dropout 0.5 -> Dense 1024 relu -> Dense 1 sigmoid, batch 256.
inline Network w3_network() {
  return {"W3",
          256,
          {{1024, Activation::relu, 0.5, false}, {1024, Activation::relu, 0.0, false}},
          256};
}

/// Widths of the Dense layers' inputs and outputs, in order, ending with the output unit.
inline std::vector<Index> layer_widths(const Network& network) {
  std::vector<Index> widths{network.inputs};
  for (const HiddenBlock& block : network.hidden) widths.push_back(block.units);
  widths.push_back(1);
  return widths;
}

/// Floating-point operations of the matrix products in one training step of `batch` samples.
/// Each Dense layer costs 2 b in out forward and the same for its kernel gradient. Its input
/// gradient costs 2 b in out again, except in the first Dense layer, where no layer needs it.
/// Elementwise work (activations, dropout, normalization, Adam) is left out.
inline double training_flops(const Network& network, Index batch) {
  const std::vector<Index> widths = layer_widths(network);
  double flops = 0.0;
  for (std::size_t i = 0; i + 1 < widths.size(); ++i) {
    const double product = 2.0 * static_cast<double>(batch) * static_cast<double>(widths[i]) *
                           static_cast<double>(widths[i + 1]);
    flops += (i == 0 ? 2.0 : 3.0) * product;
  }
  return flops;
}

/// Floating-point operations of the forward matrix products for `samples` samples.
inline double inference_flops(const Network& network, Index samples) {
  const std::vector<Index> widths = layer_widths(network);
  double flops = 0.0;
  for (std::size_t i = 0; i + 1 < widths.size(); ++i) {
    flops += 2.0 * static_cast<double>(samples) * static_cast<double>(widths[i]) *
             static_cast<double>(widths[i + 1]);
  }
  return flops;
}

/// SplitMix64 (Steele, Lea and Flood, 2014): a fast generator for data, weights and masks
/// in the benchmark. It is not sinapse's generator, so no implementation shares its draws.
/// Draw i after state s is mix(s + i * increment), so a loop can compute many draws
/// independently (see skip), and compilers vectorize it.
class FastRandom {
 public:
  static constexpr std::uint64_t increment = 0x9e3779b97f4a7c15ULL;

  explicit FastRandom(std::uint64_t seed) : state_(seed) {}

  static std::uint64_t mix(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  std::uint64_t next() { return mix(state_ += increment); }

  /// Skips `count` draws and returns the state before them: draw i (from 1) of those is
  /// mix(returned + i * increment).
  std::uint64_t skip(std::uint64_t count) {
    const std::uint64_t start = state_;
    state_ += count * increment;
    return start;
  }

  /// Returns a double uniform in [0, 1).
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  std::uint64_t state_;
};

/// Training data in sinapse's and Keras's layout: x (samples, features), y (samples, 1).
template <typename Scalar>
struct Dataset {
  Matrix<Scalar> x;
  Matrix<Scalar> y;
};

/// Features uniform in [0, 1) and labels from a fixed random linear rule with 10 percent of
/// them flipped, so the networks have something to learn and the accuracy varies.
template <typename Scalar>
Dataset<Scalar> make_dataset(Index samples, Index features, std::uint64_t seed) {
  FastRandom random(seed);
  Dataset<Scalar> data{Matrix<Scalar>(samples, features), Matrix<Scalar>(samples, 1)};
  Eigen::VectorXd direction(features);
  for (Index j = 0; j < features; ++j) direction(j) = 2.0 * random.uniform() - 1.0;
  const double threshold = 0.5 * direction.sum();
  for (Index j = 0; j < features; ++j) {
    for (Index i = 0; i < samples; ++i) data.x(i, j) = static_cast<Scalar>(random.uniform());
  }
  for (Index i = 0; i < samples; ++i) {
    const double score = data.x.row(i).template cast<double>().dot(direction.transpose());
    const bool positive = score > threshold;
    const bool flipped = random.uniform() < 0.1;
    data.y(i, 0) = (positive != flipped) ? Scalar(1) : Scalar(0);
  }
  return data;
}

}  // namespace sinapse_bench
