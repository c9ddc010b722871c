// Mutations of sinapse files for libFuzzer's custom mutator hooks. A byte flip anywhere
// in a file breaks a CRC-32, so plain mutations would almost never reach the JSON and
// tensor parsers. These mutations mostly edit one section's payload and write the file
// again with correct lengths and checksums, and some edit the JSON document as a tree,
// so that inputs reach the graph rebuilding and state restoring code. The inputs that they
// produce are ordinary files, so every finding reproduces with the unmodified loader.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <sinapse/saving/crc32.hpp>
#include <sinapse/saving/file_format.hpp>

// libFuzzer's own mutator, which the custom mutator calls on one section at a time.
extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size,
                                        std::size_t max_size);

namespace sinapse_fuzz {

using Json = nlohmann::json;
using Random = std::minstd_rand;

/// The JSON text and tensor payload of a file, found by walking the section headers
/// without checking the CRCs.
struct FileParts {
  std::string json;
  std::string tensors;
};

/// Reads a little-endian unsigned integer of `bytes` bytes.
inline std::uint64_t read_le(const std::uint8_t* data, int bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value |= static_cast<std::uint64_t>(data[i]) << (8 * i);
  return value;
}

/// Splits a file into its first two section payloads. False when the header or a section
/// length does not fit, because then there are no payloads to edit.
inline bool split_file(const std::uint8_t* data, std::size_t size, FileParts& parts) {
  using namespace sinapse::detail;
  std::size_t offset = file_header_size;
  std::string* payloads[] = {&parts.json, &parts.tensors};
  for (std::string* payload : payloads) {
    if (size < offset || size - offset < section_header_size) return false;
    const std::uint64_t length = read_le(data + offset + 4, 8);
    offset += section_header_size;
    if (length > size - offset) return false;
    payload->assign(reinterpret_cast<const char*>(data + offset), static_cast<std::size_t>(length));
    offset += static_cast<std::size_t>(length);
  }
  return true;
}

/// Recomputes the CRC-32 of every section whose length fits in the file, in place.
inline void fix_checksums(std::uint8_t* data, std::size_t size) {
  using namespace sinapse::detail;
  std::size_t offset = file_header_size;
  while (size >= offset && size - offset >= section_header_size) {
    const std::uint64_t length = read_le(data + offset + 4, 8);
    if (length > size - offset - section_header_size) return;
    Crc32 crc;
    crc.update(reinterpret_cast<const char*>(data + offset), 12);
    crc.update(reinterpret_cast<const char*>(data + offset + section_header_size),
               static_cast<std::size_t>(length));
    const std::uint32_t value = crc.value();
    for (int i = 0; i < 4; ++i) data[offset + 12 + i] = static_cast<std::uint8_t>(value >> (8 * i));
    offset += section_header_size + static_cast<std::size_t>(length);
  }
}

/// Copies `file` into the fuzzer's buffer; 0 when it does not fit.
inline std::size_t emit(const std::string& file, std::uint8_t* data, std::size_t max_size) {
  if (file.size() > max_size) return 0;
  std::memcpy(data, file.data(), file.size());
  return file.size();
}

/// Mutates `payload` with libFuzzer's byte-level mutator, allowing it to grow by `room` bytes.
inline void mutate_bytes(std::string& payload, std::size_t room) {
  std::vector<std::uint8_t> buffer(payload.begin(), payload.end());
  const std::size_t size = buffer.size();
  buffer.resize(size + room + 1);  // + 1 so that an empty payload can grow
  const std::size_t new_size = LLVMFuzzerMutate(buffer.data(), size, buffer.size());
  payload.assign(reinterpret_cast<const char*>(buffer.data()), new_size);
}

/// Pointers to every value of a document, in a fixed order.
inline void collect_values(Json& value, std::vector<Json*>& values) {
  values.push_back(&value);
  if (!value.is_structured()) return;
  for (Json& element : value) collect_values(element, values);
}

/// Collects every string and object key of a document: layer names, class names, keys.
inline void collect_words(const Json& value, std::vector<std::string>& words) {
  if (value.is_string()) words.push_back(value.get<std::string>());
  if (value.is_object()) {
    for (const auto& item : value.items()) {
      words.push_back(item.key());
      collect_words(item.value(), words);
    }
  } else if (value.is_array()) {
    for (const Json& element : value) collect_words(element, words);
  }
}

/// Returns a value near a limit that the loader checks: integer and floating-point
/// extremes, sizes around 2^31, 2^53 and 2^63, or a value of another JSON type.
inline Json interesting_value(Random& random) {
  switch (random() % 20) {
    case 0: return 0;
    case 1: return 1;
    case 2: return -1;
    case 3: return 2;
    case 4: return 2147483647;
    case 5: return 2147483648LL;
    case 6: return 4294967296LL;
    case 7: return 9007199254740993LL;
    case 8: return 9223372036854775807LL;
    case 9: return (-9223372036854775807LL - 1);
    case 10: return 18446744073709551615ULL;
    case 11: return 1e308;
    case 12: return -1e-310;
    case 13: return 0.5;
    case 14: return true;
    case 15: return nullptr;
    case 16: return "";
    case 17: return Json::array();
    case 18: return Json::object();
    default: return 4611686018427387904LL;  // 2^62
  }
}

/// Applies one tree edit to a random value of `document`: a new scalar, a word from the
/// document (which turns references into dangling or cyclic ones), a copy of another
/// value, or an element or key added, removed or swapped.
inline void mutate_tree(Json& document, Random& random) {
  std::vector<Json*> values;
  collect_values(document, values);
  Json& target = *values[random() % values.size()];
  std::vector<std::string> words;
  collect_words(document, words);
  const std::string word = words.empty() ? std::string("x") : words[random() % words.size()];
  const Json donor = *values[random() % values.size()];
  switch (random() % 10) {
    case 0:
    case 1:
      target = interesting_value(random);
      break;
    case 2:
      if (target.is_number_integer()) {
        // Steps by -1, +1 or +2 in unsigned arithmetic, which wraps at the limits instead
        // of overflowing.
        const std::uint64_t step[] = {~std::uint64_t{0}, 1, 2};
        const std::uint64_t delta = step[random() % 3];
        if (target.is_number_unsigned()) {
          target = target.get<std::uint64_t>() + delta;
        } else {
          target = static_cast<std::int64_t>(
              static_cast<std::uint64_t>(target.get<std::int64_t>()) + delta);
        }
      } else {
        target = word;
      }
      break;
    case 3:
      target = word;
      break;
    case 4:
      // The donor is a copy, so it may be the root and double the document; emit rejects
      // a result larger than the fuzzer's size limit.
      target = donor;
      break;
    case 5:
      if (target.is_array() && !target.empty()) {
        target.erase(target.begin() + static_cast<long>(random() % target.size()));
      } else if (target.is_object() && !target.empty()) {
        auto position = target.begin();
        std::advance(position, static_cast<long>(random() % target.size()));
        target.erase(position);
      }
      break;
    case 6:
      if (target.is_array()) {
        target.insert(target.begin() + static_cast<long>(random() % (target.size() + 1)), donor);
      } else if (target.is_object()) {
        target[word] = donor;
      }
      break;
    case 7:
      if (target.is_array() && target.size() >= 2) {
        std::swap(target[random() % target.size()], target[random() % target.size()]);
      } else if (target.is_object() && !target.empty()) {
        // Renames a key, keeping its value.
        auto position = target.begin();
        std::advance(position, static_cast<long>(random() % target.size()));
        Json moved = *position;
        target.erase(position);
        target[word] = moved;
      }
      break;
    case 8:
      if (target.is_array() && !target.empty()) {
        target.push_back(target[random() % target.size()]);
      } else if (target.is_string()) {
        target = target.get<std::string>() + "_1";
      }
      break;
    default:
      if (target.is_number()) target = -target.get<double>();
      break;
  }
}

/// Restores two agreements that the loader checks and that random edits rarely keep, so
/// that edited documents get further: an InputLayer's "batch_shape" text follows its
/// "features", and a layer's config "name" follows the layer's "name".
inline void repair_agreements(Json& value) {
  if (value.is_object()) {
    const auto features = value.find("features");
    if (features != value.end() && features->is_number_integer() && value.contains("batch_shape")) {
      const std::string width = features->is_number_unsigned()
                                    ? std::to_string(features->get<std::uint64_t>())
                                    : std::to_string(features->get<std::int64_t>());
      value["batch_shape"] = "(None, " + width + ")";
    }
    const auto name = value.find("name");
    const auto config = value.find("config");
    if (name != value.end() && name->is_string() && config != value.end() &&
        config->is_object() && config->contains("name")) {
      (*config)["name"] = *name;
    }
  }
  if (value.is_structured()) {
    for (Json& element : value) repair_agreements(element);
  }
}

/// Rebuilds a file from `parts` with correct lengths and checksums and copies it into the
/// fuzzer's buffer; 0 when it does not fit.
inline std::size_t emit_parts(const FileParts& parts, std::uint8_t* data, std::size_t max_size) {
  return emit(sinapse::detail::write_file_sections(parts.json, parts.tensors), data, max_size);
}

/// Room that a payload may grow by when the whole file must stay within `max_size`.
inline std::size_t room_left(std::size_t size, std::size_t max_size) {
  return size < max_size ? max_size - size : 0;
}

/// Returns the offset and width of every stored value of a tensor payload, up to 100000,
/// walking the records as read_tensor_section does and stopping at the first record that
/// does not fit.
inline std::vector<std::pair<std::size_t, std::size_t>> value_positions(
    const std::string& payload) {
  constexpr std::size_t max_positions = 100000;
  std::vector<std::pair<std::size_t, std::size_t>> positions;
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(payload.data());
  std::size_t offset = 8;
  std::uint64_t count = payload.size() >= 8 ? read_le(bytes, 8) : 0;
  for (; count > 0 && payload.size() - offset >= 10; --count) {
    const std::size_t width = bytes[offset] == 1 ? 4 : 8;
    const int rank = bytes[offset + 1] == 2 ? 2 : 1;
    const std::size_t header = 2 + 8 * static_cast<std::size_t>(rank);
    if (payload.size() - offset < header) break;
    const std::uint64_t rows = read_le(bytes + offset + 2, 8);
    const std::uint64_t cols = rank == 2 ? read_le(bytes + offset + 10, 8) : 1;
    offset += header;

    const std::size_t capacity = (payload.size() - offset) / width;
    if (rows != 0 && (cols > capacity || rows > capacity / (cols == 0 ? 1 : cols))) break;
    for (std::uint64_t i = 0; i < rows * cols && positions.size() < max_positions; ++i) {
      positions.emplace_back(offset + static_cast<std::size_t>(i) * width, width);
    }
    offset += static_cast<std::size_t>(rows * cols) * width;
  }
  return positions;
}

/// Returns the bit pattern of `value` as a float32 (in the low 4 bytes) or a float64.
inline std::uint64_t stored_bits(double value, std::size_t width) {
  if (width == 8) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &value, 8);
    return bits;
  }
  // Converting a finite double beyond float's range is undefined, so those become 1e30.
  float narrow = static_cast<float>(value > 0 ? 1e30 : -1e30);
  if (!std::isfinite(value) ||
      std::abs(value) <= static_cast<double>(std::numeric_limits<float>::max())) {
    narrow = static_cast<float>(value);
  }
  std::uint32_t bits = 0;
  std::memcpy(&bits, &narrow, 4);
  return bits;
}

