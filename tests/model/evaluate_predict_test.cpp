// Tests of evaluate, predict, train_on_batch and test_on_batch: values checked by hand,
// inference-mode Dropout and BatchNormalization, and which calls change the model.
#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include <sinapse/sinapse.hpp>

#include "support/catch.hpp"
#include "support/random_data.hpp"
#include "support/matrix_compare.hpp"

namespace {

using namespace sinapse;

using test_support::random_matrix;

/// Returns labels 1 where the first column of x is positive, else 0.
template <typename Scalar>
Matrix<Scalar> labels_for(const Matrix<Scalar>& x) {
  Matrix<Scalar> y(x.rows(), 1);
  for (Index i = 0; i < x.rows(); ++i) y(i, 0) = x(i, 0) > 0 ? Scalar(1) : Scalar(0);
  return y;
}

/// Input(3) -> Dense(4, tanh) -> Dense(1, sigmoid) with fixed kernel seeds, compiled.
template <typename Scalar>
Model<Scalar> make_model() {
  Tensor<Scalar> x = Input<Scalar>(3);
  Tensor<Scalar> hidden = Dense<Scalar>(DenseOptions(4).activation("tanh").seed(21))(x);
  Tensor<Scalar> output = Dense<Scalar>(DenseOptions(1).activation("sigmoid").seed(22))(hidden);
  Model<Scalar> model(x, output);
  model.compile("adam", "binary_crossentropy", {"accuracy"});
  return model;
}

/// Input(3) -> Dense(6, relu) -> Dropout(0.5) -> BatchNormalization -> Dense(1, sigmoid).
template <typename Scalar>
Model<Scalar> make_stochastic_model() {
  Tensor<Scalar> x = Input<Scalar>(3);
  Tensor<Scalar> hidden = Dense<Scalar>(DenseOptions(6).activation("relu").seed(23))(x);
  hidden = Dropout<Scalar>(0.5)(hidden);
  hidden = BatchNormalization<Scalar>()(hidden);
  Tensor<Scalar> output = Dense<Scalar>(DenseOptions(1).activation("sigmoid").seed(24))(hidden);
  Model<Scalar> model(x, output);
  model.compile("adam", "binary_crossentropy", {"accuracy"});
  return model;
}

EvaluateOptions quiet() { return EvaluateOptions().verbose(0); }

template <typename Scalar>
constexpr double tolerance() {
  return std::is_same<Scalar, float>::value ? 1e-5 : 1e-12;
}

/// Binary cross-entropy in double from predictions, with Keras's clip to [1e-7, 1 - 1e-7].
template <typename Scalar>
double bce_by_hand(const Matrix<Scalar>& y, const Matrix<Scalar>& p) {
  const double epsilon = 1e-7;
  double total = 0.0;
  for (Index i = 0; i < p.rows(); ++i) {
    const double clipped = std::min(std::max(static_cast<double>(p(i, 0)), epsilon), 1 - epsilon);
    const double label = static_cast<double>(y(i, 0));
    total -= label * std::log(clipped) + (1 - label) * std::log(1 - clipped);
  }
  return total / static_cast<double>(p.rows());
}

/// Fraction of rows where (p > 0.5) equals the label.
template <typename Scalar>
double accuracy_by_hand(const Matrix<Scalar>& y, const Matrix<Scalar>& p) {
  Index correct = 0;
  for (Index i = 0; i < p.rows(); ++i) {
    const Scalar predicted = p(i, 0) > Scalar(0.5) ? Scalar(1) : Scalar(0);
    if (predicted == y(i, 0)) ++correct;
  }
  return static_cast<double>(correct) / static_cast<double>(p.rows());
}

}  // namespace

TEMPLATE_TEST_CASE("evaluate matches predict by hand", "[model][evaluate]", float, double) {
  const Matrix<TestType> x = random_matrix<TestType>(50, 3, 1);
  const Matrix<TestType> y = labels_for(x);
  Model<TestType> model = make_model<TestType>();
  const Matrix<TestType> p = model.predict(x, quiet());

  const Logs logs = model.evaluate(x, y, quiet());

  CHECK(logs.size() == 2);
  CHECK_THAT(logs.at("loss"), Catch::Matchers::WithinRel(bce_by_hand(y, p), tolerance<TestType>()));
  CHECK(logs.at("accuracy") == accuracy_by_hand(y, p));
  CHECK(model.metrics_names() == std::vector<std::string>{"loss", "accuracy"});
}

