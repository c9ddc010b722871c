// Tests of BatchNormalization against Keras 3: training forward and backward, the moving
// statistics, inference with them, the batch of one sample, and float precision at a
// large mean.
#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include <sinapse/sinapse.hpp>

#include "reference/reference_values.hpp"
#include "support/catch.hpp"
#include "support/random_data.hpp"
#include "support/gradient_check.hpp"
#include "support/matrix_compare.hpp"

namespace {

using sinapse::BatchNormalizationLayer;
using sinapse::BatchNormalizationOptions;
using sinapse::Index;
using sinapse::Matrix;

using test_support::random_matrix;

/// Runs one forward pass of a layer on a single input.
template <typename Scalar>
Matrix<Scalar> run_forward(sinapse::Layer<Scalar>& layer, const Matrix<Scalar>& x,
                           sinapse::LayerCache* cache, bool training) {
  Matrix<Scalar> y;
  layer.forward({&x}, y, cache, sinapse::ForwardContext{training, nullptr});
  return y;
}

/// Tolerances against the float64 references. Column 0 of the reference batches has a
/// mean near 1000 and a spread near 0.05, and float rounds 1000.05 by up to 3e-5, which
/// alone moves a normalized value by about 6e-4.
template <typename Scalar>
constexpr double reference_rtol() {
  return std::is_same<Scalar, float>::value ? 2e-3 : 1e-9;
}

template <typename Scalar>
constexpr double reference_atol() {
  return std::is_same<Scalar, float>::value ? 2e-3 : 1e-10;
}

/// Builds a 3-feature layer with the reference gamma and beta.
template <typename Scalar>
void build_reference_layer(BatchNormalizationLayer<Scalar>& layer) {
  layer.build_for({sinapse_reference::batch_norm_x_cols});
  layer.gamma().value = REFERENCE_MATRIX(Scalar, batch_norm_gamma);
  layer.beta().value = REFERENCE_MATRIX(Scalar, batch_norm_beta);
}

/// True when every value is finite (no NaN, no inf).
template <typename Derived>
bool all_finite(const Eigen::MatrixBase<Derived>& matrix) {
  return matrix.allFinite();
}

}  // namespace

TEMPLATE_TEST_CASE("BatchNormalization training matches reference",
                   "[layers][batch_normalization][reference]", float, double) {
  namespace ref = sinapse_reference;
  BatchNormalizationLayer<TestType> layer(BatchNormalizationOptions{});
  build_reference_layer(layer);
  auto cache = layer.make_cache();
  const Matrix<TestType> x = REFERENCE_MATRIX(TestType, batch_norm_x);
  const double rtol = reference_rtol<TestType>();
  const double atol = reference_atol<TestType>();

  const Matrix<TestType> y = run_forward(layer, x, cache.get(), true);
  CHECK_MATRIX_CLOSE(y, REFERENCE_MATRIX(double, batch_norm_y), rtol, atol);

  // One pass from moving_mean 0 and moving_variance 1 with momentum 0.99.
  const Matrix<double> mean = REFERENCE_MATRIX(double, batch_norm_batch_mean);
  const Matrix<double> variance = REFERENCE_MATRIX(double, batch_norm_batch_variance);
  const Matrix<double> expected_moving_mean = mean * (1.0 - ref::batch_norm_momentum);
  const Matrix<double> expected_moving_variance =
      (Matrix<double>::Ones(3, 1) * ref::batch_norm_momentum +
       variance * (1.0 - ref::batch_norm_momentum))
          .eval();
  CHECK_MATRIX_CLOSE(layer.moving_mean().value, expected_moving_mean, rtol, atol);
  CHECK_MATRIX_CLOSE(layer.moving_variance().value, expected_moving_variance, rtol, atol);

  Matrix<TestType> output_gradient = REFERENCE_MATRIX(TestType, batch_norm_upstream);
  Matrix<TestType> dx;
  layer.gamma().gradient.setZero();
  layer.beta().gradient.setZero();
  layer.backward({&x}, y, output_gradient, cache.get(), {&dx});
  // dx reaches 19 in column 0, where 1 / sqrt(var + epsilon) is 16.7.
  CHECK_MATRIX_CLOSE(dx, REFERENCE_MATRIX(double, batch_norm_dx), rtol, 10 * atol);
  CHECK_MATRIX_CLOSE(layer.gamma().gradient, REFERENCE_MATRIX(double, batch_norm_dgamma), rtol,
                     atol);
  CHECK_MATRIX_CLOSE(layer.beta().gradient, REFERENCE_MATRIX(double, batch_norm_dbeta), rtol, atol);
}

