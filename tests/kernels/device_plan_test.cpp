// The GPU decode path's pure index rules, run on the CPU against the CPU
// reference: ranking keys vs choose_top, the top-k walk, the bitonic network,
// budgets, local keys + unfolded spans vs visible_keys, the training row,
// key enumeration and splits, the reconstruction of choices vs
// select_chunks, and the mma fragment maps of the kernels (emulated lane by
// lane). No GPU needed: these run everywhere.
#include "engine/decode/device_plan.h"
#include "engine/decode/budget.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <set>

#include "engine/decode/baselines.h"
#include "engine/decode/visible_set.h"
#include "kernels/decode_types.h"
#include "tests/engine/layout_names.h"
#include "tests/engine/random_layouts.h"

namespace ssa {
namespace {

using kernels::candidate_key;

std::vector<float> random_scores(std::mt19937& rng, int n, bool special) {
  std::uniform_int_distribution<int> level(-3, 3);
  std::vector<float> s(n);
  for (float& x : s) {
    x = static_cast<float>(level(rng)) * 0.5f;  // few values: many ties
    if (rng() % 3 == 0) x = std::ldexp(static_cast<float>(rng() % 1000), -7);
  }
  if (special && n >= 6) {
    s[rng() % n] = std::numeric_limits<float>::quiet_NaN();
    s[rng() % n] = -0.0f;
    s[rng() % n] = 0.0f;
    s[rng() % n] = std::numeric_limits<float>::infinity();
    s[rng() % n] = -std::numeric_limits<float>::infinity();
  }
  return s;
}

std::vector<int64_t> iota64(int64_t n) {
  std::vector<int64_t> v(n);
  std::iota(v.begin(), v.end(), 0);
  return v;
}

TEST(CandidateKey, RanksAsChooseTop) {
  std::mt19937 rng(1);
  for (int trial = 0; trial < 200; ++trial) {
    const int n = 1 + rng() % 60;
    const std::vector<float> s = random_scores(rng, n, true);
    const std::vector<double> d(s.begin(), s.end());
    const std::vector<int64_t> expected = choose_top(iota64(n), d, n, 0);
    std::vector<int64_t> order = iota64(n);
    std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
      return candidate_key(s[a], a) > candidate_key(s[b], b);
    });
    ASSERT_EQ(order, expected) << "trial " << trial;
    for (int i = 0; i < n; ++i) {
      ASSERT_NE(candidate_key(s[i], i), kernels::kNotCandidate);
      ASSERT_EQ(kernels::key_slot(candidate_key(s[i], i)), static_cast<uint32_t>(i));
      const float back = kernels::score_of_key(candidate_key(s[i], i));
      if (std::isnan(s[i])) {
        EXPECT_EQ(back, -std::numeric_limits<float>::infinity());
      } else {
        EXPECT_EQ(back, s[i]);
      }
    }
  }
}

TEST(TopThreshold, SelectsChooseTopsSet) {
  std::mt19937 rng(2);
  for (int trial = 0; trial < 400; ++trial) {
    const int n = 1 + rng() % 700;
    const std::vector<float> s = random_scores(rng, n, trial % 3 == 0);
    std::vector<uint64_t> keys(n);
    std::vector<int64_t> members;
    std::vector<double> member_scores;
    for (int i = 0; i < n; ++i) {
      const bool member = rng() % 5 != 0;
      keys[i] = member ? candidate_key(s[i], i) : kernels::kNotCandidate;
      if (member) members.push_back(i), member_scores.push_back(s[i]);
    }
    const int k = static_cast<int>(rng() % (n + 3));
    const uint64_t t = kernels::reference_top_threshold(keys.data(), n, k);
    std::vector<int64_t> got;
    for (int i = 0; i < n; ++i) {
      if (keys[i] != kernels::kNotCandidate && keys[i] >= t) got.push_back(i);
    }
    std::vector<int64_t> expected = choose_top(members, member_scores, k, 0);
    std::sort(expected.begin(), expected.end());
    ASSERT_EQ(got, expected) << "trial " << trial << " n " << n << " k " << k;
  }
}

