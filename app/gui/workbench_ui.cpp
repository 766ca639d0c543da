// WorkbenchUi (see workbench_ui.h): the frame's layout. Left, the mask above
// the token strip; right, the hierarchy above the score timeline (with
// training, compare and bookmarks as tabs beside it); the transport and a
// status line along the bottom.
#include "app/gui/workbench_ui.h"

#include <imgui.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include "app/gui/core/posix_files.h"
#include "app/gui/core/theme.h"

namespace ssa::gui {
namespace {

constexpr ImGuiWindowFlags kRootFlags =
    ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings |
    ImGuiWindowFlags_NoBringToFrontOnFocus | ImGuiWindowFlags_MenuBar;

struct PanelName {
  const char* name;
  Panel panel;
};
const PanelName kPanels[] = {{"all", Panel::kAll},
                             {"mask", Panel::kMask},
                             {"strip", Panel::kStrip},
                             {"timeline", Panel::kTimeline},
                             {"hierarchy", Panel::kHierarchy},
                             {"training", Panel::kTraining},
                             {"compare", Panel::kCompare},
                             {"bookmarks", Panel::kBookmarks}};

// A bordered child region that looks like a docked panel.
bool begin_panel(const char* id, ImVec2 size) {
  ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(10, 8));
  const bool open =
      ImGui::BeginChild(id, size, true,
                        ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse |
                            ImGuiWindowFlags_AlwaysUseWindowPadding);
  ImGui::PopStyleVar();
  return open;
}

}  // namespace

std::optional<Panel> parse_panel(const std::string& name) {
  for (const auto& p : kPanels)
    if (name == p.name) return p.panel;
  return std::nullopt;
}

const char* panel_names() {
  return "all|mask|strip|timeline|hierarchy|training|compare|bookmarks";
}

WorkbenchUi::WorkbenchUi(std::unique_ptr<SessionModel> model) : model_(std::move(model)) {
  SessionBrowserView::remember(model_->path());
  reset_state_for_run();
}

WorkbenchUi::~WorkbenchUi() = default;

void WorkbenchUi::reset_state_for_run() {
  if (state_.run_id == 0 || !model_->run(state_.run_id)) state_.run_id = model_->default_run();
  const RunData* run = model_->run(state_.run_id);
  state_.step = run && run->detail_steps.count > 0 ? run->detail_steps.first : 0;
  state_.layer = 0;
  state_.head = -1;
  state_.playing = false;
  state_.selected_chunk = run && !run->answer_chunks.empty() ? run->answer_chunks.front() : -1;
  // Compare against another run of the same stream, preferably one that
  // recorded its choices too (else a full-attention baseline).
  state_.compare_run = -1;
  int best = 0;
  for (const auto& info : model_->runs()) {
    const RunData* other = model_->run(info.id);
    if (info.id == state_.run_id || !other->layout || !run || !run->layout) continue;
    const int score = (other->index.length() == run->index.length() ? 2 : 0) +
                      (other->detail_steps.count > 0 ? 1 : 0) + 1;
    if (score > best) best = score, state_.compare_run = info.id;
  }
  views_->mask.fit();
}

void WorkbenchUi::select_run(int64_t run_id) {
  state_.run_id = run_id;
  reset_state_for_run();
}

void WorkbenchUi::open(const std::string& path) {
  try {
    auto model = std::make_unique<SessionModel>(path);
    views_ = std::make_unique<Views>();  // before the old model's runs go away
    model_ = std::move(model);
    state_ = UiState();
    reset_state_for_run();
    SessionBrowserView::remember(path);
    state_.status = "opened " + path;
  } catch (const std::exception& e) {
    state_.status = e.what();
  }
}

void WorkbenchUi::wait_idle() {
  model_->wait_idle();
  views_->mask.wait_idle();
}

ViewContext WorkbenchUi::make_context() {
  ViewContext ctx(*model_, state_);
  ctx.run = model_->run(state_.run_id);
  if (ctx.run) {
    if (ctx.run->detail_steps.count > 0) {
      ctx.first_step = ctx.run->detail_steps.first;
      ctx.last_step = ctx.run->detail_steps.last;
    } else if (!ctx.run->decode_steps.empty()) {
      ctx.first_step = ctx.run->decode_steps.front().step;
      ctx.last_step = ctx.run->decode_steps.back().step;
    }
    state_.layer = std::clamp(state_.layer, 0, std::max(0, ctx.run->num_layers - 1));
  }
  return ctx;
}

template <class Draw>
void WorkbenchUi::timed(const char* name, Draw&& draw) {
  const auto start = std::chrono::steady_clock::now();
  draw();
  parts_.push_back(
      {name, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                 .count()});
}

