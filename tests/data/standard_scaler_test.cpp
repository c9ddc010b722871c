// Tests of StandardScaler.
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>

#include <sinapse/core/errors.hpp>
#include <sinapse/data/standard_scaler.hpp>

#include "support/catch.hpp"
#include "support/exception_message.hpp"
#include "support/matrix_compare.hpp"

namespace {

using test_support::contains;
using test_support::message_of;

template <typename Scalar>
double tolerance() {
  return std::is_same<Scalar, float>::value ? 1e-6 : 1e-12;
}

}  // namespace

TEMPLATE_TEST_CASE("StandardScaler uses population statistics", "[data][standard_scaler]", float,
                   double) {
  sinapse::Matrix<TestType> x(4, 2);
  x << 1, 10, 2, 20, 3, 30, 4, 40;
  sinapse::StandardScaler<TestType> scaler;

  const sinapse::Matrix<TestType> z = scaler.fit_transform(x);

  // Population variance of 1, 2, 3, 4 is 1.25; of 10, 20, 30, 40 it is 125.
  const double std0 = std::sqrt(1.25);
  const double std1 = std::sqrt(125.0);
  REQUIRE(scaler.fitted());
  REQUIRE(scaler.mean().size() == 2);
  REQUIRE(scaler.scale().size() == 2);
  const double rtol = tolerance<TestType>();
  CHECK_THAT(double(scaler.mean()(0)), Catch::Matchers::WithinRel(2.5, rtol));
  CHECK_THAT(double(scaler.mean()(1)), Catch::Matchers::WithinRel(25.0, rtol));
  CHECK_THAT(double(scaler.scale()(0)), Catch::Matchers::WithinRel(std0, rtol));
  CHECK_THAT(double(scaler.scale()(1)), Catch::Matchers::WithinRel(std1, rtol));

  sinapse::Matrix<TestType> expected(4, 2);
  for (int i = 0; i < 4; ++i) {
    expected(i, 0) = static_cast<TestType>((i + 1 - 2.5) / std0);
    expected(i, 1) = static_cast<TestType>((10.0 * (i + 1) - 25.0) / std1);
  }
  const test_support::MatrixComparison comparison =
      test_support::compare_matrices(z, expected, 10 * rtol, 10 * rtol);
  INFO(comparison.report);
  CHECK(comparison.close);
}

TEST_CASE("StandardScaler transforms new rows with fitted statistics", "[data][standard_scaler]") {
  sinapse::Matrix<double> train(3, 1);
  train << 0, 2, 4;
  sinapse::Matrix<double> test(2, 1);
  test << 100, -2;
  sinapse::StandardScaler<double> scaler;
  scaler.fit(train);

  const sinapse::Matrix<double> z = scaler.transform(test);

  const double scale = std::sqrt(8.0 / 3.0);
  CHECK_THAT(z(0, 0), Catch::Matchers::WithinRel((100.0 - 2.0) / scale, 1e-12));
  CHECK_THAT(z(1, 0), Catch::Matchers::WithinRel((-2.0 - 2.0) / scale, 1e-12));
}

TEMPLATE_TEST_CASE("StandardScaler maps constant columns to zero", "[data][standard_scaler]", float,
                   double) {
  // The mean of three copies of 0.1 rounds to a value just above 0.1 in double, so a
  // computed standard deviation would be a tiny non-zero number.
  sinapse::Matrix<TestType> x(3, 3);
  x << TestType(0.1), TestType(1e6), TestType(-1),  //
      TestType(0.1), TestType(1e6), TestType(0),    //
      TestType(0.1), TestType(1e6), TestType(1);
  sinapse::StandardScaler<TestType> scaler;

  const sinapse::Matrix<TestType> z = scaler.fit_transform(x);

  CHECK(scaler.mean()(0) == TestType(0.1));
  CHECK(scaler.scale()(0) == TestType(1));
  CHECK(scaler.mean()(1) == TestType(1e6));
  CHECK(scaler.scale()(1) == TestType(1));
  CHECK((z.col(0).array() == TestType(0)).all());
  CHECK((z.col(1).array() == TestType(0)).all());
  CHECK(scaler.scale()(2) != TestType(1));
}

TEST_CASE("StandardScaler handles a single row", "[data][standard_scaler]") {
  sinapse::Matrix<double> x(1, 2);
  x << 3, -7;
  sinapse::StandardScaler<double> scaler;

  const sinapse::Matrix<double> z = scaler.fit_transform(x);

  CHECK(scaler.scale()(0) == 1.0);
  CHECK(scaler.scale()(1) == 1.0);
  CHECK(z(0, 0) == 0.0);
  CHECK(z(0, 1) == 0.0);
}