TEST(TopThreshold, WarpBinSearchFindsTheSequentialBin) {
  std::mt19937 rng(3);
  for (int trial = 0; trial < 300; ++trial) {
    uint32_t hist[256] = {};
    const int keys = 1 + rng() % 2000;
    for (int i = 0; i < keys; ++i) ++hist[trial % 2 ? rng() % 256 : 100 + rng() % 8];
    const uint32_t remaining = 1 + rng() % keys;
    // Sequentially: from the top bin down.
    uint32_t above = 0;
    int bin = 255;
    while (above + hist[bin] < remaining) above += hist[bin--];
    // As the warp does it: lanes of 8 bins, an exclusive scan over lanes.
    int owners = 0;
    uint32_t exclusive = 0;
    for (int lane = 0; lane < 32; ++lane) {
      uint32_t c[8], local = 0;
      for (int j = 0; j < 8; ++j) local += (c[j] = hist[255 - 8 * lane - j]);
      uint32_t b = 0, a = 0, in = 0;
      if (kernels::lane_bin(c, lane, exclusive, remaining, &b, &a, &in)) {
        ++owners;
        EXPECT_EQ(static_cast<int>(b), bin);
        EXPECT_EQ(a, above);
        EXPECT_EQ(in, hist[bin]);
      }
      exclusive += local;
    }
    ASSERT_EQ(owners, 1) << "trial " << trial;
  }
}

TEST(Bitonic, NetworkSortsAscending) {
  std::mt19937_64 rng(4);
  for (int n = 1; n <= 2048; n *= 2) {
    std::vector<uint64_t> a(n);
    for (uint64_t& x : a) x = rng() % 97;  // duplicates
    std::vector<uint64_t> expected = a;
    std::sort(expected.begin(), expected.end());
    for (int size = 2; size <= n; size <<= 1) {
      for (int stride = size >> 1; stride > 0; stride >>= 1) {
        for (int t = 0; t < n / 2; ++t) {
          int32_t lo, hi;
          bool ascending;
          kernels::bitonic_pair(t, size, stride, &lo, &hi, &ascending);
          ASSERT_LT(hi, n);
          if ((a[lo] > a[hi]) == ascending) std::swap(a[lo], a[hi]);
        }
      }
    }
    ASSERT_EQ(a, expected) << "n " << n;
  }
  EXPECT_EQ(kernels::next_pow2(1), 1);
  EXPECT_EQ(kernels::next_pow2(5), 8);
  EXPECT_EQ(kernels::next_pow2(512), 512);
}

TEST(Budget, LevelBudgetMatchesChunkSelector) {
  std::mt19937 rng(5);
  for (int trial = 0; trial < 2000; ++trial) {
    SelectionSettings s;
    s.k = 1 + rng() % 40;
    s.quarter_cap = rng() % 2;
    const int64_t count = rng() % 300, candidates = rng() % 300;
    EXPECT_EQ(kernels::level_budget(s.k, s.quarter_cap, static_cast<int32_t>(count),
                                    static_cast<int32_t>(candidates)),
              level_budget(s, count, candidates));
  }
}

