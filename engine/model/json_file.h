// Reads a JSON file of a checkpoint directory (config.json, the shard index,
// generation_config.json, tokenizer files) as one object.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace ssa {

// The file's JSON object, or null when the file does not exist (and
// `required` is false). Unreadable files, bad JSON and non-objects are a
// CheckpointError naming the file.
nlohmann::json read_json_file(const std::string& path, bool required = false);

}  // namespace ssa
