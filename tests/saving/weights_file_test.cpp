// Tests of weights files: the save_weights and load_weights round trip, matching by layer
// name, the weights of a model file and of user-defined layers. A missing layer, an extra
// layer, a wrong shape, a wrong class and other weight names each give a clear error and
// leave the model unchanged. save_weights rejects weights that load_weights would reject.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <sinapse/sinapse.hpp>

#include "support/catch.hpp"
#include "support/exception_message.hpp"
#include "support/saving_models.hpp"

namespace {

using namespace sinapse;
using test_support::same_matrices;

/// Input(4) -> Dense "a" (3) -> Dense "b" (1), with weights drawn from `seed`.
Model<float> two_dense(std::uint64_t seed) {
  set_random_seed(seed);
  Tensor<float> input = Input<float>(4, "input");
  Tensor<float> x = Dense<float>(DenseOptions(3).activation("relu").name("a"))(input);
  return Model<float>(input, Dense<float>(DenseOptions(1).name("b"))(x));
}

/// Loads `path` into `model`, expects Exception, and checks that no weight changed.
template <typename Exception>
std::string failed_load(Model<float>& model, const std::string& path) {
  const std::vector<Matrix<float>> before = model.get_weights();
  const std::string message =
      test_support::message_of<Exception>([&] { model.load_weights(path); });
  CHECK(same_matrices(model.get_weights(), before));
  return message;
}

}  // namespace

TEMPLATE_TEST_CASE("weights round trip by name", "[saving][weights_file]", float, double) {
  Model<TestType> trained = test_support::every_layer_model<TestType>();
  const test_support::EveryLayerData<TestType> data;
  trained.fit(data.x(), data.labels, FitOptions<TestType>().epochs(2).verbose(0));
  const std::string path = std::string("weights_") + detail::scalar_name<TestType>() + ".sinapse";
  trained.save_weights(path);

  Model<TestType> fresh = test_support::every_layer_model<TestType>(1234);
  REQUIRE_FALSE(same_matrices(fresh.get_weights(), trained.get_weights()));
  fresh.load_weights(path);
  CHECK(same_matrices(fresh.get_weights(), trained.get_weights()));
  const PredictOptions quiet = PredictOptions().verbose(0);
  CHECK(
      test_support::same_matrix(fresh.predict(data.x(), quiet), trained.predict(data.x(), quiet)));
  std::remove(path.c_str());
}

TEST_CASE("weights load from a model file", "[saving][weights_file]") {
  const std::string path = "weights_from_model.sinapse";
  Model<float> saved = test_support::every_layer_model<float>();
  saved.fit(test_support::EveryLayerData<float>().x(), test_support::EveryLayerData<float>().labels,
            FitOptions<float>().epochs(1).verbose(0));
  saved.save(path);
  Model<float> fresh = test_support::every_layer_model<float>(7);
  fresh.load_weights(path);
  CHECK(same_matrices(fresh.get_weights(), saved.get_weights()));
  std::remove(path.c_str());
}

TEST_CASE("weights file lists only layers with weights", "[saving][weights_file]") {
  const Model<float> model = test_support::every_layer_model<float>();
  const std::string bytes = detail::save_weights_to_bytes(model);
  const detail::FileSections sections = detail::read_file_sections(bytes.data(), bytes.size());
  const nlohmann::json document =
      nlohmann::json::parse(sections.json.data, sections.json.data + sections.json.size);
  CHECK(document["format"] == "sinapse.weights");
  std::vector<std::string> names;
  for (const nlohmann::json& layer : document["layers"]) names.push_back(layer["name"]);
  std::vector<std::string> expected;
  for (const auto& layer : model.layers()) {
    if (!std::as_const(*layer).variables().empty()) expected.push_back(layer->name());
  }
  CHECK(expected.size() == 6);
  CHECK(names == expected);
}

TEST_CASE("weights of a user-defined layer", "[saving][weights_file]") {
  const std::string path = "weights_custom.sinapse";
  Tensor<float> input = Input<float>(2);
  test_support::Scale<float> scale("scale");
  Model<float> model(input, scale(input));
  scale->variables()[0]->value(0, 0) = 3.5f;
  model.save_weights(path);

  Tensor<float> other_input = Input<float>(2);
  Model<float> other(other_input, test_support::Scale<float>("scale")(other_input));
  other.load_weights(path);
  CHECK(other.get_weights()[0](0, 0) == 3.5f);
  std::remove(path.c_str());
}