TEST(Budget, LevelBudgetsAreTheSelectionsKPerLevel) {
  // budget.h's rule, as the kernels take it: one k per level.
  const LayoutSettings ssa = parse_hierarchy("chunk16");
  const LayoutSettings three = parse_hierarchy("chunk4-chunk4-chunk8");
  SelectionSettings user;
  user.k = 5;
  const int64_t n = 131072 + 8192;
  const int a_ssa = static_cast<int>(n / 16 / 7 / 16 + 1);
  const int a_hssa = static_cast<int>(n / 16 / 7 / 4 + 1);  // comp = c x c1, never times c2
  EXPECT_EQ(level_budgets(budget_selection(BudgetMode::kFixed, user, n, three, 7), 3),
            (std::vector<int>{5, 5, 5}));
  EXPECT_EQ(level_budgets(budget_selection(BudgetMode::kAuto, user, n, ssa, 7), 1),
            (std::vector<int>{a_ssa}));
  EXPECT_EQ(level_budgets(budget_selection(BudgetMode::kAuto, user, n, three, 7), 3),
            (std::vector<int>{a_hssa, a_hssa, a_hssa}));
  EXPECT_EQ(level_budgets(budget_selection(BudgetMode::kReference, user, n, three, 7), 3),
            (std::vector<int>{a_hssa, a_hssa, 5}));
}

// A layout and a query as a decode session sees them: the prompt's suffix
// (hierarchy of the prefix), or, with generation gists, a generated position
// (hierarchy of every gist before it).
struct DecodeCase {
  GistLayout layout;
  MaskSettings mask;
  int64_t query;
  GistHierarchy hierarchy;
};

DecodeCase random_decode_case(std::mt19937& rng) {
  testing::RandomCase c = testing::random_case(rng, 400);
  const bool generation = rng() % 3 == 0;
  c.layout.gists_in_generation = generation;
  GistLayout layout(c.layout, testing::iota_tokens(c.raw_tokens));
  const int suffix = 1 + rng() % 6;
  for (int i = 0; i < suffix; ++i) layout.append(300 + i);
  int64_t query = layout.length() - 1;
  int64_t end = layout.prefix_length();
  if (generation) {
    layout.begin_generation();
    const int steps = rng() % 40;
    for (int i = 0; i < steps; ++i) layout.append(300);
    query = layout.prefix_length() + rng() % (layout.length() - layout.prefix_length());
    end = query;
  }
  GistHierarchy hierarchy(layout, end);
  return DecodeCase{layout, c.mask, query, hierarchy};
}

// Random choices at every level (not necessarily a descent: visible_keys
// takes any), as select_chunks would report them.
std::vector<LevelChoice> random_choices(std::mt19937& rng, const GistHierarchy& h) {
  std::vector<LevelChoice> choices;
  for (int level = h.top_level(); level >= 0; --level) {
    LevelChoice c;
    c.level = level;
    for (int64_t j = 0; j < h.count(level); ++j) {
      if (rng() % 4 == 0) c.chosen.push_back(j);
    }
    choices.push_back(c);
  }
  return choices;
}

TEST(LocalKeys, PlusUnfoldedSpansAreVisibleKeys) {
  std::mt19937 rng(6);
  for (int trial = 0; trial < 500; ++trial) {
    const DecodeCase c = random_decode_case(rng);
    const LocalKeys local = local_keys(c.layout, c.hierarchy, c.mask, c.query);
    // No choice: exactly visible_keys with nothing chosen.
    std::vector<int64_t> from_ranges;
    for (const auto& [b, e] : local.ranges) {
      for (int64_t k = b; k < e; ++k) from_ranges.push_back(k);
    }
    ASSERT_EQ(from_ranges, visible_keys(c.layout, c.hierarchy, c.mask, c.query, {}))
        << c.layout.settings().to_json();
    // With choices: ranges, then what the device writes per chosen gist,
    // concatenated without deduplication, are the visible set exactly.
    const HierarchyArrays a = hierarchy_arrays(c.hierarchy);
    const std::vector<LevelChoice> choices = random_choices(rng, c.hierarchy);
    std::vector<int64_t> device = from_ranges;
    const kernels::SequenceStep step = sequence_step(
        c.layout, c.hierarchy, c.mask, c.query, std::vector<int>(c.hierarchy.num_levels(), 1), 0);
    for (const LevelChoice& choice : choices) {
      for (int64_t j : choice.chosen) {
        const kernels::Span span =
            kernels::chosen_span(choice.level, static_cast<int32_t>(j), step, a.chunk_begin.data(),
                                 a.gist_position[0].data(), a.gist_position[choice.level].data());
        for (int64_t k = span.first; k <= span.last; ++k) device.push_back(k);
      }
    }
    std::vector<int64_t> sorted = device;
    std::sort(sorted.begin(), sorted.end());
    const auto repeat = std::adjacent_find(sorted.begin(), sorted.end());
    ASSERT_TRUE(repeat == sorted.end())
        << "the device's concatenation repeats key " << *repeat << ", trial " << trial << " "
        << c.layout.settings().to_json() << " query " << c.query << " sink "
        << c.layout.sink_length() << " length " << c.layout.length();
    ASSERT_EQ(sorted, visible_keys(c.layout, c.hierarchy, c.mask, c.query, choices))
        << "trial " << trial << " " << c.layout.settings().to_json() << " query " << c.query;
  }
}

