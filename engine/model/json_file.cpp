// JSON files of checkpoint directories, with one-line errors.
#include "engine/model/json_file.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/model/checkpoint_error.h"
#include "engine/model/message.h"

namespace ssa {

nlohmann::json read_json_file(const std::string& path, bool required) {
  if (!required && !std::filesystem::exists(path)) return nullptr;
  std::ifstream in(path);
  if (!in) throw CheckpointError(message(path, ": cannot open"));
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::parse_error& e) {
    throw CheckpointError(message(path, ": not valid JSON (", e.what(), ")"));
  }
  if (!j.is_object()) throw CheckpointError(message(path, ": expected a JSON object"));
  return j;
}

}  // namespace ssa
