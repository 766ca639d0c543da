// The decoding flags `record` and `generate` share (--k, --budget, --top-p,
// --no-cap, --dense-layers, --levels, --layout / --sink / --previous, --mode,
// --baseline, --shadow-full, --generation-gists, --word-aware /
// --no-word-aware, --chat, --device, --prefill, --threads), and turning them
// plus a checkpoint into engine settings, with one-line errors for anything
// unusable.
//
// The layout: a checkpoint's `ssa` block, or for checkpoints without one
// (Hugging Face models, the reference's: the layout is in their name) the
// flags --layout chunk16 --sink 3 --previous 1, the reference's names; given
// with a block, the flags override it and say so on stderr. Gist ids come
// from the model's text (engine/data/model_text.h): the byte gists, or the
// tokenizer's <gist>, <Gist>, <MGist>, added when it lacks them.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/data/model_text.h"
#include "engine/decode/decode_session.h"
#include "engine/layout/gist_layout.h"
#include "engine/model/decoder.h"
#include "engine/model/model_config.h"

namespace CLI {
class App;
}

namespace ssa::cli {

// --layout / --sink / --previous (record, generate, forward).
struct LayoutFlags {
  std::string layout;  // chunk16, chunk4-chunk4, ...
  int sink = 3;
  bool sink_given = false;
  int previous = 1;
  bool previous_given = false;
  bool given() const { return !layout.empty() || sink_given || previous_given; }
};
// Registers them on `cmd`; `flags` must outlive the app.
void add_layout_flags(CLI::App* cmd, const std::shared_ptr<LayoutFlags>& flags);

// The layout a checkpoint is used with: its ssa block's, or for one without
// a block the flags' (then raw positions, sink 3 and p 1 unless given, and
// word-aware when it has a tokenizer); flags given with a block override it,
// in one line on stderr. Throws UsageError when there is neither, or a flag
// is unusable. The gist ids are still the block's (prepare_model_text).
struct ResolvedLayout {
  LayoutSettings layout;
  int previous_chunks = 1;  // p
  int dense_layers = 1;     // the block's, 1 without one
  std::string from;         // "ssa block", "flags", or "flags over the ssa block"
};
ResolvedLayout resolve_layout(const LayoutFlags& flags, const std::string& model_dir,
                              const ModelConfig& config, bool has_tokenizer);

struct DecodeFlags {
  std::string model;
  int k = 4;
  std::string budget = "fixed";  // fixed, auto, reference or top-p (engine/decode/budget.h)
  // Layers that attend to their training-mask row (spec 8); unless given, the
  // model's ssa.dense_layers (1, the reference's, when its config.json says nothing).
  int dense_layers = 1;
  bool dense_layers_given = false;
  std::vector<int> levels;
  bool levels_given = false;
  // The layout for checkpoints without an ssa block (or over it).
  std::shared_ptr<LayoutFlags> layout = std::make_shared<LayoutFlags>();
  bool chat = false;  // --chat: the prompt in the checkpoint's chat template
  std::string mode = "head";
  std::string baseline = "none";
  bool no_cap = false;
  double top_p = 0;
  bool shadow_full = false;
  bool generation_gists = false;
  bool word_aware = false;  // --word-aware: on whatever the model's config says
  bool no_word_aware = false;
  std::string device = "cpu";
  std::string prefill = "auto";
  int threads = 0;
};

// Registers the shared flags on `cmd`; `flags` must outlive the app.
void add_decode_flags(CLI::App* cmd, const std::shared_ptr<DecodeFlags>& flags);

// A checkpoint opened for decoding, with the layout it decodes with.
struct DecodeModel {
  DecoderModel model;
  ModelText text;         // tokenizer, BOS / EOS / PAD / stop ids, gist ids
  ResolvedLayout layout;  // layout.layout.gist_token_base = text.gist_ids[0]
};

struct DecodePlan {
  LayoutSettings layout;
  DecodeSettings settings;
};

// Loads the checkpoint named by --model on --device, resolves its layout
// (block and flags), finds or adds its gist tokens; notes go to stderr.
// Throws InputError when it cannot be read, UsageError for layout flags that
// are missing (no ssa block and no --layout) or unusable.
DecodeModel load_decode_model(const DecodeFlags& flags);

// Validates the flags against the model; throws UsageError naming the flag.
DecodePlan plan_decode(const DecodeFlags& flags, const DecodeModel& model);

// What a recording's run config keeps of how the text was made: the model
// path, tokenizer source, gist ids, layout source, word-aware, positions, chat.
nlohmann::json text_config(const DecodeFlags& flags, const DecodeModel& model,
                           const DecodePlan& plan);

// Checks what can only be checked once the prompt is laid out (a dense
// prefill mask's size limit); throws UsageError before anything is written.
void check_decode_layout(const DecodeFlags& flags, const GistLayout& layout);

// Run name shown in the GUI: "chunk8 k=4 head", "chunk8 k=reference head dense=1"
// (dense=N when --dense-layers was given),
// "full attention", "oracle k=4 ...".
std::string decode_run_name(const DecodeFlags& flags, const DecodePlan& plan);

// "budget reference (k 4 at levels >= 2), dense layers 1": the budget and the
// dense layers in words, for `generate --stats` and logs.
std::string describe_budget(const DecodeFlags& flags, const DecodePlan& plan);

}  // namespace ssa::cli
