// Tests of the callback hooks of Model::fit: their order and logs, stop_training from a
// batch or an epoch hook, initial_epoch, and exceptions thrown by a hook.
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <sinapse/sinapse.hpp>

#include "support/catch.hpp"
#include "support/random_data.hpp"

namespace {

using namespace sinapse;

template <typename Scalar>
Model<Scalar> make_model() {
  Tensor<Scalar> x = Input<Scalar>(3);
  Tensor<Scalar> hidden = Dense<Scalar>(DenseOptions(4).activation("tanh").seed(11))(x);
  hidden = Dropout<Scalar>(0.25)(hidden);
  Tensor<Scalar> output = Dense<Scalar>(DenseOptions(1).activation("sigmoid").seed(12))(hidden);
  Model<Scalar> model(x, output);
  model.compile("adam", "binary_crossentropy", {"accuracy"});
  return model;
}

Matrix<double> features(Index rows) { return test_support::random_matrix<double>(rows, 3, 5); }

Matrix<double> labels(const Matrix<double>& x) {
  return (x.col(0).array() > 0).cast<double>().matrix();
}

/// Records every hook call as a line such as "epoch_end 1 loss=...".
class Recorder : public Callback<double> {
 public:
  std::vector<std::string> events;
  std::vector<Logs> batch_logs;
  std::vector<Logs> epoch_logs;

  void on_train_begin(const Logs&) override { events.push_back("train_begin"); }
  void on_train_end(const Logs& logs) override {
    events.push_back("train_end");
    end_logs = logs;
  }
  void on_epoch_begin(int epoch, const Logs&) override {
    events.push_back("epoch_begin " + std::to_string(epoch));
  }
  void on_epoch_end(int epoch, const Logs& logs) override {
    events.push_back("epoch_end " + std::to_string(epoch));
    epoch_logs.push_back(logs);
  }
  void on_train_batch_begin(Index batch, const Logs&) override {
    events.push_back("batch_begin " + std::to_string(batch));
  }
  void on_train_batch_end(Index batch, const Logs& logs) override {
    events.push_back("batch_end " + std::to_string(batch));
    batch_logs.push_back(logs);
  }
  Logs end_logs;
};

/// Calls set_stop_training(true) at one batch or at the end of one epoch.
class Stopper : public Callback<double> {
 public:
  Stopper(int epoch, Index batch) : epoch_(epoch), batch_(batch) {}
  void on_epoch_begin(int epoch, const Logs&) override { current_ = epoch; }
  void on_train_batch_end(Index batch, const Logs&) override {
    if (current_ == epoch_ && batch == batch_) this->model().set_stop_training(true);
  }
  void on_epoch_end(int epoch, const Logs&) override {
    if (batch_ < 0 && epoch == epoch_) this->model().set_stop_training(true);
  }

 private:
  int epoch_;
  Index batch_;
  int current_ = 0;
};

FitOptions<double> quiet_fit() { return FitOptions<double>().verbose(0).seed(3).batch_size(4); }

}  // namespace

TEST_CASE("fit calls the hooks in Keras's order", "[callbacks]") {
  Model<double> model = make_model<double>();
  const Matrix<double> x = features(10);
  auto recorder = std::make_shared<Recorder>();
  model.fit(x, labels(x), quiet_fit().epochs(2).validation_split(0.2).callbacks({recorder}));

  // 8 training rows in batches of 4: two batches per epoch.
  const std::vector<std::string> expected{
      "train_begin", "epoch_begin 0", "batch_begin 0", "batch_end 0", "batch_begin 1",
      "batch_end 1", "epoch_end 0",   "epoch_begin 1", "batch_begin 0", "batch_end 0",
      "batch_begin 1", "batch_end 1", "epoch_end 1",   "train_end"};
  CHECK(recorder->events == expected);
}

TEST_CASE("batch logs hold running means and epoch logs the epoch's results",
          "[callbacks]") {
  Model<double> model = make_model<double>();
  const Matrix<double> x = features(10);
  auto recorder = std::make_shared<Recorder>();
  const History history =
      model.fit(x, labels(x), quiet_fit().epochs(2).validation_split(0.2).callbacks({recorder}));

  REQUIRE(recorder->batch_logs.size() == 4);
  REQUIRE(recorder->epoch_logs.size() == 2);
  // The second batch of an epoch ends with the epoch's mean over both batches.
  for (int epoch = 0; epoch < 2; ++epoch) {
    const Logs& last_batch = recorder->batch_logs[static_cast<std::size_t>(2 * epoch + 1)];
    const Logs& epoch_logs = recorder->epoch_logs[static_cast<std::size_t>(epoch)];
    CHECK(last_batch.at("loss") == epoch_logs.at("loss"));
    CHECK(last_batch.at("accuracy") == epoch_logs.at("accuracy"));
    CHECK(last_batch.count("val_loss") == 0);
    CHECK(epoch_logs.at("val_loss") == history.history.at("val_loss")[epoch]);
  }
  CHECK(recorder->end_logs == recorder->epoch_logs.back());
}

