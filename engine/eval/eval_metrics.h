// The numbers `ssa-workbench eval` reports, defined on plain values (no
// LibTorch) so that a test can work them out by hand.
//
// Per example (one decode of a task's answer):
//   exact          the generated text is the answer, both trimmed of white space
//   char_accuracy  answer characters matched position by position, from the
//                  first non-blank generated character, over the answer's length
//   answer_step    the decode step that produced the answer's first character
//                  (where the answer starts in the generated text; not found:
//                  where the first non-blank character is; none: step 0)
//   answer_unfolded  at answer_step, whether some selecting layer (any head)
//                  unfolded the chunk that holds the answer: 1 / 0, -1 unknown
//                  (full attention selects nothing; an answer in the sink)
// Per configuration (method, task, context, k, levels), over its examples:
//   exact, char_accuracy   means
//   recall                 mean answer_unfolded over the examples that know it
//   coverage_mean / _p10   of every decode step's full-attention mass coverage
//                          (--shadow-full), pooled over the examples; p10 is
//                          the nearest-rank 10th percentile
//   keys_scored / keys_read  means over every decode step (step 0 included)
//   compression            context / keys_read (gists read count as keys)
//   ms_per_step            mean time of the steps after the first, whose time
//                          is the prefill's
// A value nothing measured is empty (std::nullopt), never a sentinel.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ssa::eval {

// One decode step as the harness keeps it.
struct StepNumbers {
  std::string piece;  // text of the token produced
  double seconds = 0;
  double keys_scored = 0, keys_read = 0;
  double coverage = -1;      // < 0: not measured
  int answer_unfolded = -1;  // 1 / 0, -1 unknown
};

struct ExampleOutcome {
  std::string expected, generated;
  std::vector<StepNumbers> steps;
  bool exact = false;
  double char_accuracy = 0;
  int64_t answer_step = 0;
  int answer_unfolded = -1;
};

bool exact_match(const std::string& expected, const std::string& generated);
double char_accuracy(const std::string& expected, const std::string& generated);
// Step whose piece holds the answer's first character in the concatenated pieces.
int64_t answer_step(const std::vector<StepNumbers>& steps, const std::string& expected);

// Fills exact, char_accuracy, answer_step and answer_unfolded from expected,
// generated and steps.
void score_example(ExampleOutcome& outcome);

// Nearest rank: the smallest value with at least q of the values at or below
// it (q in (0, 1]); nullopt for no values.
std::optional<double> percentile(std::vector<double> values, double q);

struct ConfigMetrics {
  int64_t n = 0;
  double exact = 0, char_accuracy = 0;
  std::optional<double> compression, recall, coverage_mean, coverage_p10;
  double keys_scored_per_step = 0, keys_read_per_step = 0;
  std::optional<double> ms_per_step;
};

// `context`: the configuration's context (the --contexts value).
ConfigMetrics summarize(const std::vector<ExampleOutcome>& examples, int64_t context);

}  // namespace ssa::eval
