// Notebook: see notebook.h. The only code that writes to a recording besides
// the Writer, and it touches the bookmarks table only.
#include "sessions/notebook.h"

#include "sessions/bookmark_rows.h"
#include "sessions/recording_format.h"
#include "sessions/sqlite_db.h"

namespace ssa::sessions {

struct Notebook::Impl {
  explicit Impl(const std::string& path)
      : db((check_recording_file(path), path), SQLITE_OPEN_READWRITE) {
    // A Writer may hold the write lock for a batch: wait for it rather than fail.
    sqlite3_busy_timeout(db.get(), 5000);
    check_recording_identity(db);
  }
  Db db;
};

Notebook::Notebook(const std::string& path) : impl_(std::make_unique<Impl>(path)) {}
Notebook::~Notebook() = default;
Notebook::Notebook(Notebook&&) noexcept = default;
Notebook& Notebook::operator=(Notebook&&) noexcept = default;

int64_t Notebook::add(Bookmark b) {
  if (b.created_utc.empty()) b.created_utc = utc_now_iso();
  Statement s(impl_->db,
              "INSERT INTO bookmarks(run_id, step, layer, position, name, note, created_utc)"
              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  s.bind(1, b.run_id)
      .bind(2, b.step)
      .bind(3, int64_t(b.layer))
      .bind(4, b.position)
      .bind_text(5, b.name)
      .bind_text(6, b.note)
      .bind_text(7, b.created_utc)
      .run("adding a bookmark");
  return sqlite3_last_insert_rowid(impl_->db.get());
}

bool Notebook::update(int64_t id, const std::string& name, const std::string& note) {
  Statement s(impl_->db, "UPDATE bookmarks SET name = ?2, note = ?3 WHERE id = ?1");
  s.bind(1, id).bind_text(2, name).bind_text(3, note).run("updating a bookmark");
  return sqlite3_changes(impl_->db.get()) > 0;
}

bool Notebook::remove(int64_t id) {
  Statement s(impl_->db, "DELETE FROM bookmarks WHERE id = ?1");
  s.bind(1, id).run("removing a bookmark");
  return sqlite3_changes(impl_->db.get()) > 0;
}

std::vector<Bookmark> Notebook::list(int64_t run_id) {
  Statement s(impl_->db, kBookmarksOfRunSql);
  return read_bookmark_rows(s, run_id, "listing bookmarks");
}

}  // namespace ssa::sessions
