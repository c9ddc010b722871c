// Tests of every rejected input: the exception type, a message that names the problem and
// the offending value, and a model left exactly as it was (weights, optimizer steps and
// the training generator).
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <sinapse/sinapse.hpp>

#include "support/catch.hpp"

namespace {

using namespace sinapse;

using Catch::Matchers::ContainsSubstring;

const float nan_value = std::numeric_limits<float>::quiet_NaN();
const float inf_value = std::numeric_limits<float>::infinity();

/// Returns a (rows, cols) matrix of values in [0, 1), which suit both x and labels.
Matrix<float> random_matrix(Index rows, Index cols, std::uint64_t seed = 1) {
  Generator generator(seed);
  Matrix<float> result(rows, cols);
  for (Index j = 0; j < cols; ++j) {
    for (Index i = 0; i < rows; ++i) result(i, j) = static_cast<float>(generator.uniform());
  }
  return result;
}

/// Returns alternating 0/1 labels for `rows` samples.
Matrix<float> labels(Index rows) {
  Matrix<float> y(rows, 1);
  for (Index i = 0; i < rows; ++i) y(i, 0) = static_cast<float>(i % 2);
  return y;
}

/// Input(3) -> Dense(4, relu) -> Dropout(0.5) -> BatchNormalization -> Dense(1, sigmoid),
/// compiled and trained for one step, so a rejected call could visibly change the
/// weights, the moving statistics, the optimizer's step count or the generator.
Model<float> make_trained_model() {
  Tensor<float> x = Input<float>(3);
  Tensor<float> hidden = Dense<float>(DenseOptions(4).activation("relu").seed(61))(x);
  hidden = Dropout<float>(0.5)(hidden);
  hidden = BatchNormalization<float>()(hidden);
  Model<float> model(x, Dense<float>(DenseOptions(1).activation("sigmoid").seed(62))(hidden));
  model.compile("adam", "binary_crossentropy", {"accuracy"});
  model.train_on_batch(random_matrix(10, 3), labels(10));
  return model;
}

/// What a rejected call must leave unchanged.
struct Snapshot {
  std::vector<Matrix<float>> weights;
  long long iterations = -1;
  Generator::State generator{};
};

Snapshot snapshot_of(Model<float>& model) {
  Snapshot result;
  result.weights = model.get_weights();
  if (model.optimizer() != nullptr) result.iterations = model.optimizer()->iterations();
  result.generator = model.generator().state();
  return result;
}

#define CHECK_UNCHANGED(model, before)               \
  do {                                               \
    const Snapshot after_ = snapshot_of(model);      \
    CHECK(after_.weights == (before).weights);       \
    CHECK(after_.iterations == (before).iterations); \
    CHECK(after_.generator == (before).generator);   \
  } while (false)

/// A model call that takes x and y, with its name as it appears in messages.
struct Caller {
  std::string name;
  std::function<void(const Matrix<float>&, const Matrix<float>&)> call;
};

std::vector<Caller> callers_of(Model<float>& model) {
  return {
      {"fit",
       [&model](const Matrix<float>& x, const Matrix<float>& y) {
         model.fit(x, y, FitOptions<float>().verbose(0));
       }},
      {"evaluate",
       [&model](const Matrix<float>& x, const Matrix<float>& y) {
         model.evaluate(x, y, EvaluateOptions().verbose(0));
       }},
      {"train_on_batch",
       [&model](const Matrix<float>& x, const Matrix<float>& y) { model.train_on_batch(x, y); }},
      {"test_on_batch",
       [&model](const Matrix<float>& x, const Matrix<float>& y) { model.test_on_batch(x, y); }},
  };
}

void predict_quietly(Model<float>& model, const Matrix<float>& x) {
  model.predict(x, EvaluateOptions().verbose(0));
}

}  // namespace

TEST_CASE("reject rows of x and y differing", "[model][rejection]") {
  Model<float> model = make_trained_model();
  const Snapshot before = snapshot_of(model);
  const Matrix<float> x = random_matrix(10, 3);
  const Matrix<float> y = labels(9);

  for (const Caller& caller : callers_of(model)) {
    INFO(caller.name);
    CHECK_THROWS_AS(caller.call(x, y), ShapeError);
    CHECK_THROWS_WITH(caller.call(x, y), ContainsSubstring(caller.name + ": y has 9 rows") &&
                                             ContainsSubstring("x has 10"));
  }
  CHECK_UNCHANGED(model, before);
}

