#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "sinapse/core/errors.hpp"
#include "sinapse/saving/file_errors.hpp"

namespace sinapse {
namespace detail {

/// Runs `function` and puts `prefix` (such as `load_model: "model.sinapse": `) in front of
/// the message of any sinapse error it throws, keeping the error's type. A JSON library
/// error, which the checked accessors should make impossible, becomes FileFormatError.
template <typename Function>
auto with_message_prefix(const std::string& prefix, Function&& function) -> decltype(function()) {
  try {
    return function();
  } catch (const FileFormatError& error) {
    throw FileFormatError(prefix + error.what());
  } catch (const ShapeError& error) {
    throw ShapeError(prefix + error.what());
  } catch (const ValueError& error) {
    throw ValueError(prefix + error.what());
  } catch (const StateError& error) {
    throw StateError(prefix + error.what());
  } catch (const IOError& error) {
    throw IOError(prefix + error.what());
  } catch (const FloatingPointError& error) {
    throw FloatingPointError(prefix + error.what());
  } catch (const NotImplementedError& error) {
    throw NotImplementedError(prefix + error.what());
  } catch (const nlohmann::json::exception& error) {
    throw FileFormatError(prefix + "unexpected JSON error: " + error.what());
  }
}

}  // namespace detail
}  // namespace sinapse