TEST_CASE("load_weights reports a missing layer", "[saving][weights_file]") {
  const std::string path = "weights_missing.sinapse";
  two_dense(1).save_weights(path);
  set_random_seed(2);
  Tensor<float> input = Input<float>(4);
  Tensor<float> x = Dense<float>(DenseOptions(3).activation("relu").name("a"))(input);
  x = Dense<float>(DenseOptions(3).name("c"))(x);
  Model<float> model(input, Dense<float>(DenseOptions(1).name("b"))(x));
  const std::string message = failed_load<ValueError>(model, path);
  CHECK(test_support::contains(message, "load_weights: \"weights_missing.sinapse\": "));
  CHECK(test_support::contains(message,
                               "the model's layer \"c\" (Dense) has weights, but the "
                               "file has none for it (the file has weights for: a, b)"));
  std::remove(path.c_str());
}

TEST_CASE("load_weights reports an extra layer", "[saving][weights_file]") {
  const std::string path = "weights_extra.sinapse";
  two_dense(1).save_weights(path);
  Tensor<float> input = Input<float>(4);
  Model<float> model(input, Dense<float>(DenseOptions(3).activation("relu").name("a"))(input));
  const std::string message = failed_load<ValueError>(model, path);
  CHECK(test_support::contains(message,
                               "the file has weights for layer \"b\" (Dense), which the "
                               "model lacks"));
  std::remove(path.c_str());
}

TEST_CASE("load_weights reports a wrong shape", "[saving][weights_file]") {
  const std::string path = "weights_shape.sinapse";
  two_dense(1).save_weights(path);
  Tensor<float> input = Input<float>(4);
  Tensor<float> x = Dense<float>(DenseOptions(5).activation("relu").name("a"))(input);
  Model<float> model(input, Dense<float>(DenseOptions(1).name("b"))(x));
  const std::string message = failed_load<ShapeError>(model, path);
  CHECK(test_support::contains(message,
                               "layer \"a\": weight \"kernel\" has shape (4, 3) in the "
                               "file, but (4, 5) in the model"));
  std::remove(path.c_str());
}

TEST_CASE("load_weights reports a wrong class", "[saving][weights_file]") {
  const std::string path = "weights_class.sinapse";
  two_dense(1).save_weights(path);
  Tensor<float> input = Input<float>(4);
  Tensor<float> x = BatchNormalization<float>(BatchNormalizationOptions().name("a"))(input);
  Model<float> model(input, Dense<float>(DenseOptions(1).name("b"))(x));
  const std::string message = failed_load<ValueError>(model, path);
  CHECK(test_support::contains(message,
                               "layer \"a\" is a BatchNormalization in the model, but a "
                               "Dense in the file"));
  std::remove(path.c_str());
}

TEST_CASE("load_weights reports other weight names", "[saving][weights_file]") {
  const std::string path = "weights_names.sinapse";
  {
    Tensor<float> input = Input<float>(4);
    Model<float> model(input,
                       BatchNormalization<float>(BatchNormalizationOptions().name("n"))(input));
    model.save_weights(path);
  }
  Tensor<float> input = Input<float>(4);
  Model<float> model(
      input, BatchNormalization<float>(BatchNormalizationOptions().center(false).name("n"))(input));
  const std::string message = failed_load<ValueError>(model, path);
  CHECK(test_support::contains(message,
                               "the file has the weights [gamma (4,), beta (4,), "
                               "moving_mean (4,), moving_variance (4,)], but the layer "
                               "has [gamma (4,), moving_mean (4,), moving_variance (4,)]"));
  std::remove(path.c_str());
}

TEST_CASE("load_weights dtype mismatch", "[saving][weights_file]") {
  const std::string path = "weights_dtype.sinapse";
  const Model<float> saved = two_dense(1);
  saved.save_weights(path);
  set_random_seed(1);
  Tensor<double> input = Input<double>(4, "input");
  Tensor<double> x = Dense<double>(DenseOptions(3).activation("relu").name("a"))(input);
  Model<double> model(input, Dense<double>(DenseOptions(1).name("b"))(x));
  const std::vector<Matrix<double>> before = model.get_weights();
  const std::string message =
      test_support::message_of<ValueError>([&] { model.load_weights(path); });
  CHECK(test_support::contains(message,
                               "the file contains float32 values, but the model type is "
                               "double"));
  CHECK(same_matrices(model.get_weights(), before));
  model.load_weights(path, LoadOptions().convert_dtype(true));
  const std::vector<Matrix<float>> expected = saved.get_weights();
  const std::vector<Matrix<double>> actual = model.get_weights();
  REQUIRE(actual.size() == expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) {
    CHECK(test_support::same_matrix<double>(actual[i], expected[i].cast<double>()));
  }
  std::remove(path.c_str());
}

