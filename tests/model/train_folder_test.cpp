// A training run's folder survives whatever stops it: real `ssa-workbench
// train` processes are killed with SIGKILL at random moments, again and again,
// and interrupted with SIGINT / SIGTERM; after each stop the folder holds whole
// log lines, a complete checkpoint no newer than the log, and resuming ends
// with exactly the loss curve of a run that was never stopped (one recording
// run, too). Before any of it, what train() refuses: an existing folder,
// --resume without a checkpoint, damaged checkpoints, a diverging loss.
#include <fcntl.h>
#include <ftw.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "engine/train/train_config.h"
#include "engine/train/trainer.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// (Not std::filesystem::remove_all: LibTorch exports a copy of it that crashes.)
void remove_tree(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return;
  ::nftw(
      path.c_str(), [](const char* p, const struct stat*, int, FTW*) { return ::remove(p); }, 16,
      FTW_DEPTH | FTW_PHYS);
}

bool exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

int64_t file_size(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? int64_t(st.st_size) : -1;
}

std::string scratch(const std::string& name) {
  const fs::path dir = fs::path(SSA_BINARY_DIR) / "tests" / "model" / "scratch" / name;
  remove_tree(dir.string());
  fs::create_directories(dir.parent_path());
  return dir.string();
}

// A config small enough to train hundreds of steps in seconds on one core;
// generated tasks only (no corpora needed).
std::string tiny_config(int64_t steps, int64_t save_every, double lr = 3e-3) {
  return json{{"model",
               {{"model_type", "llama"},
                {"vocab_size", 259},
                {"hidden_size", 32},
                {"intermediate_size", 64},
                {"num_hidden_layers", 1},
                {"num_attention_heads", 2},
                {"num_key_value_heads", 1},
                {"tie_word_embeddings", true}}},
              {"ssa", {{"hierarchy", "chunk4"}, {"sink", 3}, {"previous_chunks", 1}}},
              {"data", {{"seq_len", 96}, {"mix", {{"passkey", 1}, {"multikey", 1}}}}},
              {"optim", {{"lr", lr}, {"warmup_ratio", 0.1}}},
              {"train",
               {{"steps", steps},
                {"batch_size", 2},
                {"eval_every", 0},
                {"eval_batches", 1},
                {"save_every", save_every},
                {"log_every", 1000},
                {"seed", 5},
                {"threads", 1}}}}
      .dump(2);
}

std::string write_config(const std::string& dir, const std::string& text) {
  const std::string path = dir + ".json";
  std::ofstream(path) << text;
  return path;
}

ssa::TrainOptions options_for(const std::string& dir) {
  ssa::TrainOptions o;
  o.out_dir = dir;
  o.progress = false;
  return o;
}

// --- what train() refuses ----------------------------------------------------

TEST(TrainFolder, AnExistingRunIsNeverOverwrittenWithoutResumeOrForce) {
  const std::string dir = scratch("existing");
  const ssa::TrainConfig c = ssa::parse_train_config(tiny_config(4, 0), "tiny.json");
  ssa::train(c, options_for(dir));
  const std::string log_before = [&] {
    std::ifstream in(dir + "/train_log.jsonl");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }();
  ASSERT_FALSE(log_before.empty());
  try {
    ssa::train(c, options_for(dir));
    FAIL() << "a second run overwrote the folder";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("already holds a training run"), std::string::npos);
  }
  std::ifstream in(dir + "/train_log.jsonl");
  std::stringstream after;
  after << in.rdbuf();
  EXPECT_EQ(after.str(), log_before);
  EXPECT_EQ(ssa::checkpoint_step(dir), 4);
  // --force starts afresh; files that are not the run's stay.
  std::ofstream(dir + "/notes.txt") << "mine";
  ssa::TrainOptions force = options_for(dir);
  force.force = true;
  EXPECT_EQ(ssa::train(c, force).losses.size(), 4u);
  EXPECT_TRUE(exists(dir + "/notes.txt"));
}

TEST(TrainFolder, AConfigThatFailsOnItsDataTouchesNothing) {
  const std::string dir = scratch("missing_data");
  const ssa::TrainConfig good = ssa::parse_train_config(tiny_config(3, 0), "tiny.json");
  ssa::train(good, options_for(dir));
  const auto size = file_size(dir + "/train_log.jsonl");
  json broken = json::parse(tiny_config(3, 0));
  broken["data"]["mix"] = {{"fortunes", 1}};
  broken["data"]["fortunes_dir"] = dir + "/no-such-corpus";
  ssa::TrainOptions resume = options_for(dir);
  resume.resume = true;
  EXPECT_THROW(ssa::train(ssa::parse_train_config(broken.dump(), "broken.json"), resume),
               std::runtime_error);
  EXPECT_EQ(file_size(dir + "/train_log.jsonl"), size);
}