TEST_CASE("reject a wrong feature count", "[model][rejection]") {
  Model<float> model = make_trained_model();
  const Snapshot before = snapshot_of(model);
  const Matrix<float> x = random_matrix(10, 4);
  const Matrix<float> y = labels(10);

  for (const Caller& caller : callers_of(model)) {
    INFO(caller.name);
    CHECK_THROWS_AS(caller.call(x, y), ShapeError);
    CHECK_THROWS_WITH(caller.call(x, y), ContainsSubstring(caller.name + ": x has shape (10, 4)") &&
                                             ContainsSubstring("(samples, 3)") &&
                                             ContainsSubstring("'input_layer"));
  }
  CHECK_THROWS_AS(predict_quietly(model, x), ShapeError);
  CHECK_THROWS_WITH(predict_quietly(model, x), ContainsSubstring("predict: x has shape (10, 4)"));
  CHECK_UNCHANGED(model, before);
}

TEST_CASE("reject y with wrong columns", "[model][rejection]") {
  Model<float> model = make_trained_model();
  const Snapshot before = snapshot_of(model);
  const Matrix<float> x = random_matrix(10, 3);
  const Matrix<float> y = random_matrix(10, 2);

  for (const Caller& caller : callers_of(model)) {
    INFO(caller.name);
    CHECK_THROWS_AS(caller.call(x, y), ShapeError);
    CHECK_THROWS_WITH(caller.call(x, y), ContainsSubstring(caller.name + ": y has shape (10, 2)") &&
                                             ContainsSubstring("(samples, 1)"));
  }
  CHECK_UNCHANGED(model, before);
}

TEST_CASE("reject empty data", "[model][rejection]") {
  Model<float> model = make_trained_model();
  const Snapshot before = snapshot_of(model);
  const Matrix<float> x(0, 3);
  const Matrix<float> y(0, 1);

  for (const Caller& caller : callers_of(model)) {
    INFO(caller.name);
    CHECK_THROWS_AS(caller.call(x, y), ValueError);
    CHECK_THROWS_WITH(caller.call(x, y), ContainsSubstring(caller.name + ": x has no rows"));
  }
  CHECK_THROWS_AS(predict_quietly(model, x), ValueError);
  CHECK_THROWS_WITH(predict_quietly(model, x), ContainsSubstring("predict: x has no rows"));
  CHECK_UNCHANGED(model, before);
}

TEST_CASE("reject NaN and inf in x", "[model][rejection]") {
  Model<float> model = make_trained_model();
  const Snapshot before = snapshot_of(model);
  const Matrix<float> y = labels(10);
  struct BadValue {
    float value;
    const char* text;
  };
  const BadValue bad_values[] = {{nan_value, "nan"}, {inf_value, "inf"}, {-inf_value, "-inf"}};

  for (const BadValue& bad : bad_values) {
    Matrix<float> x = random_matrix(10, 3);
    x(2, 1) = bad.value;
    const std::string expected = std::string("x contains ") + bad.text + " at row 2, column 1";
    for (const Caller& caller : callers_of(model)) {
      INFO(caller.name << " with " << bad.text);
      CHECK_THROWS_AS(caller.call(x, y), ValueError);
      CHECK_THROWS_WITH(caller.call(x, y), ContainsSubstring(caller.name + ": " + expected));
    }
    CHECK_THROWS_AS(predict_quietly(model, x), ValueError);
    CHECK_THROWS_WITH(predict_quietly(model, x), ContainsSubstring("predict: " + expected));
  }
  CHECK_UNCHANGED(model, before);
}

TEST_CASE("reject NaN and inf in y", "[model][rejection]") {
  Model<float> model = make_trained_model();
  const Snapshot before = snapshot_of(model);
  const Matrix<float> x = random_matrix(10, 3);

  for (float bad : {nan_value, inf_value}) {
    Matrix<float> y = labels(10);
    y(3, 0) = bad;
    const std::string text = std::isnan(bad) ? "nan" : "inf";
    for (const Caller& caller : callers_of(model)) {
      INFO(caller.name << " with " << text);
      CHECK_THROWS_AS(caller.call(x, y), ValueError);
      CHECK_THROWS_WITH(caller.call(x, y), ContainsSubstring(caller.name + ": y contains " + text +
                                                             " at row 3, column 0"));
    }
  }
  CHECK_UNCHANGED(model, before);
}

