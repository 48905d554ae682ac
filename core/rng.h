// Deterministic random numbers that do not depend on the standard library's distribution code, so a seed
// means the same numbers on every platform: splitmix64 seeding, xoshiro256** generator, Box-Muller normals.
#pragma once

#include <cstdint>

namespace ascent {

struct Rng {
  uint64_t s[4];
  explicit Rng(uint64_t seed);
  uint64_t next_u64();
  double next_uniform();  // in [0, 1), 53 random bits
  double next_normal();   // standard normal
};

}  // namespace ascent
