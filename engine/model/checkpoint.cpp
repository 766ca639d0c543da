// Checkpoint directories <-> DecoderModel: config, index, shard headers and
// token ids are all checked before the first weight byte is read.
#include "engine/model/checkpoint.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>

#include "engine/model/checkpoint_error.h"
#include "engine/model/json_file.h"
#include "engine/model/message.h"
#include "engine/model/safetensors.h"

namespace ssa {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kSingleFile = "model.safetensors";
constexpr const char* kIndexFile = "model.safetensors.index.json";

[[noreturn]] void fail(const std::string& source, const std::string& what) {
  throw CheckpointError(message(source, ": ", what));
}

std::string shape_text(at::IntArrayRef shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

const char* dtype_name(at::ScalarType type) {
  return type == at::kBFloat16 ? "bfloat16" : type == at::kHalf ? "float16" : "float32";
}

// The weight files of a checkpoint and where each tensor lives.
struct WeightFiles {
  std::vector<SafetensorsFile> files;
  std::map<std::string, size_t> owner;  // tensor name -> index into files
};

WeightFiles open_single(const fs::path& path) {
  WeightFiles w;
  w.files.emplace_back(path.string());
  for (const auto& [name, info] : w.files[0].tensors()) w.owner.emplace(name, 0);
  return w;
}

WeightFiles open_sharded(const fs::path& dir) {
  const std::string index_path = (dir / kIndexFile).string();
  const json index = read_json_file(index_path, /*required=*/true);
  if (!index.contains("weight_map") || !index["weight_map"].is_object())
    fail(index_path, "expected an object with a \"weight_map\" of tensor name -> shard file");
  std::vector<std::string> shard_names;
  std::map<std::string, std::vector<std::string>> by_shard;
  for (const auto& [name, shard] : index["weight_map"].items()) {
    if (!shard.is_string())
      fail(index_path, message("weight_map[\"", name, "\"] must be a file name"));
    const std::string file = shard.get<std::string>();
    if (file.empty() || file.find('/') != std::string::npos || file == "." || file == "..")
      fail(index_path, message("weight_map[\"", name, "\"] = \"", file,
                               "\" is not a file name in the checkpoint directory"));
    if (!by_shard.count(file)) shard_names.push_back(file);
    by_shard[file].push_back(name);
  }
  if (shard_names.empty()) fail(index_path, "weight_map is empty");
  std::sort(shard_names.begin(), shard_names.end());
  for (const std::string& file : shard_names) {  // every shard before reading any
    if (!fs::is_regular_file(dir / file))
      fail(index_path, message("missing shard ", file, " (named for ", by_shard[file].size(),
                               " tensors, e.g. \"", by_shard[file].front(), "\")"));
  }
  WeightFiles w;
  for (const std::string& file : shard_names) {
    w.files.emplace_back((dir / file).string());
    const SafetensorsFile& shard = w.files.back();
    const std::set<std::string> listed(by_shard[file].begin(), by_shard[file].end());
    for (const std::string& name : listed)
      if (!shard.tensors().count(name))
        fail(index_path, message("tensor \"", name, "\" is mapped to ", file,
                                 ", whose header does not have it"));
    for (const auto& [name, info] : shard.tensors())
      if (!listed.count(name))
        fail(shard.path(),
             message("tensor \"", name, "\" is not listed for this shard in ", kIndexFile));
    for (const std::string& name : listed) w.owner.emplace(name, w.files.size() - 1);
  }
  return w;
}

WeightFiles open_weight_files(const fs::path& dir) {
  // Like from_pretrained: the single file first, else the index.
  if (fs::exists(dir / kSingleFile)) return open_single(dir / kSingleFile);
  if (fs::exists(dir / kIndexFile)) return open_sharded(dir);
  fail(dir.string(), message("no weights (expected ", kSingleFile, " or ", kIndexFile, ")"));
}

// Checks names, shapes and dtypes of the headers against the config, before
// any data is read. Returns the expected tensors in name order.
std::vector<std::pair<std::string, std::vector<int64_t>>> check_tensors(const ModelConfig& config,
                                                                        const WeightFiles& w) {
  std::map<std::string, const TensorInfo*> present;
  for (const auto& [name, file] : w.owner) {
    // transformers never loads these buffers (old checkpoints saved them).
    if (name.size() >= 20 && name.compare(name.size() - 20, 20, "rotary_emb.inv_freq") == 0)
      continue;
    if (config.tie_word_embeddings && name == "lm_head.weight") continue;  // tied: the embedding
    present.emplace(name, &w.files[file].info(name));
  }
  // The embedding first: its rows are the vocabulary size, the likeliest mismatch.
  auto expected = DecoderModel::expected_shapes(config);
  std::stable_partition(expected.begin(), expected.end(),
                        [](const auto& e) { return e.first == "model.embed_tokens.weight"; });
  for (const auto& [name, shape] : expected) {
    auto it = present.find(name);
    const std::string& source =
        it == present.end() ? w.files[0].path() : w.files[w.owner.at(name)].path();
    if (it == present.end())
      fail(source,
           message("missing tensor \"", name, "\" (expected shape ", shape_text(shape), ")"));
    const TensorInfo& t = *it->second;
    if (!at::isFloatingType(t.dtype) || t.dtype == at::kDouble)
      fail(source, message("tensor \"", name, "\" has dtype ", c10::toString(t.dtype),
                           ", expected F32, BF16 or F16"));
    const bool vocabulary_rows = name == "model.embed_tokens.weight" || name == "lm_head.weight";
    if (vocabulary_rows && t.shape.size() == 2 && t.shape[1] == shape[1] && t.shape[0] != shape[0])
      fail(source,
           message("tensor \"", name, "\" has ", t.shape[0], " rows but config.json vocab_size is ",
                   config.vocab_size, " (vocabulary and embedding sizes differ)"));
    if (t.shape != shape)
      fail(source,
           message("tensor \"", name, "\" has shape ", shape_text(t.shape), ", expected ",
                   shape_text(shape), " (from config: hidden_size=", config.hidden_size,
                   ", vocab_size=", config.vocab_size, ", heads=", config.num_attention_heads, "/",
                   config.num_key_value_heads, ", head_dim=", config.head_dim,
                   ", intermediate_size=", config.intermediate_size, ")"));
    present.erase(it);
  }
  if (!present.empty())
    fail(w.files[w.owner.at(present.begin()->first)].path(),
         message("unexpected tensor \"", present.begin()->first, "\" for a ",
                 config.num_hidden_layers, "-layer ", config.architecture()));
  return expected;
}

// The special ids and the tokenizer's size must fit the embedding.
void check_vocabulary(const std::string& dir, const ModelConfig& config,
                      const CheckpointInfo& info) {
  if (info.vocabulary.present && info.vocabulary.size > config.vocab_size)
    fail((fs::path(dir) / "tokenizer.json").string(),
         message("the tokenizer has ", info.vocabulary.size, " tokens but the embedding has ",
                 config.vocab_size, " rows (config.json vocab_size)"));
  const SpecialTokens& t = info.tokens;
  std::vector<std::pair<const char*, int64_t>> ids{{"bos", t.bos}, {"eos", t.eos}, {"pad", t.pad}};
  for (int64_t id : t.stop) ids.push_back({"stop (eos_token_id)", id});
  for (const auto& [what, id] : ids)
    if (id >= config.vocab_size)
      fail(dir, message("the ", what, " token id ", id, " is outside the vocabulary (",
                        config.vocab_size, " ids)"));
}

}  // namespace

DecoderModel load_checkpoint(const std::string& dir, const LoadOptions& options,
                             CheckpointInfo* info_out) {
  if (!fs::is_directory(dir))
    fail(dir, "not a directory (expected a checkpoint with config.json and model.safetensors)");
  ModelConfig config = load_model_config((fs::path(dir) / "config.json").string());
  CheckpointInfo info;
  info.vocabulary = load_tokenizer_vocabulary((fs::path(dir) / "tokenizer.json").string());
  info.tokens = load_special_tokens(dir, config.bos_token_id, config.eos_token_ids,
                                    config.pad_token_id, info.vocabulary);
  check_vocabulary(dir, config, info);
  config.bos_token_id = info.tokens.bos;
  config.eos_token_id = info.tokens.eos;
  config.eos_token_ids = info.tokens.stop;
  config.pad_token_id = info.tokens.pad;

  const WeightFiles files = open_weight_files(dir);
  const auto expected = check_tensors(config, files);
  for (const auto& file : files.files) {
    info.weight_files.push_back(file.path());
    info.file_bytes += file.file_size();
  }

  TensorMap weights;
  std::set<std::string> stored;
  for (const auto& [name, shape] : expected) {
    const SafetensorsFile& file = files.files[files.owner.at(name)];
    stored.insert(dtype_name(file.info(name).dtype));
    at::Tensor t = file.load(name, options.device, options.dtype, options.check_finite);
    info.weight_bytes += static_cast<uint64_t>(t.numel() * t.element_size());
    weights.emplace(name, std::move(t));
  }
  info.stored_dtype = stored.size() == 1 ? *stored.begin() : "mixed";
  DecoderModel model(std::move(config), std::move(weights));
  if (info_out) *info_out = std::move(info);
  return model;
}

DecoderModel load_checkpoint(const std::string& dir, c10::Device device, at::ScalarType dtype) {
  LoadOptions options;
  options.device = device;
  options.dtype = dtype;
  return load_checkpoint(dir, options);
}

void write_checkpoint(const ModelConfig& config, const std::string& dir, at::ScalarType dtype,
                      int shards, const TensorProducer& produce) {
  fs::create_directories(dir);
  ModelConfig stored = config;
  stored.torch_dtype = dtype_name(dtype);
  std::vector<TensorSpec> specs;
  uint64_t total = 0;
  for (const auto& [name, shape] : DecoderModel::expected_shapes(config)) {
    specs.push_back({name, dtype, shape});
    uint64_t bytes = c10::elementSize(dtype);
    for (int64_t d : shape) bytes *= static_cast<uint64_t>(d);
    total += bytes;
  }
  const auto tensor = [&](const TensorSpec& s) {
    return produce(s.name, s.shape).detach().to(at::kCPU, dtype);
  };
  // A stale file of the other form would shadow (or be shadowed by) this one.
  fs::remove(fs::path(dir) / kSingleFile);
  fs::remove(fs::path(dir) / kIndexFile);
  const std::map<std::string, std::string> metadata{{"format", "pt"}};
  shards = std::max(1, std::min<int>(shards, static_cast<int>(specs.size())));
  if (shards == 1) {
    write_safetensors((fs::path(dir) / kSingleFile).string(), specs, tensor, metadata);
  } else {
    // Consecutive runs of tensors (in name order) of about total / shards bytes.
    std::vector<std::vector<TensorSpec>> groups(shards);
    uint64_t written = 0;
    size_t group = 0;
    for (const TensorSpec& s : specs) {
      const size_t left = specs.size() - (&s - specs.data());
      if (group + 1 < groups.size() && !groups[group].empty() &&
          (written >= total / shards * (group + 1) || left <= groups.size() - group - 1))
        ++group;
      groups[group].push_back(s);
      uint64_t bytes = c10::elementSize(dtype);
      for (int64_t d : s.shape) bytes *= static_cast<uint64_t>(d);
      written += bytes;
    }
    json weight_map = json::object();
    for (int k = 0; k < shards; ++k) {
      char file[64];
      std::snprintf(file, sizeof file, "model-%05d-of-%05d.safetensors", k + 1, shards);
      write_safetensors((fs::path(dir) / file).string(), groups[k], tensor, metadata);
      for (const TensorSpec& s : groups[k]) weight_map[s.name] = file;
    }
    std::ofstream out(fs::path(dir) / kIndexFile);
    out << json{{"metadata", {{"total_size", total}}}, {"weight_map", weight_map}}.dump(2) << "\n";
    if (!out) fail((fs::path(dir) / kIndexFile).string(), "write failed");
  }
  save_model_config(stored, (fs::path(dir) / "config.json").string());
}

void save_checkpoint(const DecoderModel& model, const std::string& dir, at::ScalarType dtype,
                     int shards) {
  write_checkpoint(model.config(), dir, dtype, shards,
                   [&](const std::string& name, const std::vector<int64_t>&) {
                     return model.weights().at(name);
                   });
}

void resize_vocabulary(DecoderModel& model, int64_t new_vocab_size) {
  ModelConfig& config = model.mutable_config();
  const int64_t old_size = config.vocab_size;
  if (new_vocab_size < old_size)
    throw std::invalid_argument(
        message("resize_vocabulary: cannot shrink ", old_size, " rows to ", new_vocab_size));
  if (new_vocab_size == old_size) return;
  for (const char* name : {"model.embed_tokens.weight", "lm_head.weight"}) {
    auto it = model.mutable_weights().find(name);
    if (it == model.mutable_weights().end()) continue;  // tied head: shares the embedding
    at::Tensor old_rows = it->second.detach();
    at::Tensor mean = old_rows.mean(0, /*keepdim=*/true);
    at::Tensor grown =
        at::cat({old_rows, mean.expand({new_vocab_size - old_size, old_rows.size(1)})}, 0);
    it->second = grown.contiguous().set_requires_grad(it->second.requires_grad());
  }
  config.vocab_size = new_vocab_size;
}

}  // namespace ssa
