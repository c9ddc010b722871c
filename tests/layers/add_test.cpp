// Tests of the Add merge layer: elementwise sums, broadcasting of width-1 inputs, and
// finite-difference gradients.
#include <cstdint>
#include <vector>

#include <sinapse/sinapse.hpp>

#include "support/catch.hpp"
#include "support/random_data.hpp"
#include "support/gradient_check.hpp"
#include "support/matrix_compare.hpp"

namespace {

using sinapse::AddLayer;
using sinapse::Index;
using sinapse::Matrix;

using test_support::random_matrix;

/// Builds the layer for the inputs' widths and returns its output.
template <typename Scalar>
Matrix<Scalar> build_and_forward(AddLayer<Scalar>& layer,
                                 const std::vector<Matrix<Scalar>>& inputs) {
  std::vector<Index> widths;
  std::vector<const Matrix<Scalar>*> pointers;
  for (const Matrix<Scalar>& input : inputs) {
    widths.push_back(input.cols());
    pointers.push_back(&input);
  }
  layer.build_for(widths);
  Matrix<Scalar> y;
  layer.forward(pointers, y, nullptr, sinapse::ForwardContext{true, nullptr});
  return y;
}

}  // namespace

TEMPLATE_TEST_CASE("Add sums equal-width inputs", "[layers][add]", float, double) {
  AddLayer<TestType> layer;
  const Matrix<TestType> a = random_matrix<TestType>(4, 3, 1);
  const Matrix<TestType> b = random_matrix<TestType>(4, 3, 2);
  const Matrix<TestType> c = random_matrix<TestType>(4, 3, 3);

  const Matrix<TestType> y = build_and_forward(layer, {a, b, c});

  CHECK(layer.output_width() == 3);
  CHECK(y == (a + b) + c);
}

TEMPLATE_TEST_CASE("Add broadcasts width-one input", "[layers][add]", float, double) {
  AddLayer<TestType> layer;
  const Matrix<TestType> column = random_matrix<TestType>(4, 1, 4);
  const Matrix<TestType> a = random_matrix<TestType>(4, 3, 5);

  // The width-1 input comes first, so the output width is not simply the first width.
  const Matrix<TestType> y = build_and_forward(layer, {column, a});

  REQUIRE(layer.output_width() == 3);
  REQUIRE(y.cols() == 3);
  for (Index j = 0; j < 3; ++j) {
    INFO("column " << j);
    CHECK(y.col(j) == column.col(0) + a.col(j));
  }
}

TEST_CASE("Add gradients match finite differences", "[layers][add][gradient]") {
  SECTION("three inputs of equal width") {
    AddLayer<double> layer;
    const std::vector<Matrix<double>> inputs{random_matrix<double>(5, 3, 6),
                                             random_matrix<double>(5, 3, 7),
                                             random_matrix<double>(5, 3, 8)};
    build_and_forward(layer, inputs);
    const test_support::GradientCheckResult result =
        test_support::check_layer_gradients(layer, inputs);
    INFO(result.report());
    CHECK(result.checked == 45);
    CHECK(result.worst_error <= 1e-6);
  }

  SECTION("a width-1 input broadcast across three columns") {
    // The broadcast input's gradient is the row sum of the output gradient.
    AddLayer<double> layer;
    const std::vector<Matrix<double>> inputs{random_matrix<double>(5, 3, 9),
                                             random_matrix<double>(5, 1, 10),
                                             random_matrix<double>(5, 3, 11)};
    build_and_forward(layer, inputs);
    const test_support::GradientCheckResult result =
        test_support::check_layer_gradients(layer, inputs);
    INFO(result.report());
    CHECK(result.checked == 35);
    CHECK(result.worst_error <= 1e-6);
  }

  SECTION("only width-1 inputs") {
    AddLayer<double> layer;
    const std::vector<Matrix<double>> inputs{random_matrix<double>(5, 1, 12),
                                             random_matrix<double>(5, 1, 13)};
    build_and_forward(layer, inputs);
    const test_support::GradientCheckResult result =
        test_support::check_layer_gradients(layer, inputs);
    INFO(result.report());
    CHECK(result.worst_error <= 1e-6);
  }
}

TEST_CASE("Add rejects incompatible widths", "[layers][add][validation]") {
  AddLayer<double> layer;
  CHECK_THROWS_AS(layer.build_for({3, 2}), sinapse::ShapeError);
  CHECK_THROWS_AS(layer.build_for({}), sinapse::ValueError);
  // Nothing changed, so a valid call still builds the layer.
  CHECK_FALSE(layer.built());
  layer.build_for({3, 1});
  CHECK(layer.output_width() == 3);
}
