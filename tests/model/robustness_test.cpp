// Tests of the public API under misuse and extreme values. They cover reused optimizers,
// batch sizes near the largest Index, very deep graphs and moved-from models. They also
// cover hyperparameters that round to 0, 1 or inf in float, training that turns
// non-finite, integer braced lists and low-level calls out of order. The last ones cover
// layers too large to allocate, metric names and error messages.
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <sinapse/sinapse.hpp>

#include "support/catch.hpp"
#include "support/random_data.hpp"

// AddressSanitizer aborts on an allocation of several terabytes instead of throwing
// std::bad_alloc, so the tests of layers too large to allocate are left out under it.
#if defined(__SANITIZE_ADDRESS__)
#define SINAPSE_TEST_ADDRESS_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SINAPSE_TEST_ADDRESS_SANITIZER 1
#endif
#endif

namespace {

using namespace sinapse;

using Catch::Matchers::ContainsSubstring;

constexpr Index max_index = std::numeric_limits<Index>::max();

/// Returns alternating 0/1 labels for `rows` samples.
Matrix<float> labels(Index rows) {
  Matrix<float> y(rows, 1);
  for (Index i = 0; i < rows; ++i) y(i, 0) = static_cast<float>(i % 2);
  return y;
}

/// Input(inputs) -> Dense(hidden, relu) -> Dense(1, sigmoid) with fixed kernel seeds, so
/// two calls with the same arguments give identical weights.
Model<float> small_model(Index inputs, Index hidden, std::uint64_t seed) {
  Tensor<float> x = Input<float>(inputs);
  Tensor<float> h = Dense<float>(DenseOptions(hidden).activation("relu").seed(seed))(x);
  return Model<float>(x, Dense<float>(DenseOptions(1).activation("sigmoid").seed(seed + 1))(h));
}

/// Input(4) -> Dense(8, relu) -> BatchNormalization -> Dense(1, sigmoid), with fixed seeds.
Model<float> normalized_model() {
  Tensor<float> x = Input<float>(4);
  Tensor<float> h = Dense<float>(DenseOptions(8).activation("relu").seed(71))(x);
  h = BatchNormalization<float>()(h);
  return Model<float>(x, Dense<float>(DenseOptions(1).activation("sigmoid").seed(72))(h));
}

FitOptions<float> quiet_fit() { return FitOptions<float>().verbose(0); }

EvaluateOptions quiet() { return EvaluateOptions().verbose(0); }

/// Checks that two weight lists match exactly, one array at a time.
void check_same_weights(const std::vector<Matrix<float>>& actual,
                        const std::vector<Matrix<float>>& expected) {
  REQUIRE(actual.size() == expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) {
    INFO("weight array " << i);
    REQUIRE(actual[i].rows() == expected[i].rows());
    REQUIRE(actual[i].cols() == expected[i].cols());
    CHECK(actual[i] == expected[i]);
  }
}

bool all_finite(const std::vector<Matrix<float>>& weights) {
  for (const Matrix<float>& weight : weights) {
    if (!weight.allFinite()) return false;
  }
  return true;
}

/// Runs `function` and returns the message of the Exception it throws, or a marker text
/// when it throws nothing.
template <typename Exception, typename Function>
std::string message_of(Function&& function) {
  try {
    function();
  } catch (const Exception& error) {
    return error.what();
  }
  return "(no exception thrown)";
}

// Detectors for call expressions that must not compile. Each is true when the call is
// well-formed, and a deleted or ambiguous overload makes it false.
#define SINAPSE_TEST_CALL_DETECTOR(detector, ...) \
  template <typename M, typename = void>          \
  struct detector : std::false_type {};           \
  template <typename M>                           \
  struct detector<M, std::void_t<decltype(__VA_ARGS__)>> : std::true_type {}

template <typename M>
using Data = typename M::MatrixType;

SINAPSE_TEST_CALL_DETECTOR(predict_accepts_int_list, std::declval<M&>().predict({1, 2}));
SINAPSE_TEST_CALL_DETECTOR(predict_with_options_accepts_int_list,
                           std::declval<M&>().predict({1, 2}, PredictOptions()));
SINAPSE_TEST_CALL_DETECTOR(predict_accepts_unsigned_list, std::declval<M&>().predict({3u, 4u}));
SINAPSE_TEST_CALL_DETECTOR(predict_accepts_mixed_int_list,
                           std::declval<M&>().predict({Index(1), 2}));
SINAPSE_TEST_CALL_DETECTOR(fit_accepts_int_list,
                           std::declval<M&>().fit({1, 2}, std::declval<const Data<M>&>()));
SINAPSE_TEST_CALL_DETECTOR(fit_with_options_accepts_int_list,
                           std::declval<M&>().fit({1, 2}, std::declval<const Data<M>&>(),
                                                  FitOptions<float>()));
SINAPSE_TEST_CALL_DETECTOR(fit_accepts_mixed_int_list,
                           std::declval<M&>().fit({1, Index(2)}, std::declval<const Data<M>&>()));
SINAPSE_TEST_CALL_DETECTOR(evaluate_accepts_int_list,
                           std::declval<M&>().evaluate({1, 2}, std::declval<const Data<M>&>()));
SINAPSE_TEST_CALL_DETECTOR(train_on_batch_accepts_int_list,
                           std::declval<M&>().train_on_batch({1, 2},
                                                             std::declval<const Data<M>&>()));
SINAPSE_TEST_CALL_DETECTOR(test_on_batch_accepts_int_list,
                           std::declval<M&>().test_on_batch({1, 2},
                                                            std::declval<const Data<M>&>()));
SINAPSE_TEST_CALL_DETECTOR(predict_accepts_matrix,
                           std::declval<M&>().predict(std::declval<const Data<M>&>()));
SINAPSE_TEST_CALL_DETECTOR(predict_accepts_matrix_list,
                           std::declval<M&>().predict({std::declval<const Data<M>&>(),
                                                       std::declval<const Data<M>&>()}));
SINAPSE_TEST_CALL_DETECTOR(fit_accepts_matrix_list,
                           std::declval<M&>().fit({std::declval<const Data<M>&>(),
                                                   std::declval<const Data<M>&>()},
                                                  std::declval<const Data<M>&>()));
// For validation_data, M is FitOptions<float>.
SINAPSE_TEST_CALL_DETECTOR(
    validation_data_accepts_int_list,
    std::declval<M&>().validation_data({1, 2}, std::declval<const Matrix<float>&>()));

}  // namespace

