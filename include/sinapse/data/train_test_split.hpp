#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "sinapse/core/errors.hpp"
#include "sinapse/core/random.hpp"
#include "sinapse/core/types.hpp"

namespace sinapse {

/// Row indices of a hold-out split, each list in random order.
struct TrainTestRows {
  std::vector<Index> train;
  std::vector<Index> test;
};

/// The four parts of a hold-out split, with the rows of the original data each came from.
///
/// Shapes: x_train (train samples, features), y_train (train samples, 1), and likewise for
/// the test part.
template <typename Scalar>
struct TrainTestSplit {
  Matrix<Scalar> x_train;
  Matrix<Scalar> y_train;
  Matrix<Scalar> x_test;
  Matrix<Scalar> y_test;
  TrainTestRows rows;
};

namespace detail {

/// Fisher-Yates shuffle with a sinapse Generator, so a seed gives the same order with
/// every standard library.
inline void shuffle_rows(std::vector<Index>& rows, Generator& generator) {
  for (std::size_t i = rows.size(); i > 1; --i) {
    const std::size_t j = static_cast<std::size_t>(generator.below(i));
    std::swap(rows[i - 1], rows[j]);
  }
}

/// Returns how many test rows each class gets: floor or ceil of its size times the
/// fraction, adding up to `test_total`. The classes with the largest fractional parts get
/// the extra rows (largest remainder method), ties going to the smaller label value.
inline std::vector<std::size_t> test_counts_per_class(const std::vector<std::size_t>& class_sizes,
                                                      double test_fraction,
                                                      std::size_t test_total) {
  std::vector<std::size_t> counts(class_sizes.size());
  std::vector<double> remainders(class_sizes.size());
  std::size_t assigned = 0;
  for (std::size_t c = 0; c < class_sizes.size(); ++c) {
    const double exact = static_cast<double>(class_sizes[c]) * test_fraction;
    counts[c] = std::min(class_sizes[c], static_cast<std::size_t>(std::floor(exact)));
    remainders[c] = exact - std::floor(exact);
    assigned += counts[c];
  }
  std::vector<std::size_t> order(class_sizes.size());
  for (std::size_t c = 0; c < order.size(); ++c) order[c] = c;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return remainders[a] > remainders[b]; });
  // The sum of the floors is at most test_total and the sum of the ceilings at least
  // test_total, so each class gains at most one row here.
  for (std::size_t c : order) {
    if (assigned >= test_total) break;
    if (counts[c] < class_sizes[c]) {
      ++counts[c];
      ++assigned;
    }
  }
  return counts;
}

}  // namespace detail

/// Draws a seeded stratified hold-out split of the rows of `labels`, as scikit-learn's
/// `train_test_split(..., test_size=test_fraction, stratify=labels)`.
///
/// The test part has round(test_fraction * samples) rows. Each class (each distinct label
/// value) contributes floor or ceil of test_fraction times its size, so the test part
/// keeps the class ratio within one sample per class. Within each class the rows are
/// shuffled with a Generator seeded with `seed`, and the train and test lists are then
/// shuffled too, so neither is sorted by class. The same labels, fraction and seed give
/// the same split with every compiler.
///
/// Shapes: labels (samples, 1).
/// @throws ShapeError if labels has other than one column.
/// @throws ValueError for a fraction outside (0, 1), NaN or inf labels, or a split that
/// leaves the train or the test part empty.
template <typename Scalar>
TrainTestRows stratified_split_rows(const Matrix<Scalar>& labels, double test_fraction,
                                    std::uint64_t seed) {
  if (labels.cols() != 1) {
    throw ShapeError(detail::concat("stratified_split_rows: labels has shape ",
                                    detail::shape_string(labels.rows(), labels.cols()),
                                    ", expected (samples, 1)"));
  }
  if (!(test_fraction > 0.0 && test_fraction < 1.0)) {
    throw ValueError(detail::concat("stratified_split_rows: test_fraction must be in (0, 1), got ",
                                    test_fraction));
  }
  const std::size_t samples = static_cast<std::size_t>(labels.rows());
  const std::size_t test_total =
      static_cast<std::size_t>(std::llround(static_cast<double>(samples) * test_fraction));
  if (test_total == 0 || test_total == samples) {
    throw ValueError(detail::concat("stratified_split_rows: test_fraction ", test_fraction, " of ",
                                    samples, " samples leaves ",
                                    test_total == 0 ? "no test" : "no training",
                                    " samples; use more samples or another test_fraction"));
  }

  std::map<Scalar, std::vector<Index>> rows_by_class;
  for (Index row = 0; row < labels.rows(); ++row) {
    const Scalar label = labels(row, 0);
    if (!std::isfinite(label)) {
      throw ValueError(detail::concat("stratified_split_rows: labels contains ", label, " at row ",
                                      row, "; every label must be finite"));
    }
    rows_by_class[label].push_back(row);
  }
  std::vector<std::size_t> class_sizes;
  for (const auto& entry : rows_by_class) class_sizes.push_back(entry.second.size());
  const std::vector<std::size_t> test_counts =
      detail::test_counts_per_class(class_sizes, test_fraction, test_total);

  Generator generator(seed);
  TrainTestRows split;
  std::size_t c = 0;
  for (auto& entry : rows_by_class) {
    std::vector<Index>& rows = entry.second;
    detail::shuffle_rows(rows, generator);
    const auto boundary = rows.begin() + static_cast<std::ptrdiff_t>(test_counts[c]);
    split.test.insert(split.test.end(), rows.begin(), boundary);
    split.train.insert(split.train.end(), boundary, rows.end());
    ++c;
  }
  detail::shuffle_rows(split.train, generator);
  detail::shuffle_rows(split.test, generator);
  return split;
}

/// Splits features and labels into a seeded stratified train part and test part, as
/// scikit-learn's `train_test_split(x, y, test_size=test_fraction, stratify=y,
/// random_state=seed)`; see `stratified_split_rows` for how rows are chosen.
///
/// Shapes: x (samples, features), y (samples, 1).
/// @throws ShapeError if x and y have different numbers of rows, or y has other than one
/// column; ValueError as `stratified_split_rows`.
template <typename Scalar>
TrainTestSplit<Scalar> stratified_train_test_split(const Matrix<Scalar>& x, const Matrix<Scalar>& y,
                                                   double test_fraction, std::uint64_t seed) {
  if (x.rows() != y.rows()) {
    throw ShapeError(detail::concat("stratified_train_test_split: x has ", x.rows(),
                                    " rows but y has ", y.rows(),
                                    "; pass one label row per sample"));
  }
  TrainTestSplit<Scalar> split;
  split.rows = stratified_split_rows(y, test_fraction, seed);
  const auto gather = [](const Matrix<Scalar>& source, const std::vector<Index>& rows) {
    Matrix<Scalar> result(static_cast<Index>(rows.size()), source.cols());
    for (std::size_t r = 0; r < rows.size(); ++r) {
      result.row(static_cast<Index>(r)) = source.row(rows[r]);
    }
    return result;
  };
  split.x_train = gather(x, split.rows.train);
  split.y_train = gather(y, split.rows.train);
  split.x_test = gather(x, split.rows.test);
  split.y_test = gather(y, split.rows.test);
  return split;
}

}  // namespace sinapse
