// GistLayout: builds the interleaved stream (ssa-spec.md, "Layout").
#include "engine/layout/gist_layout.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace ssa {

PositionScheme parse_position_scheme(const std::string& name) {
  if (name == "raw") return PositionScheme::kRaw;
  if (name == "stream") return PositionScheme::kStream;
  throw std::invalid_argument("position ids must be raw or stream, got '" + name + "'");
}

const char* position_scheme_name(PositionScheme scheme) {
  return scheme == PositionScheme::kRaw ? "raw" : "stream";
}

void LayoutSettings::validate() const {
  if (chunk < 1)
    throw std::invalid_argument("chunk size must be >= 1, got " + std::to_string(chunk));
  for (size_t i = 0; i < group_sizes.size(); ++i) {
    if (group_sizes[i] < 2) {
      throw std::invalid_argument("level " + std::to_string(i + 1) +
                                  " group size must be >= 2, got " +
                                  std::to_string(group_sizes[i]));
    }
  }
  if (gist_token_base < 0) throw std::invalid_argument("gist token id must be >= 0");
}

std::string LayoutSettings::hierarchy_name() const {
  std::string name = "chunk" + std::to_string(chunk);
  for (int g : group_sizes) name += "-chunk" + std::to_string(g);
  return name;
}

std::string LayoutSettings::to_json() const {
  nlohmann::json j = {{"chunk", chunk},
                      {"group_sizes", group_sizes},
                      {"hierarchy", hierarchy_name()},
                      {"sink", sink},
                      {"word_aware", word_aware},
                      {"gists_in_generation", gists_in_generation},
                      {"gist_token_base", gist_token_base},
                      {"position_ids", position_scheme_name(positions)}};
  return j.dump();
}

LayoutSettings parse_hierarchy(const std::string& name) {
  LayoutSettings settings;
  std::vector<int> sizes;
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('-', start);
    if (end == std::string::npos) end = name.size();
    const std::string part = name.substr(start, end - start);
    const std::string prefix = "chunk";
    if (part.compare(0, prefix.size(), prefix) != 0 || part.size() == prefix.size() ||
        part.find_first_not_of("0123456789", prefix.size()) != std::string::npos ||
        part.size() - prefix.size() > 6) {
      throw std::invalid_argument("hierarchy '" + name +
                                  "' is not of the form chunkC[-chunkC1...] (e.g. chunk4-chunk4)");
    }
    sizes.push_back(std::stoi(part.substr(prefix.size())));
    start = end + 1;
  }
  settings.chunk = sizes.front();
  settings.group_sizes.assign(sizes.begin() + 1, sizes.end());
  settings.validate();
  return settings;
}

GistLayout::GistLayout(LayoutSettings settings, const std::vector<int64_t>& raw_tokens,
                       const std::vector<bool>& word_starts, int64_t compress_from)
    : settings_(std::move(settings)) {
  settings_.validate();
  if (settings_.word_aware && !word_starts.empty() && word_starts.size() != raw_tokens.size()) {
    throw std::invalid_argument("word_starts must have one entry per raw token");
  }
  const int levels = num_levels();
  num_gists_.assign(levels, 0);
  pending_.assign(levels, 0);
  const int64_t n = static_cast<int64_t>(raw_tokens.size());
  const bool dynamic_sink = settings_.sink < 0;
  const int64_t sink_raw = dynamic_sink ? std::clamp<int64_t>(compress_from, 0, n)
                                        : std::min<int64_t>(settings_.sink, n);
  token_ids_.reserve(n + n / settings_.chunk + 2 * levels);

  for (int64_t i = 0; i < sink_raw; ++i) push_raw(raw_tokens[i], i);
  // Without a tokenizer every token starts a word: the plain layout.
  auto starts_word = [&](int64_t t) {
    return !settings_.word_aware || word_starts.empty() || word_starts[t];
  };
  const int c = settings_.chunk;
  int64_t since_gist = 0;  // raw tokens since the last gist (or the end of the sink)
  for (int64_t i = sink_raw; i < n; ++i) {
    push_raw(raw_tokens[i], i);
    // No gist right at the end: the final gists follow the loop.
    if (++since_gist < c || i + 1 == n) continue;
    // The gist would go before t = i + 1. Inside a word it moves to the first
    // word start u among t+1 .. t+c/2 (t .. u-1 join the chunk); the end of
    // the text is no candidate, and with none found it stays before t.
    const int64_t t = i + 1;
    if (!starts_word(t)) {
      for (int64_t u = t + 1; u <= t + c / 2 && u < n; ++u) {
        if (!starts_word(u)) continue;
        // As in the reference's insert_gist_tokens_word_aware, whose copy
        // loop tests `i + 1 + j < len` after advancing i: near the end of the
        // text token t + j joins only while t + 2j < n, so the gist may stop
        // short of u (at most ceil((n - t) / 2) tokens join).
        for (int64_t j = 0; t + j < u && t + 2 * j < n; ++j) {
          ++i;
          push_raw(raw_tokens[i], i);
        }
        break;
      }
    }
    close_levels_after_gist(0, false);
    since_gist = 0;  // the next chunk counts from the gist actually placed
  }
  // The final gists are always appended, also to text no longer than a fixed
  // sink (the reference inserts over the whole text, sink included); a dynamic
  // sink's uncompressed part is not the document, so an empty document stays
  // without gists.
  if (dynamic_sink ? n > sink_raw : n > 0) close_levels_after_gist(0, true);

  // The reference's dynamic sink: every position before (first gist - c),
  // its `first_gist_pos - chunk_size`, whatever the first chunk's length.
  if (dynamic_sink) {
    sink_length_ = sink_raw;
    for (int64_t pos = 0; pos < length(); ++pos) {
      if (level(pos) == 0) {
        sink_length_ = std::max<int64_t>(0, pos - c);
        break;
      }
    }
  }
}

