// VirtualDisplay (see virtual_display.h).
#include "app/gui/core/virtual_display.h"

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>
#include <string>

#include <filesystem>

namespace ssa::gui {

bool VirtualDisplay::installed() {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  for (size_t start = 0, end; start <= dirs.size(); start = end + 1) {
    end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::error_code ec;
    if (std::filesystem::is_regular_file(
            std::filesystem::path(dirs.substr(start, end - start)) / "Xvfb", ec))
      return true;
  }
  return false;
}

VirtualDisplay::VirtualDisplay(int width, int height) {
  if (!installed()) throw std::runtime_error("no display and no Xvfb: set DISPLAY or install xvfb");
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("cannot start Xvfb: no pipe");
  const std::string fd = std::to_string(fds[1]);
  const std::string screen = std::to_string(width) + "x" + std::to_string(height) + "x24";
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ == 0) {
    ::close(fds[0]);
    // The server dies with us, however we end (a crash, a signal, kill -9):
    // the kernel sends it SIGTERM when the thread that forked it is gone.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(0);  // we were gone before prctl took effect
    // Xvfb's chatter (keymap warnings) is not ours to show.
    if (FILE* null = std::fopen("/dev/null", "w")) ::dup2(fileno(null), 2);
    // -noreset: an X server resets when its last client leaves, and refuses
    // connections while it does; each screenshot is a client that leaves.
    ::execlp("Xvfb", "Xvfb", "-displayfd", fd.c_str(), "-screen", "0", screen.c_str(), "-noreset",
             "-nolisten", "tcp", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[1]);
  if (pid_ < 0) {
    ::close(fds[0]);
    throw std::runtime_error("cannot start Xvfb: fork failed");
  }
  // Xvfb writes the display number it chose, then a newline, once it accepts clients.
  std::string number;
  pollfd p{fds[0], POLLIN, 0};
  while (::poll(&p, 1, 15000) > 0) {
    char c;
    if (::read(fds[0], &c, 1) != 1 || c == '\n') break;
    number += c;
  }
  ::close(fds[0]);
  if (number.empty()) {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    throw std::runtime_error("Xvfb did not start");
  }
  name_ = ":" + number;
  ::setenv("DISPLAY", name_.c_str(), 1);
}

VirtualDisplay::~VirtualDisplay() {
  ::unsetenv("DISPLAY");
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
}

}  // namespace ssa::gui
