// Tests of Model::fit against Keras 3's training loop: History contents, the
// validation_split rows, validation_data precedence, the partial last batch, the
// batch-size-weighted epoch loss, exact accuracy, zero epochs and shuffling.
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <sinapse/sinapse.hpp>

#include "support/catch.hpp"

namespace {

using namespace sinapse;

/// Inputs and binary targets of a small, learnable problem.
template <typename Scalar>
struct Dataset {
  Matrix<Scalar> x;
  Matrix<Scalar> y;
};

/// Returns `rows` samples of 3 features in [-1, 1) labelled 1 when x0 + x1/2 - x2 > 0.
template <typename Scalar>
Dataset<Scalar> make_dataset(Index rows, std::uint64_t seed) {
  Generator generator(seed);
  Dataset<Scalar> data{Matrix<Scalar>(rows, 3), Matrix<Scalar>(rows, 1)};
  for (Index i = 0; i < rows; ++i) {
    for (Index j = 0; j < 3; ++j) {
      data.x(i, j) = static_cast<Scalar>(2.0 * generator.uniform() - 1.0);
    }
    const Scalar score = data.x(i, 0) + data.x(i, 1) / 2 - data.x(i, 2);
    data.y(i, 0) = score > 0 ? Scalar(1) : Scalar(0);
  }
  return data;
}

/// Builds and compiles Input(3) -> Dense(4, tanh) -> Dense(1, sigmoid). The kernel seeds
/// are fixed, so two calls give models with identical weights.
template <typename Scalar>
Model<Scalar> make_model(bool with_accuracy = true) {
  Tensor<Scalar> x = Input<Scalar>(3);
  Tensor<Scalar> hidden = Dense<Scalar>(DenseOptions(4).activation("tanh").seed(101))(x);
  Tensor<Scalar> output = Dense<Scalar>(DenseOptions(1).activation("sigmoid").seed(102))(hidden);
  Model<Scalar> model(x, output);
  if (with_accuracy) {
    model.compile("adam", "binary_crossentropy", {"accuracy"});
  } else {
    model.compile("adam", "binary_crossentropy");
  }
  return model;
}

template <typename Scalar>
FitOptions<Scalar> quiet_fit() {
  return FitOptions<Scalar>().verbose(0).seed(7);
}

EvaluateOptions quiet() { return EvaluateOptions().verbose(0); }

/// Keys of a History, in map order.
std::vector<std::string> keys_of(const History& history) {
  std::vector<std::string> keys;
  for (const auto& entry : history.history) keys.push_back(entry.first);
  return keys;
}

template <typename Scalar>
bool same_weights(const Model<Scalar>& a, const Model<Scalar>& b) {
  return a.get_weights() == b.get_weights();
}

}  // namespace

TEST_CASE("fit History keys and sizes", "[model][fit]") {
  const Dataset<float> data = make_dataset<float>(40, 1);

  SECTION("with validation") {
    Model<float> model = make_model<float>();
    const History history = model.fit(
        data.x, data.y, quiet_fit<float>().epochs(3).batch_size(8).validation_split(0.25));

    const std::vector<std::string> expected = {"accuracy", "loss", "val_accuracy", "val_loss"};
    CHECK(keys_of(history) == expected);
    for (const auto& entry : history.history) {
      INFO(entry.first);
      CHECK(entry.second.size() == 3);
    }
    CHECK(history.epoch == std::vector<int>{0, 1, 2});
    CHECK(history.epochs == 3);
    CHECK(history.steps == 4);  // ceil(30 training rows / batch size 8)
    CHECK(history.verbose == 0);
  }

  SECTION("without validation") {
    Model<float> model = make_model<float>();
    const History history = model.fit(data.x, data.y, quiet_fit<float>().epochs(2));

    const std::vector<std::string> expected = {"accuracy", "loss"};
    CHECK(keys_of(history) == expected);
    CHECK(history.history.at("loss").size() == 2);
    CHECK(history.steps == 2);  // ceil(40 samples / batch size 32)
  }

  SECTION("without metrics") {
    Model<float> model = make_model<float>(false);
    const History history = model.fit(data.x, data.y, quiet_fit<float>());

    CHECK(keys_of(history) == std::vector<std::string>{"loss"});
  }
}

