// Tests of reproducibility: the same seeds give bit-identical weights and History for a
// model with Dropout and BatchNormalization, other seeds give other results, and the
// Eigen thread count does not change them.
#include <cstdint>
#include <optional>
#include <vector>

#include <Eigen/Core>

#include <sinapse/sinapse.hpp>

#include "support/catch.hpp"

namespace {

using namespace sinapse;

/// Weights and History of one training run.
template <typename Scalar>
struct RunResult {
  std::vector<Matrix<Scalar>> weights;
  History history;
  Matrix<Scalar> predictions;
};

/// Fills x and y with 64 samples of 4 features, labelled by the sign of their sum. The
/// data come from a generator of their own, so they do not depend on the seeds under test.
template <typename Scalar>
void make_dataset(Matrix<Scalar>& x, Matrix<Scalar>& y) {
  Generator generator(2024);
  x.resize(64, 4);
  y.resize(64, 1);
  for (Index i = 0; i < 64; ++i) {
    for (Index j = 0; j < 4; ++j) x(i, j) = static_cast<Scalar>(2.0 * generator.uniform() - 1.0);
    y(i, 0) = x.row(i).sum() > 0 ? Scalar(1) : Scalar(0);
  }
}

/// Seeds the global generator, builds Input(4) -> Dense(16, relu) -> Dropout(0.3) ->
/// BatchNormalization -> Dense(8, tanh) -> Dropout(0.2) -> Dense(1, sigmoid) with
/// automatic layer seeds, and trains it. `fit_seed` unset leaves the model's own
/// generator, which the global seed also fixes.
template <typename Scalar>
RunResult<Scalar> train(std::uint64_t global_seed, std::optional<std::uint64_t> fit_seed) {
  set_random_seed(global_seed);
  Tensor<Scalar> input = Input<Scalar>(4);
  Tensor<Scalar> x = Dense<Scalar>(16, "relu")(input);
  x = Dropout<Scalar>(0.3)(x);
  x = BatchNormalization<Scalar>()(x);
  x = Dense<Scalar>(8, "tanh")(x);
  x = Dropout<Scalar>(0.2)(x);
  Model<Scalar> model(input, Dense<Scalar>(1, "sigmoid")(x));
  model.compile("adam", "binary_crossentropy", {"accuracy"});

  Matrix<Scalar> data_x;
  Matrix<Scalar> data_y;
  make_dataset(data_x, data_y);
  FitOptions<Scalar> options = FitOptions<Scalar>().epochs(3).batch_size(8).verbose(0);
  options.validation_split(0.25);
  if (fit_seed) options.seed(*fit_seed);

  RunResult<Scalar> result;
  result.history = model.fit(data_x, data_y, options);
  result.weights = model.get_weights();
  result.predictions = model.predict(data_x, EvaluateOptions().verbose(0));
  return result;
}

}  // namespace

TEMPLATE_TEST_CASE("determinism with the same seeds", "[model][determinism]", float, double) {
  SECTION("global seed and fit seed") {
    const RunResult<TestType> first = train<TestType>(42, 7);
    const RunResult<TestType> second = train<TestType>(42, 7);

    CHECK(first.weights == second.weights);
    CHECK(first.history.history == second.history.history);
    CHECK(first.predictions == second.predictions);
  }

  SECTION("global seed alone") {
    const RunResult<TestType> first = train<TestType>(42, std::nullopt);
    const RunResult<TestType> second = train<TestType>(42, std::nullopt);

    CHECK(first.weights == second.weights);
    CHECK(first.history.history == second.history.history);
  }
}

TEST_CASE("determinism needs the same seeds", "[model][determinism]") {
  const RunResult<float> reference = train<float>(42, 7);

  SECTION("another global seed") {
    const RunResult<float> other = train<float>(43, 7);
    CHECK(other.weights != reference.weights);
    CHECK(other.history.history != reference.history.history);
  }

  SECTION("another fit seed") {
    // Same initial weights, other shuffles and dropout masks.
    const RunResult<float> other = train<float>(42, 8);
    CHECK(other.weights != reference.weights);
    CHECK(other.history.history != reference.history.history);
  }
}

TEST_CASE("determinism across Eigen threads", "[model][determinism]") {
  // Eigen parallelises large products only when compiled with OpenMP. Without it,
  // setNbThreads has no effect and both runs are single-threaded, so this test can only
  // fail in an OpenMP build.
  const int saved_threads = Eigen::nbThreads();

  Eigen::setNbThreads(1);
  const RunResult<double> one_thread = train<double>(42, 7);
  Eigen::setNbThreads(2);
  const RunResult<double> two_threads = train<double>(42, 7);
  Eigen::setNbThreads(saved_threads);

  CHECK(one_thread.weights == two_threads.weights);
  CHECK(one_thread.history.history == two_threads.history.history);
}