TEST_CASE("reject labels outside [0, 1]", "[model][rejection]") {
  Model<float> model = make_trained_model();
  const Snapshot before = snapshot_of(model);
  const Matrix<float> x = random_matrix(10, 3);
  struct BadLabel {
    float value;
    const char* text;
  };
  const BadLabel bad_labels[] = {{2.0f, "2"}, {-0.5f, "-0.5"}, {1.25f, "1.25"}};

  for (const BadLabel& bad : bad_labels) {
    Matrix<float> y = labels(10);
    y(5, 0) = bad.value;
    for (const Caller& caller : callers_of(model)) {
      INFO(caller.name << " with " << bad.text);
      CHECK_THROWS_AS(caller.call(x, y), ValueError);
      CHECK_THROWS_WITH(caller.call(x, y), ContainsSubstring(caller.name + ": y contains " +
                                                             bad.text + " at row 5, column 0") &&
                                               ContainsSubstring("[0, 1]"));
    }
  }
  CHECK_UNCHANGED(model, before);
}

TEST_CASE("reject batch_size below 1", "[model][rejection]") {
  Model<float> model = make_trained_model();
  const Snapshot before = snapshot_of(model);
  const Matrix<float> x = random_matrix(10, 3);
  const Matrix<float> y = labels(10);

  for (Index batch_size : {0, -3}) {
    INFO("batch_size " << batch_size);
    const std::string got = "batch_size must be at least 1, got " + std::to_string(batch_size);
    CHECK_THROWS_AS(model.fit(x, y, FitOptions<float>().verbose(0).batch_size(batch_size)),
                    ValueError);
    CHECK_THROWS_WITH(model.fit(x, y, FitOptions<float>().verbose(0).batch_size(batch_size)),
                      ContainsSubstring("fit: " + got));
    CHECK_THROWS_AS(model.evaluate(x, y, EvaluateOptions().verbose(0).batch_size(batch_size)),
                    ValueError);
    CHECK_THROWS_WITH(model.evaluate(x, y, EvaluateOptions().verbose(0).batch_size(batch_size)),
                      ContainsSubstring("evaluate: " + got));
    CHECK_THROWS_AS(model.predict(x, EvaluateOptions().verbose(0).batch_size(batch_size)),
                    ValueError);
    CHECK_THROWS_WITH(model.predict(x, EvaluateOptions().verbose(0).batch_size(batch_size)),
                      ContainsSubstring("predict: " + got));
    CHECK_THROWS_AS(
        model.fit(
            x, y,
            FitOptions<float>().verbose(0).validation_split(0.5).validation_batch_size(batch_size)),
        ValueError);
    CHECK_THROWS_WITH(
        model.fit(
            x, y,
            FitOptions<float>().verbose(0).validation_split(0.5).validation_batch_size(batch_size)),
        ContainsSubstring("validation") && ContainsSubstring(got));
  }
  CHECK_UNCHANGED(model, before);
}

TEST_CASE("reject negative epochs", "[model][rejection]") {
  Model<float> model = make_trained_model();
  const Snapshot before = snapshot_of(model);

  CHECK_THROWS_AS(model.fit(random_matrix(10, 3), labels(10), FitOptions<float>().epochs(-1)),
                  ValueError);
  CHECK_THROWS_WITH(model.fit(random_matrix(10, 3), labels(10), FitOptions<float>().epochs(-1)),
                    ContainsSubstring("fit: epochs must be >= 0, got -1"));
  CHECK_UNCHANGED(model, before);
}

TEST_CASE("reject verbose outside 0..2", "[model][rejection]") {
  Model<float> model = make_trained_model();
  const Snapshot before = snapshot_of(model);
  const Matrix<float> x = random_matrix(10, 3);
  const Matrix<float> y = labels(10);

  for (int verbose : {-1, 3}) {
    INFO("verbose " << verbose);
    const std::string got = "verbose must be 0, 1 or 2, got " + std::to_string(verbose);
    CHECK_THROWS_AS(model.fit(x, y, FitOptions<float>().verbose(verbose)), ValueError);
    CHECK_THROWS_WITH(model.fit(x, y, FitOptions<float>().verbose(verbose)),
                      ContainsSubstring("fit: " + got));
    CHECK_THROWS_AS(model.evaluate(x, y, EvaluateOptions().verbose(verbose)), ValueError);
    CHECK_THROWS_WITH(model.evaluate(x, y, EvaluateOptions().verbose(verbose)),
                      ContainsSubstring("evaluate: " + got));
    CHECK_THROWS_AS(model.predict(x, EvaluateOptions().verbose(verbose)), ValueError);
    CHECK_THROWS_WITH(model.predict(x, EvaluateOptions().verbose(verbose)),
                      ContainsSubstring("predict: " + got));
  }
  CHECK_UNCHANGED(model, before);
}

