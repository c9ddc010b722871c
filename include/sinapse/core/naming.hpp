#pragma once

#include <map>
#include <mutex>
#include <string>

namespace sinapse {
namespace detail {

struct NameCounters {
  std::mutex mutex;
  std::map<std::string, int> next_index;
};

inline NameCounters& name_counters() {
  static NameCounters instance;
  return instance;
}

/// Returns Keras's automatic name for the next object with this snake_case prefix:
/// "dense", then "dense_1", "dense_2", ... The counters are process-wide, as in Keras.
inline std::string unique_name(const std::string& prefix) {
  NameCounters& counters = name_counters();
  std::lock_guard<std::mutex> lock(counters.mutex);
  const int index = counters.next_index[prefix]++;
  return index == 0 ? prefix : prefix + "_" + std::to_string(index);
}

}  // namespace detail

/// Resets the automatic layer and model names, like `keras.backend.clear_session`,
/// so the next Dense layer is called "dense" again. Existing objects keep their names.
inline void clear_session() {
  detail::NameCounters& counters = detail::name_counters();
  std::lock_guard<std::mutex> lock(counters.mutex);
  counters.next_index.clear();
}

}  // namespace sinapse