// ---------------------------------------------------------------------------------------
// Optimizer state and compile

TEST_CASE("compile takes a used optimizer's settings only", "[model][robustness]") {
  Model<float> first = small_model(4, 8, 10);
  first.compile(Adam<float>(0.02), "binary_crossentropy");
  first.fit(test_support::random_matrix<float>(32, 4, 1), labels(32), quiet_fit().epochs(3));
  REQUIRE(first.optimizer()->iterations() == 3);

  // Other variable shapes: (6, 16) and (16, 1) kernels instead of (4, 8) and (8, 1).
  Model<float> second = small_model(6, 16, 20);
  second.compile(*first.optimizer(), "binary_crossentropy");
  CHECK(second.optimizer()->iterations() == 0);
  CHECK_FALSE(second.optimizer()->built());
  const auto* adam = dynamic_cast<const Adam<float>*>(second.optimizer());
  REQUIRE(adam != nullptr);
  CHECK(adam->learning_rate() == 0.02);
  CHECK(adam->momentums().empty());
  CHECK(first.optimizer()->iterations() == 3);

  Model<float> twin = small_model(6, 16, 20);
  twin.compile(Adam<float>(0.02), "binary_crossentropy");
  const Matrix<float> x = test_support::random_matrix<float>(32, 6, 2);
  const History history = second.fit(x, labels(32), quiet_fit().epochs(2).seed(5));
  const History twin_history = twin.fit(x, labels(32), quiet_fit().epochs(2).seed(5));

  CHECK(history.history == twin_history.history);
  CHECK(second.optimizer()->iterations() == 2);
  check_same_weights(second.get_weights(), twin.get_weights());
}

TEST_CASE("compile takes a built Adam's settings only", "[model][robustness]") {
  // With amsgrad, the state also contains the maxima of the second moments.
  Model<float> first = small_model(4, 8, 10);
  Adam<float> adam(0.02, 0.9, 0.999, 1e-7, /*amsgrad=*/true);
  adam.build(first.trainable_variables());
  adam.apply(first.trainable_variables());
  REQUIRE(adam.iterations() == 1);

  Model<float> second = small_model(6, 16, 20);
  second.compile(adam, "binary_crossentropy");
  CHECK(second.optimizer()->iterations() == 0);
  CHECK_FALSE(second.optimizer()->built());
  CHECK(adam.iterations() == 1);

  Model<float> twin = small_model(6, 16, 20);
  twin.compile(Adam<float>(0.02, 0.9, 0.999, 1e-7, true), "binary_crossentropy");
  const Matrix<float> x = test_support::random_matrix<float>(16, 6, 3);
  const History history = second.fit(x, labels(16), quiet_fit().batch_size(4).seed(6));
  const History twin_history = twin.fit(x, labels(16), quiet_fit().batch_size(4).seed(6));

  CHECK(history.history == twin_history.history);
  CHECK(second.optimizer()->iterations() == 4);
  check_same_weights(second.get_weights(), twin.get_weights());
}

TEST_CASE("recompile with own optimizer resets it", "[model][robustness]") {
  const Matrix<float> x = test_support::random_matrix<float>(24, 4, 4);
  Model<float> model = small_model(4, 8, 30);
  Model<float> twin = small_model(4, 8, 30);
  model.compile(Adam<float>(0.05), "binary_crossentropy");
  twin.compile(Adam<float>(0.05), "binary_crossentropy");
  model.fit(x, labels(24), quiet_fit().epochs(3).seed(8));
  twin.fit(x, labels(24), quiet_fit().epochs(3).seed(8));
  REQUIRE(model.optimizer()->iterations() == 3);

  model.compile(*model.optimizer(), "binary_crossentropy");
  twin.compile(Adam<float>(0.05), "binary_crossentropy");
  CHECK(model.optimizer()->iterations() == 0);
  CHECK_FALSE(model.optimizer()->built());

  const History history = model.fit(x, labels(24), quiet_fit().epochs(2).seed(9));
  const History twin_history = twin.fit(x, labels(24), quiet_fit().epochs(2).seed(9));
  CHECK(history.history == twin_history.history);
  CHECK(model.optimizer()->iterations() == 2);
  check_same_weights(model.get_weights(), twin.get_weights());
}

TEST_CASE("Adam apply rejects foreign variables", "[model][robustness]") {
  Model<float> owner = small_model(4, 8, 10);
  Model<float> other = small_model(6, 16, 20);
  const std::vector<Matrix<float>> other_before = other.get_weights();

  Adam<float> unbuilt;
  CHECK_THROWS_AS(unbuilt.apply(owner.trainable_variables()), StateError);
  CHECK_THROWS_WITH(unbuilt.apply(owner.trainable_variables()),
                    ContainsSubstring("call build(variables) first"));

  Adam<float> adam;
  adam.build(owner.trainable_variables());
  CHECK_THROWS_AS(adam.apply(other.trainable_variables()), StateError);

  const std::vector<Variable<float>*>& all = owner.trainable_variables();
  const std::vector<Variable<float>*> first_two(all.begin(), all.begin() + 2);
  CHECK_THROWS_AS(adam.apply(first_two), StateError);

  // Same count, but the variables in another order, so the shapes differ.
  const std::vector<Variable<float>*> reordered{all[1], all[0], all[3], all[2]};
  CHECK_THROWS_AS(adam.apply(reordered), StateError);

  CHECK(adam.iterations() == 0);
  check_same_weights(other.get_weights(), other_before);

  adam.apply(owner.trainable_variables());
  CHECK(adam.iterations() == 1);
}

// ---------------------------------------------------------------------------------------
// Batch sizes near the largest Index

