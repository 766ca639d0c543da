// `ssa-workbench train` over several ranks, as real processes (c10d Gloo on
// the CPU, a TCPStore on loopback), against one process training on the
// same global batch:
//   - 2 ranks, grad_accum 2: each rank's micro-batch is one of the single
//     process's, and the gradient average (x + y) / 2 of gradients computed
//     against half the normaliser is exactly its x + y (scaling by 2 is exact
//     in floating point): the weights after 4 steps and the logged losses are
//     bitwise equal;
//   - 2 ranks, batch 4: each rank's micro-batch is half of the process's
//     batch, which re-associates the batch sums: bitwise equal to one process
//     at batch 2 x grad_accum 2, within float rounding of batch 4;
//   - a checkpoint of 2 ranks resumes in 1 process (and the reverse) to the
//     weights of a straight run;
//   - one rank failing or killed ends the other within seconds, one line;
//   - bad launch flags: one line, exit 2, nothing written.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "engine/model/checkpoint.h"
#include "engine/train/distributed/data_parallel.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string scratch(const std::string& name) {
  const fs::path p = fs::path(SSA_BINARY_DIR) / "tests" / "train" / "scratch" / name;
  // Not fs::remove_all (LibTorch exports a broken copy): rm.
  const std::string rm = "rm -rf '" + p.string() + "'";
  EXPECT_EQ(std::system(rm.c_str()), 0);
  fs::create_directories(p.parent_path());
  return p.string();
}

// A tiny config: generated tasks only (no corpora needed), one thread per
// rank, eval at the end only.
std::string write_config(const std::string& path, int batch, int accum, int steps,
                         const std::string& data = R"("mix": {"passkey": 1, "multikey": 1})") {
  std::ofstream(path) << R"({
    "model": {"model_type": "llama", "vocab_size": 259, "hidden_size": 32,
              "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2,
              "num_key_value_heads": 1, "tie_word_embeddings": true},
    "ssa": {"hierarchy": "chunk4", "sink": 3, "previous_chunks": 1},
    "data": {"seq_len": 96, )" +
                             data + R"(},
    "optim": {"lr": 3e-3, "warmup_ratio": 0.25},
    "train": {"steps": )" + std::to_string(steps) +
                             R"(, "batch_size": )" + std::to_string(batch) + R"(, "grad_accum": )" +
                             std::to_string(accum) +
                             R"(, "eval_every": 0, "eval_batches": 1, "seed": 5, "threads": 1}})";
  return path;
}

struct Process {
  pid_t pid = -1;
  std::string out, err;  // files
};

Process start(std::vector<std::string> args, const std::string& tag,
              const std::vector<std::string>& env = {}) {
  args.insert(args.begin(), std::string(SSA_BINARY_DIR) + "/app/ssa-workbench");
  Process run{-1, tag + ".stdout", tag + ".stderr"};
  run.pid = ::fork();
  if (run.pid == 0) {
    ::dup2(::open(run.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), 1);
    ::dup2(::open(run.err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), 2);
    for (const std::string& e : env) ::putenv(const_cast<char*>(e.c_str()));
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return run;
}

// One rank of a 2-rank run started by hand (launcher flags, no --nproc).
Process start_rank(int rank, const std::string& config, const std::string& out,
                   const std::string& port, const std::string& tag) {
  return start({"train", "--config", config, "--out", out, "--rank", std::to_string(rank),
                "--world-size", "2", "--master-port", port},
               tag);
}

// The exit code (128 + signal when killed), or -1 after `limit`.
int finish(const Process& run, std::chrono::seconds limit = std::chrono::seconds(300)) {
  const auto end = Clock::now() + limit;
  while (Clock::now() < end) {
    int status = 0;
    if (::waitpid(run.pid, &status, WNOHANG) == run.pid)
      return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1;
}

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) out.push_back(l);
  return out;
}

// The error lines (progress notes aside).
std::vector<std::string> errors(const std::string& text) {
  std::vector<std::string> out;
  for (const std::string& l : lines(text))
    if (l.rfind("ssa-workbench: ", 0) == 0) out.push_back(l);
  return out;
}

int train(const std::vector<std::string>& args, const std::string& tag) {
  const Process run = start(args, tag);
  const int code = finish(run);
  EXPECT_EQ(code, 0) << tag << ": " << read(run.err);
  return code;
}

