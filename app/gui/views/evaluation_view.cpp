// Evaluation view (see views.h): a results folder of `ssa-workbench eval`.
// The chart on top (views/eval_chart.cpp), the results table (a row per
// method, task, context, k, levels), then the examples: failed ones first
// shown, a click on one with a recording opens it at its run and answer step.
//
// [SECTION] cells
// [SECTION] folder box
// [SECTION] results table
// [SECTION] examples table
// [SECTION] draw, subtitle, CSV
#include <cstdio>
#include <sstream>

#include "app/gui/core/theme.h"
#include "app/gui/views/views.h"
#include "sessions/csv_reader.h"

namespace ssa::gui {
namespace {

// --- [SECTION] cells ---------------------------------------------------------------------

// An en dash for what was not measured.
const char* kNotMeasured = "\xE2\x80\x93";

void number_cell(const std::optional<double>& v, const char* format) {
  ImGui::TableNextColumn();
  if (!v) {
    draw::dim_text(kNotMeasured);
    return;
  }
  ImGui::Text(format, *v);
}

void text_cell(const std::string& s) {
  ImGui::TableNextColumn();
  ImGui::TextUnformatted(s.c_str());
}

// The configuration's name with its method's colour swatch.
void series_cell(const EvalConfig& c) {
  ImGui::TableNextColumn();
  const float h = ImGui::GetTextLineHeight();
  const ImVec2 p = ImGui::GetCursorScreenPos();
  ImGui::GetWindowDrawList()->AddRectFilled(ImVec2(p.x, p.y + h * 0.2f),
                                            ImVec2(p.x + h * 0.8f, p.y + h * 0.8f),
                                            theme::method_colour(c.method, !c.levels.empty()), 2);
  ImGui::Dummy(ImVec2(h * 0.8f, h));
  ImGui::SameLine(0, 6);
  ImGui::TextUnformatted(c.series_name().c_str());
}

// Text of a generated answer on one line ("\n" shown as such), at most `max` bytes.
std::string one_line(const std::string& s, size_t max) {
  std::string out;
  for (char c : s) {
    if (out.size() >= max) return out + "...";
    out += c == '\n' ? std::string("\\n") : std::string(1, c);
  }
  return out;
}

std::string value(const std::optional<double>& v) {
  if (!v) return "";
  std::ostringstream s;
  s << *v;
  return s.str();
}

}  // namespace

// --- [SECTION] folder box ----------------------------------------------------------------------

void EvaluationView::draw_folder_box() {
  ImGui::AlignTextToFramePadding();
  ImGui::TextUnformatted("Results folder");
  ImGui::SameLine();
  if (results_ && folder_[0] == '\0')
    std::snprintf(folder_, sizeof folder_, "%s", results_->folder.c_str());
  if (focus_box_) ImGui::SetKeyboardFocusHere(), focus_box_ = false;
  ImGui::SetNextItemWidth(std::min(520.0f, ImGui::GetContentRegionAvail().x * 0.5f));
  const bool enter = ImGui::InputText("##results-folder", folder_, sizeof folder_,
                                      ImGuiInputTextFlags_EnterReturnsTrue);
  ImGui::SameLine();
  if ((ImGui::Button("Open##results") || enter) && folder_[0] != '\0') folder_request_ = folder_;
  if (results_ && !results_->command.empty()) {
    // The command whole, or where it does not fit a pointer to it (never a cut line).
    ImGui::SameLine();
    const bool fits =
        ImGui::CalcTextSize(results_->command.c_str()).x <= ImGui::GetContentRegionAvail().x;
    draw::dim_text(fits ? results_->command : "the command: hover here");
    if (!fits && ImGui::IsItemHovered()) ImGui::SetTooltip("%s", results_->command.c_str());
  }
}

// --- [SECTION] results table ------------------------------------------------------------------

void EvaluationView::draw_results_table(float height) {
  const ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV |
                                ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_ScrollY;
  if (!ImGui::BeginTable("results", 14, flags, ImVec2(ImGui::GetContentRegionAvail().x, height)))
    return;
  ImGui::TableSetupScrollFreeze(1, 1);
  for (const char* name :
       {"method", "task", "context", "n", "exact", "chars right", "compression", "recall",
        "covered (mean)", "covered (p10)", "scored/step", "read/step", "ms/step"})
    ImGui::TableSetupColumn(name);
  ImGui::TableSetupColumn("", ImGuiTableColumnFlags_WidthStretch);
  ImGui::TableHeadersRow();
  for (const auto& r : results_->results) {
    ImGui::TableNextRow();
    series_cell(r.config);
    text_cell(r.config.task);
    text_cell(std::to_string(r.config.context));
    text_cell(std::to_string(r.n));
    number_cell(r.exact, "%.3f");
    number_cell(r.char_accuracy, "%.3f");
    number_cell(r.compression, "%.1fx");
    number_cell(r.recall, "%.3f");
    number_cell(r.coverage_mean, "%.3f");
    number_cell(r.coverage_p10, "%.3f");
    number_cell(r.keys_scored_per_step, "%.0f");
    number_cell(r.keys_read_per_step, "%.0f");
    number_cell(r.ms_per_step, "%.2f");
    ImGui::TableNextColumn();
  }
  ImGui::EndTable();
}

// --- [SECTION] examples table -----------------------------------------------------------------

void EvaluationView::draw_examples_table() {
  if (!results_->has_examples) {
    draw::dim_text("No examples.csv in this folder.");
    return;
  }
  size_t failed = 0;
  for (const auto& e : results_->examples) failed += e.failed() ? 1 : 0;
  ImGui::Checkbox("failed examples only", &failed_only_);
  ImGui::SameLine();
  draw::dim_text(std::to_string(failed) + " of " + std::to_string(results_->examples.size()) +
                 " examples failed; a click on a failed one with a recording opens it at its "
                 "answer step");
  const ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV |
                                ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_ScrollY;
  if (!ImGui::BeginTable("examples", 10, flags, ImGui::GetContentRegionAvail())) return;
  ImGui::TableSetupScrollFreeze(1, 1);
  for (const char* name : {"method", "task", "context", "example", "exact", "chars right",
                           "answer's chunk", "expected", "generated"})
    ImGui::TableSetupColumn(name);
  ImGui::TableSetupColumn("recording", ImGuiTableColumnFlags_WidthStretch);
  ImGui::TableHeadersRow();
  int id = 0;
  for (const auto& e : results_->examples) {
    ++id;
    if (failed_only_ && !e.failed()) continue;
    ImGui::TableNextRow();
    ImGui::PushID(id);
    ImGui::TableNextColumn();
    // The whole row is the click target; what it opens is in its tooltip.
    const bool openable = e.failed() && !e.recording.empty();
    if (ImGui::Selectable(
            "##row", false,
            ImGuiSelectableFlags_SpanAllColumns | ImGuiSelectableFlags_AllowItemOverlap) &&
        openable)
      example_ = ExampleRequest{results_->recording_path(e), e.run, e.answer_step};
    if (ImGui::IsItemHovered()) {
      ImGui::BeginTooltip();
      if (openable)
        ImGui::Text("open %s at run %lld, step %lld", e.recording.c_str(),
                    static_cast<long long>(e.run), static_cast<long long>(e.answer_step));
      else if (e.recording.empty())
        ImGui::TextUnformatted("not recorded (eval without --record)");
      else
        ImGui::TextUnformatted("right: only failed examples open from here");
      ImGui::EndTooltip();
    }
    ImGui::SameLine(0, 0);
    const float h = ImGui::GetTextLineHeight();
    const ImVec2 p = ImGui::GetCursorScreenPos();
    ImGui::GetWindowDrawList()->AddRectFilled(
        ImVec2(p.x, p.y + h * 0.2f), ImVec2(p.x + h * 0.8f, p.y + h * 0.8f),
        theme::method_colour(e.config.method, !e.config.levels.empty()), 2);
    ImGui::Dummy(ImVec2(h * 0.8f, h));
    ImGui::SameLine(0, 6);
    ImGui::TextUnformatted(e.config.series_name().c_str());
    text_cell(e.config.task);
    text_cell(std::to_string(e.config.context));
    text_cell(std::to_string(e.example));
    ImGui::TableNextColumn();
    if (!e.exact)
      draw::dim_text(kNotMeasured);
    else
      ImGui::TextColored(theme::vec(e.failed() ? theme::error() : theme::text()), "%s",
                         e.failed() ? "wrong" : "right");
    number_cell(e.char_accuracy, "%.3f");
    ImGui::TableNextColumn();
    if (!e.answer_unfolded)
      draw::dim_text(kNotMeasured);
    else
      ImGui::TextUnformatted(*e.answer_unfolded ? "unfolded" : "never unfolded");
    ImGui::TableNextColumn();
    ImGui::PushFont(theme::fonts().mono);
    ImGui::TextColored(theme::vec(theme::answer()), "\"%s\"", one_line(e.expected, 24).c_str());
    ImGui::TableNextColumn();
    ImGui::TextColored(theme::vec(theme::generated()), "\"%s\"", one_line(e.generated, 24).c_str());
    ImGui::PopFont();
    ImGui::TableNextColumn();
    if (e.recording.empty())
      draw::dim_text("not recorded");
    else
      ImGui::Text("%s (run %lld, step %lld)", e.recording.c_str(), static_cast<long long>(e.run),
                  static_cast<long long>(e.answer_step));
    ImGui::PopID();
  }
  ImGui::EndTable();
}

// --- [SECTION] draw, subtitle, CSV -----------------------------------------------------------

void EvaluationView::set_results(std::shared_ptr<const EvalResults> results) {
  results_ = std::move(results);
  legend_.clear();
  chart_ = EvalChart{};
  if (!results_) return;
  chart_ = make_eval_chart(*results_);
  for (const auto& m : theme::method_meanings())
    for (const auto& r : results_->results)
      if (theme::method_colour(r.config.method, !r.config.levels.empty()) == m.colour) {
        legend_.push_back(m);
        break;
      }
}

void EvaluationView::draw(ViewContext&) {
  draw_folder_box();
  if (!results_) {
    draw::dim_text(
        "No results folder open. Type a folder that `ssa-workbench eval` wrote (it holds "
        "results.csv) and press Enter, or start the window with `ssa-workbench gui DIR`.");
    return;
  }
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float line = ImGui::GetFrameHeightWithSpacing();
  const float chart_h = std::max(220.0f, avail.y * 0.48f);
  const ImVec2 at = ImGui::GetCursorScreenPos();
  ImGui::Dummy(ImVec2(avail.x, chart_h));
  draw_eval_chart(ImGui::GetWindowDrawList(), at, ImVec2(at.x + avail.x, at.y + chart_h), chart_,
                  true);
  const float rows_h = line * (static_cast<float>(results_->results.size()) + 1.3f);
  const float rest = ImGui::GetContentRegionAvail().y;
  draw_results_table(std::clamp(rows_h, line * 2.5f, rest * (results_->has_examples ? 0.45f : 1)));
  draw_examples_table();
}

std::string EvaluationView::subtitle(const ViewContext&) const {
  if (!results_) return "";
  return results_->folder + " \xC2\xB7 " + std::to_string(results_->results.size()) +
         " configurations \xC2\xB7 " + std::to_string(results_->examples.size()) + " examples";
}

void EvaluationView::write_csv(const ViewContext&, std::ostream& out) const {
  const auto& header = results_header();
  for (size_t i = 0; i < header.size(); ++i) out << (i ? "," : "") << header[i];
  out << "\n";
  if (!results_) return;
  for (const auto& r : results_->results) {
    const auto& c = r.config;
    out << c.method << "," << sessions::csv_field(c.task) << "," << c.context << ","
        << (c.k >= 0 ? std::to_string(c.k) : "") << "," << c.levels << "," << r.n << ","
        << value(r.exact) << "," << value(r.char_accuracy) << "," << value(r.compression) << ","
        << value(r.recall) << "," << value(r.coverage_mean) << "," << value(r.coverage_p10) << ","
        << value(r.keys_scored_per_step) << "," << value(r.keys_read_per_step) << ","
        << value(r.ms_per_step) << "\n";
  }
}

}  // namespace ssa::gui
