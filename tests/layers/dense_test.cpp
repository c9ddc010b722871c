// Tests of the Dense layer: reference values per activation, finite-difference gradients,
// and Keras's initialisation (Glorot-uniform kernel, zero bias).
#include <algorithm>
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

using sinapse::DenseLayer;
using sinapse::DenseOptions;
using sinapse::Index;
using sinapse::Matrix;

using test_support::random_matrix;

/// Relative tolerance against float64 references: float keeps about 7 digits.
template <typename Scalar>
constexpr double reference_tolerance() {
  return std::is_same<Scalar, float>::value ? 1e-5 : 1e-10;
}

/// Output and gradients of one Dense reference case, all row-major float64 arrays.
struct DenseReference {
  const char* activation;
  const double* y;
  const double* dx;
  const double* dkernel;
  const double* dbias;
};

const DenseReference dense_references[] = {
    {"linear", sinapse_reference::dense_linear_y, sinapse_reference::dense_linear_dx,
     sinapse_reference::dense_linear_dkernel, sinapse_reference::dense_linear_dbias},
    {"relu", sinapse_reference::dense_relu_y, sinapse_reference::dense_relu_dx,
     sinapse_reference::dense_relu_dkernel, sinapse_reference::dense_relu_dbias},
    {"tanh", sinapse_reference::dense_tanh_y, sinapse_reference::dense_tanh_dx,
     sinapse_reference::dense_tanh_dkernel, sinapse_reference::dense_tanh_dbias},
    {"sigmoid", sinapse_reference::dense_sigmoid_y, sinapse_reference::dense_sigmoid_dx,
     sinapse_reference::dense_sigmoid_dkernel, sinapse_reference::dense_sigmoid_dbias},
    {"softmax", sinapse_reference::dense_softmax_y, sinapse_reference::dense_softmax_dx,
     sinapse_reference::dense_softmax_dkernel, sinapse_reference::dense_softmax_dbias},
};

}  // namespace

TEMPLATE_TEST_CASE("Dense matches reference per activation", "[layers][dense][reference]", float,
                   double) {
  namespace ref = sinapse_reference;
  using test_support::from_row_major;
  const Matrix<TestType> x = REFERENCE_MATRIX(TestType, dense_x);
  const Matrix<TestType> upstream = REFERENCE_MATRIX(TestType, dense_upstream);
  const double rtol = reference_tolerance<TestType>();
  const double atol = rtol / 10;

  for (const DenseReference& reference : dense_references) {
    DYNAMIC_SECTION("activation " << reference.activation) {
      DenseLayer<TestType> layer(
          DenseOptions(ref::dense_kernel_cols).activation(reference.activation).seed(1));
      layer.build_for({ref::dense_kernel_rows});
      layer.kernel().value = REFERENCE_MATRIX(TestType, dense_kernel);
      layer.bias().value = REFERENCE_MATRIX(TestType, dense_bias);
      auto cache = layer.make_cache();

      Matrix<TestType> y;
      layer.forward({&x}, y, cache.get(), sinapse::ForwardContext{true, nullptr});
      CHECK_MATRIX_CLOSE(
          y,
          from_row_major<double>(reference.y, ref::dense_linear_y_rows, ref::dense_linear_y_cols),
          rtol, atol);

      Matrix<TestType> output_gradient = upstream;
      Matrix<TestType> dx;
      layer.kernel().gradient.setZero();
      layer.bias().gradient.setZero();
      layer.backward({&x}, y, output_gradient, cache.get(), {&dx});
      CHECK_MATRIX_CLOSE(dx,
                         from_row_major<double>(reference.dx, ref::dense_linear_dx_rows,
                                                ref::dense_linear_dx_cols),
                         rtol, atol);
      CHECK_MATRIX_CLOSE(layer.kernel().gradient,
                         from_row_major<double>(reference.dkernel, ref::dense_linear_dkernel_rows,
                                                ref::dense_linear_dkernel_cols),
                         rtol, atol);
      CHECK_MATRIX_CLOSE(layer.bias().gradient,
                         from_row_major<double>(reference.dbias, ref::dense_linear_dbias_rows,
                                                ref::dense_linear_dbias_cols),
                         rtol, atol);
    }
  }
}

