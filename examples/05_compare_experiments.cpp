// The four experiments of the Keras notebook "Dropout e Normalização em Lote em
// modelagens com Redes Neurais" (2025), side by side. Each network of 01 to 04 is trained
// silently (verbose 0) for 10 epochs with batch size 32 on the same random data. Its table
// row gives its parameter counts, its loss and accuracy over the last training epoch, and
// its test loss and accuracy. The notebook's point is the comparison of
// experiment 2 with 1 (a second dropout layer) and of 4 with 3 (batch normalization).
//
// Every experiment reseeds sinapse::set_random_seed before building its network, so each
// row matches the output of the corresponding example 01 to 04 run with the same options.
//
// Run from the build directory: examples/05_compare_experiments [--epochs N] [--seed N]
// Expected: the ranges given in 01 to 04. With the default seed 42 (g++ 12, x86-64,
// Release build) the table has these rows, shown here with less spacing:
//   1. One dropout layer              5569  5569    0  0.6852  0.5490  0.6924  0.5400
//   2. Two dropout layers             5569  5569    0  0.6947  0.5110  0.6900  0.5150
//   3. tanh baseline                  5569  5569    0  0.6848  0.5610  0.7006  0.5300
//   4. tanh + batch normalization     6081  5825  256  0.6145  0.6630  0.7043  0.5300
#include <exception>
#include <iomanip>
#include <iostream>
#include <string>

#include <sinapse/sinapse.hpp>

#include "notebook_experiments.hpp"

namespace {

/// Column widths of the table, name column first.
const int name_width = 31;
const int count_width = 7;
const int value_width = 11;

void print_header() {
  std::cout << std::left << std::setw(name_width) << "Experiment" << std::right
            << std::setw(count_width) << "Total" << std::setw(value_width) << "Trainable"
            << std::setw(value_width + 4) << "Non-trainable" << std::setw(value_width + 1)
            << "Train loss" << std::setw(value_width) << "Train acc" << std::setw(value_width)
            << "Test loss" << std::setw(value_width) << "Test acc" << '\n';
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const notebook::ExampleOptions options = notebook::parse_options(argc, argv, {});
    const notebook::NotebookData data = notebook::make_notebook_data(options.seed);
    std::cout << "Four networks, " << options.epochs
              << " epoch(s) each with batch size 32, on random data (seed " << options.seed
              << ")\n\n";
    print_header();

    for (const notebook::Experiment& experiment : notebook::experiments()) {
      sinapse::set_random_seed(options.seed);
      sinapse::Model<float> model = experiment.build(data.x_train.cols());
      model.compile("adam", "binary_crossentropy", {"accuracy"});
      const sinapse::History history =
          model.fit(data.x_train, data.y_train,
                    sinapse::FitOptions<float>().epochs(options.epochs).batch_size(32).verbose(0));
      const sinapse::Logs scores =
          model.evaluate(data.x_test, data.y_test, sinapse::EvaluateOptions().verbose(0));

      const sinapse::Index total = model.count_params();
      const sinapse::Index trainable = notebook::count_trainable_params(model);
      std::cout << std::left << std::setw(name_width) << experiment.title << std::right
                << std::setw(count_width) << total << std::setw(value_width) << trainable
                << std::setw(value_width + 4) << total - trainable << std::fixed
                << std::setprecision(4) << std::setw(value_width + 1)
                << history.history.at("loss").back() << std::setw(value_width)
                << history.history.at("accuracy").back() << std::setw(value_width)
                << scores.at("loss") << std::setw(value_width) << scores.at("accuracy") << '\n';
    }

    std::cout << "\nThe labels are random, so test accuracy near 0.5 is the honest result; "
                 "training accuracy\nabove 0.5 comes only from memorising the training rows.\n";
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "error: " << error.what() << '\n';
    return 1;
  }
}
