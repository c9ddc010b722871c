// Experiment 1 of the Keras notebook "Dropout e Normalização em Lote em modelagens com
// Redes Neurais" (2025): a small MLP with one Dropout(0.5) layer, trained for 10 epochs
// on random data. The network is
//   Input(20) -> Dense(64, relu) -> Dropout(0.5) -> Dense(64, relu) -> Dense(1, sigmoid)
// with 5,569 trainable parameters.
//
// Run from the build directory: examples/01_one_dropout_layer [--epochs N] [--seed N]
// Expected: the labels are random, so only ranges matter. Over seeds 1 to 30 and 42 the
// last epoch's training loss was 0.68 to 0.70 with accuracy 0.51 to 0.59, and the test loss
// 0.68 to 0.73 with test accuracy 0.43 to 0.59.
#include <exception>
#include <iostream>

#include <sinapse/sinapse.hpp>

#include "notebook_experiments.hpp"

int main(int argc, char** argv) {
  try {
    const notebook::ExampleOptions options = notebook::parse_options(argc, argv, {});
    sinapse::set_random_seed(options.seed);
    const notebook::NotebookData data = notebook::make_notebook_data(options.seed);

    sinapse::Tensor<float> inputs = sinapse::Input<float>(20);
    sinapse::Tensor<float> x = sinapse::Dense<float>(64, "relu")(inputs);
    x = sinapse::Dropout<float>(0.5)(x);
    x = sinapse::Dense<float>(64, "relu")(x);
    sinapse::Tensor<float> outputs = sinapse::Dense<float>(1, "sigmoid")(x);
    sinapse::Model<float> model(inputs, outputs);
    model.summary();

    model.compile("adam", "binary_crossentropy", {"accuracy"});
    model.fit(data.x_train, data.y_train,
              sinapse::FitOptions<float>().epochs(options.epochs).batch_size(32));

    const sinapse::Logs scores = model.evaluate(data.x_test, data.y_test);
    std::cout << "Test loss: " << scores.at("loss") << '\n';
    std::cout << "Test accuracy: " << scores.at("accuracy") << '\n';
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "error: " << error.what() << '\n';
    return 1;
  }
}
