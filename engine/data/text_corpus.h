// Real text from Debian packages, read where the packages put it (never
// copied into the repository):
//   fortunes        /usr/share/games/fortunes/<name> files, entries split by "%" lines
//   bible-kjv-text  /usr/lib/bible.data is a compressed binary format; it is
//                   read through the `bible` program of package bible-kjv
//                   (`bible -l0 gen1:1-rev22:21`), one document per chapter.
// Every tenth document is held out for evaluation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/data/rng.h"

namespace ssa {

enum class Split { kTrain, kHeldOut };

struct TextCorpus {
  std::string name;
  std::vector<std::string> documents;

  static bool held_out(size_t index) { return index % 10 == 9; }
  // Exactly `bytes` bytes of running text from one split: a random document
  // from a random line start, continued with further random documents
  // (separated by a blank line) when it is too short.
  std::string sample(Split split, Rng& rng, size_t bytes) const;
};

// Throws std::runtime_error naming the directory / program when unreadable.
TextCorpus load_fortunes(const std::string& dir = "/usr/share/games/fortunes");
TextCorpus load_bible(const std::string& program = "bible");
// The same from a file holding that program's output (for machines without
// the package: scripts/gpu-train.sh --prepare writes one into .carry/).
TextCorpus load_bible_text(const std::string& path);

}  // namespace ssa
