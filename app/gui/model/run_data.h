// RunData: one immutable, generation-stamped snapshot of a recorded run, as
// the Worker publishes it (app/gui/model/worker.h). A live refresh makes a new
// snapshot that shares the layout and mask of the previous one and adds the
// steps written since; views hold a snapshot for one frame and never see it
// change underneath them.
//
// Also here: what the run's config_json says about the task (read
// defensively: every key may be absent or of the wrong type), whether the
// generated text is right so far, and where the generated tokens begin.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "app/gui/model/layout_index.h"
#include "app/gui/model/run_id.h"
#include "app/summary/decode_quality.h"
#include "sessions/records.h"

namespace ssa::sessions {
class Reader;
}

namespace ssa::gui {

// What config_json says about the task and the decoding.
struct RunFacts {
  std::vector<int32_t> answer_chunks;  // chunk ids holding the task's answer
  std::string expected_answer;         // "answer": what a right run generates
  std::string task;                    // "passkey", "kv", ...
  int32_t dense_layers = 0;            // "dense_layers": the first N layers attend to their
                                       // training-mask row and select nothing
  std::string budget;                  // "budget": fixed | auto | reference | top-p ("" unknown)
  int32_t k = -1;                      // "k", -1 unknown
  int64_t expected_steps = -1;         // "steps" or "max_tokens" when recorded, else -1
};
RunFacts read_run_facts(const std::string& config_json, const LayoutIndex* layout);
// A run's config_json (or any JSON text) parsed, or an empty object when it is
// not a JSON object.
nlohmann::json parse_object(const std::string& text);

struct RunData {
  RunId id;
  int64_t generation = 0;  // the refresh of its file that made this snapshot
  sessions::RunInfo info;
  std::shared_ptr<const LayoutIndex> layout;        // null when the run has none
  std::shared_ptr<const sessions::BlockMask> mask;  // null when none (or unusable)
  std::vector<sessions::DecodeStepRecord> decode_steps;
  std::vector<sessions::TrainStepRecord> train_steps;
  std::vector<sessions::Bookmark> bookmarks;
  // The steps the transport walks, ascending: the decode steps, else the
  // detail steps (a damaged step number never makes a range of 2^62 steps).
  std::vector<int64_t> steps;
  sessions::StepRange detail_steps;  // steps with scores/selections
  int32_t num_layers = 0;
  int32_t num_heads = 0;  // rows of a score record
  RunFacts facts;
  std::string settings_summary;  // "chunk 8, sink 3, p 1" from the layout settings
  summary::DecodeSummary quality;
  std::string baseline;                // summary::baseline_label(): "SSA", "oracle", ...
  int64_t prompt_length = 0;           // stream positions before the first generated token
  std::vector<std::string> anomalies;  // what the recording got wrong, one line each

  bool has_layout() const { return layout && layout->length() > 0; }
  bool is_decode() const { return !decode_steps.empty() || detail_steps.count > 0; }
  bool is_training() const { return !train_steps.empty(); }
  // Stopped by an error (info.failure says why): shown as failed, never as live or finished.
  bool failed() const { return info.status() == sessions::RunStatus::kFailed; }
  // Finished or failed: nothing more will be written to it.
  bool ended() const { return info.status() != sessions::RunStatus::kIncomplete; }
  bool is_dense(int32_t layer) const { return layer >= 0 && layer < facts.dense_layers; }
  bool is_answer_chunk(int32_t chunk) const;
  // Index in `steps` of the first step >= `step` (clamped to the last).
  size_t step_index(int64_t step) const;
  // The record of `step`, nullptr when none.
  const sessions::DecodeStepRecord* decode_step(int64_t step) const;
};

// A snapshot named in a request to the Worker's threads: compared by run
// and generation, held weakly, so that a request never keeps a replaced
// snapshot alive (a live recording replaces them about twice a second).
struct RunRef {
  RunRef() = default;
  RunRef(const std::shared_ptr<const RunData>& run)  // NOLINT: a snapshot names itself
      : id(run ? run->id : RunId{}), generation(run ? run->generation : -1), data(run) {}
  RunId id;
  int64_t generation = -1;
  std::weak_ptr<const RunData> data;
  bool operator==(const RunRef& o) const { return id == o.id && generation == o.generation; }
  std::shared_ptr<const RunData> lock() const { return data.lock(); }
};

// Whether the text generated up to `step` (inclusive) is the expected answer.
struct AnswerCheck {
  enum class Verdict {
    kUnknown,     // the task has no expected answer
    kNothingYet,  // nothing generated yet
    kSoFarRight,  // a prefix of the answer
    kRight,       // the answer (what follows it is ignored)
    kWrong,       // differs from the answer
  };
  Verdict verdict = Verdict::kUnknown;
  std::string expected;
  std::string generated;          // up to `step`, end-of-text tokens left out
  int64_t first_wrong_step = -1;  // the step whose text first departs from the answer
};
AnswerCheck check_answer(const RunData& run, int64_t step);
// "right", "wrong", "so far right", ... for a verdict.
const char* verdict_text(AnswerCheck::Verdict verdict);
// With a mark and the first wrong step: "\u2713 right", "\u2717 wrong from step 2", "-" unknown.
std::string describe_verdict(const AnswerCheck& check);

// The snapshot of run `info` read through `reader`. With `previous` (an
// older snapshot of the same run) it reuses the layout and mask, reads only
// the steps written since, and returns `previous` itself when nothing changed.
// Throws what the Reader throws (one line naming the file).
std::shared_ptr<const RunData> load_run(sessions::Reader& reader, const sessions::RunInfo& info,
                                        RunId id, int64_t generation,
                                        const std::shared_ptr<const RunData>& previous);

}  // namespace ssa::gui