TEST_CASE("reject validation_split outside (0, 1)", "[model][rejection]") {
  Model<float> model = make_trained_model();
  const Snapshot before = snapshot_of(model);
  const Matrix<float> x = random_matrix(10, 3);
  const Matrix<float> y = labels(10);

  for (double split : {-0.1, 1.0, 1.5, std::numeric_limits<double>::quiet_NaN()}) {
    INFO("validation_split " << split);
    const FitOptions<float> options = FitOptions<float>().verbose(0).validation_split(split);
    CHECK_THROWS_AS(model.fit(x, y, options), ValueError);
    CHECK_THROWS_WITH(model.fit(x, y, options),
                      ContainsSubstring("validation_split must be in (0, 1)"));
  }
  CHECK_THROWS_WITH(model.fit(x, y, FitOptions<float>().verbose(0).validation_split(1.5)),
                    ContainsSubstring("got 1.5"));
  CHECK_UNCHANGED(model, before);
}

TEST_CASE("reject a split leaving an empty part", "[model][rejection]") {
  Model<float> model = make_trained_model();
  const Snapshot before = snapshot_of(model);

  SECTION("no training rows") {
    // 5 * (1 - 0.8) is 0.9999999999999998 in double, which floors to 0, as in Keras.
    const FitOptions<float> options = FitOptions<float>().verbose(0).validation_split(0.8);
    CHECK_THROWS_AS(model.fit(random_matrix(5, 3), labels(5), options), ValueError);
    CHECK_THROWS_WITH(
        model.fit(random_matrix(5, 3), labels(5), options),
        ContainsSubstring("validation_split 0.8 of 5 samples") && ContainsSubstring("no training"));
    CHECK_THROWS_AS(model.fit(random_matrix(1, 3), labels(1),
                              FitOptions<float>().verbose(0).validation_split(0.5)),
                    ValueError);
  }

  SECTION("no validation rows") {
    // 1 - 1e-17 rounds to 1, so every row would train.
    const FitOptions<float> options = FitOptions<float>().verbose(0).validation_split(1e-17);
    CHECK_THROWS_AS(model.fit(random_matrix(10, 3), labels(10), options), ValueError);
    CHECK_THROWS_WITH(model.fit(random_matrix(10, 3), labels(10), options),
                      ContainsSubstring("no validation"));
  }

  CHECK_UNCHANGED(model, before);
}

TEST_CASE("reject bad validation_data", "[model][rejection]") {
  Model<float> model = make_trained_model();
  const Snapshot before = snapshot_of(model);
  const Matrix<float> x = random_matrix(10, 3);
  const Matrix<float> y = labels(10);
  auto fit_with = [&](const Matrix<float>& validation_x, const Matrix<float>& validation_y) {
    model.fit(x, y, FitOptions<float>().verbose(0).validation_data(validation_x, validation_y));
  };

  CHECK_THROWS_AS(fit_with(random_matrix(5, 4), labels(5)), ShapeError);
  CHECK_THROWS_WITH(fit_with(random_matrix(5, 4), labels(5)),
                    ContainsSubstring("fit: validation_data: x has shape (5, 4)"));
  CHECK_THROWS_AS(fit_with(random_matrix(5, 3), random_matrix(5, 2)), ShapeError);
  CHECK_THROWS_WITH(fit_with(random_matrix(5, 3), random_matrix(5, 2)),
                    ContainsSubstring("fit: validation_data: y has shape (5, 2)"));
  CHECK_THROWS_AS(fit_with(random_matrix(5, 3), labels(4)), ShapeError);
  CHECK_THROWS_WITH(fit_with(random_matrix(5, 3), labels(4)),
                    ContainsSubstring("validation_data: y has 4 rows but x has 5"));
  CHECK_THROWS_AS(fit_with(Matrix<float>(0, 3), Matrix<float>(0, 1)), ValueError);

  Matrix<float> bad_x = random_matrix(5, 3);
  bad_x(1, 1) = nan_value;
  CHECK_THROWS_AS(fit_with(bad_x, labels(5)), ValueError);
  CHECK_THROWS_WITH(fit_with(bad_x, labels(5)), ContainsSubstring("nan at row 1, column 1"));
  Matrix<float> bad_y = labels(5);
  bad_y(4, 0) = 3.0f;
  CHECK_THROWS_AS(fit_with(random_matrix(5, 3), bad_y), ValueError);
  CHECK_THROWS_WITH(fit_with(random_matrix(5, 3), bad_y),
                    ContainsSubstring("validation_data: y contains 3 at row 4"));
  CHECK_UNCHANGED(model, before);
}

