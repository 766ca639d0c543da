// The bookmarks of a run, read from the bookmarks table: one query and one
// row decoder, shared by the Reader (read-only) and the Notebook (writable).
#pragma once

#include <cstdint>
#include <vector>

#include "sessions/records.h"
#include "sessions/sqlite_db.h"

namespace ssa::sessions {

inline constexpr const char* kBookmarksOfRunSql =
    "SELECT id, run_id, step, layer, position, name, note, created_utc FROM bookmarks"
    " WHERE run_id = ?1 ORDER BY step, id";

// Runs `query` (prepared from kBookmarksOfRunSql) for `run_id`; `what` names
// the operation in error messages.
std::vector<Bookmark> read_bookmark_rows(Statement& query, int64_t run_id, const char* what);

}  // namespace ssa::sessions