// Under kRaw a gist shares the position of the token before it (the
// reference's stream index - gists at or before it, so -1 for a gist that
// opens the stream); under kStream every position advances by one.
void GistLayout::push_position(bool gist) {
  const int64_t last = position_ids_.empty() ? -1 : position_ids_.back();
  const bool advance = !gist || settings_.positions == PositionScheme::kStream;
  position_ids_.push_back(advance ? last + 1 : last);
  // A fixed sink is the first s stream positions, as the reference's mask has
  // it: text shorter than s puts its final gists (and the suffix) in the sink.
  if (settings_.sink >= 0 && static_cast<int64_t>(position_ids_.size()) <= settings_.sink)
    sink_length_ = static_cast<int64_t>(position_ids_.size());
}

void GistLayout::push_raw(int64_t token, int64_t raw) {
  push_position(false);
  token_ids_.push_back(token);
  roles_.push_back(kRawRole);
  for (int l = 0; l < num_levels(); ++l) ids_.push_back(static_cast<int32_t>(num_gists_[l]));
  raw_index_.push_back(raw);
  raw_to_stream_.push_back(length() - 1);
}

void GistLayout::push_gist(int level) {
  push_position(true);
  token_ids_.push_back(settings_.gist_token_base + level);
  roles_.push_back(gist_role(level));
  // A gist carries the id of the chunk/group it closes: the count before it.
  for (int l = 0; l < num_levels(); ++l) ids_.push_back(static_cast<int32_t>(num_gists_[l]));
  raw_index_.push_back(-1);
  ++num_gists_[level];
  // The prefix is the prompt's (spec: every generated token is suffix, gists too).
  if (level == top_level() && !generating_) prefix_length_ = length();
}

// Places a gist of `level` and, level by level above it, a meta-gist wherever a
// group is complete. `final_close` ends the document: every level gets one
// closing gist, lowest first, whether its group is full or not.
void GistLayout::close_levels_after_gist(int level, bool final_close) {
  for (int l = level; l < num_levels(); ++l) {
    push_gist(l);
    pending_[l] = 0;
    if (l + 1 >= num_levels()) break;
    ++pending_[l + 1];
    if (!final_close && pending_[l + 1] < settings_.group_sizes[l]) break;
  }
}

int64_t GistLayout::append(int64_t raw_token) {
  push_raw(raw_token, num_raw());
  const int64_t pos = length() - 1;
  if (settings_.gists_in_generation && generating_ && ++suffix_raw_since_gist_ == settings_.chunk) {
    suffix_raw_since_gist_ = 0;
    close_levels_after_gist(0, false);
  }
  return pos;
}

void GistLayout::begin_generation() {
  generating_ = true;
  suffix_raw_since_gist_ = 0;
}

}  // namespace ssa