TEST_CASE("huge batch sizes give one batch", "[model][robustness]") {
  const Index rows = 10;
  const Matrix<float> x = test_support::random_matrix<float>(rows, 4, 11);
  const Matrix<float> y = labels(rows);
  // Each makes rows + batch_size - 1 overflow.
  const Index huge_sizes[] = {max_index, max_index - 1, max_index - 3, max_index - rows + 2};

  Model<float> model = small_model(4, 8, 40);
  model.compile("adam", "binary_crossentropy", {"accuracy"});
  const Matrix<float> expected_prediction = model.predict(x, quiet().batch_size(rows));
  const Logs expected_logs = model.evaluate(x, y, quiet().batch_size(rows));

  Model<float> reference = small_model(4, 8, 40);
  reference.compile("adam", "binary_crossentropy", {"accuracy"});
  const History expected_history =
      reference.fit(x, y, quiet_fit().epochs(2).batch_size(rows).validation_split(0.2).seed(12));
  REQUIRE(expected_history.steps == 1);

  for (const Index batch_size : huge_sizes) {
    INFO("batch_size " << batch_size);
    CHECK(model.predict(x, quiet().batch_size(batch_size)) == expected_prediction);
    CHECK(model.evaluate(x, y, quiet().batch_size(batch_size)) == expected_logs);

    Model<float> trained = small_model(4, 8, 40);
    trained.compile("adam", "binary_crossentropy", {"accuracy"});
    const History history = trained.fit(
        x, y, quiet_fit().epochs(2).batch_size(batch_size).validation_split(0.2).seed(12));
    CHECK(history.steps == 1);
    CHECK(history.history == expected_history.history);
    CHECK(trained.optimizer()->iterations() == 2);
    check_same_weights(trained.get_weights(), reference.get_weights());
  }
}

TEST_CASE("huge validation_batch_size gives one batch", "[model][robustness]") {
  const Matrix<float> x = test_support::random_matrix<float>(20, 4, 13);
  const Matrix<float> y = labels(20);
  const FitOptions<float> base = quiet_fit().epochs(2).batch_size(4).validation_split(0.25);

  Model<float> reference = small_model(4, 8, 50);
  reference.compile("adam", "binary_crossentropy", {"accuracy"});
  const History expected =
      reference.fit(x, y, FitOptions<float>(base).validation_batch_size(5).seed(3));

  for (const Index batch_size : {max_index, max_index - 1, max_index - 4}) {
    INFO("validation_batch_size " << batch_size);
    Model<float> model = small_model(4, 8, 50);
    model.compile("adam", "binary_crossentropy", {"accuracy"});
    const History history =
        model.fit(x, y, FitOptions<float>(base).validation_batch_size(batch_size).seed(3));
    CHECK(history.history.at("val_loss") == expected.history.at("val_loss"));
    CHECK(history.history.at("val_accuracy") == expected.history.at("val_accuracy"));
  }
}

// ---------------------------------------------------------------------------------------
// Deep graphs

TEST_CASE("deep chain Model is released", "[model][robustness]") {
  // 200,000 layers: releasing such a chain recursively, one stack frame per node,
  // overflows an 8 MB stack.
  const int depth = 200000;
  const Matrix<float> x = test_support::random_matrix<float>(3, 2, 14);

  SECTION("tensors released after the model") {
    Tensor<float> input = Input<float>(2);
    Tensor<float> hidden = input;
    for (int i = 0; i < depth; ++i) hidden = Activation<float>("linear")(hidden);
    Model<float> model(input, hidden);
    CHECK(model.layers().size() == static_cast<std::size_t>(depth + 1));
    CHECK(model.predict(x, quiet()) == x);
  }
  SECTION("model released after the tensors") {
    std::unique_ptr<Model<float>> model;
    {
      Tensor<float> input = Input<float>(2);
      Tensor<float> hidden = input;
      for (int i = 0; i < depth; ++i) hidden = Activation<float>("linear")(hidden);
      model = std::make_unique<Model<float>>(input, hidden);
    }
    CHECK(model->predict(x, quiet()) == x);
    model.reset();
    CHECK(model == nullptr);
  }
}

// ---------------------------------------------------------------------------------------
// Moved-from models

TEST_CASE("moved-from Model rejects every call", "[model][robustness]") {
  const Matrix<float> x = test_support::random_matrix<float>(4, 4, 15);
  const Matrix<float> y = labels(4);
  Model<float> original = small_model(4, 8, 60);
  original.compile("adam", "binary_crossentropy", {"accuracy"});
  const Matrix<float> expected = original.predict(x, quiet());
  const std::vector<Matrix<float>> weights = original.get_weights();

  Model<float> moved(std::move(original));
  CHECK_FALSE(original.valid());
  CHECK(moved.valid());
  CHECK(moved.predict(x, quiet()) == expected);

  struct Call {
    const char* name;
    std::function<void()> run;
  };
  const std::vector<Matrix<float>> no_matrices;
  const std::vector<Call> calls = {
      {"get_layer", [&] { original.get_layer("dense"); }},
      {"input_width", [&] { original.input_width(0); }},
      {"output_width", [&] { original.output_width(); }},
      {"set_weights", [&] { original.set_weights(weights); }},
      {"compile", [&] { original.compile("adam", "binary_crossentropy"); }},
      {"compile with accuracy",
       [&] { original.compile("adam", "binary_crossentropy", {"accuracy"}); }},
      {"fit", [&] { original.fit(x, y, quiet_fit()); }},
      {"fit with no matrices", [&] { original.fit(no_matrices, y, quiet_fit()); }},
      {"fit with a braced list", [&] { original.fit({x}, y, quiet_fit()); }},
      {"evaluate", [&] { original.evaluate(x, y, quiet()); }},
      {"evaluate with no matrices", [&] { original.evaluate(no_matrices, y, quiet()); }},
      {"predict", [&] { original.predict(x, quiet()); }},
      {"predict with no matrices", [&] { original.predict(no_matrices, quiet()); }},
      {"train_on_batch", [&] { original.train_on_batch(x, y); }},
      {"test_on_batch", [&] { original.test_on_batch(x, y); }},
      {"summary",
       [&] {
         std::ostringstream out;
         original.summary(out);
       }},
      {"summary_string", [&] { original.summary_string(80); }},
      {"forward_batch", [&] { original.forward_batch({&x}, false); }},
      {"forward_batch with no inputs", [&] { original.forward_batch({}, true); }},
      {"backward_batch", [&] { original.backward_batch(Matrix<float>::Ones(4, 1)); }},
  };
  for (const Call& call : calls) {
    INFO(call.name);
    CHECK_THROWS_AS(call.run(), StateError);
    CHECK_THROWS_WITH(call.run(), ContainsSubstring("moved from"));
  }

  original = std::move(moved);
  CHECK(original.valid());
  CHECK(original.predict(x, quiet()) == expected);
}

