#pragma once

#include <memory>
#include <string>
#include <typeinfo>
#include <vector>

#include "sinapse/losses/binary_crossentropy.hpp"
#include "sinapse/losses/loss.hpp"
#include "sinapse/metrics/binary_accuracy.hpp"
#include "sinapse/metrics/metric.hpp"
#include "sinapse/optimizers/adam.hpp"
#include "sinapse/optimizers/optimizer.hpp"
#include "sinapse/saving/json_view.hpp"
#include "sinapse/saving/layer_registry.hpp"

namespace sinapse {
namespace detail {

// The compile settings of a model file are stored as {"class_name": ..., "config": {...}}
// with Keras's class names and config keys. Only the classes below can be stored. A
// user-defined optimizer, loss or metric makes `save` throw ValueError naming it, because
// the loader could not re-create it.

/// Returns {"class_name": ..., "config": ...} for the optimizer.
/// @throws ValueError for an optimizer class that the file format does not know.
template <typename Scalar>
Json optimizer_to_json(const Optimizer<Scalar>& optimizer, const char* caller) {
  if (typeid(optimizer) != typeid(Adam<Scalar>)) {
    throw ValueError(concat(caller, ": the optimizer \"", optimizer.name(),
                            "\" is a user-defined class, which model files cannot store (they "
                            "store sinapse's Adam); save the weights with save_weights and "
                            "compile again after loading"));
  }
  return Json{{"class_name", "Adam"}, {"config", config_to_json(optimizer.get_config())}};
}

/// Re-creates an optimizer, with its constructor's checks.
template <typename Scalar>
std::unique_ptr<Optimizer<Scalar>> optimizer_from_json(const JsonView& entry) {
  entry.require_keys({"class_name", "config"});
  const std::string class_name = entry["class_name"].as_string();
  if (class_name != "Adam") {
    entry["class_name"].fail("unknown optimizer class \"" + class_name + "\"; expected Adam");
  }
  const JsonView config = entry["config"];
  config.require_keys({"name", "learning_rate", "beta_1", "beta_2", "epsilon", "amsgrad"});
  if (config["name"].as_string() != "adam") {
    config["name"].fail("expected \"adam\", got " + config["name"].describe());
  }
  return std::make_unique<Adam<Scalar>>(config["learning_rate"].as_double(),
                                        config["beta_1"].as_double(), config["beta_2"].as_double(),
                                        config["epsilon"].as_double(), config["amsgrad"].as_bool());
}

/// Returns {"class_name": ..., "config": ...} for the loss.
/// @throws ValueError for a loss class that the file format does not know.
template <typename Scalar>
Json loss_to_json(const Loss<Scalar>& loss, const char* caller) {
  if (typeid(loss) != typeid(BinaryCrossentropy<Scalar>)) {
    throw ValueError(concat(caller, ": the loss \"", loss.name(),
                            "\" is a user-defined class, which model files cannot store (they "
                            "store sinapse's BinaryCrossentropy); save the weights with "
                            "save_weights and compile again after loading"));
  }
  return Json{{"class_name", "BinaryCrossentropy"}, {"config", config_to_json(loss.get_config())}};
}

template <typename Scalar>
std::unique_ptr<Loss<Scalar>> loss_from_json(const JsonView& entry) {
  entry.require_keys({"class_name", "config"});
  const std::string class_name = entry["class_name"].as_string();
  if (class_name != "BinaryCrossentropy") {
    entry["class_name"].fail("unknown loss class \"" + class_name +
                             "\"; expected BinaryCrossentropy");
  }
  const JsonView config = entry["config"];
  config.require_keys({"name", "from_logits", "label_smoothing"});
  if (config["name"].as_string() != "binary_crossentropy") {
    config["name"].fail("expected \"binary_crossentropy\", got " + config["name"].describe());
  }
  return std::make_unique<BinaryCrossentropy<Scalar>>(config["from_logits"].as_bool(),
                                                      config["label_smoothing"].as_double());
}

/// Returns {"class_name": ..., "config": ...} for the metric.
/// @throws ValueError for a metric class that the file format does not know.
template <typename Scalar>
Json metric_to_json(const Metric<Scalar>& metric, const char* caller) {
  if (typeid(metric) != typeid(BinaryAccuracy<Scalar>)) {
    throw ValueError(concat(caller, ": the metric \"", metric.name(),
                            "\" is a user-defined class, which model files cannot store (they "
                            "store sinapse's BinaryAccuracy); save the weights with save_weights "
                            "and compile again after loading"));
  }
  const auto& accuracy = static_cast<const BinaryAccuracy<Scalar>&>(metric);
  return Json{{"class_name", "BinaryAccuracy"},
              {"config", {{"name", accuracy.name()}, {"threshold", accuracy.threshold()}}}};
}

template <typename Scalar>
std::unique_ptr<Metric<Scalar>> metric_from_json(const JsonView& entry) {
  entry.require_keys({"class_name", "config"});
  const std::string class_name = entry["class_name"].as_string();
  if (class_name != "BinaryAccuracy") {
    entry["class_name"].fail("unknown metric class \"" + class_name +
                             "\"; expected BinaryAccuracy");
  }
  const JsonView config = entry["config"];
  config.require_keys({"name", "threshold"});
  return std::make_unique<BinaryAccuracy<Scalar>>(config["name"].as_name(),
                                                  config["threshold"].as_double());
}

}  // namespace detail
}  // namespace sinapse
