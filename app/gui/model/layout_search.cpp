// Layout search (see layout_search.h).
#include "app/gui/model/layout_search.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace ssa::gui {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A whole non-negative number, or -1.
int64_t number(const std::string& s) {
  if (s.empty() || s.size() > 18 || !std::all_of(s.begin(), s.end(), ::isdigit)) return -1;
  return std::strtoll(s.c_str(), nullptr, 10);
}

std::string strip(const std::string& s) {
  const auto a = s.find_first_not_of(' ');
  if (a == std::string::npos) return "";
  return s.substr(a, s.find_last_not_of(' ') - a + 1);
}

}  // namespace

SearchResult search_layout(const LayoutIndex& index, const std::string& query, size_t max_hits) {
  SearchResult out;
  const std::string q = strip(query);
  if (q.empty()) return out;
  const std::string l = lower(q);
  // A position: "#123" or "pos 123".
  for (const char* prefix : {"#", "pos ", "position "}) {
    const std::string p = prefix;
    if (l.rfind(p, 0) != 0) continue;
    out.kind = SearchResult::Kind::kPosition;
    const int64_t pos = number(strip(l.substr(p.size())));
    if (!index.contains(pos)) {
      out.error = "no stream position " + strip(q.substr(p.size())) + " (the stream has " +
                  std::to_string(index.length()) + ")";
      return out;
    }
    out.hits.push_back({pos, index.span_of(pos, 0)});
    return out;
  }
  // A chunk: "chunk 352" or "c352".
  for (const char* prefix : {"chunk ", "c"}) {
    const std::string p = prefix;
    if (l.rfind(p, 0) != 0) continue;
    const int64_t chunk = number(strip(l.substr(p.size())));
    if (chunk < 0) continue;  // "cat": text
    out.kind = SearchResult::Kind::kChunk;
    if (!index.valid_chunk(chunk)) {
      out.error = "no chunk " + std::to_string(chunk) + " (the prompt has " +
                  std::to_string(index.num_chunks()) + ")";
      return out;
    }
    out.hits.push_back({index.spans(0)[chunk].begin, static_cast<int32_t>(chunk)});
    return out;
  }
  // Text over the raw tokens (gists do not interrupt words).
  out.kind = SearchResult::Kind::kText;
  std::string text;
  std::vector<int64_t> owner;  // stream position of every byte of `text`
  for (int64_t pos = 0; pos < index.length(); ++pos) {
    if (index.role(pos) != 0) continue;
    const std::string piece = lower(index.text(pos));
    text += piece;
    owner.insert(owner.end(), piece.size(), pos);
  }
  for (size_t at = text.find(l); at != std::string::npos; at = text.find(l, at + 1)) {
    const int64_t pos = owner[at];
    if (!out.hits.empty() && out.hits.back().position == pos) continue;
    if (out.hits.size() >= max_hits) {
      out.truncated = true;
      break;
    }
    out.hits.push_back({pos, index.span_of(pos, 0)});
  }
  if (out.hits.empty()) out.error = "\"" + q + "\" is not in the text";
  return out;
}

}  // namespace ssa::gui