TEST_CASE("BatchNormalization batch variance is two-pass", "[layers][batch_normalization]") {
  // With momentum 0 the moving variance equals the batch variance. For column 0 (mean
  // near 1000) the one-pass E[x^2] - E[x]^2 is off by about 2e-10 in double, which is
  // 1e-7 of the variance 0.002616, so a 1e-9 relative tolerance detects it.
  BatchNormalizationLayer<double> layer(BatchNormalizationOptions{}.momentum(0.0));
  build_reference_layer(layer);
  auto cache = layer.make_cache();
  run_forward(layer, REFERENCE_MATRIX(double, batch_norm_x), cache.get(), true);

  CHECK_MATRIX_CLOSE(layer.moving_mean().value, REFERENCE_MATRIX(double, batch_norm_batch_mean),
                     1e-14, 0.0);
  CHECK_MATRIX_CLOSE(layer.moving_variance().value,
                     REFERENCE_MATRIX(double, batch_norm_batch_variance), 1e-9, 0.0);
}

TEMPLATE_TEST_CASE("BatchNormalization moving statistics over steps",
                   "[layers][batch_normalization][reference]", float, double) {
  BatchNormalizationLayer<TestType> layer(BatchNormalizationOptions{});
  build_reference_layer(layer);
  auto cache = layer.make_cache();
  const double rtol = reference_rtol<TestType>();
  const double atol = reference_atol<TestType>();

  SECTION("moving statistics start at 0 and 1") {
    CHECK(layer.moving_mean().value.isZero(0));
    CHECK(layer.moving_variance().value.isOnes(0));
  }

  SECTION("three training passes, then inference") {
    const Matrix<TestType> y1 =
        run_forward(layer, REFERENCE_MATRIX(TestType, batch_norm_step1_x), cache.get(), true);
    CHECK_MATRIX_CLOSE(y1, REFERENCE_MATRIX(double, batch_norm_step1_y), rtol, atol);
    CHECK_MATRIX_CLOSE(layer.moving_mean().value,
                       REFERENCE_MATRIX(double, batch_norm_step1_moving_mean), rtol, atol);
    CHECK_MATRIX_CLOSE(layer.moving_variance().value,
                       REFERENCE_MATRIX(double, batch_norm_step1_moving_variance), rtol, atol);

    const Matrix<TestType> y2 =
        run_forward(layer, REFERENCE_MATRIX(TestType, batch_norm_step2_x), cache.get(), true);
    CHECK_MATRIX_CLOSE(y2, REFERENCE_MATRIX(double, batch_norm_step2_y), rtol, atol);
    CHECK_MATRIX_CLOSE(layer.moving_mean().value,
                       REFERENCE_MATRIX(double, batch_norm_step2_moving_mean), rtol, atol);
    CHECK_MATRIX_CLOSE(layer.moving_variance().value,
                       REFERENCE_MATRIX(double, batch_norm_step2_moving_variance), rtol, atol);

    // A batch of one sample has variance 0: its output is beta exactly, with no NaN.
    const Matrix<TestType> y3 =
        run_forward(layer, REFERENCE_MATRIX(TestType, batch_norm_step3_x), cache.get(), true);
    CHECK(all_finite(y3));
    CHECK(y3 == layer.beta().value.transpose());
    CHECK_MATRIX_CLOSE(y3, REFERENCE_MATRIX(double, batch_norm_step3_y), rtol, atol);
    CHECK_MATRIX_CLOSE(layer.moving_mean().value,
                       REFERENCE_MATRIX(double, batch_norm_step3_moving_mean), rtol, atol);
    CHECK_MATRIX_CLOSE(layer.moving_variance().value,
                       REFERENCE_MATRIX(double, batch_norm_step3_moving_variance), rtol, atol);

    // Inference uses the moving statistics and leaves them unchanged. Its outputs reach
    // 1470 because moving_mean is far from the data after three passes.
    const Matrix<double> moving_mean = layer.moving_mean().value.template cast<double>();
    const Matrix<double> moving_variance = layer.moving_variance().value.template cast<double>();
    const Matrix<TestType> y_infer =
        run_forward(layer, REFERENCE_MATRIX(TestType, batch_norm_x_infer), cache.get(), false);
    CHECK_MATRIX_CLOSE(y_infer, REFERENCE_MATRIX(double, batch_norm_y_infer), rtol, atol);
    CHECK(layer.moving_mean().value.template cast<double>() == moving_mean);
    CHECK(layer.moving_variance().value.template cast<double>() == moving_variance);
  }
}

