#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <random>

#include "sinapse/core/errors.hpp"

namespace sinapse {

/// Pseudo-random generator used for weight initialisation, dropout masks and
/// shuffling: xoshiro256** (Blackman and Vigna, 2018) seeded through SplitMix64.
///
/// sinapse draws every random number through this class rather than through
/// `<random>` distributions, whose output differs between standard libraries, so a
/// seed gives the same weights and history with every compiler. The state is four
/// 64-bit words that `state()` exposes for saving and `set_state()` restores.
class Generator {
 public:
  using State = std::array<std::uint64_t, 4>;

  explicit Generator(std::uint64_t seed = 0) { reseed(seed); }

  /// Resets the state from a 64-bit seed.
  void reseed(std::uint64_t seed) {
    std::uint64_t x = seed;
    for (auto& word : state_) word = splitmix64(x);
  }

  /// Returns the next 64 random bits.
  std::uint64_t next() {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  /// Returns a double uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  /// Returns an integer uniform in [0, bound), without modulo bias.
  /// @throws ValueError for bound 0, which has no valid result.
  std::uint64_t below(std::uint64_t bound) {
    if (bound == 0) throw ValueError("Generator::below: bound must be positive, got 0");
    // Reject the top partial range so that every residue is equally likely.
    const std::uint64_t limit = ~std::uint64_t{0} - (~std::uint64_t{0} % bound);
    std::uint64_t value = next();
    while (value >= limit) value = next();
    return value % bound;
  }

  const State& state() const { return state_; }
  void set_state(const State& state) { state_ = state; }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

  static std::uint64_t splitmix64(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  State state_{};
};

namespace detail {

/// The process-wide generator that hands out seeds to new layers and models.
/// It starts from std::random_device, as Keras does without a seed.
struct GlobalGenerator {
  std::mutex mutex;
  Generator generator{std::random_device{}() ^
                      (static_cast<std::uint64_t>(std::random_device{}()) << 32)};
};

inline GlobalGenerator& global_generator() {
  static GlobalGenerator instance;
  return instance;
}

/// Draws a fresh seed from the global generator (thread-safe).
inline std::uint64_t draw_seed() {
  GlobalGenerator& global = global_generator();
  std::lock_guard<std::mutex> lock(global.mutex);
  return global.generator.next();
}

}  // namespace detail

/// Seeds the global generator, like `keras.utils.set_random_seed`. Every layer and
/// model created afterwards draws its seed from it in creation order, so the same
/// seed and the same program give bit-identical weights and training history.
inline void set_random_seed(std::uint64_t seed) {
  detail::GlobalGenerator& global = detail::global_generator();
  std::lock_guard<std::mutex> lock(global.mutex);
  global.generator.reseed(seed);
}

}  // namespace sinapse
