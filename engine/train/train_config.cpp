// Training-config JSON -> TrainConfig, and the learning-rate schedule.
#include "engine/train/train_config.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "engine/model/message.h"

namespace ssa {
namespace {

using nlohmann::json;

// One block of the config: typed, range-checked getters whose errors name
// "<file>: <block>.<key>". JSON's own conversions are never trusted: 2.5 is
// not an integer, -1 not a seed, 1e400 not a number.
class Reader {
 public:
  Reader(const json& j, std::string source, std::string block)
      : j_(j), source_(std::move(source)), block_(std::move(block)) {}

  int64_t integer(const char* key, int64_t fallback, int64_t lo,
                  int64_t hi = std::numeric_limits<int64_t>::max()) const {
    const json* v = find(key);
    if (!v) return fallback;
    if (!v->is_number_integer()) fail(key, message("expected an integer, got ", describe(*v)));
    if (v->is_number_unsigned() && v->get<uint64_t>() > uint64_t(hi))
      fail(key, message("expected ", range(lo, hi), ", got ", describe(*v)));
    const int64_t x = v->get<int64_t>();
    if (x < lo || x > hi) fail(key, message("expected ", range(lo, hi), ", got ", x));
    return x;
  }
  uint64_t unsigned_integer(const char* key, uint64_t fallback) const {
    const json* v = find(key);
    if (!v) return fallback;
    if (!v->is_number_unsigned() && !(v->is_number_integer() && v->get<int64_t>() >= 0))
      fail(key, message("expected an integer >= 0, got ", describe(*v)));
    return v->get<uint64_t>();
  }
  // A finite number in [lo, hi] (or [lo, hi) with open_hi).
  double number(const char* key, double fallback, double lo, double hi,
                bool open_hi = false) const {
    const json* v = find(key);
    if (!v) return fallback;
    if (!v->is_number() || !std::isfinite(v->get<double>()))
      fail(key, message("expected a number, got ", describe(*v)));
    const double x = v->get<double>();
    if (x < lo || x > hi || (open_hi && x == hi))
      fail(key, message("expected a number in [", lo, ", ", hi, open_hi ? ")" : "]", ", got ", x));
    return x;
  }
  double positive(const char* key, double fallback) const {
    const double x = number(key, fallback, 0, std::numeric_limits<double>::max());
    if (!(x > 0)) fail(key, message("expected > 0, got ", x));
    return x;
  }
  bool boolean(const char* key, bool fallback) const {
    const json* v = find(key);
    if (!v) return fallback;
    if (!v->is_boolean()) fail(key, message("expected true or false, got ", describe(*v)));
    return v->get<bool>();
  }
  std::string text(const char* key, const std::string& fallback) const {
    const json* v = find(key);
    if (!v) return fallback;
    if (!v->is_string()) fail(key, message("expected a string, got ", describe(*v)));
    return v->get<std::string>();
  }
  std::vector<std::string> texts(const char* key) const {
    const json* v = find(key);
    if (!v) return {};
    if (!v->is_array()) fail(key, message("expected an array of strings, got ", describe(*v)));
    std::vector<std::string> out;
    for (const json& e : *v) {
      if (!e.is_string()) fail(key, message("expected strings, got ", describe(e)));
      out.push_back(e.get<std::string>());
    }
    return out;
  }
  void check_keys(std::initializer_list<const char*> known) const {
    for (const auto& [key, value] : j_.items()) {
      bool ok = false;
      for (const char* k : known) ok = ok || key == k;
      if (!ok)
        throw std::runtime_error(message(source_, ": ", block_, ": unknown key \"", key, "\""));
    }
  }
  [[noreturn]] void fail(const char* key, const std::string& what) const {
    throw std::runtime_error(message(source_, ": ", block_, ".", key, ": ", what));
  }

