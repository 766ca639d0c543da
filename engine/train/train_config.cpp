// Training-config JSON -> TrainConfig, and the learning-rate schedule.
#include "engine/train/train_config.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "engine/model/message.h"

namespace ssa {
namespace {

using nlohmann::json;

class Reader {
 public:
  Reader(const json& j, std::string source, std::string block)
      : j_(j), source_(std::move(source)), block_(std::move(block)) {}

  template <typename T>
  T get(const char* key, T fallback) const {
    auto it = j_.find(key);
    if (it == j_.end()) return fallback;
    try {
      return it->get<T>();
    } catch (const json::exception&) {
      throw std::runtime_error(
          message(source_, ": ", block_, ".", key, ": wrong type (", it->type_name(), ")"));
    }
  }
  template <typename T>
  T positive(const char* key, T fallback) const {
    T v = get<T>(key, fallback);
    if (!(v > 0))
      throw std::runtime_error(message(source_, ": ", block_, ".", key, ": expected > 0, got ", v));
    return v;
  }
  void check_keys(std::initializer_list<const char*> known) const {
    for (const auto& [key, value] : j_.items()) {
      bool ok = false;
      for (const char* k : known) ok = ok || key == k;
      if (!ok)
        throw std::runtime_error(message(source_, ": ", block_, ": unknown key \"", key, "\""));
    }
  }

