// Recording format checks: see recording_format.h. The SQLite file header
// (https://sqlite.org/fileformat.html, section 1.3) is read directly so that
// foreign, newer and truncated files are refused before any query runs.
#include "sessions/recording_format.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>

#include "sessions/schema_sql.h"

namespace ssa::sessions {
namespace {

uint32_t be32(const unsigned char* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

bool file_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

void check_recording_file(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) throw Error(path + ": no such file");
  if (!S_ISREG(st.st_mode)) throw Error(path + ": not a regular file");
  int64_t size = int64_t(st.st_size);
  if (size == 0) {
    // An empty main file with a WAL beside it is a recording being created.
    if (file_exists(path + "-wal")) return;
    throw FormatError(path + ": empty file (0 bytes), not an SSA recording");
  }
  unsigned char h[100];
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot read");
  in.read(reinterpret_cast<char*>(h), sizeof h);
  if (in.gcount() < 16 || std::memcmp(h, "SQLite format 3\0", 16) != 0) {
    throw FormatError(path + ": not an SSA recording (not an SQLite database)");
  }
  if (in.gcount() < 100) {
    throw FormatError(path + ": truncated recording (" + std::to_string(size) +
                      " bytes, less than an SQLite header)");
  }
  uint32_t app_id = be32(h + 68);
  uint32_t version = be32(h + 60);
  if (app_id != uint32_t(kApplicationId)) {
    throw FormatError(path + ": not an SSA recording (an SQLite database with application_id " +
                      hex32(app_id) + ", expected " + hex32(uint32_t(kApplicationId)) + ")");
  }
  if (version > uint32_t(kFormatVersion)) {
    throw FormatError(path + ": recording format version " + std::to_string(version) +
                      " is newer than this build reads (" + std::to_string(kFormatVersion) +
                      "); update ssa-workbench");
  }
  // The header's page count is valid when its version-valid-for number
  // matches the change counter. Checkpoints may rewrite page 1 before the
  // file grows, so only trust it when no WAL is beside the file.
  uint32_t page_size = (uint32_t(h[16]) << 8) | h[17];
  if (page_size == 1) page_size = 65536;
  uint32_t pages = be32(h + 28);
  if (be32(h + 92) == be32(h + 24) && pages > 0 && !file_exists(path + "-wal") &&
      int64_t(page_size) * pages > size) {
    throw FormatError(path + ": truncated recording (" + std::to_string(size) +
                      " bytes, its header promises " + std::to_string(int64_t(page_size) * pages) +
                      ")");
  }
}

int check_recording_identity(Db& db) {
  int64_t app_id = db.query_int("PRAGMA application_id", "reading application_id");
  int64_t version = db.query_int("PRAGMA user_version", "reading the format version");
  if (uint32_t(app_id) != uint32_t(kApplicationId)) {
    throw FormatError(db.path() + ": not an SSA recording (application_id " +
                      hex32(uint32_t(app_id)) + ", expected " + hex32(uint32_t(kApplicationId)) +
                      ")");
  }
  if (version > kFormatVersion) {
    throw FormatError(db.path() + ": recording format version " + std::to_string(version) +
                      " is newer than this build reads (" + std::to_string(kFormatVersion) +
                      "); update ssa-workbench");
  }
  if (version < kOldestReadableVersion) {
    throw FormatError(db.path() + ": recording format version " + std::to_string(version) +
                      " is too old to read");
  }
  // Touch the schema so that a damaged file fails here, not in the GUI.
  db.query_int("SELECT count(*) FROM sqlite_schema", "reading the schema");
  return int(version);
}

void create_recording_schema(Db& db) {
  db.exec("BEGIN", "creating the schema");
  db.exec(kSchemaSql, "creating the schema");
  std::string facts = "INSERT INTO recording(key, value) VALUES ('created_utc', '" + utc_now_iso() +
                      "'), ('writer', 'ssa-workbench sessions " + std::to_string(kFormatVersion) +
                      "')";
  db.exec(facts.c_str(), "creating the schema");
  db.exec("COMMIT", "creating the schema");
}

void migrate_recording(Db& db, int from_version) {
  if (from_version >= kFormatVersion) return;
  db.exec("BEGIN IMMEDIATE", "migrating the recording");
  // 1 -> 2: a failed run says why.
  if (from_version < 2) db.exec("ALTER TABLE runs ADD COLUMN failure TEXT", "migrating to 2");
  db.exec(("PRAGMA user_version = " + std::to_string(kFormatVersion)).c_str(),
          "migrating the recording");
  db.exec("COMMIT", "migrating the recording");
}

std::string utc_now_iso() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace ssa::sessions
