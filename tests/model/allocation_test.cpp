// Tests that training and prediction reuse their buffers, for the networks W1 (dropout) and
// W2 (batch normalization). A training step allocates no heap memory once its batch size has
// been seen. So fit allocates the same amount for 10 and for 100 steps per epoch, and predict
// the same amount for 2 and for 11 batches.
//
// Every allocation is counted. Eigen allocates matrices with std::malloc, so this program
// defines malloc, calloc, realloc and free (glibc lets a program replace them) and forwards
// them to glibc's __libc_* functions, and it replaces operator new and delete with versions
// that call malloc and free. tests/CMakeLists.txt leaves this test out of builds with
// AddressSanitizer, whose own malloc these definitions would replace.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <vector>

#include <sinapse/sinapse.hpp>

#include "support/catch.hpp"

extern "C" {
void* __libc_malloc(std::size_t size);
void* __libc_calloc(std::size_t count, std::size_t size);
void* __libc_realloc(void* pointer, std::size_t size);
void* __libc_memalign(std::size_t alignment, std::size_t size);
void __libc_free(void* pointer);
}

namespace {

std::atomic<bool> counting{false};
std::atomic<long long> allocations{0};

void count_allocation() {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1, std::memory_order_relaxed);
}

void* new_or_throw(std::size_t size) {
  void* pointer = std::malloc(size == 0 ? 1 : size);
  if (pointer == nullptr) throw std::bad_alloc();
  return pointer;
}

void* aligned_new_or_throw(std::size_t size, std::align_val_t alignment) {
  count_allocation();
  void* pointer = __libc_memalign(static_cast<std::size_t>(alignment), size == 0 ? 1 : size);
  if (pointer == nullptr) throw std::bad_alloc();
  return pointer;
}

}  // namespace

extern "C" {
void* malloc(std::size_t size) noexcept {
  count_allocation();
  return __libc_malloc(size);
}
void* calloc(std::size_t count, std::size_t size) noexcept {
  count_allocation();
  return __libc_calloc(count, size);
}
void* realloc(void* pointer, std::size_t size) noexcept {
  count_allocation();
  return __libc_realloc(pointer, size);
}
void free(void* pointer) noexcept { __libc_free(pointer); }
}

void* operator new(std::size_t size) { return new_or_throw(size); }
void* operator new[](std::size_t size) { return new_or_throw(size); }
void* operator new(std::size_t size, std::align_val_t alignment) {
  return aligned_new_or_throw(size, alignment);
}
void* operator new[](std::size_t size, std::align_val_t alignment) {
  return aligned_new_or_throw(size, alignment);
}
void operator delete(void* pointer) noexcept { std::free(pointer); }
void operator delete[](void* pointer) noexcept { std::free(pointer); }
void operator delete(void* pointer, std::size_t) noexcept { std::free(pointer); }
void operator delete[](void* pointer, std::size_t) noexcept { std::free(pointer); }
void operator delete(void* pointer, std::align_val_t) noexcept { std::free(pointer); }
void operator delete[](void* pointer, std::align_val_t) noexcept { std::free(pointer); }
void operator delete(void* pointer, std::size_t, std::align_val_t) noexcept { std::free(pointer); }
void operator delete[](void* pointer, std::size_t, std::align_val_t) noexcept {
  std::free(pointer);
}

