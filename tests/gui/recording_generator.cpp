// Synthetic recordings (see recording_generator.h).
#include "tests/gui/recording_generator.h"

#include <unistd.h>
#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <tuple>

#include "engine/layout/gist_layout.h"
#include "engine/mask/block_mask.h"
#include "sessions/writer.h"

namespace ssa::gui::testing {
namespace {

const char* const kFiller[] = {
    "The river bends twice before it reaches the old mill, and the road follows it. ",
    "In the spring the orchards bloom early; the farmers count the days until harvest. ",
    "A lighthouse keeper writes the weather into a ledger every evening at six. ",
    "The library keeps its maps in long drawers, sorted by coast and by century. ",
    "Trains leave the northern station on the hour, except on market days. ",
    "The bakery on the corner sells rye bread until noon and sweet rolls after. ",
};
const char kNeedle[] = "The secret passkey is 48213; remember it. ";
const char kQuestion[] = "\nQuestion: what is the secret passkey?\nAnswer:";
const char kAnswer[] = " The passkey is 48213.";

// The document's raw bytes with the needle at about 60% of its length.
std::string make_document(int64_t raw_tokens, uint32_t seed, int64_t* needle_at) {
  std::mt19937 rng(seed);
  std::string text;
  *needle_at = raw_tokens * 3 / 5;
  while (static_cast<int64_t>(text.size()) < raw_tokens) {
    if (static_cast<int64_t>(text.size()) >= *needle_at &&
        text.find(kNeedle) == std::string::npos) {
      *needle_at = static_cast<int64_t>(text.size());
      text += kNeedle;
    } else {
      text += kFiller[rng() % (sizeof(kFiller) / sizeof(kFiller[0]))];
    }
  }
  text.resize(raw_tokens);
  return text;
}

sessions::Layout to_record(const GistLayout& layout, const std::string& settings_json) {
  sessions::Layout out;
  out.settings_json = settings_json;
  const int levels = layout.num_levels();
  for (int64_t pos = 0; pos < layout.length(); ++pos) {
    out.token_ids.push_back(layout.token_id(pos));
    out.roles.push_back(layout.role(pos));
    out.chunk_ids.push_back(layout.chunk_id(pos));
    for (int level = 1; level < levels; ++level) out.group_ids.push_back(layout.id(pos, level));
    out.raw_index.push_back(layout.raw_index(pos));
    out.positions.push_back(layout.position_id(pos));
    out.pieces.push_back(layout.is_gist(pos)
                             ? std::string()
                             : std::string(1, static_cast<char>(layout.token_id(pos))));
  }
  out.prefix_length = layout.prefix_length();
  out.sink_length = layout.sink_length();
  return out;
}

sessions::BlockMask to_record(const BlockMask& mask) {
  sessions::BlockMask out;
  out.block_size = mask.block_size;
  out.previous_chunks = mask.settings.previous_chunks;
  out.row_offsets = mask.row_offsets;
  out.key_blocks = mask.key_blocks;
  for (BlockKind kind : mask.kinds) out.kinds.push_back(static_cast<uint8_t>(kind));
  return out;
}

// Top k of (candidate, score), ties to the lower position; ascending positions.
std::vector<int64_t> top_k(const std::vector<int64_t>& cands, const std::vector<float>& scores,
                           int k) {
  std::vector<size_t> order(cands.size());
  std::iota(order.begin(), order.end(), 0);
  const size_t n = std::min<size_t>(static_cast<size_t>(k), cands.size());
  std::partial_sort(order.begin(), order.begin() + n, order.end(), [&](size_t a, size_t b) {
    return scores[a] != scores[b] ? scores[a] > scores[b] : cands[a] < cands[b];
  });
  std::vector<int64_t> chosen;
  for (size_t i = 0; i < n; ++i) chosen.push_back(cands[order[i]]);
  std::sort(chosen.begin(), chosen.end());
  return chosen;
}

class TraceMaker {
 public:
  TraceMaker(const GistLayout& layout, const RecordingShape& shape, int32_t answer_chunk, int k)
      : layout_(layout), shape_(shape), answer_chunk_(answer_chunk), k_(k) {
    gists_.resize(layout.num_levels());
    for (int64_t pos = 0; pos < layout.prefix_length(); ++pos)
      if (layout.is_gist(pos)) gists_[layout.level(pos)].push_back(pos);
  }

