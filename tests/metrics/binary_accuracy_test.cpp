// Tests of BinaryAccuracy against Keras: the strict 0.5 threshold, labels that are not
// thresholded, the exact mean over batches of different sizes, and per-sample means over
// several columns.
#include <cmath>
#include <initializer_list>
#include <memory>
#include <string>

#include <sinapse/metrics/binary_accuracy.hpp>

#include "support/catch.hpp"

using sinapse::BinaryAccuracy;
using sinapse::Matrix;

namespace {

/// Builds a column from a list of values.
template <typename Scalar>
Matrix<Scalar> column(std::initializer_list<double> values) {
  Matrix<Scalar> result(static_cast<Eigen::Index>(values.size()), 1);
  Eigen::Index i = 0;
  for (double value : values) result(i++, 0) = static_cast<Scalar>(value);
  return result;
}

}  // namespace

TEMPLATE_TEST_CASE("BinaryAccuracy threshold is strict", "[metrics][binary_accuracy]", float,
                   double) {
  BinaryAccuracy<TestType> metric;

  SECTION("0.5 predicts 0") {
    metric.update(column<TestType>({1}), column<TestType>({0.5}));
    CHECK(metric.result() == 0.0);
    metric.reset();
    metric.update(column<TestType>({0}), column<TestType>({0.5}));
    CHECK(metric.result() == 1.0);
  }

  SECTION("just above 0.5 predicts 1") {
    const TestType above = std::nextafter(TestType(0.5), TestType(1));
    Matrix<TestType> prediction(1, 1);
    prediction(0, 0) = above;
    metric.update(column<TestType>({1}), prediction);
    CHECK(metric.result() == 1.0);
  }
}

TEMPLATE_TEST_CASE("BinaryAccuracy soft labels never match", "[metrics][binary_accuracy]", float,
                   double) {
  BinaryAccuracy<TestType> metric;

  metric.update(column<TestType>({0.9, 0.1, 0.5, 1.0, 0.0}),
                column<TestType>({0.95, 0.05, 0.5, 0.99, 0.01}));

  // Only the two hard labels can match.
  CHECK(metric.result() == 2.0 / 5.0);
}

TEMPLATE_TEST_CASE("BinaryAccuracy mean over batches", "[metrics][binary_accuracy]", float,
                   double) {
  BinaryAccuracy<TestType> metric;

  // 3 of 4 correct, then 0 of 1: the result is 3/5, not the mean of 0.75 and 0.
  metric.update(column<TestType>({1, 0, 1, 0}), column<TestType>({0.9, 0.2, 0.7, 0.6}));
  CHECK(metric.result() == 0.75);
  metric.update(column<TestType>({1}), column<TestType>({0.1}));

  CHECK(metric.result() == 3.0 / 5.0);
}

TEMPLATE_TEST_CASE("BinaryAccuracy multi-column mean", "[metrics][binary_accuracy]", float,
                   double) {
  BinaryAccuracy<TestType> metric;
  Matrix<TestType> y_true(3, 2);
  y_true << 1, 0,  //
      1, 1,        //
      0, 0;
  Matrix<TestType> y_pred(3, 2);
  y_pred << TestType(0.8), TestType(0.7),  // 1 of 2
      TestType(0.6), TestType(0.9),        // 2 of 2
      TestType(0.4), TestType(0.3);        // 2 of 2

  metric.update(y_true, y_pred);

  // Each sample contributes the mean over its columns: (0.5 + 1 + 1) / 3.
  CHECK(metric.result() == (0.5 + 1.0 + 1.0) / 3.0);
}

TEST_CASE("BinaryAccuracy reset", "[metrics][binary_accuracy]") {
  BinaryAccuracy<float> metric;
  metric.update(column<float>({1, 1}), column<float>({0.9, 0.9}));
  REQUIRE(metric.result() == 1.0);

  metric.reset();
  CHECK(metric.result() == 0.0);
  metric.update(column<float>({1, 0}), column<float>({0.1, 0.1}));
  CHECK(metric.result() == 0.5);
}

TEST_CASE("BinaryAccuracy threshold and name", "[metrics][binary_accuracy]") {
  BinaryAccuracy<float> metric("acc", 0.7);

  metric.update(column<float>({1, 1, 0}), column<float>({0.7, 0.71, 0.6}));

  CHECK(metric.name() == "acc");
  CHECK(metric.threshold() == 0.7);
  CHECK(metric.result() == 2.0 / 3.0);
  CHECK(BinaryAccuracy<float>().name() == "binary_accuracy");
}

TEST_CASE("BinaryAccuracy clone is independent", "[metrics][binary_accuracy]") {
  BinaryAccuracy<float> metric;
  metric.update(column<float>({1}), column<float>({0.9}));
  std::unique_ptr<sinapse::Metric<float>> copy = metric.clone();

  copy->update(column<float>({1}), column<float>({0.1}));

  CHECK(metric.result() == 1.0);
  CHECK(copy->result() == 0.5);
}