TEST(LocalKeys, TrainingRowIsRangesPlusHeldGists) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 300; ++trial) {
    const DecodeCase c = random_decode_case(rng);
    const LocalKeys local = local_keys(c.layout, c.hierarchy, c.mask, c.query);
    std::vector<int64_t> row = training_row_gists(c.layout, c.hierarchy, c.mask, c.query);
    for (const auto& [b, e] : local.ranges) {
      for (int64_t k = b; k < e; ++k) row.push_back(k);
    }
    std::sort(row.begin(), row.end());
    ASSERT_TRUE(std::adjacent_find(row.begin(), row.end()) == row.end());
    ASSERT_EQ(row, training_row_keys(c.layout, c.mask, c.query)) << "trial " << trial;
  }
}

TEST(SequenceStep, CarriesTheLayoutsNumbers) {
  GistLayout layout(parse_hierarchy("chunk2-chunk2"), testing::iota_tokens(16));
  layout.append(100);
  const int64_t query = layout.append(101);
  const GistHierarchy hierarchy(layout, layout.prefix_length());
  const kernels::SequenceStep s =
      sequence_step(layout, hierarchy, {0}, query, {3, 2}, /*row gists*/ 5);
  EXPECT_EQ(s.query, query);
  EXPECT_EQ(s.count[0], 8);
  EXPECT_EQ(s.count[1], 4);
  EXPECT_EQ(s.first_open[0], 8);
  EXPECT_EQ(s.first_open[1], 4);
  EXPECT_EQ(s.k_request[0], 3);
  EXPECT_EQ(s.k_request[1], 2);
  EXPECT_EQ(s.num_ranges, 1);  // s0 s1
  EXPECT_EQ(s.range_begin[0], query - 1);
  EXPECT_EQ(s.range_end[0], query + 1);
  EXPECT_EQ(s.local_chunk_begin, 8);  // p = 0: no prefix chunk is local
  EXPECT_EQ(s.row_gist_count, 5);
  EXPECT_EQ(s.append_level, -1);
}

TEST(SequenceStep, NamesTheGistAQueryAppends) {
  LayoutSettings settings = parse_hierarchy("chunk2-chunk2");
  settings.gists_in_generation = true;
  GistLayout layout(settings, testing::iota_tokens(8));
  layout.begin_generation();
  layout.append(100);
  layout.append(101);  // a gist follows: r r G
  ASSERT_TRUE(layout.is_gist(layout.length() - 1));
  const int64_t query = layout.length() - 1;
  const GistHierarchy hierarchy(layout, query);
  const kernels::SequenceStep s = sequence_step(layout, hierarchy, {1}, query, {1, 1}, 0);
  EXPECT_EQ(s.append_level, 0);
  EXPECT_EQ(s.append_index, hierarchy.count(0));
}

