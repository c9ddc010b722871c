// Tests of the loader against damaged and hostile files. Every case must end in
// FileFormatError (a sinapse::Error) with a message that names the problem: never a crash,
// undefined behaviour or a huge allocation. The cases are every truncation and every byte
// flip of the seed files, a wrong magic, unknown versions and section lengths beyond the
// file. Then a tensor shape that would need terabytes, configs that ask for huge weights,
// unknown or duplicate layers, cycles and dangling references. Then wrong JSON types,
// missing and unknown keys, invalid JSON, deep nesting and repeated keys. Last, misused
// tensors, invalid configs and state, and non-finite values.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <sinapse/sinapse.hpp>

#include "support/catch.hpp"
#include "support/exception_message.hpp"
#include "support/model_file_edit.hpp"
#include "support/model_file_seeds.hpp"

/// Checks that `message` contains `part`, and shows the whole message when it does not.
#define CHECK_CONTAINS(message, part)                      \
  do {                                                     \
    const std::string checked_message_ = (message);        \
    INFO("message: " << checked_message_);                 \
    CHECK(test_support::contains(checked_message_, part)); \
  } while (false)

namespace {

using namespace sinapse;
using nlohmann::json;
using test_support::contains;

/// Returns the seed files, built once.
const std::vector<std::pair<std::string, std::string>>& seeds() {
  static const std::vector<std::pair<std::string, std::string>> files =
      test_support::model_file_seeds();
  return files;
}

const std::string& seed(const std::string& name) {
  for (const auto& entry : seeds()) {
    if (entry.first == name) return entry.second;
  }
  throw std::runtime_error("no seed named " + name);
}

/// Input(3) -> Dense "dense" (1), float32, not compiled.
const std::string& dense_file() { return seed("dense_float32"); }
/// A trained float64 chain with Adam state and a seeded Dropout.
const std::string& chain_file() { return seed("chain_trained_float64"); }

/// Loads `bytes` as a model of the seed's dtype and returns the FileFormatError message.
std::string load_error(const std::string& bytes, bool as_double = false) {
  if (as_double) {
    return test_support::message_of<FileFormatError>(
        [&] { detail::load_model_from_bytes<double>(bytes.data(), bytes.size()); });
  }
  return test_support::message_of<FileFormatError>(
      [&] { detail::load_model_from_bytes<float>(bytes.data(), bytes.size()); });
}

/// Returns the message for `dense_file()` with its JSON changed by `edit`.
std::string dense_error(const std::function<void(json&)>& edit) {
  return load_error(test_support::edit_json(dense_file(), edit));
}

std::string chain_error(const std::function<void(json&)>& edit) {
  return load_error(test_support::edit_json(chain_file(), edit), true);
}

/// Index of the layer entry named `name` in a model document.
json& layer_named(json& document, const std::string& name) {
  for (json& layer : document["model"]["layers"]) {
    if (layer["name"] == name) return layer;
  }
  throw std::runtime_error("no layer named " + name);
}

/// Writes `value` over element `element` (row-major) of tensor `index` in a file.
std::string set_tensor_value(const std::string& bytes, std::size_t index, std::size_t element,
                             double value) {
  test_support::FileParts parts = test_support::split_file(bytes);
  const detail::SectionView section{parts.tensors.data(), parts.tensors.size(), 0};
  const std::vector<detail::TensorView> tensors = detail::read_tensor_section(section);
  const detail::TensorView& tensor = tensors.at(index);
  detail::ByteWriter writer;
  if (tensor.dtype == detail::DType::float32) {
    writer.f32(static_cast<float>(value));
  } else {
    writer.f64(value);
  }
  const std::size_t offset = static_cast<std::size_t>(tensor.data - parts.tensors.data()) +
                             element * writer.bytes().size();
  parts.tensors.replace(offset, writer.bytes().size(), writer.bytes());
  return test_support::join_file(parts.json, parts.tensors);
}

/// Replaces the 8-byte length of the section whose header starts at `offset`.
std::string with_section_length(const std::string& bytes, std::size_t offset,
                                std::uint64_t length) {
  std::string changed = bytes;
  for (int i = 0; i < 8; ++i) {
    changed[offset + 4 + static_cast<std::size_t>(i)] = static_cast<char>(length >> (8 * i));
  }
  return changed;
}

}  // namespace

