// Tests of resuming training from a model file. Training for 2 epochs, saving, loading
// and training 1 more epoch must give bit-identically the weights, History values and
// predictions of 3 epochs in one run. The model shuffles and has both kinds of Dropout,
// BatchNormalization and amsgrad Adam. The same holds for train_on_batch and for the
// state that restore_model_state copies into an existing model.
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <sinapse/sinapse.hpp>

#include "support/catch.hpp"
#include "support/exception_message.hpp"
#include "support/saving_models.hpp"

namespace {

using namespace sinapse;
using test_support::same_matrices;
using test_support::same_matrix;

template <typename Scalar>
FitOptions<Scalar> fit_options(int epochs, int initial_epoch = 0) {
  return FitOptions<Scalar>()
      .epochs(epochs)
      .initial_epoch(initial_epoch)
      .batch_size(8)
      .validation_split(0.25)
      .shuffle(true)
      .verbose(0);
}

/// Returns the last epoch of a History, by metric name.
std::map<std::string, double> last_epoch(const History& history) {
  std::map<std::string, double> values;
  for (const auto& entry : history.history) values[entry.first] = entry.second.back();
  return values;
}

/// Input(4) -> Dense(hidden, relu) -> Dense(1, sigmoid), optionally compiled and trained
/// for one step.
Model<float> small_model(Index hidden, bool compiled, bool trained) {
  set_random_seed(static_cast<std::uint64_t>(hidden));
  Tensor<float> input = Input<float>(4);
  Tensor<float> x = Dense<float>(hidden, "relu")(input);
  Model<float> model(input, Dense<float>(1, "sigmoid")(x));
  if (compiled) model.compile("adam", "binary_crossentropy");
  if (trained) {
    model.train_on_batch(Matrix<float>::Constant(2, 4, 0.5f), Matrix<float>::Ones(2, 1));
  }
  return model;
}

template <typename Scalar>
std::vector<std::string> layer_names(const Model<Scalar>& model) {
  std::vector<std::string> names;
  for (const auto& layer : model.layers()) names.push_back(layer->name());
  return names;
}

}  // namespace

TEMPLATE_TEST_CASE("resumed fit matches unbroken fit", "[saving][resume]", float, double) {
  const test_support::EveryLayerData<TestType> data;
  Model<TestType> unbroken = test_support::every_layer_model<TestType>();
  const History full = unbroken.fit(data.x(), data.labels, fit_options<TestType>(3));

  Model<TestType> first_part = test_support::every_layer_model<TestType>();
  first_part.fit(data.x(), data.labels, fit_options<TestType>(2));
  const std::string bytes = detail::save_model_to_bytes(first_part);
  Model<TestType> resumed = detail::load_model_from_bytes<TestType>(bytes.data(), bytes.size());
  REQUIRE(resumed.completed_epochs() == 2);
  const History rest =
      resumed.fit(data.x(), data.labels, fit_options<TestType>(3, resumed.completed_epochs()));

  CHECK(same_matrices(resumed.get_weights(), unbroken.get_weights()));
  CHECK(last_epoch(rest) == last_epoch(full));
  CHECK(rest.epoch == std::vector<int>{2});
  CHECK(resumed.completed_epochs() == 3);
  CHECK(resumed.generator().state() == unbroken.generator().state());
  const PredictOptions quiet = PredictOptions().verbose(0);
  CHECK(same_matrix(resumed.predict(data.x(), quiet), unbroken.predict(data.x(), quiet)));

  // Saving did not disturb the original, which continues the same way.
  first_part.fit(data.x(), data.labels, fit_options<TestType>(3, 2));
  CHECK(same_matrices(first_part.get_weights(), unbroken.get_weights()));
}

TEMPLATE_TEST_CASE("train_on_batch after load matches", "[saving][resume]", float, double) {
  const test_support::EveryLayerData<TestType> data;
  Model<TestType> original = test_support::every_layer_model<TestType>();
  original.fit(data.x(), data.labels, fit_options<TestType>(1));
  const std::string bytes = detail::save_model_to_bytes(original);
  Model<TestType> loaded = detail::load_model_from_bytes<TestType>(bytes.data(), bytes.size());
  for (int step = 0; step < 3; ++step) {
    const Logs original_logs = original.train_on_batch(data.x(), data.labels);
    const Logs loaded_logs = loaded.train_on_batch(data.x(), data.labels);
    INFO("step " << step);
    CHECK(loaded_logs == original_logs);
    CHECK(same_matrices(loaded.get_weights(), original.get_weights()));
  }
}

