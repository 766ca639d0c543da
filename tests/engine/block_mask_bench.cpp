// Building the block description at long context (target: well under 1 s on
// one core for L = 131072). Prints time per build and the block counts.
#include <benchmark/benchmark.h>

#include "engine/layout/gist_layout.h"
#include "engine/mask/block_mask.h"

namespace {

void BM_BuildBlockMask(benchmark::State& state, const char* hierarchy, int previous) {
  ssa::LayoutSettings settings = ssa::parse_hierarchy(hierarchy);
  settings.sink = 3;
  // Raw tokens chosen so that the stream is close to the requested length.
  const int64_t target = state.range(0);
  int64_t per_top = settings.chunk, stream_per_top = settings.chunk + 1;
  for (int g : settings.group_sizes) {
    per_top *= g;
    stream_per_top = stream_per_top * g + 1;
  }
  std::vector<int64_t> raw(target * per_top / stream_per_top, 7);
  const ssa::GistLayout layout(settings, raw);
  ssa::BlockMask blocks;
  for (auto _ : state) {
    blocks = ssa::build_block_mask(layout, {previous}, static_cast<int>(state.range(1)));
    benchmark::DoNotOptimize(blocks.key_blocks.data());
  }
  int64_t full = 0, partial = 0;
  for (auto kind : blocks.kinds) (kind == ssa::BlockKind::kFull ? full : partial)++;
  state.counters["L"] = static_cast<double>(layout.length());
  state.counters["full"] = static_cast<double>(full);
  state.counters["partial"] = static_cast<double>(partial);
}

BENCHMARK_CAPTURE(BM_BuildBlockMask, chunk8_p1, "chunk8", 1)
    ->Args({131072, 128})
    ->Args({131072, 64})
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_BuildBlockMask, chunk4_chunk4_p1, "chunk4-chunk4", 1)
    ->Args({131072, 128})
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_BuildBlockMask, chunk64_p2, "chunk64", 2)
    ->Args({131072, 128})
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