TEST_CASE("seed files load", "[saving][hostile]") {
  REQUIRE(seeds().size() == 4);
  CHECK_NOTHROW(detail::load_model_from_bytes<float>(dense_file().data(), dense_file().size()));
  CHECK_NOTHROW(detail::load_model_from_bytes<double>(chain_file().data(), chain_file().size()));
}

TEST_CASE("every truncation is rejected", "[saving][hostile]") {
  for (const auto& entry : seeds()) {
    if (entry.first.find("weights") != std::string::npos) continue;
    const bool as_double = entry.first.find("float64") != std::string::npos;
    const std::string& bytes = entry.second;
    int rejected = 0;
    for (std::size_t length = 0; length < bytes.size(); ++length) {
      const std::string message = load_error(bytes.substr(0, length), as_double);
      if (contains(message, "load_model: bytes in memory: ") &&
          (contains(message, "truncated") || contains(message, "empty"))) {
        ++rejected;
      } else {
        INFO(entry.first << " cut at " << length << ": " << message);
        CHECK(false);
      }
    }
    INFO(entry.first);
    CHECK(rejected == static_cast<int>(bytes.size()));
  }
}

TEST_CASE("every byte flip is rejected", "[saving][hostile]") {
  for (const auto& entry : seeds()) {
    if (entry.first.find("weights") != std::string::npos) continue;
    const bool as_double = entry.first.find("float64") != std::string::npos;
    const std::string& bytes = entry.second;
    int rejected = 0;
    for (std::size_t position = 0; position < bytes.size(); ++position) {
      for (unsigned char mask : {0x01, 0x80, 0xFF}) {
        std::string changed = bytes;
        changed[position] = static_cast<char>(changed[position] ^ mask);
        const std::string message = load_error(changed, as_double);
        if (contains(message, "load_model: bytes in memory: ")) {
          ++rejected;
        } else {
          INFO(entry.first << " byte " << position << " xor " << int{mask} << ": " << message);
          CHECK(false);
        }
      }
    }
    INFO(entry.first);
    CHECK(rejected == static_cast<int>(3 * bytes.size()));
  }
}

TEST_CASE("flip in a section names its checksum", "[saving][hostile]") {
  std::string changed = dense_file();
  changed[100] = static_cast<char>(changed[100] ^ 0x20);
  CHECK_CONTAINS(load_error(changed), "section \"JSON\" at byte 16 fails its CRC-32 check");
}

TEST_CASE("empty file", "[saving][hostile]") {
  CHECK_CONTAINS(load_error(""), "the file is empty");
  CHECK_CONTAINS(load_error(std::string("\x89SIN", 4)), "the file is truncated");
}

TEST_CASE("wrong magic", "[saving][hostile]") {
  std::string zip = "PK\x03\x04";
  zip += std::string(60, '\0');
  CHECK_CONTAINS(load_error(zip), "does not start with the sinapse magic bytes");
  // A text-mode transfer that turned CR LF into LF.
  std::string converted = dense_file();
  converted.erase(8, 1);
  CHECK_CONTAINS(load_error(converted), "does not start with the sinapse magic bytes");
}

TEST_CASE("unknown format versions", "[saving][hostile]") {
  std::string future = dense_file();
  future[12] = 2;
  CHECK_CONTAINS(load_error(future),
                 "format version 2, but this sinapse reads only versions "
                 "up to 1; load it with a newer sinapse");
  std::string far_future = dense_file();
  far_future[15] = '\x7F';
  CHECK_CONTAINS(load_error(far_future), "this sinapse reads only versions up to 1");
  std::string zero = dense_file();
  zero[12] = 0;
  CHECK_CONTAINS(load_error(zero), "format version 0, which does not exist");
}