TEST_CASE("BatchNormalization gradients match finite differences",
          "[layers][batch_normalization][gradient]") {
  struct GradientCase {
    const char* label;
    bool center;
    bool scale;
  };
  const GradientCase cases[] = {{"center and scale", true, true},
                                {"center only", true, false},
                                {"scale only", false, true},
                                {"neither", false, false}};
  // Features with different offsets and spreads, so that mean and variance both matter.
  Matrix<double> spread = random_matrix(6, 4, 31);
  spread.col(0) = spread.col(0) * 3.0 + Matrix<double>::Constant(6, 1, 5.0);
  spread.col(1) = spread.col(1) * 0.1 + Matrix<double>::Constant(6, 1, -2.0);
  spread.col(3) = spread.col(3) * 10.0;

  for (const GradientCase& variant : cases) {
    DYNAMIC_SECTION(variant.label) {
      BatchNormalizationLayer<double> layer(
          BatchNormalizationOptions{}.center(variant.center).scale(variant.scale));
      layer.build_for({4});
      if (variant.scale) layer.gamma().value = random_matrix(4, 1, 32, 0.5, 2.0);
      if (variant.center) layer.beta().value = random_matrix(4, 1, 33);
      const Index trainable = (variant.center ? 4 : 0) + (variant.scale ? 4 : 0);

      const test_support::GradientCheckResult result =
          test_support::check_layer_gradients(layer, {spread});
      INFO(result.report());
      CHECK(result.checked == spread.size() + trainable);
      CHECK(result.worst_error <= 1e-6);
    }
  }

  SECTION("reference batch with mean near 1000") {
    BatchNormalizationLayer<double> layer(BatchNormalizationOptions{});
    build_reference_layer(layer);
    const test_support::GradientCheckResult result =
        test_support::check_layer_gradients(layer, {REFERENCE_MATRIX(double, batch_norm_x)});
    INFO(result.report());
    CHECK(result.worst_error <= 1e-6);
  }
}

TEMPLATE_TEST_CASE("BatchNormalization moving mean uses Keras rounding",
                   "[layers][batch_normalization]", float, double) {
  // Keras 3 (BatchNormalization.call) updates with `mean * (1.0 - self.momentum)`, a
  // Python float, so 1 - momentum is computed in double and rounded to the layer's dtype
  // once: 0.01f in float. Rounding momentum first gives 1 - 0.99f = 0.0099999905, which
  // is 9.5e-7 off. The batch below has exactly representable means (3, 0.5 and 250), so
  // from moving_mean = 0 the result is mean * (1 - momentum) rounded once.
  Matrix<TestType> x(4, 3);
  x << 1, TestType(-0.5), 100, 2, TestType(0.25), 200, 3, 1, 300, 6, TestType(1.25), 400;
  BatchNormalizationLayer<TestType> layer(BatchNormalizationOptions{});
  layer.build_for({3});
  auto cache = layer.make_cache();
  run_forward(layer, x, cache.get(), true);

  const TestType one_minus_momentum = static_cast<TestType>(1.0 - 0.99);
  const TestType means[] = {3, TestType(0.5), 250};
  for (Index j = 0; j < 3; ++j) {
    INFO("feature " << j);
    CHECK_THAT(layer.moving_mean().value(j, 0),
               Catch::Matchers::WithinULP(TestType(means[j] * one_minus_momentum), 1));
  }
}

