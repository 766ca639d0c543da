// safetensors and checkpoints: round trips are exact, and files that do not
// match (wrong shape, missing tensor, corrupt header) give a clear error.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "engine/model/checkpoint.h"
#include "tests/model/scratch_dir.h"

namespace {

namespace fs = std::filesystem;

using ssa::test::scratch_dir;

ssa::ModelConfig tiny_config() {
  ssa::ModelConfig c;
  c.model_type = "qwen2", c.qkv_bias = true;
  c.vocab_size = 261, c.hidden_size = 16, c.intermediate_size = 24, c.num_hidden_layers = 2;
  c.num_attention_heads = 2, c.num_key_value_heads = 1, c.head_dim = 8;
  c.ssa.enabled = true;
  c.ssa.layout.chunk = 4;
  c.ssa.layout.group_sizes = {2};
  c.ssa.previous_chunks = 1;
  return c;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

TEST(Safetensors, RoundTripIsExactForEveryDtype) {
  const fs::path dir = scratch_dir("roundtrip");
  ssa::TensorMap t;
  t["a.f32"] = at::randn({3, 5});
  t["b.bf16"] = at::randn({7}).to(at::kBFloat16);
  t["c.f16"] = at::randn({2, 2, 2}).to(at::kHalf);
  t["d.i64"] = at::arange(11);
  t["e.bool"] = at::rand({4}) > 0.5;
  t["f.empty"] = at::zeros({0, 3});
  ssa::save_safetensors((dir / "t.safetensors").string(), t, {{"format", "pt"}});
  std::map<std::string, std::string> meta;
  const ssa::TensorMap back = ssa::load_safetensors((dir / "t.safetensors").string(), &meta);
  ASSERT_EQ(back.size(), t.size());
  for (const auto& [name, tensor] : t) {
    ASSERT_EQ(back.at(name).scalar_type(), tensor.scalar_type()) << name;
    EXPECT_TRUE(at::equal(back.at(name), tensor)) << name;
  }
  EXPECT_EQ(meta.at("format"), "pt");
}

TEST(Checkpoint, RoundTripKeepsConfigAndLogits) {
  const fs::path dir = scratch_dir("checkpoint");
  ssa::DecoderModel model(tiny_config(), 3);
  ssa::save_checkpoint(model, dir.string());
  ssa::DecoderModel back = ssa::load_checkpoint(dir.string());
  EXPECT_EQ(back.config().ssa.layout.group_sizes, std::vector<int>{2});
  EXPECT_EQ(back.config().ssa.previous_chunks, 1);
  EXPECT_TRUE(back.config().qkv_bias);
  const at::Tensor ids = at::randint(0, 261, {1, 9}), pos = at::arange(9).unsqueeze(0);
  const at::Tensor mask = at::ones({9, 9}, at::kBool).tril();
  EXPECT_TRUE(at::equal(model.forward(ids, pos, mask), back.forward(ids, pos, mask)));
  // bf16 storage: half the bytes, weights within bf16 rounding.
  ssa::save_checkpoint(model, (dir / "bf16").string(), at::kBFloat16);
  ssa::DecoderModel half = ssa::load_checkpoint((dir / "bf16").string());
  EXPECT_LT((half.weights().at("model.norm.weight") - model.weights().at("model.norm.weight"))
                .abs()
                .max()
                .item<double>(),
            1e-2);
  EXPECT_EQ(ssa::load_model_config((dir / "bf16" / "config.json").string()).torch_dtype,
            "bfloat16");
}

TEST(Checkpoint, WrongShapeIsAnErrorNamingTheTensor) {
  const fs::path dir = scratch_dir("wrong_shape");
  ssa::DecoderModel model(tiny_config(), 3);
  ssa::save_checkpoint(model, dir.string());
  ssa::TensorMap w = model.weights();
  w["model.layers.1.mlp.up_proj.weight"] = at::zeros({25, 16});
  ssa::save_safetensors((dir / "model.safetensors").string(), w);
  const std::string err = error_of([&] { ssa::load_checkpoint(dir.string()); });
  EXPECT_NE(err.find("model.safetensors: tensor \"model.layers.1.mlp.up_proj.weight\" has shape "
                     "[25, 16], expected [24, 16]"),
            std::string::npos)
      << err;

  w = model.weights();
  w.erase("model.layers.0.self_attn.k_proj.bias");
  ssa::save_safetensors((dir / "model.safetensors").string(), w);
  EXPECT_NE(error_of([&] {
              ssa::load_checkpoint(dir.string());
            }).find("missing tensor \"model.layers.0.self_attn.k_proj.bias\""),
            std::string::npos);

  w = model.weights();
  w["model.norm.weight"] = at::ones({16}, at::kLong);
  ssa::save_safetensors((dir / "model.safetensors").string(), w);
  EXPECT_NE(error_of([&] { ssa::load_checkpoint(dir.string()); }).find("expected F32, BF16 or F16"),
            std::string::npos);
}

TEST(Safetensors, CorruptFilesAreErrorsNotCrashes) {
  const fs::path dir = scratch_dir("corrupt");
  const std::string path = (dir / "bad.safetensors").string();
  auto write = [&](const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; };
  auto header = [](const std::string& json, const std::string& data) {
    uint64_t n = json.size();
    return std::string(reinterpret_cast<const char*>(&n), 8) + json + data;
  };
  write("abc");
  EXPECT_NE(error_of([&] { ssa::load_safetensors(path); }).find("too short"), std::string::npos);
  write(header("{not json", ""));
  EXPECT_NE(error_of([&] { ssa::load_safetensors(path); }).find("not valid JSON"),
            std::string::npos);
  write(header(R"({"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", std::string(8, '\0')));
  EXPECT_NE(error_of([&] { ssa::load_safetensors(path); }).find("do not hold 16 bytes"),
            std::string::npos);
  write(header(R"({"x":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}})", "z"));
  EXPECT_NE(error_of([&] { ssa::load_safetensors(path); }).find("unsupported dtype \"Q4\""),
            std::string::npos);
  std::string huge(8, '\xff');
  write(huge);
  EXPECT_NE(error_of([&] { ssa::load_safetensors(path); }).find("exceeds the file size"),
            std::string::npos);
}

TEST(Checkpoint, NewSpecialTokenRowsStartAsTheMean) {
  ssa::ModelConfig c = tiny_config();
  c.ssa.enabled = false;
  c.vocab_size = 259;
  ssa::DecoderModel model(c, 5);
  const at::Tensor mean = model.weights().at("model.embed_tokens.weight").mean(0);
  ssa::resize_vocabulary(model, 261);
  EXPECT_EQ(model.config().vocab_size, 261);
  for (const char* name : {"model.embed_tokens.weight", "lm_head.weight"}) {
    const at::Tensor w = model.weights().at(name);
    ASSERT_EQ(w.size(0), 261);
    EXPECT_TRUE(at::allclose(w[259], w.narrow(0, 0, 259).mean(0))) << name;
    EXPECT_TRUE(at::equal(w[259], w[260])) << name;
  }
  EXPECT_TRUE(at::allclose(model.weights().at("model.embed_tokens.weight")[260], mean));
  EXPECT_THROW(ssa::resize_vocabulary(model, 100), std::invalid_argument);
}

TEST(ModelConfig, BadConfigsNameTheKey) {
  EXPECT_NE(error_of([] {
              ssa::parse_model_config(R"({"vocab_size": 10})", "c.json");
            }).find("c.json: expected an integer \"hidden_size\""),
            std::string::npos);
  EXPECT_NE(error_of([] {
              ssa::parse_model_config(
                  R"({"model_type":"gpt2","vocab_size":1,"hidden_size":1,"intermediate_size":1,
                      "num_hidden_layers":1,"num_attention_heads":1})",
                  "c.json");
            }).find("model_type \"gpt2\" is not supported"),
            std::string::npos);
  const std::string text = ssa::model_config_to_json(tiny_config());
  EXPECT_EQ(ssa::model_config_to_json(ssa::parse_model_config(text, "x")), text);
}

}  // namespace
