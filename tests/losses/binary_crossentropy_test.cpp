// Tests of BinaryCrossentropy against Keras 3: the clipped probability path at
// saturation in float and double, the logits path, label smoothing, gradients against
// central differences, and the same loss for a fused or a separate sigmoid.
#include <cmath>
#include <cstdint>
#include <limits>
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

using sinapse::BinaryCrossentropy;
using sinapse::Index;
using sinapse::Matrix;

using test_support::random_matrix;

/// Per-element losses and gradients: each (y, p) row is its own batch of one, so the
/// batch loss is the element loss and the gradient is d loss / d p.
template <typename Scalar>
struct ElementwiseResult {
  Matrix<Scalar> loss;
  Matrix<Scalar> gradient;
};

template <typename Scalar>
ElementwiseResult<Scalar> compute_elementwise(const BinaryCrossentropy<Scalar>& loss,
                                              const Matrix<Scalar>& y, const Matrix<Scalar>& p) {
  ElementwiseResult<Scalar> result;
  result.loss.resize(p.rows(), 1);
  result.gradient.resize(p.rows(), 1);
  for (Index i = 0; i < p.rows(); ++i) {
    const Matrix<Scalar> y_row = y.row(i);
    const Matrix<Scalar> p_row = p.row(i);
    Matrix<Scalar> gradient;
    result.loss(i, 0) = loss.compute(y_row, p_row, &gradient);
    result.gradient(i, 0) = gradient(0, 0);
  }
  return result;
}

/// Compares compute's gradient with central differences of compute's value.
test_support::GradientCheckResult check_loss_gradient(const BinaryCrossentropy<double>& loss,
                                                      const Matrix<double>& y,
                                                      Matrix<double> y_pred) {
  Matrix<double> analytic;
  loss.compute(y, y_pred, &analytic);
  test_support::GradientCheckResult result;
  for (Index j = 0; j < y_pred.cols(); ++j) {
    for (Index i = 0; i < y_pred.rows(); ++i) {
      const double numeric = test_support::central_difference(
          y_pred(i, j), [&] { return loss.compute(y, y_pred, nullptr); }, 1e-6);
      result.add(analytic(i, j), numeric,
                 "y_pred (" + std::to_string(i) + ", " + std::to_string(j) + ")");
    }
  }
  return result;
}

/// Labels of mixed kinds for the gradient checks: hard 0 and 1, and soft 0.25 and 0.7.
Matrix<double> mixed_labels() {
  Matrix<double> y(4, 3);
  y << 0.0, 1.0, 0.25, 1.0, 0.7, 0.0, 0.25, 0.0, 1.0, 1.0, 1.0, 0.7;
  return y;
}

}  // namespace

TEMPLATE_TEST_CASE("BCE table matches reference", "[losses][binary_crossentropy][reference]", float,
                   double) {
  const BinaryCrossentropy<TestType> loss;
  const ElementwiseResult<TestType> result = compute_elementwise(
      loss, REFERENCE_MATRIX(TestType, bce_table_y), REFERENCE_MATRIX(TestType, bce_table_p));

  CHECK(result.loss.allFinite());
  CHECK(result.gradient.allFinite());
  if (std::is_same<TestType, float>::value) {
    // Float keeps the asymmetry of Keras in float32: y = 0, p = 1 costs 15.942385 and
    // y = 1, p = 0 costs 16.118095. The tolerance of about 2.5 ulp allows for a libm
    // whose log differs from numpy's by 1 ulp.
    CHECK_MATRIX_CLOSE(result.loss, REFERENCE_MATRIX(double, bce_table_loss_f32), 3e-7, 0.0);
    CHECK_MATRIX_CLOSE(result.gradient, REFERENCE_MATRIX(double, bce_table_grad), 1e-6, 0.0);
  } else {
    CHECK_MATRIX_CLOSE(result.loss, REFERENCE_MATRIX(double, bce_table_loss), 1e-12, 0.0);
    CHECK_MATRIX_CLOSE(result.gradient, REFERENCE_MATRIX(double, bce_table_grad), 1e-12, 0.0);
  }
}

