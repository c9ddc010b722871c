// Writes the seed corpus of fuzz_load_model into the folder given as argument: the valid
// model and weights files of test_support::model_file_seeds(), then files of varied valid
// models that make_varied_model draws from fixed seeds. Mutations of a valid file mostly
// fail early, so many different valid graphs (widths, layer kinds, shared layers, merges,
// compile settings, optimizer state) let the fuzzer reach each check from many places.
#include <cstdint>
#include <exception>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <sinapse/sinapse.hpp>

#include "support/model_file_seeds.hpp"

namespace {

using sinapse::Index;

/// Draws from std::mt19937 with modulo rather than a std distribution, whose output
/// differs between standard libraries, so the corpus is the same everywhere.
class Draw {
 public:
  explicit Draw(std::uint32_t seed) : engine_(seed) {}
  /// Returns an integer in [0, count).
  Index below(Index count) { return static_cast<Index>(engine_() % static_cast<std::uint32_t>(count)); }
  bool coin() { return below(2) == 0; }
  template <typename T>
  const T& pick(const std::vector<T>& items) {
    return items[static_cast<std::size_t>(below(static_cast<Index>(items.size())))];
  }

 private:
  std::mt19937 engine_;
};

/// Returns the file of a random valid model, and every third time its weights file too.
/// The model has one or two inputs and two to six layer calls of every kind, merged into
/// one sigmoid output. A Dense layer may be called again on another tensor of the same
/// width. Half of the models are compiled, and some of those are trained for one or two
/// epochs and saved with their History as the training record.
template <typename Scalar>
std::vector<std::string> make_varied_model(std::uint32_t seed) {
  using Matrix = sinapse::Matrix<Scalar>;
  using Tensor = sinapse::Tensor<Scalar>;
  Draw draw(seed);
  sinapse::clear_session();
  sinapse::set_random_seed(seed);
  const std::vector<std::string> activations{"linear", "relu", "tanh", "sigmoid", "softmax"};

  std::vector<Tensor> inputs;
  const Index input_count = 1 + draw.below(2);
  for (Index i = 0; i < input_count; ++i) inputs.push_back(sinapse::Input<Scalar>(1 + draw.below(5)));
  std::vector<Tensor> tensors = inputs;
  std::vector<sinapse::Dense<Scalar>> dense_layers;

  const Index steps = 2 + draw.below(5);
  for (Index step = 0; step < steps; ++step) {
    const Tensor x = draw.pick(tensors);
    switch (draw.below(7)) {
      case 0:
      case 1: {
        sinapse::DenseOptions options(1 + draw.below(6));
        options.activation(draw.pick(activations)).use_bias(draw.below(4) != 0);
        dense_layers.emplace_back(options);
        tensors.push_back(dense_layers.back()(x));
        break;
      }
      case 2: {
        sinapse::DropoutOptions options(draw.coin() ? 0.5 : 0.1);
        if (draw.coin()) options.seed(static_cast<std::uint64_t>(draw.below(1000)));
        tensors.push_back(sinapse::Dropout<Scalar>(options)(x));
        break;
      }
      case 3: {
        sinapse::BatchNormalizationOptions options;
        options.center(draw.below(4) != 0).scale(draw.below(4) != 0);
        tensors.push_back(sinapse::BatchNormalization<Scalar>(options)(x));
        break;
      }
      case 4:
        tensors.push_back(sinapse::Activation<Scalar>(draw.pick(activations))(x));
        break;
      case 5: {
        // Add needs equal widths, so it adds x to a Dense projection of another tensor.
        sinapse::Dense<Scalar> projection(sinapse::DenseOptions(x.width()));
        tensors.push_back(sinapse::Add<Scalar>()({x, projection(draw.pick(tensors))}));
        break;
      }
      default: {
        // Calls an earlier Dense layer again when one takes this width, which shares it.
        bool shared = false;
        for (auto& layer : dense_layers) {
          if (!shared && layer->built() && layer->input_widths()[0] == x.width()) {
            tensors.push_back(layer(x));
            shared = true;
          }
        }
        if (!shared) tensors.push_back(sinapse::Concatenate<Scalar>()({x, draw.pick(tensors)}));
        break;
      }
    }
  }
  // Concatenating every input with the last tensor keeps every input in the graph.
  std::vector<Tensor> merged = inputs;
  merged.push_back(tensors.back());
  const Tensor joined = sinapse::Concatenate<Scalar>()(merged);
  const Tensor output = sinapse::Dense<Scalar>(1, "sigmoid")(joined);
  sinapse::Model<Scalar> model(inputs, output);

  // The training record that BackupAndRestore stores, for the models that were trained.
  sinapse::detail::Json training;
  if (draw.coin()) {
    model.compile(sinapse::Adam<Scalar>(0.01, 0.9, 0.999, 1e-7, draw.coin()),
                  sinapse::BinaryCrossentropy<Scalar>(draw.coin(), draw.coin() ? 0.0 : 0.1),
                  {sinapse::BinaryAccuracy<Scalar>("accuracy", 0.5)});
    std::vector<Matrix> x;
    for (const Tensor& input : inputs) {
      x.push_back(Matrix::Constant(4, input.width(), Scalar(0.25)));
    }
    const Matrix y = Matrix::Ones(4, 1);
    const int epochs = static_cast<int>(draw.below(3));
    if (epochs > 0) {
      const sinapse::History history = model.fit(
          x, y, sinapse::FitOptions<Scalar>().epochs(epochs).batch_size(2).verbose(0));
      training = {{"history", sinapse::detail::history_to_json(history)}};
    }
  }
  const sinapse::detail::Json* record = training.is_null() ? nullptr : &training;
  std::vector<std::string> files{sinapse::detail::save_model_to_bytes(model, record)};
  if (draw.below(3) == 0) files.push_back(sinapse::detail::save_weights_to_bytes(model));
  return files;
}

/// Number of varied models written after the fixed seeds; about 1 to 10 KB each.
constexpr std::uint32_t varied_model_count = 32;

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: " << argv[0] << " FOLDER\n"
              << "Writes the seed corpus of fuzz_load_model into FOLDER, which must exist.\n";
    return 2;
  }
  const std::string folder = argv[1];
  std::vector<std::pair<std::string, std::string>> seeds = test_support::model_file_seeds();
  for (std::uint32_t k = 0; k < varied_model_count; ++k) {
    const bool as_double = k % 2 == 1;
    const std::vector<std::string> files =
        as_double ? make_varied_model<double>(k) : make_varied_model<float>(k);
    const std::string stem = "varied_" + std::to_string(k) + (as_double ? "_float64" : "_float32");
    seeds.emplace_back(stem, files[0]);
    if (files.size() > 1) seeds.emplace_back(stem + "_weights", files[1]);
  }
  for (const auto& seed : seeds) {
    const std::string path = folder + "/" + seed.first + ".sinapse";
    std::ofstream out(path, std::ios::binary);
    out.write(seed.second.data(), static_cast<std::streamsize>(seed.second.size()));
    out.close();
    if (!out) {
      std::cerr << argv[0] << ": cannot write " << path << '\n';
      return 1;
    }
  }
  std::cout << argv[0] << ": wrote " << seeds.size() << " files to " << folder << '\n';
  return 0;
}