TEMPLATE_TEST_CASE("restored state resumes in place", "[saving][resume]", float, double) {
  const test_support::EveryLayerData<TestType> data;
  Model<TestType> unbroken = test_support::every_layer_model<TestType>();
  unbroken.fit(data.x(), data.labels, fit_options<TestType>(3));

  Model<TestType> first_part = test_support::every_layer_model<TestType>();
  first_part.fit(data.x(), data.labels, fit_options<TestType>(2));
  const std::string path = "resume_" + std::string(detail::scalar_name<TestType>()) + ".sinapse";
  History history;
  history.history["loss"] = {0.5, 0.25};
  history.epoch = {0, 1};
  const nlohmann::json training = {{"history", detail::history_to_json(history)}};
  detail::save_model_file(first_part, path, &training);

  // A model rebuilt by the same code in the same process gets other automatic names;
  // layers are matched by position, so the state still fits.
  Model<TestType> rebuilt = test_support::every_layer_model<TestType>(99, false);
  REQUIRE(layer_names(rebuilt) != layer_names(first_part));
  rebuilt.fit(data.x(), data.labels, fit_options<TestType>(1));  // builds the optimizer
  nlohmann::json read_back;
  detail::restore_model_state(rebuilt, path, &read_back);
  CHECK(read_back == training);
  CHECK(rebuilt.completed_epochs() == 2);
  rebuilt.fit(data.x(), data.labels, fit_options<TestType>(3, 2));
  CHECK(same_matrices(rebuilt.get_weights(), unbroken.get_weights()));
  std::remove(path.c_str());
}

TEST_CASE("restore rejects another model", "[saving][resume]") {
  const std::string path = "restore_other.sinapse";
  small_model(3, true, true).save(path);

  Tensor<float> input = Input<float>(4);
  Model<float> fewer_layers(input, Dense<float>(1, "sigmoid")(input));
  fewer_layers.compile("adam", "binary_crossentropy");
  const std::string count_message = test_support::message_of<ValueError>(
      [&] { detail::restore_model_state(fewer_layers, path); });
  CHECK(test_support::contains(count_message, "restore_model_state: \"restore_other.sinapse\": "));
  CHECK(test_support::contains(count_message,
                               "the file contains a model of 3 layers, but this model has 2"));

  Model<float> wider = small_model(5, true, true);
  const std::vector<Matrix<float>> before = wider.get_weights();
  const OptimizerState<float> optimizer_before =
      detail::ModelAccess<float>::optimizer(wider)->get_state();
  const std::string shape_message =
      test_support::message_of<ValueError>([&] { detail::restore_model_state(wider, path); });
  CHECK(test_support::contains(shape_message, "[kernel (4, 3), bias (3,)] in the file"));
  CHECK(test_support::contains(shape_message, "[kernel (4, 5), bias (5,)] in this model"));
  CHECK(same_matrices(wider.get_weights(), before));
  CHECK(detail::ModelAccess<float>::optimizer(wider)->get_state().iterations ==
        optimizer_before.iterations);
  std::remove(path.c_str());
}

TEST_CASE("restore needs the saved optimizer", "[saving][resume]") {
  const std::string path = "restore_uncompiled.sinapse";
  small_model(3, true, true).save(path);
  Model<float> uncompiled = small_model(3, false, false);
  const std::vector<Matrix<float>> before = uncompiled.get_weights();
  const std::string message =
      test_support::message_of<ValueError>([&] { detail::restore_model_state(uncompiled, path); });
  CHECK(test_support::contains(message,
                               "the file contains the state of the optimizer \"adam\", "
                               "but this model is not compiled"));
  CHECK(same_matrices(uncompiled.get_weights(), before));
  std::remove(path.c_str());
}

TEST_CASE("restore of untrained state resets optimizer", "[saving][resume]") {
  const std::string path = "restore_untrained.sinapse";
  Model<float> untrained = small_model(3, true, false);
  untrained.save(path);
  Model<float> trained = small_model(3, true, true);
  REQUIRE(detail::ModelAccess<float>::optimizer(trained)->get_state().iterations == 1);
  detail::restore_model_state(trained, path);
  const Optimizer<float>* optimizer = detail::ModelAccess<float>::optimizer(trained);
  CHECK(optimizer->built());
  CHECK(optimizer->get_state().iterations == 0);
  CHECK(same_matrices(trained.get_weights(), untrained.get_weights()));
  std::remove(path.c_str());
}
