// bench_tokenizer: encode speed (MB/s) of BpeTokenizer beside the Hugging Face `tokenizers`
// library, single-threaded (RAYON_NUM_THREADS=1, TOKENIZERS_PARALLELISM=false, one
// encode() call, no batch), on the same few MB of real text, in one run.
//
//   build/tests/tokenizer/bench_tokenizer [MEGABYTES]     (default 4)
//
// Text: the fortune files (prose) and Python's standard library sources (code), both from
// Debian packages. Two ways: the whole text in one encode() call, and paragraph by
// paragraph (split at blank lines, one call each, as documents arrive). Each side warms up
// once, then reports its best of five runs; the token counts are compared too.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "engine/tokenizer/bpe_tokenizer.h"
#include "engine/tokenizer/unicode_text.h"
#include "tests/tokenizer/oracle.h"

namespace ssa::test {
namespace {

std::string real_text(size_t bytes) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const char* dir : {"/usr/share/games/fortunes", "/usr/lib/python3.11"}) {
    std::vector<fs::path> in_dir;
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (e.is_regular_file() && !e.is_symlink() && e.path().extension() != ".dat")
        in_dir.push_back(e.path());
    std::sort(in_dir.begin(), in_dir.end());
    files.insert(files.end(), in_dir.begin(), in_dir.end());
  }
  // Alternate prose and code so that both are in any prefix.
  std::string text;
  for (size_t i = 0; i < files.size() && text.size() < bytes; ++i) {
    const std::string content = read_file(files[i % 2 == 0 ? i / 2 : files.size() - 1 - i / 2]);
    if (!unicode::first_invalid_byte(content)) text += content;
  }
  return text.substr(0, bytes);
}

int run(size_t megabytes) {
  std::string text = real_text(megabytes * 1000 * 1000);
  while (!text.empty() && unicode::first_invalid_byte(text)) text.pop_back();  // a cut character
  if (text.size() < 100'000) {
    std::fprintf(stderr, "bench_tokenizer: not enough text (fortunes and python3.11 packages)\n");
    return 1;
  }
  TempDir dir;
  std::ofstream(dir / "text.txt", std::ios::binary) << text;
  std::printf("text: %.2f MB (fortunes + Python sources)\n", text.size() / 1e6);

  std::vector<std::pair<std::string, fs::path>> tokenizers;
  if (auto d = smollm2_dir()) tokenizers.emplace_back("SmolLM2", *d / "tokenizer.json");
  if (auto f = llama32_tokenizer_json()) tokenizers.emplace_back("Llama-3.2", *f);
  TempDir trained;
  if (train_tokenizer("qwen2", trained / "qwen2.json"))
    tokenizers.emplace_back("Qwen2-style (trained)", trained / "qwen2.json");
  std::vector<std::string_view> paragraphs;
  for (size_t start = 0;;) {
    const size_t end = text.find("\n\n", start);
    paragraphs.push_back(
        std::string_view(text).substr(start, end == std::string::npos ? end : end - start));
    if (end == std::string::npos) break;
    start = end + 2;
  }
  int status = 0;
  for (const auto& [name, file] : tokenizers) {
    const auto tokenizer = BpeTokenizer::from_file(file);
    std::string reply;
    if (!run_oracle({"bench", file.string(), (dir / "text.txt").string(), "5"}, &reply)) return 1;
    const auto theirs = nlohmann::json::parse(reply.substr(reply.find('{')));
    for (const char* mode : {"whole", "paragraphs"}) {
      const std::vector<std::string_view> pieces =
          std::string(mode) == "whole" ? std::vector<std::string_view>{text} : paragraphs;
      size_t tokens = 0;
      for (auto p : pieces) tokens += tokenizer->encode(p).size();  // warm-up
      double best = 1e30;
      for (int r = 0; r < 5; ++r) {
        const auto start = std::chrono::steady_clock::now();
        for (auto p : pieces) tokenizer->encode(p);
        best = std::min(
            best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      }
      const double ours = text.size() / best / 1e6;
      const double hf = theirs[mode]["mb_per_s"].get<double>();
      const bool same = theirs[mode]["tokens"].get<size_t>() == tokens;
      std::printf(
          "%-22s %-10s ours %7.2f MB/s   tokenizers %6.2f MB/s   ratio %5.2fx   %zu tokens%s\n",
          name.c_str(), mode, ours, hf, ours / hf, tokens, same ? "" : "  (TOKEN COUNTS DIFFER)");
      if (!same) status = 1;
    }
  }
  return status;
}

}  // namespace
}  // namespace ssa::test

int main(int argc, char** argv) {
  return ssa::test::run(argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 4);
}
