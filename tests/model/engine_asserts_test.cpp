// Asserts run in this build (SSA_ASSERTS: Release without NDEBUG): an engine
// invariant that breaks stops the program rather than compute on.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "engine/model/masked_attention.h"

namespace {

#ifdef NDEBUG
#error "the tests must be built with asserts on (SSA_ASSERTS)"
#endif

TEST(EngineAsserts, AnAssertInTheEngineFires) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const at::Tensor q = at::randn({1, 2, 3, 4}), k = at::randn({1, 2, 3, 4});
  // The reference attends key by key: a query row that may see no key at all
  // breaks its invariant (a training mask always lets a query see itself).
  const at::Tensor none = at::zeros({3, 3}, at::kBool);
  EXPECT_DEATH(ssa::masked_attention_reference(q, k, k, none), "Assertion");
  const at::Tensor causal = at::ones({3, 3}, at::kBool).tril();
  EXPECT_EQ(ssa::masked_attention_reference(q, k, k, causal).sizes(), q.sizes());
}

}  // namespace
