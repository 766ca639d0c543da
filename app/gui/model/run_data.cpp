// RunData snapshots (see run_data.h).
#include "app/gui/model/run_data.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <functional>

#include "sessions/reader.h"

namespace ssa::gui {
namespace {

constexpr int32_t kMaxLayers = 256;  // beyond any model: a recorded layer past it is damage
constexpr int32_t kMaxHeads = 4096;

int64_t int_or(const nlohmann::json& j, const char* key, int64_t fallback) {
  return j.contains(key) && j[key].is_number_integer() ? j[key].get<int64_t>() : fallback;
}

// "chunk 8-8, sink 3, p 1" from the layout's settings_json.
std::string settings_summary(const std::string& settings_json, const sessions::BlockMask* mask) {
  const auto settings = parse_object(settings_json);
  if (settings.empty()) return "settings unreadable";
  std::string s = "chunk " + std::to_string(int_or(settings, "chunk", 0));
  if (settings.contains("group_sizes") && settings["group_sizes"].is_array())
    for (const auto& c : settings["group_sizes"])
      if (c.is_number_integer()) s += "-" + std::to_string(c.get<int64_t>());
  s += ", sink " + std::to_string(int_or(settings, "sink", 0));
  if (mask) s += ", p " + std::to_string(mask->previous_chunks);
  return s;
}

// The mask, or null with an anomaly when its CSR arrays do not hold together.
std::shared_ptr<const sessions::BlockMask> checked_mask(std::optional<sessions::BlockMask> mask,
                                                        int64_t length,
                                                        std::vector<std::string>* anomalies) {
  if (!mask) return nullptr;
  const auto& m = *mask;
  const int64_t entries = static_cast<int64_t>(m.key_blocks.size());
  bool ok = m.block_size > 0 && m.kinds.size() == m.key_blocks.size() && !m.row_offsets.empty() &&
            m.row_offsets.front() == 0 && m.row_offsets.back() == entries;
  for (size_t b = 1; ok && b < m.row_offsets.size(); ++b)
    ok = m.row_offsets[b] >= m.row_offsets[b - 1];
  const int64_t blocks = m.block_size > 0 ? (length + m.block_size - 1) / m.block_size : 0;
  ok = ok && static_cast<int64_t>(m.row_offsets.size()) - 1 <= blocks;
  for (int32_t k : m.key_blocks) ok = ok && k >= 0 && k < blocks;
  if (!ok) {
    anomalies->push_back(
        "mask: its block rows do not hold together (offsets, key blocks or kinds); the block "
        "picture is left out, cells follow the per-pair rule");
    return nullptr;
  }
  return std::make_shared<const sessions::BlockMask>(std::move(*mask));
}

// Stream positions before the first generated token: the layout of a finished
// run ends with the tokens the decode steps produced (record writes it again
// after generating), a live or synthetic one does not.
int64_t prompt_length(const LayoutIndex& index,
                      const std::vector<sessions::DecodeStepRecord>& steps) {
  std::vector<int64_t> raw;  // raw positions after the prefix, last first
  for (int64_t p = index.length() - 1; p >= index.prefix_length(); --p)
    if (index.role(p) == 0) raw.push_back(p);
  const size_t most = std::min(raw.size(), steps.size());
  for (size_t n = most; n >= 1; --n) {
    bool match = true;
    for (size_t i = 0; i < n && match; ++i)
      match = index.token_id(raw[n - 1 - i]) == steps[i].token_id;
    if (match) return raw[n - 1];
  }
  return index.length();
}

bool is_end_of_text(const std::string& text) {
  return text == "<eos>" || text == "</s>" || text == "<|endoftext|>" || text == "<|im_end|>" ||
         text == "<|eot_id|>";
}

std::string trim(const std::string& s) {
  const auto a = s.find_first_not_of(" \t\n\r");
  if (a == std::string::npos) return "";
  const auto b = s.find_last_not_of(" \t\n\r");
  return s.substr(a, b - a + 1);
}

void build_steps(RunData& run) {
  run.steps.clear();
  for (const auto& d : run.decode_steps)
    if (run.steps.empty() || d.step > run.steps.back()) run.steps.push_back(d.step);
  const auto& r = run.detail_steps;
  if (run.steps.empty() && r.count > 0) {
    // Contiguous detail steps are walked one by one; anything else (a damaged
    // step number) only by its ends.
    if (r.last - r.first + 1 == r.count && r.count <= (int64_t(1) << 24)) {
      for (int64_t s = r.first; s <= r.last; ++s) run.steps.push_back(s);
    } else {
      run.steps = {r.first, r.last};
      run.anomalies.push_back("steps: the recorded detail steps are not contiguous (" +
                              std::to_string(r.count) + " steps from " + std::to_string(r.first) +
                              " to " + std::to_string(r.last) + ")");
    }
  }
}

}  // namespace

nlohmann::json parse_object(const std::string& text) {
  try {
    auto j = nlohmann::json::parse(text);
    if (j.is_object()) return j;
  } catch (const std::exception&) {
  }
  return nlohmann::json::object();
}

RunFacts read_run_facts(const std::string& config_json, const LayoutIndex* layout) {
  RunFacts facts;
  const auto config = parse_object(config_json);
  // The keys `info` reads too, read as it reads them (app/summary/decode_quality.h).
  const summary::DecodeSummary decode = summary::summarize_decode(config_json, {});
  facts.expected_answer = decode.answer;
  facts.task = decode.task;
  facts.dense_layers = std::clamp<int32_t>(decode.dense_layers, 0, kMaxLayers);
  facts.k = std::clamp<int32_t>(decode.k, -1, 1 << 20);
  facts.budget = decode.budget;
  if (facts.budget.empty()) {
    // Recordings made before "budget" existed say it with other keys.
    const bool auto_k =
        config.contains("auto_k") && config["auto_k"].is_boolean() && config["auto_k"].get<bool>();
    const bool top_p = config.contains("top_p") && config["top_p"].is_number() &&
                       config["top_p"].get<double>() > 0;
    facts.budget = auto_k ? "auto" : top_p ? "top-p" : facts.k > 0 ? "fixed" : "";
  }
  facts.expected_steps = int_or(config, "steps", int_or(config, "max_tokens", -1));
  if (!layout) return facts;
  auto add_chunk = [&](int64_t chunk) {
    if (layout->valid_chunk(chunk)) facts.answer_chunks.push_back(static_cast<int32_t>(chunk));
  };
  auto add_position = [&](int64_t pos) { add_chunk(layout->span_of(pos, 0)); };
  // Each key may hold one integer or an array of them.
  auto each_int = [&](std::initializer_list<const char*> keys,
                      const std::function<void(int64_t)>& use) {
    for (const char* key : keys) {
      if (!config.contains(key)) continue;
      const auto& v = config[key];
      if (v.is_number_integer()) use(v.get<int64_t>());
      if (v.is_array())
        for (const auto& x : v)
          if (x.is_number_integer()) use(x.get<int64_t>());
    }
  };
  each_int({"answer_chunk", "answer_chunks"}, add_chunk);
  each_int({"answer_position", "answer_positions"}, add_position);
  std::sort(facts.answer_chunks.begin(), facts.answer_chunks.end());
  facts.answer_chunks.erase(std::unique(facts.answer_chunks.begin(), facts.answer_chunks.end()),
                            facts.answer_chunks.end());
  return facts;
}

bool RunData::is_answer_chunk(int32_t chunk) const {
  return std::binary_search(facts.answer_chunks.begin(), facts.answer_chunks.end(), chunk);
}

size_t RunData::step_index(int64_t step) const {
  if (steps.empty()) return 0;
  const auto it = std::lower_bound(steps.begin(), steps.end(), step);
  return std::min(static_cast<size_t>(it - steps.begin()), steps.size() - 1);
}

const sessions::DecodeStepRecord* RunData::decode_step(int64_t step) const {
  return summary::find_step(decode_steps, step);
}

AnswerCheck check_answer(const RunData& run, int64_t step) {
  AnswerCheck check;
  check.expected = trim(run.facts.expected_answer);
  std::vector<std::pair<size_t, int64_t>> produced;  // (end offset in generated, step)
  for (const auto& d : run.decode_steps) {
    if (d.step > step) break;
    if (is_end_of_text(d.text)) break;
    check.generated += d.text;
    produced.emplace_back(check.generated.size(), d.step);
  }
  if (check.expected.empty()) return check;
  // Leading spaces are the prompt's business ("The pass key is" + " 53148").
  const size_t lead = check.generated.find_first_not_of(" \t\n\r");
  const std::string shown = lead == std::string::npos ? "" : check.generated.substr(lead);
  if (shown.empty()) {
    check.verdict = AnswerCheck::Verdict::kNothingYet;
    return check;
  }
  size_t same = 0;
  while (same < shown.size() && same < check.expected.size() && shown[same] == check.expected[same])
    ++same;
  if (same == check.expected.size()) {
    check.verdict = AnswerCheck::Verdict::kRight;
  } else if (same == shown.size()) {
    check.verdict = AnswerCheck::Verdict::kSoFarRight;
  } else {
    check.verdict = AnswerCheck::Verdict::kWrong;
    const size_t at = lead + same;  // first differing byte in `generated`
    for (const auto& [end, s] : produced)
      if (end > at) {
        check.first_wrong_step = s;
        break;
      }
  }
  return check;
}

const char* verdict_text(AnswerCheck::Verdict verdict) {
  switch (verdict) {
    case AnswerCheck::Verdict::kUnknown:
      return "no expected answer";
    case AnswerCheck::Verdict::kNothingYet:
      return "nothing generated yet";
    case AnswerCheck::Verdict::kSoFarRight:
      return "right so far";
    case AnswerCheck::Verdict::kRight:
      return "right";
    case AnswerCheck::Verdict::kWrong:
      return "wrong";
  }
  return "";
}

std::string describe_verdict(const AnswerCheck& check) {
  switch (check.verdict) {
    case AnswerCheck::Verdict::kUnknown:
      return "-";
    case AnswerCheck::Verdict::kRight:
      return "\xE2\x9C\x93 right";
    case AnswerCheck::Verdict::kWrong:
      return "\xE2\x9C\x97 wrong" + (check.first_wrong_step >= 0
                                         ? " from step " + std::to_string(check.first_wrong_step)
                                         : std::string());
    default:
      return verdict_text(check.verdict);
  }
}

std::shared_ptr<const RunData> load_run(sessions::Reader& reader, const sessions::RunInfo& info,
                                        RunId id, int64_t generation,
                                        const std::shared_ptr<const RunData>& previous) {
  const auto decode_range = reader.decode_step_range(info.id);
  const auto train_range = reader.train_step_range(info.id);
  const auto detail = reader.detail_step_range(info.id);
  auto bookmarks = reader.bookmarks(info.id);
  if (previous) {
    const RunData& p = *previous;
    const auto same_range = [](const sessions::StepRange& a, const sessions::StepRange& b) {
      return a.count == b.count && a.first == b.first && a.last == b.last;
    };
    const bool steps_same =
        static_cast<int64_t>(p.decode_steps.size()) == decode_range.count &&
        (p.decode_steps.empty() || p.decode_steps.back().step == decode_range.last) &&
        static_cast<int64_t>(p.train_steps.size()) == train_range.count &&
        same_range(p.detail_steps, detail);
    const bool bookmarks_same =
        bookmarks.size() == p.bookmarks.size() &&
        std::equal(bookmarks.begin(), bookmarks.end(), p.bookmarks.begin(),
                   [](const sessions::Bookmark& a, const sessions::Bookmark& b) {
                     return a.id == b.id && a.name == b.name && a.note == b.note;
                   });
    if (steps_same && bookmarks_same && p.info.finished == info.finished &&
        p.info.failure == info.failure && p.info.dropped_details == info.dropped_details &&
        p.info.name == info.name)
      return previous;
  }

  auto run = std::make_shared<RunData>();
  run->id = id;
  run->generation = generation;
  run->info = info;
  run->bookmarks = std::move(bookmarks);
  // The layout is written when the run begins and again when it finishes
  // (with the generated tokens): read it when it may have changed.
  const bool reread_layout =
      !previous || !previous->layout || previous->info.finished != info.finished;
  if (reread_layout) {
    if (auto layout = reader.layout(info.id)) {
      auto mask = reader.mask(info.id);
      const int p = mask ? mask->previous_chunks : 0;
      auto index = std::make_shared<const LayoutIndex>(*layout, p);
      run->mask = checked_mask(std::move(mask), index->length(), &run->anomalies);
      run->settings_summary = settings_summary(layout->settings_json, run->mask.get());
      run->layout = std::move(index);
    }
  } else {
    run->layout = previous->layout;
    run->mask = previous->mask;
    run->settings_summary = previous->settings_summary;
    for (const auto& a : previous->anomalies)
      if (a.rfind("steps:", 0) != 0 && a.rfind("layers:", 0) != 0) run->anomalies.push_back(a);
  }
  if (run->layout && reread_layout)
    for (const auto& a : run->layout->anomalies()) run->anomalies.push_back(a);

  // Steps: only those after the previous snapshot's are read.
  if (previous && !previous->decode_steps.empty() &&
      decode_range.count >= static_cast<int64_t>(previous->decode_steps.size())) {
    run->decode_steps = previous->decode_steps;
    auto more = reader.decode_steps(info.id, previous->decode_steps.back().step + 1);
    run->decode_steps.insert(run->decode_steps.end(), std::make_move_iterator(more.begin()),
                             std::make_move_iterator(more.end()));
  } else if (decode_range.count > 0) {
    run->decode_steps = reader.decode_steps(info.id);
  }
  if (previous && !previous->train_steps.empty() &&
      train_range.count >= static_cast<int64_t>(previous->train_steps.size())) {
    // A step's evaluation row may follow its training row: re-read the last step.
    const int64_t last = previous->train_steps.back().step;
    run->train_steps = previous->train_steps;
    while (!run->train_steps.empty() && run->train_steps.back().step == last)
      run->train_steps.pop_back();
    auto more = reader.train_steps(info.id, last);
    run->train_steps.insert(run->train_steps.end(), more.begin(), more.end());
  } else if (train_range.count > 0) {
    run->train_steps = reader.train_steps(info.id);
  }
  run->detail_steps = detail;
  build_steps(*run);

  const int32_t recorded_layers = reader.num_layers(info.id);
  run->num_layers = std::max(info.num_layers, recorded_layers);
  if (run->num_layers > kMaxLayers || run->num_layers < 0) {
    run->anomalies.push_back("layers: a layer number of " + std::to_string(recorded_layers) +
                             " is recorded; layers past " + std::to_string(kMaxLayers) +
                             " are left out");
    run->num_layers = std::clamp(info.num_layers, 0, kMaxLayers);
  }
  run->num_heads = std::clamp(info.num_score_heads, 0, kMaxHeads);
  run->facts = read_run_facts(info.config_json, run->layout.get());
  run->quality = summary::summarize_decode(info.config_json, run->decode_steps);
  const int levels = run->layout ? run->layout->num_levels() : std::max(1, info.num_levels);
  run->baseline = summary::baseline_label(run->quality.baseline, levels);
  if (run->layout) run->prompt_length = prompt_length(*run->layout, run->decode_steps);
  return run;
}

}  // namespace ssa::gui
