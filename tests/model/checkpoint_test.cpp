// Hugging Face checkpoint directories: shards with an index and every
// storage dtype round-trip exactly; special tokens come from the files
// beside config.json; every bad input is one CheckpointError naming the file
// and what is wrong (missing shard, lying index or header, vocabulary /
// embedding sizes, NaN weights), never a crash.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>

#include "engine/model/checkpoint.h"
#include "engine/model/checkpoint_error.h"
#include "tests/model/scratch_dir.h"

namespace {

namespace fs = std::filesystem;

using ssa::test::scratch_dir;

ssa::ModelConfig llama_config() {
  ssa::ModelConfig c;
  c.model_type = "llama";
  c.vocab_size = 100, c.hidden_size = 16, c.intermediate_size = 24, c.num_hidden_layers = 3;
  c.num_attention_heads = 4, c.num_key_value_heads = 2, c.head_dim = 4;
  return c;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ssa::CheckpointError& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("not a CheckpointError: ") + e.what();
  }
  return "";
}

// Loading `dir` fails with a message containing `expected`.
void expect_load_error(const fs::path& dir, const std::string& expected) {
  const std::string err = error_of([&] { ssa::load_checkpoint(dir.string()); });
  EXPECT_NE(err.find(expected), std::string::npos) << "expected \"" << expected << "\" in: " << err;
}

// Opening the safetensors file at `path` fails with a message containing `expected`.
void expect_header_error(const std::string& path, const std::string& expected) {
  const std::string err = error_of([&] { ssa::SafetensorsFile{path}; });
  EXPECT_NE(err.find(expected), std::string::npos) << "expected \"" << expected << "\" in: " << err;
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream(path) << text;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Replaces the first occurrence of `from` in a text file.
void edit(const fs::path& path, const std::string& from, const std::string& to) {
  std::string text = read_file(path);
  const size_t at = text.find(from);
  ASSERT_NE(at, std::string::npos) << from << " not in " << path;
  write_file(path, text.replace(at, from.size(), to));
}

at::Tensor logits_of(const ssa::DecoderModel& model) {
  const at::Tensor ids = at::arange(12).remainder(100).unsqueeze(0);
  at::NoGradGuard no_grad;
  return model.forward(ids, at::arange(12).unsqueeze(0), at::Tensor());
}

TEST(Checkpoint, ShardsWithAnIndexRoundTripInEveryDtype) {
  ssa::DecoderModel model(llama_config(), 7);
  for (at::ScalarType dtype : {at::kFloat, at::kBFloat16, at::kHalf}) {
    const fs::path dir = scratch_dir(std::string("shards_") + c10::toString(dtype));
    ssa::save_checkpoint(model, dir.string(), dtype, 3);
    EXPECT_TRUE(fs::exists(dir / "model.safetensors.index.json"));
    EXPECT_FALSE(fs::exists(dir / "model.safetensors"));
    for (int k = 1; k <= 3; ++k)
      EXPECT_TRUE(fs::exists(dir / ("model-0000" + std::to_string(k) + "-of-00003.safetensors")));
    ssa::CheckpointInfo info;
    const ssa::DecoderModel back = ssa::load_checkpoint(dir.string(), ssa::LoadOptions{}, &info);
    EXPECT_EQ(info.weight_files.size(), 3u);
    EXPECT_EQ(info.stored_dtype, dtype == at::kFloat      ? "float32"
                                 : dtype == at::kBFloat16 ? "bfloat16"
                                                          : "float16");
    // Exactly the stored values, widened to fp32.
    for (const auto& [name, t] : model.weights())
      EXPECT_TRUE(at::equal(back.weights().at(name), t.to(dtype).to(at::kFloat))) << name;
    if (dtype == at::kFloat) {
      EXPECT_TRUE(at::equal(logits_of(back), logits_of(model)));
    }
    // Kept in the stored dtype when asked for it.
    ssa::LoadOptions keep;
    keep.dtype = dtype;
    EXPECT_EQ(
        ssa::load_checkpoint(dir.string(), keep).weights().at("model.norm.weight").scalar_type(),
        dtype);
  }
}

TEST(Checkpoint, AMissingShardIsNamed) {
  const fs::path dir = scratch_dir("missing_shard");
  ssa::save_checkpoint(ssa::DecoderModel(llama_config(), 1), dir.string(), at::kFloat, 3);
  fs::remove(dir / "model-00002-of-00003.safetensors");
  expect_load_error(dir,
                    "model.safetensors.index.json: missing shard model-00002-of-00003.safetensors");
}

TEST(Checkpoint, AnIndexThatLiesIsRefused) {
  const fs::path dir = scratch_dir("lying_index");
  ssa::save_checkpoint(ssa::DecoderModel(llama_config(), 1), dir.string(), at::kFloat, 2);
  const std::string index = read_file(dir / "model.safetensors.index.json");
  // model.norm.weight lives in the second shard; claim it is in the first.
  edit(dir / "model.safetensors.index.json",
       "\"model.norm.weight\": \"model-00002-of-00002.safetensors\"",
       "\"model.norm.weight\": \"model-00001-of-00002.safetensors\"");
  expect_load_error(dir,
                    "tensor \"model.norm.weight\" is mapped to model-00001-of-00002.safetensors, "
                    "whose header does not have it");
  write_file(dir / "model.safetensors.index.json", index);
  edit(dir / "model.safetensors.index.json",
       "\"model.layers.2.input_layernorm.weight\": \"model-00002-of-00002.safetensors\",", "");
  expect_load_error(dir,
                    "model-00002-of-00002.safetensors: tensor "
                    "\"model.layers.2.input_layernorm.weight\" is not listed");
  write_file(dir / "model.safetensors.index.json", index);
  edit(dir / "model.safetensors.index.json",
       "\"model.norm.weight\": \"model-00002-of-00002.safetensors\"",
       "\"model.norm.weight\": \"../elsewhere.safetensors\"");
  expect_load_error(dir, "is not a file name in the checkpoint directory");
  fs::remove(dir / "model.safetensors.index.json");
  expect_load_error(dir, "no weights (expected model.safetensors or model.safetensors.index.json)");
}

TEST(Checkpoint, VocabularyAndEmbeddingSizesMustAgree) {
  const fs::path dir = scratch_dir("vocab_mismatch");
  ssa::save_checkpoint(ssa::DecoderModel(llama_config(), 1), dir.string());
  edit(dir / "config.json", "\"vocab_size\": 100", "\"vocab_size\": 101");
  expect_load_error(dir,
                    "tensor \"model.embed_tokens.weight\" has 100 rows but config.json vocab_size "
                    "is 101");
  edit(dir / "config.json", "\"vocab_size\": 101", "\"vocab_size\": 100");
  // A tokenizer with more tokens than the embedding has rows.
  write_file(dir / "tokenizer.json",
             R"({"added_tokens": [{"id": 104, "content": "<extra>"}],
                 "model": {"type": "BPE", "vocab": {"a": 0, "b": 1}}})");
  expect_load_error(dir,
                    "tokenizer.json: the tokenizer has 105 tokens but the embedding has 100 rows");
}