TEST_CASE("section length beyond the file", "[saving][hostile]") {
  const std::string huge = with_section_length(dense_file(), 16, std::uint64_t{1} << 62);
  CHECK_CONTAINS(load_error(huge),
                 "section \"JSON\" at byte 16 declares 4611686018427387904 "
                 "bytes, but only");
  const std::string maximum = with_section_length(dense_file(), 16, ~std::uint64_t{0});
  CHECK_CONTAINS(load_error(maximum), "declares 18446744073709551615 bytes");
  const std::size_t json_size = test_support::split_file(dense_file()).json.size();
  const std::string tensors_huge =
      with_section_length(dense_file(), 16 + 16 + json_size, std::uint64_t{1} << 40);
  CHECK_CONTAINS(load_error(tensors_huge), "section \"TNSR\"");
}

TEST_CASE("misplaced and extra sections", "[saving][hostile]") {
  const test_support::FileParts parts = test_support::split_file(dense_file());
  detail::ByteWriter writer;
  writer.raw(detail::file_magic, detail::file_magic_size);
  writer.u32(1);
  detail::write_section(writer, "JSON", parts.json);
  detail::write_section(writer, "XTRA", "extra");
  CHECK_CONTAINS(load_error(writer.bytes()), "section 2 at byte");
  CHECK_CONTAINS(load_error(writer.bytes()), "is \"XTRA\", but sinapse expects \"TNSR\"");

  detail::ByteWriter with_payload;
  with_payload.raw(detail::file_magic, detail::file_magic_size);
  with_payload.u32(1);
  detail::write_section(with_payload, "JSON", parts.json);
  detail::write_section(with_payload, "TNSR", parts.tensors);
  detail::write_section(with_payload, "END ", "x");
  CHECK_CONTAINS(load_error(with_payload.bytes()), "the end section at byte");

  CHECK_CONTAINS(load_error(dense_file() + "!"), "1 unexpected bytes after its end section");
}

TEST_CASE("tensor shape needing terabytes", "[saving][hostile]") {
  const test_support::FileParts parts = test_support::split_file(dense_file());
  detail::ByteWriter tensors;
  tensors.u64(1);
  tensors.u8(2);  // float64
  tensors.u8(2);  // rank 2
  tensors.u64(std::uint64_t{1} << 20);
  tensors.u64(std::uint64_t{1} << 20);  // 8 TiB of values
  const std::string message = load_error(test_support::join_file(parts.json, tensors.bytes()));
  CHECK_CONTAINS(message, "tensor 0 at byte");
  CHECK_CONTAINS(message,
                 "declares shape (1048576, 1048576) of float64, which needs more than "
                 "the 0 bytes left");

  detail::ByteWriter overflow;
  overflow.u64(1);
  overflow.u8(1);
  overflow.u8(2);
  overflow.u64(~std::uint64_t{0});
  overflow.u64(~std::uint64_t{0});  // rows * cols * 4 overflows 64 bits
  CHECK_CONTAINS(load_error(test_support::join_file(parts.json, overflow.bytes())),
                 "which needs more than");

  detail::ByteWriter many;
  many.u64(std::uint64_t{1} << 60);
  CHECK_CONTAINS(load_error(test_support::join_file(parts.json, many.bytes())),
                 "the tensor section declares 1152921504606846976 tensors");

  detail::ByteWriter bad_dtype;
  bad_dtype.u64(1);
  bad_dtype.u8(9);
  bad_dtype.raw(std::string(20, '\0'));
  CHECK_CONTAINS(load_error(test_support::join_file(parts.json, bad_dtype.bytes())),
                 "has dtype code 9");
}

