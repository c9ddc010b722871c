#pragma once

#include <utility>

/// Declares a chainable option: a setter `name(value)` that returns the options object,
/// a getter `name()`, and a private field `name_`. Write the default after the macro:
/// `SINAPSE_OPTION(double, momentum) = 0.99;`
#define SINAPSE_OPTION(Type, name)      \
 public:                                \
  auto& name(Type new_value) {          \
    name##_ = std::move(new_value);     \
    return *this;                       \
  }                                     \
  Type name() const { return name##_; } \
                                        \
 private:                               \
  Type name##_
