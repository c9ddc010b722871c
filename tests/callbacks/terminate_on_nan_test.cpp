// Tests of TerminateOnNaN and of training on extreme but finite data: fit stops at the
// first rejected step, names where, keeps the last finite weights and the History of
// finished epochs; data with huge, zero or constant columns never yields NaN silently.
#include <cmath>
#include <limits>
#include <memory>
#include <sstream>
#include <vector>

#include <sinapse/sinapse.hpp>

#include "support/catch.hpp"
#include "support/random_data.hpp"

namespace {

using namespace sinapse;

/// Input(3) -> Dense(6, relu) [-> BatchNormalization] -> Dense(1, sigmoid), seeded. With
/// `ones_kernel` the first kernel is all ones, so rows of huge features overflow it.
template <typename Scalar>
Model<Scalar> make_model(bool batch_normalization = false, bool ones_kernel = false) {
  Tensor<Scalar> x = Input<Scalar>(3);
  Tensor<Scalar> hidden = Dense<Scalar>(DenseOptions(6).activation("relu").seed(21))(x);
  if (batch_normalization) hidden = BatchNormalization<Scalar>()(hidden);
  Tensor<Scalar> output = Dense<Scalar>(DenseOptions(1).activation("sigmoid").seed(22))(hidden);
  Model<Scalar> model(x, output);
  model.compile("adam", "binary_crossentropy", {"accuracy"});
  if (ones_kernel) {
    std::vector<Matrix<Scalar>> weights = model.get_weights();
    weights[0].setOnes();
    model.set_weights(weights);
  }
  return model;
}

template <typename Scalar>
Matrix<Scalar> labels_of(const Matrix<Scalar>& x) {
  Matrix<Scalar> y(x.rows(), 1);
  for (Index i = 0; i < x.rows(); ++i) y(i, 0) = i % 2 == 0 ? Scalar(1) : Scalar(0);
  return y;
}

template <typename Scalar>
bool all_finite(const Model<Scalar>& model, const History& history) {
  for (const Matrix<Scalar>& weight : model.get_weights()) {
    if (!weight.allFinite()) return false;
  }
  for (const auto& entry : history.history) {
    for (double value : entry.second) {
      if (!std::isfinite(value)) return false;
    }
  }
  return true;
}

/// 16 ordinary rows followed by 4 rows of max / 2 in every feature, which overflow a
/// first layer of ones (3 * max / 2 = inf): with batches of 4 and no shuffling, the
/// fifth batch of the first epoch is the first bad one.
template <typename Scalar>
Matrix<Scalar> data_with_overflowing_tail() {
  Matrix<Scalar> x(20, 3);
  x.topRows(16) = test_support::random_matrix<Scalar>(16, 3, 8);
  x.bottomRows(4).setConstant(std::numeric_limits<Scalar>::max() / 2);
  return x;
}

}  // namespace

TEMPLATE_TEST_CASE("TerminateOnNaN stops at the first rejected step and keeps the last "
                   "finite weights",
                   "[callbacks]", float, double) {
  using Scalar = TestType;
  const Matrix<Scalar> x = data_with_overflowing_tail<Scalar>();
  const Matrix<Scalar> y = labels_of(x);
  std::ostringstream printed;
  auto terminate = std::make_shared<TerminateOnNaN<Scalar>>(&printed);

  Model<Scalar> model = make_model<Scalar>(false, true);
  const History history = model.fit(
      x, y,
      FitOptions<Scalar>().epochs(3).batch_size(4).shuffle(false).verbose(0).callbacks(
          {terminate}));

  // The bad batch is the fifth of the first epoch, so no epoch finished.
  CHECK(terminate->stopped());
  CHECK(terminate->stopped_epoch() == 0);
  CHECK(terminate->stopped_batch() == 4);
  CHECK(history.epoch.empty());
  CHECK(model.completed_epochs() == 0);
  CHECK_THAT(printed.str(), Catch::Matchers::ContainsSubstring(
                                "Epoch 1, batch 5: invalid loss, terminating training"));
  CHECK_THAT(terminate->reason(),
             Catch::Matchers::ContainsSubstring("fit: epoch 1, batch 5 of 5"));

  // The weights are those after the four good batches: the same as a twin trained on
  // the 16 good rows only.
  Model<Scalar> twin = make_model<Scalar>(false, true);
  twin.fit(x.topRows(16), y.topRows(16),
           FitOptions<Scalar>().epochs(1).batch_size(4).shuffle(false).verbose(0));
  const std::vector<Matrix<Scalar>> got = model.get_weights();
  const std::vector<Matrix<Scalar>> expected = twin.get_weights();
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == expected[i]);
  CHECK(model.optimizer()->iterations() == 4);
}

