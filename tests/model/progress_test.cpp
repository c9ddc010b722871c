// Tests of the progress output of fit, evaluate and predict written to a string stream,
// which is not a terminal: Keras's final lines without "\r" or colour codes, the
// verbose 2 format, silence at verbose 0, and the number formats.
#include <cstdint>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <sinapse/sinapse.hpp>

#include "support/catch.hpp"

namespace {

using namespace sinapse;

// The 20-character bar; each U+2501 is three bytes, so it is grouped before repeating.
const std::string bar = "(?:\u2501){20}";
// Elapsed seconds and the time per step, whose values depend on the machine.
const std::string bar_times = " \\d+s \\d+(?:s|ms|us)/step";
const std::string plain_times = " - \\d+s - \\d+(?:s|ms|us)/step";
const std::string value = "\\d\\.\\d{4}";

struct Dataset {
  Matrix<float> x;
  Matrix<float> y;
};

/// Returns `rows` samples of 3 features, labelled 1 where the first feature is positive.
Dataset make_dataset(Index rows) {
  Generator generator(3);
  Dataset data{Matrix<float>(rows, 3), Matrix<float>(rows, 1)};
  for (Index i = 0; i < rows; ++i) {
    for (Index j = 0; j < 3; ++j) {
      data.x(i, j) = static_cast<float>(2.0 * generator.uniform() - 1.0);
    }
    data.y(i, 0) = data.x(i, 0) > 0 ? 1.0f : 0.0f;
  }
  return data;
}

Model<float> make_model() {
  Tensor<float> x = Input<float>(3);
  Tensor<float> hidden = Dense<float>(DenseOptions(4).activation("tanh").seed(51))(x);
  Model<float> model(x, Dense<float>(DenseOptions(1).activation("sigmoid").seed(52))(hidden));
  model.compile("adam", "binary_crossentropy", {"accuracy"});
  return model;
}

bool matches(const std::string& text, const std::string& pattern) {
  return std::regex_match(text, std::regex(pattern));
}

bool has_control_codes(const std::string& text) {
  return text.find('\r') != std::string::npos || text.find('\x1b') != std::string::npos ||
         text.find('\b') != std::string::npos;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) lines.push_back(line);
  return lines;
}

/// Returns whether `text` ends with `suffix`.
bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

TEST_CASE("progress fit verbose 1", "[model][progress]") {
  const Dataset data = make_dataset(64);
  Model<float> model = make_model();
  std::ostringstream out;

  const History history = model.fit(data.x, data.y, FitOptions<float>().output(&out).seed(1));

  const std::string text = out.str();
  INFO(text);
  CHECK(matches(text,
                "2/2 " + bar + bar_times + " - accuracy: " + value + " - loss: " + value + "\n"));
  CHECK_FALSE(has_control_codes(text));
  // The line shows the exact epoch values that History holds.
  CHECK(ends_with(text, " - accuracy: " + detail::format_metric(history.history.at("accuracy")[0]) +
                            " - loss: " + detail::format_metric(history.history.at("loss")[0]) +
                            "\n"));
}

TEST_CASE("progress Epoch lines", "[model][progress]") {
  const Dataset data = make_dataset(40);

  SECTION("several epochs") {
    Model<float> model = make_model();
    std::ostringstream out;
    model.fit(data.x, data.y, FitOptions<float>().epochs(3).batch_size(4).output(&out));

    const std::vector<std::string> lines = lines_of(out.str());
    INFO(out.str());
    REQUIRE(lines.size() == 6);
    for (int epoch = 0; epoch < 3; ++epoch) {
      CHECK(lines[2 * epoch] == "Epoch " + std::to_string(epoch + 1) + "/3");
      CHECK(matches(lines[2 * epoch + 1],
                    "10/10 " + bar + bar_times + " - accuracy: " + value + " - loss: " + value));
    }
  }

  SECTION("one epoch") {
    Model<float> model = make_model();
    std::ostringstream out;
    model.fit(data.x, data.y, FitOptions<float>().epochs(1).output(&out));

    CHECK(out.str().find("Epoch") == std::string::npos);
    CHECK(lines_of(out.str()).size() == 1);
  }
}

TEST_CASE("progress with validation", "[model][progress]") {
  const Dataset data = make_dataset(40);
  Model<float> model = make_model();
  std::ostringstream out;

  model.fit(data.x, data.y, FitOptions<float>().validation_split(0.2).output(&out));

  INFO(out.str());
  CHECK(matches(out.str(), "1/1 " + bar + bar_times + " - accuracy: " + value +
                               " - loss: " + value + " - val_accuracy: " + value +
                               " - val_loss: " + value + "\n"));
}

TEST_CASE("progress fit verbose 2", "[model][progress]") {
  const Dataset data = make_dataset(64);
  Model<float> model = make_model();
  std::ostringstream out;

  model.fit(data.x, data.y, FitOptions<float>().epochs(2).verbose(2).output(&out));

  const std::vector<std::string> lines = lines_of(out.str());
  INFO(out.str());
  REQUIRE(lines.size() == 4);
  CHECK(lines[0] == "Epoch 1/2");
  CHECK(matches(lines[1], "2/2" + plain_times + " - accuracy: " + value + " - loss: " + value));
  CHECK(lines[2] == "Epoch 2/2");
  CHECK(matches(lines[3], "2/2" + plain_times + " - accuracy: " + value + " - loss: " + value));
  CHECK_FALSE(has_control_codes(out.str()));
  CHECK(out.str().find("\u2501") == std::string::npos);
}

