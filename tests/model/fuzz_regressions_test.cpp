// Inputs the fuzzers found (fuzz/, scripts/fuzz.sh), as regression tests of
// the normal suite: each was an uncaught exception (a crash of any program
// that reads the file), each must now be refused with one line naming it.
// All three: a number too large for a double ("1e400") makes nlohmann::json
// throw out_of_range, not the parse_error the readers caught.
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>

#include "engine/model/model_config.h"
#include "engine/model/safetensors.h"
#include "engine/train/train_config.h"

namespace {

void expect_one_line_naming(const std::string& message, const std::string& source) {
  EXPECT_EQ(message.rfind(source + ": ", 0), 0u) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

// train_config_fuzz: crash-7bf82037..., "weight_decay": 1e3080.1 in a shipped config.
TEST(FuzzRegressions, TrainConfigWithANumberBeyondDouble) {
  try {
    ssa::parse_train_config(R"({"init": "m", "optim": {"weight_decay": 1e3080}})", "t.json");
    FAIL() << "accepted";
  } catch (const std::runtime_error& e) {
    expect_one_line_naming(e.what(), "t.json");
  }
}

// model_config_fuzz: crash-04648dbc..., "gist_token_base": 2591e308 in a config.json.
TEST(FuzzRegressions, ModelConfigWithANumberBeyondDouble) {
  try {
    ssa::parse_model_config(R"({"vocab_size": 260, "ssa": {"gist_token_base": 2591e308}})",
                            "config.json");
    FAIL() << "accepted";
  } catch (const std::runtime_error& e) {
    expect_one_line_naming(e.what(), "config.json");
  }
}

// safetensors_fuzz: crash-0b77494c..., "shape": [2E24934] in a header.
TEST(FuzzRegressions, SafetensorsHeaderWithANumberBeyondDouble) {
  const std::string path = std::string(SSA_BINARY_DIR) + "/fuzz_regression.safetensors";
  const std::string header =
      R"({"a": {"dtype": "F32", "shape": [2E24934], "data_offsets": [0, 8]}})";
  {
    std::ofstream out(path, std::ios::binary);
    const uint64_t n = header.size();
    out.write(reinterpret_cast<const char*>(&n), 8);
    out << header << std::string(8, '\0');
  }
  try {
    ssa::load_safetensors(path);
    FAIL() << "accepted";
  } catch (const std::runtime_error& e) {
    expect_one_line_naming(e.what(), path);
  }
  std::remove(path.c_str());
}

}  // namespace