 private:
  const json* find(const char* key) const {
    auto it = j_.find(key);
    return it == j_.end() ? nullptr : &*it;
  }
  static std::string describe(const json& v) {
    const std::string text = v.dump();
    return text.size() > 40 ? text.substr(0, 37) + "..." : text;
  }
  static std::string range(int64_t lo, int64_t hi) {
    if (hi == std::numeric_limits<int64_t>::max()) return message("an integer >= ", lo);
    return message("an integer in ", lo, "..", hi);
  }
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

// The Hugging Face keys a training config's "model" block may hold (what
// parse_model_config reads): anything else is a typo, refused.
constexpr std::initializer_list<const char*> kModelKeys = {"model_type",
                                                           "hidden_act",
                                                           "vocab_size",
                                                           "hidden_size",
                                                           "intermediate_size",
                                                           "num_hidden_layers",
                                                           "num_attention_heads",
                                                           "num_key_value_heads",
                                                           "head_dim",
                                                           "rms_norm_eps",
                                                           "max_position_embeddings",
                                                           "tie_word_embeddings",
                                                           "torch_dtype",
                                                           "dtype",
                                                           "rope_theta",
                                                           "rope_parameters",
                                                           "rope_scaling",
                                                           "attention_bias",
                                                           "mlp_bias",
                                                           "use_sliding_window",
                                                           "bos_token_id",
                                                           "eos_token_id",
                                                           "pad_token_id"};
constexpr std::initializer_list<const char*> kSsaKeys = {
    "hierarchy",           "chunk",           "group_sizes",     "sink",        "word_aware",
    "gists_in_generation", "gist_token_base", "previous_chunks", "position_ids"};

}  // namespace

TrainConfig parse_train_config(const std::string& json_text, const std::string& source) {
  json root;
  try {
    root = json::parse(json_text);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for 1e400
    throw std::runtime_error(message(source, ": not valid JSON (", e.what(), ")"));
  }
  if (!root.is_object()) throw std::runtime_error(message(source, ": expected a JSON object"));
  Reader top(root, source, "config");
  top.check_keys(
      {"model", "init", "ssa", "selective", "data", "optim", "train", "eval", "comment"});
  TrainConfig c;
  c.source = source;
  c.text = json_text;
  if (root.contains("model") == root.contains("init"))
    throw std::runtime_error(message(source,
                                     ": give exactly one of \"model\" (a fresh model) and "
                                     "\"init\" (a checkpoint directory)"));
  if (root.contains("model")) {
    const json& model = block(root, "model", source);
    Reader(model, source, "model").check_keys(kModelKeys);
    c.has_model = true;
    c.model = parse_model_config(model.dump(), source + ": model");
  } else {
    c.init = top.text("init", "");
    if (c.init.empty()) top.fail("init", "expected a checkpoint directory");
  }
  if (root.contains("ssa") && !root["ssa"].is_null()) {
    Reader(block(root, "ssa", source), source, "ssa").check_keys(kSsaKeys);
    c.ssa = parse_ssa_config(root["ssa"], source);
  }

  if (root.contains("selective")) {
    Reader sel(block(root, "selective", source), source, "selective");
    sel.check_keys({"k", "quarter_cap", "top_p", "gqa_mode"});
    if (!c.ssa.enabled)
      throw std::runtime_error(message(source, ": selective: needs an \"ssa\" block"));
    c.selective.enabled = true;
    c.selective.selection.k =
        int(sel.integer("k", c.selective.selection.k, 1, std::numeric_limits<int>::max()));
    c.selective.selection.quarter_cap = sel.boolean("quarter_cap", true);
    c.selective.selection.top_p = sel.number("top_p", 0.0, 0.0, 1.0);
    try {
      c.selective.mode = parse_gqa_mode(sel.text("gqa_mode", "head"));
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(message(source, ": selective.gqa_mode: ", e.what()));
    }
  }
  const json& data = block(root, "data", source);
  Reader d(data, source, "data");
  d.check_keys({"seq_len", "mix", "fortunes_dir", "bible_program", "bible_text", "answer_weight",
                "answer_first_weight"});
  c.seq_len = d.integer("seq_len", c.seq_len, 1);
  c.answer_weight = d.number("answer_weight", c.answer_weight, 0, 1e6);
  c.answer_first_weight = d.number("answer_first_weight", c.answer_first_weight, 0, 1e6);
  for (const char* path : {"fortunes_dir", "bible_program", "bible_text"}) d.text(path, "");
  c.data = parse_data_mix(data, source);

  Reader o(block(root, "optim", source), source, "optim");
  o.check_keys(
      {"lr", "min_lr_ratio", "warmup_ratio", "weight_decay", "beta1", "beta2", "eps", "clip"});
  const double big = std::numeric_limits<double>::max();
  c.optim.lr = o.positive("lr", c.optim.lr);
  c.optim.min_lr_ratio = o.number("min_lr_ratio", c.optim.min_lr_ratio, 0, 1);
  c.optim.warmup_ratio = o.number("warmup_ratio", c.optim.warmup_ratio, 0, 1, true);
  c.optim.weight_decay = o.number("weight_decay", c.optim.weight_decay, 0, big);
  c.optim.beta1 = o.number("beta1", c.optim.beta1, 0, 1, true);
  c.optim.beta2 = o.number("beta2", c.optim.beta2, 0, 1, true);
  c.optim.eps = o.positive("eps", c.optim.eps);
  c.optim.clip = o.number("clip", c.optim.clip, 0, big);

  Reader t(block(root, "train", source), source, "train");
  t.check_keys({"steps", "batch_size", "grad_accum", "eval_every", "eval_batches", "save_every",
                "log_every", "seed", "threads", "device", "save_dtype"});
  c.steps = t.integer("steps", c.steps, 1);
  c.batch_size = t.integer("batch_size", c.batch_size, 1);
  c.grad_accum = t.integer("grad_accum", c.grad_accum, 1);
  c.eval_every = t.integer("eval_every", c.eval_every, 0);
  c.eval_batches = t.integer("eval_batches", c.eval_batches, 1);
  c.save_every = t.integer("save_every", c.save_every, 0);
  c.log_every = t.integer("log_every", c.log_every, 1);
  c.seed = t.unsigned_integer("seed", c.seed);
  c.data.seed = c.seed;
  c.threads = int(t.integer("threads", c.threads, 0, 1024));
  c.device = t.text("device", c.device);
  c.save_dtype = t.text("save_dtype", c.save_dtype);

  Reader e(block(root, "eval", source), source, "eval");
  e.check_keys({"decode_examples", "decode_k", "decode_bytes", "decode_tasks"});
  c.decode_eval.tasks = e.texts("decode_tasks");
  for (const std::string& task : c.decode_eval.tasks)
    if (task != "passkey" && task != "multikey" && task != "multidoc")
      throw std::runtime_error(message(source, ": eval.decode_tasks: unknown task \"", task,
                                       "\" (expected passkey, multikey, multidoc)"));
  c.decode_eval.examples = e.integer("decode_examples", c.decode_eval.examples, 0);
  c.decode_eval.k = int(e.integer("decode_k", c.decode_eval.k, 1, std::numeric_limits<int>::max()));
  c.decode_eval.document_bytes = e.integer("decode_bytes", c.decode_eval.document_bytes, 0);
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
