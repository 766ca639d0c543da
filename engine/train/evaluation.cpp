// Held-out loss and task accuracy.
#include "engine/train/evaluation.h"

#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>

#include "engine/decode/generation.h"
#include "engine/decode/task_prompt.h"
#include "engine/layout/gist_layout.h"
#include "engine/tokenizer/byte_tokenizer.h"

namespace ssa {
namespace {

// Keeps, per generated token, whether the answer's chunk was unfolded.
class DecodeSteps : public trace::Observer {
 public:
  void on_decode_step(const trace::DecodeStep& step) override {
    unfolded.push_back(step.answer_unfolded);
  }
  std::vector<int> unfolded;
};

// bf16 autocast on CUDA for the scope of one forward. Leaving it clears the
// cast cache: the weights change every step and must be recast.
class AutocastScope {
 public:
  explicit AutocastScope(bool on) : on_(on) {
    if (!on_) return;
    at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
    at::autocast::set_autocast_enabled(at::kCUDA, true);
  }
  ~AutocastScope() {
    if (!on_) return;
    at::autocast::set_autocast_enabled(at::kCUDA, false);
    at::autocast::clear_cache();
  }

 private:
  bool on_;
};

at::Tensor logits_of(const DecoderModel& model, const TrainingBatch& batch, bool autocast,
                     const DecoderModel::AttentionHook* attend = nullptr) {
  const c10::Device dev = model.device();
  AutocastScope scope(autocast);
  if (attend)
    return model.forward_with(batch.token_ids.to(dev), batch.position_ids.to(dev), *attend);
  return model.forward(batch.token_ids.to(dev), batch.position_ids.to(dev), batch.mask.to(dev));
}

// Answers whose every token is the argmax prediction, and answer tokens that
// are (partial credit shows retrieval before it is exact).
struct Matches {
  double exact = 0, tokens = 0, total_tokens = 0;
};
Matches match_answers(const DecoderModel& model, const TrainingBatch& batch, bool autocast) {
  const at::Tensor predicted = logits_of(model, batch, autocast).argmax(-1).to(at::kCPU);
  Matches m;
  for (const AnswerSpan& a : batch.answers) {
    const at::Tensor p = predicted[a.row].narrow(0, a.begin, a.end - a.begin);
    const at::Tensor t = batch.labels[a.row].narrow(0, a.begin, a.end - a.begin);
    m.exact += at::equal(p, t);
    m.tokens += p.eq(t).sum().item<double>();
    m.total_tokens += static_cast<double>(a.end - a.begin);
  }
  return m;
}

}  // namespace

DecodedAnswer decode_answer(const DecoderModel& model, const Example& example,
                            const DecodeSettings& settings) {
  at::NoGradGuard no_grad;
  const SsaConfig& ssa = model.config().ssa;
  const ByteTokenizer tokenizer(ssa.layout.num_levels());
  GistLayout layout = prompt_layout(ssa.layout, example.document, example.prompt);  // as `record`
  GenerationOptions generation;
  generation.max_tokens = static_cast<int64_t>(example.answer.size());
  generation.answer_chunk = answer_chunk(layout, example);
  DecodeSession session(model, std::move(layout), settings);
  DecodeSteps steps;
  const std::vector<int64_t> tokens = generate_greedy(session, tokenizer, generation, &steps);
  DecodedAnswer out;
  out.generated = tokenizer.decode(tokens);
  out.exact = out.generated == example.answer;
  for (size_t i = 0; i < tokens.size() && i < example.answer.size(); ++i)
    out.right_tokens += tokens[i] == static_cast<unsigned char>(example.answer[i]);
  out.answer_steps = static_cast<int64_t>(tokens.size());
  out.unfolded_steps = std::count(steps.unfolded.begin(), steps.unfolded.end(), 1);
  return out;
}

at::Tensor batch_loss(const DecoderModel& model, const TrainingBatch& batch, bool bf16_autocast,
                      bool weighted, const DecoderModel::AttentionHook* attend,
                      double total_weight) {
  const c10::Device dev = model.device();
  const at::Tensor logits = logits_of(model, batch, bf16_autocast, attend).to(at::kFloat);
  const at::Tensor labels = batch.labels.to(dev);
  const at::Tensor ce = at::cross_entropy_loss(logits.reshape({-1, logits.size(-1)}),
                                               labels.reshape({-1}), {}, at::Reduction::None, -100);
  const at::Tensor w = weighted ? batch.loss_weights.to(dev).reshape({-1})
                                : (labels.reshape({-1}) != -100).to(at::kFloat);
  if (total_weight > 0) return (ce * w).sum() / total_weight;
  return (ce * w).sum() / w.sum().clamp_min(1.0);
}

EvalResult evaluate(const DecoderModel& model, const DataMix& mix, const SequenceSettings& seq,
                    const EvalSettings& settings, int64_t step) {
  at::NoGradGuard no_grad;
  EvalResult result;
  result.step = step;
  const auto budget = [&](int64_t suffix) { return document_budget(seq, suffix); };
  double total = 0;
  for (int64_t b = 0; b < settings.batches; ++b) {
    std::vector<Example> examples;
    for (int64_t i = 0; i < settings.batch_size; ++i)
      examples.push_back(mix.sample(Split::kHeldOut, b, i, budget));
    total +=
        batch_loss(model, make_batch(examples, seq), settings.bf16_autocast, false).item<double>();
  }
  result.loss = total / settings.batches;

  for (const char* task : {"passkey", "multikey", "multidoc"}) {
    auto it = mix.settings().weights.find(task);
    if (it == mix.settings().weights.end() || it->second <= 0) continue;
    Matches ssa_m, full_m;
    int64_t seen = 0;
    auto add = [](Matches& into, const Matches& m) {
      into.exact += m.exact, into.tokens += m.tokens, into.total_tokens += m.total_tokens;
    };
    for (int64_t start = 0; start < settings.task_examples; start += settings.batch_size) {
      std::vector<Example> examples;
      for (int64_t i = start; i < std::min(settings.task_examples, start + settings.batch_size);
           ++i)
        examples.push_back(mix.sample_source(task, Split::kHeldOut, 0, i, budget));
      if (seq.ssa.enabled)
        add(ssa_m, match_answers(model, make_batch(examples, seq), settings.bf16_autocast));
      add(full_m, match_answers(model, make_batch(examples, seq, true), settings.bf16_autocast));
      seen += examples.size();
    }
    if (seq.ssa.enabled) {
      result.accuracy_ssa[task] = ssa_m.exact / seen;
      result.token_accuracy_ssa[task] = ssa_m.tokens / std::max(1.0, ssa_m.total_tokens);
    }
    result.accuracy_full[task] = full_m.exact / seen;
    result.token_accuracy_full[task] = full_m.tokens / std::max(1.0, full_m.total_tokens);

    const auto& only = settings.decode.tasks;
    if (!seq.ssa.enabled || settings.decode.examples <= 0 ||
        (!only.empty() && std::find(only.begin(), only.end(), task) == only.end()))
      continue;
    DecodeSettings decode;
    decode.selection.k = settings.decode.k;
    decode.dense_layers = model.config().ssa.dense_layers;  // as `record` decodes this model
    decode.mask = MaskSettings{seq.ssa.previous_chunks};
    const DataMix::DocumentBudget decode_budget = [&](int64_t suffix) {
      return settings.decode.document_bytes > 0 ? settings.decode.document_bytes : budget(suffix);
    };
    double exact = 0, right = 0, total = 0, unfolded = 0, steps = 0;
    for (int64_t i = 0; i < settings.decode.examples; ++i) {
      const Example ex = mix.sample_source(task, Split::kHeldOut, 1, i, decode_budget);
      const DecodedAnswer a = decode_answer(model, ex, decode);
      exact += a.exact;
      right += static_cast<double>(a.right_tokens);
      total += static_cast<double>(ex.answer.size());
      unfolded += static_cast<double>(a.unfolded_steps);
      steps += static_cast<double>(a.answer_steps);
    }
    result.accuracy_decode[task] = exact / static_cast<double>(settings.decode.examples);
    result.token_accuracy_decode[task] = right / std::max(1.0, total);
    result.unfolded_decode[task] = unfolded / std::max(1.0, steps);
  }
  return result;
}

std::string EvalResult::summary() const {
  std::string text;
  char buffer[160];
  std::snprintf(buffer, sizeof buffer, "eval @ %lld: held-out loss %.4f",
                static_cast<long long>(step), loss);
  text = buffer;
  for (const auto& [task, acc] : accuracy_full) {
    auto ssa = accuracy_ssa.find(task);
    // exact-match answers (answer tokens right)
    if (ssa != accuracy_ssa.end())
      std::snprintf(buffer, sizeof buffer, ", %s %.0f%% (%.0f%%) ssa mask, %.0f%% (%.0f%%) full",
                    task.c_str(), 100 * ssa->second, 100 * token_accuracy_ssa.at(task), 100 * acc,
                    100 * token_accuracy_full.at(task));
    else
      std::snprintf(buffer, sizeof buffer, ", %s %.0f%% (%.0f%%)", task.c_str(), 100 * acc,
                    100 * token_accuracy_full.at(task));
    text += buffer;
  }
  for (const auto& [task, acc] : accuracy_decode) {
    std::snprintf(buffer, sizeof buffer,
                  "; decoded %s %.0f%% (%.0f%%, answer chunk unfolded %.0f%%)", task.c_str(),
                  100 * acc, 100 * token_accuracy_decode.at(task), 100 * unfolded_decode.at(task));
    text += buffer;
  }
  return text;
}

std::string EvalResult::to_json() const {
  nlohmann::json j{{"step", step}, {"eval_loss", loss}};
  if (!accuracy_ssa.empty()) j["accuracy_ssa_mask"] = accuracy_ssa;
  if (!accuracy_full.empty()) j["accuracy_full_attention"] = accuracy_full;
  if (!token_accuracy_ssa.empty()) j["token_accuracy_ssa_mask"] = token_accuracy_ssa;
  if (!token_accuracy_full.empty()) j["token_accuracy_full_attention"] = token_accuracy_full;
  if (!accuracy_decode.empty()) j["accuracy_ssa_decode"] = accuracy_decode;
  if (!token_accuracy_decode.empty()) j["token_accuracy_ssa_decode"] = token_accuracy_decode;
  if (!unfolded_decode.empty()) j["answer_unfolded_ssa_decode"] = unfolded_decode;
  return j.dump();
}

}  // namespace ssa
