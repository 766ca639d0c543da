// Records: what a session recording holds, as plain structs.
//
// The Writer takes these, the Reader returns them, and the GUI draws from them.
// They mirror the engine's trace structs (engine/trace/observer.h) without
// depending on them: sessions/ knows only SQLite and the standard library.
// On disk, large arrays are compact typed blobs (scores are float16 by
// default); in memory everything is plain vectors of the natural type.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ssa::sessions {

// How a run ended: closed cleanly, stopped by an error (RunInfo::failure says
// which), or neither yet (still recording, interrupted, or killed).
enum class RunStatus { kIncomplete, kFinished, kFailed };

// One run: one decode or training session. A recording may hold several runs
// (for example SSA and full attention on the same prompt, for compare).
struct RunInfo {
  int64_t id = 0;                  // assigned by Writer::begin_run
  std::string name;                // shown in the GUI: "ssa k=4", "full", ...
  std::string kind;                // "decode", "train", or what the recorder says
  std::string config_json = "{}";  // the run's full configuration
  std::string model_hash;          // hash of the weights file ("" when none)
  std::string created_utc;         // ISO 8601, filled by the Writer when empty
  int32_t num_layers = 0;          // transformer layers (0 = unknown)
  int32_t num_score_heads = 0;     // rows of a score record: query heads, or KV groups
  int32_t num_levels = 0;          // gist levels (1 = SSA, > 1 = H-SSA, 0 = unknown)
  bool finished = false;           // set by Writer::end_run: the run closed cleanly
  std::string failure;             // set by Writer::fail_run: why it stopped ("" otherwise)
  int64_t dropped_details = 0;     // layer-step records dropped by a full queue

  RunStatus status() const {
    return finished          ? RunStatus::kFinished
           : failure.empty() ? RunStatus::kIncomplete
                             : RunStatus::kFailed;
  }
};

// The token stream of a run: one entry per stream position.
struct Layout {
  std::string settings_json = "{}";  // GistLayout settings (chunk, levels, sink, ...)
  std::vector<int64_t> token_ids;    // stream token ids (raw ids and gist ids)
  std::vector<int8_t> roles;         // 0 raw, 1 gist, k+1 meta-gist of level k
  std::vector<int32_t> chunk_ids;    // level-0 chunk id of every position
  std::vector<int32_t> group_ids;    // [position][level-1] for levels 1..top, row-major
  std::vector<int64_t> raw_index;    // raw-token index, -1 for gists
  std::vector<int64_t> positions;    // RoPE position ids
  std::vector<std::string> pieces;   // decoded text of every position; may be empty
  int64_t prefix_length = 0;         // stream positions in the prefix
  int64_t sink_length = 0;           // stream positions in the attention sink

  int64_t length() const { return static_cast<int64_t>(token_ids.size()); }
  // Gist levels: 1 + meta-gist levels (group_ids holds levels - 1 ids per position).
  int num_levels() const {
    return token_ids.empty() ? 1 : 1 + static_cast<int>(group_ids.size() / token_ids.size());
  }
  // Level-0 chunk id (level 0) or level-k group id of a position.
  int32_t id(int64_t pos, int level) const {
    return level == 0 ? chunk_ids[pos] : group_ids[pos * (num_levels() - 1) + (level - 1)];
  }
};

// The training mask in compact block form (engine/mask/block_mask.h): per query
// block, the non-empty key blocks and their kind. Never L x L.
struct BlockMask {
  int32_t block_size = 128;
  int32_t previous_chunks = 0;       // p of the spec's rule 2
  std::vector<int64_t> row_offsets;  // CSR: query block b owns [row_offsets[b], row_offsets[b+1])
  std::vector<int32_t> key_blocks;   // key block index of every entry
  std::vector<uint8_t> kinds;        // 1 full, 2 partial (gists only), 3 partial (mixed)
};

// One optimiser step (or held-out evaluation) of training.
struct TrainStepRecord {
  int64_t step = 0;
  double loss = 0;
  double learning_rate = 0;
  double tokens_per_second = 0;
  double grad_norm = 0;
  bool is_eval = false;
};