TEST_CASE("set_stop_training in a batch hook ends fit after that batch", "[callbacks]") {
  Model<double> model = make_model<double>();
  const Matrix<double> x = features(12);
  auto stopper = std::make_shared<Stopper>(1, 0);
  const History history = model.fit(x, labels(x), quiet_fit().epochs(5).callbacks({stopper}));

  // Epoch 0 runs 3 batches; epoch 1 stops after its first; the unfinished epoch is
  // still recorded, as Keras records it.
  CHECK(model.optimizer()->iterations() == 4);
  CHECK(history.epoch == std::vector<int>{0, 1});
  CHECK(model.completed_epochs() == 2);
  CHECK(model.stop_training());
}

TEST_CASE("set_stop_training in on_epoch_end ends fit after that epoch", "[callbacks]") {
  Model<double> model = make_model<double>();
  const Matrix<double> x = features(12);
  auto stopper = std::make_shared<Stopper>(2, -1);
  const History history = model.fit(x, labels(x), quiet_fit().epochs(10).callbacks({stopper}));
  CHECK(history.epoch == std::vector<int>{0, 1, 2});
  CHECK(model.optimizer()->iterations() == 9);

  // The next fit starts afresh: the flag is cleared.
  const History again = model.fit(x, labels(x), quiet_fit().epochs(2));
  CHECK(again.epoch == std::vector<int>{0, 1});
}

TEST_CASE("fit with initial_epoch continues a run exactly", "[callbacks]") {
  const Matrix<double> x = features(20);
  const Matrix<double> y = labels(x);
  Model<double> whole = make_model<double>();
  const History expected = whole.fit(x, y, quiet_fit().epochs(4));

  Model<double> split = make_model<double>();
  const History first = split.fit(x, y, quiet_fit().epochs(2));
  CHECK(split.completed_epochs() == 2);
  // The seed in quiet_fit() is not applied again when resuming.
  const History second =
      split.fit(x, y, quiet_fit().epochs(4).initial_epoch(split.completed_epochs()));

  CHECK(first.epoch == std::vector<int>{0, 1});
  CHECK(second.epoch == std::vector<int>{2, 3});
  REQUIRE(second.history.at("loss").size() == 2);
  CHECK(second.history.at("loss")[0] == expected.history.at("loss")[2]);
  CHECK(second.history.at("loss")[1] == expected.history.at("loss")[3]);
  const std::vector<Matrix<double>> a = whole.get_weights();
  const std::vector<Matrix<double>> b = split.get_weights();
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(a[i] == b[i]);
  CHECK(split.completed_epochs() == 4);
}

TEST_CASE("initial_epoch at or past epochs runs nothing", "[callbacks]") {
  Model<double> model = make_model<double>();
  const Matrix<double> x = features(8);
  const History history = model.fit(x, labels(x), quiet_fit().epochs(3).initial_epoch(3));
  CHECK(history.epoch.empty());
  CHECK(model.optimizer()->iterations() == 0);
}

TEST_CASE("fit rejects a negative initial_epoch and null callbacks", "[callbacks]") {
  Model<double> model = make_model<double>();
  const Matrix<double> x = features(8);
  CHECK_THROWS_MATCHES(model.fit(x, labels(x), quiet_fit().initial_epoch(-1)), ValueError,
                       Catch::Matchers::Message("fit: initial_epoch must be >= 0, got -1"));
  CHECK_THROWS_MATCHES(
      model.fit(x, labels(x), quiet_fit().callbacks({nullptr})), ValueError,
      Catch::Matchers::Message(
          "fit: callbacks[0] is null; pass std::make_shared<...>() objects"));
  CHECK(model.optimizer()->iterations() == 0);
}

TEST_CASE("an exception from a hook ends fit with that exception", "[callbacks]") {
  class Thrower : public Callback<double> {
   public:
    void on_train_batch_end(Index batch, const Logs&) override {
      if (batch == 1) throw std::runtime_error("interrupted");
    }
  };
  Model<double> model = make_model<double>();
  const Matrix<double> x = features(12);
  CHECK_THROWS_WITH(
      model.fit(x, labels(x), quiet_fit().epochs(3).callbacks({std::make_shared<Thrower>()})),
      "interrupted");
  CHECK(model.optimizer()->iterations() == 2);
}

TEST_CASE("model() of a callback that is not attached throws", "[callbacks]") {
  Callback<double> callback;
  CHECK_THROWS_AS(callback.model(), StateError);
}
