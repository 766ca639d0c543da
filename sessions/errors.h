// Errors of sessions/: every message is one line that names the file.
#pragma once

#include <stdexcept>
#include <string>

namespace ssa::sessions {

// Any failure to read or write a recording ("run.ssarec: disk I/O error").
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The file is not a recording this build can use: not SQLite, a foreign SQLite
// file, a newer format version, truncated or corrupt data.
struct FormatError : Error {
  using Error::Error;
};

}  // namespace ssa::sessions
