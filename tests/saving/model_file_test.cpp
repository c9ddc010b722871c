// Tests of model files. A graph with every layer class, fan-out, a shared layer, two
// inputs and both merge layers survives save and load with its names, configs, weights,
// compile settings and state, and the loaded model predicts bit-identically. Also dtype
// mismatches, user-defined classes and the training record, and save rejecting a model
// that load would reject.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <sinapse/sinapse.hpp>

#include "support/catch.hpp"
#include "support/exception_message.hpp"
#include "support/model_file_seeds.hpp"
#include "support/random_data.hpp"
#include "support/saving_models.hpp"

namespace {

using namespace sinapse;
using test_support::same_matrices;
using test_support::same_matrix;

/// Checks that two models agree in everything a model file stores.
template <typename Scalar>
void check_same_model(Model<Scalar>& loaded, Model<Scalar>& original) {
  using ModelAccess = detail::ModelAccess<Scalar>;
  CHECK(loaded.name() == original.name());

  REQUIRE(loaded.layers().size() == original.layers().size());
  for (std::size_t i = 0; i < loaded.layers().size(); ++i) {
    const Layer<Scalar>& a = *loaded.layers()[i];
    const Layer<Scalar>& b = *original.layers()[i];
    INFO("layer " << i << " " << b.name());
    CHECK(a.name() == b.name());
    CHECK(a.class_name() == b.class_name());
    CHECK(a.get_config() == b.get_config());
    CHECK(a.input_widths() == b.input_widths());
  }

  CHECK(same_matrices(loaded.get_weights(), original.get_weights()));
  CHECK(loaded.compiled() == original.compiled());
  CHECK(loaded.metrics_names() == original.metrics_names());
  CHECK(loaded.completed_epochs() == original.completed_epochs());
  CHECK(loaded.generator().state() == original.generator().state());

  for (std::size_t i = 0; i < loaded.layers().size(); ++i) {
    const Generator* a = loaded.layers()[i]->own_generator();
    const Generator* b = original.layers()[i]->own_generator();
    REQUIRE((a == nullptr) == (b == nullptr));
    if (a != nullptr) CHECK(a->state() == b->state());
  }

  const Optimizer<Scalar>* a = ModelAccess::optimizer(loaded);
  const Optimizer<Scalar>* b = ModelAccess::optimizer(original);
  REQUIRE((a == nullptr) == (b == nullptr));
  if (a != nullptr) {
    CHECK(a->get_config() == b->get_config());
    CHECK(a->built() == b->built());
    if (a->built()) {
      const OptimizerState<Scalar> state_a = a->get_state();
      const OptimizerState<Scalar> state_b = b->get_state();
      CHECK(state_a.iterations == state_b.iterations);
      REQUIRE(state_a.slots.size() == state_b.slots.size());
      for (std::size_t k = 0; k < state_a.slots.size(); ++k) {
        CHECK(state_a.slots[k].first == state_b.slots[k].first);
        CHECK(same_matrices(state_a.slots[k].second, state_b.slots[k].second));
      }
    }
  }
  CHECK(loaded.summary_string(110) == original.summary_string(110));
}

}  // namespace

TEMPLATE_TEST_CASE("every layer model round trip", "[saving][model_file]", float, double) {
  Model<TestType> model = test_support::every_layer_model<TestType>();
  const test_support::EveryLayerData<TestType> data;
  model.fit(data.x(), data.labels,
            FitOptions<TestType>().epochs(2).batch_size(8).validation_split(0.25).verbose(0));

  const std::string bytes = detail::save_model_to_bytes(model);
  Model<TestType> loaded = detail::load_model_from_bytes<TestType>(bytes.data(), bytes.size());
  check_same_model(loaded, model);

  const PredictOptions quiet = PredictOptions().verbose(0);
  CHECK(same_matrix(loaded.predict(data.x(), quiet), model.predict(data.x(), quiet)));
  const Logs loaded_scores = loaded.evaluate(data.x(), data.labels, EvaluateOptions().verbose(0));
  const Logs original_scores = model.evaluate(data.x(), data.labels, EvaluateOptions().verbose(0));
  CHECK(loaded_scores == original_scores);
  // Saving the loaded model writes the same bytes: nothing was lost or added.
  CHECK(detail::save_model_to_bytes(loaded) == bytes);
}

