// The README's "More of the API" snippet, run on synthetic data, so the documented calls
// keep compiling and working.
#include <cmath>
#include <vector>

#include <sinapse/sinapse.hpp>

#include "support/catch.hpp"
#include "support/random_data.hpp"

TEST_CASE("README two-input snippet runs", "[model][readme]") {
  const sinapse::Matrix<double> x_numeric = test_support::random_matrix(100, 8, 1);
  const sinapse::Matrix<double> x_flags = test_support::random_matrix(100, 3, 2, 0.0, 1.0);
  const sinapse::Matrix<double> y =
      (x_numeric.col(0).array() + x_flags.col(1).array() > 0.5).cast<double>().matrix();

  // From here to the marked end, the code is the README's, line for line.
  using sinapse::Matrix;
  auto numeric = sinapse::Input<double>(8, "numeric");
  auto flags = sinapse::Input<double>(3, "flags");
  auto joined = sinapse::Concatenate<double>()({numeric, flags});
  auto hidden = sinapse::Dense<double>(
      sinapse::DenseOptions(32).activation("relu").name("hidden"))(joined);
  hidden = sinapse::BatchNormalization<double>()(hidden);
  auto output = sinapse::Dense<double>(1, "sigmoid")(hidden);
  sinapse::Model<double> model({numeric, flags}, output);

  model.compile(sinapse::Adam<double>(/*learning_rate=*/0.01),
                sinapse::BinaryCrossentropy<double>(), {"accuracy"});
  const sinapse::History history = model.fit(
      {x_numeric, x_flags}, y,
      sinapse::FitOptions<double>().epochs(20).validation_split(0.2).verbose(0));
  const double last_val_loss = history.history.at("val_loss").back();

  const Matrix<double> probabilities =
      model.predict({x_numeric, x_flags}, sinapse::PredictOptions().verbose(0));
  const sinapse::Logs scores =
      model.evaluate({x_numeric, x_flags}, y, sinapse::EvaluateOptions().batch_size(64).verbose(0));
  std::vector<Matrix<double>> weights = model.get_weights();  // hidden kernel is (11, 32)
  model.set_weights(weights);
  // End of the README's code.

  CHECK(std::isfinite(last_val_loss));
  CHECK(probabilities.rows() == 100);
  CHECK(probabilities.cols() == 1);
  CHECK(scores.at("accuracy") > 0.7);
  CHECK(model.get_layer("hidden")->input_widths() == std::vector<sinapse::Index>{11});
  CHECK(weights[0].rows() == 11);
  CHECK(weights[0].cols() == 32);
  CHECK(history.history.at("loss").size() == 20);
}
