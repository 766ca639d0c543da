// Reader: see reader.h. Every getter is one indexed query; decoding goes
// through layer_step_codec / blob_codec, which validate untrusted bytes.
#include "sessions/reader.h"

#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <unordered_map>

#include "sessions/blob_codec.h"
#include "sessions/bookmark_rows.h"
#include "sessions/layer_step_codec.h"
#include "sessions/record_checks.h"
#include "sessions/recording_format.h"
#include "sessions/sqlite_db.h"

namespace ssa::sessions {

struct Reader::Impl {
  explicit Impl(const std::string& p)
      : path(p), db((check_recording_file(p), p), SQLITE_OPEN_READONLY) {
    sqlite3_busy_timeout(db.get(), 2000);
    // Memory-map what we read: blob reads become page-cache copies.
    db.exec("PRAGMA mmap_size = 1073741824", "setting mmap");
    version = check_recording_identity(db);
    data_version = db.query_int("PRAGMA data_version", "reading data_version");
  }

  std::string path;
  Db db;
  int version = 0;
  int64_t data_version = 0;
  // Candidate sets never change once written: cache them (bounded).
  std::unordered_map<int64_t, std::vector<int64_t>> candidate_sets;
  size_t candidate_entries = 0;
  std::map<std::string, std::unique_ptr<Statement>> statements;
  // Per run, checked once and dropped when the file changes: the layout
  // (without pieces) that layer steps are checked against, and the step ranges.
  // Shared, so that a caller keeps what it holds when a refresh drops them.
  std::unordered_map<int64_t, std::shared_ptr<const Layout>> layouts;
  std::unordered_map<int64_t, std::shared_ptr<const RunInfo>> run_infos;
  int64_t cached_version = -1;  // data_version they were read at

  void forget_runs() {
    layouts.clear();
    run_infos.clear();
  }
  // A live Writer may have replaced a layout since: cheap to ask.
  void drop_stale_runs() {
    const int64_t v = db.query_int("PRAGMA data_version", "reading data_version");
    if (v != cached_version) forget_runs(), cached_version = v;
  }

  Statement& stmt(const char* sql) {
    auto it = statements.find(sql);
    if (it == statements.end()) {
      it = statements.emplace(sql, std::make_unique<Statement>(db, sql)).first;
    }
    it->second->reset();
    return *it->second;
  }

  [[noreturn]] void corrupt(const std::string& what, const std::string& why) const {
    throw FormatError(path + ": corrupt " + what + " (" + why + ")");
  }

  const std::vector<int64_t>& candidate_set(int64_t id) {
    auto it = candidate_sets.find(id);
    if (it != candidate_sets.end()) return it->second;
    Statement& s = stmt("SELECT count, positions FROM candidate_sets WHERE id = ?1");
    s.bind(1, id);
    if (!s.step("reading a candidate set"))
      corrupt("candidate set", "id " + std::to_string(id) + " missing");
    std::vector<int64_t> positions;
    try {
      const void* p = s.blob(1);
      positions = decode_candidate_set(BlobView{p, s.blob_size(1)}, s.int64(0));
    } catch (const BlobError& e) {
      corrupt("candidate set " + std::to_string(id), e.what());
    }
    s.reset();
    if (candidate_entries + positions.size() > (size_t(8) << 20)) {
      candidate_sets.clear();
      candidate_entries = 0;
    }
    candidate_entries += positions.size();
    return candidate_sets.emplace(id, std::move(positions)).first->second;
  }

  // The run's checked layout for layer-step checks (null: none recorded).
  std::shared_ptr<const Layout> run_layout(Reader& reader, int64_t run_id) {
    drop_stale_runs();
    auto it = layouts.find(run_id);
    if (it == layouts.end()) {
      std::shared_ptr<Layout> l;
      if (std::optional<Layout> read = reader.layout(run_id)) {
        read->pieces.clear();
        l = std::make_shared<Layout>(std::move(*read));
      }
      it = layouts.emplace(run_id, std::move(l)).first;
    }
    return it->second;
  }

