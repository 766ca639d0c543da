// DataMix: draws training and evaluation examples from a weighted mix of
// sources (fortunes, bible, passkey, multikey, multidoc), deterministically:
// example i of step s depends only on (seed, split, s, i).
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "engine/data/tasks.h"
#include "engine/data/text_corpus.h"

namespace ssa {

struct DataMixSettings {
  std::map<std::string, double> weights{{"fortunes", 1.0}};  // source -> relative weight
  std::string fortunes_dir = "/usr/share/games/fortunes";
  std::string bible_program = "bible";
  std::string bible_text;  // if set: a file of `bible -l0` output, used instead of the program
  uint64_t seed = 0;
};

// Reads the "data" block's "mix", "fortunes_dir" and "bible_program" keys;
// unknown sources or negative weights are errors naming `source`.
DataMixSettings parse_data_mix(const nlohmann::json& block, const std::string& source);

class DataMix {
 public:
  // Loads only the corpora the weights (or multidoc's filler) need.
  explicit DataMix(DataMixSettings settings);

  // Document size for a source whose suffix is at most `suffix_bytes` long.
  using DocumentBudget = std::function<int64_t(int64_t suffix_bytes)>;

  // One example of a source drawn by weight, its document sized by `budget`.
  Example sample(Split split, uint64_t step, uint64_t index, const DocumentBudget& budget) const;
  // An example of one named source (evaluation per task).
  Example sample_source(const std::string& source, Split split, uint64_t step, uint64_t index,
                        const DocumentBudget& budget) const;

  const DataMixSettings& settings() const { return settings_; }

 private:
  Example draw(const std::string& source, Split split, Rng& rng, int64_t document_bytes) const;

  DataMixSettings settings_;
  std::shared_ptr<TextCorpus> fortunes_, bible_;
  double total_weight_ = 0;
};

}  // namespace ssa
