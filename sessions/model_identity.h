// Model identity: the SHA-256 of a weights file, for RunInfo::model_hash.
//
// Two recordings made with the same weights carry the same identity, so the
// GUI's compare view can tell "same model, different attention" from
// "different models". Reads the file once, streaming (about 0.5 GB/s on one
// core: compute it once per checkpoint, not per run, for large models).
#pragma once

#include <string>

namespace ssa::sessions {

// "sha256:<64 hex digits>" of the file's bytes. Throws Error naming the file
// when it cannot be read.
std::string weights_identity(const std::string& path);

// SHA-256 of a byte string, as 64 lower-case hex digits (FIPS 180-4).
std::string sha256_hex(const std::string& bytes);

}  // namespace ssa::sessions
