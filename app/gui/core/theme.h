// Theme: the workbench's one palette (one colour per meaning, everywhere)
// and its fonts.
//
// A gist is the same amber in the mask, the token strip, the hierarchy and
// the timeline; what the selection chose (a picked gist, an unfolded chunk,
// a chosen group) is green in every view; the task's answer is pink; the
// user's cursor (selected chunk, current step, crosshair) is white; scores
// run through one blue ramp that no other meaning uses; each evaluation
// method has a hue of its own too. The window's one legend (draw::legend) is
// drawn from meanings(), on the Evaluation page from method_meanings(). Views
// never invent colours of their own.
#pragma once

#include <imgui.h>

#include <string>
#include <vector>

namespace ssa::gui::theme {

// --- meanings (ImU32, ABGR as ImGui packs it) ---------------------------------
ImU32 raw_token();            // an ordinary text token
ImU32 gist_level(int level);  // 0 = gist, k >= 1 = meta-gist of level k
ImU32 sink();                 // attention-sink tokens
ImU32 question();             // the prompt's uncompressed suffix (the question)
ImU32 generated();            // tokens the run generated
ImU32 chosen();               // chosen by the selection: picked gist, unfolded chunk, chosen group
ImU32 answer();               // where the task's answer lives
ImU32 cursor();               // the user's cursor: selected chunk, current step, crosshair
ImU32 coverage();             // share of the full-attention mass the unfolded chunks cover
ImU32 run_a();                // compare: the current run
ImU32 run_b();                // compare: the second run
ImU32 bookmark();             // a user's bookmark on the step axis
ImU32 metric();               // a plotted quantity without an SSA meaning (ms, loss, ...)
ImU32 error();                // an error or warning message
// An evaluation method (the Evaluation page and `ssa-workbench chart`): one
// colour each, none of them any other meaning's; "ssa" with levels is H-SSA.
ImU32 method_colour(const std::string& method, bool hierarchical = false);
// Scores: one sequential blue ramp from low to high; t in [0, 1].
ImU32 score_colour(float t);

// --- the chrome (no meaning of their own) -------------------------------------
ImU32 masked();            // a mask cell that may not be attended
ImU32 outside();           // beyond the stream or above the diagonal
ImU32 grid();              // faint guide lines and axis ticks
ImU32 text();              // primary text
ImU32 text_dim();          // secondary text, axis labels
ImU32 text_on_colour();    // text drawn on a bright swatch
ImU32 panel_background();  // the inside of a plot or map

// Colour of a stream role (0 raw, 1 gist, k+1 meta-gist of level k).
ImU32 role_colour(int role);
// `colour` with its alpha replaced (0..1).
ImU32 with_alpha(ImU32 colour, float alpha);
ImVec4 vec(ImU32 colour);

// One legend entry: a meaning, its colour and how views draw it.
struct Meaning {
  ImU32 colour;
  const char* label;
  enum class Mark { kFill, kOutline, kRamp } mark = Mark::kFill;
};
// Every meaning the views use, in legend order; `levels`: gist levels of the
// run shown (meta-gist entries only for H-SSA); `coverage`: whether any open
// run measured the full-attention mass.
std::vector<Meaning> meanings(int levels, bool coverage = true);
// The evaluation methods' entries (their colours are method_colour()'s), in
// the chart's legend order: what the Evaluation page's legend shows.
std::vector<Meaning> method_meanings();
// A method's place in that order (the chart's legend order); unknown ones last.
int method_rank(const std::string& method);

// --- fonts ---------------------------------------------------------------------
struct Fonts {
  ImFont* ui = nullptr;     // labels, tooltips, buttons
  ImFont* mono = nullptr;   // token text
  ImFont* title = nullptr;  // panel titles
  ImFont* small = nullptr;  // axis ticks
};
// Loads DejaVu Sans / Sans Mono at a readable size (falls back to ImGui's
// default font, scaled, when the files are absent) and applies the style.
// Call once after ImGui::CreateContext(), before the renderer builds its atlas.
void apply(float scale = 1.0f);
const Fonts& fonts();

}  // namespace ssa::gui::theme
