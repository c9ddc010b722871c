// Tests of the thread count and of training that gives bit-identical results on 1 and 2
// threads. tests/CMakeLists.txt builds this file only with OpenMP, which sinapse's threads
// need, and with EIGEN_DONT_PARALLELIZE, as -DSINAPSE_USE_OPENMP=ON does.
#include <cstdint>
#include <omp.h>
#include <vector>

#include <sinapse/sinapse.hpp>

#include "support/catch.hpp"

namespace {

using namespace sinapse;

/// Restores the thread count of the calling thread when a test ends.
class ThreadCountGuard {
 public:
  ThreadCountGuard() : saved_(num_threads()) {}
  ~ThreadCountGuard() { set_num_threads(saved_); }
  ThreadCountGuard(const ThreadCountGuard&) = delete;
  ThreadCountGuard& operator=(const ThreadCountGuard&) = delete;

 private:
  int saved_;
};

/// Number of threads an OpenMP parallel region gets with the current count.
int threads_in_a_region() {
  int threads = 0;
#pragma omp parallel
  {
#pragma omp single
    threads = omp_get_num_threads();
  }
  return threads;
}

struct RunResult {
  std::vector<Matrix<float>> weights;
  History history;
  Matrix<float> predictions;
};

constexpr Index features = 128;
constexpr Index units = 512;
constexpr Index batch = 128;

/// Trains Input(128) -> Dense(512, relu) -> Dropout(0.5) -> Dense(512, relu) ->
/// Dense(1, sigmoid) for 2 epochs of 5 batches of 128 on `threads` threads, from fixed
/// seeds.
RunResult train_on(int threads) {
  set_num_threads(threads);
  set_random_seed(21);
  Tensor<float> input = Input<float>(features);
  Tensor<float> hidden = Dense<float>(units, "relu")(input);
  hidden = Dropout<float>(0.5)(hidden);
  hidden = Dense<float>(units, "relu")(hidden);
  Model<float> model(input, Dense<float>(1, "sigmoid")(hidden));
  model.compile("adam", "binary_crossentropy", {"accuracy"});

  Generator generator(22);
  Matrix<float> x(5 * batch, features);
  Matrix<float> y(5 * batch, 1);
  for (Index j = 0; j < features; ++j) {
    for (Index i = 0; i < x.rows(); ++i) x(i, j) = static_cast<float>(generator.uniform());
  }
  for (Index i = 0; i < x.rows(); ++i)
    y(i, 0) = x.row(i).head(features / 2).sum() > 32 ? 1.0f : 0.0f;

  RunResult result;
  result.history =
      model.fit(x, y, FitOptions<float>().epochs(2).batch_size(batch).verbose(0).seed(23));
  result.weights = model.get_weights();
  result.predictions = model.predict(x, PredictOptions().batch_size(batch).verbose(0));
  return result;
}

}  // namespace

TEST_CASE("set_num_threads sets OpenMP's count", "[core][threads]") {
  const ThreadCountGuard guard;

  set_num_threads(2);
  CHECK(num_threads() == 2);
  CHECK(omp_get_max_threads() == 2);
  CHECK(threads_in_a_region() == 2);
  set_num_threads(1);
  CHECK(num_threads() == 1);
  CHECK(threads_in_a_region() == 1);
  set_num_threads(0);
  CHECK(num_threads() == 1);
}

TEST_CASE("training is identical on 1 and 2 threads", "[core][threads]") {
  const ThreadCountGuard guard;
  // The hidden layers' products have at least 128 * 128 * 512 multiply-adds and 512
  // output columns, so sinapse splits them into column blocks and runs the blocks on
  // both threads.
  REQUIRE(static_cast<double>(batch * features * units) >= detail::min_parallel_multiply_adds);
  REQUIRE(units > detail::product_block_width);

  const RunResult one_thread = train_on(1);
  const RunResult two_threads = train_on(2);
  REQUIRE(threads_in_a_region() == 2);

  CHECK(one_thread.history.history == two_threads.history.history);
  CHECK(one_thread.weights == two_threads.weights);
  CHECK(one_thread.predictions == two_threads.predictions);
}

TEST_CASE("prediction of narrow layers is identical on 1 and 2 threads", "[core][threads]") {
  const ThreadCountGuard guard;
  // A 1024-sample batch through Dense(64) has 1024 * 64 * 64 multiply-adds but only one
  // column block, so sinapse splits it into row blocks and runs those on both threads.
  constexpr Index samples = 3000;
  constexpr Index narrow = 64;
  constexpr Index predict_batch = 1024;
  REQUIRE(static_cast<double>(predict_batch * narrow * narrow) >=
          detail::min_parallel_multiply_adds);
  REQUIRE(detail::product_block_height<float>(predict_batch, narrow,
                                              detail::product_block_width) < predict_batch);

  set_random_seed(31);
  Tensor<float> input = Input<float>(20);
  Tensor<float> hidden = Dense<float>(narrow, "relu")(input);
  hidden = Dense<float>(narrow, "relu")(hidden);
  Model<float> model(input, Dense<float>(1, "sigmoid")(hidden));

  Generator generator(32);
  Matrix<float> x(samples, 20);
  for (Index j = 0; j < x.cols(); ++j) {
    for (Index i = 0; i < samples; ++i) x(i, j) = static_cast<float>(generator.uniform());
  }
  const PredictOptions options = PredictOptions().batch_size(predict_batch).verbose(0);
  set_num_threads(1);
  const Matrix<float> one_thread = model.predict(x, options);
  set_num_threads(2);
  const Matrix<float> two_threads = model.predict(x, options);
  REQUIRE(threads_in_a_region() == 2);

  CHECK(one_thread == two_threads);
}