TEST(KeyPosition, EnumeratesTheListThenTheRanges) {
  kernels::SequenceStep s;
  s.query = 40;
  s.num_ranges = 3;
  const int32_t b[] = {0, 20, 35}, e[] = {3, 22, 41};
  for (int r = 0; r < 3; ++r) s.range_begin[r] = b[r], s.range_end[r] = e[r];
  const std::vector<int32_t> list = {7, 8, 9, 13};
  std::vector<int32_t> expected = list;
  for (int r = 0; r < 3; ++r) {
    for (int32_t k = b[r]; k < e[r]; ++k) expected.push_back(k);
  }
  const int32_t n = kernels::source_key_count(kernels::kSelectedKeys, s, 4);
  ASSERT_EQ(n, static_cast<int32_t>(expected.size()));
  for (int32_t i = 0; i < n; ++i)
    EXPECT_EQ(kernels::key_position(kernels::kSelectedKeys, s, list.data(), 4, i), expected[i]);
  EXPECT_EQ(kernels::key_position(kernels::kSelectedKeys, s, list.data(), 4, n), -1);
  EXPECT_EQ(kernels::source_key_count(kernels::kAllKeys, s, 4), 41);
  EXPECT_EQ(kernels::key_position(kernels::kAllKeys, s, nullptr, 0, 40), 40);
  EXPECT_EQ(kernels::key_position(kernels::kAllKeys, s, nullptr, 0, 41), -1);
}

TEST(SplitRange, CoversEveryKeyOnceInWholeTiles) {
  for (int32_t total : {0, 1, 15, 16, 17, 100, 1000, 4097}) {
    for (int32_t splits : {1, 2, 3, 7, 33, 128}) {
      int32_t covered = 0, last_end = 0;
      for (int32_t s = 0; s < splits; ++s) {
        int32_t b, e;
        kernels::split_range(total, splits, s, 16, &b, &e);
        ASSERT_LE(b, e);
        if (b < e) {
          ASSERT_EQ(b, last_end);
          ASSERT_EQ(b % 16, 0);
          last_end = e;
        }
        covered += e - b;
      }
      EXPECT_EQ(covered, total) << total << " / " << splits;
    }
  }
}

// The Qwen2-7B layer at 128K, chunk16, k 16: one level of 8192 gists.
WorkspacePlan qwen_plan_128k(int32_t units) {
  return plan_workspace({}, {8192}, 139264, 16, units, 7, false, 16, 64);
}

TEST(AutoKeysPerSplit, FillsTheMultiprocessorsWithTheLargestSplits) {
  const WorkspacePlan head = qwen_plan_128k(kernels::kHeadUnits),
                      group = qwen_plan_128k(kernels::kGroupUnits);
  ASSERT_EQ(head.visible_capacity, 7 * 16 * 16);  // the union of 7 heads' 16 chunks
  ASSERT_EQ(group.visible_capacity, 16 * 16);
  // 4 KV heads, one attention unit each, per sequence.
  EXPECT_EQ(auto_keys_per_split(head, 4, 132), 64);         // B 1: 4 x 15 splits of 128 < 132
  EXPECT_EQ(auto_keys_per_split(head, 8 * 4, 132), 256);    // B 8: 32 x 8 splits of 256
  EXPECT_EQ(auto_keys_per_split(group, 8 * 4, 132), 64);    // B 8: 32 x 3 of 128 < 132
  EXPECT_EQ(auto_keys_per_split(group, 16 * 4, 132), 128);  // B 16: 64 x 3 of 128
  EXPECT_EQ(auto_keys_per_split(group, 32 * 4, 132), 256);  // B 32: 128 x 2 of 256
  EXPECT_EQ(auto_keys_per_split(head, 2 * 4, 132), 64);     // B 2: 8 x 15 of 128 = 120 < 132
  EXPECT_EQ(auto_keys_per_split(head, 2 * 4, 114), 128);    // an H100 PCIe's 114 are filled
}

