// The decode kernels themselves (kernels/*.cu compiled for the CPU emulator,
// cuda_emulation.h), driven by DeviceAttention on CPU tensors, against the
// CPU reference, on small random cases: every
// GQA mode, budgets and top-p, H-SSA descent, generation gists, batches,
// both kernel versions, the three key sources, the KV append, the decode
// step's fused ops (RMSNorm, RoPE, silu * up; step_ops_check.h). Workspaces are
// poisoned (-1, NaN) before each run. Runs everywhere (no GPU, no nvcc);
// slow, since every thread is a fiber, so the cases stay small.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <random>
#include <set>

#include "engine/decode/baselines.h"
#include "engine/decode/device_plan.h"
#include "tests/kernels/layer_cases.h"

// The emulation's types before the kernels' headers: they then leave CUDA out.
#include "tests/kernels/cuda_emulation_types.h"

#ifndef SSA_WITH_CUDA
#define SSA_WITH_CUDA 1  // DeviceAttention is declared where the emulator runs it
#endif
#include "kernels/kv_append.h"
#include "kernels/phase_clock.h"
#include "tests/kernels/device_layer_check.h"
#include "tests/kernels/emulated_top_k.h"
#include "tests/kernels/step_ops_check.h"

namespace ssa {
namespace {

using testing::LayerCase;
using testing::LayerRun;

// DeviceAttention on CPU tensors drives the emulated kernels.
// The selection's top-k paths: the two-pass selection (where it applies),
// the slices' pivot top-k, their arg-max rounds, the radix walk.
enum class TopK { kTwoPass, kPivot, kRounds, kRadix };

void check_selection(const LayerCase& c, int version, uint64_t seed, testing::Agreement* agreement,
                     bool merge_in_shared = true, TopK top_k = TopK::kTwoPass,
                     bool record_scores = true) {
  LayerRun run;
  run.device = at::kCPU;
  run.version = version;
  run.seed = seed;
  run.merge_in_shared = merge_in_shared;
  run.register_top_k = top_k != TopK::kRadix;
  run.pivot_top_k = top_k == TopK::kPivot || top_k == TopK::kTwoPass;
  run.two_pass = top_k == TopK::kTwoPass;
  run.record_scores = record_scores;
  testing::check_selection(c, run, agreement);
}

TEST(EmulatedKernels, SelectionMatchesTheCpuReference) {
  std::mt19937 rng(2024);
  for (int version = 1; version <= 2; ++version) {
    testing::Agreement agreement;
    for (int trial = 0; trial < 14; ++trial) {
      LayerCase c = testing::random_layer_case(rng, 900, false);
      c.batch = std::min<int64_t>(c.batch, 2);
      // Every third trial merges from global memory; every odd one takes the
      // two-pass selection (every other of those without recorded scores:
      // its own workspace), the even ones alternate the slices' pivot, the
      // arg-max rounds and the radix walk (SSA_SELECT_TOPK=radix).
      const TopK even[] = {TopK::kPivot, TopK::kRounds, TopK::kPivot, TopK::kRadix};
      const TopK top_k = trial % 2 == 1 ? TopK::kTwoPass : even[(trial / 2) % 4];
      check_selection(c, version, 100 + trial, &agreement, trial % 3 != 0, top_k, trial % 4 != 3);
      if (HasFailure()) return;
    }
    EXPECT_GE(agreement.compared, agreement.units * 8 / 10) << "version " << version;
  }
}

TEST(EmulatedKernels, QwenShapedHeadsEveryMode) {
  // 7 query heads per KV head, d 128, sink 3, p 1, as the Qwen2-7B layer.
  for (const char* hierarchy : {"chunk16", "chunk4-chunk4"}) {
    for (GqaMode mode : {GqaMode::kHead, GqaMode::kGroup, GqaMode::kIndependent}) {
      const LayerCase c = testing::qwen_layer_case(hierarchy, mode, 1400, 2, 1);
      for (TopK top_k : {TopK::kTwoPass, TopK::kPivot, TopK::kRounds, TopK::kRadix}) {
        testing::Agreement agreement;
        check_selection(c, 2, 5, &agreement, true, top_k);
        if (HasFailure()) return;
        EXPECT_GE(agreement.compared, agreement.units * 8 / 10) << hierarchy;
      }
    }
  }
}

// Thousands of candidates per unit (a thread of the choose kernel holds up
// to 16 of them): the two-pass selection, with its workspace and with the
// recording buffer, against the reference as the slices' top-k is.
TEST(EmulatedKernels, QwenShapedLongContextTwoPass) {
  for (const char* hierarchy : {"chunk16", "chunk4-chunk4"}) {
    for (GqaMode mode : {GqaMode::kHead, GqaMode::kGroup}) {
      const LayerCase c = testing::qwen_layer_case(hierarchy, mode, 64000, 1, 2);
      for (bool record : {false, true}) {
        testing::Agreement agreement;
        check_selection(c, 2, 9, &agreement, true, TopK::kTwoPass, record);
        if (HasFailure()) return;
        EXPECT_GE(agreement.compared, agreement.units * 8 / 10) << hierarchy;
      }
    }
  }
}

// More than 8192 candidates at the top (8750 meta-gists): that level runs
// the slices' path, the level below the two-pass one, in the same step.
TEST(EmulatedKernels, TwoPassAndSlicesLevelsInOneStep) {
  const LayerCase c = testing::qwen_layer_case("chunk4-chunk4", GqaMode::kHead, 140000, 1, 1);
  DeviceSelectionSettings settings;
  settings.k_max = c.select.k;
  const DeviceAttention plan(testing::shape_for(c, testing::make_stream(c)), settings, at::kCPU);
  ASSERT_FALSE(plan.two_pass(1));
  ASSERT_TRUE(plan.two_pass(0));
  for (bool record : {false, true}) {
    testing::Agreement agreement;
    check_selection(c, 2, 13, &agreement, true, TopK::kTwoPass, record);
    if (HasFailure()) return;
    EXPECT_GE(agreement.compared, agreement.units * 8 / 10);
  }
}

// Where the two-pass selection runs: by default wherever it can, per level
// up to 8192 candidates; never with the switch off, SSA_SELECT_TOPK slices,
// rounds or radix, top-p, or a k above kRegisterTopK.
TEST(EmulatedKernels, TwoPassSelectionRunsWhereItApplies) {
  // The expectations below are the defaults': a CI-wide SSA_SELECT_TOPK is
  // set aside for this test and put back after it.
  struct EnvGuard {
    const char* name = "SSA_SELECT_TOPK";
    std::string saved;
    bool had = false;
    EnvGuard() {
      if (const char* v = std::getenv(name)) saved = v, had = true;
      unsetenv(name);
    }
    ~EnvGuard() {
      if (had)
        setenv(name, saved.c_str(), 1);
      else
        unsetenv(name);
    }
  } env_guard;
  const auto levels = [](std::vector<int64_t> gists, const DeviceSelectionSettings& settings,
                         int64_t batch = 1) {
    DeviceDecodeShape shape;
    shape.batch = batch;
    shape.heads = 28;
    shape.kv_heads = 4;
    shape.head_dim = 128;
    if (gists.size() > 1) shape.group_sizes = {4};
    shape.kv_capacity = 160000;
    shape.gist_capacity = gists;
    shape.max_chunk = 17;
    const DeviceAttention a(shape, settings, at::kCPU);
    std::vector<bool> two_pass;
    for (int level = 0; level < shape.num_levels(); ++level) two_pass.push_back(a.two_pass(level));
    return two_pass;
  };
  using V = std::vector<bool>;
  DeviceSelectionSettings on;
  on.k_max = 16;
  EXPECT_EQ(levels({8192}, on), V({true}));
  EXPECT_EQ(levels({8193}, on), V({false}));
  EXPECT_EQ(levels({32768, 8192}, on), V({true, true}));
  EXPECT_EQ(levels({35000, 8750}, on), V({true, false}));
  DeviceSelectionSettings off = on;
  off.two_pass_selection = false;
  EXPECT_EQ(levels({8192}, off), V({false}));
  off = on;
  off.top_p = 0.9;
  EXPECT_EQ(levels({8192}, off), V({false}));
  off = on;
  off.k_max = kernels::kRegisterTopK + 1;
  EXPECT_EQ(levels({8192}, off), V({false}));
  off = on;
  off.register_top_k = false;
  EXPECT_EQ(levels({8192}, off), V({false}));
  for (const char* topk : {"slices", "rounds", "radix"}) {
    setenv("SSA_SELECT_TOPK", topk, 1);
    EXPECT_EQ(levels({8192}, on), V({false})) << topk;
    unsetenv("SSA_SELECT_TOPK");
  }
  setenv("SSA_SELECT_TOPK", "pivot", 1);  // not a switch of the two-pass path
  EXPECT_EQ(levels({8192}, on), V({true}));
  unsetenv("SSA_SELECT_TOPK");
  // Every mode and batch, any k up to kRegisterTopK.
  for (GqaMode mode : {GqaMode::kHead, GqaMode::kGroup, GqaMode::kIndependent})
    for (int64_t batch : {1, 8, 32})
      for (int k : {1, 8, 16, kernels::kRegisterTopK}) {
        DeviceSelectionSettings any = on;
        any.mode = mode;
        any.k_max = k;
        EXPECT_EQ(levels({8192}, any, batch), V({true})) << "batch " << batch << " k " << k;
      }
}

TEST(EmulatedKernels, TopPAndLargeBudgets) {
  for (double top_p : {0.0, 0.5, 0.9}) {
    for (int k : {1, 300}) {
      LayerCase c;
      c.layout = parse_hierarchy("chunk2-chunk3");
      c.mask.previous_chunks = 1;
      c.raw = 1100;  // > one slice of candidates at level 0
      c.kv_heads = 1;
      c.group = 3;
      c.head_dim = 64;
      c.mode = GqaMode::kHead;
      c.select.k = k;
      c.select.quarter_cap = false;
      c.select.top_p = top_p;
      testing::Agreement agreement;
      for (int version = 1; version <= 2; ++version)
        check_selection(c, version, 40 + k, &agreement);
      if (HasFailure()) return;
    }
  }
}

TEST(EmulatedKernels, AllKeysAndTrainingRowMatchTheCpu) {
  std::mt19937 rng(31);
  for (int trial = 0; trial < 8; ++trial) {
    const LayerCase c = testing::random_layer_case(rng, 700, false);
    for (int version = 1; version <= 2; ++version) {
      LayerRun run;
      run.device = at::kCPU;
      run.version = version;
      run.seed = 60 + trial;
      testing::check_unselected(c, run, trial % 2 ? 48 : 1024);
      if (HasFailure()) return;
    }
  }
}

// `bench kernels --phases`: recording the phase timestamps changes no result,
// and every point is stamped in the order the kernels pass them (blocks run
// one after another here). H-SSA, head mode: both tails (descent, visible).
void check_phase_stamps(bool two_pass, GqaMode mode) {
  const LayerCase c = testing::qwen_layer_case("chunk4-chunk4", mode, 1400, 2, 1);
  const testing::Stream s = testing::make_stream(c);
  const testing::LayerData d = testing::random_data(c, s.layout.length(), 17, at::kCPU);
  DeviceSelectionSettings settings;
  settings.mode = c.mode;
  settings.k_max = c.select.k;
  settings.keys_per_split = 48;
  settings.two_pass_selection = two_pass;
  DeviceAttention a(testing::shape_for(c, s), settings, at::kCPU);
  for (int level = 0; level < s.layout.num_levels(); ++level)
    ASSERT_EQ(a.two_pass(level), two_pass) << "level " << level;
  const DeviceLayerCache cache = testing::filled_cache(a, d, s.hierarchy);
  const std::vector<int> budgets(s.layout.num_levels(), c.select.k);
  a.set_hierarchy(0, s.hierarchy, nullptr);
  a.set_step(0, sequence_step(s.layout, s.hierarchy, c.mask, s.query, budgets, 0));
  a.upload_steps(nullptr);
  struct Results {
    at::Tensor out, choices, visible_count;
  };
  const auto run = [&] {
    const at::Tensor out = at::full({1, c.kv_heads * c.group, c.head_dim}, NAN);
    a.attend(0, d.q, cache, kernels::kSelectedKeys, out, nullptr);
    return Results{out, a.choice_buffer(0).clone(), a.visible_count().clone()};
  };
  const Results plain = run();
  std::vector<unsigned long long> stamps(kernels::kPhaseSlots);
  for (int i = 0; i < kernels::kPhaseSlots; ++i) stamps[i] = kernels::phase_is_first(i) ? ~0ull : 0;
  a.set_phase_clock(stamps.data());
  const Results timed = run();
  a.set_phase_clock(nullptr);
  ASSERT_EQ(a.errors(), 0);
  EXPECT_TRUE(at::equal(plain.out, timed.out));
  EXPECT_TRUE(at::equal(plain.choices, timed.choices));
  EXPECT_TRUE(at::equal(plain.visible_count, timed.visible_count));
  // The path asked for ran: the two-pass scores kernel filled its buffer
  // (allocated with zeros; scores of open candidates are never exactly 0 here).
  for (int level = 0; level < s.layout.num_levels(); ++level) {
    const at::Tensor& scores = a.two_pass_scores(level);
    ASSERT_EQ(scores.defined(), two_pass) << "level " << level;
    if (two_pass) {
      EXPECT_GT(scores.ne(0).sum().item<int64_t>(), 0) << "level " << level;
    }
  }
  std::vector<int> order;
  for (int level = s.layout.num_levels() - 1; level >= 0; --level)
    for (int phase = 0; phase < kernels::kPhasesPerLevel; ++phase)
      order.push_back(level * kernels::kPhasesPerLevel + phase);
  for (int slot = kernels::kAttStart; slot <= kernels::kAttEnd; ++slot) order.push_back(slot);
  for (size_t i = 0; i < order.size(); ++i) {
    const unsigned long long t = stamps[order[i]];
    ASSERT_TRUE(t != 0 && t != ~0ull) << "slot " << order[i] << " not stamped";
    if (i > 0) {
      EXPECT_LE(stamps[order[i - 1]], t) << "slot " << order[i];
    }
  }
  // The levels the layout lacks stay untouched.
  for (int slot = s.layout.num_levels() * kernels::kPhasesPerLevel; slot < kernels::kAttStart;
       ++slot)
    EXPECT_EQ(stamps[slot], kernels::phase_is_first(slot) ? ~0ull : 0ull) << "slot " << slot;
}

// Both selections: the two-pass one (no slice top-k: its points are the
// scores stored) and the slices' top-k with the merge; every mode (group and
// independent: the visible lists without a union, two-pass: written by the
// choose blocks).
TEST(EmulatedKernels, PhaseStampsChangeNothingAndComeInOrder) {
  for (GqaMode mode : {GqaMode::kHead, GqaMode::kGroup, GqaMode::kIndependent})
    for (bool two_pass : {true, false}) {
      check_phase_stamps(two_pass, mode);
      if (HasFailure()) return;
    }
}

// The register top-k (rounds of warp arg-max) chooses exactly the keys the
// radix walk and reference_top_threshold choose, also where scores tie (a
// few distinct scores: the counted rounds, then slots), with holes (keys
// that are not candidates), for every k it takes; the compaction keeps them
// in index order.
TEST(EmulatedKernels, RegisterTopKChoosesAsTheRadixWalk) {
  std::mt19937 rng(77);
  for (int trial = 0; trial < 400; ++trial) {
    const int32_t n = 1 + static_cast<int32_t>(rng() % 512);
    const int distinct = trial % 4 == 0 ? 1 + static_cast<int>(rng() % 4) : 1 << 20;
    std::vector<uint64_t> keys(static_cast<size_t>(n));
    for (int32_t i = 0; i < n; ++i) {
      const bool hole = rng() % 5 == 0;
      const float score = static_cast<float>(static_cast<int>(rng() % distinct) - distinct / 2) /
                          (distinct > 8 ? 1024.f : 1.f);
      // Half the trials start at slot 0, whose low half is 0xFFFFFFFF (the
      // largest): a tie that takes it must still take exactly k.
      const uint32_t slot = static_cast<uint32_t>(trial % 2 == 0 ? 3 * i : 3 * i + trial);
      keys[i] = hole ? kernels::kNotCandidate : kernels::candidate_key(score, slot);
    }
    const int32_t k = 1 + static_cast<int32_t>(rng() % kernels::kRegisterTopK);
    const testing::WarpTopK got = testing::emulated_warp_top_k(keys, k);
    const uint64_t want = kernels::reference_top_threshold(keys.data(), n, k);
    int32_t valid = 0, chosen = 0;
    std::vector<uint64_t> expected;
    for (uint64_t key : keys) {
      if (key == kernels::kNotCandidate) continue;
      ++valid;
      ASSERT_EQ(key >= got.registers, key >= want) << "trial " << trial << " k " << k;
      ASSERT_EQ(key >= got.radix, key >= want) << "trial " << trial;
      ASSERT_EQ(key >= got.pivot, key >= want) << "trial " << trial << " k " << k;
      if (n <= 256) {
        ASSERT_EQ(key >= got.pivot8, key >= want) << "trial " << trial << " k " << k;
      }
      if (key >= want) expected.push_back(key), ++chosen;
    }
    ASSERT_EQ(chosen, std::min(k, valid)) << "trial " << trial;
    ASSERT_EQ(got.registers_valid, valid);
    ASSERT_EQ(got.radix_valid, valid);
    ASSERT_EQ(got.pivot_valid, valid);
    for (size_t r = 0; r < expected.size(); ++r) ASSERT_EQ(got.compacted[r], expected[r]);
  }
}

// Which path a pivot top-k takes over keys[0 .. n) spread over `holders`
// (holder_of(i): the lane or thread that holds key i): the pivot is the k-th
// largest of the holders' largest scores (0: fewer than k holders hold keys),
// then the keys scoring >= it settle it alone (== k), are ranked (<= holders)
// or go to the fallback.
enum class PivotPath { kNoPivot, kExact, kRanked, kFallback };
template <typename HolderOf>
PivotPath pivot_path(const std::vector<uint64_t>& keys, int32_t k, size_t holders,
                     const HolderOf& holder_of) {
  std::vector<uint32_t> best(holders, 0);
  for (size_t i = 0; i < keys.size(); ++i)
    best[holder_of(i)] = std::max(best[holder_of(i)], static_cast<uint32_t>(keys[i] >> 32));
  std::sort(best.rbegin(), best.rend());
  const uint32_t pivot = best[static_cast<size_t>(k - 1)];  // the k-th largest, ties kept
  if (pivot == 0) return PivotPath::kNoPivot;
  int32_t count = 0;
  for (uint64_t key : keys) count += static_cast<uint32_t>(key >> 32) >= pivot ? 1 : 0;
  return count == k                               ? PivotPath::kExact
         : count <= static_cast<int32_t>(holders) ? PivotPath::kRanked
                                                  : PivotPath::kFallback;
}
// warp_top_threshold_pivot: lane i % 32 holds key i.
PivotPath pivot_path(const std::vector<uint64_t>& keys, int32_t k) {
  return pivot_path(keys, k, 32, [](size_t i) { return i % 32; });
}

// The pivot top-k on key sets made for each of its paths (the pivot alone
// exact, packed and ranked, too many keys at the pivot, fewer than k lanes
// holding keys): the radix walk's choices, and every path taken.
TEST(EmulatedKernels, PivotTopKChoosesAsTheRadixWalkOnEveryPath) {
  std::mt19937 rng(91);
  int paths[4] = {};
  for (int trial = 0; trial < 240; ++trial) {
    const int shape = trial % 4;
    const int32_t n = shape == 3 ? 512 : 40 + static_cast<int32_t>(rng() % 473);
    const int32_t k = 1 + static_cast<int32_t>(rng() % kernels::kPivotTopK);
    std::vector<uint64_t> keys(static_cast<size_t>(n));
    for (int32_t i = 0; i < n; ++i) {
      float score = static_cast<float>(static_cast<int>(rng() % (1 << 20))) / 4096.f - 128.f;
      if (shape == 0) score = static_cast<float>(i);    // ascending: the top k in k lanes
      if (shape == 1 && i % 32 < 2) score += 1e4f;      // lanes 0 and 1 hold the top
      if (shape == 2 && rng() % 3 == 0) score = 200.f;  // many ties at the top score
      const bool hole = shape == 3 ? i % 32 >= k / 2 + 1 : rng() % 7 == 0;  // few lanes
      const uint32_t slot = static_cast<uint32_t>(trial % 2 == 0 ? 2 * i : 2 * i + trial);
      keys[i] = hole ? kernels::kNotCandidate : kernels::candidate_key(score, slot);
    }
    int32_t valid = 0;
    for (uint64_t key : keys) valid += key != kernels::kNotCandidate ? 1 : 0;
    if (k < valid) ++paths[static_cast<int>(pivot_path(keys, k))];
    const testing::WarpTopK got = testing::emulated_warp_top_k(keys, k);
    const uint64_t want = kernels::reference_top_threshold(keys.data(), n, k);
    int32_t chosen = 0;
    for (uint64_t key : keys) {
      if (key == kernels::kNotCandidate) continue;
      ASSERT_EQ(key >= got.pivot, key >= want) << "trial " << trial << " k " << k;
      if (n <= 256) {
        ASSERT_EQ(key >= got.pivot8, key >= want) << "trial " << trial << " k " << k;
      }
      chosen += key >= got.pivot ? 1 : 0;
    }
    ASSERT_EQ(chosen, std::min(k, valid)) << "trial " << trial;
    ASSERT_EQ(got.pivot_valid, valid);
  }
  for (int path = 0; path < 4; ++path) EXPECT_GE(paths[path], 10) << "path " << path;
}

// Which of the block's 256 threads holds key i, in `layout`.
size_t block_holder(testing::BlockLayout layout, size_t i, size_t n) {
  const size_t w = (n + 255) / 256;
  return layout == testing::BlockLayout::kStrided ? i % 256 : i / w;
}

// The two-pass selection's block top-k over up to 8192 keys: the radix
// walk's choices (reference_top_threshold), exactly min(k, valid) of them,
// compacted in index order, on key sets made for each of its paths: random
// scores, few distinct scores (ties settled by slot), scores ascending with
// the slot, all equal (more than 256 keys at the pivot once n > 256), keys
// in 8 threads of one column only (fewer than k threads hold keys, or, for
// k <= 8, at least k threads in fewer than k columns: the columns' pivot
// falls back to the radix walk); n from 1 to 8192, k 1..32; in the choose
// kernel's strided layout and the contiguous one.
TEST(EmulatedKernels, BlockTopKChoosesAsTheRadixWalkOnEveryPath) {
  for (testing::BlockLayout layout :
       {testing::BlockLayout::kStrided, testing::BlockLayout::kContiguous}) {
    const int which = layout == testing::BlockLayout::kStrided ? 0 : 1;
    std::mt19937 rng(123);
    int paths[4] = {};
    int few_columns = 0;  // >= k threads hold keys, in fewer than k columns
    for (int trial = 0; trial < 300; ++trial) {
      const int shape = trial % 5;
      int32_t n = 1 + static_cast<int32_t>(rng() % kernels::kTwoPassMaxCandidates);
      if (trial < 10) n = trial % 2 == 0 ? 1 + trial : kernels::kTwoPassMaxCandidates - trial;
      const int32_t k = 1 + static_cast<int32_t>(rng() % kernels::kRegisterTopK);
      const size_t size = static_cast<size_t>(n);
      std::vector<uint64_t> keys(size);
      for (int32_t i = 0; i < n; ++i) {
        float score = static_cast<float>(static_cast<int>(rng() % (1 << 20))) / 4096.f - 128.f;
        if (shape == 1) score = static_cast<float>(static_cast<int>(rng() % 3)) - 1.f;
        if (shape == 2) score = static_cast<float>(i) / 64.f;
        if (shape == 3) score = 0.25f;
        // Shape 4: keys in every 32nd thread only (8 of them).
        const bool hole =
            shape == 4
                ? block_holder(layout, static_cast<size_t>(i), size) % 32 != 0 || rng() % 4 == 0
                : rng() % 5 == 0;
        keys[i] = hole ? kernels::kNotCandidate : kernels::candidate_key(score, i);
      }
      int32_t valid = 0;
      for (uint64_t key : keys) valid += key != kernels::kNotCandidate ? 1 : 0;
      if (k < valid) {
        const PivotPath path =
            pivot_path(keys, k, 256, [&](size_t i) { return block_holder(layout, i, size); });
        ++paths[static_cast<int>(path)];
        std::set<size_t> columns;
        for (size_t i = 0; i < size; ++i)
          if (keys[i] != kernels::kNotCandidate) columns.insert(block_holder(layout, i, size) % 32);
        if (path != PivotPath::kNoPivot && static_cast<int32_t>(columns.size()) < k) ++few_columns;
      }
      const testing::BlockTopK got = testing::emulated_block_top_k(keys, k, layout);
      const uint64_t want = kernels::reference_top_threshold(keys.data(), n, k);
      std::vector<uint64_t> expected;
      for (uint64_t key : keys) {
        if (key == kernels::kNotCandidate) continue;
        ASSERT_EQ(key >= got.threshold, key >= want)
            << "layout " << which << " trial " << trial << " n " << n << " k " << k << " shape "
            << shape;
        if (key >= want) expected.push_back(key);
      }
      ASSERT_EQ(static_cast<int32_t>(expected.size()), std::min(k, valid)) << "trial " << trial;
      ASSERT_EQ(got.valid, valid) << "layout " << which << " trial " << trial;
      ASSERT_EQ(got.compacted, expected) << "layout " << which << " trial " << trial;
    }
    for (int path = 0; path < 4; ++path)
      EXPECT_GE(paths[path], 10) << "layout " << which << " path " << path;
    EXPECT_GE(few_columns, 5) << "layout " << which;
  }
}

// k above the columns' 32 (the pivot ranked over all 256 threads' largest)
// and up to the 256 keys the compaction packs: the radix walk's choices,
// exactly min(k, valid) of them, in index order.
TEST(EmulatedKernels, BlockTopKAboveThirtyTwoKeys) {
  std::mt19937 rng(321);
  for (testing::BlockLayout layout :
       {testing::BlockLayout::kStrided, testing::BlockLayout::kContiguous})
    for (int trial = 0; trial < 24; ++trial) {
      const int32_t n = 300 + static_cast<int32_t>(rng() % (kernels::kTwoPassMaxCandidates - 300));
      const int32_t k = 33 + static_cast<int32_t>(rng() % (256 - 32));  // up to kBlockTopThreads
      const int distinct = trial % 3 == 0 ? 3 : 1 << 20;
      std::vector<uint64_t> keys(static_cast<size_t>(n));
      for (int32_t i = 0; i < n; ++i) {
        const float score = static_cast<float>(static_cast<int>(rng() % distinct)) / 1024.f;
        keys[i] = rng() % 5 == 0 ? kernels::kNotCandidate : kernels::candidate_key(score, i);
      }
      int32_t valid = 0;
      for (uint64_t key : keys) valid += key != kernels::kNotCandidate ? 1 : 0;
      const testing::BlockTopK got = testing::emulated_block_top_k(keys, k, layout);
      const uint64_t want = kernels::reference_top_threshold(keys.data(), n, k);
      std::vector<uint64_t> expected;
      for (uint64_t key : keys)
        if (key != kernels::kNotCandidate && key >= want) expected.push_back(key);
      ASSERT_EQ(static_cast<int32_t>(expected.size()), std::min(k, valid)) << "trial " << trial;
      ASSERT_EQ(got.compacted, expected) << "trial " << trial << " n " << n << " k " << k;
    }
}

// Every score equal on slots 0..n-1: the block top-k takes the first k slots.
TEST(EmulatedKernels, BlockTopKOfEqualScoresTakesTheFirstKSlots) {
  for (testing::BlockLayout layout :
       {testing::BlockLayout::kStrided, testing::BlockLayout::kContiguous})
    for (int32_t n : {2, 33, 300, 8192})
      for (int32_t k = 1; k < n && k <= kernels::kRegisterTopK; k += n > 300 ? 5 : 1) {
        std::vector<uint64_t> keys(static_cast<size_t>(n));
        for (int32_t i = 0; i < n; ++i)
          keys[i] = kernels::candidate_key(-1.5f, static_cast<uint32_t>(i));
        const testing::BlockTopK got = testing::emulated_block_top_k(keys, k, layout);
        ASSERT_EQ(static_cast<int32_t>(got.compacted.size()), k) << "n " << n << " k " << k;
        for (int32_t i = 0; i < n; ++i)
          ASSERT_EQ(keys[i] >= got.threshold, i < k) << "n " << n << " k " << k << " slot " << i;
      }
}

// Every score equal (a zero query) on slots 0..n-1: the top k are the first
// k slots, exactly k of them.
TEST(EmulatedKernels, RegisterTopKOfEqualScoresTakesTheFirstKSlots) {
  for (int32_t n : {2, 10, 33, 512})
    for (int32_t k = 1; k < n && k <= kernels::kRegisterTopK; ++k) {
      std::vector<uint64_t> keys(static_cast<size_t>(n));
      for (int32_t i = 0; i < n; ++i)
        keys[i] = kernels::candidate_key(0.5f, static_cast<uint32_t>(i));
      const testing::WarpTopK got = testing::emulated_warp_top_k(keys, k);
      int32_t chosen = 0;
      for (int32_t i = 0; i < n; ++i) {
        ASSERT_EQ(keys[i] >= got.registers, i < k) << "n " << n << " k " << k << " slot " << i;
        ASSERT_EQ(keys[i] >= got.pivot, i < k) << "n " << n << " k " << k << " slot " << i;
        chosen += keys[i] >= got.registers ? 1 : 0;
      }
      ASSERT_EQ(chosen, k) << "n " << n;
    }
}

// The emulator's fp16 conversions (the attention's partials) are IEEE's, as c10::Half's.
TEST(EmulatedKernels, HalfConversionsRoundAsIeee) {
  std::mt19937 rng(5);
  std::vector<float> values = {0.f,   -0.f,  1.f,   65504.f,  65520.f,
                               1e-8f, 6e-8f, 3e-5f, INFINITY, -INFINITY};
  for (int i = 0; i < 20000; ++i) {
    uint32_t bits = rng();
    float f;
    std::memcpy(&f, &bits, sizeof f);
    if (!std::isnan(f)) values.push_back(f);
    values.push_back(
        std::ldexp(static_cast<float>(rng() % 4096) - 2048, -static_cast<int>(rng() % 30)));
  }
  for (float f : values) {
    const c10::Half want(f);
    ASSERT_EQ(ssa_emu::float_to_half_rn(f), want.x) << f;
    ASSERT_EQ(ssa_emu::half_to_float(want.x), static_cast<float>(want)) << f;
  }
  EXPECT_TRUE(std::isnan(ssa_emu::half_to_float(ssa_emu::float_to_half_rn(NAN))));
}

TEST(EmulatedKernels, AppendWritesTheCacheAndTheGistKey) {
  const int64_t B = 2, Hkv = 3, D = 64, capacity = 40, gists = 9;
  std::vector<uint16_t> keys(B * Hkv * capacity * D, 0), values = keys;
  std::vector<uint16_t> gist_keys(B * Hkv * gists * D, 0);
  std::vector<uint16_t> k_new(B * Hkv * D), v_new(B * Hkv * D);
  for (size_t i = 0; i < k_new.size(); ++i)
    k_new[i] = static_cast<uint16_t>(i + 1), v_new[i] = static_cast<uint16_t>(7 * i + 3);
  std::vector<kernels::SequenceStep> steps(B);
  steps[0].query = 17;
  steps[1].query = 23;
  steps[1].append_level = 0;
  steps[1].append_index = 5;
  kernels::AppendParams p;
  p.batch = B;
  p.kv_heads = Hkv;
  p.head_dim = D;
  p.steps = steps.data();
  p.k_new = k_new.data();
  p.v_new = v_new.data();
  p.keys = keys.data();
  p.values = values.data();
  p.capacity = capacity;
  p.gist_keys[0] = gist_keys.data();
  p.gist_capacity[0] = gists;
  kernels::launch_kv_append(p, nullptr);
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t g = 0; g < Hkv; ++g) {
      for (int64_t d = 0; d < D; ++d) {
        const int64_t src = (b * Hkv + g) * D + d;
        const int64_t dst = ((b * Hkv + g) * capacity + steps[b].query) * D + d;
        ASSERT_EQ(keys[dst], k_new[src]);
        ASSERT_EQ(values[dst], v_new[src]);
        ASSERT_EQ(gist_keys[((b * Hkv + g) * gists + 5) * D + d], b == 1 ? k_new[src] : 0);
      }
    }
  }
  int64_t written = 0;
  for (uint16_t x : keys) written += x != 0;
  EXPECT_EQ(written, B * Hkv * D);  // nothing else
}

// RMSNorm (plain and after the residual add), RoPE into q, k, v, and
// silu(gate) * up against decoder.cpp's op chains.
TEST(EmulatedKernels, DecoderStepOpsMatchTheCpuReference) {
  testing::check_step_ops(at::kCPU);
}

}  // namespace
}  // namespace ssa
