# Sanitizer flags for the project's own tests and examples. The sinapse target itself carries no
# sanitizer flags, so consumers decide for themselves.
#
# Set the cache variable SINAPSE_SANITIZE to a list of -fsanitize= values (g++ and clang++
# only). CI's sanitizer build is reproduced with:
#
#   cmake -S . -B build-asan -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_CXX_STANDARD=20 \
#     "-DSINAPSE_SANITIZE=address;undefined" && cmake --build build-asan -j2 && \
#   ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 \
#   UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
#   ctest --test-dir build-asan --output-on-failure
#
# On Debian, clang++ needs the package libclang-rt-dev for the sanitizer runtimes, and llvm for
# llvm-symbolizer, without which reports show addresses instead of function names.

set(SINAPSE_SANITIZE "" CACHE STRING
    "Sanitizers for tests and examples, as a list of -fsanitize= values such as address;undefined")

# The flags that SINAPSE_SANITIZE turns into, as one space-separated string, so that the
# packaging tests can hand them to their child projects through CMAKE_CXX_FLAGS, which CMake
# uses for both compiling and linking. Empty when SINAPSE_SANITIZE is empty. Set in the scope of
# each directory that includes this file, because tests/ and examples/ do not share variables.
set(SINAPSE_SANITIZER_FLAGS "")
if(NOT SINAPSE_SANITIZE STREQUAL "")
  string(REPLACE ";" "," sinapse_sanitize_list "${SINAPSE_SANITIZE}")
  # -fno-sanitize-recover=all makes every UndefinedBehaviorSanitizer report abort the program,
  # so the test fails instead of printing a line and passing. Frame pointers give complete
  # stack traces, and -g1 (line tables only) puts file:line into them at little build cost.
  set(SINAPSE_SANITIZER_FLAGS
      "-fsanitize=${sinapse_sanitize_list} -fno-sanitize-recover=all -fno-omit-frame-pointer -g1")
endif()

# Checks once per configure run that the compiler accepts SINAPSE_SANITIZE and can link with
# its runtimes, so that a missing runtime (for example clang++ on Debian without
# libclang-rt-dev) fails at configure time with a hint rather than at the first test's link.
function(sinapse_check_sanitizers)
  get_property(checked GLOBAL PROPERTY SINAPSE_SANITIZERS_CHECKED)
  if(checked OR SINAPSE_SANITIZER_FLAGS STREQUAL "")
    return()
  endif()
  set_property(GLOBAL PROPERTY SINAPSE_SANITIZERS_CHECKED ON)

  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "^(GNU|Clang)$")
    message(FATAL_ERROR
      "SINAPSE_SANITIZE is '${SINAPSE_SANITIZE}', but sanitizers are supported only with g++ "
      "and clang++, and this build uses ${CMAKE_CXX_COMPILER_ID} (${CMAKE_CXX_COMPILER}). "
      "Clear SINAPSE_SANITIZE or configure with -DCMAKE_CXX_COMPILER=clang++")
  endif()

  # The result is cached under a name that contains the sanitizer list, so changing
  # SINAPSE_SANITIZE runs the check again.
  string(MAKE_C_IDENTIFIER "SINAPSE_SANITIZERS_LINK_${SINAPSE_SANITIZE}" result_var)
  string(REPLACE ";" "," sanitize_list "${SINAPSE_SANITIZE}")
  include(CheckCXXSourceCompiles)
  set(CMAKE_REQUIRED_FLAGS "${SINAPSE_SANITIZER_FLAGS}")
  set(CMAKE_REQUIRED_LINK_OPTIONS "-fsanitize=${sanitize_list}")
  set(CMAKE_REQUIRED_QUIET ON)
  check_cxx_source_compiles("int main() { return 0; }" ${result_var})
  if(NOT ${result_var})
    message(FATAL_ERROR
      "${CMAKE_CXX_COMPILER} cannot compile and link a program with ${SINAPSE_SANITIZER_FLAGS}. "
      "Check the values in SINAPSE_SANITIZE='${SINAPSE_SANITIZE}' and install the sanitizer "
      "runtimes (on Debian: libclang-rt-dev for clang++, or libasan8 and libubsan1 for g++ 12), "
      "then delete ${result_var} from CMakeCache.txt and configure again")
  endif()
  message(STATUS "sinapse: tests and examples use ${SINAPSE_SANITIZER_FLAGS}")
endfunction()

sinapse_check_sanitizers()

# Compiles and links TARGET with the flags from SINAPSE_SANITIZE; does nothing when it is empty.
function(sinapse_target_sanitizers target)
  if(SINAPSE_SANITIZER_FLAGS STREQUAL "")
    return()
  endif()

  separate_arguments(compile_flags UNIX_COMMAND "${SINAPSE_SANITIZER_FLAGS}")
  target_compile_options(${target} PRIVATE ${compile_flags})
  string(REPLACE ";" "," sanitize_list "${SINAPSE_SANITIZE}")
  target_link_options(${target} PRIVATE "-fsanitize=${sanitize_list}")
endfunction()
