// Helpers for tests that check the message of an exception.
#pragma once

#include <string>

namespace test_support {

/// Runs `function` and returns the message of the Exception it throws, or a marker text
/// when it throws nothing. Other exception types propagate, so Catch reports them.
template <typename Exception, typename Function>
std::string message_of(Function&& function) {
  try {
    function();
  } catch (const Exception& error) {
    return error.what();
  }
  return "(no exception thrown)";
}

/// True when `part` occurs in `text`.
inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace test_support
