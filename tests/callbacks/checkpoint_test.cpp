// Tests of ModelCheckpoint and BackupAndRestore: the files they write, save_best_only's
// decisions, and a resumed fit that matches, bit for bit, a run that never stopped.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <sinapse/sinapse.hpp>

#include "support/catch.hpp"
#include "support/exception_message.hpp"
#include "support/random_data.hpp"

namespace {

using namespace sinapse;
namespace fs = std::filesystem;

/// A fresh folder under the system's temporary folder, removed with its contents.
class TemporaryFolder {
 public:
  TemporaryFolder() {
    const auto ticks = std::chrono::steady_clock::now().time_since_epoch().count();
    path_ = fs::temp_directory_path() / ("sinapse-checkpoint-test-" + std::to_string(ticks));
    fs::create_directories(path_);
  }
  ~TemporaryFolder() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TemporaryFolder(const TemporaryFolder&) = delete;
  TemporaryFolder& operator=(const TemporaryFolder&) = delete;

  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

/// Input(4) -> Dense(8, relu) -> Dropout(0.5) -> BatchNormalization -> Dense(1, sigmoid).
/// Seeded kernels, so every call builds the same weights under new layer names.
template <typename Scalar>
Model<Scalar> make_model() {
  Tensor<Scalar> x = Input<Scalar>(4);
  Tensor<Scalar> h = Dense<Scalar>(DenseOptions(8).activation("relu").seed(31))(x);
  h = Dropout<Scalar>(0.5)(h);
  h = BatchNormalization<Scalar>()(h);
  Tensor<Scalar> output = Dense<Scalar>(DenseOptions(1).activation("sigmoid").seed(32))(h);
  Model<Scalar> model(x, output);
  model.compile("adam", "binary_crossentropy", {"accuracy"});
  return model;
}

template <typename Scalar>
struct Data {
  Matrix<Scalar> x = test_support::random_matrix<Scalar>(50, 4, 41);
  Matrix<Scalar> y = (x.col(0).array() + x.col(1).array() > 0).template cast<Scalar>().matrix();
};

template <typename Scalar>
FitOptions<Scalar> training() {
  return FitOptions<Scalar>().epochs(6).batch_size(8).validation_split(0.2).verbose(0).seed(5);
}

/// Throws at the start of one epoch, as a crash or a kill would end the run.
template <typename Scalar>
class Interrupt : public Callback<Scalar> {
 public:
  explicit Interrupt(int epoch) : epoch_(epoch) {}
  void on_epoch_begin(int epoch, const Logs&) override {
    if (epoch == epoch_) throw std::runtime_error("interrupted");
  }

 private:
  int epoch_;
};

/// What a failed restore must leave as it was: weights, optimizer state, generator and
/// epoch count.
struct TrainingState {
  std::vector<Matrix<double>> weights;
  OptimizerState<double> optimizer;
  Generator::State generator{};
  int completed_epochs = 0;