TEST(TrainFolder, ResumeNeedsAUsableCheckpoint) {
  const std::string dir = scratch("resume_checks");
  const ssa::TrainConfig c = ssa::parse_train_config(tiny_config(6, 0), "tiny.json");
  ssa::TrainOptions resume = options_for(dir);
  resume.resume = true;
  EXPECT_THROW(ssa::train(c, resume), std::invalid_argument);  // nothing to resume
  ssa::TrainOptions first = options_for(dir);
  first.stop_after = 3;
  ssa::train(c, first);
  ASSERT_EQ(ssa::checkpoint_step(dir), 3);
  const std::string state = dir + "/checkpoint/trainer_state.json";
  const std::string optimizer = dir + "/checkpoint/optimizer.pt";
  auto expect_refused = [&](const std::string& says) {
    try {
      ssa::train(c, resume);
      ADD_FAILURE() << "resumed from a damaged checkpoint (" << says << ")";
    } catch (const std::runtime_error& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find(says), std::string::npos) << msg;
      EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    }
  };
  std::ofstream(state) << "{\"step\": 99}\n";  // beyond the config's 6 steps
  expect_refused("step 99 is beyond the config's 6 steps");
  std::ofstream(state) << "{\"step\": -2}\n";
  expect_refused("negative step -2");
  std::ofstream(state) << "{\"step\": 3}\n";
  const auto bytes = file_size(optimizer);
  ASSERT_EQ(::truncate(optimizer.c_str(), bytes / 2), 0);  // truncated
  expect_refused("optimizer.pt: unreadable optimizer state");
  ::unlink(optimizer.c_str());  // missing
  expect_refused("optimizer.pt: missing");
  EXPECT_EQ(ssa::checkpoint_step(dir + "-nowhere"), -1);
}

