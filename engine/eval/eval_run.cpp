#include "engine/eval/eval_run.h"

#include <stdexcept>

#include "engine/data/example_tokens.h"
#include "engine/decode/generation.h"
#include "engine/decode/task_prompt.h"
#include "engine/mask/block_mask.h"
#include "engine/trace/layout_trace.h"

namespace ssa::eval {
namespace {

// Keeps each step's numbers at full precision (the DecodeStep rounds the key
// counts) and passes everything on to the recorder.
class StepCollector : public trace::Observer {
 public:
  explicit StepCollector(trace::Observer* next) : next_(next) {}
  // The session whose steps these are (it reports to this collector).
  void watch(const DecodeSession* session) { session_ = session; }

  void on_layout(const trace::LayoutInfo& l) override {
    if (next_) next_->on_layout(l);
  }
  void on_mask(const trace::MaskInfo& m) override {
    if (next_) next_->on_mask(m);
  }
  void on_chunk_scores(int64_t step, const trace::ChunkScores& s) override {
    if (next_) next_->on_chunk_scores(step, s);
  }
  void on_selection(int64_t step, const trace::Selection& s) override {
    if (next_) next_->on_selection(step, s);
  }
  void on_decode_step(const trace::DecodeStep& step) override {
    StepNumbers n;
    n.piece = step.text;
    n.seconds = step.seconds;
    n.keys_scored = session_->last_keys_scored();
    n.keys_read = session_->last_keys_read();
    n.coverage = session_->last_full_mass_coverage();
    n.answer_unfolded = step.answer_unfolded;
    steps.push_back(std::move(n));
    if (next_) next_->on_decode_step(step);
  }

  std::vector<StepNumbers> steps;

 private:
  const DecodeSession* session_ = nullptr;
  trace::Observer* next_;
};

}  // namespace

Example draw_example(const std::string& task, int64_t context, uint64_t seed, int64_t index,
                     const TextCorpus& filler, const ModelText& text) {
  if (task != "passkey" && task != "kv" && task != "multidoc")
    throw std::invalid_argument("unknown task '" + task + "' (passkey, kv or multidoc)");
  // Every size tried draws from the same generator state: the example is a
  // function of (seed, context, index) alone. Stream 14: apart from the
  // trainer's streams.
  const auto draw = [&](int64_t bytes) {
    Rng rng = Rng::derive(seed ^ static_cast<uint64_t>(context) * 0x9e3779b97f4a7c15ULL, 14,
                          static_cast<uint64_t>(index));
    if (task == "passkey") return make_passkey(rng, bytes);
    if (task == "kv") return make_multikey(rng, bytes);
    return make_multidoc(rng, bytes, filler, Split::kHeldOut);
  };
  if (text.byte_level) {
    Example example = draw(context);
    tokenize_example(text, example);
    return example;
  }
  return fit_example(draw, text, context, [](const Example& example) {
    return static_cast<int64_t>(example.document_ids.size());
  });
}

EvalPrompt eval_prompt(const LayoutSettings& settings, const ModelText& text,
                       const Example& example) {
  EvalPrompt p{prompt_layout(settings, text, example), -1};
  p.answer_chunk = answer_chunk(p.layout, text, example);
  return p;
}

ExampleOutcome decode_example(const DecoderModel& model, const ModelText& text,
                              const EvalPrompt& prompt, const DecodeSettings& settings,
                              const Example& example, trace::Observer* observer) {
  at::NoGradGuard no_grad;
  if (observer) {
    observer->on_layout(trace::describe_layout(prompt.layout));
    observer->on_mask(trace::describe_mask(build_block_mask(prompt.layout, settings.mask, 128)));
  }
  StepCollector collector(observer);
  DecodeSession session(model, prompt.layout, settings, &collector);
  collector.watch(&session);
  // The byte-level models as ever: EOS stops; BOS and PAD on are never produced.
  GenerationOptions generation =
      text.byte_level ? GenerationOptions{} : generation_options(text, model.config().vocab_size);
  generation.max_tokens = static_cast<int64_t>(example.answer_ids.size());
  // Full attention selects nothing: whether it "unfolded" the answer is unknown.
  generation.answer_chunk = settings.baseline == Baseline::kFull ? -1 : prompt.answer_chunk;
  ExampleOutcome out;
  out.expected = example.answer;
  out.generated =
      text.tokenizer->decode(generate_greedy(session, *text.tokenizer, generation, &collector));
  out.steps = std::move(collector.steps);
  if (observer) observer->on_layout(trace::describe_layout(session.layout()));
  score_example(out);
  return out;
}

}  // namespace ssa::eval
