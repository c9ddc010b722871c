#pragma once

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "sinapse/model/fit_options.hpp"
#include "sinapse/saving/json_view.hpp"

namespace sinapse {
namespace detail {

// A History as JSON, for the training record of a model file:
//   {"history": {"loss": [0.69, 0.61], ...}, "epoch": [0, 1], "epochs": 5, "steps": 32,
//    "verbose": 1}
// JSON has no NaN or inf, so such a value is stored as null and read back as NaN. Finite
// values read back bit-identically, because the JSON library writes the shortest decimal
// text that rounds to the same double.

inline Json history_to_json(const History& history) {
  Json values = Json::object();
  for (const auto& entry : history.history) {
    Json list = Json::array();
    for (double value : entry.second) {
      list.push_back(std::isfinite(value) ? Json(value) : Json(nullptr));
    }
    values[entry.first] = list;
  }
  Json result = Json::object();
  result["history"] = values;
  result["epoch"] = history.epoch;
  result["epochs"] = history.epochs;
  result["steps"] = history.steps;
  result["verbose"] = history.verbose;
  return result;
}

/// @throws FileFormatError for a wrong type, a missing key, or lists of unequal length.
inline History history_from_json(const JsonView& value) {
  value.require_keys({"history", "epoch", "epochs", "steps", "verbose"});
  History history;
  const JsonView epochs = value["epoch"];
  for (std::size_t i = 0; i < epochs.size(); ++i) {
    history.epoch.push_back(
        static_cast<int>(epochs[i].as_integer(0, std::numeric_limits<int>::max())));
  }
  const JsonView values = value["history"];
  values.require_object();
  for (const auto& item : values.json().items()) {
    const JsonView list = values[item.key()];
    list.require_size(history.epoch.size());
    std::vector<double>& series = history.history[item.key()];
    for (std::size_t i = 0; i < list.size(); ++i) {
      series.push_back(list[i].is_null() ? std::numeric_limits<double>::quiet_NaN()
                                         : list[i].as_double());
    }
  }
  history.epochs = static_cast<int>(value["epochs"].as_integer(0, std::numeric_limits<int>::max()));
  history.steps =
      static_cast<Index>(value["steps"].as_integer(0, std::numeric_limits<Index>::max()));
  history.verbose = static_cast<int>(value["verbose"].as_integer(0, 2));
  return history;
}

}  // namespace detail
}  // namespace sinapse