TEMPLATE_TEST_CASE("TerminateOnNaN keeps the History of the epochs that finished",
                   "[callbacks]", float, double) {
  using Scalar = TestType;
  // Two good epochs; then a callback sets the first kernel to the largest finite value,
  // so the first step of the third epoch overflows.
  class RaiseLearningRate : public Callback<Scalar> {
   public:
    void on_epoch_begin(int epoch, const Logs&) override {
      if (epoch == 2) {
        std::vector<Matrix<Scalar>> weights = this->model().get_weights();
        weights[0].setConstant(std::numeric_limits<Scalar>::max());
        this->model().set_weights(weights);
      }
    }
  };
  const Matrix<Scalar> x = test_support::random_matrix<Scalar>(16, 3, 9, 0.5, 1.0);
  const Matrix<Scalar> y = labels_of(x);
  auto terminate = std::make_shared<TerminateOnNaN<Scalar>>(nullptr);
  Model<Scalar> model = make_model<Scalar>();
  const History history =
      model.fit(x, y,
                FitOptions<Scalar>().epochs(5).batch_size(8).verbose(0).seed(1).callbacks(
                    {std::make_shared<RaiseLearningRate>(), terminate}));

  CHECK(terminate->stopped());
  CHECK(terminate->stopped_epoch() == 2);
  CHECK(terminate->stopped_batch() == 0);
  CHECK(history.epoch == std::vector<int>{0, 1});
  CHECK(history.history.at("loss").size() == 2);
  CHECK(model.completed_epochs() == 2);
  CHECK(all_finite(model, history));
}

TEMPLATE_TEST_CASE("without TerminateOnNaN an overflowing step throws", "[callbacks]", float,
                   double) {
  using Scalar = TestType;
  const Matrix<Scalar> x = data_with_overflowing_tail<Scalar>();
  Model<Scalar> model = make_model<Scalar>(false, true);
  CHECK_THROWS_AS(model.fit(x, labels_of(x),
                            FitOptions<Scalar>().batch_size(4).shuffle(false).verbose(0)),
                  FloatingPointError);
  CHECK(model.optimizer()->iterations() == 4);
}

TEMPLATE_TEST_CASE("extreme but finite data never yields NaN silently", "[callbacks]", float,
                   double) {
  using Scalar = TestType;
  Matrix<Scalar> x = test_support::random_matrix<Scalar>(40, 3, 10);
  const int kind = GENERATE(0, 1, 2, 3);
  const bool batch_normalization = GENERATE(false, true);
  CAPTURE(kind, batch_normalization);
  if (kind == 0) x.col(0) *= Scalar(1e30);  // features of 1e30
  if (kind == 1) x.col(1).setZero();        // an all-zero column
  if (kind == 2) x.col(2).setConstant(Scalar(3));  // a constant column
  if (kind == 3) x.setConstant(Scalar(1e30));      // everything huge and constant
  const Matrix<Scalar> y = labels_of(x);

  auto terminate = std::make_shared<TerminateOnNaN<Scalar>>(nullptr);
  Model<Scalar> model = make_model<Scalar>(batch_normalization);
  const History history = model.fit(
      x, y, FitOptions<Scalar>().epochs(3).batch_size(8).verbose(0).seed(2).callbacks({terminate}));
  // Either training finished or it stopped at a named step; in both cases every value
  // kept is finite.
  CHECK(all_finite(model, history));
  if (terminate->stopped()) {
    CHECK(terminate->stopped_epoch() >= 0);
    CHECK_FALSE(terminate->reason().empty());
  } else {
    CHECK(history.epoch.size() == 3);
  }
  if (kind == 1 || kind == 2) CHECK_FALSE(terminate->stopped());
}