  // Relevance of the chunk (or group) closed by gist `pos` at a step: the
  // needle, a drifting focus, per-head noise.
  float score(int64_t pos, int64_t step, int32_t layer, int head, std::mt19937& rng) const {
    const double chunks = std::max<int64_t>(1, layout_.num_gists(0));
    const double focus = chunks * (0.5 + 0.42 * std::sin(step / 9.0 + layer * 0.7 + head * 0.3));
    // Chunk range this gist summarises.
    const int level = layout_.level(pos);
    double first = layout_.chunk_id(pos), last = first;
    if (level > 0) {
      double width = 1;
      for (int l = 0; l < level; ++l)
        width *= l == 0 ? shape_.group_sizes[0] : shape_.group_sizes[l];
      last = layout_.chunk_id(pos) - 1;
      first = last - width + 1;
    }
    const double centre = (first + last) / 2;
    const double d = (centre - focus) / std::max(2.0, chunks / 25);
    double s = 1.6 * std::exp(-d * d);
    if (answer_chunk_ >= first && answer_chunk_ <= last) s += 1.3 + 0.3 * layer;
    std::normal_distribution<float> noise(0.0f, 0.35f);
    return static_cast<float>(s + noise(rng));
  }

  // The synthetic "true full-attention" mass over the chunks at a step, for
  // one (layer, head): a softmax of the noise-free relevance. Sums to 1.
  std::vector<double> chunk_mass(int64_t step, int32_t layer, int head) const {
    const int64_t chunks = layout_.num_gists(0);
    const double focus = chunks * (0.5 + 0.42 * std::sin(step / 9.0 + layer * 0.7 + head * 0.3));
    std::vector<double> mass(static_cast<size_t>(chunks));
    double total = 0;
    for (int64_t c = 0; c < chunks; ++c) {
      const double d = (c - focus) / std::max(2.0, chunks / 25.0);
      double s = 1.6 * std::exp(-d * d) + (c == answer_chunk_ ? 1.3 + 0.3 * layer : 0.0);
      mass[static_cast<size_t>(c)] = std::exp(2.0 * s);
      total += mass[static_cast<size_t>(c)];
    }
    for (double& m : mass) m /= total;
    return mass;
  }

  // A baseline's (layer, step): level-0 candidates (every gist, scored by the
  // mass) and per head the chunks the baseline unfolds.
  sessions::LayerStep baseline_step(int64_t step, int32_t layer, const std::string& baseline,
                                    std::vector<std::vector<int32_t>>* chunks_by_head) const {
    sessions::LayerStep record;
    record.step = step;
    record.layer = layer;
    sessions::LevelScores ls;
    ls.candidates = gists_[0];
    sessions::LevelSelection sel;
    sel.row_offsets.push_back(0);
    const int64_t n = static_cast<int64_t>(gists_[0].size());
    const int k0 = static_cast<int>(std::min<int64_t>(k_, std::max<int64_t>(1, n / 4)));
    chunks_by_head->assign(shape_.heads, {});
    for (int h = 0; h < shape_.heads; ++h) {
      const auto mass = chunk_mass(step, layer, h);
      std::vector<float> scores(mass.begin(), mass.end());
      std::vector<int64_t> chosen;
      if (baseline == "oracle") {
        chosen = top_k(gists_[0], scores, k0);
      } else {  // recency: the last k chunks
        for (int64_t i = std::max<int64_t>(0, n - k_); i < n; ++i) chosen.push_back(gists_[0][i]);
      }
      ls.heads.push_back(h);
      ls.scores.insert(ls.scores.end(), scores.begin(), scores.end());
      sel.heads.push_back(h);
      sel.chosen.insert(sel.chosen.end(), chosen.begin(), chosen.end());
      sel.row_offsets.push_back(static_cast<int64_t>(sel.chosen.size()));
      for (int64_t g : chosen) (*chunks_by_head)[h].push_back(layout_.chunk_id(g));
    }
    record.scores.push_back(std::move(ls));
    record.selections.push_back(std::move(sel));
    return record;
  }

