// Tests of the Activation layer: values of each Keras activation, numerical safety at
// large inputs, agreement with Dense's built-in activation, and finite-difference
// gradients.
#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include <sinapse/sinapse.hpp>

#include "support/catch.hpp"
#include "support/random_data.hpp"
#include "support/gradient_check.hpp"
#include "support/matrix_compare.hpp"

namespace {

using sinapse::ActivationLayer;
using sinapse::Index;
using sinapse::Matrix;

using test_support::random_matrix;

/// Builds the layer for x and returns its training-mode output.
template <typename Scalar>
Matrix<Scalar> build_and_forward(ActivationLayer<Scalar>& layer, const Matrix<Scalar>& x) {
  layer.build_for({x.cols()});
  Matrix<Scalar> y;
  layer.forward({&x}, y, nullptr, sinapse::ForwardContext{true, nullptr});
  return y;
}

}  // namespace

TEMPLATE_TEST_CASE("Activation computes Keras formulas", "[layers][activation]", float, double) {
  Matrix<TestType> x(2, 3);
  x << TestType(-2.0), TestType(0.0), TestType(1.5), TestType(0.5), TestType(-0.25), TestType(3.0);
  const Matrix<double> xd = x.template cast<double>();
  const double tolerance = std::is_same<TestType, float>::value ? 1e-6 : 1e-15;

  SECTION("linear") {
    ActivationLayer<TestType> layer("linear");
    CHECK(build_and_forward(layer, x) == x);
  }
  SECTION("relu") {
    ActivationLayer<TestType> layer("relu");
    CHECK(build_and_forward(layer, x) == x.cwiseMax(TestType(0)));
  }
  SECTION("tanh") {
    ActivationLayer<TestType> layer("tanh");
    const Matrix<double> expected = xd.array().tanh().matrix();
    CHECK_MATRIX_CLOSE(build_and_forward(layer, x), expected, tolerance, tolerance);
  }
  SECTION("sigmoid") {
    ActivationLayer<TestType> layer("sigmoid");
    const Matrix<double> expected = (1.0 + (-xd.array()).exp()).inverse().matrix();
    CHECK_MATRIX_CLOSE(build_and_forward(layer, x), expected, tolerance, tolerance);
  }
  SECTION("softmax over each row") {
    ActivationLayer<TestType> layer("softmax");
    Matrix<double> expected = xd.array().exp().matrix();
    for (Index i = 0; i < expected.rows(); ++i) expected.row(i) /= expected.row(i).sum();
    CHECK_MATRIX_CLOSE(build_and_forward(layer, x), expected, tolerance, tolerance);
  }
}

TEMPLATE_TEST_CASE("Activation finite at large inputs", "[layers][activation]", float, double) {
  // exp(1000) overflows both float and double; a max-shifted softmax and this sigmoid
  // form must still give finite outputs and gradients.
  Matrix<TestType> x(2, 3);
  x << TestType(1000), TestType(-1000), TestType(0), TestType(-1000), TestType(999), TestType(1000);
  for (const std::string name : {"sigmoid", "softmax", "tanh"}) {
    DYNAMIC_SECTION(name) {
      ActivationLayer<TestType> layer(name);
      const Matrix<TestType> y = build_and_forward(layer, x);
      CHECK(y.allFinite());
      Matrix<TestType> output_gradient = Matrix<TestType>::Ones(2, 3);
      Matrix<TestType> dx;
      layer.backward({&x}, y, output_gradient, nullptr, {&dx});
      CHECK(dx.allFinite());
    }
  }

  SECTION("softmax rows sum to one") {
    ActivationLayer<TestType> layer("softmax");
    const Matrix<TestType> y = build_and_forward(layer, x);
    for (Index i = 0; i < 2; ++i) {
      INFO("row " << i);
      CHECK_THAT(static_cast<double>(y.row(i).sum()), Catch::Matchers::WithinAbs(1.0, 1e-6));
    }
    CHECK_THAT(static_cast<double>(y(1, 2)),
               Catch::Matchers::WithinRel(1.0 / (1.0 + std::exp(-1.0)), 1e-6));
  }
}

TEST_CASE("Activation gradients match finite differences", "[layers][activation][gradient]") {
  // Inputs in [0.1, 2) with alternating signs keep ReLU away from its kink at 0.
  Matrix<double> x = random_matrix(5, 4, 91, 0.1, 2.0);
  for (Index j = 1; j < x.cols(); j += 2) x.col(j) = -x.col(j);

  for (const std::string name : {"linear", "relu", "tanh", "sigmoid", "softmax"}) {
    DYNAMIC_SECTION(name) {
      ActivationLayer<double> layer(name);
      layer.build_for({4});
      const test_support::GradientCheckResult result =
          test_support::check_layer_gradients(layer, {x});
      INFO(result.report());
      CHECK(result.checked == x.size());
      CHECK(result.worst_error <= 1e-6);
    }
  }
}

TEST_CASE("Activation equals Dense activation", "[layers][activation][dense]") {
  const Matrix<double> x = random_matrix(6, 3, 92, -2.0, 2.0);
  for (const std::string name : {"relu", "tanh", "sigmoid", "softmax"}) {
    DYNAMIC_SECTION(name) {
      sinapse::DenseLayer<double> fused(sinapse::DenseOptions(4).activation(name).seed(93));
      sinapse::DenseLayer<double> linear(sinapse::DenseOptions(4).seed(93));
      ActivationLayer<double> activation(name);
      fused.build_for({3});
      linear.build_for({3});
      activation.build_for({4});
      const sinapse::ForwardContext context{true, nullptr};

      Matrix<double> y_fused;
      fused.forward({&x}, y_fused, nullptr, context);
      Matrix<double> z;
      linear.forward({&x}, z, nullptr, context);
      Matrix<double> y_separate;
      activation.forward({&z}, y_separate, nullptr, context);
      CHECK(y_fused == y_separate);

      // The chained backward gives the same kernel gradient and dx as the fused one.
      const Matrix<double> upstream = random_matrix(6, 4, 94);
      Matrix<double> gradient = upstream;
      Matrix<double> dx_fused;
      fused.kernel().gradient.setZero();
      fused.backward({&x}, y_fused, gradient, nullptr, {&dx_fused});
      gradient = upstream;
      Matrix<double> dz;
      activation.backward({&z}, y_separate, gradient, nullptr, {&dz});
      Matrix<double> dx_separate;
      linear.kernel().gradient.setZero();
      linear.backward({&x}, z, dz, nullptr, {&dx_separate});
      CHECK_MATRIX_CLOSE(dx_separate, dx_fused, 1e-14, 1e-15);
      CHECK_MATRIX_CLOSE(linear.kernel().gradient, fused.kernel().gradient, 1e-14, 1e-15);
    }
  }
}

TEST_CASE("Activation rejects unknown names", "[layers][activation][validation]") {
  CHECK_THROWS_AS(ActivationLayer<double>("swish"), sinapse::ValueError);
  CHECK_NOTHROW(ActivationLayer<double>(""));
}