namespace {

using namespace sinapse;

/// Returns the number of heap allocations that function makes.
template <typename Function>
long long allocations_during(Function&& function) {
  allocations = 0;
  counting = true;
  function();
  counting = false;
  return allocations;
}

volatile double sink = 0.0;

/// Batch size of every test, and the size of the smaller last batch.
constexpr Index batch_size = 32;
constexpr Index last_batch = 17;

/// Samples for `steps` batches of batch_size, the last of them with last_batch samples.
Index samples_for(Index steps) { return (steps - 1) * batch_size + last_batch; }

enum class Network { w1, w2 };

/// W1: 20 -> Dense(64, relu) -> Dropout(0.5) -> Dense(64, relu) -> Dense(1, sigmoid).
/// W2: 20 -> Dense(64, tanh) -> BatchNormalization -> Dense(64, tanh) ->
/// BatchNormalization -> Dense(1, sigmoid). Both compiled with Adam, binary cross-entropy
/// and accuracy.
template <typename Scalar>
Model<Scalar> make_model(Network network) {
  set_random_seed(5);
  Tensor<Scalar> input = Input<Scalar>(20);
  Tensor<Scalar> hidden = input;
  if (network == Network::w1) {
    hidden = Dense<Scalar>(64, "relu")(hidden);
    hidden = Dropout<Scalar>(0.5)(hidden);
    hidden = Dense<Scalar>(64, "relu")(hidden);
  } else {
    hidden = Dense<Scalar>(64, "tanh")(hidden);
    hidden = BatchNormalization<Scalar>()(hidden);
    hidden = Dense<Scalar>(64, "tanh")(hidden);
    hidden = BatchNormalization<Scalar>()(hidden);
  }
  Model<Scalar> model(input, Dense<Scalar>(1, "sigmoid")(hidden));
  model.compile("adam", "binary_crossentropy", {"accuracy"});
  return model;
}

/// Features in [0, 1) and alternating 0/1 labels.
template <typename Scalar>
struct Dataset {
  Matrix<Scalar> x;
  Matrix<Scalar> y;
};

template <typename Scalar>
Dataset<Scalar> make_dataset(Index rows) {
  Generator generator(17);
  Dataset<Scalar> data{Matrix<Scalar>(rows, 20), Matrix<Scalar>(rows, 1)};
  for (Index j = 0; j < 20; ++j) {
    for (Index i = 0; i < rows; ++i) data.x(i, j) = static_cast<Scalar>(generator.uniform());
  }
  for (Index i = 0; i < rows; ++i) data.y(i, 0) = static_cast<Scalar>(i % 2);
  return data;
}

/// Records, for every training step, how many allocations it made: from the start of
/// on_train_batch_begin to on_train_batch_end, which covers the batch gather, the step
/// and the running logs.
template <typename Scalar>
class StepAllocations : public Callback<Scalar> {
 public:
  struct Step {
    int epoch;
    Index batch;
    long long allocations;
  };

  void on_epoch_begin(int epoch, const Logs&) override { epoch_ = epoch; }
  void on_train_batch_begin(Index, const Logs&) override { before_ = allocations.load(); }
  void on_train_batch_end(Index batch, const Logs&) override {
    steps.push_back({epoch_, batch, allocations.load() - before_});
  }

  std::vector<Step> steps;

 private:
  int epoch_ = 0;
  long long before_ = 0;
};

const char* network_name(Network network) { return network == Network::w1 ? "W1" : "W2"; }

}  // namespace

TEST_CASE("allocation counter sees Eigen and new", "[model][allocation]") {
  const long long eigen = allocations_during([] {
    Matrix<double> matrix = Matrix<double>::Constant(100, 100, 1.0);
    sink = matrix.sum();
  });
  const long long standard = allocations_during([] {
    auto value = std::make_unique<std::vector<int>>(1000, 3);
    sink = static_cast<double>(value->back());
  });

  CHECK(eigen >= 1);
  CHECK(standard >= 2);
}

TEMPLATE_TEST_CASE("fit allocations do not grow with steps", "[model][allocation]", float, double) {
  for (Network network : {Network::w1, Network::w2}) {
    INFO(network_name(network));
    const Dataset<TestType> few = make_dataset<TestType>(samples_for(10));
    const Dataset<TestType> many = make_dataset<TestType>(samples_for(100));
    const FitOptions<TestType> options =
        FitOptions<TestType>().epochs(3).batch_size(batch_size).verbose(0).seed(3);
    Model<TestType> model_few = make_model<TestType>(network);
    Model<TestType> model_many = make_model<TestType>(network);

    const long long with_few = allocations_during([&] { model_few.fit(few.x, few.y, options); });
    const long long with_many =
        allocations_during([&] { model_many.fit(many.x, many.y, options); });

    CHECK(with_few > 0);
    CHECK(with_few == with_many);
  }
}

