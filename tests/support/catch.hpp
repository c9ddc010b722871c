// Includes the Catch2 headers that the tests use, for either Catch2 v2 or v3.
//
// tests/CMakeLists.txt defines SINAPSE_CATCH2_V3 as 1 or 0 from the version that find_package
// found. __has_include cannot decide, because both versions may be installed side by side.
#pragma once

#if !defined(SINAPSE_CATCH2_V3)
#error "SINAPSE_CATCH2_V3 is not defined: build the tests through tests/CMakeLists.txt"
#endif

#if SINAPSE_CATCH2_V3
#include <catch2/catch_approx.hpp>
#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_floating_point.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#else
#include <catch2/catch.hpp>
#endif

#if !SINAPSE_CATCH2_V3
#include <string>

namespace Catch {
namespace Matchers {

// Catch2 v3's name for the substring matcher, so tests spell it one way for both versions.
inline StdString::ContainsMatcher ContainsSubstring(const std::string& text) {
  return Contains(text);
}

}  // namespace Matchers
}  // namespace Catch
#endif