// One decode step: the token produced, what it cost and how well it covered.
struct DecodeStepRecord {
  int64_t step = 0;
  int64_t token_id = 0;
  std::string text;  // decoded text piece
  double seconds = 0;
  int64_t keys_scored = 0;         // gist keys scored, summed over levels
  int64_t keys_read = 0;           // keys attended
  double full_mass_coverage = -1;  // mass of the chosen chunks under full attention, or -1
  int32_t answer_unfolded = -1;    // 1/0 when the task knows its answer chunk, else -1
};

// Candidate scores at one level of one (step, layer), for every head (or KV
// group) that scored. Row r belongs to heads[r]. When every row scored the
// same candidates (always so at the top level), `candidates` is that one list
// and row_offsets is empty ("shared"); otherwise candidates and scores are the
// rows concatenated and row_offsets (size rows + 1) delimits them. The
// Writer stores rows with identical lists once, so the Reader returns them in
// shared form even when they were written as CSR rows: use the accessors.
struct LevelScores {
  int32_t level = 0;                 // 0 = gists, k = meta-gists of level k
  std::vector<int32_t> heads;        // head or KV group of each row, ascending
  std::vector<int64_t> candidates;   // stream positions of the scored gists
  std::vector<int64_t> row_offsets;  // empty when shared, else CSR into candidates/scores
  std::vector<float> scores;         // q . k per (row, candidate), rows concatenated

  bool shared() const { return row_offsets.empty(); }
  size_t rows() const { return heads.size(); }
  // Candidates scored by row r, and where its scores start in `scores`.
  size_t row_size(size_t r) const {
    return shared() ? candidates.size() : size_t(row_offsets[r + 1] - row_offsets[r]);
  }
  size_t row_begin(size_t r) const {
    return shared() ? r * candidates.size() : size_t(row_offsets[r]);
  }
  const int64_t* row_candidates(size_t r) const {
    return shared() ? candidates.data() : candidates.data() + row_offsets[r];
  }
  const float* row_scores(size_t r) const { return scores.data() + row_begin(r); }
};

// What was chosen at one level of one (step, layer): per row, the stream
// positions of the chosen gists. row_offsets has size rows + 1.
struct LevelSelection {
  int32_t level = 0;
  std::vector<int32_t> heads;        // head or KV group of each row, ascending
  std::vector<int64_t> row_offsets;  // CSR into chosen
  std::vector<int64_t> chosen;       // stream positions of the chosen gists

  size_t rows() const { return heads.size(); }
  size_t row_size(size_t r) const { return size_t(row_offsets[r + 1] - row_offsets[r]); }
  const int64_t* row_chosen(size_t r) const { return chosen.data() + row_offsets[r]; }
};

// Everything decided in one layer at one step: the unit the GUI loads.
struct LayerStep {
  int64_t step = 0;
  int32_t layer = 0;
  std::vector<LevelScores> scores;         // one per level that scored, ascending level
  std::vector<LevelSelection> selections;  // one per level that chose, ascending level
};

// One chunk (level 0) or group (level k) across steps: in which steps it was
// unfolded, by which layers, and by how many (layer, head) rows in total.
struct Unfold {
  int64_t step = 0;
  int32_t level = 0;
  int32_t id = 0;           // chunk id (level 0) or level-k group id
  uint64_t layer_mask = 0;  // bit l set when layer l (< 64) chose it
  int32_t picks = 0;        // (layer, row) pairs that chose it at this step
};

// A user's named bookmark or note, optionally pinned to a step, layer, position.
struct Bookmark {
  int64_t id = 0;  // assigned when added
  int64_t run_id = 0;
  int64_t step = -1;      // -1: the whole run
  int32_t layer = -1;     // -1: every layer
  int64_t position = -1;  // stream position, -1: none
  std::string name;
  std::string note;
  std::string created_utc;  // filled when added
};

// Step numbers present for a run (count 0: none; first/last valid otherwise).
struct StepRange {
  int64_t count = 0;
  int64_t first = 0;
  int64_t last = -1;
};

}  // namespace ssa::sessions
