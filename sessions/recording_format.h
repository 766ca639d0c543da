// Recording format identity: application_id, format version, and the checks
// that refuse anything else with one clear line (internal to sessions/).
#pragma once

#include <cstdint>
#include <string>

#include "sessions/sqlite_db.h"

namespace ssa::sessions {

constexpr int32_t kApplicationId = 0x53534152;  // 'SSAR', as schema.sql sets it
constexpr int kFormatVersion = 2;               // PRAGMA user_version of schema.sql
constexpr int kOldestReadableVersion = 1;       // read as they are; a Writer migrates them

// Cheap checks on the file's bytes before SQLite sees it: missing, empty, not
// SQLite, foreign application_id, newer version, truncated. Throws
// Error/FormatError. A file whose SQLite header is still empty (a recording
// being created) passes; the SQL check below decides.
void check_recording_file(const std::string& path);

// The authoritative check through SQL (sees the WAL): application_id, version,
// schema readable. Returns the format version.
int check_recording_identity(Db& db);

// Applies schema.sql to a new, empty database.
void create_recording_schema(Db& db);

// Brings a recording of an older readable version up to kFormatVersion (one
// transaction; a Writer does this before appending to it).
void migrate_recording(Db& db, int from_version);

// "2026-11-25T16:40:00Z"
std::string utc_now_iso();

}  // namespace ssa::sessions
