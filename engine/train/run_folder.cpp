// RunFolder: see run_folder.h. The order of writes is the invariant: a step
// directory is complete (every file fsynced) before its rename, the rename
// is durable before the `checkpoint` link moves to it, and older step
// directories go only after the link no longer names them.
#include "engine/train/run_folder.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "engine/model/message.h"

namespace ssa {
namespace {

namespace fs = std::filesystem;

constexpr const char* kConfig = "train_config.json";
constexpr const char* kLog = "train_log.jsonl";
constexpr const char* kSteps = "checkpoints";
constexpr const char* kLink = "checkpoint";
constexpr const char* kModel = "model";
constexpr const char* kState = "trainer_state.json";
// Where the run is recorded, if it is (app/cli/train_command.cpp writes it).
constexpr const char* kRecording = "recording.json";
// What a complete step directory holds.
constexpr const char* kCheckpointFiles[] = {"config.json", "model.safetensors", "optimizer.pt",
                                            kState};

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what);
}

// File operations in POSIX terms: LibTorch's libraries export a copy of
// std::filesystem whose remove_all crashes when it wins symbol resolution.
bool exists_at(const fs::path& p) {
  struct stat st;
  return ::lstat(p.c_str(), &st) == 0;
}
bool is_directory_at(const fs::path& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}
bool is_file_at(const fs::path& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}
bool same_file(const fs::path& a, const fs::path& b) {
  struct stat sa, sb;
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}
void remove_tree(const fs::path& p) {
  if (!exists_at(p)) return;
  const int rc = ::nftw(
      p.c_str(), [](const char* path, const struct stat*, int, FTW*) { return ::remove(path); }, 16,
      FTW_DEPTH | FTW_PHYS);
  if (rc != 0) fail(message(p.string(), ": cannot remove"));
}
void make_directories(const fs::path& p) {
  std::string prefix;
  for (const auto& part : p) {
    prefix = prefix.empty() ? part.string() : (fs::path(prefix) / part).string();
    if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST)
      fail(message(prefix, ": cannot create the folder"));
  }
  if (!is_directory_at(p)) fail(message(p.string(), ": not a folder"));
}
void rename_path(const fs::path& from, const fs::path& to) {
  if (::rename(from.c_str(), to.c_str()) != 0)
    fail(message("cannot rename ", from.string(), " to ", to.string()));
}
std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (const dirent* e = ::readdir(d))
    if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") out.push_back(e->d_name);
  ::closedir(d);
  return out;
}

void sync(const fs::path& p, bool directory) {
  const int fd = ::open(p.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    if (fd >= 0) ::close(fd);
    fail(message(p.string(), ": cannot sync to disk"));
  }
  ::close(fd);
}

void sync_tree(const fs::path& dir) {
  for (const std::string& name : entries(dir))
    if (is_file_at(dir / name)) sync(dir / name, false);
  sync(dir, true);
}

std::string step_name(int64_t step) {
  char name[32];
  std::snprintf(name, sizeof name, "step-%06lld", static_cast<long long>(step));
  return name;
}

// The step a log line belongs to, -1 when it is not a whole JSON object with one.
int64_t line_step(const std::string& line) {
  try {
    const nlohmann::json j = nlohmann::json::parse(line);
    if (j.is_object() && j.contains("step") && j["step"].is_number_integer())
      return j["step"].get<int64_t>();
  } catch (const nlohmann::json::exception&) {
  }
  return -1;
}

}  // namespace

RunFolder::RunFolder(std::string dir) : dir_(std::move(dir)) {}

std::string RunFolder::path(const char* name) const {
  return (fs::path(dir_) / name).string();
}

bool RunFolder::holds_run() const {
  for (const char* name : {kConfig, kLog, kSteps, kLink, kModel, kRecording})
    if (exists_at(path(name))) return true;
  return false;
}

std::string RunFolder::checkpoint_dir() const {
  return path(kLink);
}

int64_t RunFolder::checkpoint_step() const {
  const fs::path link = path(kLink);
  if (!exists_at(link)) return -1;
  if (!is_directory_at(link))
    fail(message(link.string(), ": the checkpoint link names no directory"));
  for (const char* file : kCheckpointFiles)
    if (!is_file_at(link / file))
      fail(message((link / file).string(), ": missing (an incomplete checkpoint)"));
  std::ifstream in(link / kState);
  nlohmann::json state;
  try {
    state = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception&) {
    fail(message((link / kState).string(), ": not valid JSON"));
  }
  if (!state.is_object() || !state.contains("step") || !state["step"].is_number_integer())
    fail(message((link / kState).string(), ": expected {\"step\": <integer>}"));
  const int64_t step = state["step"].get<int64_t>();
  if (step < 0) fail(message((link / kState).string(), ": negative step ", step));
  return step;
}

