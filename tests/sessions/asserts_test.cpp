// Asserts run in this build: Release no longer defines NDEBUG (the top-level
// CMakeLists.txt, SSA_ASSERTS), so an invariant of sessions/ that breaks stops
// the program instead of writing a wrong value.
#include <gtest/gtest.h>

#include <cstdint>

#include "sessions/blob_codec.h"

namespace ssa::sessions {
namespace {

#ifdef NDEBUG
#error "the tests must be built with asserts on (SSA_ASSERTS)"
#endif

TEST(Asserts, AnAssertInSessionsFires) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  // Positions are stored as int32 (schema.sql): the encoder asserts that
  // every value fits rather than truncate it.
  const int64_t too_big = int64_t(1) << 40;
  EXPECT_DEATH(encode_int32_from64(&too_big, 1), "Assertion");
  const int64_t fits = 123;
  EXPECT_EQ(encode_int32_from64(&fits, 1).size(), 4u);
}

}  // namespace
}  // namespace ssa::sessions
