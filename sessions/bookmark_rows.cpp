#include "sessions/bookmark_rows.h"

namespace ssa::sessions {

std::vector<Bookmark> read_bookmark_rows(Statement& s, int64_t run_id, const char* what) {
  s.bind(1, run_id);
  std::vector<Bookmark> out;
  while (s.step(what)) {
    Bookmark b;
    b.id = s.int64(0);
    b.run_id = s.int64(1);
    b.step = s.int64(2);
    b.layer = int32_t(s.int64(3));
    b.position = s.int64(4);
    b.name = s.text(5);
    b.note = s.text(6);
    b.created_utc = s.text(7);
    out.push_back(std::move(b));
  }
  return out;
}

}  // namespace ssa::sessions
