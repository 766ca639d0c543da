// The CPU emulator's scheduler: fibers with their own stacks, switched by a
// few lines of x86-64 assembly (no system call per switch), barriers that
// count arrivals, and the warp exchanges the collectives are built from.
#include "tests/kernels/cuda_emulation.h"

#include <cstdio>
#include <cstdlib>
#include <vector>

#if !defined(__x86_64__)
#error "the CUDA emulator switches fibers with x86-64 assembly"
#endif

extern "C" void ssa_emu_switch(void** save_sp, void* load_sp);
asm(R"(
  .text
  .globl ssa_emu_switch
  .type ssa_emu_switch, @function
ssa_emu_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size ssa_emu_switch, .-ssa_emu_switch
)");

namespace ssa_emu {
namespace {

constexpr size_t kStackBytes = 256 * 1024;
constexpr size_t kSlotBytes = 64;

struct Fiber {
  std::vector<unsigned char> stack;
  void* sp = nullptr;
  dim3 tid;
  bool done = false;
};

struct Block {
  std::vector<Fiber> fibers;
  int current = -1;
  void* main_sp = nullptr;
  const std::function<void()>* body = nullptr;
  dim3 block, dim, grid;
  int live = 0;
  uint64_t block_generation = 0;
  int block_arrived = 0;
  std::vector<uint64_t> warp_generation;
  std::vector<int> warp_arrived, warp_live;
  std::vector<unsigned char> slots;  // kSlotBytes per thread
  uint64_t progress = 0;
};

Block& state() {
  static Block b;
  return b;
}

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "CUDA emulator: %s (block %u,%u,%u thread %u)\n", what, state().block.x,
               state().block.y, state().block.z, state().fibers[state().current].tid.x);
  std::abort();
}

// Switches to the next fiber that has not returned; deadlock when every
// fiber waits and none arrived anywhere for two full rounds.
void yield() {
  Block& b = state();
  const int n = static_cast<int>(b.fibers.size());
  const int me = b.current;
  int next = me;
  for (int i = 1; i <= n; ++i) {
    const int f = (me + i) % n;
    if (!b.fibers[f].done) {
      next = f;
      break;
    }
  }
  if (next == me) return;  // alone: the caller re-checks its condition
  b.current = next;
  ssa_emu_switch(&b.fibers[me].sp, b.fibers[next].sp);
  b.current = me;
}

void wait_until(const std::function<bool()>& released) {
  Block& b = state();
  const size_t limit = 4 * b.fibers.size() + 8;
  size_t idle = 0;
  uint64_t seen = b.progress;
  while (!released()) {
    yield();
    if (b.progress != seen) {
      seen = b.progress;
      idle = 0;
    } else if (++idle > limit) {
      fail("deadlock: a barrier or warp collective not every thread reaches");
    }
  }
}

int warp_of(int f) {
  return f / 32;
}

void release_if_complete(Block& b, int warp) {
  if (b.block_arrived > 0 && b.block_arrived >= b.live) {
    b.block_arrived = 0;
    ++b.block_generation;
    ++b.progress;
  }
  if (warp >= 0 && b.warp_arrived[warp] > 0 && b.warp_arrived[warp] >= b.warp_live[warp]) {
    b.warp_arrived[warp] = 0;
    ++b.warp_generation[warp];
    ++b.progress;
  }
}

void trampoline() {
  Block& b = state();
  (*b.body)();
  Fiber& me = b.fibers[b.current];
  me.done = true;
  --b.live;
  --b.warp_live[warp_of(b.current)];
  ++b.progress;
  release_if_complete(b, warp_of(b.current));
  // Hand over to a fiber still running, or back to launch() when none is.
  const int n = static_cast<int>(b.fibers.size());
  for (int i = 1; i <= n; ++i) {
    const int f = (b.current + i) % n;
    if (!b.fibers[f].done) {
      const int from = b.current;
      b.current = f;
      ssa_emu_switch(&b.fibers[from].sp, b.fibers[f].sp);
    }
  }
  void* unused;
  ssa_emu_switch(&unused, b.main_sp);
  std::abort();  // never resumed
}

