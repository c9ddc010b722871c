// Tests of Generator (xoshiro256** seeded through SplitMix64) and the global seed:
// known outputs, reproducibility, state round trips, and the ranges and uniformity of
// below() and uniform().
#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <vector>

#include <sinapse/core/random.hpp>

#include "support/catch.hpp"

using sinapse::Generator;

TEST_CASE("Generator known outputs", "[core][random]") {
  // Computed with an independent Python implementation of the published xoshiro256**
  // and SplitMix64 algorithms (Blackman and Vigna).
  Generator zero(0);
  CHECK(zero.next() == 0x99ec5f36cb75f2b4ULL);
  CHECK(zero.next() == 0xbf6e1f784956452aULL);
  CHECK(zero.next() == 0x1a5f849d4933e6e0ULL);
  CHECK(zero.next() == 0x6aa594f1262d2d2cULL);

  Generator forty_two(42);
  CHECK(forty_two.next() == 0x15780b2e0c2ec716ULL);
  CHECK(forty_two.next() == 0x6104d9866d113a7eULL);
  CHECK(forty_two.next() == 0xae17533239e499a1ULL);
  CHECK(forty_two.next() == 0xecb8ad4703b360a1ULL);

  // SplitMix64's first output for seed 0 is the first state word.
  CHECK(Generator(0).state()[0] == 0xe220a8397b1dcdafULL);
}

TEST_CASE("Generator reproducible from a seed", "[core][random]") {
  Generator a(123);
  Generator b(123);
  Generator other(124);
  std::vector<std::uint64_t> from_a;
  std::vector<std::uint64_t> from_b;
  std::vector<std::uint64_t> from_other;

  for (int i = 0; i < 1000; ++i) {
    from_a.push_back(a.next());
    from_b.push_back(b.next());
    from_other.push_back(other.next());
  }

  CHECK(from_a == from_b);
  CHECK(from_a != from_other);
  CHECK(Generator().state() == Generator(0).state());
}

TEST_CASE("Generator reseed restarts", "[core][random]") {
  Generator generator(9);
  for (int i = 0; i < 10; ++i) generator.next();

  generator.reseed(5);

  CHECK(generator.state() == Generator(5).state());
}

TEST_CASE("Generator state round trip", "[core][random]") {
  Generator generator(77);
  for (int i = 0; i < 10; ++i) generator.next();
  const Generator::State saved = generator.state();
  std::vector<std::uint64_t> first;
  for (int i = 0; i < 5; ++i) first.push_back(generator.next());

  generator.set_state(saved);
  std::vector<std::uint64_t> again;
  for (int i = 0; i < 5; ++i) again.push_back(generator.next());
  Generator copy(0);
  copy.set_state(saved);
  std::vector<std::uint64_t> from_copy;
  for (int i = 0; i < 5; ++i) from_copy.push_back(copy.next());

  CHECK(again == first);
  CHECK(from_copy == first);
}

TEST_CASE("Generator below stays in range", "[core][random]") {
  const std::uint64_t bounds[] = {1,
                                  2,
                                  3,
                                  7,
                                  10,
                                  1000,
                                  (std::uint64_t{1} << 32) + 1,
                                  (std::uint64_t{1} << 63) + 3,
                                  std::numeric_limits<std::uint64_t>::max()};
  Generator generator(8);

  for (std::uint64_t bound : bounds) {
    INFO("bound " << bound);
    std::uint64_t largest = 0;
    for (int i = 0; i < 2000; ++i) largest = std::max(largest, generator.below(bound));
    CHECK(largest < bound);
  }
  for (int i = 0; i < 100; ++i) CHECK(generator.below(1) == 0);
}

TEST_CASE("Generator below is uniform", "[core][random]") {
  Generator generator(2);
  const int draws = 100000;
  std::array<int, 10> counts{};
  for (int i = 0; i < draws; ++i) ++counts[static_cast<std::size_t>(generator.below(10))];

  // Chi-square with 9 degrees of freedom, whose 0.999 quantile is 27.88. The seed is
  // fixed, so the test is deterministic.
  const double expected = draws / 10.0;
  double chi_square = 0.0;
  for (int count : counts) chi_square += (count - expected) * (count - expected) / expected;
  INFO("chi-square " << chi_square);
  CHECK(chi_square < 27.88);
}

TEST_CASE("Generator below has no modulo bias", "[core][random]") {
  // For bound = 3 * 2^62, a plain next() % bound maps the top quarter of the 64-bit range
  // onto [0, 2^62), so values below 2^62 would appear half of the time instead of a third.
  const std::uint64_t bound = 3 * (std::uint64_t{1} << 62);
  Generator generator(3);
  const int draws = 30000;
  int low = 0;
  for (int i = 0; i < draws; ++i) {
    if (generator.below(bound) < (std::uint64_t{1} << 62)) ++low;
  }

  const double fraction = static_cast<double>(low) / draws;
  CHECK_THAT(fraction, Catch::Matchers::WithinAbs(1.0 / 3.0, 0.02));
}

TEST_CASE("Generator uniform in [0, 1)", "[core][random]") {
  Generator generator(4);
  const int draws = 100000;
  double smallest = 1.0;
  double largest = 0.0;
  double sum = 0.0;
  for (int i = 0; i < draws; ++i) {
    const double value = generator.uniform();
    smallest = std::min(smallest, value);
    largest = std::max(largest, value);
    sum += value;
  }

  CHECK(smallest >= 0.0);
  CHECK(largest < 1.0);
  // The standard deviation of the mean is 0.289 / sqrt(draws) = 0.0009.
  CHECK_THAT(sum / draws, Catch::Matchers::WithinAbs(0.5, 0.005));
}

TEST_CASE("Generator uniform uses the top 53 bits", "[core][random]") {
  Generator generator(6);
  Generator copy = generator;

  for (int i = 0; i < 100; ++i) {
    const double expected = static_cast<double>(copy.next() >> 11) * 0x1.0p-53;
    CHECK(generator.uniform() == expected);
  }
}

TEST_CASE("set_random_seed repeats the seeds", "[core][random]") {
  sinapse::set_random_seed(31);
  const std::uint64_t first = sinapse::detail::draw_seed();
  const std::uint64_t second = sinapse::detail::draw_seed();

  sinapse::set_random_seed(31);
  CHECK(sinapse::detail::draw_seed() == first);
  CHECK(sinapse::detail::draw_seed() == second);
  CHECK(first != second);

  sinapse::set_random_seed(32);
  CHECK(sinapse::detail::draw_seed() != first);
}
