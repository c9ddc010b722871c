// Soak test, outside the default suite: trains, saves and loads in a loop for a bounded
// time, and checks that the heap in use does not grow and that every round gives the
// same numbers. Run it with `ctest --test-dir build -C soak -L soak`; the environment
// variable SINAPSE_SOAK_SECONDS sets its length (60 by default).
#include <malloc.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <sinapse/sinapse.hpp>

#include "support/catch.hpp"
#include "support/random_data.hpp"

namespace {

using namespace sinapse;
namespace fs = std::filesystem;

/// Bytes that malloc has handed out and not taken back, including Eigen's buffers,
/// which bypass operator new. glibc's mallinfo2 counts both heap and mmap blocks.
std::size_t heap_in_use() {
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

double soak_seconds() {
  const char* text = std::getenv("SINAPSE_SOAK_SECONDS");
  if (text == nullptr) return 60.0;
  const double seconds = std::atof(text);
  return seconds > 0 ? seconds : 60.0;
}

struct RoundResult {
  std::vector<Matrix<float>> weights;
  History history;
  Matrix<float> predictions;
};

/// Runs one round: builds and trains a model for two epochs, saves and loads it, checks
/// that the copy predicts the same, then trains both one more epoch and compares them.
RoundResult run_round(const std::string& path, const Matrix<float>& x, const Matrix<float>& y) {
  clear_session();
  set_random_seed(3);
  Tensor<float> input = Input<float>(6);
  Tensor<float> h = Dense<float>(32, "relu")(input);
  h = Dropout<float>(0.3)(h);
  h = BatchNormalization<float>()(h);
  Tensor<float> output = Dense<float>(1, "sigmoid")(h);
  Model<float> model(input, output);
  model.compile("adam", "binary_crossentropy", {"accuracy"});
  const FitOptions<float> options = FitOptions<float>().batch_size(16).verbose(0).seed(4);
  model.fit(x, y, FitOptions<float>(options).epochs(2));
  model.save(path);

  Model<float> loaded = load_model<float>(path);
  const PredictOptions quiet = PredictOptions().verbose(0);
  REQUIRE(loaded.predict(x, quiet) == model.predict(x, quiet));
  const FitOptions<float> resume = FitOptions<float>(options).epochs(3).initial_epoch(2);
  RoundResult result;
  result.history = model.fit(x, y, resume);
  const History loaded_history = loaded.fit(x, y, resume);
  REQUIRE(loaded_history.history == result.history.history);
  result.weights = model.get_weights();
  REQUIRE(loaded.get_weights() == result.weights);
  result.predictions = loaded.predict(x, quiet);
  return result;
}

}  // namespace

TEST_CASE("training, saving and loading in a loop keeps memory and results steady",
          "[.soak]") {
  const Matrix<float> x = test_support::random_matrix<float>(400, 6, 12);
  const Matrix<float> y = (x.col(0).array() * x.col(1).array() > 0).cast<float>().matrix();
  const fs::path path = fs::temp_directory_path() / "sinapse-soak-test.sinapse";

  // Two warm-up rounds let the allocator and the layer-name counters settle.
  const RoundResult first = run_round(path.string(), x, y);
  run_round(path.string(), x, y);
  const std::size_t baseline = heap_in_use();

  const auto start = std::chrono::steady_clock::now();
  const double limit = soak_seconds();
  int rounds = 0;
  std::size_t largest = baseline;
  while (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < limit) {
    const RoundResult round = run_round(path.string(), x, y);
    ++rounds;
    REQUIRE(round.weights == first.weights);
    REQUIRE(round.history.history == first.history.history);
    REQUIRE(round.predictions == first.predictions);
    if (heap_in_use() > largest) largest = heap_in_use();
  }
  fs::remove(path);
  INFO("rounds: " << rounds << ", heap in use after warm-up: " << baseline
                  << " bytes, largest after a round: " << largest << " bytes");
  CHECK(rounds > 0);
  // Each round frees what it allocated, so the heap in use between rounds stays put; a
  // few kilobytes of slack cover the allocator's own bookkeeping.
  CHECK(largest <= baseline + 64 * 1024);
  WARN("soak: " << rounds << " rounds in " << limit << " s, heap in use " << baseline
                << " -> at most " << largest << " bytes");
}