TEMPLATE_TEST_CASE("BCE saturation bounds the loss", "[losses][binary_crossentropy]", float,
                   double) {
  // Keras's maximum element losses: -log(1e-7) = 16.118095 for y = 1, p = 0. For y = 0,
  // p = 1 the cost is -log(1 - (1 - 1e-7)), which is 16.118096 in double but
  // -log(2^-23) = 15.942385 in float, where 1 - 1e-7 rounds to 1 - 2^-23.
  const bool single = std::is_same<TestType, float>::value;
  const BinaryCrossentropy<TestType> loss;
  Matrix<TestType> y(1, 1);
  Matrix<TestType> p(1, 1);
  Matrix<TestType> gradient;
  const double tolerance = single ? 3e-7 : 1e-12;

  y << 1;
  p << 0;
  const double missed_one = single ? 16.118095397949219 : 16.11809565095832;
  CHECK_THAT(static_cast<double>(loss.compute(y, p, &gradient)),
             Catch::Matchers::WithinRel(missed_one, tolerance));
  CHECK(gradient(0, 0) == TestType(0));

  y << 0;
  p << 1;
  const double missed_zero = single ? 15.942384719848633 : 16.118095651484676;
  CHECK_THAT(static_cast<double>(loss.compute(y, p, &gradient)),
             Catch::Matchers::WithinRel(missed_zero, tolerance));
  CHECK(gradient(0, 0) == TestType(0));
}

TEMPLATE_TEST_CASE("BCE clip gradient is zero outside", "[losses][binary_crossentropy]", float,
                   double) {
  // As in Keras's JAX and PyTorch backends, the clip passes no gradient where it is
  // active, and the ordinary gradient (p - y) / (p (1 - p)) just inside it.
  const BinaryCrossentropy<TestType> loss;
  Matrix<TestType> y(1, 4);
  y << 1, 0, 1, 0;
  Matrix<TestType> p(1, 4);
  p << TestType(1e-9), TestType(1) - TestType(1e-9), TestType(1e-3), TestType(0.999);
  Matrix<TestType> gradient;
  loss.compute(y, p, &gradient);

  const double tolerance = std::is_same<TestType, float>::value ? 1e-4 : 1e-9;
  CHECK(gradient(0, 0) == TestType(0));
  CHECK(gradient(0, 1) == TestType(0));
  // Four elements, so each gradient is divided by 4.
  CHECK_THAT(static_cast<double>(gradient(0, 2)),
             Catch::Matchers::WithinRel(-1000.0 / 4, tolerance));
  CHECK_THAT(static_cast<double>(gradient(0, 3)),
             Catch::Matchers::WithinRel(1.0 / (1.0 - 0.999) / 4, tolerance));
}

TEMPLATE_TEST_CASE("BCE logits path matches reference", "[losses][binary_crossentropy][reference]",
                   float, double) {
  const BinaryCrossentropy<TestType> loss(true);
  const ElementwiseResult<TestType> result = compute_elementwise(
      loss, REFERENCE_MATRIX(TestType, bce_logits_y), REFERENCE_MATRIX(TestType, bce_logits_z));

  CHECK(result.loss.allFinite());
  CHECK(result.gradient.allFinite());
  // The logits path is not clipped: z = 100, y = 0 costs 100. Small gradients such as
  // -9.36e-14 lose their digits in sigmoid(z) - 1, so gradients use an absolute tolerance.
  const bool single = std::is_same<TestType, float>::value;
  CHECK_MATRIX_CLOSE(result.loss, REFERENCE_MATRIX(double, bce_logits_loss), single ? 1e-6 : 1e-12,
                     single ? 1e-7 : 1e-300);
  CHECK_MATRIX_CLOSE(result.gradient, REFERENCE_MATRIX(double, bce_logits_grad), 0.0,
                     single ? 1e-7 : 1e-15);
}

TEMPLATE_TEST_CASE("BCE batch with label smoothing", "[losses][binary_crossentropy][reference]",
                   float, double) {
  namespace ref = sinapse_reference;
  const Matrix<TestType> p = REFERENCE_MATRIX(TestType, bce_batch_p);
  const Matrix<TestType> y = REFERENCE_MATRIX(TestType, bce_batch_y);
  const double tolerance = std::is_same<TestType, float>::value ? 1e-6 : 1e-13;
  const BinaryCrossentropy<TestType> plain;
  const BinaryCrossentropy<TestType> smoothed(false, ref::bce_label_smoothing);

  SECTION("batch value is the mean over samples") {
    CHECK_THAT(static_cast<double>(plain.compute(y, p, nullptr)),
               Catch::Matchers::WithinRel(ref::bce_batch_loss[0], tolerance));
    CHECK_THAT(static_cast<double>(smoothed.compute(y, p, nullptr)),
               Catch::Matchers::WithinRel(ref::bce_batch_smoothed_loss[0], tolerance));
  }

  SECTION("per-sample value is the mean over outputs") {
    for (Index i = 0; i < p.rows(); ++i) {
      INFO("sample " << i);
      const Matrix<TestType> y_row = y.row(i);
      const Matrix<TestType> p_row = p.row(i);
      CHECK_THAT(static_cast<double>(plain.compute(y_row, p_row, nullptr)),
                 Catch::Matchers::WithinRel(ref::bce_batch_sample_loss[i], tolerance));
      CHECK_THAT(static_cast<double>(smoothed.compute(y_row, p_row, nullptr)),
                 Catch::Matchers::WithinRel(ref::bce_batch_smoothed_sample_loss[i], tolerance));
    }
  }

  SECTION("smoothing equals the smoothed labels") {
    const Matrix<TestType> y_smoothed = REFERENCE_MATRIX(TestType, bce_batch_smoothed_y);
    Matrix<TestType> gradient_smoothed;
    Matrix<TestType> gradient_explicit;
    const TestType value = smoothed.compute(y, p, &gradient_smoothed);
    const TestType explicit_value = plain.compute(y_smoothed, p, &gradient_explicit);
    CHECK_THAT(static_cast<double>(value),
               Catch::Matchers::WithinRel(static_cast<double>(explicit_value), tolerance));
    CHECK_MATRIX_CLOSE(gradient_smoothed, gradient_explicit, tolerance, 0.0);
  }
}

