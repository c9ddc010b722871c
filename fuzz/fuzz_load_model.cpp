// libFuzzer target for the model and weights loaders. Each input is loaded as a model
// (float, double, and with dtype conversion when the dtype differs) and as weights into
// the models of the seed files, and every model that loads is saved, loaded again and run
// (see tests/support/loader_contract.hpp). A loading call may throw only a sinapse::Error:
// any other exception, a broken contract, a sanitizer report, a timeout or an allocation
// above -malloc_limit_mb is a finding. fuzz/run_fuzzer.sh builds and runs it.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <typeinfo>

#include "file_mutator.hpp"
#include "support/loader_contract.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Built once and never destroyed, so that LeakSanitizer does not see them at exit.
  static test_support::WeightTargets* const targets =
      new test_support::WeightTargets(test_support::make_weight_targets());
  try {
    test_support::check_loader_contract(reinterpret_cast<const char*>(data), size, *targets);
  } catch (const std::exception& error) {
    // Aborting makes libFuzzer save the input and report the stack.
    std::fprintf(stderr, "fuzz_load_model: %s escaped the loader checks: %s\n",
                 typeid(error).name(), error.what());
    std::abort();
  }
  return 0;
}

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size,
                                               std::size_t max_size, unsigned int seed) {
  return sinapse_fuzz::mutate_file(data, size, max_size, seed);
}

extern "C" std::size_t LLVMFuzzerCustomCrossOver(const std::uint8_t* first,
                                                 std::size_t first_size,
                                                 const std::uint8_t* second,
                                                 std::size_t second_size, std::uint8_t* out,
                                                 std::size_t max_size, unsigned int seed) {
  return sinapse_fuzz::cross_over_files(first, first_size, second, second_size, out, max_size,
                                        seed);
}