  sessions::LayerStep layer_step(int64_t step, int32_t layer,
                                 std::vector<int32_t>* unfolded) const {
    std::mt19937 rng(
        static_cast<uint32_t>(shape_.seed * 1000003u + step * 7919u + layer * 104729u + k_));
    sessions::LayerStep record;
    record.step = step;
    record.layer = layer;
    const int top = layout_.num_levels() - 1;
    std::vector<std::vector<int64_t>> chosen_by_head(shape_.heads);
    std::vector<sessions::LevelScores> scores;
    std::vector<sessions::LevelSelection> selections;
    for (int level = top; level >= 0; --level) {
      sessions::LevelScores ls;
      ls.level = level;
      sessions::LevelSelection sel;
      sel.level = level;
      sel.row_offsets.push_back(0);
      const int64_t n_level = static_cast<int64_t>(gists_[level].size());
      const int k_level =
          static_cast<int>(std::min<int64_t>(k_, std::max<int64_t>(1, n_level / 4)));
      bool shared = level == top;
      if (!shared) ls.row_offsets.push_back(0);
      if (shared) ls.candidates = gists_[level];
      for (int h = 0; h < shape_.heads; ++h) {
        std::vector<int64_t> cands;
        if (level == top) {
          cands = gists_[level];
        } else {
          // Descend: the gists of this level inside the groups chosen one level up.
          for (int64_t g : gists_[level])
            for (int64_t parent : chosen_by_head[h])
              if (layout_.id(g, level + 1) == layout_.id(parent, level + 1)) cands.push_back(g);
        }
        std::vector<float> s;
        for (int64_t c : cands) s.push_back(score(c, step, layer, h, rng));
        const auto chosen = top_k(cands, s, k_level);
        ls.heads.push_back(h);
        ls.scores.insert(ls.scores.end(), s.begin(), s.end());
        if (!shared) {
          ls.candidates.insert(ls.candidates.end(), cands.begin(), cands.end());
          ls.row_offsets.push_back(static_cast<int64_t>(ls.candidates.size()));
        }
        sel.heads.push_back(h);
        sel.chosen.insert(sel.chosen.end(), chosen.begin(), chosen.end());
        sel.row_offsets.push_back(static_cast<int64_t>(sel.chosen.size()));
        chosen_by_head[h] = chosen;
        if (level == 0)
          for (int64_t g : chosen) unfolded->push_back(layout_.chunk_id(g));
      }
      scores.insert(scores.begin(), std::move(ls));
      selections.insert(selections.begin(), std::move(sel));
    }
    record.scores = std::move(scores);
    record.selections = std::move(selections);
    return record;
  }

