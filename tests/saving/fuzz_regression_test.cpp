// Regression tests for inputs that broke the loader's contract (fuzz/run_fuzzer.sh).
// Each file in tests/saving/fuzz_regressions/ is listed below with the outcome that the
// fixed loader gives. It must also pass the checks of the fuzz target: every loading call
// succeeds or throws a sinapse::Error, and a model that loads saves, loads again and runs
// like its reloaded copy (tests/support/loader_contract.hpp).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include <sinapse/sinapse.hpp>

#include "support/catch.hpp"
#include "support/loader_contract.hpp"

#ifndef SINAPSE_FUZZ_REGRESSIONS_DIR
#error "SINAPSE_FUZZ_REGRESSIONS_DIR must name tests/saving/fuzz_regressions"
#endif

namespace {

/// A kept input: the file, why it is kept, and the outcome of one loading call (named as
/// in test_support::LoadingCall). For a finding, the outcome shows the fix, and the
/// message part checks that the file still reaches the fixed check rather than failing
/// earlier after a change of the format.
struct KeptInput {
  const char* file;
  const char* reason;
  const char* call;
  const char* outcome;
  const char* message_part;
};

const std::vector<KeptInput>& kept_inputs() {
  static const std::vector<KeptInput> inputs{
      {"training_record_too_deep.sinapse",
       "finding: load_model accepted a training record nested 40 levels deep, but save rejects "
       "more than 32, so the loaded model could not be saved with its record",
       "load_model<float>", "FileFormatError", "JSON.training: nests deeper than 32 levels"},
      {"input_width_2_62_without_weights.sinapse",
       "valid edge case: an InputLayer of 2^62 features feeding an Activation loads without "
       "allocating anything of that width",
       "load_model<float>", "loaded", ""},
      {"output_is_input_layer.sinapse",
       "valid edge case: a model whose only layer is its InputLayer, which is also its output",
       "load_model<float>", "loaded", ""},
      {"shared_calls_and_inputs_reversed.sinapse",
       "valid edge case: the calls of a shared Dense layer and the model inputs listed in "
       "reverse order, which must still save and load to the same bytes",
       "load_model<float>", "loaded", ""},
  };
  return inputs;
}

std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

test_support::WeightTargets& weight_targets() {
  static test_support::WeightTargets targets = test_support::make_weight_targets();
  return targets;
}

}  // namespace

TEST_CASE("fuzz regression folder matches table", "[saving][fuzz]") {
  std::set<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(SINAPSE_FUZZ_REGRESSIONS_DIR)) {
    if (entry.path().extension() == ".sinapse") files.insert(entry.path().filename().string());
  }
  std::set<std::string> listed;
  for (const KeptInput& input : kept_inputs()) listed.insert(input.file);
  for (const std::string& file : files) {
    INFO("file in " SINAPSE_FUZZ_REGRESSIONS_DIR ": " << file);
    CHECK(listed.count(file) == 1);
  }
  for (const std::string& file : listed) {
    INFO("file listed in kept_inputs(): " << file);
    CHECK(files.count(file) == 1);
  }
}

TEST_CASE("fuzz regression inputs meet loader contract", "[saving][fuzz]") {
  for (const KeptInput& input : kept_inputs()) {
    DYNAMIC_SECTION(input.file) {
      INFO("kept because: " << input.reason);
      const std::string bytes =
          read_bytes(std::filesystem::path(SINAPSE_FUZZ_REGRESSIONS_DIR) / input.file);
      // A sinapse::Error from a loading call is recorded. Any other exception, including
      // LoaderContractViolation, propagates and fails the test case with its message.
      const test_support::LoaderOutcomes outcomes =
          test_support::check_loader_contract(bytes.data(), bytes.size(), weight_targets());
      INFO("outcomes:\n" << outcomes.text());
      const auto same_call = [&input](const test_support::LoadingCall& entry) {
        return entry.call == input.call;
      };
      const auto call = std::find_if(outcomes.calls.begin(), outcomes.calls.end(), same_call);
      REQUIRE(call != outcomes.calls.end());
      CHECK(call->outcome == input.outcome);
      CHECK(call->message.find(input.message_part) != std::string::npos);
    }
  }
}