std::vector<double> logged_losses(const std::string& dir) {
  std::vector<double> out;
  for (const std::string& l : lines(read(dir + "/train_log.jsonl"))) {
    const auto j = nlohmann::json::parse(l);
    if (j.contains("loss")) out.push_back(j["loss"].get<double>());
  }
  return out;
}

// max |a - b| over every weight of two checkpoints (same names and shapes).
double max_difference(const std::string& a, const std::string& b) {
  const ssa::DecoderModel ma = ssa::load_checkpoint(a), mb = ssa::load_checkpoint(b);
  double worst = 0;
  for (const auto& [name, t] : ma.weights())
    worst = std::max(worst, (t - mb.weights().at(name)).abs().max().item<double>());
  return worst;
}

class DataParallelTrain : public ::testing::Test {
 protected:
  // Every case but the flags' runs ranks over Gloo on the CPU.
  void SetUp() override {
    const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    if (!ssa::have_gloo() && name.find("Flags") == std::string::npos)
      GTEST_SKIP() << "this build has no Gloo (libgloo-dev)";
  }
  static void SetUpTestSuite() {
    // CTest runs each case in a process of its own, two at a time: a folder
    // per filter keeps them apart.
#ifdef GTEST_FLAG_GET
    std::string name = GTEST_FLAG_GET(filter);
#else
    std::string name = ::testing::GTEST_FLAG(filter);
#endif
    for (char& ch : name)
      if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
    dir = scratch(name.substr(0, 120));
    fs::create_directories(dir);
    // The single-process reference of the exact cases: batch 2 x grad_accum 2.
    write_config(dir + "/b2a2.json", 2, 2, 4);
    write_config(dir + "/long.json", 2, 2, 100000);  // runs until stopped
    train({"train", "--config", dir + "/b2a2.json", "--out", dir + "/one"}, dir + "/one");
  }
  static std::string dir;
};
std::string DataParallelTrain::dir;

TEST_F(DataParallelTrain, TwoRanksEqualOneProcessBitForBit) {
  train({"train", "--config", dir + "/b2a2.json", "--nproc", "2", "--out", dir + "/two"},
        dir + "/two");
  EXPECT_EQ(max_difference(dir + "/one/model", dir + "/two/model"), 0.0);
  const std::vector<double> one = logged_losses(dir + "/one"), two = logged_losses(dir + "/two");
  ASSERT_EQ(one.size(), 4u);
  EXPECT_EQ(one, two);  // the loss of each step, averaged over ranks
  // Rank 0 alone wrote the run: one summary, and nothing from rank 1.
  EXPECT_EQ(lines(read(dir + "/two.stdout")).size(), 3u) << read(dir + "/two.stdout");
  // A world of one (the path scripts/gpu-ddp.sh takes on one GPU) is one process.
  train({"train", "--config", dir + "/b2a2.json", "--nproc", "1", "--out", dir + "/world1"},
        dir + "/world1");
  EXPECT_EQ(max_difference(dir + "/one/model", dir + "/world1/model"), 0.0);
}

TEST_F(DataParallelTrain, SplitBatchEqualsAccumulationAndIsWithinRoundingOfTheWholeBatch) {
  write_config(dir + "/b4a1.json", 4, 1, 4);
  train({"train", "--config", dir + "/b4a1.json", "--nproc", "2", "--out", dir + "/split"},
        dir + "/split");
  train({"train", "--config", dir + "/b4a1.json", "--out", dir + "/whole"}, dir + "/whole");
  // Each rank's micro-batch of 2 is one of b2a2's micro-batches: exact.
  EXPECT_EQ(max_difference(dir + "/one/model", dir + "/split/model"), 0.0);
  // Against one batch of 4: the same examples and normaliser; only the order
  // of the float sums over the batch differs (about 1e-7 relative per
  // gradient), which Adam's update (size ~lr per weight) carries over 4
  // steps: a few ulps of weights of size ~0.1, far below lr = 3e-3.
  const double d = max_difference(dir + "/whole/model", dir + "/split/model");
  std::printf("2 ranks x batch 2 against 1 process x batch 4: max |weight difference| %.3g\n", d);
  EXPECT_LT(d, 1e-6);
}