TEST_CASE("moved-from Model accessors throw", "[model][robustness]") {
  // valid() documents that every other call on a moved-from Model throws StateError;
  // these accessors would otherwise describe a model with no inputs and no weights.
  Model<float> original = small_model(4, 8, 61);
  Model<float> moved(std::move(original));
  REQUIRE_FALSE(original.valid());

  CHECK_THROWS_AS(original.input_count(), StateError);
  CHECK_THROWS_AS(original.count_params(), StateError);
  CHECK_THROWS_AS(original.get_weights(), StateError);
  CHECK_THROWS_AS(original.layers(), StateError);
  CHECK_THROWS_AS(original.trainable_variables(), StateError);
}

TEST_CASE("self-move leaves a usable or moved-from Model", "[model][robustness]") {
  const Matrix<float> x = test_support::random_matrix<float>(4, 4, 16);
  Model<float> model = small_model(4, 8, 62);
  model.compile("adam", "binary_crossentropy");
  const Matrix<float> expected = model.predict(x, quiet());

  Model<float>& alias = model;  // the alias avoids the compiler's self-move warning
  model = std::move(alias);

  if (model.valid()) {
    CHECK(model.predict(x, quiet()) == expected);
    CHECK(model.input_count() == 1);
  } else {
    CHECK_THROWS_AS(model.predict(x, quiet()), StateError);
    CHECK_THROWS_AS(model.fit(x, labels(4), quiet_fit()), StateError);
    CHECK_THROWS_AS(model.summary_string(80), StateError);
  }
}

// ---------------------------------------------------------------------------------------
// Hyperparameters rounded to Scalar

TEST_CASE("Adam rejects values that round away in float", "[model][robustness]") {
  const double almost_one = 1.0 - 1e-9;  // below 1 in double, 1.0f in float
  SECTION("learning_rate that rounds to 0") {
    CHECK_THROWS_AS(Adam<float>(1e-60), ValueError);
    CHECK_THROWS_WITH(Adam<float>(1e-60),
                      ContainsSubstring("learning_rate") && ContainsSubstring("float"));
  }
  SECTION("learning_rate that overflows to inf") {
    CHECK_THROWS_AS(Adam<float>(1e300), ValueError);
    CHECK_THROWS_WITH(Adam<float>(1e300), ContainsSubstring("learning_rate"));
  }
  SECTION("beta_1 that rounds to 1") {
    CHECK_THROWS_AS(Adam<float>(1e-3, almost_one), ValueError);
    CHECK_THROWS_WITH(Adam<float>(1e-3, almost_one), ContainsSubstring("beta_1"));
  }
  SECTION("beta_2 that rounds to 1") {
    CHECK_THROWS_AS(Adam<float>(1e-3, 0.9, almost_one), ValueError);
    CHECK_THROWS_WITH(Adam<float>(1e-3, 0.9, almost_one), ContainsSubstring("beta_2"));
  }
  SECTION("epsilon that rounds to 0") {
    CHECK_THROWS_AS(Adam<float>(1e-3, 0.9, 0.999, 1e-50), ValueError);
    CHECK_THROWS_WITH(Adam<float>(1e-3, 0.9, 0.999, 1e-50), ContainsSubstring("epsilon"));
  }
  SECTION("values that stay in range in float") {
    const double largest = static_cast<double>(std::numeric_limits<float>::max());
    const double below_one = 1.0 - 0x1p-24;  // the largest float below 1
    CHECK_NOTHROW(Adam<float>(largest));
    CHECK_NOTHROW(Adam<float>(1e-3, below_one, below_one));
  }
}

TEST_CASE("Adam double accepts what float rejects", "[model][robustness]") {
  const double almost_one = 1.0 - 1e-9;
  CHECK_NOTHROW(Adam<double>(1e-60));
  CHECK_NOTHROW(Adam<double>(1e300));
  CHECK_NOTHROW(Adam<double>(1e-3, almost_one));
  CHECK_NOTHROW(Adam<double>(1e-3, 0.9, almost_one));
  CHECK_NOTHROW(Adam<double>(1e-3, 0.9, 0.999, 1e-50));
}

TEST_CASE("BatchNormalization epsilon survives rounding", "[model][robustness]") {
  const double inf = std::numeric_limits<double>::infinity();
  CHECK_THROWS_AS(BatchNormalization<float>(BatchNormalizationOptions().epsilon(1e-50)),
                  ValueError);
  CHECK_THROWS_WITH(BatchNormalization<float>(BatchNormalizationOptions().epsilon(1e-50)),
                    ContainsSubstring("epsilon") && ContainsSubstring("float"));
  CHECK_THROWS_AS(BatchNormalization<float>(BatchNormalizationOptions().epsilon(inf)), ValueError);
  CHECK_THROWS_AS(BatchNormalization<double>(BatchNormalizationOptions().epsilon(inf)), ValueError);
  CHECK_THROWS_AS(BatchNormalization<float>(BatchNormalizationOptions().epsilon(1e300)),
                  ValueError);
  CHECK_NOTHROW(BatchNormalization<double>(BatchNormalizationOptions().epsilon(1e-50)));
}

// ---------------------------------------------------------------------------------------
// Training that turns non-finite

TEST_CASE("fit stops before an overflowing batch", "[model][robustness]") {
  // Batch 2 (rows 4 to 7, without shuffling) has 3e38 in every feature, so the Dense
  // sums overflow in float and BatchNormalization turns inf - inf into NaN.
  Matrix<float> x = test_support::random_matrix<float>(8, 4, 17);
  x.bottomRows(4).setConstant(3e38f);
  const Matrix<float> y = labels(8);
  const FitOptions<float> options = quiet_fit().batch_size(4).shuffle(false).seed(18);

  Model<float> model = normalized_model();
  Model<float> twin = normalized_model();
  model.compile(Adam<float>(0.01), "binary_crossentropy", {"accuracy"});
  twin.compile(Adam<float>(0.01), "binary_crossentropy", {"accuracy"});

  const std::string message = message_of<FloatingPointError>([&] { model.fit(x, y, options); });
  CHECK_THAT(message, ContainsSubstring("fit: epoch 1, batch 2 of 2"));
  twin.fit(x.topRows(4), y.topRows(4), options);  // stops before batch 2 by itself

  // get_weights returns the moving mean and variance as arrays 4 and 5.
  check_same_weights(model.get_weights(), twin.get_weights());
  CHECK(model.optimizer()->iterations() == twin.optimizer()->iterations());
  CHECK(model.generator().state() == twin.generator().state());

  const Matrix<float> clean = test_support::random_matrix<float>(12, 4, 19);
  const FitOptions<float> next = quiet_fit().epochs(2).batch_size(4).validation_split(0.25);
  const History history = model.fit(clean, labels(12), next);
  const History twin_history = twin.fit(clean, labels(12), next);
  CHECK(history.history == twin_history.history);
  check_same_weights(model.get_weights(), twin.get_weights());
}

