// Run header: two lines above the views. The first says what the run is and
// whether it is right (the task's expected answer against what was generated
// up to the current step); the second says in plain words what the current
// step and layer decided (model/step_story.h).
//
// [SECTION] the run line
// [SECTION] the step line
#include <cstdio>

#include "app/gui/core/theme.h"
#include "app/gui/model/step_story.h"
#include "app/gui/views/views.h"

namespace ssa::gui {
namespace {

std::string shown(const std::string& text) {
  std::string out;
  for (char c : text) out += c == '\n' ? std::string("\\n") : std::string(1, c);
  return out;
}

// --- [SECTION] the run line ------------------------------------------------------------

void draw_run_line(ViewContext& ctx) {
  const RunData& run = *ctx.run;
  ImGui::PushFont(theme::fonts().title);
  ImGui::TextUnformatted(run.info.name.c_str());
  ImGui::PopFont();
  ImGui::SameLine();
  std::string facts = run.baseline;
  if (!run.facts.task.empty()) facts += " · task " + run.facts.task;
  if (!run.facts.budget.empty() && run.quality.baseline != "full" &&
      run.quality.baseline != "gist-only")
    facts += " · budget " + run.facts.budget +
             (run.facts.k > 0 ? " k=" + std::to_string(run.facts.k) : "");
  if (run.facts.dense_layers > 0)
    facts += run.facts.dense_layers == 1
                 ? std::string(" · layer 0 dense")
                 : " · layers 0-" + std::to_string(run.facts.dense_layers - 1) + " dense";
  draw::dim_text(facts);
  if (run.failed()) {
    ImGui::SameLine(0, 18);
    ImGui::TextColored(theme::vec(theme::error()), "failed: %s", run.info.failure.c_str());
    return;
  }
  const AnswerCheck check = check_answer(run, ctx.state.step);
  if (check.verdict == AnswerCheck::Verdict::kUnknown) return;
  ImGui::SameLine(0, 18);
  ImGui::TextColored(theme::vec(theme::text_dim()), "expected");
  ImGui::SameLine();
  ImGui::PushFont(theme::fonts().mono);
  ImGui::TextColored(theme::vec(theme::answer()), "\"%s\"", shown(check.expected).c_str());
  ImGui::PopFont();
  ImGui::SameLine();
  ImGui::TextColored(theme::vec(theme::text_dim()), "generated up to step %lld",
                     static_cast<long long>(ctx.state.step));
  ImGui::SameLine();
  ImGui::PushFont(theme::fonts().mono);
  ImGui::TextColored(theme::vec(theme::generated()), "\"%s\"", shown(check.generated).c_str());
  ImGui::PopFont();
  ImGui::SameLine();
  const bool wrong = check.verdict == AnswerCheck::Verdict::kWrong;
  const std::string verdict = describe_verdict(check);
  ImGui::TextColored(theme::vec(wrong ? theme::error() : theme::text()), "%s", verdict.c_str());
}

// --- [SECTION] the step line ------------------------------------------------------------

void draw_step_line(ViewContext& ctx) {
  const std::string story =
      step_story(*ctx.run, ctx.step_exact ? ctx.step.get() : nullptr, ctx.unfolds.get(),
                 ctx.state.step, ctx.state.layer, ctx.state.head);
  ImGui::PushTextWrapPos(0.0f);
  ImGui::TextUnformatted(story.c_str());
  ImGui::PopTextWrapPos();
}

}  // namespace

float RunHeaderView::height() {
  return ImGui::GetTextLineHeightWithSpacing() * 3 + 4;
}

void RunHeaderView::draw(ViewContext& ctx) {
  draw_run_line(ctx);
  if (ctx.run->is_decode() && ctx.layout) draw_step_line(ctx);
}

}  // namespace ssa::gui
