// The GPU block-mask expansion equals the CPU dense reference on random settings.
#include "kernels/block_mask_expand.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <random>

#include "engine/mask/block_mask.h"
#include "engine/mask/training_mask.h"
#include "kernels/cuda_check.h"
#include "tests/engine/random_layouts.h"

namespace ssa {
namespace {

bool have_gpu() {
  int count = 0;
  return cudaGetDeviceCount(&count) == cudaSuccess && count > 0;
}

template <typename T>
at::Tensor to_gpu(const std::vector<T>& values, at::ScalarType type) {
  return at::from_blob(const_cast<T*>(values.data()), {static_cast<int64_t>(values.size())}, type)
      .to(at::kCUDA);
}

TEST(BlockMaskExpandCuda, MatchesTheCpuReferenceOnRandomSettings) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device: GPU-only test";
  std::mt19937 rng(17);
  for (int trial = 0; trial < 60; ++trial) {
    const auto c = testing::random_case(rng, 3000);
    GistLayout layout(c.layout, testing::iota_tokens(c.raw_tokens));
    const BlockMask blocks = build_block_mask(layout, c.mask, trial % 2 ? 64 : 128);
    std::vector<uint8_t> kinds(blocks.kinds.size());
    for (size_t i = 0; i < kinds.size(); ++i) kinds[i] = static_cast<uint8_t>(blocks.kinds[i]);

    const at::Tensor roles = to_gpu(layout.roles(), at::kChar);
    const at::Tensor ids = to_gpu(layout.ids(), at::kInt);
    const at::Tensor offsets = to_gpu(blocks.row_offsets, at::kLong);
    const at::Tensor keys = to_gpu(blocks.key_blocks, at::kInt);
    const at::Tensor kind_tensor = to_gpu(kinds, at::kByte);
    const int64_t length = layout.length();
    at::Tensor out = at::empty({length, length}, at::TensorOptions(at::kByte).device(at::kCUDA));

    kernels::DeviceBlockMask device;
    device.rule = mask_rule_view(layout, c.mask);
    device.rule.roles = roles.data_ptr<int8_t>();
    device.rule.ids = ids.data_ptr<int32_t>();
    device.length = length;
    device.block_size = blocks.block_size;
    device.row_offsets = offsets.data_ptr<int64_t>();
    device.key_blocks = keys.data_ptr<int32_t>();
    device.kinds = kind_tensor.data_ptr<uint8_t>();
    kernels::expand_block_mask_on_device(device, out.data_ptr<uint8_t>(), nullptr);
    CUDA_CHECK(cudaDeviceSynchronize());

    std::vector<uint8_t> expected(length * length);
    fill_dense_training_mask(layout, c.mask, expected.data());
    const at::Tensor got = out.cpu();
    ASSERT_EQ(std::memcmp(got.data_ptr<uint8_t>(), expected.data(), expected.size()), 0)
        << c.layout.to_json() << " p=" << c.mask.previous_chunks << " n=" << c.raw_tokens;
  }
}

}  // namespace
}  // namespace ssa
