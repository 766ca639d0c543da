// MergeTable: BPE's merge rules, (left id, right id) -> (rank, merged id), in one flat
// open-addressing table: the lookup sits in the innermost loop of encoding.
#pragma once

#include <cstdint>
#include <vector>

namespace ssa {

class MergeTable {
 public:
  struct Merge {
    uint64_t key = kEmpty;
    uint32_t rank = 0;
    int32_t merged = 0;
  };

  explicit MergeTable(size_t expected = 0) { rehash(expected); }

  // A later rule for the same pair replaces the earlier one (as a HashMap collect does).
  void insert(int32_t left, int32_t right, uint32_t rank, int32_t merged) {
    if ((count_ + 1) * 2 > slots_.size()) rehash(slots_.size());
    const uint64_t key = pack(left, right);
    Merge& slot = slots_[probe(key)];
    if (slot.key == kEmpty) ++count_;
    slot = {key, rank, merged};
  }

  // The rule for (left, right), or nullptr.
  const Merge* find(int32_t left, int32_t right) const {
    const Merge& slot = slots_[probe(pack(left, right))];
    return slot.key == kEmpty ? nullptr : &slot;
  }

  size_t size() const { return count_; }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  static uint64_t pack(int32_t left, int32_t right) {
    return (uint64_t(uint32_t(left)) << 32) | uint32_t(right);
  }
  size_t probe(uint64_t key) const {
    size_t i = (key * 0x9E3779B97F4A7C15ull) >> shift_;
    while (slots_[i].key != key && slots_[i].key != kEmpty) i = (i + 1) & (slots_.size() - 1);
    return i;
  }
  void rehash(size_t expected) {
    size_t capacity = 16;
    int bits = 4;
    while (capacity < expected * 2 + 2) capacity <<= 1, ++bits;
    std::vector<Merge> old;
    old.swap(slots_);
    slots_.assign(capacity, Merge{});
    shift_ = 64 - bits;
    count_ = 0;
    for (const Merge& m : old)
      if (m.key != kEmpty) {
        slots_[probe(m.key)] = m;
        ++count_;
      }
  }

  std::vector<Merge> slots_;
  int shift_ = 60;
  size_t count_ = 0;
};

}  // namespace ssa