TEST_CASE("fit validation_split holds out the tail", "[model][fit]") {
  struct SplitCase {
    Index samples;
    double split;
    Index train_rows;  // floor(samples * (1 - split)) in double, as Keras computes it
  };
  // 20 * (1 - 0.8) is 3.9999999999999996 in double, so Keras trains on 3 rows, not 4.
  const SplitCase cases[] = {{20, 0.8, 3}, {33, 0.2, 26}, {40, 0.3, 28}};

  for (const SplitCase& split_case : cases) {
    INFO("samples " << split_case.samples << ", validation_split " << split_case.split);
    const Dataset<double> data = make_dataset<double>(split_case.samples, 2);
    const Index validation_rows = split_case.samples - split_case.train_rows;

    Model<double> model = make_model<double>();
    const History history = model.fit(
        data.x, data.y, quiet_fit<double>().batch_size(4).validation_split(split_case.split));

    // Validation runs after the epoch's last update, so evaluating the tail rows with the
    // final weights and the same batch size reproduces it exactly.
    const Logs tail = model.evaluate(data.x.bottomRows(validation_rows),
                                     data.y.bottomRows(validation_rows), quiet().batch_size(4));
    CHECK(history.history.at("val_loss")[0] == tail.at("loss"));
    CHECK(history.history.at("val_accuracy")[0] == tail.at("accuracy"));
    CHECK(history.steps == (split_case.train_rows + 3) / 4);

    // Training saw exactly the head rows: a twin trained on them alone ends identical.
    Model<double> twin = make_model<double>();
    twin.fit(data.x.topRows(split_case.train_rows), data.y.topRows(split_case.train_rows),
             quiet_fit<double>().batch_size(4));
    CHECK(same_weights(model, twin));
  }
}

TEST_CASE("fit validation_data wins over split", "[model][fit]") {
  const Dataset<double> data = make_dataset<double>(24, 3);
  const Dataset<double> validation = make_dataset<double>(9, 4);

  Model<double> model = make_model<double>();
  const History history =
      model.fit(data.x, data.y,
                quiet_fit<double>().batch_size(8).validation_split(0.5).validation_data(
                    validation.x, validation.y));
  Model<double> twin = make_model<double>();
  twin.fit(data.x, data.y, quiet_fit<double>().batch_size(8));

  const Logs expected = model.evaluate(validation.x, validation.y, quiet().batch_size(8));
  CHECK(history.history.at("val_loss")[0] == expected.at("loss"));
  CHECK(history.history.at("val_accuracy")[0] == expected.at("accuracy"));
  CHECK(history.steps == 3);  // all 24 rows trained
  CHECK(same_weights(model, twin));

  // Keras ignores validation_split when validation_data is given, even an invalid one.
  Model<double> ignored = make_model<double>();
  CHECK_NOTHROW(ignored.fit(
      data.x, data.y,
      quiet_fit<double>().validation_split(1.5).validation_data(validation.x, validation.y)));
}

TEST_CASE("fit validation_batch_size", "[model][fit]") {
  const Dataset<double> data = make_dataset<double>(30, 5);
  const Dataset<double> validation = make_dataset<double>(11, 6);
  Model<double> model = make_model<double>();

  const History history =
      model.fit(data.x, data.y,
                quiet_fit<double>().batch_size(8).validation_batch_size(3).validation_data(
                    validation.x, validation.y));

  const Logs expected = model.evaluate(validation.x, validation.y, quiet().batch_size(3));
  CHECK(history.history.at("val_loss")[0] == expected.at("loss"));
}

TEST_CASE("fit trains the last partial batch", "[model][fit]") {
  // Dense without bias on all-zero rows has a zero kernel gradient, and Adam moves no
  // weight whose gradients have all been zero. Only row 33 is non-zero, and with
  // shuffle off it is alone in the second, partial batch.
  auto make = [] {
    Tensor<double> x = Input<double>(2);
    Tensor<double> output =
        Dense<double>(DenseOptions(1).activation("sigmoid").use_bias(false).seed(3))(x);
    Model<double> model(x, output);
    model.compile("adam", "binary_crossentropy");
    return model;
  };
  Matrix<double> x = Matrix<double>::Zero(33, 2);
  x.row(32) << 1.0, -1.0;
  const Matrix<double> y = Matrix<double>::Ones(33, 1);

  Model<double> model = make();
  const Matrix<double> before = model.get_weights()[0];
  const History history =
      model.fit(x, y, FitOptions<double>().batch_size(32).shuffle(false).verbose(0));

  CHECK(history.steps == 2);
  CHECK(model.optimizer()->iterations() == 2);
  CHECK(model.get_weights()[0] != before);

  // Control: without row 33 the same training leaves the kernel unchanged.
  Model<double> control = make();
  control.fit(x.topRows(32), y.topRows(32),
              FitOptions<double>().batch_size(32).shuffle(false).verbose(0));
  CHECK(control.optimizer()->iterations() == 1);
  CHECK(control.get_weights()[0] == before);
}

