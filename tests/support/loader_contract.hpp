// The contract of the model and weights loaders on arbitrary bytes, checked by the loader's
// fuzz target (fuzz/fuzz_load_model.cpp) and by the fuzz regression test. Every loading
// call either succeeds or throws a sinapse::Error. A model that loads saves, loads again
// to the same bytes, and predicts and trains like the reloaded copy.
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <sinapse/sinapse.hpp>

#include "support/model_file_seeds.hpp"

namespace test_support {

/// A loaded model that breaks the contract: it cannot be saved, its saved bytes do not
/// load, or its copy behaves differently. Deliberately not a sinapse::Error, so that the
/// fuzz target treats it as a crash.
class LoaderContractViolation : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

/// Returns the name of the sinapse error class of `error`, such as "FileFormatError".
inline std::string outcome_name(const sinapse::Error& error) {
  if (dynamic_cast<const sinapse::FileFormatError*>(&error) != nullptr) return "FileFormatError";
  if (dynamic_cast<const sinapse::ShapeError*>(&error) != nullptr) return "ShapeError";
  if (dynamic_cast<const sinapse::ValueError*>(&error) != nullptr) return "ValueError";
  if (dynamic_cast<const sinapse::StateError*>(&error) != nullptr) return "StateError";
  if (dynamic_cast<const sinapse::IOError*>(&error) != nullptr) return "IOError";
  return "Error";
}

/// One loading call that `check_loader_contract` made.
struct LoadingCall {
  /// The call, such as "load_model<float>" or "load_weights into \"chain\"<double>".
  std::string call;
  /// "loaded", or the class of the sinapse error that it threw, such as "FileFormatError".
  std::string outcome;
  /// The error's message; empty when the call loaded.
  std::string message;
};

/// Every loading call that `check_loader_contract` made, in order.
struct LoaderOutcomes {
  std::vector<LoadingCall> calls;

  void add(const std::string& call, const sinapse::Error* error) {
    if (error == nullptr) {
      calls.push_back({call, "loaded", ""});
    } else {
      calls.push_back({call, outcome_name(*error), error->what()});
    }
  }

  /// Formats one "call: outcome: message" line per call, for test messages.
  std::string text() const {
    std::string result;
    for (const LoadingCall& entry : calls) {
      result += entry.call + ": " + entry.outcome;
      if (!entry.message.empty()) result += ": " + entry.message;
      result += "\n";
    }
    return result;
  }
};

/// The models that `check_loader_contract` loads weights into: the models of the seed
/// files, so that a weights file derived from a seed matches one of them.
struct WeightTargets {
  std::vector<sinapse::Model<float>> float_models;
  std::vector<sinapse::Model<double>> double_models;
};

inline WeightTargets make_weight_targets() {
  WeightTargets targets;
  for (const auto& seed : model_file_seeds()) {
    const std::string& bytes = seed.second;
    if (seed.first.find("weights") != std::string::npos) continue;
    if (seed.first.find("float64") != std::string::npos) {
      targets.double_models.push_back(
          sinapse::detail::load_model_from_bytes<double>(bytes.data(), bytes.size()));
    } else {
      targets.float_models.push_back(
          sinapse::detail::load_model_from_bytes<float>(bytes.data(), bytes.size()));
    }
  }
  return targets;
}

/// Widest row of activations that the checks run a model on. A file of a few layers
/// without weights can describe a model whose Concatenate layers double the width at each
/// step, so predicting with such a model would need memory that the file does not reflect.
constexpr sinapse::Index max_checked_width = 1 << 14;

/// True when the sum of every layer's output width is at most max_checked_width.
template <typename Scalar>
bool small_enough_to_run(const sinapse::Model<Scalar>& model) {
  sinapse::Index total = 0;
  for (const auto& layer : model.layers()) {
    const sinapse::Index width = layer->output_width();
    if (width > max_checked_width || total > max_checked_width - width) return false;
    total += width;
  }
  return true;
}

/// Returns fixed inputs of 3 rows for every input of `model`, with values in [-0.5, 0.5].
template <typename Scalar>
std::vector<sinapse::Matrix<Scalar>> fixed_inputs(const sinapse::Model<Scalar>& model) {
  std::vector<sinapse::Matrix<Scalar>> inputs;
  for (std::size_t k = 0; k < model.input_count(); ++k) {
    sinapse::Matrix<Scalar> x(3, model.input_width(k));
    for (sinapse::Index i = 0; i < x.rows(); ++i) {
      for (sinapse::Index j = 0; j < x.cols(); ++j) {
        x(i, j) = static_cast<Scalar>((i * 7 + j * 3 + static_cast<sinapse::Index>(k)) % 11) /
                      Scalar(10) - Scalar(0.5);
      }
    }
    inputs.push_back(x);
  }
  return inputs;
}

/// What predict or train_on_batch returned, or the class of the sinapse error it threw,
/// so that two models can be compared value for value.
template <typename Scalar>
struct RunResult {
  std::string error;
  sinapse::Matrix<Scalar> prediction;
  sinapse::Logs logs;
  std::vector<sinapse::Matrix<Scalar>> weights;

