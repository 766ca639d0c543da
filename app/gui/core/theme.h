// Theme: the one colour language of the workbench and its fonts.
//
// Every view takes its colours from here, so a gist is the same amber in the
// mask, the token strip, the hierarchy and the timeline; a meta-gist of level k
// has one colour per level; unfolded chunks are green and the selected path is
// cyan everywhere. Views never invent colours of their own.
#pragma once

#include <imgui.h>

namespace ssa::gui::theme {

// --- the SSA colour language (ImU32, ABGR as ImGui packs it) ---------------
ImU32 raw_token();            // an ordinary text token
ImU32 gist_level(int level);  // 0 = gist, k >= 1 = meta-gist of level k
ImU32 unfolded();             // a chunk the selection unfolded
ImU32 selected_path();        // the chosen gists / the chunk the user selected
ImU32 answer();               // where a task's answer lives (and the steps that unfolded it)
ImU32 coverage();             // share of the full-attention mass the unfolded chunks cover
ImU32 bookmark();             // a user's bookmark on the step axis
ImU32 error();                // an error message
ImU32 metric();               // a plotted quantity without an SSA meaning (ms, loss, ...)
ImU32 compare_a();            // compare view: chosen only by the first run
ImU32 compare_b();            // compare view: chosen only by the second run
ImU32 suffix();               // prompt suffix and generated tokens
ImU32 sink();                 // attention-sink tokens
ImU32 masked();               // a mask cell that may not be attended
ImU32 grid();                 // faint guide lines (chunk and block boundaries)
ImU32 text_dim();             // secondary text, axis labels
ImU32 panel_background();     // the inside of a plot or map
// Colour of a stream role (0 raw, 1 gist, k+1 meta-gist of level k).
ImU32 role_colour(int role);
// Scores: a sequential map from dark (low) to bright (high); t in [0, 1].
ImU32 score_colour(float t);
// `colour` with its alpha replaced (0..1).
ImU32 with_alpha(ImU32 colour, float alpha);

// --- fonts -----------------------------------------------------------------
struct Fonts {
  ImFont* ui = nullptr;     // labels, tooltips, buttons
  ImFont* mono = nullptr;   // token text
  ImFont* title = nullptr;  // panel titles
};
// Loads DejaVu Sans / Sans Mono at a readable size (falls back to ImGui's
// default font, scaled, when the files are absent) and applies the style.
// Call once after ImGui::CreateContext(), before the renderer builds its atlas.
void apply(float scale = 1.0f);
const Fonts& fonts();

}  // namespace ssa::gui::theme