TEST_CASE("Dense backward accumulates weight gradients", "[layers][dense]") {
  // The model zeroes gradients once per step and a shared layer adds one term per call,
  // so backward must add to the gradient, not overwrite it.
  DenseLayer<double> layer(DenseOptions(2).activation("tanh").seed(3));
  layer.build_for({3});
  const Matrix<double> x = random_matrix(4, 3, 11);
  const Matrix<double> upstream = random_matrix(4, 2, 12);
  Matrix<double> y;
  layer.forward({&x}, y, nullptr, sinapse::ForwardContext{true, nullptr});

  layer.kernel().gradient.setZero();
  layer.bias().gradient.setZero();
  Matrix<double> output_gradient = upstream;
  Matrix<double> dx;
  layer.backward({&x}, y, output_gradient, nullptr, {&dx});
  const Matrix<double> kernel_once = layer.kernel().gradient;
  const Matrix<double> bias_once = layer.bias().gradient;
  output_gradient = upstream;
  layer.backward({&x}, y, output_gradient, nullptr, {&dx});

  CHECK_MATRIX_CLOSE(layer.kernel().gradient, (2.0 * kernel_once).eval(), 1e-14, 1e-15);
  CHECK_MATRIX_CLOSE(layer.bias().gradient, (2.0 * bias_once).eval(), 1e-14, 1e-15);
}

TEST_CASE("Dense gradients match finite differences", "[layers][dense][gradient]") {
  const std::vector<std::string> activations{"linear", "relu", "tanh", "sigmoid", "softmax"};
  for (const std::string& activation : activations) {
    for (const bool use_bias : {true, false}) {
      DYNAMIC_SECTION(activation << (use_bias ? " with bias" : " without bias")) {
        DenseLayer<double> layer(
            DenseOptions(3).activation(activation).use_bias(use_bias).seed(21));
        layer.build_for({4});
        if (use_bias) layer.bias().value = random_matrix(3, 1, 22, -0.5, 0.5);
        const Matrix<double> x = random_matrix(5, 4, 23, -2.0, 2.0);

        // A ReLU pre-activation within the finite-difference step of 0 makes the numeric
        // derivative meaningless, so the data must keep away from the kink.
        Matrix<double> z = x * layer.kernel().value;
        if (use_bias) z.rowwise() += layer.bias().value.col(0).transpose();
        INFO("smallest |pre-activation| " << z.cwiseAbs().minCoeff());
        REQUIRE(z.cwiseAbs().minCoeff() > 1e-3);
        // Both signs must occur, or the ReLU case would not test the zero branch.
        REQUIRE(z.minCoeff() < 0.0);
        REQUIRE(z.maxCoeff() > 0.0);

        const test_support::GradientCheckResult result =
            test_support::check_layer_gradients(layer, {x});
        INFO(result.report());
        CHECK(result.checked == x.size() + layer.count_params());
        CHECK(result.worst_error <= 1e-6);
      }
    }
  }
}

TEMPLATE_TEST_CASE("Dense kernel within Glorot limit", "[layers][dense][initializer]", float,
                   double) {
  const Index inputs = 100;
  const Index units = 200;
  DenseLayer<TestType> layer(DenseOptions(units).seed(5));
  layer.build_for({inputs});
  const Matrix<TestType>& kernel = layer.kernel().value;
  const double limit = std::sqrt(6.0 / static_cast<double>(inputs + units));
  // Each value is drawn in double and rounded once, so compare with the rounded limit.
  const TestType bound = static_cast<TestType>(limit);

  REQUIRE(kernel.rows() == inputs);
  REQUIRE(kernel.cols() == units);
  CHECK(kernel.maxCoeff() <= bound);
  CHECK(kernel.minCoeff() >= -bound);
  // With 20000 draws, the extremes are expected within 0.01 % of the limit, so 0.1 %
  // leaves a wide margin.
  CHECK(static_cast<double>(kernel.maxCoeff()) > 0.999 * limit);
  CHECK(static_cast<double>(kernel.minCoeff()) < -0.999 * limit);

  // U(-limit, limit) has mean 0 and variance limit^2 / 3. The standard error of the mean
  // is about 0.004 limit, so 0.02 limit is a 5-sigma bound.
  const Matrix<double> values = kernel.template cast<double>();
  const double mean = values.mean();
  const double variance = (values.array() - mean).square().mean();
  CHECK_THAT(mean, Catch::Matchers::WithinAbs(0.0, 0.02 * limit));
  CHECK_THAT(variance, Catch::Matchers::WithinRel(limit * limit / 3.0, 0.03));

  // Ten equal bins over [-limit, limit] each expect 2000 values (standard deviation 42).
  std::vector<int> bins(10, 0);
  for (Index j = 0; j < values.cols(); ++j) {
    for (Index i = 0; i < values.rows(); ++i) {
      const double position = (values(i, j) + limit) / (2.0 * limit);
      // Clamp, so that a value outside the limit still lands in an edge bin.
      const int bin = std::max(0, std::min(9, static_cast<int>(std::floor(position * 10.0))));
      ++bins[static_cast<std::size_t>(bin)];
    }
  }
  for (std::size_t bin = 0; bin < bins.size(); ++bin) {
    INFO("bin " << bin);
    CHECK(bins[bin] > 1800);
    CHECK(bins[bin] < 2200);
  }
}