 private:
  const GistLayout& layout_;
  const RecordingShape& shape_;
  int32_t answer_chunk_;
  int k_;
  std::vector<std::vector<int64_t>> gists_;
};

// Mean over (layer, head) of the mass the head's unfolded chunks carry.
double mean_coverage(const std::vector<std::vector<double>>& masses,
                     const std::vector<std::vector<int32_t>>& chunks) {
  double sum = 0;
  for (size_t i = 0; i < masses.size(); ++i)
    for (int32_t c : chunks[i]) sum += masses[i][static_cast<size_t>(c)];
  return masses.empty() ? 0.0 : sum / static_cast<double>(masses.size());
}

// One decode run: "none" (the selection itself) or a baseline (see RecordingShape).
void write_decode_run(sessions::Writer& writer, int64_t run_id, const GistLayout& layout,
                      const RecordingShape& shape, int32_t answer_chunk, int k,
                      const std::string& baseline) {
  TraceMaker maker(layout, shape, answer_chunk, k);
  const std::string answer = kAnswer;
  std::mt19937 rng(shape.seed + k);
  std::uniform_real_distribution<double> jitter(0.8, 1.2);
  int64_t gists = 0;
  for (int64_t pos = 0; pos < layout.prefix_length(); ++pos) gists += layout.is_gist(pos);
  const int64_t always = layout.sink_length() + (layout.length() - layout.prefix_length());
  for (int64_t step = 0; step < shape.steps; ++step) {
    std::vector<int32_t> unfolded;
    std::vector<std::vector<double>> masses;           // per (layer, head)
    std::vector<std::vector<int32_t>> chunks_per_row;  // per (layer, head)
    int64_t scored = 0;
    const bool detail = baseline == "none" || baseline == "oracle" || baseline == "recency";
    for (int32_t layer = shape.dense_layers; layer < shape.layers && detail; ++layer) {
      std::vector<std::vector<int32_t>> by_head(shape.heads);
      sessions::LayerStep record;
      if (baseline == "none") {
        record = maker.layer_step(step, layer, &unfolded);
        for (const auto& sel : record.selections)
          if (sel.level == 0)
            for (size_t r = 0; r < sel.rows(); ++r)
              for (size_t i = 0; i < sel.row_size(r); ++i)
                by_head[sel.heads[r]].push_back(layout.chunk_id(sel.row_chosen(r)[i]));
      } else {
        record = maker.baseline_step(step, layer, baseline, &by_head);
        for (const auto& h : by_head) unfolded.insert(unfolded.end(), h.begin(), h.end());
      }
      for (const auto& s : record.scores) scored += static_cast<int64_t>(s.scores.size());
      for (int h = 0; h < shape.heads; ++h) {
        masses.push_back(maker.chunk_mass(step, layer, h));
        chunks_per_row.push_back(by_head[h]);
      }
      writer.write_layer_step(run_id, std::move(record));
    }
    std::sort(unfolded.begin(), unfolded.end());
    unfolded.erase(std::unique(unfolded.begin(), unfolded.end()), unfolded.end());
    sessions::DecodeStepRecord d;
    d.step = step;
    const char ch = answer[static_cast<size_t>(step) % answer.size()];
    d.token_id = static_cast<unsigned char>(ch);
    d.text = std::string(1, ch);
    d.seconds = 0.004 * jitter(rng) * (1 + layout.length() / 65536.0);
    d.keys_scored = scored / std::max(1, shape.layers);
    d.keys_read = static_cast<int64_t>(unfolded.size()) * (shape.chunk + 1) + always + step;
    d.answer_unfolded = std::binary_search(unfolded.begin(), unfolded.end(), answer_chunk) ? 1 : 0;
    if (shape.shadow_full) d.full_mass_coverage = mean_coverage(masses, chunks_per_row);
    if (baseline == "recency") d.keys_scored = 0;  // chooses by position, scores nothing
    if (baseline == "gist-only") {
      d.keys_scored = 0;
      d.keys_read = gists + always + step;
      d.full_mass_coverage = shape.shadow_full ? 0.0 : -1.0;  // nothing unfolded
    } else if (baseline == "full") {
      d.keys_scored = 0;
      d.keys_read = layout.length() + step;
      d.full_mass_coverage = -1;  // the full-attention baseline measures nothing
      d.answer_unfolded = -1;
    }
    writer.write_decode_step(run_id, std::move(d));
  }
}

}  // namespace

std::vector<int64_t> generate_recording(const std::string& path, const RecordingShape& shape) {
  for (const char* suffix : {"", "-wal", "-shm"}) ::unlink((path + suffix).c_str());
  int64_t needle_at = 0;
  const std::string document = make_document(shape.raw_tokens, shape.seed, &needle_at);
  LayoutSettings settings;
  settings.chunk = shape.chunk;
  settings.group_sizes = shape.group_sizes;
  settings.sink = shape.sink;
  settings.validate();
  std::vector<int64_t> raw(document.begin(), document.end());
  for (auto& t : raw) t = static_cast<unsigned char>(t);
  GistLayout layout(settings, raw);
  for (char ch : std::string(kQuestion)) layout.append(static_cast<unsigned char>(ch));
  const int32_t answer_chunk = layout.chunk_id(layout.stream_index(needle_at + 10));
  const BlockMask mask =
      build_block_mask(layout, MaskSettings{shape.previous_chunks}, shape.block_size);

  sessions::Writer writer(path);
  std::vector<int64_t> ids;
  // (name, baseline, k) of every decode run.
  std::vector<std::tuple<std::string, std::string, int>> decode_runs;
  decode_runs.emplace_back("ssa k=" + std::to_string(shape.k), "none", shape.k);
  if (shape.compare_run) decode_runs.emplace_back("ssa k=1", "none", 1);
  for (const std::string& b : shape.baselines) {
    if (b != "oracle" && b != "recency" && b != "gist-only" && b != "full")
      throw std::invalid_argument("unknown baseline '" + b + "'");
    const std::string name = b == "full"        ? "full attention"
                             : b == "gist-only" ? b
                                                : b + " k=" + std::to_string(shape.k);
    decode_runs.emplace_back(name, b, shape.k);
  }
  for (const auto& [name, baseline, k] : decode_runs) {
    sessions::RunInfo info;
    info.name = name;
    info.kind = "decode";
    info.config_json =
        "{\"task\":\"passkey\",\"k\":" + std::to_string(k) + ",\"answer\":\"48213\"" +
        ",\"answer_chunk\":" + std::to_string(answer_chunk) + ",\"hierarchy\":\"" +
        settings.hierarchy_name() + "\",\"baseline\":\"" + baseline +
        "\",\"shadow_full\":" + (shape.shadow_full ? "true" : "false") + ",\"mode\":\"head\"" +
        ",\"budget\":\"fixed\"" +
        (shape.dense_layers > 0 ? ",\"dense_layers\":" + std::to_string(shape.dense_layers)
                                : std::string()) +
        "}";
    info.num_layers = shape.layers;
    info.num_score_heads = shape.heads;
    info.num_levels = layout.num_levels();
    const int64_t id = writer.begin_run(info);
    writer.write_layout(id, to_record(layout, settings.to_json()));
    writer.write_mask(id, to_record(mask));
    write_decode_run(writer, id, layout, shape, answer_chunk, k, baseline);
    if (shape.generated_in_layout) {
      // The tokens steps 0..n-2 produced were fed back; the last one was not.
      GistLayout final_layout = layout;
      const std::string answer = kAnswer;
      for (int64_t step = 0; step + 1 < shape.steps; ++step)
        final_layout.append(
            static_cast<unsigned char>(answer[static_cast<size_t>(step) % answer.size()]));
      writer.write_layout(id, to_record(final_layout, settings.to_json()));
    }
    writer.end_run(id);
    ids.push_back(id);
  }
  if (shape.train_run) {
    sessions::RunInfo info;
    info.name = "continued pretraining";
    info.kind = "train";
    info.config_json = "{\"lr\":1e-5,\"hierarchy\":\"" + settings.hierarchy_name() + "\"}";
    info.num_layers = shape.layers;
    info.num_levels = layout.num_levels();
    const int64_t id = writer.begin_run(info);
    writer.write_layout(id, to_record(layout, settings.to_json()));
    writer.write_mask(id, to_record(mask));
    std::mt19937 rng(shape.seed);
    std::normal_distribution<double> noise(0.0, 0.04);
    const int steps = 300;
    for (int s = 0; s < steps; ++s) {
      sessions::TrainStepRecord t;
      t.step = s;
      t.loss = 1.3 + 2.2 * std::exp(-s / 60.0) + noise(rng);
      const double warm = steps * 0.05;
      t.learning_rate = s < warm ? 1e-5 * (s + 1) / warm
                                 : 0.5e-5 * (1 + std::cos(M_PI * (s - warm) / (steps - warm)));
      t.tokens_per_second = 5200 + 300 * noise(rng) / 0.04;
      t.grad_norm = 0.6 + 1.5 * std::exp(-s / 40.0) + std::abs(noise(rng)) * 3;
      writer.write_train_step(id, t);
      if (s % 50 == 49) {
        t.is_eval = true;
        t.loss += 0.08;
        writer.write_train_step(id, t);
      }
    }
    writer.end_run(id);
    ids.push_back(id);
  }
  writer.close();
  return ids;
}

}  // namespace ssa::gui::testing