TEST(Checkpoint, SpecialTokensFromGenerationAndTokenizerConfigs) {
  const fs::path dir = scratch_dir("special_tokens");
  ssa::save_checkpoint(ssa::DecoderModel(llama_config(), 1), dir.string());
  write_file(dir / "tokenizer.json", R"({"added_tokens": [
      {"id": 90, "content": "<|begin|>"}, {"id": 91, "content": "<|end|>"},
      {"id": 92, "content": "<|eot|>"}], "model": {"type": "BPE", "vocab": {"a": 0, "pad": 5}}})");
  // Several stop ids (Llama 3 Instruct lists three); bos and eos as strings,
  // one in the older {"content": ...} form; pad from the model's vocab.
  write_file(dir / "generation_config.json", R"({"bos_token_id": 90, "eos_token_id": [91, 92]})");
  write_file(
      dir / "tokenizer_config.json",
      R"({"bos_token": "<|begin|>", "eos_token": {"__type": "AddedToken", "content": "<|eot|>"},
                 "pad_token": "pad"})");
  ssa::CheckpointInfo info;
  const ssa::DecoderModel model = ssa::load_checkpoint(dir.string(), ssa::LoadOptions{}, &info);
  EXPECT_EQ(model.config().bos_token_id, 90);
  EXPECT_EQ(model.config().eos_token_id, 92);
  EXPECT_EQ(model.config().eos_token_ids, (std::vector<int64_t>{91, 92}));
  EXPECT_EQ(model.config().pad_token_id, 5);
  EXPECT_EQ(info.vocabulary.size, 93);

  // One eos id, as a plain number.
  write_file(dir / "generation_config.json", R"({"eos_token_id": 91})");
  EXPECT_EQ(ssa::load_checkpoint(dir.string()).config().eos_token_ids, std::vector<int64_t>{91});
  // A token string the tokenizer does not have.
  write_file(dir / "tokenizer_config.json", R"({"eos_token": "<|nope|>"})");
  expect_load_error(
      dir, "tokenizer_config.json: eos_token \"<|nope|>\" is not a token of tokenizer.json");
  // A stop id outside the vocabulary.
  write_file(dir / "tokenizer_config.json", "{}");
  write_file(dir / "generation_config.json", R"({"eos_token_id": [91, 100]})");
  expect_load_error(dir,
                    "the stop (eos_token_id) token id 100 is outside the vocabulary (100 ids)");
}

