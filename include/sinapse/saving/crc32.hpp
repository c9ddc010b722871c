#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace sinapse {
namespace detail {

/// Table of the CRC-32 remainders of every byte value, for the byte-at-a-time update.
inline constexpr std::array<std::uint32_t, 256> make_crc32_table() {
  // 0xEDB88320 is the IEEE 802.3 polynomial 0x04C11DB7 with its bits reversed, because
  // this CRC processes the least significant bit of each byte first.
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t byte = 0; byte < 256; ++byte) {
    std::uint32_t remainder = byte;
    for (int bit = 0; bit < 8; ++bit) {
      remainder = (remainder & 1u) != 0 ? (remainder >> 1) ^ 0xEDB88320u : remainder >> 1;
    }
    table[byte] = remainder;
  }
  return table;
}

inline constexpr std::array<std::uint32_t, 256> crc32_table = make_crc32_table();

/// Running CRC-32 with the parameters of zlib, PNG and Ethernet (reflected polynomial
/// 0xEDB88320, initial value and final XOR 0xFFFFFFFF); the CRC of "123456789" is
/// 0xCBF43926. It detects every error burst of up to 32 bits, so every changed byte.
class Crc32 {
 public:
  /// Adds `size` bytes to the checksum.
  void update(const void* data, std::size_t size) {
    const unsigned char* bytes = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < size; ++i) {
      state_ = crc32_table[(state_ ^ bytes[i]) & 0xFFu] ^ (state_ >> 8);
    }
  }

  /// Checksum of every byte added so far.
  std::uint32_t value() const { return state_ ^ 0xFFFFFFFFu; }

 private:
  std::uint32_t state_ = 0xFFFFFFFFu;
};

/// Returns the CRC-32 of one buffer.
inline std::uint32_t crc32(const void* data, std::size_t size) {
  Crc32 crc;
  crc.update(data, size);
  return crc.value();
}

}  // namespace detail
}  // namespace sinapse
