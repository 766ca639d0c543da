// The pre-tokenizer steps, following tokenizers' PreTokenizedString::split and
// NormalizedString::split (pre_tokenizer.rs, normalizer.rs, split.rs, byte_level.rs).
#include "engine/tokenizer/pre_tokenizer.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>

#include "engine/tokenizer/json_component.h"
#include "engine/tokenizer/tokenizer.h"

namespace ssa {
namespace {

PreTokenizer::Behavior behavior_named(const std::string& name) {
  using B = PreTokenizer::Behavior;
  if (name == "Removed") return B::kRemoved;
  if (name == "Isolated") return B::kIsolated;
  if (name == "MergedWithPrevious") return B::kMergedWithPrevious;
  if (name == "MergedWithNext") return B::kMergedWithNext;
  if (name == "Contiguous") return B::kContiguous;
  throw TokenizerError("pre_tokenizer: Split behavior \"" + name + "\" is not supported");
}

struct Segment {
  size_t start, end;
  bool flag;  // is_match, then (after the behavior) "remove"
};

}  // namespace

PreTokenizer PreTokenizer::from_json(const nlohmann::json& spec) {
  PreTokenizer p;
  if (!spec.is_null()) p.add_step(spec);
  for (size_t i = 0; i + 1 < p.steps_.size(); ++i)
    if (p.steps_[i].is_byte_level)
      throw TokenizerError("pre_tokenizer: ByteLevel must be the last step of the Sequence");
  p.byte_level_ = !p.steps_.empty() && p.steps_.back().is_byte_level;
  return p;
}

void PreTokenizer::add_step(const nlohmann::json& spec) {
  const std::string type = component_type(spec, "pre_tokenizer");
  if (type == "Sequence") {
    for (const auto& inner : spec.at("pretokenizers")) add_step(inner);
    return;
  }
  Step s;
  if (type == "ByteLevel") {
    s.is_byte_level = true;
    s.add_prefix_space = spec.value("add_prefix_space", true);
    if (spec.value("use_regex", true)) s.regex = Regex::pattern(kGpt2SplitPattern);
  } else if (type == "Split") {
    const auto& pattern = spec.at("pattern");
    if (pattern.contains("Regex"))
      s.regex = Regex::pattern(pattern["Regex"].get<std::string>());
    else if (pattern.contains("String"))
      s.regex = Regex::literal(pattern["String"].get<std::string>());
    else
      throw TokenizerError(
          "pre_tokenizer: Split pattern must be {\"Regex\": ...} or {\"String\": ...}");
    s.behavior = behavior_named(spec.at("behavior").get<std::string>());
    s.invert = spec.value("invert", false);
  } else {
    refuse_type("pre_tokenizer", type, "ByteLevel, Split and Sequence are");
  }
  steps_.push_back(std::move(s));
}

void PreTokenizer::split(std::string_view text, Sink& sink) const {
  if (!text.empty()) run(0, text, sink);
}

void PreTokenizer::run(size_t step, std::string_view piece, Sink& sink) const {
  if (step == steps_.size()) {
    sink.piece(piece);
    return;
  }
  const Step& s = steps_[step];
  if (s.is_byte_level) {
    std::string prefixed;
    if (s.add_prefix_space && piece.front() != ' ') {
      prefixed.reserve(piece.size() + 1);
      prefixed += ' ';
      prefixed += piece;
      piece = prefixed;
    }
    if (s.regex)
      run_split(s, step + 1, piece, sink);
    else
      run(step + 1, piece, sink);
    return;
  }
  run_split(s, step + 1, piece, sink);
}

void PreTokenizer::run_split(const Step& s, size_t next, std::string_view piece, Sink& sink) const {
  if (s.behavior == Behavior::kIsolated) {
    // Every match and every gap is a piece (the invert flag changes nothing here).
    size_t prev = 0;
    s.regex->for_each_match(piece, [&](size_t start, size_t end) {
      if (prev != start) run(next, piece.substr(prev, start - prev), sink);
      if (end != start) run(next, piece.substr(start, end - start), sink);
      prev = end;
    });
    if (prev != piece.size()) run(next, piece.substr(prev), sink);
    return;
  }
  // Pattern::find_matches: the whole piece as (offsets, is_match) segments.
  std::vector<Segment> segments;
  size_t prev = 0;
  s.regex->for_each_match(piece, [&](size_t start, size_t end) {
    if (prev != start) segments.push_back({prev, start, false});
    segments.push_back({start, end, true});
    prev = end;
  });
  if (prev != piece.size()) segments.push_back({prev, piece.size(), false});
  if (s.invert)
    for (Segment& g : segments) g.flag = !g.flag;

  // NormalizedString::split: the behavior turns is_match into (offsets, remove).
  std::vector<Segment> kept;
  bool previous_match = false;
  switch (s.behavior) {
    case Behavior::kRemoved:
      kept = segments;
      break;
    case Behavior::kContiguous:
      for (const Segment& g : segments) {
        if (g.flag == previous_match && !kept.empty())
          kept.back().end = g.end;
        else
          kept.push_back({g.start, g.end, false});
        previous_match = g.flag;
      }
      break;
    case Behavior::kMergedWithPrevious:
      for (const Segment& g : segments) {
        if (g.flag && !previous_match && !kept.empty())
          kept.back().end = g.end;
        else
          kept.push_back({g.start, g.end, false});
        previous_match = g.flag;
      }
      break;
    case Behavior::kMergedWithNext:
      for (auto it = segments.rbegin(); it != segments.rend(); ++it) {
        if (it->flag && !previous_match && !kept.empty())
          kept.back().start = it->start;
        else
          kept.push_back({it->start, it->end, false});
        previous_match = it->flag;
      }
      std::reverse(kept.begin(), kept.end());
      break;
    case Behavior::kIsolated:
      break;
  }
  for (const Segment& g : kept)
    if (!g.flag && g.end > g.start) run(next, piece.substr(g.start, g.end - g.start), sink);
}

}  // namespace ssa
