// Tests of the CRC-32 that guards every section of a sinapse file: the standard check
// values (computed with Python's zlib.crc32), piecewise updates, and detection of every
// single-bit change.
#include <cstdint>
#include <string>

#include <sinapse/saving/crc32.hpp>

#include "support/catch.hpp"

using sinapse::detail::crc32;

TEST_CASE("crc32 standard check values", "[saving][crc32]") {
  CHECK(crc32("123456789", 9) == 0xCBF43926u);
  CHECK(crc32("a", 1) == 0xE8B7BE43u);
  const std::string fox = "The quick brown fox jumps over the lazy dog";
  CHECK(crc32(fox.data(), fox.size()) == 0x414FA339u);
}

TEST_CASE("crc32 of no bytes is zero", "[saving][crc32]") { CHECK(crc32("", 0) == 0u); }

TEST_CASE("crc32 piecewise equals whole", "[saving][crc32]") {
  const std::string text = "The quick brown fox jumps over the lazy dog";
  for (std::size_t split = 0; split <= text.size(); ++split) {
    sinapse::detail::Crc32 crc;
    crc.update(text.data(), split);
    crc.update(text.data() + split, text.size() - split);
    INFO("split at " << split);
    CHECK(crc.value() == crc32(text.data(), text.size()));
  }
}

TEST_CASE("crc32 detects every bit flip", "[saving][crc32]") {
  std::string data(64, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 37 + 11);
  const std::uint32_t original = crc32(data.data(), data.size());
  int undetected = 0;
  for (std::size_t i = 0; i < data.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string changed = data;
      changed[i] = static_cast<char>(changed[i] ^ (1 << bit));
      if (crc32(changed.data(), changed.size()) == original) ++undetected;
    }
  }
  CHECK(undetected == 0);
}
