// config.json + model.safetensors <-> DecoderModel, with shape checks.
#include "engine/model/checkpoint.h"

#include <ATen/ATen.h>

#include <filesystem>
#include <stdexcept>

#include "engine/model/message.h"

namespace ssa {
namespace {

std::string shape_text(at::IntArrayRef shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

}  // namespace

TensorMap check_weights(const ModelConfig& config, TensorMap tensors, const std::string& source) {
  if (config.tie_word_embeddings) tensors.erase("lm_head.weight");
  TensorMap checked;
  for (const auto& [name, shape] : DecoderModel::expected_shapes(config)) {
    auto it = tensors.find(name);
    if (it == tensors.end())
      throw std::runtime_error(message(source, ": missing tensor \"", name, "\" (expected shape ",
                                       shape_text(shape), ")"));
    const at::Tensor& t = it->second;
    if (!at::isFloatingType(t.scalar_type()))
      throw std::runtime_error(message(source, ": tensor \"", name, "\" has dtype ",
                                       c10::toString(t.scalar_type()),
                                       ", expected F32, BF16 or F16"));
    if (t.sizes().vec() != shape)
      throw std::runtime_error(message(
          source, ": tensor \"", name, "\" has shape ", shape_text(t.sizes()), ", expected ",
          shape_text(shape), " (from config: hidden_size=", config.hidden_size,
          ", vocab_size=", config.vocab_size, ", heads=", config.num_attention_heads, "/",
          config.num_key_value_heads, ", head_dim=", config.head_dim,
          ", intermediate_size=", config.intermediate_size, ")"));
    checked.emplace(name, t.to(at::kFloat));
    tensors.erase(it);
  }
  if (!tensors.empty())
    throw std::runtime_error(message(source, ": unexpected tensor \"", tensors.begin()->first,
                                     "\" for a ", config.num_hidden_layers, "-layer ",
                                     config.model_type, " model"));
  return checked;
}

DecoderModel load_checkpoint(const std::string& dir, c10::Device device, at::ScalarType dtype) {
  namespace fs = std::filesystem;
  if (!fs::is_directory(dir))
    throw std::runtime_error(message(
        dir, ": not a directory (expected a checkpoint with config.json and model.safetensors)"));
  ModelConfig config = load_model_config((fs::path(dir) / "config.json").string());
  const std::string weights_path = (fs::path(dir) / "model.safetensors").string();
  DecoderModel model(config, check_weights(config, load_safetensors(weights_path), weights_path));
  model.to(device, dtype);
  return model;
}

void save_checkpoint(const DecoderModel& model, const std::string& dir, at::ScalarType dtype) {
  std::filesystem::create_directories(dir);
  ModelConfig config = model.config();
  config.torch_dtype = dtype == at::kBFloat16 ? "bfloat16"
                       : dtype == at::kHalf   ? "float16"
                                              : "float32";
  TensorMap out;
  for (const auto& [name, t] : model.weights()) out.emplace(name, t.detach().to(at::kCPU, dtype));
  save_model_config(config, (std::filesystem::path(dir) / "config.json").string());
  save_safetensors((std::filesystem::path(dir) / "model.safetensors").string(), out,
                   {{"format", "pt"}});
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
