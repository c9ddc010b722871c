// Tests of stratified_split_rows and stratified_train_test_split.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <sinapse/core/errors.hpp>
#include <sinapse/data/train_test_split.hpp>

#include "support/catch.hpp"
#include "support/exception_message.hpp"

namespace {

using test_support::contains;
using test_support::message_of;

/// Labels of the breast cancer data's size: 357 ones and 212 zeros, interleaved.
sinapse::Matrix<float> breast_cancer_like_labels() {
  sinapse::Matrix<float> labels(569, 1);
  for (sinapse::Index row = 0; row < 569; ++row)
    labels(row, 0) = row < 2 * 212 && row % 2 == 0 ? 0.0f : 1.0f;
  return labels;
}

sinapse::Index count_label(const sinapse::Matrix<float>& labels,
                           const std::vector<sinapse::Index>& rows, float label) {
  return static_cast<sinapse::Index>(std::count_if(
      rows.begin(), rows.end(), [&](sinapse::Index row) { return labels(row, 0) == label; }));
}

}  // namespace

TEST_CASE("stratified split keeps the class ratio", "[data][train_test_split]") {
  const sinapse::Matrix<float> labels = breast_cancer_like_labels();
  REQUIRE((labels.array() == 1.0f).count() == 357);
  REQUIRE((labels.array() == 0.0f).count() == 212);

  for (const double fraction : {0.2, 0.25, 0.1, 0.5, 0.9}) {
    INFO("test_fraction " << fraction);
    const sinapse::TrainTestRows split = sinapse::stratified_split_rows(labels, fraction, 7);

    const auto expected_test = static_cast<sinapse::Index>(std::llround(569 * fraction));
    CHECK(static_cast<sinapse::Index>(split.test.size()) == expected_test);
    CHECK(static_cast<sinapse::Index>(split.train.size()) == 569 - expected_test);
    // Each class contributes floor or ceil of its share.
    const sinapse::Index test_ones = count_label(labels, split.test, 1.0f);
    const sinapse::Index test_zeros = count_label(labels, split.test, 0.0f);
    CHECK(test_ones >= static_cast<sinapse::Index>(std::floor(357 * fraction)));
    CHECK(test_ones <= static_cast<sinapse::Index>(std::ceil(357 * fraction)));
    CHECK(test_zeros >= static_cast<sinapse::Index>(std::floor(212 * fraction)));
    CHECK(test_zeros <= static_cast<sinapse::Index>(std::ceil(212 * fraction)));
  }
}

TEST_CASE("stratified split of 569 rows at 20 percent", "[data][train_test_split]") {
  const sinapse::Matrix<float> labels = breast_cancer_like_labels();

  const sinapse::TrainTestRows split = sinapse::stratified_split_rows(labels, 0.2, 42);

  // 569 * 0.2 = 113.8 rounds to 114 test rows. The exact shares are 71.4 ones and 42.4
  // zeros, whose floors add up to 113. Both remainders are 0.4, and the tie gives the
  // extra row to the smaller label value, 0.
  REQUIRE(split.test.size() == 114);
  REQUIRE(split.train.size() == 455);
  CHECK(count_label(labels, split.test, 1.0f) == 71);
  CHECK(count_label(labels, split.test, 0.0f) == 43);
  CHECK(count_label(labels, split.train, 1.0f) == 286);
  CHECK(count_label(labels, split.train, 0.0f) == 169);
}

TEST_CASE("stratified split uses every row once", "[data][train_test_split]") {
  const sinapse::Matrix<float> labels = breast_cancer_like_labels();

  const sinapse::TrainTestRows split = sinapse::stratified_split_rows(labels, 0.3, 3);

  std::vector<sinapse::Index> all = split.train;
  all.insert(all.end(), split.test.begin(), split.test.end());
  std::sort(all.begin(), all.end());
  std::vector<sinapse::Index> expected(569);
  for (sinapse::Index row = 0; row < 569; ++row) expected[static_cast<std::size_t>(row)] = row;
  CHECK(all == expected);
  // Both parts are shuffled, not sorted by row or by class.
  CHECK_FALSE(std::is_sorted(split.train.begin(), split.train.end()));
  CHECK_FALSE(std::is_sorted(split.test.begin(), split.test.end()));
}

TEST_CASE("stratified split depends only on the seed", "[data][train_test_split]") {
  const sinapse::Matrix<float> labels = breast_cancer_like_labels();

  const sinapse::TrainTestRows first = sinapse::stratified_split_rows(labels, 0.2, 11);
  const sinapse::TrainTestRows again = sinapse::stratified_split_rows(labels, 0.2, 11);
  const sinapse::TrainTestRows other = sinapse::stratified_split_rows(labels, 0.2, 12);

  CHECK(first.train == again.train);
  CHECK(first.test == again.test);
  CHECK(first.test != other.test);
}

TEST_CASE("stratified split handles more classes", "[data][train_test_split]") {
  // Classes of sizes 5, 3 and 2 (labels 2, -1 and 7), test fraction 0.5: shares 2.5, 1.5
  // and 1, so 5 test rows are 2 or 3, 1 or 2, and exactly 1.
  sinapse::Matrix<double> labels(10, 1);
  labels << 2, 2, -1, 7, 2, -1, 2, 7, -1, 2;

  const sinapse::TrainTestRows split = sinapse::stratified_split_rows(labels, 0.5, 5);

  REQUIRE(split.test.size() == 5);
  std::vector<double> test_labels;
  for (sinapse::Index row : split.test) test_labels.push_back(labels(row, 0));
  const auto count = [&](double label) {
    return std::count(test_labels.begin(), test_labels.end(), label);
  };
  CHECK(count(7.0) == 1);
  CHECK(count(2.0) + count(-1.0) == 4);
  CHECK(count(2.0) >= 2);
  CHECK(count(2.0) <= 3);
}