TEST_CASE("fit stops when a huge learning rate diverges", "[model][robustness]") {
  // After one step of size 1e30 the hidden sums overflow, and inf - inf gives NaN.
  const Matrix<float> x = test_support::random_matrix<float>(16, 4, 20);
  const Matrix<float> y = labels(16);
  const FitOptions<float> options = quiet_fit().batch_size(16).shuffle(false).seed(21);
  Model<float> model = small_model(4, 8, 80);
  Model<float> twin = small_model(4, 8, 80);
  model.compile(Adam<float>(1e30), "binary_crossentropy");
  twin.compile(Adam<float>(1e30), "binary_crossentropy");

  const std::string message = message_of<FloatingPointError>(
      [&] { model.fit(x, y, FitOptions<float>(options).epochs(5)); });
  CHECK_THAT(message, ContainsSubstring("fit: epoch 2, batch 1 of 1"));
  CHECK_THAT(message, ContainsSubstring("learning rate"));
  twin.fit(x, y, FitOptions<float>(options).epochs(1));

  check_same_weights(model.get_weights(), twin.get_weights());
  CHECK(all_finite(model.get_weights()));
  CHECK(model.optimizer()->iterations() == 1);
  CHECK(twin.optimizer()->iterations() == 1);

  // The next fit fails at the same step for both.
  const FitOptions<float> next = FitOptions<float>(options).epochs(1);
  CHECK(message_of<FloatingPointError>([&] { model.fit(x, y, next); }) ==
        message_of<FloatingPointError>([&] { twin.fit(x, y, next); }));
  check_same_weights(model.get_weights(), twin.get_weights());
}

TEST_CASE("fit stops when an update overflows", "[model][robustness]") {
  // With a learning rate of 3e38 the first step moves the weights to about 3e38, and the
  // second would move them past the largest float, while the loss stays finite because
  // the sigmoid saturates and the loss clips.
  const Matrix<float> x = test_support::random_matrix<float>(8, 1, 22, 0.5, 1.0);
  const Matrix<float> y = Matrix<float>::Ones(8, 1);
  const FitOptions<float> options = quiet_fit().batch_size(8).shuffle(false).seed(23);
  auto make = [] {
    Tensor<float> input = Input<float>(1);
    return Model<float>(input, Dense<float>(DenseOptions(1).activation("sigmoid").seed(24))(input));
  };
  Model<float> model = make();
  Model<float> twin = make();
  model.compile(Adam<float>(3e38), "binary_crossentropy");
  twin.compile(Adam<float>(3e38), "binary_crossentropy");

  CHECK_THROWS_AS(model.fit(x, y, FitOptions<float>(options).epochs(3)), FloatingPointError);
  twin.fit(x, y, FitOptions<float>(options).epochs(1));

  CHECK(all_finite(model.get_weights()));
  check_same_weights(model.get_weights(), twin.get_weights());
  CHECK(model.optimizer()->iterations() == 1);
}

TEST_CASE("training keeps moving statistics finite", "[model][robustness]") {
  // A batch variance beyond the largest float makes the moving variance inf, while the
  // normalized output (the deviations times 1 / sqrt(inf) = 0), the loss and the
  // gradients stay finite. Training may stop with FloatingPointError or go on, but the
  // weights must stay finite, so that set_weights accepts what get_weights returns.
  SECTION("fit on features of 1e20") {
    Tensor<float> input = Input<float>(4);
    Tensor<float> normalized = BatchNormalization<float>()(input);
    Model<float> model(input,
                       Dense<float>(DenseOptions(1).activation("sigmoid").seed(25))(normalized));
    model.compile("adam", "binary_crossentropy");
    const Matrix<float> x = test_support::random_matrix<float>(16, 4, 26) * 1e20f;
    const std::string message =
        message_of<FloatingPointError>([&] { model.fit(x, labels(16), quiet_fit().epochs(2)); });
    INFO("fit: " << message);
    CHECK(all_finite(model.get_weights()));
    CHECK_NOTHROW(model.set_weights(model.get_weights()));
  }
  SECTION("train_on_batch with one row of 3e38") {
    Model<float> model = normalized_model();
    model.compile("adam", "binary_crossentropy");
    Matrix<float> x = test_support::random_matrix<float>(4, 4, 32);
    x.row(2).setConstant(3e38f);
    const std::string message =
        message_of<FloatingPointError>([&] { model.train_on_batch(x, labels(4)); });
    INFO("train_on_batch: " << message);
    CHECK(all_finite(model.get_weights()));
    CHECK_NOTHROW(model.set_weights(model.get_weights()));
  }
}

TEST_CASE("failed step leaves the generator as before", "[model][robustness]") {
  // Dropout draws its mask from the model's generator in the forward pass of the batch
  // that then fails. A twin that stopped before that batch never drew that mask.
  auto make = [] {
    Tensor<float> input = Input<float>(4);
    Tensor<float> h = Dense<float>(DenseOptions(8).activation("relu").seed(27))(input);
    h = Dropout<float>(0.5)(h);
    return Model<float>(input, Dense<float>(DenseOptions(1).activation("sigmoid").seed(28))(h));
  };
  Matrix<float> x = test_support::random_matrix<float>(8, 4, 29);
  x.bottomRows(4).setConstant(3e38f);
  const Matrix<float> y = labels(8);
  const FitOptions<float> options = quiet_fit().batch_size(4).shuffle(false).seed(30);
  Model<float> model = make();
  Model<float> twin = make();
  model.compile("adam", "binary_crossentropy");
  twin.compile("adam", "binary_crossentropy");

  CHECK_THROWS_AS(model.fit(x, y, options), FloatingPointError);
  twin.fit(x.topRows(4), y.topRows(4), options);

  check_same_weights(model.get_weights(), twin.get_weights());
  CHECK(model.generator().state() == twin.generator().state());
  const Matrix<float> clean = test_support::random_matrix<float>(8, 4, 31);
  const History history = model.fit(clean, y, quiet_fit().batch_size(4));
  const History twin_history = twin.fit(clean, y, quiet_fit().batch_size(4));
  CHECK(history.history == twin_history.history);
}