TEST_CASE("StandardScaler fit rejects empty data", "[data][standard_scaler]") {
  sinapse::StandardScaler<double> scaler;

  const std::string no_rows =
      message_of<sinapse::ValueError>([&] { scaler.fit(sinapse::Matrix<double>(0, 3)); });
  INFO(no_rows);
  CHECK(contains(no_rows, "x has shape (0, 3)"));

  const std::string no_columns =
      message_of<sinapse::ValueError>([&] { scaler.fit(sinapse::Matrix<double>(4, 0)); });
  INFO(no_columns);
  CHECK(contains(no_columns, "x has shape (4, 0)"));
  CHECK_FALSE(scaler.fitted());
}

TEST_CASE("StandardScaler rejects NaN and inf", "[data][standard_scaler]") {
  sinapse::Matrix<double> x = sinapse::Matrix<double>::Ones(3, 2);
  x(2, 1) = std::numeric_limits<double>::quiet_NaN();
  sinapse::StandardScaler<double> scaler;

  const std::string fit_message = message_of<sinapse::ValueError>([&] { scaler.fit(x); });
  INFO(fit_message);
  CHECK(contains(fit_message, "StandardScaler::fit: x contains nan at row 2, column 1"));
  CHECK_FALSE(scaler.fitted());

  scaler.fit(sinapse::Matrix<double>::Ones(3, 2));
  x(2, 1) = std::numeric_limits<double>::infinity();
  const std::string transform_message =
      message_of<sinapse::ValueError>([&] { scaler.transform(x); });
  INFO(transform_message);
  CHECK(
      contains(transform_message, "StandardScaler::transform: x contains inf at row 2, column 1"));
}

TEST_CASE("StandardScaler transform needs a fit", "[data][standard_scaler]") {
  const sinapse::StandardScaler<float> scaler;
  const std::string message = message_of<sinapse::StateError>(
      [&] { scaler.transform(sinapse::Matrix<float>::Ones(2, 2)); });
  INFO(message);
  CHECK(contains(message, "call fit(x_train) first"));
}

TEST_CASE("StandardScaler transform checks the width", "[data][standard_scaler]") {
  sinapse::StandardScaler<float> scaler;
  scaler.fit(sinapse::Matrix<float>::Random(5, 3));
  const std::string message = message_of<sinapse::ShapeError>(
      [&] { scaler.transform(sinapse::Matrix<float>::Ones(2, 4)); });
  INFO(message);
  CHECK(contains(message, "x has shape (2, 4), expected (samples, 3)"));
}

TEST_CASE("StandardScaler keeps its fit when a refit fails", "[data][standard_scaler]") {
  sinapse::Matrix<double> x(2, 1);
  x << 1, 3;
  sinapse::StandardScaler<double> scaler;
  scaler.fit(x);
  sinapse::Matrix<double> bad = x;
  bad(0, 0) = std::numeric_limits<double>::infinity();

  CHECK_THROWS_AS(scaler.fit(bad), sinapse::ValueError);

  CHECK(scaler.mean()(0) == 2.0);
  CHECK(scaler.scale()(0) == 1.0);
}

TEST_CASE("StandardScaler scales deviations below float's range", "[data][standard_scaler]") {
  // The smallest float, 2^-149, and 0 have mean and deviation 2^-150, which is 0 in float.
  sinapse::Matrix<float> x(2, 1);
  x << std::numeric_limits<float>::denorm_min(), 0.0f;
  sinapse::StandardScaler<float> scaler;

  const sinapse::Matrix<float> z = scaler.fit_transform(x);

  REQUIRE(z.allFinite());
  CHECK(z(0, 0) == 1.0f);
  CHECK(z(1, 0) == -1.0f);
}

TEST_CASE("StandardScaler handles values near the largest float", "[data][standard_scaler]") {
  // In float, x - mean would overflow for these columns.
  sinapse::Matrix<float> three(3, 1);
  three << 3.4e38f, -3.4e38f, -3.4e38f;
  sinapse::StandardScaler<float> scaler;
  const sinapse::Matrix<float> z = scaler.fit_transform(three);
  REQUIRE(z.allFinite());
  // Deviations from the mean -1/3 in units of 3.4e38, over the deviation sqrt(8/9).
  const double rtol = 1e-6;
  CHECK_THAT(double(z(0, 0)), Catch::Matchers::WithinRel(std::sqrt(2.0), rtol));
  CHECK_THAT(double(z(1, 0)), Catch::Matchers::WithinRel(-std::sqrt(0.5), rtol));
  CHECK_THAT(double(z(2, 0)), Catch::Matchers::WithinRel(-std::sqrt(0.5), rtol));

  const float largest = std::numeric_limits<float>::max();
  sinapse::Matrix<float> extremes(2, 1);
  extremes << largest, -largest;
  const sinapse::Matrix<float> unit = scaler.fit_transform(extremes);
  CHECK(unit(0, 0) == 1.0f);
  CHECK(unit(1, 0) == -1.0f);
}

