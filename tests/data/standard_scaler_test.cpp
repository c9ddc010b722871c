// Tests of StandardScaler.
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>

#include <sinapse/core/errors.hpp>
#include <sinapse/data/standard_scaler.hpp>

#include "support/catch.hpp"
#include "support/matrix_compare.hpp"

namespace {

/// Runs `function` and returns the message of the Exception it throws, or a marker text
/// when it throws nothing. Other exception types propagate, so Catch reports them.
template <typename Exception, typename Function>
std::string message_of(Function&& function) {
  try {
    function();
  } catch (const Exception& error) {
    return error.what();
  }
  return "(no exception thrown)";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

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