TEST(Checkpoint, NonFiniteWeightsAreRefusedNamingTheTensor) {
  const fs::path dir = scratch_dir("nan_weights");
  ssa::DecoderModel model(llama_config(), 1);
  model.mutable_weights().at("model.layers.1.mlp.up_proj.weight")[3][5] = NAN;
  ssa::save_checkpoint(model, dir.string(), at::kBFloat16);
  expect_load_error(dir,
                    "model.safetensors: tensor \"model.layers.1.mlp.up_proj.weight\" has NaN or "
                    "infinite values");
  ssa::LoadOptions unchecked;
  unchecked.check_finite = false;
  EXPECT_TRUE(std::isnan(ssa::load_checkpoint(dir.string(), unchecked)
                             .weights()
                             .at("model.layers.1.mlp.up_proj.weight")[3][5]
                             .item<float>()));
  // The largest finite values are not mistaken for Inf.
  model.mutable_weights().at("model.layers.1.mlp.up_proj.weight")[3][5] = 3.0e38f;
  ssa::save_checkpoint(model, dir.string(), at::kFloat);
  EXPECT_EQ(ssa::load_checkpoint(dir.string())
                .weights()
                .at("model.layers.1.mlp.up_proj.weight")[3][5]
                .item<float>(),
            3.0e38f);
  model.mutable_weights().at("model.layers.1.mlp.up_proj.weight")[3][5] = INFINITY;
  ssa::save_checkpoint(model, dir.string(), at::kHalf);
  expect_load_error(dir, "NaN or infinite");
}

TEST(Checkpoint, UnsupportedArchitecturesAndRopeTypesAreNamed) {
  const fs::path dir = scratch_dir("unsupported");
  ssa::save_checkpoint(ssa::DecoderModel(llama_config(), 1), dir.string());
  const std::string config = read_file(dir / "config.json");
  edit(dir / "config.json", "\"LlamaForCausalLM\"", "\"GPTNeoXForCausalLM\"");
  expect_load_error(dir,
                    "config.json: architecture GPTNeoXForCausalLM is not supported (expected "
                    "LlamaForCausalLM, Qwen2ForCausalLM or MistralForCausalLM)");
  write_file(dir / "config.json", config);
  edit(
      dir / "config.json", "\"rope_theta\": 10000.0",
      R"("rope_theta": 10000.0, "rope_scaling": {"rope_type": "longrope", "short_factor": [1.0]})");
  expect_load_error(dir,
                    "config.json: rope type \"longrope\" is not supported (expected default, "
                    "linear, dynamic, llama3 or yarn)");
}

TEST(Safetensors, HeadersThatLieAreRefused) {
  const fs::path dir = scratch_dir("lying_header");
  const std::string path = (dir / "bad.safetensors").string();
  auto write = [&](const std::string& json, const std::string& data) {
    uint64_t n = json.size();
    std::ofstream(path, std::ios::binary)
        << std::string(reinterpret_cast<const char*>(&n), 8) + json + data;
  };
  // 2^62 x 4 floats: the byte count overflows 64 bits.
  write(R"({"x":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,16]}})",
        std::string(16, '\0'));
  expect_header_error(path, "tensor \"x\": shape [4611686018427387904,4] is too large");
  // 2^62 x 2 bytes fits 64 bits but not the file.
  write(R"({"x":{"dtype":"F16","shape":[4611686018427387904],"data_offsets":[0,16]}})",
        std::string(16, '\0'));
  expect_header_error(path, "do not hold 9223372036854775808 bytes");
  // Offsets beyond the end of the file.
  write(R"({"x":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}})", std::string(16, '\0'));
  expect_header_error(path,
                      "data_offsets [8, 24] do not hold 16 bytes of F32 [4] within 16 data bytes");
  // Two tensors on the same bytes.
  write(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},
            "b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})",
        std::string(16, '\0'));
  expect_header_error(path, "tensor \"b\" (bytes 8..16) overlaps tensor \"a\" (bytes 0..16)");
  // A negative dimension.
  write(R"({"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}})", "");
  expect_header_error(path, "bad shape [-1]");
}

TEST(Safetensors, MappedTensorsAreTheFileBytes) {
  const fs::path dir = scratch_dir("mapped");
  ssa::TensorMap t;
  t["w"] = at::randn({300, 7}).to(at::kBFloat16);
  ssa::save_safetensors((dir / "w.safetensors").string(), t);
  const ssa::SafetensorsFile file((dir / "w.safetensors").string());
  EXPECT_TRUE(at::equal(file.view("w"), t["w"]));
  // Slices of 64 bytes (32 values): the tensor comes out whole all the same.
  EXPECT_TRUE(at::equal(file.load("w", c10::kCPU, at::kFloat, true, 64), t["w"].to(at::kFloat)));
  EXPECT_TRUE(at::equal(file.load("w", c10::kCPU, at::kBFloat16, true, 6), t["w"]));
  EXPECT_EQ(file.info("w").bytes(), 300u * 7 * 2);
}

}  // namespace
