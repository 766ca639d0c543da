// Observer: how the engine reports what it does, as plain structs.
//
// The engine knows nothing of SQLite or the GUI. Whoever wants to record or
// show a run implements Observer (the recorder in app/ adapts it to a
// sessions::Writer). No LibTorch types cross this interface, and every call
// may come from the engine's hot loop: implementations must not block long.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ssa::trace {

// The token stream a run works on: one entry per stream position.
struct LayoutInfo {
  std::string settings_json;         // GistLayout settings (chunk, levels, sink, ...)
  std::vector<int64_t> token_ids;    // stream token ids (raw ids and gist ids)
  std::vector<int8_t> roles;         // 0 raw, 1 gist, k+1 meta-gist of level k
  std::vector<int32_t> chunk_ids;    // level-0 chunk id of every position
  std::vector<int32_t> group_ids;    // [position][level-1] for levels 1..top, row-major
  std::vector<int64_t> raw_index;    // raw-token index, -1 for gists
  std::vector<int64_t> positions;    // RoPE position ids
  int64_t prefix_length = 0;         // stream positions in the prefix (spec: inference)
  int64_t sink_length = 0;           // stream positions in the attention sink
};

// The training mask of a layout in compact block form (engine/mask/block_mask.h):
// per query block, the non-empty key blocks and their kind. A partial block's
// bits follow from the layout's roles and ids by engine/mask/mask_rule.h.
struct MaskInfo {
  int32_t block_size = 128;
  int32_t previous_chunks = 0;      // p of the spec's rule 2
  std::vector<int64_t> row_offsets; // CSR: query block b owns entries [row_offsets[b], row_offsets[b+1])
  std::vector<int32_t> key_blocks;  // key block index of every entry
  std::vector<uint8_t> kinds;       // 1 full, 2 partial (gists only), 3 partial (mixed)
};

// One optimiser step of training.
struct TrainStep {
  int64_t step = 0;
  double loss = 0;
  double learning_rate = 0;
  double tokens_per_second = 0;
  double grad_norm = 0;
  bool is_eval = false;  // held-out evaluation rather than a training step
};

// Scores of the candidates at one level, for one layer and one head or group.
struct ChunkScores {
  int32_t layer = 0;
  int32_t head = 0;                // query head, or KV group in `group` mode
  int32_t level = 0;               // 0 = gists, k = meta-gists of level k
  std::vector<int64_t> candidates; // stream positions of the scored gists
  std::vector<float> scores;       // q . k of each candidate
};

// What was chosen at one level, for one layer and one head or group.
struct Selection {
  int32_t layer = 0;
  int32_t head = 0;
  int32_t level = 0;
  std::vector<int64_t> chosen;     // stream positions of the chosen gists
};

// One decode step: the token produced and what it cost.
struct DecodeStep {
  int64_t step = 0;
  int64_t token_id = 0;
  std::string text;                // the decoded text piece
  double seconds = 0;
  int64_t keys_scored = 0;         // gist keys scored, summed over levels
  int64_t keys_read = 0;           // keys attended
  double full_mass_coverage = -1;  // with --shadow-full: mass of chosen chunks, else -1
  int answer_unfolded = -1;        // 1/0 when the task knows its answer chunk, else -1
};

class Observer {
 public:
  virtual ~Observer() = default;
  virtual void on_layout(const LayoutInfo&) {}
  virtual void on_mask(const MaskInfo&) {}
  virtual void on_train_step(const TrainStep&) {}
  virtual void on_chunk_scores(int64_t /*step*/, const ChunkScores&) {}
  virtual void on_selection(int64_t /*step*/, const Selection&) {}
  virtual void on_decode_step(const DecodeStep&) {}
};

}  // namespace ssa::trace