TEST_CASE("reject calls before compile", "[model][rejection]") {
  Tensor<float> input = Input<float>(3);
  Model<float> model(input, Dense<float>(1, "sigmoid")(input));
  const Snapshot before = snapshot_of(model);
  const Matrix<float> x = random_matrix(10, 3);
  const Matrix<float> y = labels(10);

  for (const Caller& caller : callers_of(model)) {
    INFO(caller.name);
    CHECK_THROWS_AS(caller.call(x, y), StateError);
    CHECK_THROWS_WITH(caller.call(x, y), ContainsSubstring(caller.name + ": the model is not "
                                                                         "compiled") &&
                                             ContainsSubstring("compile("));
  }
  CHECK_FALSE(model.compiled());
  CHECK(model.optimizer() == nullptr);
  CHECK_UNCHANGED(model, before);
}

TEST_CASE("reject unknown compile names", "[model][rejection]") {
  Model<float> model = make_trained_model();
  const Snapshot before = snapshot_of(model);

  CHECK_THROWS_AS(model.compile("sgd", "binary_crossentropy"), ValueError);
  CHECK_THROWS_WITH(model.compile("sgd", "binary_crossentropy"),
                    ContainsSubstring("unknown optimizer \"sgd\"") && ContainsSubstring("adam"));
  CHECK_THROWS_AS(model.compile("adam", "mse"), ValueError);
  CHECK_THROWS_WITH(model.compile("adam", "mse"), ContainsSubstring("unknown loss \"mse\"") &&
                                                      ContainsSubstring("binary_crossentropy"));
  CHECK_THROWS_AS(model.compile("adam", "binary_crossentropy", {"precision"}), ValueError);
  CHECK_THROWS_WITH(model.compile("adam", "binary_crossentropy", {"precision"}),
                    ContainsSubstring("unknown metric \"precision\"") &&
                        ContainsSubstring("accuracy, acc, binary_accuracy"));
  // The model keeps its previous compile, optimizer state included.
  CHECK(model.compiled());
  CHECK_UNCHANGED(model, before);
}

TEST_CASE("reject duplicate metric names", "[model][rejection]") {
  Model<float> model = make_trained_model();
  const Snapshot before = snapshot_of(model);

  CHECK_THROWS_AS(model.compile("adam", "binary_crossentropy", {"accuracy", "accuracy"}),
                  ValueError);
  CHECK_THROWS_WITH(model.compile("adam", "binary_crossentropy", {"accuracy", "accuracy"}),
                    ContainsSubstring("\"accuracy\""));
  CHECK_THROWS_AS(model.compile("adam", "binary_crossentropy",
                                {MetricArgument<float>("accuracy"), BinaryAccuracy<float>("loss")}),
                  ValueError);
  CHECK(model.metrics_names() == std::vector<std::string>{"loss", "accuracy"});
  CHECK_UNCHANGED(model, before);
}

TEST_CASE("reject a metric named loss", "[model][rejection]") {
  // A metric called "loss" would overwrite the loss in the logs and in History.
  Model<float> model = make_trained_model();
  const Snapshot before = snapshot_of(model);

  CHECK_THROWS_AS(model.compile("adam", "binary_crossentropy", {BinaryAccuracy<float>("loss")}),
                  ValueError);
  CHECK_THROWS_WITH(model.compile("adam", "binary_crossentropy", {BinaryAccuracy<float>("loss")}),
                    ContainsSubstring("\"loss\""));
  CHECK(model.metrics_names() == std::vector<std::string>{"loss", "accuracy"});
  CHECK_UNCHANGED(model, before);
}