  explicit TrainingState(Model<double>& model)
      : weights(model.get_weights()),
        optimizer(model.optimizer()->get_state()),
        generator(model.generator().state()),
        completed_epochs(model.completed_epochs()) {}
};

void check_unchanged(Model<double>& model, const TrainingState& before) {
  const TrainingState after(model);
  CHECK(after.weights == before.weights);
  CHECK(after.optimizer.iterations == before.optimizer.iterations);
  REQUIRE(after.optimizer.slots.size() == before.optimizer.slots.size());
  for (std::size_t i = 0; i < after.optimizer.slots.size(); ++i) {
    CHECK(after.optimizer.slots[i].first == before.optimizer.slots[i].first);
    CHECK(after.optimizer.slots[i].second == before.optimizer.slots[i].second);
  }
  CHECK(after.generator == before.generator);
  CHECK(after.completed_epochs == before.completed_epochs);
}

/// Input(4) -> Dense(8, activation) -> Dropout(rate) -> Dense(1, sigmoid), compiled.
Model<double> make_small_model(const std::string& activation, double rate) {
  Tensor<double> x = Input<double>(4);
  Tensor<double> h = Dense<double>(DenseOptions(8).activation(activation).seed(31))(x);
  h = Dropout<double>(rate)(h);
  Model<double> model(x, Dense<double>(DenseOptions(1).activation("sigmoid").seed(32))(h));
  model.compile("adam", "binary_crossentropy", {"accuracy"});
  return model;
}

/// A training record as BackupAndRestore writes it: the epochs and a list per log key.
detail::Json training_record(const std::vector<long long>& epochs,
                             const std::vector<std::size_t>& loss_and_accuracy_sizes) {
  detail::Json record = detail::Json::object();
  record["epoch"] = epochs;
  record["history"] = detail::Json::object();
  record["history"]["loss"] = std::vector<double>(loss_and_accuracy_sizes[0], 0.5);
  record["history"]["accuracy"] = std::vector<double>(loss_and_accuracy_sizes[1], 0.5);
  return record;
}

template <typename Scalar>
void check_same_weights(const Model<Scalar>& a, const Model<Scalar>& b) {
  const std::vector<Matrix<Scalar>> left = a.get_weights();
  const std::vector<Matrix<Scalar>> right = b.get_weights();
  REQUIRE(left.size() == right.size());
  for (std::size_t i = 0; i < left.size(); ++i) CHECK(left[i] == right[i]);
}

}  // namespace

TEMPLATE_TEST_CASE("BackupAndRestore resumes an interrupted fit bit for bit", "[callbacks]",
                   float, double) {
  using Scalar = TestType;
  const Data<Scalar> data;
  TemporaryFolder folder;
  const std::string backup_dir = folder.file("backup");

  Model<Scalar> whole = make_model<Scalar>();
  const History expected = whole.fit(data.x, data.y, training<Scalar>());

  const int stop_at = GENERATE(1, 3, 5);
  CAPTURE(stop_at);
  {
    Model<Scalar> interrupted = make_model<Scalar>();
    auto backup = std::make_shared<BackupAndRestore<Scalar>>(backup_dir);
    CHECK_THROWS_WITH(
        interrupted.fit(data.x, data.y,
                        training<Scalar>().callbacks(
                            {backup, std::make_shared<Interrupt<Scalar>>(stop_at)})),
        "interrupted");
    CHECK(fs::exists(backup->backup_path()));
  }

  // A new process would build the model again; here it also gets new layer names.
  Model<Scalar> resumed = make_model<Scalar>();
  auto backup = std::make_shared<BackupAndRestore<Scalar>>(backup_dir);
  const History history =
      resumed.fit(data.x, data.y, training<Scalar>().callbacks({backup}));

  CHECK(backup->restored());
  CHECK(history.epoch == expected.epoch);
  CHECK(history.history == expected.history);
  check_same_weights(resumed, whole);
  CHECK(resumed.optimizer()->iterations() == whole.optimizer()->iterations());
  CHECK(resumed.completed_epochs() == 6);
  // Training finished, so the backup is gone and the next fit starts afresh.
  CHECK_FALSE(fs::exists(backup->backup_path()));
}

TEST_CASE("BackupAndRestore keeps the backup with delete_checkpoint off", "[callbacks]") {
  const Data<double> data;
  TemporaryFolder folder;
  auto backup = std::make_shared<BackupAndRestore<double>>(
      folder.file("kept"), BackupAndRestoreOptions().delete_checkpoint(false));
  Model<double> model = make_model<double>();
  model.fit(data.x, data.y, training<double>().epochs(2).callbacks({backup}));
  CHECK_FALSE(backup->restored());
  REQUIRE(fs::exists(backup->backup_path()));

  // A second fit finds the finished run and has nothing left to do.
  Model<double> again = make_model<double>();
  const History history =
      again.fit(data.x, data.y, training<double>().epochs(2).callbacks({backup}));
  CHECK(backup->restored());
  CHECK(history.epoch == std::vector<int>{0, 1});
  check_same_weights(again, model);
}

TEST_CASE("BackupAndRestore rejects a backup of another model", "[callbacks]") {
  const Data<double> data;
  TemporaryFolder folder;
  auto backup = std::make_shared<BackupAndRestore<double>>(
      folder.file("other"), BackupAndRestoreOptions().delete_checkpoint(false));
  Model<double> model = make_model<double>();
  model.fit(data.x, data.y, training<double>().epochs(1).callbacks({backup}));

  Tensor<double> x = Input<double>(4);
  Model<double> other(x, Dense<double>(1, "sigmoid")(x));
  other.compile("adam", "binary_crossentropy");
  const std::vector<Matrix<double>> before = other.get_weights();
  CHECK_THROWS_AS(other.fit(data.x, data.y, training<double>().callbacks({backup})), ValueError);
  CHECK(other.get_weights() == before);
  CHECK_THROWS_AS(BackupAndRestore<double>(""), ValueError);
}

TEMPLATE_TEST_CASE("ModelCheckpoint saves every epoch to the formatted path", "[callbacks]",
                   float, double) {
  using Scalar = TestType;
  const Data<Scalar> data;
  TemporaryFolder folder;
  std::ostringstream printed;
  auto checkpoint = std::make_shared<ModelCheckpoint<Scalar>>(
      folder.file("model-{epoch:02d}.sinapse"),
      ModelCheckpointOptions().verbose(1).output(&printed));
  Model<Scalar> model = make_model<Scalar>();
  model.fit(data.x, data.y, training<Scalar>().epochs(3).callbacks({checkpoint}));

  for (const char* name : {"model-01.sinapse", "model-02.sinapse", "model-03.sinapse"}) {
    CHECK(fs::exists(folder.file(name)));
  }
  CHECK_THAT(printed.str(), Catch::Matchers::ContainsSubstring(
                                "Epoch 3: saving model to " + folder.file("model-03.sinapse")));
  Model<Scalar> loaded = load_model<Scalar>(folder.file("model-03.sinapse"));
  const Matrix<Scalar> expected = model.predict(data.x, PredictOptions().verbose(0));
  CHECK(loaded.predict(data.x, PredictOptions().verbose(0)) == expected);
}

TEST_CASE("ModelCheckpoint with save_best_only saves only improvements", "[callbacks]") {
  TemporaryFolder folder;
  const std::string path = folder.file("best.sinapse");
  std::ostringstream printed;
  ModelCheckpoint<double> checkpoint(
      path, ModelCheckpointOptions().save_best_only(true).verbose(1).output(&printed));
  Model<double> model = make_model<double>();
  checkpoint.set_model(&model);

  checkpoint.on_epoch_end(0, {{"val_loss", 0.5}});
  REQUIRE(fs::exists(path));
  CHECK(checkpoint.best() == 0.5);
  fs::remove(path);
  checkpoint.on_epoch_end(1, {{"val_loss", 0.6}});
  checkpoint.on_epoch_end(2, {{"val_loss", 0.5}});
  checkpoint.on_epoch_end(3, {{"val_loss", std::numeric_limits<double>::quiet_NaN()}});
  checkpoint.on_epoch_end(4, {{"loss", 0.1}});
  CHECK_FALSE(fs::exists(path));
  checkpoint.on_epoch_end(5, {{"val_loss", 0.25}});
  CHECK(fs::exists(path));
  CHECK(checkpoint.best() == 0.25);

  const std::string text = printed.str();
  CHECK_THAT(text, Catch::Matchers::ContainsSubstring(
                       "Epoch 1: val_loss improved from inf to 0.50000, saving model to " + path));
  CHECK_THAT(text, Catch::Matchers::ContainsSubstring("Epoch 2: val_loss did not improve from 0.50000"));
  CHECK_THAT(text, Catch::Matchers::ContainsSubstring(
                       "can save the best model only with val_loss available, skipping epoch 5"));
}

TEST_CASE("ModelCheckpoint picks max for accuracy and honours the threshold", "[callbacks]") {
  TemporaryFolder folder;
  const std::string path = folder.file("best.sinapse");
  Model<double> model = make_model<double>();

  ModelCheckpoint<double> accuracy(
      path, ModelCheckpointOptions().monitor("val_accuracy").save_best_only(true));
  accuracy.set_model(&model);
  accuracy.on_epoch_end(0, {{"val_accuracy", 0.7}});
  accuracy.on_epoch_end(1, {{"val_accuracy", 0.6}});
  CHECK(accuracy.best() == 0.7);

  ModelCheckpoint<double> threshold(
      path, ModelCheckpointOptions().save_best_only(true).initial_value_threshold(0.3));
  threshold.set_model(&model);
  threshold.on_epoch_end(0, {{"val_loss", 0.4}});
  CHECK(threshold.best() == 0.3);

  CHECK_THROWS_AS(ModelCheckpoint<double>(path, ModelCheckpointOptions().mode("maximum")),
                  ValueError);
  CHECK_THROWS_AS(ModelCheckpoint<double>(folder.file("m-{epoch")), ValueError);
  CHECK_THROWS_AS(ModelCheckpoint<double>(""), ValueError);
}

TEST_CASE("ModelCheckpoint with save_weights_only writes a weights file", "[callbacks]") {
  const Data<double> data;
  TemporaryFolder folder;
  const std::string path = folder.file("weights.sinapse");
  auto checkpoint = std::make_shared<ModelCheckpoint<double>>(
      path, ModelCheckpointOptions().save_weights_only(true));
  // load_weights matches layers by name, so both models get the same automatic names.
  clear_session();
  Model<double> model = make_model<double>();
  model.fit(data.x, data.y, training<double>().epochs(2).callbacks({checkpoint}));

  clear_session();
  Model<double> copy = make_model<double>();
  copy.load_weights(path);
  check_same_weights(copy, model);
  CHECK_THROWS_AS(load_model<double>(path), Error);
}

TEST_CASE("BackupAndRestore failed restore changes nothing", "[callbacks]") {
  using test_support::contains;
  using test_support::message_of;
  const Data<double> data;
  TemporaryFolder folder;
  const std::string backup_dir = folder.file("backup");
  fs::create_directories(backup_dir);
  const std::string path = folder.file("backup/latest.sinapse");
  // No seed: fit would reseed the generator before the restore, which is not its change.
  const FitOptions<double> options = FitOptions<double>().epochs(4).batch_size(8).verbose(0);

  Model<double> source = make_model<double>();
  source.fit(data.x, data.y, FitOptions<double>(options).epochs(2));
  Model<double> model = make_model<double>();
  model.fit(data.x, data.y, FitOptions<double>(options).epochs(1));
  const TrainingState before(model);
  auto backup = std::make_shared<BackupAndRestore<double>>(backup_dir);
  const auto failure = [&] {
    return message_of<FileFormatError>(
        [&] { model.fit(data.x, data.y, FitOptions<double>(options).callbacks({backup})); });
  };

  SECTION("a model file without a training record") {
    source.save(path);
    const std::string message = failure();
    CHECK(contains(message, "BackupAndRestore: the backup \"" + path + "\" cannot be restored: "));
    CHECK(contains(message, "the file has no training record"));
    CHECK(contains(message, "; delete \"" + path + "\" to start afresh"));
  }
  SECTION("a History with more epochs than the model state") {
    const detail::Json record = training_record({0, 1, 2}, {3, 3});
    detail::save_model_file(source, path, &record);
    CHECK(contains(failure(), "the History ends at epoch 2, but the model state has completed 2"));
  }
  SECTION("an epoch beyond int") {
    const detail::Json record = training_record({5000000000LL}, {1, 1});
    detail::save_model_file(source, path, &record);
    CHECK(contains(failure(), "training.epoch[0]: expected an integer from 0 to "));
  }
  SECTION("epochs that are not consecutive") {
    const detail::Json record = training_record({0, 2}, {2, 2});
    detail::save_model_file(source, path, &record);
    CHECK(contains(failure(), "training.epoch[1]: expected epoch 1 after 0, got 2"));
  }
  SECTION("a History entry with a value missing") {
    const detail::Json record = training_record({0, 1}, {2, 1});
    detail::save_model_file(source, path, &record);
    CHECK(contains(failure(), "training.history.accuracy: expected 2 elements, got 1"));
  }
  SECTION("a History without a loss") {
    detail::Json record = training_record({0, 1}, {2, 2});
    record["history"].erase("loss");
    detail::save_model_file(source, path, &record);
    CHECK(contains(failure(), "the key \"loss\" is missing"));
  }
  CHECK_FALSE(backup->restored());
  check_unchanged(model, before);

  // The same backup with a consistent History restores.
  const detail::Json record = training_record({0, 1}, {2, 2});
  detail::save_model_file(source, path, &record);
  const History history =
      model.fit(data.x, data.y, FitOptions<double>(options).callbacks({backup}));
  CHECK(backup->restored());
  CHECK(history.epoch == std::vector<int>{0, 1, 2, 3});
  CHECK(history.history.at("loss").size() == 4);
}

TEST_CASE("BackupAndRestore rejects other fit arguments", "[callbacks]") {
  const Data<double> data;
  TemporaryFolder folder;
  const std::string backup_dir = folder.file("backup");
  auto backup = std::make_shared<BackupAndRestore<double>>(
      backup_dir, BackupAndRestoreOptions().delete_checkpoint(false));
  Model<double> first = make_model<double>();
  first.fit(data.x, data.y, training<double>().epochs(2).callbacks({backup}));

  Model<double> again = make_model<double>();
  const std::vector<Matrix<double>> before = again.get_weights();
  const std::string message = test_support::message_of<ValueError>([&] {
    again.fit(data.x, data.y,
              FitOptions<double>().epochs(4).batch_size(8).verbose(0).callbacks({backup}));
  });
  const std::string path = backup->backup_path();
  CHECK(message == "BackupAndRestore: the backup \"" + path +
                       "\" was made by a fit that logged accuracy, loss, val_accuracy, val_loss "
                       "(with validation data), but this fit logs accuracy, loss (without "
                       "validation data); pass the same validation_data or validation_split and "
                       "compile the same metrics, or delete \"" + path + "\" to start afresh");
  CHECK(again.get_weights() == before);
  CHECK(again.completed_epochs() == 0);
}

TEST_CASE("BackupAndRestore of a longer run trains nothing", "[callbacks]") {
  const Data<double> data;
  TemporaryFolder folder;
  auto backup = std::make_shared<BackupAndRestore<double>>(
      folder.file("backup"), BackupAndRestoreOptions().delete_checkpoint(false));
  Model<double> first = make_model<double>();
  const History expected =
      first.fit(data.x, data.y, training<double>().epochs(3).callbacks({backup}));

  // As in Keras, fit runs the epochs from the restored count up to `epochs`: none here.
  Model<double> again = make_model<double>();
  const History history =
      again.fit(data.x, data.y, training<double>().epochs(2).callbacks({backup}));
  CHECK(backup->restored());
  CHECK(history.epoch == std::vector<int>{0, 1, 2});
  CHECK(history.history == expected.history);
  for (const auto& entry : history.history) CHECK(entry.second.size() == 3);
  CHECK(again.completed_epochs() == 3);
  check_same_weights(again, first);
}

TEST_CASE("BackupAndRestore rejects another layer configuration", "[callbacks]") {
  using test_support::contains;
  const Data<double> data;
  TemporaryFolder folder;
  auto backup = std::make_shared<BackupAndRestore<double>>(
      folder.file("backup"), BackupAndRestoreOptions().delete_checkpoint(false));
  Model<double> first = make_small_model("relu", 0.5);
  first.fit(data.x, data.y, training<double>().epochs(2).callbacks({backup}));

  // Same classes and weight shapes, so only the configurations tell the models apart.
  Model<double> tanh = make_small_model("tanh", 0.5);
  const std::vector<Matrix<double>> before = tanh.get_weights();
  const std::string message = test_support::message_of<ValueError>(
      [&] { tanh.fit(data.x, data.y, training<double>().epochs(3).callbacks({backup})); });
  CHECK(contains(message, "BackupAndRestore: the backup \"" + backup->backup_path() +
                              "\" cannot be restored: layer 1 (Dense \"" +
                              tanh.layers()[1]->name() +
                              "\") has activation \"tanh\" in this model, but \"relu\" in "
                              "the file"));
  CHECK(tanh.get_weights() == before);

  Model<double> rate = make_small_model("relu", 0.25);
  CHECK_THROWS_WITH(rate.fit(data.x, data.y, training<double>().epochs(3).callbacks({backup})),
                    Catch::Matchers::ContainsSubstring("has rate 0.25 in this model, but 0.5"));

  // Names and seeds may differ: the restore replaces what they decide.
  Model<double> same = make_small_model("relu", 0.5);
  same.fit(data.x, data.y, training<double>().epochs(3).callbacks({backup}));
  CHECK(backup->restored());
}

TEST_CASE("BackupAndRestore path errors are IOError", "[callbacks]") {
  const Data<double> data;
  TemporaryFolder folder;
  // One path component of 300 bytes is longer than common file systems allow.
  const std::string backup_dir = folder.file(std::string(300, 'a'));
  auto backup = std::make_shared<BackupAndRestore<double>>(backup_dir);
  Model<double> model = make_model<double>();
  const std::string message = test_support::message_of<IOError>(
      [&] { model.fit(data.x, data.y, training<double>().epochs(1).callbacks({backup})); });
  CHECK(test_support::contains(message, "BackupAndRestore: cannot read the status of \"" +
                                            backup->backup_path() + "\": "));
}

TEST_CASE("BackupAndRestore error hints suit a restore", "[callbacks]") {
  using test_support::contains;
  const Data<double> data;
  TemporaryFolder folder;
  const std::string backup_dir = folder.file("backup");
  fs::create_directories(backup_dir);
  const std::string path = folder.file("backup/latest.sinapse");
  auto backup = std::make_shared<BackupAndRestore<double>>(backup_dir);

  SECTION("a backup of another scalar type") {
    make_model<float>().save(path);
    Model<double> model = make_model<double>();
    const std::string message = test_support::message_of<ValueError>(
        [&] { model.fit(data.x, data.y, training<double>().callbacks({backup})); });
    CHECK(contains(message, "contains float32 values, but this model is double; resume with "
                            "the scalar type that made the file"));
    CHECK(contains(message, "; delete \"" + path + "\" to start afresh"));
    CHECK_FALSE(contains(message, "convert_dtype"));
  }
  SECTION("a weights file") {
    make_model<double>().save_weights(path);
    Model<double> model = make_model<double>();
    const std::string message = test_support::message_of<FileFormatError>(
        [&] { model.fit(data.x, data.y, training<double>().callbacks({backup})); });
    CHECK(contains(message, "is a weights file (from save_weights, or ModelCheckpoint with "
                            "save_weights_only)"));
    CHECK_FALSE(contains(message, "load_weights"));
  }
}

TEST_CASE("ModelCheckpoint rejects a NaN threshold", "[callbacks]") {
  const ModelCheckpointOptions options = ModelCheckpointOptions().save_best_only(true);
  CHECK_THROWS_WITH(
      ModelCheckpoint<double>("m.sinapse", ModelCheckpointOptions(options).initial_value_threshold(
                                               std::numeric_limits<double>::quiet_NaN())),
      Catch::Matchers::ContainsSubstring("initial_value_threshold is NaN"));
  CHECK_NOTHROW(ModelCheckpoint<double>(
      "m.sinapse", ModelCheckpointOptions(options).initial_value_threshold(
                       std::numeric_limits<double>::infinity())));
}

TEST_CASE("ModelCheckpoint creates missing parent folders", "[callbacks]") {
  TemporaryFolder folder;
  Model<double> model = make_model<double>();
  ModelCheckpoint<double> checkpoint(folder.file("checkpoints/run/model-{epoch:02d}.sinapse"));
  checkpoint.set_model(&model);
  checkpoint.on_epoch_end(0, {{"val_loss", 0.5}});
  CHECK(fs::exists(folder.file("checkpoints/run/model-01.sinapse")));

  // A file where a folder should be cannot be replaced by a folder.
  std::ofstream(folder.file("plain")) << "not a folder";
  ModelCheckpoint<double> blocked(folder.file("plain/model.sinapse"));
  blocked.set_model(&model);
  const std::string message =
      test_support::message_of<IOError>([&] { blocked.on_epoch_end(0, {{"val_loss", 0.5}}); });
  CHECK(test_support::contains(message, "ModelCheckpoint: cannot create the folder \"" +
                                            folder.file("plain") + "\""));
}
