#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace sinapse {

/// Base of every exception that sinapse throws, so callers can catch one type.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// An array has the wrong number of rows or columns.
class ShapeError : public Error {
 public:
  using Error::Error;
};

/// An argument is out of its valid range, non-finite or unknown.
class ValueError : public Error {
 public:
  using Error::Error;
};

/// A call came in the wrong order, such as `fit` before `compile`.
class StateError : public Error {
 public:
  using Error::Error;
};

/// Training produced NaN or inf from finite data, for example from features too large
/// for the Scalar type or a learning rate that makes the weights diverge.
class FloatingPointError : public Error {
 public:
  using Error::Error;
};

/// A Keras feature that sinapse does not provide yet.
class NotImplementedError : public Error {
 public:
  using Error::Error;
};

namespace detail {

/// Concatenates the arguments with operator<<. Used only on the failure path, so the
/// message costs nothing when a check passes.
template <typename... Parts>
std::string concat(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}

/// Formats a shape as Keras writes it in messages: "(rows, cols)".
inline std::string shape_string(long long rows, long long cols) {
  return concat("(", rows, ", ", cols, ")");
}

}  // namespace detail
}  // namespace sinapse
