// bench_recordings: what recording costs, for a 7B-shaped trace.
//
//   build-sessions/tests/sessions/bench_recordings [--quick] [--dir /tmp]
//       [--overhead-only] [--normal-priority]
//
// Shape: 28 layers, 4 KV groups scoring (`group` GQA mode), one gist level,
// chunk 8, 8192 chunks in the prefix (65,536 + 8,192 stream positions), k =
// 165 (the spec's budget rule: n_keys / comp / heads_per_group / c + 1 with
// 73,792 keys, comp 8, 7 heads per group, c 8). Prints:
//  1. enqueue cost per decode step (what the decode thread pays: copying the
//     28 layer records into the queue), and the wall-time overhead on a
//     synthetic memory-bound "decode step" (no CPU decode benchmark exists yet);
//  2. writer throughput and bytes per decode step on disk;
//  3. reader open time and per (step, layer) fetch latency on a ~1 GB file.
// The recording is written under --dir and deleted afterwards.
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "sessions/reader.h"
#include "sessions/writer.h"
#include "tests/sessions/synthetic_trace.h"

namespace {

using namespace ssa::sessions;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double cpu_seconds(int who) {
  rusage u;
  getrusage(who, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         1e-6 * double(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

int64_t file_size(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? int64_t(st.st_size) : 0;
}

void remove_recording(const std::string& path) {
  std::remove(path.c_str());
  std::remove((path + "-wal").c_str());
  std::remove((path + "-shm").c_str());
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}
double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[std::min(v.size() - 1, size_t(p * double(v.size())))];
}

// A stand-in for a CPU decode step: streams `passes` times over a buffer, as
// a memory-bound matrix-vector product streams the weights. It competes with
// the writer thread for memory bandwidth and CPU, unlike a sleep.
struct SyntheticStep {
  std::vector<float> weights = std::vector<float>(size_t(64) << 20, 1.0f);  // 256 MB
  int passes = 1;
  double run() {
    double sum = 0;
    for (int p = 0; p < passes; ++p) {
      float acc = 0;
      for (size_t i = 0; i < weights.size(); i += 4) {
        acc += weights[i] + weights[i + 1] + weights[i + 2] + weights[i + 3];
      }
      sum += acc;
    }
    return sum;
  }
};

ssa::sessions::testing::TraceShape shape_7b() {
  ssa::sessions::testing::TraceShape s;
  s.layers = 28;
  s.heads = 4;
  s.levels = 1;
  s.chunk = 8;
  s.chunks = 8192;
  s.k = 165;
  s.suffix = 64;
  return s;
}

// Pre-generated records (a few distinct steps, reused with new step numbers)
// so that generating scores is not timed.
std::vector<std::vector<LayerStep>> make_pool(const ssa::sessions::testing::TraceShape& shape,
                                              const Layout& layout, int distinct) {
  std::vector<std::vector<LayerStep>> pool(static_cast<size_t>(distinct));
  for (int s = 0; s < distinct; ++s) {
    for (int l = 0; l < shape.layers; ++l) {
      pool[size_t(s)].push_back(ssa::sessions::testing::make_layer_step(shape, layout, s, l));
    }
  }
  return pool;
}

// Enqueues one decode step: copies the layer records (as a recorder must,
// since the engine owns its buffers) and hands them to the writer.
void enqueue_step(Writer& w, int64_t run, int64_t step, const std::vector<LayerStep>& layers) {
  for (const LayerStep& src : layers) {
    LayerStep r = src;
    r.step = step;
    w.write_layer_step(run, std::move(r));
  }
  w.write_decode_step(run, ssa::sessions::testing::make_decode_step(step));
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress shows when piped to a file
  bool quick = false, overhead_only = false, low_priority = true;
  std::string dir = "/tmp";
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) quick = true;
    if (std::strcmp(argv[i], "--dir") == 0 && i + 1 < argc) dir = argv[++i];
    if (std::strcmp(argv[i], "--overhead-only") == 0) overhead_only = true;
    if (std::strcmp(argv[i], "--normal-priority") == 0) low_priority = false;
  }
  auto shape = shape_7b();
  Layout layout = ssa::sessions::testing::make_layout(shape);
  auto pool = make_pool(shape, layout, 4);
  size_t record_bytes = 0;
  for (const LayerStep& r : pool[0]) {
    for (const LevelScores& s : r.scores)
      record_bytes += s.scores.size() * 4 + s.candidates.size() * 8;
  }
  std::printf("shape: 28 layers x 4 KV groups, 8192 chunks (%lld positions), k = 165\n",
              static_cast<long long>(layout.length()));
  std::printf("in-memory scores per decode step: %.2f MB (float32)\n", double(record_bytes) / 1e6);

  // --- 1. enqueue cost and overhead on a synthetic decode step ------------------
  {
    SyntheticStep work;
    double sink = work.run();  // warm up
    auto t0 = Clock::now();
    sink += work.run();  // used below, so the pass cannot be optimised away
    double pass = seconds_since(t0);
    double bandwidth = double(work.weights.size() * 4) / pass;
    // A 7B model in bf16 streams ~14 GB of weights per generated token.
    double realistic_step = 14e9 / bandwidth;
    work.passes = std::max(1, int(0.3 / pass + 0.5));
    std::printf(
        "\n[1] memory bandwidth (one 256 MB pass): %.1f GB/s -> a 7B bf16 CPU decode "
        "step would take >= %.2f s here\n",
        bandwidth / 1e9, realistic_step);
    // The copy alone (what any observer that keeps the data pays), no writer running.
    std::vector<double> copy_only;
    for (int i = 0; i < 20; ++i) {
      auto c0 = Clock::now();
      std::vector<LayerStep> copies = pool[size_t(i % 4)];
      copy_only.push_back(seconds_since(c0));
      sink += double(copies.size());
    }
    std::printf("copying one decode step's 28 layer records, no writer running: median %.2f ms\n",
                median(copy_only) * 1e3);
    std::string path = dir + "/ssa_bench_overhead.ssarec";
    remove_recording(path);
    int blocks = quick ? 2 : 4, per_block = quick ? 5 : 12;
    std::vector<double> base, rec, enqueue;
    double main_cpu = 0, all_cpu = 0;
    {
      WriterOptions options;
      options.low_priority_thread = low_priority;
      Writer w(path, options);
      int64_t run = w.begin_run(ssa::sessions::testing::named_run("overhead"));
      w.write_layout(run, layout);
      int64_t step = 0;
      for (int b = 0; b < blocks; ++b) {
        for (int i = 0; i < per_block; ++i) {  // baseline: compute only
          auto s0 = Clock::now();
          sink += work.run();
          base.push_back(seconds_since(s0));
        }
        double cpu0 = cpu_seconds(RUSAGE_SELF), main0 = cpu_seconds(RUSAGE_THREAD);
        for (int i = 0; i < per_block; ++i, ++step) {  // compute + recording
          auto s0 = Clock::now();
          sink += work.run();
          auto e0 = Clock::now();
          enqueue_step(w, run, step, pool[size_t(step % 4)]);
          enqueue.push_back(seconds_since(e0));
          rec.push_back(seconds_since(s0));
        }
        w.flush();  // the writer's work for this block lands inside the block's CPU time
        all_cpu += cpu_seconds(RUSAGE_SELF) - cpu0;
        main_cpu += cpu_seconds(RUSAGE_THREAD) - main0;
      }
      w.close();
    }
    int64_t steps = int64_t(rec.size());
    double writer_cpu = (all_cpu - main_cpu) / double(steps);
    double b = median(base), r = median(rec), e = median(enqueue);
    std::printf(
        "synthetic step (%d passes): median %.1f ms without recording, %.1f ms with "
        "(%+.2f%%)\n",
        work.passes, b * 1e3, r * 1e3, 100 * (r - b) / b);
    std::printf(
        "enqueue per decode step: median %.2f ms, p95 %.2f ms = %.2f%% of the synthetic "
        "step, %.3f%% of a %.2f s 7B step\n",
        e * 1e3, percentile(enqueue, 0.95) * 1e3, 100 * e / b, 100 * e / realistic_step,
        realistic_step);
    std::printf("writer thread CPU per decode step: %.1f ms (runs beside the decode thread)\n",
                writer_cpu * 1e3);
    std::printf("(writer thread %s; checksum %g)\n",
                low_priority ? "at nice +10 (default)" : "at normal priority", sink);
    remove_recording(path);
  }
  if (overhead_only) return 0;

  // --- 2. throughput and bytes per step; 3. reader on a ~1 GB file --------------
  {
    std::string path = dir + "/ssa_bench_1gb.ssarec";
    remove_recording(path);
    int64_t steps = quick ? 60 : 520;
    // The same run without steps: what the layout and mask cost on their own.
    int64_t empty_bytes;
    {
      std::string empty = dir + "/ssa_bench_empty.ssarec";
      remove_recording(empty);
      {
        Writer w(empty);
        int64_t run = w.begin_run(ssa::sessions::testing::named_run("ssa 7B-shaped"));
        w.write_layout(run, layout);
        w.write_mask(run, ssa::sessions::testing::make_mask(layout));
        w.end_run(run);
      }
      empty_bytes = file_size(empty);
      remove_recording(empty);
    }
    const int64_t fast_steps = steps;
    auto t0 = Clock::now();
    double secs = 0, slow_cpu = 0;
    int64_t run;
    WriterStats stats;
    {
      Writer w(path);
      run = w.begin_run(ssa::sessions::testing::named_run("ssa 7B-shaped"));
      w.write_layout(run, layout);
      w.write_mask(run, ssa::sessions::testing::make_mask(layout));
      for (int64_t s = 0; s < steps; ++s) {
        enqueue_step(w, run, s, pool[size_t(s % 4)]);
      }
      w.flush();
      secs = seconds_since(t0);
      // A slow decode commits every step alone: the writer's cost per step
      // must not grow with the file (append-only keys).
      const int64_t slow_steps = 20;
      double cpu0 = cpu_seconds(RUSAGE_SELF), main0 = cpu_seconds(RUSAGE_THREAD);
      for (int64_t s = steps; s < steps + slow_steps; ++s) {
        enqueue_step(w, run, s, pool[size_t(s % 4)]);
        w.flush();
      }
      slow_cpu = ((cpu_seconds(RUSAGE_SELF) - cpu0) - (cpu_seconds(RUSAGE_THREAD) - main0)) /
                 double(slow_steps);
      steps += slow_steps;
      w.end_run(run);
      w.close();
      stats = w.stats();
    }
    int64_t bytes = file_size(path);
    double per_step = double(bytes - empty_bytes) / double(steps);
    std::printf(
        "\n[2] wrote %lld decode steps as fast as possible in %.1f s: %.1f steps/s, %.0f MB/s; "
        "queue high water %.0f MB\n",
        static_cast<long long>(fast_steps), secs, double(fast_steps) / secs,
        per_step * double(fast_steps) / secs / 1e6, double(stats.queue_high_water) / 1e6);
    std::printf(
        "then %lld steps committed one by one (a slow decode) at %.2f GB: writer thread CPU "
        "%.1f ms per step\n",
        static_cast<long long>(steps - fast_steps), double(bytes) / 1e9, slow_cpu * 1e3);
    std::printf(
        "file %.1f MB (layout + mask alone: %.2f MB); bytes per decode step: %.0f "
        "(%.2f MB; the float16 scores alone are %.2f MB)\n",
        double(bytes) / 1e6, double(empty_bytes) / 1e6, per_step, per_step / 1e6,
        28.0 * 4 * 8192 * 2 / 1e6);

    std::vector<double> opens;
    for (int i = 0; i < 20; ++i) {
      auto o0 = Clock::now();
      Reader r(path);
      r.runs();
      r.decode_step_range(run);
      opens.push_back(seconds_since(o0));
    }
    std::printf(
        "\n[3] reader open (+ runs + step range) on %.2f GB: first %.2f ms, median %.2f ms, "
        "max %.2f ms\n",
        double(bytes) / 1e9, opens[0] * 1e3, median(opens) * 1e3,
        *std::max_element(opens.begin(), opens.end()) * 1e3);
    Reader reader(path);
    std::mt19937 rng(3);
    std::vector<double> fetch;
    size_t checksum = 0;
    for (int i = 0; i < 2000; ++i) {
      int64_t s = int64_t(rng() % uint64_t(steps));
      int32_t l = int32_t(rng() % 28);
      auto f0 = Clock::now();
      std::optional<LayerStep> ls = reader.layer_step(run, s, l);
      fetch.push_back(seconds_since(f0));
      if (!ls) {
        std::fprintf(stderr, "missing layer step %lld/%d\n", static_cast<long long>(s), l);
        return 1;
      }
      checksum += ls->scores[0].scores.size();
    }
    std::printf(
        "fetch one (step, layer) (4 x 8192 float16 scores + selections), 2000 random: "
        "median %.3f ms, p95 %.3f ms, max %.3f ms (the first: %.3f ms)\n",
        median(fetch) * 1e3, percentile(fetch, 0.95) * 1e3,
        *std::max_element(fetch.begin(), fetch.end()) * 1e3, fetch[0] * 1e3);
    auto s0 = Clock::now();
    auto series = reader.score_series(run, 5, 0, 2, layout.prefix_length - 1);
    double series_t = seconds_since(s0);
    auto u0 = Clock::now();
    auto unfolds = reader.unfolds(run, 0, 4000);
    double unfold_t = seconds_since(u0);
    auto d0 = Clock::now();
    auto decode = reader.decode_steps(run);
    double decode_t = seconds_since(d0);
    std::printf(
        "one layer across %zu steps (score series of one gist): %.1f ms; one chunk across "
        "steps (%zu unfolds): %.3f ms; all %zu decode steps: %.2f ms (checksum %zu)\n",
        series.size(), series_t * 1e3, unfolds.size(), unfold_t * 1e3, decode.size(),
        decode_t * 1e3, checksum);
    remove_recording(path);
  }
  return 0;
}
