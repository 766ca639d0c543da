// Decode quality numbers (see decode_quality.h).
#include "app/summary/decode_quality.h"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace ssa::summary {

DecodeSummary summarize_decode(const std::string& config_json,
                               const std::vector<sessions::DecodeStepRecord>& steps) {
  DecodeSummary out;
  try {
    const auto config = nlohmann::json::parse(config_json);
    if (config.is_object()) {
      auto text = [&](const char* key) {
        return config.contains(key) && config[key].is_string() ? config[key].get<std::string>()
                                                               : std::string();
      };
      out.baseline = text("baseline");
      out.mode = text("mode");
      out.task = text("task");
      out.answer = text("answer");
      if (config.contains("shadow_full") && config["shadow_full"].is_boolean())
        out.shadow_full = config["shadow_full"].get<bool>();
      if (config.contains("k") && config["k"].is_number_integer())
        out.k = config["k"].get<int32_t>();
      out.budget = text("budget");
      if (config.contains("dense_layers") && config["dense_layers"].is_number_integer())
        out.dense_layers = config["dense_layers"].get<int32_t>();
    }
  } catch (const std::exception&) {
    // An unreadable configuration leaves the fields empty.
  }
  out.steps = static_cast<int64_t>(steps.size());
  double coverage_sum = 0, read = 0, scored = 0;
  for (const auto& s : steps) {
    read += static_cast<double>(s.keys_read);
    scored += static_cast<double>(s.keys_scored);
    if (s.full_mass_coverage >= 0) {
      coverage_sum += s.full_mass_coverage;
      out.min_coverage = out.coverage_steps == 0 ? s.full_mass_coverage
                                                 : std::min(out.min_coverage, s.full_mass_coverage);
      out.max_coverage = std::max(out.max_coverage, s.full_mass_coverage);
      ++out.coverage_steps;
    }
    if (s.answer_unfolded >= 0) {
      ++out.answer_steps;
      if (s.answer_unfolded > 0) {
        ++out.answer_unfolded;
        if (out.first_answer_step < 0) out.first_answer_step = s.step;
      }
    }
  }
  if (out.coverage_steps > 0) out.mean_coverage = coverage_sum / out.coverage_steps;
  if (out.steps > 0)
    out.mean_keys_read = read / out.steps, out.mean_keys_scored = scored / out.steps;
  return out;
}

std::string baseline_label(const std::string& baseline, int num_levels) {
  if (baseline == "none") return num_levels > 1 ? "H-SSA" : "SSA";
  if (baseline == "full") return "full attention";
  if (baseline.empty()) return "?";
  return baseline;
}

std::vector<StepBin> bin_steps(const std::vector<sessions::DecodeStepRecord>& steps, int64_t first,
                               int64_t last, int bins) {
  std::vector<StepBin> out;
  const int64_t count = last - first + 1;
  if (count <= 0 || bins <= 0) return out;
  const int64_t n = std::min<int64_t>(bins, count);
  out.resize(static_cast<size_t>(n));
  auto it = std::lower_bound(
      steps.begin(), steps.end(), first,
      [](const sessions::DecodeStepRecord& s, int64_t step) { return s.step < step; });
  for (int64_t b = 0; b < n; ++b) {
    StepBin& bin = out[static_cast<size_t>(b)];
    bin.first = first + b * count / n;
    bin.last = first + (b + 1) * count / n - 1;
    double sum = 0;
    for (; it != steps.end() && it->step <= bin.last; ++it) {
      if (it->full_mass_coverage >= 0) sum += it->full_mass_coverage, ++bin.coverage_steps;
      if (it->answer_unfolded >= 0)
        ++bin.answer_steps, bin.answer_unfolded += it->answer_unfolded > 0;
    }
    if (bin.coverage_steps > 0) bin.coverage = sum / bin.coverage_steps;
  }
  return out;
}

const sessions::DecodeStepRecord* find_step(const std::vector<sessions::DecodeStepRecord>& steps,
                                            int64_t step) {
  auto it =
      std::lower_bound(steps.begin(), steps.end(), step,
                       [](const sessions::DecodeStepRecord& s, int64_t v) { return s.step < v; });
  return it != steps.end() && it->step == step ? &*it : nullptr;
}

}  // namespace ssa::summary
