// The decoding flags `record` and `generate` share (--k, --budget, --top-p,
// --no-cap, --dense-layers, --levels, --mode, --baseline, --shadow-full,
// --generation-gists, --word-aware / --no-word-aware, --device, --prefill, --threads),
// and turning them plus a checkpoint into engine settings, with one-line
// errors for anything unusable.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/decode/decode_session.h"
#include "engine/layout/gist_layout.h"
#include "engine/model/decoder.h"

namespace CLI {
class App;
}

namespace ssa::cli {

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

struct DecodePlan {
  LayoutSettings layout;
  DecodeSettings settings;
};

// Loads the checkpoint named by --model on --device (throws InputError when
// it cannot be read or is not an SSA model).
DecoderModel load_decode_model(const DecodeFlags& flags);

// Validates the flags against the model; throws UsageError naming the flag.
DecodePlan plan_decode(const DecodeFlags& flags, const DecoderModel& model);

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
