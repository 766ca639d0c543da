// Damaged copies of a real recording (the shipped demo, recorded by the
// engine): one SQL edit or one changed blob value each, as a broken disk, a
// bad tool or a hand edit in the sqlite3 shell would leave them.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>

namespace ssa::sessions::testing {

inline std::string demo_recording() {
  return std::string(SSA_SOURCE_DIR) + "/assets/demo/demo.ssarec";
}

inline void copy_file(const std::string& from, const std::string& to) {
  std::ifstream in(from, std::ios::binary);
  std::ofstream out(to, std::ios::binary | std::ios::trunc);
  out << in.rdbuf();
  if (!out) throw std::runtime_error("cannot copy " + from + " to " + to);
}

// Runs SQL on the file (no result rows).
inline void sql(const std::string& path, const std::string& statements) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) throw std::runtime_error("cannot open " + path);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, statements.c_str(), nullptr, nullptr, &error);
  const std::string why = error ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  if (rc != SQLITE_OK) throw std::runtime_error(statements + ": " + why);
}

// Rewrites one blob cell: `select` names it ("SELECT rowid, roles FROM layouts
// WHERE run_id = 1"); `edit` changes its bytes; `table` and `column` say
// where it goes back.
inline void edit_blob(const std::string& path, const std::string& table, const std::string& column,
                      const std::string& where, const std::function<void(std::string&)>& edit) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) throw std::runtime_error("cannot open " + path);
  sqlite3_stmt* read = nullptr;
  const std::string select = "SELECT " + column + " FROM " + table + " WHERE " + where + " LIMIT 1";
  if (sqlite3_prepare_v2(db, select.c_str(), -1, &read, nullptr) != SQLITE_OK ||
      sqlite3_step(read) != SQLITE_ROW) {
    sqlite3_finalize(read);
    sqlite3_close(db);
    throw std::runtime_error(select + ": no such cell");
  }
  const void* bytes = sqlite3_column_blob(read, 0);
  std::string blob(static_cast<const char*>(bytes), size_t(sqlite3_column_bytes(read, 0)));
  sqlite3_finalize(read);
  edit(blob);
  sqlite3_stmt* write = nullptr;
  const std::string update = "UPDATE " + table + " SET " + column +
                             " = ?1 WHERE rowid IN (SELECT rowid FROM " + table + " WHERE " +
                             where + " LIMIT 1)";
  sqlite3_prepare_v2(db, update.c_str(), -1, &write, nullptr);
  sqlite3_bind_blob(write, 1, blob.data(), int(blob.size()), SQLITE_TRANSIENT);
  const int rc = sqlite3_step(write);
  sqlite3_finalize(write);
  sqlite3_close(db);
  if (rc != SQLITE_DONE) throw std::runtime_error(update + ": failed");
}

// Little-endian element i of a blob of int32 / int64 values.
inline void put_int32(std::string& blob, size_t i, int32_t v) {
  std::memcpy(&blob[4 * i], &v, 4);
}
inline int32_t get_int32(const std::string& blob, size_t i) {
  int32_t v;
  std::memcpy(&v, &blob[4 * i], 4);
  return v;
}
inline void put_int64(std::string& blob, size_t i, int64_t v) {
  std::memcpy(&blob[8 * i], &v, 8);
}

}  // namespace ssa::sessions::testing
