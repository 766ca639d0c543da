// The model is the real architecture: tiny random Qwen2 and Llama models made
// by transformers (scripts/hf_parity.py) load through our loader and give the
// same logits as transformers, full causal attention, fp32, on CPU (and on
// CUDA when present). Skips with the script's message if Python is missing.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <unistd.h>

#include "engine/model/checkpoint.h"

namespace {

namespace fs = std::filesystem;

// Runs the oracle once per test process; returns its output dir or "" with the
// reason in `why`. `missing` tells a missing Python side (skip) from a failure.
std::string oracle_dir(std::string* why, bool* missing = nullptr) {
  static std::string dir, reason;
  static bool python_missing = false;
  static bool done = false;
  if (!done) {
    done = true;
    // One directory per process: CTest runs the cases as parallel processes.
    dir = (fs::path(SSA_BINARY_DIR) / "tests" / "model" / ("hf_parity-" + std::to_string(getpid())))
              .string();
    // Removed at exit unless the oracle failed (its log is then the evidence).
    // rm -rf: fs::remove_all crashes when the torch wheel's copy of it is bound.
    static const struct Cleanup {
      std::string path;
      ~Cleanup() {
        if (!dir.empty()) std::system(("rm -rf \"" + path + "\" \"" + path + ".log\"").c_str());
      }
    } cleanup{dir};
    const std::string log = dir + ".log";
    const std::string cmd = std::string("\"") + SSA_PYTHON + "\" \"" + SSA_SOURCE_DIR +
                            "/scripts/hf_parity.py\" --out \"" + dir + "\" > \"" + log + "\" 2>&1";
    const int rc = std::system(cmd.c_str());
    if (rc != 0) {
      reason = "scripts/hf_parity.py failed (exit " + std::to_string(rc) + "), see " + log;
      python_missing = std::string(SSA_PYTHON).empty() || (WIFEXITED(rc) && WEXITSTATUS(rc) == 77);
      if (python_missing) reason = "Python oracle (torch, transformers) missing, see " + log;
      dir.clear();
    }
  }
  *why = reason;
  if (missing) *missing = python_missing;
  return dir;
}

double max_logit_diff(const std::string& name, c10::Device device) {
  std::string why;
  const std::string dir = oracle_dir(&why);
  if (dir.empty()) return -1;
  const std::string model_dir = dir + "/" + name;
  ssa::DecoderModel model = ssa::load_checkpoint(model_dir, device);
  ssa::TensorMap ref = ssa::load_safetensors(model_dir + "/reference.safetensors");
  const at::Tensor ids = ref.at("input_ids"), pos = ref.at("position_ids");
  const int64_t length = ids.size(1);
  const at::Tensor causal = at::ones({length, length}, at::kBool).tril();
  at::NoGradGuard no_grad;
  const at::Tensor logits = model.forward(ids, pos, causal).to(at::kCPU, at::kFloat);
  const double diff = (logits - ref.at("logits")).abs().max().item<double>();
  std::printf("hf parity %s on %s: max |logit diff| = %.3g (logits [%ld, %ld, %ld])\n",
              name.c_str(), device.str().c_str(), diff, logits.size(0), logits.size(1),
              logits.size(2));
  return diff;
}

class HfParity : public ::testing::TestWithParam<std::string> {};

// Skips only when the Python side is missing; any other oracle failure fails.
#define REQUIRE_ORACLE()                      \
  do {                                        \
    std::string why;                          \
    bool missing = false;                     \
    if (oracle_dir(&why, &missing).empty()) { \
      if (missing) GTEST_SKIP() << why;       \
      FAIL() << why;                          \
    }                                         \
  } while (0)

TEST_P(HfParity, LogitsMatchTransformersOnCpu) {
  REQUIRE_ORACLE();
  EXPECT_LT(max_logit_diff(GetParam(), c10::kCPU), 1e-4);
}

TEST_P(HfParity, LogitsMatchTransformersOnCuda) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device";
  REQUIRE_ORACLE();
  // fp32 matmuls must not drop to TF32 for a 1e-4 comparison.
  at::globalContext().setAllowTF32CuBLAS(false);
  EXPECT_LT(max_logit_diff(GetParam(), c10::Device(c10::kCUDA, 0)), 1e-4);
}

INSTANTIATE_TEST_SUITE_P(Architectures, HfParity, ::testing::Values("qwen2", "llama"));

}  // namespace
