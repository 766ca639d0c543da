// fortunes and KJV bible readers, and running-text sampling.
#include "engine/data/text_corpus.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "engine/model/message.h"

namespace ssa {

std::string TextCorpus::sample(Split split, Rng& rng, size_t bytes) const {
  // Documents of the split: those held_out() selects, or all others.
  const size_t n = documents.size();
  auto pick = [&]() -> const std::string& {
    for (;;) {
      const size_t i = rng.below(n);
      if (held_out(i) == (split == Split::kHeldOut)) return documents[i];
    }
  };
  const std::string& first = pick();
  size_t start = 0;
  if (first.size() > bytes) {  // start at a random line of a long document
    start = rng.below(first.size() - bytes + 1);
    const size_t line = first.rfind('\n', start);
    start = line == std::string::npos ? 0 : line + 1;
  }
  std::string text = first.substr(start, bytes);
  while (text.size() < bytes) text += "\n\n" + pick();
  text.resize(bytes);
  return text;
}

TextCorpus load_fortunes(const std::string& dir) {
  namespace fs = std::filesystem;
  TextCorpus corpus{"fortunes", {}};
  std::error_code ec;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    // Plain entry files only: not the .dat indexes nor the .u8 links.
    if (entry.is_regular_file() && !entry.is_symlink() && !entry.path().has_extension())
      files.push_back(entry.path());
  }
  if (ec || files.empty())
    throw std::runtime_error(message(dir, ": no fortune files (install package fortunes)"));
  std::sort(files.begin(), files.end());  // directory order is not deterministic
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    std::string line, entry;
    while (std::getline(in, line)) {
      if (line == "%") {
        if (!entry.empty()) corpus.documents.push_back(entry);
        entry.clear();
      } else {
        entry += line + "\n";
      }
    }
    if (!entry.empty()) corpus.documents.push_back(entry);
  }
  return corpus;
}

namespace {

// `bible -l0` output: a "Book N" line opens each chapter, then "  V text" verses.
TextCorpus parse_bible(const std::string& all, const std::string& source) {
  TextCorpus corpus{"bible", {}};
  std::istringstream lines(all);
  std::string line, chapter;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    if (line[0] != ' ') {
      if (!chapter.empty()) corpus.documents.push_back(chapter);
      chapter = line + "\n";
    } else {
      chapter += line.substr(line.find_first_not_of(' ')) + "\n";
    }
  }
  if (!chapter.empty()) corpus.documents.push_back(chapter);
  if (corpus.documents.size() < 1000)
    throw std::runtime_error(
        message(source, ": read ", corpus.documents.size(),
                " chapters, expected the whole KJV bible (install packages bible-kjv and "
                "bible-kjv-text)"));
  return corpus;
}

}  // namespace

TextCorpus load_bible(const std::string& program) {
  const std::string cmd = program + " -l0 gen1:1-rev22:21 2>/dev/null";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  if (!pipe) throw std::runtime_error(message(program, ": cannot run (install package bible-kjv)"));
  std::string all;
  char buffer[1 << 16];
  size_t got;
  while ((got = fread(buffer, 1, sizeof buffer, pipe.get())) > 0) all.append(buffer, got);
  return parse_bible(all, program);
}

TextCorpus load_bible_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(message(path, ": cannot open (expected `bible -l0` output)"));
  std::stringstream text;
  text << in.rdbuf();
  return parse_bible(text.str(), path);
}

}  // namespace ssa
