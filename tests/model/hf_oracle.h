// The transformers oracle (scripts/hf_parity.py) for the parity tests: its
// output directory, made once by the CTest fixture `hf_parity_oracle`, or by
// running the script here when the binary runs on its own.
#pragma once

#include <string>

namespace ssa::test {

// The oracle's directory, or "" with the reason in `why`; `missing` tells a
// missing Python side (the tests skip) from a failure (they fail).
std::string oracle_dir(std::string* why, bool* missing);

}  // namespace ssa::test

// Skips only when the Python side is missing; any other oracle failure fails.
#define REQUIRE_HF_ORACLE(dir)                     \
  std::string dir;                                 \
  do {                                             \
    std::string why_;                              \
    bool missing_ = false;                         \
    dir = ssa::test::oracle_dir(&why_, &missing_); \
    if (dir.empty()) {                             \
      if (missing_) GTEST_SKIP() << why_;          \
      FAIL() << why_;                              \
    }                                              \
  } while (0)