void WorkbenchUi::frame(float dt) {
  parts_.clear();
  if (follow_ && (follow_clock_ += dt) >= 1.0f) {
    follow_clock_ = 0;
    const bool at_end = [&] {
      const RunData* run = model_->run(state_.run_id);
      return run && state_.step >= run->detail_steps.last;
    }();
    try {
      if (model_->refresh() && at_end && !state_.playing) {
        // Following the newest step, as a live view should.
        const RunData* run = model_->run(state_.run_id);
        if (run && run->detail_steps.count > 0) state_.step = run->detail_steps.last;
      }
    } catch (const std::exception& e) {
      state_.status = e.what();
    }
  }
  ViewContext ctx = make_context();
  if (ctx.run) {
    views_->transport.update(ctx, dt);
    ctx.step = model_->head_step(state_.run_id, state_.step, state_.layer, state_.head);
    ctx.unfolds = model_->unfolds(state_.run_id, state_.step);
  }
  const ImGuiViewport* viewport = ImGui::GetMainViewport();
  ImGui::SetNextWindowPos(viewport->Pos);
  ImGui::SetNextWindowSize(viewport->Size);
  ImGui::PushStyleVar(ImGuiStyleVar_WindowRounding, 0.0f);
  ImGui::Begin("SSA Workbench", nullptr, kRootFlags);
  ImGui::PopStyleVar();
  draw_menu(ctx);
  if (!ctx.run || !ctx.run->layout) {
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(theme::text_dim()),
                       "%s has no run with a token layout to show.", model_->path().c_str());
    timed("training", [&] { views_->training.draw(ctx); });
  } else if (panel_ == Panel::kAll) {
    draw_all(ctx);
  } else {
    draw_single(ctx);
  }
  ImGui::End();
  if (browser_open_ || state_.open_browser) {
    browser_open_ = true;
    state_.open_browser = false;
    const std::string picked = browser_.draw(&browser_open_);
    if (!picked.empty()) open(picked);
  }
}

void WorkbenchUi::draw_menu(ViewContext& ctx) {
  if (!ImGui::BeginMenuBar()) return;
  if (ImGui::BeginMenu("File")) {
    if (ImGui::MenuItem("Open...", "Ctrl+O")) state_.open_browser = true;
    if (ImGui::BeginMenu("Recent")) {
      for (const auto& path : SessionBrowserView::recent())
        if (ImGui::MenuItem(path.c_str())) open(path);
      ImGui::EndMenu();
    }
    ImGui::Separator();
    if (ImGui::MenuItem("Quit", "Ctrl+Q")) quit_ = true;
    ImGui::EndMenu();
  }
  if (ImGui::GetIO().KeyCtrl && ImGui::IsKeyPressed('O')) state_.open_browser = true;
  if (ImGui::GetIO().KeyCtrl && ImGui::IsKeyPressed('Q')) quit_ = true;
  ImGui::Separator();
  // Run, layer and head selectors: what every view shows.
  ImGui::SetNextItemWidth(280);
  const std::string run_label = ctx.run ? ctx.run->info.name : "(no run)";
  if (ImGui::BeginCombo("##run", ("run: " + run_label).c_str())) {
    for (const auto& info : model_->runs()) {
      const std::string label =
          info.name + "  (" + info.kind + ", #" + std::to_string(info.id) + ")";
      if (ImGui::Selectable(label.c_str(), info.id == state_.run_id)) {
        select_run(info.id);
      }
    }
    ImGui::EndCombo();
  }
  if (ctx.run && ctx.run->num_layers > 0) {
    ImGui::SetNextItemWidth(110);
    const std::string layer_label = "layer " + std::to_string(state_.layer);
    if (ImGui::BeginCombo("##layer", layer_label.c_str())) {
      for (int l = 0; l < ctx.run->num_layers; ++l)
        if (ImGui::Selectable(("layer " + std::to_string(l)).c_str(), l == state_.layer))
          state_.layer = l;
      ImGui::EndCombo();
    }
    ImGui::SetNextItemWidth(120);
    const std::string head_label =
        state_.head < 0 ? "all heads" : "head " + std::to_string(state_.head);
    if (ImGui::BeginCombo("##head", head_label.c_str())) {
      if (ImGui::Selectable("all heads", state_.head < 0)) state_.head = -1;
      for (int h = 0; h < ctx.run->num_heads; ++h)
        if (ImGui::Selectable(("head " + std::to_string(h)).c_str(), h == state_.head))
          state_.head = h;
      ImGui::EndCombo();
    }
  }
  const std::string file = files::filename(model_->path());
  ImGui::SameLine(ImGui::GetWindowWidth() - ImGui::CalcTextSize(file.c_str()).x - 20);
  ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(theme::text_dim()), "%s", file.c_str());
  ImGui::EndMenuBar();
}

