// WorkbenchUi (see workbench_ui.h): the frame's layout. With nothing open,
// the first screen: the demos (views/demo_page.cpp), a page of its own after
// that. Under the menu, the run header and the one legend (on the Evaluation
// page its methods); then pages: the workbench grid (mask above
// the token strip, hierarchy above the score timeline), Compare, Costs /
// Training and Bookmarks, each a full view; any view maximised by a
// double-click on its title or a key (1-7; 8 Evaluation, 9 the demos; 0 or Escape back). The
// transport and a status line along the bottom.
//
// [SECTION] panels: names and titles
// [SECTION] construction and runs
// [SECTION] frame
// [SECTION] live: following a growing recording
// [SECTION] keys
// [SECTION] menu
// [SECTION] pages and the grid
// [SECTION] panel frame: title, maximise, export
// [SECTION] status line
// [SECTION] dialogs
// [SECTION] export
#include "app/gui/workbench_ui.h"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "app/cli/atomic_output.h"
#include "app/gui/core/key_queue.h"
#include "app/gui/core/theme.h"

namespace ssa::gui {
namespace {

constexpr ImGuiWindowFlags kRootFlags =
    ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings |
    ImGuiWindowFlags_NoBringToFrontOnFocus | ImGuiWindowFlags_MenuBar;

// --- [SECTION] panels: names and titles ---------------------------------------------------

struct PanelInfo {
  Panel panel;
  const char* name;   // --view
  const char* title;  // the panel's title
  char key;           // maximises it
};
const PanelInfo kPanels[] = {{Panel::kStart, "demos", "Demos", '9'},
                             {Panel::kAll, "all", "Workbench", '0'},
                             {Panel::kMask, "mask", "Mask", '1'},
                             {Panel::kStrip, "strip", "Token strip", '2'},
                             {Panel::kHierarchy, "hierarchy", "Hierarchy", '3'},
                             {Panel::kTimeline, "timeline", "Score timeline", '4'},
                             {Panel::kCompare, "compare", "Compare", '5'},
                             {Panel::kTraining, "training", "Costs and training", '6'},
                             {Panel::kBookmarks, "bookmarks", "Bookmarks", '7'},
                             {Panel::kEvaluation, "evaluation", "Evaluation", '8'}};

// Pages that need no recording: the demos and an evaluation's results.
bool needs_no_run(Panel panel) {
  return panel == Panel::kStart || panel == Panel::kEvaluation;
}

const PanelInfo& info(Panel panel) {
  for (const auto& p : kPanels)
    if (p.panel == panel) return p;
  return kPanels[0];
}

bool in_grid(Panel panel) {
  return panel == Panel::kMask || panel == Panel::kStrip || panel == Panel::kHierarchy ||
         panel == Panel::kTimeline;
}

// Drops trailing " · " parts of a subtitle until it fits `width` (never a cut word).
std::string elide(const std::string& text, float width) {
  std::string s = text;
  while (!s.empty() && ImGui::CalcTextSize(s.c_str()).x > width) {
    const size_t cut = s.rfind(" \xC2\xB7 ");
    if (cut == std::string::npos) return "";
    s = s.substr(0, cut);
  }
  return s;
}

}  // namespace

std::optional<Panel> parse_panel(const std::string& name) {
  for (const auto& p : kPanels)
    if (name == p.name) return p.panel;
  return std::nullopt;
}

const char* panel_names() {
  return "all|mask|strip|timeline|hierarchy|training|compare|bookmarks|evaluation|demos";
}

// --- [SECTION] construction and runs ----------------------------------------------------------

WorkbenchUi::WorkbenchUi(std::unique_ptr<Worker> worker) : worker_(std::move(worker)) {}

WorkbenchUi::~WorkbenchUi() = default;

void WorkbenchUi::select_run(RunId id) {
  state_.run = id;
  auto run = worker_->run(id);
  state_.playing = false;
  state_.head = -1;
  state_.step = run && !run->steps.empty() ? run->steps.front() : 0;
  // The first layer that selects (dense layers select nothing).
  state_.layer = run && run->facts.dense_layers < run->num_layers ? run->facts.dense_layers : 0;
  state_.selected_chunk =
      run && !run->facts.answer_chunks.empty() ? run->facts.answer_chunks.front() : -1;
  // A training run opens on its curves; a decode run leaves the training page.
  if (run && run->is_training() && !run->is_decode()) state_.panel = Panel::kTraining;
  // A run shown (File > Open, a demo, the run menu) leaves the first screen.
  if (state_.panel == Panel::kStart) state_.panel = Panel::kAll;
  // Compare against another run of the same prompt, preferably one that
  // recorded its choices too (else a full-attention baseline), any file.
  state_.compare_run = RunId{};
  int best = 0;
  for (const auto& other : worker_->runs()) {
    if (!run || other->id == id || !other->is_decode()) continue;
    const bool same_prompt =
        other->layout && run->layout && other->layout->raw_count() == run->layout->raw_count();
    const int score = (same_prompt ? 4 : 0) + (other->id.file == id.file ? 2 : 0) +
                      (other->detail_steps.count > 0 ? 1 : 0) + 1;
    if (score > best) best = score, state_.compare_run = other->id;
  }
  followed_run_ = id;
  followed_last_ = run && !run->steps.empty() ? run->steps.back() : -1;
  views_.mask.fit();
}

void WorkbenchUi::open(const std::string& path) {
  const int32_t file = worker_->open(path);
  OpenDialog::remember(path);
  // The status line follows the load; the run shown stays the user's.
  pending_open_ = PendingOpen{file, -1, -1, "opened " + path, false};
  state_.status = "opening " + path;
  state_.status_is_error = false;
}

std::string WorkbenchUi::open_results(const std::string& folder) {
  try {
    auto results = std::make_shared<const EvalResults>(load_eval_results(folder));
    const size_t rows = results->results.size();
    views_.evaluation.set_results(std::move(results));
    state_.panel = Panel::kEvaluation;
    state_.status = "opened " + folder + " (" + std::to_string(rows) + " configurations)";
    state_.status_is_error = false;
    return "";
  } catch (const EvalFormatError& e) {
    state_.status = e.what();
    state_.status_is_error = true;
    return e.what();
  }
}

// A failed example's recording, shown at the example's run and answer step.
void WorkbenchUi::open_example(const EvaluationView::ExampleRequest& example) {
  open_and_show(
      example.recording, example.run, example.step,
      "opening " + example.recording + " at run " + std::to_string(example.run) + ", step " +
          std::to_string(example.step),
      "run " + std::to_string(example.run) + " of " + example.recording + " at its answer step");
}

// A demo of the first screen, shown at its first decode run.
void WorkbenchUi::open_demo(const std::string& path) {
  open_and_show(path, -1, -1, "opening the demo " + path, "opened the demo " + path);
}

void WorkbenchUi::open_and_show(const std::string& path, int64_t run, int64_t step,
                                std::string opening, std::string shown) {
  int32_t file = -1;
  std::error_code ec;
  for (const auto& f : worker_->files())
    if (f->path == path || std::filesystem::equivalent(f->path, path, ec)) file = f->index;
  if (file < 0) {
    file = worker_->open(path);
    OpenDialog::remember(path);
  }
  pending_open_ = PendingOpen{file, run, step, std::move(shown)};
  state_.status = std::move(opening);
  state_.status_is_error = false;
}

void WorkbenchUi::follow_pending_open() {
  if (!pending_open_) return;
  const PendingOpen p = *pending_open_;
  const auto& file = worker_->files()[p.file];
  if (file->status == Worker::FileStatus::kFailed) {
    state_.status = file->error;
    state_.status_is_error = true;
    pending_open_.reset();
    return;
  }
  if (file->status != Worker::FileStatus::kReady) return;
  pending_open_.reset();
  if (!p.show_run) {
    state_.status = p.shown;
    state_.status_is_error = false;
    return;
  }
  const RunId id = p.run >= 0 ? RunId{p.file, p.run} : worker_->default_run(p.file);
  auto run = worker_->run(id);
  if (!run) {
    state_.status =
        file->path + (p.run >= 0 ? " has no run " + std::to_string(p.run) : ": no run to show");
    state_.status_is_error = true;
    return;
  }
  select_run(id);
  // The step asked for, or the run's nearest recorded one.
  if (p.step >= 0 && !run->steps.empty()) state_.step = run->steps[run->step_index(p.step)];
  if (run->is_decode()) state_.panel = Panel::kAll;
  state_.status = p.shown;
  state_.status_is_error = false;
}

void WorkbenchUi::set_follow(bool follow) {
  follow_ = follow;
  worker_->set_follow(follow);
}

void WorkbenchUi::wait_idle() {
  worker_->wait_idle();
  worker_->poll();
}

// A run to show once the files have loaded, and a layer the run has.
bool WorkbenchUi::keep_state_valid() {
  if (!worker_->run(state_.run)) {
    const RunId id = worker_->default_run();
    if (!id.valid()) return false;
    select_run(id);
  }
  auto run = worker_->run(state_.run);
  state_.layer = std::clamp(state_.layer, 0, std::max(0, run->num_layers - 1));
  if (run->num_heads > 0) state_.head = std::clamp(state_.head, -1, run->num_heads - 1);
  if (state_.compare_run.valid() && !worker_->run(state_.compare_run)) state_.compare_run = RunId{};
  return true;
}

ViewContext WorkbenchUi::make_context() {
  ViewContext ctx(*worker_, state_, key_queue());
  ctx.run = worker_->run(state_.run);
  ctx.layout = ctx.run ? ctx.run->layout.get() : nullptr;
  ctx.other = worker_->run(state_.compare_run);
  // One coverage scale for every view: the largest share any open run covered.
  double largest = 0;
  bool any = false;
  for (const auto& r : worker_->runs())
    if (r->quality.has_coverage()) largest = std::max(largest, r->quality.max_coverage), any = true;
  ctx.coverage_top = any ? draw::share_axis_max(largest) : 1.0;
  ctx.coverage_measured = any;
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

// --- [SECTION] frame ---------------------------------------------------------------------

void WorkbenchUi::frame(float dt) {
  parts_.clear();
  key_queue().next_frame();
  worker_->poll();
  const bool have_run = keep_state_valid();
  follow_pending_open();
  follow_live();
  ViewContext ctx = make_context();
  apply_keys(ctx);
  if (have_run) {
    views_.transport.update(ctx, dt);
    if (ctx.layout) {
      ctx.step =
          worker_->head_step(ctx.run, state_.step, state_.layer, state_.head, &ctx.step_exact);
      ctx.unfolds = worker_->unfolds(ctx.run, state_.step);
    }
  }
  const ImGuiViewport* viewport = ImGui::GetMainViewport();
  ImGui::SetNextWindowPos(viewport->Pos);
  ImGui::SetNextWindowSize(viewport->Size);
  ImGui::PushStyleVar(ImGuiStyleVar_WindowRounding, 0.0f);
  ImGui::Begin("SSA Workbench", nullptr, kRootFlags);
  ImGui::PopStyleVar();
  draw_menu(ctx);
  // With nothing open (and no evaluation asked for) the first screen: the demos.
  if (state_.panel == Panel::kStart ||
      (!ctx.run && worker_->files().empty() && state_.panel != Panel::kEvaluation)) {
    draw_start(ctx);
  } else if (!ctx.run && state_.panel == Panel::kEvaluation) {
    // An evaluation needs no recording: its page, its legend, and the status line.
    draw::legend(views_.evaluation.legend());
    draw_pages(ctx);
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    draw_main(ctx, ImVec2(avail.x, avail.y - ImGui::GetFrameHeightWithSpacing()));
    draw_plain_status();
  } else if (!ctx.run) {
    draw_waiting();
  } else {
    const ImGuiStyle& style = ImGui::GetStyle();
    timed("header", [&] { views_.header.draw(ctx); });
    // The one legend: what this page's colours mean.
    if (state_.panel == Panel::kEvaluation)
      draw::legend(views_.evaluation.legend());
    else
      draw::legend(
          theme::meanings(ctx.layout ? ctx.layout->num_levels() : 1, ctx.coverage_measured));
    draw_pages(ctx);
    const float transport_h = TransportView::height(ctx.run.get());
    const float status_h = ImGui::GetFrameHeight();
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    draw_main(ctx, ImVec2(avail.x, avail.y - transport_h - status_h - 2 * style.ItemSpacing.y));
    ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(10, 8));
    if (ImGui::BeginChild("##transport", ImVec2(avail.x, transport_h), true,
                          ImGuiWindowFlags_AlwaysUseWindowPadding))
      timed("transport", [&] { views_.transport.draw(ctx); });
    ImGui::EndChild();
    ImGui::PopStyleVar();
    draw_status(ctx);
  }
  ImGui::End();
  draw_dialogs(ctx);
  const std::string folder = views_.evaluation.take_folder_request();
  if (!folder.empty()) open_results(folder);
  if (auto example = views_.evaluation.take_example_request()) open_example(*example);
}

// The first screen: the demos, above the status line.
void WorkbenchUi::draw_start(ViewContext& ctx) {
  if (!demos_loaded_) demos_ = list_demos(), demos_loaded_ = true;
  draw_pages(ctx);
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  std::string note;
  if (pending_open_) note = "Opening " + worker_->files()[pending_open_->file]->path + " ...";
  std::string picked;
  if (ImGui::BeginChild("##demos", ImVec2(avail.x, avail.y - ImGui::GetFrameHeightWithSpacing())))
    timed("demos", [&] { picked = views_.demos.draw(demos_, note); });
  ImGui::EndChild();
  draw_plain_status();
  if (!picked.empty()) open_demo(picked);
}

void WorkbenchUi::draw_plain_status() {
  ImGui::AlignTextToFramePadding();
  ImGui::TextColored(theme::vec(state_.status_is_error ? theme::error() : theme::text_dim()), "%s",
                     state_.status.c_str());
}

// Before any run is there: what the window waits for, in words.
void WorkbenchUi::draw_waiting() {
  std::string text;
  for (const auto& f : worker_->files()) {
    switch (f->status) {
      case Worker::FileStatus::kWaiting:
        text += "Waiting for the recorder to create " + f->path + " ...\n";
        break;
      case Worker::FileStatus::kLoading:
        text += "Loading " + f->path + " ...\n";
        break;
      case Worker::FileStatus::kFailed:
        text += f->error + "\n";
        break;
      case Worker::FileStatus::kReady:
        text += f->runs.empty() ? f->path + ": waiting for the recorder's first run ...\n"
                                : f->path + ": no run to show\n";
        break;
    }
  }
  if (worker_->files().empty()) text = "No recording open: File > Open (Ctrl+O).";
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const ImVec2 size = ImGui::CalcTextSize(text.c_str());
  ImGui::SetCursorPos(ImVec2(ImGui::GetCursorPos().x + std::max(0.0f, (avail.x - size.x) / 2),
                             ImGui::GetCursorPos().y + std::max(0.0f, (avail.y - size.y) / 2)));
  ImGui::TextColored(theme::vec(theme::text_dim()), "%s", text.c_str());
}

// --- [SECTION] live: following a growing recording ------------------------------------------

void WorkbenchUi::follow_live() {
  auto run = worker_->run(state_.run);
  if (!run || run->steps.empty()) return;
  const int64_t last = run->steps.back();
  if (run->id != followed_run_) {
    followed_run_ = run->id;
    followed_last_ = last;
    return;
  }
  // The user was at the newest step: stay there as the recording grows.
  if (last != followed_last_ && state_.step == followed_last_ && !state_.playing)
    state_.step = last;
  followed_last_ = last;
  if (run->ended()) return;
  const auto now = std::chrono::steady_clock::now();
  if (run->steps.size() != live_steps_) {
    if (live_steps_ == 0 || live_first_ == std::chrono::steady_clock::time_point{})
      live_first_ = now, live_first_steps_ = run->steps.size();
    live_steps_ = run->steps.size();
    live_last_ = now;
  }
}

// --- [SECTION] keys ------------------------------------------------------------------------

void WorkbenchUi::apply_keys(ViewContext& ctx) {
  KeyQueue& keys = ctx.keys;
  const ImGuiIO& io = ImGui::GetIO();
  if (keys.pressed(Key::kCtrlO)) state_.open_dialog = true;
  if (keys.pressed(Key::kCtrlQ)) quit_ = true;
  if (keys.pressed(Key::kF1)) state_.help_open = !state_.help_open;
  const bool dialog = state_.open_dialog || state_.help_open;
  if (!dialog && ctx.run && keys.pressed(Key::kEscape) && state_.panel != Panel::kAll) {
    state_.panel = Panel::kAll;
    keys.consume(Key::kEscape);
  }
  if (io.WantTextInput || dialog) return;
  for (ImWchar c : io.InputQueueCharacters) {
    if (c == '?') state_.help_open = true;
    if (ctx.run && (c == 'b' || c == 'B')) BookmarksView::add(ctx, "", "");
    for (const auto& p : kPanels)
      if (c == static_cast<ImWchar>(p.key) && (ctx.run || needs_no_run(p.panel)))
        state_.panel = p.panel;
  }
}

// --- [SECTION] menu ---------------------------------------------------------------------------

void WorkbenchUi::draw_menus(ViewContext& ctx) {
  if (ImGui::BeginMenu("File")) {
    if (ImGui::MenuItem("Open...", "Ctrl+O")) state_.open_dialog = true;
    if (ImGui::MenuItem("Open results folder...")) {
      state_.panel = Panel::kEvaluation;
      views_.evaluation.focus_folder_box();
    }
    if (ImGui::BeginMenu("Recent")) {
      for (const auto& path : OpenDialog::recent())
        if (ImGui::MenuItem(path.c_str())) open(path);
      ImGui::EndMenu();
    }
    ImGui::Separator();
    const bool can_export = ctx.run != nullptr && state_.panel != Panel::kStart;
    if (ImGui::MenuItem("Export this view as PNG", nullptr, false, can_export))
      capture_requested_ = true, capture_panel_ = state_.panel;
    if (ImGui::MenuItem("Export this view's data as CSV", nullptr, false,
                        can_export && state_.panel != Panel::kAll))
      export_csv(ctx, state_.panel);
    ImGui::Separator();
    if (ImGui::MenuItem("Quit", "Ctrl+Q")) quit_ = true;
    ImGui::EndMenu();
  }
  if (ImGui::BeginMenu("View")) {
    for (const auto& p : kPanels) {
      const char shortcut[2] = {p.key, 0};
      if (ImGui::MenuItem(p.title, shortcut, state_.panel == p.panel)) state_.panel = p.panel;
    }
    ImGui::Separator();
    if (ImGui::MenuItem("Help", "F1")) state_.help_open = true;
    ImGui::EndMenu();
  }
}

void WorkbenchUi::draw_menu(ViewContext& ctx) {
  if (!ImGui::BeginMenuBar()) return;
  draw_menus(ctx);
  ImGui::Separator();
  // Run, layer and head selectors: what every view shows.
  // As wide as the run's name needs: a clipped name could be another run's.
  const std::string run_label = ctx.run ? ctx.run->info.name : "(no run)";
  if (worker_->files().empty()) ImGui::BeginDisabled();
  ImGui::SetNextItemWidth(
      std::clamp(ImGui::CalcTextSize(("run: " + run_label).c_str()).x + 40, 240.0f, 520.0f));
  if (ImGui::BeginCombo("##run", ("run: " + run_label).c_str())) {
    for (const auto& f : worker_->files()) {
      if (worker_->files().size() > 1)
        ImGui::TextColored(theme::vec(theme::text_dim()), "%s", f->path.c_str());
      for (const auto& r : f->runs) {
        const std::string label = r->info.name + "  (" + r->info.kind + ", #" +
                                  std::to_string(r->info.id) + ")##" + std::to_string(f->index);
        if (ImGui::Selectable(label.c_str(), r->id == state_.run)) select_run(r->id);
      }
    }
    ImGui::EndCombo();
  }
  if (worker_->files().empty()) ImGui::EndDisabled();
  if (ctx.run && ctx.run->num_layers > 0) {
    ImGui::SetNextItemWidth(150);
    auto layer_name = [&](int l) {
      return "layer " + std::to_string(l) + (ctx.run->is_dense(l) ? " (dense)" : "");
    };
    if (ImGui::BeginCombo("##layer", layer_name(state_.layer).c_str())) {
      for (int l = 0; l < ctx.run->num_layers; ++l)
        if (ImGui::Selectable(layer_name(l).c_str(), l == state_.layer)) state_.layer = l;
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
  if (ctx.run && ctx.layout) {
    const float width = std::clamp(ImGui::GetContentRegionAvail().x * 0.35f, 140.0f, 300.0f);
    if (const SearchHit* hit = views_.search.draw(ctx, width)) go_to_hit(ctx, *hit);
  }
  std::string files;
  for (const auto& f : worker_->files())
    files += (files.empty() ? "" : ", ") + std::filesystem::path(f->path).filename().string();
  files += "   F1 help";
  const float w = ImGui::CalcTextSize(files.c_str()).x + 20;
  if (ImGui::GetContentRegionAvail().x > w) {
    ImGui::SameLine(ImGui::GetWindowWidth() - w);
    ImGui::TextColored(theme::vec(theme::text_dim()), "%s", files.c_str());
  }
  ImGui::EndMenuBar();
}

void WorkbenchUi::go_to_hit(ViewContext& ctx, const SearchHit& hit) {
  if (hit.chunk >= 0) state_.selected_chunk = hit.chunk;
  views_.mask.focus(hit.position, 8.0f);
  views_.strip.scroll_to(hit.position);
  state_.status =
      "#" + std::to_string(hit.position) + ": \"" +
      ctx.layout->text_of(hit.position, std::min(hit.position + 24, ctx.layout->length())) + "\"";
  state_.status_is_error = false;
}

// --- [SECTION] pages and the grid -----------------------------------------------------------

void WorkbenchUi::draw_pages(ViewContext& ctx) {
  struct Page {
    const char* label;
    Panel panel;
  };
  const Page pages[] = {
      {"Workbench", Panel::kAll},
      {"Compare", Panel::kCompare},
      {ctx.run && ctx.run->is_training() ? "Training" : "Decode costs", Panel::kTraining},
      {"Bookmarks", Panel::kBookmarks},
      {"Evaluation", Panel::kEvaluation},
      {"Demos", Panel::kStart}};
  for (const auto& page : pages) {
    // Without a recording only the demos and the evaluation have something to show.
    if (!ctx.run && !needs_no_run(page.panel)) continue;
    const bool active =
        state_.panel == page.panel || (page.panel == Panel::kAll && in_grid(state_.panel));
    ImGui::PushStyleColor(ImGuiCol_Button,
                          ImGui::GetStyleColorVec4(active ? ImGuiCol_TabActive : ImGuiCol_Tab));
    if (ImGui::Button(page.label)) state_.panel = page.panel;
    ImGui::PopStyleColor();
    ImGui::SameLine();
  }
  if (in_grid(state_.panel)) {
    ImGui::AlignTextToFramePadding();
    draw::dim_text(std::string(info(state_.panel).title) +
                   " maximised: double-click its title, 0 or Escape to go back");
  } else {
    ImGui::NewLine();
  }
}

void WorkbenchUi::draw_main(ViewContext& ctx, ImVec2 size) {
  if (state_.panel == Panel::kAll)
    draw_grid(ctx, size);
  else
    draw_panel(ctx, state_.panel, size);
}

void WorkbenchUi::draw_grid(ViewContext& ctx, ImVec2 size) {
  const ImGuiStyle& style = ImGui::GetStyle();
  const float left_w = std::floor(size.x * 0.54f), right_w = size.x - left_w - style.ItemSpacing.x;
  const float mask_h = std::floor(size.y * 0.58f), hierarchy_h = std::floor(size.y * 0.38f);
  ImGui::BeginGroup();
  draw_panel(ctx, Panel::kMask, ImVec2(left_w, mask_h));
  draw_panel(ctx, Panel::kStrip, ImVec2(left_w, size.y - mask_h - style.ItemSpacing.y));
  ImGui::EndGroup();
  ImGui::SameLine();
  ImGui::BeginGroup();
  draw_panel(ctx, Panel::kHierarchy, ImVec2(right_w, hierarchy_h));
  draw_panel(ctx, Panel::kTimeline, ImVec2(right_w, size.y - hierarchy_h - style.ItemSpacing.y));
  ImGui::EndGroup();
}

// --- [SECTION] panel frame: title, maximise, export -------------------------------------------

void WorkbenchUi::draw_panel(ViewContext& ctx, Panel panel, ImVec2 size) {
  const PanelInfo& p = info(panel);
  ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(10, 8));
  const bool visible =
      ImGui::BeginChild(p.name, size, true,
                        ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse |
                            ImGuiWindowFlags_AlwaysUseWindowPadding);
  ImGui::PopStyleVar();
  if (visible) {
    if (capture_requested_ && capture_panel_ == panel) {
      const ImVec2 pos = ImGui::GetWindowPos(), sz = ImGui::GetWindowSize();
      capture_ = Capture{static_cast<int>(pos.x), static_cast<int>(pos.y), static_cast<int>(sz.x),
                         static_cast<int>(sz.y), export_path(ctx, panel, "png")};
      capture_requested_ = false;
    }
    // The title row: a double-click on it maximises the view (or brings the grid back).
    const bool needs_layout = panel != Panel::kCompare && panel != Panel::kTraining &&
                              panel != Panel::kBookmarks && panel != Panel::kEvaluation;
    const ImVec2 row = ImGui::GetCursorScreenPos();
    const ImGuiStyle& style = ImGui::GetStyle();
    auto button_w = [&](const char* label) {
      return ImGui::CalcTextSize(label).x + 2 * style.FramePadding.x;
    };
    const bool maximised = state_.panel == panel;
    const char* toggle = maximised ? "back" : "max";
    const float buttons_w = button_w("PNG") + button_w("CSV") + style.ItemSpacing.x +
                            (in_grid(panel) ? button_w(toggle) + style.ItemSpacing.x : 0.0f);
    ImGui::PushFont(theme::fonts().title);
    ImGui::TextUnformatted(p.title);
    ImGui::PopFont();
    View* view = view_of(panel);
    if (view && (!needs_layout || ctx.layout)) {
      ImGui::SameLine();
      draw::dim_text(elide(view->subtitle(ctx), ImGui::GetContentRegionAvail().x - buttons_w - 12));
    }
    const float title_h = ImGui::GetItemRectMax().y - row.y;
    if (ImGui::IsWindowHovered() && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left) &&
        ImGui::IsMouseHoveringRect(row, ImVec2(row.x + size.x - buttons_w - 20, row.y + title_h)))
      state_.panel = maximised ? Panel::kAll : panel;
    ImGui::SameLine(ImGui::GetWindowContentRegionMax().x - buttons_w);
    if (ImGui::SmallButton("PNG")) capture_requested_ = true, capture_panel_ = panel;
    ImGui::SameLine();
    if (ImGui::SmallButton("CSV")) export_csv(ctx, panel);
    if (in_grid(panel)) {
      ImGui::SameLine();
      if (ImGui::SmallButton(toggle)) state_.panel = maximised ? Panel::kAll : panel;
    }
    if (!needs_layout || ctx.layout)
      draw_panel_body(ctx, panel);
    else
      draw::dim_text("This run has no token layout.");
  }
  ImGui::EndChild();
}

void WorkbenchUi::draw_panel_body(ViewContext& ctx, Panel panel) {
  if (View* view = view_of(panel)) timed(info(panel).name, [&] { view->draw(ctx); });
}

View* WorkbenchUi::view_of(Panel panel) {
  switch (panel) {
    case Panel::kMask:
      return &views_.mask;
    case Panel::kStrip:
      return &views_.strip;
    case Panel::kHierarchy:
      return &views_.hierarchy;
    case Panel::kTimeline:
      return &views_.timeline;
    case Panel::kCompare:
      return &views_.compare;
    case Panel::kTraining:
      return &views_.training;
    case Panel::kBookmarks:
      return &views_.bookmarks;
    case Panel::kEvaluation:
      return &views_.evaluation;
    case Panel::kAll:
    case Panel::kStart:
      break;
  }
  return nullptr;
}

// --- [SECTION] status line --------------------------------------------------------------

// A run still being written: prefilling, its progress (and ETA), or finished.
void WorkbenchUi::draw_live_state(ViewContext& ctx) {
  const RunData& run = *ctx.run;
  const auto& file = worker_->files()[run.id.file];
  if (run.failed()) {
    ImGui::SameLine();
    ImGui::TextColored(theme::vec(theme::error()), "· failed: %s", run.info.failure.c_str());
  } else if (file->growing() || !run.info.finished) {
    ImGui::SameLine();
    const int64_t expected =
        run.facts.expected_steps > 0 ? run.facts.expected_steps : expected_steps_;
    std::string live;
    float progress = -1;
    if (!run.info.finished && !run.is_decode() && !run.is_training()) {
      live =
          "prefilling " + std::to_string(ctx.layout ? ctx.layout->length() : 0) + " positions...";
    } else if (!run.info.finished) {
      const size_t recorded = run.is_training() ? run.train_steps.size() : run.steps.size();
      live = "live: " + std::to_string(recorded) + " steps recorded";
      if (expected > 0) {
        live += " of " + std::to_string(expected);
        progress =
            std::min(1.0f, static_cast<float>(run.steps.size()) / static_cast<float>(expected));
        const double seconds = std::chrono::duration<double>(live_last_ - live_first_).count();
        const size_t done = run.steps.size() - std::min(run.steps.size(), live_first_steps_);
        if (done > 0 && seconds > 0) {
          const double left =
              (static_cast<double>(expected) - static_cast<double>(run.steps.size())) * seconds /
              done;
          if (left > 0)
            live += ", about " + std::to_string(static_cast<int64_t>(std::ceil(left))) + " s left";
        }
      }
    }
    if (!live.empty()) {
      if (progress >= 0) {
        ImGui::ProgressBar(progress, ImVec2(160, 0), "");
        ImGui::SameLine();
      }
      ImGui::TextUnformatted(live.c_str());
    }
  } else if (run.is_decode()) {
    ImGui::SameLine();
    draw::dim_text("· finished");
  }
}

void WorkbenchUi::draw_status(ViewContext& ctx) {
  const RunData& run = *ctx.run;
  std::string text = run.info.kind + " · " + std::to_string(run.num_layers) + " layers · " +
                     std::to_string(run.num_heads) + " score heads · " +
                     std::to_string(run.steps.size()) + " steps";
  bool exact = ctx.step_exact;
  if (ctx.layout && !exact && !ctx.dense()) text += " · loading the step...";
  ImGui::AlignTextToFramePadding();
  draw::dim_text(text);
  draw_live_state(ctx);
  if (!run.anomalies.empty()) {
    ImGui::SameLine();
    ImGui::TextColored(theme::vec(theme::error()), "\xE2\x9A\xA0 %zu problem(s) in the recording",
                       run.anomalies.size());
    if (ImGui::IsItemHovered()) {
      ImGui::BeginTooltip();
      for (const auto& a : run.anomalies) ImGui::TextUnformatted(a.c_str());
      ImGui::EndTooltip();
    }
  }
  std::string messages;
  const std::string error = worker_->background_error();
  if (!error.empty()) messages += error;
  const auto& file = worker_->files()[run.id.file];
  if (!file->error.empty()) messages += (messages.empty() ? "" : " · ") + file->error;
  if (!messages.empty()) {
    ImGui::SameLine();
    ImGui::TextColored(theme::vec(theme::error()), "%s", messages.c_str());
  }
  if (!state_.live_note.empty()) {
    ImGui::SameLine();
    draw::dim_text("· " + state_.live_note);
  }
  if (!state_.status.empty()) {
    ImGui::SameLine();
    ImGui::TextColored(theme::vec(state_.status_is_error ? theme::error() : theme::text_dim()),
                       "· %s", state_.status.c_str());
  }
}

// --- [SECTION] dialogs ------------------------------------------------------------------

void WorkbenchUi::draw_dialogs(ViewContext& ctx) {
  if (state_.open_dialog) {
    const std::string picked = views_.open_dialog.draw(&state_.open_dialog, key_queue());
    if (!picked.empty()) open(picked);
  }
  if (state_.help_open)
    draw_help(&state_.help_open, key_queue(), ctx.layout ? ctx.layout->num_levels() : 1);
}

// --- [SECTION] export ---------------------------------------------------------------------

std::string WorkbenchUi::export_path(const ViewContext& ctx, Panel panel,
                                     const char* extension) const {
  namespace fs = std::filesystem;
  const std::string stem =
      ctx.run ? fs::path(worker_->files()[ctx.run->id.file]->path).stem().string() : "workbench";
  const std::string base = stem + "-" + info(panel).name +
                           (ctx.run ? "-run" + std::to_string(ctx.run->info.id) : "") + "-step" +
                           std::to_string(state_.step);
  std::string path = base + "." + extension;
  std::error_code ec;
  for (int i = 2; fs::exists(path, ec); ++i)
    path = base + "-" + std::to_string(i) + "." + extension;
  return path;
}

void WorkbenchUi::export_csv(ViewContext& ctx, Panel panel) {
  const std::string path = export_path(ctx, panel, "csv");
  // Whole or not at all (app/cli/atomic_output.h), as every command writes.
  try {
    cli::AtomicOutput out(path, "export");
    if (View* view = view_of(panel)) view->write_csv(ctx, out.stream());
    out.commit();
    state_.status = "wrote " + path;
    state_.status_is_error = false;
  } catch (const std::exception& e) {
    state_.status = e.what();
    state_.status_is_error = true;
  }
}

std::optional<WorkbenchUi::Capture> WorkbenchUi::take_capture() {
  auto c = capture_;
  capture_.reset();
  if (!c && capture_requested_ && capture_panel_ == Panel::kAll) {
    // The whole window.
    const ImVec2 size = ImGui::GetIO().DisplaySize;
    ViewContext ctx = make_context();
    c = Capture{0, 0, static_cast<int>(size.x), static_cast<int>(size.y),
                export_path(ctx, Panel::kAll, "png")};
    capture_requested_ = false;
  }
  return c;
}

void WorkbenchUi::capture_finished(const std::string& path, const std::string& error) {
  state_.status = error.empty() ? "wrote " + path : error;
  state_.status_is_error = !error.empty();
}

}  // namespace ssa::gui
