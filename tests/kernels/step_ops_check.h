// The decode step's fused kernels (engine/decode/device_step_ops.h) against
// the CPU reference's op chains (decoder.cpp: rms_norm, rotate-half RoPE with
// rope_tables, silu(gate) * up) on random bf16 inputs, on a device given: the
// GPU (device_decode_test.cpp) or the CPU with the emulated kernels
// (kernel_emulation_test.cpp). Where the rounding order is the reference's
// the bits must agree; RMSNorm's sum of squares is summed in another order,
// so there a rare last-ulp difference is allowed, as for silu's exp.
#pragma once

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "engine/decode/device_step_ops.h"
#include "engine/model/rope.h"

namespace ssa::testing {

// How far two bf16 tensors are apart, in units in the last place.
struct UlpDistance {
  int64_t values = 0, differing = 0, max_ulps = 0;
};
inline UlpDistance ulp_distance(const at::Tensor& got, const at::Tensor& want) {
  EXPECT_EQ(got.sizes(), want.sizes());
  EXPECT_EQ(got.scalar_type(), at::kBFloat16);
  // bf16 bits as an ordered integer line: negatives mirrored below zero.
  auto ordered = [](const at::Tensor& t) {
    const at::Tensor bits = t.cpu().contiguous().view(at::kShort).to(at::kInt);
    return at::where(bits < 0, -(bits & 0x7FFF), bits);
  };
  const at::Tensor d = (ordered(got) - ordered(want)).abs();
  UlpDistance u;
  u.values = d.numel();
  u.differing = (d > 0).sum().item<int64_t>();
  u.max_ulps = u.values == 0 ? 0 : d.max().item<int64_t>();
  return u;
}

inline at::Tensor reference_rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps) {
  at::Tensor h = x.to(at::kFloat);
  h = h * at::rsqrt(h.pow(2).mean(-1, /*keepdim=*/true) + eps);
  return weight * h.to(x.scalar_type());
}

inline at::Tensor random_bf16(at::IntArrayRef shape, double scale) {
  return (at::randn(shape) * scale).to(at::kBFloat16);
}