void RunFolder::clear() {
  for (const char* name : {kConfig, kLog, kLink, kSteps, kModel, kRecording})
    remove_tree(path(name));
}

void RunFolder::start(const std::string& config_text) {
  make_directories(path(kSteps));
  const std::string tmp = path(kConfig) + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << config_text;
    if (!out.flush()) fail(message(tmp, ": cannot write"));
  }
  sync(tmp, false);
  rename_path(tmp, path(kConfig));
}

void RunFolder::open_log(int64_t last_step) {
  const std::string log_path = path(kLog);
  make_directories(dir_);
  if (last_step >= 0 && exists_at(log_path)) {
    // Keep the whole lines of the steps the checkpoint holds: later ones
    // are redone, and a line torn by a kill has no newline.
    std::ifstream in(log_path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    std::string kept, line;
    const std::string all = text.str();
    size_t begin = 0;
    for (size_t end; (end = all.find('\n', begin)) != std::string::npos; begin = end + 1) {
      line = all.substr(begin, end - begin);
      const int64_t step = line_step(line);
      if (step >= 0 && step <= last_step) kept += line + "\n";
    }
    const std::string tmp = log_path + ".tmp";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out << kept;
      if (!out.flush()) fail(message(tmp, ": cannot write"));
    }
    sync(tmp, false);
    rename_path(tmp, log_path);
    log_.open(log_path, std::ios::binary | std::ios::app);
  } else {
    log_.open(log_path, std::ios::binary | std::ios::trunc);
  }
  if (!log_) fail(message(log_path, ": cannot write"));
}

void RunFolder::log(const std::string& json_line) {
  // One write per line: a process killed in between leaves whole lines.
  const std::string line = json_line + "\n";
  log_.write(line.data(), static_cast<std::streamsize>(line.size()));
  log_.flush();
  if (!log_) fail(message(path(kLog), ": write failed (disk full?)"));
}

void RunFolder::save_checkpoint(int64_t step,
                                const std::function<void(const std::string& dir)>& write) {
  const fs::path steps = path(kSteps), link = path(kLink);
  const fs::path final_dir = steps / step_name(step);
  // Already saved at this step (a resume interrupted before its first step).
  if (exists_at(link) && same_file(link, final_dir)) return;
  make_directories(steps);
  const fs::path tmp = steps / ("." + step_name(step) + ".tmp");
  remove_tree(tmp);
  make_directories(tmp);
  write(tmp.string());
  {
    std::ofstream state(tmp / kState, std::ios::trunc);
    state << nlohmann::json{{"step", step}}.dump() << "\n";
    if (!state.flush()) fail(message((tmp / kState).string(), ": cannot write"));
  }
  sync_tree(tmp);
  remove_tree(final_dir);  // a leftover the link never named
  rename_path(tmp, final_dir);
  sync(steps, true);
  // The pointer: a new link beside the old one, renamed over it.
  const fs::path new_link = path(".checkpoint.tmp");
  ::unlink(new_link.c_str());
  struct stat st;
  if (::lstat(link.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    remove_tree(link);  // a checkpoint/ directory of an older version
  const std::string target = (fs::path(kSteps) / step_name(step)).string();
  if (::symlink(target.c_str(), new_link.c_str()) != 0)
    fail(message(new_link.string(), ": cannot create the checkpoint link"));
  rename_path(new_link, link);
  sync(dir_, true);
  // Older steps are no longer named: they go.
  for (const std::string& name : entries(steps))
    if (name != final_dir.filename().string()) remove_tree(steps / name);
}

void RunFolder::save_model(const std::function<void(const std::string& dir)>& write) {
  const fs::path final_dir = path(kModel), tmp = path(".model.tmp");
  remove_tree(tmp);
  make_directories(tmp);
  write(tmp.string());
  sync_tree(tmp);
  remove_tree(final_dir);
  rename_path(tmp, final_dir);
  sync(dir_, true);
}

}  // namespace ssa