TEST_CASE("reject accuracy on several columns", "[model][rejection]") {
  Tensor<float> input = Input<float>(3);
  Model<float> model(input, Dense<float>(2, "sigmoid")(input));

  CHECK_THROWS_AS(model.compile("adam", "binary_crossentropy", {"accuracy"}), ValueError);
  CHECK_THROWS_WITH(model.compile("adam", "binary_crossentropy", {"accuracy"}),
                    ContainsSubstring("\"accuracy\"") && ContainsSubstring("2 columns"));
  CHECK_FALSE(model.compiled());
  CHECK_NOTHROW(model.compile("adam", "binary_crossentropy", {BinaryAccuracy<float>()}));
}

TEST_CASE("reject a wrong number of inputs", "[model][rejection]") {
  Tensor<float> left = Input<float>(3);
  Tensor<float> right = Input<float>(2);
  Tensor<float> joined = Concatenate<float>()({left, right});
  Model<float> model({left, right},
                     Dense<float>(DenseOptions(1).activation("sigmoid").seed(3))(joined));
  model.compile("adam", "binary_crossentropy", {"accuracy"});
  const Snapshot before = snapshot_of(model);
  const Matrix<float> x = random_matrix(10, 3);
  const Matrix<float> y = labels(10);
  using Inputs = std::vector<Matrix<float>>;

  for (const Caller& caller : callers_of(model)) {
    INFO(caller.name);
    CHECK_THROWS_AS(caller.call(x, y), ValueError);
    CHECK_THROWS_WITH(caller.call(x, y),
                      ContainsSubstring(caller.name + ": expected 2 input matrices") &&
                          ContainsSubstring("got 1"));
  }
  CHECK_THROWS_AS(predict_quietly(model, x), ValueError);
  CHECK_THROWS_AS(model.fit(Inputs{x, random_matrix(10, 2), x}, y, FitOptions<float>().verbose(0)),
                  ValueError);
  CHECK_THROWS_AS(model.fit(Inputs{x, random_matrix(9, 2)}, y, FitOptions<float>().verbose(0)),
                  ShapeError);
  CHECK_THROWS_WITH(model.fit(Inputs{x, random_matrix(9, 2)}, y, FitOptions<float>().verbose(0)),
                    ContainsSubstring("x[1] has 9 rows but x[0] has 10"));
  CHECK_THROWS_AS(model.fit(Inputs{x, random_matrix(10, 2)}, y,
                            FitOptions<float>().verbose(0).validation_data(x, y)),
                  ValueError);
  CHECK_THROWS_WITH(model.fit(Inputs{x, random_matrix(10, 2)}, y,
                              FitOptions<float>().verbose(0).validation_data(x, y)),
                    ContainsSubstring("validation_data: expected 2 input matrices"));
  CHECK_UNCHANGED(model, before);
}

TEST_CASE("reject Dropout rate", "[layers][rejection]") {
  for (double rate : {-0.1, 1.5, std::numeric_limits<double>::quiet_NaN()}) {
    INFO("rate " << rate);
    CHECK_THROWS_AS(Dropout<float>(rate), ValueError);
    CHECK_THROWS_WITH(Dropout<float>(rate), ContainsSubstring("Dropout: rate must be a number in "
                                                              "[0, 1]"));
  }
  CHECK_THROWS_WITH(Dropout<float>(1.5), ContainsSubstring("got 1.5"));
  CHECK_THROWS_WITH(Dropout<float>(std::numeric_limits<double>::quiet_NaN()),
                    ContainsSubstring("got nan"));
  CHECK_NOTHROW(Dropout<float>(0.0));
  CHECK_NOTHROW(Dropout<float>(1.0));
}

TEST_CASE("reject non-positive units", "[layers][rejection]") {
  for (Index units : {0, -2}) {
    INFO("units " << units);
    CHECK_THROWS_AS(Dense<float>(units), ValueError);
    CHECK_THROWS_WITH(
        Dense<float>(units),
        ContainsSubstring("Dense: units must be a positive integer, got " + std::to_string(units)));
  }
}