TEMPLATE_TEST_CASE("BatchNormalization batch of one gives beta", "[layers][batch_normalization]",
                   float, double) {
  BatchNormalizationLayer<TestType> layer(BatchNormalizationOptions{});
  build_reference_layer(layer);
  auto cache = layer.make_cache();
  const Matrix<TestType> x = REFERENCE_MATRIX(TestType, batch_norm_step3_x);

  const Matrix<TestType> y = run_forward(layer, x, cache.get(), true);
  CHECK(all_finite(y));
  CHECK(y == layer.beta().value.transpose());

  // Moving variance: 1 * 0.99 + 0 * 0.01. Moving mean: x * 0.01.
  CHECK(all_finite(layer.moving_variance().value));
  CHECK(all_finite(layer.moving_mean().value));
  for (Index j = 0; j < 3; ++j) {
    INFO("feature " << j);
    CHECK_THAT(static_cast<double>(layer.moving_variance().value(j, 0)),
               Catch::Matchers::WithinRel(0.99, 1e-6));
    CHECK_THAT(static_cast<double>(layer.moving_mean().value(j, 0)),
               Catch::Matchers::WithinRel(0.01 * static_cast<double>(x(0, j)), 1e-6));
  }

  // The output does not depend on x, so dx is 0. Gamma's gradient is 0 because x_hat is 0.
  Matrix<TestType> output_gradient = Matrix<TestType>::Constant(1, 3, TestType(0.7));
  Matrix<TestType> dx;
  layer.gamma().gradient.setZero();
  layer.beta().gradient.setZero();
  layer.backward({&x}, y, output_gradient, cache.get(), {&dx});
  CHECK(all_finite(dx));
  CHECK(dx.isZero(0));
  CHECK(layer.gamma().gradient.isZero(0));
  CHECK(layer.beta().gradient.isConstant(TestType(0.7), 0));
}

TEMPLATE_TEST_CASE("BatchNormalization predict uses moving statistics",
                   "[layers][batch_normalization][model]", float, double) {
  const auto input = sinapse::Input<TestType>(3);
  const sinapse::BatchNormalization<TestType> normalization;
  sinapse::Model<TestType> model(input, normalization(input));
  Matrix<TestType> gamma(3, 1);
  gamma << TestType(1.5), TestType(0.5), TestType(-2.0);
  Matrix<TestType> beta(3, 1);
  beta << TestType(0.1), TestType(-0.2), TestType(0.3);
  Matrix<TestType> moving_mean(3, 1);
  moving_mean << TestType(1.0), TestType(-1.0), TestType(0.25);
  Matrix<TestType> moving_variance(3, 1);
  moving_variance << TestType(4.0), TestType(0.25), TestType(9.0);
  model.set_weights({gamma, beta, moving_mean, moving_variance});

  const Matrix<TestType> x = random_matrix(5, 3, 41, -3.0, 3.0).template cast<TestType>();
  const Matrix<TestType> prediction = model.predict(x, sinapse::PredictOptions().verbose(0));

  Matrix<double> expected(5, 3);
  for (Index j = 0; j < 3; ++j) {
    const double inverse_std = 1.0 / std::sqrt(static_cast<double>(moving_variance(j, 0)) + 1e-3);
    for (Index i = 0; i < 5; ++i) {
      expected(i, j) = static_cast<double>(gamma(j, 0)) *
                           (static_cast<double>(x(i, j)) - static_cast<double>(moving_mean(j, 0))) *
                           inverse_std +
                       static_cast<double>(beta(j, 0));
    }
  }
  const double tolerance = std::is_same<TestType, float>::value ? 1e-5 : 1e-13;
  CHECK_MATRIX_CLOSE(prediction, expected, tolerance, tolerance);

  // predict runs in inference mode, so the moving statistics are unchanged.
  const std::vector<Matrix<TestType>> weights = model.get_weights();
  REQUIRE(weights.size() == 4);
  CHECK(weights[2] == moving_mean);
  CHECK(weights[3] == moving_variance);
}