TEST_CASE("train_on_batch stops before a non-finite step", "[model][robustness]") {
  // Half the rows hold 3e38 in every feature, so the Dense sums overflow in float and
  // BatchNormalization turns inf - inf into NaN.
  Matrix<float> bad = test_support::random_matrix<float>(8, 4, 32);
  bad.bottomRows(4).setConstant(3e38f);
  const Matrix<float> good = test_support::random_matrix<float>(8, 4, 33);
  const Matrix<float> y = labels(8);
  Model<float> model = normalized_model();
  Model<float> twin = normalized_model();
  model.compile(Adam<float>(0.01), "binary_crossentropy", {"accuracy"});
  twin.compile(Adam<float>(0.01), "binary_crossentropy", {"accuracy"});
  model.train_on_batch(good, y);
  twin.train_on_batch(good, y);

  const std::string message = message_of<FloatingPointError>([&] { model.train_on_batch(bad, y); });
  CHECK_THAT(message, ContainsSubstring("train_on_batch: the loss is"));
  check_same_weights(model.get_weights(), twin.get_weights());
  CHECK(model.optimizer()->iterations() == 1);

  const Logs logs = model.train_on_batch(good, y);
  const Logs twin_logs = twin.train_on_batch(good, y);
  CHECK(logs == twin_logs);
  check_same_weights(model.get_weights(), twin.get_weights());
}

TEST_CASE("set_weights rejects a negative moving_variance", "[model][robustness]") {
  Model<float> model = normalized_model();
  const std::vector<Matrix<float>> before = model.get_weights();
  REQUIRE(before.size() == 8);  // kernel, bias, gamma, beta, mean, variance, kernel, bias

  for (const float negative : {-1.0f, -1e-30f}) {
    INFO("moving_variance " << negative);
    std::vector<Matrix<float>> weights = before;
    weights[0].setConstant(0.25f);  // an earlier, valid change that must not apply
    weights[5](3, 0) = negative;
    CHECK_THROWS_AS(model.set_weights(weights), ValueError);
    CHECK_THROWS_WITH(model.set_weights(weights), ContainsSubstring("moving_variance"));
    check_same_weights(model.get_weights(), before);
  }

  std::vector<Matrix<float>> valid = before;
  valid[5].setZero();
  valid[5](0, 0) = -0.0f;
  valid[2].setConstant(-2.0f);  // a negative gamma is a valid scale
  CHECK_NOTHROW(model.set_weights(valid));
}

// ---------------------------------------------------------------------------------------
// Integer braced lists

TEST_CASE("integer braced lists are not data", "[model][robustness]") {
  // {1, 2} would convert to Eigen's uninitialised (1, 2) matrix through its
  // Matrix(rows, cols) constructor.
  using M = Model<float>;
  CHECK_FALSE(predict_accepts_int_list<M>::value);
  CHECK_FALSE(predict_with_options_accepts_int_list<M>::value);
  CHECK_FALSE(predict_accepts_unsigned_list<M>::value);
  CHECK_FALSE(fit_accepts_int_list<M>::value);
  CHECK_FALSE(fit_with_options_accepts_int_list<M>::value);
  CHECK_FALSE(evaluate_accepts_int_list<M>::value);
  CHECK_FALSE(train_on_batch_accepts_int_list<M>::value);
  CHECK_FALSE(test_on_batch_accepts_int_list<M>::value);

  // The detectors do see calls that compile.
  CHECK(predict_accepts_matrix<M>::value);
  CHECK(predict_accepts_matrix_list<M>::value);
  CHECK(fit_accepts_matrix_list<M>::value);
}

TEST_CASE("mixed integer braced lists are not data", "[model][robustness]") {
  // {rows, 2} with an Index and an int deduces no single initializer_list type.
  using M = Model<float>;
  CHECK_FALSE(predict_accepts_mixed_int_list<M>::value);
  CHECK_FALSE(fit_accepts_mixed_int_list<M>::value);
}

TEST_CASE("validation_data rejects integer braced lists", "[model][robustness]") {
  CHECK_FALSE(validation_data_accepts_int_list<FitOptions<float>>::value);
}

// ---------------------------------------------------------------------------------------
// Low-level calls

TEST_CASE("forward_batch checks its inputs", "[model][robustness]") {
  Model<float> model = normalized_model();
  const Matrix<float> wide = test_support::random_matrix<float>(5, 7, 34);
  const Matrix<float> x = test_support::random_matrix<float>(5, 4, 35);
  Matrix<float> with_nan = x;
  with_nan(1, 2) = std::numeric_limits<float>::quiet_NaN();

  CHECK_THROWS_AS(model.forward_batch({&wide}, false), ShapeError);
  CHECK_THROWS_WITH(model.forward_batch({&wide}, false), ContainsSubstring("(5, 7)"));
  CHECK_THROWS_AS(model.forward_batch({}, false), ValueError);
  CHECK_THROWS_AS(model.forward_batch({&x, &x}, true), ValueError);
  CHECK_THROWS_AS(model.forward_batch({&with_nan}, true), ValueError);

  CHECK(model.forward_batch({&x}, false).rows() == 5);
}

TEST_CASE("backward_batch needs a training forward pass", "[model][robustness]") {
  Model<float> model = normalized_model();
  model.compile("adam", "binary_crossentropy");
  const Matrix<float> x = test_support::random_matrix<float>(5, 4, 36);
  const Matrix<float> gradient = Matrix<float>::Ones(5, 1);

  SECTION("before any forward pass") {
    CHECK_THROWS_AS(model.backward_batch(gradient), StateError);
    CHECK_THROWS_WITH(model.backward_batch(gradient), ContainsSubstring("forward_batch(x, true)"));
  }
  SECTION("after an inference forward pass") {
    model.forward_batch({&x}, true);
    model.forward_batch({&x}, false);
    CHECK_THROWS_AS(model.backward_batch(gradient), StateError);
  }
  SECTION("after predict and evaluate") {
    model.forward_batch({&x}, true);
    model.predict(x, quiet());
    CHECK_THROWS_AS(model.backward_batch(gradient), StateError);
    model.forward_batch({&x}, true);
    model.evaluate(x, labels(5), quiet());
    CHECK_THROWS_AS(model.backward_batch(gradient), StateError);
  }
  SECTION("with a gradient of another shape") {
    model.forward_batch({&x}, true);
    CHECK_THROWS_AS(model.backward_batch(Matrix<float>::Ones(4, 1)), ShapeError);
    CHECK_THROWS_AS(model.backward_batch(Matrix<float>::Ones(5, 2)), ShapeError);
    CHECK_THROWS_WITH(model.backward_batch(Matrix<float>::Ones(5, 2)),
                      ContainsSubstring("(5, 2)") && ContainsSubstring("(5, 1)"));
    std::vector<Matrix<float>> input_gradients;
    CHECK_NOTHROW(model.backward_batch(gradient, &input_gradients));
    REQUIRE(input_gradients.size() == 1);
    CHECK(input_gradients[0].rows() == 5);
    CHECK(input_gradients[0].cols() == 4);
  }
}