TEMPLATE_TEST_CASE("uncompiled model round trip", "[saving][model_file]", float, double) {
  set_random_seed(5);
  Tensor<TestType> input = Input<TestType>(3);
  Model<TestType> model(input, Dense<TestType>(2, "softmax")(input));
  const std::string bytes = detail::save_model_to_bytes(model);
  Model<TestType> loaded = detail::load_model_from_bytes<TestType>(bytes.data(), bytes.size());
  check_same_model(loaded, model);
  CHECK_FALSE(loaded.compiled());
  const Matrix<TestType> x = test_support::random_matrix<TestType>(5, 3, 4);
  CHECK(same_matrix(loaded.predict(x, PredictOptions().verbose(0)),
                    model.predict(x, PredictOptions().verbose(0))));
  CHECK(detail::save_model_to_bytes(loaded) == bytes);
}

TEST_CASE("compiled untrained model round trip", "[saving][model_file]") {
  set_random_seed(6);
  Tensor<double> input = Input<double>(3);
  Model<double> model(input, Dense<double>(1, "sigmoid")(input));
  model.compile("adam", "binary_crossentropy", {"accuracy", "acc"});
  const std::string bytes = detail::save_model_to_bytes(model);
  Model<double> loaded = detail::load_model_from_bytes<double>(bytes.data(), bytes.size());
  check_same_model(loaded, model);
  CHECK_FALSE(detail::ModelAccess<double>::optimizer(loaded)->built());
  CHECK(loaded.metrics_names() == std::vector<std::string>{"loss", "accuracy", "acc"});
}

TEST_CASE("seed files load and re-save identically", "[saving][model_file]") {
  for (const auto& seed : test_support::model_file_seeds()) {
    INFO(seed.first);
    if (seed.first.find("weights") != std::string::npos) continue;
    if (seed.first.find("float64") != std::string::npos) {
      Model<double> model =
          detail::load_model_from_bytes<double>(seed.second.data(), seed.second.size());
      CHECK(detail::save_model_to_bytes(model) == seed.second);
    } else {
      Model<float> model =
          detail::load_model_from_bytes<float>(seed.second.data(), seed.second.size());
      CHECK(detail::save_model_to_bytes(model) == seed.second);
    }
  }
}

TEST_CASE("dtype mismatch is an error by default", "[saving][model_file]") {
  const Model<float> model = test_support::every_layer_model<float>();
  const std::string bytes = detail::save_model_to_bytes(model);
  const std::string message = test_support::message_of<ValueError>(
      [&] { detail::load_model_from_bytes<double>(bytes.data(), bytes.size()); });
  CHECK(test_support::contains(message,
                               "load_model: bytes in memory: the file contains float32 values"));
  CHECK(test_support::contains(message, "LoadOptions().convert_dtype(true)"));
  CHECK_FALSE(test_support::contains(message, "(no exception thrown)"));
}

TEST_CASE("float file converts to double on request", "[saving][model_file]") {
  const Model<float> model = test_support::every_layer_model<float>();
  const std::string bytes = detail::save_model_to_bytes(model);
  Model<double> loaded = detail::load_model_from_bytes<double>(bytes.data(), bytes.size(),
                                                               LoadOptions().convert_dtype(true));
  const std::vector<Matrix<float>> expected = model.get_weights();
  const std::vector<Matrix<double>> actual = loaded.get_weights();
  REQUIRE(actual.size() == expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) {
    CHECK(same_matrix<double>(actual[i], expected[i].cast<double>()));
  }
}

TEST_CASE("double file converts to float on request", "[saving][model_file]") {
  Model<double> model = test_support::every_layer_model<double>();
  const test_support::EveryLayerData<double> data;
  model.fit(data.x(), data.labels, FitOptions<double>().epochs(1).verbose(0));
  const std::string bytes = detail::save_model_to_bytes(model);
  CHECK_THROWS_AS(detail::load_model_from_bytes<float>(bytes.data(), bytes.size()), ValueError);
  Model<float> loaded = detail::load_model_from_bytes<float>(bytes.data(), bytes.size(),
                                                             LoadOptions().convert_dtype(true));
  const std::vector<Matrix<double>> expected = model.get_weights();
  const std::vector<Matrix<float>> actual = loaded.get_weights();
  REQUIRE(actual.size() == expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) {
    CHECK(same_matrix<float>(actual[i], expected[i].cast<float>()));
  }
  const OptimizerState<float> state = detail::ModelAccess<float>::optimizer(loaded)->get_state();
  CHECK(state.iterations == detail::ModelAccess<double>::optimizer(model)->get_state().iterations);
}

TEST_CASE("user-defined layer cannot be saved", "[saving][model_file]") {
  Tensor<float> input = Input<float>(2);
  Model<float> model(input, test_support::Scale<float>("my_scale")(input));
  const std::string message =
      test_support::message_of<ValueError>([&] { detail::save_model_to_bytes(model); });
  CHECK(test_support::contains(message,
                               "save: layer \"my_scale\" (Scale) is of a user-defined class"));
  CHECK(test_support::contains(message, "save_weights works with any layer"));
}

