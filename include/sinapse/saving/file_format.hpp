#pragma once

// The sinapse file format, version 1, shared by model files (`Model::save`) and weights
// files (`Model::save_weights`). Integers are unsigned and little-endian.
//
//   offset  size  field
//   0       12    magic: 0x89, "SINAPSE", 0x0D 0x0A 0x1A 0x0A
//   12      4     format version (uint32), 1
//   16            sections, one after another
//
// The magic starts with a non-ASCII byte and contains CR LF, so a transfer in text mode
// or through a 7-bit channel damages it visibly. Each section is
//
//   4       tag, 4 ASCII characters
//   8       payload length L (uint64)
//   4       CRC-32 (zlib's) of the tag, the length and the payload (uint32)
//   L       payload
//
// and a file has exactly these three sections, in this order:
//
//   "JSON"  a UTF-8 JSON document: the architecture, compile settings and training state,
//           with every weight named and pointing to its tensor (see model_file.hpp and
//           weights_file.hpp)
//   "TNSR"  the tensors: a uint64 count, then for each tensor a dtype byte (1 = float32,
//           2 = float64), a rank byte (1 or 2), one uint64 per dimension and the values in
//           row-major (C) order as IEEE 754 bit patterns
//   "END "  an empty payload; no byte may follow it, so a file cut at a section boundary is
//           detected too
//
// A reader checks the magic and version first, then for each section that the length fits
// in the rest of the file and that the CRC matches, before it interprets any byte of it.
// A tensor's byte size is checked against the rest of the section before anything is
// allocated for it. Every weight listed in the JSON must also match a stored tensor. So the
// loader allocates at most a small multiple of the file size (weights, their gradients and
// the optimizer slots), whatever sizes a file declares.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "sinapse/saving/byte_io.hpp"
#include "sinapse/saving/crc32.hpp"
#include "sinapse/saving/file_errors.hpp"