void prepare(Fiber& f) {
  if (f.stack.empty()) f.stack.resize(kStackBytes);
  // Top of stack, 16-byte aligned: a fake return address, the trampoline
  // (popped by `ret`), six callee-saved registers (popped first).
  auto top = reinterpret_cast<uintptr_t>(f.stack.data() + f.stack.size()) & ~uintptr_t{15};
  auto* words = reinterpret_cast<uint64_t*>(top);
  words[-1] = 0;
  words[-2] = reinterpret_cast<uint64_t>(&trampoline);
  for (int i = 3; i <= 8; ++i) words[-i] = 0;
  f.sp = &words[-8];
}

}  // namespace

const dim3& thread_idx() {
  return state().fibers[state().current].tid;
}
const dim3& block_idx() {
  return state().block;
}
const dim3& block_dim() {
  return state().dim;
}
const dim3& grid_dim() {
  return state().grid;
}
int lane() {
  return state().current & 31;
}

void sync_block() {
  Block& b = state();
  const uint64_t generation = b.block_generation;
  ++b.block_arrived;
  ++b.progress;
  release_if_complete(b, -1);
  wait_until([&] { return b.block_generation != generation; });
}

void sync_warp() {
  Block& b = state();
  const int w = warp_of(b.current);
  const uint64_t generation = b.warp_generation[w];
  ++b.warp_arrived[w];
  ++b.progress;
  release_if_complete(b, w);
  wait_until([&] { return b.warp_generation[w] != generation; });
}

void warp_exchange(const void* mine, size_t bytes,
                   const std::function<void(const unsigned char* const*)>& read) {
  Block& b = state();
  if (bytes > kSlotBytes) fail("warp exchange larger than a slot");
  const int me = b.current, base = warp_of(me) * 32;
  if (b.warp_live[warp_of(me)] != 32) fail("warp collective with lanes that returned");
  std::memcpy(&b.slots[me * kSlotBytes], mine, bytes);
  sync_warp();
  const unsigned char* lanes[32];
  for (int l = 0; l < 32; ++l) lanes[l] = &b.slots[(base + l) * kSlotBytes];
  read(lanes);
  sync_warp();
}

void launch(dim3 grid, dim3 block, const std::function<void()>& body) {
  Block& b = state();
  if (block.y != 1 || block.z != 1 || block.x % 32 != 0) {
    std::fprintf(stderr, "CUDA emulator: blocks must be 1-D, whole warps\n");
    std::abort();
  }
  const int n = static_cast<int>(block.x);
  b.fibers.resize(n);
  b.slots.assign(static_cast<size_t>(n) * kSlotBytes, 0);
  b.body = &body;
  b.dim = block;
  b.grid = grid;
  for (unsigned z = 0; z < grid.z; ++z) {
    for (unsigned y = 0; y < grid.y; ++y) {
      for (unsigned x = 0; x < grid.x; ++x) {
        b.block = dim3(x, y, z);
        b.live = n;
        b.block_arrived = 0;
        b.warp_generation.assign(n / 32, 0);
        b.warp_arrived.assign(n / 32, 0);
        b.warp_live.assign(n / 32, 32);
        for (int t = 0; t < n; ++t) {
          b.fibers[t].done = false;
          b.fibers[t].tid = dim3(static_cast<unsigned>(t));
          prepare(b.fibers[t]);
        }
        b.current = 0;
        ssa_emu_switch(&b.main_sp, b.fibers[0].sp);
        b.current = -1;
      }
    }
  }
}

// --- tensor-core fragments (mma_bf16.cuh's layouts) ---------------------------

