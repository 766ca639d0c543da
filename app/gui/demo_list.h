// The demos the first screen offers (views.h: DemoPage): the shipped toy
// demo, the real-model demo beside it, then any other recording in the demo
// folder. Each is described in one line from its own recording's metadata
// (the model, the task and its context, the layout and budget), read through
// sessions::Reader; a demo that is missing or unreadable stays in the list,
// disabled, with the reason, so the first screen always says what it offers.
#pragma once

#include <string>
#include <vector>

namespace ssa::gui {

struct Demo {
  std::string path;
  std::string title;        // "Toy demo", "Real-model demo", else the file's name
  std::string description;  // one line from the recording ("" when it cannot be read)
  std::string runs;         // its runs' names, "6 runs: SSA chunk8, k=4, ..." ("" unread)
  std::string problem;      // why it cannot be opened; "" when it can
  bool available() const { return problem.empty(); }
};

// The two demos the first screen always names, as files of the demo folder.
inline constexpr const char* kToyDemoFile = "demo.ssarec";
inline constexpr const char* kRealModelDemoFile = "smollm2-passkey.ssarec";

// Where the demos are: $SSA_DEMO_DIR when set, else the folder of the
// shipped demo recording (summary::default_demo_path()).
std::string demo_folder();
// The toy demo (summary::default_demo_path() unless $SSA_DEMO_DIR is set),
// the real-model demo, then the folder's other .ssarec files by name.
std::vector<Demo> list_demos();
// One recording described; `title` is the one used when it cannot be read.
// A model with a tokenizer of its own (a Hugging Face checkpoint) makes a
// real-model demo, a byte-level one (the shipped small models) a toy demo.
Demo describe_demo(const std::string& path, const std::string& title);

}  // namespace ssa::gui
