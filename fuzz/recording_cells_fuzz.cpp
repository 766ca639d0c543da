// libFuzzer target: a valid recording whose cells the input rewrites -- a
// role byte, a chosen position, a step, a mask offset, a run's counts -- then
// read through sessions::Reader with every getter a viewer uses. Random bytes
// (recording_reader_fuzz) rarely get past SQLite's own checks; this reaches
// the values the Reader must refuse because viewers index with them.
// Anything but a clean sessions::Error is a bug.
#include <sqlite3.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "fuzz/read_recording.h"
#include "sessions/writer.h"
#include "tests/sessions/synthetic_trace.h"

namespace {

namespace st = ssa::sessions::testing;

std::string scratch_dir() {
  return ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
}

// The recording every input starts from: two runs (SSA and H-SSA), layouts,
// masks, decode and train steps, layer steps, a bookmark.
const std::string& base_bytes() {
  static const std::string bytes = [] {
    const std::string path =
        scratch_dir() + "/ssa_fuzz_cells_base_" + std::to_string(::getpid()) + ".ssarec";
    std::remove(path.c_str());
    {
      ssa::sessions::Writer w(path);
      for (int levels : {1, 2}) {
        st::TraceShape shape;
        shape.levels = levels;
        shape.chunks = 12;
        const ssa::sessions::Layout layout = st::make_layout(shape);
        ssa::sessions::RunInfo info = st::named_run(levels == 1 ? "ssa" : "h-ssa");
        info.num_layers = shape.layers;
        info.num_score_heads = shape.heads;
        info.num_levels = levels;
        info.config_json = R"({"task":"passkey","k":2,"answer":"12","answer_chunk":3})";
        const int64_t run = w.begin_run(info);
        w.write_layout(run, layout);
        w.write_mask(run, st::make_mask(layout, 16));
        for (int s = 0; s < 3; ++s) {
          for (int l = 0; l < shape.layers; ++l)
            w.write_layer_step(run, st::make_layer_step(shape, layout, s, l));
          w.write_decode_step(run, st::make_decode_step(s));
          w.write_train_step(run, {s, 1.0, 1e-3, 10, 1, false});
        }
        w.end_run(run);
      }
    }
    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    sqlite3_exec(db,
                 "INSERT INTO bookmarks(run_id, step, layer, position, name, created_utc)"
                 " VALUES (1, 1, 0, 5, 'b', 'now'); PRAGMA page_size = 1024; VACUUM;",
                 nullptr, nullptr, nullptr);
    sqlite3_close(db);
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    std::remove(path.c_str());
    return text.str();
  }();
  return bytes;
}

// The cells an input may rewrite: blobs get a byte changed, integers a value.
struct Cell {
  const char* table;
  const char* column;
  bool blob;
};
constexpr Cell kCells[] = {
    {"layouts", "roles", true},
    {"layouts", "chunk_ids", true},
    {"layouts", "group_ids", true},
    {"layouts", "raw_index", true},
    {"layouts", "piece_offsets", true},
    {"layouts", "length", false},
    {"layouts", "num_levels", false},
    {"layouts", "prefix_length", false},
    {"masks", "row_offsets", true},
    {"masks", "key_blocks", true},
    {"masks", "kinds", true},
    {"masks", "block_size", false},
    {"masks", "query_blocks", false},
    {"level_records", "heads", true},
    {"level_records", "chosen", true},
    {"level_records", "chosen_heads", true},
    {"level_records", "chosen_offsets", true},
    {"level_records", "score_offsets", true},
    {"level_records", "scores", true},
    {"level_records", "rows", false},
    {"level_records", "chosen_rows", false},
    {"level_records", "step", false},
    {"level_records", "layer", false},
    {"level_records", "level", false},
    {"level_records", "candidate_set", false},
    {"level_records", "score_dtype", false},
    {"candidate_sets", "positions", true},
    {"candidate_sets", "count", false},
    {"decode_steps", "step", false},
    {"train_steps", "step", false},
    {"runs", "num_layers", false},
    {"runs", "num_score_heads", false},
    {"runs", "num_levels", false},
    {"runs", "finished", false},
    {"runs", "dropped_details", false},
    {"bookmarks", "position", false},
    {"bookmarks", "step", false},
    {"unfolds", "id", false},
};
constexpr int64_t kValues[] = {0,
                               1,
                               -1,
                               2,
                               3,
                               7,
                               64,
                               255,
                               -2,
                               16,
                               17,
                               1 << 20,
                               0x7fffffff,
                               int64_t(1) << 31,
                               int64_t(1) << 62,
                               -(int64_t(1) << 62)};

struct Input {
  const uint8_t* data;
  size_t size, at = 0;
  bool more() const { return at < size; }
  uint8_t byte() { return at < size ? data[at++] : 0; }
};

void apply(sqlite3* db, Input& in) {
  const Cell& cell = kCells[in.byte() % (sizeof kCells / sizeof kCells[0])];
  const int row = in.byte() % 24;
  const std::string where = std::string(" WHERE rowid = (SELECT rowid FROM ") + cell.table +
                            " LIMIT 1 OFFSET " + std::to_string(row) + ")";
  if (!cell.blob) {
    const int64_t v = kValues[in.byte() % (sizeof kValues / sizeof kValues[0])];
    const std::string sql = std::string("UPDATE ") + cell.table + " SET " + cell.column + " = " +
                            std::to_string(v) + where;
    sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
    return;
  }
  const std::string select = std::string("SELECT ") + cell.column + " FROM " + cell.table + where;
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, select.c_str(), -1, &s, nullptr) != SQLITE_OK) return;
  std::string blob;
  if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_BLOB)
    blob.assign(static_cast<const char*>(sqlite3_column_blob(s, 0)),
                size_t(sqlite3_column_bytes(s, 0)));
  sqlite3_finalize(s);
  if (blob.empty()) return;
  const uint8_t how = in.byte();
  if (how < 16) {
    blob.resize(blob.size() - 1);  // one byte short
  } else {
    const size_t at = (size_t(in.byte()) << 8 | in.byte()) % blob.size();
    blob[at] = char(in.byte());
  }
  const std::string update =
      std::string("UPDATE ") + cell.table + " SET " + cell.column + " = ?1" + where;
  if (sqlite3_prepare_v2(db, update.c_str(), -1, &s, nullptr) != SQLITE_OK) return;
  sqlite3_bind_blob(s, 1, blob.data(), int(blob.size()), SQLITE_TRANSIENT);
  sqlite3_step(s);
  sqlite3_finalize(s);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path =
      scratch_dir() + "/ssa_fuzz_cells_" + std::to_string(::getpid()) + ".ssarec";
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << base_bytes();
  }
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) == SQLITE_OK) {
    Input in{data, size};
    for (int edits = 0; in.more() && edits < 6; ++edits) apply(db, in);
  }
  sqlite3_close(db);
  try {
    ssa::fuzz::read_recording(path);
  } catch (const ssa::sessions::Error&) {
    // Refused: what a damaged recording must give.
  }
  return 0;
}