TEST_CASE("user-defined metric cannot be saved", "[saving][model_file]") {
  class CountMetric : public Metric<float> {
   public:
    std::string name() const override { return "count"; }
    void reset() override { count_ = 0; }
    void update(const Matrix<float>&, const Matrix<float>& y_pred) override {
      count_ += static_cast<double>(y_pred.rows());
    }
    double result() const override { return count_; }
    std::unique_ptr<Metric<float>> clone() const override {
      return std::make_unique<CountMetric>(*this);
    }

   private:
    double count_ = 0;
  };
  Tensor<float> input = Input<float>(2);
  Model<float> model(input, Dense<float>(1, "sigmoid")(input));
  model.compile("adam", "binary_crossentropy", {CountMetric()});
  const std::string message =
      test_support::message_of<ValueError>([&] { detail::save_model_to_bytes(model); });
  CHECK(test_support::contains(message, "save: the metric \"count\" is a user-defined class"));
}

TEST_CASE("moved-from model cannot be saved", "[saving][model_file]") {
  Tensor<float> input = Input<float>(2);
  Model<float> model(input, Dense<float>(1)(input));
  Model<float> moved = std::move(model);
  CHECK_THROWS_AS(detail::save_model_to_bytes(model), StateError);
  CHECK_NOTHROW(detail::save_model_to_bytes(moved));
}

TEST_CASE("training record round trip", "[saving][model_file]") {
  Model<float> model = test_support::every_layer_model<float>();
  History history;
  history.history["loss"] = {0.6931471805599453, 0.1 + 0.2};
  history.history["accuracy"] = {0.5, 0.75};
  history.epoch = {0, 1};
  history.epochs = 4;
  history.steps = 5;
  history.verbose = 2;
  const nlohmann::json training = {{"history", detail::history_to_json(history)}, {"note", "x"}};
  const std::string bytes = detail::save_model_to_bytes(model, &training);

  nlohmann::json read_back;
  detail::load_model_from_bytes<float>(bytes.data(), bytes.size(), LoadOptions(), &read_back);
  CHECK(read_back == training);
  const History restored =
      detail::history_from_json(detail::JsonView(read_back["history"], "training.history"));
  CHECK(restored.history == history.history);
  CHECK(restored.epoch == history.epoch);
  CHECK(restored.epochs == 4);
  CHECK(restored.steps == 5);
  CHECK(restored.verbose == 2);

  // A file without a record gives null, and load_model ignores the record.
  nlohmann::json none = "unchanged";
  const std::string plain = detail::save_model_to_bytes(model);
  detail::load_model_from_bytes<float>(plain.data(), plain.size(), LoadOptions(), &none);
  CHECK(none.is_null());
  CHECK_NOTHROW(detail::load_model_from_bytes<float>(bytes.data(), bytes.size()));
}

TEST_CASE("training record must be an object", "[saving][model_file]") {
  Tensor<float> input = Input<float>(2);
  Model<float> model(input, Dense<float>(1)(input));
  const nlohmann::json list = nlohmann::json::array({1, 2});
  CHECK_THROWS_AS(detail::save_model_to_bytes(model, &list), ValueError);
  nlohmann::json deep = nlohmann::json::object();
  nlohmann::json* level = &deep;
  for (int i = 0; i < 40; ++i) level = &((*level)["x"] = nlohmann::json::object());
  (*level)["x"] = 1;
  CHECK_THROWS_AS(detail::save_model_to_bytes(model, &deep), ValueError);
}

TEST_CASE("history with NaN reads back as NaN", "[saving][model_file]") {
  History history;
  history.history["loss"] = {std::nan("")};
  history.epoch = {0};
  const nlohmann::json json = detail::history_to_json(history);
  const History restored = detail::history_from_json(detail::JsonView(json, "history"));
  REQUIRE(restored.history.at("loss").size() == 1);
  CHECK(std::isnan(restored.history.at("loss")[0]));
}