TEMPLATE_TEST_CASE("fit with validation does not grow", "[model][allocation]", float, double) {
  // Validation adds two batch sizes: 32 and a last batch of 5.
  for (Network network : {Network::w1, Network::w2}) {
    INFO(network_name(network));
    const Dataset<TestType> few = make_dataset<TestType>(samples_for(10));
    const Dataset<TestType> many = make_dataset<TestType>(samples_for(100));
    const Dataset<TestType> validation_few = make_dataset<TestType>(batch_size + 5);
    const Dataset<TestType> validation_many = make_dataset<TestType>(20 * batch_size + 5);
    const FitOptions<TestType> options =
        FitOptions<TestType>().epochs(3).batch_size(batch_size).verbose(0).seed(3);
    Model<TestType> model_few = make_model<TestType>(network);
    Model<TestType> model_many = make_model<TestType>(network);

    const long long with_few = allocations_during([&] {
      model_few.fit(
          few.x, few.y,
          FitOptions<TestType>(options).validation_data(validation_few.x, validation_few.y));
    });
    const long long with_many = allocations_during([&] {
      model_many.fit(
          many.x, many.y,
          FitOptions<TestType>(options).validation_data(validation_many.x, validation_many.y));
    });

    CHECK(with_few == with_many);
  }
}

TEMPLATE_TEST_CASE("fit steps reuse their buffers", "[model][allocation]", float, double) {
  // Only the first step of each batch size allocates: the first full batch and the first
  // smaller last batch, both in the first epoch.
  for (Network network : {Network::w1, Network::w2}) {
    INFO(network_name(network));
    const Index steps = 6;
    const Dataset<TestType> data = make_dataset<TestType>(samples_for(steps));
    auto recorder = std::make_shared<StepAllocations<TestType>>();
    Model<TestType> model = make_model<TestType>(network);

    allocations_during([&] {
      model.fit(
          data.x, data.y,
          FitOptions<TestType>().epochs(3).batch_size(batch_size).verbose(0).callbacks({recorder}));
    });

    REQUIRE(recorder->steps.size() == static_cast<std::size_t>(3 * steps));
    for (const auto& step : recorder->steps) {
      INFO("epoch " << step.epoch << ", batch " << step.batch);
      const bool first_of_its_size =
          step.epoch == 0 && (step.batch == 0 || step.batch == steps - 1);
      if (first_of_its_size) {
        CHECK(step.allocations > 0);
      } else {
        CHECK(step.allocations == 0);
      }
    }
  }
}

TEMPLATE_TEST_CASE("predict allocations do not grow with batches", "[model][allocation]", float,
                   double) {
  for (Network network : {Network::w1, Network::w2}) {
    INFO(network_name(network));
    const Index predict_batch = 1024;
    const Dataset<TestType> few = make_dataset<TestType>(predict_batch + 100);
    const Dataset<TestType> many = make_dataset<TestType>(10 * predict_batch + 100);
    const PredictOptions options = PredictOptions().batch_size(predict_batch).verbose(0);
    Model<TestType> model_few = make_model<TestType>(network);
    Model<TestType> model_many = make_model<TestType>(network);

    const long long with_few = allocations_during([&] { model_few.predict(few.x, options); });
    const long long with_many = allocations_during([&] { model_many.predict(many.x, options); });
    // A second call keeps the buffers and allocates only the result matrix and the list of
    // inputs.
    const long long again = allocations_during([&] { model_many.predict(many.x, options); });

    CHECK(with_few == with_many);
    CHECK(again <= 2);
  }
}