TEST_CASE("config asking for huge weights", "[saving][hostile]") {
  // The loader compares the weights a config implies with the file before it builds a
  // layer, so these fail without allocating the (3, 10^12) kernel.
  const std::string units = dense_error(
      [](json& document) { layer_named(document, "dense")["config"]["units"] = 1000000000000LL; });
  CHECK_CONTAINS(units,
                 "the file lists [kernel (3, 1), bias (1,)], but layer \"dense\" with this "
                 "config, called on inputs of widths [(None, 3)], creates [kernel (3, "
                 "1000000000000), bias (1000000000000,)]");
  const std::string listed = dense_error([](json& document) {
    json& dense = layer_named(document, "dense");
    dense["config"]["units"] = 1000000000000LL;
    dense["weights"][0]["shape"] = json::array({3, 1000000000000LL});
    dense["weights"][1]["shape"] = json::array({1000000000000LL});
  });
  CHECK_CONTAINS(listed, "the JSON lists shape (3, 1000000000000), but tensor 0 has shape (3, 1)");
  const std::string features = dense_error([](json& document) {
    json& input = layer_named(document, "input_layer");
    input["config"]["features"] = 1000000000000LL;
    input["config"]["batch_shape"] = "(None, 1000000000000)";
  });
  CHECK_CONTAINS(features,
                 "inputs of widths [(None, 1000000000000)], creates [kernel "
                 "(1000000000000, 1)");
}

TEST_CASE("unknown and duplicate layers", "[saving][hostile]") {
  const std::string unknown =
      dense_error([](json& document) { layer_named(document, "dense")["class_name"] = "Conv2D"; });
  CHECK_CONTAINS(unknown,
                 "JSON.model.layers[1].class_name: unknown layer class \"Conv2D\"; model "
                 "files can store InputLayer, Dense, Dropout, BatchNormalization, "
                 "Activation, Add, Concatenate");
  const std::string duplicate = dense_error([](json& document) {
    json copy = layer_named(document, "dense");
    document["model"]["layers"].push_back(copy);
  });
  CHECK_CONTAINS(duplicate,
                 "JSON.model.layers[2].name: the layer name \"dense\" is used by two "
                 "layers");
  const std::string mismatch = dense_error(
      [](json& document) { layer_named(document, "dense")["config"]["name"] = "other"; });
  CHECK_CONTAINS(mismatch, "expected the layer's name \"dense\", got the string \"other\"");
  const std::string empty_name =
      dense_error([](json& document) { document["model"]["name"] = ""; });
  CHECK_CONTAINS(empty_name, "JSON.model.name: expected a non-empty name");
}

TEST_CASE("graph with a cycle", "[saving][hostile]") {
  const std::string self = dense_error([](json& document) {
    layer_named(document, "dense")["inbound_nodes"] = json::parse(R"([[["dense", 0]]])");
  });
  CHECK_CONTAINS(self, "inbound_nodes[0]: the connections form a cycle");
  // The chain's first Dense layer consumes the Activation that it feeds.
  const std::string loop = chain_error([](json& document) {
    layer_named(document, "dense_1")["inbound_nodes"] = json::parse(R"([[["activation", 0]]])");
  });
  CHECK_CONTAINS(loop, "the connections form a cycle");
  // A second call of a layer that consumes its own first call is a loop in call order.
  const std::string calls = dense_error([](json& document) {
    layer_named(document, "dense")["inbound_nodes"] =
        json::parse(R"([[["dense", 1]], [["input_layer", 0]]])");
  });
  CHECK_CONTAINS(calls, "the connections form a cycle");
}

TEST_CASE("dangling references", "[saving][hostile]") {
  const std::string name = dense_error([](json& document) {
    layer_named(document, "dense")["inbound_nodes"] = json::parse(R"([[["ghost", 0]]])");
  });
  CHECK_CONTAINS(name,
                 "inbound_nodes[0][0][0]: refers to layer \"ghost\", which the file does "
                 "not list");
  const std::string node = dense_error([](json& document) {
    layer_named(document, "dense")["inbound_nodes"] = json::parse(R"([[["input_layer", 3]]])");
  });
  CHECK_CONTAINS(node, "inbound_nodes[0][0][1]: expected an integer from 0 to 0, got 3");
  const std::string output = dense_error([](json& document) {
    document["model"]["output_layers"] = json::parse(R"([["dense", 1]])");
  });
  CHECK_CONTAINS(output, "output_layers[0][1]: expected an integer from 0 to 0, got 1");
  const std::string input = dense_error(
      [](json& document) { document["model"]["input_layers"] = json::parse(R"([["dense", 0]])"); });
  CHECK_CONTAINS(input, "refers to layer \"dense\", but model inputs must be InputLayers");
  const std::string none =
      dense_error([](json& document) { document["model"]["input_layers"] = json::array(); });
  CHECK_CONTAINS(none, "a model needs at least one input");
}

