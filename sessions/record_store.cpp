// RecordStore: see record_store.h. Runs on the Writer's thread only.
#include "sessions/record_store.h"

#include <cassert>
#include <cstring>

#include "sessions/layer_step_codec.h"

namespace ssa::sessions {
namespace {

// Candidate sets remembered for deduplication; past this many positions the
// memory is dropped and later duplicates are stored again (correct, larger).
constexpr size_t kMaxKnownSetEntries = size_t(4) << 20;

uint64_t hash_positions(int64_t run_id, const std::vector<int64_t>& v) {
  uint64_t h = 1469598103934665603ull ^ uint64_t(run_id);  // FNV-1a over the values
  for (int64_t x : v) {
    h ^= uint64_t(x);
    h *= 1099511628211ull;
  }
  return h ^ v.size();
}

}  // namespace

struct RecordStore::Statements {
  explicit Statements(Db& db)
      : run(db,
            "INSERT INTO runs(id, name, kind, config_json, model_hash, created_utc, num_layers,"
            " num_score_heads, num_levels) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
        layout(db,
               "INSERT OR REPLACE INTO layouts(run_id, settings_json, length, num_levels,"
               " prefix_length, sink_length, token_ids, roles, chunk_ids, group_ids, raw_index,"
               " positions, piece_offsets, piece_bytes)"
               " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"),
        mask(db,
             "INSERT OR REPLACE INTO masks(run_id, block_size, previous_chunks, query_blocks,"
             " entries, row_offsets, key_blocks, kinds) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
        train(db,
              "INSERT OR REPLACE INTO train_steps(run_id, step, is_eval, loss, learning_rate,"
              " tokens_per_second, grad_norm) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
        decode(db,
               "INSERT OR REPLACE INTO decode_steps(run_id, step, token_id, text, seconds,"
               " keys_scored, keys_read, full_mass_coverage, answer_unfolded)"
               " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
        candidate_set(db,
                      "INSERT INTO candidate_sets(run_id, count, positions) VALUES (?1, ?2, ?3)"),
        level(db,
              "INSERT OR REPLACE INTO level_records(run_id, step, layer, level, rows, heads,"
              " candidate_set, score_offsets, score_dtype, scores, chosen_rows, chosen_heads,"
              " chosen_offsets, chosen)"
              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"),
        unfold(db,
               "INSERT INTO unfolds(run_id, level, id, step, layer_mask, picks)"
               " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(run_id, level, step, id) DO UPDATE"
               " SET layer_mask = layer_mask | excluded.layer_mask,"
               " picks = picks + excluded.picks"),
        end_run(db,
                "UPDATE runs SET finished = 1, failure = NULL, dropped_details = ?2 WHERE id = ?1"),
        fail_run(db,
                 "UPDATE runs SET finished = 0, failure = ?3, dropped_details = ?2 WHERE id = ?1"),
        reopen_run(db, "UPDATE runs SET finished = 0, failure = NULL WHERE id = ?1"),
        cut_train_steps(db, "DELETE FROM train_steps WHERE run_id = ?1 AND step > ?2"),
        dropped(db, "UPDATE runs SET dropped_details = ?2 WHERE id = ?1") {}
  Statement run, layout, mask, train, decode, candidate_set, level, unfold, end_run, fail_run,
      reopen_run, cut_train_steps, dropped;
};

RecordStore::RecordStore(Db& db, Dtype score_dtype)
    : db_(db), score_dtype_(score_dtype), st_(std::make_unique<Statements>(db)) {}

RecordStore::~RecordStore() = default;

void RecordStore::put_run(const RunInfo& r) {
  st_->run.bind(1, r.id)
      .bind_text(2, r.name)
      .bind_text(3, r.kind)
      .bind_text(4, r.config_json)
      .bind_text(5, r.model_hash)
      .bind_text(6, r.created_utc)
      .bind(7, r.num_layers)
      .bind(8, r.num_score_heads)
      .bind(9, r.num_levels)
      .run("writing a run");
}

void RecordStore::put_layout(int64_t run_id, const Layout& l) {
  std::vector<int64_t> piece_offsets;
  std::string piece_bytes;
  if (!l.pieces.empty()) {
    piece_offsets.reserve(l.pieces.size() + 1);
    piece_offsets.push_back(0);
    for (const std::string& p : l.pieces) {
      piece_bytes += p;
      piece_offsets.push_back(int64_t(piece_bytes.size()));
    }
  }
  std::string token_ids = encode_int64(l.token_ids), roles = encode_int8(l.roles),
              chunk_ids = encode_int32(l.chunk_ids), group_ids = encode_int32(l.group_ids),
              raw_index = encode_int64(l.raw_index), positions = encode_int64(l.positions),
              offsets = encode_int64(piece_offsets);
  Statement& s = st_->layout;
  s.bind(1, run_id)
      .bind_text(2, l.settings_json)
      .bind(3, l.length())
      .bind(4, l.num_levels())
      .bind(5, l.prefix_length)
      .bind(6, l.sink_length)
      .bind_blob(7, token_ids)
      .bind_blob(8, roles)
      .bind_blob(9, chunk_ids)
      .bind_blob(10, group_ids)
      .bind_blob(11, raw_index)
      .bind_blob(12, positions);
  if (l.pieces.empty()) {
    s.bind_null(13).bind_null(14);
  } else {
    s.bind_blob(13, offsets).bind_blob(14, piece_bytes);
  }
  s.run("writing a layout");
  RunIds& ids = run_ids_[run_id];
  ids.num_levels = l.num_levels();
  ids.chunk_ids = l.chunk_ids;
  ids.group_ids = l.group_ids;
}

void RecordStore::put_mask(int64_t run_id, const BlockMask& m) {
  std::string offsets = encode_int64(m.row_offsets), blocks = encode_int32(m.key_blocks),
              kinds = encode_uint8(m.kinds);
  int64_t query_blocks = m.row_offsets.empty() ? 0 : int64_t(m.row_offsets.size()) - 1;
  st_->mask.bind(1, run_id)
      .bind(2, m.block_size)
      .bind(3, m.previous_chunks)
      .bind(4, query_blocks)
      .bind(5, int64_t(m.key_blocks.size()))
      .bind_blob(6, offsets)
      .bind_blob(7, blocks)
      .bind_blob(8, kinds)
      .run("writing a mask");
}

void RecordStore::put_train_step(int64_t run_id, const TrainStepRecord& t) {
  st_->train.bind(1, run_id)
      .bind(2, t.step)
      .bind(3, int64_t(t.is_eval))
      .bind(4, t.loss)
      .bind(5, t.learning_rate)
      .bind(6, t.tokens_per_second)
      .bind(7, t.grad_norm)
      .run("writing a train step");
}

void RecordStore::put_decode_step(int64_t run_id, const DecodeStepRecord& d) {
  st_->decode.bind(1, run_id)
      .bind(2, d.step)
      .bind(3, d.token_id)
      .bind_text(4, d.text)
      .bind(5, d.seconds)
      .bind(6, d.keys_scored)
      .bind(7, d.keys_read)
      .bind(8, d.full_mass_coverage)
      .bind(9, int64_t(d.answer_unfolded))
      .run("writing a decode step");
}

int64_t RecordStore::candidate_set_id(int64_t run_id, const std::vector<int64_t>& positions) {
  uint64_t h = hash_positions(run_id, positions);
  auto range = known_sets_.equal_range(h);
  for (auto it = range.first; it != range.second; ++it) {
    if (it->second.run_id == run_id && it->second.positions == positions) return it->second.id;
  }
  std::string blob = encode_int32_from64(positions.data(), positions.size());
  st_->candidate_set.bind(1, run_id)
      .bind(2, int64_t(positions.size()))
      .bind_blob(3, blob)
      .run("writing a candidate set");
  int64_t id = sqlite3_last_insert_rowid(db_.get());
  if (known_set_entries_ + positions.size() > kMaxKnownSetEntries) {
    known_sets_.clear();
    known_set_entries_ = 0;
  }
  known_sets_.emplace(h, KnownSet{id, run_id, positions});
  known_set_entries_ += positions.size() + 8;
  return id;
}

void RecordStore::put_layer_step(int64_t run_id, const LayerStep& r) {
  std::vector<EncodedLevel> levels = encode_layer_step(r, score_dtype_);
  Statement& s = st_->level;
  for (const EncodedLevel& e : levels) {
    s.bind(1, run_id).bind(2, r.step).bind(3, r.layer).bind(4, e.level).bind(5, e.rows);
    if (e.has_scores) {
      s.bind_blob(6, e.heads).bind(7, candidate_set_id(run_id, e.candidates));
      if (e.has_score_offsets) {
        s.bind_blob(8, e.score_offsets);
      } else {
        s.bind_null(8);
      }
      s.bind(9, e.score_dtype).bind_blob(10, e.scores);
    } else {
      s.bind_null(6).bind_null(7).bind_null(8).bind_null(9).bind_null(10);
    }
    s.bind(11, e.chosen_rows);
    if (e.has_selection) {
      s.bind_blob(12, e.chosen_heads).bind_blob(13, e.chosen_offsets).bind_blob(14, e.chosen);
    } else {
      s.bind_null(12).bind_null(13).bind_null(14);
    }
    s.run("writing a layer step");
  }
  // Unfolds: map each chosen gist to the chunk (or group) it closes.
  auto ids = run_ids_.find(run_id);
  if (ids == run_ids_.end()) return;  // no layout recorded: positions cannot be mapped
  const RunIds& map = ids->second;
  int64_t length = int64_t(map.chunk_ids.size());
  uint64_t layer_bit = r.layer < 64 ? (uint64_t(1) << r.layer) : 0;
  for (const LevelSelection& sel : r.selections) {
    if (sel.level >= map.num_levels) continue;
    StepUnfolds& agg = unfolds_[{run_id, r.step, sel.level}];
    for (int64_t p : sel.chosen) {
      if (p >= length) continue;  // a suffix gist (gists in generation) beyond the layout
      int32_t id = sel.level == 0 ? map.chunk_ids[p]
                                  : map.group_ids[p * (map.num_levels - 1) + (sel.level - 1)];
      if (id < 0) continue;
      if (size_t(id) >= agg.picks.size()) {
        agg.picks.resize(size_t(id) + 1, 0);
        agg.layer_masks.resize(size_t(id) + 1, 0);
      }
      agg.layer_masks[size_t(id)] |= layer_bit;
      agg.picks[size_t(id)] += 1;
    }
  }
}

void RecordStore::flush_unfolds() {
  Statement& s = st_->unfold;
  for (const auto& [key, agg] : unfolds_) {
    for (size_t id = 0; id < agg.picks.size(); ++id) {
      if (agg.picks[id] == 0) continue;
      s.bind(1, std::get<0>(key))
          .bind(2, std::get<2>(key))
          .bind(3, int64_t(id))
          .bind(4, std::get<1>(key))
          .bind(5, int64_t(agg.layer_masks[id]))
          .bind(6, int64_t(agg.picks[id]))
          .run("writing unfolds");
    }
  }
  unfolds_.clear();
}

void RecordStore::end_run(int64_t run_id, int64_t dropped_details) {
  st_->end_run.bind(1, run_id).bind(2, dropped_details).run("finishing a run");
}

void RecordStore::fail_run(int64_t run_id, const std::string& reason, int64_t dropped_details) {
  st_->fail_run.bind(1, run_id)
      .bind(2, dropped_details)
      .bind_text(3, reason)
      .run("recording a failed run");
}

void RecordStore::reopen_run(int64_t run_id, int64_t last_kept_step) {
  st_->reopen_run.bind(1, run_id).run("continuing a run");
  if (sqlite3_changes(db_.get()) == 0)
    throw Error(db_.path() + ": no run " + std::to_string(run_id) + " to continue");
  st_->cut_train_steps.bind(1, run_id).bind(2, last_kept_step).run("continuing a run");
}

void RecordStore::set_dropped(int64_t run_id, int64_t dropped_details) {
  st_->dropped.bind(1, run_id).bind(2, dropped_details).run("storing the drop counter");
}

}  // namespace ssa::sessions