TEST_CASE("Generator below rejects a bound of 0", "[model][robustness]") {
  Generator generator(1);
  CHECK_THROWS_AS(generator.below(0), ValueError);
  CHECK(generator.below(1) == 0);
}

// ---------------------------------------------------------------------------------------
// Widths and weights too large

TEST_CASE("Concatenate rejects an overflowing width", "[model][robustness]") {
  const std::vector<std::vector<Index>> overflowing = {
      {max_index, max_index}, {max_index - 1, 1, 1}, {1, max_index}};
  for (const std::vector<Index>& widths : overflowing) {
    std::vector<Tensor<float>> inputs;
    for (const Index width : widths) inputs.push_back(Input<float>(width));
    Concatenate<float> concatenate;
    INFO("widths " << widths.front() << ", ..., " << widths.back());
    REQUIRE_THROWS_AS(concatenate(inputs), Error);
    CHECK_THROWS_AS(concatenate(inputs), ValueError);
    CHECK_THROWS_WITH(concatenate(inputs), ContainsSubstring("(None, 9223372036854775807)") ||
                                               ContainsSubstring("(None, 9223372036854775806)"));
    CHECK_FALSE(concatenate->built());
  }

  Concatenate<float> exact;
  CHECK(exact({Input<float>(max_index - 1), Input<float>(1)}).width() == max_index);
}

#if !defined(SINAPSE_TEST_ADDRESS_SANITIZER)
TEST_CASE("huge layers raise ValueError", "[model][robustness]") {
  // NOTE: these sizes exceed the memory of any current machine, so the allocation fails at
  // once; with vm.overcommit_memory=1 on Linux it may instead succeed and then exhaust the
  // memory while the weights are filled.
  SECTION("kernel of 2^40 rows") {
    Dense<float> dense(1);
    CHECK_THROWS_AS(dense(Input<float>(Index(1) << 40)), ValueError);
    CHECK_THROWS_WITH(dense(Input<float>(Index(1) << 40)), ContainsSubstring("(1099511627776, 1)"));
    // The failed call leaves the layer unbuilt, so it still fits a small input.
    CHECK_FALSE(dense->built());
    CHECK(dense(Input<float>(20)).width() == 1);
    CHECK(dense->kernel().value.rows() == 20);
  }
  SECTION("kernel of 10^12 units") {
    CHECK_THROWS_AS(Dense<float>(1000000000000LL)(Input<float>(20)), ValueError);
    CHECK_THROWS_WITH(Dense<float>(1000000000000LL)(Input<float>(20)),
                      ContainsSubstring("(20, 1000000000000)"));
  }
  SECTION("kernel whose size overflows Index") {
    CHECK_THROWS_AS(Dense<double>(2)(Input<double>(max_index)), ValueError);
    CHECK_THROWS_WITH(Dense<double>(2)(Input<double>(max_index)),
                      ContainsSubstring("(9223372036854775807, 2)"));
  }
  SECTION("BatchNormalization of 2^40 features") {
    CHECK_THROWS_AS(BatchNormalization<float>()(Input<float>(Index(1) << 40)), ValueError);
  }
}
#endif

// ---------------------------------------------------------------------------------------
// Metric names

TEST_CASE("compile rejects metric names of log keys", "[model][robustness]") {
  Model<float> model = small_model(4, 8, 90);
  model.compile(Adam<float>(0.03), "binary_crossentropy", {"accuracy"});

  for (const char* name : {"val_loss", "val_accuracy", "val_x", "loss"}) {
    INFO("metric name " << name);
    CHECK_THROWS_AS(model.compile("adam", "binary_crossentropy", {BinaryAccuracy<float>(name)}),
                    ValueError);
    CHECK_THROWS_WITH(
        model.compile("adam", "binary_crossentropy", {"accuracy", BinaryAccuracy<float>(name)}),
        ContainsSubstring(std::string("\"") + name + "\""));
  }
  // The rejected calls keep the earlier compile.
  CHECK(model.metrics_names() == std::vector<std::string>{"loss", "accuracy"});
  CHECK(dynamic_cast<const Adam<float>*>(model.optimizer())->learning_rate() == 0.03);

  CHECK_NOTHROW(model.compile("adam", "binary_crossentropy", {BinaryAccuracy<float>("validity")}));
  CHECK_NOTHROW(model.compile("adam", "binary_crossentropy", {BinaryAccuracy<float>("acc_val")}));
}

// ---------------------------------------------------------------------------------------
// Messages

TEST_CASE("input count message names both counts", "[model][robustness]") {
  Tensor<float> left = Input<float>(2);
  Tensor<float> right = Input<float>(3);
  Tensor<float> joined = Concatenate<float>()({left, right});
  Model<float> model({left, right},
                     Dense<float>(DenseOptions(1).activation("sigmoid").seed(91))(joined));
  model.compile("adam", "binary_crossentropy");
  const Matrix<float> x = test_support::random_matrix<float>(4, 2, 37);

  const std::string fit_message =
      message_of<ValueError>([&] { model.fit(x, labels(4), quiet_fit()); });
  CHECK_THAT(fit_message, ContainsSubstring("expected 2"));
  CHECK_THAT(fit_message, ContainsSubstring("got 1"));
  const std::string predict_message = message_of<ValueError>([&] {
    model.predict({x, x, x}, quiet());
  });
  CHECK_THAT(predict_message, ContainsSubstring("expected 2"));
  CHECK_THAT(predict_message, ContainsSubstring("got 3"));
}