// Every check of the fused ops on `device` (stream: its default one).
inline void check_step_ops(c10::Device device) {
  const cudaStream_t stream = nullptr;
  at::manual_seed(31);
  // RMSNorm, plain and after the residual add: the Qwen2-7B width, one that
  // no warp divides (both in 16-byte chunks) and one the chunks do not
  // divide (the scalar kernel).
  for (const int64_t width : {int64_t{3584}, int64_t{200}, int64_t{203}}) {
    const std::string what = "width " + std::to_string(width);
    const at::Tensor x = random_bf16({3, width}, 2.0), delta = random_bf16({3, width}, 0.5);
    x[2].mul_(1e-3), delta[2].mul_(1e-3);  // a row whose mean square is near eps
    const at::Tensor weight = (1.0 + 0.2 * at::randn({width})).to(at::kBFloat16);
    const double eps = 1e-6;
    const at::Tensor want = reference_rms_norm(x, weight, eps);
    const UlpDistance plain =
        ulp_distance(fused_rms_norm(x.to(device), weight.to(device), eps, stream), want);
    EXPECT_LE(plain.max_ulps, 1) << what;
    EXPECT_LE(plain.differing * 1000, plain.values) << what;
    at::Tensor residual = x.to(device).clone();  // updated in place: never x itself
    const at::Tensor normed =
        fused_add_rms_norm(residual, delta.to(device), weight.to(device), eps, stream);
    const at::Tensor sum = x + delta;  // bf16 + bf16, rounded once
    EXPECT_TRUE(at::equal(residual.cpu(), sum)) << what << ": the residual stream";
    const UlpDistance added = ulp_distance(normed, reference_rms_norm(sum, weight, eps));
    EXPECT_LE(added.max_ulps, 1) << what;
    EXPECT_LE(added.differing * 1000, added.values) << what;
  }
  // RoPE at the Qwen2-7B heads and at head_dim 64, from rows with room past
  // q, k and v (a strided projection), at positions up to 128K.
  struct Heads {
    int64_t heads, kv_heads, head_dim;
  };
  for (const Heads& s : {Heads{28, 4, 128}, Heads{8, 2, 64}}) {
    const std::string what =
        "heads " + std::to_string(s.heads) + " d " + std::to_string(s.head_dim);
    const int64_t B = 3, D = s.head_dim, width = (s.heads + 2 * s.kv_heads) * D;
    const at::Tensor rows = random_bf16({B, width + 24}, 1.0);
    const at::Tensor qkv = rows.narrow(1, 0, width);
    const at::Tensor positions =
        at::tensor({int64_t{0}, int64_t{1037}, int64_t{131071}}).view({B, 1});
    const RopeTables rope = rope_tables(1e6, RopeScaling{}, D, 32768, positions);
    const at::Tensor cos = rope.cos.to(at::kBFloat16).view({B, D}),
                     sin = rope.sin.to(at::kBFloat16).view({B, D});
    auto rotated = [&](const at::Tensor& t) {  // [B, n, D], as decoder.cpp's attention block
      const at::Tensor c = cos.unsqueeze(1), s_ = sin.unsqueeze(1);
      return t * c + at::cat({-t.narrow(-1, D / 2, D / 2), t.narrow(-1, 0, D / 2)}, -1) * s_;
    };
    const at::Tensor q = qkv.narrow(1, 0, s.heads * D).reshape({B, s.heads, D});
    const at::Tensor k = qkv.narrow(1, s.heads * D, s.kv_heads * D).reshape({B, s.kv_heads, D});
    const at::Tensor v =
        qkv.narrow(1, (s.heads + s.kv_heads) * D, s.kv_heads * D).reshape({B, s.kv_heads, D});
    const at::Tensor device_rows = rows.to(device);
    const RotatedQkv got = fused_rope(device_rows.narrow(1, 0, width), cos.to(device),
                                      sin.to(device), s.heads, s.kv_heads, D, stream);
    EXPECT_TRUE(got.q.is_contiguous() && got.k.is_contiguous() && got.v.is_contiguous());
    EXPECT_TRUE(at::equal(got.q.cpu(), rotated(q))) << what << ": q";
    EXPECT_TRUE(at::equal(got.k.cpu(), rotated(k))) << what << ": k";
    EXPECT_TRUE(at::equal(got.v.cpu(), v)) << what << ": v";
    // k and v straight into a cache, where DeviceAttention::append puts
    // them: the step's position, and a gist query's key in its level.
    const int64_t capacity = 9, gists[2] = {4, 3};
    std::vector<kernels::SequenceStep> steps(B);
    const int32_t query[3] = {2, 8, 0}, level[3] = {-1, 0, 1}, index[3] = {0, 3, 2};
    for (int64_t b = 0; b < B; ++b) {
      steps[b].query = query[b];
      steps[b].append_level = level[b];
      steps[b].append_index = index[b];
    }
    at::Tensor step_bytes = at::empty({B * static_cast<int64_t>(sizeof(kernels::SequenceStep))},
                                      at::TensorOptions(at::kByte));
    std::memcpy(step_bytes.data_ptr(), steps.data(), step_bytes.numel());
    step_bytes = step_bytes.to(device);
    const auto bf16 = at::TensorOptions(at::kBFloat16).device(device);
    const at::Tensor keys = at::zeros({B, s.kv_heads, capacity, D}, bf16),
                     values = at::zeros_like(keys);
    const at::Tensor gist_keys[2] = {at::zeros({B, s.kv_heads, gists[0], D}, bf16),
                                     at::zeros({B, s.kv_heads, gists[1], D}, bf16)};
    kernels::AppendParams cache;
    cache.batch = static_cast<int32_t>(B);
    cache.kv_heads = static_cast<int32_t>(s.kv_heads);
    cache.head_dim = static_cast<int32_t>(D);
    cache.steps = reinterpret_cast<const kernels::SequenceStep*>(step_bytes.data_ptr());
    cache.keys = reinterpret_cast<uint16_t*>(keys.data_ptr());
    cache.values = reinterpret_cast<uint16_t*>(values.data_ptr());
    cache.capacity = capacity;
    for (int l = 0; l < 2; ++l) {
      cache.gist_keys[l] = reinterpret_cast<uint16_t*>(gist_keys[l].data_ptr());
      cache.gist_capacity[l] = static_cast<int32_t>(gists[l]);
    }
    const RotatedQkv into_cache =
        fused_rope(device_rows.narrow(1, 0, width), cos.to(device), sin.to(device), s.heads,
                   s.kv_heads, D, stream, &cache);
    EXPECT_TRUE(at::equal(into_cache.q.cpu(), rotated(q))) << what << ": q beside the cache";
    EXPECT_FALSE(into_cache.k.defined() || into_cache.v.defined()) << what;
    at::Tensor want_keys = at::zeros({B, s.kv_heads, capacity, D}, at::kBFloat16),
               want_values = at::zeros_like(want_keys);
    at::Tensor want_gists[2] = {at::zeros({B, s.kv_heads, gists[0], D}, at::kBFloat16),
                                at::zeros({B, s.kv_heads, gists[1], D}, at::kBFloat16)};
    const at::Tensor k_rotated = rotated(k);
    for (int64_t b = 0; b < B; ++b) {
      want_keys[b].select(1, query[b]).copy_(k_rotated[b]);
      want_values[b].select(1, query[b]).copy_(v[b]);
      if (level[b] >= 0) want_gists[level[b]][b].select(1, index[b]).copy_(k_rotated[b]);
    }
    EXPECT_TRUE(at::equal(keys.cpu(), want_keys)) << what << ": the cache's keys";
    EXPECT_TRUE(at::equal(values.cpu(), want_values)) << what << ": the cache's values";
    for (int l = 0; l < 2; ++l)
      EXPECT_TRUE(at::equal(gist_keys[l].cpu(), want_gists[l])) << what << ": gist level " << l;
  }
  // silu(gate) * up over two rows of the Qwen2-7B MLP width and an odd length.
  for (const int64_t n : {int64_t{2 * 18944}, int64_t{1001}}) {
    const at::Tensor gate = random_bf16({n}, 3.0), up = random_bf16({n}, 1.0);
    const UlpDistance u =
        ulp_distance(fused_silu_mul(gate.to(device), up.to(device), stream), at::silu(gate) * up);
    EXPECT_LE(u.max_ulps, 1) << "n " << n;
    EXPECT_LE(u.differing * 1000, u.values) << "n " << n;
  }
  // The small-batch projection against an exact (fp64) x W^T + b rounded
  // once: within one bf16 ulp of the exact value, plus fp32's sum error.
  // k 160: chunks fewer than the warps have in flight (the clamped loads);
  // k 3584: the Qwen2-7B width.
  struct LinearCase {
    int64_t m, n, k;
    bool bias;
  };
  for (const LinearCase& lc : {LinearCase{1, 48, 160, true}, LinearCase{3, 32, 3584, false},
                               LinearCase{8, 64, 3584, true}, LinearCase{8, 16, 32, false}}) {
    const std::string what =
        "m " + std::to_string(lc.m) + " n " + std::to_string(lc.n) + " k " + std::to_string(lc.k);
    const at::Tensor x = random_bf16({lc.m, lc.k}, 1.0), w = random_bf16({lc.n, lc.k}, 0.05);
    const at::Tensor b = lc.bias ? random_bf16({lc.n}, 0.5) : at::Tensor();
    const at::Tensor got =
        small_batch_linear(x.to(device), w.to(device), lc.bias ? b.to(device) : b, stream).cpu();
    ASSERT_EQ(got.sizes(), (at::IntArrayRef{lc.m, lc.n})) << what;
    const at::Tensor exact = at::linear(x.to(at::kDouble), w.to(at::kDouble),
                                        lc.bias ? b.to(at::kDouble) : at::Tensor());
    const at::Tensor ulp = at::pow(2.0, at::floor(at::log2(exact.abs())) - 7);
    const double slack = 1e-5 * exact.square().mean().sqrt().item<double>() * std::sqrt(lc.k);
    EXPECT_TRUE(((got.to(at::kDouble) - exact).abs() <= ulp + slack).all().item<bool>()) << what;
  }
  // Where the kernel does not apply (9 rows; n not a multiple of 16): at::linear itself.
  for (const auto& [m, n] :
       {std::pair<int64_t, int64_t>{9, 32}, std::pair<int64_t, int64_t>{2, 40}}) {
    const at::Tensor x = random_bf16({m, 64}, 1.0), w = random_bf16({n, 64}, 0.05);
    const at::Tensor got = small_batch_linear(x.to(device), w.to(device), at::Tensor(), stream);
    EXPECT_TRUE(at::equal(got.cpu(), at::linear(x.to(device), w.to(device)).cpu()))
        << "m " << m << " n " << n;
  }
  // The same from [gate | up] rows, one GEMM's output: three rows of 1001.
  {
    const at::Tensor gate = random_bf16({3, 1001}, 3.0), up = random_bf16({3, 1001}, 1.0);
    const at::Tensor halves = fused_silu_mul_halves(at::cat({gate, up}, 1).to(device), stream);
    EXPECT_TRUE(
        at::equal(halves.cpu(), fused_silu_mul(gate.to(device), up.to(device), stream).cpu()));
    const UlpDistance u = ulp_distance(halves, at::silu(gate) * up);
    EXPECT_LE(u.max_ulps, 1);
    EXPECT_LE(u.differing * 1000, u.values);
  }
}

}  // namespace ssa::testing
