// Experiment 3 of the Keras notebook "Dropout e Normalização em Lote em modelagens com
// Redes Neurais" (2025): the tanh baseline without batch normalization, trained for 10
// epochs on random data, for comparison with 04_tanh_batch_normalization. The network
// is
//   Input(20) -> Dense(64, tanh) -> Dense(64, tanh) -> Dense(1, sigmoid)
// with 5,569 trainable parameters.
//
// Run from the build directory: examples/03_tanh_baseline [--epochs N] [--seed N]
// Expected: the labels are random, so only ranges matter. Over seeds 1 to 30 and 42 the
// last epoch's training loss was 0.67 to 0.70 with accuracy 0.51 to 0.57, and the test loss
// 0.68 to 0.75 with test accuracy 0.42 to 0.56.
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
    sinapse::Tensor<float> x = sinapse::Dense<float>(64, "tanh")(inputs);
    x = sinapse::Dense<float>(64, "tanh")(x);
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
