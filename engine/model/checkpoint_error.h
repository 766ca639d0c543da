// CheckpointError: a model directory or file that cannot be used as given
// (bad config.json, safetensors header, shard index, tokens, weights). The
// message is one line naming the file and what is wrong; the CLI reports it
// as bad input (exit 2). It is a std::runtime_error, so older callers that
// catch those keep working.
#pragma once

#include <stdexcept>

namespace ssa {

struct CheckpointError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace ssa
