// Thin RAII over the SQLite C API for sessions/ (internal, not installed).
//
// Every failure becomes a sessions::Error (FormatError for "not a database"
// and corruption) whose one-line message names the file and the operation.
// Never used across threads: one Db per thread.
#pragma once

#include <sqlite3.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "sessions/errors.h"

namespace ssa::sessions {

class Db {
 public:
  // flags: SQLITE_OPEN_READONLY or SQLITE_OPEN_READWRITE [| SQLITE_OPEN_CREATE].
  Db(const std::string& path, int flags);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  sqlite3* get() const { return db_; }
  const std::string& path() const { return path_; }
  // Runs one or more statements without results.
  void exec(const char* sql, const char* what);
  int64_t query_int(const char* sql, const char* what);
  // Throws the Error (or FormatError) for SQLite result `rc` while doing `what`.
  [[noreturn]] void fail(int rc, const std::string& what) const;

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
};

// A prepared statement; reset() makes it reusable, bindings start at 1.
class Statement {
 public:
  Statement(Db& db, const char* sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, int64_t value);
  Statement& bind(int index, int value) { return bind(index, int64_t(value)); }
  Statement& bind(int index, double value);
  Statement& bind_text(int index, const std::string& value);
  Statement& bind_blob(int index, const std::string& bytes);  // copies nothing: keep bytes alive
  Statement& bind_null(int index);
  // Steps once: true when a row is available, false when done.
  bool step(const char* what);
  // Runs a statement that returns no rows, then resets it.
  void run(const char* what);
  void reset();

  bool is_null(int column) const;
  int64_t int64(int column) const;
  double real(int column) const;
  std::string text(int column) const;
  // Blob bytes, valid until the next step/reset. Null/size 0 for NULL or empty.
  const void* blob(int column) const;
  size_t blob_size(int column) const;

 private:
  Db& db_;
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace ssa::sessions