TEST_F(DataParallelTrain, ResumesWithAnotherWorldSize) {
  // 2 ranks stop at step 2; one process resumes to the end, and the reverse.
  train({"train", "--config", dir + "/b2a2.json", "--nproc", "2", "--out", dir + "/r21",
         "--stop-after", "2"},
        dir + "/r21a");
  train({"train", "--config", dir + "/b2a2.json", "--out", dir + "/r21", "--resume"},
        dir + "/r21b");
  EXPECT_EQ(max_difference(dir + "/one/model", dir + "/r21/model"), 0.0);
  train({"train", "--config", dir + "/b2a2.json", "--out", dir + "/r12", "--stop-after", "1"},
        dir + "/r12a");
  train(
      {"train", "--config", dir + "/b2a2.json", "--nproc", "2", "--out", dir + "/r12", "--resume"},
      dir + "/r12b");
  EXPECT_EQ(max_difference(dir + "/one/model", dir + "/r12/model"), 0.0);
}

int free_port() {
  // The kernel's next ephemeral ports are rarely reused at once.
  static int port = 20000 + (::getpid() % 20000);
  return ++port;
}

TEST_F(DataParallelTrain, LauncherFlagsAndTorchrunEnvironmentTrainTheSameRun) {
  // Rank 0 from flags, rank 1 from torchrun's variables: the run of --nproc 2.
  const std::string port = std::to_string(free_port());
  const Process r0 = start_rank(0, dir + "/b2a2.json", dir + "/env", port, dir + "/env0");
  const Process r1 = start(
      {"train", "--config", dir + "/b2a2.json", "--out", dir + "/env1"}, dir + "/env1",
      {"RANK=1", "WORLD_SIZE=2", "LOCAL_RANK=1", "MASTER_ADDR=127.0.0.1", "MASTER_PORT=" + port});
  EXPECT_EQ(finish(r1), 0) << read(r1.err);
  EXPECT_EQ(finish(r0), 0) << read(r0.err);
  EXPECT_EQ(max_difference(dir + "/one/model", dir + "/env/model"), 0.0);
  EXPECT_FALSE(fs::exists(dir + "/env1"));  // only rank 0 writes
}

TEST_F(DataParallelTrain, ARankWithBadDataEndsTheOtherWithinSeconds) {
  // Launcher flags, as one process per machine would run: rank 1's config
  // names a corpus that does not exist.
  write_config(dir + "/bad.json", 2, 2, 4,
               R"("mix": {"passkey": 1, "fortunes": 1}, "fortunes_dir": "/nonexistent/fortunes")");
  const std::string port = std::to_string(free_port());
  const auto t0 = Clock::now();
  const Process r0 = start_rank(0, dir + "/b2a2.json", dir + "/bad0", port, dir + "/bad0");
  const Process r1 = start_rank(1, dir + "/bad.json", dir + "/bad1", port, dir + "/bad1");
  const int c1 = finish(r1, std::chrono::seconds(60)), c0 = finish(r0, std::chrono::seconds(60));
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("rank 1 failed, both ended after %.1f s\n", seconds);
  EXPECT_EQ(c1, 2) << read(r1.err);
  EXPECT_NE(c0, 0);
  EXPECT_NE(c0, -1) << "rank 0 hangs";
  const auto e1 = errors(read(r1.err)), e0 = errors(read(r0.err));
  ASSERT_EQ(e1.size(), 1u) << read(r1.err);
  EXPECT_NE(e1[0].find("rank 1: "), std::string::npos) << e1[0];
  EXPECT_NE(e1[0].find("/nonexistent/fortunes"), std::string::npos) << e1[0];
  ASSERT_EQ(e0.size(), 1u) << read(r0.err);  // a pointer to rank 1
  EXPECT_NE(e0[0].find("rank 0: stopped: rank 1"), std::string::npos) << e0[0];
  EXPECT_FALSE(fs::exists(dir + "/bad0/train_log.jsonl"));
}

