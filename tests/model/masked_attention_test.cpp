// Masked attention: SDPA equals the loop reference, gradients match finite
// differences, and what the SSA training mask hides really stays hidden, in
// the forward pass and in the backward pass, for attention and the whole model.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/csrc/autograd/autograd.h>

#include <vector>

#include "engine/layout/gist_layout.h"
#include "engine/mask/training_mask.h"
#include "engine/model/decoder.h"
#include "engine/model/masked_attention.h"

namespace {

// An H-SSA layout (c = 2, c1 = 2, sink 1) over 11 raw tokens: gists, meta-gists,
// a partial last chunk and a sink, so the mask has every kind of hole.
ssa::GistLayout test_layout() {
  ssa::LayoutSettings s;
  s.chunk = 2;
  s.group_sizes = {2};
  s.sink = 1;
  std::vector<int64_t> raw;
  for (int i = 0; i < 11; ++i) raw.push_back(10 + i);
  return ssa::GistLayout(s, raw);
}

at::Tensor test_mask(const ssa::GistLayout& layout, int p = 1) {
  return ssa::dense_training_mask(layout, ssa::MaskSettings{p});
}

TEST(MaskedAttention, SdpaEqualsLoopReference) {
  const ssa::GistLayout layout = test_layout();
  const int64_t L = layout.length();
  at::manual_seed(1);
  const at::Tensor q = at::randn({2, 4, L, 8}), k = at::randn({2, 2, L, 8}),
                   v = at::randn({2, 2, L, 8});
  for (int p : {0, 1}) {
    const at::Tensor mask = test_mask(layout, p);
    const at::Tensor fast = ssa::masked_attention(q, k, v, mask);
    const at::Tensor ref = ssa::masked_attention_reference(q, k, v, mask);
    EXPECT_LT((fast - ref).abs().max().item<double>(), 1e-5) << "p = " << p;
    // A batched [B, 1, L, L] mask (second row causal) agrees too.
    const at::Tensor both = at::stack({mask, at::ones({L, L}, at::kBool).tril()}).unsqueeze(1);
    EXPECT_LT(
        (ssa::masked_attention(q, k, v, both) - ssa::masked_attention_reference(q, k, v, both))
            .abs()
            .max()
            .item<double>(),
        1e-5);
  }
  // The SSA mask is not the causal one, so the result must differ from causal attention.
  const at::Tensor causal = at::ones({L, L}, at::kBool).tril();
  EXPECT_GT(
      (ssa::masked_attention(q, k, v, test_mask(layout)) - ssa::masked_attention(q, k, v, causal))
          .abs()
          .max()
          .item<double>(),
      1e-3);
}

// Central differences in float64 against autograd, for q, k and v, on both paths.
TEST(MaskedAttention, GradientMatchesFiniteDifferences) {
  const ssa::GistLayout layout = test_layout();
  const int64_t L = layout.length();
  const at::Tensor mask = test_mask(layout);
  at::manual_seed(2);
  const auto opts = at::TensorOptions().dtype(at::kDouble);
  std::vector<at::Tensor> inputs = {at::randn({1, 2, L, 4}, opts), at::randn({1, 1, L, 4}, opts),
                                    at::randn({1, 1, L, 4}, opts)};
  const at::Tensor weights = at::randn({1, 2, L, 4}, opts);
  for (bool reference : {false, true}) {
    auto loss = [&](const std::vector<at::Tensor>& x) {
      const at::Tensor out = reference ? ssa::masked_attention_reference(x[0], x[1], x[2], mask)
                                       : ssa::masked_attention(x[0], x[1], x[2], mask);
      return (out * weights).sum();
    };
    std::vector<at::Tensor> x;
    for (const auto& t : inputs) x.push_back(t.clone().set_requires_grad(true));
    loss(x).backward();
    const double eps = 1e-6;
    for (size_t which = 0; which < x.size(); ++which) {
      const at::Tensor analytic = x[which].grad().flatten();
      for (int64_t i = 0; i < analytic.numel(); i += 3) {  // every third entry keeps it quick
        std::vector<at::Tensor> plus, minus;
        for (const auto& t : inputs) plus.push_back(t.clone()), minus.push_back(t.clone());
        plus[which].view(-1)[i] += eps;
        minus[which].view(-1)[i] -= eps;
        const double numeric = (loss(plus) - loss(minus)).item<double>() / (2 * eps);
        EXPECT_NEAR(analytic[i].item<double>(), numeric, 1e-6)
            << (reference ? "reference" : "sdpa") << " input " << which << " entry " << i;
      }
    }
  }
}

// Changing a key/value the mask hides from query i changes nothing at i, and
// the gradient of i's output with respect to that key/value is exactly zero.
TEST(MaskedAttention, HiddenKeysDoNotReachTheQuery) {
  const ssa::GistLayout layout = test_layout();
  const int64_t L = layout.length();
  const at::Tensor mask = test_mask(layout);
  at::manual_seed(3);
  at::Tensor q = at::randn({1, 2, L, 8}), k = at::randn({1, 1, L, 8}).set_requires_grad(true),
             v = at::randn({1, 1, L, 8}).set_requires_grad(true);
  const at::Tensor out = ssa::masked_attention(q, k, v, mask);
  int64_t hidden_pairs = 0;
  for (int64_t i = 0; i < L; ++i) {
    at::Tensor k2 = k.detach().clone(), v2 = v.detach().clone();
    for (int64_t j = 0; j < L; ++j) {
      if (mask[i][j].item<bool>()) continue;
      k2[0][0][j] += 5.0;
      v2[0][0][j] -= 5.0;
      ++hidden_pairs;
    }
    const at::Tensor out2 = ssa::masked_attention(q, k2, v2, mask);
    EXPECT_TRUE(at::equal(out.select(2, i), out2.select(2, i))) << "query " << i;
    auto grads = torch::autograd::grad({out.select(2, i).sum()}, {k, v}, {}, /*retain_graph=*/true);
    for (int64_t j = 0; j < L; ++j) {
      const bool visible = mask[i][j].item<bool>();
      const double gk = grads[0][0][0][j].abs().sum().item<double>();
      const double gv = grads[1][0][0][j].abs().sum().item<double>();
      if (!visible)
        EXPECT_EQ(gk + gv, 0.0) << "query " << i << " key " << j;
      else
        EXPECT_GT(gv, 0.0) << "query " << i << " key " << j;
    }
  }
  EXPECT_GT(hidden_pairs, L);  // the layout really hides something
}

// Whole model: a position's logits ignore the tokens no path of visible
// positions (the mask's transitive closure over layers) reaches, and the
// embedding rows of those tokens get exactly zero gradient from it.
TEST(DecoderModelMask, UnreachableTokensDoNotMatter) {
  const ssa::GistLayout layout = test_layout();
  const int64_t L = layout.length();
  const at::Tensor mask = test_mask(layout);
  ssa::ModelConfig c;
  c.vocab_size = 300, c.hidden_size = 32, c.intermediate_size = 64, c.num_hidden_layers = 2;
  c.num_attention_heads = 4, c.num_key_value_heads = 2, c.head_dim = 8;
  ssa::DecoderModel model(c, 7);
  model.set_requires_grad(true);
  // Reachability after two layers: (M * M) > 0.
  const at::Tensor mf = mask.to(at::kFloat);
  const at::Tensor reach = mf.matmul(mf) > 0;
  const int64_t query = L - 1;
  std::vector<int64_t> ids(L);
  int64_t unreachable = 0;
  for (int64_t j = 0; j < L; ++j) {
    const bool hidden = !reach[query][j].item<bool>();
    ids[j] = hidden ? 200 + j : layout.token_id(j);  // unique ids where hidden
    unreachable += hidden;
  }
  ASSERT_GT(unreachable, 0);
  const at::Tensor tok = at::tensor(ids).unsqueeze(0);
  const at::Tensor pos = at::arange(L).unsqueeze(0);
  const at::Tensor logits = model.forward(tok, pos, mask);
  at::Tensor tok2 = tok.clone();
  for (int64_t j = 0; j < L; ++j)
    if (!reach[query][j].item<bool>()) tok2[0][j] = 250 + j % 7;
  {
    at::NoGradGuard no_grad;
    const at::Tensor logits2 = model.forward(tok2, pos, mask);
    EXPECT_TRUE(at::equal(logits[0][query], logits2[0][query]));
    EXPECT_FALSE(at::equal(logits[0], logits2[0]));  // but other positions do see them
    // The loop reference gives the same logits through the whole model.
    const at::Tensor ref = model.forward(tok, pos, mask, ssa::AttentionImpl::kReference);
    EXPECT_LT((ref - logits).abs().max().item<double>(), 1e-5);
  }
  logits[0][query].sum().backward();
  const at::Tensor g = model.weights().at("model.embed_tokens.weight").grad();
  for (int64_t j = 0; j < L; ++j) {
    const double gn = g[ids[j]].abs().sum().item<double>();
    if (!reach[query][j].item<bool>())
      EXPECT_EQ(gn, 0.0) << "position " << j;
    else
      EXPECT_GT(gn, 0.0) << "position " << j;
  }
}

}  // namespace
