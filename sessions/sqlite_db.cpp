// sqlite_db: see sqlite_db.h. Turns SQLite result codes into one-line errors.
#include "sessions/sqlite_db.h"

#include <cassert>

namespace ssa::sessions {

Db::Db(const std::string& path, int flags) : path_(path) {
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw Error(path + ": cannot open (" + msg + ")");
  }
  sqlite3_extended_result_codes(db_, 1);
}

Db::~Db() {
  sqlite3_close_v2(db_);
}

void Db::fail(int rc, const std::string& what) const {
  std::string detail = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  int primary = rc & 0xff;
  if (primary == SQLITE_NOTADB) {
    throw FormatError(path_ + ": not an SSA recording (not an SQLite database)");
  }
  if (primary == SQLITE_CORRUPT) {
    throw FormatError(path_ + ": recording is corrupt or truncated (" + detail + ", while " + what +
                      ")");
  }
  throw Error(path_ + ": " + what + " failed (" + detail + ")");
}

void Db::exec(const char* sql, const char* what) {
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) fail(rc, what);
}

int64_t Db::query_int(const char* sql, const char* what) {
  Statement s(*this, sql);
  if (!s.step(what)) fail(SQLITE_ERROR, what);
  return s.int64(0);
}

Statement::Statement(Db& db, const char* sql) : db_(db) {
  int rc = sqlite3_prepare_v3(db.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
  if (rc != SQLITE_OK) db.fail(rc, std::string("preparing \"") + sql + "\"");
}

Statement::~Statement() {
  sqlite3_finalize(stmt_);
}

Statement& Statement::bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}
Statement& Statement::bind(int index, double value) {
  sqlite3_bind_double(stmt_, index, value);
  return *this;
}
Statement& Statement::bind_text(int index, const std::string& value) {
  sqlite3_bind_text(stmt_, index, value.data(), int(value.size()), SQLITE_STATIC);
  return *this;
}
Statement& Statement::bind_blob(int index, const std::string& bytes) {
  // A zero-length blob must stay a blob (not NULL): pass a non-null pointer.
  sqlite3_bind_blob64(stmt_, index, bytes.empty() ? "" : bytes.data(), bytes.size(), SQLITE_STATIC);
  return *this;
}
Statement& Statement::bind_null(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

bool Statement::step(const char* what) {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  sqlite3_reset(stmt_);
  db_.fail(rc, what);
}

void Statement::run(const char* what) {
  step(what);
  reset();
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

bool Statement::is_null(int c) const {
  return sqlite3_column_type(stmt_, c) == SQLITE_NULL;
}
int64_t Statement::int64(int c) const {
  return sqlite3_column_int64(stmt_, c);
}
double Statement::real(int c) const {
  return sqlite3_column_double(stmt_, c);
}
std::string Statement::text(int c) const {
  const unsigned char* p = sqlite3_column_text(stmt_, c);
  return p ? std::string(reinterpret_cast<const char*>(p), size_t(sqlite3_column_bytes(stmt_, c)))
           : std::string();
}
const void* Statement::blob(int c) const {
  return sqlite3_column_blob(stmt_, c);
}
size_t Statement::blob_size(int c) const {
  return size_t(sqlite3_column_bytes(stmt_, c));
}

}  // namespace ssa::sessions