TEST_CASE("model file JSON is readable", "[saving][model_file]") {
  const Model<float> model = test_support::every_layer_model<float>();
  const std::string bytes = detail::save_model_to_bytes(model);
  const detail::FileSections sections = detail::read_file_sections(bytes.data(), bytes.size());
  const nlohmann::json document =
      nlohmann::json::parse(sections.json.data, sections.json.data + sections.json.size);
  CHECK(document["format"] == "sinapse.model");
  CHECK(document["dtype"] == "float32");
  CHECK(document["model"]["name"] == "every_layer");
  CHECK(document["model"]["input_layers"] ==
        nlohmann::json::parse(R"([["numeric", 0], ["flags", 0]])"));
  // The shared layer lists two calls, the second on the Activation's output.
  bool found_shared = false;
  for (const nlohmann::json& layer : document["model"]["layers"]) {
    if (layer["name"] != "shared") continue;
    found_shared = true;
    CHECK(layer["inbound_nodes"] ==
          nlohmann::json::parse(R"([[["numeric", 0]], [["activation", 0]]])"));
    CHECK(layer["weights"][0]["shape"] == nlohmann::json::parse("[4, 3]"));
    CHECK(layer["weights"][1]["shape"] == nlohmann::json::parse("[3]"));
  }
  CHECK(found_shared);
  CHECK(document["compile"]["optimizer"]["config"]["amsgrad"] == true);
  CHECK(document["state"]["layer_generators"].size() == 1);
}

namespace {

/// Returns the variable `name` of the first layer of class `class_name` in `model`.
Variable<double>& variable_of(Model<double>& model, const std::string& class_name,
                              const std::string& name) {
  for (const auto& layer : model.layers()) {
    if (layer->class_name() != class_name) continue;
    for (Variable<double>* variable : layer->variables()) {
      if (variable->name == name) return *variable;
    }
  }
  throw std::runtime_error("no variable " + name + " in a " + class_name + " layer");
}

/// Input(3) -> Dense "dense" (2) -> BatchNormalization "norm", compiled with Adam.
Model<double> dense_and_norm() {
  set_random_seed(21);
  Tensor<double> input = Input<double>(3);
  Tensor<double> x = Dense<double>(DenseOptions(2).name("dense"))(input);
  x = BatchNormalization<double>(BatchNormalizationOptions().name("norm"))(x);
  Model<double> model(input, x);
  model.compile("adam", "binary_crossentropy");
  return model;
}

/// Saves `model` over a valid old model file, expects ValueError, checks that the old
/// file is byte-identical afterwards and returns the message.
std::string failed_save(const Model<double>& model, const std::string& path) {
  const std::string old_contents = detail::save_model_to_bytes(dense_and_norm());
  detail::write_file_atomically(path, old_contents, "test");
  const std::string message = test_support::message_of<ValueError>([&] { model.save(path); });
  std::ifstream stream(path, std::ios::binary);
  const std::string after((std::istreambuf_iterator<char>(stream)),
                          std::istreambuf_iterator<char>());
  CHECK(after == old_contents);
  return message;
}

}  // namespace

TEST_CASE("save rejects what load rejects", "[saving][model_file]") {
  const std::string path = "save_rejects.sinapse";
  {
    Model<double> model = dense_and_norm();
    model.save(path);  // the valid model saves and loads
    CHECK_NOTHROW(load_model<double>(path));
  }
  SECTION("NaN weight") {
    Model<double> model = dense_and_norm();
    variable_of(model, "Dense", "kernel").value(1, 0) = std::nan("");
    const std::string message = failed_save(model, path);
    CHECK(test_support::contains(message, "save: layer \"dense\" (Dense): weight \"kernel\""));
    CHECK(test_support::contains(message, "at index (1, 0)"));
    CHECK(test_support::contains(message, "diverged"));
    CHECK(test_support::contains(message, "nothing was written"));
  }
  SECTION("infinite weight") {
    Model<double> model = dense_and_norm();
    variable_of(model, "BatchNormalization", "moving_mean").value(1, 0) =
        -std::numeric_limits<double>::infinity();
    const std::string message = failed_save(model, path);
    CHECK(test_support::contains(message, "weight \"moving_mean\" contains -inf at index (1, 0)"));
  }
  SECTION("negative moving variance") {
    Model<double> model = dense_and_norm();
    variable_of(model, "BatchNormalization", "moving_variance").value(0, 0) = -1.0;
    const std::string message = failed_save(model, path);
    CHECK(
        test_support::contains(message, "weight \"moving_variance\" contains -1 at index (0, 0)"));
    CHECK(test_support::contains(message, "non-negative"));
  }
  SECTION("epoch count beyond the maximum") {
    Model<double> model = dense_and_norm();
    detail::ModelAccess<double>::set_completed_epochs(model, detail::max_completed_epochs + 1);
    const std::string message = failed_save(model, path);
    CHECK(test_support::contains(message, "completed 1073741824 epochs"));
    CHECK(test_support::contains(message, "from 0 to 1073741823"));
  }
  SECTION("epoch count at the maximum loads") {
    Model<double> model = dense_and_norm();
    detail::ModelAccess<double>::set_completed_epochs(model, detail::max_completed_epochs);
    model.save(path);
    CHECK(load_model<double>(path).completed_epochs() == detail::max_completed_epochs);
  }
  std::remove(path.c_str());
}