TEMPLATE_TEST_CASE("fit loss is the sample-weighted mean", "[model][fit]", float, double) {
  // With shuffle off, fit must do what train_on_batch does on consecutive slices, and
  // report sum(loss_b * n_b) / N, not the mean of the batch losses.
  const Dataset<TestType> data = make_dataset<TestType>(33, 8);
  Model<TestType> model = make_model<TestType>();
  const History history =
      model.fit(data.x, data.y, FitOptions<TestType>().batch_size(32).shuffle(false).verbose(0));

  Model<TestType> twin = make_model<TestType>();
  const Logs first = twin.train_on_batch(data.x.topRows(32), data.y.topRows(32));
  const Logs second = twin.train_on_batch(data.x.bottomRows(1), data.y.bottomRows(1));
  const double weighted_loss = (first.at("loss") * 32.0 + second.at("loss")) / 33.0;
  const double weighted_accuracy = (first.at("accuracy") * 32.0 + second.at("accuracy")) / 33.0;
  const double unweighted_loss = (first.at("loss") + second.at("loss")) / 2.0;

  CHECK(history.history.at("loss")[0] == weighted_loss);
  CHECK(history.history.at("accuracy")[0] == weighted_accuracy);
  CHECK(history.history.at("loss")[0] != unweighted_loss);
  CHECK(same_weights(model, twin));
}

TEST_CASE("fit shuffle reorders the batches", "[model][fit]") {
  const Dataset<double> data = make_dataset<double>(16, 9);

  Model<double> ordered = make_model<double>();
  ordered.fit(data.x, data.y, quiet_fit<double>().batch_size(4).shuffle(false));
  Model<double> shuffled = make_model<double>();
  shuffled.fit(data.x, data.y, quiet_fit<double>().batch_size(4).shuffle(true));

  CHECK_FALSE(same_weights(ordered, shuffled));

  // With one batch holding every row, shuffling changes only the summation order.
  Model<double> whole_ordered = make_model<double>();
  const History ordered_history =
      whole_ordered.fit(data.x, data.y, quiet_fit<double>().batch_size(16).shuffle(false));
  Model<double> whole_shuffled = make_model<double>();
  const History shuffled_history =
      whole_shuffled.fit(data.x, data.y, quiet_fit<double>().batch_size(16).shuffle(true));
  CHECK_THAT(shuffled_history.history.at("loss")[0],
             Catch::Matchers::WithinRel(ordered_history.history.at("loss")[0], 1e-12));
  CHECK(shuffled_history.history.at("accuracy")[0] == ordered_history.history.at("accuracy")[0]);
}

TEST_CASE("fit accuracy is the exact fraction", "[model][fit]") {
  // p = sigmoid(x) with a fixed kernel of 1: predictions are 1 exactly for x > 0, and the
  // labels make 7 of 10 samples correct before the single update.
  Tensor<double> input = Input<double>(1);
  Model<double> model(input, Dense<double>(1, "sigmoid")(input));
  model.set_weights({Matrix<double>::Ones(1, 1), Matrix<double>::Zero(1, 1)});
  model.compile("adam", "binary_crossentropy", {"accuracy"});
  Matrix<double> x(10, 1);
  x << -2, -1, -0.5, 0.5, 1, 2, 3, -3, 0.25, -0.25;
  Matrix<double> y(10, 1);
  y << 0, 0, 0, 1, 1, 1, 1, 1, 0, 1;  // the last three are wrong

  const Logs before = model.evaluate(x, y, quiet());
  const History history = model.fit(x, y, quiet_fit<double>().batch_size(10).shuffle(false));

  CHECK(before.at("accuracy") == 7.0 / 10.0);
  CHECK(history.history.at("accuracy")[0] == 7.0 / 10.0);
  CHECK(history.history.at("loss")[0] == before.at("loss"));
}