TEST_CASE("Dense Glorot limit uses both fans", "[layers][dense][initializer]") {
  // Keras's limits for these shapes: 20 -> 64 gives 0.2672612 and 64 -> 1 gives 0.3038218.
  struct FanCase {
    Index inputs;
    Index units;
    double limit;
  };
  for (const FanCase& fan : {FanCase{20, 64, 0.2672612}, FanCase{64, 1, 0.3038218}}) {
    DYNAMIC_SECTION(fan.inputs << " inputs, " << fan.units << " units") {
      DenseLayer<double> layer(DenseOptions(fan.units).seed(9));
      layer.build_for({fan.inputs});
      const double largest = layer.kernel().value.cwiseAbs().maxCoeff();
      CHECK(largest <= fan.limit + 1e-7);
      // With 1280 or 64 draws, the largest |value| falls below 90 % of the limit with
      // probability 0.9^64 = 0.1 % at most.
      CHECK(largest > 0.9 * fan.limit);
    }
  }
}

TEST_CASE("Dense kernel depends only on seed", "[layers][dense][initializer]") {
  DenseLayer<double> first(DenseOptions(4).seed(77));
  DenseLayer<double> second(DenseOptions(4).seed(77));
  DenseLayer<double> other(DenseOptions(4).seed(78));
  DenseLayer<float> single(DenseOptions(4).seed(77));
  first.build_for({3});
  second.build_for({3});
  other.build_for({3});
  single.build_for({3});

  CHECK(first.kernel().value == second.kernel().value);
  CHECK(first.kernel().value != other.kernel().value);
  // The float kernel is the double draw rounded once.
  CHECK(single.kernel().value == first.kernel().value.cast<float>());
}

TEMPLATE_TEST_CASE("Dense bias starts at zero", "[layers][dense][initializer]", float, double) {
  DenseLayer<TestType> layer(DenseOptions(64).seed(2));
  layer.build_for({20});

  REQUIRE(layer.bias().value.rows() == 64);
  REQUIRE(layer.bias().value.cols() == 1);
  CHECK(layer.bias().value.isZero(0));
  CHECK(layer.bias().rank == 1);
  CHECK(layer.kernel().rank == 2);
  // Keras's parameter count for 20 -> 64 is 20 * 64 + 64.
  CHECK(layer.count_params() == 1344);
  CHECK(layer.variables().size() == 2);
}

TEST_CASE("Dense without bias has only kernel", "[layers][dense]") {
  DenseLayer<double> layer(DenseOptions(1).use_bias(false).seed(2));
  layer.build_for({64});

  REQUIRE(layer.variables().size() == 1);
  CHECK(layer.variables()[0]->name == "kernel");
  CHECK(layer.count_params() == 64);
}

TEST_CASE("Dense rejects invalid options", "[layers][dense][validation]") {
  CHECK_THROWS_AS(DenseLayer<double>(DenseOptions(0)), sinapse::ValueError);
  CHECK_THROWS_AS(DenseLayer<double>(DenseOptions(-3)), sinapse::ValueError);
  CHECK_THROWS_AS(DenseLayer<double>(DenseOptions(2).activation("gelu")), sinapse::ValueError);
}
