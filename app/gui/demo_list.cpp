// The demo list (see demo_list.h): each recording's first decode run says
// what the demo is. Nothing here is typed per demo but the two titles.
#include "app/gui/demo_list.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "app/gui/model/run_data.h"
#include "app/gui/views/draw_helpers.h"
#include "app/summary/recording_summary.h"
#include "sessions/reader.h"

namespace ssa::gui {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A model's name from its folder: "assets/models/ssa-small" -> "ssa-small";
// a folder with a generic name ("out/smollm2-ssa/model") is named by its
// parent, and by the folder above too unless that is a plain output root
// ("out/gpu-train-eval/selective/model" -> "gpu-train-eval/selective": a
// phase name alone would say nothing).
std::string model_name(const std::string& path) {
  fs::path p = fs::path(path).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  const std::string name = p.filename().string();
  const bool generic = name == "model" || name == "final" || name == "hf" ||
                       name.rfind("checkpoint", 0) == 0 || name.rfind("step", 0) == 0;
  if (!generic || p.parent_path().filename().empty()) return name.empty() ? path : name;
  const fs::path parent = p.parent_path();
  const std::string above = parent.parent_path().filename().string();
  const bool root = above.empty() || above == "out" || above == "runs" || above == "models" ||
                    above == "." || above == "..";
  return root ? parent.filename().string() : above + "/" + parent.filename().string();
}

template <class T>
T get(const json& j, const char* key, T fallback) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    return fallback;
  }
}

// Whether the model had gists trained in (its config's ssa block gave the
// layout), only given a layout by flags (a base checkpoint), or byte-level.
std::string training_note(const json& c) {
  if (!c.contains("tokenizer")) return "byte-level, trained with gists";
  const std::string from = get<std::string>(c, "layout_from", "");
  if (from == "ssa block") return "trained with gists";
  if (from == "flags") return "base checkpoint, gists not trained";
  if (!from.empty()) return "trained with gists, layout from " + from;
  return "";
}

// "SSA chunk8, sink 3, previous 1, k=4" (H-SSA when the layout has levels);
// the budget as the workbench reads it (read_run_facts: old recordings too).
std::string layout_text(const json& c, const RunFacts& facts) {
  const auto it = c.find("layout");
  const json layout = it != c.end() && it->is_object() ? *it : json::object();
  const auto sizes = layout.find("group_sizes");
  const bool levels = sizes != layout.end() && sizes->is_array() && !sizes->empty();
  std::string s = std::string(levels ? "H-SSA " : "SSA ") +
                  get<std::string>(layout, "hierarchy", "layout unknown");
  if (layout.contains("sink")) s += ", sink " + std::to_string(get<int64_t>(layout, "sink", 0));
  if (c.contains("previous_chunks"))
    s += ", previous " + std::to_string(get<int64_t>(c, "previous_chunks", 0));
  if (facts.budget == "fixed")
    s += ", k=" + std::to_string(facts.k);
  else if (!facts.budget.empty())
    s += ", k " + facts.budget;
  return s;
}

// The description and runs lines from the demo's main run's configuration c.
void describe_run(Demo& demo, const sessions::RunInfo& run, const std::vector<std::string>& models,
                  const std::vector<std::string>& names) {
  const json c = parse_object(run.config_json);
  const RunFacts facts = read_run_facts(run.config_json, nullptr);
  const bool byte_level = !c.contains("tokenizer");
  demo.title = byte_level ? "Toy demo" : "Real-model demo";
  std::string model;
  for (const auto& m : models) model += (model.empty() ? "" : ", ") + m;
  const std::string note = training_note(c);
  if (!note.empty()) model += " (" + note + ")";
  demo.description = model + " \xC2\xB7 " + (facts.task.empty() ? "task unknown" : facts.task) +
                     ", " + draw::grouped_digits(get<int64_t>(c, "context", 0)) +
                     (byte_level ? " bytes" : " tokens") + " of context \xC2\xB7 " +
                     layout_text(c, facts);
  demo.runs = std::to_string(names.size()) + (names.size() == 1 ? " run: " : " runs: ");
  for (size_t i = 0; i < names.size(); ++i) demo.runs += (i ? " \xC2\xB7 " : "") + names[i];
}

}  // namespace

std::string demo_folder() {
  if (const char* dir = std::getenv("SSA_DEMO_DIR"); dir && *dir) return dir;
  return fs::path(summary::default_demo_path()).parent_path().string();
}

Demo describe_demo(const std::string& path, const std::string& title) {
  Demo demo;
  demo.path = path;
  demo.title = title;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    demo.problem = "not in this checkout: " + path + " is missing";
    return demo;
  }
  std::vector<sessions::RunInfo> runs;
  try {
    sessions::Reader reader(path);
    runs = reader.runs();
  } catch (const std::exception& e) {
    demo.problem = e.what();
    return demo;
  }
  // The demo is its first decode run that selects (else its first decode run).
  const sessions::RunInfo* main = nullptr;
  bool main_selects = false;  // the main run has no baseline
  std::vector<std::string> names, models;
  for (const auto& run : runs) {
    if (run.kind != "decode") continue;
    names.push_back(run.name);
    const json c = parse_object(run.config_json);
    const std::string model = model_name(get<std::string>(c, "model", "model unknown"));
    if (std::find(models.begin(), models.end(), model) == models.end()) models.push_back(model);
    const bool selects = get<std::string>(c, "baseline", "none") == "none";
    if (!main || (!main_selects && selects)) main = &run, main_selects = selects;
  }
  if (!main) {
    demo.problem = path + " has no decode run to show";
    return demo;
  }
  // parse_object and get<> read any configuration (a wrong shape reads as
  // absent keys): nothing here throws.
  describe_run(demo, *main, models, names);
  return demo;
}

std::vector<Demo> list_demos() {
  const char* dir = std::getenv("SSA_DEMO_DIR");
  const bool dir_given = dir && *dir;
  const std::string folder = demo_folder();
  const std::string toy =
      dir_given ? (fs::path(folder) / kToyDemoFile).string() : summary::default_demo_path();
  const std::string real = (fs::path(folder) / kRealModelDemoFile).string();
  std::vector<Demo> demos = {describe_demo(toy, "Toy demo"),
                             describe_demo(real, "Real-model demo")};
  std::vector<fs::path> others;
  std::error_code ec;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    std::error_code e2;
    if (p.extension() == ".ssarec" && fs::is_regular_file(p, e2) && !fs::equivalent(p, toy, e2) &&
        p.filename() != kRealModelDemoFile)
      others.push_back(p);
  }
  std::sort(others.begin(), others.end());
  for (const auto& p : others) {
    demos.push_back(describe_demo(p.string(), p.stem().string()));
    demos.back().title = p.stem().string();  // only the two named files are "the" demos
  }
  return demos;
}

}  // namespace ssa::gui
