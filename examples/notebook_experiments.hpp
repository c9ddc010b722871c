// The random data, the four networks and the command-line options shared by the
// examples. The networks are those of the Keras notebook "Dropout e Normalização em Lote
// em modelagens com Redes Neurais" (2025), so 01 to 04 each train one of them and
// 05_compare_experiments.cpp trains all four with the same code.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include <sinapse/sinapse.hpp>

namespace notebook {

/// The notebook's data: features uniform in [0, 1) and labels 0 or 1, both random, so
/// no network can beat chance on the test rows.
struct NotebookData {
  sinapse::Matrix<float> x_train;  // (1000, 20)
  sinapse::Matrix<float> y_train;  // (1000, 1)
  sinapse::Matrix<float> x_test;   // (200, 20)
  sinapse::Matrix<float> y_test;   // (200, 1)
};

/// Returns a (rows, columns) matrix uniform in [0, 1), filled row by row as
/// `np.random.rand(rows, columns)` is.
inline sinapse::Matrix<float> random_uniform(sinapse::Index rows, sinapse::Index columns,
                                             sinapse::Generator& generator) {
  sinapse::Matrix<float> result(rows, columns);
  for (sinapse::Index i = 0; i < rows; ++i) {
    for (sinapse::Index j = 0; j < columns; ++j) {
      result(i, j) = static_cast<float>(generator.uniform());
    }
  }
  return result;
}

/// Returns (rows, 1) labels, each 0 or 1 with equal probability, as
/// `np.random.randint(2, size=(rows, 1))`.
inline sinapse::Matrix<float> random_labels(sinapse::Index rows, sinapse::Generator& generator) {
  sinapse::Matrix<float> result(rows, 1);
  for (sinapse::Index i = 0; i < rows; ++i) result(i, 0) = static_cast<float>(generator.below(2));
  return result;
}

/// Generates the notebook's data from a seed: X_train 1000 x 20, y_train 1000 x 1,
/// X_test 200 x 20 and y_test 200 x 1.
inline NotebookData make_notebook_data(std::uint64_t seed) {
  const sinapse::Index features = 20;
  sinapse::Generator generator(seed);
  NotebookData data;
  data.x_train = random_uniform(1000, features, generator);
  data.y_train = random_labels(1000, generator);
  data.x_test = random_uniform(200, features, generator);
  data.y_test = random_labels(200, generator);
  return data;
}

/// Experiment 1: Dense(64, relu) -> Dropout(0.5) -> Dense(64, relu) -> Dense(1, sigmoid).
inline sinapse::Model<float> build_one_dropout_layer(sinapse::Index features) {
  sinapse::Tensor<float> inputs = sinapse::Input<float>(features);
  sinapse::Tensor<float> x = sinapse::Dense<float>(64, "relu")(inputs);
  x = sinapse::Dropout<float>(0.5)(x);
  x = sinapse::Dense<float>(64, "relu")(x);
  sinapse::Tensor<float> outputs = sinapse::Dense<float>(1, "sigmoid")(x);
  return sinapse::Model<float>(inputs, outputs);
}

/// Experiment 2: experiment 1 with a second Dropout(0.5) after the second Dense layer.
inline sinapse::Model<float> build_two_dropout_layers(sinapse::Index features) {
  sinapse::Tensor<float> inputs = sinapse::Input<float>(features);
  sinapse::Tensor<float> x = sinapse::Dense<float>(64, "relu")(inputs);
  x = sinapse::Dropout<float>(0.5)(x);
  x = sinapse::Dense<float>(64, "relu")(x);
  x = sinapse::Dropout<float>(0.5)(x);
  sinapse::Tensor<float> outputs = sinapse::Dense<float>(1, "sigmoid")(x);
  return sinapse::Model<float>(inputs, outputs);
}

/// Experiment 3, the baseline for 4: Dense(64, tanh) -> Dense(64, tanh) -> Dense(1, sigmoid).
inline sinapse::Model<float> build_tanh_baseline(sinapse::Index features) {
  sinapse::Tensor<float> inputs = sinapse::Input<float>(features);
  sinapse::Tensor<float> x = sinapse::Dense<float>(64, "tanh")(inputs);
  x = sinapse::Dense<float>(64, "tanh")(x);
  sinapse::Tensor<float> outputs = sinapse::Dense<float>(1, "sigmoid")(x);
  return sinapse::Model<float>(inputs, outputs);
}

/// Experiment 4: experiment 3 with BatchNormalization after each tanh layer.
inline sinapse::Model<float> build_tanh_batch_normalization(sinapse::Index features) {
  sinapse::Tensor<float> inputs = sinapse::Input<float>(features);
  sinapse::Tensor<float> x = sinapse::Dense<float>(64, "tanh")(inputs);
  x = sinapse::BatchNormalization<float>()(x);
  x = sinapse::Dense<float>(64, "tanh")(x);
  x = sinapse::BatchNormalization<float>()(x);
  sinapse::Tensor<float> outputs = sinapse::Dense<float>(1, "sigmoid")(x);
  return sinapse::Model<float>(inputs, outputs);
}

/// One of the four networks: its command-line name, its title and its builder.
struct Experiment {
  std::string name;
  std::string title;
  sinapse::Model<float> (*build)(sinapse::Index features);
};

/// Returns the four experiments in the notebook's order.
inline std::vector<Experiment> experiments() {
  return {{"one_dropout_layer", "1. One dropout layer", build_one_dropout_layer},
          {"two_dropout_layers", "2. Two dropout layers", build_two_dropout_layers},
          {"tanh_baseline", "3. tanh baseline", build_tanh_baseline},
          {"tanh_batch_normalization", "4. tanh + batch normalization",
           build_tanh_batch_normalization}};
}

/// Returns the number of trainable weights, which Keras's summary reports as
/// "Trainable params".
inline sinapse::Index count_trainable_params(const sinapse::Model<float>& model) {
  sinapse::Index count = 0;
  for (const sinapse::Variable<float>* variable : model.trainable_variables()) {
    count += variable->value.size();
  }
  return count;
}

/// Command-line options of the examples.
struct ExampleOptions {
  int epochs = 10;
  /// Seed of the data (make_notebook_data, or the split in 06) and of
  /// sinapse::set_random_seed (weights, dropout masks, shuffling).
  std::uint64_t seed = 42;
  /// Only 06_breast_cancer: the CSV file and the network to train (empty for all four).
  std::string csv_path;
  std::string network;
};

/// Returns the integer value of an option.
/// @throws std::invalid_argument naming the option unless the whole text is an integer in
/// [minimum, maximum].
inline long long parse_integer(const std::string& option, const std::string& text,
                               long long minimum, long long maximum) {
  std::size_t end = 0;
  long long value = 0;
  try {
    value = std::stoll(text, &end);
  } catch (const std::exception&) {
    end = 0;  // std::stoll throws for text that is not a number or is out of range.
  }
  if (end == 0 || end != text.size() || value < minimum || value > maximum) {
    throw std::invalid_argument(option + " expects an integer from " + std::to_string(minimum) +
                                " to " + std::to_string(maximum) + ", got \"" + text + "\"");
  }
  return value;
}

/// Parses `--epochs N` and `--seed N`, plus `--csv PATH` and `--network NAME` when
/// `data_options` is true, over the given defaults. `--help` prints the usage and exits.
/// @throws std::invalid_argument for an unknown option or a missing or invalid value.
inline ExampleOptions parse_options(int argc, char** argv, ExampleOptions options,
                                    bool data_options = false) {
  std::string usage = std::string("usage: ") + argv[0] + " [--epochs N] [--seed N]";
  if (data_options) usage += " [--csv PATH] [--network NAME]";
  usage += "\n  --epochs N       training epochs (default " + std::to_string(options.epochs) + ")";
  usage += std::string("\n  --seed N         seed of ") +
           (data_options ? "the split" : "the data") +
           " and of sinapse::set_random_seed (default " + std::to_string(options.seed) + ")";
  if (data_options) {
    usage +=
        "\n  --csv PATH       CSV file with a header line, numeric features and a 0/1 label"
        "\n                   in the last column (default " +
        options.csv_path + ")";
    usage +=
        "\n  --network NAME   train only this network: one_dropout_layer,"
        "\n                   two_dropout_layers, tanh_baseline or tanh_batch_normalization"
        "\n                   (default: all four)";
  }
  usage += '\n';
  for (int i = 1; i < argc; ++i) {
    const std::string option = argv[i];
    if (option == "--help" || option == "-h") {
      std::cout << usage;
      std::exit(0);
    }
    const bool known = option == "--epochs" || option == "--seed" ||
                       (data_options && (option == "--csv" || option == "--network"));
    if (!known) throw std::invalid_argument("unknown option \"" + option + "\"\n" + usage);
    if (i + 1 == argc) throw std::invalid_argument(option + " needs a value\n" + usage);
    const std::string value = argv[++i];
    if (option == "--epochs") {
      options.epochs =
          static_cast<int>(parse_integer(option, value, 1, std::numeric_limits<int>::max()));
    }
    if (option == "--seed") {
      options.seed = static_cast<std::uint64_t>(
          parse_integer(option, value, 0, std::numeric_limits<long long>::max()));
    }
    if (option == "--csv") options.csv_path = value;
    if (option == "--network") options.network = value;
  }
  return options;
}

}  // namespace notebook
