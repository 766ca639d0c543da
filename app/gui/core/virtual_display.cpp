// VirtualDisplay (see virtual_display.h).
#include "app/gui/core/virtual_display.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>
#include <string>

#include "app/gui/core/posix_files.h"

namespace ssa::gui {

bool VirtualDisplay::installed() {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  for (size_t start = 0, end; start <= dirs.size(); start = end + 1) {
    end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    if (files::is_regular_file(files::join(dirs.substr(start, end - start), "Xvfb"))) return true;
  }
  return false;
}

VirtualDisplay::VirtualDisplay(int width, int height) {
  if (!installed()) throw std::runtime_error("no display and no Xvfb: set DISPLAY or install xvfb");
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("cannot start Xvfb: no pipe");
  const std::string fd = std::to_string(fds[1]);
  const std::string screen = std::to_string(width) + "x" + std::to_string(height) + "x24";
  pid_ = ::fork();
  if (pid_ == 0) {
    ::close(fds[0]);
    // Xvfb's chatter (keymap warnings) is not ours to show.
    if (FILE* null = std::fopen("/dev/null", "w")) ::dup2(fileno(null), 2);
    ::execlp("Xvfb", "Xvfb", "-displayfd", fd.c_str(), "-screen", "0", screen.c_str(), "-nolisten",
             "tcp", static_cast<char*>(nullptr));
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