  // The run's checked row (a default RunInfo, bounds unknown, when none).
  std::shared_ptr<const RunInfo> run_info(Reader& reader, int64_t run_id) {
    drop_stale_runs();
    auto it = run_infos.find(run_id);
    if (it == run_infos.end()) {
      std::optional<RunInfo> r = reader.run(run_id);
      it = run_infos.emplace(run_id, std::make_shared<const RunInfo>(r ? std::move(*r) : RunInfo{}))
               .first;
    }
    return it->second;
  }

  // Refuses a layer step that does not fit its run (the table and row named).
  void check_in_run(Reader& reader, const LayerStep& r, int64_t run_id) {
    const std::shared_ptr<const Layout> l = run_layout(reader, run_id);
    if (!l) return;  // nothing to index with: the viewers need a layout first
    const std::shared_ptr<const RunInfo> run = run_info(reader, run_id);
    try {
      validate_layer_step_in_run(r, *l, *run);
    } catch (const std::invalid_argument& e) {
      corrupt("level_records row (run " + std::to_string(run_id) + ", step " +
                  std::to_string(r.step) + ", layer " + std::to_string(r.layer) + ")",
              e.what());
    }
  }

  StepRange range(const char* sql, int64_t run_id) {
    Statement& s = stmt(sql);
    s.bind(1, run_id);
    StepRange r;
    if (s.step("reading a step range") && s.int64(0) > 0) {
      r.count = s.int64(0);
      r.first = s.int64(1);
      r.last = s.int64(2);
    }
    s.reset();
    return r;
  }
};

namespace {

// A runs row, checked (sessions/record_checks.h and the config_json keys of
// schema.sql, through SQLite's JSON functions).
RunInfo run_from(Reader::Impl& impl, const Statement& s) {
  RunInfo r;
  r.id = s.int64(0);
  r.name = s.text(1);
  r.kind = s.text(2);
  r.config_json = s.text(3);
  r.model_hash = s.text(4);
  r.created_utc = s.text(5);
  const int64_t layers = s.int64(6), heads = s.int64(7), levels = s.int64(8);
  const int64_t finished = s.int64(9);
  r.dropped_details = s.int64(10);
  if (!s.is_null(11)) r.failure = s.text(11);
  const std::string row = "runs row " + std::to_string(r.id);
  if (finished != 0 && finished != 1)
    impl.corrupt(row, "finished is " + std::to_string(finished) + ", not 0 or 1");
  if (finished == 1 && !r.failure.empty()) impl.corrupt(row, "both finished and failed");
  auto narrow = [&](int64_t v, const char* what) {
    if (v < INT32_MIN || v > INT32_MAX) impl.corrupt(row, std::string(what) + " out of range");
    return int32_t(v);
  };
  r.num_layers = narrow(layers, "num_layers");
  r.num_score_heads = narrow(heads, "num_score_heads");
  r.num_levels = narrow(levels, "num_levels");
  r.finished = finished == 1;
  try {
    validate_run(r);
  } catch (const std::invalid_argument& e) {
    impl.corrupt(row, e.what());
  }
  // The config keys the viewers read (schema.sql): one query, NULL when fine.
  Statement& c = impl.stmt(
      "SELECT CASE WHEN NOT json_valid(?1) THEN 'not valid JSON'"
      " WHEN json_type(?1) != 'object' THEN 'not a JSON object'"
      " ELSE (SELECT k || ' is ' || coalesce(json_type(?1, '$.' || k), '?') || ', expected ' || t"
      "  FROM (SELECT 'task' AS k, 'text' AS t UNION ALL SELECT 'answer', 'text'"
      "   UNION ALL SELECT 'baseline', 'text' UNION ALL SELECT 'mode', 'text'"
      "   UNION ALL SELECT 'k', 'integer' UNION ALL SELECT 'answer_chunk', 'integer'"
      "   UNION ALL SELECT 'answer_position', 'integer' UNION ALL SELECT 'answer_chunks', 'array'"
      "   UNION ALL SELECT 'answer_positions', 'array' UNION ALL SELECT 'shadow_full', 'boolean')"
      "  WHERE json_type(?1, '$.' || k) IS NOT NULL AND json_type(?1, '$.' || k) != 'null'"
      "   AND NOT (json_type(?1, '$.' || k) = t OR (t = 'boolean'"
      "    AND json_type(?1, '$.' || k) IN ('true', 'false')))"
      "  UNION ALL SELECT k || ' holds a ' || e.type || ', expected integers'"
      "  FROM (SELECT 'answer_chunks' AS k UNION ALL SELECT 'answer_positions')"
      "  JOIN json_each(?1, '$.' || k) AS e"
      "  WHERE json_type(?1, '$.' || k) = 'array' AND e.type != 'integer' LIMIT 1) END");
  c.bind_text(1, r.config_json);
  std::string problem;
  if (c.step("checking config_json") && !c.is_null(0)) problem = c.text(0);
  c.reset();
  if (!problem.empty()) impl.corrupt(row, "config_json: " + problem);
  return r;
}

// Version 1 files have no failure column.
std::string run_columns(int version) {
  return std::string(
             "SELECT id, name, kind, config_json, model_hash, created_utc, num_layers,"
             " num_score_heads, num_levels, finished, dropped_details, ") +
         (version >= 2 ? "failure" : "NULL") + " FROM runs";
}

BlobView view(const Statement& s, int column) {
  const void* p = s.blob(column);  // sqlite: blob before bytes
  return BlobView{p, s.blob_size(column)};
}

}  // namespace

Reader::Reader(const std::string& path) : impl_(std::make_unique<Impl>(path)) {}
Reader::~Reader() = default;
Reader::Reader(Reader&&) noexcept = default;
Reader& Reader::operator=(Reader&&) noexcept = default;

const std::string& Reader::path() const {
  return impl_->path;
}
int Reader::format_version() const {
  return impl_->version;
}

bool Reader::refresh() {
  // A statement left mid-way (an error thrown while reading) would keep its
  // read snapshot: release every snapshot so the next query sees new commits.
  for (auto& [sql, statement] : impl_->statements) statement->reset();
  int64_t v = impl_->db.query_int("PRAGMA data_version", "reading data_version");
  bool changed = v != impl_->data_version;
  impl_->data_version = v;
  if (changed) impl_->forget_runs();
  return changed;
}

std::vector<RunInfo> Reader::runs() {
  const std::string sql = run_columns(impl_->version) + " ORDER BY id";
  Statement& s = impl_->stmt(sql.c_str());
  std::vector<RunInfo> out;
  try {
    while (s.step("listing runs")) out.push_back(run_from(*impl_, s));
  } catch (...) {
    s.reset();
    throw;
  }
  return out;
}

std::optional<RunInfo> Reader::run(int64_t run_id) {
  const std::string sql = run_columns(impl_->version) + " WHERE id = ?1";
  Statement& s = impl_->stmt(sql.c_str());
  s.bind(1, run_id);
  if (!s.step("reading a run")) return std::nullopt;
  std::optional<RunInfo> r;
  try {
    r = run_from(*impl_, s);
  } catch (...) {
    s.reset();
    throw;
  }
  s.reset();
  return r;
}

std::optional<Layout> Reader::layout(int64_t run_id) {
  Statement& s = impl_->stmt(
      "SELECT settings_json, length, num_levels, prefix_length, sink_length, token_ids, roles,"
      " chunk_ids, group_ids, raw_index, positions, piece_offsets, piece_bytes"
      " FROM layouts WHERE run_id = ?1");
  s.bind(1, run_id);
  if (!s.step("reading a layout")) return std::nullopt;
  Layout l;
  try {
    l.settings_json = s.text(0);
    int64_t n = s.int64(1);
    int64_t levels = s.int64(2);
    if (n < 0 || levels < 1 || levels > 64) throw BlobError("bad length or level count");
    l.prefix_length = s.int64(3);
    l.sink_length = s.int64(4);
    BlobView b = view(s, 5);
    l.token_ids = decode_ints(b.data, b.size, int(Dtype::kInt64), n);
    b = view(s, 6);
    l.roles = decode_int8(b.data, b.size, int(Dtype::kInt8), n);
    b = view(s, 7);
    l.chunk_ids = decode_int32(b.data, b.size, int(Dtype::kInt32), n);
    b = view(s, 8);
    l.group_ids = decode_int32(b.data, b.size, int(Dtype::kInt32), n * (levels - 1));
    b = view(s, 9);
    l.raw_index = decode_ints(b.data, b.size, int(Dtype::kInt64), n);
    b = view(s, 10);
    l.positions = decode_ints(b.data, b.size, int(Dtype::kInt64), n);
    if (!s.is_null(11)) {
      b = view(s, 11);
      std::vector<int64_t> off = decode_ints(b.data, b.size, int(Dtype::kInt64), n + 1);
      BlobView bytes = view(s, 12);
      const char* text = static_cast<const char*>(bytes.data);
      l.pieces.reserve(size_t(n));
      for (int64_t i = 0; i < n; ++i) {
        if (off[i] < 0 || off[i] > off[i + 1] || uint64_t(off[i + 1]) > bytes.size) {
          throw BlobError("piece offsets outside the text");
        }
        l.pieces.emplace_back(text ? text + off[i] : "", size_t(off[i + 1] - off[i]));
      }
    }
    validate_layout(l);
  } catch (const BlobError& e) {
    s.reset();
    impl_->corrupt("layouts row of run " + std::to_string(run_id), e.what());
  } catch (const std::invalid_argument& e) {
    s.reset();
    impl_->corrupt("layouts row of run " + std::to_string(run_id), e.what());
  }
  s.reset();
  return l;
}

std::optional<BlockMask> Reader::mask(int64_t run_id) {
  Statement& s = impl_->stmt(
      "SELECT block_size, previous_chunks, query_blocks, entries, row_offsets, key_blocks, kinds"
      " FROM masks WHERE run_id = ?1");
  s.bind(1, run_id);
  if (!s.step("reading a mask")) return std::nullopt;
  BlockMask m;
  try {
    m.block_size = int32_t(s.int64(0));
    m.previous_chunks = int32_t(s.int64(1));
    int64_t rows = s.int64(2), entries = s.int64(3);
    if (rows < 0 || entries < 0) throw BlobError("negative size");
    BlobView b = view(s, 4);
    m.row_offsets = decode_ints(b.data, b.size, int(Dtype::kInt64), rows == 0 ? 0 : rows + 1);
    b = view(s, 5);
    m.key_blocks = decode_int32(b.data, b.size, int(Dtype::kInt32), entries);
    b = view(s, 6);
    m.kinds = decode_uint8(b.data, b.size, int(Dtype::kUint8), entries);
    validate_mask(m);
  } catch (const BlobError& e) {
    s.reset();
    impl_->corrupt("masks row of run " + std::to_string(run_id), e.what());
  } catch (const std::invalid_argument& e) {
    s.reset();
    impl_->corrupt("masks row of run " + std::to_string(run_id), e.what());
  }
  s.reset();
  // The mask describes (a prefix of) the run's layout, which viewers index.
  Statement& len = impl_->stmt("SELECT length FROM layouts WHERE run_id = ?1");
  len.bind(1, run_id);
  if (len.step("reading a layout length")) {
    const int64_t length = len.int64(0);
    len.reset();
    try {
      validate_mask_fits(m, length);
    } catch (const std::invalid_argument& e) {
      impl_->corrupt("masks row of run " + std::to_string(run_id), e.what());
    }
  }
  len.reset();
  return m;
}

std::vector<TrainStepRecord> Reader::train_steps(int64_t run_id, int64_t first, int64_t last) {
  train_step_range(run_id);  // refuses negative steps, even outside [first, last]
  Statement& s = impl_->stmt(
      "SELECT step, is_eval, loss, learning_rate, tokens_per_second, grad_norm FROM train_steps"
      " WHERE run_id = ?1 AND step BETWEEN ?2 AND ?3 ORDER BY step, is_eval");
  s.bind(1, run_id).bind(2, first).bind(3, last);
  std::vector<TrainStepRecord> out;
  while (s.step("reading train steps")) {
    TrainStepRecord t;
    t.step = s.int64(0);
    t.is_eval = s.int64(1) != 0;
    t.loss = s.real(2);
    t.learning_rate = s.real(3);
    t.tokens_per_second = s.real(4);
    t.grad_norm = s.real(5);
    out.push_back(t);
  }
  return out;
}

std::vector<DecodeStepRecord> Reader::decode_steps(int64_t run_id, int64_t first, int64_t last) {
  decode_step_range(run_id);  // refuses a run whose steps are not one per step
  Statement& s = impl_->stmt(
      "SELECT step, token_id, text, seconds, keys_scored, keys_read, full_mass_coverage,"
      " answer_unfolded FROM decode_steps WHERE run_id = ?1 AND step BETWEEN ?2 AND ?3"
      " ORDER BY step");
  s.bind(1, run_id).bind(2, first).bind(3, last);
  std::vector<DecodeStepRecord> out;
  while (s.step("reading decode steps")) {
    DecodeStepRecord d;
    d.step = s.int64(0);
    d.token_id = s.int64(1);
    d.text = s.text(2);
    d.seconds = s.real(3);
    d.keys_scored = s.int64(4);
    d.keys_read = s.int64(5);
    d.full_mass_coverage = s.real(6);
    d.answer_unfolded = int32_t(s.int64(7));
    out.push_back(std::move(d));
  }
  return out;
}

StepRange Reader::decode_step_range(int64_t run_id) {
  // A decode run has one step after the other from its first: viewers size
  // per-step lanes by the range.
  StepRange r = impl_->range(
      "SELECT count(*), min(step), max(step) FROM decode_steps WHERE run_id = ?1", run_id);
  if (r.count > 0 && (r.first < 0 || r.last - r.first + 1 != r.count)) {
    impl_->corrupt("decode_steps of run " + std::to_string(run_id),
                   std::to_string(r.count) + " rows for steps " + std::to_string(r.first) + ".." +
                       std::to_string(r.last) + ", expected one per step from 0 or later");
  }
  return r;
}

StepRange Reader::train_step_range(int64_t run_id) {
  StepRange r = impl_->range(
      "SELECT count(DISTINCT step), min(step), max(step) FROM train_steps WHERE run_id = ?1",
      run_id);
  if (r.count > 0 && r.first < 0)
    impl_->corrupt("train_steps of run " + std::to_string(run_id),
                   "step " + std::to_string(r.first) + " is negative");
  return r;
}

StepRange Reader::detail_step_range(int64_t run_id) {
  // Reads only the primary-key index (no blobs): a few ms on a 1 GB file.
  StepRange r = impl_->range(
      "SELECT count(DISTINCT step), min(step), max(step) FROM level_records WHERE run_id = ?1",
      run_id);
  if (r.count == 0) return r;
  // Detail belongs to decode steps: within theirs (the next step's detail
  // is committed just before its decode record). Without decode steps, the
  // range holds only recorded steps and those whose records were dropped.
  const StepRange decode = decode_step_range(run_id);
  std::string why;
  if (decode.count > 0) {
    if (r.first < decode.first || r.last > decode.last + 1)
      why = "steps " + std::to_string(r.first) + ".." + std::to_string(r.last) +
            " outside the decode steps " + std::to_string(decode.first) + ".." +
            std::to_string(decode.last);
  } else {
    const int64_t dropped = impl_->run_info(*this, run_id)->dropped_details;
    if (r.first < 0 || r.last - r.first + 1 > r.count + dropped)
      why = "steps " + std::to_string(r.first) + ".." + std::to_string(r.last) + " for " +
            std::to_string(r.count) + " recorded steps";
  }
  if (!why.empty()) impl_->corrupt("level_records of run " + std::to_string(run_id), why);
  return r;
}

int32_t Reader::num_layers(int64_t run_id) {
  Statement& s = impl_->stmt(
      "SELECT min(layer), max(layer) FROM level_records WHERE run_id = ?1 AND step ="
      " (SELECT min(step) FROM level_records WHERE run_id = ?1)");
  s.bind(1, run_id);
  int64_t lo = 0, hi = -1;
  if (s.step("reading layers") && !s.is_null(0)) lo = s.int64(0), hi = s.int64(1);
  s.reset();
  if (hi < 0) return 0;
  const int32_t known = impl_->run_info(*this, run_id)->num_layers;
  const int64_t bound = known > 0 ? known : kMaxLayers;
  if (lo < 0 || hi >= bound)
    impl_->corrupt("level_records of run " + std::to_string(run_id),
                   "layers " + std::to_string(lo) + ".." + std::to_string(hi) + " outside 0.." +
                       std::to_string(bound - 1));
  return int32_t(hi + 1);
}

std::optional<LayerStep> Reader::layer_step(int64_t run_id, int64_t step, int32_t layer) {
  Statement& s = impl_->stmt(
      "SELECT level, rows, heads, candidate_set, score_offsets, score_dtype, scores, chosen_rows,"
      " chosen_heads, chosen_offsets, chosen FROM level_records"
      " WHERE run_id = ?1 AND step = ?2 AND layer = ?3 ORDER BY level");
  s.bind(1, run_id).bind(2, step).bind(3, int64_t(layer));
  LayerStep out;
  out.step = step;
  out.layer = layer;
  bool any = false;
  while (s.step("reading a layer step")) {
    any = true;
    int32_t level = int32_t(s.int64(0));
    try {
      if (!s.is_null(3)) {
        // The candidate set query reuses no statement of ours: safe mid-step.
        const std::vector<int64_t>& candidates = impl_->candidate_set(s.int64(3));
        out.scores.push_back(decode_level_scores(level, s.int64(1), view(s, 2), candidates,
                                                 view(s, 4), !s.is_null(4), int(s.int64(5)),
                                                 view(s, 6)));
      }
      if (!s.is_null(10)) {
        out.selections.push_back(
            decode_level_selection(level, s.int64(7), view(s, 8), view(s, 9), view(s, 10)));
      }
    } catch (const BlobError& e) {
      s.reset();
      impl_->corrupt("level_records row (run " + std::to_string(run_id) + ", step " +
                         std::to_string(step) + ", layer " + std::to_string(layer) + ", level " +
                         std::to_string(level) + ")",
                     e.what());
    }
  }
  if (!any) return std::nullopt;
  impl_->check_in_run(*this, out, run_id);
  return out;
}

std::vector<Reader::ScorePoint> Reader::score_series(int64_t run_id, int32_t layer, int32_t level,
                                                     int32_t head, int64_t position, int64_t first,
                                                     int64_t last) {
  Statement& s = impl_->stmt(
      "SELECT step, rows, heads, candidate_set, score_offsets, score_dtype, scores, chosen_rows,"
      " chosen_heads, chosen_offsets, chosen FROM level_records"
      " WHERE run_id = ?1 AND layer = ?2 AND level = ?3 AND step BETWEEN ?4 AND ?5"
      " ORDER BY step");
  s.bind(1, run_id).bind(2, int64_t(layer)).bind(3, int64_t(level)).bind(4, first).bind(5, last);
  std::vector<ScorePoint> out;
  // Index of `position` within the last candidate set seen (sets repeat).
  int64_t cached_set = -1;
  int64_t cached_index = -1;
  while (s.step("reading a score series")) {
    int64_t step = s.int64(0);
    try {
      if (s.is_null(3)) continue;
      int64_t rows = s.int64(1);
      int64_t row = find_head_row(view(s, 2), rows, head);
      if (row < 0) continue;
      const std::vector<int64_t>& cands = impl_->candidate_set(s.int64(3));
      int64_t index = -1;
      if (s.is_null(4)) {
        if (s.int64(3) != cached_set) {
          auto it = std::find(cands.begin(), cands.end(), position);
          cached_set = s.int64(3);
          cached_index = it == cands.end() ? -1 : int64_t(it - cands.begin());
        }
        if (cached_index >= 0) index = row * int64_t(cands.size()) + cached_index;
      } else {
        BlobView offsets = view(s, 4);
        std::vector<int64_t> off =
            decode_ints(offsets.data, offsets.size, int(Dtype::kInt32), rows + 1);
        if (off[row] < 0 || off[row] > off[row + 1] || uint64_t(off[row + 1]) > cands.size()) {
          throw BlobError("row offsets outside the candidate set");
        }
        auto b = cands.begin() + off[row], e = cands.begin() + off[row + 1];
        auto it = std::find(b, e, position);
        if (it != e) index = int64_t(it - cands.begin());
      }
      if (index < 0) continue;
      BlobView scores = view(s, 6);
      ScorePoint p{step, decode_float_at(scores.data, scores.size, int(s.int64(5)), index), false};
      if (!s.is_null(10)) {
        LevelSelection sel =
            decode_level_selection(level, s.int64(7), view(s, 8), view(s, 9), view(s, 10));
        for (size_t r = 0; r < sel.rows(); ++r) {
          if (sel.heads[r] != head) continue;
          p.chosen = std::find(sel.row_chosen(r), sel.row_chosen(r) + sel.row_size(r), position) !=
                     sel.row_chosen(r) + sel.row_size(r);
        }
      }
      out.push_back(p);
    } catch (const BlobError& e) {
      impl_->corrupt("score record at step " + std::to_string(step), e.what());
    }
  }
  return out;
}

namespace {
Unfold unfold_from(const Statement& s) {
  Unfold u;
  u.level = int32_t(s.int64(0));
  u.id = int32_t(s.int64(1));
  u.step = s.int64(2);
  u.layer_mask = uint64_t(s.int64(3));
  u.picks = int32_t(s.int64(4));
  return u;
}
}  // namespace

std::vector<Unfold> Reader::unfolds(int64_t run_id, int32_t level, int32_t id, int64_t first,
                                    int64_t last) {
  // Clamp to the recorded steps (two key lookups), then one primary-key
  // lookup per step, generated inside SQLite (rows are step-major on disk).
  // (Separate subqueries: SQLite answers a lone min() or max() from the index.)
  Statement& r = impl_->stmt(
      "SELECT (SELECT min(step) FROM unfolds WHERE run_id = ?1 AND level = ?2),"
      " (SELECT max(step) FROM unfolds WHERE run_id = ?1 AND level = ?2)");
  r.bind(1, run_id).bind(2, int64_t(level));
  // Reset before returning: an unfinished statement would hold its read
  // snapshot and hide what a live Writer commits next.
  bool any = r.step("reading unfolds") && !r.is_null(0);
  if (any) {
    first = std::max(first, r.int64(0));
    last = std::min(last, r.int64(1));
  }
  r.reset();
  if (!any) return {};
  if (first > last) return {};
  Statement& s = impl_->stmt(
      "WITH RECURSIVE steps(x) AS (SELECT ?4 UNION ALL SELECT x + 1 FROM steps WHERE x < ?5)"
      " SELECT u.level, u.id, u.step, u.layer_mask, u.picks FROM steps"
      " JOIN unfolds u ON u.run_id = ?1 AND u.level = ?2 AND u.step = steps.x AND u.id = ?3"
      " ORDER BY u.step");
  s.bind(1, run_id).bind(2, int64_t(level)).bind(3, int64_t(id)).bind(4, first).bind(5, last);
  std::vector<Unfold> out;
  while (s.step("reading unfolds")) out.push_back(unfold_from(s));
  return out;
}

std::vector<Unfold> Reader::unfolds_at(int64_t run_id, int64_t step) {
  // From the step's selections (primary key prefix), mapped to chunk and
  // group ids through the run's checked layout.
  const std::shared_ptr<const Layout> layout = impl_->run_layout(*this, run_id);
  if (!layout) return {};
  const Layout& l = *layout;
  Statement& s = impl_->stmt(
      "SELECT layer, level, chosen_rows, chosen_heads, chosen_offsets, chosen FROM level_records"
      " WHERE run_id = ?1 AND step = ?2 AND chosen IS NOT NULL");
  s.bind(1, run_id).bind(2, step);
  std::map<std::pair<int32_t, int32_t>, Unfold> agg;
  std::vector<LayerStep> checks;  // checked after the scan: the check reads other tables
  while (s.step("reading selections")) {
    LayerStep one;
    one.step = step;
    one.layer = int32_t(std::clamp<int64_t>(s.int64(0), -1, INT32_MAX));
    const int64_t level = s.int64(1);
    try {
      if (level < 0 || level >= l.num_levels()) throw BlobError("level outside the layout");
      one.selections.push_back(
          decode_level_selection(int32_t(level), s.int64(2), view(s, 3), view(s, 4), view(s, 5)));
    } catch (const BlobError& e) {
      s.reset();
      impl_->corrupt("level_records row (run " + std::to_string(run_id) + ", step " +
                         std::to_string(step) + ", layer " + std::to_string(one.layer) +
                         ", level " + std::to_string(level) + ")",
                     e.what());
    }
    checks.push_back(std::move(one));
  }
  for (const LayerStep& one : checks) impl_->check_in_run(*this, one, run_id);
  for (const LayerStep& one : checks) {
    const int64_t layer = one.layer;
    const LevelSelection& sel = one.selections.front();
    const int32_t level = sel.level;
    for (int64_t p : sel.chosen) {
      int32_t id = l.id(p, level);
      Unfold& u = agg[{level, id}];
      u.step = step;
      u.level = level;
      u.id = id;
      if (layer >= 0 && layer < 64) u.layer_mask |= uint64_t(1) << layer;
      u.picks += 1;
    }
  }
  std::vector<Unfold> out;
  out.reserve(agg.size());
  for (auto& [key, u] : agg) out.push_back(u);
  return out;
}

std::vector<Bookmark> Reader::bookmarks(int64_t run_id) {
  std::vector<Bookmark> out =
      read_bookmark_rows(impl_->stmt(kBookmarksOfRunSql), run_id, "reading bookmarks");
  const std::shared_ptr<const Layout> l = impl_->run_layout(*this, run_id);
  for (const Bookmark& b : out) {
    if (b.step < -1 || b.layer < -1 || b.position < -1 || (l && b.position >= l->length()))
      impl_->corrupt("bookmarks row " + std::to_string(b.id),
                     "step, layer or position outside the run");
  }
  return out;
}

int64_t Reader::file_bytes() {
  struct stat st;
  int64_t n = 0;
  if (::stat(impl_->path.c_str(), &st) == 0) n += int64_t(st.st_size);
  if (::stat((impl_->path + "-wal").c_str(), &st) == 0) n += int64_t(st.st_size);
  return n;
}

std::vector<TableSize> Reader::table_sizes() {
  std::vector<TableSize> out;
  Statement* s = nullptr;
  try {
    s = &impl_->stmt(
        "SELECT name, sum(pgsize) FROM dbstat"
        " GROUP BY name ORDER BY 2 DESC");
  } catch (const Error&) {
    return out;  // SQLite built without dbstat: sizes unknown
  }
  while (s->step("measuring tables")) out.push_back(TableSize{s->text(0), s->int64(1), -1});
  for (TableSize& t : out) {
    if (t.table.rfind("sqlite_", 0) == 0) continue;
    std::string sql = "SELECT count(*) FROM \"" + t.table + "\"";
    // Indexes fail this query: their row count stays -1.
    sqlite3_stmt* q = nullptr;
    if (sqlite3_prepare_v2(impl_->db.get(), sql.c_str(), -1, &q, nullptr) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW) {
      t.rows = sqlite3_column_int64(q, 0);
    }
    sqlite3_finalize(q);
  }
  return out;
}

}  // namespace ssa::sessions
