# Warning flags for the project's own tests and examples. The sinapse target itself carries no
# warning flags, so consumers keep theirs.

# Enables -Wall -Wextra -Wpedantic on TARGET, plus -Werror when SINAPSE_WARNINGS_AS_ERRORS is
# on, and compiles it as strict ISO C++ (no GNU extensions). Other compilers get no flags.
function(sinapse_target_warnings target)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "^(GNU|Clang|AppleClang)$")
    return()
  endif()

  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
  if(SINAPSE_WARNINGS_AS_ERRORS)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  set_target_properties(${target} PROPERTIES CXX_EXTENSIONS OFF)
endfunction()