TEST_CASE("reject an unknown activation", "[layers][rejection]") {
  CHECK_THROWS_AS(Dense<float>(4, "relux"), ValueError);
  CHECK_THROWS_WITH(Dense<float>(4, "relux"), ContainsSubstring("unknown activation \"relux\"") &&
                                                  ContainsSubstring("relu, tanh, sigmoid"));
  CHECK_THROWS_AS(Activation<float>("Sigmoid"), ValueError);
  CHECK_THROWS_WITH(Activation<float>("Sigmoid"), ContainsSubstring("\"Sigmoid\""));
}

TEST_CASE("reject Input without features", "[layers][rejection]") {
  for (Index features : {0, -1}) {
    INFO("features " << features);
    CHECK_THROWS_AS(Input<float>(features), ValueError);
    CHECK_THROWS_WITH(Input<float>(features),
                      ContainsSubstring("Input: features must be a positive integer, got " +
                                        std::to_string(features)));
  }
}

TEST_CASE("reject BatchNormalization options", "[layers][rejection]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto make = [](const BatchNormalizationOptions& options) {
    BatchNormalization<float> layer(options);
  };

  for (double momentum : {-0.1, 1.5, nan}) {
    INFO("momentum " << momentum);
    CHECK_THROWS_AS(make(BatchNormalizationOptions().momentum(momentum)), ValueError);
    CHECK_THROWS_WITH(make(BatchNormalizationOptions().momentum(momentum)),
                      ContainsSubstring("momentum must be in [0, 1]"));
  }
  CHECK_THROWS_WITH(make(BatchNormalizationOptions().momentum(1.5)), ContainsSubstring("got 1.5"));
  for (double epsilon : {0.0, -1e-3, nan}) {
    INFO("epsilon " << epsilon);
    CHECK_THROWS_AS(make(BatchNormalizationOptions().epsilon(epsilon)), ValueError);
    CHECK_THROWS_WITH(make(BatchNormalizationOptions().epsilon(epsilon)),
                      ContainsSubstring("epsilon must be positive"));
  }
  CHECK_NOTHROW(make(BatchNormalizationOptions().momentum(0.0)));
  CHECK_NOTHROW(make(BatchNormalizationOptions().momentum(1.0)));
}

TEST_CASE("reject Adam hyperparameters", "[optimizers][rejection]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();

  for (double learning_rate : {0.0, -1e-3, inf, nan}) {
    INFO("learning_rate " << learning_rate);
    CHECK_THROWS_AS(Adam<float>(learning_rate), ValueError);
    CHECK_THROWS_WITH(Adam<float>(learning_rate),
                      ContainsSubstring("learning_rate must be positive and finite"));
  }
  for (double beta : {-0.1, 1.0, 1.5, nan}) {
    INFO("beta " << beta);
    CHECK_THROWS_AS(Adam<float>(1e-3, beta), ValueError);
    CHECK_THROWS_WITH(Adam<float>(1e-3, beta), ContainsSubstring("beta_1 must be in [0, 1)"));
    CHECK_THROWS_AS(Adam<float>(1e-3, 0.9, beta), ValueError);
    CHECK_THROWS_WITH(Adam<float>(1e-3, 0.9, beta), ContainsSubstring("beta_2 must be in [0, 1)"));
  }
  for (double epsilon : {0.0, -1e-7, inf, nan}) {
    INFO("epsilon " << epsilon);
    CHECK_THROWS_AS(Adam<float>(1e-3, 0.9, 0.999, epsilon), ValueError);
    CHECK_THROWS_WITH(Adam<float>(1e-3, 0.9, 0.999, epsilon), ContainsSubstring("epsilon"));
  }
  CHECK_THROWS_WITH(Adam<float>(-1.0), ContainsSubstring("got -1"));
  CHECK_NOTHROW(Adam<float>(1e-3, 0.0, 0.0, 1e-12));
}

TEST_CASE("reject loss and metric options", "[losses][rejection]") {
  CHECK_THROWS_AS(BinaryCrossentropy<float>(false, 1.5), ValueError);
  CHECK_THROWS_WITH(BinaryCrossentropy<float>(false, 1.5),
                    ContainsSubstring("label_smoothing must be in [0, 1], got 1.5"));
  CHECK_THROWS_AS(BinaryCrossentropy<float>(false, -0.1), ValueError);
  CHECK_THROWS_AS(BinaryAccuracy<float>("accuracy", 1.5), ValueError);
  CHECK_THROWS_WITH(BinaryAccuracy<float>("accuracy", 1.5),
                    ContainsSubstring("threshold must be in [0, 1], got 1.5"));
}