TEST_CASE("StandardScaler handles values near the largest double", "[data][standard_scaler]") {
  // In double, the sum of the column and the squared deviations would overflow.
  sinapse::Matrix<double> x(3, 1);
  x << 1.7e308, 1.7e308, -1.7e308;
  sinapse::StandardScaler<double> scaler;

  const sinapse::Matrix<double> z = scaler.fit_transform(x);

  REQUIRE(z.allFinite());
  CHECK_THAT(z(0, 0), Catch::Matchers::WithinRel(std::sqrt(0.5), 1e-12));
  CHECK_THAT(z(1, 0), Catch::Matchers::WithinRel(std::sqrt(0.5), 1e-12));
  CHECK_THAT(z(2, 0), Catch::Matchers::WithinRel(-std::sqrt(2.0), 1e-12));
  CHECK_THAT(scaler.mean()(0), Catch::Matchers::WithinRel(1.7e308 / 3.0, 1e-12));
  CHECK_THAT(scaler.scale()(0), Catch::Matchers::WithinRel(std::sqrt(8.0 / 9.0) * 1.7e308, 1e-12));
}

TEST_CASE("StandardScaler transform rejects overflowing values", "[data][standard_scaler]") {
  SECTION("float") {
    sinapse::Matrix<float> train(2, 1);
    train << 0.0f, 1e-30f;  // mean and scale 5e-31
    sinapse::StandardScaler<float> scaler;
    scaler.fit(train);
    sinapse::Matrix<float> test(2, 1);
    test << 1e-20f, 1e10f;  // 1e10 scales to 2e40, beyond float

    const std::string message = message_of<sinapse::ValueError>([&] { scaler.transform(test); });
    INFO(message);
    CHECK(contains(message, "row 1, column 0"));
    CHECK(contains(message, "outside the range of float"));

    const sinapse::Matrix<float> in_range = scaler.transform(test.topRows(1));
    CHECK_THAT(double(in_range(0, 0)), Catch::Matchers::WithinRel(2e10 - 1.0, 1e-6));
  }
  SECTION("double") {
    sinapse::Matrix<double> train(2, 1);
    train << 0.0, 1e-300;
    sinapse::StandardScaler<double> scaler;
    scaler.fit(train);
    sinapse::Matrix<double> test(1, 1);
    test << 1e300;

    const std::string message = message_of<sinapse::ValueError>([&] { scaler.transform(test); });
    INFO(message);
    CHECK(contains(message, "row 0, column 0"));
    CHECK(contains(message, "outside the range of double"));
  }
}

namespace {

template <typename Scaler, typename = void>
struct fit_accepts_int_list : std::false_type {};
template <typename Scaler>
struct fit_accepts_int_list<Scaler, std::void_t<decltype(std::declval<Scaler&>().fit({1, 2}))>>
    : std::true_type {};

template <typename Scaler, typename = void>
struct transform_accepts_int_list : std::false_type {};
template <typename Scaler>
struct transform_accepts_int_list<
    Scaler, std::void_t<decltype(std::declval<const Scaler&>().transform({1, 2}))>>
    : std::true_type {};

template <typename Scaler, typename = void>
struct transform_accepts_matrix : std::false_type {};
template <typename Scaler>
struct transform_accepts_matrix<Scaler,
                                std::void_t<decltype(std::declval<const Scaler&>().transform(
                                    std::declval<const typename Scaler::MatrixType&>()))>>
    : std::true_type {};

}  // namespace

TEST_CASE("StandardScaler rejects integer braced lists", "[data][standard_scaler]") {
  // transform({1, 2}) reads like one sample with features 1 and 2, but it converts to
  // Eigen's uninitialised (1, 2) matrix through the Matrix(rows, cols) constructor.
  using Scaler = sinapse::StandardScaler<float>;
  CHECK_FALSE(fit_accepts_int_list<Scaler>::value);
  CHECK_FALSE(transform_accepts_int_list<Scaler>::value);
  CHECK(transform_accepts_matrix<Scaler>::value);
}
