// Notebook: the writable side of a recording for the user's bookmarks and notes.
//
// Opens the file read-write; it may be open in a Writer and in Readers at the
// same time (WAL). It touches only the bookmarks table, never recorded data.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sessions/errors.h"
#include "sessions/records.h"

namespace ssa::sessions {

class Notebook {
 public:
  explicit Notebook(const std::string& path);
  ~Notebook();
  Notebook(Notebook&&) noexcept;
  Notebook& operator=(Notebook&&) noexcept;

  // Adds a bookmark and returns its id (bookmark.id is ignored).
  int64_t add(Bookmark bookmark);
  // Replaces name and note of an existing bookmark; false when there is none.
  bool update(int64_t bookmark_id, const std::string& name, const std::string& note);
  bool remove(int64_t bookmark_id);
  std::vector<Bookmark> list(int64_t run_id);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace ssa::sessions
