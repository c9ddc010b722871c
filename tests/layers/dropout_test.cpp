// Tests of Dropout: inverted scaling in training, the identity in inference, the edge
// rates 0 and 1, seeded masks, and finite-difference gradients with a fixed mask.
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include <sinapse/sinapse.hpp>

#include "support/catch.hpp"
#include "support/gradient_check.hpp"
#include "support/matrix_compare.hpp"

namespace {

using sinapse::DropoutLayer;
using sinapse::DropoutOptions;
using sinapse::Index;
using sinapse::Matrix;

/// Returns a (rows, cols) matrix with no zeros: |value| in [0.5, 2), the sign alternating
/// by column.
template <typename Scalar>
Matrix<Scalar> nonzero_matrix(Index rows, Index cols, std::uint64_t seed) {
  sinapse::Generator generator(seed);
  Matrix<Scalar> result(rows, cols);
  for (Index j = 0; j < cols; ++j) {
    const double sign = j % 2 == 0 ? 1.0 : -1.0;
    for (Index i = 0; i < rows; ++i) {
      result(i, j) = static_cast<Scalar>(sign * (0.5 + 1.5 * generator.uniform()));
    }
  }
  return result;
}

/// Runs one forward pass; `generator` may be null when the layer has its own seed.
template <typename Scalar>
Matrix<Scalar> run_forward(DropoutLayer<Scalar>& layer, const Matrix<Scalar>& x,
                           sinapse::LayerCache* cache, bool training,
                           sinapse::Generator* generator = nullptr) {
  Matrix<Scalar> y;
  layer.forward({&x}, y, cache, sinapse::ForwardContext{training, generator});
  return y;
}

}  // namespace

TEMPLATE_TEST_CASE("Dropout scales kept values", "[layers][dropout]", float, double) {
  const double rate = 0.3;
  DropoutLayer<TestType> layer(DropoutOptions(rate).seed(17));
  layer.build_for({50});
  auto cache = layer.make_cache();
  const Matrix<TestType> x = nonzero_matrix<TestType>(200, 50, 71);

  const Matrix<TestType> y = run_forward(layer, x, cache.get(), true);

  REQUIRE(y.rows() == x.rows());
  REQUIRE(y.cols() == x.cols());
  const double tolerance = std::is_same<TestType, float>::value ? 2e-7 : 1e-15;
  Index kept = 0;
  Index wrong = 0;
  for (Index j = 0; j < x.cols(); ++j) {
    for (Index i = 0; i < x.rows(); ++i) {
      if (y(i, j) == TestType(0)) continue;
      ++kept;
      const double expected = static_cast<double>(x(i, j)) / (1.0 - rate);
      if (std::abs(static_cast<double>(y(i, j)) - expected) > tolerance * std::abs(expected)) {
        ++wrong;
        UNSCOPED_INFO("(" << i << ", " << j << "): " << y(i, j) << " instead of " << expected);
      }
    }
  }
  CHECK(wrong == 0);
  // 10000 draws with keep probability 0.7 have a standard deviation of 0.0046 in the
  // kept fraction, so 0.02 is more than 4 sigma.
  const double kept_fraction = static_cast<double>(kept) / static_cast<double>(x.size());
  CHECK_THAT(kept_fraction, Catch::Matchers::WithinAbs(0.7, 0.02));

  SECTION("backward applies the same mask") {
    Matrix<TestType> output_gradient = Matrix<TestType>::Ones(x.rows(), x.cols());
    Matrix<TestType> dx;
    layer.backward({&x}, y, output_gradient, cache.get(), {&dx});
    const Matrix<TestType> mask = y.cwiseQuotient(x);
    CHECK_MATRIX_CLOSE(dx, mask, tolerance, 0.0);
  }
}

TEMPLATE_TEST_CASE("Dropout is identity in inference", "[layers][dropout]", float, double) {
  DropoutLayer<TestType> layer(DropoutOptions(0.5).seed(3));
  layer.build_for({7});
  auto cache = layer.make_cache();
  const Matrix<TestType> x = nonzero_matrix<TestType>(9, 7, 72);

  const Matrix<TestType> y = run_forward(layer, x, cache.get(), false);
  CHECK(y == x);

  Matrix<TestType> output_gradient = nonzero_matrix<TestType>(9, 7, 73);
  const Matrix<TestType> upstream = output_gradient;
  Matrix<TestType> dx;
  layer.backward({&x}, y, output_gradient, cache.get(), {&dx});
  CHECK(dx == upstream);
}

TEMPLATE_TEST_CASE("Dropout predict is identity", "[layers][dropout][model]", float, double) {
  const auto input = sinapse::Input<TestType>(4);
  const sinapse::Dropout<TestType> dropout(0.5);
  sinapse::Model<TestType> model(input, dropout(input));
  const Matrix<TestType> x = nonzero_matrix<TestType>(6, 4, 74);

  CHECK(model.predict(x, sinapse::PredictOptions().verbose(0)) == x);
  // The training forward pass through the same model does drop values.
  const Matrix<TestType> trained = model.forward_batch({&x}, true);
  CHECK((trained.array() == TestType(0)).count() > 0);
}