void WorkbenchUi::draw_status(ViewContext& ctx) {
  const ImVec4 dim = ImGui::ColorConvertU32ToFloat4(theme::text_dim());
  std::string text;
  if (ctx.run) {
    text = ctx.run->info.kind + " · " + std::to_string(ctx.run->num_layers) + " layers · " +
           std::to_string(ctx.run->num_heads) + " score heads · " +
           std::to_string(ctx.last_step - ctx.first_step + 1) + " steps";
  }
  bool exact = false;
  if (ctx.run) model_->head_step(state_.run_id, state_.step, state_.layer, state_.head, &exact);
  if (!exact) text += " · loading step...";
  const std::string error = model_->background_error();
  if (!error.empty()) text += " · " + error;
  if (!state_.status.empty()) text += " · " + state_.status;
  ImGui::TextColored(dim, "%s", text.c_str());
}

void WorkbenchUi::draw_all(ViewContext& ctx) {
  const ImGuiStyle& style = ImGui::GetStyle();
  const float transport_h = TransportView::height(ctx.run);
  const float status_h = ImGui::GetTextLineHeight();
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float main_h = avail.y - transport_h - status_h - 2 * style.ItemSpacing.y;
  const float left_w = std::floor(avail.x * 0.54f);
  const float right_w = avail.x - left_w - style.ItemSpacing.x;

  ImGui::BeginGroup();
  const float mask_h = std::floor(main_h * 0.6f);
  if (begin_panel("##mask", ImVec2(left_w, mask_h))) timed("mask", [&] { views_->mask.draw(ctx); });
  ImGui::EndChild();
  if (begin_panel("##strip", ImVec2(left_w, main_h - mask_h - style.ItemSpacing.y)))
    timed("strip", [&] { views_->strip.draw(ctx); });
  ImGui::EndChild();
  ImGui::EndGroup();
  ImGui::SameLine();
  ImGui::BeginGroup();
  const float hierarchy_h = std::floor(main_h * 0.36f);
  if (begin_panel("##hierarchy", ImVec2(right_w, hierarchy_h)))
    timed("hierarchy", [&] { views_->hierarchy.draw(ctx); });
  ImGui::EndChild();
  if (begin_panel("##tabs", ImVec2(right_w, main_h - hierarchy_h - style.ItemSpacing.y))) {
    if (ImGui::BeginTabBar("##right_tabs")) {
      if (ImGui::BeginTabItem("Score timeline")) {
        timed("timeline", [&] { views_->timeline.draw(ctx); });
        ImGui::EndTabItem();
      }
      if (ImGui::BeginTabItem("Training")) {
        timed("training", [&] { views_->training.draw(ctx); });
        ImGui::EndTabItem();
      }
      if (ImGui::BeginTabItem("Compare")) {
        timed("compare", [&] { views_->compare.draw(ctx); });
        ImGui::EndTabItem();
      }
      if (ImGui::BeginTabItem("Bookmarks")) {
        timed("bookmarks", [&] { views_->bookmarks.draw(ctx); });
        ImGui::EndTabItem();
      }
      ImGui::EndTabBar();
    }
  }
  ImGui::EndChild();
  ImGui::EndGroup();

  if (begin_panel("##transport", ImVec2(avail.x, transport_h)))
    timed("transport", [&] { views_->transport.draw(ctx); });
  ImGui::EndChild();
  draw_status(ctx);
}

void WorkbenchUi::draw_single(ViewContext& ctx) {
  const ImGuiStyle& style = ImGui::GetStyle();
  const float transport_h = TransportView::height(ctx.run);
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  if (begin_panel("##single", ImVec2(avail.x, avail.y - transport_h - style.ItemSpacing.y))) {
    switch (panel_) {
      case Panel::kMask:
        timed("mask", [&] { views_->mask.draw(ctx); });
        break;
      case Panel::kStrip:
        timed("strip", [&] { views_->strip.draw(ctx); });
        break;
      case Panel::kTimeline:
        timed("timeline", [&] { views_->timeline.draw(ctx); });
        break;
      case Panel::kHierarchy:
        timed("hierarchy", [&] { views_->hierarchy.draw(ctx); });
        break;
      case Panel::kTraining:
        timed("training", [&] { views_->training.draw(ctx); });
        break;
      case Panel::kCompare:
        timed("compare", [&] { views_->compare.draw(ctx); });
        break;
      case Panel::kBookmarks:
        timed("bookmarks", [&] { views_->bookmarks.draw(ctx); });
        break;
      case Panel::kAll:
        break;
    }
  }
  ImGui::EndChild();
  if (begin_panel("##transport", ImVec2(avail.x, transport_h)))
    timed("transport", [&] { views_->transport.draw(ctx); });
  ImGui::EndChild();
}

}  // namespace ssa::gui