TEST_CASE("load_weights rejects damaged weights files", "[saving][weights_file]") {
  Model<float> model = two_dense(1);
  const std::string bytes = detail::save_weights_to_bytes(two_dense(2));
  const std::vector<Matrix<float>> before = model.get_weights();
  int rejected = 0;
  for (std::size_t length = 0; length < bytes.size(); ++length) {
    try {
      detail::load_weights_from_bytes(model, bytes.data(), length);
    } catch (const FileFormatError&) {
      ++rejected;
    }
  }
  CHECK(rejected == static_cast<int>(bytes.size()));
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    std::string flipped = bytes;
    flipped[i] = static_cast<char>(flipped[i] ^ 0x10);
    try {
      detail::load_weights_from_bytes(model, flipped.data(), flipped.size());
    } catch (const FileFormatError&) {
      ++rejected;
    }
  }
  CHECK(rejected == static_cast<int>(2 * bytes.size()));
  CHECK(same_matrices(model.get_weights(), before));
  detail::load_weights_from_bytes(model, bytes.data(), bytes.size());
  CHECK(same_matrices(model.get_weights(), two_dense(2).get_weights()));
}

TEST_CASE("load_model rejects a weights file", "[saving][weights_file]") {
  const std::string bytes = detail::save_weights_to_bytes(two_dense(1));
  const std::string message = test_support::message_of<FileFormatError>(
      [&] { detail::load_model_from_bytes<float>(bytes.data(), bytes.size()); });
  CHECK(test_support::contains(message, "this is a weights file from save_weights"));
}

TEST_CASE("save_weights rejects what load rejects", "[saving][weights_file]") {
  const std::string path = "weights_rejects.sinapse";
  Tensor<float> input = Input<float>(2);
  test_support::Scale<float> scale("scale");
  Model<float> model(input, scale(input));
  Variable<float>& factor = *scale->variables()[0];
  model.save_weights(path);
  std::ifstream stream(path, std::ios::binary);
  const std::string old_contents((std::istreambuf_iterator<char>(stream)),
                                 std::istreambuf_iterator<char>());
  REQUIRE(old_contents.size() > 16);

  // Each case breaks one rule that load_weights applies and names a part of the message.
  const std::vector<std::pair<std::string, std::function<void()>>> cases = {
      {"weight 0 has an empty name", [&] { factor.name = ""; }},
      {"weight \"factor\" has rank 3", [&] { factor.rank = 3; }},
      {"weight \"factor\" has rank 0", [&] { factor.rank = 0; }},
      {"has rank 1, but its value is a (2, 3) matrix",
       [&] {
         factor.rank = 1;
         factor.value = Matrix<float>::Ones(2, 3);
       }},
      {"contains nan at index (0, 0)", [&] { factor.value(0, 0) = std::nanf(""); }},
      {"contains inf at index (0, 0)",
       [&] { factor.value(0, 0) = std::numeric_limits<float>::infinity(); }},
      {"contains -0.5 at index (0, 0), but it is marked non-negative",
       [&] {
         factor.non_negative = true;
         factor.value(0, 0) = -0.5f;
       }},
  };
  for (const auto& item : cases) {
    INFO(item.first);
    const Variable<float> saved = factor;
    item.second();
    const std::string message =
        test_support::message_of<ValueError>([&] { model.save_weights(path); });
    CHECK(test_support::contains(message, "save_weights: layer \"scale\" (Scale): "));
    CHECK(test_support::contains(message, item.first));
    CHECK(test_support::contains(message, "nothing was written"));
    std::ifstream after_stream(path, std::ios::binary);
    const std::string after((std::istreambuf_iterator<char>(after_stream)),
                            std::istreambuf_iterator<char>());
    CHECK(after == old_contents);
    factor = saved;
  }
  // With the weight repaired, the file saves and loads again.
  model.save_weights(path);
  model.load_weights(path);
  std::remove(path.c_str());
}