TEMPLATE_TEST_CASE("evaluate agrees across batch sizes", "[model][evaluate]", float, double) {
  const Matrix<TestType> x = random_matrix<TestType>(50, 3, 2);
  const Matrix<TestType> y = labels_for(x);
  Model<TestType> model = make_model<TestType>();
  const Logs reference = model.evaluate(x, y, quiet().batch_size(50));

  for (Index batch_size : {1, 7, 32, 64}) {
    INFO("batch_size " << batch_size);
    const Logs logs = model.evaluate(x, y, quiet().batch_size(batch_size));
    CHECK_THAT(logs.at("loss"),
               Catch::Matchers::WithinRel(reference.at("loss"), tolerance<TestType>()));
    CHECK(logs.at("accuracy") == reference.at("accuracy"));
  }
}

TEMPLATE_TEST_CASE("predict shape and batch sizes", "[model][predict]", float, double) {
  const Matrix<TestType> x = random_matrix<TestType>(45, 3, 3);
  Model<TestType> model = make_model<TestType>();
  const Matrix<TestType> whole = model.predict(x, quiet().batch_size(45));

  CHECK(whole.rows() == 45);
  CHECK(whole.cols() == 1);
  for (Index batch_size : {1, 7, 32, 45, 100}) {
    INFO("batch_size " << batch_size);
    // Eigen may pick another product kernel for another row count, so allow rounding.
    CHECK_MATRIX_CLOSE(model.predict(x, quiet().batch_size(batch_size)), whole,
                       tolerance<TestType>(), tolerance<TestType>());
  }
}

TEST_CASE("predict with several output columns", "[model][predict]") {
  Tensor<float> input = Input<float>(3);
  Model<float> model(input, Dense<float>(DenseOptions(5).activation("sigmoid").seed(1))(input));

  const Matrix<float> p = model.predict(random_matrix<float>(9, 3, 4), quiet().batch_size(4));

  CHECK(p.rows() == 9);
  CHECK(p.cols() == 5);
}

TEST_CASE("predict runs without compile", "[model][predict]") {
  Tensor<float> input = Input<float>(3);
  Model<float> model(input, Dense<float>(1)(input));

  CHECK_FALSE(model.compiled());
  CHECK_NOTHROW(model.predict(random_matrix<float>(4, 3, 5), quiet()));
}

TEST_CASE("predict turns Dropout off", "[model][predict]") {
  Tensor<double> input = Input<double>(5);
  Tensor<double> hidden = Dense<double>(DenseOptions(8).activation("relu").seed(31))(input);
  hidden = Dropout<double>(0.5)(hidden);
  Tensor<double> output = Dense<double>(DenseOptions(1).activation("sigmoid").seed(32))(hidden);
  Model<double> model(input, output);
  const Matrix<double> x = random_matrix<double>(20, 5, 6);
  const std::vector<Matrix<double>> w = model.get_weights();

  Matrix<double> expected = x * w[0];
  expected.rowwise() += w[1].col(0).transpose();
  expected = expected.cwiseMax(0.0);
  Matrix<double> logits = expected * w[2];
  logits.rowwise() += w[3].col(0).transpose();
  expected = (1.0 + (-logits.array()).exp()).inverse().matrix();

  const Matrix<double> predicted = model.predict(x, quiet());
  CHECK_MATRIX_CLOSE(predicted, expected, 1e-12, 1e-14);
  CHECK(model.predict(x, quiet()) == predicted);

  // The training forward pass does drop units, so it differs.
  const Matrix<double> training = model.forward_batch({&x}, true);
  CHECK(training != predicted);
}

