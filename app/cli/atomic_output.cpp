// Atomic output files: see atomic_output.h.
#include "app/cli/atomic_output.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "app/cli/commands.h"

namespace ssa::cli {
namespace {

std::string folder_of(const std::string& path) {
  const std::string parent = std::filesystem::path(path).parent_path().string();
  return parent.empty() ? "." : parent;
}

bool fsync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

void refuse_output_onto_input(const std::string& output, const std::string& flag,
                              const std::vector<std::string>& inputs) {
  struct stat out;
  if (::stat(output.c_str(), &out) != 0) return;  // a new file overwrites nothing
  for (const std::string& input : inputs) {
    struct stat in;
    if (!input.empty() && ::stat(input.c_str(), &in) == 0 && in.st_dev == out.st_dev &&
        in.st_ino == out.st_ino)
      throw UsageError(flag + " " + output + ": is the input " + input +
                       " (a command never writes over what it reads)");
  }
}

AtomicOutput::AtomicOutput(std::string path, std::string flag)
    : path_(std::move(path)), flag_(std::move(flag)) {
  const std::string folder = folder_of(path_);
  struct stat st;
  if (::stat(folder.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw InputError(flag_ + " " + path_ + ": the folder " + folder + " does not exist");
  if (::stat(path_.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    throw InputError(flag_ + " " + path_ + ": is a folder, expected a file name");
  // mkstemp: a unique name that no other process (or command) shares.
  std::string pattern =
      folder + "/." + std::filesystem::path(path_).filename().string() + ".tmp-XXXXXX";
  const int fd = ::mkstemp(pattern.data());
  if (fd < 0)
    throw InputError(flag_ + " " + path_ + ": cannot write in " + folder + " (" +
                     std::strerror(errno) + ")");
  ::fchmod(fd, 0644);
  ::close(fd);
  temporary_ = pattern;
  stream_.open(temporary_, std::ios::binary | std::ios::trunc);
  if (!stream_) {
    std::remove(temporary_.c_str());
    throw InputError(flag_ + " " + path_ + ": cannot write " + temporary_);
  }
}

AtomicOutput::~AtomicOutput() {
  if (committed_) return;
  stream_.close();
  std::remove(temporary_.c_str());
}

void AtomicOutput::commit() {
  if (stream_.is_open()) {
    stream_.flush();
    const bool ok = static_cast<bool>(stream_);
    stream_.close();
    if (!ok) throw InputError(flag_ + " " + path_ + ": write failed (disk full?)");
  }
  if (!fsync_path(temporary_, O_RDONLY))
    throw InputError(flag_ + " " + path_ + ": cannot sync " + temporary_);
  if (std::rename(temporary_.c_str(), path_.c_str()) != 0)
    throw InputError(flag_ + " " + path_ + ": cannot replace it (" + std::strerror(errno) + ")");
  committed_ = true;
  fsync_path(folder_of(path_), O_RDONLY | O_DIRECTORY);  // the rename itself, on disk
}

void write_atomically(const std::string& path, const std::string& flag,
                      const std::function<void(const std::string& temporary)>& write) {
  AtomicOutput out(path, flag);
  out.stream().close();  // the writer opens the path itself
  write(out.temporary_path());
  out.commit();
}

}  // namespace ssa::cli