TEST_CASE("progress verbose 0 is silent", "[model][progress]") {
  const Dataset data = make_dataset(40);
  Model<float> model = make_model();
  std::ostringstream out;

  model.fit(data.x, data.y, FitOptions<float>().epochs(2).verbose(0).output(&out));
  model.evaluate(data.x, data.y, EvaluateOptions().verbose(0).output(&out));
  model.predict(data.x, EvaluateOptions().verbose(0).output(&out));

  CHECK(out.str().empty());
}

TEST_CASE("progress evaluate line", "[model][progress]") {
  const Dataset data = make_dataset(20);
  Model<float> model = make_model();

  SECTION("verbose 1") {
    std::ostringstream out;
    const Logs logs = model.evaluate(data.x, data.y, EvaluateOptions().batch_size(7).output(&out));

    INFO(out.str());
    CHECK(matches(out.str(),
                  "3/3 " + bar + bar_times + " - accuracy: " + value + " - loss: " + value + "\n"));
    CHECK(ends_with(out.str(), " - accuracy: " + detail::format_metric(logs.at("accuracy")) +
                                   " - loss: " + detail::format_metric(logs.at("loss")) + "\n"));
    CHECK_FALSE(has_control_codes(out.str()));
  }

  SECTION("verbose 2") {
    std::ostringstream out;
    model.evaluate(data.x, data.y, EvaluateOptions().batch_size(7).verbose(2).output(&out));

    INFO(out.str());
    CHECK(matches(out.str(),
                  "3/3" + plain_times + " - accuracy: " + value + " - loss: " + value + "\n"));
  }
}

TEST_CASE("progress predict line", "[model][progress]") {
  const Dataset data = make_dataset(20);
  Model<float> model = make_model();
  std::ostringstream out;

  model.predict(data.x, EvaluateOptions().batch_size(7).output(&out));

  INFO(out.str());
  CHECK(matches(out.str(), "3/3 " + bar + bar_times + "\n"));
  CHECK_FALSE(has_control_codes(out.str()));
}

TEST_CASE("progress small loss in e-notation", "[model][progress]") {
  // A saturated, correct model: the loss is about log(1 + e^-20) = 2.1e-9.
  Tensor<float> x = Input<float>(1);
  Model<float> model(x, Dense<float>(1, "sigmoid")(x));
  model.set_weights({Matrix<float>::Constant(1, 1, 20.0f), Matrix<float>::Zero(1, 1)});
  model.compile("adam", "binary_crossentropy", {"accuracy"});
  Matrix<float> inputs(4, 1);
  inputs << 1, -1, 1, -1;
  Matrix<float> labels(4, 1);
  labels << 1, 0, 1, 0;
  std::ostringstream out;

  model.evaluate(inputs, labels, EvaluateOptions().output(&out));

  INFO(out.str());
  CHECK(matches(out.str(),
                "1/1 " + bar + bar_times + " - accuracy: 1\\.0000 - loss: \\d\\.\\d{4}e-\\d{2}\n"));
}

TEST_CASE("progress bar writes only the final line", "[model][progress]") {
  std::ostringstream out;
  detail::ProgressBar progress(out, 5, 1);

  for (Index step = 1; step <= 5; ++step) progress.update(step, [] { return Logs{{"loss", 0.5}}; });
  CHECK(out.str().empty());

  progress.finish({{"loss", 0.25}});
  INFO(out.str());
  CHECK(matches(out.str(), "5/5 " + bar + bar_times + " - loss: 0\\.2500\n"));
}

TEST_CASE("progress format_metric", "[model][progress]") {
  CHECK(detail::format_metric(0.6931471805599453) == "0.6931");
  CHECK(detail::format_metric(12.345678) == "12.3457");
  CHECK(detail::format_metric(0.0011) == "0.0011");
  // Magnitudes at or below 1e-3 switch to e-notation, zero included.
  CHECK(detail::format_metric(1e-3) == "1.0000e-03");
  CHECK(detail::format_metric(5e-4) == "5.0000e-04");
  CHECK(detail::format_metric(0.0) == "0.0000e+00");
  CHECK(detail::format_metric(-0.5) == "-0.5000");
  CHECK(detail::format_metric(-1e-4) == "-1.0000e-04");
  // verbose 2 compares the signed value, so negative values use e-notation.
  CHECK(detail::format_metric(-0.5, false) == "-5.0000e-01");
  CHECK(detail::format_metric(0.5, false) == "0.5000");
}

TEST_CASE("progress time formats", "[model][progress]") {
  CHECK(detail::format_time_per_step(0.0) == "0s/step");
  CHECK(detail::format_time_per_step(2.4) == "2s/step");
  CHECK(detail::format_time_per_step(1.0) == "1s/step");
  CHECK(detail::format_time_per_step(0.999) == "999ms/step");
  CHECK(detail::format_time_per_step(0.0023) == "2ms/step");
  CHECK(detail::format_time_per_step(1.5e-5) == "15us/step");
  CHECK(detail::format_eta(12.7) == "12s");
  CHECK(detail::format_eta(60.0) == "60s");
  CHECK(detail::format_eta(185.0) == "3:05");
  CHECK(detail::format_eta(3723.0) == "1:02:03");
}
