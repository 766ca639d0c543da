// ssa-gui-make-recording OUT.ssarec [--raw N] [--hierarchy chunk8-chunk8]
//     [--shadow-full] [--baselines oracle,recency,gist-only,full] ...
// Writes a synthetic recording (see recording_generator.h): the GUI
// benchmark's 128K-context, 2000-step file and small demo files.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>

#include "engine/layout/gist_layout.h"
#include "tests/gui/recording_generator.h"

int main(int argc, char** argv) {
  CLI::App app{"Write a synthetic .ssarec recording for the workbench GUI"};
  std::string out, hierarchy = "chunk8";
  ssa::gui::testing::RecordingShape shape;
  app.add_option("out", out, "recording to write")->required();
  app.add_option("--raw", shape.raw_tokens, "raw tokens of the document")->capture_default_str();
  app.add_option("--hierarchy", hierarchy, "chunk8, chunk4-chunk4, ...")->capture_default_str();
  app.add_option("--sink", shape.sink)->capture_default_str();
  app.add_option("--previous", shape.previous_chunks)->capture_default_str();
  app.add_option("--block", shape.block_size)->capture_default_str();
  app.add_option("--layers", shape.layers)->capture_default_str();
  app.add_option("--heads", shape.heads)->capture_default_str();
  app.add_option("--steps", shape.steps)->capture_default_str();
  app.add_option("--k", shape.k)->capture_default_str();
  app.add_option("--seed", shape.seed)->capture_default_str();
  app.add_option("--dense-layers", shape.dense_layers, "first layers that do not select")
      ->capture_default_str();
  app.add_flag("--shadow-full", shape.shadow_full,
               "record the full-attention mass the unfolded chunks cover, per step");
  app.add_option("--baselines", shape.baselines, "oracle,recency,gist-only,full")->delimiter(',');
  CLI11_PARSE(app, argc, argv);
  try {
    const auto settings = ssa::parse_hierarchy(hierarchy);
    shape.chunk = settings.chunk;
    shape.group_sizes = settings.group_sizes;
    const auto start = std::chrono::steady_clock::now();
    const auto runs = ssa::gui::testing::generate_recording(out, shape);
    std::printf("wrote %s: %zu runs in %.1f s\n", out.c_str(), runs.size(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ssa-gui-make-recording: %s\n", e.what());
    return 1;
  }
  return 0;
}
