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
  // Layouts (without pieces) for unfolds_at; dropped when the file changes.
  std::unordered_map<int64_t, Layout> layout_ids;

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

RunInfo run_from(const Statement& s) {
  RunInfo r;
  r.id = s.int64(0);
  r.name = s.text(1);
  r.kind = s.text(2);
  r.config_json = s.text(3);
  r.model_hash = s.text(4);
  r.created_utc = s.text(5);
  r.num_layers = int32_t(s.int64(6));
  r.num_score_heads = int32_t(s.int64(7));
  r.num_levels = int32_t(s.int64(8));
  r.finished = s.int64(9) != 0;
  r.dropped_details = s.int64(10);
  return r;
}

constexpr const char* kRunColumns =
    "SELECT id, name, kind, config_json, model_hash, created_utc, num_layers, num_score_heads,"
    " num_levels, finished, dropped_details FROM runs";

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
  if (changed) impl_->layout_ids.clear();
  return changed;
}

std::vector<RunInfo> Reader::runs() {
  static const std::string sql = std::string(kRunColumns) + " ORDER BY id";
  Statement& s = impl_->stmt(sql.c_str());
  std::vector<RunInfo> out;
  while (s.step("listing runs")) out.push_back(run_from(s));
  return out;
}

std::optional<RunInfo> Reader::run(int64_t run_id) {
  static const std::string sql = std::string(kRunColumns) + " WHERE id = ?1";
  Statement& s = impl_->stmt(sql.c_str());
  s.bind(1, run_id);
  if (!s.step("reading a run")) return std::nullopt;
  RunInfo r = run_from(s);
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
    if (l.prefix_length < 0 || l.prefix_length > n || l.sink_length < 0 || l.sink_length > n) {
      throw BlobError("prefix or sink outside the stream");
    }
  } catch (const BlobError& e) {
    impl_->corrupt("layout of run " + std::to_string(run_id), e.what());
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
    if (!m.row_offsets.empty() && (m.row_offsets.front() != 0 || m.row_offsets.back() != entries)) {
      throw BlobError("row offsets do not span the entries");
    }
  } catch (const BlobError& e) {
    impl_->corrupt("mask of run " + std::to_string(run_id), e.what());
  }
  s.reset();
  return m;
}

std::vector<TrainStepRecord> Reader::train_steps(int64_t run_id, int64_t first, int64_t last) {
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
  return impl_->range("SELECT count(*), min(step), max(step) FROM decode_steps WHERE run_id = ?1",
                      run_id);
}

StepRange Reader::train_step_range(int64_t run_id) {
  return impl_->range(
      "SELECT count(DISTINCT step), min(step), max(step) FROM train_steps WHERE run_id = ?1",
      run_id);
}

StepRange Reader::detail_step_range(int64_t run_id) {
  // Reads only the primary-key index (no blobs): a few ms on a 1 GB file.
  return impl_->range(
      "SELECT count(DISTINCT step), min(step), max(step) FROM level_records WHERE run_id = ?1",
      run_id);
}

int32_t Reader::num_layers(int64_t run_id) {
  Statement& s = impl_->stmt(
      "SELECT max(layer) FROM level_records WHERE run_id = ?1 AND step ="
      " (SELECT min(step) FROM level_records WHERE run_id = ?1)");
  s.bind(1, run_id);
  int32_t n = 0;
  if (s.step("reading layers") && !s.is_null(0)) n = int32_t(s.int64(0)) + 1;
  s.reset();
  return n;
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
      impl_->corrupt("layer step " + std::to_string(step) + "/" + std::to_string(layer) +
                         " of run " + std::to_string(run_id),
                     e.what());
    }
  }
  if (!any) return std::nullopt;
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
  // group ids through the run's layout.
  auto ids = impl_->layout_ids.find(run_id);
  if (ids == impl_->layout_ids.end()) {
    std::optional<Layout> l = layout(run_id);
    if (!l) return {};
    l->pieces.clear();
    ids = impl_->layout_ids.emplace(run_id, std::move(*l)).first;
  }
  const Layout& l = ids->second;
  Statement& s = impl_->stmt(
      "SELECT layer, level, chosen_rows, chosen_heads, chosen_offsets, chosen FROM level_records"
      " WHERE run_id = ?1 AND step = ?2 AND chosen IS NOT NULL");
  s.bind(1, run_id).bind(2, step);
  std::map<std::pair<int32_t, int32_t>, Unfold> agg;
  while (s.step("reading selections")) {
    int64_t layer = s.int64(0);
    int32_t level = int32_t(s.int64(1));
    if (level < 0 || level >= l.num_levels()) continue;
    LevelSelection sel;
    try {
      sel = decode_level_selection(level, s.int64(2), view(s, 3), view(s, 4), view(s, 5));
    } catch (const BlobError& e) {
      impl_->corrupt("selection at step " + std::to_string(step), e.what());
    }
    for (int64_t p : sel.chosen) {
      if (p >= l.length()) continue;
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
  return read_bookmark_rows(impl_->stmt(kBookmarksOfRunSql), run_id, "reading bookmarks");
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