TEST_CASE("calls with wrong arity", "[saving][hostile]") {
  const std::string two = dense_error([](json& document) {
    layer_named(document, "dense")["inbound_nodes"] =
        json::parse(R"([[["input_layer", 0], ["input_layer", 0]]])");
  });
  CHECK_CONTAINS(two, "a Dense layer takes exactly one input per call, got 2");
  const std::string never = dense_error(
      [](json& document) { layer_named(document, "dense")["inbound_nodes"] = json::array(); });
  CHECK_CONTAINS(never, "layer \"dense\" is never called");
  const std::string input_called = dense_error([](json& document) {
    layer_named(document, "input_layer")["inbound_nodes"] = json::parse(R"([[["dense", 0]]])");
  });
  CHECK_CONTAINS(input_called, "an InputLayer is never called, so this must be []");
  const std::string merge =
      load_error(test_support::edit_json(seed("two_inputs_shared_float32"), [](json& document) {
        layer_named(document, "add")["inbound_nodes"] = json::parse("[[]]");
      }));
  CHECK_CONTAINS(merge, "a merge layer needs at least one input per call");
}

TEST_CASE("layers and calls outside the graph", "[saving][hostile]") {
  const std::string layer = dense_error([](json& document) {
    json extra = layer_named(document, "dense");
    extra["name"] = "unused";
    extra["config"]["name"] = "unused";
    document["model"]["layers"].push_back(extra);
  });
  CHECK_CONTAINS(layer,
                 "JSON.model.layers[2]: layer \"unused\" is not connected to the model's "
                 "output");
  const std::string weightless =
      load_error(test_support::edit_json(seed("two_inputs_shared_float32"), [](json& document) {
        json extra = layer_named(document, "add");
        extra["name"] = "spare_add";
        extra["config"]["name"] = "spare_add";
        document["model"]["layers"].push_back(extra);
      }));
  CHECK_CONTAINS(weightless, "layer \"spare_add\" is not connected to the model's output");
  const std::string call =
      load_error(test_support::edit_json(seed("two_inputs_shared_float32"), [](json& document) {
        layer_named(document, "add")["inbound_nodes"].push_back(
            json::parse(R"([["shared", 0], ["shared", 1]])"));
      }));
  CHECK_CONTAINS(call, "this call of layer \"add\" is not connected to the model's output");
}

TEST_CASE("wrong JSON types", "[saving][hostile]") {
  CHECK_CONTAINS(dense_error([](json& d) { layer_named(d, "dense")["config"]["units"] = "8"; }),
                 "config.units: expected an integer, got the string \"8\"");
  CHECK_CONTAINS(dense_error([](json& d) { layer_named(d, "dense")["config"]["units"] = 1.5; }),
                 "config.units: expected an integer, got 1.5");
  CHECK_CONTAINS(dense_error([](json& d) { layer_named(d, "dense")["config"]["use_bias"] = 1; }),
                 "config.use_bias: expected true or false, got 1");
  CHECK_CONTAINS(dense_error([](json& d) { d["model"]["layers"] = json::object(); }),
                 "JSON.model.layers: expected an array, got an object of 0 keys");
  CHECK_CONTAINS(dense_error([](json& d) { d["state"] = json::array(); }),
                 "JSON.state: expected an object, got an array of 0 elements");
  CHECK_CONTAINS(dense_error([](json& d) { d["state"]["completed_epochs"] = 2.5; }),
                 "completed_epochs: expected an integer, got 2.5");
  CHECK_CONTAINS(dense_error([](json& d) { d["model"]["output_layers"] = "dense"; }),
                 "output_layers: expected an array");
  CHECK_CONTAINS(dense_error([](json& d) {
                   d = json::array({1, 2});
                 }),
                 "JSON: expected an object, got an array of 2 elements");
}