TEST(TrainFolder, ALossThatTurnsNanStopsTheRun) {
  const std::string dir = scratch("diverges");
  const ssa::TrainConfig c = ssa::parse_train_config(tiny_config(40, 0, 1e6), "tiny.json");
  try {
    ssa::train(c, options_for(dir));
    FAIL() << "a diverging run ended normally";
  } catch (const ssa::TrainingFailure& e) {
    EXPECT_NE(std::string(e.what()).find("training diverged"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(exists(dir + "/model"));
  std::ifstream in(dir + "/train_log.jsonl");
  for (std::string line; std::getline(in, line);) {
    const json j = json::parse(line);
    EXPECT_TRUE(std::isfinite(j["loss"].get<double>())) << line;  // no NaN was logged
  }
}

// --- real processes, stopped by signals --------------------------------------

std::string binary() {
  return std::string(SSA_BINARY_DIR) + "/app/ssa-workbench";
}

pid_t spawn(const std::vector<std::string>& args, const std::string& output) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The log's train lines (step -> loss), checking that every line is whole.
std::map<int64_t, double> log_losses(const std::string& dir, std::vector<int64_t>* order) {
  const std::string text = slurp(dir + "/train_log.jsonl");
  EXPECT_TRUE(text.empty() || text.back() == '\n')
      << "a torn last line: " << text.substr(text.size() > 200 ? text.size() - 200 : 0);
  std::map<int64_t, double> losses;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    json j;
    try {
      j = json::parse(line);
    } catch (const json::exception&) {
      ADD_FAILURE() << "not a whole JSON line: " << line;
      continue;
    }
    if (!j.contains("loss")) continue;  // an evaluation
    const int64_t step = j["step"].get<int64_t>();
    if (order) order->push_back(step);
    losses[step] = j["loss"].get<double>();
  }
  return losses;
}

// After any stop: whole lines, steps 1..L once each in order, a complete
// checkpoint at S <= L. Returns S (-1 without a checkpoint).
int64_t check_invariants(const std::string& dir) {
  std::vector<int64_t> order;
  const auto losses = log_losses(dir, &order);
  for (size_t i = 0; i < order.size(); ++i)
    EXPECT_EQ(order[i], int64_t(i + 1)) << "log steps out of order or repeated";
  int64_t step = -1;
  EXPECT_NO_THROW(step = ssa::checkpoint_step(dir));
  if (step >= 0) {
    for (const char* f : {"config.json", "model.safetensors", "optimizer.pt"})
      EXPECT_TRUE(exists(dir + "/checkpoint/" + f)) << f;
    EXPECT_LE(step, int64_t(order.size())) << "the checkpoint is ahead of the log";
  }
  return step;
}

bool wait_for_log_lines(const std::string& dir, size_t lines, pid_t pid) {
  for (int i = 0; i < 600; ++i) {
    std::vector<int64_t> order;
    if (exists(dir + "/train_log.jsonl") && log_losses(dir, &order).size() >= lines) return true;
    int status;
    if (::waitpid(pid, &status, WNOHANG) == pid) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

int64_t recorded_steps(const std::string& recording, int* runs, int* finished) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(recording.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  auto one = [&](const char* q) {
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db, q, -1, &s, nullptr);
    int64_t v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    sqlite3_finalize(s);
    return v;
  };
  *runs = int(one("SELECT count(*) FROM runs"));
  *finished = int(one("SELECT count(*) FROM runs WHERE finished = 1"));
  const int64_t distinct = one("SELECT count(DISTINCT step) FROM train_steps WHERE is_eval = 0");
  EXPECT_EQ(one("SELECT count(*) FROM train_steps WHERE is_eval = 0"), distinct);
  EXPECT_EQ(one("SELECT max(step) FROM train_steps WHERE is_eval = 0"), distinct);
  sqlite3_close(db);
  return distinct;
}

class TrainProcess : public ::testing::Test {
 protected:
  void SetUp() override {
    struct stat st;
    if (::stat(binary().c_str(), &st) != 0) GTEST_SKIP() << "ssa-workbench is not built";
  }
  // The curve of a run that is never stopped.
  std::map<int64_t, double> reference(const std::string& config, int64_t steps) {
    const std::string dir =
        scratch(std::string("reference-") +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
    const int rc =
        wait_exit(spawn({binary(), "train", "--config", config, "--out", dir}, dir + ".out"));
    EXPECT_EQ(rc, 0) << slurp(dir + ".out");
    const auto losses = log_losses(dir, nullptr);
    EXPECT_EQ(int64_t(losses.size()), steps);
    return losses;
  }
};

TEST_F(TrainProcess, KillNineAtRandomMomentsThenResumeGivesTheUnstoppedCurve) {
  const int64_t steps = 600;  // more than 8 rounds of at most 50 steps make
  const std::string dir = scratch("killed");
  const std::string config = write_config(dir, tiny_config(steps, 7));
  const auto expected = reference(config, steps);
  std::mt19937 rng(20261202);
  std::uniform_int_distribution<int> startup_ms(50, 900), more_steps(3, 50), extra_ms(0, 25);
  int kills = 0, with_checkpoint = 0;
  std::string trail;
  for (int round = 0; round < 8; ++round) {
    const int64_t at = ssa::checkpoint_step(dir);
    std::vector<std::string> args = {binary(), "train", "--config", config, "--out", dir};
    // A run killed before its first checkpoint cannot be resumed: start afresh.
    if (at >= 0) args.push_back("--resume");
    if (at < 0 && exists(dir)) args.push_back("--force");
    std::vector<int64_t> before;
    if (exists(dir + "/train_log.jsonl")) log_losses(dir, &before);
    const pid_t pid = spawn(args, dir + ".out");
    // Every third kill lands while it starts (loading, or cutting the log
    // back); the others a few steps in, at any point of a step or a save.
    if (round % 3 == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(startup_ms(rng)));
    } else {
      const size_t target = std::max(before.size(), size_t(at > 0 ? at : 0)) + more_steps(rng);
      EXPECT_TRUE(wait_for_log_lines(dir, target, pid)) << slurp(dir + ".out");
      std::this_thread::sleep_for(std::chrono::milliseconds(extra_ms(rng)));
    }
    const bool killed = ::kill(pid, SIGKILL) == 0;
    const int rc = wait_exit(pid);
    if (killed && rc == 128 + SIGKILL) ++kills;
    SCOPED_TRACE("round " + std::to_string(round) + ", exit " + std::to_string(rc) + ": " +
                 slurp(dir + ".out"));
    const int64_t checkpoint = check_invariants(dir);
    with_checkpoint += checkpoint >= 0;
    std::vector<int64_t> logged;
    if (exists(dir + "/train_log.jsonl")) log_losses(dir, &logged);
    trail += " " + std::to_string(logged.size()) + "/" + std::to_string(checkpoint);
  }
  std::printf("kill -9 rounds (steps logged / checkpoint step after each):%s\n", trail.c_str());
  EXPECT_EQ(kills, 8) << "a run ended before its kill";
  EXPECT_GE(with_checkpoint, 4);
  // Resume to the end: exactly the curve of the run never stopped.
  std::vector<std::string> args = {binary(), "train", "--config", config, "--out", dir};
  args.push_back(ssa::checkpoint_step(dir) >= 0 ? "--resume" : "--force");
  ASSERT_EQ(wait_exit(spawn(args, dir + ".out")), 0) << slurp(dir + ".out");
  check_invariants(dir);
  const auto losses = log_losses(dir, nullptr);
  ASSERT_EQ(losses.size(), expected.size());
  for (const auto& [step, loss] : expected) EXPECT_EQ(losses.at(step), loss) << "step " << step;
  EXPECT_TRUE(exists(dir + "/model/model.safetensors"));
}

TEST_F(TrainProcess, SigintAndSigtermSaveACheckpointAndResumeContinuesTheRecording) {
  const int64_t steps = 120;
  const std::string dir = scratch("interrupted");
  const std::string config = write_config(dir, tiny_config(steps, 50));
  const std::string recording = dir + ".ssarec";
  ::unlink(recording.c_str());
  const auto expected = reference(config, steps);
  int64_t last = 0;
  for (int sig : {SIGINT, SIGTERM}) {
    std::vector<std::string> args = {binary(), "train", "--config", config,
                                     "--out",  dir,     "--record", recording};
    if (sig == SIGTERM) args.push_back("--resume");
    const pid_t pid = spawn(args, dir + ".out");
    ASSERT_TRUE(wait_for_log_lines(dir, size_t(last) + 5, pid)) << slurp(dir + ".out");
    ::kill(pid, sig);
    EXPECT_EQ(wait_exit(pid), 128 + sig) << slurp(dir + ".out");
    // The checkpoint is where it stopped (not at the last save_every), the
    // log ends there too, the recording holds those steps in one run.
    std::vector<int64_t> order;
    log_losses(dir, &order);
    const int64_t at = check_invariants(dir);
    EXPECT_EQ(at, int64_t(order.size())) << "the checkpoint is not at the step it stopped";
    EXPECT_GT(at, last);
    int runs = 0, finished = 0;
    EXPECT_EQ(recorded_steps(recording, &runs, &finished), at);
    EXPECT_EQ(runs, 1);
    EXPECT_EQ(finished, 0);
    last = at;
  }
  ASSERT_EQ(wait_exit(spawn({binary(), "train", "--config", config, "--out", dir, "--record",
                             recording, "--resume"},
                            dir + ".out")),
            0)
      << slurp(dir + ".out");
  const auto losses = log_losses(dir, nullptr);
  ASSERT_EQ(losses.size(), expected.size());
  for (const auto& [step, loss] : expected) EXPECT_EQ(losses.at(step), loss) << "step " << step;
  int runs = 0, finished = 0;
  EXPECT_EQ(recorded_steps(recording, &runs, &finished), steps);  // one curve, each step once
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(finished, 1);
}

TEST_F(TrainProcess, BadInputsExitTwoWithOneLineAndWriteNothing) {
  const std::string dir = scratch("bad_inputs");
  const std::string config = write_config(dir, tiny_config(5, 0));
  json bad = json::parse(tiny_config(5, 0));
  bad["optim"]["weight_decay"] = -1;
  const std::string bad_config = write_config(dir + "-bad", bad.dump());
  const std::vector<std::vector<std::string>> cases = {
      {"train", "--config", bad_config, "--out", dir},
      {"train", "--config", config, "--out", dir, "--resume"},
      {"train", "--config", config, "--out", dir, "--stop-after", "-5"},
      {"train", "--config", dir + "-none.json", "--out", dir},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {binary()};
    args.insert(args.end(), c.begin(), c.end());
    const int rc = wait_exit(spawn(args, dir + ".out"));
    const std::string err = slurp(dir + ".out");
    EXPECT_EQ(rc, 2) << err;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
    EXPECT_FALSE(exists(dir)) << err;
  }
  // A run that diverges fails: exit 1, one line (it used to end with exit 0).
  const std::string diverging = write_config(dir + "-nan", tiny_config(40, 0, 1e6));
  const int rc =
      wait_exit(spawn({binary(), "train", "--config", diverging, "--out", dir}, dir + ".out"));
  const std::string err = slurp(dir + ".out");
  EXPECT_EQ(rc, 1) << err;
  EXPECT_NE(err.find("training diverged"), std::string::npos) << err;
}

}  // namespace