TEMPLATE_TEST_CASE("BatchNormalization moving statistics skip optimizer",
                   "[layers][batch_normalization][model]", float, double) {
  // A large learning rate makes any Adam step on the moving statistics visible.
  const auto input = sinapse::Input<TestType>(3);
  const sinapse::Dense<TestType> hidden(sinapse::DenseOptions(3).seed(51));
  const sinapse::BatchNormalization<TestType> normalization;
  const sinapse::Dense<TestType> output(sinapse::DenseOptions(1).activation("sigmoid").seed(52));
  sinapse::Model<TestType> model(input, output(normalization(hidden(input))));
  model.compile(sinapse::Adam<TestType>(0.1), sinapse::BinaryCrossentropy<TestType>());

  // Keras's order: Dense kernel and bias, then gamma, beta, then Dense kernel and bias.
  // The moving statistics are weights but not trainable variables.
  CHECK(model.get_weights().size() == 8);
  REQUIRE(model.trainable_variables().size() == 6);
  for (const sinapse::Variable<TestType>* variable : model.trainable_variables()) {
    CHECK(variable != &normalization->moving_mean());
    CHECK(variable != &normalization->moving_variance());
  }

  const Matrix<TestType> x = random_matrix(8, 3, 53, -2.0, 2.0).template cast<TestType>();
  Matrix<TestType> y(8, 1);
  y << 1, 0, 0, 1, 1, 0, 1, 0;

  // The normalization layer receives the hidden layer's output under the weights before
  // the update.
  Matrix<double> h = (x * hidden->kernel().value).template cast<double>();
  h.rowwise() += hidden->bias().value.col(0).transpose().template cast<double>();
  const Eigen::RowVectorXd mean = h.colwise().mean();
  const Eigen::RowVectorXd variance = (h.rowwise() - mean).array().square().colwise().mean();
  const Matrix<double> expected_mean = (mean * 0.01).transpose();
  const Matrix<double> expected_variance =
      (Eigen::RowVectorXd::Constant(3, 0.99) + variance * 0.01).transpose();
  const Matrix<TestType> gamma_before = normalization->gamma().value;

  model.train_on_batch(x, y);

  const double tolerance = std::is_same<TestType, float>::value ? 1e-5 : 1e-12;
  CHECK_MATRIX_CLOSE(normalization->moving_mean().value, expected_mean, tolerance, tolerance);
  CHECK_MATRIX_CLOSE(normalization->moving_variance().value, expected_variance, tolerance,
                     tolerance);
  // The optimizer did run: gamma moved by about the learning rate.
  CHECK((normalization->gamma().value - gamma_before).cwiseAbs().minCoeff() > TestType(0.01));

  SECTION("evaluate and predict leave them unchanged") {
    const Matrix<TestType> moving_mean = normalization->moving_mean().value;
    const Matrix<TestType> moving_variance = normalization->moving_variance().value;
    model.evaluate(x, y, sinapse::EvaluateOptions().verbose(0));
    model.predict(x, sinapse::PredictOptions().verbose(0));
    model.test_on_batch(x, y);
    CHECK(normalization->moving_mean().value == moving_mean);
    CHECK(normalization->moving_variance().value == moving_variance);
  }
}