TEST_CASE("missing and unknown keys", "[saving][hostile]") {
  CHECK_CONTAINS(dense_error([](json& d) { layer_named(d, "dense")["config"].erase("units"); }),
                 "config: the key \"units\" is missing");
  CHECK_CONTAINS(dense_error([](json& d) { d.erase("state"); }),
                 "JSON: the key \"state\" is missing");
  CHECK_CONTAINS(dense_error([](json& d) { d["model"].erase("output_layers"); }),
                 "JSON.model: the key \"output_layers\" is missing");
  CHECK_CONTAINS(dense_error([](json& d) { d.erase("format"); }),
                 "JSON: the key \"format\" is missing");
  CHECK_CONTAINS(dense_error([](json& d) { layer_named(d, "dense")["config"]["dilation"] = 2; }),
                 "config: unknown key \"dilation\"");
  CHECK_CONTAINS(dense_error([](json& d) { d["extra"] = true; }), "JSON: unknown key \"extra\"");
  CHECK_CONTAINS(dense_error([](json& d) { d["format"] = "keras"; }),
                 "JSON.format: expected \"sinapse.model\", got the string \"keras\"");
}

TEST_CASE("invalid JSON text", "[saving][hostile]") {
  const test_support::FileParts parts = test_support::split_file(dense_file());
  CHECK_CONTAINS(load_error(test_support::join_file("{not json", parts.tensors)),
                 "the JSON section is not valid JSON");
  CHECK_CONTAINS(load_error(test_support::join_file("", parts.tensors)),
                 "the JSON section is not valid JSON");
  CHECK_CONTAINS(load_error(test_support::join_file("{\"a\": \"\xff\xfe\"}", parts.tensors)),
                 "the JSON section is not valid JSON");
  std::string deep = parts.json;
  deep.pop_back();  // the final '}'
  deep += ", \"training\": " + std::string(200, '[') + std::string(200, ']') + "}";
  CHECK_CONTAINS(load_error(test_support::join_file(deep, parts.tensors)),
                 "the JSON section nests deeper than 64 levels");
  std::string repeated = parts.json;
  repeated.pop_back();
  repeated += ", \"format\": \"sinapse.model\"}";
  CHECK_CONTAINS(load_error(test_support::join_file(repeated, parts.tensors)),
                 "the JSON section repeats the key \"format\" within one object");
}

TEST_CASE("misused tensors", "[saving][hostile]") {
  CHECK_CONTAINS(dense_error([](json& d) { layer_named(d, "dense")["weights"][0]["tensor"] = 7; }),
                 "weights[0].tensor: expected an integer from 0 to 1, got 7");
  CHECK_CONTAINS(dense_error([](json& d) { layer_named(d, "dense")["weights"][1]["tensor"] = 0; }),
                 "weights[1].shape: the JSON lists shape (1,), but tensor 0 has shape (3, 1)");
  CHECK_CONTAINS(dense_error([](json& d) {
                   json& weights = layer_named(d, "dense")["weights"];
                   weights[1]["tensor"] = 0;
                   weights[1]["shape"] = json::array({3, 1});
                   weights[1]["name"] = "kernel";
                 }),
                 "the file lists [kernel (3, 1), kernel (3, 1)]");
  CHECK_CONTAINS(chain_error([](json& d) {
                   json& weights = layer_named(d, "batch_normalization")["weights"];
                   weights[1]["tensor"] = weights[0]["tensor"];
                 }),
                 "weights[1]: tensor");
  CHECK_CONTAINS(chain_error([](json& d) {
                   json& weights = layer_named(d, "batch_normalization")["weights"];
                   weights[1]["tensor"] = weights[0]["tensor"];
                 }),
                 "is already used by another weight or slot");
  // An extra tensor that nothing uses.
  test_support::FileParts parts = test_support::split_file(dense_file());
  detail::TensorSectionWriter<float> writer;
  writer.add(Matrix<float>::Ones(3, 1), 2);
  writer.add(Matrix<float>::Zero(1, 1), 1);
  writer.add(Matrix<float>::Zero(2, 2), 2);
  CHECK_CONTAINS(load_error(test_support::join_file(parts.json, writer.payload())),
                 "tensor 2 of the tensor section is not used by any weight or optimizer slot");
}