  bool operator==(const RunResult& other) const {
    if (error != other.error || logs != other.logs || weights.size() != other.weights.size()) {
      return false;
    }
    // Bitwise equality through Eigen's ==, which also requires the same shape.
    if (prediction.rows() != other.prediction.rows() ||
        prediction.cols() != other.prediction.cols() || !(prediction == other.prediction)) {
      return false;
    }
    for (std::size_t i = 0; i < weights.size(); ++i) {
      if (weights[i].rows() != other.weights[i].rows() ||
          weights[i].cols() != other.weights[i].cols() || !(weights[i] == other.weights[i])) {
        return false;
      }
    }
    return true;
  }
};

/// Predicts on fixed inputs, then, for a compiled model, trains on one batch of them.
/// FloatingPointError from weights that overflow is a valid outcome.
template <typename Scalar>
RunResult<Scalar> run_model(sinapse::Model<Scalar>& model) {
  RunResult<Scalar> result;
  const std::vector<sinapse::Matrix<Scalar>> x = fixed_inputs(model);
  try {
    result.prediction = model.predict(x, sinapse::PredictOptions().batch_size(2).verbose(0));
  } catch (const sinapse::Error& error) {
    result.error = "predict: " + outcome_name(error);
    return result;
  }
  if (result.prediction.rows() != 3 || result.prediction.cols() != model.output_width()) {
    throw LoaderContractViolation(sinapse::detail::concat(
        "predict returned shape ",
        sinapse::detail::shape_string(result.prediction.rows(), result.prediction.cols()),
        " for 3 samples and an output width of ", model.output_width()));
  }
  if (!model.compiled()) return result;
  const sinapse::Matrix<Scalar> y =
      (result.prediction.array() > Scalar(0.5)).template cast<Scalar>();
  try {
    result.logs = model.train_on_batch(x, y);
  } catch (const sinapse::Error& error) {
    result.error = "train_on_batch: " + outcome_name(error);
  }
  result.weights = model.get_weights();
  return result;
}

/// Checks a model that loaded: it must save, its bytes must load again and save to the
/// same bytes, and the two models must predict and train bit-identically.
template <typename Scalar>
void check_loaded_model(sinapse::Model<Scalar>& model, const sinapse::detail::Json& training,
                        const std::string& call) {
  using sinapse::detail::concat;
  const sinapse::detail::Json* record = training.is_null() ? nullptr : &training;
  std::string saved;
  try {
    saved = sinapse::detail::save_model_to_bytes(model, record);
  } catch (const sinapse::Error& error) {
    throw LoaderContractViolation(concat(call, " loaded a model that save rejects: ", error.what()));
  }
  sinapse::detail::Json reloaded_training;
  std::optional<sinapse::Model<Scalar>> reloaded;
  try {
    reloaded.emplace(sinapse::detail::load_model_from_bytes<Scalar>(
        saved.data(), saved.size(), {}, &reloaded_training));
  } catch (const sinapse::Error& error) {
    throw LoaderContractViolation(
        concat(call, " loaded a model whose saved file does not load: ", error.what()));
  }
  const std::string saved_again = sinapse::detail::save_model_to_bytes(
      *reloaded, reloaded_training.is_null() ? nullptr : &reloaded_training);
  if (saved_again != saved) {
    throw LoaderContractViolation(concat(call, " loaded a model whose file changes when it is ",
                                         "loaded and saved again (", saved.size(), " bytes, then ",
                                         saved_again.size(), ")"));
  }
  if (!small_enough_to_run(model)) return;
  if (!(run_model(model) == run_model(*reloaded))) {
    throw LoaderContractViolation(concat(call, " loaded a model that predicts or trains "
                                               "differently after a save and a load"));
  }
}

/// Runs load_model<Scalar> on the bytes and checks the model when it loads. With
/// `convert`, the file's dtype may differ from Scalar.
template <typename Scalar>
void check_load_model(const char* data, std::size_t size, bool convert, LoaderOutcomes& outcomes) {
  const std::string call = std::string("load_model<") + (sizeof(Scalar) == 4 ? "float" : "double") +
                           (convert ? ">, convert_dtype" : ">");
  sinapse::detail::Json training;
  std::optional<sinapse::Model<Scalar>> model;
  try {
    model.emplace(sinapse::detail::load_model_from_bytes<Scalar>(
        data, size, sinapse::LoadOptions().convert_dtype(convert), &training));
  } catch (const sinapse::Error& error) {
    outcomes.add(call, &error);
    return;
  }
  outcomes.add(call, nullptr);
  check_loaded_model(*model, training, call);
}

/// Runs load_weights on the bytes into `model`, checks that a failed call changed nothing,
/// and puts the old weights back after a successful one.
template <typename Scalar>
void check_load_weights(sinapse::Model<Scalar>& model, const char* data, std::size_t size,
                        bool convert, LoaderOutcomes& outcomes) {
  const std::string call = sinapse::detail::concat(
      "load_weights into \"", model.name(), "\"<", sizeof(Scalar) == 4 ? "float" : "double",
      convert ? ">, convert_dtype" : ">");
  const std::vector<sinapse::Matrix<Scalar>> before = model.get_weights();
  try {
    sinapse::detail::load_weights_from_bytes(model, data, size,
                                             sinapse::LoadOptions().convert_dtype(convert));
  } catch (const sinapse::Error& error) {
    outcomes.add(call, &error);
    const std::vector<sinapse::Matrix<Scalar>> after = model.get_weights();
    for (std::size_t i = 0; i < before.size(); ++i) {
      if (!(after[i] == before[i])) {
        throw LoaderContractViolation(call + " threw " + outcome_name(error) +
                                      " but changed weight " + std::to_string(i) + ": " +
                                      error.what());
      }
    }
    return;
  }
  outcomes.add(call, nullptr);
  const std::vector<sinapse::Matrix<Scalar>> after = model.get_weights();
  for (const auto& value : after) {
    if (!value.allFinite()) {
      throw LoaderContractViolation(call + " loaded a weight that is NaN or inf");
    }
  }
  model.set_weights(before);
}

/// Runs every loader on the bytes and checks the contract. A sinapse::Error from a
/// loading call is a valid outcome and is recorded; any other exception propagates, and
/// a broken contract throws LoaderContractViolation. Conversion is tried only after a
/// plain ValueError (not a FileFormatError): a call that succeeds or fails otherwise has
/// a file of Scalar's dtype or stops before the dtype check, so conversion changes nothing.
inline LoaderOutcomes check_loader_contract(const char* data, std::size_t size,
                                            WeightTargets& targets) {
  LoaderOutcomes outcomes;
  const auto needs_conversion = [&outcomes] {
    return outcomes.calls.back().outcome == "ValueError";
  };
  check_load_model<float>(data, size, false, outcomes);
  if (needs_conversion()) check_load_model<float>(data, size, true, outcomes);
  check_load_model<double>(data, size, false, outcomes);
  if (needs_conversion()) check_load_model<double>(data, size, true, outcomes);
  for (auto& model : targets.float_models) {
    check_load_weights(model, data, size, false, outcomes);
    if (needs_conversion()) check_load_weights(model, data, size, true, outcomes);
  }
  for (auto& model : targets.double_models) {
    check_load_weights(model, data, size, false, outcomes);
    if (needs_conversion()) check_load_weights(model, data, size, true, outcomes);
  }
  return outcomes;
}

}  // namespace test_support
