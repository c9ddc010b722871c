// Tests of the Concatenate merge layer: column order, output width, and
// finite-difference gradients.
#include <cstdint>
#include <vector>

#include <sinapse/sinapse.hpp>

#include "support/catch.hpp"
#include "support/random_data.hpp"
#include "support/gradient_check.hpp"
#include "support/matrix_compare.hpp"

namespace {

using sinapse::ConcatenateLayer;
using sinapse::Index;
using sinapse::Matrix;

using test_support::random_matrix;

}  // namespace

TEMPLATE_TEST_CASE("Concatenate joins columns in order", "[layers][concatenate]", float, double) {
  ConcatenateLayer<TestType> layer;
  const Matrix<TestType> a = random_matrix<TestType>(4, 2, 1);
  const Matrix<TestType> b = random_matrix<TestType>(4, 3, 2);
  const Matrix<TestType> c = random_matrix<TestType>(4, 1, 3);
  layer.build_for({2, 3, 1});

  Matrix<TestType> y;
  layer.forward({&a, &b, &c}, y, nullptr, sinapse::ForwardContext{true, nullptr});

  CHECK(layer.output_width() == 6);
  REQUIRE(y.rows() == 4);
  REQUIRE(y.cols() == 6);
  CHECK(y.leftCols(2) == a);
  CHECK(y.middleCols(2, 3) == b);
  CHECK(y.rightCols(1) == c);
}

TEST_CASE("Concatenate gradients match finite differences", "[layers][concatenate][gradient]") {
  ConcatenateLayer<double> layer;
  const std::vector<Matrix<double>> inputs{random_matrix<double>(5, 2, 4),
                                           random_matrix<double>(5, 3, 5),
                                           random_matrix<double>(5, 1, 6)};
  layer.build_for({2, 3, 1});

  const test_support::GradientCheckResult result =
      test_support::check_layer_gradients(layer, inputs);
  INFO(result.report());
  CHECK(result.checked == 30);
  CHECK(result.worst_error <= 1e-6);
}

TEST_CASE("Concatenate rejects an empty list", "[layers][concatenate][validation]") {
  ConcatenateLayer<double> layer;
  CHECK_THROWS_AS(layer.build_for({}), sinapse::ValueError);
  CHECK_FALSE(layer.built());
}
