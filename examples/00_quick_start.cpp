// The README's quick example: a Keras-style binary classifier trained on random data.
// Run: ./build/examples/00_quick_start [--epochs N]
// Expect a test loss near 0.69 and a test accuracy near 0.5, because the labels are random.
// The data come from Eigen's Random, which draws from std::rand, so they differ between
// standard libraries; the weights and the training order follow set_random_seed.
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include <sinapse/sinapse.hpp>

int main(int argc, char** argv) {
  const std::string usage = std::string("usage: ") + argv[0] + " [--epochs N], with N >= 1\n";
  if (argc == 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
    std::cout << usage;
    return 0;
  }
  const bool epochs_given = argc == 3 && std::strcmp(argv[1], "--epochs") == 0;
  const int epochs = epochs_given ? std::atoi(argv[2]) : 5;
  if (argc != 1 && (!epochs_given || epochs < 1)) {
    std::cerr << "error: invalid arguments\n" << usage;
    return 2;
  }

  using Matrix = sinapse::Matrix<float>;
  sinapse::set_random_seed(42);
  const Matrix x = (Matrix::Random(1000, 20).array() + 1.0f) / 2.0f;  // uniform in [0, 1]
  const Matrix y = (Matrix::Random(1000, 1).array() > 0.0f).cast<float>();
  const Matrix x_test = (Matrix::Random(200, 20).array() + 1.0f) / 2.0f;
  const Matrix y_test = (Matrix::Random(200, 1).array() > 0.0f).cast<float>();

  auto inputs = sinapse::Input<float>(20);
  auto hidden = sinapse::Dense<float>(64, "relu")(inputs);
  hidden = sinapse::Dropout<float>(0.5)(hidden);
  auto outputs = sinapse::Dense<float>(1, "sigmoid")(hidden);
  sinapse::Model<float> model(inputs, outputs);

  model.compile("adam", "binary_crossentropy", {"accuracy"});
  model.summary();
  model.fit(x, y, sinapse::FitOptions<float>().epochs(epochs).batch_size(32));
  const sinapse::Logs result = model.evaluate(x_test, y_test);
  std::cout << "Test loss: " << result.at("loss") << '\n';
  std::cout << "Test accuracy: " << result.at("accuracy") << '\n';
}
