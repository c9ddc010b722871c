// Small valid model and weights files, for the saving tests and as the seed corpus of the
// loader's fuzz target. Each call rebuilds the models from fixed seeds, so the bytes are the
// same on every run and with every compiler.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <sinapse/sinapse.hpp>

namespace test_support {

/// Returns (name, file bytes) pairs. The model files are a plain float32 Dense model, a
/// trained float64 chain with every single-input layer type, amsgrad Adam and a seeded
/// Dropout, and a float32 graph with two inputs, a shared layer and both merge layers.
/// Last comes a weights file of that graph. The function resets the global seed and,
/// through clear_session, the automatic layer names.
inline std::vector<std::pair<std::string, std::string>> model_file_seeds() {
  using sinapse::Index;
  std::vector<std::pair<std::string, std::string>> seeds;
  sinapse::clear_session();
  sinapse::set_random_seed(20240611);
  {
    auto input = sinapse::Input<float>(3);
    sinapse::Model<float> model(input, sinapse::Dense<float>(1, "sigmoid")(input));
    seeds.emplace_back("dense_float32", sinapse::detail::save_model_to_bytes(model));
  }
  {
    using Matrix = sinapse::Matrix<double>;
    auto input = sinapse::Input<double>(4);
    auto x = sinapse::Dense<double>(8, "relu")(input);
    x = sinapse::Dropout<double>(0.25)(x);
    x = sinapse::BatchNormalization<double>()(x);
    x = sinapse::Dropout<double>(sinapse::DropoutOptions(0.1).seed(5))(x);
    x = sinapse::Activation<double>("tanh")(x);
    sinapse::Model<double> model(input, sinapse::Dense<double>(1, "sigmoid")(x), "chain");
    model.compile(sinapse::Adam<double>(0.01, 0.9, 0.999, 1e-7, true),
                  sinapse::BinaryCrossentropy<double>(false, 0.1),
                  {sinapse::BinaryAccuracy<double>("accuracy", 0.5)});
    Matrix data(16, 4);
    Matrix labels(16, 1);
    for (Index i = 0; i < 16; ++i) {
      for (Index j = 0; j < 4; ++j) data(i, j) = static_cast<double>((i * 7 + j * 3) % 11) / 10.0;
      labels(i, 0) = i % 2 == 0 ? 1.0 : 0.0;
    }
    model.fit(data, labels, sinapse::FitOptions<double>().epochs(2).batch_size(4).verbose(0));
    seeds.emplace_back("chain_trained_float64", sinapse::detail::save_model_to_bytes(model));
  }
  {
    using Matrix = sinapse::Matrix<float>;
    auto left = sinapse::Input<float>(3, "left");
    auto right = sinapse::Input<float>(3, "right");
    sinapse::Dense<float> shared(sinapse::DenseOptions(4).activation("relu").name("shared"));
    auto sum = sinapse::Add<float>()({shared(left), shared(right)});
    auto joined = sinapse::Concatenate<float>()({sum, right});
    sinapse::Model<float> model({left, right}, sinapse::Dense<float>(1, "sigmoid")(joined));
    model.compile("adam", "binary_crossentropy", {"accuracy"});
    const Matrix x = Matrix::Constant(2, 3, 0.5f);
    const Matrix y = Matrix::Ones(2, 1);
    model.train_on_batch({x, x}, y);
    seeds.emplace_back("two_inputs_shared_float32", sinapse::detail::save_model_to_bytes(model));
    seeds.emplace_back("two_inputs_shared_weights_float32",
                       sinapse::detail::save_weights_to_bytes(model));
  }
  return seeds;
}

}  // namespace test_support
