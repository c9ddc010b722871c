#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <utility>

#include "sinapse/saving/file_errors.hpp"

namespace sinapse {
namespace detail {

// Floating-point values are stored as their IEEE 754 bit patterns, so the bit layout must
// be the same as in the file on every platform that compiles this.
static_assert(std::numeric_limits<float>::is_iec559 && sizeof(float) == 4,
              "sinapse's file format needs IEEE 754 binary32 floats");
static_assert(std::numeric_limits<double>::is_iec559 && sizeof(double) == 8,
              "sinapse's file format needs IEEE 754 binary64 doubles");

/// Appends little-endian integers and IEEE 754 values to a byte string. Each value is
/// written byte by byte with shifts, so the result does not depend on the host's byte order.
class ByteWriter {
 public:
  void u8(std::uint8_t value) { bytes_.push_back(static_cast<char>(value)); }

  void u32(std::uint32_t value) {
    for (int shift = 0; shift < 32; shift += 8) u8(static_cast<std::uint8_t>(value >> shift));
  }

  void u64(std::uint64_t value) {
    for (int shift = 0; shift < 64; shift += 8) u8(static_cast<std::uint8_t>(value >> shift));
  }

  void f32(float value) {
    std::uint32_t bits = 0;
    std::memcpy(&bits, &value, sizeof bits);
    u32(bits);
  }

  void f64(double value) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &value, sizeof bits);
    u64(bits);
  }

  void raw(const char* data, std::size_t size) { bytes_.append(data, size); }
  void raw(const std::string& data) { bytes_.append(data); }

  /// Reserves room for `size` more bytes.
  void reserve(std::size_t size) { bytes_.reserve(bytes_.size() + size); }

  const std::string& bytes() const { return bytes_; }
  std::string take() { return std::move(bytes_); }

 private:
  std::string bytes_;
};

/// Reads little-endian values from a buffer that it does not own. Every read checks the
/// remaining length first and throws FileFormatError when the buffer is too short, naming
/// `context` and the offset in the file.
class ByteReader {
 public:
  /// `file_offset` is the position of data[0] in the file, for messages.
  ByteReader(const char* data, std::size_t size, std::size_t file_offset, std::string context)
      : data_(data), size_(size), file_offset_(file_offset), context_(std::move(context)) {}

  std::size_t remaining() const { return size_ - position_; }
  /// Position of the next byte in the file.
  std::size_t file_offset() const { return file_offset_ + position_; }
  const std::string& context() const { return context_; }

  std::uint8_t u8() {
    require(1, "a byte");
    return static_cast<std::uint8_t>(data_[position_++]);
  }

  std::uint32_t u32() {
    require(4, "a 4-byte integer");
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      value |= static_cast<std::uint32_t>(static_cast<unsigned char>(data_[position_ + i]))
               << (8 * i);
    }
    position_ += 4;
    return value;
  }

  std::uint64_t u64() {
    require(8, "an 8-byte integer");
    std::uint64_t value = 0;
    for (int i = 0; i < 8; ++i) {
      value |= static_cast<std::uint64_t>(static_cast<unsigned char>(data_[position_ + i]))
               << (8 * i);
    }
    position_ += 8;
    return value;
  }

  float f32() {
    const std::uint32_t bits = u32();
    float value = 0;
    std::memcpy(&value, &bits, sizeof value);
    return value;
  }

  double f64() {
    const std::uint64_t bits = u64();
    double value = 0;
    std::memcpy(&value, &bits, sizeof value);
    return value;
  }

  /// Returns a pointer to the next `size` bytes and skips them.
  const char* raw(std::size_t size, const char* what = "data") {
    require(size, what);
    const char* start = data_ + position_;
    position_ += size;
    return start;
  }

 private:
  void require(std::size_t size, const char* what) const {
    if (size > remaining()) {
      throw FileFormatError(concat(context_, ": truncated at byte ", file_offset(), ": reading ",
                                   what, " needs ", size, " bytes, but only ", remaining(),
                                   " remain"));
    }
  }

  const char* data_;
  std::size_t size_;
  std::size_t file_offset_;
  std::string context_;
  std::size_t position_ = 0;
};

}  // namespace detail
}  // namespace sinapse