namespace {

float bf16_bits_to_float(uint32_t word, int half) {
  const uint32_t bits = (half ? word >> 16 : word & 0xFFFFu) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

}  // namespace

void mma_bf16_16x8x16(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
  struct Fragments {
    uint32_t a[4], b[2];
    float c[4];
  } mine;
  std::memcpy(mine.a, a, sizeof mine.a);
  std::memcpy(mine.b, b, sizeof mine.b);
  std::memcpy(mine.c, d, sizeof mine.c);
  const int me = lane(), g = me / 4, t = me % 4;
  float out[4];
  warp_exchange(&mine, sizeof mine, [&](const unsigned char* const* slots) {
    Fragments f[32];
    for (int l = 0; l < 32; ++l) std::memcpy(&f[l], slots[l], sizeof f[l]);
    for (int i = 0; i < 4; ++i) {
      const int row = g + 8 * (i / 2), col = 2 * t + (i % 2);
      float acc = f[me].c[i];
      for (int k = 0; k < 16; ++k) {
        // A (row, k): lane (row % 8, (k % 8) / 2), register (row >= 8) + 2 (k >= 8).
        const Fragments& fa = f[(row % 8) * 4 + (k % 8) / 2];
        const float av = bf16_bits_to_float(fa.a[(row >= 8 ? 1 : 0) + (k >= 8 ? 2 : 0)], k % 2);
        // B (k, col): lane (col, (k % 8) / 2), register (k >= 8).
        const Fragments& fb = f[col * 4 + (k % 8) / 2];
        const float bv = bf16_bits_to_float(fb.b[k >= 8 ? 1 : 0], k % 2);
        acc += av * bv;
      }
      out[i] = acc;
    }
  });
  std::memcpy(d, out, sizeof out);
}

uint32_t movmatrix_trans(uint32_t x) {
  const int me = lane(), g = me / 4, t = me % 4;
  uint32_t out = 0;
  warp_exchange(&x, sizeof x, [&](const unsigned char* const* slots) {
    // In: lane (r * 4 + c / 2) holds M[r][c] in half c % 2. Out: M^T[g][2t + e] = M[2t + e][g].
    for (int e = 0; e < 2; ++e) {
      const int r = 2 * t + e;
      uint32_t word;
      std::memcpy(&word, slots[r * 4 + g / 2], sizeof word);
      const uint32_t v = (g % 2) ? word >> 16 : word & 0xFFFFu;
      out |= v << (16 * e);
    }
  });
  return out;
}

uint32_t pack_bf16_rn(float lo, float hi) {
  auto round = [](float f) -> uint32_t {
    uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    if (std::isnan(f)) return 0x7FC0u;
    u += 0x7FFFu + ((u >> 16) & 1u);  // round to nearest, ties to even
    return u >> 16;
  };
  return round(lo) | (round(hi) << 16);
}

uint16_t float_to_half_rn(float f) {
  uint32_t x;
  std::memcpy(&x, &f, sizeof x);
  const uint32_t sign = (x >> 16) & 0x8000u;
  if ((x & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>(sign | 0x7E00u);  // NaN
  const int32_t exponent = static_cast<int32_t>((x >> 23) & 0xFFu) - 127 + 15;
  uint32_t mantissa = x & 0x7FFFFFu;
  if (exponent >= 31) return static_cast<uint16_t>(sign | 0x7C00u);  // inf, or too large
  if (exponent <= 0) {                                               // a subnormal half, or zero
    if (exponent < -10) return static_cast<uint16_t>(sign);
    mantissa |= 0x800000u;
    const int shift = 14 - exponent;
    uint32_t half = mantissa >> shift;
    const uint32_t rest = mantissa & ((1u << shift) - 1u), halfway = 1u << (shift - 1);
    if (rest > halfway || (rest == halfway && (half & 1u))) ++half;
    return static_cast<uint16_t>(sign | half);
  }
  uint32_t half = sign | (static_cast<uint32_t>(exponent) << 10) | (mantissa >> 13);
  const uint32_t rest = mantissa & 0x1FFFu;
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) ++half;  // a carry may make it inf
  return static_cast<uint16_t>(half);
}

float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  int32_t exponent = (h >> 10) & 0x1F;
  uint32_t mantissa = h & 0x3FFu, bits;
  if (exponent == 0) {
    if (mantissa == 0) {
      bits = sign;
    } else {  // subnormal: normalize
      exponent = 1;
      while (!(mantissa & 0x400u)) mantissa <<= 1, --exponent;
      bits =
          sign | (static_cast<uint32_t>(exponent + 127 - 15) << 23) | ((mantissa & 0x3FFu) << 13);
    }
  } else if (exponent == 31) {
    bits = sign | 0x7F800000u | (mantissa << 13);
  } else {
    bits = sign | (static_cast<uint32_t>(exponent + 127 - 15) << 23) | (mantissa << 13);
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

}  // namespace ssa_emu
