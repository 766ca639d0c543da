// The shipped demo models (assets/models/, trained by scripts/gpu-train.sh)
// load through our loader, record their gist layout, and are trained: on
// held-out generated tasks under their SSA training mask their next-token
// loss is far below that of an untrained model of the same shape.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "engine/data/data_mix.h"
#include "engine/model/checkpoint.h"
#include "engine/train/evaluation.h"

namespace {

double held_out_loss(const ssa::DecoderModel& model) {
  ssa::DataMixSettings mix_settings;
  mix_settings.weights = {{"passkey", 1}, {"multikey", 1}};  // no corpus needed
  mix_settings.seed = 2024;
  const ssa::DataMix mix(mix_settings);
  const ssa::SequenceSettings seq{512, model.config().ssa, 1.0, 0, nullptr};
  const auto budget = [&](int64_t suffix) { return ssa::document_budget(seq, suffix); };
  std::vector<ssa::Example> examples;
  for (uint64_t i = 0; i < 4; ++i)
    examples.push_back(mix.sample(ssa::Split::kHeldOut, 0, i, budget));
  at::NoGradGuard no_grad;
  return ssa::batch_loss(model, ssa::make_batch(examples, seq), false, false).item<double>();
}

class ShippedModel : public ::testing::TestWithParam<std::string> {};

TEST_P(ShippedModel, LoadsAndIsTrained) {
  const std::string dir = std::string(SSA_SOURCE_DIR) + "/assets/models/" + GetParam();
  if (!std::filesystem::exists(dir + "/model.safetensors")) GTEST_SKIP() << dir << " not shipped";
  const ssa::DecoderModel model = ssa::load_checkpoint(dir);
  const ssa::ModelConfig& c = model.config();
  ASSERT_TRUE(c.ssa.enabled);
  EXPECT_EQ(c.torch_dtype, "bfloat16");
  EXPECT_EQ(c.vocab_size, c.ssa.layout.gist_token_base + c.ssa.layout.num_levels());
  const double trained = held_out_loss(model);
  const double untrained = held_out_loss(ssa::DecoderModel(c, 1));
  std::printf("%s: held-out loss %.3f (untrained %.3f)\n", GetParam().c_str(), trained, untrained);
  EXPECT_LT(trained, 1.5);
  EXPECT_GT(untrained, 4.5);
}

INSTANTIATE_TEST_SUITE_P(Assets, ShippedModel, ::testing::Values("ssa-small", "hssa-small"));

}  // namespace