/// Overwrites one stored value of a tensor payload with a value that the loader must
/// check or convert: NaN, infinities, a negative value (invalid in a moving variance),
/// float64 values beyond float's range and subnormals. The records keep their layout, so
/// the edit reaches the value checks. Leaves a payload without values unchanged.
inline void mutate_tensor_value(std::string& payload, Random& random) {
  const std::vector<std::pair<std::size_t, std::size_t>> positions = value_positions(payload);
  if (positions.empty()) return;
  const auto [position, width] = positions[random() % positions.size()];
  const double specials[] = {std::numeric_limits<double>::quiet_NaN(),
                             std::numeric_limits<double>::infinity(),
                             -std::numeric_limits<double>::infinity(),
                             -1.0,
                             -0.0,
                             1e300,
                             3.5e38,
                             -3.4028235677973366e38,
                             std::numeric_limits<double>::denorm_min(),
                             1e-40};
  const double value = specials[random() % (sizeof specials / sizeof specials[0])];
  const std::uint64_t bits = stored_bits(value, width);
  for (std::size_t i = 0; i < width; ++i) {
    payload[position + i] = static_cast<char>(static_cast<std::uint8_t>(bits >> (8 * i)));
  }
}

/// The custom mutator. It picks one of these mutations with the probability given:
///   1/16  a byte mutation of the whole file that leaves the checksums wrong
///   2/16  a byte mutation of the whole file, with the checksums fixed afterwards
///   5/16  a byte mutation of the JSON text
///   1/16  a byte mutation of the tensor payload
///   1/16  one special tensor value (mutate_tensor_value)
///   6/16  one to three tree edits of the JSON document, then repair_agreements half of
///         the time
/// A section edit becomes a byte mutation of the whole file, with the checksums fixed,
/// when the input has no readable sections or the result exceeds `max_size`.
inline std::size_t mutate_file(std::uint8_t* data, std::size_t size, std::size_t max_size,
                               unsigned int seed) {
  Random random(seed);
  const unsigned int choice = random() % 16;
  FileParts parts;
  const bool has_parts = choice >= 3 && split_file(data, size, parts);
  std::size_t new_size = 0;
  if (has_parts && choice < 8) {
    mutate_bytes(parts.json, room_left(size, max_size));
    new_size = emit_parts(parts, data, max_size);
  } else if (has_parts && choice < 9) {
    mutate_bytes(parts.tensors, room_left(size, max_size));
    new_size = emit_parts(parts, data, max_size);
  } else if (has_parts && choice < 10) {
    mutate_tensor_value(parts.tensors, random);
    new_size = emit_parts(parts, data, max_size);
  } else if (has_parts) {
    Json document = Json::parse(parts.json, nullptr, false);
    if (!document.is_discarded()) {
      const unsigned int edits = 1 + random() % 3;
      for (unsigned int i = 0; i < edits; ++i) mutate_tree(document, random);
      if (random() % 2 == 0) repair_agreements(document);
      parts.json = document.dump();
      new_size = emit_parts(parts, data, max_size);
    }
  }
  if (new_size != 0) return new_size;
  new_size = LLVMFuzzerMutate(data, size, max_size);
  if (choice != 0) fix_checksums(data, new_size);
  return new_size;
}

/// The custom cross-over: the JSON section of one file with the tensor section of the
/// other, or one file's JSON document with a value replaced by a value of the other's.
inline std::size_t cross_over_files(const std::uint8_t* first, std::size_t first_size,
                                    const std::uint8_t* second, std::size_t second_size,
                                    std::uint8_t* out, std::size_t max_size, unsigned int seed) {
  Random random(seed);
  FileParts a;
  FileParts b;
  if (!split_file(first, first_size, a) || !split_file(second, second_size, b)) return 0;
  if (random() % 2 == 0) {
    a.tensors = b.tensors;
    return emit_parts(a, out, max_size);
  }
  Json document = Json::parse(a.json, nullptr, false);
  Json other = Json::parse(b.json, nullptr, false);
  if (document.is_discarded() || other.is_discarded()) return 0;
  std::vector<Json*> targets;
  std::vector<Json*> donors;
  collect_values(document, targets);
  collect_values(other, donors);
  *targets[random() % targets.size()] = *donors[random() % donors.size()];
  a.json = document.dump();
  return emit_parts(a, out, max_size);
}

}  // namespace sinapse_fuzz