TEST_CASE("invalid layer configs", "[saving][hostile]") {
  CHECK_CONTAINS(chain_error([](json& d) { layer_named(d, "dropout")["config"]["rate"] = 2.0; }),
                 "invalid Dropout config: Dropout: rate must be a number in [0, 1], got 2");
  CHECK_CONTAINS(
      dense_error([](json& d) { layer_named(d, "dense")["config"]["activation"] = "swish"; }),
      "invalid Dense config: unknown activation \"swish\"");
  CHECK_CONTAINS(chain_error([](json& d) {
                   layer_named(d, "batch_normalization")["config"]["epsilon"] = -1.0;
                 }),
                 "BatchNormalization: epsilon must be positive");
  CHECK_CONTAINS(
      chain_error([](json& d) { layer_named(d, "batch_normalization")["config"]["axis"] = 0; }),
      "config.axis: expected an integer from -1 to -1, got 0");
  CHECK_CONTAINS(dense_error([](json& d) {
                   layer_named(d, "dense")["config"]["kernel_initializer"] = "he_normal";
                 }),
                 "expected \"glorot_uniform\", the only kernel initializer");
  CHECK_CONTAINS(dense_error([](json& d) {
                   layer_named(d, "input_layer")["config"]["batch_shape"] = "(None, 4)";
                 }),
                 "config.batch_shape: expected \"(None, 3)\" to match features 3");
  CHECK_CONTAINS(dense_error([](json& d) { layer_named(d, "dense")["config"]["units"] = 0; }),
                 "config.units: expected an integer from 1 to");
}

TEST_CASE("invalid compile settings", "[saving][hostile]") {
  CHECK_CONTAINS(chain_error([](json& d) { d["compile"]["optimizer"]["class_name"] = "SGD"; }),
                 "unknown optimizer class \"SGD\"; expected Adam");
  CHECK_CONTAINS(
      chain_error([](json& d) { d["compile"]["optimizer"]["config"]["learning_rate"] = -1.0; }),
      "invalid compile settings: Adam: learning_rate must be positive");
  CHECK_CONTAINS(chain_error([](json& d) { d["compile"]["loss"]["class_name"] = "Hinge"; }),
                 "unknown loss class \"Hinge\"");
  CHECK_CONTAINS(
      chain_error([](json& d) { d["compile"]["metrics"][0]["config"]["threshold"] = 7.0; }),
      "BinaryAccuracy: threshold must be in [0, 1], got 7");
  CHECK_CONTAINS(
      chain_error([](json& d) { d["compile"]["metrics"].push_back(d["compile"]["metrics"][0]); }),
      "metric name \"accuracy\" is used twice");
}

TEST_CASE("invalid training state", "[saving][hostile]") {
  CHECK_CONTAINS(chain_error([](json& d) { d["state"]["completed_epochs"] = -1; }),
                 "completed_epochs: expected an integer from 0 to 1073741823, got -1");
  CHECK_CONTAINS(chain_error([](json& d) {
                   d["state"]["generator_state"] =
                       json::array({"0000000000000000", "0000000000000000", "0000000000000000",
                                    "0000000000000000"});
                 }),
                 "generator_state: a generator state of all zeros is invalid");
  CHECK_CONTAINS(chain_error([](json& d) { d["state"]["generator_state"][2] = "xyz"; }),
                 "generator_state[2]: expected 16 lowercase hex digits, got the string \"xyz\"");
  CHECK_CONTAINS(chain_error([](json& d) { d["state"]["generator_state"].erase(0); }),
                 "generator_state: expected 4 elements, got 3");
  CHECK_CONTAINS(chain_error([](json& d) { d["state"]["layer_generators"] = json::object(); }),
                 "the state of layer \"dropout_1\"'s own generator is missing");
  CHECK_CONTAINS(chain_error([](json& d) {
                   d["state"]["layer_generators"]["ghost"] = d["state"]["generator_state"];
                 }),
                 "lists layer \"ghost\", which the model lacks");
  CHECK_CONTAINS(chain_error([](json& d) {
                   d["state"]["layer_generators"]["dense_1"] = d["state"]["generator_state"];
                 }),
                 "layer \"dense_1\" has no generator of its own");
  CHECK_CONTAINS(dense_error([](json& d) { d["training"] = 5; }),
                 "JSON.training: expected an object, got 5");
}