namespace sinapse {
namespace detail {

/// The first 12 bytes of every sinapse file.
inline constexpr char file_magic[] = "\x89SINAPSE\r\n\x1a\n";
inline constexpr std::size_t file_magic_size = 12;
/// Format version that this code writes and the newest it reads.
inline constexpr std::uint32_t file_format_version = 1;
inline constexpr std::size_t file_header_size = file_magic_size + 4;
inline constexpr std::size_t section_header_size = 16;

inline constexpr char json_section_tag[] = "JSON";
inline constexpr char tensor_section_tag[] = "TNSR";
inline constexpr char end_section_tag[] = "END ";

/// One section of a file read into memory; `data` points into the file's buffer.
struct SectionView {
  const char* data = nullptr;
  std::size_t size = 0;
  /// Position of the payload in the file, for messages.
  std::size_t offset = 0;
};

/// The JSON and tensor sections of a checked file.
struct FileSections {
  SectionView json;
  SectionView tensors;
};

/// Appends one section: tag, payload length, CRC-32 and payload.
inline void write_section(ByteWriter& writer, const char* tag, const std::string& payload) {
  ByteWriter header;
  header.raw(tag, 4);
  header.u64(payload.size());
  Crc32 crc;
  crc.update(header.bytes().data(), header.bytes().size());
  crc.update(payload.data(), payload.size());
  writer.raw(header.bytes());
  writer.u32(crc.value());
  writer.raw(payload);
}

/// Returns the bytes of a whole file: header, the JSON and tensor sections, end marker.
inline std::string write_file_sections(const std::string& json, const std::string& tensors) {
  ByteWriter writer;
  writer.reserve(file_header_size + 3 * section_header_size + json.size() + tensors.size());
  writer.raw(file_magic, file_magic_size);
  writer.u32(file_format_version);
  write_section(writer, json_section_tag, json);
  write_section(writer, tensor_section_tag, tensors);
  write_section(writer, end_section_tag, std::string());
  return writer.take();
}

/// Returns printable text for a 4-byte tag: the characters when they are printable
/// ASCII, else their hex codes.
inline std::string tag_text(const char* tag) {
  std::string text = "\"";
  bool printable = true;
  for (int i = 0; i < 4; ++i) printable = printable && tag[i] >= 0x20 && tag[i] < 0x7F;
  if (printable) return text + std::string(tag, 4) + "\"";
  static const char digits[] = "0123456789abcdef";
  std::string hex = "0x";
  for (int i = 0; i < 4; ++i) {
    const unsigned char byte = static_cast<unsigned char>(tag[i]);
    hex += digits[byte >> 4];
    hex += digits[byte & 0xF];
  }
  return hex;
}

/// Checks the magic and the format version at the start of a file. It reads at most
/// the first file_header_size bytes, so a loader can run it before reading the rest of
/// the file. `size` may be smaller only when the whole file is that small.
/// @throws FileFormatError for an empty or truncated header, a wrong magic or an
/// unsupported version.
inline void check_file_header(const char* data, std::size_t size) {
  if (size == 0) throw FileFormatError("the file is empty");
  if (size < file_magic_size || std::memcmp(data, file_magic, file_magic_size) != 0) {
    if (size < file_magic_size && std::memcmp(data, file_magic, size) == 0) {
      throw FileFormatError(concat("the file is truncated: it has only ", size,
                                   " bytes, fewer than the ", file_header_size, "-byte header"));
    }
    throw FileFormatError(
        "the file does not start with the sinapse magic bytes (0x89 \"SINAPSE\" CR LF 0x1A LF), "
        "so it is not a sinapse model or weights file, or it was changed by a text-mode "
        "transfer");
  }
  ByteReader reader(data, size < file_header_size ? size : file_header_size, 0, "file header");
  reader.raw(file_magic_size);
  const std::uint32_t version = reader.u32();
  if (version == 0) {
    throw FileFormatError("the file has format version 0, which does not exist; it is damaged");
  }
  if (version > file_format_version) {
    throw FileFormatError(concat(
        "the file has format version ", version, ", but this sinapse reads only versions up to ",
        file_format_version, "; load it with a newer sinapse, or check whether it is damaged"));
  }
}

/// Checks the header and every section of a file in memory and returns views of its
/// JSON and tensor sections.
/// @throws FileFormatError for a wrong magic, an unsupported version, a truncated file,
/// a section length beyond the end of the file, a checksum mismatch, a missing,
/// repeated, unknown or misplaced section, or bytes after the end section.
inline FileSections read_file_sections(const char* data, std::size_t size) {
  check_file_header(data, size);
  ByteReader reader(data, size, 0, "file header");
  reader.raw(file_header_size);

  const char* const expected[] = {json_section_tag, tensor_section_tag, end_section_tag};
  FileSections sections;
  for (int index = 0; index < 3; ++index) {
    const std::size_t header_offset = reader.file_offset();
    if (reader.remaining() == 0) {
      throw FileFormatError(concat("the file is truncated: it ends at byte ", header_offset,
                                   " where section ", tag_text(expected[index]), " should start"));
    }
    if (reader.remaining() < section_header_size) {
      throw FileFormatError(concat("the file is truncated: the header of section ",
                                   tag_text(expected[index]), " at byte ", header_offset, " needs ",
                                   section_header_size, " bytes, but only ", reader.remaining(),
                                   " remain"));
    }
    const char* tag = reader.raw(4);
    const std::uint64_t length = reader.u64();
    const std::uint32_t stored_crc = reader.u32();
    if (length > reader.remaining()) {
      throw FileFormatError(concat("section ", tag_text(tag), " at byte ", header_offset,
                                   " declares ", length, " bytes, but only ", reader.remaining(),
                                   " remain in the file; the file is truncated or damaged"));
    }
    const std::size_t payload_offset = reader.file_offset();
    const char* payload = reader.raw(static_cast<std::size_t>(length));
    Crc32 crc;
    crc.update(tag, 12);  // the tag and the length, as written
    crc.update(payload, static_cast<std::size_t>(length));
    if (crc.value() != stored_crc) {
      throw FileFormatError(concat("section ", tag_text(tag), " at byte ", header_offset,
                                   " fails its CRC-32 check (stored ", stored_crc, ", computed ",
                                   crc.value(), "), so the file is damaged"));
    }
    if (std::memcmp(tag, expected[index], 4) != 0) {
      throw FileFormatError(concat("section ", index + 1, " at byte ", header_offset, " is ",
                                   tag_text(tag), ", but sinapse expects ",
                                   tag_text(expected[index]),
                                   " there; the file was not written by sinapse"));
    }
    const SectionView view{payload, static_cast<std::size_t>(length), payload_offset};
    if (index == 0) sections.json = view;
    if (index == 1) sections.tensors = view;
    if (index == 2 && length != 0) {
      throw FileFormatError(concat("the end section at byte ", header_offset, " has ", length,
                                   " bytes, but it must be empty"));
    }
  }
  if (reader.remaining() != 0) {
    throw FileFormatError(concat("the file has ", reader.remaining(),
                                 " unexpected bytes after its end section at byte ",
                                 reader.file_offset()));
  }
  return sections;
}

}  // namespace detail
}  // namespace sinapse