TEST_CASE("stratified split rejects bad fractions", "[data][train_test_split]") {
  const sinapse::Matrix<float> labels = breast_cancer_like_labels();
  for (const double fraction : {0.0, 1.0, -0.2, 1.5, std::numeric_limits<double>::quiet_NaN()}) {
    const std::string message = message_of<sinapse::ValueError>(
        [&] { sinapse::stratified_split_rows(labels, fraction, 1); });
    INFO(message);
    CHECK(contains(message, "test_fraction must be in (0, 1)"));
  }
}

TEST_CASE("stratified split rejects an empty part", "[data][train_test_split]") {
  sinapse::Matrix<float> labels(10, 1);
  labels << 0, 1, 0, 1, 0, 1, 0, 1, 0, 1;

  const std::string no_test =
      message_of<sinapse::ValueError>([&] { sinapse::stratified_split_rows(labels, 0.04, 1); });
  INFO(no_test);
  CHECK(contains(no_test, "test_fraction 0.04 of 10 samples leaves no test samples"));

  const std::string no_train =
      message_of<sinapse::ValueError>([&] { sinapse::stratified_split_rows(labels, 0.96, 1); });
  INFO(no_train);
  CHECK(contains(no_train, "test_fraction 0.96 of 10 samples leaves no training samples"));

  const std::string one_row = message_of<sinapse::ValueError>(
      [&] { sinapse::stratified_split_rows<float>(sinapse::Matrix<float>::Ones(1, 1), 0.5, 1); });
  INFO(one_row);
  CHECK(contains(one_row, "of 1 samples leaves no"));

  const std::string no_rows = message_of<sinapse::ValueError>(
      [&] { sinapse::stratified_split_rows(sinapse::Matrix<float>(0, 1), 0.5, 1); });
  INFO(no_rows);
  CHECK(contains(no_rows, "of 0 samples leaves no test samples"));
}

TEST_CASE("stratified split rejects bad labels", "[data][train_test_split]") {
  const std::string wide = message_of<sinapse::ShapeError>(
      [] { sinapse::stratified_split_rows<float>(sinapse::Matrix<float>::Ones(4, 2), 0.5, 1); });
  INFO(wide);
  CHECK(contains(wide, "labels has shape (4, 2), expected (samples, 1)"));

  sinapse::Matrix<float> labels = sinapse::Matrix<float>::Zero(4, 1);
  labels(3, 0) = std::numeric_limits<float>::quiet_NaN();
  const std::string nan =
      message_of<sinapse::ValueError>([&] { sinapse::stratified_split_rows(labels, 0.5, 1); });
  INFO(nan);
  CHECK(contains(nan, "labels contains nan at row 3"));
}

TEST_CASE("stratified_train_test_split keeps rows together", "[data][train_test_split]") {
  // Column 0 of x contains the row number, so each part can be traced to its source rows.
  const sinapse::Matrix<float> y = breast_cancer_like_labels();
  sinapse::Matrix<float> x(569, 2);
  for (sinapse::Index row = 0; row < 569; ++row) {
    x(row, 0) = static_cast<float>(row);
    x(row, 1) = y(row, 0) * 10.0f;
  }

  const sinapse::TrainTestSplit<float> split = sinapse::stratified_train_test_split(x, y, 0.2, 42);

  REQUIRE(split.x_train.rows() == 455);
  REQUIRE(split.x_train.cols() == 2);
  REQUIRE(split.y_train.rows() == 455);
  REQUIRE(split.y_train.cols() == 1);
  REQUIRE(split.x_test.rows() == 114);
  REQUIRE(split.y_test.rows() == 114);
  CHECK(split.rows.test == sinapse::stratified_split_rows(y, 0.2, 42).test);
  for (sinapse::Index i = 0; i < split.x_test.rows(); ++i) {
    const sinapse::Index source = split.rows.test[static_cast<std::size_t>(i)];
    CHECK(split.x_test(i, 0) == static_cast<float>(source));
    CHECK(split.y_test(i, 0) == y(source, 0));
    CHECK(split.x_test(i, 1) == split.y_test(i, 0) * 10.0f);
  }
  for (sinapse::Index i = 0; i < split.x_train.rows(); ++i) {
    const sinapse::Index source = split.rows.train[static_cast<std::size_t>(i)];
    CHECK(split.x_train(i, 0) == static_cast<float>(source));
    CHECK(split.y_train(i, 0) == y(source, 0));
  }
}

TEST_CASE("stratified_train_test_split rejects row mismatch", "[data][train_test_split]") {
  const std::string message = message_of<sinapse::ShapeError>([] {
    sinapse::stratified_train_test_split<float>(sinapse::Matrix<float>::Ones(5, 2),
                                                sinapse::Matrix<float>::Ones(4, 1), 0.5, 1);
  });
  INFO(message);
  CHECK(contains(message, "x has 5 rows but y has 4"));
}
