// A downstream program that links sinapse::sinapse: builds a tiny model, trains it for one
// step and predicts, so a broken install (missing header, missing Eigen) fails here.
#include <cstdio>

#include <sinapse/sinapse.hpp>

static_assert(__cplusplus >= 201703L, "linking sinapse::sinapse must enable C++17 or newer");

int main() {
  sinapse::set_random_seed(1);
  auto inputs = sinapse::Input<double>(3);
  auto outputs = sinapse::Dense<double>(1, "sigmoid")(inputs);
  sinapse::Model<double> model(inputs, outputs);
  model.compile("adam", "binary_crossentropy", {"accuracy"});

  const sinapse::Matrix<double> x = sinapse::Matrix<double>::Ones(4, 3);
  const sinapse::Matrix<double> y = sinapse::Matrix<double>::Ones(4, 1);
  model.train_on_batch(x, y);
  const sinapse::Matrix<double> prediction =
      model.predict(x, sinapse::PredictOptions().verbose(0));
  if (prediction.rows() != 4 || prediction.cols() != 1 || !prediction.allFinite()) {
    std::fprintf(stderr, "consumer: predict returned a (%ld, %ld) matrix, expected (4, 1)\n",
                 static_cast<long>(prediction.rows()), static_cast<long>(prediction.cols()));
    return 1;
  }
  std::puts("consumer: ok");
  return 0;
}