TEST_CASE("BatchNormalization variance non-negative at mean 1e4",
          "[layers][batch_normalization][precision]") {
  // Float has 24 bits, so x^2 near 1e8 is rounded to a multiple of 8 and the one-pass
  // E[x^2] - E[x]^2 can come out negative. With momentum 0 the moving variance is the
  // batch variance itself.
  const Index rows = 64;
  const Matrix<double> noise = random_matrix(rows, 3, 61);
  Matrix<float> x(rows, 3);
  x.col(0) = (noise.col(0).array() + 1e4).cast<float>().matrix();
  x.col(1) = (noise.col(1).array() * 1e-3 + 1e4).cast<float>().matrix();
  x.col(2).setConstant(10000.1f);

  BatchNormalizationLayer<float> layer(BatchNormalizationOptions{}.momentum(0.0));
  layer.build_for({3});
  auto cache = layer.make_cache();
  const Matrix<float> y = run_forward(layer, x, cache.get(), true);
  const Matrix<float>& variance = layer.moving_variance().value;

  CHECK(all_finite(y));
  CHECK(all_finite(variance));
  for (Index j = 0; j < 3; ++j) {
    INFO("feature " << j);
    CHECK(variance(j, 0) >= 0.0f);
  }
  // Column 0 spreads over [1e4 - 1, 1e4 + 1), where float still resolves 1e-3: its
  // variance agrees with the double variance of the same float values.
  const Matrix<double> column = x.col(0).cast<double>();
  const double exact_variance = (column.array() - column.mean()).square().mean();
  CHECK_THAT(static_cast<double>(variance(0, 0)), Catch::Matchers::WithinRel(exact_variance, 1e-3));
  // The constant column has (almost) no variance, and its output stays near beta = 0.
  CHECK(variance(2, 0) <= 1e-6f);
  CHECK(y.col(2).cwiseAbs().maxCoeff() <= 0.1f);
}

TEST_CASE("BatchNormalization weights and options", "[layers][batch_normalization]") {
  SECTION("Keras defaults") {
    const BatchNormalizationOptions options;
    CHECK(options.momentum() == 0.99);
    CHECK(options.epsilon() == 1e-3);
    CHECK(options.center());
    CHECK(options.scale());
  }

  SECTION("four weights, two trainable") {
    BatchNormalizationLayer<double> layer(BatchNormalizationOptions{});
    layer.build_for({64});
    const std::vector<sinapse::Variable<double>*> variables = layer.variables();
    REQUIRE(variables.size() == 4);
    CHECK(variables[0]->name == "gamma");
    CHECK(variables[1]->name == "beta");
    CHECK(variables[2]->name == "moving_mean");
    CHECK(variables[3]->name == "moving_variance");
    CHECK(variables[0]->trainable);
    CHECK(variables[1]->trainable);
    CHECK_FALSE(variables[2]->trainable);
    CHECK_FALSE(variables[3]->trainable);
    CHECK(layer.count_params() == 256);
  }

  SECTION("center and scale off drop beta and gamma") {
    BatchNormalizationLayer<double> layer(BatchNormalizationOptions{}.center(false).scale(false));
    layer.build_for({2});
    const std::vector<sinapse::Variable<double>*> variables = layer.variables();
    REQUIRE(variables.size() == 2);
    CHECK(variables[0]->name == "moving_mean");
    CHECK(variables[1]->name == "moving_variance");
  }

  SECTION("invalid momentum and epsilon") {
    CHECK_THROWS_AS(BatchNormalizationLayer<double>(BatchNormalizationOptions{}.momentum(-0.1)),
                    sinapse::ValueError);
    CHECK_THROWS_AS(BatchNormalizationLayer<double>(BatchNormalizationOptions{}.momentum(1.5)),
                    sinapse::ValueError);
    CHECK_THROWS_AS(BatchNormalizationLayer<double>(BatchNormalizationOptions{}.epsilon(0.0)),
                    sinapse::ValueError);
    CHECK_THROWS_AS(BatchNormalizationLayer<double>(BatchNormalizationOptions{}.epsilon(NAN)),
                    sinapse::ValueError);
  }
}
