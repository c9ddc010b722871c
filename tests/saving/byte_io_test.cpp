// Tests of the little-endian byte reader and writer behind sinapse files: the byte layout
// of each type (expected bytes from Python's struct module), round trips of special
// values, and the error for a read past the end.
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include <sinapse/saving/byte_io.hpp>

#include "support/catch.hpp"
#include "support/exception_message.hpp"

using sinapse::detail::ByteReader;
using sinapse::detail::ByteWriter;

namespace {

std::string hex(const std::string& bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string text;
  for (char c : bytes) {
    const unsigned char byte = static_cast<unsigned char>(c);
    text += digits[byte >> 4];
    text += digits[byte & 0xF];
  }
  return text;
}

}  // namespace

TEST_CASE("byte writer little-endian layout", "[saving][byte_io]") {
  ByteWriter writer;
  writer.u8(0xAB);
  writer.u32(0x01020304u);
  writer.u64(0x0102030405060708ull);
  writer.f32(1.0f);
  writer.f64(-2.5);
  writer.f32(-0.0f);
  CHECK(hex(writer.bytes()) ==
        "ab"
        "04030201"
        "0807060504030201"
        "0000803f"
        "00000000000004c0"
        "00000080");
}

TEST_CASE("byte reader round trip", "[saving][byte_io]") {
  ByteWriter writer;
  writer.u8(7);
  writer.u32(0xFFFFFFFFu);
  writer.u64(0x8000000000000001ull);
  writer.f32(std::numeric_limits<float>::denorm_min());
  writer.f64(std::numeric_limits<double>::max());
  writer.f64(-0.0);
  const std::string bytes = writer.take();
  ByteReader reader(bytes.data(), bytes.size(), 100, "test buffer");
  CHECK(reader.u8() == 7);
  CHECK(reader.u32() == 0xFFFFFFFFu);
  CHECK(reader.u64() == 0x8000000000000001ull);
  CHECK(reader.f32() == std::numeric_limits<float>::denorm_min());
  CHECK(reader.f64() == std::numeric_limits<double>::max());
  const double negative_zero = reader.f64();
  CHECK(negative_zero == 0.0);
  CHECK(std::signbit(negative_zero));
  CHECK(reader.remaining() == 0);
  CHECK(reader.file_offset() == 100 + bytes.size());
}

TEST_CASE("byte reader past the end", "[saving][byte_io]") {
  const std::string bytes = "abc";
  ByteReader reader(bytes.data(), bytes.size(), 40, "test buffer");
  reader.u8();
  const std::string message =
      test_support::message_of<sinapse::FileFormatError>([&] { reader.u32(); });
  CHECK(test_support::contains(message, "test buffer: truncated at byte 41"));
  CHECK(test_support::contains(message, "needs 4 bytes, but only 2 remain"));
  CHECK(reader.remaining() == 2);
}