 private:
  const json& j_;
  std::string source_, block_;
};

const json& block(const json& root, const char* name, const std::string& source) {
  static const json empty = json::object();
  auto it = root.find(name);
  if (it == root.end()) return empty;
  if (!it->is_object())
    throw std::runtime_error(message(source, ": \"", name, "\" must be an object"));
  return *it;
}

}  // namespace

TrainConfig parse_train_config(const std::string& json_text, const std::string& source) {
  json root;
  try {
    root = json::parse(json_text);
  } catch (const json::parse_error& e) {
    throw std::runtime_error(message(source, ": not valid JSON (", e.what(), ")"));
  }
  if (!root.is_object()) throw std::runtime_error(message(source, ": expected a JSON object"));
  Reader(root, source, "config")
      .check_keys(
          {"model", "init", "ssa", "selective", "data", "optim", "train", "eval", "comment"});
  TrainConfig c;
  c.source = source;
  c.text = json_text;
  if (root.contains("model") == root.contains("init"))
    throw std::runtime_error(message(source,
                                     ": give exactly one of \"model\" (a fresh model) and "
                                     "\"init\" (a checkpoint directory)"));
  if (root.contains("model")) {
    c.has_model = true;
    c.model = parse_model_config(block(root, "model", source).dump(), source + ": model");
  } else {
    c.init = Reader(root, source, "config").get<std::string>("init", "");
  }
  if (root.contains("ssa") && !root["ssa"].is_null()) c.ssa = parse_ssa_config(root["ssa"], source);

  if (root.contains("selective")) {
    Reader sel(block(root, "selective", source), source, "selective");
    sel.check_keys({"k", "quarter_cap", "top_p", "gqa_mode"});
    if (!c.ssa.enabled)
      throw std::runtime_error(message(source, ": selective: needs an \"ssa\" block"));
    c.selective.enabled = true;
    c.selective.selection.k = sel.positive<int>("k", c.selective.selection.k);
    c.selective.selection.quarter_cap = sel.get<bool>("quarter_cap", true);
    c.selective.selection.top_p = sel.get<double>("top_p", 0.0);
    try {
      c.selective.mode = parse_gqa_mode(sel.get<std::string>("gqa_mode", "head"));
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(message(source, ": selective.gqa_mode: ", e.what()));
    }
  }
  const json& data = block(root, "data", source);
  Reader d(data, source, "data");
  d.check_keys({"seq_len", "mix", "fortunes_dir", "bible_program", "bible_text", "answer_weight",
                "answer_first_weight"});
  c.seq_len = d.positive<int64_t>("seq_len", c.seq_len);
  c.answer_weight = d.get<double>("answer_weight", c.answer_weight);
  c.answer_first_weight = d.get<double>("answer_first_weight", c.answer_first_weight);
  c.data = parse_data_mix(data, source);

  Reader o(block(root, "optim", source), source, "optim");
  o.check_keys(
      {"lr", "min_lr_ratio", "warmup_ratio", "weight_decay", "beta1", "beta2", "eps", "clip"});
  c.optim.lr = o.positive<double>("lr", c.optim.lr);
  c.optim.min_lr_ratio = o.get<double>("min_lr_ratio", c.optim.min_lr_ratio);
  c.optim.warmup_ratio = o.get<double>("warmup_ratio", c.optim.warmup_ratio);
  c.optim.weight_decay = o.get<double>("weight_decay", c.optim.weight_decay);
  c.optim.beta1 = o.get<double>("beta1", c.optim.beta1);
  c.optim.beta2 = o.get<double>("beta2", c.optim.beta2);
  c.optim.eps = o.positive<double>("eps", c.optim.eps);
  c.optim.clip = o.get<double>("clip", c.optim.clip);

  Reader t(block(root, "train", source), source, "train");
  t.check_keys({"steps", "batch_size", "grad_accum", "eval_every", "eval_batches", "save_every",
                "log_every", "seed", "threads", "device", "save_dtype"});
  c.steps = t.positive<int64_t>("steps", c.steps);
  c.batch_size = t.positive<int64_t>("batch_size", c.batch_size);
  c.grad_accum = t.positive<int64_t>("grad_accum", c.grad_accum);
  c.eval_every = t.get<int64_t>("eval_every", c.eval_every);
  c.eval_batches = t.positive<int64_t>("eval_batches", c.eval_batches);
  c.save_every = t.get<int64_t>("save_every", c.save_every);
  c.log_every = t.positive<int64_t>("log_every", c.log_every);
  c.seed = t.get<uint64_t>("seed", c.seed);
  c.data.seed = c.seed;
  c.threads = t.get<int>("threads", c.threads);
  c.device = t.get<std::string>("device", c.device);
  c.save_dtype = t.get<std::string>("save_dtype", c.save_dtype);

  Reader e(block(root, "eval", source), source, "eval");
  e.check_keys({"decode_examples", "decode_k", "decode_bytes", "decode_tasks"});
  c.decode_eval.tasks = e.get<std::vector<std::string>>("decode_tasks", {});
  for (const std::string& task : c.decode_eval.tasks)
    if (task != "passkey" && task != "multikey" && task != "multidoc")
      throw std::runtime_error(message(source, ": eval.decode_tasks: unknown task \"", task,
                                       "\" (expected passkey, multikey, multidoc)"));
  c.decode_eval.examples = e.get<int64_t>("decode_examples", c.decode_eval.examples);
  c.decode_eval.k = e.positive<int>("decode_k", c.decode_eval.k);
  c.decode_eval.document_bytes = e.get<int64_t>("decode_bytes", c.decode_eval.document_bytes);
  if (c.decode_eval.examples < 0 || c.decode_eval.document_bytes < 0)
    throw std::runtime_error(
        message(source, ": eval.decode_examples and eval.decode_bytes must be >= 0"));
  if (c.decode_eval.examples > 0 && !c.ssa.enabled)
    throw std::runtime_error(message(source, ": eval.decode_examples: needs an \"ssa\" block"));
  if (c.device != "cpu" && c.device != "cuda")
    throw std::runtime_error(
        message(source, ": train.device: expected \"cpu\" or \"cuda\", got \"", c.device, "\""));
  if (c.save_dtype != "float32" && c.save_dtype != "bfloat16")
    throw std::runtime_error(message(source,
                                     ": train.save_dtype: expected \"float32\" or "
                                     "\"bfloat16\", got \"",
                                     c.save_dtype, "\""));
  if (c.has_model && c.ssa.enabled) {
    const int64_t needed = c.ssa.layout.gist_token_base + c.ssa.layout.top_level() + 1;
    if (c.model.vocab_size > needed)
      throw std::runtime_error(message(source, ": model.vocab_size ", c.model.vocab_size,
                                       " is larger than the byte tokenizer's ", needed));
  }
  return c;
}

TrainConfig load_train_config(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    throw std::runtime_error(message(path, ": cannot open (expected a training config JSON)"));
  std::stringstream text;
  text << in.rdbuf();
  return parse_train_config(text.str(), path);
}

double learning_rate(const OptimSettings& o, int64_t step, int64_t total_steps) {
  const int64_t warmup = static_cast<int64_t>(std::ceil(o.warmup_ratio * total_steps));
  if (step < warmup) return o.lr * static_cast<double>(step + 1) / warmup;
  const double span = std::max<int64_t>(1, total_steps - 1 - warmup);
  const double progress = std::min(1.0, static_cast<double>(step - warmup) / span);
  const double cosine = 0.5 * (1.0 + std::cos(M_PI * progress));
  return o.lr * (o.min_lr_ratio + (1.0 - o.min_lr_ratio) * cosine);
}

}  // namespace ssa
