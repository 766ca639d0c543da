// Rng: the data pipeline's random numbers, identical on every platform.
//
// std::mt19937_64 is specified bit for bit, but the standard distributions are
// not, so sampling is done here by hand. derive() gives each (seed, stream,
// index) its own generator: batch n of a run is the same whether the run
// started at step 0 or resumed at step n.
#pragma once

#include <cstdint>
#include <random>

namespace ssa {

class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}

  static Rng derive(uint64_t seed, uint64_t stream, uint64_t index) {
    return Rng(mix(mix(mix(seed) ^ stream) ^ index));
  }

  uint64_t next() { return engine_(); }
  // Uniform in [0, n); n > 0. The modulo bias is below 2^-40 for our n.
  uint64_t below(uint64_t n) { return engine_() % n; }
  int64_t between(int64_t lo, int64_t hi) {  // inclusive
    return lo + static_cast<int64_t>(below(static_cast<uint64_t>(hi - lo + 1)));
  }
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

 private:
  // splitmix64's finaliser: decorrelates nearby seeds.
  static uint64_t mix(uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::mt19937_64 engine_;
};

}  // namespace ssa