TEMPLATE_TEST_CASE("Dropout rate 0 is identity", "[layers][dropout]", float, double) {
  DropoutLayer<TestType> layer(DropoutOptions(0.0).seed(4));
  layer.build_for({5});
  auto cache = layer.make_cache();
  const Matrix<TestType> x = nonzero_matrix<TestType>(8, 5, 75);

  const Matrix<TestType> y = run_forward(layer, x, cache.get(), true);
  CHECK(y == x);

  Matrix<TestType> output_gradient = nonzero_matrix<TestType>(8, 5, 76);
  const Matrix<TestType> upstream = output_gradient;
  Matrix<TestType> dx;
  layer.backward({&x}, y, output_gradient, cache.get(), {&dx});
  CHECK(dx == upstream);
}

TEMPLATE_TEST_CASE("Dropout rate 1 gives zeros", "[layers][dropout]", float, double) {
  DropoutLayer<TestType> layer(DropoutOptions(1.0).seed(5));
  layer.build_for({5});
  auto cache = layer.make_cache();
  Matrix<TestType> x = nonzero_matrix<TestType>(8, 5, 77);
  x(0, 0) = std::numeric_limits<TestType>::max();

  const Matrix<TestType> y = run_forward(layer, x, cache.get(), true);
  CHECK(y.allFinite());
  CHECK(y.isZero(0));

  Matrix<TestType> output_gradient = nonzero_matrix<TestType>(8, 5, 78);
  Matrix<TestType> dx;
  layer.backward({&x}, y, output_gradient, cache.get(), {&dx});
  CHECK(dx.allFinite());
  CHECK(dx.isZero(0));

  // Outside training, rate 1 is still the identity.
  CHECK(run_forward(layer, x, cache.get(), false) == x);
}

TEST_CASE("Dropout same seed same mask", "[layers][dropout]") {
  DropoutLayer<double> first(DropoutOptions(0.4).seed(42));
  DropoutLayer<double> second(DropoutOptions(0.4).seed(42));
  DropoutLayer<double> other(DropoutOptions(0.4).seed(43));
  for (DropoutLayer<double>* layer : {&first, &second, &other}) layer->build_for({10});
  auto cache = first.make_cache();
  const Matrix<double> x = nonzero_matrix<double>(20, 10, 79);

  const Matrix<double> y_first = run_forward(first, x, cache.get(), true);
  const Matrix<double> y_second = run_forward(second, x, cache.get(), true);
  const Matrix<double> y_other = run_forward(other, x, cache.get(), true);
  CHECK(y_first == y_second);
  CHECK(y_first != y_other);

  // As Keras's SeedGenerator, the layer's generator advances, so the next call draws a
  // new mask, and the twin layer repeats it.
  const Matrix<double> y_next = run_forward(first, x, cache.get(), true);
  CHECK(y_next != y_first);
  CHECK(run_forward(second, x, cache.get(), true) == y_next);
}

TEST_CASE("Dropout mask follows model generator", "[layers][dropout][model]") {
  // Without its own seed the layer draws from the generator that the model passes in.
  DropoutLayer<double> layer(DropoutOptions(0.5));
  layer.build_for({10});
  auto cache = layer.make_cache();
  const Matrix<double> x = nonzero_matrix<double>(20, 10, 80);
  sinapse::Generator generator(99);

  const Matrix<double> y_first = run_forward(layer, x, cache.get(), true, &generator);
  generator.reseed(99);
  const Matrix<double> y_again = run_forward(layer, x, cache.get(), true, &generator);
  const Matrix<double> y_next = run_forward(layer, x, cache.get(), true, &generator);
  CHECK(y_first == y_again);
  CHECK(y_next != y_first);
}

TEST_CASE("Dropout gradients match finite differences", "[layers][dropout][gradient]") {
  // check_layer_gradients reseeds the generator with `seed` before each forward pass,
  // so every evaluation uses the same mask.
  const std::uint64_t seed = 7;
  DropoutLayer<double> layer(DropoutOptions(0.3));
  layer.build_for({6});
  const Matrix<double> x = nonzero_matrix<double>(5, 6, 81);

  // The check is only meaningful if the mask drops some values and keeps others.
  sinapse::Generator generator(seed);
  auto cache = layer.make_cache();
  const Matrix<double> y = run_forward(layer, x, cache.get(), true, &generator);
  const Index dropped = (y.array() == 0.0).count();
  CHECK(dropped > 0);
  CHECK(dropped < y.size());

  const test_support::GradientCheckResult result =
      test_support::check_layer_gradients(layer, {x}, seed);
  INFO(result.report());
  CHECK(result.checked == x.size());
  CHECK(result.worst_error <= 1e-6);
}

TEST_CASE("Dropout rejects rate outside 0 to 1", "[layers][dropout][validation]") {
  CHECK_THROWS_AS(DropoutLayer<double>(DropoutOptions(-0.1)), sinapse::ValueError);
  CHECK_THROWS_AS(DropoutLayer<double>(DropoutOptions(1.5)), sinapse::ValueError);
  CHECK_THROWS_AS(DropoutLayer<double>(DropoutOptions(std::nan(""))), sinapse::ValueError);
  CHECK_NOTHROW(DropoutLayer<double>(DropoutOptions(0.0)));
  CHECK_NOTHROW(DropoutLayer<double>(DropoutOptions(1.0)));
}
