// pack_projection_weights: one allocation per layer's q/k/v and gate/up
// groups, the model's entries views of it, its values and forward unchanged.
#include "engine/decode/projection_packing.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <string>

#include "engine/model/model_config.h"

namespace ssa {
namespace {

ModelConfig biased_config() {
  ModelConfig c;
  c.vocab_size = 300;
  c.hidden_size = 32;
  c.intermediate_size = 48;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.head_dim = 8;
  c.rope_theta = 10000;
  c.rms_norm_eps = 1e-6;
  c.qkv_bias = true;  // the biases are packed too
  return c;
}

std::string name(int layer, const std::string& rest) {
  return "model.layers." + std::to_string(layer) + "." + rest;
}

TEST(ProjectionPacking, GroupsBecomeViewsOfOneTensorWithTheSameValues) {
  DecoderModel model(biased_config(), 7);
  const TensorMap before = [&] {
    TensorMap copy;
    for (const auto& [n, t] : model.weights()) copy.emplace(n, t.clone());
    return copy;
  }();
  const at::Tensor ids = at::arange(0, 12, at::kLong).view({1, 12});
  const at::Tensor positions = at::arange(0, 12, at::kLong).view({1, 12});
  const at::Tensor logits = model.forward(ids, positions, at::Tensor());
  const auto w = [&](int l, const char* rest) { return model.weights().at(name(l, rest)); };
  // Unpacked, separate allocations: no view.
  EXPECT_FALSE(adjacent_rows({w(0, "mlp.gate_proj.weight"), w(0, "mlp.up_proj.weight")}).defined());

  pack_projection_weights(model);
  for (const auto& [n, t] : model.weights()) EXPECT_TRUE(at::equal(t, before.at(n))) << n;
  for (int l = 0; l < 2; ++l) {
    const at::Tensor qkv =
        adjacent_rows({w(l, "self_attn.q_proj.weight"), w(l, "self_attn.k_proj.weight"),
                       w(l, "self_attn.v_proj.weight")});
    ASSERT_TRUE(qkv.defined()) << "layer " << l;
    EXPECT_EQ(qkv.sizes(), (at::IntArrayRef{4 * 8 + 2 * 2 * 8, 32}));
    EXPECT_EQ(qkv.data_ptr(), w(l, "self_attn.q_proj.weight").data_ptr());
    EXPECT_TRUE(at::equal(qkv, at::cat({before.at(name(l, "self_attn.q_proj.weight")),
                                        before.at(name(l, "self_attn.k_proj.weight")),
                                        before.at(name(l, "self_attn.v_proj.weight"))})));
    EXPECT_TRUE(adjacent_rows({w(l, "self_attn.q_proj.bias"), w(l, "self_attn.k_proj.bias"),
                               w(l, "self_attn.v_proj.bias")})
                    .defined());
    const at::Tensor gate_up =
        adjacent_rows({w(l, "mlp.gate_proj.weight"), w(l, "mlp.up_proj.weight")});
    ASSERT_TRUE(gate_up.defined()) << "layer " << l;
    EXPECT_EQ(gate_up.sizes(), (at::IntArrayRef{2 * 48, 32}));
    // Out of order, or with a gap: not one matrix.
    EXPECT_FALSE(
        adjacent_rows({w(l, "mlp.up_proj.weight"), w(l, "mlp.gate_proj.weight")}).defined());
    EXPECT_FALSE(adjacent_rows({w(l, "self_attn.q_proj.weight"), w(l, "self_attn.v_proj.weight")})
                     .defined());
  }
  EXPECT_TRUE(at::equal(model.forward(ids, positions, at::Tensor()), logits));
  // Packing twice changes nothing (the groups are already adjacent).
  const void* q = w(0, "self_attn.q_proj.weight").data_ptr();
  pack_projection_weights(model);
  EXPECT_EQ(w(0, "self_attn.q_proj.weight").data_ptr(), q);
}

TEST(ProjectionPacking, AdjacentRowsTakesOnlyPartsEndToEnd) {
  const at::Tensor block = at::arange(0, 60, at::kFloat);
  // A [1, 5] part whose row stride is not 5: the view still has contiguous rows.
  const at::Tensor one = block.narrow(0, 0, 5).as_strided({1, 5}, {7, 1});
  const at::Tensor rest = block.narrow(0, 5, 10).view({2, 5});
  const at::Tensor both = adjacent_rows({one, rest});
  ASSERT_TRUE(both.defined());
  EXPECT_TRUE(at::equal(both, block.narrow(0, 0, 15).view({3, 5})));
  // 1-D parts (biases) end to end; a gap, another dtype, another storage: none.
  EXPECT_TRUE(at::equal(adjacent_rows({block.narrow(0, 0, 4), block.narrow(0, 4, 3)}),
                        block.narrow(0, 0, 7)));
  EXPECT_FALSE(adjacent_rows({block.narrow(0, 0, 4), block.narrow(0, 5, 3)}).defined());
  EXPECT_FALSE(adjacent_rows({block.narrow(0, 0, 4), block.narrow(0, 4, 3).clone()}).defined());
  EXPECT_FALSE(
      adjacent_rows({block.narrow(0, 0, 4), block.narrow(0, 4, 3).to(at::kDouble)}).defined());
  EXPECT_FALSE(adjacent_rows({block.view({6, 10}).t().narrow(0, 0, 2)}).defined());  // strided
}

}  // namespace
}  // namespace ssa