TEST(DeviceChoices, ReproduceSelectChunks) {
  std::mt19937 rng(8);
  for (int trial = 0; trial < 300; ++trial) {
    const DecodeCase c = random_decode_case(rng);
    const GistHierarchy& h = c.hierarchy;
    const int units = 1 + rng() % 4;
    SelectionSettings select;
    select.k = 1 + rng() % 5;
    select.quarter_cap = rng() % 2;
    if (rng() % 5 == 0) select.top_p = 0.5;
    // Per unit, a float score per (level, gist), fixed for the trial.
    std::vector<std::vector<std::vector<float>>> table(units);
    std::uniform_real_distribution<float> dist(-3, 3);
    for (auto& levels : table) {
      for (int l = 0; l < h.num_levels(); ++l) {
        std::vector<float> s(h.count(l));
        for (float& x : s) x = std::round(dist(rng) * 8) / 8;  // ties happen
        levels.push_back(s);
      }
    }
    std::vector<std::vector<LevelChoice>> expected;
    for (int u = 0; u < units; ++u) {
      expected.push_back(select_chunks(h, select, [&](int level, const std::vector<int64_t>& cand) {
        std::vector<double> s;
        for (int64_t j : cand) s.push_back(table[u][level][j]);
        return s;
      }));
    }
    // What the device leaves: chosen ascending per unit and level, scores by
    // the group's candidate slots.
    std::vector<std::vector<std::vector<int64_t>>> chosen(
        units, std::vector<std::vector<int64_t>>(h.num_levels()));
    for (int u = 0; u < units; ++u) {
      for (const LevelChoice& choice : expected[u]) {
        chosen[u][choice.level] = choice.chosen;
        std::sort(chosen[u][choice.level].begin(), chosen[u][choice.level].end());
      }
    }
    std::vector<std::vector<std::vector<float>>> scores(
        units, std::vector<std::vector<float>>(h.num_levels()));
    for (int level = h.top_level(); level >= 0 && h.count(0) > 0; --level) {
      std::vector<std::vector<int64_t>> above(units);
      if (level < h.top_level()) {
        for (int u = 0; u < units; ++u) above[u] = chosen[u][level + 1];
      }
      const GroupCandidates group = group_candidates(h, level, above);
      for (int u = 0; u < units; ++u) {
        for (int64_t j : group.gists) scores[u][level].push_back(table[u][level][j]);
      }
    }
    const auto got = device_choices(h, chosen, scores);
    for (int u = 0; u < units; ++u) {
      ASSERT_EQ(got[u].size(), expected[u].size()) << "trial " << trial;
      for (size_t i = 0; i < got[u].size(); ++i) {
        EXPECT_EQ(got[u][i].level, expected[u][i].level);
        EXPECT_EQ(got[u][i].candidates, expected[u][i].candidates) << "trial " << trial;
        EXPECT_EQ(got[u][i].scores, expected[u][i].scores);
        EXPECT_EQ(got[u][i].chosen, expected[u][i].chosen) << "trial " << trial;
      }
    }
  }
}

// --- the kernels' mma fragment maps, emulated lane by lane -------------------

// bf16-representable values so that sums are exact enough to compare.
float random_bf16(std::mt19937& rng) {
  return static_cast<float>(static_cast<int>(rng() % 17) - 8) / 8.0f;
}

// Physical element of the 16-byte segment a lane loads: segment j of row,
// element e (0..7) = 32j + 8t + e (t = lane % 4).
int physical(int j, int t, int e) {
  return 32 * j + 8 * t + e;
}