TEST_CASE("invalid optimizer state", "[saving][hostile]") {
  CHECK_CONTAINS(chain_error([](json& d) { d["state"]["optimizer"]["slots"].erase("velocity"); }),
                 "invalid optimizer state: Adam::set_state: the slot \"velocity\" is missing");
  CHECK_CONTAINS(
      chain_error([](json& d) { d["state"]["optimizer"]["slots"]["momentum"].erase(0); }),
      "slots.momentum: expected 6 elements, got 5");
  CHECK_CONTAINS(chain_error([](json& d) { d["state"]["optimizer"]["iterations"] = -3; }),
                 "iterations: expected an integer from 0 to 9007199254740992, got -3");
  CHECK_CONTAINS(chain_error([](json& d) { d["compile"] = nullptr; }),
                 "optimizer state is present, but \"compile\" is null");
  CHECK_CONTAINS(chain_error([](json& d) {
                   std::swap(d["state"]["optimizer"]["slots"]["momentum"][0],
                             d["state"]["optimizer"]["slots"]["momentum"][1]);
                 }),
                 "but the tensor section stores");
  // A negative second moment would make the next step take the square root of it.
  const json document = json::parse(test_support::split_file(chain_file()).json);
  const std::size_t velocity = document["state"]["optimizer"]["slots"]["velocity"][0];
  CHECK_CONTAINS(load_error(set_tensor_value(chain_file(), velocity, 0, -1.0), true),
                 "invalid optimizer state: Adam::set_state: the slot \"velocity\" of variable 0 "
                 "(kernel) contains NaN, inf or a negative value");
}

TEST_CASE("non-finite and invalid weights", "[saving][hostile]") {
  CHECK_CONTAINS(load_error(set_tensor_value(dense_file(), 0, 1, std::nan(""))),
                 "contains nan at index (1, 0), but saved weights and optimizer state are always "
                 "finite");
  CHECK_CONTAINS(load_error(set_tensor_value(dense_file(), 1, 0, HUGE_VAL)), "contains inf");
  const json document = json::parse(test_support::split_file(chain_file()).json);
  std::size_t variance = 0;
  for (const json& layer : document["model"]["layers"]) {
    if (layer["name"] == "batch_normalization") variance = layer["weights"][3]["tensor"];
  }
  CHECK_CONTAINS(load_error(set_tensor_value(chain_file(), variance, 2, -0.5), true),
                 "weight \"moving_variance\" contains -0.5, but a variance cannot be negative");
}

TEST_CASE("inconsistent dtypes", "[saving][hostile]") {
  CHECK_CONTAINS(dense_error([](json& d) { d["dtype"] = "float64"; }),
                 "tensor 0 is float32, but the file's dtype is float64");
  CHECK_CONTAINS(dense_error([](json& d) { d["dtype"] = "int8"; }),
                 "JSON.dtype: expected \"float32\" or \"float64\", got the string \"int8\"");
}

TEST_CASE("model errors name the file", "[saving][hostile]") {
  const std::string path = "hostile_truncated.sinapse";
  {
    std::FILE* file = std::fopen(path.c_str(), "wb");
    REQUIRE(file != nullptr);
    std::fwrite(dense_file().data(), 1, 40, file);
    std::fclose(file);
  }
  const std::string message =
      test_support::message_of<FileFormatError>([&] { load_model<float>(path); });
  CHECK_CONTAINS(message,
                 "load_model: \"hostile_truncated.sinapse\": section \"JSON\" at byte "
                 "16 declares");
  CHECK_CONTAINS(message, "the file is truncated or damaged");
  std::remove(path.c_str());
}