TEST_CASE("BCE gradient matches finite differences", "[losses][binary_crossentropy][gradient]") {
  const Matrix<double> y = mixed_labels();

  SECTION("probability path away from the clip") {
    const Matrix<double> p = random_matrix(4, 3, 101, 0.05, 0.95);
    const test_support::GradientCheckResult result =
        check_loss_gradient(BinaryCrossentropy<double>(), y, p);
    INFO(result.report());
    CHECK(result.checked == 12);
    CHECK(result.worst_error <= 1e-6);
  }

  SECTION("logits path") {
    const Matrix<double> z = random_matrix(4, 3, 102, -6.0, 6.0);
    const test_support::GradientCheckResult result =
        check_loss_gradient(BinaryCrossentropy<double>(true), y, z);
    INFO(result.report());
    CHECK(result.worst_error <= 1e-6);
  }

  SECTION("probability path with label smoothing") {
    const Matrix<double> p = random_matrix(4, 3, 103, 0.05, 0.95);
    const test_support::GradientCheckResult result =
        check_loss_gradient(BinaryCrossentropy<double>(false, 0.2), y, p);
    INFO(result.report());
    CHECK(result.worst_error <= 1e-6);
  }

  SECTION("logits path with label smoothing") {
    const Matrix<double> z = random_matrix(4, 3, 104, -6.0, 6.0);
    const test_support::GradientCheckResult result =
        check_loss_gradient(BinaryCrossentropy<double>(true, 0.2), y, z);
    INFO(result.report());
    CHECK(result.worst_error <= 1e-6);
  }
}

TEMPLATE_TEST_CASE("BCE finite at outputs 0 and 1", "[losses][binary_crossentropy]", float,
                   double) {
  Matrix<TestType> y(2, 2);
  y << 0, 1, 0, 1;
  Matrix<TestType> p(2, 2);
  p << 0, 1, 1, 0;
  Matrix<TestType> gradient;

  SECTION("probability path") {
    const TestType value = BinaryCrossentropy<TestType>().compute(y, p, &gradient);
    CHECK(std::isfinite(value));
    CHECK(gradient.allFinite());
    // Two correct predictions cost about 1e-7 each, two wrong ones about 16 each.
    CHECK(value > TestType(7.9));
    CHECK(value < TestType(8.1));
  }

  SECTION("logits path at very large logits") {
    Matrix<TestType> z(2, 2);
    z << TestType(-1e4), TestType(1e4), TestType(1e4), TestType(-1e4);
    const TestType value = BinaryCrossentropy<TestType>(true).compute(y, z, &gradient);
    CHECK(std::isfinite(value));
    CHECK(gradient.allFinite());
    // The two wrong predictions cost |z| each and are not clipped.
    CHECK_THAT(static_cast<double>(value), Catch::Matchers::WithinRel(5000.0, 1e-6));
  }
}

TEMPLATE_TEST_CASE("BCE finite for saturated model", "[losses][binary_crossentropy][model]", float,
                   double) {
  // A pre-activation of +-200 makes the float sigmoid exactly 0 or 1.
  const auto input = sinapse::Input<TestType>(1);
  const sinapse::Dense<TestType> dense(sinapse::DenseOptions(1).activation("sigmoid").seed(1));
  sinapse::Model<TestType> model(input, dense(input));
  Matrix<TestType> kernel(1, 1);
  kernel << 200;
  model.set_weights({kernel, Matrix<TestType>::Zero(1, 1)});
  model.compile("adam", "binary_crossentropy");
  Matrix<TestType> x(4, 1);
  x << 1, -1, 1, -1;
  Matrix<TestType> y(4, 1);
  y << 0, 1, 1, 0;

  const Matrix<TestType> prediction = model.predict(x, sinapse::PredictOptions().verbose(0));
  CHECK(prediction.allFinite());
  const double evaluated = model.evaluate(x, y, sinapse::EvaluateOptions().verbose(0)).at("loss");
  CHECK(std::isfinite(evaluated));
  const double trained = model.train_on_batch(x, y).at("loss");
  CHECK(std::isfinite(trained));
  for (const Matrix<TestType>& weight : model.get_weights()) CHECK(weight.allFinite());
}