TEST_CASE("fit with zero epochs", "[model][fit]") {
  const Dataset<float> data = make_dataset<float>(10, 10);
  Model<float> model = make_model<float>();
  const std::vector<Matrix<float>> before = model.get_weights();

  const History history = model.fit(data.x, data.y, quiet_fit<float>().epochs(0));

  CHECK(history.history.empty());
  CHECK(history.epoch.empty());
  CHECK(history.epochs == 0);
  CHECK(model.get_weights() == before);
  CHECK(model.optimizer()->iterations() == 0);
}

TEST_CASE("fit counts optimizer steps across calls", "[model][fit]") {
  const Dataset<float> data = make_dataset<float>(20, 11);
  Model<float> model = make_model<float>();

  model.fit(data.x, data.y, quiet_fit<float>().epochs(3).batch_size(8));
  const History second = model.fit(data.x, data.y, quiet_fit<float>().epochs(2).batch_size(8));

  CHECK(model.optimizer()->iterations() == 5 * 3);
  CHECK(second.epoch == std::vector<int>{0, 1});
}

TEST_CASE("fit recompile starts a fresh optimizer", "[model][fit]") {
  const Dataset<float> data = make_dataset<float>(20, 12);
  Model<float> model = make_model<float>();
  model.fit(data.x, data.y, quiet_fit<float>());
  REQUIRE(model.optimizer()->iterations() == 1);

  model.compile("adam", "binary_crossentropy", {"accuracy"});

  CHECK(model.optimizer()->iterations() == 0);
  CHECK_FALSE(model.optimizer()->built());
}

namespace {

/// Calls compile from one hook of fit: on_train_begin, or a batch or epoch hook.
class CompileDuringFit : public Callback<float> {
 public:
  explicit CompileDuringFit(std::string hook) : hook_(std::move(hook)) {}
  void on_train_begin(const Logs&) override { compile_in("on_train_begin"); }
  void on_train_batch_begin(Index, const Logs&) override { compile_in("on_train_batch_begin"); }
  void on_epoch_end(int, const Logs&) override { compile_in("on_epoch_end"); }

 private:
  void compile_in(const std::string& hook) {
    if (hook == hook_) model().compile(Adam<float>(0.01), "binary_crossentropy", {"accuracy"});
  }
  std::string hook_;
};

}  // namespace

TEST_CASE("fit rejects compile from a callback", "[model][fit]") {
  const Dataset<float> data = make_dataset<float>(20, 13);
  Model<float> model = make_model<float>();
  const std::string hook = GENERATE("on_train_begin", "on_train_batch_begin", "on_epoch_end");
  CAPTURE(hook);
  const auto callback = std::make_shared<CompileDuringFit>(hook);
  CHECK_THROWS_WITH(
      model.fit(data.x, data.y, quiet_fit<float>().epochs(2).batch_size(8).callbacks({callback})),
      "compile cannot be called during fit, because fit keeps using the optimizer, loss and "
      "metrics it started with; compile before fit, or stop training with "
      "model().set_stop_training(true) and compile after fit returns");

  // Once fit has ended, compile works again.
  model.compile("adam", "binary_crossentropy");
  CHECK(model.metrics_names() == std::vector<std::string>{"loss"});
}

TEST_CASE("fit rejects more epochs than a model file stores", "[model][fit]") {
  const Dataset<float> data = make_dataset<float>(10, 14);
  Model<float> model = make_model<float>();
  const int limit = detail::max_completed_epochs;
  CHECK_THROWS_WITH(model.fit(data.x, data.y, quiet_fit<float>().epochs(limit + 1)),
                    "fit: epochs and initial_epoch must be at most 1073741823 (the largest epoch "
                    "count a model file stores), got epochs 1073741824 and initial_epoch 0; pass "
                    "fewer epochs");
  CHECK_THROWS_AS(
      model.fit(data.x, data.y, quiet_fit<float>().epochs(1).initial_epoch(limit + 1)),
      ValueError);

  // The largest accepted count still gives a model that saves and loads.
  model.fit(data.x, data.y, quiet_fit<float>().epochs(limit).initial_epoch(limit - 1));
  CHECK(model.completed_epochs() == limit);
  const std::string bytes = detail::save_model_to_bytes(model);
  const Model<float> loaded = detail::load_model_from_bytes<float>(bytes.data(), bytes.size());
  CHECK(loaded.completed_epochs() == limit);
}