TEST_CASE("predict NaN message does not mention training", "[model][robustness]") {
  Model<float> model = small_model(4, 8, 92);
  Matrix<float> x = test_support::random_matrix<float>(3, 4, 38);
  x(1, 0) = std::numeric_limits<float>::quiet_NaN();
  const std::string message = message_of<ValueError>([&] { model.predict(x, quiet()); });
  CHECK_THAT(message, ContainsSubstring("predict: x contains nan at row 1, column 0"));
  CHECK_THAT(message, !ContainsSubstring("training"));
}

TEST_CASE("validation_batch_size message names it", "[model][robustness]") {
  Model<float> model = small_model(4, 8, 93);
  model.compile("adam", "binary_crossentropy");
  const Matrix<float> x = test_support::random_matrix<float>(8, 4, 39);
  for (const Index size : {Index(0), Index(-1)}) {
    INFO("validation_batch_size " << size);
    const std::string message = message_of<ValueError>([&] {
      model.fit(x, labels(8), quiet_fit().validation_split(0.25).validation_batch_size(size));
    });
    CHECK_THAT(message, ContainsSubstring("validation_batch_size"));
  }
}

TEST_CASE("merge layer on one tensor explains {a}", "[model][robustness]") {
  Tensor<float> a = Input<float>(2);
  const std::string add_message = message_of<ValueError>([&] { Add<float>()(a); });
  CHECK_THAT(add_message, ContainsSubstring("{a}"));
  CHECK_THAT(add_message, ContainsSubstring("std::vector"));
  const std::string concatenate_message =
      message_of<ValueError>([&] { Concatenate<float>()({a}); });
  CHECK_THAT(concatenate_message, ContainsSubstring("{a}"));
}

TEST_CASE("empty output message says what to pass", "[model][robustness]") {
  Tensor<float> input = Input<float>(2);
  const std::string message =
      message_of<ValueError>([&] { Model<float> model(input, Tensor<float>()); });
  CHECK_THAT(message, ContainsSubstring("empty Tensor"));
  CHECK_THAT(message, ContainsSubstring("pass the result of a layer call"));
}

namespace {

/// Input(1) -> Dense(1, sigmoid) with zero weights, compiled with Adam and BCE.
Model<float> zero_logistic_model() {
  Tensor<float> x = Input<float>(1);
  Tensor<float> output = Dense<float>(1, "sigmoid")(x);
  Model<float> model(x, output);
  model.compile("adam", "binary_crossentropy");
  std::vector<Matrix<float>> weights = model.get_weights();
  for (Matrix<float>& weight : weights) weight.setZero();
  model.set_weights(weights);
  return model;
}

}  // namespace

TEST_CASE("Adam rejects a step with an inf velocity", "[model][robustness]") {
  // The gradient (0.5 - 0) * 1e20 is finite, but its square overflows float, so the
  // velocity would become inf while the weight update stays finite (m / inf = 0).
  Model<float> model = zero_logistic_model();
  const Matrix<float> huge = Matrix<float>::Constant(1, 1, 1e20f);
  const Matrix<float> zero = Matrix<float>::Zero(1, 1);

  CHECK_THROWS_AS(model.train_on_batch(huge, zero), FloatingPointError);
  CHECK(model.optimizer()->iterations() == 0);
  CHECK_FALSE(model.optimizer()->built());

  const Matrix<float> x = Matrix<float>::Constant(4, 1, 0.5f);
  const Matrix<float> y = Matrix<float>::Ones(4, 1);
  CHECK_NOTHROW(model.fit(x, y, FitOptions<float>().epochs(2).verbose(0)));
  CHECK(model.optimizer()->iterations() == 2);
}

TEST_CASE("fit rejected first step restores everything", "[model][robustness]") {
  Model<float> model = zero_logistic_model();
  const Generator::State before = model.generator().state();
  const Matrix<float> huge = Matrix<float>::Constant(3, 1, 1e20f);
  const Matrix<float> zero = Matrix<float>::Zero(3, 1);

  CHECK_THROWS_WITH(model.fit(huge, zero, FitOptions<float>().verbose(0).seed(9)),
                    ContainsSubstring("fit: epoch 1, batch 1 of 1"));
  CHECK(model.generator().state() == before);
  CHECK_FALSE(model.optimizer()->built());
  std::ostringstream summary;
  model.summary(summary);
  CHECK(summary.str().find("Optimizer params") == std::string::npos);
}

TEST_CASE("inference rejects overflowing outputs", "[model][robustness]") {
  // Both hidden units overflow to inf for the first sample, and inf - inf is NaN.
  Tensor<float> x = Input<float>(1);
  Tensor<float> hidden = Dense<float>(2, "relu")(x);
  Tensor<float> output = Dense<float>(1, "sigmoid")(hidden);
  Model<float> model(x, output);
  model.compile("adam", "binary_crossentropy");
  std::vector<Matrix<float>> weights = model.get_weights();
  weights[0] << 10.0f, 10.0f;
  weights[1].setZero();
  weights[2] << 1.0f, -1.0f;
  weights[3].setZero();
  model.set_weights(weights);
  Matrix<float> data(2, 1);
  data << 1.0f, 1e38f;
  const Matrix<float> labels = Matrix<float>::Zero(2, 1);

  CHECK_THROWS_AS(model.predict(data, PredictOptions().verbose(0)), FloatingPointError);
  CHECK_THROWS_WITH(model.predict(data, PredictOptions().verbose(0)),
                    ContainsSubstring("output for sample 1"));
  CHECK_THROWS_AS(model.evaluate(data, labels, EvaluateOptions().verbose(0)), FloatingPointError);
  CHECK_THROWS_AS(model.test_on_batch(data, labels), FloatingPointError);
  CHECK_THROWS_WITH(model.fit(data.topRows(1), labels.topRows(1),
                              FitOptions<float>().verbose(0).validation_data(data, labels)),
                    ContainsSubstring("fit: validation"));
}

TEST_CASE("summary rejects absurd line lengths", "[model][robustness]") {
  Model<float> model = zero_logistic_model();
  for (int line_length : {-5, 1, 19, 1001, std::numeric_limits<int>::max()}) {
    INFO("line_length " << line_length);
    CHECK_THROWS_AS(model.summary_string(line_length), ValueError);
  }
  CHECK_NOTHROW(model.summary_string(20));
  CHECK_NOTHROW(model.summary_string(1000));
}