TEMPLATE_TEST_CASE("predict uses BN moving statistics", "[model][predict]", float, double) {
  using Column = Matrix<TestType>;
  Tensor<TestType> input = Input<TestType>(3);
  Tensor<TestType> normalized = BatchNormalization<TestType>()(input);
  Model<TestType> model(input, Dense<TestType>(1)(normalized));
  Column gamma(3, 1), beta(3, 1), moving_mean(3, 1), moving_variance(3, 1);
  gamma << TestType(2), TestType(0.5), TestType(1);
  beta << TestType(0.1), TestType(-0.2), TestType(0.3);
  moving_mean << TestType(1), TestType(2), TestType(3);
  moving_variance << TestType(4), TestType(0.25), TestType(1);
  model.set_weights(
      {gamma, beta, moving_mean, moving_variance, Column::Ones(3, 1), Column::Zero(1, 1)});
  const Matrix<TestType> x = random_matrix<TestType>(6, 3, 7);

  Matrix<TestType> expected = Matrix<TestType>::Zero(6, 1);
  for (Index i = 0; i < 6; ++i) {
    for (Index j = 0; j < 3; ++j) {
      const double scaled = (static_cast<double>(x(i, j)) - static_cast<double>(moving_mean(j))) /
                            std::sqrt(static_cast<double>(moving_variance(j)) + 1e-3);
      expected(i, 0) += static_cast<TestType>(static_cast<double>(gamma(j)) * scaled +
                                              static_cast<double>(beta(j)));
    }
  }
  const std::vector<Matrix<TestType>> before = model.get_weights();

  CHECK_MATRIX_CLOSE(model.predict(x, quiet()), expected, tolerance<TestType>(),
                     tolerance<TestType>());
  CHECK(model.get_weights() == before);
  // Training mode normalizes with the batch statistics instead, and moves the moving ones.
  const Matrix<TestType> training = model.forward_batch({&x}, true);
  CHECK(training != model.predict(x, quiet()));
  CHECK(model.get_weights()[2] != before[2]);
}

TEMPLATE_TEST_CASE("train_on_batch returns the pre-update loss", "[model][train_on_batch]", float,
                   double) {
  const Matrix<TestType> x = random_matrix<TestType>(12, 3, 8);
  const Matrix<TestType> y = labels_for(x);
  Model<TestType> model = make_model<TestType>();
  const std::vector<Matrix<TestType>> initial = model.get_weights();

  for (long long step = 1; step <= 2; ++step) {
    INFO("step " << step);
    const Logs before = model.test_on_batch(x, y);
    const std::vector<Matrix<TestType>> weights_before = model.get_weights();

    const Logs logs = model.train_on_batch(x, y);

    CHECK(logs.at("loss") == before.at("loss"));
    CHECK(logs.at("accuracy") == before.at("accuracy"));
    CHECK(model.optimizer()->iterations() == step);
    CHECK(model.get_weights() != weights_before);
  }
  CHECK(model.get_weights() != initial);
}

TEST_CASE("test_on_batch changes nothing", "[model][test_on_batch]") {
  const Matrix<float> x = random_matrix<float>(10, 3, 9);
  const Matrix<float> y = labels_for(x);
  Model<float> model = make_stochastic_model<float>();
  const std::vector<Matrix<float>> weights = model.get_weights();
  const Generator::State generator_state = model.generator().state();

  const Logs logs = model.test_on_batch(x, y);

  CHECK(model.get_weights() == weights);
  CHECK(model.generator().state() == generator_state);
  CHECK_FALSE(model.optimizer()->built());
  // test_on_batch computes what evaluate computes over one batch.
  const Logs evaluated = model.evaluate(x, y, quiet().batch_size(10));
  CHECK(logs.at("loss") == evaluated.at("loss"));
  CHECK(logs.at("accuracy") == evaluated.at("accuracy"));

  model.train_on_batch(x, y);
  const std::vector<Matrix<float>> trained = model.get_weights();
  model.test_on_batch(x, y);
  CHECK(model.get_weights() == trained);
  CHECK(model.optimizer()->iterations() == 1);
}

TEST_CASE("evaluate and predict change nothing", "[model][evaluate]") {
  const Matrix<float> x = random_matrix<float>(10, 3, 10);
  const Matrix<float> y = labels_for(x);
  Model<float> model = make_stochastic_model<float>();
  model.train_on_batch(x, y);
  const std::vector<Matrix<float>> weights = model.get_weights();
  const Generator::State generator_state = model.generator().state();

  model.evaluate(x, y, quiet().batch_size(3));
  model.predict(x, quiet().batch_size(3));

  CHECK(model.get_weights() == weights);
  CHECK(model.generator().state() == generator_state);
  CHECK(model.optimizer()->iterations() == 1);
}