TEST(FragmentMap, QueryKeyProductCoversEveryElement) {
  std::mt19937 rng(9);
  for (int D : {64, 128}) {
    const int J = D / 32;
    std::vector<std::vector<float>> q(16, std::vector<float>(D)), k(8, std::vector<float>(D));
    for (auto& r : q)
      for (float& x : r) x = random_bf16(rng);
    for (auto& r : k)
      for (float& x : r) x = random_bf16(rng);
    // C[row][col] as the mma sums it: for every k-step, the A element of
    // (row, kk) lives in lane (row % 8, (kk % 8) / 2), register
    // (row >= 8) + 2 * (kk >= 8), half kk % 2; B (kk, col) in lane
    // (col, (kk % 8) / 2), register (kk >= 8), half kk % 2. The kernels put
    // in register r of k-step 2j + half the word 2 * half + r / 2 ... of the
    // lane's segment j: words w = 2*half (r = 0, 1) and 2*half + 1 (r = 2, 3).
    float c[16][8] = {};
    for (int j = 0; j < J; ++j) {
      for (int half = 0; half < 2; ++half) {
        for (int row = 0; row < 16; ++row) {
          for (int col = 0; col < 8; ++col) {
            for (int kk = 0; kk < 16; ++kk) {
              const int t = (kk % 8) / 2, e = kk % 2;
              const int w = 2 * half + (kk >= 8 ? 1 : 0);  // word of the segment
              const float a = q[row][physical(j, t, 2 * w + e)];
              const float b = k[col][physical(j, t, 2 * w + e)];
              c[row][col] += a * b;
            }
          }
        }
      }
    }
    for (int row = 0; row < 16; ++row) {
      for (int col = 0; col < 8; ++col) {
        float dot = 0;
        for (int d = 0; d < D; ++d) dot += q[row][d] * k[col][d];
        ASSERT_FLOAT_EQ(c[row][col], dot) << "D " << D << " row " << row << " col " << col;
      }
    }
  }
}

TEST(FragmentMap, ProbabilityValueProductLandsOnPhysicalColumns) {
  std::mt19937 rng(10);
  const int D = 128, J = D / 32;
  std::vector<std::vector<float>> p(16, std::vector<float>(16)), v(16, std::vector<float>(D));
  for (auto& r : p)
    for (float& x : r) x = random_bf16(rng);
  for (auto& r : v)
    for (float& x : r) x = random_bf16(rng);
  // The kernel: lane (g, t) loaded V rows g (keys 0-7) and g + 8 (keys 8-15),
  // segment j; word w of a segment is, before the transpose, (row g, logical
  // cols 2t, 2t+1) of the 8x8 block "4j + w" whose logical col cc is the
  // physical column 32j + 8 (cc / 2) + 2w + cc % 2. After the transpose lane
  // (g, t) holds (k 2t, 2t+1; n g) = V[keys 2t, 2t+1][logical col g]: b0;
  // the keys 8-15 block gives b1. The output C (row, logical col 2t+e) of
  // block 4j + w is written to physical column 32j + 8t + 2w + e.
  std::vector<std::vector<float>> out(16, std::vector<float>(D, 0));
  for (int j = 0; j < J; ++j) {
    for (int w = 0; w < 4; ++w) {
      auto phys = [&](int cc) { return 32 * j + 8 * (cc / 2) + 2 * w + cc % 2; };
      for (int row = 0; row < 16; ++row) {
        for (int cc = 0; cc < 8; ++cc) {
          float acc = 0;
          for (int kk = 0; kk < 16; ++kk) acc += p[row][kk] * v[kk][phys(cc)];
          // Written where the kernel writes lane (g, t)'s c[e] for cc = 2t + e.
          const int t = cc / 2, e = cc % 2;
          out[row][32 * j + 8 * t + 2 * w + e] = acc;
        }
      }
    }
  }
  for (int row = 0; row < 16; ++row) {
    for (int d = 0; d < D; ++d) {
      float ref = 0;
      for (int kk = 0; kk < 16; ++kk) ref += p[row][kk] * v[kk][d];
      ASSERT_FLOAT_EQ(out[row][d], ref) << "row " << row << " d " << d;
    }
  }
}

}  // namespace
}  // namespace ssa