TEST_F(DataParallelTrain, AKilledRankEndsTheRunWithOneLine) {
  const Process run =
      start({"train", "--config", dir + "/long.json", "--nproc", "2", "--out", dir + "/killed"},
            dir + "/killed");
  // Wait for training to run (a logged step), then kill rank 1.
  const auto limit = Clock::now() + std::chrono::seconds(120);
  while (Clock::now() < limit && lines(read(dir + "/killed/train_log.jsonl")).empty())
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const std::vector<std::string> children = lines(
      read("/proc/" + std::to_string(run.pid) + "/task/" + std::to_string(run.pid) + "/children"));
  ASSERT_FALSE(children.empty());
  std::istringstream ids(children[0]);
  std::vector<pid_t> pids;
  for (pid_t p; ids >> p;) pids.push_back(p);
  ASSERT_EQ(pids.size(), 2u);
  const auto t0 = Clock::now();
  ::kill(pids[1], SIGKILL);  // rank 1: the launcher starts the ranks in order
  const int code = finish(run, std::chrono::seconds(30));
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("killed rank 1: the run ended after %.1f s\n", seconds);
  EXPECT_EQ(code, 1) << read(run.err);
  EXPECT_LT(seconds, 10);
  const auto e = errors(read(run.err));
  ASSERT_EQ(e.size(), 1u) << read(run.err);
  EXPECT_EQ(e[0], "ssa-workbench: rank 1 was killed by SIGKILL");
  // No rank is left behind.
  EXPECT_NE(::kill(pids[0], 0), 0);
}

TEST_F(DataParallelTrain, AFrozenRankIsNoticedByItsHeartbeat) {
  // Started by hand (no launcher to see it die), rank 1 is stopped (SIGSTOP):
  // its connections stay open, so no collective fails; its heartbeat stops,
  // and rank 0 gives up on it after 10 s instead of waiting for the timeout.
  const std::string port = std::to_string(free_port());
  const Process r0 = start_rank(0, dir + "/long.json", dir + "/frozen", port, dir + "/frozen0");
  const Process r1 = start_rank(1, dir + "/long.json", dir + "/frozen1", port, dir + "/frozen1");
  const auto limit = Clock::now() + std::chrono::seconds(120);
  while (Clock::now() < limit && lines(read(dir + "/frozen/train_log.jsonl")).empty())
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ::kill(r1.pid, SIGSTOP);
  const auto t0 = Clock::now();
  const int code = finish(r0, std::chrono::seconds(60));
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  ::kill(r1.pid, SIGKILL);
  finish(r1);
  std::printf("rank 1 frozen: rank 0 ended after %.1f s\n", seconds);
  EXPECT_EQ(code, 1) << read(r0.err);
  EXPECT_LT(seconds, 20);
  const auto e = errors(read(r0.err));
  ASSERT_EQ(e.size(), 1u) << read(r0.err);
  EXPECT_NE(e[0].find("rank 0: rank 1 stopped responding"), std::string::npos) << e[0];
}

TEST_F(DataParallelTrain, InterruptStopsEveryRankWithACheckpoint) {
  const Process run = start(
      {"train", "--config", dir + "/long.json", "--nproc", "2", "--out", dir + "/interrupted"},
      dir + "/interrupted");
  const auto limit = Clock::now() + std::chrono::seconds(120);
  while (Clock::now() < limit && lines(read(dir + "/interrupted/train_log.jsonl")).size() < 2)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ::kill(run.pid, SIGINT);
  EXPECT_EQ(finish(run, std::chrono::seconds(60)), 130) << read(run.err);
  const auto e = errors(read(run.err));
  ASSERT_FALSE(e.empty());
  EXPECT_NE(e.back().find("interrupted (Interrupt) after step"), std::string::npos) << e.back();
  EXPECT_TRUE(fs::exists(dir + "/interrupted/checkpoint/optimizer.pt"));
}

TEST_F(DataParallelTrain, BadLaunchFlagsAreOneLineAndExit2) {
  const std::string config = dir + "/b2a2.json";
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--nproc", "0"}, "--nproc"},
      {{"--rank", "2", "--world-size", "2"}, "--rank 2"},
      {{"--rank", "0", "--world-size", "2", "--master-port", "70000"}, "--master-port"},
      {{"--nproc", "2", "--rank", "0"}, "--nproc"},
      {{"--rank", "1"}, "--world-size"},
      {{"--nproc", "3"}, "do not split evenly across 3 ranks"},
  };
  int i = 0;
  for (const auto& [flags, expected] : cases) {
    std::vector<std::string> args{"train", "--config", config, "--out", dir + "/flags"};
    args.insert(args.end(), flags.begin(), flags.end());
    const Process run = start(args, dir + "/flags" + std::to_string(i++));
    EXPECT_EQ(finish(run, std::chrono::seconds(60)), 2) << flags[0] << ": " << read(run.err);
    const auto e = lines(read(run.err));
    ASSERT_EQ(e.size(), 1u) << read(run.err);
    EXPECT_NE(e[0].find(expected), std::string::npos) << e[0];
    EXPECT_FALSE(fs::exists(dir + "/flags"));
  }
}

}  // namespace
