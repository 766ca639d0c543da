#include "engine/eval/eval_metrics.h"

#include <algorithm>
#include <cmath>

namespace ssa::eval {
namespace {

constexpr const char* kBlank = " \t\r\n";

std::string trimmed(const std::string& s) {
  const size_t first = s.find_first_not_of(kBlank);
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(kBlank) - first + 1);
}

double mean(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return v.empty() ? 0 : sum / static_cast<double>(v.size());
}

}  // namespace

bool exact_match(const std::string& expected, const std::string& generated) {
  return trimmed(expected) == trimmed(generated);
}

double char_accuracy(const std::string& expected, const std::string& generated) {
  const std::string want = trimmed(expected);
  if (want.empty()) return 0;
  const size_t first = generated.find_first_not_of(kBlank);
  const std::string got = first == std::string::npos ? "" : generated.substr(first);
  size_t right = 0;
  for (size_t i = 0; i < want.size() && i < got.size(); ++i) right += want[i] == got[i];
  return static_cast<double>(right) / static_cast<double>(want.size());
}

int64_t answer_step(const std::vector<StepNumbers>& steps, const std::string& expected) {
  std::string text;
  std::vector<size_t> piece_end;  // one past each step's piece in `text`
  for (const StepNumbers& s : steps) piece_end.push_back((text += s.piece).size());
  const std::string want = trimmed(expected);
  size_t at = want.empty() ? std::string::npos : text.find(want);
  if (at == std::string::npos) at = text.find_first_not_of(kBlank);
  if (at == std::string::npos) return 0;
  return std::upper_bound(piece_end.begin(), piece_end.end(), at) - piece_end.begin();
}

void score_example(ExampleOutcome& o) {
  o.exact = exact_match(o.expected, o.generated);
  o.char_accuracy = char_accuracy(o.expected, o.generated);
  o.answer_step = answer_step(o.steps, o.expected);
  o.answer_unfolded = o.answer_step < static_cast<int64_t>(o.steps.size())
                          ? o.steps[static_cast<size_t>(o.answer_step)].answer_unfolded
                          : -1;
}

std::optional<double> percentile(std::vector<double> values, double q) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  const double rank = std::ceil(q * static_cast<double>(values.size()));
  const size_t index = static_cast<size_t>(std::max(1.0, rank)) - 1;
  return values[std::min(index, values.size() - 1)];
}

ConfigMetrics summarize(const std::vector<ExampleOutcome>& examples, int64_t context) {
  ConfigMetrics m;
  m.n = static_cast<int64_t>(examples.size());
  std::vector<double> exact, chars, recall, coverage, scored, read, later_ms;
  for (const ExampleOutcome& e : examples) {
    exact.push_back(e.exact ? 1 : 0);
    chars.push_back(e.char_accuracy);
    if (e.answer_unfolded >= 0) recall.push_back(e.answer_unfolded);
    for (size_t s = 0; s < e.steps.size(); ++s) {
      const StepNumbers& step = e.steps[s];
      if (step.coverage >= 0) coverage.push_back(step.coverage);
      scored.push_back(step.keys_scored);
      read.push_back(step.keys_read);
      if (s > 0) later_ms.push_back(1000 * step.seconds);
    }
  }
  m.exact = mean(exact);
  m.char_accuracy = mean(chars);
  if (!recall.empty()) m.recall = mean(recall);
  if (!coverage.empty()) {
    m.coverage_mean = mean(coverage);
    m.coverage_p10 = percentile(coverage, 0.1);
  }
  m.keys_scored_per_step = mean(scored);
  m.keys_read_per_step = mean(read);
  if (m.keys_read_per_step > 0) m.compression = static_cast<double>(context) / m.keys_read_per_step;
  if (!later_ms.empty()) m.ms_per_step = mean(later_ms);
  return m;
}

}  // namespace ssa::eval
