# Configures, builds and runs the downstream project in this directory against sinapse.
# Run with cmake -P by the ctest tests cmake_consumer_find_package and
# cmake_consumer_add_subdirectory, which tests/CMakeLists.txt defines with these variables:
#   MODE                 find_package (install SINAPSE_BINARY_DIR into WORK_DIR/prefix first)
#                        or add_subdirectory (use SINAPSE_SOURCE_DIR directly)
#   SINAPSE_SOURCE_DIR, SINAPSE_BINARY_DIR, CONSUMER_SOURCE_DIR, WORK_DIR, CTEST_COMMAND
#   CONFIG               build configuration, may be empty
#   GENERATOR, GENERATOR_PLATFORM, GENERATOR_TOOLSET, MAKE_PROGRAM, CXX_COMPILER, CXX_FLAGS,
#   CXX_STANDARD, EIGEN3_DIR: copied from the sinapse build, may be empty except GENERATOR

# Script mode starts with every policy unset, so set them as a project would.
cmake_minimum_required(VERSION 3.14...3.28)

foreach(required IN ITEMS MODE SINAPSE_SOURCE_DIR SINAPSE_BINARY_DIR CONSUMER_SOURCE_DIR
                          WORK_DIR CTEST_COMMAND GENERATOR CXX_COMPILER)
  if(NOT DEFINED ${required} OR "${${required}}" STREQUAL "")
    message(FATAL_ERROR "run_consumer.cmake: ${required} is not set; pass -D${required}=...")
  endif()
endforeach()

# Runs a command, echoes it, and stops the script with its output if it fails.
function(run_step description)
  string(REPLACE ";" " " command_line "${ARGN}")
  message(STATUS "${description}: ${command_line}")
  execute_process(COMMAND ${ARGN}
    RESULT_VARIABLE result
    OUTPUT_VARIABLE output
    ERROR_VARIABLE output)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "${description} failed with exit status ${result}:\n${output}")
  endif()
endfunction()

set(prefix "${WORK_DIR}/prefix")
set(build_dir "${WORK_DIR}/build")

# Start from an empty directory, so files left by an earlier run cannot make this one pass.
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

set(config_args "")
if(NOT "${CONFIG}" STREQUAL "")
  set(config_args --config "${CONFIG}")
endif()

set(configure_args -S "${CONSUMER_SOURCE_DIR}" -B "${build_dir}" -G "${GENERATOR}"
                   "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}")
if(NOT "${GENERATOR_PLATFORM}" STREQUAL "")
  list(APPEND configure_args -A "${GENERATOR_PLATFORM}")
endif()
if(NOT "${GENERATOR_TOOLSET}" STREQUAL "")
  list(APPEND configure_args -T "${GENERATOR_TOOLSET}")
endif()
if(NOT "${MAKE_PROGRAM}" STREQUAL "")
  list(APPEND configure_args "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
endif()
if(NOT "${CXX_FLAGS}" STREQUAL "")
  list(APPEND configure_args "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}")
endif()
if(NOT "${CXX_STANDARD}" STREQUAL "")
  list(APPEND configure_args "-DCMAKE_CXX_STANDARD=${CXX_STANDARD}")
endif()
if(NOT "${CONFIG}" STREQUAL "")
  # Ignored by multi-configuration generators, which take --config at build time instead.
  list(APPEND configure_args "-DCMAKE_BUILD_TYPE=${CONFIG}")
endif()
if(NOT "${EIGEN3_DIR}" STREQUAL "")
  list(APPEND configure_args "-DEigen3_DIR=${EIGEN3_DIR}")
endif()

if(MODE STREQUAL "find_package")
  run_step("Installing sinapse"
    "${CMAKE_COMMAND}" --install "${SINAPSE_BINARY_DIR}" --prefix "${prefix}" ${config_args})
  list(APPEND configure_args "-DCMAKE_PREFIX_PATH=${prefix}")
elseif(MODE STREQUAL "add_subdirectory")
  list(APPEND configure_args "-DSINAPSE_SOURCE_DIR=${SINAPSE_SOURCE_DIR}")
else()
  message(FATAL_ERROR
    "run_consumer.cmake: MODE is '${MODE}', expected find_package or add_subdirectory")
endif()

run_step("Configuring the consumer" "${CMAKE_COMMAND}" ${configure_args})

if(MODE STREQUAL "find_package")
  # A sinapse installed elsewhere on the machine must not stand in for the one just installed.
  file(STRINGS "${build_dir}/CMakeCache.txt" sinapse_dir_entry REGEX "^sinapse_DIR:")
  string(REGEX REPLACE "^sinapse_DIR:[A-Z]+=" "" found_dir "${sinapse_dir_entry}")
  get_filename_component(found_dir "${found_dir}" REALPATH)
  get_filename_component(real_prefix "${prefix}" REALPATH)
  string(FIND "${found_dir}/" "${real_prefix}/" position)
  if(NOT position EQUAL 0)
    message(FATAL_ERROR
      "find_package(sinapse) used ${found_dir}, expected a directory under ${real_prefix}")
  endif()
endif()

run_step("Building the consumer" "${CMAKE_COMMAND}" --build "${build_dir}" ${config_args})

set(ctest_config_args "")
if(NOT "${CONFIG}" STREQUAL "")
  set(ctest_config_args -C "${CONFIG}")
endif()
execute_process(COMMAND "${CTEST_COMMAND}" ${ctest_config_args} --output-on-failure
  WORKING_DIRECTORY "${build_dir}"
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "Running the consumer failed with exit status ${result}")
endif()