TEMPLATE_TEST_CASE("BCE same with fused or separate sigmoid",
                   "[losses][binary_crossentropy][model]", float, double) {
  const auto fused_input = sinapse::Input<TestType>(3);
  const sinapse::Dense<TestType> fused_hidden(sinapse::DenseOptions(4).activation("tanh").seed(11));
  const sinapse::Dense<TestType> fused_output(
      sinapse::DenseOptions(1).activation("sigmoid").seed(12));
  sinapse::Model<TestType> fused(fused_input, fused_output(fused_hidden(fused_input)));

  const auto separate_input = sinapse::Input<TestType>(3);
  const sinapse::Dense<TestType> separate_hidden(
      sinapse::DenseOptions(4).activation("tanh").seed(13));
  const sinapse::Dense<TestType> separate_output(sinapse::DenseOptions(1).seed(14));
  const sinapse::Activation<TestType> sigmoid("sigmoid");
  sinapse::Model<TestType> separate(separate_input,
                                    sigmoid(separate_output(separate_hidden(separate_input))));

  const Matrix<TestType> x = random_matrix(6, 3, 105, -2.0, 2.0).template cast<TestType>();
  Matrix<TestType> y(6, 1);
  y << 1, 0, 1, 1, 0, 0;
  const double tolerance = std::is_same<TestType, float>::value ? 1e-6 : 1e-14;

  // A large output kernel drives the sigmoid to exactly 0 or 1.
  for (const TestType output_scale : {TestType(1), TestType(1000)}) {
    DYNAMIC_SECTION((output_scale == TestType(1) ? "ordinary" : "saturated") << " outputs") {
      std::vector<Matrix<TestType>> weights = fused.get_weights();
      weights[2] *= output_scale;
      fused.set_weights(weights);
      separate.set_weights(weights);
      fused.compile(sinapse::Adam<TestType>(0.01), sinapse::BinaryCrossentropy<TestType>());
      separate.compile(sinapse::Adam<TestType>(0.01), sinapse::BinaryCrossentropy<TestType>());
      if (output_scale != TestType(1)) {
        const Matrix<TestType> prediction = fused.predict(x, sinapse::PredictOptions().verbose(0));
        const auto saturated =
            (prediction.array() == TestType(0) || prediction.array() == TestType(1));
        CHECK(saturated.count() > 0);
      }

      const double fused_loss = fused.test_on_batch(x, y).at("loss");
      const double separate_loss = separate.test_on_batch(x, y).at("loss");
      CHECK(std::isfinite(fused_loss));
      CHECK_THAT(separate_loss, Catch::Matchers::WithinRel(fused_loss, tolerance));

      const double fused_step = fused.train_on_batch(x, y).at("loss");
      const double separate_step = separate.train_on_batch(x, y).at("loss");
      CHECK_THAT(separate_step, Catch::Matchers::WithinRel(fused_step, tolerance));
      const std::vector<Matrix<TestType>> fused_weights = fused.get_weights();
      const std::vector<Matrix<TestType>> separate_weights = separate.get_weights();
      REQUIRE(fused_weights.size() == separate_weights.size());
      for (std::size_t i = 0; i < fused_weights.size(); ++i) {
        INFO("weight " << i);
        CHECK_MATRIX_CLOSE(separate_weights[i], fused_weights[i], tolerance, tolerance);
      }
    }
  }
}

TEST_CASE("BCE rejects invalid arguments", "[losses][binary_crossentropy][validation]") {
  CHECK_THROWS_AS(BinaryCrossentropy<double>(false, -0.1), sinapse::ValueError);
  CHECK_THROWS_AS(BinaryCrossentropy<double>(false, 1.5), sinapse::ValueError);
  CHECK_THROWS_AS(BinaryCrossentropy<double>(false, std::nan("")), sinapse::ValueError);

  const BinaryCrossentropy<double> loss;
  Matrix<double> y(3, 1);
  y << 0.0, 0.25, 1.0;
  CHECK_NOTHROW(loss.validate_targets(y, "test: y"));
  y(1, 0) = 1.5;
  CHECK_THROWS_AS(loss.validate_targets(y, "test: y"), sinapse::ValueError);
  y(1, 0) = -0.1;
  CHECK_THROWS_AS(loss.validate_targets(y, "test: y"), sinapse::ValueError);
}
