// message(a, b, c...): one-line error and log text built with operator<<.
//
// The engine does not use {fmt}: LibTorch 2.11 ships its own fmt 12 headers,
// which shadow the system fmt 9 headers while the system library is linked,
// so fmt::format in a LibTorch unit fails to link.
#pragma once

#include <sstream>
#include <string>

namespace ssa {

template <typename... Parts>
std::string message(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}

}  // namespace ssa
